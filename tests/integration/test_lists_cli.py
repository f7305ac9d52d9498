"""``mutuals lists`` end to end: on a real sample ingested with ``mutuals ingest``,
on a simulated run's store, and on a planted Mastodon store; the exports parse
(Bluesky records with the lexicon's ``$type``, the CSV Mastodon's list import
reads); a user's files are never replaced; a wrong account is one line."""

from __future__ import annotations

import collections
import csv
import json
import math
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from mutuals.cli.main import main
from mutuals.io.store import open_store, write_store

KINDS = ("news", "thinkers", "disagree")


def _lists(store: Path, out: Path, account: str, *extra: str) -> dict[str, Any]:
    res = CliRunner().invoke(
        main, ["lists", str(store), "--account", account, "--out", str(out), *extra]
    )
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output and "all lists together" in res.output
    summary: dict[str, Any] = json.loads((out / "lists.json").read_text())
    return summary


def _check_exports(out: Path, summary: dict[str, Any]) -> None:
    """Every export parses and agrees with lists.json."""
    table = pq.read_table(out / "lists.parquet")
    assert table.num_rows == sum(len(x["members"]) for x in summary["lists"])
    for lst in summary["lists"]:
        kind = lst["kind"]
        b = json.loads((out / "bluesky" / f"{kind}.json").read_text())
        rec = b["list"]["record"]
        assert rec["$type"] == "app.bsky.graph.list"
        assert rec["purpose"] == "app.bsky.graph.defs#curatelist"
        assert 1 <= len(rec["name"]) <= 64 and len(rec["description"]) <= 300
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", rec["createdAt"])
        assert re.fullmatch(r"[2-7a-j][2-7a-z]{12}", b["list"]["rkey"])
        assert b["list"]["uri"] == f"at://{b['repo']}/app.bsky.graph.list/{b['list']['rkey']}"
        assert len(b["items"]) + len(b["left_out"]) == len(lst["members"])
        for it in b["items"]:
            assert it["record"]["$type"] == "app.bsky.graph.listitem"
            assert it["record"]["subject"].startswith("did:")
            assert it["record"]["list"] == b["list"]["uri"]
        handles = (out / "handles" / f"{kind}.txt").read_text().splitlines()
        assert len(handles) == len(lst["members"]) and all(h.strip() == h and h for h in handles)
    with open(out / "mastodon" / "lists.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["List name", "Account address"]
    names = {x["name"] for x in summary["lists"]}
    for name, addr in rows[1:]:
        assert name in names and re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", addr)
    m = summary["exports"]["mastodon"]
    assert m["rows"] == len(rows) - 1
    assert m["rows"] + m["left_out"] == table.num_rows


def _check_rules(store: Path, summary: dict[str, Any]) -> None:
    """The documented rules, checked against the store's own rows."""
    s = open_store(store)
    me = summary["account"]["account_id"]
    follows = s.table("follows", columns=["follower_id", "friend_id"])
    friends = {
        v
        for u, v in zip(
            follows["follower_id"].to_pylist(), follows["friend_id"].to_pylist(), strict=True
        )
        if u == me
    }
    posts = collections.Counter(s.table("posts", columns=["author_id"])["author_id"].to_pylist())
    seen: set[str] = set()
    for lst in summary["lists"]:
        e = lst["exposure"]
        assert e["items_after"] <= e["k"] and e["items_before"] <= e["k"]
        assert e["member_items"] <= e["items_after"]
        if e["labelled_before"] and e["share_before"] is not None:
            assert e["share_before"] == pytest.approx(e["outside_before"] / e["labelled_before"])
        for m in lst["members"]:
            aid = m["account_id"]
            assert aid != me and aid not in friends and aid not in seen  # disjoint lists
            seen.add(aid)
            assert m["posts"] == posts[aid] >= 1
            assert m["reason"] and m["rank"] >= 1
            hostile = m["toward_your_community"] >= 3 and m["back_from_your_community"] < (
                0.1 * m["toward_your_community"]
            )
            assert not hostile


# --------------------------------------------------------------------------- real data


@pytest.mark.shared_data
def test_lists_on_a_real_x_sample(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / "twitter-v2-v1-tweepy-cassettes" / "decoded" / "responses.jsonl"
    store = tmp_path / "s"
    res = CliRunner().invoke(main, ["ingest", str(src), "--out", str(store)])
    assert res.exit_code == 0, res.output
    out = tmp_path / "lists"
    summary = _lists(store, out, "@TwitterDev", "--size", "5")
    assert summary["account"]["handle"] == "TwitterDev"
    assert summary["settings"]["communities_from"] == "louvain"
    _check_exports(out, summary)
    _check_rules(store, summary)
    # TwitterDev's 100 friends post nothing in the sample; @Twitter posts 53 times and
    # is in another community: the disagree list brings the feed its first items
    disagree = next(x for x in summary["lists"] if x["kind"] == "disagree")
    assert disagree["members"] and disagree["members"][0]["handle"] == "Twitter"
    e = disagree["exposure"]
    assert e["items_before"] == 0 and e["items_after"] > 0
    assert e["outside_after"] == e["labelled_after"] == e["member_items"] == e["items_after"]
    # X accounts have no DID and no Mastodon address: every member is left out there
    assert summary["exports"]["mastodon"]["rows"] == 0
    b = json.loads((out / "bluesky" / "disagree.json").read_text())
    assert b["repo_is_placeholder"] and b["repo"].startswith("did:example:")
    assert summary["exports"]["bluesky"]["disagree"]["left_out"] == len(disagree["members"])
    # the same command again writes the same lists (only the creation times move)
    again = _lists(store, out, "@TwitterDev", "--size", "5")
    assert [x["members"] for x in again["lists"]] == [x["members"] for x in summary["lists"]]


# --------------------------------------------------------------------------- simulated


@pytest.mark.slow
def test_lists_on_a_simulated_store(tmp_path: Path) -> None:
    run = tmp_path / "RUN"
    res = CliRunner().invoke(
        main,
        ["simulate", "--accounts", "2000", "--days", "0.5", "--out", str(run), "--no-progress"],
    )
    assert res.exit_code == 0, res.output
    store = open_store(run)
    assert store.path == run / "store"
    acc = store.table("accounts", columns=["account_id", "community", "leaning"])
    fol = store.table("follows", columns=["follower_id"])
    following = collections.Counter(fol["follower_id"].to_pylist())
    community = dict(zip(acc["account_id"].to_pylist(), acc["community"].to_pylist(), strict=True))
    leaning = dict(zip(acc["account_id"].to_pylist(), acc["leaning"].to_pylist(), strict=True))
    me = max(
        (a for a, c in community.items() if c == "organisers"), key=lambda a: (following[a], a)
    )
    out = tmp_path / "lists"
    summary = _lists(run, out, me)  # the run folder: its canonical store RUN/store
    assert summary["account"]["community"] == "organisers"
    assert summary["settings"]["communities_from"] == "accounts.community"
    _check_exports(out, summary)
    _check_rules(run / "store", summary)
    by = {x["kind"]: x for x in summary["lists"]}
    assert by["disagree"]["members"], "a simulated run has accounts outside the organisers"
    for m in by["disagree"]["members"]:
        far = abs(leaning[m["account_id"]] - leaning[me]) >= 1.0
        assert community[m["account_id"]] != "organisers" or far
        assert m["community"] == community[m["account_id"]]
    for m in by["thinkers"]["members"]:
        assert community[m["account_id"]] != "organisers" and m["spread"] >= 2
    # the simulator posts no links and labels no outlets: no news list, and it says so
    assert by["news"]["members"] == [] and by["news"]["note"]
    # members of other communities only ever add outside items to a chronological feed
    e = by["thinkers"]["exposure"]
    if by["thinkers"]["members"] and e["share_before"] is not None:
        assert e["share_after"] >= e["share_before"]
    c = summary["all_lists"]
    assert c["labelled_after"] > 0 and 0 <= c["share_after"] <= 1
    assert not math.isnan(c["share_after"])


# --------------------------------------------------------------------------- Mastodon


def _mastodon_store(path: Path) -> None:
    """A planted Mastodon store: me (community A) reads a1; o1 and o2 (community B)
    post; o1 is remote (its acct names its server), o2 local to the data's server."""
    ids = ["me", "a1", "o1", "o2"]
    accounts = pa.table(
        {
            "platform": ["mastodon"] * 4,
            "account_id": ids,
            "handle": ["me", "a1@one.example", "o1@two.example", "o2"],
            "community": ["A", "A", "B", "B"],
        }
    )
    follows = pa.table({"platform": ["mastodon"], "follower_id": ["me"], "friend_id": ["a1"]})
    ts = pa.array([1_700_000_000_000_000 + i for i in range(3)], pa.timestamp("us", tz="UTC"))
    posts = pa.table(
        {
            "platform": ["mastodon"] * 3,
            "post_id": ["1", "2", "3"],
            "author_id": ["a1", "o1", "o2"],
            "created_at": ts,
            "kind": ["post"] * 3,
            "url": [None, "https://two.example/@o1/2", "https://home.example/@o2/3"],
        }
    )
    write_store(path, {"accounts": accounts, "follows": follows, "posts": posts})


def test_mastodon_csv_reads_as_mastodon_expects(tmp_path: Path) -> None:
    _mastodon_store(tmp_path / "s")
    summary = _lists(tmp_path / "s", tmp_path / "out", "me")
    _check_exports(tmp_path / "out", summary)
    with open(tmp_path / "out" / "mastodon" / "lists.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows == [
        {"List name": "People I disagree with", "Account address": "o1@two.example"},
        {"List name": "People I disagree with", "Account address": "o2@home.example"},
    ]
    assert (tmp_path / "out" / "handles" / "disagree.txt").read_text() == (
        "o1@two.example\no2@home.example\n"
    )
    e = next(x for x in summary["lists"] if x["kind"] == "disagree")["exposure"]
    assert (e["outside_before"], e["labelled_before"]) == (0, 1)
    assert (e["outside_after"], e["labelled_after"]) == (2, 3)


# --------------------------------------------------------------------------- safety


def test_refuses_to_replace_a_users_file(tmp_path: Path) -> None:
    _mastodon_store(tmp_path / "s")
    out = tmp_path / "mine"
    out.mkdir()
    (out / "lists.json").write_text("my own notes\n")
    args = ["lists", str(tmp_path / "s"), "--account", "me", "--out", str(out)]
    res = CliRunner().invoke(main, args)
    assert res.exit_code != 0 and "not empty and was not written by mutuals" in res.output
    assert len(res.output.strip().splitlines()) == 1 and "Traceback" not in res.output
    res = CliRunner().invoke(main, [*args, "--overwrite"])
    assert res.exit_code != 0 and "lists.json" in res.output and "never replaced" in res.output
    assert (out / "lists.json").read_text() == "my own notes\n"
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["lists.json"]
    # beside a file of another name, --overwrite writes and leaves it alone
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("keep\n")
    res = CliRunner().invoke(
        main, ["lists", str(tmp_path / "s"), "--account", "me", "--out", str(other), "--overwrite"]
    )
    assert res.exit_code == 0, res.output
    assert (other / "notes.txt").read_text() == "keep\n" and (other / "lists.json").exists()
    # the store itself is never an output
    before = {p.name: p.read_bytes() for p in (tmp_path / "s").iterdir() if p.is_file()}
    res = CliRunner().invoke(
        main, ["lists", str(tmp_path / "s"), "--account", "me", "--out", str(tmp_path / "s")]
    )
    assert res.exit_code != 0 and "canonical store" in res.output
    after = {p.name: p.read_bytes() for p in (tmp_path / "s").iterdir() if p.is_file()}
    assert after == before


def test_unknown_account_is_one_line_saying_how_to_find_ids(tmp_path: Path) -> None:
    _mastodon_store(tmp_path / "s")
    res = CliRunner().invoke(
        main, ["lists", str(tmp_path / "s"), "--account", "nobody", "--out", str(tmp_path / "o")]
    )
    assert res.exit_code == 1 and "Traceback" not in res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1
    assert "'nobody' is not an account id or handle in the store" in lines[0]
    assert "open_store(" in lines[0] and ".table('accounts')" in lines[0]
    assert not (tmp_path / "o").exists()  # nothing written


def test_rerun_replaces_only_its_own_files(tmp_path: Path) -> None:
    _mastodon_store(tmp_path / "s")
    out = tmp_path / "o"
    _lists(tmp_path / "s", out, "me")
    marker = json.loads((out / ".mutuals.json").read_text())
    assert marker["kind"] == "lists" and "lists.json" in marker["files"]
    (out / "mine.txt").write_text("x")
    _lists(tmp_path / "s", out, "me", "--size", "1")
    assert (out / "mine.txt").read_text() == "x"
    summary = json.loads((out / "lists.json").read_text())
    assert all(len(x["members"]) <= 1 for x in summary["lists"])


def test_news_list_of_a_simulated_store_is_its_outlets(tmp_path: Path) -> None:
    """A scenario with news outlets (role ``news``, in a community named otherwise):
    the store carries the role and the news list holds only outlets."""
    scen = tmp_path / "outlets.toml"
    scen.write_text(
        'scenario = "platform"\n[platform]\naccounts = 1500\ndays = 0.5\n'
        "communities = { organisers = 0.3, mainstream = 0.6, press = 0.1 }\n"
        "positions = [-0.6, 0.0, 0.0]\n"
        'roles = ["member", "mainstream", "news"]\n'
        "follower_pull = [1.0, 1.0, 20.0]\n"
    )
    run = tmp_path / "RUN"
    res = CliRunner().invoke(
        main, ["simulate", str(scen), "--seed", "3", "--out", str(run), "--no-progress"]
    )
    assert res.exit_code == 0, res.output
    acc = open_store(run).table("accounts", columns=["account_id", "community", "role"])
    role = dict(zip(acc["account_id"].to_pylist(), acc["role"].to_pylist(), strict=True))
    community = dict(zip(acc["account_id"].to_pylist(), acc["community"].to_pylist(), strict=True))
    assert {role[a] for a, c in community.items() if c == "press"} == {"news"}
    me = min(a for a, c in community.items() if c == "organisers")
    summary = _lists(run, tmp_path / "lists", me)
    _check_exports(tmp_path / "lists", summary)
    news = next(x for x in summary["lists"] if x["kind"] == "news")
    assert news["members"], "the scenario's outlets are labelled: the news list has members"
    assert all(role[m["account_id"]] == "news" for m in news["members"])
    assert all(m["reason"].startswith("labelled news") for m in news["members"])
