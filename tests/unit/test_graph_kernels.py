"""The static-graph kernels of mutuals.kernels.graph against plain-Python twins, and the
follow graph built with them against the sort-based construction they replaced."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.tables import follows_table
from mutuals.io.schema import empty_table
from mutuals.kernels.graph import (
    edge_rows,
    is_sorted_unique,
    mutual_counts,
    transpose_sorted,
    union_rows,
)
from mutuals.metrics.graph import FollowGraph, follow_graph, reciprocity, undirected_adjacency


def _rows_twin(src: list[int], dst: list[int], n: int) -> tuple[list[list[int]], int, int, int]:
    """Sorted distinct out-lists, and the null, self-loop and repeated rows, by sets."""
    rows: list[set[int]] = [set() for _ in range(n)]
    null = loops = dups = 0
    for u, v in zip(src, dst, strict=True):
        if u < 0 or v < 0:
            null += 1
        elif u == v:
            loops += 1
        elif v in rows[u]:
            dups += 1
        else:
            rows[u].add(v)
    return [sorted(r) for r in rows], null, loops, dups


def _csr_rows(ptr: np.ndarray, idx: np.ndarray) -> list[list[int]]:
    return [idx[ptr[i] : ptr[i + 1]].tolist() for i in range(ptr.size - 1)]


@st.composite
def _edges(draw):
    n = draw(st.integers(1, 30))
    pairs = draw(st.lists(st.tuples(st.integers(-1, n - 1), st.integers(-1, n - 1)), max_size=200))
    return n, [p[0] for p in pairs], [p[1] for p in pairs]


@settings(max_examples=80, deadline=None)
@given(_edges())
def test_edge_rows_transpose_mutual_and_union_match_set_twins(graph):
    n, src, dst = graph
    ptr, idx, null, loops, dups = edge_rows(np.array(src, np.int64), np.array(dst, np.int64), n)
    rows, t_null, t_loops, t_dups = _rows_twin(src, dst, n)
    assert _csr_rows(ptr, idx) == rows
    assert (null, loops, dups) == (t_null, t_loops, t_dups)
    follower = np.repeat(np.arange(n), np.diff(ptr))
    assert is_sorted_unique(follower, idx)
    tptr, tidx = transpose_sorted(ptr, idx, n)
    cols = [sorted(u for u in range(n) if v in rows[u]) for v in range(n)]
    assert _csr_rows(tptr, tidx) == cols
    mutual = mutual_counts(ptr, idx, tptr, tidx)
    assert mutual.tolist() == [sum(1 for v in rows[u] if u in rows[v]) for u in range(n)]
    uptr, uidx = union_rows(ptr, idx, tptr, tidx)
    assert _csr_rows(uptr, uidx) == [sorted(set(rows[u]) | set(cols[u])) for u in range(n)]


def test_is_sorted_unique_rejects_repeats_and_disorder():
    assert is_sorted_unique(np.array([0, 0, 1]), np.array([1, 2, 0]))
    assert not is_sorted_unique(np.array([0, 0, 1]), np.array([2, 2, 0]))
    assert not is_sorted_unique(np.array([0, 0, 1]), np.array([2, 1, 0]))
    assert not is_sorted_unique(np.array([1, 0]), np.array([0, 1]))


def _old_follow_graph(follows_rows: list[tuple[str, str]]):
    """The construction before the kernels: unique of ``src * n + dst`` keys."""
    g = follow_graph(empty_table("accounts"), follows_table(follows_rows))
    n = g.n_accounts
    platform = pa.array(["x"] * len(follows_rows))
    src = g.index.lookup(platform, pa.array([a for a, _ in follows_rows]))
    dst = g.index.lookup(platform, pa.array([b for _, b in follows_rows]))
    keep = src != dst
    code = np.unique(src[keep] * n + dst[keep])
    return g, code // n, code % n, int(keep.size - keep.sum()), int(keep.sum() - code.size)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_follow_graph_equals_the_sort_based_construction(seed):
    rng = np.random.default_rng(seed)
    m = 3000
    u = rng.integers(0, 300, m)
    v = (rng.pareto(1.2, m) * 5).astype(np.int64) % 300
    rows = [(str(a), str(b)) for a, b in zip(u, v, strict=True)]
    g, follower, friend, loops, dups = _old_follow_graph(rows)
    assert g.follower.tolist() == follower.tolist()
    assert g.friend.tolist() == friend.tolist()
    assert g.follower.dtype == np.int64 and g.friend.dtype == np.int64
    assert (g.n_self_follows, g.n_duplicates) == (loops, dups)
    # the projection equals the one built from the edge arrays, and the old scipy build
    want = sp.csr_matrix(
        (np.ones(2 * follower.size), (np.r_[follower, friend], np.r_[friend, follower])),
        shape=(g.n_accounts,) * 2,
    )
    want.sum_duplicates()
    want.data[:] = 1.0
    got = g.undirected
    assert got.has_sorted_indices
    assert (got != want).nnz == 0 and got.nnz == want.nnz
    assert (undirected_adjacency(g.follower, g.friend, g.n_accounts) != want).nnz == 0


def test_unsorted_edge_arrays_get_their_own_lists():
    """A FollowGraph built by hand (as metrics.lists does) need not be sorted."""
    g0 = follow_graph(empty_table("accounts"), follows_table([("a", "b"), ("b", "c"), ("c", "a")]))
    g = FollowGraph(index=g0.index, follower=np.array([2, 0, 1, 1]), friend=np.array([0, 1, 0, 2]))
    ptr, idx = g.out_lists
    assert _csr_rows(ptr, idx) == [[1], [0, 2], [0]]
    r = reciprocity(g)
    assert r.reciprocated == 2  # 0 <-> 1
    assert g.undirected.toarray().tolist() == [[0, 1, 1], [1, 0, 1], [1, 1, 0]]


def test_edge_rows_is_the_same_at_one_and_two_threads():
    import numba

    rng = np.random.default_rng(3)
    n, m = 5000, 200_000
    src = rng.integers(-1, n, m)
    dst = (rng.pareto(1.1, m) * 3).astype(np.int64) % n
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = edge_rows(src, dst, n)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = edge_rows(src, dst, n)
    finally:
        numba.set_num_threads(before)
    assert all(np.array_equal(a, b) for a, b in zip(one, two, strict=True))


def test_transpose_sorted_in_blocks_equals_scipy_at_one_and_two_threads():
    """Enough rows for the blocked path (8 blocks): the same sorted columns as
    scipy's transpose, whatever the thread count."""
    import numba
    import scipy.sparse as sp

    rng = np.random.default_rng(2)
    n = 40_000
    src = rng.integers(0, n, 300_000)
    dst = np.where(
        rng.random(src.size) < 0.3, rng.integers(0, 50, src.size), rng.integers(0, n, src.size)
    )
    ptr, idx, _, _, _ = edge_rows(src.astype(np.int64), dst.astype(np.int64), n)
    want = sp.csr_matrix((np.ones(idx.size), idx, ptr), shape=(n, n)).T.tocsr()
    want.sort_indices()
    old = numba.get_num_threads()
    try:
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(threads)
            tptr, tidx = transpose_sorted(ptr, idx, n)
            assert np.array_equal(tptr, want.indptr) and np.array_equal(tidx, want.indices)
    finally:
        numba.set_num_threads(old)
