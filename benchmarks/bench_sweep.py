"""Sweep throughput: runs per minute, serial vs a dask LocalCluster (a benchmark, not a test).

The default platform scenario at 10,000 accounts for 0.25 days, a grid of
``ranking`` (chronological, ranked) x ``p_post`` (0.3, 0.6) times ``--seeds``
replicates, run three ways: in this process one run after another (its
kernels already compiled); on the ``LocalCluster`` the sweep starts (one worker
process per core, one thread each: the wall time includes starting it and
each worker's first run, which loads the compiled kernels); and on an existing,
warmed-up cluster (``scheduler=`` a running cluster, as on SLURM). Prints runs
per minute and wall time of each; checks that all give the same results table.

    python benchmarks/bench_sweep.py [--accounts 10000] [--days 0.25] [--seeds 4] [--workers N]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import mutuals
from mutuals.sweeps import sweep


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=10_000)
    ap.add_argument("--days", type=float, default=0.25)
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    a = ap.parse_args()
    sc = mutuals.load_scenario("default").with_overrides({"accounts": a.accounts, "days": a.days})
    grid: dict[str, list[Any]] = {"ranking": ["chronological", "ranked"], "p_post": [0.3, 0.6]}
    n = 4 * a.seeds
    mutuals.run(sc.with_overrides({"accounts": 300}), seed=0)  # compile this process's kernels
    print(
        f"sweep of the default scenario: {a.accounts:,} accounts, {a.days:g} days,"
        f" {len(grid)} keys x 2 values x {a.seeds} seeds = {n} runs, {os.cpu_count()} cores"
    )
    from dask.distributed import Client, LocalCluster

    def warm() -> None:
        mutuals.run(sc.with_overrides({"accounts": 300}), seed=0)

    tables = []
    with tempfile.TemporaryDirectory() as d:
        for i, (label, kw) in enumerate(
            (
                ("serial (this process)", {"scheduler": "serial"}),
                (f"LocalCluster, cold ({a.workers} x 1 thread)", {"workers": a.workers}),
                (f"LocalCluster, warm ({a.workers} x 1 thread)", None),
            )
        ):
            if kw is None:
                cluster = LocalCluster(
                    n_workers=a.workers, threads_per_worker=1, processes=True,
                    dashboard_address=None,
                    env={"NUMBA_NUM_THREADS": str(max(1, (os.cpu_count() or 1) // a.workers))},
                )  # fmt: skip
                client = Client(cluster)
                client.run(warm)
                kw = {"scheduler": client}
            t0 = time.perf_counter()
            tables.append(
                sweep(sc, grid=grid, seeds=a.seeds, out=Path(d) / str(i), seed=1,
                      progress=False, **kw)
            )  # fmt: skip
            wall = time.perf_counter() - t0
            print(f"  {label:<38} {60 * n / wall:6.1f} runs/min   wall {wall:6.1f} s")
        client.close()
        cluster.close()
    print(f"  identical results tables: {all(t.equals(tables[0]) for t in tables)}")


if __name__ == "__main__":
    main()
