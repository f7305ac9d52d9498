"""The unrolled HTML page in a real headless browser (Debian's Chromium via Playwright).

Skips with a reason when Chromium or Playwright is missing, except in CI
(MUTUALS_REQUIRE_SHARED_DATA=1), where it must run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from helpers.browser import (
    Opened,
    browser_fixture,  # noqa: F401 - the `browser` fixture
    open_page,
)
from mutuals.io.readers.xarchive import read_xarchive
from mutuals.io.readreport import ReadReport
from mutuals.report.unroll import unroll_post
from mutuals.report.unroll_render import to_html

pytestmark = pytest.mark.browser


def _load(browser: Any, path: Path) -> Opened:
    """``path`` loaded (no route: nothing is blocked), recording page errors,
    console errors and dialogs."""
    return open_page(browser, path, route=None, wait="load", hover=None)


def test_real_thread_renders_in_order(browser: Any, shared_data: Path, tmp_path: Path) -> None:
    import pyarrow as pa

    src = shared_data / "twitter-archive-folddb-fixture"
    chunks = list(read_xarchive(src, ReadReport(str(src))))
    posts = pa.concat_tables([t for n, t in chunks if n == "posts"])
    accounts = pa.concat_tables([t for n, t in chunks if n == "accounts"])
    th = unroll_post(posts, "1602103390640623616", accounts)  # a middle post of the thread
    out = tmp_path / "thread.html"
    out.write_text(to_html([th]), encoding="utf-8")
    o = _load(browser, out)
    page, errors, dialogs = o.page, o.errors, o.dialogs
    # the thread's ids in reply order, read by hand from tweets.js (in_reply_to_status_id_str)
    expected = [
        "1602103380591095808",
        "1602103383124373505",
        "1602103385670356992",
        "1602103388182749186",
        "1602103390640623616",
        "1602103393152999424",
        "1602103395782840320",
        "1602103398274199552",
    ]
    shown = page.eval_on_selector_all(
        ".article [data-post-ids]", "els => els.map(e => e.dataset.postIds)"
    )
    order: list[str] = []
    for ids in shown:
        for i in ids.split():
            if i not in order:
                order.append(i)
    assert order == expected
    text = page.inner_text(".article")
    starts = [
        "Many people believe a hard crash is coming.",
        "Fed QE to get the US out of a deep recession",
        "QE has worked in the past.",
        "The question at the moment is not if",
        "The short take is the response will be very quick",
        "The Fed does not have limitations",
        "The cycle of inflation, tightening, recession",
        "A dampening scenario requires exquisite Fed execution",
    ]
    positions = [text.find(s) for s in starts]
    assert all(p >= 0 for p in positions) and positions == sorted(positions)
    assert "2/8" not in text and "8/8" not in text  # thread counters removed
    assert page.title() == "Thread by Test User"
    assert errors == [] and dialogs == []
    o.close()


EVIL = [
    "<script>window.__pwned = 1; alert('script')</script>",
    '"><img src=x onerror="window.__pwned=2;alert(2)">',
    '<a href="javascript:window.__pwned=3">click</a> javascript:alert(3)',
    '<svg onload="window.__pwned=4"></svg><iframe src="javascript:alert(4)"></iframe>',
    "<style>body{display:none}</style><b onmouseover=alert(5)>hover</b>",
]


@pytest.mark.parametrize("with_csp", [True, False])
def test_post_text_executes_nothing(browser: Any, tmp_path: Path, with_csp: bool) -> None:
    import pyarrow as pa

    from mutuals.io.schema import POSTS

    rows = [
        {
            "platform": "x",
            "post_id": str(i + 1),
            "author_id": "a",
            "kind": "reply" if i else "post",
            "text": t,
            "parent_id": str(i) if i else None,
            "parent_author_id": "a" if i else None,
            "url": "javascript:alert(9)" if i == 1 else f"https://x.com/a/status/{i + 1}",
            "media": [{"type": "photo", "url": "x", "alt": '"><img src=x onerror=alert(6)>'}],
        }
        for i, t in enumerate(EVIL)
    ]
    th = unroll_post(pa.Table.from_pylist(rows, schema=POSTS), "1")
    page_html = to_html([th])
    if not with_csp:  # escaping alone must keep the text inert
        page_html = "\n".join(ln for ln in page_html.split("\n") if "Content-Security" not in ln)
    out = tmp_path / "evil.html"
    out.write_text(page_html, encoding="utf-8")
    o = _load(browser, out)
    page, errors, dialogs = o.page, o.errors, o.dialogs
    for el in page.query_selector_all(".article *"):
        el.dispatch_event("mouseover")
    assert page.evaluate("() => window.__pwned") is None
    assert dialogs == []
    assert (
        page.evaluate("() => document.querySelectorAll('script, iframe, svg, style').length") == 1
    )
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    assert all(h.startswith(("https://", "http://")) for h in hrefs)
    text = page.inner_text(".article")
    for t in ("<script>window.__pwned = 1", '"><img src=x onerror=', "<svg onload="):
        assert t in text  # shown as text
    assert page.is_visible("main")
    assert [e for e in errors if "Content Security Policy" not in e] == []
    o.close()


# -- no remote loads; bidi controls ------------------------------------------------------

PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def _media_thread() -> Any:
    import pyarrow as pa

    from mutuals.io.schema import POSTS

    rows = [
        {
            "platform": "x",
            "post_id": str(i),
            "author_id": "a",
            "kind": "reply" if i > 1 else "post",
            "text": f"post {i} with a link https://links.example/{i} to read",
            "parent_id": str(i - 1) if i > 1 else None,
            "parent_author_id": "a" if i > 1 else None,
            "url": f"https://x.example/a/status/{i}",
            "media": [{"type": "photo", "url": f"https://img.example/{i}.png", "alt": f"cat {i}"}],
            "quote_id": "99" if i == 1 else None,
            "quote_url": "https://x.example/b/status/99" if i == 1 else None,
        }
        for i in (1, 2)
    ]
    return unroll_post(pa.Table.from_pylist(rows, schema=POSTS), "1")


def _stub_remote(route: Any, url: str) -> None:
    """Answer any http(s) request with a 1x1 PNG, so no real network is ever touched."""
    if route.request.url.startswith(("http://", "https://")):
        route.fulfill(status=200, content_type="image/png", body=PNG_1PX)
    else:
        route.continue_()


def _open_recording(browser: Any, path: Path) -> Opened:
    """Open ``path`` in a fresh context that records every request and answers any
    http(s) one itself with a 1x1 PNG (:func:`_stub_remote`)."""
    return open_page(browser, path, route=_stub_remote, hover=None)


def test_page_fetches_nothing_by_default(browser: Any, tmp_path: Path) -> None:
    out = tmp_path / "thread.html"
    out.write_text(to_html([_media_thread()]), encoding="utf-8")
    o = _open_recording(browser, out)
    page, requested = o.page, o.requested
    page.mouse.wheel(0, 5000)  # lazy images, if any, would load now
    page.wait_for_timeout(300)
    assert [u for u in requested if u != out.as_uri()] == []
    assert page.eval_on_selector_all("img", "els => els.length") == 0
    # each image is a link with its alt text, and the host it is on
    links = page.eval_on_selector_all("figure a", "els => els.map(e => [e.textContent, e.href])")
    assert links == [
        ["photo: cat 1", "https://img.example/1.png"],
        ["photo: cat 2", "https://img.example/2.png"],
    ]
    assert page.inner_text("figure") == "photo: cat 1 (img.example)"
    o.close()


def test_embed_images_fetches_only_the_images(browser: Any, tmp_path: Path) -> None:
    out = tmp_path / "thread.html"
    out.write_text(to_html([_media_thread()], embed_images=True), encoding="utf-8")
    o = _open_recording(browser, out)
    page, requested = o.page, o.requested
    page.mouse.wheel(0, 5000)
    page.wait_for_timeout(300)
    remote = sorted(u for u in requested if u != out.as_uri())
    assert remote == ["https://img.example/1.png", "https://img.example/2.png"]
    assert page.eval_on_selector_all("img", "els => els.map(e => e.naturalWidth)") == [1, 1]
    o.close()


RLO = "\u202e"

_X_OF = """([sel, words]) => {
  const root = document.querySelector(sel);
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const out = {};
  let n;
  while ((n = walker.nextNode())) {
    for (const w of words) {
      const i = n.data.indexOf(w);
      if (w in out || i < 0) continue;
      const r = document.createRange();  // where the word's first character is drawn
      r.setStart(n, i);
      r.setEnd(n, i + 1);
      const b = r.getBoundingClientRect();
      out[w] = [b.left, b.top];
    }
  }
  return out;
}"""


def _x_order(page: Any, sel: str, words: list[str]) -> list[str]:
    """``words`` sorted by where they are drawn, left to right (all on one line)."""
    pos = page.evaluate(_X_OF, [sel, words])
    assert sorted(pos) == sorted(words), (pos, words)
    assert len({round(top) for _, top in pos.values()}) == 1, pos  # one line
    return sorted(words, key=lambda w: pos[w][0])


def test_rlo_reorders_nothing_around_it(browser: Any, tmp_path: Path) -> None:
    """A name, a link and a post carrying U+202E (RIGHT-TO-LEFT OVERRIDE) are drawn in
    logical order, and so is everything after them: the author line's other parts and
    the next post merged into the same paragraph."""
    import pyarrow as pa

    from mutuals.io.schema import ACCOUNTS, POSTS

    rows = [
        {
            "platform": "x",
            "post_id": "1",
            "author_id": "u1",
            "kind": "post",
            "text": f"see https://files.example/{RLO}gpj.exe first,{RLO}",
            "url": "https://x.example/u/status/1",
        },
        {
            "platform": "x",
            "post_id": "2",
            "author_id": "u1",
            "kind": "reply",
            "text": "and then more words follow",
            "parent_id": "1",
            "parent_author_id": "u1",
            "url": "https://x.example/u/status/2",
        },
    ]
    acc = pa.Table.from_pylist(
        [
            {
                "platform": "x",
                "account_id": "u1",
                "handle": f"ha{RLO}ndle",
                "display_name": f"Bob {RLO}evil name",
            }
        ],
        schema=ACCOUNTS,
    )
    th = unroll_post(pa.Table.from_pylist(rows, schema=POSTS), "1", acc)
    out = tmp_path / "bidi.html"
    out.write_text(to_html([th]), encoding="utf-8")
    o = _load(browser, out)
    page, errors, dialogs = o.page, o.errors, o.dialogs
    assert _x_order(page, "dl.meta dd", ["Bob", "evil", "name", "@", "handle", "u1"]) == [
        "Bob",
        "evil",
        "name",
        "@",
        "handle",
        "u1",
    ]
    assert _x_order(page, "h1", ["Thread", "Bob", "evil", "name"]) == [
        "Thread",
        "Bob",
        "evil",
        "name",
    ]
    para = ".article p.post"
    assert page.eval_on_selector_all(para, "els => els.length") == 1  # the posts merged
    words = ["see", "files", "gpj", "exe", "first", "and", "then", "more", "follow"]
    assert _x_order(page, para, words) == words
    link = page.eval_on_selector(f"{para} a[dir]", "a => [a.textContent, a.href]")
    assert link[0] == link[1] == "https://files.example/gpj.exe"
    assert RLO not in page.inner_text("body") and RLO not in page.title()
    assert errors == [] and dialogs == []
    o.close()
