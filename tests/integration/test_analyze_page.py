"""report.html, the analysis page: written by `mutuals analyze` in its own
transaction, every section present, hostile strings shown as text, and loaded
in a real headless browser (Debian's Chromium via Playwright) with no request
and no error.

The browser tests skip with a reason when Chromium or Playwright is missing,
except in CI (MUTUALS_REQUIRE_SHARED_DATA=1), where they must run.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from helpers.browser import (
    browser_fixture,  # noqa: F401 - the `browser` fixture
    open_page,
)
from mutuals.cli.main import main
from mutuals.errors import InputError
from mutuals.io.store import write_store
from mutuals.report.analyze_page import SECTIONS, read_detection

SVG = "{http://www.w3.org/2000/svg}"
TS = pa.timestamp("us", tz="UTC")
DAY = 86_400_000_000
T0 = int(dt.datetime(2024, 3, 1, tzinfo=dt.UTC).timestamp() * 1_000_000)

RLO = "\u202e"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror="window.__pwned=1">'
EVIL_COMMUNITY = f"comrades {SCRIPT}"
RTL_COMMUNITY = f"left{RLO}tfel"
EVIL_TAG = "<b>bold</b>"
EVIL_ACCOUNT = f"acct{IMG}"


def _tables(seed: int = 0) -> dict[str, pa.Table]:
    """Three communities (two with hostile names), a campaign under #camp on day 5
    of 10 by 30 accounts of the first, follows with times, posts with replies."""
    rng = np.random.default_rng(seed)
    n = 240
    ids = [f"u{i}" for i in range(n)]
    ids[0] = EVIL_ACCOUNT
    comm = np.repeat([EVIL_COMMUNITY, RTL_COMMUNITY, "mainstream"], n // 3)
    adopters = set(range(30))
    f_rows: list[tuple[int, int, int | None]] = []
    for i in range(n):
        same = np.flatnonzero(comm == comm[i])
        for j in rng.choice(same, 8, replace=False).tolist() + rng.integers(0, n, 2).tolist():
            if j != i:
                t = None if rng.random() < 0.5 else T0 + int(rng.integers(0, 10 * DAY))
                f_rows.append((i, int(j), t))
    for i in adopters:  # campaign follows among adopters after day 5
        for j in rng.choice(sorted(adopters), 6, replace=False).tolist():
            if j != i:
                f_rows.append((i, int(j), T0 + 5 * DAY + int(rng.integers(DAY, 4 * DAY))))
    posts: list[dict[str, Any]] = []
    inter: list[dict[str, Any]] = []
    for i in range(n):
        for k in range(int(rng.integers(3, 15))):
            t = T0 + int(rng.integers(0, 10 * DAY))
            tags = [EVIL_TAG] if k % 4 == 0 else ["other"]
            if i in adopters and k == 0:
                t, tags = T0 + 5 * DAY + int(rng.integers(0, DAY)), ["camp"]
            pid = f"p{len(posts)}"
            posts.append({"post_id": pid, "author_id": ids[i], "created_at": t, "kind": "post",
                          "hashtags": tags})  # fmt: skip
            for _ in range(int(rng.poisson(1.0))):
                src = int(rng.integers(0, n))
                inter.append({"kind": "reply", "source_id": ids[src], "target_id": ids[i],
                              "post_id": f"r{len(inter)}", "target_post_id": pid})  # fmt: skip
    return {
        "accounts": pa.table({"platform": ["bluesky"] * n, "account_id": ids,
                              "community": comm.tolist()}),
        "follows": pa.table({
            "platform": ["bluesky"] * len(f_rows),
            "follower_id": [ids[a] for a, _, _ in f_rows],
            "friend_id": [ids[b] for _, b, _ in f_rows],
            "created_at": pa.array([t for _, _, t in f_rows], pa.int64()).cast(TS),
        }),
        "posts": pa.table({
            "platform": ["bluesky"] * len(posts),
            **{k: [p[k] for p in posts] for k in ("post_id", "author_id", "kind", "hashtags")},
            "created_at": pa.array([p["created_at"] for p in posts], pa.int64()).cast(TS),
        }),
        "interactions": pa.table({"platform": ["bluesky"] * len(inter),
                                  **{k: [r[k] for r in inter] for k in inter[0]}}),
    }  # fmt: skip


def _detection(folder: Path) -> Path:
    """A detection folder as `mutuals detect` writes it (the two files read, and its page)."""
    folder.mkdir(parents=True)
    (folder / "detect.json").write_text(
        json.dumps({"format": "mutuals-detection", "accounts": 240, "flagged": 3,
                    "signals": {"follow_burst": {"available": True, "flagged": 2},
                                f"drift{SCRIPT}": {"available": False, "flagged": 0}}})
    )  # fmt: skip
    pq.write_table(
        pa.table({
            "account_id": [EVIL_ACCOUNT, "u1", "u2", "u200"],
            "platform": ["bluesky"] * 4,
            "combined": [9.5, 7.25, 3.0, 1.0],
            "rank": [1, 2, 3, 4],
            "flagged": [True, True, True, False],
        }),
        folder / "scores.parquet",
    )  # fmt: skip
    (folder / "detect.html").write_text("<!DOCTYPE html><title>detect</title>")
    return folder


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("page")
    store = root / "store <b>x</b>"
    write_store(store, _tables())
    det = _detection(root / "det 'a'#x")
    out = root / "out"
    res = CliRunner().invoke(main, ["analyze", str(store), "--hashtag", "camp", "--out",
                                    str(out), "--detect", str(det), "--campaign-window", "3",
                                    "--bootstrap", "100", "--home-feed-k", "20"])  # fmt: skip
    assert res.exit_code == 0, res.output
    return {"out": out, "page": out / "report.html", "det": det, "output": res.output,
            "store": store}  # fmt: skip


def test_page_is_written_with_the_analysis(written: dict[str, Any]) -> None:
    out = written["out"]
    marker = json.loads((out / ".mutuals.json").read_text())
    assert "report.html" in marker["files"] and "summary.json" in marker["files"]
    assert {"campaign_effect_pairs.parquet", "campaign_adoption.parquet",
            "follows_by_community.parquet"} <= set(marker["files"])  # fmt: skip
    summary = json.loads((out / "summary.json").read_text())
    ce = summary["campaign_effect"]
    assert ce["adopters"] == 30 and ce["follow_times"] is True
    assert set(ce["outcomes"]) == {"follower_growth", "reach_per_post", "reciprocity"}
    assert ce["campaign_follows"]["after_both_adopted"] > 0
    assert summary["graph"]["in_degree"]["tail_test"]["favoured"] in (
        "power law", "lognormal", "neither")  # fmt: skip
    assert "campaign effect of #camp" in written["output"]
    assert "follower growth (followers a day): difference in differences" in written["output"]


def test_svgs_are_well_formed_with_no_active_element(written: dict[str, Any]) -> None:
    html = written["page"].read_text(encoding="utf-8")
    svgs = re.findall(r"<svg .*?</svg>", html, flags=re.S)
    assert len(svgs) >= 7  # two CCDFs, reach, communities, who reads whom, adoption, effect
    for s in svgs:
        root = ET.fromstring(s)
        tags = {el.tag.removeprefix(SVG) for el in root.iter()}
        assert tags <= {"svg", "title", "style", "g", "text", "line", "path", "circle", "rect"}
        assert not any(k.startswith("on") for el in root.iter() for k in el.attrib)
        assert RLO not in "".join(root.itertext())
    classes = [ET.fromstring(s).get("class") for s in svgs]
    for c in ("ccdf", "reach", "communities", "who-reads-whom", "adoption", "effect"):
        assert c in classes


def test_detection_links_point_at_its_page(written: dict[str, Any]) -> None:
    html = written["page"].read_text(encoding="utf-8")
    hrefs = re.findall(r'href="([^"]*)"', html)
    ext = [h for h in hrefs if not h.startswith("#")]
    assert ext and all(h.startswith("./") or h.startswith("../") for h in ext)
    from urllib.parse import unquote

    target = (written["out"] / unquote(ext[0].split("#")[0])).resolve()
    assert target == (written["det"] / "detect.html").resolve()
    assert any(h.endswith("#rank-1") for h in ext)


def test_an_absent_detection_is_one_line(tmp_path: Path, written: dict[str, Any]) -> None:
    res = CliRunner().invoke(main, ["analyze", str(written["store"]), "--out",
                                    str(tmp_path / "o"), "--detect", str(tmp_path / "none"),
                                    "--home-feed-k", "0", "--bootstrap", "0"])  # fmt: skip
    assert res.exit_code == 0, res.output
    lines = [x for x in res.output.splitlines() if x.startswith("--detect")]
    assert len(lines) == 1 and "is not a folder" in lines[0]
    page = (tmp_path / "o" / "report.html").read_text()
    assert "Detection: not shown: --detect" in page
    assert "no hashtag was given" in page  # and the campaign says why it is absent
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "detect.json").write_text("{}")
    (bad / "scores.parquet").write_bytes(b"not parquet")
    with pytest.raises(InputError, match=r"scores\.parquet: not a readable Parquet file"):
        read_detection(bad)


# -- in the browser ----------------------------------------------------------------------------


@pytest.mark.browser
def test_page_loads_nothing_and_has_every_section(browser: Any, written: dict[str, Any]) -> None:
    with open_page(browser, written["page"]) as o:
        page = o.page
        assert [u for u in o.requested if u != written["page"].as_uri()] == []
        assert o.errors == [] and o.dialogs == []
        for sid, heading in SECTIONS:
            section = page.query_selector(f"section[id='{sid}']")
            assert section is not None, sid
            assert section.query_selector("h2").inner_text() == heading
        for cls in ("ccdf", "reach", "communities", "who-reads-whom", "adoption", "effect"):
            svg = page.query_selector(f"svg.{cls}")
            assert svg is not None and svg.is_visible(), cls
            box = svg.bounding_box()
            assert box["width"] > 200 and box["height"] > 60
        effects = page.inner_text("section#campaign table.effects")
        for label in ("follower growth", "reach per post", "reciprocity"):
            assert label in effects
        assert "not available" not in effects
        det = page.inner_text("section#detection")
        assert "3 of 240 accounts" in det and "9.5" in det
        # nothing overflows the page sideways
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.browser
def test_hostile_strings_are_text(browser: Any, written: dict[str, Any]) -> None:
    with open_page(browser, written["page"]) as o:
        page = o.page
        assert page.evaluate("() => window.__pwned") is None
        counts = page.evaluate(
            """() => ({
              active: document.querySelectorAll('script, iframe, object, embed, img').length,
              on: [...document.querySelectorAll('*')].filter(
                    e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
              bold: document.querySelectorAll('main td b, main li b').length,
            })"""
        )
        assert counts == {"active": 0, "on": 0, "bold": 0}
        text = page.inner_text("body")
        for s in (EVIL_TAG, EVIL_ACCOUNT, "store <b>x</b>", f"drift{SCRIPT}"):
            assert s in text, s
        svg_text = page.eval_on_selector_all("svg text", "els => els.map(e => e.textContent)")
        joined = " ".join(svg_text)
        assert "comrades <script>alert(1)</script>"[:24] in joined  # shortened in the bars
        assert RLO not in text and RLO not in joined
        assert "lefttfel" in joined  # the override is dropped, the letters kept


@pytest.mark.browser
def test_a_simulated_campaign_page_loads(browser: Any, tmp_path: Path) -> None:
    """The page of a small simulated C3 campaign (a store with follow times)."""
    import mutuals
    from mutuals.claims.design import load_claim_file

    c3 = Path(mutuals.__file__).parent / "claims/scenarios/C3-campaign-machinery.toml"
    run = mutuals.run(load_claim_file(c3).scenario("campaign", {"accounts": 3000}), seed=1)
    tables = run.canonical()
    write_store(tmp_path / "s", {k: tables[k] for k in ("accounts", "follows", "posts",
                                                         "interactions")})  # fmt: skip
    topic = run.model.params.campaign_topic
    res = CliRunner().invoke(main, ["analyze", str(tmp_path / "s"), "--hashtag",
                                    f"topic{topic}", "--campaign-window", "1",
                                    "--bootstrap", "100"])  # fmt: skip
    assert res.exit_code == 0, res.output
    with open_page(browser, tmp_path / "s" / "analysis" / "report.html") as o:
        page = o.page
        assert o.errors == [] and len(o.requested) == 1
        for sid, _ in SECTIONS:
            assert page.query_selector(f"section[id='{sid}']") is not None
        assert "were made after both had" in page.inner_text("section#campaign")
        assert page.query_selector("svg.adoption path") is not None


def test_ccdf_draws_the_lognormals_power_law_limit() -> None:
    """When the lognormal's best fit is its power-law limit (mu, sigma null), the
    dashed curve is that limit, P(X >= x) = ((x - 1/2) / (xmin - 1/2)) ** theta1."""
    from mutuals.report.analyze_page import ccdf_svg

    deg = np.arange(1, 201, dtype=np.float64)
    cnt = np.round(1e6 * deg**-2.5) + 1
    base = {"power_law": {"alpha": 2.5, "xmin": 10.0}}
    limit = {**base, "tail_test": {"mu": None, "sigma": None, "lognormal_limit": True,
                                   "lognormal_theta1": -1.5, "lognormal_theta2": 0.0}}  # fmt: skip
    none = {**base, "tail_test": {"mu": None, "sigma": None, "lognormal_limit": False}}
    drawn = ccdf_svg(deg, cnt, limit, "followers")
    ET.fromstring(drawn)
    assert "power-law limit" in drawn and drawn.count("stroke-dasharray") >= 2
    assert "power-law limit" not in ccdf_svg(deg, cnt, none, "followers")
