"""Benchmark: `analyze` on the SNAP ego-Twitter combined graph (81k accounts, 1.77M follows).

Prints wall time per measure and peak RSS. Not a test.

    PYTHONPATH=src python benchmarks/bench_analyze.py [EDGE_LIST] [--networkx]

``--networkx`` also times networkx's own Louvain and modularity on the same
undirected projection, for comparison with the Numba Louvain.

The edge list is read here with a small numpy loader (``follower friend`` per
line, as SNAP documents: "a follows b"); the project's SNAP reader lives in
``mutuals.io.readers`` once it exists.
"""

from __future__ import annotations

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
    """``follower friend`` per line (SNAP: "a follows b"), gzip by extension."""
    from pyarrow import csv

    edges = csv.read_csv(
        path,
        read_options=csv.ReadOptions(column_names=["follower_id", "friend_id"]),
        parse_options=csv.ParseOptions(delimiter=" "),
        convert_options=csv.ConvertOptions(
            column_types={"follower_id": pa.string(), "friend_id": pa.string()}
        ),
    )
    n = edges.num_rows
    return pa.table(
        {
            "platform": pa.array(["graph"], pa.string()).take(pa.array(np.zeros(n, np.int64))),
            "follower_id": edges["follower_id"],
            "friend_id": edges["friend_id"],
        }
    )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def networkx_reference(follows: pa.Table, seed: int) -> None:
    import networkx as nx

    from mutuals.io.schema import empty_table
    from mutuals.metrics.graph import follow_graph, modularity

    g = follow_graph(empty_table("accounts"), follows)
    t0 = time.perf_counter()
    u = nx.from_scipy_sparse_array(g.undirected)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    comms = nx.community.louvain_communities(u, seed=seed)
    t_louvain = time.perf_counter() - t0
    t0 = time.perf_counter()
    q = nx.community.modularity(u, comms)
    t_q = time.perf_counter() - t0
    labels = np.empty(g.n_accounts, dtype=np.int64)
    for c, members in enumerate(comms):
        labels[list(members)] = c
    print(
        f"networkx: build graph {t_build:.2f} s, louvain_communities {t_louvain:.2f} s "
        f"({len(comms)} communities), modularity {t_q:.2f} s: Q = {q:.4f} "
        f"(ours on the same partition: {modularity(g.undirected, labels):.4f})"
    )


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    path = Path(args[0]) if args else DEFAULT
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
    if "--networkx" in sys.argv:
        networkx_reference(follows, seed=0)


if __name__ == "__main__":
    main()
