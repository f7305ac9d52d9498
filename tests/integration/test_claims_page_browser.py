"""The claims page and its SVG figures, with hostile strings, in a real headless
browser (Debian's Chromium via Playwright).

The browser tests skip with a reason when Chromium or Playwright is missing,
except in CI (MUTUALS_REQUIRE_SHARED_DATA=1), where they must run; the tests of
the SVGs as XML and of the boundary need no browser.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from helpers.browser import (
    browser_fixture,  # noqa: F401 - the `browser` fixture
    open_page,
)
from mutuals.errors import InputError
from mutuals.report.claims_page import (
    CLAIMS_COLUMNS,
    ClaimSection,
    claim_figure_svg,
    forest_plot_svg,
    render_claims_page,
)

SVG = "{http://www.w3.org/2000/svg}"

RLO = "\u202e"
SCRIPT = "<script>alert(1)</script>"
QUOTES = "\"&'"
IMG = '"><img src=x onerror="window.__pwned=1;alert(2)">'
EVIL_ARM = f"ranked{RLO}lave"  # drawn "rankedevall" reversed if the override survived

CLAIMS = pa.schema(
    [
        ("claim", pa.string()),
        ("title", pa.string()),
        ("measure", pa.string()),
        ("unit", pa.string()),
        ("baseline", pa.string()),
        ("arm", pa.string()),
        ("effect", pa.float64()),
        ("low", pa.float64()),
        ("high", pa.float64()),
        ("null", pa.float64()),
        ("verdict", pa.string()),
        ("direction", pa.int8()),
        ("primary", pa.bool_()),
        ("replicates", pa.int32()),
        ("baseline_mean", pa.float64()),
        ("treatment_mean", pa.float64()),
        ("parameters", pa.string()),
    ]
)
VALUES = pa.schema(
    [
        ("claim", pa.string()),
        ("arm", pa.string()),
        ("replicate", pa.int32()),
        ("seed", pa.int64()),
        ("measure", pa.string()),
        ("value", pa.float64()),
    ]
)

# claim, title, measure, unit, baseline, arm, effect, low, high, null, verdict, direction, primary
_ROWS = [
    ("C1", f"Ranking narrows feeds {SCRIPT}", "source repetition", "", "chronological",
     EVIL_ARM, 0.12, 0.08, 0.16, 0.0, "supported", 1, True),
    ("C1", f"Ranking narrows feeds {SCRIPT}", "feed quality", "quality", "chronological",
     EVIL_ARM, -0.02, -0.05, 0.01, 0.0, "inconclusive", 1, False),
    ("C2", f"Follow-backs multiply reach {QUOTES}", "reach", "interactions", SCRIPT, QUOTES,
     0.8, 0.7, 0.9, 1.0, "contradicted", 1, True),
    ("C3", f"Big accounts get big cascades {RLO}evil", "Spearman(cascade, followers)", "",
     "", "default", 0.05, -0.1, 0.2, 0.0, "inconclusive", 1, True),
]  # fmt: skip
EXPECTED = {"C1": "supported", "C2": "contradicted", "C3": "inconclusive"}


def _tables() -> tuple[pa.Table, pa.Table, list[ClaimSection]]:
    rng = np.random.default_rng(0)
    claims, values = [], []
    for row in _ROWS:
        r = dict(zip(CLAIMS_COLUMNS, row, strict=False))
        r |= {"replicates": 10, "parameters": json.dumps({"ranking": SCRIPT, "k": 3})}
        arms = [r["arm"]] + ([r["baseline"]] if r["baseline"] else [])
        for arm in arms:
            for i in range(10):
                values.append(
                    {"claim": r["claim"], "arm": arm, "replicate": i, "seed": 1000 + i,
                     "measure": r["measure"], "value": float(rng.normal(1.0, 0.2))}
                )  # fmt: skip
        r["baseline_mean"], r["treatment_mean"] = 1.0, 1.1
        claims.append(r)
    values.append({**values[0], "replicate": 10, "value": float("nan")})  # a run with no value
    sections = [
        ClaimSection(
            claim=c,
            title=f"{title} {IMG}",
            says=f"The thread: {SCRIPT}\n\nSecond paragraph {QUOTES} {RLO}desrever",
            design=f"arms {SCRIPT} vs {QUOTES}",
            mechanism="ranking by engagement <b>bold?</b>",
            notes=f"a note {IMG}" if c == "C2" else "",
        )
        for c, title in [("C1", "Ranking narrows"), ("C2", "Follow-backs"), ("C3", "Cascades")]
    ]
    return (
        pa.Table.from_pylist(claims, schema=CLAIMS),
        pa.Table.from_pylist(values, schema=VALUES),
        sections,
    )


META = {
    "accounts": 10000,
    "replicates": 10,
    "seed": 42,
    "version": "0.1.0",
    "command": ["mutuals", "claims", "--title", SCRIPT],
}


# -- the SVGs as XML, and the boundary (no browser) ---------------------------------------


@pytest.mark.parametrize("which", ["C1", "C2", "C3", "forest"])
def test_svgs_are_well_formed_xml_with_no_active_element(which: str) -> None:
    claims, values, _ = _tables()
    svg = forest_plot_svg(claims) if which == "forest" else claim_figure_svg(which, claims, values)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    tags = {el.tag.removeprefix(SVG) for el in root.iter()}
    assert tags <= {"svg", "title", "style", "g", "a", "text", "tspan", "line", "path",
                    "circle", "rect"}  # fmt: skip
    assert not any(k.startswith("on") for el in root.iter() for k in el.attrib)
    text = "".join(root.itertext())
    assert RLO not in text
    if which == "forest":
        rows = root.findall(f".//{SVG}g[@class='row']")
        assert [(g.get("data-claim"), g.get("data-verdict")) for g in rows] == list(
            EXPECTED.items()
        )
        assert [a.get("href") for a in root.iter(f"{SVG}a")] == ["#C1", "#C2", "#C3"]
    elif which == "C1":  # two measures, the primary first
        heads = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "head"]
        assert heads == ["source repetition · primary", "feed quality (quality)"]
    elif which == "C2":
        assert SCRIPT in text and QUOTES in text and "ratio to the baseline" in text


def test_svgs_draw_rows_without_an_interval_or_runs() -> None:
    claims, _, _ = _tables()
    rows = claims.to_pylist()
    nan = float("nan")
    rows[0] |= {"low": None, "high": nan, "replicates": 1, "direction": -1}
    rows[2] |= {"effect": nan, "low": nan, "high": nan, "replicates": 0}
    for r in rows:
        r["verdict"] = "inconclusive"
    claims = pa.Table.from_pylist(rows, schema=CLAIMS)
    empty = VALUES.empty_table()
    for svg in [forest_plot_svg(claims), *(claim_figure_svg(c, claims, empty) for c in EXPECTED)]:
        ET.fromstring(svg)
    page = render_claims_page(claims, empty, [], meta={})
    assert "Too few replicates gave a value for an interval." in page
    assert "(it claims" in page and "lower under rankedlave" in page
    assert "no primary measure in these results" in forest_plot_svg(claims.slice(1, 1))


def test_importing_the_page_module_does_not_import_jinja2() -> None:
    code = "import sys, mutuals.report.claims_page; sys.exit('jinja2' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_a_table_without_a_column_is_an_input_error() -> None:
    claims, values, sections = _tables()
    with pytest.raises(InputError, match="verdict"):
        render_claims_page(claims.drop_columns(["verdict"]), values, sections, meta={})
    with pytest.raises(InputError, match="seed"):
        render_claims_page(claims, values.drop_columns(["seed"]), sections, meta={})
    with pytest.raises(InputError, match="C9"):
        claim_figure_svg("C9", claims, values)
    bad = claims.set_column(
        claims.schema.get_field_index("verdict"), "verdict", pa.array(["maybe"] * 4)
    )
    with pytest.raises(InputError, match="maybe"):
        forest_plot_svg(bad)
    with pytest.raises(InputError, match="two sections"):
        render_claims_page(claims, values, [*sections, sections[0]], meta={})


def test_page_without_results_for_a_claim_says_so() -> None:
    claims, values, sections = _tables()
    extra = ClaimSection("C4", "Not run yet", "says", "design", "mechanism")
    page = render_claims_page(claims, values, [*sections, extra], meta=META)
    assert '<section id="C4" class="claim" data-verdict="not run">' in page
    assert "Not run: these results hold no row for this claim." in page


# -- in the browser ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def loaded(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The page opened in a fresh context that records every request and console
    error and blocks anything but the page itself."""
    claims, values, sections = _tables()
    out = tmp_path_factory.mktemp("claims") / "claims.html"
    out.write_text(render_claims_page(claims, values, sections, meta=META), encoding="utf-8")
    with open_page(browser, out) as o:
        yield {"page": o.page, "url": o.url, "requested": o.requested, "errors": o.errors,
               "dialogs": o.dialogs}  # fmt: skip


@pytest.mark.browser
def test_page_loads_nothing_and_logs_no_error(loaded: dict[str, Any]) -> None:
    page = loaded["page"]
    assert [u for u in loaded["requested"] if u != loaded["url"]] == []
    assert loaded["errors"] == [] and loaded["dialogs"] == []
    hrefs = page.eval_on_selector_all("[href]", "els => els.map(e => e.getAttribute('href'))")
    assert hrefs and all(h.startswith("#") for h in hrefs)
    assert page.title() == "The thread's claims, tested"


@pytest.mark.browser
def test_every_claim_has_its_section_and_verdict(loaded: dict[str, Any]) -> None:
    page = loaded["page"]
    for claim, verdict in EXPECTED.items():
        section = page.query_selector(f"section[id='{claim}']")
        assert section is not None and section.get_attribute("data-verdict") == verdict
        words = section.query_selector(".verdict-words")
        assert words.is_visible()
        assert words.inner_text().startswith(f"{verdict.capitalize()}.")
        assert section.query_selector("h2 .verdict").inner_text() == verdict
        assert section.query_selector("svg.claim-figure").is_visible()
    c1 = page.query_selector("section[id='C1'] table.effects").inner_text()
    assert "source repetition" in c1 and "feed quality" in c1  # both measures
    c2 = page.inner_text("section[id='C2'] .verdict-words")
    assert "lies below no effect (1), while the thread claims the opposite" in c2
    c3 = page.inner_text("section[id='C3'] .verdict-words")
    assert "includes no effect" in c3


@pytest.mark.browser
def test_forest_plot_has_a_row_per_primary_measure(loaded: dict[str, Any]) -> None:
    page = loaded["page"]
    rows = page.eval_on_selector_all(
        "svg.forest g.row", "els => els.map(e => [e.dataset.claim, e.dataset.verdict])"
    )
    assert rows == [list(kv) for kv in EXPECTED.items()]
    labels = page.eval_on_selector_all(
        "svg.forest g.row > text:first-of-type", "els => els.map(e => e.textContent)"
    )
    assert labels[0] == "C1 · source repetition (rankedlave vs chronological)"
    assert labels[1].startswith("C2 · reach (")
    box = page.query_selector("svg.forest").bounding_box()
    assert box["width"] > 600 and box["height"] > 100


@pytest.mark.browser
def test_hostile_strings_are_text(loaded: dict[str, Any]) -> None:
    page = loaded["page"]
    assert page.evaluate("() => window.__pwned") is None
    counts = page.evaluate(
        """() => ({
          script: document.querySelectorAll('script, iframe, object, embed, img').length,
          b: document.querySelectorAll('p.text b').length,
          on: [...document.querySelectorAll('*')].filter(
                e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
          svg: document.querySelectorAll('svg').length,
          style: document.querySelectorAll('style').length,
        })"""
    )
    # one style in the head, one in each svg (the forest plot and three figures)
    assert counts == {"script": 0, "b": 0, "on": 0, "svg": 4, "style": 5}
    text = page.inner_text("body")
    for s in (SCRIPT, QUOTES, IMG, "<b>bold?</b>", "rankedlave", "desrever"):
        assert s in text
    assert RLO not in text and RLO not in page.title()
    meta = page.inner_text("table.meta")
    assert f"mutuals claims --title {SCRIPT}" in meta and "10000" in meta


@pytest.mark.browser
def test_a_real_claims_page_loads_with_every_claim(
    browser: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The page `mutuals claims` writes (a small run of two claims, with
    one-sample, paired and reported rows) loads with no request and no error."""
    from mutuals.claims.run import run_claims

    out = tmp_path_factory.mktemp("real") / "claims"
    res = run_claims(
        ["C1", "C13"], out=out, accounts=1500, seeds=2, seed=5, scheduler="serial", progress=False
    )
    assert set(res.claims.column("verdict").to_pylist()) >= {"reported"}
    with open_page(browser, res.page, hover=None) as o:
        assert [u for u in o.requested if u != o.url] == [] and o.errors == []
        for claim in ("C1", "C13"):
            section = o.page.query_selector(f"section[id='{claim}']")
            assert section is not None and section.query_selector("svg") is not None
