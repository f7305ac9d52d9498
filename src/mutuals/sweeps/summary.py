"""Per grid point: mean and 95% interval over replicates of each measure.

The interval is Student's t interval of the mean,
``mean ± t(0.975, n - 1) · sd / sqrt(n)`` (``sd`` with ``n - 1`` degrees of
freedom), the error bars of the SimSoM paper's figures (Truong et al., PNAS
Nexus 2024). For SimSoM, ``relative_quality`` is each run's quality divided by
the mean quality of the no-bot runs (``beta = 0``) of the same setting over the
same replicate seeds, so its mean is ``mean(q) / mean(q0)`` and its interval
is the interval of ``q`` divided by ``mean(q0)`` (the definition of
:func:`mutuals.sweeps.simsom.relative_quality_sweep`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyarrow as pa

__all__ = ["interval", "measure_columns", "summarize"]

_KEYS = ("run", "setting", "replicate", "seed", "baseline", "baseline_setting")


def interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """``(mean, low, high)``; the bounds are NaN with fewer than two values."""
    x = np.asarray([v for v in values if v is not None], dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if x.size < 2:
        return mean, math.nan, math.nan
    from scipy.stats import t

    half = float(t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return mean, mean - half, mean + half


def measure_columns(results: pa.Table, grid_keys: Sequence[str]) -> list[str]:
    """The numeric measure columns of a results table."""
    return [
        c
        for c in results.column_names
        if c not in _KEYS
        and c not in grid_keys
        and (pa.types.is_integer(results.schema.field(c).type)
             or pa.types.is_floating(results.schema.field(c).type)
             or pa.types.is_boolean(results.schema.field(c).type))
    ]  # fmt: skip


def summarize(results: pa.Table, grid_keys: Sequence[str]) -> pa.Table:
    """One row per grid point (baselines left out), in the results' order:
    the grid values, ``replicates``, then ``<measure>_mean``, ``_low`` and
    ``_high`` for each measure."""
    rows = results.to_pylist()
    if "baseline" in results.column_names:
        rows = [r for r in rows if not r["baseline"]]
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(r["setting"], []).append(r)
    measures = measure_columns(results, grid_keys)
    out: dict[str, list] = {k: [] for k in grid_keys}
    out["replicates"] = []
    for m in measures:
        out[f"{m}_mean"], out[f"{m}_low"], out[f"{m}_high"] = [], [], []
    for members in groups.values():
        for k in grid_keys:
            out[k].append(members[0][k])
        out["replicates"].append(len(members))
        for m in measures:
            vals = [None if r[m] is None else float(r[m]) for r in members]
            mean, lo, hi = interval(vals)  # type: ignore[arg-type]
            out[f"{m}_mean"].append(mean)
            out[f"{m}_low"].append(lo)
            out[f"{m}_high"].append(hi)
    arrays = {k: pa.array(v) for k, v in out.items()}
    for k in grid_keys:
        arrays[k] = pa.array(out[k], results.schema.field(k).type)
    return pa.table(arrays)
