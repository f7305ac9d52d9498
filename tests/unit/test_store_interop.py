"""Store.to_networkx and Store.to_igraph: node and edge counts equal the table rows,
attributes keep their types, and the follow edges read back through from_networkx."""

from __future__ import annotations

import collections
import datetime as dt
import sys

import networkx as nx
import pyarrow as pa
import pytest

from mutuals.errors import InputError
from mutuals.io.readers.graph import from_networkx
from mutuals.io.store import open_store, write_store

T0 = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
TS = pa.timestamp("us", tz="UTC")


def _store(tmp_path, platforms=("x",)):
    plat = platforms[0]
    accounts = pa.table(
        {
            "platform": [plat] * 4,
            "account_id": ["a", "b", "c", "a"],  # a twice: the first row wins
            "handle": ["alice", "bob", None, "other"],
            "community": ["A", "A", "B", None],
            "leaning": [-0.5, None, 0.7, None],
            "followers_count": [10, None, 3, 99],
            "created_at": pa.array([T0, None, T0, None], TS),
        }
    )
    # d appears only in follows, e only in interactions; a->b twice and a self-follow
    fol = [("a", "b"), ("b", "a"), ("a", "b"), ("c", "a"), ("d", "c"), ("c", "c")]
    follows = pa.table(
        {
            "platform": [platforms[-1] if i == 4 else plat for i in range(len(fol))],
            "follower_id": [u for u, _ in fol],
            "friend_id": [v for _, v in fol],
            "created_at": pa.array([T0 + dt.timedelta(days=i) for i in range(5)] + [None], TS),
        }
    )
    inter = [
        ("repost", "b", "a", "2", "1"),
        ("reply", "c", "a", "3", "1"),
        ("quote", "a", "c", "4", "5"),
        ("mention", "a", "e", "4", None),
        ("like", "b", "c", None, "5"),
        ("like", "b", "c", None, "6"),
        ("mention", "c", None, "7", None),  # no target: left out
    ]
    interactions = pa.table(
        {
            "platform": [plat] * len(inter),
            "kind": [r[0] for r in inter],
            "source_id": [r[1] for r in inter],
            "target_id": [r[2] for r in inter],
            "post_id": [r[3] for r in inter],
            "target_post_id": [r[4] for r in inter],
            "created_at": pa.array([T0 + dt.timedelta(hours=i) for i in range(len(inter))], TS),
        }
    )
    write_store(
        tmp_path / "s", {"accounts": accounts, "follows": follows, "interactions": interactions}
    )
    return open_store(tmp_path / "s")


def test_to_networkx_types_and_counts_equal_the_tables(tmp_path) -> None:
    s = _store(tmp_path)
    g = s.to_networkx()
    assert type(g) is nx.MultiDiGraph and g.is_directed() and g.is_multigraph()
    # a, b, c (accounts), d (follows), e (interactions)
    assert sorted(g.nodes) == ["a", "b", "c", "d", "e"]
    kinds = collections.Counter(k for _, _, k in g.edges(data="kind"))
    follows = s.table("follows")
    inter = s.table("interactions")
    assert kinds["follow"] == follows.num_rows == 6  # duplicates and the self-follow kept
    by_kind = collections.Counter(
        k
        for k, t in zip(inter["kind"].to_pylist(), inter["target_id"].to_pylist(), strict=True)
        if t
    )
    assert {k: kinds[k] for k in by_kind} == dict(by_kind)
    assert g.number_of_edges() == follows.num_rows + inter.num_rows - 1
    assert g.graph["interactions_without_target"] == 1
    assert g.number_of_edges("a", "b") == 2
    # node attributes: the first accounts row, typed
    a = g.nodes["a"]
    assert a["handle"] == "alice" and a["community"] == "A" and a["leaning"] == -0.5
    assert a["followers_count"] == 10 and isinstance(a["followers_count"], int)
    assert a["created_at"] == T0 and isinstance(a["created_at"], dt.datetime)
    assert "leaning" not in g.nodes["b"]  # nulls are absent, not None
    assert g.nodes["d"] == {"platform": "x", "account_id": "d"}
    # edge attributes
    e = [d for _, _, d in g.edges(data=True) if d["kind"] == "follow" and d["created_at"]]
    assert all(isinstance(d["created_at"], dt.datetime) for d in e)
    quote = next(d for u, v, d in g.edges(data=True) if d["kind"] == "quote")
    assert quote["time"] == T0 + dt.timedelta(hours=2) and quote["post_id"] == "4"
    assert quote["target_post_id"] == "5"
    assert [(u, v) for u, v, k in g.edges(data="kind") if k == "quote"] == [("a", "c")]


def test_to_networkx_without_interactions_round_trips_through_from_networkx(tmp_path) -> None:
    s = _store(tmp_path)
    g = s.to_networkx(interactions=False)
    assert g.number_of_edges() == s.table("follows").num_rows
    back = from_networkx(g, platform="x")
    bf = back["follows"]
    pairs = sorted(zip(bf["follower_id"].to_pylist(), bf["friend_id"].to_pylist(), strict=True))
    f = s.table("follows")
    assert pairs == sorted(
        zip(f["follower_id"].to_pylist(), f["friend_id"].to_pylist(), strict=True)
    )
    acc = {r["account_id"]: r for r in back["accounts"].to_pylist()}
    assert acc["a"]["handle"] == "alice" and acc["a"]["community"] == "A"
    assert acc["a"]["leaning"] == -0.5 and acc["c"]["leaning"] == 0.7
    assert acc["b"]["community"] == "A" and acc["b"]["leaning"] is None
    # the follow view of the full graph reads back the same
    full = s.to_networkx()
    view = nx.subgraph_view(full, filter_edge=lambda u, v, k: full[u][v][k]["kind"] == "follow")
    again = from_networkx(view, platform="x")
    assert again["follows"].num_rows == f.num_rows


def test_multi_platform_nodes_are_platform_id_pairs(tmp_path) -> None:
    s = _store(tmp_path, platforms=("x", "bluesky"))
    g = s.to_networkx()
    assert ("x", "a") in g and ("bluesky", "d") in g and ("x", "d") not in g
    assert g.nodes[("bluesky", "d")]["platform"] == "bluesky"
    assert g.number_of_edges(("bluesky", "d"), ("bluesky", "c")) == 1


def test_to_igraph_counts_equal_networkx(tmp_path) -> None:
    ig = pytest.importorskip("igraph")
    s = _store(tmp_path)
    h = s.to_igraph()
    g = s.to_networkx()
    assert isinstance(h, ig.Graph) and h.is_directed()
    assert h.vcount() == g.number_of_nodes() and h.ecount() == g.number_of_edges()
    assert h.vs["name"] == list(g.nodes)
    assert collections.Counter(h.es["kind"]) == collections.Counter(
        k for _, _, k in g.edges(data="kind")
    )
    a = h.vs.find(name="a")
    assert a["handle"] == "alice" and h.vs.find(name="d")["handle"] is None
    ab = h.es.select(_source=a.index, _target=h.vs.find(name="b").index)
    assert len(ab) == 2 and set(ab["kind"]) == {"follow"}
    assert h["interactions_without_target"] == 1
    assert h.ecount() == s.to_igraph(interactions=False).ecount() + 6


def test_to_igraph_without_the_extra_says_how_to_install(tmp_path, monkeypatch) -> None:
    s = _store(tmp_path)
    monkeypatch.setitem(sys.modules, "igraph", None)  # import igraph raises ImportError
    with pytest.raises(InputError, match=r"pip install 'mutuals\[igraph\]'") as e:
        s.to_igraph()
    assert "\n" not in str(e.value)


def test_empty_store_gives_an_empty_graph(tmp_path) -> None:
    write_store(tmp_path / "e", {})
    s = open_store(tmp_path / "e")
    g = s.to_networkx()
    assert g.number_of_nodes() == 0 and g.number_of_edges() == 0
    pytest.importorskip("igraph")
    assert s.to_igraph().vcount() == 0
