"""``mutuals analyze`` reconstructs home feeds on a real store (an X archive, whose
owner's followers see the owner's posts), on a simulated store, and says in one
line why it cannot on a store without follows."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from click.testing import CliRunner

from mutuals.cli.main import main
from mutuals.io.ingest import ingest

FEED_COLUMNS = [
    "home_feed_items",
    "home_feed_topic_repetition",
    "home_feed_source_repetition",
    "home_feed_repetition",
    "home_feed_outside_share",
]


def _analyze(store: Path, out: Path, *extra: str) -> dict[str, Any]:
    res = CliRunner().invoke(
        main, ["analyze", str(store), "--out", str(out), "--bootstrap", "0", *extra]
    )
    assert res.exit_code == 0, res.output
    assert "home feeds" in res.output and "Traceback" not in res.output
    summary: dict[str, Any] = json.loads((out / "summary.json").read_text())
    return summary


def _check_section(summary: dict[str, Any], out: Path) -> dict[str, Any]:
    hf = summary["home_feed"]
    assert hf["k"] == 50 and hf["as_of"] and hf["accounts_with_feed"] > 0
    assert 0 < hf["mean_items"] <= 50
    for part in ("topics", "sources", "combined"):
        r = hf["repetition"][part]
        assert 0 <= r["mean"] <= 1 and 0 <= r["median"] <= 1 and r["accounts"] > 0
    x = hf["outside_share"]
    assert 0 <= x["pooled"] <= 1 and 0 <= x["mean_account_share"] <= 1
    assert hf["by_community"] and "home_feed" in summary["timings"]
    acc = pq.read_table(out / "accounts.parquet", columns=FEED_COLUMNS).to_pydict()
    for col in FEED_COLUMNS[1:]:
        vals = [v for v in acc[col] if v is not None and not math.isnan(v)]
        assert vals and all(0 <= v <= 1 for v in vals), col
    assert sum(1 for n in acc["home_feed_items"] if n) == hf["accounts_with_feed"]
    per = pq.read_table(out / "home_feed_by_community.parquet")
    assert sum(per["accounts_with_feed"].to_pylist()) <= hf["accounts_with_feed"]
    return hf


def test_home_feeds_of_a_real_x_archive(shared_data: Path, tmp_path: Path) -> None:
    ingest([shared_data / "twitter-archive-folddb-fixture"], tmp_path / "s")
    summary = _analyze(tmp_path / "s", tmp_path / "a")
    hf = _check_section(summary, tmp_path / "a")
    # the owner's followers each see the owner's 50 newest posts, reposts and quotes
    assert hf["replies_left_out"] > 0 and hf["mean_items"] == 50
    # the archive's reposts name their originals' authors only in interactions
    assert hf["repetition"]["sources"]["mean"] < 1
    small = _analyze(tmp_path / "s", tmp_path / "b", "--home-feed-k", "5")
    assert small["home_feed"]["k"] == 5 and small["home_feed"]["mean_items"] == 5
    off = _analyze(tmp_path / "s", tmp_path / "c", "--home-feed-k", "0")
    assert off["home_feed"]["available"] is False


def test_a_store_without_follows_says_why(shared_data: Path, tmp_path: Path) -> None:
    ingest([shared_data / "twitter-v1-python-twitter/get_user_timeline.json"], tmp_path / "s")
    res = CliRunner().invoke(main, ["analyze", str(tmp_path / "s"), "--bootstrap", "0"])
    assert res.exit_code == 0, res.output
    assert "home feeds: not available (no follow edges in the data)" in res.output
    summary = json.loads((tmp_path / "s" / "analysis" / "summary.json").read_text())
    assert summary["home_feed"] == {"available": False, "reason": "no follow edges in the data"}


def test_home_feeds_of_a_simulated_store(tmp_path: Path) -> None:
    run = tmp_path / "run"
    res = CliRunner().invoke(
        main,
        ["simulate", "--accounts", "2000", "--days", "0.5", "--seed", "4", "--out", str(run),
         "--no-progress"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    summary = _analyze(run / "store", tmp_path / "a")
    hf = _check_section(summary, tmp_path / "a")
    assert hf["accounts_with_feed"] > 1000 and hf["topic_categories"] > 1
    assert hf["posts_without_time"] == 0
