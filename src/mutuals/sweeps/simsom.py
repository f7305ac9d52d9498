"""Relative quality of SimSoM over one parameter, on top of :func:`mutuals.sweeps.sweep`.

Relative quality follows the paper (Truong et al., PNAS Nexus 2024): the mean
quality of a setting divided by the mean quality of the same setting with no
bots (``beta = 0``; the bot-only parameters keep the base's values), over the
same replicate seeds. Each replicate's seed is child ``r`` of one
:class:`numpy.random.SeedSequence` (:mod:`mutuals.sweeps.grid`).
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from mutuals.errors import InputError
from mutuals.scenarios.load import Scenario
from mutuals.scenarios.simsom import SimSoMParams

__all__ = ["relative_quality_sweep"]


def relative_quality_sweep(
    base: SimSoMParams,
    name: str,
    values: Sequence[Any],
    *,
    seeds: int = 3,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    scheduler: Any = "serial",
    out: str | Path | None = None,
) -> pa.Table:
    """Run ``base`` with parameter ``name`` set to each of ``values``.

    Returns one row per value: mean and SD over seeds of quality, relative
    quality (divided by the no-bot baseline's mean), steps, seconds, and the
    share of runs that converged. ``scheduler`` is passed to
    :func:`~mutuals.sweeps.sweep` (default: in this process); ``out`` keeps the
    sweep folder (default: a temporary one).
    """
    from mutuals.sweeps.run import sweep

    if name not in {f.name for f in dataclasses.fields(SimSoMParams)}:
        raise InputError(f"unknown SimSoM parameter {name!r}")
    if seeds < 1:
        raise InputError("seeds must be >= 1")
    sc = Scenario(name="simsom", model="simsom", params=base)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(out) if out is not None else Path(tmp) / "sweep"
        t = sweep(sc, grid={name: list(values)}, seeds=seeds, out=folder, seed=seed,
                  scheduler=scheduler, progress=False)  # fmt: skip
        seconds = {
            r: json.loads((folder / f"run-{r}.json").read_text())["seconds"]
            for r in t.column("run").to_pylist()
        }
    rows = t.to_pylist()
    runs = [r for r in rows if not r["baseline"]]
    q0s = [r["quality"] for r in rows if r["setting"] == runs[0]["baseline_setting"]]
    q0 = float(np.mean(q0s))
    if progress:
        sd0 = float(np.std(q0s, ddof=1)) if seeds > 1 else 0.0
        progress(f"baseline (no bots): quality {q0:.4f} ± {sd0:.4f}")
    cols: dict[str, list[Any]] = {
        k: []
        for k in ("value", "quality_mean", "quality_sd", "relative_mean", "relative_sd",
                  "steps_mean", "seconds_mean", "converged_share", "baseline_quality")
    }  # fmt: skip
    for v in values:
        group = [r for r in runs if r[name] == v]
        b = [r["quality"] for r in rows if r["setting"] == group[0]["baseline_setting"]]
        qb = float(np.mean(b))
        q = np.array([r["quality"] for r in group])
        sd = float(q.std(ddof=1)) if seeds > 1 else 0.0
        cols["value"].append(str(v))
        cols["quality_mean"].append(float(q.mean()))
        cols["quality_sd"].append(sd)
        cols["relative_mean"].append(float(q.mean() / qb))
        cols["relative_sd"].append(sd / qb)
        cols["steps_mean"].append(float(np.mean([r["steps"] for r in group])))
        cols["seconds_mean"].append(float(np.mean([seconds[r["run"]] for r in group])))
        cols["converged_share"].append(float(np.mean([r["converged"] for r in group])))
        cols["baseline_quality"].append(qb)
        if progress:
            progress(
                f"{name}={v}: relative quality {cols['relative_mean'][-1]:.3f}"
                f" ± {cols['relative_sd'][-1]:.3f}"
            )
    return pa.table(cols)
