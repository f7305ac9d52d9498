"""Declared parameter constraints, checked at one boundary.

A scenario's parameters are a frozen dataclass whose fields carry their
constraint as metadata (``field(metadata=rng(0, 1))``); :func:`validate` checks
every field and raises :class:`~mutuals.errors.ConfigError` naming the key and
the allowed range.
:mod:`mutuals.scenarios.load` maps TOML tables onto these dataclasses.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any, TypeVar

from mutuals.errors import ConfigError

__all__ = ["check_value", "choice", "describe", "rng", "validate"]

T = TypeVar("T")


def rng(
    lo: float | None = None,
    hi: float | None = None,
    *,
    integer: bool = False,
    lo_open: bool = False,
    doc: str = "",
) -> dict[str, Any]:
    """Field metadata: a number in [lo, hi] (``lo_open``: (lo, hi])."""
    return {"kind": "range", "lo": lo, "hi": hi, "integer": integer, "lo_open": lo_open, "doc": doc}


def choice(*options: str, doc: str = "") -> dict[str, Any]:
    """Field metadata: one of ``options``."""
    return {"kind": "choice", "options": options, "doc": doc}


def _describe(meta: Mapping[str, Any]) -> str:
    if meta["kind"] == "choice":
        return "one of " + ", ".join(repr(o) for o in meta["options"])
    lo, hi = meta["lo"], meta["hi"]
    # infinities are never allowed: an open end means any finite value
    kind = "an integer" if meta["integer"] else "a finite number"
    if lo is not None and hi is not None:
        left = "(" if meta["lo_open"] else "["
        return f"{kind} in {left}{lo:g}, {hi:g}]"
    if lo is not None:
        return f"{kind} {'>' if meta['lo_open'] else '>='} {lo:g}"
    if hi is not None:
        return f"{kind} <= {hi:g}"
    return kind


def check_value(key: str, value: Any, meta: Mapping[str, Any]) -> Any:
    """Check one value against its metadata; return it normalised."""
    if meta["kind"] == "choice":
        if value not in meta["options"]:
            raise ConfigError(f"got {value!r}; allowed: {_describe(meta)}", key=key)
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(
            f"got {value!r} ({type(value).__name__}); allowed: {_describe(meta)}", key=key
        )
    if meta["integer"]:
        if isinstance(value, float) and not value.is_integer():
            raise ConfigError(f"got {value!r}; allowed: {_describe(meta)}", key=key)
        value = int(value)
    elif not math.isfinite(value):
        raise ConfigError(f"got {value!r}; allowed: {_describe(meta)}", key=key)
    lo, hi = meta["lo"], meta["hi"]
    bad_lo = lo is not None and (value <= lo if meta["lo_open"] else value < lo)
    bad_hi = hi is not None and value > hi
    if bad_lo or bad_hi:
        raise ConfigError(f"got {value!r}; allowed: {_describe(meta)}", key=key)
    return value


def validate(obj: Any, prefix: str = "") -> None:
    """Check every constrained field of dataclass ``obj``."""
    for f in dataclasses.fields(obj):
        if "kind" in f.metadata:
            value = getattr(obj, f.name)
            checked = check_value(prefix + f.name, value, f.metadata)
            object.__setattr__(obj, f.name, checked)


def describe(cls: type) -> list[tuple[str, str, str, Any]]:
    """(name, allowed, doc, default) for each constrained field of ``cls``."""
    rows = []
    for f in dataclasses.fields(cls):
        if "kind" in f.metadata:
            rows.append((f.name, _describe(f.metadata), f.metadata.get("doc", ""), f.default))
    return rows
