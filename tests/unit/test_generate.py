"""Generated follow graphs look like real ones, within stated ranges."""

import networkx as nx
import numpy as np
import pytest

from mutuals.errors import InputError
from mutuals.graphs.generate import (
    GraphSpec,
    PopulationSpec,
    generate_follow_graph,
    generate_population,
)


@pytest.fixture(scope="module")
def generated():
    acc = generate_population(PopulationSpec(n_accounts=4000), seed=3)
    g = generate_follow_graph(
        acc, GraphSpec(mean_follows=40, reciprocity=0.3, homophily=0.8), seed=4
    )
    return acc, g


def test_population(generated):
    acc, _ = generated
    assert acc.n == 4000
    shares = np.bincount(acc.community) / acc.n
    assert shares.tolist() == pytest.approx([0.1, 0.8, 0.1], abs=1e-3)
    assert abs(acc.activity.mean() - 1.0) < 0.1
    assert acc.activity.max() > 10 * np.median(acc.activity)  # heavy tail
    assert (
        acc.position[acc.community == 0].mean()
        < -0.4
        < 0.4
        < acc.position[acc.community == 2].mean()
    )


def test_graph_statistics_in_range(generated):
    acc, g = generated
    f, t = g.edges()
    G = nx.DiGraph()
    G.add_nodes_from(range(acc.n))
    G.add_edges_from(zip(f.tolist(), t.tolist(), strict=True))
    assert 30 <= f.size / acc.n <= 45  # mean follows near 40 (duplicates dropped)
    assert 0.25 <= nx.reciprocity(G) <= 0.4
    same = (acc.community[f] == acc.community[t]).mean()
    expected = 0.8 + 0.2 * (0.1 * 0.1 + 0.8 * 0.8 + 0.1 * 0.1)
    assert abs(same - expected) < 0.05
    indeg = g.followers_count
    assert indeg.max() > 15 * np.median(indeg)  # hubs
    density = f.size / (acc.n * (acc.n - 1))
    clustering = nx.average_clustering(G.to_undirected())
    assert clustering > 5 * density  # triadic closure gives far more triangles than chance


def test_same_seed_same_graph():
    acc = generate_population(PopulationSpec(n_accounts=500), seed=1)
    a = generate_follow_graph(acc, GraphSpec(mean_follows=10), seed=9).edges()
    b = generate_follow_graph(acc, GraphSpec(mean_follows=10), seed=9).edges()
    c = generate_follow_graph(acc, GraphSpec(mean_follows=10), seed=10).edges()
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[1], c[1])


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (GraphSpec, {"homophily": 1.5}),
        (GraphSpec, {"mean_follows": 0}),
        (GraphSpec, {"reciprocity": 1.0}),
        (PopulationSpec, {"n_accounts": 1}),
        (PopulationSpec, {"positions": (0.0,)}),
    ],
)
def test_bad_specs_raise(cls, kwargs):
    with pytest.raises(InputError):
        cls(**kwargs)
