"""``mutuals unroll`` on real threads of every format.

The expected orders were written by hand from the raw sample files (following
``in_reply_to_status_id_str`` in the archive's tweets.js, ``in_reply_to_id`` in
the Mastodon context response, ``reply.parent.uri`` in the Bluesky records and
``referenced_tweets`` in the twarc2 pages), not produced by the code under test.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mutuals.cli.main import main

pytestmark = pytest.mark.shared_data

ARCHIVE_THREADS = [
    # 8 posts, counters "2/8" ... "8/8"
    [
        "1602103380591095808",
        "1602103383124373505",
        "1602103385670356992",
        "1602103388182749186",
        "1602103390640623616",
        "1602103393152999424",
        "1602103395782840320",
        "1602103398274199552",
    ],
    # 7 posts, no counters
    [
        "1709246554186625378",
        "1709246555461743002",
        "1709246556652900542",
        "1709246557764427811",
        "1709246558922068009",
        "1709246560071278668",
        "1709246561333776498",
    ],
    # a long post (note tweet) and its self-reply
    ["1745174596457005383", "1745175550317203952"],
    # 7 posts, counters "2/" ... "7/"
    [
        "1930863420557185108",
        "1930863421932847147",
        "1930863424172634373",
        "1930863425586102662",
        "1930863426840166731",
        "1930863428421468599",
        "1930863429751103779",
    ],
    # 8 posts, counters "2/" ... "8/"
    [
        "1935027808184754212",
        "1935027809266843865",
        "1935027810369945690",
        "1935027811590541789",
        "1935027812735578263",
        "1935027813842854222",
        "1935027814925025747",
        "1935027815893844203",
    ],
]


def _run(*args: str) -> dict:
    res = CliRunner().invoke(main, ["unroll", *map(str, args), "--format", "json"])
    assert res.exit_code == 0, res.output
    out = res.stdout if hasattr(res, "stdout") else res.output
    return json.loads(out[out.index("{") :])


def _order(thread: dict) -> list[str]:
    return [p["post_id"] for p in thread["posts"]]


def test_x_archive_all_threads(shared_data: Path) -> None:
    d = _run(shared_data / "twitter-archive-folddb-fixture", "--all")
    assert [_order(t) for t in d["threads"]] == ARCHIVE_THREADS
    th = d["threads"][3]
    assert th["author_handle"] == "testuser" and th["n_posts"] == 7
    texts = [p["text"] for p in th["posts"]]
    # counters removed, HTML entities unescaped (tweets.js has "5/ 💥 4. Momentum &amp; Inertia")
    assert texts[4].startswith("💥 4. Momentum & Inertia")
    assert not any(t.startswith(f"{i}/") for i, t in enumerate(texts, 1))
    note = d["threads"][2]["posts"][0]["text"]
    assert note.endswith("Momentum is far more powerful than we expect.")  # from note-tweet.js
    assert d["threads"][0]["first_time"] == "2022-12-12T00:49:46+00:00"
    assert d["threads"][0]["last_time"] == "2022-12-12T00:49:50+00:00"


def test_x_archive_post_in_middle(shared_data: Path) -> None:
    d = _run(shared_data / "twitter-archive-folddb-fixture", "--post", "1935027812735578263")
    assert [_order(t) for t in d["threads"]] == [ARCHIVE_THREADS[4]]


def test_mastodon_context(shared_data: Path) -> None:
    path = shared_data / "mastodon-mastodonpy-entity-cassettes" / "decoded" / "responses.jsonl"
    d = _run(path, "--post", "110446984249325790")
    (th,) = d["threads"]
    # first status -> (the context's focal status, absent from the recording) -> final status
    assert _order(th) == ["110446983178245440", "110446983926957470", "110446984249325790"]
    assert [p["marker"] for p in th["posts"]] == [None, "deleted", None]
    assert [p["text"] for p in th["posts"]] == ["first status", None, "final status"]
    assert th["author_handle"] == "halcy" and th["n_posts"] == 2


def test_bluesky_jetstream_thread(shared_data: Path) -> None:
    path = shared_data / "bluesky-jetstream-corpus" / "expected_v1.jsonl"
    a = "at://did:plc:u4lmvw4wwzaql3z5kcf3r7h4/app.bsky.feed.post/"
    d = _run(path, "--post", a + "3mptbyoumc22i")
    (th,) = d["threads"]
    assert _order(th) == [a + "3mptbyospqk2i", a + "3mptbyou7ls2i", a + "3mptbyoumc22i"]
    res = CliRunner().invoke(main, ["unroll", str(path), "--post", a + "3mptbyospqk2i"])
    # post 2 stops mid-sentence ("... making these comments don't"), post 3 goes on
    assert "these comments don't even know the country's election results" in res.output


def test_bluesky_car_thread(shared_data: Path) -> None:
    path = shared_data / "bluesky-jetstream-corpus" / "repo.car"
    a = "at://did:plc:53iucmf5ldftgqyf2ac7hmhd/app.bsky.feed.post/"
    d = _run(path, "--all")
    assert [_order(t) for t in d["threads"]] == [[a + "3lqcnvhqk622d", a + "3lsbqxwblik2d"]]
    assert [p["text"] for p in d["threads"][0]["posts"]] == [
        "This is my first post!",
        "a test reply!",
    ]


def _registry_available() -> bool:
    mod = importlib.import_module("mutuals.io.readers")
    return callable(getattr(mod, "read_any", None) or getattr(mod, "read", None))


@pytest.mark.skipif(
    not _registry_available(),
    reason="X API v2 files are read through the reader registry "
    "(mutuals.io.readers.read_any/read), which is not in this branch yet",
)
def test_x_v2_twarc_edits(shared_data: Path) -> None:
    path = shared_data / "twarc2-docnow-plugins" / "twarc-edits_tweets.jsonl"
    d = _run(path, "--all")
    assert [_order(t) for t in d["threads"]] == [["1569374265224450050", "1569374267636072448"]]
    # parent 1538909600409440259 (same author) is not in the page: a missing-root marker
    d = _run(path, "--post", "1538909601852276738")
    assert _order(d["threads"][0]) == ["1538909600409440259", "1538909601852276738"]
    assert [p["marker"] for p in d["threads"][0]["posts"]] == ["missing", None]
    # the reply-heavy birthday conversation: 33 tweets, 18 by the root's author, but all of
    # those answer other people; no self-reply, so the thread is the root alone
    d = _run(path, "--post", "1532830783530061824")
    (th,) = d["threads"]
    assert _order(th) == ["1532830783530061824"] and th["branches"] == []


@pytest.mark.skipif(
    not _registry_available(),
    reason="X API v1.1 files are read through the reader registry "
    "(mutuals.io.readers.read_any/read), which is not in this branch yet",
)
def test_x_v11_user_timeline(shared_data: Path) -> None:
    path = shared_data / "twitter-v1-python-twitter" / "get_user_timeline.json"
    d = _run(path, "--all")
    # @dewitt's 670679827960041472 replies to his own 670676153867198464
    assert [_order(t) for t in d["threads"]] == [["670676153867198464", "670679827960041472"]]


def test_store_folder_from_real_data(shared_data: Path, tmp_path: Path) -> None:
    """A canonical store written from a reader's output unrolls like the raw file."""
    import pyarrow as pa

    from mutuals.io.readers.bluesky import read_bluesky
    from mutuals.io.readreport import ReadReport
    from mutuals.io.store import write_store

    src = shared_data / "bluesky-jetstream-corpus" / "expected_v1.jsonl"
    chunks: dict[str, list[pa.Table]] = {}
    for name, t in read_bluesky(src, ReadReport(str(src))):
        chunks.setdefault(name, []).append(t)
    store = tmp_path / "store"
    write_store(store, {n: pa.concat_tables(ts) for n, ts in chunks.items()})
    a = "at://did:plc:u4lmvw4wwzaql3z5kcf3r7h4/app.bsky.feed.post/"
    d = _run(store, "--all")
    assert [_order(t) for t in d["threads"]] == [
        [a + "3mptbyospqk2i", a + "3mptbyou7ls2i", a + "3mptbyoumc22i"]
    ]


def test_post_given_by_link(shared_data: Path) -> None:
    car = shared_data / "bluesky-jetstream-corpus" / "repo.car"
    link = "https://bsky.app/profile/did:plc:53iucmf5ldftgqyf2ac7hmhd/post/3lsbqxwblik2d"
    assert len(_run(car, "--post", link)["threads"][0]["posts"]) == 2
    arch = shared_data / "twitter-archive-folddb-fixture"
    d = _run(arch, "--post", "https://twitter.com/testuser/status/1745175550317203952")
    assert _order(d["threads"][0]) == ARCHIVE_THREADS[2]
    masto = shared_data / "mastodon-mastodonpy-entity-cassettes" / "decoded" / "responses.jsonl"
    d = _run(masto, "--post", "https://mastodon.social/@halcy/110446984249325790")
    assert _order(d["threads"][0])[0] == "110446983178245440"


# -- neutralised output on real data ----------------------------------------------------

REAL_SOURCES = [
    "twitter-archive-folddb-fixture",
    "bluesky-jetstream-corpus/expected_v1.jsonl",
    "bluesky-jetstream-corpus/repo.car",
    "mastodon-mastodonpy-entity-cassettes/decoded/responses.jsonl",
]


@pytest.mark.parametrize("source", REAL_SOURCES)
def test_real_post_text_is_left_alone(shared_data: Path, source: str) -> None:
    """Neutralising controls changes no real post's text (emoji sequences, RTL, ...)."""
    from mutuals.cli.unroll import load_posts
    from mutuals.report.unroll import neutralise_text

    posts, _, _ = load_posts(shared_data / source)
    texts = [t for t in posts["text"].to_pylist() if t]
    assert texts
    changed = [t for t in texts if neutralise_text(t) != t.replace("\r\n", "\n")]
    assert changed == []


def test_mastodon_name_loses_its_zero_width_space(shared_data: Path) -> None:
    """Account 23972's display name carries a U+200B ("halcy\\u200b :icosahedron:"):
    dropped in every output, the visible name unchanged."""
    path = shared_data / "mastodon-mastodonpy-entity-cassettes" / "decoded" / "responses.jsonl"
    d = _run(path, "--post", "110446223051565765")
    assert d["threads"][0]["author_name"] == "halcy :icosahedron:"
    for fmt in ("md", "html"):
        res = CliRunner().invoke(
            main, ["unroll", str(path), "--post", "110446223051565765", "--format", fmt]
        )
        assert res.exit_code == 0 and "halcy :icosahedron:" in res.output
        assert "\u200b" not in res.output


def test_real_threads_page_fetches_nothing(shared_data: Path) -> None:
    """The X archive's threads as one page: no <img>, no remote image allowed, no
    Markdown line that opens a block the renderer did not write."""
    import re

    src = shared_data / "twitter-archive-folddb-fixture"
    page = CliRunner().invoke(main, ["unroll", str(src), "--all", "--format", "html"]).output
    assert page.count("<article") == len(ARCHIVE_THREADS)
    assert "<img" not in page and "img-src 'none'" in page
    md = CliRunner().invoke(main, ["unroll", str(src), "--all", "--format", "md"]).output
    ours = re.compile(r"^(# Thread by .*|- \*\*[A-Z][a-z ]+:\*\* .*)$")
    opener = re.compile(r"^ {0,3}(#{1,6}(\s|$)|>|[-+*](\s|$)|\d{1,9}[.)](\s|$)|[=_-]{3,}|`{3}|<)")
    assert [ln for ln in md.split("\n") if opener.match(ln) and not ours.match(ln)] == []
    assert "\n💥 4. Momentum \\& Inertia  \n" in md  # "4." opens no list here: not escaped
