"""Louvain's aggregation, modularity's internal weights and the marking triangle
kernel of mutuals.kernels.community against plain-Python twins."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from mutuals.kernels.community import (
    aggregate_communities,
    internal_weight,
    orient_ranked,
    triangles_marked,
    triangles_per_node,
)


def _random_symmetric(n: int, m: int, seed: int, weighted: bool) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    u = rng.integers(0, n, m)
    v = (rng.pareto(1.2, m) * 3).astype(np.int64) % n
    w = rng.integers(1, 5, m).astype(np.float64) if weighted else np.ones(m)
    a = sp.coo_matrix((np.r_[w, w], (np.r_[u, v], np.r_[v, u])), shape=(n, n)).tocsr()
    a.sum_duplicates()
    return a


@pytest.mark.parametrize(
    ("n", "m", "k", "seed"), [(1, 0, 1, 0), (30, 80, 4, 1), (300, 3000, 17, 2)]
)
def test_aggregation_matches_a_dict_twin(n, m, k, seed):
    a = _random_symmetric(n, m, seed, weighted=True)
    labels = np.random.default_rng(seed).integers(0, k, n)
    labels[: min(k, n)] = np.arange(min(k, n))  # every community non-empty (when n allows)
    k = int(labels.max()) + 1
    ptr, idx, w = aggregate_communities(a.indptr, a.indices, a.data, labels, k)
    want: dict[tuple[int, int], float] = {}
    c = a.tocoo()
    for i, j, x in zip(c.row.tolist(), c.col.tolist(), c.data.tolist(), strict=True):
        key = (int(labels[i]), int(labels[j]))
        want[key] = want.get(key, 0.0) + x
    got = {(r, int(idx[p])): float(w[p]) for r in range(k) for p in range(ptr[r], ptr[r + 1])}
    assert got == want
    for r in range(k):
        row = idx[ptr[r] : ptr[r + 1]]
        assert (np.diff(row) > 0).all()  # sorted, no repeats


def test_internal_weight_matches_a_loop_twin():
    a = _random_symmetric(200, 1500, 3, weighted=True)
    labels = np.random.default_rng(3).integers(0, 6, 200)
    got = internal_weight(a.indptr, a.indices, a.data, labels, 6)
    c = a.tocoo()
    want = np.zeros(6)
    for i, j, x in zip(c.row, c.col, c.data, strict=True):
        if labels[i] == labels[j]:
            want[labels[i]] += x
    assert got.tolist() == want.tolist()


@pytest.mark.parametrize("seed", [0, 1])
def test_marking_kernel_equals_the_forward_twin_at_any_chunk_count(seed):
    a = _random_symmetric(1500, 20000, seed, weighted=False)
    a.setdiag(0)
    a.eliminate_zeros()
    n = a.shape[0]
    deg = np.diff(a.indptr)
    rank = np.empty(n, np.int64)
    rank[np.lexsort((np.arange(n), deg))] = np.arange(n)
    twin = triangles_per_node(a.indptr.astype(np.int64), a.indices.astype(np.int64), rank)
    op, oi = orient_ranked(a.indptr, a.indices, rank)
    runs = [triangles_marked(op, oi, chunks) for chunks in (1, 7, 64)]
    for low, mid, top in runs:
        corner = np.bincount(oi, weights=(mid + top).astype(np.float64), minlength=n)
        assert (low + corner.astype(np.int64))[rank].tolist() == twin.tolist()
    assert all(np.array_equal(x, y) for r in runs[1:] for x, y in zip(runs[0], r, strict=True))
    assert twin.sum() > 0


@pytest.mark.parametrize("seed", [0, 3])
def test_orient_ranked_matches_a_loop_twin_at_one_and_two_threads(seed):
    import numba

    a = _random_symmetric(400, 3000, seed, weighted=False)
    n = a.shape[0]
    rank = np.random.default_rng(seed).permutation(n).astype(np.int64)
    want_rows = [[] for _ in range(n)]
    for u in range(n):
        for v in a.indices[a.indptr[u] : a.indptr[u + 1]].tolist():
            if rank[v] > rank[u]:
                want_rows[rank[u]].append(int(rank[v]))  # in the input's order
    old = numba.get_num_threads()
    try:
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(threads)
            op, oi = orient_ranked(a.indptr, a.indices, rank)
            got = [oi[op[r] : op[r + 1]].tolist() for r in range(n)]
            assert got == want_rows
    finally:
        numba.set_num_threads(old)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_unit_weight_local_moving_equals_the_weighted_one(seed):
    """The 0/1 path (weights not read) and int32 labels give the same labels and
    gain, to the bit, as the weighted path on a matrix of ones with int64 labels."""
    from mutuals.kernels.community import louvain_local_moving

    a = _random_symmetric(400, 3000, seed, weighted=False)
    a.data[:] = 1.0  # duplicates were summed: back to a 0/1 pattern
    a.setdiag(0)
    a.eliminate_zeros()
    strength = np.asarray(a.sum(axis=1)).ravel()
    m2 = float(a.sum())
    order = np.random.default_rng(seed).permutation(a.shape[0]).astype(np.int64)
    runs = []
    for unit, dtype in ((False, np.int64), (True, np.int32), (True, np.int64), (False, np.int32)):
        labels = np.arange(a.shape[0], dtype=dtype)
        gain, _ = louvain_local_moving(
            a.indptr, a.indices, a.data, strength, m2, order, 1.0, labels, 1e-7, 100, unit
        )
        runs.append((labels.astype(np.int64).tolist(), gain))
    assert all(r == runs[0] for r in runs[1:])
    assert runs[0][1] > 0 and len(set(runs[0][0])) < a.shape[0]


def test_prefetch_is_only_a_hint():
    """A loop that prefetches ahead (past the end included) computes what it
    computes without: for each dtype the kernels use."""
    from numba import njit

    from mutuals.kernels.memory import prefetch

    @njit
    def gather_sum(values, idx, ahead):
        s = 0.0
        for p in range(idx.shape[0]):
            if ahead:
                prefetch(values, idx[min(p + 8, idx.shape[0] - 1)])
                prefetch(idx, p + 16)  # beyond the end: a hint never faults
            s += values[idx[p]]
        return s

    rng = np.random.default_rng(0)
    idx = rng.integers(0, 10_000, 5000).astype(np.int32)
    for dtype in (np.uint8, np.int32, np.int64, np.float64):
        values = rng.integers(0, 100, 10_000).astype(dtype)
        assert (
            gather_sum(values, idx, True)
            == gather_sum(values, idx, False)
            == float(values[idx].astype(np.float64).sum())
        )


@pytest.mark.parametrize("seed", range(6))
def test_skipping_settled_nodes_changes_nothing(seed):
    """The exact pruning: labels and gain equal, to the bit, to visiting every node
    on every sweep, on weighted graphs (non-integer weights too) and 0/1 ones, at
    several resolutions; and it does skip (fewer visits are not observable, so the
    graphs are large enough for the pruning to start: sweeps moving < 1/8 of nodes)."""
    from mutuals.kernels.community import louvain_local_moving

    rng = np.random.default_rng(seed)
    n = int(rng.integers(200, 3000))
    a = _random_symmetric(n, 8 * n, seed, weighted=seed % 2 == 0)
    if seed % 3 == 0:
        a.data = a.data * rng.random(a.data.size) + 0.1  # non-integer weights,
        a = (a + a.T) * 0.5  # made symmetric again
        a = sp.csr_matrix(a)
        a.sort_indices()
    strength = np.asarray(a.sum(axis=1)).ravel()
    m2 = float(a.sum())
    order = rng.permutation(n).astype(np.int64)
    skipped_any = 0
    for resolution in (0.5, 1.0, 2.0):
        out = []
        for skip in (False, True):
            labels = np.arange(n, dtype=np.int64)
            gain, skipped = louvain_local_moving(
                a.indptr,
                a.indices,
                a.data,
                strength,
                m2,
                order,
                resolution,
                labels,
                1e-12,
                1000,
                False,
                skip,
            )
            out.append((labels.tolist(), gain))
            assert skip or skipped == 0
            skipped_any += skipped
        assert out[0] == out[1]
    assert skipped_any > 0
