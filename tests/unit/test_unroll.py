"""Thread reconstruction and rendering on small synthetic inputs, and injection safety."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from click.testing import CliRunner

from helpers.posts import T0, P, ids, table
from mutuals.cli.main import main
from mutuals.errors import InputError
from mutuals.io.store import write_store
from mutuals.report.unroll import article, strip_counter, unroll_all, unroll_post
from mutuals.report.unroll_render import to_html, to_json, to_markdown


def test_chain_takes_earliest_self_reply_and_lists_branches() -> None:
    rows = [
        P("1", "a", 0),
        P("2", "a", 1, parent="1", parent_author="a"),
        P("3", "b", 2, parent="1", parent_author="a"),  # someone else: left out
        P("4", "a", 3, parent="2", parent_author="a"),
        P("5", "a", 4, parent="2", parent_author="a"),  # later self-reply: side branch
        P("6", "a", 5, parent="5", parent_author="a"),  # the branch continues
        P("7", "a", 6, parent="3", parent_author="b"),  # a's reply to b: another chain head
        P("8", "a", 7, parent="4", parent_author="a"),
    ]
    th = unroll_post(table(rows), "8")
    assert ids(th) == ["1", "2", "4", "8"]
    assert len(th.branches) == 1
    assert ids(th.branches[0]) == ["5", "6"] and th.branches[0].branch_of == "2"
    # any post of the thread gives the same thread
    assert ids(unroll_post(table(rows), "2")) == ["1", "2", "4", "8"]
    # --all: only chains with >= 2 posts by the author
    assert [ids(t) for t in unroll_all(table(rows))] == [["1", "2", "4", "8"]]


def test_reposts_ignored_and_order_by_time_not_id() -> None:
    rows = [
        P("10", "a", 0),
        P("30", "a", 1, parent="10", parent_author="a"),
        P("20", "a", 2, parent="10", parent_author="a"),  # later time, smaller id: branch
        P("40", "a", 3, kind="repost", text=None, parent=None, repost_of_id="10"),
    ]
    th = unroll_post(table(rows), "10")
    assert ids(th) == ["10", "30"]
    assert [ids(b) for b in th.branches] == [["20"]]
    with pytest.raises(InputError):
        unroll_post(table(rows), "nope")


def test_deleted_keeps_place_only_if_chain_continues() -> None:
    rows = [
        P("1", "a", 0),
        P("2", "a", 1, parent="1", parent_author="a", deleted=True, text=None),
        P("3", "a", 2, parent="2", parent_author="a"),
        P("4", "a", 3, parent="3", parent_author="a", deleted=True, text="gone"),  # dead end
    ]
    th = unroll_post(table(rows), "3")
    assert ids(th) == ["1", "2", "3"]
    assert [p.marker for p in th.posts] == [None, "deleted", None]
    assert th.n_posts == 2 and th.markers == {"deleted": 1}
    assert "gone" not in to_markdown([th])


def test_deleted_dead_end_falls_back_to_next_reply() -> None:
    rows = [
        P("1", "a", 0),
        P("2", "a", 1, parent="1", parent_author="a", deleted=True),
        P("3", "a", 2, parent="1", parent_author="a"),
    ]
    assert ids(unroll_post(table(rows), "1")) == ["1", "3"]


def test_missing_root_marker_and_earliest_surviving() -> None:
    rows = [
        P("2", "a", 1, parent="1", parent_author="a"),  # "1" is not in the data
        P("3", "a", 2, parent="2", parent_author="a"),
    ]
    th = unroll_post(table(rows), "3")
    assert ids(th) == ["1", "2", "3"]
    assert th.posts[0].marker == "missing" and th.posts[0].author_id == "a"
    md = to_markdown([th])
    assert md.index("not in the data") < md.index("text of 2") < md.index("text of 3")
    # a missing post by someone else is context, not part of the thread
    rows2 = [
        P("2", "a", 1, parent="1", parent_author="b"),
        P("3", "a", 2, parent="2", parent_author="a"),
    ]
    th2 = unroll_post(table(rows2), "3")
    assert ids(th2) == ["2", "3"] and th2.in_reply_to == "1"


def test_edits_show_latest_version() -> None:
    rows = [
        P("1", "a", 0, text="first"),
        P("2", "a", 1, text="old wording", parent="1", parent_author="a"),
        P(
            "5",
            "a",
            9,
            text="new wording",
            parent="1",
            parent_author="a",
            edit_of_id="2",
            edited_at=T0 + timedelta(minutes=9),
        ),
        P("3", "a", 2, parent="5", parent_author="a", text="third"),  # replies to the edit
    ]
    th = unroll_post(table(rows), "5")
    assert ids(th) == ["1", "2", "3"]
    assert th.posts[1].text == "new wording" and th.posts[1].edited
    # a Bluesky-style update: same id, later edited_at
    rows2 = [P("1", "a", 0, text="v1"), P("1", "a", 0, text="v2", edited_at=T0 + timedelta(1))]
    assert unroll_post(table(rows2), "1").posts[0].text == "v2"


def test_quote_embedded_not_followed() -> None:
    rows = [
        P(
            "1",
            "a",
            0,
            text="look at this https://x.com/b/status/9",
            quote_id="9",
            quote_url="https://x.com/b/status/9",
            kind="quote",
        ),
        P("2", "a", 1, parent="1", parent_author="a"),
        P("9", "b", -5, text="quoted words"),
        P("10", "b", 3, parent="9", parent_author="b"),  # b's own thread, not followed
    ]
    th = unroll_post(table(rows), "2")
    assert ids(th) == ["1", "2"]
    q = th.posts[0].quote
    assert q is not None and q.text == "quoted words" and q.url == "https://x.com/b/status/9"
    assert th.posts[0].text == "look at this"
    md = to_markdown([th])
    assert "> quoted words" in md and "> — quoted post: <https://x.com/b/status/9>" in md


def test_text_cleanup_counters_and_paragraph_merging() -> None:
    assert strip_counter("1/ Hello") == "Hello"
    assert strip_counter("(2/10) Hello") == "Hello"
    assert strip_counter("Hello 3/n") == "Hello"
    assert strip_counter("[4/5] Hello world 4/5") == "Hello world"
    # a thread emoji stuck to the counter goes with it (real: twarc2-blm-twarc2sql sample)
    assert strip_counter("🧵1/4 Solidarity with Lydia Dosu!") == "Solidarity with Lydia Dosu!"
    assert strip_counter("🧵 2/4 More") == "More"
    assert strip_counter("Read this 🧵 3/4") == "Read this"
    assert strip_counter("🧵 A thread without counters") == "🧵 A thread without counters"
    rows = [
        P("1", "a", 0, text="1/ The start of a sentence that"),
        P(
            "2",
            "a",
            1,
            text="2/ goes on here. New point.\n\nSecond para",
            parent="1",
            parent_author="a",
        ),
        P("3", "a", 2, text="3/3 Done.", parent="2", parent_author="a"),
    ]
    th = unroll_post(table(rows), "3")
    assert [p.text for p in th.posts] == [
        "The start of a sentence that",
        "goes on here. New point.\n\nSecond para",
        "Done.",
    ]
    blocks = article(th.posts)
    assert [(b.text, b.post_ids) for b in blocks] == [
        ("The start of a sentence that goes on here. New point.", ["1", "2"]),
        ("Second para", ["2"]),
        ("Done.", ["3"]),
    ]
    # a single post with "1/2 cup" is not a thread counter pattern across the thread
    one = unroll_post(table([P("1", "a", 0, text="1/2 cup of flour")]), "1")
    assert one.posts[0].text == "1/2 cup of flour"


def test_metadata_and_json() -> None:
    rows = [
        P("1", "a", 0, like_count=3, repost_count=1),
        P("2", "a", 5, parent="1", parent_author="a", like_count=2, reply_count=4),
        P("3", "a", 6, parent="1", parent_author="a"),
    ]
    th = unroll_post(table(rows), "1")
    d = json.loads(to_json([th]))["threads"][0]
    assert d["n_posts"] == 2
    # no post reported a quote count: unknown (null), not 0
    assert d["engagement"] == {
        "like_count": 5,
        "repost_count": 1,
        "reply_count": 4,
        "quote_count": None,
    }
    assert "**Engagement:** 5 likes, 1 reposts, 4 replies\n" in to_markdown([th])
    assert "<dd>5 likes, 1 reposts, 4 replies</dd>" in to_html([th])
    none = unroll_post(table([P("1", "a", 0), P("2", "a", 1, parent="1", parent_author="a")]), "1")
    assert "Engagement:** not reported" in to_markdown([none])
    assert d["first_time"].startswith("2024-01-01T00:00") and d["last_time"].startswith(
        "2024-01-01T00:05"
    )
    assert [p["post_id"] for p in d["posts"]] == ["1", "2"]
    assert [b["posts"][0]["post_id"] for b in d["branches"]] == ["3"]


# -- injection -------------------------------------------------------------------------

EVIL = [
    "<script>window.__pwned = 1</script>",
    '"><img src=x onerror="window.__pwned=1">',
    '[click](javascript:alert(1)) <a href="javascript:alert(1)">x</a>',
    "javascript:alert(1)",
    "<svg onload=alert(1)>&lt;b&gt;",
]


def _evil_thread():
    rows = [
        P(
            str(i + 1),
            "a<b>",
            i,
            text=t,
            parent=str(i) if i else None,
            parent_author="a<b>" if i else None,
        )
        for i, t in enumerate(EVIL)
    ]
    rows[0]["media"] = [
        {"type": "photo", "url": "javascript:alert(1)", "alt": '"><script>x</script>'},
        {"type": "photo", "url": "https://ok.example/i.jpg", "alt": "<b>a</b>"},
    ]
    rows[1]["url"] = "javascript:alert(2)"
    rows[2]["quote_url"] = "javascript:alert(3)"
    rows[2]["quote_id"] = "99"
    return unroll_post(table(rows), "1")


def test_html_escapes_everything_it_did_not_create() -> None:
    th = _evil_thread()
    assert th.n_posts == len(EVIL)
    page = to_html([th])
    body = page.split("<body>", 1)[1]
    assert "<script" not in body.lower()
    assert "<img src=x" not in body and 'onerror="window' not in body
    assert "<svg" not in body.lower()
    assert not re.search(r"""(href|src)\s*=\s*["']?\s*javascript:""", page, re.I)
    # every href/src is http(s)
    for m in re.finditer(r"""(?:href|src)="([^"]*)\"""", page):
        assert m.group(1).startswith(("https://", "http://")), m.group(1)
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in body
    assert "&amp;lt;b&amp;gt;" in body  # text that looks like an entity stays text
    assert "<script" not in page.lower() and "Content-Security-Policy" in page
    # only tags the renderer creates
    tags = set(re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", body))
    assert tags <= {
        "main",
        "article",
        "h1",
        "h2",
        "dl",
        "dt",
        "dd",
        "div",
        "p",
        "a",
        "br",
        "figure",
        "img",
        "figcaption",
        "blockquote",
        "section",
        "bdi",
        "span",
    }


def test_markdown_escapes_html_and_links() -> None:
    md = to_markdown([_evil_thread()])
    # every "<" not escaped by a backslash opens one of the renderer's own http(s) autolinks
    assert all(md[m.end() :].startswith("http") for m in re.finditer(r"(?<!\\)<", md))
    assert "\\<script\\>" in md and "\\<svg onload=alert\\(1\\)\\>\\&lt;b\\&gt;" in md
    assert not re.search(r"(?<!\\)\]\(\s*javascript:", md) and "<javascript:" not in md
    assert "\\[click\\]\\(javascript:alert\\(1\\)\\)" in md


# -- CLI -------------------------------------------------------------------------------


def test_cli_store_and_errors(tmp_path: Path) -> None:
    rows = [
        P("1", "a", 0),
        P("2", "a", 1, parent="1", parent_author="a"),
        P("3", "a", 2, parent="2", parent_author="a"),
    ]
    store = tmp_path / "store"
    write_store(store, {"posts": table(rows)})
    runner = CliRunner()
    res = runner.invoke(main, ["unroll", str(store), "--post", "3", "--format", "json"])
    assert res.exit_code == 0, res.output
    assert [p["post_id"] for p in json.loads(res.output)["threads"][0]["posts"]] == ["1", "2", "3"]
    out = tmp_path / "t.html"
    res = runner.invoke(main, ["unroll", str(store), "--all", "-o", str(out)])
    assert res.exit_code == 0 and out.read_text().startswith("<!DOCTYPE html>")
    res = runner.invoke(main, ["unroll", str(store)])
    assert res.exit_code != 0 and "exactly one of" in res.output
    res = runner.invoke(main, ["unroll", str(store), "--post", "42"])
    assert res.exit_code != 0 and "not in the input" in res.output
    junk = tmp_path / "junk.txt"
    junk.write_text("hello")
    res = runner.invoke(main, ["unroll", str(junk), "--all"])
    assert res.exit_code != 0 and "Traceback" not in res.output


def test_cli_registry_plugs_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """X API files reach unroll through the reader registry's one detect-and-read call."""
    import mutuals.io.readers as readers
    from mutuals.io.store import conform

    calls = []

    def fake_read_any(path, report=None):
        calls.append(Path(path))
        yield (
            "posts",
            conform(
                "posts", table([P("1", "a", 0), P("2", "a", 1, parent="1", parent_author="a")])
            ),
        )

    monkeypatch.setattr(readers, "read_any", fake_read_any, raising=False)
    f = tmp_path / "tweets.jsonl"
    f.write_text('{"data": []}\n')
    res = CliRunner().invoke(main, ["unroll", str(f), "--all", "--format", "md"])
    assert res.exit_code == 0, res.output
    assert calls == [f] and "text of 2" in res.output


# -- the index against an obviously-correct reference ------------------------------------


def test_cli_output_errors_are_one_line(tmp_path: Path) -> None:
    """Writing to a missing folder or to a suffix that names no format: a one-line error."""
    write_store(
        tmp_path / "s",
        {"posts": table([P("1", "a", 0), P("2", "a", 1, parent="1", parent_author="a")])},
    )
    runner = CliRunner()
    res = runner.invoke(
        main, ["unroll", str(tmp_path / "s"), "--all", "-o", str(tmp_path / "no" / "t.html")]
    )
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit)
    assert res.output.startswith("Error: ") and "Traceback" not in res.output
    assert str(tmp_path / "no") in res.output
    res = runner.invoke(
        main, ["unroll", str(tmp_path / "s"), "--all", "-o", str(tmp_path / "t.pdf")]
    )
    assert res.exit_code == 2 and "'.pdf'" in res.output and "--format" in res.output
    assert not (tmp_path / "t.pdf").exists()
    res = runner.invoke(
        main,
        ["unroll", str(tmp_path / "s"), "--all", "-o", str(tmp_path / "t.pdf"), "--format", "md"],
    )
    assert res.exit_code == 0 and (tmp_path / "t.pdf").read_text().startswith("# Thread")


def test_cli_all_without_threads_says_so(tmp_path: Path) -> None:
    write_store(
        tmp_path / "s",
        {"posts": table([P("1", "a", 0), P("2", "b", 1, parent="1", parent_author="a")])},
    )
    res = CliRunner().invoke(main, ["unroll", str(tmp_path / "s"), "--all"])
    assert res.exit_code == 0
    assert "no thread" in res.stderr and "--min-posts" in res.stderr


def test_linkify_keeps_balanced_parentheses() -> None:
    """Wikipedia-style links keep their closing parenthesis; a sentence's own does not."""
    from mutuals.report.unroll_render import _linkify

    out = _linkify("see https://en.wikipedia.org/wiki/Mercury_(planet). (and https://a.example/x)")
    assert 'href="https://en.wikipedia.org/wiki/Mercury_(planet)"' in out
    assert 'href="https://a.example/x"' in out and out.endswith("</a>)")


def test_post_that_is_a_repost_names_the_reposted_post() -> None:
    rows = [
        P("1", "a", 0),
        P("2", "a", 1, parent="1", parent_author="a"),
        P("9", "c", 5, kind="repost", repost_of_id="2", text="RT @a: text of 2"),
    ]
    with pytest.raises(InputError, match=r"'9' is a repost of '2'.*unroll '2'"):
        unroll_post(table(rows), "9")
    assert ids(unroll_post(table(rows), "2")) == ["1", "2"]


# -- bidirectional and invisible controls ------------------------------------------------

RLO, LRO, PDF, LRI, RLI, FSI, PDI = (
    "\u202e",
    "\u202d",
    "\u202c",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
)
ZWSP, ZWNJ, ZWJ, WJ, BOM, LRM, RLM = (
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u200e",
    "\u200f",
)
DANGEROUS = [RLO, LRO, PDF, "\u202a", "\u202b", ZWSP, WJ, BOM, "\u2061", "\x1b", "\x07"]


def accounts(**fields) -> pa.Table:
    from mutuals.io.schema import ACCOUNTS

    row = {"platform": "x", "account_id": "a", "handle": "alice", "display_name": "Alice"}
    row.update(fields)
    return pa.Table.from_pylist([row], schema=ACCOUNTS)


def _hostile_thread():
    rows = [
        P(
            "1",
            "a",
            0,
            # a link whose path is reversed for display ("...exe.jpg"), then a run left open
            text=f"my photo https://files.example/{RLO}gpj.exe look{ZWSP} at it,{RLO}",
            media=[
                {
                    "type": "photo",
                    "url": f"https://img.example/{RLO}gpj.exe",
                    "alt": f"a {RLO}tac{PDF} cat{BOM}",
                }
            ],
        ),
        P("2", "a", 1, text="and the next post reads normally", parent="1", parent_author="a"),
    ]
    rows[0]["media"] = []  # media would stop the paragraph merge; it gets its own test
    acc = accounts(handle=f"ev{RLO}il{ZWSP}", display_name=f"Bob {RLO}evil{ZWSP} name")
    return unroll_post(table(rows), "1", acc)


def test_bidi_controls_neutralised_in_every_format() -> None:
    th = _hostile_thread()
    assert th.author_name == "Bob evil name" and th.author_handle == "evil"
    page, md, js = to_html([th]), to_markdown([th]), to_json([th])
    for out in (page, md, js):
        for ch in DANGEROUS:
            assert ch not in out, (ch, out)
    # the link shows what it goes to: its text is its href, in logical order
    hrefs = re.findall(r'<a href="([^"]+)" dir="ltr"[^>]*>([^<]+)</a>', page)
    assert hrefs == [("https://files.example/gpj.exe", "https://files.example/gpj.exe")]
    assert "<https://files.example/gpj.exe>" in md
    d = json.loads(js)["threads"][0]
    assert d["author_name"] == "Bob evil name" and d["author_handle"] == "evil"
    assert d["posts"][0]["text"] == "my photo https://files.example/gpj.exe look at it,"


def test_author_line_isolates_each_user_run() -> None:
    """An RTL name cannot pull the handle or id into its run: each is a <bdi> / FSI-PDI."""
    th = unroll_post(
        table([P("1", "a", 0), P("2", "a", 1, parent="1", parent_author="a")]),
        "1",
        accounts(display_name=f"\u05d3\u05e0\u05d9 {RLO}12", handle=f"dan{RLO}i"),
    )
    page = to_html([th])
    assert "<dd><bdi>\u05d3\u05e0\u05d9 12</bdi> @<bdi>dani</bdi> (<bdi>a</bdi>)</dd>" in page
    assert f"<title>Thread by {FSI}\u05d3\u05e0\u05d9 12{PDI}</title>" in page
    md = to_markdown([th])
    assert f"- **Author:** {FSI}\u05d3\u05e0\u05d9 12{PDI} @dani \\(a\\)\n" in md
    assert md.startswith(f"# Thread by {FSI}\u05d3\u05e0\u05d9 12{PDI}\n")


def test_rlo_in_one_post_does_not_reach_the_next_merged_post() -> None:
    th = _hostile_thread()
    (para,) = [b for b in article(th.posts) if b.kind == "text"]
    assert para.post_ids == ["1", "2"]  # merged into one paragraph
    page = to_html([th])
    p = re.search(r'<p class="post" dir="auto" data-post-ids="1 2">(.*?)</p>', page).group(1)
    assert "at it, <bdi>and the next post reads normally</bdi>" in p
    assert RLO not in p
    assert "at it, and the next post reads normally" in to_markdown([th])


def test_neutralise_keeps_what_scripts_and_emoji_need() -> None:
    from mutuals.report.unroll import neutralise_handle, neutralise_text, neutralise_url

    family = f"\U0001f468{ZWJ}\U0001f469{ZWJ}\U0001f467"  # one emoji ZWJ sequence
    skin = f"\U0001f44d\U0001f3fd{ZWJ}\u2642\ufe0f"
    england = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"
    persian = f"\u0645\u06cc{ZWNJ}\u062e\u0648\u0627\u0647\u0645"  # ZWNJ between letters
    for legit in (family, skin, england, persian, f"\u05e9\u05dc\u05d5\u05dd{RLM}!"):
        assert neutralise_text(legit) == legit
    assert neutralise_text(f"a {LRI}b{PDI} c") == f"a {LRI}b{PDI} c"  # a matched isolate
    # a joiner between ASCII letters hides nothing legitimate; tags outside a flag go
    assert neutralise_text(f"pay{ZWJ}pal{ZWNJ}x \U000e0067") == "paypalx "
    # unmatched isolates, every embedding and override go, per line
    assert neutralise_text(f"{RLI}a\nb{PDI} {LRO}c{PDF} {RLI}d") == "a\nb c d"
    assert neutralise_text("x\u2028y\r\nz\x85w") == "x\ny\nz\nw"
    assert neutralise_text("lone \ud800 surrogate") == "lone  surrogate"
    assert neutralise_handle(f" bo{LRM}b{RLO}{ZWSP} ") == "bob"
    assert neutralise_url(f"https://a.example/{RLO}x y") == "https://a.example/%E2%80%AEx%20y"
    for s in (family, england, persian, f"{RLO}x", "plain"):
        assert neutralise_text(neutralise_text(s)) == neutralise_text(s)  # idempotent


def test_links_show_their_real_host() -> None:
    from mutuals.report.unroll_render import _link, _linkify

    # a homograph host is shown (and linked) in its ASCII form
    out = _linkify("pay at https://\u0430\u0440\u0440le.com/login now")
    assert (
        'href="https://xn--le-6kc8da.com/login"' in out
        and ">https://xn--le-6kc8da.com/login<" in out
    )
    # user-info cannot pose as the host
    out = _linkify("https://bank.example@evil.example/x")
    assert ">https://evil.example/x</a>" in out and "bank.example@" not in out
    # a URL field whose host holds a control is no link at all (in post text the control
    # is dropped before links are found, so the link goes where its text says)
    assert _link(f"https://evil{RLO}.example/x") is None and _link("javascript:x()") is None
    assert _link(f"https://ok.example/{RLO}x").href == "https://ok.example/%E2%80%AEx"
    rows = [
        P(
            "1",
            "a",
            0,
            media=[
                {"type": "photo", "url": "https://pbs.example/i.jpg", "alt": "https://bank.example"}
            ],
            quote_id="9",
            quote_url="https://x.example/u/status/9",
        ),
        P("2", "a", 1, parent="1", parent_author="a"),
    ]
    th = unroll_post(table(rows), "1")
    page = to_html([th])
    # a link whose text is not its URL is followed by the host it goes to
    assert re.search(
        r'href="https://pbs.example/i.jpg"[^>]*>photo: <bdi>https://bank.example</bdi></a> <span class="host" dir="ltr">\(pbs.example\)</span>',
        page,
    )
    assert re.search(r'>quoted post</a> <span class="host" dir="ltr">\(x.example\)</span>', page)
    assert 'title="2024-01-01 00:00 UTC · x.com"' in page  # permalinks name theirs
    md = to_markdown([th])
    assert "[photo: https://bank.example](<https://pbs.example/i.jpg>) (pbs.example)" in md


# -- Markdown injection through user fields ---------------------------------------------

_OWN_BLOCK_LINES = re.compile(
    r"^(#{1,6} Thread( by .*)?|#{2,} Side branches|- \*\*[A-Z][a-z ]+:\*\* .*|> .*|>)$"
)


def _block_openers(md: str) -> list[str]:
    """Lines a CommonMark renderer would open a block with (heading, quote, list item,
    thematic break / setext underline, fenced or indented code, table row, HTML)."""
    opener = re.compile(
        r"^ {0,3}(#{1,6}(\s|$)|>|[-+*](\s|$)|\d{1,9}[.)](\s|$)|[=_-]{3,}|`{3}|~{3}|\||<)|^ {4}|^\t"
    )
    return [ln for ln in md.split("\n") if opener.match(ln)]


def test_markdown_name_with_newlines_injects_nothing() -> None:
    name = "Bob\n# Fake heading\n- **Posts:** 999\n\n> quoted\n1. one\n---\n<b>x</b> [l](https://e.example) | `c`"
    th = unroll_post(
        table([P("1", "a", 0), P("2", "a", 1, parent="1", parent_author="a")]),
        "1",
        accounts(display_name=name, handle="bob\n# h"),
    )
    md = to_markdown([th])
    first, meta = md.split("\n\n")[:2]
    assert "\n" not in first and first.startswith("# Thread by Bob \\# Fake heading - \\*\\*Posts")
    assert [ln.split(":**")[0] for ln in meta.split("\n")] == [
        "- **Author",
        "- **Platform",
        "- **First post",
        "- **Last post",
        "- **Posts",
        "- **Engagement",
    ]
    assert "- **Posts:** 2" in meta and "999" not in meta.split("- **Posts:**")[1]
    assert all(_OWN_BLOCK_LINES.match(ln) for ln in _block_openers(md)), _block_openers(md)
    assert "\\<b\\>x\\</b\\>" in first and "\\[l\\]\\(" in first and "\\`c\\`" in first
    assert "\\|" in first and "@bob \\# h" in meta


def test_markdown_post_text_opens_no_block() -> None:
    text = "\n".join(
        [
            "first line",
            "# not a heading",
            "> not a quote",
            "- not a list",
            "+ nor this",
            "* nor this",
            "12. not numbered",
            "===",
            "---",
            "    not code",
            "```",
            "| not | a table |",
            "<div>not html</div>",
            "*not emphasis* _nor this_ ~~nor struck~~ [not](a link)",
        ]
    )
    th = unroll_post(
        table([P("1", "a", 0, text=text), P("2", "a", 1, parent="1", parent_author="a")]), "1"
    )
    md = to_markdown([th])
    assert all(_OWN_BLOCK_LINES.match(ln) for ln in _block_openers(md)), _block_openers(md)
    for s in (
        "\\# not",
        "\\> not",
        "\\- not",
        "\\+ nor",
        "\\* nor",
        "12\\. not",
        "\\===",
        "\\---",
    ):
        assert s in md, s
    assert "\u00a0" * 4 + "not code" in md and "\\`\\`\\`" in md and "\\| not \\|" in md
    assert "\\*not emphasis\\* \\_nor this\\_ \\~\\~nor struck\\~\\~ \\[not\\]\\(a link\\)" in md


# -- no remote loads by default -----------------------------------------------------------


def _photo_thread():
    rows = [
        P(
            "1",
            "a",
            0,
            media=[{"type": "photo", "url": "https://img.example/cat.jpg", "alt": "a cat"}],
        ),
        P("2", "a", 1, parent="1", parent_author="a"),
    ]
    return unroll_post(table(rows), "1")


def test_html_loads_no_remote_image_by_default() -> None:
    th = _photo_thread()
    page = to_html([th])
    assert "<img" not in page
    csp = re.search(r'Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "img-src 'none'" in csp and "http" not in csp
    assert re.search(
        r'<a href="https://img.example/cat.jpg"[^>]*>photo: <bdi>a cat</bdi></a>', page
    )
    assert "(img.example)" in page
    embedded = to_html([th], embed_images=True)
    assert '<img src="https://img.example/cat.jpg" alt="a cat"' in embedded
    csp = re.search(r'Content-Security-Policy" content="([^"]+)"', embedded).group(1)
    assert "img-src https: http:" in csp
    md = to_markdown([th])
    assert "![" not in md and "[photo: a cat](<https://img.example/cat.jpg>) (img.example)" in md
    assert "![a cat](<https://img.example/cat.jpg>)" in to_markdown([th], embed_images=True)


def test_cli_embed_images_option(tmp_path: Path) -> None:
    write_store(
        tmp_path / "s",
        {
            "posts": table(
                [
                    P(
                        "1",
                        "a",
                        0,
                        media=[
                            {"type": "photo", "url": "https://img.example/cat.jpg", "alt": "a cat"}
                        ],
                    ),
                    P("2", "a", 1, parent="1", parent_author="a"),
                ]
            )
        },
    )
    runner = CliRunner()
    res = runner.invoke(main, ["unroll", str(tmp_path / "s"), "--all", "--format", "html"])
    assert res.exit_code == 0 and "<img" not in res.stdout
    res = runner.invoke(
        main, ["unroll", str(tmp_path / "s"), "--all", "--format", "html", "--embed-images"]
    )
    assert res.exit_code == 0 and '<img src="https://img.example/cat.jpg"' in res.stdout
    res = runner.invoke(main, ["unroll", "--help"])
    assert "--embed-images" in res.output
