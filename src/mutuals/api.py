"""One run interface for every model: ``mutuals.run(scenario, seed=...) -> Run``.

:func:`run` takes a scenario (a built-in name, a TOML file, or a
:class:`~mutuals.scenarios.load.Scenario`), normalises the seed once (the
recorded seed is an int: ``run(sc, seed=run.seed)`` gives the same bytes),
builds the model, attaches the recorder of its measures
(:mod:`mutuals.metrics.recorder`), runs it, and returns a :class:`Run`: its
tables, its summary and the manifest that reproduces it
(:func:`mutuals.scenarios.load.scenario_from_manifest`). ``mutuals simulate``
and ``mutuals sweep`` are thin shells over it.

Checkpoints: ``run(..., checkpoint_every=N, checkpoint_dir=DIR)`` saves the
model whole (:mod:`mutuals.engine.checkpoint`) into ``DIR`` before the first
tick and after every ``N`` ticks (SimSoM: steps), each save one atomic commit
of a :class:`~mutuals.io.folders.FolderWriter` of kind ``checkpoint``, so a
kill at any moment leaves the previous checkpoint whole. :func:`resume`
continues from the last one; the tables are byte for byte those of the run
never interrupted (and checkpoints do not change a run's tables).
``mutuals simulate --checkpoint-every N`` keeps them in ``RUN/checkpoint`` and
removes that folder once the run folder is written.

Examples
--------
>>> import mutuals
>>> r = mutuals.run("default", seed=1, overrides={"accounts": 300, "days": 0.25})
>>> r.summary["ticks"], r.manifest["seed"]
(6, 1)
>>> sorted(r.tables)
['accounts', 'exposures', 'posts', 'steps', 'topic_reads', 'trending']
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from mutuals._random import seed_entropy
from mutuals.errors import InputError
from mutuals.scenarios.load import Scenario, load_scenario

__all__ = ["CHECKPOINT_FOLDER", "Run", "checkpoint_info", "resume", "run"]

#: Where ``mutuals simulate`` keeps a run's checkpoint, inside the run folder.
CHECKPOINT_FOLDER = "checkpoint"

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
        trending, topic_reads, and events when it has any; SimSoM: timeline,
        messages).
    summary : dict
        Totals and headline measures.
    manifest : dict
        Everything needed to re-run it (scenario, model, parameters, seed,
        graph, versions).
    model : object
        The model after the run (a :class:`~mutuals.engine.platform.Simulation`
        or a SimSoM result), for interventions and inspection.
    checkpoint : Path or None
        The folder of the run's last checkpoint, if it made any
        (:meth:`write` removes it once the run is written).
    """

    scenario: Scenario
    seed: int
    tables: dict[str, pa.Table]
    summary: dict[str, Any]
    manifest: dict[str, Any]
    model: Any = field(repr=False, default=None)
    checkpoint: Path | None = None

    def discard_checkpoint(self) -> None:
        """Remove the run's checkpoint folder: a finished run does not need it."""
        if self.checkpoint is not None:
            import shutil

            shutil.rmtree(self.checkpoint, ignore_errors=True)
            self.checkpoint = None

    def canonical(self, *, start: bool = False) -> dict[str, pa.Table]:
        """The run as canonical tables (``platform = "sim"``), the schema
        ingested data has: ``accounts``, ``follows`` (at the end, each with the
        tick it was made), ``posts`` and ``interactions``
        (:func:`mutuals.io.simstore.state_to_canonical`); with ``start``, also
        ``follows_start`` (the graph the run began with, in the ``follows``
        schema). Platform runs only."""
        if self.scenario.model != "platform":
            raise NotImplementedError("canonical tables are written for platform runs")
        from mutuals.io.simstore import simulation_to_canonical

        return simulation_to_canonical(self.model, start=start)

    def write(self, out: str | Path, *, overwrite: bool = False, canonical: bool = True) -> Path:
        """Write the tables and the manifest to the run folder ``out``
        (:func:`mutuals.io.runs.write_run`); with ``canonical`` (platform
        runs), also :meth:`canonical` into ``out/store``, a canonical store."""
        from mutuals.io.runs import write_run

        tables = None
        if canonical and self.scenario.model == "platform":
            from mutuals.io.simstore import simulation_to_canonical

            tables = simulation_to_canonical(self.model, start=True, chunked=True)
        path = write_run(out, self.tables, self.manifest, overwrite=overwrite, canonical=tables)
        self.discard_checkpoint()
        return path


def run(
    scenario: str | Path | Scenario = "default",
    *,
    seed: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    graph: Any = None,
    progress: Progress | None = None,
    checkpoint_every: int | None = None,
    checkpoint_dir: str | Path | None = None,
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
    checkpoint_every : int, optional
        Save a checkpoint into ``checkpoint_dir`` before the first tick and
        after every ``checkpoint_every`` ticks (SimSoM: steps); continue a
        killed run with :func:`resume`. Both or neither must be given.
    checkpoint_dir : path, optional
        The checkpoint folder (``mutuals simulate`` uses ``RUN/checkpoint``);
        one that holds another run's checkpoint is refused.
    """
    if (checkpoint_every is None) != (checkpoint_dir is None):
        raise InputError("give checkpoint_every and checkpoint_dir together, or neither")
    if checkpoint_every is not None and (
        isinstance(checkpoint_every, bool)
        or not isinstance(checkpoint_every, int)
        or checkpoint_every < 1
    ):
        raise InputError(f"checkpoint_every must be a whole number >= 1, got {checkpoint_every!r}")
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
        **sc.describe(),
        "seed": run_seed,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if graph is not None and getattr(graph, "path", None) is not None:
        manifest["graph"] = {
            "path": str(Path(graph.path).resolve()),
            **graph.report,
            "mean_follows": graph.graph.n_follows / graph.graph.n_accounts,
        }
    if checkpoint_every is not None:
        manifest["checkpoint_every"] = checkpoint_every
    t0 = time.perf_counter()
    with contextlib.ExitStack() as stack:
        ck = None
        if checkpoint_dir is not None and checkpoint_every is not None:
            ck = stack.enter_context(_Checkpoints(Path(checkpoint_dir), checkpoint_every))
        clock = _Clock(t0)
        if sc.model == "simsom":
            from mutuals.engine.simsom import SimSoMModel
            from mutuals.metrics.recorder import SimSoMRecorder

            model = SimSoMModel(sc.params, seed=run_seed, recorder=SimSoMRecorder())
            tables, summary, result = _drive_simsom(model, progress, ck, manifest, clock, True)
        else:
            from mutuals.engine.platform import Simulation
            from mutuals.metrics.recorder import PlatformRecorder

            sim = Simulation(
                sc.params,
                seed=run_seed,
                graph=None if graph is None else graph.graph,
                recorder=PlatformRecorder(),
                events=sc.events,
                groups=sc.groups,
            )
            labels = None if graph is None else graph.labels
            tables, summary, result = _drive_platform(
                sim, labels, progress, ck, manifest, clock, True
            )
    manifest["summary"] = summary
    manifest["seconds"] = clock.seconds()
    return Run(sc, run_seed, tables, summary, manifest, result, None if ck is None else ck.folder)


def resume(run_dir: str | Path, *, progress: Progress | None = None) -> Run:
    """Continue a run from its last checkpoint and return its :class:`Run`.

    Parameters
    ----------
    run_dir : path
        A run folder holding ``checkpoint/`` (as ``mutuals simulate
        --checkpoint-every`` leaves it), or a checkpoint folder itself.
    progress : callable(done, total), optional
        As for :func:`run`; the first call reports the tick after the checkpoint's.

    The run goes on saving checkpoints at the recorded interval into the same
    folder. Its tables are byte for byte those of the run never interrupted.
    Raises :class:`~mutuals.errors.InputError` in one line when there is no
    checkpoint, when it is damaged, or when it was written by another version
    of mutuals (or of NumPy, Numba), or when its state is of another model than
    it records.
    A resume under edited source of the same version goes on and is recorded
    in the manifest (``resumed_under_other_code``).
    """
    from mutuals.errors import ConfigError
    from mutuals.scenarios.load import scenario_from_mapping

    folder = _checkpoint_folder(Path(run_dir))
    t0 = time.perf_counter()
    with _Checkpoints(folder, None) as ck:
        cp = ck.load()
        meta, objects = cp.meta, cp.objects
        manifest = dict(meta["manifest"])
        model_kind = manifest.get("model")
        try:
            recorded = {k: manifest[k] for k in ("groups", "events") if k in manifest}
            sc = scenario_from_mapping(
                {"scenario": model_kind, str(model_kind): manifest["params"], **recorded},
                name=str(manifest.get("scenario")),
            )
        except (ConfigError, KeyError, TypeError) as e:
            raise InputError(
                f"{folder}: the checkpoint's scenario does not load under this mutuals ({e}):"
                " start the run again"
            ) from None
        sc = dataclasses.replace(sc, seed=manifest.get("seed"))
        ck.every = int(meta["every"])
        clock = _Clock(t0, before=float(meta.get("seconds", 0.0)))
        manifest.setdefault("resumed_from", []).append(int(meta["tick"]))
        from mutuals.engine.checkpoint import code_digest

        if cp.code != code_digest():  # an edited working copy: the tables may differ
            manifest.setdefault("resumed_under_other_code", []).append(
                {"tick": int(meta["tick"]), "written_by": cp.code, "resumed_by": code_digest()}
            )
        if sc.model == "simsom":
            from mutuals.engine.simsom import SimSoMModel

            model = objects.get("model")
            _check_model(folder, model, SimSoMModel, sc)
            tables, summary, result = _drive_simsom(model, progress, ck, manifest, clock, False)
        else:
            from mutuals.engine.platform import Simulation

            sim = objects.get("sim")
            _check_model(folder, sim, Simulation, sc)
            tables, summary, result = _drive_platform(
                sim,
                objects.get("labels"),
                progress,
                ck,
                manifest,
                clock,
                False,
                float(meta.get("run_seconds", 0.0)),
            )
    manifest["summary"] = summary
    manifest["seconds"] = clock.seconds()
    return Run(sc, int(manifest["seed"]), tables, summary, manifest, result, folder)


def checkpoint_info(run_dir: str | Path) -> dict[str, Any]:
    """What the last checkpoint of ``run_dir`` records (scenario, model, seed,
    ``tick`` of ``total``, interval ``every``, the run's manifest), checked
    as :func:`resume` checks it, without loading the state."""
    from mutuals.engine.checkpoint import read_meta

    folder = _checkpoint_folder(Path(run_dir))
    return {**read_meta(folder)["meta"], "folder": str(folder)}


# -- checkpoints ---------------------------------------------------------------------


class _Clock:
    """Seconds since the run started, over every resumed part."""

    def __init__(self, t0: float, before: float = 0.0) -> None:
        self.t0, self.before = t0, before

    def seconds(self) -> float:
        return self.before + time.perf_counter() - self.t0


def _checkpoint_folder(run_dir: Path) -> Path:
    """The checkpoint folder of a run folder (or the folder itself, if it is one)."""
    from mutuals.io.folders import folder_kind, recover

    if not run_dir.is_dir():
        raise InputError(f"{str(run_dir)!r} is not a folder: nothing to resume")
    kind = folder_kind(run_dir)
    folder = (
        run_dir if kind is not None and kind[0] == "checkpoint" else run_dir / CHECKPOINT_FOLDER
    )
    if not folder.is_dir():
        done = (run_dir / "manifest.json").is_file()
        raise InputError(
            f"{str(run_dir)!r} holds no checkpoint"
            + (
                ": it is a finished run, nothing to resume"
                if done
                else " (a run saves one with --checkpoint-every N); nothing to resume"
            )
        )
    recover(folder)
    from mutuals.engine.checkpoint import META_FILE

    if not (folder / META_FILE).is_file():
        raise InputError(
            f"{str(folder)!r} holds no complete checkpoint: the run stopped before its first"
            " checkpoint was written; start it again"
        )
    return folder


def _check_model(folder: Path, model: Any, cls: type, sc: Scenario) -> None:
    """The state holds the model its record names (the state's parameters
    may differ from the scenario's: an event can switch a platform policy)."""
    if not isinstance(model, cls):
        raise InputError(
            f"{folder}: the checkpoint holds no {cls.__name__}, yet records a {sc.model}"
            " scenario: it is damaged; start the run again"
        )


class _Checkpoints:
    """The checkpoint folder of one run: each save is one commit of a
    :class:`~mutuals.io.folders.FolderWriter` of kind ``checkpoint``."""

    def __init__(self, folder: Path, every: int | None) -> None:
        self.folder = folder
        self.every = every or 0
        self.fresh = every is not None
        self._writer: Any = None

    def __enter__(self) -> _Checkpoints:
        from mutuals.engine.checkpoint import META_FILE
        from mutuals.io.folders import FolderWriter

        self._writer = FolderWriter(self.folder, "checkpoint", what="the checkpoint folder")
        self._writer.__enter__()
        if self.fresh and META_FILE in self._writer.previous:
            self._writer.__exit__(None, None, None)
            raise InputError(
                f"{str(self.folder)!r} holds the checkpoint of an unfinished run: continue it"
                " (`mutuals simulate --resume RUN`, mutuals.resume), or remove the folder to"
                " start afresh"
            )
        return self

    def __exit__(self, *exc: Any) -> None:
        self._writer.__exit__(*exc)

    def load(self) -> Any:
        from mutuals.engine.checkpoint import load

        return load(self.folder)

    def due(self, done: int, finished: bool) -> bool:
        return not finished and done % self.every == 0

    def save(self, objects: Mapping[str, Any], meta: Mapping[str, Any], tick: int) -> None:
        from mutuals.engine.checkpoint import META_FILE, STATE_FILE, dump, scoped_failpoint

        w = self._writer
        try:
            with scoped_failpoint(f"checkpoint-{tick}"):
                st, mt = w.temp_file(STATE_FILE), w.temp_file(META_FILE)
                with open(st, "wb") as fs, open(mt, "w", encoding="utf-8") as fm:
                    dump(objects, meta, fs, fm)
                w.stage(STATE_FILE, st)
                w.stage(META_FILE, mt)
                w.commit(last=META_FILE)
        except OSError as e:
            raise InputError(
                f"cannot write the checkpoint to {str(self.folder)!r}: {e.strerror or e}"
            ) from None


def _meta(
    manifest: Mapping[str, Any],
    clock: _Clock,
    ck: _Checkpoints,
    tick: int,
    total: int,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "manifest": dict(manifest),
        "tick": tick,
        "total": total,
        "every": ck.every,
        "seconds": clock.seconds(),
        **extra,
    }


def _failpoint(name: str) -> None:
    from mutuals.io.folders import _failpoint as fp

    fp(name)


def _drive_platform(
    sim: Any,
    labels: Any,
    progress: Progress | None,
    ck: _Checkpoints | None,
    manifest: dict[str, Any],
    clock: _Clock,
    fresh: bool,
    run_before: float = 0.0,
) -> tuple[dict[str, pa.Table], dict[str, Any], Any]:
    """Run a :class:`~mutuals.engine.platform.Simulation` to its last tick,
    saving checkpoints (a fresh run's first before its first tick);
    ``run_before`` is the seconds of ticks run before a resume."""
    total = sim.params.ticks
    objects = {"sim": sim, "labels": labels}
    loop_t0 = time.perf_counter()

    def save() -> None:
        assert ck is not None
        run_seconds = run_before + time.perf_counter() - loop_t0
        ck.save(
            objects, _meta(manifest, clock, ck, sim.tick, total, run_seconds=run_seconds), sim.tick
        )

    if ck is not None and fresh:
        save()

    def on_tick(done: int, total_: int) -> None:
        if ck is not None and ck.due(done, done >= total_):
            save()
        _failpoint(f"tick-{done}")
        if progress is not None:
            progress(done, total_)

    result = sim.run(progress=on_tick)
    if run_before:
        result.summary["run_seconds"] += run_before
    tables = result.tables
    if labels is not None:  # keep the file's id of each account, so results map back to it
        ids: list[str | None] = [str(x) for x in labels.tolist()]
        ids += [None] * (tables["accounts"].num_rows - len(ids))  # accounts events added
        tables["accounts"] = tables["accounts"].append_column(
            "source_id", pa.array(ids, pa.string())
        )
    return tables, result.summary, sim


def _drive_simsom(
    model: Any,
    progress: Progress | None,
    ck: _Checkpoints | None,
    manifest: dict[str, Any],
    clock: _Clock,
    fresh: bool,
) -> tuple[dict[str, pa.Table], dict[str, Any], Any]:
    """Run a :class:`~mutuals.engine.simsom.SimSoMModel` until it stops,
    saving checkpoints (a fresh run's first before its first step)."""
    total = model.params.max_steps
    objects = {"model": model}

    def save() -> None:
        assert ck is not None
        step = model.state.step
        ck.save(objects, _meta(manifest, clock, ck, step, total), step)

    if ck is not None and fresh:
        save()

    def on_step(step: int, _q: float) -> None:
        if ck is not None and ck.due(step, model.finished):
            save()
        _failpoint(f"tick-{step}")
        if progress is not None:
            progress(step, total)

    r = model.run(progress=on_step)
    manifest["network"] = r.network
    return {"timeline": r.timeline, "messages": r.messages}, r.summary(), r
