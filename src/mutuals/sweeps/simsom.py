"""Sweeps of the SimSoM scenario with replicate seeds.

Each replicate gets its own child of one :class:`numpy.random.SeedSequence`
(``SeedSequence.spawn``), so a sweep is reproducible from one integer and
replicates are independent. Relative quality follows the paper: the mean
quality of a setting divided by the mean quality of the same setting with no
bots (``beta = 0``), over the same number of seeds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from mutuals._random import spawn
from mutuals.engine.simsom import run_simsom
from mutuals.errors import InputError
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
) -> pa.Table:
    """Run ``base`` with parameter ``name`` set to each of ``values``.

    Returns one row per value: mean and SD over seeds of quality, relative
    quality (divided by the no-bot baseline's mean), steps, seconds, and the
    share of runs that converged.
    """
    if name not in {f.name for f in dataclasses.fields(SimSoMParams)}:
        raise InputError(f"unknown SimSoM parameter {name!r}")
    if seeds < 1:
        raise InputError("seeds must be >= 1")
    children = spawn(seed, seeds)
    baseline = [
        run_simsom(
            dataclasses.replace(base, beta=0.0), seed=np.random.default_rng(children[i])
        ).quality
        for i in range(seeds)
    ]
    q0 = float(np.mean(baseline))
    if progress:
        progress(
            f"baseline (no bots): quality {q0:.4f} ± {np.std(baseline, ddof=1) if seeds > 1 else 0:.4f}"
        )
    rows: dict[str, list[Any]] = {
        k: []
        for k in (
            "value",
            "quality_mean",
            "quality_sd",
            "relative_mean",
            "relative_sd",
            "steps_mean",
            "seconds_mean",
            "converged_share",
        )
    }
    for v in values:
        params = dataclasses.replace(base, **{name: v})
        runs = [run_simsom(params, seed=np.random.default_rng(children[i])) for i in range(seeds)]
        q = np.array([r.quality for r in runs])
        sd = float(q.std(ddof=1)) if seeds > 1 else 0.0
        rows["value"].append(str(v))
        rows["quality_mean"].append(float(q.mean()))
        rows["quality_sd"].append(sd)
        rows["relative_mean"].append(float(q.mean() / q0))
        rows["relative_sd"].append(sd / q0)
        rows["steps_mean"].append(float(np.mean([r.steps for r in runs])))
        rows["seconds_mean"].append(float(np.mean([r.seconds for r in runs])))
        rows["converged_share"].append(float(np.mean([r.converged for r in runs])))
        if progress:
            progress(
                f"{name}={v}: relative quality {rows['relative_mean'][-1]:.3f} ± {rows['relative_sd'][-1]:.3f}"
            )
    t = pa.table(rows)
    return t.append_column("baseline_quality", pa.array([q0] * t.num_rows))
