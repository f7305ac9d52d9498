"""Calibration: the peak memory of the in-memory `mutuals analyze` per table row.

`mutuals analyze` decides from the row counts alone (Parquet metadata) whether
a store's analysis fits in memory (``mutuals.metrics.outofcore.fits_in_memory``:
a fixed part plus bytes per follow, per post or interaction and per account).
This script measures what those coefficients stand for, so that they can be
re-fitted whenever the analysis changes:

1. builds stores of different shapes under ``--data`` (kept, reused by later
   runs): simulated ones (``mutuals simulate --accounts N --days 1 --seed 1
   --store``: about 94 follows per account, few posts), posts-heavy ones (the
   first 200,000 follows of the smallest simulated store and its accounts,
   with 500,000 or 2,000,000 written posts, 30% of them reposts, each repost
   with its interaction) and accounts-heavy ones (the first 100,000 follows,
   500,000 or 2,000,000 accounts with a handle, counts and community);
2. runs ``mutuals analyze STORE --out DIR --in-memory`` on each, every step at
   its default, each in its own process, and records the process's peak
   resident set (``getrusage(RUSAGE_CHILDREN).ru_maxrss`` of a fresh wrapper
   process, so each figure is that one run's);
3. fits ``peak = base + a * follows + b * (posts + interactions) + c * accounts``
   by least squares and prints the fit, its residuals, the coefficients in
   use and what they predict (``--store`` adds held-out stores, measured and
   predicted but not fitted).

Prints figures; asserts nothing. Not a test.

    python benchmarks/calibrate_memory.py [--data DIR] [--store STORE ...]
        [--sizes 20000,60000,150000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

TABLES = ("accounts", "follows", "posts", "interactions")
_PEAK = (
    "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 "
    "if r.returncode == 0 else -1)"
)


def rows(store: Path) -> dict[str, int]:
    out = {}
    for t in TABLES:
        p = store / f"{t}.parquet"
        out[t] = pq.ParquetFile(p).metadata.num_rows if p.exists() else 0
    return out


def simulated(data: Path, accounts: int) -> Path:
    store = data / f"sim-{accounts}"
    if not (store / "store.json").exists():
        run = data / f"run-{accounts}"
        cmd = [sys.executable, "-m", "mutuals", "simulate", "--accounts", str(accounts)]
        cmd += ["--days", "1", "--seed", "1", "--out", str(run), "--store", str(store)]
        print(f"simulating {accounts:,} accounts ...", flush=True)
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return store


def _written(path: Path, tables: dict[str, pa.Table]) -> Path:
    from mutuals.io.store import write_store

    if not (path / "store.json").exists():
        write_store(path, tables, metadata={"written_by": "benchmarks/calibrate_memory.py"})
    return path


def posts_heavy(data: Path, base: Path, n_posts: int) -> Path:
    """``base``'s accounts, its first 200,000 follows and ``n_posts`` written posts."""
    path = data / f"posts-{n_posts}"
    if (path / "store.json").exists():
        return path
    rng = np.random.default_rng(n_posts)
    accounts = pq.read_table(base / "accounts.parquet")
    follows = pq.read_table(base / "follows.parquet").slice(0, 200_000)
    ids = np.asarray(accounts.column("account_id").to_pylist(), dtype=object)
    author = ids[rng.integers(0, ids.size, n_posts)]
    t0 = np.datetime64("2020-01-01T00:00:00", "us")
    when = t0 + np.sort(rng.integers(0, 86_400_000_000, n_posts)).astype("timedelta64[us]")
    kind = np.where(rng.random(n_posts) < 0.3, "repost", "post").astype(object)
    kind[0] = "post"
    post_id = np.arange(n_posts).astype(str).astype(object)
    # a repost points to an earlier post
    target = (rng.random(n_posts) * np.arange(n_posts)).astype(np.int64)
    is_rp = kind == "repost"
    repost_of = np.where(is_rp, post_id[target], None)
    tags = [[f"topic{int(x)}"] for x in rng.integers(0, 20, n_posts)]
    posts = pa.table(
        {
            "platform": pa.array(["sim"] * n_posts),
            "post_id": pa.array(post_id.tolist()),
            "author_id": pa.array(author.tolist()),
            "created_at": pa.array(when, pa.timestamp("us", tz="UTC")),
            "kind": pa.array(kind.tolist()),
            "text": pa.array([f"post {i}" for i in range(n_posts)]),
            "repost_of_id": pa.array(repost_of.tolist(), pa.string()),
            "hashtags": pa.array(tags, pa.list_(pa.string())),
        }
    )
    k = np.flatnonzero(is_rp)
    interactions = pa.table(
        {
            "platform": pa.array(["sim"] * k.size),
            "kind": pa.array(["repost"] * k.size),
            "source_id": pa.array(author[k].tolist()),
            "target_id": pa.array(author[target[k]].tolist()),
            "post_id": pa.array(post_id[k].tolist()),
            "target_post_id": pa.array(post_id[target[k]].tolist()),
            "created_at": pa.array(when[k], pa.timestamp("us", tz="UTC")),
        }
    )
    return _written(
        path,
        {"accounts": accounts, "follows": follows, "posts": posts, "interactions": interactions},
    )


def accounts_heavy(data: Path, base: Path, n_accounts: int) -> Path:
    """``base``'s first 100,000 follows and ``n_accounts`` written accounts."""
    path = data / f"accounts-{n_accounts}"
    if (path / "store.json").exists():
        return path
    rng = np.random.default_rng(n_accounts)
    follows = pq.read_table(base / "follows.parquet").slice(0, 100_000)
    seen = (
        pa.chunked_array([follows.column("follower_id"), follows.column("friend_id")])
        .unique()
        .to_pylist()
    )
    ids = seen + [f"extra{i}" for i in range(max(0, n_accounts - len(seen)))]
    n = len(ids)
    accounts = pa.table(
        {
            "platform": pa.array(["sim"] * n),
            "account_id": pa.array(ids),
            "handle": pa.array([f"user_{i}" for i in range(n)]),
            "followers_count": pa.array(rng.integers(0, 5000, n)),
            "following_count": pa.array(rng.integers(0, 5000, n)),
            "posts_count": pa.array(rng.integers(0, 10_000, n)),
            "community": pa.array(np.array(["left", "right", "mainstream"])[rng.integers(0, 3, n)]),
        }
    )
    return _written(path, {"accounts": accounts, "follows": follows})


def peak_bytes(store: Path) -> int:
    with tempfile.TemporaryDirectory(prefix="mutuals-calib-") as tmp:
        cmd = [sys.executable, "-c", _PEAK, sys.executable, "-m", "mutuals", "analyze"]
        cmd += [str(store), "--out", str(Path(tmp) / "out"), "--in-memory"]
        r = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return int(r.stdout.strip().splitlines()[-1])


def design(r: dict[str, int]) -> list[float]:
    return [1.0, r["follows"], r["posts"] + r["interactions"], r["accounts"]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default = os.environ.get(
        "MUTUALS_BENCH_DATA", str(Path(tempfile.gettempdir()) / "mutuals-bench")
    )
    ap.add_argument("--data", default=default, help="where the stores are built and kept")
    ap.add_argument("--sizes", default="20000,60000,150000", help="simulated accounts")
    ap.add_argument("--store", action="append", default=[], help="held-out store (not fitted)")
    args = ap.parse_args()
    data = Path(args.data) / "calibration"
    data.mkdir(parents=True, exist_ok=True)
    sizes = [int(x) for x in args.sizes.split(",")]
    sims = [simulated(data, n) for n in sizes]
    fit_stores = sims + [posts_heavy(data, sims[0], n) for n in (500_000, 2_000_000)]
    fit_stores += [accounts_heavy(data, sims[0], n) for n in (500_000, 2_000_000)]
    held = [Path(s) for s in args.store]

    from mutuals.metrics import outofcore as ooc

    used = np.array(
        [
            ooc.BYTES_BASE,
            ooc.BYTES_PER_FOLLOW_ROW,
            ooc.BYTES_PER_POST_ROW,
            ooc.BYTES_PER_ACCOUNT_ROW,
        ],
        dtype=np.float64,
    )
    results = []
    for s in fit_stores + held:
        r = rows(s)
        print(f"analyze {s.name} ...", flush=True)
        results.append((s, r, peak_bytes(s), s in held))
    x = np.array([design(r) for _, r, _, h in results if not h])
    y = np.array([p for _, _, p, h in results if not h], dtype=np.float64)
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    mib = 2.0**20
    print()
    print(
        f"fit: base {coef[0] / mib:.0f} MiB, {coef[1]:.0f} B per follow, "
        f"{coef[2]:.0f} B per post or interaction, {coef[3]:.0f} B per account"
    )
    print(
        f"in use: base {used[0] / mib:.0f} MiB, {used[1]:.0f} B, {used[2]:.0f} B, {used[3]:.0f} B"
    )
    print()
    head = f"{'store':<22} {'follows':>11} {'posts+int':>10} {'accounts':>10} {'peak MiB':>9} "
    print(head + f"{'fit':>7} {'in use':>7}")
    for s, r, p, h in results:
        d = np.array(design(r))
        fit, cur = float(d @ coef), float(d @ used)
        name = s.name + (" (held out)" if h else "")
        print(
            f"{name:<22} {r['follows']:>11,} {r['posts'] + r['interactions']:>10,} "
            f"{r['accounts']:>10,} {p / mib:>9.0f} {100 * (fit / p - 1):>+6.1f}% "
            f"{100 * (cur / p - 1):>+6.1f}%"
        )
    print(json.dumps({"fit": coef.tolist(), "in_use": used.tolist()}))


if __name__ == "__main__":
    main()
