"""The page framework of mutuals' HTML reports (the claims page, the analysis,
detection): escaping, number formatting, small SVG helpers and the jinja2
environment whose ``base.html.j2`` every page extends.

Every report is one self-contained file: inline CSS and SVG, no script, no
remote resource (:data:`CSP` forbids them), and every string a user or a
data file supplied shown as text: :func:`line` and :func:`paragraphs` drop
controls and bidi overrides, :func:`escape` escapes for XML and HTML,
:func:`isolate` wraps right-to-left runs for SVG (which has no ``<bdi>``).
Templates are rendered with autoescape on.
"""

from __future__ import annotations

import html
import json
import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

from mutuals.report.unroll import neutralise_line, neutralise_text

__all__ = [
    "CSP",
    "SVG_STYLE",
    "axis",
    "domain",
    "environment",
    "escape",
    "fmt",
    "isolate",
    "line",
    "meta_value",
    "paragraphs",
    "run",
    "scale",
    "short",
    "svg",
    "svg_text",
    "ticks",
]

FONT = "system-ui, -apple-system, 'Segoe UI', sans-serif"
FSI, PDI = "\u2068", "\u2069"
RTL = frozenset(("R", "AL", "AN", "LRI", "RLI", "FSI", "PDI"))
# characters XML 1.0 does not allow (neutralise_text already drops the controls)
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# -- text --------------------------------------------------------------------------------


def line(s: object) -> str:
    """A one-line field as it is shown: controls and bidi overrides removed."""
    return NOT_XML.sub("", neutralise_line(str(s)))


def paragraphs(s: str) -> list[str]:
    text = NOT_XML.sub("", neutralise_text(s))
    return [p.strip() for p in re.split(r"\n[ \t]*\n", text) if p.strip()]


def run(s: object) -> str:
    """A user-supplied run inside a composed line: cleaned and, if it needs it, isolated."""
    return isolate(line(s))


def short(s: str, limit: int) -> str:
    return s if len(s) <= limit else s[: limit - 1].rstrip() + "…"


def isolate(s: str) -> str:
    """``s`` between FSI and PDI if it holds right-to-left text (SVG has no <bdi>)."""
    needs = not s.isascii() and any(unicodedata.bidirectional(c) in RTL for c in s)
    return f"{FSI}{s}{PDI}" if needs else s


def escape(s: str) -> str:
    """Escaped for XML text and attributes."""
    return html.escape(s, quote=True)


def fmt(x: float, *, signed: bool = False) -> str:
    """``x`` to 3 significant digits, trailing zeros dropped (fixed point between 0.001
    and 100,000); ``n/a`` for NaN."""
    if not math.isfinite(x):
        return "n/a"
    a = abs(x)
    if a >= 1e5 or 0 < a < 1e-3:
        s = f"{x:.2e}"
    else:
        s = f"{x:.{max(0, 2 - math.floor(math.log10(a))) if a else 0}f}"
        s = s.rstrip("0").rstrip(".") if "." in s else s
    if s in ("-0", "0"):
        return "0"
    return f"+{s}" if signed and x > 0 else s


# -- SVG ---------------------------------------------------------------------------------


def ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] (the usual 1-2-5 steps)."""
    span = hi - lo
    raw = span / max(n - 1, 1)
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    return [first + k * step for k in range(int((hi - first) / step + 1e-9) + 1)]


def domain(xs: Sequence[float]) -> tuple[float, float]:
    """A padded range holding every finite value of ``xs``."""
    xs = [x for x in xs if math.isfinite(x)]
    if not xs:
        return 0.0, 1.0
    lo, hi = min(xs), max(xs)
    if hi == lo:
        pad = abs(lo) * 0.1 or 1.0
        return lo - pad, hi + pad
    pad = (hi - lo) * 0.06
    return lo - pad, hi + pad


def scale(lo: float, hi: float, x0: float, width: float) -> Callable[[float], float]:
    return lambda v: x0 + (v - lo) / (hi - lo) * width


def svg_text(
    x: float, y: float, s: str, *, anchor: str = "start", cls: str = "", extra: str = ""
) -> str:
    c = f' class="{cls}"' if cls else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{c}{extra}>{escape(s)}</text>'


def axis(scale: Callable[[float], float], lo: float, hi: float, y: float, label: str) -> list[str]:
    x0, x1 = scale(lo), scale(hi)
    out = [f'<line x1="{x0:.1f}" y1="{y:.1f}" x2="{x1:.1f}" y2="{y:.1f}" class="axis"/>']
    for t in ticks(lo, hi):
        x = scale(t)
        out.append(f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x:.1f}" y2="{y + 4:.1f}" class="axis"/>')
        out.append(svg_text(x, y + 15, fmt(t), anchor="middle", cls="tick"))
    out.append(svg_text((x0 + x1) / 2, y + 30, label, anchor="middle", cls="axis-label"))
    return out


SVG_STYLE = (
    f"<style>text{{font-family:{FONT};font-size:12px;fill:#24292f}}"
    ".tick{font-size:10px;fill:#57606a}.axis-label{font-size:11px;fill:#57606a}"
    ".axis{stroke:#8c959f;stroke-width:1}.null{stroke:#24292f;stroke-width:1;"
    "stroke-dasharray:4 3}.head{font-weight:600}.muted{fill:#6e7781}</style>"
)


def svg(width: float, height: float, title: str, body: list[str], cls: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{cls}" role="img" '
        f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}">'
        f"<title>{escape(title)}</title>{SVG_STYLE}{''.join(body)}</svg>"
    )


CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; "
    "form-action 'none'; base-uri 'none'"
)


def meta_value(v: Any) -> str:
    if isinstance(v, (list, tuple)):
        return line(" ".join(str(x) for x in v))
    if isinstance(v, Mapping):
        return line(json.dumps(v, sort_keys=True, default=str))
    return line(v)


@cache
def environment() -> Any:
    import jinja2  # lazily: the command line must start fast

    return jinja2.Environment(
        loader=jinja2.PackageLoader("mutuals.report", "templates"),
        autoescape=True,  # the template's name ends in .j2, which select_autoescape would miss
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
