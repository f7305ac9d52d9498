"""Ingest throughput on a synthetic twarc2 file built from the real samples.

Builds a file of at least ``--size`` MB (default 1024) by replicating the real
twarc2 pages of ``shared/data`` with fresh tweet ids (each replica gets its own
id suffix, so no replica duplicates another), then measures, each phase in its
own process (so each peak RSS is its own):

1. ``read``: the reader alone (parse + canonical Arrow chunks), one core,
   default interpreter settings (what a library user gets);
2. ``ingest``: ``mutuals ingest`` as the CLI runs it (read + temporary Parquet
   parts, then the DuckDB merge with ``--threads``), with the merge timed
   separately.

Prints tweets per second (tweets in ``data``; expansions are extra post rows),
MB/s and peak RSS, and deletes everything it wrote unless ``--keep-dir``.

Run: ``PYTHONPATH=src python benchmarks/bench_ingest.py [--size MB] [--keep-dir DIR]
[--input FILE] [--threads N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
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


def _pages() -> list[bytes]:
    pages = []
    for rel in SAMPLES:
        for line in (_shared() / rel).read_bytes().splitlines():
            if line.strip():
                pages.append(line)
    return pages


def _tweets_per_replica(pages: list[bytes]) -> int:
    import orjson

    return sum(len(orjson.loads(p).get("data") or []) for p in pages)


def build(path: Path, size_mb: int) -> tuple[int, int]:
    """Write the synthetic file; return (bytes, tweets in ``data``)."""
    pages = _pages()
    per_replica = _tweets_per_replica(pages)
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


def count_tweets(path: Path) -> int:
    """Tweets in ``data`` of a file written by :func:`build` (whole replicas)."""
    pages = _pages()
    size = sum(len(p) + 1 for p in pages)  # ids keep their length: replicas are equal
    n_rep, rest = divmod(path.stat().st_size, size)
    if rest:
        raise SystemExit(f"{path} is not a file written by this benchmark")
    return n_rep * _tweets_per_replica(pages)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_read(src: Path) -> dict[str, float]:
    from mutuals.io.readers import read
    from mutuals.io.readreport import ReadReport

    rep = ReadReport(str(src))
    t0 = time.perf_counter()
    c0 = time.process_time()
    rows = 0
    for _, chunk in read(src, report=rep):
        rows += chunk.num_rows
    return {
        "seconds": time.perf_counter() - t0,
        "cpu_seconds": time.process_time() - c0,
        "post_rows": rep.rows["posts"],
        "rows": rows,
        "peak_rss_mb": _peak_mb(),
    }


def phase_ingest(src: Path, store: Path, threads: int) -> dict[str, float]:
    from click.testing import CliRunner

    from mutuals.cli.main import main
    from mutuals.io import ingest as ing

    merge_s = 0.0
    real = ing._merge

    def timed(*a, **kw):  # type: ignore[no-untyped-def]
        nonlocal merge_s
        t = time.perf_counter()
        try:
            return real(*a, **kw)
        finally:
            merge_s = time.perf_counter() - t

    ing._merge = timed  # type: ignore[assignment]
    t0 = time.perf_counter()
    res = CliRunner().invoke(
        main, ["ingest", str(src), "-o", str(store), "--threads", str(threads)]
    )
    dt = time.perf_counter() - t0
    if res.exit_code != 0:
        raise SystemExit(res.output)
    meta = json.loads((store / "store.json").read_text())
    return {
        "seconds": dt,
        "merge_seconds": merge_s,
        "tables": meta["tables"],
        "peak_rss_mb": _peak_mb(),
    }


def _child(*args: str) -> dict:  # type: ignore[type-arg]
    env = dict(os.environ)
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True, env=env
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1024, help="synthetic file size in MB")
    ap.add_argument("--keep-dir", type=Path, help="work here and keep the files")
    ap.add_argument("--input", type=Path, help="reuse a synthetic file built before")
    ap.add_argument("--threads", type=int, default=2, help="DuckDB threads for the merge")
    ap.add_argument("--phase", choices=["read", "ingest"], help=argparse.SUPPRESS)
    ap.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase == "read":
        print(json.dumps(phase_read(args.input)))
        return
    if args.phase == "ingest":
        print(json.dumps(phase_ingest(args.input, args.store, args.threads)))
        return

    work = args.keep_dir or Path(tempfile.mkdtemp(prefix="mutuals-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if args.input is not None:
            src = args.input
            nbytes, tweets = src.stat().st_size, count_tweets(src)
            print(f"input {src}: {nbytes / 2**20:.0f} MB, {tweets} tweets in data")
        else:
            src = work / "synthetic_twarc2.jsonl"
            t0 = time.perf_counter()
            nbytes, tweets = build(src, args.size)
            print(
                f"built {src.name}: {nbytes / 2**20:.0f} MB, {tweets} tweets in data "
                f"({time.perf_counter() - t0:.1f}s)"
            )
        mb = nbytes / 2**20

        r = _child("--phase", "read", "--input", str(src))
        print(
            f"read:   {r['seconds']:.1f}s (cpu {r['cpu_seconds']:.1f}s)  "
            f"{tweets / r['seconds']:,.0f} tweets/s  {mb / r['seconds']:.0f} MB/s  "
            f"({r['post_rows'] / r['seconds']:,.0f} post rows/s incl. expansions, "
            f"{r['rows']:,} canonical rows)  peak RSS {r['peak_rss_mb']:.0f} MB"
        )

        store = work / "store"
        shutil.rmtree(store, ignore_errors=True)
        g = _child("--phase", "ingest", "--input", str(src), "--store", str(store),
                   "--threads", str(args.threads))  # fmt: skip
        before = g["seconds"] - g["merge_seconds"]
        print(
            f"ingest: {g['seconds']:.1f}s  {tweets / g['seconds']:,.0f} tweets/s end to end "
            f"(read + parts {before:.1f}s = {tweets / before:,.0f} tweets/s; "
            f"merge {g['merge_seconds']:.1f}s with {args.threads} DuckDB threads)  "
            f"peak RSS {g['peak_rss_mb']:.0f} MB"
        )
        print(f"store rows {g['tables']}")
    finally:
        if args.keep_dir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
