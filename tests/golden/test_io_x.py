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

from helpers.x_pages import _page, _units, read_all
from mutuals.errors import DataFormatError, UnknownFormatError
from mutuals.io.readers import detect, formats, read
from mutuals.io.readreport import ReadReport


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
    assert post["text"].endswith("& more!")  # the video's link is cut: it is in media
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
    # each id is a record, counted skipped, not silent
    assert t["follows"].num_rows == 0 and rep.n_skipped == rep.records == len(ids)
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
    # the Latin-1 line is kept, re-decoded, and the re-decoding counted
    assert tables["posts"].column("post_id").to_pylist() == ["1", "3"]
    assert tables["posts"].column("text").to_pylist()[1] == "café"
    assert rep.skipped["malformed JSON"] == 1
    assert rep.noted["line not valid UTF-8: decoded as Windows-1252/Latin-1"] == 1
    assert rep.skipped["not an X/Twitter record"] == 2  # the two numbers of [1, 2]
    assert rep.records == 5
    lines = [json.loads(x) for x in rejects.read_text().splitlines()]
    assert len(lines) == rep.n_skipped == 3
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
    # a partial last line, if any, is counted as malformed, the lost rest as one record:
    # nothing vanishes silently, and the records add up
    assert rep.records == n + rep.skipped["malformed JSON"] + 1 == n + rep.n_skipped


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


def test_values_of_the_wrong_type_skip_their_record_naming_the_column(tmp_path: Path) -> None:
    p = tmp_path / "types.jsonl"
    p.write_text(
        '{"data": [{"id": "5", "username": 7, "name": ["x"]}]}\n'
        '{"data": [{"id": "6", "author_id": "1", "text": "hi", "lang": 3, "created_at": "?"}]}\n'
    )
    t, rep = read_all(p)
    assert t["accounts"].num_rows == 0
    assert rep.skipped["accounts.handle: an integer where text is expected (record skipped)"] == 1
    assert t["posts"].num_rows == 0
    assert rep.skipped["posts.lang: an integer where text is expected (record skipped)"] == 1
    assert rep.records == 2 and rep.n_skipped == 2


def test_duplicate_tweets_in_a_page_yield_one_row(tmp_path: Path) -> None:
    tw = {"id": "5", "author_id": "2", "text": "dup"}
    p = tmp_path / "dup.jsonl"
    p.write_text(_page([tw, tw], [], includes={"tweets": [tw]}) + "\n")
    t, _ = read_all(p)
    assert t["posts"].column("post_id").to_pylist() == ["5"]


# --------------------------------------------------------------------------- fast path twin


# --------------------------------------------------------------------------- media links


def test_v1_media_link_is_removed_from_text(shared_data: Path) -> None:
    """A photo's t.co link is cut from ``text`` (the photo goes to ``media``), as X shows it."""
    t, _ = read_all(shared_data / "twitter-v1-python-twitter/get_user_timeline.json")
    post = rows_by(t["posts"], "post_id")["670676153867198464"]
    assert post["text"] == "Longtime Android user using a Kindle Fire for the first time."
    assert "https://t.co/" in post["text_raw"]
    assert [m["type"] for m in post["media"]] == ["animated_gif"]


def test_v2_media_link_is_removed_from_text(shared_data: Path) -> None:
    t, _ = read_all(shared_data / "twarc2-docnow-plugins/twarc-hashtags_tweets1.jsonl")
    post = rows_by(t["posts"], "post_id")["1374396022735085570"]
    assert post["text"].endswith("& more!")
    assert "/video/1" not in post["text"]
    t, _ = read_all(shared_data / "twarc2-docnow-plugins/twarc-edits_tweets.jsonl")
    for p in t["posts"].to_pylist():
        if p["text"] is not None:
            assert "/photo/" not in p["text"] and "/video/" not in p["text"], p["post_id"]


def test_v1_media_link_listed_as_a_url_is_removed(shared_data: Path) -> None:
    """Some v1.1 payloads list the photo link under ``urls`` (display pic.twitter.com)."""
    t, _ = read_all(shared_data / "twitter-v1-python-twitter/get_search_raw.json")
    post = rows_by(t["posts"], "post_id")["690952132514693121"]
    assert post["text"] == "yapacagın isi sikeyim"
    assert not any("/photo/" in u for u in post["urls"])


def test_gnip_media_link_is_removed_from_text(shared_data: Path) -> None:
    t, _ = read_all(shared_data / "twitter-v1-gnip-tweet_parser/activity_streams_examples.json")
    post = rows_by(t["posts"], "post_id")["867834809732677634"]
    assert post["text"] == "K) Let's try just one photo! 🐰"
    assert len(post["media"]) == 1


# --------------------------------------------------------------------------- hostile files


def test_truncated_gzip_of_one_long_line_is_a_clear_error(tmp_path: Path) -> None:
    """Cut inside the first (only) page: nothing is readable; a one-line error says so
    (it used to escape as EOFError, which click printed as a bare "Aborted!")."""
    from click.testing import CliRunner

    from mutuals.cli.main import main

    tweets = [{"id": str(i), "author_id": "2", "text": "t" * 200} for i in range(1, 3000)]
    blob = gzip.compress((_page(tweets, []) + "\n").encode())
    p = tmp_path / "cut.jsonl.gz"
    p.write_bytes(blob[: len(blob) // 3])
    with pytest.raises(DataFormatError, match="truncated"):
        detect(p)
    res = CliRunner().invoke(main, ["ingest", str(p), "--out", str(tmp_path / "s")])
    assert res.exit_code == 1
    assert res.output.startswith("Error: ") and "truncated" in res.output
    assert "Aborted" not in res.output and len(res.output.strip().splitlines()) == 1


def test_latin1_lines_are_decoded_and_noted(tmp_path: Path) -> None:
    """A file saved as Latin-1 / Windows-1252 instead of UTF-8: detected, every record
    kept (decoded as cp1252), and the re-decoding counted, not silent."""
    p = tmp_path / "latin1.jsonl"
    pages = [
        _page(
            [{"id": "1", "author_id": "2", "text": "café “naïve”"}],
            [{"id": "2", "username": "jürgen"}],
        ),
        _page([{"id": "3", "author_id": "2", "text": "plain"}], []),
    ]
    text = "\n".join(json.dumps(json.loads(x), ensure_ascii=False) for x in pages)
    p.write_bytes(text.encode("cp1252") + b"\n")
    assert detect(p) == "twarc2"
    t, rep = read_all(p)
    assert rows_by(t["posts"], "post_id")["1"]["text"] == "café “naïve”"
    assert rows_by(t["accounts"], "account_id")["2"]["handle"] == "jürgen"
    assert rep.n_skipped == 0 and rep.records == 3  # two tweets and a user
    assert sum(v for k, v in rep.noted.items() if "not valid UTF-8" in k) == 1


def test_huge_first_line_does_not_hide_the_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first line longer than the sniffing limit: the next line decides the format and
    the long line is still read."""
    from mutuals.io.readers import _common

    monkeypatch.setattr(_common, "SNIFF_DOCUMENT_BYTES", 1 << 17)
    p = tmp_path / "huge.jsonl"
    big = _page([{"id": "1", "author_id": "2", "text": "x" * (1 << 18)}], [])
    p.write_text(big + "\n" + _page([{"id": "3", "author_id": "2", "text": "small"}], []) + "\n")
    assert detect(p) == "twarc2"
    t, rep = read_all(p)
    texts = rows_by(t["posts"], "post_id")
    assert len(texts["1"]["text"]) == 1 << 18 and texts["3"]["text"] == "small"
    assert rep.records == 2 and rep.n_skipped == 0


def test_zip_that_is_not_an_archive_says_so(tmp_path: Path) -> None:
    import zipfile

    z = tmp_path / "tweets.zip"
    with zipfile.ZipFile(z, "w") as f:
        f.writestr("tweets.jsonl", _page([{"id": "1", "author_id": "2", "text": "t"}], []))
    with pytest.raises(UnknownFormatError, match=r"zip file.*unzip it") as e:
        detect(z)
    assert "\\x03" not in str(e.value)  # no binary noise in the message
    cut = tmp_path / "archive.zip"  # a zip cut short (its directory is at the end)
    cut.write_bytes(z.read_bytes()[:-30])
    with pytest.raises(UnknownFormatError, match="truncated or corrupt"):
        detect(cut)


def _v1_body_units(b: Any) -> int:
    if isinstance(b, list):
        return max(1, sum(_v1_body_units(e) for e in b))
    return _units(b) if isinstance(b, dict) else 1


def _independent_records(path: Path) -> int:
    """Records of an X sample by a separate JSON pass (documents and JSON lines)."""
    text = path.read_text()
    try:
        values = [json.loads(text)]
    except json.JSONDecodeError:
        values = []
        for line in text.splitlines():
            if line.strip():
                try:
                    values.append(json.loads(line))
                except json.JSONDecodeError:
                    values.append(None)  # a malformed line: one record (skipped)
    n = 0
    for v in values:
        for r in v if isinstance(v, list) else [v]:
            if isinstance(r, dict) and "uri" in r and "body" in r:
                b, uri = r["body"], r["uri"]
                ok = (
                    str(r.get("method", "GET")).upper() == "GET"
                    and 200
                    <= (
                        r["status"]["code"]
                        if isinstance(r.get("status"), dict)
                        else r.get("status")
                    )
                    < 300
                )
                if ok and b and "/2/" in uri and isinstance(b, dict):
                    n += _units(b) if ("data" in b or "errors" in b) else 1
                elif ok and b and "/1.1/" in uri:
                    n += _v1_body_units(b)
                else:
                    n += 1
            else:
                n += _units(r)
    return n


@pytest.mark.parametrize(
    "rel",
    [
        "twarc-csv-testdata/counts.jsonl",
        "twarc-csv-testdata/withheld.jsonl",
        "twarc-csv-testdata/users.jsonl",
        "twarc-csv-testdata/flat.jsonl",
        "twarc-csv-testdata/streaming_output_with_error.jsonl",
        "twarc-csv-testdata/tweets_compliance.jsonl",
        "twarc2-docnow-plugins/twarc-edits_tweets.jsonl",
        "twarc2-docnow-plugins/flatten-tweet_response.json",
        "twarc2-blm-twarc2sql/search_example.jsonl",
        "twitter-v1-python-twitter/get_user_timeline.json",
        "twitter-v1-python-twitter/get_search.json",
        "twitter-v1-python-twitter/get_follower_ids_0.json",
        "twitter-v1-python-twitter/get_friends_0.json",
        "twitter-v1-gnip-tweet_parser/activity_streams_examples.json",
        "twitter-v2-v1-tweepy-cassettes/decoded/responses.jsonl",
    ],
)
def test_summary_adds_up_against_an_independent_count(shared_data: Path, rel: str) -> None:
    """records read (counted by a separate JSON pass) = records kept + records skipped:
    a page counts as the tweets, users and errors it holds, not as one record."""
    path = shared_data / rel
    _, rep = read_all(path)
    assert rep.records == _independent_records(path)
    assert 0 <= rep.n_skipped <= rep.records


def test_leading_auto_mentions_are_cut_by_display_range(shared_data: Path, tmp_path: Path) -> None:
    """X puts the reply's auto-mentions before ``display_text_range``; readable text starts
    after them (the mentions stay in ``mentions``, the raw text in ``text_raw``)."""
    t, _ = read_all(shared_data / "twitter-v1-twitter-to-sqlite/tweets.json")
    raw = json.loads((shared_data / "twitter-v1-twitter-to-sqlite/tweets.json").read_text())[1]
    p = rows_by(t["posts"], "post_id")[raw["id_str"]]
    assert p["text"].startswith("The @inaturalist API is amazingly powerful")
    assert p["text_raw"].startswith("@scientiffic @Wikipedia @unsplash @cagarrity The")
    assert len(p["mentions"]) >= 4
    page = _page(
        [
            {
                "id": "2",
                "author_id": "7",
                "text": "@alice @bob second &amp; more",
                "display_text_range": [12, 29],
            },
            {"id": "3", "author_id": "7", "text": "@alice 🎉 third", "display_text_range": [7, 14]},
            {
                "id": "4",
                "author_id": "7",
                "text": "Not a mention, kept whole",
                "display_text_range": [4, 25],
            },
        ],
        [{"id": "7", "username": "me", "name": "Me"}],
    )
    t, _ = read_all(shared_data / "twitter-v1-gnip-tweet_parser/activity_streams_examples.json")
    gnip = [r["text"] for r in t["posts"].to_pylist() if "Here goes nothing" in (r["text"] or "")]
    assert gnip and all(x.startswith("L) Here goes nothing") for x in gnip)
    f = tmp_path / "replies.jsonl"
    f.write_text(page + "\n")
    for fast in (True, False):
        t, _ = read_all(f, fast=fast)
        texts = {r["post_id"]: r["text"] for r in t["posts"].to_pylist()}
        assert texts == {"2": "second & more", "3": "🎉 third", "4": "Not a mention, kept whole"}


def test_v2_reply_without_display_range_hides_leading_mentions(tmp_path: Path) -> None:
    """v2 pages rarely carry display_text_range; a reply's leading @-mentions are still the
    "Replying to" list X shows apart, so readable text starts after them."""
    ref = [{"type": "replied_to", "id": "1"}]
    page = _page(
        [
            {
                "id": "2",
                "author_id": "7",
                "text": "@alice @bob_2 hello &amp; bye",
                "referenced_tweets": ref,
            },
            {"id": "3", "author_id": "7", "text": "@alice hello, not a reply"},
            {"id": "4", "author_id": "7", "text": "@alice @bob", "referenced_tweets": ref},
            {"id": "5", "author_id": "7", "text": "hi @alice", "referenced_tweets": ref},
        ],
        [{"id": "7", "username": "me", "name": "Me"}],
    )
    f = tmp_path / "r.jsonl"
    f.write_text(page + "\n")
    for fast in (True, False):
        t, _ = read_all(f, fast=fast)
        got = {r["post_id"]: (r["text"], r["display_start"]) for r in t["posts"].to_pylist()}
        assert got == {
            "2": ("hello & bye", 14),
            "3": ("@alice hello, not a reply", None),
            "4": ("@alice @bob", None),
            "5": ("hi @alice", None),
        }, fast


def test_a_line_beyond_the_line_limit_is_a_counted_skip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A line longer than the limit (1 GiB; lowered here) is skipped without holding it
    in memory; the lines after it are read."""
    from mutuals.io.readers import _common

    monkeypatch.setattr(_common, "MAX_LINE_BYTES", 1 << 12)
    p = tmp_path / "long.jsonl"
    small = _page([{"id": "3", "author_id": "2", "text": "small"}], [])
    big = _page([{"id": "1", "author_id": "2", "text": "x" * 10_000}], [])
    p.write_text(small + "\n" + big + "\n" + small.replace('"3"', '"4"') + "\n")
    t, rep = read_all(p, format="twarc2")
    assert sorted(t["posts"]["post_id"].to_pylist()) == ["3", "4"]
    assert rep.skipped == {"line longer than 4 KiB (not read)": 1}
    assert rep.records == 3


def test_array_with_one_element_per_line_is_a_document(tmp_path: Path) -> None:
    """'[{...},\\n{...}\\n]': the second line parses alone, but the file is one document."""
    p = tmp_path / "statuses.json"
    a = {"id_str": "1", "text": "one", "user": {"id_str": "9", "screen_name": "n"}}
    b = {"id_str": "2", "text": "two", "user": {"id_str": "9", "screen_name": "n"}}
    p.write_text("[" + json.dumps(a) + ",\n" + json.dumps(b) + "\n]\n")
    t, rep = read_all(p)
    assert sorted(t["posts"]["post_id"].to_pylist()) == ["1", "2"]
    assert rep.n_skipped == 0 and rep.records == 2
