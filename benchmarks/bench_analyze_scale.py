"""Benchmark: `mutuals analyze` at ~1M, ~10M and ~100M follows, and python-igraph beside it.

For each size (simulated accounts; ~100 follows each) this builds a store once
with ``mutuals simulate --store`` (kept under ``--data``, reused by later runs),
then, each in its own process so that peak RSS is its own:

* the analysis: read the store, every step of ``analyze_tables`` (their own
  timings), and write the results, as ``mutuals analyze`` does; wall and peak RSS;
* igraph on the same graph (the follow graph indexed by ``follow_graph``, so
  the nodes are the same): ``reciprocity`` of the directed graph,
  ``transitivity_undirected`` and ``transitivity_avglocal_undirected(mode="zero")``
  and ``community_multilevel`` (Louvain) with its modularity, on the undirected
  projection; each timed, with our figures from the analysis beside them.

Prints figures; asserts nothing. Not a test.

    python benchmarks/bench_analyze_scale.py [--sizes 10000,100000,1000000]
        [--data DIR] [--no-igraph] [--store STORE ...]

``--data`` defaults to ``$MUTUALS_BENCH_DATA`` or ``<tmp>/mutuals-bench``
(never inside the repository); ``--store`` measures existing stores instead of
simulating. Days simulated: 1 up to 200k accounts, 0.5 above (the follow
graph is built before the first tick; days only add posts).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # Linux: KiB


def _child_analyze(store: str, out: str) -> None:
    from mutuals.report.analyze import analyze_store, write_analysis

    t0 = time.perf_counter()
    res = analyze_store(store, seed=0)
    t_measures = time.perf_counter() - t0
    t1 = time.perf_counter()
    write_analysis(res, out, overwrite=True)
    t_write = time.perf_counter() - t1
    g = res.summary["graph"]
    print(
        json.dumps(
            {
                "timings": res.timings,
                "read_and_measures": t_measures,
                "write": t_write,
                "wall": time.perf_counter() - t0,
                "rss_gb": _peak_rss_gb(),
                "accounts": g.get("accounts"),
                "follows": g.get("follows"),
                "reciprocity": g.get("reciprocity", {}).get("reciprocity"),
                "transitivity": g.get("clustering", {}).get("transitivity"),
                "average_clustering": g.get("clustering", {}).get("average"),
                "modularity": g.get("communities", {}).get("modularity"),
                "communities": g.get("communities", {}).get("count"),
            }
        )
    )


def _child_igraph(store: str) -> None:
    import igraph as ig

    from mutuals.io.store import conform, open_store
    from mutuals.metrics.graph import follow_graph

    s = open_store(store)
    t0 = time.perf_counter()
    g = follow_graph(
        conform("accounts", s.table("accounts", columns=["platform", "account_id"])),
        conform("follows", s.table("follows", columns=["platform", "follower_id", "friend_id"])),
    )
    t_index = time.perf_counter() - t0
    out: dict[str, float | int | None] = {"index": t_index}
    n = g.n_accounts
    t0 = time.perf_counter()
    d = _igraph_from_edges(g.follower, g.friend, n, directed=True)
    out["build_directed"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    out["reciprocity"] = d.reciprocity()
    out["t_reciprocity"] = time.perf_counter() - t0
    del d
    adj = g.undirected
    coo = adj.tocoo()
    upper = coo.row < coo.col
    a, b = coo.row[upper], coo.col[upper]
    del coo, upper, g, adj
    t0 = time.perf_counter()
    u = _igraph_from_edges(a, b, n, directed=False)
    out["build_undirected"] = time.perf_counter() - t0
    del a, b
    t0 = time.perf_counter()
    out["transitivity"] = u.transitivity_undirected()
    out["t_transitivity"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    out["average_clustering"] = u.transitivity_avglocal_undirected(mode="zero")
    out["t_average_clustering"] = time.perf_counter() - t0
    ig.set_random_number_generator(__import__("random").Random(0))
    t0 = time.perf_counter()
    cl = u.community_multilevel()
    out["t_louvain"] = time.perf_counter() - t0
    out["modularity"] = cl.modularity
    out["communities"] = len(cl)
    out["rss_gb"] = _peak_rss_gb()
    print(json.dumps(out))


def _igraph_from_edges(a: object, b: object, n: int, *, directed: bool) -> object:
    """An igraph Graph through its C edge-list reader (a Python list of 100M pairs
    would not fit in memory); isolated nodes are added after."""
    import igraph as ig
    import numpy as np
    import pyarrow as pa
    from pyarrow import csv

    with tempfile.NamedTemporaryFile(suffix=".txt", dir=os.environ.get("TMPDIR")) as f:
        t = pa.table({"a": np.asarray(a, np.int64), "b": np.asarray(b, np.int64)})
        csv.write_csv(
            t, f.name, write_options=csv.WriteOptions(include_header=False, delimiter=" ")
        )
        g = ig.Graph.Read_Edgelist(f.name, directed=directed)
    if g.vcount() < n:
        g.add_vertices(n - g.vcount())
    return g


def _run_child(args: list[str]) -> dict:
    r = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if r.returncode != 0:
        raise SystemExit(f"child {args[0]} failed:\n{r.stderr[-3000:]}")
    last: dict = json.loads(r.stdout.strip().splitlines()[-1])
    return last


def _simulate(accounts: int, data: Path) -> Path:
    store = data / f"s{accounts}"
    if (store / "follows.parquet").exists():
        return store
    days = "1" if accounts <= 200_000 else "0.5"
    exe = Path(sys.executable).with_name("mutuals")
    cmd = [str(exe), "simulate", "--accounts", str(accounts), "--days", days, "--seed", "1",
           "--out", str(data / f"run{accounts}"), "--store", str(store), "--no-canonical"]  # fmt: skip
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    print(f"simulated {accounts:,} accounts ({days} day) in {time.perf_counter() - t0:.0f} s")
    return store


def _f(x: object, digits: int = 4) -> str:
    return f"{x:.{digits}f}" if isinstance(x, float) else str(x)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="10000,100000,1000000")
    default = os.environ.get(
        "MUTUALS_BENCH_DATA", str(Path(tempfile.gettempdir()) / "mutuals-bench")
    )
    p.add_argument("--data", default=default)
    p.add_argument("--store", action="append", default=[])
    p.add_argument("--no-igraph", action="store_true")
    p.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        kind, *rest = a.child
        (_child_analyze if kind == "analyze" else _child_igraph)(*rest)
        return
    data = Path(a.data)
    data.mkdir(parents=True, exist_ok=True)
    stores = [Path(s) for s in a.store] or [_simulate(int(x), data) for x in a.sizes.split(",")]
    threads = os.environ.get("NUMBA_NUM_THREADS", str(os.cpu_count()))
    print(f"cores {os.cpu_count()}, numba threads {threads}; load average {os.getloadavg()}")
    for store in stores:
        with tempfile.TemporaryDirectory(dir=data) as tmp:
            ours = _run_child(["--child", "analyze", str(store), str(Path(tmp) / "analysis")])
        print(f"\n{store}: {ours['accounts']:,} accounts, {ours['follows']:,} follows")
        for name, sec in ours["timings"].items():
            print(f"  {name:<16}{sec:8.2f} s")
        print(f"  read + measures {ours['read_and_measures']:8.2f} s, write {ours['write']:.2f} s")
        print(f"  wall {ours['wall']:.2f} s, peak RSS {ours['rss_gb']:.2f} GB")
        if a.no_igraph:
            continue
        try:
            import igraph  # noqa: F401
        except ImportError:
            print("  igraph: not installed (pip install -e '.[igraph]')")
            continue
        ig = _run_child(["--child", "igraph", str(store)])
        tm = ours["timings"]
        rows = [
            ("reciprocity", ours["reciprocity"], ig["reciprocity"],
             tm.get("reciprocity"), ig["t_reciprocity"]),
            ("transitivity", ours["transitivity"], ig["transitivity"],
             tm.get("clustering"), ig["t_transitivity"]),
            ("average clustering", ours["average_clustering"], ig["average_clustering"],
             None, ig["t_average_clustering"]),
            ("louvain modularity", ours["modularity"], ig["modularity"],
             tm.get("communities"), ig["t_louvain"]),
        ]  # fmt: skip
        print(f"  {'measure':<20}{'ours':>10}{'igraph':>10}{'ours s':>9}{'igraph s':>10}")
        for name, mine, theirs, t_mine, t_theirs in rows:
            tmine = f"{t_mine:9.2f}" if t_mine is not None else f"{'(same)':>9}"
            print(f"  {name:<20}{_f(mine):>10}{_f(theirs):>10}{tmine}{t_theirs:10.2f}")
        print(
            f"  communities: ours {ours['communities']:,}, igraph {ig['communities']:,}; "
            f"igraph graph build {ig['build_directed']:.2f} s directed + "
            f"{ig['build_undirected']:.2f} s undirected, peak RSS {ig['rss_gb']:.2f} GB "
            "(ours: clustering = projection + triangles, communities = Louvain + modularity)"
        )


if __name__ == "__main__":
    main()
