"""Run the thread's claims as experiments: ``mutuals claims``.

Each claim file (:mod:`mutuals.claims.design`) gives a baseline arm and
treatment arms; every arm runs on the same replicate seeds (common random
numbers: replicate ``r`` of every arm of every claim starts from the same
seed, ``SeedSequence(root).spawn(seeds)[r]``, so arms that differ only in a
later event share their population and follow graph). Runs that are the same
scenario and seed in several claims run once. Each run is one task
(:func:`mutuals.sweeps.run.map_tasks`: serial, a ``LocalCluster`` or an
existing dask cluster) that returns only its measures
(:mod:`mutuals.claims.measures`).

Effects (:mod:`mutuals.claims.stats`): per measure and treatment arm, the mean
paired difference (or ratio) over replicates with a 95% t-interval, and the
verdict in the direction the thread claims (:mod:`mutuals.claims.catalogue`).
Nothing here knows which way any claim should come out.

``OUT`` (a folder of kind ``claims``, written through
:class:`~mutuals.io.folders.FolderWriter`): ``claims.json`` (the definition:
claims, arms, root seed, sizes), ``runs/<key>.json`` (one per run: its
manifest, so ``mutuals simulate --from-manifest`` re-runs it, its measures and
summary; the resume point, so a killed ``mutuals claims`` started again runs
only what is missing), ``values.parquet`` (claim, arm,
replicate, seed, measure, value), ``claims.parquet`` (one row per claim,
measure and treatment arm), ``figures/<claim>.svg`` and ``claims.html``.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from mutuals._random import seed_entropy
from mutuals.claims import stats
from mutuals.claims.catalogue import CATALOGUE, Measure
from mutuals.claims.design import SCENARIOS, ClaimFile, load_claim_file
from mutuals.errors import InputError
from mutuals.sweeps.grid import replicate_seeds
from mutuals.sweeps.run import map_tasks, progress_bar

__all__ = [
    "FULL",
    "QUICK",
    "ClaimsResult",
    "claim_task",
    "effects_table",
    "load_claims",
    "run_claims",
]

#: ``--quick``: accounts and replicates.
QUICK = {"accounts": 10_000, "seeds": 3}
#: The default.
FULL = {"accounts": 100_000, "seeds": 10}
DEFINITION = "claims.json"
REPORTED = "reported"  # the verdict of a measure that is not what a claim is about


@dataclass
class ClaimsResult:
    claims: pa.Table
    values: pa.Table
    out: Path
    page: Path


@dataclass(frozen=True)
class _Task:
    key: str
    mapping: dict[str, Any]
    overrides: dict[str, Any]
    seed: int
    measure: tuple[tuple[str, str], ...]  # (claim id, community) pairs to measure

    @property
    def file(self) -> str:
        return f"runs/{self.key}.json"


def load_claims(
    only: Sequence[str] | None = None, scenario_dir: str | Path | None = None
) -> list[ClaimFile]:
    """The claim files of ``scenario_dir`` (default: the packaged ones), by id;
    ``only`` keeps those ids (an unknown one is an error naming the known)."""
    folder = Path(scenario_dir) if scenario_dir is not None else SCENARIOS
    if not folder.is_dir():
        raise InputError(f"--scenario-dir {str(folder)!r} is not a folder")
    files = sorted(folder.glob("*.toml"))
    claims: dict[str, ClaimFile] = {}
    for f in files:
        c = load_claim_file(f)
        if c.id in claims:
            raise InputError(f"{f}: claim {c.id} is also in {claims[c.id].path}")
        if c.id not in CATALOGUE:
            raise InputError(
                f"{f}: claim {c.id!r} has no measures; known claims: {', '.join(CATALOGUE)}"
            )
        claims[c.id] = c
    if not claims:
        raise InputError(f"{str(folder)!r} holds no claim files (*.toml)")
    if only:
        unknown = [c for c in only if c not in claims]
        if unknown:
            raise InputError(
                f"unknown claim(s) {', '.join(unknown)}; there are {', '.join(sorted(claims))}"
            )
        return [claims[c] for c in sorted(set(only), key=_claim_order)]
    return [claims[c] for c in sorted(claims, key=_claim_order)]


def _claim_order(cid: str) -> tuple[int, str]:
    digits = "".join(ch for ch in cid if ch.isdigit())
    return (int(digits) if digits else 10**6, cid)


def _key(mapping: Mapping[str, Any], overrides: Mapping[str, Any], seed: int) -> str:
    doc = json.dumps({"s": mapping, "o": overrides, "seed": seed}, sort_keys=True, default=str)
    return hashlib.sha256(doc.encode()).hexdigest()[:16]


def _community(c: ClaimFile) -> str:
    return c.community


def claim_task(task: _Task) -> dict[str, Any]:
    """Run one run and measure it for every claim that needs it (a dask task)."""
    from mutuals.api import run
    from mutuals.claims.measures import MEASURES
    from mutuals.scenarios.load import scenario_from_mapping

    t0 = time.perf_counter()
    sc = scenario_from_mapping(task.mapping, name=task.key).with_overrides(task.overrides)
    r = run(sc, seed=task.seed)
    measures = {cid: MEASURES[cid](r, comm) for cid, comm in task.measure}
    return {
        # the run's manifest first: `mutuals simulate --from-manifest OUT/runs/KEY.json`
        # re-runs it alone
        **{k: v for k, v in r.manifest.items() if k != "summary"},
        "key": task.key,
        "seed": task.seed,
        "overrides": task.overrides,
        "scenario": task.mapping,
        "measures": measures,
        "summary": {k: v for k, v in r.summary.items() if isinstance(v, int | float)},
        "seconds": time.perf_counter() - t0,
    }


def _plan(
    claims: Sequence[ClaimFile], seeds: Sequence[int], overrides: Mapping[str, Any]
) -> tuple[list[_Task], list[tuple[str, str, int, int, str]]]:
    """The runs (deduplicated) and, per claim, arm and replicate, the run's key."""
    tasks: dict[str, _Task] = {}
    cells = []
    for c in claims:
        for arm, mapping in c.arms.items():
            c.scenario(arm, overrides)  # every arm's parameters checked before any run
            for r, s in enumerate(seeds):
                k = _key(mapping, overrides, s)
                prev = tasks.get(k)
                want = (c.id, _community(c))
                if prev is None:
                    tasks[k] = _Task(k, dict(mapping), dict(overrides), int(s), (want,))
                elif want not in prev.measure:
                    tasks[k] = _Task(
                        k, prev.mapping, prev.overrides, prev.seed, (*prev.measure, want)
                    )
                cells.append((c.id, arm, r, int(s), k))
    return list(tasks.values()), cells


def effects_table(
    claims: Sequence[ClaimFile], values: pa.Table, *, level: float = 0.95
) -> pa.Table:
    """One row per claim, measure and treatment arm (one-arm claims: the arm
    against the measure's null value): effect, interval, verdict."""
    v = values.to_pydict()
    by: dict[tuple[str, str, str], dict[int, float]] = {}
    for cid, arm, rep, meas, val in zip(
        v["claim"], v["arm"], v["replicate"], v["measure"], v["value"], strict=True
    ):
        by.setdefault((cid, arm, meas), {})[rep] = val
    rows: dict[str, list[Any]] = {k: [] for k in _CLAIM_COLUMNS}
    for c in claims:
        for m in CATALOGUE[c.id]:
            if m.kind == "slope":
                for name, arms_s in c.sweeps().items():
                    row = _slope_row(c, m, name, arms_s, by, level)
                    for k in _CLAIM_COLUMNS:
                        rows[k].append(row[k])
                continue
            base = by.get((c.id, c.baseline, m.name), {})
            if m.kind == "one_sample":  # every arm in which it was measured
                arms = [
                    a for a in c.arms
                    if any(np.isfinite(x) for x in by.get((c.id, a, m.name), {}).values())
                ] or [c.baseline]  # fmt: skip
            else:
                arms = c.treatments
            for arm in arms:
                treat = by.get((c.id, arm, m.name), {})
                reps = sorted(set(base) | set(treat))
                t = np.array([treat.get(r, np.nan) for r in reps], float)
                if m.kind == "one_sample":
                    reps = sorted(treat)
                    t = np.array([treat[r] for r in reps], float)
                b = np.array([base.get(r, np.nan) for r in reps], float)
                e = _effect(m, t, b, level)
                verdict = (
                    REPORTED if m.direction == 0 else stats.verdict(e, m.direction, null=m.null)
                )
                row = {
                    "claim": c.id, "title": c.title, "measure": m.name, "unit": m.unit,
                    "baseline": c.baseline if m.kind != "one_sample" else "",
                    "arm": arm, "effect": e.effect, "low": e.low, "high": e.high, "null": m.null,
                    "verdict": verdict, "direction": m.direction, "primary": m.primary,
                    "replicates": e.n, "baseline_mean": e.baseline_mean,
                    "treatment_mean": e.treatment_mean, "method": e.method,
                    "parameters": json.dumps((c.changes or {}).get(arm, {}), sort_keys=True, default=str),
                }  # fmt: skip
                for k in _CLAIM_COLUMNS:
                    rows[k].append(row[k])
    return pa.table(rows, schema=CLAIMS_SCHEMA)


def _slope_row(
    c: ClaimFile,
    m: Measure,
    name: str,
    arms: Sequence[str],
    by: Mapping[tuple[str, str, str], dict[int, float]],
    level: float,
) -> dict[str, Any]:
    """A sweep's row: the slope of ``m`` against ``m.against`` over ``arms``."""
    reps = sorted({r for a in arms for r in by.get((c.id, a, m.name), {})})
    x = np.array([[by.get((c.id, a, m.against), {}).get(r, np.nan) for a in arms] for r in reps])
    y = np.array([[by.get((c.id, a, m.name), {}).get(r, np.nan) for a in arms] for r in reps])
    e = stats.slope_effect(x.reshape(len(reps), len(arms)), y.reshape(len(reps), len(arms)),
                           level=level)  # fmt: skip
    verdict = REPORTED if m.direction == 0 else stats.verdict(e, m.direction, null=0.0)
    return {
        "claim": c.id, "title": c.title, "measure": m.name, "unit": m.unit, "baseline": "",
        "arm": name, "effect": e.effect, "low": e.low, "high": e.high, "null": 0.0,
        "verdict": verdict, "direction": m.direction, "primary": m.primary, "replicates": e.n,
        "baseline_mean": e.baseline_mean, "treatment_mean": e.treatment_mean, "method": e.method,
        "parameters": json.dumps({"series": list(arms), "against": m.against}),
    }  # fmt: skip


def _effect(m: Measure, t: np.ndarray, b: np.ndarray, level: float) -> stats.Effect:
    if m.kind == "one_sample":
        return stats.one_sample_effect(t, null=m.null, level=level)
    if m.kind == "ratio":
        return stats.ratio_effect(t, b, level=level)
    return stats.paired_effect(t, b, level=level)


CLAIMS_SCHEMA = pa.schema(
    [
        ("claim", pa.string()), ("title", pa.string()), ("measure", pa.string()),
        ("unit", pa.string()), ("baseline", pa.string()), ("arm", pa.string()),
        ("effect", pa.float64()), ("low", pa.float64()), ("high", pa.float64()),
        ("null", pa.float64()), ("verdict", pa.string()), ("direction", pa.int8()),
        ("primary", pa.bool_()), ("replicates", pa.int32()), ("baseline_mean", pa.float64()),
        ("treatment_mean", pa.float64()), ("method", pa.string()), ("parameters", pa.string()),
    ]
)  # fmt: skip
_CLAIM_COLUMNS = CLAIMS_SCHEMA.names

VALUES_SCHEMA = pa.schema(
    [
        ("claim", pa.string()), ("arm", pa.string()), ("replicate", pa.int32()),
        ("seed", pa.int64()), ("measure", pa.string()), ("value", pa.float64()),
    ]
)  # fmt: skip


def _values(
    claims: Sequence[ClaimFile],
    cells: Sequence[tuple[str, str, int, int, str]],
    records: Mapping[str, Any],
) -> pa.Table:
    rows: dict[str, list[Any]] = {k: [] for k in VALUES_SCHEMA.names}
    for cid, arm, rep, seed, key in cells:
        measured = records[key]["measures"].get(cid, {})
        for m in CATALOGUE[cid]:
            val = measured.get(m.name, float("nan"))
            for k, x in zip(VALUES_SCHEMA.names, (cid, arm, rep, seed, m.name, val), strict=True):
                rows[k].append(x)
    return pa.table(rows, schema=VALUES_SCHEMA)


def run_claims(
    only: Sequence[str] | None = None,
    *,
    out: str | Path,
    quick: bool = False,
    accounts: int | None = None,
    seeds: int | None = None,
    scenario_dir: str | Path | None = None,
    scheduler: Any = None,
    workers: int | None = None,
    seed: int | None = None,
    overwrite: bool = False,
    progress: bool = True,
    on_message: Callable[[str], None] | None = None,
    command: Sequence[str] = (),
) -> ClaimsResult:
    """Run the claims and write ``OUT`` (see the module docstring).

    ``quick``: 10,000 accounts and 3 replicates (:data:`QUICK`); the default is
    :data:`FULL`; ``accounts`` and ``seeds`` override either. ``scheduler`` as
    in :func:`mutuals.sweeps.run.map_tasks`. ``seed``: the root seed (default:
    the one ``OUT/claims.json`` records when resuming, else fresh entropy).
    """
    from mutuals.io.folders import FolderWriter

    size = dict(QUICK if quick else FULL)
    if accounts is not None:
        size["accounts"] = accounts
    if seeds is not None:
        size["seeds"] = seeds
    for k in ("accounts", "seeds"):
        if (
            isinstance(size[k], bool)
            or not isinstance(size[k], int)
            or size[k] < (2 if k == "seeds" else 100)
        ):
            raise InputError(
                f"{k} must be an integer >= {2 if k == 'seeds' else 100}, got {size[k]!r}"
            )
    claims = load_claims(only, scenario_dir)
    overrides = {"accounts": size["accounts"]}
    note = on_message or (lambda _m: None)
    outp = Path(out)
    with FolderWriter(outp, "claims", overwrite=overwrite, what="--out") as w:
        previous = None
        if DEFINITION in w.previous:
            try:
                previous = json.loads((outp / DEFINITION).read_text())
            except (OSError, ValueError):
                previous = None
        if previous is not None and seed is not None and seed != previous.get("root_seed"):
            raise InputError(
                f"--out {str(outp)!r} holds claims run with root seed {previous.get('root_seed')};"
                " resume without --seed (or with that seed), or choose another folder"
            )
        root = int(previous["root_seed"]) if previous is not None else seed_entropy(seed)
        reps = replicate_seeds(root, size["seeds"])
        tasks, cells = _plan(claims, reps, overrides)
        definition = {
            "format": "mutuals-claims",
            "root_seed": root,
            "seed_derivation": "replicate r of every arm: SeedSequence(root_seed).spawn(seeds)[r]",
            **size,
            "claims": {c.id: {"baseline": c.baseline, "arms": c.arms} for c in claims},
            "command": list(command),
        }
        w.write_text(DEFINITION, json.dumps(definition, indent=2, default=str) + "\n")
        w.commit(keep=w.previous)
        records: dict[str, Any] = {}
        for t in tasks:
            if t.file in w.previous:
                rec = _read(outp / t.file)
                if rec is not None and all(_measured(rec, cid) for cid, _ in t.measure):
                    records[t.key] = rec
        todo = [t for t in tasks if t.key not in records]
        if records:
            note(f"resuming: {len(records)} of {len(tasks)} runs already done, {len(todo)} to run")
        bar = progress_bar(len(tasks), len(records), progress and bool(todo), "claims")
        failed: list[tuple[_Task, BaseException | None]] = []
        last = time.monotonic()
        try:
            for task, rec, exc in map_tasks(
                claim_task, todo, [t.key for t in todo], scheduler, workers
            ):
                if rec is None:
                    failed.append((task, exc))
                    continue
                records[task.key] = rec
                w.write_text(task.file, json.dumps(rec, indent=1, default=str) + "\n")
                if bar is not None:
                    bar.advance(bar.task_ids[0])
                if time.monotonic() - last >= 5.0:
                    w.commit(keep=w.previous)
                    last = time.monotonic()
        finally:
            w.commit(keep=w.previous)
            if bar is not None:
                bar.stop()
        if failed:
            for task, exc in failed[:5]:
                note(f"run {task.key} (seed {task.seed}) failed: {exc}")
            raise InputError(
                f"{len(failed)} of {len(tasks)} runs failed (the others are saved in"
                f" {str(outp)!r}); run the same command again to retry them"
            )
        values = _values(claims, cells, records)
        table = effects_table(claims, values)
        page = _write_outputs(w, claims, table, values, definition, records)
    return ClaimsResult(table, values, outp, page)


def _measured(rec: Mapping[str, Any], cid: str) -> bool:
    """Whether a saved run holds every measure the catalogue now lists for
    ``cid`` (a run measured by an older version is measured again)."""
    got = rec.get("measures", {}).get(cid)
    return isinstance(got, dict) and all(m.name in got for m in CATALOGUE[cid])


def _read(path: Path) -> dict[str, Any] | None:
    try:
        rec = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return rec if isinstance(rec, dict) and isinstance(rec.get("measures"), dict) else None


def _write_outputs(
    w: Any,
    claims: Sequence[ClaimFile],
    table: pa.Table,
    values: pa.Table,
    definition: Mapping[str, Any],
    records: Mapping[str, Any],
) -> Path:
    import pyarrow.parquet as pq

    from mutuals import __version__
    from mutuals.report.claims_page import (
        ClaimSection,
        claim_figure_svg,
        render_claims_page,
    )

    for name, t in (("claims.parquet", table), ("values.parquet", values)):
        tmp = w.temp_file(name)
        pq.write_table(t, tmp, compression="zstd")
        w.stage(name, tmp)
    for c in claims:
        w.write_text(f"figures/{c.id}.svg", claim_figure_svg(c.id, table, values))
    sections = [
        ClaimSection(
            claim=c.id,
            title=c.title,
            says=c.says,
            design=c.design,
            mechanism=c.mechanism,
            notes=f"Scenario file: {c.path.name if c.path else '(in memory)'}; arms: "
            + ", ".join(c.arms)
            + f"; baseline: {c.baseline}.",
        )
        for c in claims
    ]
    seconds = sum(float(r.get("seconds", 0.0)) for r in records.values())
    meta = {
        "accounts": definition["accounts"],
        "replicates": definition["seeds"],
        "root seed": definition["root_seed"],
        "runs": len(records),
        "run time (s, summed over runs)": round(seconds, 1),
        "mutuals": __version__,
        "command": " ".join(definition.get("command", [])) or "mutuals.claims.run_claims",
    }
    w.write_text("claims.html", render_claims_page(table, values, sections, meta=meta))
    w.commit(keep=w.previous)
    return Path(w.path) / "claims.html"
