"""Ingest throughput on a synthetic twarc2 file built from the real samples.

Builds a file of at least ``--size`` MB (default 1024) by replicating the real
twarc2 pages of ``shared/data`` with fresh tweet ids (each replica gets its own
id suffix, so no replica duplicates another), ingests it into a temporary store,
prints tweets per second and peak memory, and deletes everything it wrote.

Run: ``PYTHONPATH=src python benchmarks/bench_ingest.py [--size MB] [--keep-dir DIR]``.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

_ID = re.compile(rb'"(1\d{17,18})"')
SAMPLES = [
    "twarc2-blm-twarc2sql/search_example.jsonl",
    "twarc2-blm-twarc2sql/example.jsonl",
    "twarc2-docnow-plugins/twarc-network_tweets.jsonl",
    "twarc2-docnow-plugins/twarc-hashtags_tweets1.jsonl",
    "twarc2-docnow-plugins/twarc-edits_tweets.jsonl",
    "twarc-csv-testdata/noflat.jsonl",
    "twarc-csv-testdata/withheld.jsonl",
    "twarc-csv-testdata/entities_test.jsonl",
    "twarc-csv-testdata/kpop.jsonl",
    "twarc-csv-testdata/brexit.jsonl",
    "twarc-csv-testdata/2sets.jsonl",
]


def _shared() -> Path:
    default = Path(__file__).resolve().parents[2] / "shared" / "data"
    return Path(os.environ.get("MUTUALS_SHARED_DATA", default))


def build(path: Path, size_mb: int) -> tuple[int, int]:
    """Write the synthetic file; return (bytes, tweets in ``data``)."""
    import orjson

    pages = []
    for rel in SAMPLES:
        for line in (_shared() / rel).read_bytes().splitlines():
            if line.strip():
                pages.append(line)
    per_replica = sum(len(orjson.loads(p).get("data") or []) for p in pages)
    target = size_mb << 20
    written = tweets = 0
    with path.open("wb") as f:
        k = 0
        while written < target:
            # fresh ids that stay valid snowflakes: XOR the replica number into the
            # 10 worker bits of every 18-19 digit id (timestamps are unchanged)
            mask = (k % 1024) << 12

            def fresh(m: re.Match[bytes], mask: int = mask) -> bytes:
                return b'"%d"' % (int(m.group(1)) ^ mask)

            for p in pages:
                out = _ID.sub(fresh, p)
                f.write(out)
                f.write(b"\n")
                written += len(out) + 1
            tweets += per_replica
            k += 1
    return written, tweets


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1024, help="synthetic file size in MB")
    ap.add_argument("--keep-dir", type=Path, help="work here and keep the files")
    ap.add_argument("--memory-limit", default="1GB")
    ap.add_argument("--threads", type=int, default=1, help="DuckDB threads for the merge")
    args = ap.parse_args()
    from mutuals.io.ingest import ingest
    from mutuals.io.readers import read
    from mutuals.io.readreport import ReadReport

    work = args.keep_dir or Path(tempfile.mkdtemp(prefix="mutuals-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        src = work / "synthetic_twarc2.jsonl"
        t0 = time.perf_counter()
        nbytes, tweets = build(src, args.size)
        print(
            f"built {src.name}: {nbytes / 2**20:.0f} MB, {tweets} tweets in data "
            f"({time.perf_counter() - t0:.1f}s)"
        )

        # 1. reader alone (parse + canonical Arrow chunks), one core
        rep = ReadReport(str(src))
        t0 = time.perf_counter()
        rows = 0
        for _, chunk in read(src, report=rep):
            rows += chunk.num_rows
        dt_read = time.perf_counter() - t0
        rss_read = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"read:   {dt_read:.1f}s  {tweets / dt_read:,.0f} tweets/s (in data; "
            f"{rep.rows['posts'] / dt_read:,.0f} post rows/s incl. expansions)  "
            f"{nbytes / 2**20 / dt_read:.0f} MB/s  {rows:,} canonical rows  "
            f"peak RSS {rss_read:.0f} MB"
        )

        # 2. full ingest: read + parts + DuckDB merge into the store
        t0 = time.perf_counter()
        (rep,) = ingest([src], work / "store", memory_limit=args.memory_limit, threads=args.threads)
        dt = time.perf_counter() - t0
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        from mutuals.io.store import open_store

        meta = open_store(work / "store").metadata
        print(
            f"ingest: {dt:.1f}s  {tweets / dt:,.0f} tweets/s end to end; store rows "
            f"{meta['tables']}"
        )
        print(
            f"peak RSS (whole run) {rss:.0f} MB; input {nbytes / 2**20:.0f} MB; "
            f"skipped {rep.n_skipped}"
        )
    finally:
        if args.keep_dir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
