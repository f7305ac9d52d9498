"""X/Twitter readers: real samples (checked against an independent JSON pass or
by hand) and synthetic edge cases."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mutuals.errors import DataFormatError, UnknownFormatError
from mutuals.io.readers import detect, formats, read
from mutuals.io.readreport import ReadReport
from mutuals.io.schema import SCHEMAS


def read_all(path: Path, **kw: Any) -> tuple[dict[str, pa.Table], ReadReport]:
    rep = ReadReport(str(path))
    parts: dict[str, list[pa.Table]] = {n: [] for n in SCHEMAS}
    for name, chunk in read(path, report=rep, **kw):
        assert chunk.schema == SCHEMAS[name]
        parts[name].append(chunk)
    tables = {
        n: pa.concat_tables(ts) if ts else SCHEMAS[n].empty_table() for n, ts in parts.items()
    }
    for n, t in tables.items():
        assert rep.rows[n] == t.num_rows
    return tables, rep


def rows_by(table: pa.Table, key: str) -> dict[str, dict[str, Any]]:
    return {r[key]: r for r in table.to_pylist()}


# --------------------------------------------------------------------------- detection


@pytest.mark.parametrize(
    ("rel", "fmt"),
    [
        ("twarc-csv-testdata/noflat.jsonl", "twarc2"),
        ("twarc-csv-testdata/flat.jsonl", "twarc2-flat"),
        ("twarc2-blm-twarc2sql/search_example.jsonl", "twarc2"),
        ("twarc2-docnow-plugins/flatten-tweet_response.json", "twarc2"),
        ("twitter-v1-twitter-to-sqlite/tweets.json", "x-v1"),
        ("twitter-v1-python-twitter/get_follower_ids_0.json", "x-v1"),
        ("twitter-v1-gnip-tweet_parser/activity_streams_examples.json", "gnip"),
        ("twitter-v1-gnip-tweet_parser/original_format_examples.json", "x-v1"),
        ("twitter-v2-v1-tweepy-cassettes/decoded/responses.jsonl", "x-api-responses"),
        ("twarc-csv-testdata/empty.json", "empty"),
    ],
)
def test_detects_real_formats(shared_data: Path, rel: str, fmt: str) -> None:
    assert detect(shared_data / rel) == fmt


def test_unknown_format_lists_formats_tried(tmp_path: Path) -> None:
    p = tmp_path / "notes.txt"
    p.write_text("Dear diary,\ntoday I read no tweets at all, none whatsoever.\n")
    with pytest.raises(UnknownFormatError) as e:
        detect(p)
    for name in ("twarc2", "x-v1", "gnip", "snap", "csv-edges", "graphml"):
        assert name in str(e.value)
    assert set(formats()) >= {"twarc2", "twarc2-flat", "x-v1", "gnip", "x-api-responses"}


# --------------------------------------------------------------------------- v2 real data


def _independent_v2_ids(path: Path) -> tuple[set[str], set[str], set[str]]:
    """Post ids (data + includes.tweets + unavailable tweets in errors), user ids."""
    posts, users, errors = set(), set(), set()
    for line in path.read_text().splitlines():
        try:
            page = json.loads(line)
        except ValueError:
            continue
        data = page.get("data")
        for t in data if isinstance(data, list) else [data] if data else []:
            posts.add(t["id"])
        for t in page.get("includes", {}).get("tweets", []):
            posts.add(t["id"])
        for u in page.get("includes", {}).get("users", []):
            users.add(u["id"])
        for e in page.get("errors", []):
            if e.get("resource_type") == "tweet":
                errors.add(e["resource_id"])
    return posts, users, errors - posts


@pytest.mark.parametrize(
    "rel",
    [
        "twarc2-blm-twarc2sql/search_example.jsonl",
        "twarc2-docnow-plugins/twarc-network_tweets.jsonl",
        "twarc-csv-testdata/withheld.jsonl",
        "twarc-csv-testdata/entities_test.jsonl",
    ],
)
def test_v2_pages_keep_every_tweet_and_user(shared_data: Path, rel: str) -> None:
    path = shared_data / rel
    posts, users, unavailable = _independent_v2_ids(path)
    t, rep = read_all(path)
    got = set(t["posts"].column("post_id").to_pylist())
    assert got == posts | unavailable
    assert set(t["accounts"].column("account_id").to_pylist()) == users
    deleted = {r["post_id"] for r in t["posts"].to_pylist() if r["deleted"]}
    assert deleted == unavailable
    assert rep.n_skipped == 0
    # one interaction per reference: count references independently
    refs_of: dict[str, set[str]] = {}
    for line in path.read_text().splitlines():
        page = json.loads(line)
        for tw in page["data"] + page.get("includes", {}).get("tweets", []):
            types = {r["type"] for r in tw.get("referenced_tweets", [])}
            refs_of[tw["id"]] = refs_of.get(tw["id"], set()) | types
    n_refs = sum(1 if "retweeted" in r else len(r) for r in refs_of.values())
    keys = {
        (r["kind"], r["source_id"], r["post_id"], r["target_post_id"])
        for r in t["interactions"].to_pylist()
        if r["kind"] != "mention"
    }
    assert len(keys) == n_refs


def test_hand_checked_retweet(shared_data: Path) -> None:
    t, _ = read_all(shared_data / "twarc-csv-testdata/mentions_tweet.jsonl")
    post = rows_by(t["posts"], "post_id")["1589681856941002753"]
    assert post["author_id"] == "68401342"
    assert post["kind"] == "repost"
    assert post["repost_of_id"] == "1589671906718134272"
    assert post["mentions"] == ["1221317221714157569"]
    assert post["url"] == "https://twitter.com/BaldManGamer/status/1589681856941002753"
    assert post["platform"] == "x"
    rt = [r for r in t["interactions"].to_pylist() if r["post_id"] == "1589681856941002753"]
    assert [(r["kind"], r["source_id"], r["target_id"], r["target_post_id"]) for r in rt] == [
        ("repost", "68401342", "1221317221714157569", "1589671906718134272")
    ]


def test_text_is_expanded_and_unescaped(shared_data: Path) -> None:
    t, _ = read_all(shared_data / "twarc2-docnow-plugins/twarc-hashtags_tweets1.jsonl")
    post = rows_by(t["posts"], "post_id")["1374396022735085570"]
    assert post["author_id"] == "16560657"
    assert post["text_raw"].endswith("&amp; more! https://t.co/bAa4p0Plfp")
    assert post["text"].endswith(
        "& more! https://twitter.com/BET/status/1374396022735085570/video/1"
    )
    assert post["hashtags"] == ["naacpimageawards"]
    assert post["root_id"] == "1374396022735085570"
    assert post["parent_author_id"] == "1051966461575614465"
    assert post["created_at"] is not None


def test_flat_and_paged_forms_agree(shared_data: Path) -> None:
    """flat.jsonl is noflat.jsonl flattened by twarc: same tweets, same fields."""
    flat, _ = read_all(shared_data / "twarc-csv-testdata/flat.jsonl")
    paged, _ = read_all(shared_data / "twarc-csv-testdata/noflat.jsonl")
    cols = ["author_id", "kind", "parent_id", "repost_of_id", "quote_id", "hashtags", "text"]
    ids = [json.loads(x)["id"] for x in (shared_data / "twarc-csv-testdata/flat.jsonl").open()]
    a, b = rows_by(flat["posts"], "post_id"), rows_by(paged["posts"], "post_id")
    assert len(ids) == 100
    for i in ids:
        assert {c: a[i][c] for c in cols} == {c: b[i][c] for c in cols}


def test_unavailable_referenced_tweets_are_kept_as_deleted(shared_data: Path) -> None:
    t, rep = read_all(shared_data / "twarc-csv-testdata/withheld.jsonl")
    posts = rows_by(t["posts"], "post_id")
    for tid in ("506694458445152256", "1252320537600299008"):
        assert posts[tid]["deleted"] is True
        assert posts[tid]["text"] is None
    noted = sum(n for k, n in rep.noted.items() if k.startswith("unavailable tweet"))
    assert noted == 2


def test_follow_pages_from_recorded_responses(shared_data: Path) -> None:
    path = shared_data / "twitter-v2-v1-tweepy-cassettes/decoded/responses.jsonl"
    t, rep = read_all(path)
    expected_followers, expected_following, retweeters, members = set(), set(), set(), set()
    memberships = set()
    for line in path.open():
        r = json.loads(line)
        if r["method"] != "GET" or not isinstance(r["body"], dict):
            continue
        data = r["body"].get("data") or []
        if r["uri"].startswith("https://api.twitter.com/2/users/783214/followers"):
            expected_followers |= {u["id"] for u in data}
        if r["uri"].startswith("https://api.twitter.com/2/users/783214/following"):
            expected_following |= {u["id"] for u in data}
        if "/2/tweets/1415348607813832708/retweeted_by" in r["uri"]:
            retweeters |= {u["id"] for u in data}
        if "/2/lists/84839422/members" in r["uri"]:
            members |= {u["id"] for u in data}
        if "/2/users/783214/list_memberships" in r["uri"]:
            memberships |= {x["id"] for x in data}
    follows = {(r["follower_id"], r["friend_id"]) for r in t["follows"].to_pylist()}
    assert {(u, "783214") for u in expected_followers} <= follows
    assert {("783214", u) for u in expected_following} <= follows
    assert len(expected_followers) > 50 and len(expected_following) > 20
    reposts = {
        r["source_id"]
        for r in t["interactions"].to_pylist()
        if r["kind"] == "repost" and r["target_post_id"] == "1415348607813832708"
    }
    assert retweeters and retweeters <= reposts
    got_members = {
        r["account_id"] for r in t["list_members"].to_pylist() if r["list_id"] == "84839422"
    }
    assert got_members == members
    got_lists = {r["list_id"] for r in t["list_members"].to_pylist() if r["account_id"] == "783214"}
    assert memberships and got_lists == memberships
    assert rep.skipped["API response that is not a successful GET"] > 0


# --------------------------------------------------------------------------- v1.1 / GNIP


def test_v1_retweet_quote_reply(shared_data: Path) -> None:
    path = shared_data / "twitter-v1-twitter-to-sqlite/tweets.json"
    raw = json.loads(path.read_text())
    t, rep = read_all(path)
    posts = rows_by(t["posts"], "post_id")
    assert rep.records == 3 and rep.n_skipped == 0
    rt, reply, quote = raw
    p = posts[rt["id_str"]]
    assert (p["kind"], p["repost_of_id"], p["author_id"]) == (
        "repost",
        rt["retweeted_status"]["id_str"],
        "12497",
    )
    assert rt["retweeted_status"]["id_str"] in posts  # the nested original is a post too
    p = posts[reply["id_str"]]
    assert (p["kind"], p["parent_id"]) == ("reply", reply["in_reply_to_status_id_str"])
    assert p["display_start"] == reply["display_text_range"][0] == 45
    p = posts[quote["id_str"]]
    assert (p["kind"], p["quote_id"]) == ("quote", quote["quoted_status_id_str"])
    assert p["url"] == f"https://twitter.com/simonw/status/{quote['id_str']}"
    assert p["created_at"] == datetime.strptime(quote["created_at"], "%a %b %d %H:%M:%S %z %Y")


def test_v1_extended_tweet_full_text(shared_data: Path) -> None:
    path = shared_data / "twitter-v1-python-twitter/3.2__extended_tweet_in_extended_mode.json"
    raw = json.loads(path.read_text())
    t, _ = read_all(path)
    (p,) = t["posts"].to_pylist()
    assert p["text_raw"] == raw["full_text"]
    assert p["display_start"] == 0
    assert p["created_at"].year == 2016


def test_v1_id_pages_need_and_use_a_focal_account(shared_data: Path) -> None:
    path = shared_data / "twitter-v1-python-twitter/get_follower_ids_0.json"
    ids = json.loads(path.read_text())["ids"]
    t, rep = read_all(path)
    assert t["follows"].num_rows == 0 and rep.n_skipped == 1  # counted, not silent
    t, rep = read_all(path, focal_id="42")
    assert t["follows"].num_rows == len(ids) == 5000
    assert set(t["follows"].column("friend_id").to_pylist()) == {"42"}
    assert t["follows"].column("follower_id")[0].as_py() == str(ids[0])


def test_gnip_activities(shared_data: Path) -> None:
    path = shared_data / "twitter-v1-gnip-tweet_parser/activity_streams_examples.json"
    acts = [json.loads(line) for line in path.open() if line.strip()]
    t, rep = read_all(path)
    posts = rows_by(t["posts"], "post_id")
    assert rep.records == len(acts) == 25
    for a in acts:
        tid = a["id"].rsplit(":", 1)[-1]
        p = posts[tid]
        assert p["author_id"] == a["actor"]["id"].rsplit(":", 1)[-1]
        if a["verb"] == "share":
            assert p["kind"] == "repost"
            assert p["repost_of_id"] == a["object"]["id"].rsplit(":", 1)[-1]
        tags = [h["text"].lower() for h in a["twitter_entities"]["hashtags"]]
        if "long_object" not in a and a["verb"] != "share":
            assert p["hashtags"] == tags


def test_broken_gnip_payloads_are_counted(shared_data: Path) -> None:
    d = shared_data / "twitter-v1-gnip-tweet_parser"
    t, rep = read_all(d / "broken_and_unsupported_payloads__original_format_missing_user.json")
    assert t["posts"].num_rows == 0
    assert rep.skipped["status without user"] == 1


# --------------------------------------------------------------------------- synthetic


def _page(tweets: list[dict[str, Any]], users: list[dict[str, Any]], **extra: Any) -> str:
    page = {
        "data": tweets,
        "includes": {"users": users},
        "__twarc": {"url": "https://api.twitter.com/2/tweets/search/all", "retrieved_at": "2024"},
    }
    page.update(extra)
    return json.dumps(page)


def test_note_tweet_and_display_range(tmp_path: Path) -> None:
    long = "A long post about #Mutuals " + "x" * 400 + " &lt;3 https://t.co/abc"
    tw = {
        "id": "1700000000000000000",
        "author_id": "7",
        "text": "A long post about #Mutuals xxx…",
        "created_at": "2023-09-08T00:00:00.000Z",
        "display_text_range": [4, 30],
        "note_tweet": {
            "text": long,
            "entities": {
                "hashtags": [{"start": 18, "end": 26, "tag": "Mutuals"}],
                "urls": [{"url": "https://t.co/abc", "expanded_url": "https://example.org/a"}],
            },
        },
    }
    p = tmp_path / "note.jsonl"
    p.write_text(_page([tw], [{"id": "7", "username": "seven", "name": "Seven"}]) + "\n")
    t, _rep = read_all(p)
    (post,) = t["posts"].to_pylist()
    assert post["text_raw"] == long
    assert post["text"].endswith("<3 https://example.org/a")
    assert post["hashtags"] == ["mutuals"]
    assert post["urls"] == ["https://example.org/a"]
    assert post["display_start"] == 4
    assert post["url"] == "https://twitter.com/seven/status/1700000000000000000"


def test_followers_page_focal_from_twarc_url(tmp_path: Path) -> None:
    users = [{"id": str(i), "username": f"u{i}", "name": "n"} for i in range(3)]
    lines = [
        json.dumps(
            {
                "data": users,
                "meta": {"result_count": 3},
                "__twarc": {"url": "https://api.twitter.com/2/users/99/followers?max_results=1000"},
            }
        ),
        json.dumps(
            {
                "data": users[:1],
                "__twarc": {"url": "https://api.twitter.com/2/users/99/following"},
            }
        ),
    ]
    p = tmp_path / "followers.jsonl"
    p.write_text("\n".join(lines) + "\n")
    t, _ = read_all(p)
    got = sorted((r["follower_id"], r["friend_id"]) for r in t["follows"].to_pylist())
    assert got == [("0", "99"), ("1", "99"), ("2", "99"), ("99", "0")]


def test_edit_history_keeps_first_version_time(tmp_path: Path) -> None:
    first, latest = "1576994746135764992", "1576994789110992896"
    tw = {
        "id": latest,
        "author_id": "1",
        "text": "hey",
        "created_at": "2022-10-03T17:57:11.000Z",
        "edit_history_tweet_ids": [first, latest],
    }
    p = tmp_path / "edit.jsonl"
    p.write_text(_page([tw], []) + "\n")
    t, _ = read_all(p)
    (post,) = t["posts"].to_pylist()
    assert post["edit_of_id"] == first
    assert post["edited_at"] == datetime(2022, 10, 3, 17, 57, 11, tzinfo=UTC)
    ms = (int(first) >> 22) + 1288834974657  # snowflake layout: ms since the X epoch
    assert post["created_at"] == datetime.fromtimestamp(ms / 1000, tz=UTC)


def test_bad_lines_are_counted_and_rejected(tmp_path: Path) -> None:
    good = _page([{"id": "1", "author_id": "2", "text": "hi"}], [])
    latin1 = '{"data": [{"id": "3", "author_id": "2", "text": "caf\xe9"}]}'.encode("latin-1")
    p = tmp_path / "mixed.jsonl"
    p.write_bytes(
        good.encode() + b"\n" + b'{"data": [{"id": "4", "te\n' + latin1 + b"\n\n" + b"[1, 2]\n"
    )
    rejects = tmp_path / "rejects.jsonl"
    rep = ReadReport(str(p))
    with rejects.open("w") as f:
        rep.rejects = f
        tables = {n: c for n, c in read(p, report=rep)}
    assert tables["posts"].column("post_id").to_pylist() == ["1"]
    assert rep.skipped["malformed JSON"] == 1
    assert rep.skipped["invalid UTF-8 (wrong encoding?)"] == 1
    assert rep.skipped["not an X/Twitter record"] == 2  # the two numbers of [1, 2]
    assert rep.records == 5
    lines = [json.loads(x) for x in rejects.read_text().splitlines()]
    assert len(lines) == rep.n_skipped == 4
    assert "malformed JSON" in {x["reason"] for x in lines}


def test_utf16_file_is_decoded(tmp_path: Path) -> None:
    p = tmp_path / "u16.jsonl"
    p.write_bytes(_page([{"id": "1", "author_id": "2", "text": "é"}], []).encode("utf-16"))
    t, _rep = read_all(p)
    assert t["posts"].column("text").to_pylist() == ["é"]


def test_truncated_gzip_keeps_what_was_read(tmp_path: Path) -> None:
    lines = [_page([{"id": str(i), "author_id": "2", "text": "t"}], []) for i in range(1, 2001)]
    blob = gzip.compress(("\n".join(lines) + "\n").encode())
    p = tmp_path / "cut.jsonl.gz"
    p.write_bytes(blob[: len(blob) // 2])
    t, rep = read_all(p)
    n = t["posts"].num_rows
    assert 0 < n < 2000
    assert rep.skipped["truncated compressed input (rest of file lost)"] == 1
    # a partial last line, if any, is counted as malformed: nothing vanishes silently
    assert rep.records == n + rep.skipped["malformed JSON"]


def test_empty_file_reports_empty(tmp_path: Path) -> None:
    p = tmp_path / "empty.jsonl"
    p.write_text("\n  \n")
    t, rep = read_all(p)
    assert rep.format == "empty" and rep.noted["empty input"] == 1
    assert all(x.num_rows == 0 for x in t.values())


def test_truncated_pretty_document_is_one_counted_skip(tmp_path: Path) -> None:
    p = tmp_path / "doc.json"
    p.write_text('[\n  {\n    "id_str": "1",\n    "text": "x",\n')
    t, rep = read_all(p, format="x-v1")
    assert t["posts"].num_rows == 0
    assert rep.n_skipped == 1


def test_forced_format_on_missing_file_is_typed(tmp_path: Path) -> None:
    from mutuals.errors import InputError

    with pytest.raises(InputError):
        list(read(tmp_path / "nope.jsonl"))
    with pytest.raises(DataFormatError):  # a folder is not a twarc2 file
        list(read(tmp_path, format="twarc2"))
    with pytest.raises(UnknownFormatError, match="folder"):
        detect(tmp_path)
    assert issubclass(UnknownFormatError, DataFormatError)


def test_values_of_the_wrong_type_become_counted_nulls(tmp_path: Path) -> None:
    p = tmp_path / "types.jsonl"
    p.write_text(
        '{"data": [{"id": "5", "username": 7, "name": ["x"]}]}\n'
        '{"data": [{"id": "6", "author_id": "1", "text": "hi", "lang": 3, "created_at": "?"}]}\n'
    )
    t, rep = read_all(p)
    assert t["accounts"].column("account_id").to_pylist() == ["5"]
    assert t["accounts"].column("handle").to_pylist() == [None]
    assert t["posts"].column("lang").to_pylist() == [None]
    assert rep.noted["accounts.handle: value of the wrong type (set to null)"] == 1
    assert rep.noted["posts.lang: value of the wrong type (set to null)"] == 1
    assert rep.noted["unparseable timestamp (set to null)"] == 1


def test_duplicate_tweets_in_a_page_yield_one_row(tmp_path: Path) -> None:
    tw = {"id": "5", "author_id": "2", "text": "dup"}
    p = tmp_path / "dup.jsonl"
    p.write_text(_page([tw, tw], [], includes={"tweets": [tw]}) + "\n")
    t, _ = read_all(p)
    assert t["posts"].column("post_id").to_pylist() == ["5"]


# --------------------------------------------------------------------------- fast path twin


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


_json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10**19), st.text(max_size=5), st.just("1")
)
_json = st.recursive(
    _json_leaf,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "text",
                    "author_id",
                    "data",
                    "includes",
                    "users",
                    "tweets",
                    "errors",
                    "entities",
                    "urls",
                    "mentions",
                    "hashtags",
                    "referenced_tweets",
                    "type",
                    "username",
                    "user",
                    "id_str",
                    "retweeted_status",
                    "verb",
                    "actor",
                    "object",
                    "__twarc",
                    "url",
                    "edit_history_tweet_ids",
                    "public_metrics",
                    "note_tweet",
                    "attachments",
                    "media_keys",
                    "resource_type",
                    "resource_id",
                    "ids",
                    "uri",
                    "body",
                    "method",
                    "status",
                    "name",
                    "lang",
                    "description",
                    "created_at",
                    "verified",
                    "display_text_range",
                    "in_reply_to_user_id",
                    "conversation_id",
                ]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=25,
)


_keys = st.sampled_from(
    [
        "id",
        "id_str",
        "text",
        "author_id",
        "username",
        "name",
        "lang",
        "created_at",
        "user",
        "verified",
        "entities",
        "referenced_tweets",
        "public_metrics",
        "display_text_range",
        "edit_history_tweet_ids",
        "conversation_id",
        "in_reply_to_user_id",
        "attachments",
    ]
)
_objects = st.dictionaries(_keys, _json_leaf | st.lists(_json_leaf, max_size=2), max_size=8)
_pages = st.one_of(
    st.fixed_dictionaries({"data": st.lists(_objects, max_size=3)}),
    st.fixed_dictionaries(
        {
            "data": st.lists(_objects, max_size=2),
            "includes": st.fixed_dictionaries(
                {"users": st.lists(_objects, max_size=2), "tweets": st.lists(_objects, max_size=2)}
            ),
        }
    ),
    _objects,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_json, _pages), min_size=1, max_size=4))
def test_property_arbitrary_json_never_crashes(records: list[Any]) -> None:
    """Any JSON lines at all: rows or counted skips, never an unhandled exception."""
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "fuzz.jsonl"
        p.write_text("\n".join(json.dumps(r) for r in records) + "\n")
        for fmt in ("twarc2", "x-v1"):
            try:
                _, rep = read_all(p, format=fmt)
            except DataFormatError:
                continue
            # every record is counted (a line holding an array counts its elements)
            want = sum(len(r) if isinstance(r, list) else 1 for r in records)
            assert rep.records == want
