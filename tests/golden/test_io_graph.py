"""Graph readers: SNAP edge lists (real ego files and the combined graph), CSV,
Parquet, GraphML, GEXF and NetworkX."""

from __future__ import annotations

import gzip
from pathlib import Path

import networkx as nx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from helpers.reading import edges, read_all
from mutuals.errors import InputError
from mutuals.io.readers import detect, read
from mutuals.io.readers.graph import from_networkx
from mutuals.io.readreport import ReadReport


def test_snap_ego_file_adds_ego_follows_and_circles(shared_data: Path) -> None:
    path = shared_data / "graph-snap-ego-twitter/sample_egos/18988524.edges"
    pairs = [tuple(line.split()) for line in path.read_text().splitlines() if line.strip()]
    nodes = {n for p in pairs for n in p}
    t, rep = read_all(path)
    got = edges(t["follows"])
    assert got[: len(pairs)] == pairs  # file order, a follows b
    assert set(got[len(pairs) :]) == {("18988524", n) for n in nodes}
    assert rep.records == len(pairs) and rep.n_skipped == 0
    assert set(t["follows"].column("platform").to_pylist()) == {"graph:18988524"}
    circles = (shared_data / "graph-snap-ego-twitter/sample_egos/18988524.circles").read_text()
    circle_lines = [c.split() for c in circles.splitlines() if c.strip()]
    assert t["lists"].num_rows == len(circle_lines)
    assert t["list_members"].num_rows == sum(len(c) - 1 for c in circle_lines)
    assert set(t["lists"].column("owner_id").to_pylist()) == {"18988524"}


def test_snap_combined_gz_counts(shared_data: Path) -> None:
    path = shared_data / "graph-snap-ego-twitter/twitter_combined.txt.gz"
    assert detect(path) == "snap"
    with gzip.open(path, "rt") as f:
        n = sum(1 for line in f if line.strip() and not line.startswith("#"))
    rep = ReadReport(str(path))
    total = 0
    for name, chunk in read(path, report=rep, chunk_rows=500_000, platform="x"):
        assert name == "follows"
        assert chunk.num_rows <= 500_000
        total += chunk.num_rows
    assert total == n == 1_768_149
    assert rep.rows["follows"] == n


def test_snap_malformed_lines_are_counted(tmp_path: Path) -> None:
    p = tmp_path / "g.txt"
    p.write_text("# a comment\n1 2\n3 4\n5\n6 7 1.0\n8 9 10 11\n")
    t, rep = read_all(p, format="snap")  # too broken to be detected as SNAP
    assert edges(t["follows"]) == [("1", "2"), ("3", "4"), ("6", "7")]
    assert rep.skipped["malformed edge line (want 'follower friend [weight]')"] == 2
    assert rep.records == 5


@pytest.mark.parametrize(
    ("header", "kw"),
    [
        ("follower,friend", {}),
        ("source\ttarget", {}),
        ("who,whom", {"follower_col": "who", "friend_col": "whom"}),
    ],
)
def test_csv_edges(tmp_path: Path, header: str, kw: dict[str, str]) -> None:
    sep = "\t" if "\t" in header else ","
    p = tmp_path / "e.csv"
    p.write_text(header + "\n" + "\n".join(f"{a}{sep}{b}" for a, b in [(1, 2), (2, 3), (3, "")]))
    if not kw:
        assert detect(p) == "csv-edges"
    t, rep = read_all(p, format="csv-edges", **kw)
    assert edges(t["follows"]) == [("1", "2"), ("2", "3")]
    assert rep.skipped["edge with an empty follower or friend id"] == 1


def test_csv_without_known_columns_is_typed_error(tmp_path: Path) -> None:
    p = tmp_path / "e.csv"
    p.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="follower"):
        list(read(p, format="csv-edges"))


def test_parquet_edges(tmp_path: Path) -> None:
    p = tmp_path / "e.parquet"
    pq.write_table(pa.table({"src": [1, 2, 3], "dst": [2, 3, 1], "w": [0.1, 0.2, 0.3]}), p)
    assert detect(p) == "parquet-edges"
    t, _ = read_all(p, platform="bluesky")
    assert edges(t["follows"]) == [("1", "2"), ("2", "3"), ("3", "1")]
    assert set(t["follows"].column("platform").to_pylist()) == {"bluesky"}


@pytest.mark.parametrize("kind", ["graphml", "gexf"])
def test_xml_graphs(tmp_path: Path, kind: str) -> None:
    g = nx.DiGraph()
    g.add_edge("a", "b")
    g.add_edge("b", "c")
    g.add_node("lonely", label="Lonely One")
    p = tmp_path / f"g.{kind}"
    (nx.write_graphml if kind == "graphml" else nx.write_gexf)(g, p)
    assert detect(p) == kind
    t, _ = read_all(p)
    assert sorted(edges(t["follows"])) == [("a", "b"), ("b", "c")]
    accounts = {r["account_id"]: r for r in t["accounts"].to_pylist()}
    assert "lonely" in accounts  # isolated nodes are not lost


def test_from_networkx_undirected_reads_both_ways() -> None:
    g = nx.Graph()
    g.add_edge(1, 2)
    g.add_node(3, community="blue", leaning=-0.5)
    rep = ReadReport("g")
    t = from_networkx(g, report=rep)
    assert sorted(edges(t["follows"])) == [("1", "2"), ("2", "1")]
    acc = {r["account_id"]: r for r in t["accounts"].to_pylist()}
    assert acc["3"]["community"] == "blue" and acc["3"]["leaning"] == -0.5
    assert rep.noted["undirected graph: each edge read as a mutual follow"] == 1
    with pytest.raises(InputError):
        from_networkx([(1, 2)])


def test_labelled_edges_json(shared_data: Path) -> None:
    import json

    path = shared_data / "graph-twitter-follower-egos-anwar2021/hersheycareers.json"
    doc = json.loads(path.read_text())
    assert detect(path) == "labelled-edges-json"
    t, rep = read_all(path)
    assert edges(t["follows"]) == [(str(a), str(b)) for a, b in doc["edges"]]
    got = {r["account_id"]: r["community"] for r in t["accounts"].to_pylist()}
    assert got == doc["labels"]
    assert set(got.values()) == {"m", "f"}
    assert rep.n_skipped == 0


def test_csv_bad_rows_and_encoding_cost_only_themselves(tmp_path: Path) -> None:
    p = tmp_path / "e.csv"
    p.write_bytes(b"follower,friend\n1,2\n3,4,5\n\xff\xfe,6\n7,8\n")
    t, rep = read_all(p)
    assert edges(t["follows"]) == [("1", "2"), ("7", "8")]
    assert rep.skipped["malformed CSV row (wrong number of fields)"] == 1
    assert rep.skipped["edge with an empty follower or friend id"] == 1
    assert rep.noted["id that is not valid UTF-8 (edge skipped)"] == 1
    assert rep.records == 4


def test_csv_column_error_stays_short_on_a_file_that_is_not_a_table(tmp_path: Path) -> None:
    """A JSON file forced through csv-edges: the error names a few columns, shortened,
    not the whole first line split at commas."""
    p = tmp_path / "tweets.jsonl"
    p.write_text(
        '{"data": ['
        + ", ".join(f'{{"id": "{i}", "text": "{"x" * 80}"}}' for i in range(200))
        + "]}\n"
    )
    with pytest.raises(InputError, match="follower") as e:
        list(read(p, format="csv-edges"))
    msg = str(e.value)
    assert len(msg) < 600 and "\n" not in msg and "more" in msg
