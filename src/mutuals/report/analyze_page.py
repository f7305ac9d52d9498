"""The analysis of a store as one page: ``report.html`` beside analyze's tables.

:func:`render_analyze_page` turns an :class:`~mutuals.report.analyze.Analysis`
into one self-contained HTML page (it extends ``base.html.j2``: inline CSS and
SVG, no script, nothing fetched): follower and friend CCDFs on log-log axes
with the fitted power-law tail and the lognormal it is tested against, reach
against followers with the fitted slope, communities and their sizes, who
reads whom by community (follows weighted by posts, outside exposure, home
feeds), the hashtag's adoption curve and the campaign's effect on its
adopters, and, when a ``mutuals detect`` folder is given
(:func:`read_detection`), its summary with links into its page.

Every figure is SVG built here with :mod:`mutuals.report.page` (every text
XML-escaped, user-supplied runs isolated); every other value goes through the
template with autoescape on. Nothing here writes a file; :func:`read_detection`
reads only ``detect.json`` and ``scores.parquet`` of the folder it is given.
"""

from __future__ import annotations

import math
import os
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

import numpy as np
import pyarrow as pa

from mutuals.errors import InputError
from mutuals.report.page import (
    CSP,
    environment,
    escape,
    fmt,
    line,
    meta_value,
    run,
    scale,
    short,
    svg,
    svg_text,
    ticks,
)

if TYPE_CHECKING:
    from mutuals.report.analyze import Analysis

__all__ = [
    "SECTIONS",
    "DetectionView",
    "adoption_svg",
    "ccdf_svg",
    "communities_svg",
    "effect_svg",
    "reach_svg",
    "read_detection",
    "render_analyze_page",
    "who_reads_whom_svg",
]

#: The page's sections: id and heading, in order.
SECTIONS = (
    ("inputs", "The data"),
    ("degrees", "Followers and friends"),
    ("reach", "Reach against followers"),
    ("communities", "Communities"),
    ("who-reads-whom", "Who reads whom"),
    ("hashtag", "The hashtag"),
    ("campaign", "The campaign's effect on its adopters"),
    ("detection", "Infiltrators and coordination"),
)

_BLUE, _ORANGE, _GREY, _GREEN = "#0969da", "#bc4c00", "#8c959f", "#1a7f37"
_W, _H = 560.0, 330.0
_PAD_L, _PAD_R, _PAD_T, _PAD_B = 64.0, 20.0, 28.0, 52.0
#: Points drawn in the reach scatter (a seeded sample of the posts beyond it).
MAX_POINTS = 1500
#: Flagged accounts listed on the page.
TOP_FLAGGED = 15


# -- log axes ------------------------------------------------------------------------------


def _power_label(e: float) -> str:
    v = 10.0**e
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if v >= div:
            return f"{v / div:g}{suffix}"
    return f"{v:g}"


def _log_axis(
    sc: Any, lo: float, hi: float, at: float, label: str, *, vertical: bool = False,
    offset: float = 0.0,
) -> list[str]:  # fmt: skip
    """An axis over log10 values ``lo..hi`` with ticks at powers of ten (labelled
    by their value; ``offset`` is subtracted from a label: "1 + x" axes)."""
    out: list[str] = []
    if offset:  # positions log10(offset + v) of the values 0, 10, 100, ...
        vals = [0.0] + [10.0**k for k in range(1, 12) if math.log10(offset + 10.0**k) <= hi + 1e-9]
        decades = [math.log10(offset + v) for v in vals if math.log10(offset + v) >= lo - 1e-9]
    else:
        first, last = math.ceil(lo - 1e-9), math.floor(hi + 1e-9)
        decades = list(range(first, last + 1)) or [first]
    if vertical:
        y0, y1 = sc(lo), sc(hi)
        out.append(f'<line x1="{at:.1f}" y1="{y0:.1f}" x2="{at:.1f}" y2="{y1:.1f}" class="axis"/>')
        for e in decades:
            y = sc(e)
            out.append(f'<line x1="{at - 4:.1f}" y1="{y:.1f}" x2="{at:.1f}" y2="{y:.1f}" '
                       'class="axis"/>')  # fmt: skip
            out.append(svg_text(at - 7, y + 3.5, _tick_label(e, offset), anchor="end", cls="tick"))
        ym = (y0 + y1) / 2
        out.append(
            svg_text(14, ym, label, anchor="middle", cls="axis-label",
                     extra=f' transform="rotate(-90 14 {ym:.1f})"')
        )  # fmt: skip
        return out
    x0, x1 = sc(lo), sc(hi)
    out.append(f'<line x1="{x0:.1f}" y1="{at:.1f}" x2="{x1:.1f}" y2="{at:.1f}" class="axis"/>')
    for e in decades:
        x = sc(e)
        out.append(
            f'<line x1="{x:.1f}" y1="{at:.1f}" x2="{x:.1f}" y2="{at + 4:.1f}" class="axis"/>'
        )
        out.append(svg_text(x, at + 15, _tick_label(e, offset), anchor="middle", cls="tick"))
    out.append(svg_text((x0 + x1) / 2, at + 32, label, anchor="middle", cls="axis-label"))
    return out


def _tick_label(e: float, offset: float) -> str:
    if offset:
        v = round(10.0**e - offset)
        return "0" if v <= 0 else _power_label(math.log10(v))
    return _power_label(e) if e >= 0 else f"{10.0**e:.0e}".replace("e-0", "e-")


def _path(xs: Sequence[float], ys: Sequence[float], cls: str, colour: str, extra: str = "") -> str:
    pts = [(x, y) for x, y in zip(xs, ys, strict=True) if math.isfinite(x) and math.isfinite(y)]
    if len(pts) < 2:
        return ""
    d = "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in pts)
    return f'<path d="{d}" class="{cls}" fill="none" stroke="{colour}"{extra}/>'


def _empty_svg(title: str, message: str, cls: str) -> str:
    body = [svg_text(_W / 2, 60, message, anchor="middle", cls="muted")]
    return svg(_W, 100, title, body, cls)


# -- degree CCDFs --------------------------------------------------------------------------


def _tail_ccdf_power_law(x: np.ndarray, alpha: float, xmin: float) -> np.ndarray:
    from scipy.special import zeta

    return np.asarray(zeta(alpha, x) / zeta(alpha, xmin), dtype=np.float64)


def _tail_ccdf_lognormal(x: np.ndarray, mu: float, sigma: float, xmin: float) -> np.ndarray:
    from scipy.special import log_ndtr

    def log_sf(v: np.ndarray) -> np.ndarray:
        return np.asarray(log_ndtr(-(np.log(v - 0.5) - mu) / sigma), dtype=np.float64)

    return np.exp(log_sf(x) - log_sf(np.array([xmin]))[0])


def ccdf_svg(degree: np.ndarray, counts: np.ndarray, stats: Mapping[str, Any], what: str) -> str:
    """P(X >= x) of a degree distribution on log-log axes, with the fitted
    power-law tail (solid) and the lognormal it is tested against (dashed)
    from ``xmin`` on (``stats``: a degree summary with ``power_law`` and
    ``tail_test``, as in analyze's summary)."""
    title = f"Share of accounts with at least x {what}"
    deg = np.asarray(degree, dtype=np.float64)
    cnt = np.asarray(counts, dtype=np.float64)
    keep = (deg > 0) & (cnt > 0)
    deg, cnt = deg[keep], cnt[keep]
    if deg.size == 0:
        return _empty_svg(title, f"No account has any {what} in the data.", "ccdf")
    total = cnt.sum()
    ccdf = (total - np.concatenate([[0.0], np.cumsum(cnt)[:-1]])) / total  # P(X >= deg)
    lx, ly = np.log10(deg), np.log10(ccdf)
    x_lo, x_hi = 0.0 if lx.min() >= 0 else math.floor(lx.min()), max(lx.max(), 1.0)
    y_lo, y_hi = min(math.floor(ly.min()), -1.0), 0.0
    sx = scale(x_lo, x_hi, _PAD_L, _W - _PAD_L - _PAD_R)
    sy = scale(y_hi, y_lo, _PAD_T, _H - _PAD_T - _PAD_B)
    body = _log_axis(sx, x_lo, x_hi, _H - _PAD_B, what) + _log_axis(
        sy, y_lo, y_hi, _PAD_L - 6, "P(X ≥ x)", vertical=True
    )
    body.append('<g class="points">')
    body += [
        f'<circle cx="{sx(a):.1f}" cy="{sy(b):.1f}" r="2" fill="{_GREY}"/>'
        for a, b in zip(lx.tolist(), ly.tolist(), strict=True)
    ]
    body.append("</g>")
    pl = stats.get("power_law", {}) or {}
    tt = stats.get("tail_test", {}) or {}
    alpha, xmin = pl.get("alpha"), pl.get("xmin")
    legend = [("data", _GREY, "")]
    if _finite(alpha) and _finite(xmin) and deg.max() > xmin:
        share = float(cnt[deg >= xmin].sum() / total)
        xs = np.unique(np.round(np.logspace(math.log10(xmin), math.log10(deg.max()), 60)))
        ys = share * _tail_ccdf_power_law(xs, float(alpha), float(xmin))
        body.append(_path([sx(v) for v in np.log10(xs)], [sy(v) for v in np.log10(ys)],
                          "fit power-law", _BLUE, ' stroke-width="2"'))  # fmt: skip
        legend.append((f"power law, α = {fmt(float(alpha))}", _BLUE, ""))
        mu, sigma = tt.get("mu"), tt.get("sigma")
        if _finite(mu) and _finite(sigma) and float(sigma) > 0:
            yl = share * _tail_ccdf_lognormal(xs, float(mu), float(sigma), float(xmin))
            with np.errstate(divide="ignore"):
                inside = np.log10(yl) >= y_lo  # the dashed line stops at the axis
                xs, yl = xs[inside], yl[inside]
                body.append(_path([sx(v) for v in np.log10(xs)], [sy(v) for v in np.log10(yl)],
                                  "fit lognormal", _ORANGE,
                                  ' stroke-width="2" stroke-dasharray="6 4"'))  # fmt: skip
            legend.append(("lognormal", _ORANGE, ' stroke-dasharray="6 4"'))
        elif (
            tt.get("lognormal_limit") and _finite(tt.get("lognormal_theta1")) and float(xmin) > 0.5
        ):
            # the lognormal's best fit is its power-law limit, the round power law of
            # exponent 1 - theta1: P(X >= x) = ((x - 1/2) / (xmin - 1/2)) ** theta1
            yl = share * ((xs - 0.5) / (float(xmin) - 0.5)) ** float(tt["lognormal_theta1"])
            body.append(_path([sx(v) for v in np.log10(xs)], [sy(v) for v in np.log10(yl)],
                              "fit lognormal", _ORANGE,
                              ' stroke-width="2" stroke-dasharray="6 4"'))  # fmt: skip
            legend.append(("lognormal (its power-law limit)", _ORANGE, ' stroke-dasharray="6 4"'))
        xm = sx(math.log10(xmin))
        body.append(f'<line x1="{xm:.1f}" y1="{_PAD_T:.1f}" x2="{xm:.1f}" '
                    f'y2="{_H - _PAD_B:.1f}" class="null"/>')  # fmt: skip
        body.append(svg_text(xm + 4, _PAD_T + 10, f"xmin = {fmt(float(xmin))}", cls="tick"))
    body += _legend(legend, _PAD_L + 12, _H - _PAD_B - 14 - 16 * len(legend))
    return svg(_W, _H, title, body, "ccdf")


def _legend(items: Sequence[tuple[str, str, str]], x: float, y: float) -> list[str]:
    out = []
    for i, (label, colour, dash) in enumerate(items):
        yy = y + 16 * i
        out.append(f'<line x1="{x:.1f}" y1="{yy + 6:.1f}" x2="{x + 22:.1f}" y2="{yy + 6:.1f}" '
                   f'stroke="{colour}" stroke-width="2"{dash}/>')  # fmt: skip
        out.append(svg_text(x + 28, yy + 10, label))
    return out


def _finite(x: Any) -> TypeGuard[float]:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


# -- reach ---------------------------------------------------------------------------------


def reach_svg(
    reach: np.ndarray, followers: np.ndarray, fit: Mapping[str, Any], *, seed: int = 0
) -> str:
    """Reach of each post against its author's followers (log10 of 1 + each),
    a seeded sample of :data:`MAX_POINTS` posts, with the least-squares line of
    slope ``fit["slope"]`` through the means of all of them."""
    title = "Reach of each post against its author's followers"
    r = np.asarray(reach, dtype=np.float64)
    f = np.asarray(followers, dtype=np.float64)
    ok = np.isfinite(r) & np.isfinite(f)
    r, f = r[ok], f[ok]
    if r.size == 0:
        return _empty_svg(title, "No post with a known author follower count.", "reach")
    lx, ly = np.log10(1 + f), np.log10(1 + r)
    x_hi, y_hi = max(float(lx.max()), 1.0), max(float(ly.max()), 1.0)
    sx = scale(0.0, x_hi, _PAD_L, _W - _PAD_L - _PAD_R)
    sy = scale(y_hi, 0.0, _PAD_T, _H - _PAD_T - _PAD_B)
    body = _log_axis(sx, 0.0, x_hi, _H - _PAD_B, "author's followers", offset=1.0) + _log_axis(
        sy, 0.0, y_hi, _PAD_L - 6, "reach (interactions)", vertical=True, offset=1.0
    )
    idx = np.arange(r.size)
    if r.size > MAX_POINTS:
        idx = np.sort(np.random.default_rng(seed).choice(r.size, MAX_POINTS, replace=False))
    body.append('<g class="points">')
    body += [
        f'<circle cx="{sx(a):.1f}" cy="{sy(b):.1f}" r="1.8" fill="{_BLUE}" fill-opacity="0.25"/>'
        for a, b in zip(lx[idx].tolist(), ly[idx].tolist(), strict=True)
    ]
    body.append("</g>")
    slope = fit.get("slope")
    if _finite(slope):
        b = float(slope)
        a = float(ly.mean() - b * lx.mean())
        x0, x1 = 0.0, x_hi
        y0, y1 = a + b * x0, a + b * x1
        body.append(_path([sx(x0), sx(x1)], [sy(min(max(y0, 0), y_hi)), sy(min(max(y1, 0), y_hi))],
                          "fit", _ORANGE, ' stroke-width="2"'))  # fmt: skip
        lo, hi = fit.get("slope_ci") or (None, None)
        ci = f" [{fmt(float(lo))}, {fmt(float(hi))}]" if _finite(lo) and _finite(hi) else ""
        body += _legend([(f"slope {fmt(b)}{ci}", _ORANGE, "")], _PAD_L + 10, _PAD_T)
    return svg(_W, _H, title, body, "reach")


# -- communities ---------------------------------------------------------------------------


def communities_svg(names: Sequence[str], sizes: Sequence[int], total: int) -> str:
    """Horizontal bars of the largest communities' sizes."""
    title = "Accounts in the largest communities"
    if not sizes:
        return _empty_svg(title, "No communities in the data.", "communities")
    row, label_w = 22.0, 200.0
    h = _PAD_T + row * len(sizes) + 40
    top = max(sizes)
    sx = scale(0.0, float(top), label_w, _W - label_w - 70)
    body = []
    for i, (name, size) in enumerate(zip(names, sizes, strict=True)):
        y = _PAD_T + row * i
        body.append(svg_text(label_w - 8, y + 14, short(run(name), 26), anchor="end"))
        w = sx(float(size)) - label_w
        body.append(f'<rect x="{label_w:.1f}" y="{y + 3:.1f}" width="{max(w, 1):.1f}" '
                    f'height="{row - 6:.1f}" fill="{_BLUE}"/>')  # fmt: skip
        share = f" ({fmt(100 * size / total)}%)" if total else ""
        body.append(svg_text(label_w + max(w, 1) + 6, y + 14, f"{size:,}{share}", cls="tick"))
    return svg(_W, h, title, body, "communities")


def who_reads_whom_svg(table: pa.Table) -> str:
    """A heatmap: each reader community's share of its follows' exposure (follows
    weighted by the friends' posts) by author community."""
    title = "Share of each community's feed supply by author community"
    if table.num_rows == 0:
        return _empty_svg(title, "No follows between labelled accounts.", "who-reads-whom")
    rows = table.to_pylist()
    order: list[str] = []
    for r in sorted(rows, key=lambda r: -r["follows"]):
        for side in ("reader_community", "author_community"):
            if r[side] not in order:
                order.append(r[side])
    from mutuals.report.analyze import OTHER, UNKNOWN

    order = [c for c in order if c not in (OTHER, UNKNOWN)] + [
        c for c in (OTHER, UNKNOWN) if c in order
    ]
    k = len(order)
    pos = {c: i for i, c in enumerate(order)}
    cell, label_w, top = 34.0, 170.0, 120.0
    w, h = label_w + cell * k + 30, top + cell * k + 40
    share = np.zeros((k, k))
    for r in rows:
        v = r["share"]
        share[pos[r["reader_community"]], pos[r["author_community"]]] = v if _finite(v) else 0.0
    body = []
    for j, c in enumerate(order):
        x = label_w + cell * j + cell / 2
        body.append(svg_text(x, top - 8, short(run(c), 18), cls="tick",
                             extra=f' transform="rotate(-45 {x:.1f} {top - 8:.1f})"'))  # fmt: skip
    for i, c in enumerate(order):
        y = top + cell * i
        body.append(svg_text(label_w - 8, y + cell / 2 + 4, short(run(c), 24), anchor="end"))
        for j in range(k):
            v = share[i, j]
            x = label_w + cell * j
            light = 1.0 - v
            colour = f"rgb({int(9 + 246 * light)},{int(105 + 150 * light)},{int(218 + 37 * light)})"
            body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{cell - 2:.1f}" '
                        f'height="{cell - 2:.1f}" fill="{colour}"><title>'
                        f'{escape(line(order[i]))} reads {escape(line(order[j]))}: '
                        f'{fmt(v)}</title></rect>')  # fmt: skip
            if v >= 0.005:
                style = ' style="fill:#fff"' if v > 0.55 else ""
                body.append(svg_text(x + cell / 2 - 1, y + cell / 2 + 3, f"{v:.2f}",
                                     anchor="middle", cls="tick", extra=style))  # fmt: skip
    body.append(svg_text(label_w + cell * k / 2, h - 12, "author community (columns); reader "
                         "community (rows)", anchor="middle", cls="axis-label"))  # fmt: skip
    return svg(w, h, title, body, "who-reads-whom")


# -- hashtag and campaign ------------------------------------------------------------------


def adoption_svg(curve: pa.Table, usage: pa.Table | None, tag: str) -> str:
    """Cumulative adopters of the hashtag by day (a step line), and its posts
    per day (bars)."""
    title = f"Adoption of #{line(tag)}"
    if curve.num_rows == 0:
        return _empty_svg(title, "No adoption with a time.", "adoption")
    days = [d.toordinal() for d in curve["day"].to_pylist()]
    total = curve["adopters"].to_pylist()
    use_days: list[int] = []
    use_posts: list[int] = []
    if usage is not None and usage.num_rows:
        for d, p in zip(usage["day"].to_pylist(), usage["posts"].to_pylist(), strict=True):
            if d is not None:
                use_days.append(d.toordinal())
                use_posts.append(int(p))
    lo = min(days + use_days) - 0.5
    hi = max(days + use_days) + 0.5
    if hi - lo < 7:  # a week at least, so that one day is a bar, not the whole plot
        pad = (7 - (hi - lo)) / 2
        lo, hi = lo - pad, hi + pad
    sx = scale(lo, hi, _PAD_L, _W - _PAD_L - _PAD_R)
    y_top = float(max(total + use_posts))
    yt = ticks(0.0, y_top)
    y_top = max(y_top, yt[-1])
    sy = scale(y_top, 0.0, _PAD_T, _H - _PAD_T - _PAD_B)
    body = []
    base = _H - _PAD_B
    bw = max(2.0, (sx(1.0) - sx(0.0)) * 0.6)
    for d, p in zip(use_days, use_posts, strict=True):
        body.append(f'<rect x="{sx(d) - bw / 2:.1f}" y="{sy(p):.1f}" width="{bw:.1f}" '
                    f'height="{base - sy(p):.1f}" fill="{_GREY}" fill-opacity="0.45"/>')  # fmt: skip
    xs, ys = [sx(lo + 0.5)], [sy(0.0)]
    for d, t in zip(days, total, strict=True):
        xs += [sx(d), sx(d)]
        ys += [ys[-1], sy(t)]
    xs.append(sx(hi))
    ys.append(ys[-1])
    body.append(_path(xs, ys, "adopters", _GREEN, ' stroke-width="2.5"'))
    body.append(f'<line x1="{_PAD_L:.1f}" y1="{base:.1f}" x2="{_W - _PAD_R:.1f}" '
                f'y2="{base:.1f}" class="axis"/>')  # fmt: skip
    import datetime as dt

    step = max(1, math.ceil((hi - lo) / 8))
    for d in range(math.ceil(lo), math.floor(hi) + 1, step):
        x = sx(d)
        body.append(svg_text(x, base + 15, dt.date.fromordinal(d).isoformat()[5:],
                             anchor="middle", cls="tick"))  # fmt: skip
    body.append(svg_text((_PAD_L + _W - _PAD_R) / 2, base + 32, "UTC day (month-day)",
                         anchor="middle", cls="axis-label"))  # fmt: skip
    for t in yt:
        y = sy(t)
        body.append(f'<line x1="{_PAD_L - 4:.1f}" y1="{y:.1f}" x2="{_PAD_L:.1f}" y2="{y:.1f}" '
                    'class="axis"/>')  # fmt: skip
        body.append(svg_text(_PAD_L - 7, y + 3.5, fmt(t), anchor="end", cls="tick"))
    legend = [("adopters so far", _GREEN, "")]
    if use_days:
        legend.append(("posts that day (all kinds)", _GREY, ""))
    body += _legend(legend, _PAD_L + 10, _PAD_T)
    return svg(_W, _H, title, body, "adoption")


def effect_svg(outcomes: Sequence[tuple[str, float, float, float]]) -> str:
    """Each outcome's difference in differences and its 95% interval on its own
    scale (the farthest bound from 0 reaches the edge), 0 the common dashed line."""
    title = "Difference in differences of each outcome, with its 95% interval"
    rows = [o for o in outcomes if _finite(o[1])]
    if not rows:
        return _empty_svg(title, "No outcome could be estimated.", "effect")
    row, label_w, half = 40.0, 170.0, 150.0
    x0 = label_w + 20 + half
    h = _PAD_T + row * len(rows) + 20
    body = [f'<line x1="{x0:.1f}" y1="{_PAD_T - 10:.1f}" x2="{x0:.1f}" '
            f'y2="{h - 10:.1f}" class="null"/>',
            svg_text(x0, _PAD_T - 14, "no effect", anchor="middle", cls="tick")]  # fmt: skip
    for i, (label, est, lo, hi) in enumerate(rows):
        y = _PAD_T + row * i + row / 2
        span = max(abs(v) for v in (est, lo, hi) if _finite(v)) or 1.0

        def px(v: float, span: float = span) -> float:
            return x0 + v / span * half

        body.append(svg_text(label_w, y + 4, label, anchor="end"))
        if _finite(lo) and _finite(hi):
            body.append(f'<line x1="{px(lo):.1f}" y1="{y:.1f}" x2="{px(hi):.1f}" y2="{y:.1f}" '
                        f'stroke="{_BLUE}" stroke-width="3"/>')  # fmt: skip
        body.append(f'<circle cx="{px(est):.1f}" cy="{y:.1f}" r="5" fill="{_BLUE}"/>')
        ci = f" [{fmt(lo)}, {fmt(hi)}]" if _finite(lo) and _finite(hi) else ""
        body.append(svg_text(x0 + half + 14, y + 4, f"{fmt(est, signed=True)}{ci}", cls="muted"))
    return svg(_W + 120, h, title, body, "effect")


# -- detection -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DetectionView:
    """What the page shows of a ``mutuals detect`` folder (:func:`read_detection`).

    Attributes
    ----------
    href : str
        Link to its ``detect.html``, relative to the page's folder when possible.
    accounts, flagged : int or None
        Accounts scored and flagged (``detect.json``).
    signals : list of (name, flagged, available)
        Per signal, from ``detect.json``.
    top : list of (account_id, combined, rank)
        The flagged accounts with the highest combined scores (``scores.parquet``).
    flagged_ids : frozenset of str
        Every flagged account.
    """

    href: str
    accounts: int | None
    flagged: int | None
    signals: list[tuple[str, int | None, bool | None]]
    top: list[tuple[str, float, int | None]]
    flagged_ids: frozenset[str] = field(repr=False)


def _int_or_none(x: Any) -> int | None:
    return int(x) if isinstance(x, int) and not isinstance(x, bool) else None


def _href(target: Path, page_dir: Path | None) -> str:
    """A link to ``target`` from a page in ``page_dir``: a relative path when
    there is one, else a file URI; percent-encoded, and never readable as a
    URL scheme (``javascript:...``)."""
    if page_dir is not None:
        try:
            rel = os.path.relpath(target.resolve(), page_dir.resolve())
        except ValueError:
            rel = None
        if rel is not None:
            rel = rel.replace(os.sep, "/")
            if not rel.startswith((".", "/")):
                rel = "./" + rel
            return urllib.parse.quote(rel, safe="/.-_~")
    return target.resolve().as_uri()


def read_detection(path: str | Path, *, page_dir: str | Path | None = None) -> DetectionView:
    """Read the summary of a ``mutuals detect`` folder: ``detect.json`` and the
    columns ``account_id, combined, flagged`` (and ``rank`` when present) of
    ``scores.parquet``; nothing else is opened.

    Raises
    ------
    InputError
        In one line, naming the file, when either is absent or unreadable.
    """
    import json

    import pyarrow.parquet as pq

    p = Path(path)
    if not p.is_dir():
        raise InputError(f"--detect {str(p)!r} is not a folder (a `mutuals detect` output)")
    jf, sf = p / "detect.json", p / "scores.parquet"
    try:
        summary = json.loads(jf.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{jf}: missing; is {str(p)!r} a `mutuals detect` folder?") from None
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise InputError(f"{jf}: not readable JSON ({e})") from None
    if not isinstance(summary, dict):
        raise InputError(f"{jf}: not a detection summary (a JSON object)")
    try:
        names = pq.ParquetFile(sf).schema_arrow.names
        need = ["account_id", "combined", "flagged"]
        missing = [c for c in need if c not in names]
        if missing:
            raise InputError(f"{sf}: lacks column(s) {missing}")
        scores = pq.read_table(sf, columns=need + (["rank"] if "rank" in names else []))
    except FileNotFoundError:
        raise InputError(f"{sf}: missing; is {str(p)!r} a `mutuals detect` folder?") from None
    except (pa.ArrowException, OSError) as e:
        raise InputError(f"{sf}: not a readable Parquet file ({e})") from None
    try:
        ids = [str(x) for x in scores["account_id"].to_pylist()]
        combined = np.asarray(scores["combined"].to_numpy(zero_copy_only=False), np.float64)
        flagged = np.asarray(scores["flagged"].fill_null(False).to_numpy(zero_copy_only=False),
                             bool)  # fmt: skip
        ranks = scores["rank"].to_pylist() if "rank" in scores.column_names else [None] * len(ids)
    except (pa.ArrowException, TypeError, ValueError) as e:
        raise InputError(f"{sf}: columns of the wrong type ({e})") from None
    order = [i for i in np.argsort(-np.nan_to_num(combined, nan=-np.inf), kind="stable")
             if flagged[i]][:TOP_FLAGGED]  # fmt: skip
    sig = summary.get("signals")
    signals = []
    if isinstance(sig, dict):
        for name, s in sig.items():
            s = s if isinstance(s, dict) else {}
            avail = s.get("available")
            signals.append((str(name), _int_or_none(s.get("flagged")),
                            avail if isinstance(avail, bool) else None))  # fmt: skip
    return DetectionView(
        href=_href(p / "detect.html", Path(page_dir) if page_dir is not None else None),
        accounts=_int_or_none(summary.get("accounts")),
        flagged=_int_or_none(summary.get("flagged")),
        signals=signals,
        top=[(ids[i], float(combined[i]), _int_or_none(ranks[i])) for i in order],
        flagged_ids=frozenset(ids[i] for i in np.flatnonzero(flagged)),
    )


# -- the page ------------------------------------------------------------------------------


def _col(t: pa.Table | None, name: str) -> np.ndarray | None:
    if t is None or name not in t.column_names:
        return None
    return np.asarray(t[name].to_numpy(zero_copy_only=False))


def _num(x: Any, digits: int = 3) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, int):
        return f"{x:,}"
    if isinstance(x, float):
        return fmt(x) if digits == 3 else (f"{x:.{digits}f}" if math.isfinite(x) else "n/a")
    return line(x)


def _degrees_view(a: Analysis) -> dict[str, Any]:
    g = a.summary.get("graph", {})
    dd = a.tables.get("degree_distribution")
    if dd is None or g.get("available") is False:
        return {"available": False, "reason": g.get("reason", "no follow edges in the data")}
    deg = _col(dd, "degree")
    panels = []
    for key, col, what in (("in_degree", "accounts_in", "followers"),
                           ("out_degree", "accounts_out", "friends (accounts followed)")):  # fmt: skip
        stats = g.get(key, {})
        tt = stats.get("tail_test", {}) or {}
        pl = stats.get("power_law", {}) or {}
        panels.append(
            {
                "key": key,
                "what": what.split(" ")[0],
                "svg": ccdf_svg(deg, _col(dd, col), stats, what),  # type: ignore[arg-type]
                "mean": _num(stats.get("mean")),
                "median": _num(stats.get("median")),
                "max": _num(stats.get("max")),
                "gini": _num(stats.get("gini")),
                "alpha": _num(pl.get("alpha")),
                "xmin": _num(pl.get("xmin")),
                "n_tail": _num(pl.get("n_tail")),
                "ks": _num(pl.get("ks")),
                "test": tt.get("available") is not False and bool(tt),
                "lr": _num(tt.get("normalised_ratio")),
                "p": _num(tt.get("p")),
                "favoured": line(tt.get("favoured", "neither")),
                "mu": _num(tt.get("mu")),
                "sigma": _num(tt.get("sigma")),
                "limit": bool(tt.get("lognormal_limit")),
                "limit_alpha": _num(
                    1.0 - float(tt["lognormal_theta1"])
                    if _finite(tt.get("lognormal_theta1"))
                    else None
                ),
            }
        )
    r = g.get("reciprocity", {})
    return {
        "available": True,
        "panels": panels,
        "reciprocity": _num(r.get("reciprocity")),
        "rho": _num(r.get("rho")),
        "mutual": _num(r.get("mutual_pairs")),
    }


def _reach_view(a: Analysis, seed: int) -> dict[str, Any]:
    rs = a.summary.get("reach", {})
    pr = a.tables.get("post_reach")
    if pr is None or rs.get("available") is False:
        return {"available": False, "reason": rs.get("reason", "no posts in the data")}
    kind, reach, fol = (_col(pr, c) for c in ("kind", "reach", "author_followers"))
    if kind is None or reach is None or fol is None:
        return {"available": False, "reason": "post_reach lacks a column"}
    orig = np.asarray(kind != "repost", dtype=bool)
    fit = rs.get("reach_vs_followers", {})
    rows = []
    for key, label in (("reach_vs_followers", "post reach"),
                       ("cascade_size_vs_followers", "cascade size"),
                       ("account_reach_vs_followers", "an account's reach")):  # fmt: skip
        d = rs.get(key, {})
        rows.append({"label": label, "n": _num(d.get("n")), "spearman": _ci(d, "spearman"),
                     "slope": _ci(d, "slope")})  # fmt: skip
    return {
        "available": True,
        "svg": reach_svg(reach[orig], fol[orig], fit, seed=seed),
        "rows": rows,
        "posts": _num(rs.get("posts")),
        "with_reach": _num(rs.get("posts_with_reach")),
        "shown": min(int(orig.sum()), MAX_POINTS),
    }


def _ci(d: Mapping[str, Any], key: str) -> str:
    lo, hi = d.get(f"{key}_ci") or (None, None)
    v = d.get(key)
    if not _finite(v):
        return "n/a"
    if _finite(lo) and _finite(hi):
        return f"{fmt(float(v))} [{fmt(float(lo))}, {fmt(float(hi))}]"
    return fmt(float(v))


def _communities_view(a: Analysis) -> dict[str, Any]:
    g = a.summary.get("graph", {})
    cm = g.get("communities", {})
    iso = a.summary.get("isolation", {})
    acc = a.tables.get("accounts")
    comm = acc["community"] if acc is not None and "community" in acc.column_names else None
    if comm is None or comm.null_count == len(comm):
        return {"available": False, "reason": cm.get("reason") or iso.get("reason")
                or "no communities in the data"}  # fmt: skip
    import pyarrow.compute as pc

    vc = pc.value_counts(comm.drop_null()).to_pylist()
    vc.sort(key=lambda r: (-r["counts"], str(r["values"])))
    top = vc[:15]
    total = len(comm) - comm.null_count
    names = [str(r["values"]) for r in top]
    sizes = [int(r["counts"]) for r in top]
    return {
        "available": True,
        "source": line(iso.get("communities_from", "louvain")),
        "count": _num(len(vc)),
        "modularity": _num(cm.get("modularity")),
        "louvain": cm.get("count") is not None,
        "louvain_count": _num(cm.get("count")),
        "svg": communities_svg(names, sizes, total),
        "shown": len(top),
    }


def _who_view(a: Analysis) -> dict[str, Any]:
    iso = a.summary.get("isolation", {})
    hf = a.summary.get("home_feed", {})
    fbc = a.tables.get("follows_by_community")
    if iso.get("available") is False or fbc is None:
        view: dict[str, Any] = {"available": False, "reason": iso.get("reason", "no communities")}
    else:
        ex = iso.get("outside_exposure", {})
        ei = iso.get("ei_index", {})
        view = {
            "available": True,
            "svg": who_reads_whom_svg(fbc),
            "outside_share": _num(ex.get("share")),
            "outside_mean": _num(ex.get("mean_account_share")),
            "weighting": line(ex.get("weighting", "")),
            "ei": _num(ei.get("ei")),
        }
    rows = []
    per = a.tables.get("exposure_by_community")
    feeds = a.tables.get("home_feed_by_community")
    feed_by = {r["community"]: r for r in feeds.to_pylist()} if feeds is not None else {}
    if per is not None:
        top = sorted(per.to_pylist(), key=lambda r: -r["accounts"])[:12]
        for r in top:
            f = feed_by.get(r["community"], {})
            rows.append({
                "community": line(r["community"]), "accounts": _num(r["accounts"]),
                "outside": _num(r["share"]), "feed_outside": _num(f.get("outside_share")),
                "repetition": _num(f.get("mean_repetition")),
            })  # fmt: skip
    view["rows"] = rows
    view["home_feed"] = (
        {"available": False, "reason": line(hf.get("reason", "not computed"))}
        if hf.get("available") is False or not hf
        else {"available": True, "k": _num(hf.get("k")),
              "as_of": line(hf.get("as_of") or "n/a"),
              "pooled": _num(hf.get("outside_share", {}).get("pooled")),
              "repetition": _num(hf.get("repetition", {}).get("combined", {}).get("mean"))}
    )  # fmt: skip
    return view


def _hashtag_view(a: Analysis) -> dict[str, Any]:
    hs = a.summary.get("hashtags", {})
    tag = a.summary.get("settings", {}).get("hashtag")
    top = [{"hashtag": line(r["hashtag"]), "posts": _num(r["posts"]),
            "accounts": _num(r["accounts"])} for r in hs.get("top", [])[:10]]  # fmt: skip
    view: dict[str, Any] = {"top": top, "uses": _num(hs.get("uses")),
                            "distinct": _num(hs.get("distinct")), "tag": None}  # fmt: skip
    ce = a.summary.get("campaign_effect")
    if tag is None or ce is None:
        return view
    import pyarrow.compute as pc

    by_day = a.tables.get("hashtags_by_day")
    usage = (
        by_day.filter(pc.equal(by_day["hashtag"], ce["hashtag"])) if by_day is not None else None
    )
    curve = a.tables.get("campaign_adoption")
    net = hs.get("network", {})
    view.update(
        tag=line(ce["hashtag"]),
        svg=adoption_svg(curve, usage, ce["hashtag"]) if curve is not None else "",
        adopters=_num(ce.get("adopters")),
        without_time=_num(ce.get("adopters_without_time")),
        network={k: _num(net.get(k)) for k in ("adopters", "active", "edges", "reciprocity",
                                                "components", "largest_component")},
    )  # fmt: skip
    return view


def _campaign_view(a: Analysis, detection: DetectionView | None) -> dict[str, Any]:
    from mutuals.report.analyze import OUTCOME_WORDS

    ce = a.summary.get("campaign_effect")
    if ce is None:
        return {"available": False,
                "reason": "no hashtag was given (mutuals analyze STORE --hashtag TAG)"}  # fmt: skip
    m = ce.get("matching", {})
    rows, bars = [], []
    for key, (label, unit) in OUTCOME_WORDS.items():
        o = ce.get("outcomes", {}).get(key)
        if o is not None and not o.get("pairs"):
            rows.append(
                {
                    "label": label,
                    "unit": unit,
                    "available": False,
                    "reason": "no matched pair has a value both before and after adopting",
                }
            )
            continue
        if o is None:
            rows.append(
                {
                    "label": label,
                    "unit": unit,
                    "available": False,
                    "reason": line(ce.get("unavailable", {}).get(key, "not computed")),
                }
            )
            continue
        lo, hi = o.get("ci") or (None, None)
        tlo, thi = o.get("t_ci") or (None, None)
        est = o.get("effect")
        rows.append({
            "label": label, "unit": unit, "available": True, "pairs": _num(o.get("pairs")),
            "effect": _num(est), "ci": f"[{_num(lo)}, {_num(hi)}]",
            "t_ci": f"[{_num(tlo)}, {_num(thi)}]",
            "a0": _num(o.get("adopters_before")), "a1": _num(o.get("adopters_after")),
            "c0": _num(o.get("controls_before")), "c1": _num(o.get("controls_after")),
        })  # fmt: skip
        nan = float("nan")
        bars.append((label, est if _finite(est) else nan, lo if _finite(lo) else nan,
                     hi if _finite(hi) else nan))  # fmt: skip
    cf = ce.get("campaign_follows", {})
    flagged = None
    if detection is not None:
        pairs = a.tables.get("campaign_effect_pairs")
        ids = {str(x) for x in pairs["account_id"].to_pylist()} if pairs is not None else set()
        flagged = {"adopters": _num(len(ids)), "flagged": _num(len(ids & detection.flagged_ids))}
    return {
        "available": True,
        "tag": line(ce.get("hashtag")),
        "window": _num(ce.get("window_days")),
        "adopters": _num(ce.get("adopters")),
        "caliper": _num(m.get("caliper_sd")),
        "cohorts": _num(m.get("cohorts")),
        "matched": _num(m.get("matched")),
        "unmatched": _num(m.get("unmatched")),
        "cut": _num(m.get("cut_by_span")),
        "rows": rows,
        "svg": effect_svg(bars),
        "follows": (
            {
                "available": True,
                "between": _num(cf.get("between_adopters")),
                "after": _num(cf.get("after_both_adopted")),
                "share": _num(cf.get("share")),
                "untimed": _num(cf.get("without_time")),
            }
            if cf.get("available")
            else {"available": False}
        ),
        "notes": [line(n) for n in ce.get("notes", [])],
        "flagged": flagged,
    }


def _detection_view(detection: DetectionView | str | None) -> dict[str, Any]:
    if detection is None:
        return {"available": False, "reason": "no detection folder was given "
                "(mutuals analyze STORE --detect DIR, DIR written by mutuals detect)"}  # fmt: skip
    if isinstance(detection, str):
        return {"available": False, "reason": line(detection)}
    d = detection
    return {
        "available": True,
        "href": d.href,
        "accounts": _num(d.accounts),
        "flagged": _num(d.flagged),
        "signals": [
            {
                "name": line(n),
                "flagged": _num(f),
                "available": "n/a" if a is None else ("yes" if a else "no"),
            }
            for n, f, a in d.signals
        ],
        "top": [
            {
                "account": line(acc),
                "combined": fmt(c),
                "href": f"{d.href}#rank-{r}" if r is not None else f"{d.href}#flagged",
            }
            for acc, c, r in d.top
        ],
    }


def render_analyze_page(
    analysis: Analysis,
    *,
    meta: Mapping[str, Any],
    detection: DetectionView | str | None = None,
    title: str = "What the data says",
) -> str:
    """One self-contained HTML page of an analysis (module docstring).

    Parameters
    ----------
    analysis : Analysis
        :func:`mutuals.report.analyze.analyze_tables` output.
    meta : mapping
        Shown as a table in its own order (the store, the command, the version).
    detection : DetectionView or str, optional
        A detection folder's summary (:func:`read_detection`), or the one-line
        reason it could not be read (shown as such).
    title : str
    """
    seed = int(analysis.summary.get("settings", {}).get("seed") or 0)
    inputs = [(line(k), _num(v)) for k, v in analysis.summary.get("inputs", {}).items()]
    settings = [(line(k), meta_value("none" if v is None else v))
                for k, v in analysis.summary.get("settings", {}).items()]  # fmt: skip
    return str(
        environment()
        .get_template("analyze.html.j2")
        .render(
            title=line(title),
            csp=CSP,
            sections=SECTIONS,
            meta=[(line(k), meta_value(v)) for k, v in meta.items()],
            inputs=inputs,
            settings=settings,
            degrees=_degrees_view(analysis),
            reach=_reach_view(analysis, seed),
            communities=_communities_view(analysis),
            who=_who_view(analysis),
            hashtag=_hashtag_view(analysis),
            campaign=_campaign_view(
                analysis, detection if isinstance(detection, DetectionView) else None
            ),
            detection=_detection_view(detection),
        )
    )
