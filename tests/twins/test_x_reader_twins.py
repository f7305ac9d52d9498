"""The X reader's msgspec fast path against its reference dict path (mutuals.io.readers._x_fast)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.x_pages import _page, read_all
from mutuals.io.readreport import ReadReport
from mutuals.io.schema import SCHEMAS


def test_fast_twarc2_path_matches_reference_dict_path(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The msgspec fast path and the dict path give identical tables and reports."""
    from mutuals.io.readers import _x_fast

    taken = []
    real = _x_fast.handle_page

    def counting(line: bytes, ctx: Any, special: Any) -> bool:
        ok = real(line, ctx, special)
        taken.append(ok)
        return ok

    monkeypatch.setattr(_x_fast, "handle_page", counting)
    files = [
        *sorted(shared_data.glob("twarc*/*.jsonl")),
        shared_data / "twarc2-docnow-plugins/flatten-tweet_response.json",
    ]
    # plus a synthetic page with the fields the real samples lack
    page = {
        "data": [
            {
                "id": "1700000000000000001",
                "author_id": "7",
                "text": "long… &amp; https://t.co/x",
                "display_text_range": [3, 20],
                "note_tweet": {
                    "text": "long &amp; #Tag https://t.co/x",
                    "entities": {
                        "hashtags": [{"tag": "Tag"}],
                        "urls": [{"url": "https://t.co/x", "expanded_url": "https://e.org"}],
                        "mentions": [{"username": "nobody"}],
                    },
                },
                "edit_history_tweet_ids": ["1690000000000000000", "1700000000000000001"],
                "referenced_tweets": [{"type": "quoted", "id": "9"}],
                "attachments": {"media_keys": ["3_1"]},
            }
        ],
        "includes": {"media": [{"media_key": "3_1", "type": "photo", "url": "u"}]},
        "errors": [{"resource_type": "tweet", "resource_id": "123", "title": "Not Found"}],
    }
    synthetic = tmp_path / "synthetic.jsonl"
    synthetic.write_text(json.dumps(page) + "\n")
    handled = 0
    for path in [*files, synthetic]:
        fast, rep_fast = read_all(path)
        slow, rep_slow = read_all(path, fast=False)
        for name in SCHEMAS:
            assert fast[name].equals(slow[name]), (path.name, name)
        assert rep_fast.to_dict() == rep_slow.to_dict(), path.name
        handled += fast["posts"].num_rows
    assert handled > 5000
    assert sum(taken) >= 30  # the fast path did read most pages (some fall back)


def test_fast_path_cuts_media_links_and_reply_mentions_like_dict_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The text clean-up (media links by media_key or pic.twitter.com display, leading
    reply mentions by display_text_range or the @-run of a v2 reply) is done by the fast
    path itself, identically to the dict path, and a page counts as its records."""
    from mutuals.io.readers import _x_fast

    taken = []
    real = _x_fast.handle_page

    def counting(line: bytes, ctx: Any, special: Any) -> bool:
        ok = real(line, ctx, special)
        taken.append(ok)
        return ok

    monkeypatch.setattr(_x_fast, "handle_page", counting)
    ref = [{"type": "replied_to", "id": "1"}]
    photo = {
        "url": "https://t.co/p",
        "expanded_url": "https://twitter.com/me/status/2/photo/1",
        "display_url": "pic.twitter.com/p",
    }
    video = {
        "url": "https://t.co/m",
        "expanded_url": "https://x.com/me/status/3/video/1",
        "media_key": "3_1",
    }
    link = {"url": "https://t.co/e", "expanded_url": "https://e.org"}
    tweets = [
        {
            "id": "2",
            "author_id": "7",
            "text": "@alice @bob_2 hello &amp; bye https://t.co/p",
            "referenced_tweets": ref,
            "entities": {"urls": [photo]},
        },
        {
            "id": "3",
            "author_id": "7",
            "text": "look https://t.co/e https://t.co/m",
            "attachments": {"media_keys": ["3_1"]},
            "entities": {"urls": [video, link]},
        },
        {"id": "4", "author_id": "7", "text": "@alice @bob x", "display_text_range": [12, 13]},
        {"id": "5", "author_id": "7", "text": "@alice", "referenced_tweets": ref},
    ]
    users = [{"id": "7", "username": "me", "name": "Me"}]
    f = tmp_path / "p.jsonl"
    f.write_text(_page(tweets, users, includes={"users": users, "media": [{"media_key": "3_1"}]}))
    fast, rep_fast = read_all(f)
    assert taken == [True]
    slow, rep_slow = read_all(f, fast=False)
    for name in SCHEMAS:
        assert fast[name].equals(slow[name]), name
    assert rep_fast.to_dict() == rep_slow.to_dict()
    assert rep_fast.records == 5  # 4 tweets + 1 user
    got = {r["post_id"]: (r["text"], r["display_start"]) for r in fast["posts"].to_pylist()}
    assert got == {
        "2": ("hello & bye", 14),
        "3": ("look https://e.org", None),
        "4": ("x", 12),
        "5": ("@alice", None),
    }


def test_struct_row_build_matches_column_build(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Emitter._build (all rows as one struct array) equals its twin
    _build_columns (column by column) on every chunk of the real samples."""
    from mutuals.io.readers._common import Emitter

    chunks: list[tuple[str, list[tuple[Any, ...]]]] = []
    real = Emitter._build

    def keep(self: Emitter, table: str, rows: list[tuple[Any, ...]]) -> pa.Table:
        chunks.append((table, list(rows)))
        return real(self, table, rows)

    monkeypatch.setattr(Emitter, "_build", keep)
    for path in sorted(shared_data.glob("twarc*/*.jsonl")):
        read_all(path)
    monkeypatch.setattr(Emitter, "_build", real)
    assert {t for t, _ in chunks} >= {"accounts", "posts", "interactions"}
    for table, rows in chunks:
        a, b = Emitter(ReadReport("s"), 10), Emitter(ReadReport("s"), 10)
        got, want = a._build(table, rows), b._build_columns(table, rows)
        assert got.equals(want), table
        assert a.report.rows[table] == len(rows)  # _build counts the rows it hands out
        a.report.rows.clear()
        assert a.report.to_dict() == b.report.to_dict()


_ids = st.integers(10**17, 10**17 + 50).map(str)


_words = st.sampled_from(["hi", "&amp;", "&lt;3", "#Tag", "@u1", "https://t.co/a", "x"])


@st.composite
def _tweets(draw: st.DrawFn) -> dict[str, Any]:
    text = " ".join(draw(st.lists(_words, max_size=6)))
    t: dict[str, Any] = {"id": draw(_ids), "text": text}
    if draw(st.booleans()):
        t["author_id"] = draw(st.sampled_from(["1", "2", "3"]))
    refs = draw(st.lists(st.sampled_from(["retweeted", "replied_to", "quoted"]), max_size=2))
    if refs:
        t["referenced_tweets"] = [{"type": r, "id": draw(_ids)} for r in refs]
    t["entities"] = {
        "hashtags": [{"tag": "Tag"}] if "#Tag" in text else [],
        "mentions": [{"username": "u1", **({"id": "1"} if draw(st.booleans()) else {})}]
        if "@u1" in text
        else [],
        "urls": [{"url": "https://t.co/a", "expanded_url": "https://e.org/a"}]
        if "t.co" in text
        else [],
    }
    if draw(st.booleans()):
        t["edit_history_tweet_ids"] = draw(st.lists(_ids, min_size=1, max_size=3))
    if draw(st.booleans()):
        t["public_metrics"] = {"like_count": draw(st.integers(0, 5)), "retweet_count": 1}
    return t


@settings(max_examples=50, deadline=None)
@given(
    st.lists(_tweets(), min_size=1, max_size=6),
    st.lists(_tweets(), max_size=4),
    st.lists(st.sampled_from(["1", "2", "9"]), max_size=3),
)
def test_property_fast_path_equals_dict_path(
    data: list[dict[str, Any]], included: list[dict[str, Any]], users: list[str]
) -> None:
    import tempfile

    page = {
        "data": data,
        "includes": {
            "tweets": included,
            "users": [{"id": u, "username": f"u{u}", "name": "n"} for u in users],
        },
        "errors": [{"resource_type": "tweet", "resource_id": data[0]["id"], "title": "T"}],
    }
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "p.jsonl"
        p.write_text(json.dumps(page) + "\n")
        fast, rep_fast = read_all(p)
        slow, rep_slow = read_all(p, fast=False)
    for name in SCHEMAS:
        assert fast[name].equals(slow[name]), name
    assert rep_fast.to_dict() == rep_slow.to_dict()
