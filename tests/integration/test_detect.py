"""`mutuals detect` end to end: on a planted store, on the real #BlackLivesMatter
twarc2 sample (with and without a planted group merged into it), and on a
simulated run whose infiltrators are known."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from mutuals.cli.main import main
from mutuals.io.ingest import Tables, ingest
from mutuals.io.store import open_store, write_store
from mutuals.report.detect import FILES

T0 = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
BLM = "twarc2-blm-twarc2sql/search_example.jsonl"
G = 12  # accounts of the planted group


def _cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def _at(s: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=s)


def _planted() -> dict[str, pa.Table]:
    """300 accounts adopt #vote over three days; accounts g0-g11 arrive within a
    minute on day 2, then repost the same four posts within seconds, four
    times, six hours apart, and all follow each other."""
    rng = np.random.default_rng(2)
    ids = [f"o{i}" for i in range(300)] + [f"g{i}" for i in range(G)]
    posts, follows = [], []

    def post(author: str, t: float, **kw: Any) -> str:
        pid = str(1000 + len(posts))
        posts.append({"platform": "x", "post_id": pid, "author_id": author, "created_at": _at(t),
                      "kind": kw.pop("kind", "post"), "repost_of_id": kw.pop("of", None),
                      "hashtags": kw.pop("hashtags", None), "text": kw.pop("text", None)})  # fmt: skip
        return pid

    post("o299", 0, hashtags=["other"])
    for i in range(300):
        post(f"o{i}", float(rng.uniform(6 * 3600, 3 * 86400)), hashtags=["vote"])
    for g in range(G):
        post(f"g{g}", 86400 * 1.5 + g * 4, hashtags=["vote"], text=f"joined {g}")
    for k in range(4):
        src = post(f"o{k}", 86400 * 2 + 6 * 3600 * k)
        for g in range(G):
            post(f"g{g}", 86400 * 2 + 6 * 3600 * k + 30 + g, kind="repost", of=src)
    for a in range(G):
        for b in range(G):
            if a != b:
                follows.append({"platform": "x", "follower_id": f"g{a}", "friend_id": f"g{b}"})
    for i in range(300):
        for j in rng.choice(300, 5, replace=False).tolist():
            if j != i:
                follows.append({"platform": "x", "follower_id": f"o{i}", "friend_id": f"o{j}"})
    interactions = [
        {"platform": "x", "kind": "repost", "source_id": p["author_id"],
         "target_id": next(q["author_id"] for q in posts if q["post_id"] == p["repost_of_id"]),
         "post_id": p["post_id"], "target_post_id": p["repost_of_id"], "created_at": p["created_at"]}
        for p in posts if p["kind"] == "repost"
    ]  # fmt: skip
    handles = [f"h_{i}" for i in ids]
    handles[-1] = "<script>alert(1)</script>\u202eevil"
    return {
        "accounts": pa.table({"platform": ["x"] * len(ids), "account_id": ids, "handle": handles}),
        "posts": pa.Table.from_pylist(posts),
        "follows": pa.Table.from_pylist(follows),
        "interactions": pa.Table.from_pylist(interactions),
    }


@pytest.fixture
def store(tmp_path: Path) -> Path:
    write_store(tmp_path / "store", _planted())
    return tmp_path / "store"


def _check_evidence(store: Path, out: Path) -> list[dict[str, Any]]:
    """Every evidence row names a row of the store that exists and is the account's."""
    s = open_store(store)
    posts = {r["post_id"]: r for r in s.table("posts", ["post_id", "author_id"]).to_pylist()}
    follows = {(r["follower_id"], r["friend_id"])
               for r in s.table("follows", ["follower_id", "friend_id"]).to_pylist()}  # fmt: skip
    inter = {r["post_id"]: r for r in s.table("interactions", ["post_id", "source_id"]).to_pylist()}
    ev = pq.read_table(out / "evidence.parquet").to_pylist()
    for e in ev:
        if e["table"] == "posts":
            assert posts[e["row_id"]]["author_id"] == e["account_id"]
        elif e["table"] == "follows":
            a, b = e["row_id"].split("→")
            assert (a, b) in follows and e["account_id"] in (a, b)
        else:
            assert e["table"] == "interactions"
            assert inter[e["row_id"]]["source_id"] == e["account_id"]
        assert e["detail"] and e["threshold"]
    return ev


def test_detect_end_to_end_on_a_planted_store(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "det"
    res = _cli("detect", str(store), "--hashtag", "#Vote", "--window", "60", "--out", str(out))
    assert res.exit_code == 0, res.output
    assert "arrival" in res.output and "coaction" in res.output
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == sorted(FILES)
    summary = json.loads((out / "detect.json").read_text())
    assert summary["parameters"]["hashtag"] == "vote"
    assert summary["signals"]["arrival"]["thresholds"]["window_seconds"] == 60
    assert summary["signals"]["follow_burst"]["available"] is False  # no follow times
    scores = pq.read_table(out / "scores.parquet")
    assert scores.num_rows == 300 + G
    group = {f"g{i}" for i in range(G)}
    flagged = {r["account_id"]: r["flags"] for r in scores.to_pylist() if r["flagged"]}
    assert group <= set(flagged)
    for g in group:
        assert {"arrival", "coaction", "follow_core"} <= set(flagged[g].split(","))
    assert len(set(flagged) - group) <= 3  # organic adoption, at most a chance burst
    assert {r["account_id"] for r in scores.slice(0, G).to_pylist()} == group
    groups = pq.read_table(out / "groups.parquet").to_pylist()
    by = {}
    for g in groups:
        by.setdefault((g["signal"], g["group_id"]), set()).add(g["account_id"])
    assert group in [v for (sig, _), v in by.items() if sig == "coaction"]
    graph = nx.read_graphml(out / "groups.graphml")
    assert set(graph.nodes) >= group and graph.has_edge("g0", "g1")
    ev = _check_evidence(store, out)
    assert {e["signal"] for e in ev if e["account_id"] == "g0"} == {
        "arrival",
        "coaction",
        "follow_core",
    }
    assert summary["top"][0]["account_id"] in group


def test_same_store_and_seed_give_the_same_bytes(store: Path, tmp_path: Path) -> None:
    digests = []
    for name in ("a", "b"):
        res = _cli("detect", str(store), "--hashtag", "vote", "--seed", "4", "--out",
                   str(tmp_path / name))  # fmt: skip
        assert res.exit_code == 0, res.output
        digests.append({
            f: hashlib.sha256((tmp_path / name / f).read_bytes()).hexdigest()
            for f in ("scores.parquet", "groups.parquet", "evidence.parquet", "groups.graphml")
        })  # fmt: skip
    assert digests[0] == digests[1]


def test_bad_input_is_one_line_and_leaves_no_output(store: Path, tmp_path: Path) -> None:
    res = _cli("detect", str(store), "--hashtag", "nosuchtag", "--out", str(tmp_path / "o1"))
    assert res.exit_code == 1 and "#nosuchtag" in res.output
    assert len(res.output.strip().splitlines()) == 1 and "Traceback" not in res.output
    assert not (tmp_path / "o1").exists()
    res = _cli("detect", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o2"))
    assert res.exit_code == 1 and "not a folder" in res.output
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    res = _cli("detect", str(store), "--out", str(mine))
    assert res.exit_code == 1 and "--overwrite" in res.output
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    res = _cli("detect", str(store), "--out", str(mine), "--overwrite")
    assert res.exit_code == 0 and (mine / "notes.txt").read_text() == "keep me"
    res = _cli("detect", str(store), "--window", "-3")
    assert res.exit_code == 2 and "window" in res.output


def test_detect_refuses_to_write_into_another_kind_of_output(store: Path, tmp_path: Path) -> None:
    res = _cli("detect", str(store), "--out", str(store))
    assert res.exit_code == 1 and "canonical store" in res.output
    res = _cli("detect", str(store))  # the default: STORE/detection
    assert res.exit_code == 0 and (store / "detection" / "detect.html").exists()


@pytest.mark.shared_data
def test_detect_on_the_real_blm_sample(shared_data: Path, tmp_path: Path) -> None:
    """The sample alone: every signal its data allows, nothing that its rows
    cannot back. The sample has no follows: the follow signals say so."""
    store = tmp_path / "blm"
    ingest([shared_data / BLM], store)
    out = tmp_path / "det"
    res = _cli("detect", str(store), "--hashtag", "BlackLivesMatter", "--out", str(out))
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "detect.json").read_text())
    sig = summary["signals"]
    assert sig["arrival"]["available"] and sig["coaction"]["available"]
    for name in ("follow_core", "follow_back", "follow_burst", "follower_growth"):
        assert sig[name]["available"] is False and sig[name]["note"]
    assert sig["arrival"]["counts"]["arrivals"] > 100
    scores = pq.read_table(out / "scores.parquet")
    assert scores.num_rows == open_store(store).table("accounts").num_rows
    comb = scores.column("combined").to_numpy()
    assert np.all((comb >= 0) & (comb <= 1)) and np.all(np.diff(scores.column("rank")) == 1)
    _check_evidence(store, out)
    page = (out / "detect.html").read_text()
    assert "not available: the store holds no follows" in page


@pytest.mark.shared_data
def test_a_group_planted_in_the_real_sample_is_found(shared_data: Path, tmp_path: Path) -> None:
    """Six new accounts repost the same four real #BlackLivesMatter posts within
    seconds of each other on four occasions: the co-action signal finds them,
    and no account of the sample."""
    store = tmp_path / "blm"
    ingest([shared_data / BLM], store)
    posts = open_store(store).table("posts", ["post_id", "author_id", "kind", "created_at"])
    originals = [r for r in posts.to_pylist() if r["kind"] == "post"][:4]
    t_end = max(r["created_at"] for r in posts.to_pylist() if r["created_at"])
    rows, inter = [], []
    for k, orig in enumerate(originals):
        for g in range(6):
            t = t_end - dt.timedelta(hours=6 * k, seconds=-g * 3)
            pid = f"planted-{k}-{g}"
            rows.append({"platform": "x", "post_id": pid, "author_id": f"planted{g}",
                         "created_at": t, "kind": "repost", "repost_of_id": orig["post_id"]})  # fmt: skip
            inter.append({"platform": "x", "kind": "repost", "source_id": f"planted{g}",
                          "target_id": orig["author_id"], "post_id": pid,
                          "target_post_id": orig["post_id"], "created_at": t})  # fmt: skip
    extra = {
        "accounts": pa.table(
            {"platform": ["x"] * 6, "account_id": [f"planted{g}" for g in range(6)]}
        ),
        "posts": pa.Table.from_pylist(rows),
        "interactions": pa.Table.from_pylist(inter),
    }
    ingest([Tables(extra, source="planted")], store)
    out = tmp_path / "det"
    res = _cli("detect", str(store), "--out", str(out))
    assert res.exit_code == 0, res.output
    scores = pq.read_table(out / "scores.parquet").to_pylist()
    coaction = {r["account_id"] for r in scores if "coaction" in (r["flags"] or "")}
    assert coaction == {f"planted{g}" for g in range(6)}
    _check_evidence(store, out)


@pytest.mark.slow
def test_detect_on_a_simulated_run_ranks_its_infiltrators_high(tmp_path: Path) -> None:
    """C5's incognito arm at 3,000 accounts: the 15 infiltrators (community
    "infiltrators", which no signal reads) arrive in one burst under the
    hashtag; they rank in the top of the combined score."""
    import mutuals
    from mutuals.claims.design import SCENARIOS, load_claim_file

    cf = load_claim_file(SCENARIOS / "C5-infiltrators.toml")
    run = mutuals.run(cf.scenario("incognito", {"accounts": 3000, "days": 3}), seed=3)
    run.write(tmp_path / "run")
    out = tmp_path / "det"
    res = _cli("detect", str(tmp_path / "run"), "--hashtag", "topic19", "--out", str(out))
    assert res.exit_code == 0, res.output
    truth = {
        r["account_id"]
        for r in open_store(tmp_path / "run")
        .table("accounts", ["account_id", "community"])
        .to_pylist()
        if r["community"] == "infiltrators"
    }
    assert len(truth) == 15
    scores = pq.read_table(out / "scores.parquet").to_pylist()
    rank = {r["account_id"]: r["rank"] for r in scores}
    assert max(rank[a] for a in truth) <= 60  # all within the top 2%
    flagged = {r["account_id"] for r in scores if "arrival" in (r["flags"] or "")}
    assert truth <= flagged
    _check_evidence(tmp_path / "run" / "store", out)
