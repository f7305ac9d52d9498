"""The metrics' fast kernels (triangles, Louvain, Kendall's tau-b) against their pure-Python twins
in helpers/naive.py."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import naive
from helpers.graphs import _adj_and_weights
from helpers.tables import follows_table
from mutuals.io.schema import empty_table
from mutuals.metrics.feeds import kendall_tau_b
from mutuals.metrics.graph import (
    follow_graph,
    louvain,
    triangles,
)
from mutuals.metrics.isolation import (
    outside_exposure,
)

_follows = follows_table


@pytest.mark.parametrize("seed", [0, 5])
def test_triangle_kernel_matches_reference_twin(seed):
    u = nx.gnp_random_graph(50, 0.2, seed=seed)
    adj = nx.to_scipy_sparse_array(u, nodelist=range(50), format="csr")
    sets = [set(u.neighbors(i)) for i in range(50)]
    assert triangles(sp.csr_matrix(adj)).tolist() == naive.triangles(sets)


def _hub_graph(n: int, m: int, seed: int) -> sp.csr_matrix:
    """A random simple graph with hubs (Pareto-distributed endpoints)."""
    rng = np.random.default_rng(seed)
    u = rng.integers(0, n, m)
    v = (rng.pareto(1.1, m) * 2).astype(np.int64) % n
    a = sp.coo_matrix((np.ones(m), (u, v)), shape=(n, n)).tocsr()
    a = ((a + a.T) > 0).astype(np.int8).tolil()
    a.setdiag(0)
    return sp.csr_matrix(a.tocsr(), dtype=np.int8)


@pytest.mark.parametrize(("n", "m", "seed"), [(60, 300, 1), (400, 6000, 2), (2000, 30000, 3)])
def test_oriented_triangles_match_the_plain_forward_twin_and_networkx(n, m, seed):
    from mutuals.kernels.community import triangles_per_node

    adj = _hub_graph(n, m, seed)
    adj.eliminate_zeros()
    got = triangles(adj)
    deg = np.diff(adj.indptr)
    rank = np.empty(n, np.int64)
    rank[np.lexsort((np.arange(n), deg))] = np.arange(n)
    twin = triangles_per_node(adj.indptr.astype(np.int64), adj.indices.astype(np.int64), rank)
    assert got.tolist() == twin.tolist()
    g = nx.from_scipy_sparse_array(adj)
    assert got.tolist() == [nx.triangles(g)[i] for i in range(n)]
    if n <= 60:
        sets = [set(np.flatnonzero(adj[i].toarray().ravel()).tolist()) for i in range(n)]
        assert got.tolist() == naive.triangles(sets)


def test_triangles_are_the_same_at_one_and_two_threads():
    import numba

    adj = _hub_graph(3000, 60000, 7)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = triangles(adj)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = triangles(adj)
    finally:
        numba.set_num_threads(before)
    assert one.tolist() == two.tolist() and one.sum() > 0


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_louvain_kernel_matches_reference_twin(seed):
    u = nx.planted_partition_graph(4, 12, 0.5, 0.05, seed=seed)
    rng = np.random.default_rng(seed)
    for a, b in u.edges():
        u[a][b]["weight"] = float(rng.integers(1, 4))
    adj, w = _adj_and_weights(u, u.number_of_nodes(), weighted=True)
    fast = louvain(adj, seed=seed)
    ref = naive.louvain(w, u.number_of_nodes(), seed=seed)
    assert naive.same_partition(fast, ref)


@st.composite
def _weighted_graphs(draw):
    n = draw(st.integers(1, 25))
    pairs = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.integers(1, 5))
    edges = draw(st.lists(pairs, max_size=60))
    w: dict[tuple[int, int], float] = {}
    for a, b, x in edges:
        key = (min(a, b), max(a, b))
        w[key] = w.get(key, 0.0) + float(x)
    return n, w


@settings(max_examples=60, deadline=None)
@given(_weighted_graphs(), st.integers(0, 2**16), st.sampled_from([0.5, 1.0, 2.0]))
def test_louvain_twin_property(graph, seed, resolution):
    n, w = graph
    rows, cols, data = [], [], []
    for (a, b), x in w.items():
        if a == b:
            rows.append(a)
            cols.append(a)
            data.append(x)
        else:
            rows += [a, b]
            cols += [b, a]
            data += [x, x]
    adj = sp.csr_matrix((data, (rows, cols)), shape=(n, n))
    fast = louvain(adj, seed=seed, resolution=resolution)
    ref = naive.louvain(w, n, seed=seed, resolution=resolution)
    assert naive.same_partition(fast, ref)
    # labels are 0..K-1 by decreasing size
    sizes = np.bincount(fast)
    assert (np.diff(sizes) <= 0).all()


def test_louvain_kernel_sees_neighbour_communities_on_every_sweep():
    """Regression (found by the twin property test): the kernel marked a node's
    neighbour communities with the node's id, so on its next sweep it skipped them and
    node 1 could not move from community {1, 3, 4} to {0}; the reference did."""
    w = {(0, 0): 1.0, (0, 1): 1.0, (1, 4): 2.0, (2, 2): 4.0, (3, 4): 2.0}
    rows, cols, data = [], [], []
    for (a, b), x in w.items():
        rows += [a] if a == b else [a, b]
        cols += [a] if a == b else [b, a]
        data += [x] if a == b else [x, x]
    adj = sp.csr_matrix((data, (rows, cols)), shape=(5, 5))
    fast = louvain(adj, seed=97, resolution=2.0)
    assert naive.same_partition(fast, naive.louvain(w, 5, seed=97, resolution=2.0))
    assert naive.same_partition(fast, [0, 0, 1, 2, 2])


def test_tau_b_against_pairwise_definition():
    rng = np.random.default_rng(0)
    for _ in range(20):
        x = rng.integers(0, 5, 40)
        y = rng.integers(0, 4, 40)
        assert kendall_tau_b(x, y)[0] == pytest.approx(naive.tau_b(x.tolist(), y.tolist()))


def test_outside_exposure_matches_brute_force():
    d = nx.gnp_random_graph(60, 0.1, seed=4, directed=True)
    edges = [(str(u), str(v)) for u, v in d.edges()]
    g = follow_graph(empty_table("accounts"), _follows(edges))
    rng = np.random.default_rng(1)
    labels = rng.integers(-1, 3, g.n_accounts)
    w = rng.integers(0, 5, g.n_accounts)
    ex = outside_exposure(g, labels, w)
    for i in range(g.n_accounts):
        friends = g.friend[g.follower == i]
        friends = friends[labels[friends] >= 0] if labels[i] >= 0 else friends[:0]
        tot = w[friends].sum()
        if tot == 0:
            assert np.isnan(ex.account_share[i])
        else:
            out = w[friends][labels[friends] != labels[i]].sum()
            assert ex.account_share[i] == pytest.approx(out / tot)
