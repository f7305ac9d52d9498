"""``mutuals analyze`` beyond memory: what can be measured when the follows do not fit.

:func:`analyze_out_of_core` measures a store without holding its follows
(:mod:`mutuals.metrics.outofcore`): accounts and follows counted, degree
distributions, reciprocity and the E-I index of the data's community labels
exactly, by DuckDB queries that spill to a temporary folder inside the
output folder; clustering by wedge sampling with a Hoeffding interval; and
Louvain on the subgraph of the highest-degree accounts that fits. Every
figure that is not exact carries ``"estimated": true``, its ``method`` and
its ``interval`` (or, where no sampling interval exists, ``"interval": null``
and why). The analysis folder holds ``summary.json``,
``degree_distribution.parquet``, ``account_degrees.parquet`` (every account's
followers and friends, written by DuckDB out of core), and when there are
communities ``ei_by_community.parquet`` and ``core_communities.parquet``,
written through :class:`~mutuals.io.folders.FolderWriter` as one
transaction.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from mutuals.errors import InputError
from mutuals.io.folders import FolderWriter
from mutuals.io.store import Store, open_store
from mutuals.report._json import json_safe
from mutuals.report.analyze import _f, graph_lines

__all__ = ["OutOfCoreAnalysis", "analyze_out_of_core", "format_ooc_summary"]

#: What the in-memory analysis measures that this route does not, and why.
NOT_MEASURED = {
    "home_feed": "rebuilding home feeds merges every account's friends' posts in memory",
    "reach": "reach against followers gathers every post's author's followers in memory",
    "hashtags": "left to the in-memory analysis with the rest of the posts measures",
    "outside_exposure": "weights every follow by its friend's posts in memory",
    "leaning_homophily": "averages every account's friends' leanings in memory",
    "campaign_effect": "matches adopters over the follows and posts in memory",
}


@dataclass
class OutOfCoreAnalysis:
    """Result of :func:`analyze_out_of_core`: the JSON-able ``summary``, the
    files written and the wall seconds of each step."""

    summary: dict[str, Any]
    written: list[Path] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def _figure(
    value: float, interval: tuple[float, float] | None, method: str, **more: Any
) -> dict[str, Any]:
    d: dict[str, Any] = {"value": value, "estimated": True, "method": method}
    d["interval"] = list(interval) if interval is not None else None
    d.update(more)
    return d


def analyze_out_of_core(
    store: str | Path | Store,
    out: str | Path,
    *,
    seed: int = 0,
    memory_bytes: int,
    clustering_error: float = 0.005,
    confidence: float = 0.95,
    resolution: float = 1.0,
    threads: int | None = None,
    overwrite: bool = False,
    why: str | None = None,
    meta: Mapping[str, Any] | None = None,
) -> OutOfCoreAnalysis:
    """Measure ``store`` out of core and write the analysis folder ``out``.

    Parameters
    ----------
    store : path or Store
        A canonical store (or a run folder, for its store).
    out : path
        The analysis folder (kind ``"analysis"``: a store, a run or a folder of
        files mutuals did not write is refused; ``overwrite`` writes beside such
        files and never replaces one).
    seed : int
        Seed of the wedge draws and of Louvain's node order.
    memory_bytes : int
        Memory the analysis may use: half goes to DuckDB's ``memory_limit``
        (at least 64 MiB, which DuckDB needs to run); wedge sampling holds the
        undirected CSR when it fits in the other half
        (else DuckDB finds the wedges), and the Louvain subgraph is sized to it (:func:`mutuals.metrics.outofcore.fits_in_memory`'s
        bytes per follow row size the subgraph).
    clustering_error, confidence : float
        The clustering estimates are within ``clustering_error`` of the truth
        with probability ``confidence`` (wedges drawn:
        :func:`mutuals.metrics.outofcore.wedges_for`).
    resolution : float
        Modularity resolution of Louvain.
    threads : int, optional
        DuckDB's threads (figures do not depend on it).
    why : str, optional
        Why this route was taken (recorded in the summary).
    meta : mapping, optional
        Recorded in the summary's ``route`` section (the store, the command).
    """
    import duckdb

    from mutuals.metrics import outofcore as oc

    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}")
    samples = oc.wedges_for(clustering_error, confidence)
    s = store if isinstance(store, Store) else open_store(store)
    check = oc.fits_in_memory(s, memory_bytes)
    duck = max(memory_bytes // 2, 64 * 2**20)
    half = memory_bytes // 2  # for the arrays held here: the CSR, the Louvain subgraph
    timings: dict[str, float] = {}

    @contextmanager
    def step(name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        yield
        timings[name] = time.perf_counter() - t0

    summary: dict[str, Any] = {
        "inputs": dict(check.rows),
        "route": {
            "route": "out-of-core",
            "why": why or "asked for (--out-of-core)",
            "in_memory_need_bytes": check.need_bytes,
            "memory_bytes": memory_bytes,
            "in_memory_fits": check.fits,
            "duckdb_memory_limit_bytes": duck,
            "exact": "counts, degrees, reciprocity and the E-I index of the data's labels are "
            "exact (DuckDB over the Parquet files); figures marked estimated are not",
            **dict(meta or {}),
        },
        "settings": {
            "seed": seed,
            "resolution": resolution,
            "clustering_error": clustering_error,
            "confidence": confidence,
        },
    }
    tables: dict[str, pa.Table] = {}
    with FolderWriter(out, "analysis", overwrite=overwrite, what="--out") as w:
        tmp = w.temp_dir()
        degree_file = w.temp_file("account_degrees.parquet")
        try:
            _measure(s, check, tmp, duck, half, threads, degree_file, samples, seed,
                     confidence, resolution, summary, tables, step)  # fmt: skip
        except duckdb.Error as e:  # out of memory or of disk for the spill files
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise InputError(
                f"out-of-core analysis: DuckDB stopped ({first}); give it more --memory, or "
                f"free disk space under {str(w.path)!r} for its spill files"
            ) from None
        summary["not_measured"] = {
            k: f"not measured out of core: {v}" for k, v in NOT_MEASURED.items()
        }
        summary["timings"] = {k: round(v, 4) for k, v in timings.items()}
        summary = json_safe(summary)
        try:
            w.stage("account_degrees.parquet", degree_file)
            for name, table in tables.items():
                t = w.temp_file(f"{name}.parquet")
                pq.write_table(table, t)
                w.stage(f"{name}.parquet", t)
            w.write_text("summary.json", json.dumps(summary, indent=2, allow_nan=False) + "\n")
            written = w.commit(last="summary.json")
        except OSError as e:
            raise InputError(
                f"cannot write the analysis to {str(w.path)!r}: {e.strerror or e}"
            ) from None
    return OutOfCoreAnalysis(summary, written, timings)


def _measure(
    s: Store,
    check: Any,
    tmp: Path,
    duck: int,
    half: int,
    threads: int | None,
    degree_file: Path,
    samples: int,
    seed: int,
    confidence: float,
    resolution: float,
    summary: dict[str, Any],
    tables: dict[str, pa.Table],
    step: Any,
) -> None:
    """The measures of :func:`analyze_out_of_core`, into ``summary`` and ``tables``."""
    from mutuals.metrics import graph as mg
    from mutuals.metrics import outofcore as oc
    from mutuals.metrics import tails as mt

    with oc.OutOfCore(s, tmp, duck, threads) as db:
        with step("index"):
            c = db.prepare()
        gs: dict[str, Any] = {
            "accounts": c.accounts,
            "accounts_listed": c.accounts_listed,
            "accounts_only_in_follows": c.accounts - c.accounts_listed,
            "follows": c.follows,
            "follow_rows": c.follow_rows,
            "duplicate_follows": c.duplicates,
            "self_follows": c.self_follows,
        }
        with step("account_degrees"):
            db.con.execute(
                f"COPY ({oc.account_degrees_sql()}) TO '{oc._sql_str(degree_file)}' "
                "(FORMAT parquet)"
            )
        if c.follows:
            with step("reciprocity"):
                gs["reciprocity"] = asdict(oc.reciprocity(db))
            with step("degrees"):
                deg = oc.degrees(db)
                tables["degree_distribution"] = deg.table
                for key, d in (("in_degree", deg.in_degree), ("out_degree", deg.out_degree)):
                    gs[key] = asdict(mg.degree_summary(d))
                    xmin = gs[key]["power_law"]["xmin"]
                    gs[key]["tail_test"] = (
                        {"test": "Vuong likelihood ratio, power law vs lognormal (Clauset "
                         "et al. 2009)", **asdict(mt.compare_power_law_lognormal(d, xmin=xmin))}
                        if math.isfinite(xmin)
                        else {"available": False, "reason": "no power-law tail was fitted"}
                    )  # fmt: skip
                del deg
            with step("clustering"):
                gs["clustering"] = _clustering(db, check, half, samples, seed, confidence)
            with step("communities"):
                # bytes per follow row of indexing the subgraph and its Louvain
                # (oc.CORE_BYTES_PER_FOLLOW_ROW: measured, with room)
                core_budget = half // oc.CORE_BYTES_PER_FOLLOW_ROW
                core = oc.core_communities(db, int(core_budget), seed=seed, resolution=resolution)
                gs["communities"] = _communities(core, c)
                if core.accounts:
                    tables["core_communities"] = core.labels
        else:
            gs["available"] = False
            gs["reason"] = "no follow edges in the data"
            core = None
        summary["graph"] = gs
        with step("isolation"):
            summary["isolation"] = _isolation(db, core, tables)


def _clustering(
    db: Any, check: Any, budget: int, samples: int, seed: int, confidence: float
) -> dict[str, Any]:
    from mutuals.metrics import outofcore as oc

    if check.csr_bytes <= budget:  # the undirected graph's CSR fits: closure in Numba
        indptr, indices = oc.undirected_csr(db)
        e = oc.estimate_clustering((indptr, indices), samples, seed, confidence)
        del indptr, indices
        closure = "binary search in the undirected graph's CSR held in memory (Numba)"
    else:  # the same draws and wedges, their ends and closure found by DuckDB
        e = oc.estimate_clustering_ooc(db, samples, seed, confidence)
        closure = (
            f"DuckDB joins over the undirected pairs on disk (the CSR would need "
            f"{_gb(check.csr_bytes)}, more than the {_gb(budget)} left beside DuckDB)"
        )
    how = oc.ClusteringEstimate.METHOD
    more = {"confidence": e.confidence, "samples": e.samples, "bound": e.bound}
    return {
        "method": how,
        "transitivity": _figure(e.transitivity, e.transitivity_interval, how, **more),
        "average": _figure(e.average, e.average_interval, how, **more),
        "triangles": _figure(
            e.triangles,
            e.triangles_interval,
            how + "; triangles = transitivity x wedges / 3",
            **more,
        ),
        "wedges": e.wedges,
        "accounts_degree_2": e.nodes_degree_2,
        "undirected_edges": e.edges,
        "closure": closure,
        "seed": seed,
    }


def _communities(core: Any, c: Any) -> dict[str, Any]:
    if core.accounts == 0:
        return {
            "available": False,
            "reason": "no account's follows fit in the memory left beside DuckDB",
        }
    comm = core.communities
    whole = core.follows == c.follows
    sizes = comm.sizes
    method = (
        "louvain (Blondel et al. 2008), undirected projection, on the subgraph induced by the "
        f"{core.accounts:,} accounts of highest degree (followers + friends >= "
        f"{core.min_degree:,}) whose follows fit: {core.follows:,} of {c.follows:,} follows"
    )
    d: dict[str, Any] = {
        "estimated": not whole,
        "method": method,
        "subgraph": {
            "accounts": core.accounts,
            "follows": core.follows,
            "max_follows": core.max_follows,
            "min_degree": core.min_degree,
            "share_of_accounts": core.accounts / c.accounts if c.accounts else None,
            "share_of_follows": core.follows / c.follows if c.follows else None,
        },
        "seed": comm.seed,
        "resolution": comm.resolution,
        "count": comm.n_communities,
        "non_singleton": int((sizes > 1).sum()),
        "largest": [int(x) for x in sizes[:10]],
        "modularity": comm.modularity,
        "interval": None,
    }
    d["interval_reason"] = (
        "the subgraph holds every follow: the figures are the whole graph's (accounts "
        "without a follow are left out; in memory each is a community of its own)"
        if whole
        else "the subgraph is the highest-degree accounts, not a random sample: there is no "
        "sampling interval; the figures describe that subgraph (accounts outside it have no "
        "community)"
    )
    return d


def _isolation(db: Any, core: Any, tables: dict[str, pa.Table]) -> dict[str, Any]:
    from mutuals.metrics import outofcore as oc

    ei = oc.ei_index(db)
    source = "accounts.community"
    whole = False
    if ei is None and core is not None and core.accounts:
        ei = oc.ei_index(db, core.labels)
        whole = core.follows == db.prepare().follows
        source = (
            "louvain on the whole graph (every follow fit)"
            if whole
            else "louvain on the highest-degree subgraph"
        )
    if ei is None:
        return {
            "available": False,
            "reason": "no follow edges and no accounts.community labels in the data",
        }
    tables["ei_by_community"] = ei.per_community
    d: dict[str, Any] = {"communities_from": source}
    figure = {
        "ei": ei.ei,
        "external": ei.external,
        "internal": ei.internal,
        "unlabelled": ei.unlabelled,
    }
    if source == "accounts.community" or whole:
        d["ei_index"] = {**figure, "estimated": False}
    else:
        d["ei_index"] = {
            **figure,
            "estimated": True,
            "method": "Krackhardt & Stern's E-I index over the follows between accounts of "
            "the Louvain subgraph (the other follows are unlabelled)",
            "interval": None,
            "interval_reason": "the subgraph is not a random sample: no sampling interval",
        }
    return d


def _gb(nbytes: float) -> str:
    return f"{nbytes / 1e9:.1f} GB"


def _est(d: Mapping[str, Any], digits: int = 3) -> str:
    lo, hi = d.get("interval") or (None, None)
    return f"{_f(d.get('value'), digits)} [{_f(lo, digits)}, {_f(hi, digits)}] (estimated)"


def format_ooc_summary(summary: Mapping[str, Any]) -> str:
    """A readable text rendering of an out-of-core summary."""
    lines: list[str] = []
    add = lines.append
    inp = summary.get("inputs", {})
    add("inputs: " + ", ".join(f"{k} {_f(v)}" for k, v in inp.items()))
    r = summary.get("route", {})
    add(f"route: out of core ({r.get('why')})")
    g = summary.get("graph", {})
    add("")
    add("follow graph (counted out of core, exact unless marked estimated)")
    lines += graph_lines(g, tail_detail=False)
    if g.get("available") is not False:
        cl = g.get("clustering", {})
        if cl.get("available") is False:
            add(f"  clustering: not available ({cl.get('reason')})")
        else:
            conf = cl.get("transitivity", {}).get("confidence")
            add(
                f"  clustering by wedge sampling ({_f(cl.get('transitivity', {}).get('samples'))} "
                f"wedges, {_f(conf, 2)} intervals): transitivity {_est(cl.get('transitivity', {}))}"
                f", average {_est(cl.get('average', {}))}"
            )
        cm = g.get("communities", {})
        sub = cm.get("subgraph", {})
        if cm.get("available") is False:
            add(f"  communities: not available ({cm.get('reason')})")
        else:
            add(
                f"  communities (louvain, seed {cm.get('seed')}) on the {_f(sub.get('accounts'))} "
                f"highest-degree accounts ({_f(sub.get('follows'))} follows): "
                f"{_f(cm.get('count'))} ({_f(cm.get('non_singleton'))} non-singleton), largest "
                f"{cm.get('largest', [])[:5]}, modularity {_f(cm.get('modularity'))}"
                + (" (estimated: that subgraph only)" if cm.get("estimated") else "")
            )
    iso = summary.get("isolation", {})
    add("")
    if iso.get("available") is False:
        add(f"isolation: not available ({iso.get('reason')})")
    else:
        e = iso.get("ei_index", {})
        add(
            f"isolation (communities from {iso.get('communities_from')}): E-I index "
            f"{_f(e.get('ei'))} (external {_f(e.get('external'))}, internal "
            f"{_f(e.get('internal'))}, unlabelled {_f(e.get('unlabelled'))})"
            + (" (estimated: the subgraph's follows only)" if e.get("estimated") else "")
        )
    add("")
    add("not measured out of core: " + ", ".join(summary.get("not_measured", {})))
    tm = summary.get("timings", {})
    if tm:
        add("")
        add("time: " + ", ".join(f"{k} {v:.2f}s" for k, v in tm.items()))
    return "\n".join(lines)
