"""The detection page (detect.html) with hostile handles and post text, in a real
headless browser (Debian's Chromium via Playwright), as the claims page is tested.

The browser tests skip with a reason when Chromium or Playwright is missing,
except in CI (MUTUALS_REQUIRE_SHARED_DATA=1), where they must run."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from helpers.browser import (
    browser_fixture,  # noqa: F401 - the `browser` fixture
    open_page,
)
from mutuals.metrics.coordination import detect_coordination
from mutuals.report.detect import render_detect_page, write_detection

RLO = "\u202e"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror="window.__pwned=1;alert(2)">'
LINK = '<a href="https://evil.example/">click</a>'
EVIL_HANDLE = f"{SCRIPT}{RLO}lave"
T0 = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)


def _tables() -> dict[str, pa.Table]:
    """Accounts g0-g5 (hostile handles, hostile post text) repost the same three
    posts within seconds, three times; 40 others post now and then."""
    posts, inter = [], []

    def post(author: str, t: float, **kw: Any) -> str:
        pid = f"p{len(posts)}"
        posts.append({"platform": "x", "post_id": pid, "author_id": author,
                      "created_at": T0 + dt.timedelta(seconds=t), "kind": "post",
                      "text": None, "repost_of_id": None, **kw})  # fmt: skip
        return pid

    for i in range(40):
        post(f"o{i}", 500.0 * i, text=f"ordinary {i}")
    for k in range(3):
        src = post("o0", 20_000 + 7200 * k, text=f"source {IMG}")
        for g in range(6):
            pid = post(f"g{g}", 20_030 + 7200 * k + g, kind="repost", repost_of_id=src,
                       text=f"{SCRIPT} {IMG} {LINK} {RLO}txet")  # fmt: skip
            inter.append({"platform": "x", "kind": "repost", "source_id": f"g{g}",
                          "target_id": "o0", "post_id": pid, "target_post_id": src,
                          "created_at": posts[-1]["created_at"]})  # fmt: skip
    ids = [f"o{i}" for i in range(40)] + [f"g{g}" for g in range(6)]
    handles = [f"h{i}" for i in range(40)] + [EVIL_HANDLE, IMG, LINK, "g3", "g4", "g5"]
    return {
        "accounts": pa.table({"platform": ["x"] * len(ids), "account_id": ids, "handle": handles}),
        "follows": pa.table(
            {
                "platform": pa.array([], pa.string()),
                "follower_id": pa.array([], pa.string()),
                "friend_id": pa.array([], pa.string()),
            }
        ),
        "posts": _conform("posts", pa.Table.from_pylist(posts)),
        "interactions": _conform("interactions", pa.Table.from_pylist(inter)),
    }


def _conform(name: str, t: pa.Table) -> pa.Table:
    from mutuals.io.store import conform

    return conform(name, t)


def _detection() -> Any:
    t = _tables()
    from mutuals.io.store import conform

    return detect_coordination(
        conform("accounts", t["accounts"]), conform("follows", t["follows"]), t["posts"],
        t["interactions"],
    )  # fmt: skip


# -- without a browser ------------------------------------------------------------------


def test_the_page_names_every_flagged_account_and_escapes_what_it_shows() -> None:
    d = _detection()
    flagged = {r["account_id"] for r in d.scores.to_pylist() if r["flagged"]}
    assert flagged == {f"g{g}" for g in range(6)}
    page = render_detect_page(d, meta={"store": f"/data/{SCRIPT}"})
    assert "<script" not in page and "<img" not in page and 'href="https' not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert RLO not in page
    for g in range(6):
        assert f'data-account="g{g}"' in page


def test_importing_the_page_module_does_not_import_jinja2() -> None:
    code = "import sys, mutuals.report.detect; sys.exit('jinja2' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# -- in the browser ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def loaded(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The page in a fresh context that records every request, console error and
    dialog, and blocks anything but the page itself."""
    out = tmp_path_factory.mktemp("detect") / "det"
    write_detection(_detection(), out, meta={"store": f"/data/{SCRIPT}", "command": IMG})
    with open_page(browser, out / "detect.html") as o:
        yield {"page": o.page, "url": o.url, "requested": o.requested, "errors": o.errors,
               "dialogs": o.dialogs}  # fmt: skip


@pytest.mark.browser
def test_page_loads_nothing_and_logs_no_error(loaded: dict[str, Any]) -> None:
    page = loaded["page"]
    assert [u for u in loaded["requested"] if u != loaded["url"]] == []
    assert loaded["errors"] == [] and loaded["dialogs"] == []
    hrefs = page.eval_on_selector_all("[href]", "els => els.map(e => e.getAttribute('href'))")
    assert hrefs and all(h.startswith("#") for h in hrefs)
    assert page.title() == "Possible infiltrators and coordinated groups"


@pytest.mark.browser
def test_hostile_handles_and_text_are_shown_as_text(loaded: dict[str, Any]) -> None:
    page = loaded["page"]
    assert page.evaluate("() => window.__pwned") is None
    counts = page.evaluate(
        """() => ({
          active: document.querySelectorAll('script, iframe, object, embed, img, form').length,
          on: [...document.querySelectorAll('*')].filter(
                e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
          outside: [...document.querySelectorAll('a')].filter(
                a => !a.getAttribute('href').startsWith('#')).length,
        })"""
    )
    assert counts == {"active": 0, "on": 0, "outside": 0}
    text = page.inner_text("body")
    for s in (SCRIPT, IMG, LINK, f"@{SCRIPT}lave", "txet"):
        assert s in text
    assert RLO not in text
    assert f"/data/{SCRIPT}" in page.inner_text("table.meta")


@pytest.mark.browser
def test_every_flagged_account_shows_its_evidence_and_thresholds(loaded: dict[str, Any]) -> None:
    page = loaded["page"]
    sections = page.query_selector_all("section.account")
    assert {s.get_attribute("data-account") for s in sections} == {f"g{g}" for g in range(6)}
    for s in sections:
        assert s.query_selector(".flag").inner_text() == "coaction"
        table = s.query_selector("table.evidence[data-signal='coaction']")
        assert table is not None and table.is_visible()
        assert "at least 3 distinct posts" in table.query_selector("caption").inner_text()
        rows = table.query_selector_all("tbody tr")
        assert len(rows) >= 3
        assert all(r.query_selector("td.id").inner_text().startswith("posts p") for r in rows)
    nav = page.eval_on_selector_all("nav a", "els => els.map(e => e.getAttribute('href'))")
    assert nav == [f"#{s.get_attribute('id')}" for s in sections]


@pytest.mark.browser
def test_the_page_mutuals_detect_writes_loads_in_the_browser(browser: Any, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from mutuals.cli.main import main
    from mutuals.io.store import write_store

    write_store(tmp_path / "store", _tables())
    res = CliRunner().invoke(
        main, ["detect", str(tmp_path / "store"), "--out", str(tmp_path / "d")]
    )
    assert res.exit_code == 0, res.output
    with open_page(browser, tmp_path / "d" / "detect.html") as o:
        url = (tmp_path / "d" / "detect.html").as_uri()
        assert [u for u in o.requested if u != url] == [] and o.errors == []
        assert len(o.page.query_selector_all("section.account")) == 6
        assert o.page.query_selector("table.groups") is not None
