"""The claims page: each claim of the thread as an experiment, with its figures.

:func:`render_claims_page` turns the results of the claims' experiments into one
self-contained HTML page (inline CSS and SVG; no script, font, image or other
resource is fetched, and a Content-Security-Policy forbids any): the run's
metadata, a forest plot of every claim's primary measure, then one section per
claim with what the thread says, the design, the mechanism, a figure of the runs
and a table of its effects. :func:`claim_figure_svg` and :func:`forest_plot_svg`
draw the figures as SVG strings (no matplotlib). Nothing here reads or writes a
file; the caller does.

Inputs
------
``claims``, one row per (claim, measure, treatment arm): :data:`CLAIMS_COLUMNS`.
``effect``, ``low`` and ``high`` are the estimate and its 95% interval, in the
units of the measure when ``null`` is 0 and as a ratio to the baseline when
``null`` is 1; ``verdict`` is ``"supported"``, ``"contradicted"`` or
``"inconclusive"``; ``direction`` is +1 when the thread says the measure rises
under the treatment (or a correlation is positive), -1 when it falls. A row whose
``baseline`` is empty or equal to its ``arm`` is a measure of one arm against its
null value (a correlation per replicate).

``values``, one row per run and measure: :data:`VALUES_COLUMNS`.

The forest plot draws each row on its own scale: the row's interval and
estimate are mapped linearly (on the log scale for a ratio) so that the one
farthest from the null value reaches the edge, and the null value is the same
vertical line for every row. A row then shows at a glance which side of "no
effect" its interval lies, and how far relative to its width; the numbers are
printed beside it.

Every string from the tables, the sections and ``meta`` is shown as text: HTML
is escaped (jinja2 with autoescape on; the SVG is built with every text
XML-escaped), bidi overrides and invisible controls are removed
(:func:`mutuals.report.unroll.neutralise_text`) and each user-supplied run is
isolated (``<bdi>``, or FSI ... PDI inside SVG) so none can reorder what is
around it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from mutuals.errors import InputError
from mutuals.report.page import (
    CSP as _CSP,
)
from mutuals.report.page import (
    axis as _axis,
)
from mutuals.report.page import (
    domain as _domain,
)
from mutuals.report.page import (
    environment as _environment,
)
from mutuals.report.page import (
    escape as _x,
)
from mutuals.report.page import (
    fmt as _fmt,
)
from mutuals.report.page import (
    isolate as _isolate,
)
from mutuals.report.page import (
    line as _line,
)
from mutuals.report.page import (
    meta_value as _meta_value,
)
from mutuals.report.page import (
    paragraphs as _paragraphs,
)
from mutuals.report.page import (
    run as _run,
)
from mutuals.report.page import (
    scale as _scale,
)
from mutuals.report.page import (
    short as _short,
)
from mutuals.report.page import (
    svg as _svg,
)
from mutuals.report.page import (
    svg_text as _text,
)

__all__ = [
    "CLAIMS_COLUMNS",
    "VALUES_COLUMNS",
    "ClaimSection",
    "claim_figure_svg",
    "forest_plot_svg",
    "render_claims_page",
]

#: Columns of the ``claims`` table, one row per (claim, measure, treatment arm).
CLAIMS_COLUMNS = (
    "claim",
    "title",
    "measure",
    "unit",
    "baseline",
    "arm",
    "effect",
    "low",
    "high",
    "null",
    "verdict",
    "direction",
    "primary",
    "replicates",
    "baseline_mean",
    "treatment_mean",
    "parameters",
)
#: Columns of the ``values`` table, one row per run and measure.
VALUES_COLUMNS = ("claim", "arm", "replicate", "seed", "measure", "value")

_VERDICTS = ("supported", "contradicted", "inconclusive", "reported")
_COLOUR = {
    "supported": "#1a7f37",
    "contradicted": "#cf222e",
    "inconclusive": "#6e7781",
    "reported": "#8c959f",  # a measure reported beside a claim, not part of its verdict
}


@dataclass(frozen=True)
class ClaimSection:
    """The words of one claim's section of the page (all plain text).

    Attributes
    ----------
    claim : str
        The claim's id, as in the ``claims`` table (``"C3"``).
    title : str
        A short title.
    says : str
        What the thread says, in its words.
    design : str
        The experiment: the arms and what differs between them.
    mechanism : str
        How the model could produce the effect.
    notes : str, default ""
        Anything else a reader should know (caveats, departures from the thread).

    Paragraphs are separated by a blank line.
    """

    claim: str
    title: str
    says: str
    design: str
    mechanism: str
    notes: str = ""


@dataclass(frozen=True)
class _Row:
    """One row of the ``claims`` table, checked (strings as given, not yet cleaned)."""

    claim: str
    title: str
    measure: str
    unit: str
    baseline: str
    arm: str
    effect: float
    low: float
    high: float
    null: float
    verdict: str
    direction: int
    primary: bool
    replicates: int
    baseline_mean: float
    treatment_mean: float
    parameters: str

    @property
    def paired(self) -> bool:
        """Treatment against a baseline arm (else one arm against the null value)."""
        return bool(self.baseline) and self.baseline != self.arm

    @property
    def ratio(self) -> bool:
        return self.null == 1.0

    @property
    def series(self) -> tuple[list[str], str] | None:
        """``(arms, against)`` of a sweep's slope row, else None."""
        try:
            p = json.loads(self.parameters) if self.parameters else {}
        except ValueError:
            return None
        if isinstance(p, dict) and isinstance(p.get("series"), list):
            return [str(a) for a in p["series"]], str(p.get("against", ""))
        return None


# -- reading the tables ------------------------------------------------------------------


def _require(table: Any, columns: Sequence[str], name: str) -> list[dict[str, Any]]:
    if not isinstance(table, pa.Table):
        raise InputError(f"{name} must be a pyarrow.Table, got {type(table).__name__}")
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise InputError(
            f"the {name} table lacks columns {missing}; it needs {list(columns)}, "
            f"has {table.column_names}"
        )
    return table.select(list(columns)).to_pylist()


def _float(x: Any) -> float:
    return float("nan") if x is None else float(x)


def _rows(claims: pa.Table) -> list[_Row]:
    out = []
    for i, r in enumerate(_require(claims, CLAIMS_COLUMNS, "claims")):
        verdict = str(r["verdict"] or "").strip().lower()
        if verdict not in _VERDICTS:
            raise InputError(f"claims row {i}: verdict must be one of {_VERDICTS}, got {verdict!r}")
        if r["direction"] not in ((0,) if verdict == "reported" else (1, -1)):
            raise InputError(
                f"claims row {i}: direction must be +1 or -1 (0 with verdict 'reported'),"
                f" got {r['direction']!r}"
            )
        if verdict == "reported" and r["primary"]:
            raise InputError(f"claims row {i}: a 'reported' measure cannot be primary")
        out.append(
            _Row(
                claim=str(r["claim"] or ""),
                title=str(r["title"] or ""),
                measure=str(r["measure"] or ""),
                unit=str(r["unit"] or ""),
                baseline=str(r["baseline"] or ""),
                arm=str(r["arm"] or ""),
                effect=_float(r["effect"]),
                low=_float(r["low"]),
                high=_float(r["high"]),
                null=_float(r["null"]),
                verdict=verdict,
                direction=int(r["direction"]),
                primary=bool(r["primary"]),
                replicates=int(r["replicates"] or 0),
                baseline_mean=_float(r["baseline_mean"]),
                treatment_mean=_float(r["treatment_mean"]),
                parameters=str(r["parameters"] or ""),
            )
        )
    return out


_Runs = dict[tuple[str, str, str], list[tuple[int, int, float]]]


def _runs(values: pa.Table) -> _Runs:
    """(claim, measure, arm) -> [(replicate, seed, value)] in replicate order, finite only."""
    out: _Runs = {}
    for r in _require(values, VALUES_COLUMNS, "values"):
        v = _float(r["value"])
        if math.isfinite(v):
            key = (str(r["claim"]), str(r["measure"]), str(r["arm"]))
            out.setdefault(key, []).append((int(r["replicate"] or 0), int(r["seed"] or 0), v))
    for runs in out.values():
        runs.sort()
    return out


# -- text --------------------------------------------------------------------------------


def _comparison(r: _Row) -> str:
    sw = r.series
    if sw is not None:
        return f"slope over {_run(r.arm)} ({', '.join(_run(a) for a in sw[0])})"
    return f"{_run(r.arm)} vs {_run(r.baseline)}" if r.paired else _run(r.arm)


def _effect_text(r: _Row) -> str:
    """``+0.52 [0.31, 0.73] posts`` or ``×1.23 [1.05, 1.44]``."""
    interval = f"[{_fmt(r.low)}, {_fmt(r.high)}]"
    if r.ratio:
        return f"×{_fmt(r.effect)} {interval}"
    unit = f" {_run(r.unit)}" if r.unit else ""
    return f"{_fmt(r.effect, signed=True)} {interval}{unit}"


def _claimed(r: _Row) -> str:
    """What the thread says, in words: ``higher under ranked`` or ``positive``."""
    if r.paired:
        return f"{'higher' if r.direction > 0 else 'lower'} under {_run(r.arm)}"
    sw = r.series
    if sw is not None:
        return f"{'rises' if r.direction > 0 else 'falls'} with {_run(sw[1])}"
    return "positive" if r.direction > 0 else "negative"


def _verdict_sentence(r: _Row) -> str:
    what = f"On {_run(r.measure)}, {_comparison(r)}: {_effect_text(r)}."
    if r.verdict == "reported":
        return f"Reported beside the claim (the thread says nothing about it). {what}"
    null = _fmt(r.null)
    side = "above" if (r.verdict == "supported") == (r.direction > 0) else "below"
    if r.verdict == "supported":
        return (
            f"Supported. {what} The whole 95% interval lies {side} no effect ({null}), "
            f"as the thread claims ({_claimed(r)})."
        )
    if r.verdict == "contradicted":
        return (
            f"Contradicted. {what} The whole 95% interval lies {side} no effect ({null}), "
            f"while the thread claims the opposite ({_claimed(r)})."
        )
    if r.replicates < 2 or not (math.isfinite(r.low) and math.isfinite(r.high)):
        return f"Inconclusive. {what} Too few replicates gave a value for an interval."
    return (
        f"Inconclusive. {what} The 95% interval includes no effect ({null}): these runs "
        f"cannot tell whether the thread is right (it claims {_claimed(r)})."
    )


# -- SVG ---------------------------------------------------------------------------------


# claim figure geometry: label | values by arm | effect and interval | effect number
_LABEL_W, _VAL_W, _GAP, _EFF_W, _NUM_W = 180.0, 300.0, 30.0, 200.0, 90.0
_VAL_X = _LABEL_W
_EFF_X = _VAL_X + _VAL_W + _GAP
_FIG_W = _EFF_X + _EFF_W + _NUM_W
_ROW_H = 28.0


def _measure_panel(
    claim: str, measure: str, rows: list[_Row], runs: _Runs, top: float
) -> tuple[list[str], float]:
    """One measure of a claim: a row per arm with its runs, and each treatment's effect."""
    first = rows[0]
    arms: list[tuple[str, _Row | None]] = []
    if first.paired:
        arms.append((first.baseline, None))
    for row in rows:
        sw = row.series
        if sw is not None:  # a sweep: its arms' runs, then the slope over them
            arms += [(a, None) for a in sw[0]]
        if row.arm not in {a for a, _ in arms}:
            arms.append((row.arm, row))
    unit = _line(first.unit)
    head = _line(measure) + (f" ({unit})" if unit else "") + (" · primary" if first.primary else "")
    out = [_text(0, top + 14, _short(head, 110), cls="head")]
    y0 = top + 34  # the null value's label sits above the rows
    bottom = y0 + _ROW_H * len(arms)

    points = {arm: runs.get((claim, measure, arm), []) for arm, _ in arms}
    means = {a: sum(v for *_, v in p) / len(p) for a, p in points.items() if p}
    vlo, vhi = _domain([v for p in points.values() for *_, v in p])
    sv = _scale(vlo, vhi, _VAL_X, _VAL_W)
    elo, ehi = _domain([x for _, r in arms if r for x in (r.low, r.high, r.effect)] + [first.null])
    se = _scale(elo, ehi, _EFF_X, _EFF_W)

    xn = se(first.null)
    out.append(
        f'<line x1="{xn:.1f}" y1="{y0 - 4:.1f}" x2="{xn:.1f}" y2="{bottom:.1f}" class="null"/>'
    )
    out.append(_text(xn, y0 - 8, "no effect", anchor="middle", cls="tick"))
    for i, (arm, r) in enumerate(arms):
        yc = y0 + _ROW_H * (i + 0.5)
        name = _line(arm)
        label = _isolate(_short(name, 26))
        extra = "" if r else ' font-style="italic"'
        role = "" if r else (" (an arm of the sweep)" if first.series else " (baseline)")
        out.append(f"<g><title>{_x(name)}{role}</title>")
        out.append(_text(_LABEL_W - 10, yc + 4, label, anchor="end", extra=extra) + "</g>")
        colour = "#0969da" if r else "#57606a"
        for k, (rep, seed, v) in enumerate(points[arm]):
            jitter = ((k * 0.618034) % 1.0 - 0.5) * 14
            out.append(
                f'<circle cx="{sv(v):.1f}" cy="{yc + jitter:.1f}" r="3" fill="{colour}" '
                f'fill-opacity="0.55"><title>{_x(name)} · replicate {rep} (seed {seed}): '
                f"{_x(_fmt(v))}</title></circle>"
            )
        if arm in means:
            xm = sv(means[arm])
            out.append(
                f'<line x1="{xm:.1f}" y1="{yc - 10:.1f}" x2="{xm:.1f}" y2="{yc + 10:.1f}" '
                f'stroke="#24292f" stroke-width="2.5"><title>mean of {len(points[arm])} runs: '
                f"{_x(_fmt(means[arm]))}</title></line>"
            )
        if r is None:
            if first.series is None:
                out.append(_text(xn + 6, yc + 4, "baseline", cls="muted"))
            continue
        colour = _COLOUR[r.verdict]
        if math.isfinite(r.low) and math.isfinite(r.high):
            xl, xh = se(r.low), se(r.high)
            out.append(
                f'<path d="M{xl:.1f} {yc - 5:.1f}V{yc + 5:.1f}M{xl:.1f} {yc:.1f}H{xh:.1f}'
                f'M{xh:.1f} {yc - 5:.1f}V{yc + 5:.1f}" stroke="{colour}" stroke-width="2" fill="none"/>'
            )
        if math.isfinite(r.effect):
            out.append(
                f'<circle cx="{se(r.effect):.1f}" cy="{yc:.1f}" r="4.5" fill="{colour}">'
                f"<title>{_x(_effect_text(r))}: {r.verdict}</title></circle>"
            )
        out.append(_text(_EFF_X + _EFF_W + 10, yc + 4, _effect_text(r).split(" [")[0], cls="muted"))

    values_label = _line(measure) + (f" ({unit})" if unit else "")
    if first.ratio:
        effect_label = "ratio to the baseline"
    elif first.paired:
        effect_label = "treatment − baseline" + (f" ({unit})" if unit else "")
    elif first.series is not None:
        effect_label = f"slope per {_line(first.series[1])}"
    else:
        effect_label = f"mean − {_fmt(first.null)}" + (f" ({unit})" if unit else "")
    out += _axis(sv, vlo, vhi, bottom + 4, _short(values_label, 60))
    out += _axis(se, elo, ehi, bottom + 4, _short(effect_label + ", 95% interval", 45))
    return out, bottom + 48 - top


def claim_figure_svg(claim_id: str, claims: pa.Table, values: pa.Table) -> str:
    """An inline SVG of one claim's runs and effects.

    One panel per measure of the claim (the primary one first): a row per arm
    (the baseline, in italics, then each treatment arm) with each replicate's
    value as a dot and the arm's mean as a bar, and beside it each treatment's
    effect and 95% interval against the null value (dashed), coloured by verdict.

    Parameters
    ----------
    claim_id : str
        The claim, as in the ``claim`` column.
    claims, values : pyarrow.Table
        See the module docstring (:data:`CLAIMS_COLUMNS`, :data:`VALUES_COLUMNS`).

    Returns
    -------
    str
        A standalone ``<svg>`` element; every text in it is XML-escaped.

    Raises
    ------
    InputError
        If a table lacks a column, or ``claims`` has no row for ``claim_id``.
    """
    rows = [r for r in _rows(claims) if r.claim == claim_id]
    if not rows:
        raise InputError(f"the claims table has no row for claim {claim_id!r}")
    return _claim_figure(claim_id, rows, _runs(values))


def _claim_figure(claim_id: str, rows: list[_Row], runs: _Runs) -> str:
    measures: dict[str, list[_Row]] = {}
    for r in sorted(rows, key=lambda r: not r.primary):  # stable: primary measures first
        measures.setdefault(r.measure, []).append(r)
    body: list[str] = []
    top = 0.0
    for measure, rs in measures.items():
        panel, height = _measure_panel(claim_id, measure, rs, runs, top)
        body += panel
        top += height + 12
    title = f"{_line(claim_id)}: {_line(rows[0].title)}"
    return _svg(_FIG_W, top, title, body, "claim-figure")


# forest plot geometry: label | effect on the row's own scale | numbers and verdict
_F_PLOT_W, _F_NUM_W, _F_ROW_H, _F_TOP = 260.0, 330.0, 24.0, 44.0


def _forest_label(r: _Row) -> str:
    return f"{_run(r.claim)} · {_run(r.measure)} ({_comparison(r)})"


def _row_scale(r: _Row) -> Callable[[float], float]:
    """The row's own scale, ``v -> [-1, 1]`` with the null value at 0 (log for a ratio)."""
    points = [x for x in (r.low, r.high, r.effect) if math.isfinite(x)]
    log = r.ratio and all(x > 0 for x in points)
    null = r.null if math.isfinite(r.null) else 0.0

    def g(v: float) -> float:
        return math.log(v) if log else v - null

    s = max((abs(g(x)) for x in points), default=0.0) or 1.0
    return lambda v: g(v) / s


def forest_plot_svg(claims: pa.Table) -> str:
    """An inline SVG with a row per primary measure of every claim.

    Each row (in the order of the table, labelled ``C3 · measure (arm vs
    baseline)``) draws the effect and its 95% interval coloured by verdict, the
    null value as a dashed line common to every row, and a triangle at the end
    of the side the thread claims; beside it the numbers and the verdict. Each
    row is on its own scale (see the module docstring), so positions compare the
    interval with no effect within a row, never the sizes of effects across rows.

    Parameters
    ----------
    claims : pyarrow.Table
        See :data:`CLAIMS_COLUMNS`; rows with ``primary`` false are left out.

    Returns
    -------
    str
        A standalone ``<svg>`` element; each row is a ``<g class="row">`` with
        ``data-claim`` and ``data-verdict`` attributes, linking to ``#<claim>``.
    """
    rows = [r for r in _rows(claims) if r.primary]
    labels = [_short(_forest_label(r), 64) for r in rows]
    label_w = min(max((len(s) for s in labels), default=20) * 6.6 + 16, 440.0)
    x0 = label_w
    cx, half = x0 + _F_PLOT_W / 2, _F_PLOT_W / 2 - 22
    width = x0 + _F_PLOT_W + _F_NUM_W
    height = _F_TOP + _F_ROW_H * max(len(rows), 1) + 34
    bottom = _F_TOP + _F_ROW_H * len(rows)
    out = [
        _text(0, 14, "claim · measure (arm vs baseline)", cls="head"),
        _text(cx, 14, "effect, 95% interval", anchor="middle", cls="head"),
        _text(cx, 30, "each row on its own scale", anchor="middle", cls="tick"),
        _text(x0 + _F_PLOT_W + 8, 14, "effect [95% interval] · verdict", cls="head"),
        f'<line x1="{cx:.1f}" y1="{_F_TOP - 6:.1f}" x2="{cx:.1f}" y2="{bottom + 4:.1f}" class="null"/>',
        _text(cx, bottom + 18, "no effect", anchor="middle", cls="tick"),
        _text(x0 + _F_PLOT_W + 8, bottom + 18, "▸ the side the thread claims", cls="tick"),
    ]
    if not rows:
        out.append(_text(0, _F_TOP + 16, "no primary measure in these results", cls="muted"))
    for i, (r, label) in enumerate(zip(rows, labels, strict=True)):
        y = _F_TOP + _F_ROW_H * i
        yc = y + _F_ROW_H / 2
        colour = _COLOUR[r.verdict]
        f = _row_scale(r)
        out.append(
            f'<a href="#{_x(_line(r.claim))}"><g class="row" data-claim="{_x(_line(r.claim))}" '
            f'data-verdict="{r.verdict}"><title>{_x(_forest_label(r))}: {_x(_effect_text(r))}, '
            f"{r.verdict}</title>"
        )
        if i % 2 == 0:
            out.append(
                f'<rect x="0" y="{y:.1f}" width="{width:.0f}" height="{_F_ROW_H:.0f}" fill="#f6f8fa"/>'
            )
        out.append(_text(0 + 4, yc + 4, _isolate(label)))
        if math.isfinite(r.low) and math.isfinite(r.high):
            xl, xh = cx + f(r.low) * half, cx + f(r.high) * half
            out.append(
                f'<path d="M{xl:.1f} {yc - 5:.1f}V{yc + 5:.1f}M{xl:.1f} {yc:.1f}H{xh:.1f}'
                f'M{xh:.1f} {yc - 5:.1f}V{yc + 5:.1f}" stroke="{colour}" stroke-width="2" fill="none"/>'
            )
        if math.isfinite(r.effect):
            out.append(
                f'<circle cx="{cx + f(r.effect) * half:.1f}" cy="{yc:.1f}" r="4.5" fill="{colour}"/>'
            )
        tip = cx + r.direction * (half + 19)
        out.append(f'<path d="M{tip:.1f} {yc:.1f}l{-r.direction * 7:.0f} -5v10z" fill="#8c959f"/>')
        out.append(
            f'<text x="{x0 + _F_PLOT_W + 8:.1f}" y="{yc + 4:.1f}">{_x(_effect_text(r))} · '
            f'<tspan fill="{colour}" font-weight="600">{r.verdict}</tspan></text>'
        )
        out.append("</g></a>")
    return _svg(width, height, "Every claim's primary effect", out, "forest")


# -- the page ----------------------------------------------------------------------------


def _parameters(text: str) -> str:
    """The ``parameters`` JSON as ``key = value, ...`` (the text itself if not an object)."""
    try:
        obj = json.loads(text) if text else {}
    except ValueError:
        return _line(text)
    if isinstance(obj, dict):
        return _line(", ".join(f"{k} = {json.dumps(v, default=str)}" for k, v in obj.items()))
    return _line(text)


def _claim_verdict(rows: list[_Row]) -> str:
    primary = {r.verdict for r in rows if r.primary}
    if not rows:
        return "not run"
    if not primary:
        return "no primary measure"
    return primary.pop() if len(primary) == 1 else "mixed"


def _claim_view(
    claim: str, section: ClaimSection | None, rows: list[_Row], runs: _Runs
) -> dict[str, Any]:
    title = section.title if section else (rows[0].title if rows else "")
    return {
        "id": _line(claim),
        "title": _line(title),
        "says": _paragraphs(section.says) if section else [],
        "design": _paragraphs(section.design) if section else [],
        "mechanism": _paragraphs(section.mechanism) if section else [],
        "notes": _paragraphs(section.notes) if section else [],
        "verdict": _claim_verdict(rows),
        "sentences": [_verdict_sentence(r) for r in rows if r.primary],
        "figure": _claim_figure(claim, rows, runs) if rows else None,
        "rows": [
            {
                "measure": _line(r.measure),
                "primary": r.primary,
                "comparison": _comparison(r),
                "effect": _effect_text(r),
                "claimed": _claimed(r),
                "verdict": r.verdict,
                "replicates": r.replicates,
                "means": f"{_fmt(r.baseline_mean)} → {_fmt(r.treatment_mean)}",
                "parameters": _parameters(r.parameters),
            }
            for r in sorted(rows, key=lambda r: not r.primary)
        ],
    }


def render_claims_page(
    claims: pa.Table,
    values: pa.Table,
    sections: Sequence[ClaimSection],
    *,
    meta: Mapping[str, Any],
    title: str = "The thread's claims, tested",
) -> str:
    """One self-contained HTML page of every claim's experiment.

    Parameters
    ----------
    claims, values : pyarrow.Table
        The effects and the runs (see :data:`CLAIMS_COLUMNS` and
        :data:`VALUES_COLUMNS`).
    sections : sequence of ClaimSection
        The words of each claim's section, in the order the page shows them;
        claims of the table without a section follow in the table's order.
    meta : mapping
        The run's metadata (accounts, replicates, seed, version, command, ...),
        shown as a table in its own order; lists are joined with spaces.
    title : str
        The page's title.

    Returns
    -------
    str
        The page. It loads nothing (inline CSS and SVG, no script) and shows
        every supplied string as text.

    Raises
    ------
    InputError
        If a table lacks a column or holds a verdict or direction it should not,
        or two sections share a claim id.
    """
    rows = _rows(claims)
    runs = _runs(values)
    by_id = {}
    for s in sections:
        if s.claim in by_id:
            raise InputError(f"two sections for claim {s.claim!r}")
        by_id[s.claim] = s
    order = list(by_id) + list(dict.fromkeys(r.claim for r in rows if r.claim not in by_id))
    views = [_claim_view(c, by_id.get(c), [r for r in rows if r.claim == c], runs) for c in order]
    return (
        _environment()
        .get_template("claims.html.j2")
        .render(
            title=_line(title),
            csp=_CSP,
            meta=[(_line(k), _meta_value(v)) for k, v in meta.items()],
            forest=forest_plot_svg(claims),
            claims=views,
            colours=_COLOUR,
        )
    )
