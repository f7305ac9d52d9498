"""``mutuals analyze`` beyond memory, end to end: the route chosen from the row
counts (or forced), the out-of-core figures against the in-memory ones on a
small store, every estimate labelled with its method and interval, and a
user's files in the output folder never replaced."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from mutuals.cli.analyze import parse_size
from mutuals.cli.main import main
from mutuals.io.store import write_store
from mutuals.report.analyze import analyze_tables


def _tables() -> dict[str, pa.Table]:
    """Three planted communities of 150 accounts with hubs, labels on most accounts."""
    g = nx.planted_partition_graph(3, 150, 0.08, 0.004, seed=4, directed=True)
    rng = np.random.default_rng(4)
    edges = list(g.edges())
    edges += [(int(v), 0) for v in rng.choice(450, 120, replace=False) if v != 0]  # a hub
    edges += [(v, u) for u, v in edges if rng.random() < 0.3]  # follow-backs
    edges += [*edges[:40], (5, 5)]  # duplicates and a self-follow
    ids = [f"acct{i}" for i in range(460)]  # the last ten only in accounts, without follows
    community = [["red", "green", "blue"][i // 150] if i < 450 else None for i in range(460)]
    community[7] = None  # unlabelled
    accounts = pa.table({"platform": ["bluesky"] * 460, "account_id": ids, "community": community})
    follows = pa.table(
        {
            "platform": ["bluesky"] * len(edges),
            "follower_id": [ids[u] for u, _ in edges],
            "friend_id": [ids[v] for _, v in edges],
        }
    )
    return {"accounts": accounts, "follows": follows}


@pytest.fixture()
def store(tmp_path: Path) -> Path:
    write_store(tmp_path / "store", _tables())
    return tmp_path / "store"


def _estimated(x: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every dict of the summary marked estimated, with where it is."""
    found = []
    if isinstance(x, dict):
        if x.get("estimated") is True:
            found.append((path, x))
        for k, v in x.items():
            found += _estimated(v, f"{path}.{k}")
    return found


def test_out_of_core_equals_the_in_memory_figures(store, tmp_path):
    out = tmp_path / "ooc"
    res = CliRunner().invoke(main, ["analyze", str(store), "--out-of-core", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "route: out of core (asked for (--out-of-core))" in res.stdout
    assert "(estimated)" in res.stdout and "not measured out of core" in res.stdout
    got = json.loads((out / "summary.json").read_text())
    want = analyze_tables(_tables(), home_feed_k=0, n_boot=0).summary
    g, w = got["graph"], want["graph"]
    for key in ("accounts", "accounts_listed", "accounts_only_in_follows", "follows",
                "follow_rows", "duplicate_follows", "self_follows", "reciprocity"):  # fmt: skip
        assert g[key] == w[key], key
    for key in ("in_degree", "out_degree"):
        got_tail, want_tail = g[key].pop("tail_test"), w[key].pop("tail_test")
        assert g[key] == w[key], key
        # the lognormal's optimiser sees the degrees sorted here, in node order in
        # memory: its fit (and the test's p) agree up to the optimiser's tolerance
        for k in ("xmin", "n_tail", "alpha", "favoured"):
            assert got_tail.get(k) == want_tail.get(k), (key, k)
        assert got_tail.get("loglik_power_law") == pytest.approx(want_tail.get("loglik_power_law"))
    assert got["isolation"]["communities_from"] == "accounts.community"
    ei = got["isolation"]["ei_index"]
    assert ei.pop("estimated") is False
    assert ei == want["isolation"]["ei_index"]
    # clustering: estimated, within its interval of the exact value here
    cl = g["clustering"]
    assert cl["undirected_edges"] == w["clustering"]["undirected_edges"]
    for key in ("transitivity", "average"):
        f = cl[key]
        lo, hi = f["interval"]
        assert f["estimated"] is True and f["confidence"] == 0.95 and "Hoeffding" in f["bound"]
        assert lo <= w["clustering"][key] <= hi and hi - lo <= 2 * 0.005 + 1e-12
    lo, hi = cl["triangles"]["interval"]
    assert lo <= w["clustering"]["triangles"] <= hi
    # communities: every follow fits, so Louvain ran on the whole graph
    cm = g["communities"]
    assert cm["estimated"] is False and cm["subgraph"]["follows"] == w["follows"]
    assert cm["subgraph"]["accounts"] == 450 and cm["count"] >= 3
    # every estimated figure says how and within what
    marked = _estimated(got)
    assert {p for p, _ in marked} >= {".graph.clustering.transitivity", ".graph.clustering.average"}
    for path, d in marked:
        assert "method" in d and "interval" in d, path
        assert d["interval"] is not None or d.get("interval_reason"), path
    # tables
    deg = pq.read_table(out / "degree_distribution.parquet")
    want_deg = analyze_tables(_tables(), home_feed_k=0, n_boot=0).tables["degree_distribution"]
    assert deg.equals(want_deg)
    acc = pq.read_table(out / "account_degrees.parquet")
    assert acc.num_rows == 460 and sum(acc["in_degree"].to_pylist()) == w["follows"]
    assert pq.read_table(out / "ei_by_community.parquet").num_rows == 3
    assert pq.read_table(out / "core_communities.parquet").num_rows == 450
    assert not [p.name for p in out.iterdir() if "tmp" in p.name or p.name.startswith(".work")]
    assert not (out / "report.html").exists()


def test_the_route_follows_the_row_counts(store, tmp_path):
    runner = CliRunner()
    small = tmp_path / "small"
    res = runner.invoke(main, ["analyze", str(store), "--memory", "1MB", "--out", str(small)])
    assert res.exit_code == 0, res.output
    line = res.stderr.strip().splitlines()[0]
    rows = pq.ParquetFile(store / "follows.parquet").metadata.num_rows
    assert line.startswith(f"follows: {rows:,} rows") and "0.0 GB available" in line
    assert line.endswith("analysing out of core (--in-memory to force)")
    got = json.loads((small / "summary.json").read_text())
    assert got["route"]["in_memory_fits"] is False and got["route"]["memory_bytes"] == 10**6
    assert got["route"]["why"] in line
    # enough memory: the in-memory analysis, with its page
    big = tmp_path / "big"
    res = runner.invoke(main, ["analyze", str(store), "--memory", "64GB", "--out", str(big)])
    assert res.exit_code == 0, res.output
    assert "out of core" not in res.output and (big / "report.html").exists()
    assert "route" not in json.loads((big / "summary.json").read_text())
    # forced in memory though it does not fit: said, and done
    forced = tmp_path / "forced"
    res = runner.invoke(
        main, ["analyze", str(store), "--memory", "1MB", "--in-memory", "--out", str(forced)]
    )
    assert res.exit_code == 0, res.output
    assert "analysing in memory all the same (--in-memory)" in res.stderr
    assert (forced / "report.html").exists()


def test_in_memory_only_options_are_named(store, tmp_path):
    res = CliRunner().invoke(
        main,
        [
            "analyze",
            str(store),
            "--out-of-core",
            "--home-feed-k",
            "10",
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "not used out of core: --home-feed-k" in res.stderr


def test_a_users_file_in_the_output_folder_is_never_replaced(store, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "summary.json").write_text("my own notes\n")
    (out / "notes.txt").write_text("keep me\n")
    runner = CliRunner()
    args = ["analyze", str(store), "--out-of-core", "--out", str(out)]
    res = runner.invoke(main, args)
    assert res.exit_code != 0 and "is not empty and was not written by mutuals" in res.output
    res = runner.invoke(main, [*args, "--overwrite"])
    assert res.exit_code != 0 and "summary.json, which mutuals did not write" in res.output
    assert (out / "summary.json").read_text() == "my own notes\n"
    assert not (out / "degree_distribution.parquet").exists()
    (out / "summary.json").unlink()
    res = runner.invoke(main, [*args, "--overwrite"])
    assert res.exit_code == 0, res.output
    assert (out / "notes.txt").read_text() == "keep me\n"
    assert json.loads((out / "summary.json").read_text())["route"]["route"] == "out-of-core"


def test_out_of_core_then_in_memory_into_one_folder(store, tmp_path):
    """An analysis folder is ours: the second route's files replace the first's."""
    out = tmp_path / "a"
    runner = CliRunner()
    assert runner.invoke(main, ["analyze", str(store), "--out-of-core", "--out", str(out)]).exit_code == 0  # fmt: skip
    assert (out / "account_degrees.parquet").exists()
    res = runner.invoke(main, ["analyze", str(store), "--in-memory", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert (out / "report.html").exists() and not (out / "account_degrees.parquet").exists()


def test_json_output_and_a_store_without_follows(tmp_path):
    t = _tables()
    write_store(tmp_path / "s", {"accounts": t["accounts"]})
    res = CliRunner().invoke(
        main,
        [
            "analyze",
            str(tmp_path / "s"),
            "--out-of-core",
            "--json",
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert res.exit_code == 0, res.output
    got = json.loads(res.stdout)
    assert got["graph"]["available"] is False and got["graph"]["accounts"] == 460
    assert got["isolation"]["ei_index"]["ei"] is None  # labels, but no follow between them


def test_parse_size():
    assert parse_size("512MB") == 512 * 10**6 and parse_size("4GiB") == 4 * 2**30
    assert parse_size("1.5 gb") == 1_500_000_000 and parse_size("100") == 100
    res = CliRunner().invoke(main, ["analyze", ".", "--memory", "lots"])
    assert res.exit_code == 2 and "'lots' is not a size" in res.output


def test_same_files_at_one_and_two_threads(store, tmp_path):
    """Numba's thread count changes no figure and no table (DuckDB's: test_outofcore.py)."""
    import os
    import subprocess
    import sys

    got = []
    for threads in ("1", "2"):
        out = tmp_path / f"t{threads}"
        env = dict(os.environ, NUMBA_NUM_THREADS=threads)
        cmd = [
            sys.executable,
            "-m",
            "mutuals",
            "analyze",
            str(store),
            "--out-of-core",
            "--memory",
            "4GB",
        ]
        subprocess.run([*cmd, "--out", str(out)], env=env, check=True, capture_output=True)
        summary = json.loads((out / "summary.json").read_text())
        summary.pop("timings")
        summary["route"].pop("command")
        tables = {p.name: pq.read_table(p).to_pylist() for p in sorted(out.glob("*.parquet"))}
        got.append((summary, tables))
    assert got[0] == got[1]


def test_without_labels_the_ei_index_comes_from_the_core_communities(tmp_path):
    t = _tables()
    accounts = t["accounts"].drop_columns(["community"])
    write_store(tmp_path / "s", {"accounts": accounts, "follows": t["follows"]})
    runner = CliRunner()
    out = tmp_path / "o"
    res = runner.invoke(main, ["analyze", str(tmp_path / "s"), "--out-of-core", "--out", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    iso = json.loads((out / "summary.json").read_text())["isolation"]
    # every follow fits in this small store: the communities are the whole graph's
    assert iso["communities_from"] == "louvain on the whole graph (every follow fit)"
    assert iso["ei_index"]["estimated"] is False
    labels = pq.read_table(out / "core_communities.parquet")
    per = pq.read_table(out / "ei_by_community.parquet")
    assert sum(per["members"].to_pylist()) == labels.num_rows == 450
    assert iso["ei_index"]["unlabelled"] == 0
    # 1 MB for the subgraph (4,000 follows): only part of the graph, estimated
    small = tmp_path / "small"
    res = runner.invoke(
        main,
        ["analyze", str(tmp_path / "s"), "--out-of-core", "--memory", "2MB", "--out", str(small)],
    )
    assert res.exit_code == 0, res.output
    summary = json.loads((small / "summary.json").read_text())
    cm, iso = summary["graph"]["communities"], summary["isolation"]
    assert cm["estimated"] is True and 0 < cm["subgraph"]["follows"] < summary["graph"]["follows"]
    assert iso["communities_from"] == "louvain on the highest-degree subgraph"
    ei = iso["ei_index"]
    assert ei["estimated"] is True and ei["interval"] is None and ei["interval_reason"]
    assert ei["unlabelled"] == summary["graph"]["follows"] - cm["subgraph"]["follows"]
    assert "(estimated: the subgraph's follows only)" in res.stdout


def test_duckdb_failing_is_one_line_and_leaves_no_folder(store, tmp_path, monkeypatch):
    import duckdb

    from mutuals.metrics import outofcore as oc

    def fail(self):
        raise duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block\nmore")

    monkeypatch.setattr(oc.OutOfCore, "prepare", fail)
    out = tmp_path / "o"
    res = CliRunner().invoke(main, ["analyze", str(store), "--out-of-core", "--out", str(out)])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "DuckDB stopped (Out of Memory Error: could not allocate block)" in res.output
    assert not out.exists()  # a failed first write leaves no folder
