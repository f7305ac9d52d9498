"""Wall time and runs per minute of `mutuals claims` (a benchmark, not a test).

    python benchmarks/bench_claims.py                 # --quick: 10,000 accounts, 3 replicates
    python benchmarks/bench_claims.py --full          # and the default: 100,000 accounts, 10
    python benchmarks/bench_claims.py --scheduler serial

Each size runs into a fresh temporary folder (nothing is resumed), on the
default LocalCluster (one worker per core) unless --scheduler says otherwise.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from pathlib import Path

from mutuals.claims.run import run_claims


def one(quick: bool, scheduler: str | None, seed: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        res = run_claims(out=Path(tmp) / "claims", quick=quick, scheduler=scheduler, seed=seed,
                         progress=False)  # fmt: skip
        wall = time.perf_counter() - t0
        runs = len(list((Path(tmp) / "claims" / "runs").glob("*.json")))
    verdicts = Counter(
        v for v, p in zip(res.claims.column("verdict").to_pylist(),
                          res.claims.column("primary").to_pylist(), strict=True) if p
    )  # fmt: skip
    label = "--quick (10,000 accounts, 3 replicates)" if quick else "default (100,000 accounts, 10)"
    print(
        f"{label}: {runs} runs in {wall / 60:.1f} min = {runs / (wall / 60):.1f} runs/min;"
        f" primary verdicts {dict(verdicts)}",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--full", action="store_true", help="also time the default size")
    ap.add_argument("--scheduler", default=None, help="'serial' or a dask address")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    one(True, args.scheduler, args.seed)
    if args.full:
        one(False, args.scheduler, args.seed)


if __name__ == "__main__":
    main()
