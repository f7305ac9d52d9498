"""Benchmark: `analyze` on the SNAP ego-Twitter combined graph (81k accounts, 1.77M follows).

Prints wall time per measure and peak RSS. Not a test.

    PYTHONPATH=src python benchmarks/bench_analyze.py [PATH_TO_twitter_combined.txt.gz]

The edge list is read here with a small numpy loader (``follower friend`` per
line, as SNAP documents: "a follows b"); the project's SNAP reader lives in
``mutuals.io.readers`` once it exists.
"""

from __future__ import annotations

import gzip
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from mutuals.io.store import write_store
from mutuals.report.analyze import analyze_store, format_summary, write_analysis

DEFAULT = (
    Path(os.environ.get("MUTUALS_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared/data"))
    / "graph-snap-ego-twitter"
    / "twitter_combined.txt.gz"
)


def load_snap(path: Path) -> pa.Table:
    with gzip.open(path, "rb") as fh:
        edges = np.loadtxt(fh, dtype=np.int64, ndmin=2)
    return pa.table(
        {
            "platform": pa.array(np.full(len(edges), "graph", dtype=object), pa.string()),
            "follower_id": pa.array(edges[:, 0]).cast(pa.string()),
            "friend_id": pa.array(edges[:, 1]).cast(pa.string()),
            "source": pa.array(np.full(len(edges), "snap", dtype=object), pa.string()),
        }
    )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    t0 = time.perf_counter()
    follows = load_snap(path)
    t_load = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "snap"
        t0 = time.perf_counter()
        write_store(store, {"follows": follows})
        t_store = time.perf_counter() - t0
        # warm the Numba kernels (compiled once and cached) so timings show the measures
        t0 = time.perf_counter()
        from mutuals.report.analyze import analyze_tables

        analyze_tables({"follows": follows.slice(0, 1000)}, n_boot=0)
        t_warm = time.perf_counter() - t0
        t0 = time.perf_counter()
        result = analyze_store(store, seed=0)
        t_analyze = time.perf_counter() - t0
        t0 = time.perf_counter()
        write_analysis(result, Path(tmp) / "out")
        t_write = time.perf_counter() - t0
    print(format_summary(result.summary))
    print()
    print(f"edge list: {path} ({follows.num_rows:,} rows)")
    print(f"load edge list  {t_load:7.2f} s")
    print(f"write store     {t_store:7.2f} s")
    print(f"jit warm-up     {t_warm:7.2f} s")
    for name, sec in result.timings.items():
        print(f"  {name:<14}{sec:7.2f} s")
    print(f"analyze total   {t_analyze:7.2f} s  (read store + all measures)")
    print(f"write results   {t_write:7.2f} s")
    print(f"peak RSS        {peak_rss_mb():7.0f} MB")


if __name__ == "__main__":
    main()
