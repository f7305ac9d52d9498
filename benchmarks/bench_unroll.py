"""Throughput of thread reconstruction (``unroll_all``) on a synthetic posts table.

Prints posts/s and peak RSS; not a test. Usage::

    python benchmarks/bench_unroll.py [N_POSTS]
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime

import numpy as np
import psutil
import pyarrow as pa

from mutuals.io.store import conform
from mutuals.report.unroll import unroll_all


def synthetic_posts(n: int, seed: int = 0) -> pa.Table:
    """``n`` posts by n/20 authors; 40% are replies, half of those to the author's own post."""
    rng = np.random.default_rng(seed)
    n_auth = max(1, n // 20)
    author = rng.integers(0, n_auth, n)
    t = np.sort(rng.integers(0, 10**12, n))
    parent = np.full(n, -1)
    is_reply = rng.random(n) < 0.4
    idx = np.arange(n)
    # a self-reply answers the author's previous post; another reply a random earlier post
    last_by_author = np.full(n_auth, -1)
    prev_same = np.full(n, -1)
    for i in range(n):  # setup only, not timed
        prev_same[i] = last_by_author[author[i]]
        last_by_author[author[i]] = i
    self_reply = is_reply & (rng.random(n) < 0.5) & (prev_same >= 0)
    other = is_reply & ~self_reply & (idx > 0)
    parent[self_reply] = prev_same[self_reply]
    parent[other] = (rng.random(other.sum()) * idx[other]).astype(np.int64)
    has_parent = parent >= 0
    ids = pa.array(idx.astype(str))
    pid = np.where(has_parent, parent, 0).astype(str)
    table = pa.table(
        {
            "platform": pa.array(["x"] * n),
            "post_id": ids,
            "author_id": pa.array(author.astype(str)),
            "created_at": pa.array(t * 1000, pa.timestamp("us", tz="UTC")),
            "kind": pa.array(np.where(has_parent, "reply", "post")),
            "text": pa.array([f"post {i}" for i in range(n)]),
            "parent_id": pa.array(pid, mask=~has_parent),
            "parent_author_id": pa.array(
                author[np.where(has_parent, parent, 0)].astype(str), mask=~has_parent
            ),
            "like_count": pa.array(rng.integers(0, 50, n)),
        }
    )
    return conform("posts", table)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    posts = synthetic_posts(n)
    proc = psutil.Process()
    t0 = time.perf_counter()
    threads = unroll_all(posts)
    dt = time.perf_counter() - t0
    rss = proc.memory_info().rss / 2**20
    print(f"started {datetime.now(UTC):%H:%M:%S}")
    print(f"unroll_all: {n} posts, {len(threads)} threads (>= 2 posts) in {dt:.2f} s")
    print(f"  {n / dt:,.0f} posts/s; RSS after run {rss:.0f} MiB")


if __name__ == "__main__":
    main()
