"""Run a sweep on ``dask.distributed``, one task per run, resumable.

:func:`sweep` runs a scenario over a grid of parameter values times ``N``
replicates (:mod:`mutuals.sweeps.grid` says how each run's seed is derived).

Where the runs go
-----------------
``OUT`` is a mutuals *sweep* folder, written through
:class:`~mutuals.io.folders.FolderWriter` (a folder holding other files is
refused; nothing mutuals did not write is ever replaced):

- ``sweep.json``: the definition (scenario, base parameters, grid, replicates,
  root seed, the runs in order), written before the first run starts;
- ``run-<id>.json``, one per run: the run's manifest as the library made it
  (model, parameters, seed, summary, ...) plus a ``"sweep"`` entry (grid
  point, replicate, seed, the measures that become its row). ``mutuals
  simulate --from-manifest OUT/run-<id>.json`` re-runs that run alone;
- ``results.parquet``: one row per run (:func:`results_table`), written at
  the end; :func:`load_results` rebuilds it from the run files.

Resume, retries
---------------
Each run's file is moved into place atomically (temporary file, rename,
journal: :class:`~mutuals.io.folders.FolderWriter`) by the sweep process as
soon as its task returns, so the per-run files are the sweep's resume point. A
sweep killed at any moment (even by SIGKILL) and started again with the same
arguments reads ``sweep.json`` (its root seed, unless ``seed=`` is given and
differs, which is refused) and runs only the runs whose file is missing. A
task that raises is retried (``retries=``); a task whose worker process dies is
rescheduled by the dask scheduler on another worker (up to
``distributed.scheduler.allowed-failures`` times). A run that still fails is
reported and the sweep ends with an error after every other run finished;
running the same command again retries it.

Tasks return their small record (never the run's tables), so workers need no
access to ``OUT``: a cluster without a shared file system works.
"""

from __future__ import annotations

import json
import math
import os
import signal
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from mutuals._random import seed_entropy
from mutuals.errors import InputError, MutualsError
from mutuals.io.folders import _failpoint as _kill_here
from mutuals.scenarios.load import Scenario, load_scenario
from mutuals.sweeps.grid import RunSpec, check_grid, definition, expand

__all__ = [
    "RETRIES",
    "load_results",
    "map_tasks",
    "progress_bar",
    "results_table",
    "run_task",
    "sweep",
]

#: Times a task that raised is tried again (a dead worker is handled by the
#: scheduler's ``allowed-failures``).
RETRIES = 2
DEFINITION = "sweep.json"
RESULTS = "results.parquet"
#: Seconds between commits of finished runs' files (and always at the end).
COMMIT_EVERY = 0.5
#: Tests only: ``kill-worker-once:PATH`` makes the first task that creates
#: ``PATH`` kill its own process with SIGKILL, as a crashed worker would.
FAILPOINT_ENV = "MUTUALS_SWEEP_FAILPOINT"


# ------------------------------------------------------------------ one task
def _failpoint() -> None:
    fp = os.environ.get(FAILPOINT_ENV, "")
    if fp.startswith("kill-worker-once:"):
        try:
            fd = os.open(fp.split(":", 1)[1], os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return
        os.close(fd)
        os.kill(os.getpid(), signal.SIGKILL)


def _measures(
    model: str, summary: Mapping[str, Any], tables: Mapping[str, pa.Table]
) -> dict[str, Any]:
    """The numbers of a run's row: its summary's (not timings), and for
    platform runs the last ``steps`` row's measures (a name the summary already
    uses becomes ``last_tick_<name>``)."""
    out = {
        k: v for k, v in summary.items() if isinstance(v, int | float) and not k.endswith("seconds")
    }
    if model == "platform":
        steps = tables.get("steps")
        if steps is not None and steps.num_rows:
            for name in steps.column_names:
                if name in ("tick", "day"):
                    continue
                out[f"last_tick_{name}" if name in out else name] = steps.column(name)[-1].as_py()
    return out


def run_task(spec: RunSpec) -> dict[str, Any]:
    """Run one run of a sweep and return its record (manifest plus ``"sweep"``)."""
    _failpoint()
    from mutuals.api import run
    from mutuals.io.runs import environment

    r = run(spec.scenario, seed=spec.seed)
    return {
        **r.manifest,
        "environment": environment(),
        "sweep": {
            "run": spec.run,
            "setting": spec.setting,
            "point": spec.point,
            "replicate": spec.replicate,
            "seed": spec.seed,
            "baseline": spec.baseline,
            "baseline_setting": spec.baseline_setting,
            "measures": _measures(spec.scenario.model, r.summary, r.tables),
        },
    }


# ------------------------------------------------------------------ executors
Outcome = tuple[RunSpec, dict[str, Any] | None, BaseException | None]


def _serial(todo: Sequence[RunSpec]) -> Iterator[Outcome]:
    yield from map_tasks(run_task, todo, [s.run for s in todo], "serial", None)


def _dask(todo: Sequence[RunSpec], scheduler: Any, workers: int | None) -> Iterator[Outcome]:
    yield from map_tasks(run_task, todo, [s.run for s in todo], scheduler, workers)


def map_tasks(
    fn: Callable[[Any], Any],
    items: Sequence[Any],
    keys: Sequence[str],
    scheduler: Any,
    workers: int | None,
) -> Iterator[tuple[Any, Any, BaseException | None]]:
    """``fn`` on every item, one task each; yields ``(item, result, None)`` or
    ``(item, None, exception)`` as tasks finish.

    ``scheduler``: ``"serial"`` (in this process, in order), ``None`` (a
    ``LocalCluster`` of ``workers`` processes, default one per core, one thread
    each), an address or a ``distributed.Client``. A task that raises is tried
    again :data:`RETRIES` times; a dead worker's task is rescheduled. ``keys``
    name the tasks (unique).
    """
    if scheduler == "serial":
        for item in items:
            try:
                yield item, fn(item), None
            except MutualsError as e:
                yield item, None, e
        return
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if isinstance(scheduler, Client):
        client = scheduler
    elif scheduler is None:
        n = workers or os.cpu_count() or 1
        threads = max(1, (os.cpu_count() or 1) // n)
        cluster = LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            env={"NUMBA_NUM_THREADS": str(threads)},  # results do not depend on it
        )
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        by_key = {}
        futures = []
        for item, key in zip(items, keys, strict=True):
            f = client.submit(fn, item, key=f"mutuals-task-{key}", pure=False, retries=RETRIES)
            by_key[f.key] = item
            futures.append(f)
        for f in as_completed(futures):
            item = by_key[f.key]
            if f.status == "finished":
                yield item, f.result(), None
            else:
                yield item, None, f.exception()
            f.release()
    finally:
        if client is not scheduler:
            client.close()
        if cluster is not None:
            cluster.close()


# ------------------------------------------------------------------ the table
def _column(values: list[Any]) -> pa.Array:
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else json.dumps(v) for v in values], pa.string())


def results_table(records: Sequence[Mapping[str, Any]], grid_keys: Sequence[str]) -> pa.Table:
    """One row per run record: ``run``, ``setting``, the grid parameters (the
    values the run ran with), ``replicate``, ``seed``, then the measures (an
    undefined one, NaN in the run's summary, is null); SimSoM
    adds ``baseline``, ``baseline_setting`` and ``relative_quality`` (quality
    divided by the mean quality of the no-bot runs of the same setting over
    the replicates)."""
    cols: dict[str, list[Any]] = {"run": [], "setting": []}
    for k in grid_keys:
        cols[k] = []
    cols["replicate"], cols["seed"] = [], []
    simsom = any(r.get("model") == "simsom" for r in records)
    if simsom:
        cols["baseline"], cols["baseline_setting"] = [], []
    names: list[str] = []
    for r in records:
        for m in r["sweep"]["measures"]:
            if m not in names:
                names.append(m)
    for m in names:
        cols[m] = []
    for r in records:
        s = r["sweep"]
        cols["run"].append(s["run"])
        cols["setting"].append(s["setting"])
        for k in grid_keys:
            cols[k].append(r["params"][k])
        cols["replicate"].append(s["replicate"])
        cols["seed"].append(s["seed"])
        if simsom:
            cols["baseline"].append(bool(s["baseline"]))
            cols["baseline_setting"].append(s["baseline_setting"])
        for m in names:
            v = s["measures"].get(m)
            cols[m].append(None if isinstance(v, float) and math.isnan(v) else v)
    arrays = {k: _column(v) for k, v in cols.items()}
    arrays["replicate"] = pa.array(cols["replicate"], pa.int32())
    arrays["seed"] = pa.array(cols["seed"], pa.int64())
    if simsom:
        base: dict[str, list[float]] = {}
        for setting, q in zip(cols["setting"], cols["quality"], strict=True):
            base.setdefault(setting, []).append(q)
        rel = []
        for b, q in zip(cols["baseline_setting"], cols["quality"], strict=True):
            q0 = base.get(b)
            rel.append(None if not q0 or q is None else q / (sum(q0) / len(q0)))
        arrays["relative_quality"] = pa.array(rel, pa.float64())
    return pa.table(arrays)


def _read_record(path: Path) -> dict[str, Any] | None:
    try:
        rec = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return rec if isinstance(rec, dict) and isinstance(rec.get("sweep"), dict) else None


def _read_definition(out: Path) -> dict[str, Any]:
    d = _read_record_plain(out / DEFINITION)
    if d is None:
        raise InputError(f"{str(out)!r}: {DEFINITION} is missing or damaged: not a sweep folder")
    return d


def _read_record_plain(path: Path) -> dict[str, Any] | None:
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return d if isinstance(d, dict) else None


def load_results(out: str | Path) -> pa.Table:
    """Rebuild a sweep's results table from its per-run files (the runs of its
    ``sweep.json``, in order; runs without a file are left out)."""
    from mutuals.io.folders import folder_kind, recover

    p = Path(out)
    recover(p)
    found = folder_kind(p)
    if found is None or found[0] != "sweep":
        raise InputError(f"{str(p)!r} is not a mutuals sweep folder")
    d = _read_definition(p)
    records = [rec for run in d["runs"] if (rec := _read_record(p / f"run-{run}.json")) is not None]
    return results_table(records, list(d["grid"]))


# ------------------------------------------------------------------ the sweep
def progress_bar(total: int, done: int, enabled: bool, label: str = "sweep") -> Any:
    """A rich progress bar of runs on stderr (None when not ``enabled``)."""
    if not enabled:
        return None
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("runs"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    )
    bar.start()
    bar.add_task("runs", total=total, completed=done)
    return bar


def _jsonable(v: Any) -> Any:
    if isinstance(v, tuple | list):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    return v


def sweep(
    scenario: str | Path | Scenario,
    *,
    grid: Mapping[str, Sequence[Any]],
    seeds: int,
    out: str | Path,
    scheduler: Any = None,
    workers: int | None = None,
    seed: int | None = None,
    overwrite: bool = False,
    progress: bool = True,
    on_message: Callable[[str], None] | None = None,
) -> pa.Table:
    """Run ``scenario`` at every point of ``grid`` times ``seeds`` replicates.

    Parameters
    ----------
    scenario : str, Path or Scenario
        A built-in name, a TOML file or a scenario object (the base).
    grid : dict of list
        Parameter name -> values; the runs are the cartesian product. Every
        value and combination is checked against the declared ranges first.
    seeds : int
        Replicates per grid point (seeds: :mod:`mutuals.sweeps.grid`).
    out : path
        The sweep folder (created; an earlier sweep there is resumed).
    scheduler : None, str or distributed.Client
        ``None``: a ``LocalCluster`` (``workers`` processes, default one per
        core, one thread each); an address (``tcp://host:8786``) or a
        ``Client``: an existing cluster; ``"serial"``: in this process, one run
        after another, without dask.
    workers : int, optional
        Worker processes of the local cluster.
    seed : int, optional
        The root seed; default: the one ``OUT/sweep.json`` records when
        resuming, else fresh entropy (recorded).
    overwrite : bool
        Write into a folder holding files mutuals did not write (beside them).
    progress : bool
        Show a progress bar of runs done on stderr.
    on_message : callable(str), optional
        Receives notes (runs already done, failed runs).

    Returns
    -------
    pyarrow.Table
        The results table, also written to ``OUT/results.parquet``.

    Examples
    --------
    >>> import mutuals, tempfile
    >>> t = mutuals.sweep("simsom", grid={"gamma": [0.001, 0.1]}, seeds=2,
    ...                   out=tempfile.mkdtemp(), scheduler="serial", seed=1,
    ...                   progress=False)  # doctest: +SKIP
    """
    from mutuals.io.folders import FolderWriter

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise InputError(f"seeds must be an integer >= 1, got {seeds!r}")
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise InputError(f"workers must be an integer >= 1, got {workers!r}")
    if workers is not None and scheduler is not None:
        raise InputError("workers applies to the local cluster; an existing cluster has its own")
    grid = {str(k): list(v) for k, v in grid.items()}
    check_grid(sc, grid)
    note = on_message or (lambda _m: None)
    with FolderWriter(out, "sweep", overwrite=overwrite, what="--out") as w:
        outp = Path(out)
        previous = _read_definition(outp) if DEFINITION in w.previous else None
        base = definition(sc)
        if previous is not None:
            if {
                k: previous[k] for k in ("model", "params", "groups", "events") if k in previous
            } != base:
                raise InputError(
                    f"--out {str(outp)!r} holds a sweep of other base parameters"
                    f" (scenario {previous.get('scenario')!r}); choose another folder"
                )
            if seed is not None and seed != previous.get("root_seed"):
                raise InputError(
                    f"--out {str(outp)!r} holds a sweep with root seed {previous.get('root_seed')};"
                    " resume it without --seed (or with that seed), or choose another folder"
                )
            root = int(previous["root_seed"])
        else:
            root = seed_entropy(seed)
        specs = expand(sc, grid, seeds, root)
        record = {
            "scenario": sc.name,
            **base,
            "grid": _jsonable(grid),
            "seeds": seeds,
            "root_seed": root,
            "seed_derivation": "seed(point, r) = SeedSequence(root_seed).spawn(seeds)[r]"
            ".generate_state(1, uint64)[0] >> 1",
            "runs": [s.run for s in specs],
        }
        w.write_text(DEFINITION, json.dumps(record, indent=2, default=str) + "\n")
        w.commit(keep=w.previous)
        done = {s.run for s in specs if s.file in w.previous and _read_record(outp / s.file)}
        todo = [s for s in specs if s.run not in done]
        if done:
            note(f"resuming: {len(done)} of {len(specs)} runs already done, {len(todo)} to run")
        failed: list[tuple[RunSpec, BaseException]] = []
        bar = progress_bar(len(specs), len(done), progress and bool(todo))
        try:
            outcomes = _serial(todo) if scheduler == "serial" else _dask(todo, scheduler, workers)
            _collect(w, outcomes, failed, bar)
        finally:
            if bar is not None:
                bar.stop()
        if failed:
            for spec, exc in failed[:5]:
                note(f"run {spec.run} ({spec.point}, replicate {spec.replicate}) failed: {exc}")
            raise InputError(
                f"{len(failed)} of {len(specs)} runs failed (the others are saved in"
                f" {str(outp)!r}); run the same command again to retry them"
            )
        records = [_read_record(outp / s.file) for s in specs]
        missing = [s.run for s, r in zip(specs, records, strict=True) if r is None]
        if missing:
            raise InputError(
                f"{str(outp)!r}: the result files of runs {missing[:3]} are unreadable"
            )
        table = results_table([r for r in records if r is not None], list(grid))
        import pyarrow.parquet as pq

        tmp = w.temp_file(RESULTS)
        pq.write_table(table, tmp, compression="zstd")
        w.stage(RESULTS, tmp)
        w.commit(keep=w.previous)
    return table


def _collect(w: Any, outcomes: Iterable[Outcome], failed: list[Any], bar: Any) -> None:
    """Write each finished run's file and commit them (at most every
    :data:`COMMIT_EVERY` seconds, and at the end)."""
    last = time.monotonic()
    staged = written = 0
    try:
        for spec, record, exc in outcomes:
            if record is None:
                failed.append((spec, exc))
                continue
            w.write_text(spec.file, json.dumps(record, indent=1, default=str) + "\n")
            staged += 1
            written += 1
            if os.environ.get("MUTUALS_FAILPOINT") == f"sweep-after-{written}":
                w.commit(keep=w.previous)  # kill tests: exactly this many runs saved
                staged = 0
                _kill_here(f"sweep-after-{written}")
            if bar is not None:
                bar.advance(bar.task_ids[0])
            if time.monotonic() - last >= COMMIT_EVERY:
                w.commit(keep=w.previous)
                staged, last = 0, time.monotonic()
    finally:
        if staged:
            w.commit(keep=w.previous)
