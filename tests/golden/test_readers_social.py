"""Readers of the X archive, Mastodon API JSON and Bluesky (Jetstream, CAR) on real samples.

Expectations are hand-picked from the sample files (ids, texts, counts read off
the raw JSON) or come from the corpora's own golden files, not from the readers.
"""

from __future__ import annotations

import base64
import json
import shutil
import zipfile
from pathlib import Path

import pyarrow as pa
import pytest

from mutuals.errors import DataFormatError
from mutuals.io.readers import atproto, bluesky, mastodon, xarchive
from mutuals.io.readreport import ReadReport
from mutuals.io.schema import SCHEMAS

pytestmark = pytest.mark.shared_data


def _read(fn, path) -> tuple[dict[str, pa.Table], ReadReport]:
    report = ReadReport(str(path))
    chunks: dict[str, list[pa.Table]] = {}
    for name, table in fn(path, report):
        assert table.schema.equals(SCHEMAS[name]), name
        chunks.setdefault(name, []).append(table)
    tables = {n: pa.concat_tables(ts) for n, ts in chunks.items()}
    for n, t in tables.items():
        assert report.rows[n] == t.num_rows
    return tables, report


def _by_id(posts: pa.Table) -> dict[str, dict]:
    return {r["post_id"]: r for r in posts.to_pylist()}


def _ytd(path: Path) -> list:
    text = path.read_text("utf-8")
    return json.loads(text[text.index("=") + 1 :])


# -- X archive -----------------------------------------------------------------


@pytest.fixture(scope="module")
def archive(shared_data: Path) -> tuple[dict[str, pa.Table], ReadReport]:
    return _read(xarchive.read_xarchive, shared_data / "twitter-archive-folddb-fixture")


def test_xarchive_counts(archive, shared_data: Path) -> None:
    tables, report = archive
    folder = shared_data / "twitter-archive-folddb-fixture"
    assert xarchive.sniff(folder)
    assert tables["posts"].num_rows == len(_ytd(folder / "tweets.js"))
    n_follow = len(_ytd(folder / "follower.js")) + len(_ytd(folder / "following.js"))
    assert tables["follows"].num_rows == n_follow
    likes = tables["interactions"].filter(pa.compute.equal(tables["interactions"]["kind"], "like"))
    assert likes.num_rows == len(_ytd(folder / "like.js"))
    assert tables["list_members"].num_rows == 2
    assert set(tables["posts"]["author_id"].to_pylist()) == {"12345678"}
    # tweet-headers.js is a data type the reader does not use: counted, not silent
    assert report.skipped["archive data type not read: tweet_headers"] == 1


def test_xarchive_thread_links_and_text(archive) -> None:
    posts = _by_id(archive[0]["posts"])
    t = posts["1602103383124373505"]
    assert t["parent_id"] == "1602103380591095808"
    assert t["parent_author_id"] == "12345678"
    assert t["kind"] == "reply"
    assert t["text"].startswith("2/8 Fed QE to get the US out of a deep recession")
    # leading auto-mention cut by display_text_range? Here the range starts at 0: kept.
    r = posts["1980321021254390009"]
    assert r["text_raw"].startswith("@PeterSweden7 We need")
    # HTML entities unescaped in text, kept in text_raw
    m = posts["1930863426840166731"]
    assert "Momentum & Inertia" in m["text"]
    assert "&amp;" in m["text_raw"]


def test_xarchive_note_tweet_edit_media_quote(archive) -> None:
    posts = _by_id(archive[0]["posts"])
    note = posts["1745174596457005383"]
    assert note["text_raw"].endswith("scales and…")
    assert note["text"].endswith("Momentum is far more powerful than we expect.")
    edit = posts["1891540479336177879"]
    assert edit["edit_of_id"] == "1891539877742903705"
    assert edit["edited_at"] is not None
    media = posts["1885021652414849370"]
    assert [m["type"] for m in media["media"]] == ["photo", "photo"]
    assert "t.co/UziFE1b8e3" not in media["text"]
    q = [
        p
        for p in posts.values()
        if p["quote_url"] == "https://x.com/naval/status/1903177278256976281"
    ]
    assert len(q) == 1 and q[0]["quote_id"] == "1903177278256976281"
    assert "https://x.com/naval/status/1903177278256976281" in q[0]["text"]


def test_xarchive_display_text_range_cuts_mentions(tmp_path: Path) -> None:
    tweet = {
        "tweet": {
            "id_str": "20",
            "full_text": "@alice @bob thanks &amp; see https://t.co/abc",
            "display_text_range": ["12", "45"],
            "created_at": "Mon Oct 20 17:11:38 +0000 2025",
            "in_reply_to_status_id_str": "10",
            "in_reply_to_user_id_str": "99",
            "entities": {
                "urls": [{"url": "https://t.co/abc", "expanded_url": "https://example.org/a"}],
                "user_mentions": [{"id_str": "99", "screen_name": "alice"}],
            },
        }
    }
    (tmp_path / "account.js").write_text(
        'window.YTD.account.part0 = [{"account": {"accountId": "1", "username": "me"}}]'
    )
    (tmp_path / "tweets.js").write_text("window.YTD.tweets.part0 = " + json.dumps([tweet]))
    tables, _ = _read(xarchive.read_xarchive, tmp_path)
    row = tables["posts"].to_pylist()[0]
    assert row["text"] == "thanks & see https://example.org/a"
    assert row["display_start"] == 12
    assert row["urls"] == ["https://example.org/a"]


def test_xarchive_zip_and_parts(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / "twitter-archive-folddb-fixture"
    zpath = tmp_path / "archive.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        for f in src.glob("*.js"):
            z.write(f, f"data/{f.name}")
    assert xarchive.sniff(zpath)
    tables, _ = _read(xarchive.read_xarchive, zpath)
    assert tables["posts"].num_rows == 356
    # a second part of tweets is read too
    folder = tmp_path / "split"
    shutil.copytree(src, folder)
    tweets = _ytd(src / "tweets.js")
    (folder / "tweets.js").write_text("window.YTD.tweets.part0 = " + json.dumps(tweets[:100]))
    (folder / "tweets-part1.js").write_text("window.YTD.tweets.part1 = " + json.dumps(tweets[100:]))
    tables2, _ = _read(xarchive.read_xarchive, folder)
    assert tables2["posts"].num_rows == 356


def test_xarchive_minimal_and_malformed(shared_data: Path, tmp_path: Path) -> None:
    tables, report = _read(
        xarchive.read_xarchive, shared_data / "twitter-archive-twitter-to-sqlite"
    )
    follows = {(r["follower_id"], r["friend_id"]) for r in tables["follows"].to_pylist()}
    assert follows == {
        ("73747798", "12497"),
        ("386025404", "12497"),
        ("12497", "547842573"),
        ("12497", "12158"),
    }
    assert report.skipped["archive data type not read: app"] == 1
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "tweets.js").write_text('window.YTD.tweets.part0 = [ {"tweet": {"id_str": "1"')
    with pytest.raises(DataFormatError, match="not valid JSON"):
        list(xarchive.read_xarchive(bad, ReadReport("bad")))
    (bad / "tweets.js").write_text('window.YTD.tweets.part0 = [{"tweet": {"full_text": "x"}}, 3]')
    _, rep = _read(xarchive.read_xarchive, bad)
    assert rep.skipped["tweet without a numeric id_str"] == 1
    assert rep.skipped["tweet record without a 'tweet' object"] == 1


# -- Mastodon ------------------------------------------------------------------


@pytest.fixture(scope="module")
def masto(shared_data: Path) -> tuple[dict[str, pa.Table], ReadReport]:
    path = shared_data / "mastodon-mastodonpy-entity-cassettes" / "decoded" / "responses.jsonl"
    return _read(mastodon.read_mastodon, path)


def test_mastodon_context_thread(masto) -> None:
    posts = _by_id(masto[0]["posts"])
    first, final = posts["110446983178245440"], posts["110446984249325790"]
    assert first["text"] == "first status" and first["parent_id"] is None
    assert final["text"] == "final status"
    assert final["parent_id"] == "110446983926957470"
    assert final["root_id"] == "110446983178245440"
    # the context's focal status is not in the data: a placeholder keeps its place
    stub = posts["110446983926957470"]
    assert stub["deleted"] is True and stub["text"] is None
    assert stub["parent_id"] == "110446983178245440" and stub["author_id"] == "43"


def test_mastodon_status_fields(masto) -> None:
    posts = _by_id(masto[0]["posts"])
    s = posts["110446223051565765"]
    assert s["text"] == (
        "CW: test post for mastodon.py stuff\n\n@halcy you're a doo-doo head\n\n"
        "edit: editing this to have the maximum amount of fields filled :trans_heart: "
        "#ThisIsAHashtag"
    )
    assert s["hashtags"] == ["thisisahashtag"]
    assert s["edited_at"] is not None and s["like_count"] == 1
    q = posts["115044073088181107"]
    assert q["quote_id"] == "115044070560414080"
    assert "RE:" not in q["text"]
    assert q["text"].endswith("https://bsky.app/profile/h4lcy.bsky.social/post/3lwlumdwf522i")
    assert posts["115044070560414080"]["quote_id"] == "115044056977193502"
    card = posts["110447098625216345"]
    assert card["text"].startswith("https://soundcloud.com/wakarangirl/popstars-dj-wakaran")


def test_mastodon_counts_everything(masto) -> None:
    _, report = masto
    # two /history responses of two versions each: every version counted and skipped
    assert report.skipped[mastodon.HISTORY_SKIP] == 4
    # instance, trends, polls... are API entities outside the canonical tables: counted
    assert report.skipped["not a Mastodon status, account or context"] > 0


def test_html_to_text() -> None:
    text, links = mastodon.html_to_text(
        '<p>one<br>two &amp; <a href="https://ex.org/long/path"><span class="invisible">'
        'https://</span>ex.org/lo<span class="invisible">ng/path</span></a></p>'
        '<p><a href="https://m.s/@a" class="u-url mention">@<span>a</span></a> '
        '<a href="javascript:alert(1)">x</a></p>'
    )
    assert text == "one\ntwo & https://ex.org/long/path\n\n@a x"
    assert links == ["https://ex.org/long/path"]


def test_mastodon_malformed(tmp_path: Path) -> None:
    f = tmp_path / "s.jsonl"
    f.write_text(
        '{"id": "1", "content": "<p>a</p>", "account": {"id": "9", "acct": "x"}}\n'
        "{not json\n"
        '{"id": "2", "content": "<p>b</p>"}\n'
    )
    tables, report = _read(mastodon.read_mastodon, f)
    assert tables["posts"].num_rows == 1
    assert report.skipped["malformed JSON line"] == 1
    assert report.skipped["not a Mastodon status, account or context"] == 1
    g = tmp_path / "junk.json"
    g.write_text("{{{{")
    with pytest.raises(DataFormatError):
        list(mastodon.read_mastodon(g, ReadReport("junk")))


# -- AT Protocol building blocks -------------------------------------------------


def _lines(path: Path) -> list[str]:
    return [ln for ln in path.read_text().split("\n") if ln.strip() and not ln.startswith("#")]


@pytest.mark.parametrize(
    ("kind", "fn"),
    [
        ("did", atproto.is_did),
        ("aturi", atproto.is_at_uri),
        ("handle", atproto.is_handle),
        ("nsid", atproto.is_nsid),
        ("recordkey", atproto.is_record_key),
    ],
)
def test_identifier_conformance(shared_data: Path, kind: str, fn) -> None:
    d = shared_data / "bluesky-atproto-interop-conformance"
    valid = _lines(d / f"syntax__{kind}_syntax_valid.txt")
    invalid = _lines(d / f"syntax__{kind}_syntax_invalid.txt")
    assert valid and invalid
    assert [v for v in valid if not fn(v)] == []
    assert [v for v in invalid if fn(v)] == []


def test_dag_cbor_fixtures(shared_data: Path) -> None:
    d = shared_data / "bluesky-atproto-interop-conformance"
    fixtures = json.loads((d / "data-model__data-model-fixtures.json").read_text())
    for fx in fixtures:
        raw = base64.b64decode(fx["cbor_base64"] + "=" * (-len(fx["cbor_base64"]) % 4))
        assert bluesky.to_json_model(atproto.decode_dag_cbor(raw)) == fx["json"]
    with pytest.raises(DataFormatError):
        atproto.decode_dag_cbor(raw[:-3])


def test_car_matches_goat(shared_data: Path) -> None:
    d = shared_data / "bluesky-jetstream-corpus"
    car = atproto.read_car((d / "repo.car").read_bytes())
    commit = atproto.decode_dag_cbor(car.blocks[str(car.roots[0])])
    meta = dict(ln.split(": ", 1) for ln in _lines(d / "car_expected_commit.txt") if ": " in ln)
    assert commit["did"] == meta["DID"]
    assert str(commit["data"]) == meta["Data CID"]
    expected = [tuple(ln.split("\t")) for ln in _lines(d / "car_expected_records.tsv")]
    got = [(k, str(c)) for k, c in atproto.walk_mst(car, commit["data"])]
    assert got == expected
    # a truncated file loses its last block only, reported with its byte offset
    raw = (d / "repo.car").read_bytes()
    cut = atproto.read_car(raw[:-10])
    assert len(cut.blocks) == len(car.blocks) - 1
    [(offset, why)] = cut.damaged
    assert offset == max(car.offsets.values()) and "past the end" in why


# -- Bluesky reader ------------------------------------------------------------------


def test_bluesky_car_reader(shared_data: Path) -> None:
    path = shared_data / "bluesky-jetstream-corpus" / "repo.car"
    assert bluesky.sniff(path)
    tables, report = _read(bluesky.read_bluesky, path)
    expected = _lines(shared_data / "bluesky-jetstream-corpus" / "car_expected_records.tsv")
    assert report.records == len(expected)
    did = "did:plc:53iucmf5ldftgqyf2ac7hmhd"
    posts = _by_id(tables["posts"])
    reply = posts[f"at://{did}/app.bsky.feed.post/3lsbqxwblik2d"]
    assert reply["parent_id"] == f"at://{did}/app.bsky.feed.post/3lqcnvhqk622d"
    assert reply["text"] == "a test reply!"
    n_follow = sum(1 for ln in expected if ln.startswith("app.bsky.graph.follow/"))
    assert tables["follows"].num_rows == n_follow
    n_like = sum(1 for ln in expected if ln.startswith("app.bsky.feed.like/"))
    ints = tables["interactions"]
    assert pa.compute.sum(pa.compute.equal(ints["kind"], "like")).as_py() == n_like
    assert posts[f"at://{did}/app.bsky.feed.post/3ly3oz7vwhc2u"]["mentions"] == [
        "did:plc:4uz2445cjiw7w4nobfgnu35f"
    ]


def test_bluesky_jetstream_reader(shared_data: Path) -> None:
    path = shared_data / "bluesky-jetstream-corpus" / "expected_v1.jsonl"
    assert bluesky.sniff(path)
    tables, report = _read(bluesky.read_bluesky, path)
    manifest = json.loads((shared_data / "bluesky-jetstream-corpus" / "manifest.json").read_text())
    assert report.records == manifest["v1_events"]
    posts = _by_id(tables["posts"])
    a = "at://did:plc:u4lmvw4wwzaql3z5kcf3r7h4/app.bsky.feed.post/"
    assert posts[a + "3mptbyou7ls2i"]["parent_id"] == a + "3mptbyospqk2i"
    assert posts[a + "3mptbyoumc22i"]["parent_id"] == a + "3mptbyou7ls2i"
    assert posts[a + "3mptbyoumc22i"]["root_id"] == a + "3mptbyospqk2i"
    # link facet: visible "www.youtube.com/watch?v=V5lD..." replaced by the full link
    yt = posts["at://did:plc:dclwtltrt2ggsryagfzk7dp4/app.bsky.feed.post/3mptbyoeyc22k"]
    assert yt["text_raw"] == "www.youtube.com/watch?v=V5lD..."
    assert yt["text"] == "https://www.youtube.com/watch?v=V5lDo-jw8mA"
    tags = posts["at://did:plc:tn3hni2jpphsgl6amfbb7ja6/app.bsky.feed.post/3mptbypfywk2v"]
    assert tags["hashtags"] == ["howtotellaitoshutup", "indierebellion"]
    deleted = posts["at://did:plc:4smmjsqf6l5jkzczvw6vsrqc/app.bsky.feed.post/3mpt73z3ejc2p"]
    assert deleted["deleted"] is True and deleted["text"] is None
    # every delete is a tombstone naming the deleted record by its AT-URI
    tombs = tables["tombstones"].to_pylist()
    assert sorted(t["collection"] for t in tombs) == [
        "app.bsky.feed.post",
        *["app.bsky.graph.follow"] * 3,
    ]
    assert all(t["record_id"].startswith("at://did:") for t in tombs)
    assert not [r for r in report.skipped if r.startswith("delete")]
    assert all(r["record_id"].startswith("at://") for r in tables["follows"].to_pylist())


def test_bluesky_golden_events(shared_data: Path) -> None:
    path = shared_data / "bluesky-jetstream-corpus" / "golden_v1.jsonl"
    events = [json.loads(ln) for ln in path.read_text().splitlines()]
    tables, report = _read(bluesky.read_bluesky, path)
    assert report.records == len(events)
    follow = next(
        e for e in events if e.get("commit", {}).get("collection") == "app.bsky.graph.follow"
    )
    row = tables["follows"].to_pylist()[0]
    assert (row["follower_id"], row["friend_id"]) == (
        follow["did"],
        follow["commit"]["record"]["subject"],
    )
    reply = next(e for e in events if e.get("commit", {}).get("collection") == "app.bsky.feed.post")
    uri = f"at://{reply['did']}/app.bsky.feed.post/{reply['commit']['rkey']}"
    p = _by_id(tables["posts"])[uri]
    assert p["parent_id"] == reply["commit"]["record"]["reply"]["parent"]["uri"]
    assert p["root_id"] == reply["commit"]["record"]["reply"]["root"]["uri"]
    assert p["text"] == reply["commit"]["record"]["text"]


def test_bluesky_rejects_bad_identifiers(tmp_path: Path) -> None:
    good = {
        "did": "did:plc:abc",
        "time_us": 1,
        "kind": "commit",
        "commit": {
            "operation": "create",
            "collection": "app.bsky.graph.follow",
            "rkey": "3k",
            "record": {"subject": "did:plc:xyz", "createdAt": "2024-01-01T00:00:00Z"},
        },
    }
    bad_did = {**good, "did": "did:METHOD:val"}
    bad_subject = json.loads(json.dumps(good))
    bad_subject["commit"]["record"]["subject"] = "did:method:val%"
    bad_reply = {
        "did": "did:plc:abc",
        "time_us": 1,
        "kind": "commit",
        "commit": {
            "operation": "create",
            "collection": "app.bsky.feed.post",
            "rkey": "3p",
            "record": {
                "text": "hi",
                "reply": {
                    "parent": {"uri": "at://did:plc:asdf123/com.atproto.feed.p@st"},
                    "root": {"uri": "at://did:plc:asdf123"},
                },
            },
        },
    }
    f = tmp_path / "js.jsonl"
    f.write_text(
        "\n".join(json.dumps(e) for e in [good, bad_did, bad_subject, bad_reply]) + "\nnot json\n"
    )
    tables, report = _read(bluesky.read_bluesky, f)
    assert tables["follows"].num_rows == 1
    assert "posts" not in tables
    assert report.skipped == {
        "invalid DID": 1,
        "follow with an invalid subject DID": 1,
        "reply with an invalid parent or root AT-URI": 1,
        "malformed JSON line": 1,
    }


def test_apply_facets_utf8_offsets() -> None:
    text = "héllo → ex.org/… #Tag @bob"
    b = text.encode()
    s = b.index(b"ex.org")
    e = s + len("ex.org/…".encode())
    t0 = b.index(b"#Tag")
    facets = [
        {
            "index": {"byteStart": s, "byteEnd": e},
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://ex.org/full"}],
        },
        {
            "index": {"byteStart": t0, "byteEnd": t0 + 4},
            "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "Tag"}],
        },
        {
            "index": {"byteStart": 1, "byteEnd": 2},  # splits "é": not applied
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://bad.example"}],
        },
        {
            "index": {"byteStart": 0, "byteEnd": 999},
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "javascript:alert(1)"}],
        },
    ]
    out, links, mentions, tags = bluesky.apply_facets(text, facets)
    assert out == "héllo → https://ex.org/full #Tag @bob"
    assert links == ["https://ex.org/full", "https://bad.example"]
    assert tags == ["tag"] and mentions == []


def _ev(did: str, coll: str, rkey: str, record: dict | None, op: str = "create") -> dict:
    commit = {"operation": op, "collection": coll, "rkey": rkey}
    if record is not None:
        commit["record"] = record
    return {"did": did, "time_us": 1_700_000_000_000_000, "kind": "commit", "commit": commit}


def test_bluesky_lists_starter_packs_quotes_reposts(tmp_path: Path) -> None:
    a, b = "did:plc:aaaa", "did:plc:bbbb"
    lst = f"at://{a}/app.bsky.graph.list/l1"
    post_b = f"at://{b}/app.bsky.feed.post/p1"
    t = "2024-05-01T00:00:00Z"
    events = [
        _ev(
            a,
            "app.bsky.graph.list",
            "l1",
            {"name": "Friends", "createdAt": t, "purpose": "app.bsky.graph.defs#curatelist"},
        ),
        _ev(a, "app.bsky.graph.listitem", "i1", {"list": lst, "subject": b, "createdAt": t}),
        _ev(a, "app.bsky.graph.starterpack", "s1", {"name": "Pack", "list": lst, "createdAt": t}),
        _ev(
            a,
            "app.bsky.feed.post",
            "q1",
            {
                "text": "see this",
                "createdAt": t,
                "embed": {
                    "$type": "app.bsky.embed.record",
                    "record": {"uri": post_b, "cid": "bafy"},
                },
            },
        ),
        _ev(
            a,
            "app.bsky.feed.post",
            "q2",
            {
                "text": "pics and quote",
                "createdAt": t,
                "embed": {
                    "$type": "app.bsky.embed.recordWithMedia",
                    "record": {"record": {"uri": post_b}},
                    "media": {
                        "$type": "app.bsky.embed.images",
                        "images": [{"alt": "a cat", "image": {"ref": {"$link": "bafkreiabc"}}}],
                    },
                },
            },
        ),
        _ev(a, "app.bsky.feed.repost", "r1", {"subject": {"uri": post_b}, "createdAt": t}),
        _ev(
            a,
            "app.bsky.feed.post",
            "q1",
            {"text": "see this (edited)", "createdAt": t},
            op="update",
        ),
        _ev(a, "app.bsky.actor.profile", "self", {"displayName": "Ann", "description": "hi"}),
    ]
    f = tmp_path / "js.jsonl"
    f.write_text("\n".join(json.dumps(e) for e in events) + "\n")
    tables, report = _read(bluesky.read_bluesky, f)
    lists = {r["list_id"]: r for r in tables["lists"].to_pylist()}
    assert lists[lst]["kind"] == "curatelist" and lists[lst]["name"] == "Friends"
    assert lists[f"at://{a}/app.bsky.graph.starterpack/s1"]["kind"] == "starter_pack"
    assert tables["list_members"].to_pylist()[0]["account_id"] == b
    rows = tables["posts"].to_pylist()
    q1 = [r for r in rows if r["post_id"] == f"at://{a}/app.bsky.feed.post/q1"]
    assert [r["text"] for r in q1] == ["see this", "see this (edited)"]
    assert q1[0]["quote_id"] == post_b and q1[0]["kind"] == "quote"
    assert q1[0]["quote_url"] == f"https://bsky.app/profile/{b}/post/p1"
    assert q1[1]["edited_at"] is not None
    q2 = next(r for r in rows if r["post_id"].endswith("/q2"))
    assert q2["quote_id"] == post_b and q2["media"][0]["alt"] == "a cat"
    assert (
        q2["media"][0]["url"].startswith("https://cdn.bsky.app/")
        and "bafkreiabc" in q2["media"][0]["url"]
    )
    rp = next(r for r in rows if r["kind"] == "repost")
    assert rp["repost_of_id"] == post_b
    kinds = sorted(tables["interactions"]["kind"].to_pylist())
    assert kinds == ["quote", "quote", "repost"]
    prof = [r for r in tables["accounts"].to_pylist() if r["display_name"] == "Ann"]
    assert prof and prof[0]["description"] == "hi"
    assert report.n_skipped == 0


def test_mastodon_reblog_and_search(tmp_path: Path) -> None:
    acc = {"id": "1", "username": "ann", "acct": "ann@ex.social", "display_name": "Ann"}
    orig = {
        "id": "10",
        "content": '<p>hello <a href="https://ex.social/tags/Tea" '
        'class="mention hashtag">#<span>Tea</span></a></p>',
        "account": acc,
        "in_reply_to_id": None,
        "created_at": "2024-01-01T00:00:00.000Z",
        "tags": [{"name": "Tea"}],
        "reblogs_count": 1,
    }
    boost = {
        "id": "11",
        "content": "",
        "reblog": orig,
        "created_at": "2024-01-02T00:00:00Z",
        "account": {"id": "2", "username": "bob", "acct": "bob"},
    }
    f = tmp_path / "search.json"
    f.write_text(json.dumps({"accounts": [acc], "statuses": [boost], "hashtags": []}))
    tables, _ = _read(mastodon.read_mastodon, f)
    posts = _by_id(tables["posts"])
    assert posts["11"]["kind"] == "repost" and posts["11"]["repost_of_id"] == "10"
    assert posts["10"]["text"] == "hello #Tea" and posts["10"]["hashtags"] == ["tea"]
    ints = tables["interactions"].to_pylist()
    assert [(i["kind"], i["source_id"], i["target_id"]) for i in ints] == [("repost", "2", "1")]
    assert {r["account_id"] for r in tables["accounts"].to_pylist()} == {"1", "2"}


# -- malformed input never escapes as anything but DataFormatError ---------------------


def test_binary_junk_is_a_format_error(tmp_path: Path) -> None:
    f = tmp_path / "junk.bin"
    f.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(DataFormatError):
        list(mastodon.read_mastodon(f, ReadReport("j")))
    g = tmp_path / "js.jsonl"
    g.write_bytes(b'{"did": "did:plc:a", "time_us": 1, "kind": "commit"}\n\xff\xfe\n')
    _, report = _read(bluesky.read_bluesky, g)
    assert report.skipped == {"commit event without commit object": 1, "line is not UTF-8": 1}
    (tmp_path / "arch").mkdir()
    (tmp_path / "arch" / "tweets.js").write_bytes(b"window.YTD.tweets.part0 = \xff\xfe[]")
    with pytest.raises(DataFormatError):
        list(xarchive.read_xarchive(tmp_path / "arch", ReadReport("a")))


def test_html_to_text_lists_and_quotes() -> None:
    text, _ = mastodon.html_to_text(
        "<p>Plan:</p><ul><li>one</li><li>two <b>bold</b></li></ul><blockquote><p>q</p>"
        "</blockquote><p>end</p>"
    )
    assert text == "Plan:\n\n- one\n- two bold\n\nq\n\nend"


def test_xarchive_deleted_tweets(tmp_path: Path) -> None:
    (tmp_path / "account.js").write_text(
        'window.YTD.account.part0 = [{"account": {"accountId": "1", "username": "me"}}]'
    )
    tw = {
        "tweet": {
            "id_str": "5",
            "full_text": "oops",
            "created_at": "Mon Oct 20 17:11:38 +0000 2025",
        }
    }
    (tmp_path / "deleted-tweets.js").write_text(
        "window.YTD.deleted_tweets.part0 = " + json.dumps([tw])
    )
    tables, report = _read(xarchive.read_xarchive, tmp_path)
    row = tables["posts"].to_pylist()[0]
    assert row["post_id"] == "5" and row["deleted"] is True
    assert report.n_skipped == 0


def test_mastodon_edit_history_versions(masto, tmp_path: Path, shared_data: Path) -> None:
    """Edit history: the status row keeps the latest version (text, first created_at,
    last edited_at); versions are skipped with a reason and their account is read."""
    tables, _ = masto
    posts = _by_id(tables["posts"])
    s = posts["110446223051565765"]  # history: versions at 12:06:50 and 12:09:44
    assert s["created_at"].isoformat() == "2023-05-28T12:06:50+00:00"
    assert s["edited_at"].isoformat() == "2023-05-28T12:09:44+00:00"
    src = shared_data / "mastodon-mastodonpy-entity-cassettes" / "decoded" / "responses.jsonl"
    lines = [json.loads(x) for x in src.read_text("utf-8").split("\n") if x.strip()]
    hist = next(x for x in lines if x["uri"].endswith("/110446183735368325/history"))
    bare = tmp_path / "history.json"  # a history saved without the request: no status id
    bare.write_text(json.dumps(hist["body"], indent=2), "utf-8")
    from mutuals.io.readers import detect

    assert detect(bare) == "mastodon"
    t, report = _read(mastodon.read_mastodon, bare)
    assert report.records == 2 and report.skipped[mastodon.HISTORY_SKIP] == 2
    assert "posts" not in t
    acc = t["accounts"].to_pylist()
    assert {a["account_id"] for a in acc} == {"43"}
    assert acc[0]["handle"] == "halcy" and acc[0]["followers_count"] == 126


@pytest.mark.parametrize(
    ("rel", "fmt"),
    [
        ("bluesky-jetstream-corpus/expected_v1.jsonl", "bluesky"),
        ("mastodon-mastodonpy-entity-cassettes/decoded/responses.jsonl", "mastodon"),
    ],
)
def test_gzipped_social_inputs_read_like_plain_ones(
    shared_data: Path, tmp_path: Path, rel: str, fmt: str
) -> None:
    """Like every other reader, Jetstream and Mastodon JSON are read through gzip."""
    import gzip

    from mutuals.io.readers import detect, read

    src = shared_data / rel
    gz = tmp_path / (src.name + ".gz")
    gz.write_bytes(gzip.compress(src.read_bytes()))
    assert detect(gz) == fmt

    def posts(path: Path) -> tuple[list[str], ReadReport]:
        rep = ReadReport(str(path))
        ids = [
            i for n, t in read(path, report=rep) if n == "posts" for i in t["post_id"].to_pylist()
        ]
        return sorted(ids), rep

    (a, ra), (b, rb) = posts(src), posts(gz)
    assert a and a == b
    assert (ra.records, dict(ra.skipped), dict(ra.rows)) == (
        rb.records,
        dict(rb.skipped),
        dict(rb.rows),
    )


def test_truncated_gzip_jetstream_keeps_what_was_read(shared_data: Path, tmp_path: Path) -> None:
    import gzip

    from mutuals.io.readers import read

    data = gzip.compress((shared_data / "bluesky-jetstream-corpus/expected_v1.jsonl").read_bytes())
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(data[: len(data) // 2])
    rep = ReadReport(str(cut))
    rows = sum(t.num_rows for _, t in read(cut, report=rep))
    assert rows > 0
    assert any("truncated" in k for k in rep.skipped)


def test_latin1_jetstream_and_mastodon_lines_are_kept_and_noted(tmp_path: Path) -> None:
    from mutuals.io.readers._common import NOT_UTF8

    ev = {
        "did": "did:plc:aaaa",
        "time_us": 1783175888090631,
        "kind": "commit",
        "commit": {
            "rev": "3mptbypcq372f",
            "operation": "create",
            "collection": "app.bsky.feed.post",
            "rkey": "3mptbyoeyc22k",
            "record": {
                "$type": "app.bsky.feed.post",
                "createdAt": "2026-07-04T14:38:06Z",
                "text": "café",
            },
        },
    }
    g = tmp_path / "js.jsonl"
    g.write_bytes(json.dumps(ev, ensure_ascii=False).encode("latin-1") + b"\n")
    t, report = _read(bluesky.read_bluesky, g)
    assert t["posts"]["text"].to_pylist() == ["café"]
    assert report.noted[NOT_UTF8] == 1 and report.n_skipped == 0
    st1 = {"id": "1", "content": "<p>naïve</p>", "account": {"id": "9", "acct": "a", "username": "a"},
           "in_reply_to_id": None, "in_reply_to_account_id": None, "created_at": "2023-01-01T00:00:00Z"}  # fmt: skip
    st2 = {**st1, "id": "2", "content": "<p>plain</p>"}
    m = tmp_path / "m.jsonl"
    m.write_bytes(
        b"\n".join(json.dumps(s, ensure_ascii=False).encode("latin-1") for s in (st1, st2)) + b"\n"
    )
    t, report = _read(mastodon.read_mastodon, m)
    assert sorted(t["posts"]["text"].to_pylist()) == ["naïve", "plain"]
    assert report.noted[NOT_UTF8] == 1 and report.n_skipped == 0


@pytest.mark.parametrize(
    "folder", ["twitter-archive-folddb-fixture", "twitter-archive-twitter-to-sqlite"]
)
def test_archive_parts_not_read_are_counted_records(shared_data: Path, folder: str) -> None:
    """A data type the reader does not read is a skipped record, so the summary adds up."""
    for f in sorted((shared_data / folder).glob("*.js")):
        if f.name == "manifest.js":  # not a data file
            continue
        report = ReadReport(str(f))
        for _ in xarchive.read_xarchive(f, report):
            pass
        assert report.n_skipped <= report.records, f.name
    _, report = _read(xarchive.read_xarchive, shared_data / folder)
    assert 0 < report.n_skipped <= report.records
