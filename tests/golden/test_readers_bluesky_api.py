"""The Bluesky AppView API reader (``bluesky-api``) on the MarshalX SDK fixtures
(real responses) and on small hand-written responses.

Expectations are read off the JSON by hand, not produced by the reader.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from click.testing import CliRunner

from mutuals.cli.main import main
from mutuals.errors import MutualsError
from mutuals.io.ingest import ingest
from mutuals.io.readers import detect, read
from mutuals.io.readreport import ReadReport
from mutuals.io.schema import SCHEMAS
from mutuals.io.store import open_store

MARSHALX = "bluesky-marshalx-sdk-fixtures"
KV = "did:plc:kvwvcn5iqfooopmyzvb4qzba"  # test.marshal.dev, the SDK's test account


def _read(path: Path) -> tuple[dict[str, pa.Table], ReadReport]:
    report = ReadReport(str(path))
    chunks: dict[str, list[pa.Table]] = {}
    for name, table in read(path, report=report, chunk_rows=7):
        assert table.schema.equals(SCHEMAS[name]), name
        chunks.setdefault(name, []).append(table)
    tables = {n: pa.concat_tables(ts) for n, ts in chunks.items()}
    for n, t in tables.items():
        assert report.rows[n] == t.num_rows
    return tables, report


def _rows(tables: dict[str, pa.Table], name: str) -> list[dict[str, Any]]:
    return tables[name].to_pylist() if name in tables else []


def _posts(tables: dict[str, pa.Table]) -> dict[str, dict[str, Any]]:
    return {r["post_id"]: r for r in _rows(tables, "posts")}


# -- the MarshalX fixtures (real AppView / PDS responses) --------------------------


@pytest.fixture(scope="module")
def mx(shared_data: Path) -> Path:
    return shared_data / MARSHALX


def test_every_marshalx_fixture_is_read_or_rejected(mx: Path) -> None:
    """Each file: detected as bluesky-api, and either rows or a counted skip."""
    expected_rows = {
        "custom_record.json": {},
        "did_doc.json": {"accounts": 1},
        "extended_like_record.json": {"accounts": 1, "interactions": 1},
        "extended_post_record.json": {"accounts": 1, "posts": 1},
        "feed_record.json": {},
        "get_follows.json": {"accounts": 7, "follows": 6},
        "like_record.json": {"accounts": 1, "interactions": 1},
        "post_record.json": {"accounts": 1, "posts": 1},
        "resolve_handle.json": {},
        "tests__models__test_data__post_record_with_embed_media.json": {
            "accounts": 2,
            "posts": 2,
            "interactions": 1,
        },
        "tests__models__test_data__search_actors_typeahead.json": {"accounts": 50},
        "thread_view_post_with_embed_media.json": {"accounts": 1, "posts": 2, "interactions": 1},
    }
    expected_skips = {
        "custom_record.json": "record whose $type is not its collection",
        "feed_record.json": "collection not read: app.bsky.feed.generator",
        "resolve_handle.json": "resolveHandle response: a DID without the handle it resolves",
    }
    files = sorted(p.name for p in mx.glob("*.json"))
    assert files == sorted(expected_rows)
    for name in files:
        assert detect(mx / name) == "bluesky-api", name
        _, report = _read(mx / name)
        assert dict(report.rows) == expected_rows[name], name
        if name in expected_skips:
            assert dict(report.skipped) == {expected_skips[name]: 1}, name
        else:
            assert report.n_skipped == 0, (name, report.skipped)


def test_get_follows_direction_and_profiles(mx: Path) -> None:
    tables, report = _read(mx / "get_follows.json")
    assert report.records == 6  # six follows; the subject is not a record
    follows = _rows(tables, "follows")
    # getFollows: the subject (test.marshal.dev) follows each listed account
    assert {r["follower_id"] for r in follows} == {KV}
    assert {r["friend_id"] for r in follows} == {
        "did:plc:vpkhqolt662uhesyj6nxm7ys",
        "did:plc:l3rouwludahu3ui3bt66mfvj",
        "did:plc:oky5czdrnfjpqslsw2a5iclo",
        "did:plc:z72i7hdynmk6r22z27h6tvur",
        "did:plc:m2jwplpernhxkzbo4ev5ljwj",
        "did:plc:s6jnht6koorxz7trghirytmf",
    }
    assert all(r["created_at"] is None for r in follows)  # not in the view
    acc = {r["account_id"]: r for r in _rows(tables, "accounts")}
    why = acc["did:plc:vpkhqolt662uhesyj6nxm7ys"]
    assert why["handle"] == "why.bsky.team" and why["display_name"] == "Why"
    assert why["description"].startswith("Technical advisor to @bluesky")
    assert why["created_at"].isoformat() == "2022-11-17T01:04:43.624000+00:00"
    assert acc[KV]["handle"] == "test.marshal.dev"


def test_thread_view_post_quote_and_media(mx: Path) -> None:
    tables, _ = _read(mx / "thread_view_post_with_embed_media.json")
    posts = _posts(tables)
    top = posts[f"at://{KV}/app.bsky.feed.post/3kaheyt6vpc22"]
    quoted = f"at://{KV}/app.bsky.feed.post/3kahesw26il2z"
    assert top["author_id"] == KV and top["kind"] == "quote" and top["text"] == ""
    assert top["quote_id"] == quoted
    assert top["quote_url"] == f"https://bsky.app/profile/{KV}/post/3kahesw26il2z"
    assert top["url"] == f"https://bsky.app/profile/{KV}/post/3kaheyt6vpc22"
    assert top["root_id"] == top["post_id"] and top["parent_id"] is None
    assert top["created_at"].isoformat() == "2023-09-28T12:49:36.735000+00:00"
    assert (top["like_count"], top["repost_count"], top["reply_count"]) == (0, 0, 0)
    assert top["quote_count"] is None  # this (2023) view has no quoteCount
    assert top["media"] == [
        {
            "type": "image",
            "url": f"https://cdn.bsky.app/img/feed_fullsize/plain/{KV}/"
            "bafkreic3cp5ky525vsukjvrzxsc2h3jka2gud74l2hgeatw2rhj2qycnmq@jpeg",
            "alt": "",
        }
    ]
    # the quoted post's record is embedded: read too
    assert posts[quoted]["text"] == "test" and posts[quoted]["kind"] == "post"
    (q,) = _rows(tables, "interactions")
    assert (q["kind"], q["source_id"], q["target_post_id"]) == ("quote", KV, quoted)


def test_older_thread_view_counts_and_quoted_author(mx: Path) -> None:
    tables, _ = _read(mx / "tests__models__test_data__post_record_with_embed_media.json")
    posts = _posts(tables)
    raven = posts["at://did:plc:hbtuqflamm5j2i7yahtzsnue/app.bsky.feed.post/3k3ic43ucbq2f"]
    assert (raven["like_count"], raven["repost_count"]) == (52, 6)
    q = posts[raven["quote_id"]]
    assert q["author_id"] == "did:plc:z2rokxrttw5254hogmucux2x"
    assert q["text"].startswith("*David Attenborough voice* the young sharks")
    assert q["media"][0]["alt"] == "a large pile of BLÅHAJ "
    acc = {r["account_id"]: r for r in _rows(tables, "accounts")}
    assert acc["did:plc:z2rokxrttw5254hogmucux2x"]["handle"] == "lookitup.baby"


def test_get_record_responses_are_attributed_by_their_uri(mx: Path) -> None:
    tables, _ = _read(mx / "post_record.json")
    (p,) = _rows(tables, "posts")
    assert p["post_id"] == f"at://{KV}/app.bsky.feed.post/3k2yihcrp6f2c"
    assert (p["author_id"], p["text"]) == (KV, "new text114")
    tables, _ = _read(mx / "like_record.json")
    (like,) = _rows(tables, "interactions")
    assert like["kind"] == "like" and like["source_id"] == KV and like["post_id"] is None
    assert like["target_post_id"] == f"at://{KV}/app.bsky.feed.post/3k5u7c7eis72y"
    tables, _ = _read(mx / "did_doc.json")  # describeRepo
    (a,) = _rows(tables, "accounts")
    assert (a["account_id"], a["handle"]) == (KV, "test.marshal.dev")


# -- detection does not steal other readers' files ----------------------------------

#: Formats detected before this reader existed (hand-copied from a run over
#: shared/data), for a representative set of files; "!" = UnknownFormatError.
_DETECTED = {
    "bluesky-jetstream-corpus/expected_v1.jsonl": "bluesky",
    "bluesky-jetstream-corpus/golden_v1.jsonl": "bluesky",
    "bluesky-jetstream-corpus/repo.car": "bluesky",
    "bluesky-jetstream-corpus/car_expected_records.tsv": "!",  # not an edge list (issue 7)
    "bluesky-jetstream-corpus/manifest.json": "!",
    "bluesky-atproto-interop-conformance/data-model__data-model-fixtures.json": "!",
    "bluesky-atproto-interop-conformance/data-model__data-model-valid.json": "!",
    "bluesky-atproto-interop-conformance/firehose__commit-proof-fixtures.json": "!",
    "bluesky-atproto-interop-conformance/syntax__tid_syntax_valid.txt": "!",
    "mastodon-mastodonpy-entity-cassettes/decoded/responses.jsonl": "mastodon",
    "mastodon-mastodonpy-entity-cassettes/test_entity_status.yaml": "!",
    "twarc-csv-testdata/empty.json": "empty",
    "twarc-csv-testdata/noflat.jsonl": "twarc2",
    "twarc-csv-testdata/flat.jsonl": "twarc2-flat",
    "twarc2-docnow-plugins/flatten-tweet_response.json": "twarc2",
    "twarc2-docnow-plugins/carpentries_one_tweet.jsonl": "twarc2-flat",
    "twitter-v1-gnip-tweet_parser/activity_streams_examples.json": "gnip",
    "twitter-v1-python-twitter/user_timeline.json": "x-v1",
    "twitter-v1-python-twitter/models__models_status.json": "x-v1",
    "twitter-v1-python-twitter/update_friendship.json": "!",
    "twitter-v2-v1-tweepy-cassettes/decoded/responses.jsonl": "x-api-responses",
    "twitter-archive-folddb-fixture/account.js": "x-archive",
    "twitter-archive-twitter-to-sqlite/saved-search.js": "x-archive",
    "graph-twitter-follower-egos-anwar2021/bofa_careers.json": "labelled-edges-json",
    "graph-finnish-election-2019-hashtag-retweet-networks/single_hashtag_networks/"
    "persut_p2.edgelist": "snap",
    "graph-snap-ego-twitter/sample_egos/61890555.feat": "!",
}


def _detect(path: Path) -> str:
    try:
        return detect(path)
    except MutualsError as e:
        assert type(e).__name__ == "UnknownFormatError"
        return "!"


def test_detection_of_other_formats_unchanged(shared_data: Path) -> None:
    for rel, fmt in _DETECTED.items():
        assert _detect(shared_data / rel) == fmt, rel


def test_only_appview_files_detected_as_bluesky_api(shared_data: Path) -> None:
    claimed = sorted(
        str(p.relative_to(shared_data))
        for p in shared_data.rglob("*")
        if p.is_file() and _detect(p) == "bluesky-api"
    )
    assert claimed and all(c.startswith(MARSHALX + "/") for c in claimed)
    assert len(claimed) == 12  # every JSON fixture of the folder, nothing else


# -- hand-written responses ----------------------------------------------------------

A = "did:plc:" + "a" * 24
B = "did:plc:" + "b" * 24
C = "did:plc:" + "c" * 24
HANDLES = {A: "alice.test", B: "bob.test", C: "carol.test"}
CID = "bafyreigb666sdjyyaczcahxmf5tzh7dec6bwr3nhdab7llebn7vhsxzgr4"


def _uri(did: str, rkey: str, coll: str = "app.bsky.feed.post") -> str:
    return f"at://{did}/{coll}/{rkey}"


def _profile(did: str) -> dict[str, Any]:
    return {"did": did, "handle": HANDLES[did], "displayName": HANDLES[did].split(".")[0].title()}


def _record(text: str, t: str, reply: tuple[str, str] | None = None, **kw: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {"$type": "app.bsky.feed.post", "text": text, "createdAt": t, **kw}
    if reply:
        rec["reply"] = {
            "parent": {"uri": reply[0], "cid": CID},
            "root": {"uri": reply[1], "cid": CID},
        }
    return rec


def _pv(did: str, rkey: str, rec: dict[str, Any], likes: int = 0) -> dict[str, Any]:
    return {
        "$type": "app.bsky.feed.defs#postView",
        "uri": _uri(did, rkey),
        "cid": CID,
        "author": _profile(did),
        "record": rec,
        "replyCount": 1,
        "repostCount": 2,
        "likeCount": likes,
        "quoteCount": 0,
        "indexedAt": rec["createdAt"],
    }


# A2's text: "2/4 read 🦋 " is 9 + 4 + 1 = 14 bytes; the shortened link
# "bsky.app/profile/b…" 18 + 3 = 21 bytes (14..35); " by " (35..39);
# "@bob.test" (39..48); " " (48); "#AtProto" (49..57).
A2_TEXT = "2/4 read 🦋 bsky.app/profile/b… by @bob.test #AtProto"
A2_FACETS = [
    {
        "index": {"byteStart": 14, "byteEnd": 35},
        "features": [
            {"$type": "app.bsky.richtext.facet#link", "uri": "https://bsky.app/profile/bob.test"}
        ],
    },
    {
        "index": {"byteStart": 39, "byteEnd": 48},
        "features": [{"$type": "app.bsky.richtext.facet#mention", "did": B}],
    },
    {
        "index": {"byteStart": 49, "byteEnd": 57},
        "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "AtProto"}],
    },
]
U = {k: _uri(A, k) for k in ("a1", "a2", "a3", "a2x", "a4", "a5")}
B1, C1 = _uri(B, "b1"), _uri(C, "c1")
REC = {
    "a1": _record("1/4 a thread on facets", "2024-05-01T10:00:00.000Z"),
    "a2": _record(A2_TEXT, "2024-05-01T10:01:00.000Z", (U["a1"], U["a1"]), facets=A2_FACETS),
    "a3": _record("3/4 more", "2024-05-01T10:05:00.000Z", (U["a2"], U["a1"])),
    "a4": _record("4/4 the end", "2024-05-01T10:06:00.000Z", (U["a3"], U["a1"])),
    "a2x": _record("an aside", "2024-05-01T10:07:00.000Z", (U["a2"], U["a1"])),
    "b1": _record("nice", "2024-05-01T10:03:00.000Z", (U["a2"], U["a1"])),
}


def _node(post: dict[str, Any], replies: list[Any] | None = None, **kw: Any) -> dict[str, Any]:
    return {
        "$type": "app.bsky.feed.defs#threadViewPost",
        "post": post,
        "replies": replies or [],
        **kw,
    }


def thread_response() -> dict[str, Any]:
    """getPostThread anchored at A2: parent A1; replies listed out of time order."""
    a5_gone = {"$type": "app.bsky.feed.defs#notFoundPost", "uri": U["a5"], "notFound": True}
    c1_blocked = {
        "$type": "app.bsky.feed.defs#blockedPost",
        "uri": C1,
        "blocked": True,
        "author": {"did": C, "viewer": {"blocking": _uri(A, "x", "app.bsky.graph.block")}},
    }
    return {
        "thread": _node(
            _pv(A, "a2", REC["a2"], likes=5),
            [
                _node(_pv(A, "a2x", REC["a2x"])),
                _node(_pv(B, "b1", REC["b1"])),
                _node(_pv(A, "a3", REC["a3"]), [_node(_pv(A, "a4", REC["a4"]), [a5_gone])]),
                c1_blocked,
            ],
            parent=_node(_pv(A, "a1", REC["a1"]), None),
        )
    }


def test_thread_view_rows(tmp_path: Path) -> None:
    f = tmp_path / "thread.json"
    f.write_text(json.dumps(thread_response(), indent=2, ensure_ascii=False), "utf-8")
    assert detect(f) == "bluesky-api"
    tables, report = _read(f)
    assert report.records == 8  # a1, a2, a3, a2x, a4, b1, a5 (gone), c1 (blocked)
    posts = _posts(tables)
    assert set(posts) == {*U.values(), B1, C1}
    a2 = posts[U["a2"]]
    assert a2["text"] == "2/4 read 🦋 https://bsky.app/profile/bob.test by @bob.test #AtProto"
    assert a2["text_raw"] == A2_TEXT
    assert a2["urls"] == ["https://bsky.app/profile/bob.test"]
    assert a2["mentions"] == [B] and a2["hashtags"] == ["atproto"]
    assert (a2["kind"], a2["parent_id"], a2["root_id"]) == ("reply", U["a1"], U["a1"])
    assert a2["parent_author_id"] == A and a2["like_count"] == 5
    assert posts[U["a4"]]["parent_id"] == U["a3"] and posts[U["a4"]]["root_id"] == U["a1"]
    assert posts[B1]["author_id"] == B and posts[B1]["parent_id"] == U["a2"]
    # unavailable posts: placeholders where the thread places them
    gone, blocked = posts[U["a5"]], posts[C1]
    assert gone["deleted"] and gone["text"] is None and gone["author_id"] == A
    assert (gone["kind"], gone["parent_id"], gone["root_id"]) == ("reply", U["a4"], U["a1"])
    assert blocked["deleted"] and blocked["author_id"] == C and blocked["parent_id"] == U["a2"]
    assert report.noted["thread post not found: placeholder row (deleted, no text)"] == 1
    assert report.noted["thread post blocked: placeholder row (deleted, no text)"] == 1
    inter = _rows(tables, "interactions")
    replies = {
        (r["source_id"], r["post_id"], r["target_post_id"]) for r in inter if r["kind"] == "reply"
    }
    assert (B, B1, U["a2"]) in replies and len(replies) == 5  # a2, a3, a2x, a4, b1
    assert [r["target_id"] for r in inter if r["kind"] == "mention"] == [B]


def test_ingest_then_unroll_all_gives_thread_order(tmp_path: Path) -> None:
    f = tmp_path / "thread.json"
    f.write_text(json.dumps(thread_response()), "utf-8")
    store = tmp_path / "store"
    runner = CliRunner()
    res = runner.invoke(main, ["ingest", str(f), "-o", str(store)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["unroll", str(store), "--all", "--format", "json"])
    assert res.exit_code == 0, res.output
    (th,) = json.loads(res.stdout)["threads"]
    assert th["author_id"] == A and th["author_handle"] == "alice.test"
    # by hand: a1 -> a2 -> a3 (alice's earliest reply to a2: a2x is later in time, though
    # earlier in id order and listed first in the JSON) -> a4;
    # the deleted a5 ends the chain (a dead end: dropped); bob's b1 is not alice's
    assert [p["post_id"] for p in th["posts"]] == [U["a1"], U["a2"], U["a3"], U["a4"]]
    assert [[p["post_id"] for p in b["posts"]] for b in th["branches"]] == [[U["a2x"]]]
    assert th["posts"][1]["text"].startswith("read 🦋 https://bsky.app/profile/bob.test")


def test_real_thread_view_ingest_and_unroll(mx: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    runner = CliRunner()
    src = mx / "thread_view_post_with_embed_media.json"
    assert runner.invoke(main, ["ingest", str(src), "-o", str(store)]).exit_code == 0
    res = runner.invoke(
        main,
        [
            "unroll",
            str(store),
            "--post",
            f"at://{KV}/app.bsky.feed.post/3kaheyt6vpc22",
            "--format",
            "json",
        ],
    )
    assert res.exit_code == 0, res.output
    (th,) = json.loads(res.stdout)["threads"]
    # one post (no parent, no replies), quoting the earlier "test" post of the same account
    (p,) = th["posts"]
    assert p["post_id"] == f"at://{KV}/app.bsky.feed.post/3kaheyt6vpc22"
    assert p["quote"]["post_id"] == f"at://{KV}/app.bsky.feed.post/3kahesw26il2z"
    assert p["quote"]["text"] == "test"


def test_other_responses_jsonl(tmp_path: Path) -> None:
    bx, cx = _uri(B, "bx"), _uri(C, "cx")
    r1 = _uri(A, "r1", "app.bsky.feed.repost")
    l1, l2 = _uri(A, "l1", "app.bsky.graph.list"), _uri(A, "l2", "app.bsky.graph.list")
    sp = _uri(A, "s1", "app.bsky.graph.starterpack")
    t = "2024-06-01T08:00:00.000Z"
    responses = [
        {  # getAuthorFeed of alice
            "feed": [
                {
                    "post": _pv(A, "a2", REC["a2"]),
                    "reply": {"root": _pv(A, "a1", REC["a1"]), "parent": _pv(A, "a1", REC["a1"])},
                },
                {  # a reply whose parent is gone: the placeholder sits in a1's thread
                    "post": _pv(A, "a6", _record("late", t, (U["a5"], U["a1"]))),
                    "reply": {
                        "root": _pv(A, "a1", REC["a1"]),
                        "parent": {"$type": "app.bsky.feed.defs#notFoundPost", "uri": U["a5"]},
                    },
                },
                {
                    "post": _pv(B, "bx", _record("bob's", t)),
                    "reason": {
                        "$type": "app.bsky.feed.defs#reasonRepost",
                        "by": _profile(A),
                        "uri": r1,
                        "cid": CID,
                        "indexedAt": "2024-06-01T09:00:00.000Z",
                    },
                },
                {
                    "post": _pv(C, "cx", _record("carol's", t)),
                    "reason": {
                        "$type": "app.bsky.feed.defs#reasonRepost",
                        "by": _profile(A),
                        "indexedAt": "2024-06-01T09:30:00.000Z",
                    },
                },
                {
                    "post": _pv(A, "a1", REC["a1"]),
                    "reason": {"$type": "app.bsky.feed.defs#reasonPin"},
                },
            ],
            "cursor": "x",
        },
        {"subject": _profile(B), "followers": [_profile(A), _profile(C)], "cursor": "y"},
        {"uri": bx, "cid": CID, "likes": [{"actor": _profile(A), "createdAt": t, "indexedAt": t}]},
        {"uri": bx, "cid": CID, "repostedBy": [_profile(C)]},
        {
            "list": {
                "uri": l1,
                "cid": CID,
                "creator": _profile(A),
                "name": "friends",
                "purpose": "app.bsky.graph.defs#curatelist",
                "indexedAt": t,
            },
            "items": [
                {"uri": _uri(A, "i1", "app.bsky.graph.listitem"), "subject": _profile(B)},
                {"uri": _uri(A, "i2", "app.bsky.graph.listitem"), "subject": _profile(C)},
            ],
        },
        {
            "starterPack": {
                "uri": sp,
                "cid": CID,
                "record": {
                    "$type": "app.bsky.graph.starterpack",
                    "name": "Pack",
                    "list": l2,
                    "createdAt": t,
                },
                "creator": _profile(A),
                "list": {
                    "uri": l2,
                    "cid": CID,
                    "name": "Pack",
                    "purpose": "app.bsky.graph.defs#referencelist",
                },
                "listItemsSample": [
                    {"uri": _uri(A, "i3", "app.bsky.graph.listitem"), "subject": _profile(B)}
                ],
                "indexedAt": t,
            }
        },
        {"$type": "app.bsky.feed.post", "text": "whose?", "createdAt": t},
        {"profiles": [{**_profile(C), "followersCount": 10, "followsCount": 3, "postsCount": 7}]},
        {"posts": [], "hitsTotal": 0},  # an empty searchPosts page
        {"suggestions": [_profile(B)]},
    ]
    f = tmp_path / "responses.jsonl"
    f.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in responses), "utf-8")
    assert detect(f) == "bluesky-api"
    tables, report = _read(f)
    posts = _posts(tables)
    assert posts[r1]["kind"] == "repost" and posts[r1]["repost_of_id"] == bx
    assert posts[r1]["author_id"] == A
    assert posts[U["a2"]]["text"].startswith("2/4 read 🦋 https://")
    gone = posts[U["a5"]]
    assert gone["deleted"] and (gone["kind"], gone["root_id"]) == ("reply", U["a1"])
    assert posts[_uri(A, "a6")]["parent_id"] == U["a5"]
    inter = {
        (r["kind"], r["source_id"], r["target_id"], r["post_id"], r["target_post_id"])
        for r in _rows(tables, "interactions")
    }
    assert ("repost", A, B, r1, bx) in inter
    assert ("repost", A, C, None, cx) in inter  # reason without its uri: no repost id
    assert ("like", A, B, None, bx) in inter
    assert ("repost", C, B, None, bx) in inter  # getRepostedBy
    follows = {(r["follower_id"], r["friend_id"]) for r in _rows(tables, "follows")}
    assert follows == {(A, B), (C, B)}  # getFollowers: each follower -> the subject
    lists = {r["list_id"]: r for r in _rows(tables, "lists")}
    assert lists[l1]["kind"] == "curatelist" and lists[l1]["owner_id"] == A
    assert lists[sp]["kind"] == "starter_pack" and lists[sp]["name"] == "Pack"
    assert lists[l2]["kind"] == "referencelist"
    members = {(r["list_id"], r["account_id"]) for r in _rows(tables, "list_members")}
    assert members == {(l1, B), (l1, C), (l2, B)}
    assert (
        report.skipped["bare app.bsky.feed.post record without its AT-URI: the author is unknown"]
        == 1
    )
    assert report.noted["feed reason not read: app.bsky.feed.defs#reasonPin"] == 1
    assert report.noted["empty response page"] == 1
    empty = tmp_path / "timeline-page-9.json"
    empty.write_text('{"feed": [], "cursor": "zz"}', "utf-8")
    assert detect(empty) == "bluesky-api"
    assert _read(empty)[1].noted["empty response page"] == 1
    carol = [r for r in _rows(tables, "accounts") if r["account_id"] == C and r["followers_count"]]
    assert (carol[0]["followers_count"], carol[0]["following_count"], carol[0]["posts_count"]) == (
        10,
        3,
        7,
    )


# -- the same data from Jetstream and from the API merge without duplicates ----------


def _jet(did: str, coll: str, rkey: str, rec: dict[str, Any], t_us: int) -> str:
    ev = {
        "did": did,
        "time_us": t_us,
        "kind": "commit",
        "commit": {
            "rev": "3l",
            "operation": "create",
            "collection": coll,
            "rkey": rkey,
            "record": rec,
            "cid": CID,
        },
    }
    return json.dumps(ev, ensure_ascii=False) + "\n"


def test_api_and_jetstream_merge_in_ingest(tmp_path: Path) -> None:
    t0 = 1714557600_000000
    jet = tmp_path / "jetstream.jsonl"
    jet.write_text(
        _jet(A, "app.bsky.feed.post", "a1", REC["a1"], t0)
        + _jet(A, "app.bsky.feed.post", "a2", REC["a2"], t0 + 1)
        + _jet(A, "app.bsky.feed.post", "a3", REC["a3"], t0 + 2)
        + _jet(B, "app.bsky.feed.post", "b1", REC["b1"], t0 + 3)
        + _jet(
            C,
            "app.bsky.graph.follow",
            "f1",
            {"subject": B, "createdAt": "2024-01-01T00:00:00Z"},
            t0 + 4,
        ),
        "utf-8",
    )
    api = tmp_path / "thread.json"
    api.write_text(json.dumps(thread_response()), "utf-8")
    followers = tmp_path / "followers.json"
    followers.write_text(json.dumps({"subject": _profile(B), "followers": [_profile(C)]}), "utf-8")
    assert detect(jet) == "bluesky" and detect(api) == "bluesky-api"

    # the shared columns agree row for row between the two readers
    jt, _ = _read(jet)
    at, _ = _read(api)
    same = [
        "post_id",
        "author_id",
        "created_at",
        "kind",
        "text",
        "text_raw",
        "lang",
        "parent_id",
        "parent_author_id",
        "root_id",
        "quote_id",
        "hashtags",
        "mentions",
        "urls",
        "media",
        "url",
    ]
    jp, ap = _posts(jt), _posts(at)
    assert set(jp) == {U["a1"], U["a2"], U["a3"], B1} <= set(ap)
    for pid, row in jp.items():
        assert {c: row[c] for c in same} == {c: ap[pid][c] for c in same}, pid

    store = tmp_path / "store"
    ingest([jet, api, followers], store)
    s = open_store(store)
    posts = s.table("posts").to_pylist()
    ids = [r["post_id"] for r in posts]
    assert len(ids) == len(set(ids)) == 8  # a1..a5, a2x, b1, c1: one row each
    a2 = next(r for r in posts if r["post_id"] == U["a2"])
    assert a2["like_count"] == 5 and a2["hashtags"] == ["atproto"] and not a2["deleted"]
    inter = s.table("interactions").to_pylist()
    keys = [(r["kind"], r["source_id"], r["post_id"], r["target_post_id"]) for r in inter]
    assert len(keys) == len(set(keys))
    assert sum(k[0] == "reply" for k in keys) == 5 and sum(k[0] == "mention" for k in keys) == 1
    follows = [(r["follower_id"], r["friend_id"]) for r in s.table("follows").to_pylist()]
    assert follows == [(C, B)]  # from Jetstream and from getFollowers: one edge
    (cb,) = s.table("follows").to_pylist()
    assert cb["created_at"].isoformat() == "2024-01-01T00:00:00+00:00"
    accounts = [r["account_id"] for r in s.table("accounts").to_pylist()]
    assert sorted(accounts) == [A, B, C]
