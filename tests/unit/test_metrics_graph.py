from __future__ import annotations

import networkx as nx
import numpy as np
import pyarrow as pa
import pytest
import scipy.sparse as sp

from helpers import naive
from helpers.graphs import _adj_and_weights
from helpers.tables import follows_table
from mutuals.errors import GraphError, InputError
from mutuals.io.schema import empty_table
from mutuals.io.store import conform
from mutuals.metrics.graph import (
    clustering,
    degree_summary,
    detect_communities,
    fit_power_law,
    follow_graph,
    louvain,
    modularity,
    reciprocity,
)

_follows = follows_table


def _accounts(ids: list[str], platform: str = "x") -> pa.Table:
    return conform("accounts", pa.table({"platform": [platform] * len(ids), "account_id": ids}))


def _random_digraph(n: int, p: float, seed: int) -> nx.DiGraph:
    return nx.gnp_random_graph(n, p, seed=seed, directed=True)


def _graph_of(g: nx.DiGraph):
    edges = [(str(u), str(v)) for u, v in g.edges()]
    accounts = _accounts([str(u) for u in g.nodes()])
    return follow_graph(accounts, _follows(edges))


def test_index_counts_unlisted_duplicates_and_self_follows():
    accounts = _accounts(["a", "b", "z"])
    follows = _follows([("a", "b"), ("a", "b"), ("b", "c"), ("c", "c"), ("c", "a")])
    g = follow_graph(accounts, follows)
    assert g.n_accounts == 4  # a, b, z listed; c referenced only
    assert g.index.n_listed == 3
    assert g.n_unlisted == 1
    assert g.index.account_id.to_pylist() == ["a", "b", "z", "c"]
    assert g.n_rows == 5 and g.n_duplicates == 1 and g.n_self_follows == 1
    assert g.n_follows == 3
    assert g.in_degree.tolist() == [1, 1, 0, 1]
    assert g.out_degree.tolist() == [1, 1, 0, 1]
    assert g.index.lookup(pa.array(["x", "x", "x"]), pa.array(["c", "q", None])).tolist() == [
        3,
        -1,
        -1,
    ]


def test_platforms_are_kept_apart():
    follows = pa.concat_tables([_follows([("1", "2")], "x"), _follows([("1", "2")], "bluesky")])
    g = follow_graph(empty_table("accounts"), follows)
    assert g.n_accounts == 4
    assert g.n_follows == 2
    assert sorted(
        zip(g.index.platform.to_pylist(), g.index.account_id.to_pylist(), strict=True)
    ) == [
        ("bluesky", "1"),
        ("bluesky", "2"),
        ("x", "1"),
        ("x", "2"),
    ]


def test_input_validation():
    with pytest.raises(InputError, match="lacks column"):
        follow_graph(empty_table("accounts"), pa.table({"platform": ["x"], "follower_id": ["1"]}))
    with pytest.raises(InputError, match=r"pyarrow\.Table"):
        follow_graph(empty_table("accounts"), {"follower_id": ["1"]})  # type: ignore[arg-type]
    with pytest.raises(GraphError, match="symmetric"):
        louvain(sp.csr_matrix(np.array([[0, 1], [0, 0]])))


def test_empty_graph():
    g = follow_graph(empty_table("accounts"), empty_table("follows"))
    assert g.n_accounts == 0 and g.n_follows == 0
    r = reciprocity(g)
    assert r.edges == 0 and np.isnan(r.reciprocity)
    assert np.isnan(clustering(g).average)
    assert detect_communities(g, seed=1).n_communities == 0
    assert degree_summary(g.in_degree).n == 0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_reciprocity_matches_networkx(seed):
    d = _random_digraph(60, 0.08, seed)
    d.add_edges_from([(v, u) for u, v in list(d.edges())[:40]])  # make some mutual
    g = _graph_of(d)
    r = reciprocity(g)
    assert r.reciprocity == pytest.approx(nx.overall_reciprocity(d))
    a = d.number_of_edges() / (60 * 59)
    assert r.rho == pytest.approx((r.reciprocity - a) / (1 - a))
    mutual = sum(1 for u, v in d.edges() if d.has_edge(v, u)) // 2
    assert r.mutual_pairs == mutual


def test_degrees_match_networkx():
    d = _random_digraph(80, 0.05, 7)
    g = _graph_of(d)
    ids = [int(x) for x in g.index.account_id.to_pylist()]
    assert g.in_degree.tolist() == [d.in_degree(i) for i in ids]
    assert g.out_degree.tolist() == [d.out_degree(i) for i in ids]
    s = degree_summary(g.in_degree)
    assert s.mean == pytest.approx(np.mean(g.in_degree))
    assert s.median == np.median(g.in_degree)
    assert s.max == g.in_degree.max()


def test_gini_hand_computed():
    # values 0, 0, 0, 4: Gini = (sum_i (2i - n - 1) x_i) / (n sum x) = (3 * 4) / (4 * 4)
    assert degree_summary(np.array([0, 4, 0, 0])).gini == pytest.approx(0.75)
    assert degree_summary(np.array([3, 3, 3])).gini == pytest.approx(0.0)


def test_power_law_continuous_closed_form():
    x = np.array([1.0, 2.0, 4.0, 8.0, 3.0])
    fit = fit_power_law(x, discrete=False, xmin=1.0)
    assert fit.alpha == pytest.approx(1 + 5 / np.log(x).sum())
    assert fit.n_tail == 5


def test_power_law_discrete_is_the_likelihood_maximum():
    from scipy.special import zeta

    rng = np.random.default_rng(3)
    x = np.floor(rng.pareto(1.5, 3000) * 3 + 1).astype(int)
    fit = fit_power_law(x, discrete=True, xmin=4)
    tail = x[x >= 4]
    grid = np.linspace(1.05, 5, 4000)
    ll = [-tail.size * np.log(zeta(a, 4)) - a * np.log(tail).sum() for a in grid]
    assert fit.alpha == pytest.approx(grid[int(np.argmax(ll))], abs=2e-3)


def test_power_law_recovers_exponent():
    # exact discrete power law alpha = 2.5, xmin = 1, by inverse transform on a long support
    from scipy.special import zeta

    rng = np.random.default_rng(11)
    support = np.arange(1, 200_000, dtype=float)
    p = support**-2.5 / zeta(2.5, 1)
    cdf = np.cumsum(p)
    x = support[np.minimum(np.searchsorted(cdf, rng.random(20000)), support.size - 1)]
    fit = fit_power_law(x, discrete=True)
    assert fit.alpha == pytest.approx(2.5, abs=0.08)
    assert fit.xmin <= 5
    assert np.isnan(fit_power_law(np.array([1, 2, 3]), min_tail=50).alpha)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_clustering_matches_networkx(seed):
    d = _random_digraph(70, 0.1, seed)
    g = _graph_of(d)
    u = d.to_undirected()
    ids = [int(x) for x in g.index.account_id.to_pylist()]
    c = clustering(g)
    assert c.average == pytest.approx(nx.average_clustering(u))
    assert c.transitivity == pytest.approx(nx.transitivity(u))
    tri = nx.triangles(u)
    assert c.triangles == sum(tri.values()) // 3
    local = nx.clustering(u)
    assert c.local.tolist() == pytest.approx([local[i] for i in ids])


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_modularity_matches_networkx(seed):
    u = nx.gnp_random_graph(40, 0.15, seed=seed)
    adj, _ = _adj_and_weights(u, 40)
    labels = np.random.default_rng(seed).integers(0, 4, 40)
    comms = [set(np.flatnonzero(labels == c).tolist()) for c in range(4)]
    comms = [c for c in comms if c]
    assert modularity(adj, labels) == pytest.approx(nx.community.modularity(u, comms))
    assert modularity(adj, labels, resolution=0.5) == pytest.approx(
        nx.community.modularity(u, comms, resolution=0.5)
    )


def test_louvain_is_seeded_and_good():
    u = nx.karate_club_graph()
    adj, _ = _adj_and_weights(u, 34)
    a = louvain(adj, seed=42)
    b = louvain(adj, seed=42)
    assert a.tolist() == b.tolist()
    ours = np.mean([modularity(adj, louvain(adj, seed=s)) for s in range(8)])
    theirs = np.mean(
        [
            nx.community.modularity(
                u, nx.community.louvain_communities(u, weight=None, seed=s), weight=None
            )
            for s in range(8)
        ]
    )
    assert ours >= theirs - 0.01
    assert modularity(adj, a) > 0.38  # the optimum is 0.4198 (Brandes et al. 2008)


def test_louvain_recovers_planted_partition():
    u = nx.planted_partition_graph(5, 30, 0.4, 0.005, seed=3)
    adj, _ = _adj_and_weights(u, 150)
    labels = louvain(adj, seed=0)
    truth = np.repeat(np.arange(5), 30)
    assert naive.same_partition(labels, truth)
    assert np.bincount(labels).tolist() == [30] * 5


def test_detect_communities_on_follow_graph():
    u = nx.planted_partition_graph(3, 20, 0.5, 0.01, seed=9)
    d = nx.DiGraph()
    d.add_nodes_from(u.nodes())
    d.add_edges_from(u.edges())
    g = _graph_of(d)
    c = detect_communities(g, seed=4)
    assert c.n_communities == 3
    assert c.sizes.tolist() == [20, 20, 20]
    assert c.modularity == pytest.approx(modularity(g.undirected, c.labels))


def test_snap_ego_file_matches_networkx(shared_data):
    path = shared_data / "graph-snap-ego-twitter" / "sample_egos" / "18988524.edges"
    edges = [tuple(line.split()) for line in path.read_text().splitlines() if line.strip()]
    g = follow_graph(empty_table("accounts"), _follows(edges))
    d = nx.DiGraph()
    d.add_edges_from((a, b) for a, b in edges if a != b)
    assert g.n_follows == d.number_of_edges()
    assert reciprocity(g).reciprocity == pytest.approx(nx.overall_reciprocity(d))
    assert clustering(g).average == pytest.approx(nx.average_clustering(d.to_undirected()))
