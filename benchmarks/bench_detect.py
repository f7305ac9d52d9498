"""Time every coordination signal of `mutuals detect` on a large simulated store
(a benchmark, not a test): seconds per signal and peak RSS.

The store is a default-platform run with heavy activity, so that its
interactions number about ten million (200,000 accounts, 1.25 days, 8 sessions
a day, engagement x4, 5-minute ticks: ~10.5M interactions, ~11.5M posts, ~19M
follows). It is simulated once into --work and reused; the kernels are
compiled on a small detection first, outside the timings.

    python benchmarks/bench_detect.py                         # builds /tmp/bench-detect
    python benchmarks/bench_detect.py --store RUN/store --hashtag topic5
    python benchmarks/bench_detect.py --accounts 20000        # a quick look
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path


def _rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # KiB on Linux


def build(work: Path, accounts: int, days: float, seed: int) -> Path:
    run = work / f"sim-{accounts}"
    if (run / "store" / "store.json").exists():
        return run / "store"
    cmd = [
        sys.executable, "-m", "mutuals", "simulate", "--accounts", str(accounts),
        "--days", str(days), "--seed", str(seed), "--set", "mean_activity=8",
        "--set", "engage_scale=4", "--set", "ticks_per_day=288", "--out", str(run),
    ]  # fmt: skip
    print("building the store:", " ".join(cmd[2:]), flush=True)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return run / "store"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--store", type=Path, default=None, help="an existing canonical store")
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench-detect"))
    ap.add_argument("--accounts", type=int, default=200_000)
    ap.add_argument("--days", type=float, default=1.25)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--hashtag", default="topic5", help="'' for none (Louvain communities)")
    args = ap.parse_args()

    import pyarrow.parquet as pq

    import mutuals.metrics.coordination as C
    from mutuals.io.store import open_store
    from mutuals.report.detect import detect_store

    store_path = args.store or build(args.work, args.accounts, args.days, args.seed)
    rows = {
        t: pq.ParquetFile(store_path / f"{t}.parquet").metadata.num_rows
        for t in ("accounts", "follows", "posts", "interactions")
    }
    print("store", store_path, " ".join(f"{k} {v:,}" for k, v in rows.items()))
    hashtag = args.hashtag or None

    # compile the kernels outside the timings
    small = C.DetectParams(hashtag=None)
    from mutuals.tables import empty_table

    acc = empty_table("accounts")
    C.detect_coordination(acc, empty_table("follows"), empty_table("posts"),
                          empty_table("interactions"), small)  # fmt: skip

    store = open_store(store_path)
    timings: list[tuple[str, float]] = []
    t0 = time.perf_counter()
    tables = {
        "accounts": store.table("accounts", ["platform", "account_id", "handle", "created_at"]),
        "follows": store.table("follows", ["platform", "follower_id", "friend_id", "created_at"]),
        "posts": store.table("posts", ["platform", "post_id", "author_id", "created_at", "kind",
                                       "hashtags", "urls", "repost_of_id", "parent_id", "text"]),
        "interactions": store.table("interactions", ["platform", "kind", "source_id",
                                                     "target_id", "post_id", "created_at",
                                                     "record_id"]),
    }  # fmt: skip
    timings.append(("read tables", time.perf_counter() - t0))
    t = time.perf_counter()
    data = C.prepare(
        tables["accounts"], tables["follows"], tables["posts"], tables["interactions"],
        hashtag=hashtag, seed=0,
    )  # fmt: skip
    timings.append(("index (prepare)", time.perf_counter() - t))
    p = C.DetectParams(hashtag=hashtag).checked()
    if hashtag is None:
        t = time.perf_counter()
        _ = data.communities
        timings.append(("louvain communities", time.perf_counter() - t))
    calls = {
        "arrival": lambda: C.coordinated_arrival(data, window=p.window),
        "coaction": lambda: C.co_action(data),
        "follow_core": lambda: C.follow_core(data),
        "follow_burst": lambda: C.follow_bursts(data),
        "follower_growth": lambda: C.follower_growth(data),
        "follow_back": lambda: C.follow_back(data),
        "drift": lambda: C.position_drift(data),
    }
    signals = {}
    for name, f in calls.items():
        t = time.perf_counter()
        signals[name] = f()
        timings.append((name, time.perf_counter() - t))
    t = time.perf_counter()
    d = C.assemble(data, signals, p)
    timings.append(("combine, tables, evidence", time.perf_counter() - t))
    total = time.perf_counter() - t0
    for name, secs in timings:
        extra = ""
        if name in signals:
            s = signals[name]
            extra = f"  flagged {int(s.flagged.sum()):,}" if s.available else f"  ({s.note})"
        print(f"  {name:<28} {secs:8.2f} s{extra}")
    print(f"  {'total':<28} {total:8.2f} s   peak RSS {_rss_gb():.2f} GB")
    print(f"flagged {d.summary['flagged']:,} of {d.summary['accounts']:,} accounts; "
          f"evidence rows {d.evidence.num_rows:,}")  # fmt: skip
    print("co-action:", {k: v for k, v in signals["coaction"].counts.items()})
    del detect_store


if __name__ == "__main__":
    main()
