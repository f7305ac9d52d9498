"""One run interface for every model: ``mutuals.run(scenario, seed=...) -> Run``.

:func:`run` takes a scenario (a built-in name, a TOML file, or a
:class:`~mutuals.scenarios.load.Scenario`), normalises the seed once (the
recorded seed is an int: ``run(sc, seed=run.seed)`` gives the same bytes),
builds the model, attaches the recorder of its measures
(:mod:`mutuals.metrics.recorder`), runs it, and returns a :class:`Run`: its
tables, its summary and the manifest that reproduces it
(:func:`mutuals.scenarios.load.scenario_from_manifest`). ``mutuals simulate``
and ``mutuals sweep`` are thin shells over it.

Examples
--------
>>> import mutuals
>>> r = mutuals.run("default", seed=1, overrides={"accounts": 300, "days": 0.25})
>>> r.summary["ticks"], r.manifest["seed"]
(6, 1)
>>> sorted(r.tables)
['accounts', 'exposures', 'posts', 'steps', 'trending']
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from mutuals._random import seed_entropy
from mutuals.scenarios.load import Scenario, load_scenario

__all__ = ["Run", "run"]

Progress = Callable[[int, int], None]


@dataclass
class Run:
    """A finished run: its tables, summary and manifest.

    Attributes
    ----------
    scenario : Scenario
        The scenario as run (overrides applied).
    seed : int
        The run's normalised seed.
    tables : dict of pyarrow.Table
        The model's tables (platform: steps, exposures, posts, accounts,
        trending; SimSoM: timeline, messages).
    summary : dict
        Totals and headline measures.
    manifest : dict
        Everything needed to re-run it (scenario, model, parameters, seed,
        graph, versions).
    model : object
        The model after the run (a :class:`~mutuals.engine.platform.Simulation`
        or a SimSoM result), for interventions and inspection.
    """

    scenario: Scenario
    seed: int
    tables: dict[str, pa.Table]
    summary: dict[str, Any]
    manifest: dict[str, Any]
    model: Any = field(repr=False, default=None)

    def canonical(self) -> dict[str, pa.Table]:
        """The run as canonical tables (``platform = "sim"``), the schema
        ingested data has; platform runs only."""
        if self.scenario.model != "platform":
            raise NotImplementedError("canonical tables are written for platform runs")
        from mutuals.io.simstore import simulation_to_canonical

        return simulation_to_canonical(self.model)

    def write(self, out: str | Path, *, overwrite: bool = False) -> Path:
        """Write the tables and the manifest to the run folder ``out``
        (:func:`mutuals.io.runs.write_run`)."""
        from mutuals.io.runs import write_run

        return write_run(out, self.tables, self.manifest, overwrite=overwrite)


def run(
    scenario: str | Path | Scenario = "default",
    *,
    seed: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    graph: Any = None,
    progress: Progress | None = None,
) -> Run:
    """Run a scenario and return its :class:`Run`.

    Parameters
    ----------
    scenario : str, Path or Scenario
        A built-in name (``default``, ``ranked``, ``simsom``), a TOML file, or
        a scenario object.
    seed : int, optional
        The run's seed; default the scenario's, else fresh entropy (recorded
        in the manifest either way).
    overrides : mapping, optional
        Parameter values to change (checked against their declared ranges).
    graph : LoadedGraph, optional
        Run a platform scenario on a real follow graph
        (:func:`mutuals.graphs.load.load_edgelist`); sets ``accounts``.
    progress : callable(done, total), optional
        Called after each tick (SimSoM: each step, ``total = max_steps``).
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    extra = dict(overrides or {})
    if graph is not None:
        if sc.model != "platform":
            raise ValueError("a graph applies to platform scenarios")
        extra["accounts"] = graph.graph.n_accounts
        mean = graph.graph.n_follows / max(graph.graph.n_accounts, 1)
        extra.setdefault("mean_follows", min(max(mean, 1.0), graph.graph.n_accounts - 1))
    if extra:
        sc = sc.with_overrides(extra)
    run_seed = seed_entropy(seed if seed is not None else sc.seed)
    manifest: dict[str, Any] = {
        "scenario": sc.name,
        "model": sc.model,
        "params": sc.describe_params(),
        "seed": run_seed,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if graph is not None and getattr(graph, "path", None) is not None:
        manifest["graph"] = {
            "path": str(Path(graph.path).resolve()),
            **graph.report,
            "mean_follows": graph.graph.n_follows / graph.graph.n_accounts,
        }
    t0 = time.perf_counter()
    if sc.model == "simsom":
        tables, summary, model = _run_simsom(sc, run_seed, progress, manifest)
    else:
        tables, summary, model = _run_platform(sc, run_seed, progress, graph)
    manifest["summary"] = summary
    manifest["seconds"] = time.perf_counter() - t0
    return Run(sc, run_seed, tables, summary, manifest, model)


def _run_platform(
    sc: Scenario, seed: int, progress: Progress | None, graph: Any
) -> tuple[dict[str, pa.Table], dict[str, Any], Any]:
    from mutuals.engine.platform import Simulation
    from mutuals.metrics.recorder import PlatformRecorder

    sim = Simulation(
        sc.params,
        seed=seed,
        graph=None if graph is None else graph.graph,
        recorder=PlatformRecorder(),
    )
    result = sim.run(progress=progress)
    tables = result.tables
    if graph is not None:  # keep the file's id of each account, so results map back to it
        tables["accounts"] = tables["accounts"].append_column(
            "source_id", pa.array([str(x) for x in graph.labels.tolist()], pa.string())
        )
    return tables, result.summary, sim


def _run_simsom(
    sc: Scenario, seed: int, progress: Progress | None, manifest: dict[str, Any]
) -> tuple[dict[str, pa.Table], dict[str, Any], Any]:
    from mutuals.engine.simsom import run_simsom
    from mutuals.metrics.recorder import SimSoMRecorder

    total = sc.params.max_steps
    r = run_simsom(
        sc.params,
        seed=seed,
        recorder=SimSoMRecorder(),
        progress=None if progress is None else (lambda step, _q: progress(step, total)),
    )
    manifest["network"] = r.network
    return {"timeline": r.timeline, "messages": r.messages}, r.summary(), r
