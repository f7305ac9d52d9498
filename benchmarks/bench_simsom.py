"""SimSoM at the paper's size, to convergence (a benchmark, not a test).

Prints, for 10,000 humans with ~181 follows each (the paper's network size)
and 500 bots: seconds per step, steps to convergence, wall time, peak RSS, and
the quality measured; then the infiltration sweep gamma in {1e-4 .. 1e-1}
with relative quality (mean ± SD over seeds); and the same run under both
feed-ageing rules and both stopping rules.

    python benchmarks/bench_simsom.py [--seeds 3] [--humans 10000]
"""

from __future__ import annotations

import argparse
import resource
import time

from mutuals.engine.simsom import run_simsom as _run_simsom
from mutuals.metrics.recorder import SimSoMRecorder
from mutuals.scenarios.simsom import SimSoMParams
from mutuals.sweeps.simsom import relative_quality_sweep


def run_simsom(*args, **kwargs):
    """Measured as mutuals.run does (the recorder's diversity and tau-b)."""
    return _run_simsom(*args, recorder=SimSoMRecorder(), **kwargs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--humans", type=int, default=10_000)
    ap.add_argument("--follows", type=float, default=181.0)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--no-sweep", action="store_true")
    a = ap.parse_args()
    base = SimSoMParams(accounts=a.humans, mean_follows=a.follows)
    run_simsom(SimSoMParams(accounts=300, mean_follows=10, max_steps=5), seed=0)  # compile
    t0 = time.perf_counter()
    r = run_simsom(base, seed=1)
    wall = time.perf_counter() - t0
    net = r.network
    print(
        f"SimSoM {a.humans:,} humans + {net['bots']} bots, {net['edges']:,} follows (gamma {base.gamma})"
    )
    print(f"  steps {r.steps} (converged: {r.converged}), wall {wall:.1f} s incl. network, {1e3 * wall / r.steps:.1f} ms/step, "
          f"{1e6 * wall / (r.steps * (a.humans + net['bots'])):.2f} µs per agent action")  # fmt: skip
    print(
        f"  quality {r.quality:.4f}, diversity {r.diversity:.3f}, tau-b {r.tau:.4f}, peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    for ageing in ("clean", "reference"):
        for stop in ("window", "reference"):
            p = SimSoMParams(accounts=a.humans, mean_follows=a.follows, ageing=ageing, stop=stop)
            x = run_simsom(p, seed=1)
            print(
                f"  ageing={ageing:<9} stop={stop:<9}: quality {x.quality:.4f}, steps {x.steps}, {x.seconds:.1f} s"
            )
    if not a.no_sweep:
        print(f"\ninfiltration sweep, {a.seeds} seeds each:")
        t = relative_quality_sweep(
            base,
            "gamma",
            [1e-4, 1e-3, 1e-2, 1e-1],
            seeds=a.seeds,
            seed=7,
            progress=lambda s: print("  " + s, flush=True),
        )
        print(
            f"  sweep wall time {sum(t.column('seconds_mean').to_pylist()) * a.seeds:.0f} s (excluding baseline)"
        )


if __name__ == "__main__":
    main()
