"""Wedge sampling: the Numba kernels against their plain-Python twins, the same
draws at one and two threads, and the estimates within their stated Hoeffding
bound on graphs whose clustering networkx counts exactly."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.stats import binom

from mutuals.errors import GraphError, InputError
from mutuals.kernels.wedges import (
    closed_wedges_at,
    closed_wedges_by_weight,
    reference_closed_wedges_at,
    reference_closed_wedges_by_weight,
)
from mutuals.metrics.graph import undirected_adjacency
from mutuals.metrics.outofcore import estimate_clustering, hoeffding_epsilon, wedges_for


def _adj(g: nx.Graph) -> sp.csr_matrix:
    g = nx.convert_node_labels_to_integers(g)
    e = np.array(list(g.edges()), dtype=np.int64).reshape(-1, 2)
    return undirected_adjacency(e[:, 0], e[:, 1], g.number_of_nodes())


def _hub_graph(n: int, seed: int) -> nx.Graph:
    """Clustered power-law graph plus two hubs joined to a third of the nodes:
    transitivity (hub-dominated) far below the average local clustering."""
    g = nx.powerlaw_cluster_graph(n, 3, 0.6, seed=seed)
    rng = np.random.default_rng(seed)
    for hub in (n, n + 1):
        for v in rng.choice(n, size=n // 3, replace=False):
            g.add_edge(hub, int(v))
    return g


GRAPHS = {
    "hubs": _hub_graph(300, 1),
    "powerlaw_cluster": nx.powerlaw_cluster_graph(400, 4, 0.4, seed=2),
    "planted_partition": nx.planted_partition_graph(4, 40, 0.3, 0.02, seed=3),
    "barabasi_albert": nx.barabasi_albert_graph(300, 3, seed=4),
}


def _draws(adj: sp.csr_matrix, k: int, seed: int):
    rng = np.random.default_rng(seed)
    deg = np.diff(adj.indptr)
    cum = np.cumsum(deg * (deg - 1) // 2)
    draw = rng.integers(0, cum[-1], size=k, dtype=np.int64)
    centres = np.flatnonzero(deg >= 2)[rng.integers(0, (deg >= 2).sum(), size=k)]
    return cum, draw, centres, rng.random(k), rng.random(k)


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_kernels_match_their_twins_sample_by_sample(name):
    adj = _adj(GRAPHS[name])
    ip, ix = adj.indptr.astype(np.int64), adj.indices
    cum, draw, centres, u1, u2 = _draws(adj, 3000, 7)
    fast = closed_wedges_by_weight(ip, ix, cum, draw, u1, u2)
    twin = reference_closed_wedges_by_weight(ip, ix, cum, draw, u1, u2)
    assert fast.tolist() == twin.tolist() and 0 < fast.sum() < fast.size
    fast = closed_wedges_at(ip, ix, centres, u1, u2)
    twin = reference_closed_wedges_at(ip, ix, centres, u1, u2)
    assert fast.tolist() == twin.tolist() and 0 < fast.sum() < fast.size


def test_extreme_uniforms_pick_the_first_and_last_neighbours():
    # star centre 0 with leaves 1..4 and one edge 3-4: only the pair {3, 4} is closed
    adj = _adj(nx.Graph([(0, 1), (0, 2), (0, 3), (0, 4), (3, 4)]))
    ip, ix = adj.indptr.astype(np.int64), adj.indices
    top = np.nextafter(1.0, 0.0)
    centres = np.zeros(4, dtype=np.int64)
    u1 = np.array([0.0, top, 0.5, top])
    u2 = np.array([top, 0.0, top, top])
    # neighbours 1, 2, 3, 4: (i, j) picks (1, 4), (4, 1), (3, 4) and (4, 3)
    want = [0, 0, 1, 1]
    assert closed_wedges_at(ip, ix, centres, u1, u2).tolist() == want
    assert reference_closed_wedges_at(ip, ix, centres, u1, u2).tolist() == want


def test_same_draws_same_result_at_one_and_two_threads():
    import numba

    adj = _adj(_hub_graph(2000, 5))
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = estimate_clustering(adj, 20000, 11)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = estimate_clustering(adj, 20000, 11)
    finally:
        numba.set_num_threads(before)
    assert one == two
    assert estimate_clustering(adj, 20000, 12) != one


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_estimates_stay_within_the_stated_bound(name):
    """Over many seeds the share of estimates outside the stated interval is at
    most delta (up to binomial noise), and their mean is the true value."""
    g = GRAPHS[name]
    adj = _adj(g)
    true_t = nx.transitivity(g)
    true_a = nx.average_clustering(g)
    k, confidence, runs = 400, 0.9, 120
    eps = hoeffding_epsilon(k, confidence)
    est = [estimate_clustering(adj, k, seed, confidence) for seed in range(runs)]
    assert all(e.epsilon == eps and e.samples == k for e in est)
    miss_t = sum(not (e.transitivity_interval[0] <= true_t <= e.transitivity_interval[1]) for e in est)  # fmt: skip
    miss_a = sum(not (e.average_interval[0] <= true_a <= e.average_interval[1]) for e in est)
    allowed = binom.ppf(0.999, runs, 1 - confidence)
    assert miss_t <= allowed and miss_a <= allowed, (miss_t, miss_a, allowed)
    for got, true in ((np.mean([e.transitivity for e in est]), true_t),
                      (np.mean([e.average for e in est]), true_a)):  # fmt: skip
        sd = math.sqrt(max(true * (1 - true), 1e-4) / (k * runs))
        assert abs(got - true) < 5 * sd, (got, true)
    tri = sum(nx.triangles(g).values()) / 3
    e = est[0]
    assert e.wedges == sum(d * (d - 1) // 2 for _, d in g.degree())
    assert math.isclose(3 * tri / e.wedges, true_t)
    assert all(math.isclose(x.triangles, x.transitivity * x.wedges / 3) for x in est)


def test_hub_graph_separates_the_two_estimators():
    """On the hub graph a sampler that drew centres uniformly (not by wedges)
    would report the average clustering as the transitivity: they differ by
    far more than the bound, so the bound test above would catch it."""
    g = GRAPHS["hubs"]
    e = estimate_clustering(_adj(g), 20000, 0)
    assert nx.average_clustering(g) - nx.transitivity(g) > 10 * e.epsilon
    assert abs(e.transitivity - nx.transitivity(g)) <= e.epsilon
    assert abs(e.average - nx.average_clustering(g)) <= e.epsilon


def test_complete_graph_star_and_no_wedges():
    e = estimate_clustering(_adj(nx.complete_graph(12)), 500, 3)
    assert e.transitivity == 1.0 and e.average == 1.0
    assert e.transitivity_interval == (1.0 - e.epsilon, 1.0)
    assert e.triangles == math.comb(12, 3) and e.wedges == 12 * math.comb(11, 2)
    e = estimate_clustering(_adj(nx.star_graph(30)), 500, 3)
    assert e.transitivity == 0.0 and e.average == 0.0
    assert e.transitivity_interval == (0.0, e.epsilon)
    assert e.nodes_degree_2 == 1 and e.nodes == 31
    # the average's bound is scaled by the share of nodes of degree >= 2
    assert e.average_interval == pytest.approx((0.0, e.epsilon / 31))
    e = estimate_clustering(_adj(nx.Graph([(0, 1), (2, 3)])), 500, 3)
    assert math.isnan(e.transitivity) and e.average == 0.0 and e.wedges == 0


def test_csr_arrays_and_matrix_give_the_same_estimate():
    adj = _adj(GRAPHS["powerlaw_cluster"])
    a = estimate_clustering(adj, 1000, 5)
    b = estimate_clustering((adj.indptr, adj.indices.astype(np.int32)), 1000, 5)
    assert a == b
    assert a.bound.startswith("Hoeffding: with 1,000 wedges")


def test_bad_inputs():
    with pytest.raises(GraphError, match="loops"):
        estimate_clustering(sp.csr_matrix(np.eye(3)), 10, 0)
    with pytest.raises(InputError, match="samples"):
        estimate_clustering(_adj(nx.complete_graph(3)), 0, 0)
    with pytest.raises(InputError, match="confidence"):
        estimate_clustering(_adj(nx.complete_graph(3)), 10, 0, confidence=1.0)


@pytest.mark.parametrize("eps", [0.1, 0.01, 0.003])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.999])
def test_wedges_for_gives_the_error_asked(eps, confidence):
    k = wedges_for(eps, confidence)
    assert k == math.ceil(math.log(2 / (1 - confidence)) / (2 * eps**2))
    assert hoeffding_epsilon(k, confidence) <= eps < hoeffding_epsilon(k - 1, confidence)
