from __future__ import annotations

import datetime as dt
import json

import networkx as nx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from mutuals.cli.main import main
from mutuals.errors import InputError
from mutuals.io.store import write_store
from mutuals.report.analyze import analyze_tables, format_summary

TS = pa.timestamp("us", tz="UTC")


def _tables() -> dict[str, pa.Table]:
    t0 = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
    accounts = pa.table(
        {
            "platform": ["x"] * 4,
            "account_id": ["a", "b", "c", "d"],
            "followers_count": [100, 10, None, 1],
            "leaning": [-1.0, -0.8, 0.7, 0.9],
        }
    )
    # two tight groups {a, b, e} and {c, d, f}; e and f appear only in follows
    edges = [("a", "b"), ("b", "a"), ("e", "a"), ("a", "e"), ("b", "e"), ("c", "d"), ("d", "c")]
    edges += [("f", "c"), ("c", "f"), ("d", "f"), ("a", "c")]
    follows = pa.table(
        {
            "platform": ["x"] * len(edges),
            "follower_id": [u for u, _ in edges],
            "friend_id": [v for _, v in edges],
        }
    )
    posts = pa.table(
        {
            "platform": ["x"] * 5,
            "post_id": ["1", "2", "3", "4", "5"],
            "author_id": ["a", "b", "c", "d", "b"],
            "created_at": pa.array([t0 + dt.timedelta(hours=h) for h in range(5)], TS),
            "kind": ["post", "repost", "post", "repost", "reply"],
            "repost_of_id": [None, "1", None, "3", None],
            "parent_id": [None, None, None, None, "1"],
            "hashtags": [["vote"], ["vote"], ["vote", "other"], [], None],
        }
    )
    interactions = pa.table(
        {
            "platform": ["x"] * 3,
            "kind": ["repost", "repost", "reply"],
            "source_id": ["b", "d", "b"],
            "target_id": ["a", "c", "a"],
            "post_id": ["2", "4", "5"],
            "target_post_id": ["1", "3", "1"],
        }
    )
    return {"accounts": accounts, "follows": follows, "posts": posts, "interactions": interactions}


@pytest.fixture()
def store(tmp_path):
    write_store(tmp_path / "store", _tables())
    return tmp_path / "store"


def test_cli_prints_and_writes(store, tmp_path):
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["analyze", str(store), "--out", str(out), "--hashtag", "Vote"])
    assert res.exit_code == 0, res.output
    assert "reciprocity" in res.output and "E-I index" in res.output
    assert "#vote adopters 3" in res.output
    summary = json.loads((out / "summary.json").read_text())
    g = summary["graph"]
    assert g["accounts"] == 6 and g["accounts_only_in_follows"] == 2 and g["follows"] == 11
    d = nx.DiGraph(
        [(u, v) for u, v in zip(*[_tables()["follows"][c].to_pylist() for c in
                                  ("follower_id", "friend_id")], strict=True)]
    )  # fmt: skip
    assert g["reciprocity"]["reciprocity"] == pytest.approx(nx.overall_reciprocity(d))
    assert g["clustering"]["average"] == pytest.approx(nx.average_clustering(d.to_undirected()))
    assert g["communities"]["count"] == 2
    assert summary["isolation"]["leaning_homophily"]["available"] is True
    assert summary["reach"]["posts"] == 3
    assert summary["hashtags"]["network"]["adopters"] == 3
    for name in ("accounts", "degree_distribution", "post_reach", "hashtags_by_day",
                 "hashtag_network_edges", "ei_by_community", "exposure_by_community"):  # fmt: skip
        assert (out / f"{name}.parquet").exists(), name
    acc = pq.read_table(out / "accounts.parquet")
    assert acc.num_rows == 6
    assert (
        dict(zip(acc["account_id"].to_pylist(), acc["followers"].to_pylist(), strict=True))["c"]
        == 3
    )  # no reported count: followers measured in follows (d, f, a)
    reach = {r["post_id"]: r for r in pq.read_table(out / "post_reach.parquet").to_pylist()}
    assert reach["1"]["reach"] == 2 and reach["1"]["cascade_size"] == 1


def test_cli_json_default_out_and_seeded(store):
    runner = CliRunner()
    a = runner.invoke(main, ["analyze", str(store), "--json", "--seed", "3"])
    b = runner.invoke(main, ["analyze", str(store), "--json", "--seed", "3"])
    assert a.exit_code == 0, a.output
    sa, sb = json.loads(a.output), json.loads(b.output)
    sa.pop("timings")
    sb.pop("timings")
    assert sa == sb
    assert (store / "analysis" / "summary.json").exists()


def test_cli_errors_are_messages_not_tracebacks(tmp_path):
    res = CliRunner().invoke(main, ["analyze", str(tmp_path / "nope")])
    assert res.exit_code != 0
    assert "not a folder" in res.output
    assert "Traceback" not in res.output
    res = CliRunner().invoke(main, ["analyze", str(tmp_path), "--seed", "-1"])
    assert res.exit_code != 0


def test_empty_store_reports_not_available(tmp_path):
    write_store(tmp_path / "s", {})
    res = CliRunner().invoke(main, ["analyze", str(tmp_path / "s")])
    assert res.exit_code == 0, res.output
    assert "not available (no posts or interactions in the data)" in res.output
    assert "leaning homophily: not available" in res.output


def test_analyze_tables_validation():
    with pytest.raises(InputError, match="unknown tables"):
        analyze_tables({"tweets": pa.table({"a": [1]})})
    with pytest.raises(InputError, match="required column"):
        analyze_tables({"follows": pa.table({"platform": ["x"], "follower_id": ["1"]})})
    a = analyze_tables(_tables(), n_boot=50)
    assert "follow graph" in format_summary(a.summary)


def test_snap_ego_store(shared_data, tmp_path):
    path = shared_data / "graph-snap-ego-twitter" / "sample_egos" / "31464977.edges"
    edges = [line.split() for line in path.read_text().splitlines() if line.strip()]
    follows = pa.table(
        {
            "platform": ["graph"] * len(edges),
            "follower_id": [e[0] for e in edges],
            "friend_id": [e[1] for e in edges],
        }
    )
    write_store(tmp_path / "ego", {"follows": follows})
    res = CliRunner().invoke(main, ["analyze", str(tmp_path / "ego"), "--json"])
    assert res.exit_code == 0, res.output
    s = json.loads(res.output)
    d = nx.DiGraph([(a, b) for a, b in edges if a != b])
    assert s["graph"]["follows"] == d.number_of_edges()
    assert s["graph"]["accounts"] == d.number_of_nodes() + len(
        {a for a, b in edges if a == b} - set(d.nodes)
    )
    assert s["graph"]["clustering"]["transitivity"] == pytest.approx(
        nx.transitivity(d.to_undirected())
    )


def test_interactions_only_store(tmp_path):
    t = _tables()
    write_store(tmp_path / "s", {"interactions": t["interactions"], "posts": t["posts"]})
    res = CliRunner().invoke(main, ["analyze", str(tmp_path / "s"), "--json"])
    assert res.exit_code == 0, res.output
    s = json.loads(res.output)
    assert s["graph"]["available"] is False
    assert "reciprocity" not in s["graph"]
    assert s["graph"]["communities"]["available"] is False
    assert s["isolation"]["available"] is False
    assert s["reach"]["posts"] == 3
    # no follows and no accounts: follower counts are unknown, never made up
    assert s["reach"]["posts_author_followers_unknown"] == 3
    assert s["reach"]["reach_vs_followers"]["n"] == 0


@pytest.mark.parametrize(
    "rel",
    [
        "bluesky-jetstream-corpus/expected_v1.jsonl",
        "twitter-v1-python-twitter/get_user_timeline.json",
        "twarc-csv-testdata/withheld.jsonl",
    ],
)
def test_analyze_tiny_real_stores_leak_no_warnings(shared_data, tmp_path, rel):
    """Measures on tiny stores (undefined correlations) print n/a, not numpy warnings."""
    import warnings

    from mutuals.io.ingest import ingest

    ingest([shared_data / rel], tmp_path / "s")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = CliRunner().invoke(main, ["analyze", str(tmp_path / "s")])
    assert res.exit_code == 0, res.output
    assert res.exception is None


def test_analyze_refuses_a_folder_that_is_not_a_store(tmp_path):
    """A folder with no store.json and no table files is a user error, not an empty store;
    nothing is written into it."""
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "cat.jpg").write_bytes(b"\xff\xd8")
    res = CliRunner().invoke(main, ["analyze", str(folder)])
    assert res.exit_code == 1
    assert "is not a mutuals store" in res.output and "mutuals ingest" in res.output
    assert "Traceback" not in res.output
    assert sorted(p.name for p in folder.iterdir()) == ["cat.jpg"]


def test_hashtag_not_in_the_store_is_a_clear_error(store, tmp_path):
    out = tmp_path / "out"
    res = CliRunner().invoke(
        main, ["analyze", str(store), "--hashtag", "#nosuchtag", "--out", str(out)]
    )
    assert res.exit_code == 1
    line = res.output.strip()
    assert line.startswith("Error: ") and "\n" not in line
    assert "#nosuchtag" in line and "#vote" in line  # names what is there to choose from
    assert not out.exists()
    with pytest.raises(InputError, match="no post uses"):
        analyze_tables({"posts": _tables()["posts"]}, hashtag="nosuchtag")
    with pytest.raises(InputError, match="no hashtags"):
        analyze_tables({}, hashtag="vote")
    # matching is case- and '#'-insensitive
    res = CliRunner().invoke(main, ["analyze", str(store), "--hashtag", "#VOTE", "--out", str(out)])
    assert res.exit_code == 0 and "#vote adopters 3" in res.output


def test_reach_line_says_how_many_posts_are_only_referenced(shared_data, tmp_path):
    """Reach counts posts in the data and posts only known as interaction targets; the
    summary says which, so it can be squared with the store's posts table."""
    from mutuals.io.ingest import ingest

    ingest([shared_data / "twitter-v1-python-twitter/get_user_timeline.json"], tmp_path / "s")
    res = CliRunner().invoke(main, ["analyze", str(tmp_path / "s"), "--bootstrap", "0"])
    assert res.exit_code == 0, res.output
    # 21 posts in the file (20 statuses + 1 quoted); 7 replied-to posts are not in it
    assert "posts 28 (21 in the data, 7 only referenced; reposts excluded)" in res.output
