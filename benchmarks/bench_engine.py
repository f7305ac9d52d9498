"""Engine throughput at 10k, 100k and 1M accounts (a benchmark, not a test).

For each size, in a fresh subprocess (so peak memory is that size's own):
graph generation time, one simulated day's wall time, sessions per second,
feed deliveries per second, peak RSS. On the 10k case it also times the
engine's kernels against their pure-Python reference twins on the same tick.

    python benchmarks/bench_engine.py                 # 10k, 100k, 1M
    python benchmarks/bench_engine.py --sizes 10000   # one size
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

CHILD = r"""
import json, resource, sys, time
import numpy as np
from mutuals.engine.platform import Simulation
from mutuals.metrics.recorder import PlatformRecorder
from mutuals.scenarios.platform import PlatformParams

n, follows, days, ranking = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
p = PlatformParams(accounts=n, mean_follows=follows, days=days, ranking=ranking, measure_every=24)
warm = Simulation(PlatformParams(accounts=500, mean_follows=10, days=0.1, ranking=ranking), seed=0)
warm.run()  # compile kernels outside the timings
t0 = time.perf_counter()
sim = Simulation(p, seed=1, recorder=PlatformRecorder())  # measured, as mutuals.run does
gen = time.perf_counter() - t0
rss_graph = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t0 = time.perf_counter()
sim.run()
run = time.perf_counter() - t0
c = sim.counters
print(json.dumps({
    "accounts": n, "follows": sim.graph.n_follows, "ranking": ranking, "days": days,
    "graph_seconds": gen, "day_seconds": run / days,
    "sessions": c["sessions"], "deliveries": c["deliveries"], "reads": c["reads"],
    "sessions_per_s": c["sessions"] / run, "deliveries_per_s": c["deliveries"] / run,
    "peak_rss_mb_after_graph": rss_graph,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""

REF = r"""
import copy, json, sys, time
import numpy as np
sys.path.insert(0, "tests")
from mutuals.engine.platform import Simulation
from mutuals.engine.reference import reference_sessions, reference_deliver_ring
from mutuals.kernels import platform as kp
from mutuals.scenarios.platform import PlatformParams
from helpers.platform_engine import _state, _kernel

sim = Simulation(PlatformParams(accounts=10_000, mean_follows=100, ticks_per_day=24), seed=1)
for _ in range(24):
    sim.step()
sim.posts.reserve(200_000)
rng = np.random.default_rng(2)
sessions = np.sort(rng.integers(0, 10_000, 2000)).astype(np.int32)
u = rng.random((sessions.size, kp.U_ITEMS + int(sim.accounts.attention.max())))
a, b = _state(sim), copy.deepcopy(_state(sim))
_kernel(copy.deepcopy(a), sessions, u, sim.tick)  # compiled already; warm caches
t0 = time.perf_counter(); (n_posts, *_), _ = _kernel(a, sessions, u, sim.tick); fs, fl, fn = sim.graph.follower_rows
kp.deliver_ring(sim.posts.n, n_posts, a["author"], a["kind"], fs, fl, fn, a["ring_item"], a["ring_time"], a["head"], a["count"], sim.tick, a["deliveries"], a["root"])
fast = time.perf_counter() - t0
followers = [sim.graph.followers(i).tolist() for i in range(10_000)]
t0 = time.perf_counter(); ref = reference_sessions(sessions, u, sim.tick, b)
reference_deliver_ring(sim.posts.n, ref["n_posts"], b, followers, sim.tick)
slow = time.perf_counter() - t0
same = all(np.array_equal(a[k], b[k]) for k in ("ring_item", "head", "count", "author", "kind", "root"))
print(json.dumps({"sessions": int(sessions.size), "engine_ms": fast * 1e3, "reference_ms": slow * 1e3, "speedup": slow / fast, "identical": bool(same)}))
"""


def _child(code: str, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--follows", type=float, default=100.0)
    ap.add_argument("--days", type=float, default=1.0)
    ap.add_argument("--ranking", default="chronological", choices=["chronological", "ranked"])
    ap.add_argument("--no-reference", action="store_true")
    args = ap.parse_args()
    print(
        f"{'accounts':>10} {'follows':>12} {'graph s':>8} {'day s':>7} {'sessions/s':>11} {'deliveries/s':>13} {'peak RSS MB':>11}"
    )
    for n in args.sizes:
        r = _child(CHILD, str(n), str(args.follows), str(args.days), args.ranking)
        print(f"{r['accounts']:>10,} {r['follows']:>12,} {r['graph_seconds']:>8.1f} {r['day_seconds']:>7.1f} "
              f"{r['sessions_per_s']:>11,.0f} {r['deliveries_per_s']:>13,.0f} {r['peak_rss_mb']:>11,.0f}", flush=True)  # fmt: skip
    if not args.no_reference:
        r = _child(REF)
        print(f"\n10k accounts, one tick of {r['sessions']} sessions + deliveries: engine {r['engine_ms']:.1f} ms, "
              f"reference {r['reference_ms']:.0f} ms, speed ratio {r['speedup']:.0f}x (identical state: {r['identical']})")  # fmt: skip
    print(
        f"\nbenchmark process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; started {time.ctime()}"
    )


if __name__ == "__main__":
    main()
