"""The runs of a sweep: grid points times replicates, each with its own seed.

A sweep is a base scenario, a grid (``{parameter: [values]}``, expanded as a
cartesian product in the order given) and a number of replicates ``N``.

Seeds
-----
One root integer (``seed=``, or fresh entropy that is then recorded) gives
``numpy.random.SeedSequence(root).spawn(N)``; replicate ``r`` of *every* grid
point runs with the seed drawn from child ``r``::

    seed(point, r) = int(SeedSequence(root).spawn(N)[r].generate_state(1, uint64)[0]) >> 1

(63 bits, so it fits a signed 64-bit column). The seed depends only on
``root`` and ``r``: not on the grid, the order runs are scheduled in, the
cluster, nor on ``N`` (``spawn`` children are numbered, child ``r`` is the same
for any ``N > r``). Every grid point sees the same replicate seeds (common
random numbers): differences between points are the parameters', not the
draws', as in the SimSoM paper's comparison of a setting with its no-bot
baseline over the same seeds.

Each run is named by a digest of what determines it (model, every parameter,
seed): the same run in two sweeps of one folder is the same file.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mutuals.errors import ConfigError, InputError
from mutuals.scenarios.load import Scenario

__all__ = [
    "SIMSOM_BOT_KEYS",
    "RunSpec",
    "check_grid",
    "definition",
    "expand",
    "replicate_seeds",
    "setting_digest",
    "split_values",
]

#: SimSoM parameters that only shape the bots; a no-bot baseline (``beta = 0``)
#: keeps the base scenario's values of them, so one baseline serves every grid
#: point that differs only in them.
SIMSOM_BOT_KEYS = ("beta", "gamma", "phi", "theta", "targeting", "bot_follows")


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: what a task needs, and where its row goes.

    Attributes
    ----------
    run : str
        The run's name (digest of model, parameters and seed); its result file
        is ``run-<run>.json``.
    setting : str
        Digest of the parameters alone (the grid point, without the seed).
    point : dict
        The grid values of this run (for a baseline, the values it ran with).
    replicate : int
        Replicate index ``r`` (its seed is child ``r`` of the root).
    seed : int
        The run's seed.
    overrides : dict
        Parameter overrides applied to the base scenario.
    baseline : bool
        A SimSoM no-bot run (``beta = 0``), the denominator of relative quality.
    baseline_setting : str or None
        SimSoM: the setting of this run's no-bot baseline.
    """

    run: str
    setting: str
    point: dict[str, Any]
    replicate: int
    seed: int
    overrides: dict[str, Any]
    scenario: Scenario = field(repr=False)
    baseline: bool = False
    baseline_setting: str | None = None

    @property
    def file(self) -> str:
        return f"run-{self.run}.json"


def split_values(raw: str) -> list[str]:
    """Split ``v1,v2,...`` on the commas outside brackets, braces and quotes.

    >>> split_values('0.1,0.2')
    ['0.1', '0.2']
    >>> split_values('[1, 2],"a,b",x')
    ['[1, 2]', '"a,b"', 'x']
    """
    items: list[str] = []
    cur: list[str] = []
    depth, quote = 0, ""
    for ch in raw:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    items.append("".join(cur).strip())
    return items


def check_grid(scenario: Scenario, grid: Mapping[str, Sequence[Any]]) -> None:
    """Check every value, then every combination, against the declared ranges
    before any run starts; the error names the key (and the grid point)."""
    if not grid:
        raise InputError("the grid is empty: give at least one --grid KEY=V1,V2,...")
    for key, values in grid.items():
        if isinstance(values, str | bytes) or not isinstance(values, Sequence) or not values:
            raise InputError(f"grid {key}: give a non-empty list of values")
        for v in values:
            try:
                scenario.with_overrides({key: v})
            except ConfigError as e:
                raise ConfigError(f"grid value {v!r}: {e}") from None
    for point in _points(grid):
        try:
            scenario.with_overrides(point)
        except ConfigError as e:
            raise ConfigError(f"grid point {point}: {e}") from None


def _points(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    keys = list(grid)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*grid.values())]


def replicate_seeds(root: int, n: int) -> list[int]:
    """The run seed of each replicate ``0 .. n-1`` (see the module docstring)."""
    if n < 1:
        raise InputError(f"seeds must be >= 1, got {n}")
    children = np.random.SeedSequence(root).spawn(n)
    return [int(c.generate_state(1, np.uint64)[0]) >> 1 for c in children]


def _jsonable(v: Any) -> Any:
    if isinstance(v, tuple | list):
        return [_jsonable(x) for x in v]
    return v


def definition(scenario: Scenario) -> dict[str, Any]:
    """What determines a scenario's runs besides the seed: its model and
    parameters, and its groups and events when it has any."""
    what: dict[str, Any] = {
        "model": scenario.model,
        "params": _jsonable(scenario.describe_params()),
    }
    for name in ("groups_spec", "events_spec"):
        spec = getattr(scenario, name, None)
        if spec:
            what[name.removesuffix("_spec")] = json.loads(json.dumps(spec, default=str))
    return what


def setting_digest(scenario: Scenario, seed: int | None = None) -> str:
    """Digest of :func:`definition` (and a seed, when given)."""
    what = definition(scenario)
    if seed is not None:
        what["seed"] = seed
    blob = json.dumps(what, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def expand(
    scenario: Scenario, grid: Mapping[str, Sequence[Any]], seeds: int, root: int
) -> list[RunSpec]:
    """Every run of the sweep: grid points times replicates, then (SimSoM) the
    no-bot baselines of those points, each once. Checks the grid first."""
    check_grid(scenario, grid)
    rep_seeds = replicate_seeds(root, seeds)
    specs: list[RunSpec] = []
    baselines: dict[str, tuple[dict[str, Any], dict[str, Any], Scenario]] = {}
    base_params = scenario.describe_params()
    for point in _points(grid):
        sc = scenario.with_overrides(point)
        setting = setting_digest(sc)
        b_setting = None
        if scenario.model == "simsom":
            b_over = {k: v for k, v in point.items() if k not in SIMSOM_BOT_KEYS}
            b_over["beta"] = 0.0
            b_point = {k: (b_over[k] if k in b_over else base_params[k]) for k in grid}
            b_sc = scenario.with_overrides(b_over)
            b_setting = setting_digest(b_sc)
            baselines.setdefault(b_setting, (b_point, b_over, b_sc))
        for r, s in enumerate(rep_seeds):
            specs.append(
                RunSpec(setting_digest(sc, s), setting, dict(point), r, s, dict(point), sc,
                        baseline_setting=b_setting)
            )  # fmt: skip
    for b_setting, (b_point, b_over, b_sc) in baselines.items():
        for r, s in enumerate(rep_seeds):
            specs.append(
                RunSpec(setting_digest(b_sc, s), b_setting, dict(b_point), r, s, dict(b_over),
                        b_sc, baseline=True, baseline_setting=b_setting)
            )  # fmt: skip
    # a grid point that is itself a no-bot setting is its own baseline: run it once
    seen: set[str] = set()
    unique = []
    for spec in specs:
        if spec.run not in seen:
            seen.add(spec.run)
            unique.append(spec)
    return unique
