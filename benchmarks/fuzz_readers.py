"""Long mutation-fuzzing run over every reader (the CI suite is tests/test_fuzz_readers.py).

Mutates small real samples of ``shared/data`` (bytes, lines, JSON values of the
wrong type, 100,000-deep nesting, huge and giant string fields, gzip / zip / CAR /
Parquet / XML damage; see ``tests/fuzzing.py``) and checks on every mutant that
detection and reading raise nothing but ``MutualsError``, finish within the
timeout, count coherently and yield canonical chunks. Cases run in a pool of
worker processes, each with a timeout (a hang kills its worker and is reported).

Prints per reader: mutants, ok, typed errors, crashes, hangs, miscounts, schema
violations; then each distinct finding (exception class + innermost mutuals
frame, or the broken rule) with a saved, minimised repro under ``--repros``.

Run from the repository root::

    MUTUALS_SHARED_DATA=../shared/data .venv/bin/python benchmarks/fuzz_readers.py \\
        --mutants 100000 --seed 1 --timeout 30 --out fuzz-report.json

    # one reader, a few giant (50-200 MB) fields
    ... --formats twarc2,x-archive --giant-rate 0.001
    # replay one case (prints the mutation and the outcome, saves the mutant)
    ... --seed 1 --replay twarc2:1234

A case is reproducible from ``(seed, format, index)``. Exit status 1 when any
crash, hang, miscount or schema violation was found.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

_REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(_REPO / "tests"))
sys.path.insert(0, str(_REPO / "src"))

from helpers import fuzzing  # noqa: E402

BAD = ("crash", "hang", "miscount", "schema")


def _slug(s: str) -> str:
    return (
        re.sub(r"[^A-Za-z0-9]+", "-", s)[:60].strip("-")
        + "-"
        + hashlib.sha1(s.encode()).hexdigest()[:8]
    )


def _args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mutants", type=int, default=20000, help="total mutants (split over readers)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--formats", default="", help="comma-separated reader names (default: all)")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds per case before a hang")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--out", type=Path, default=Path("fuzz-report.json"))
    ap.add_argument(
        "--repros", type=Path, default=None, help="folder for repros (default: OUT.repros)"
    )
    ap.add_argument(
        "--huge-mb", type=float, default=1.0, help="size of 'huge' string fields (1 = as in CI)"
    )
    ap.add_argument("--giant-mb", type=float, default=100.0, help="size of 'giant' fields")
    ap.add_argument("--giant-rate", type=float, default=0.0,
                    help="share of cases with a giant field (e.g. 0.001); 0 = none")  # fmt: skip
    ap.add_argument("--minimise-s", type=float, default=20.0, help="seconds to minimise a crash")
    ap.add_argument("--replay", default="", help="FORMAT:INDEX: run one case in-process")
    return ap.parse_args(argv)


def _config(a: argparse.Namespace) -> fuzzing.Config:
    return fuzzing.Config(
        huge_bytes=int(a.huge_mb * (1 << 20)),
        giant_bytes=int(a.giant_mb * (1 << 20)) if a.giant_rate > 0 else 0,
        giant_rate=a.giant_rate,
    )


def replay(a: argparse.Namespace) -> int:
    fmt, _, idx = a.replay.partition(":")
    cfg = _config(a)
    case = fuzzing.make_case(a.seed, int(idx), fmt, cfg)
    where = (a.repros or Path(f"{a.out}.repros")) / "replay" / f"{fmt}-{idx}"
    where.mkdir(parents=True, exist_ok=True)
    path = case.write(where)
    print(f"{fmt}:{idx} seed file {case.seed} ({case.origin}); mutation: {case.mutation[:300]}")
    print(f"mutant: {path} ({case.size} bytes), chunk_rows={case.chunk_rows}")
    o = fuzzing.check_case(path, fmt, case.chunk_rows, case.rejects)
    print(f"status: {o.status}; detected: {o.detected}; typed error: {o.error[:300]}")
    for f in o.findings:
        print(f"- {f.kind} [{f.stage}] {f.signature}: {f.message[:500]}")
        if f.traceback:
            print(f.traceback)
    return 1 if o.status in BAD else 0


def main(argv: list[str] | None = None) -> int:
    a = _args(argv)
    if fuzzing.data_dir() is None:
        print("shared data folder not found: set MUTUALS_SHARED_DATA", file=sys.stderr)
        return 2
    if a.replay:
        return replay(a)
    fmts = [f for f in a.formats.split(",") if f] or fuzzing.formats()
    unknown = set(fmts) - set(fuzzing.formats())
    if unknown:
        print(f"no seeds for {sorted(unknown)}; known: {fuzzing.formats()}", file=sys.stderr)
        return 2
    per = -(-a.mutants // len(fmts))
    # interleave readers so a partial run covers all of them
    jobs = [(a.seed, i, f) for i in range(per) for f in fmts]
    cfg = _config(a)
    repros = a.repros or Path(f"{a.out}.repros")
    stats: dict[str, Counter[str]] = defaultdict(Counter)
    first: dict[tuple[str, str, str], dict[str, Any]] = {}
    counts: Counter[tuple[str, str, str]] = Counter()
    notes: Counter[tuple[str, str]] = Counter()
    slow: list[tuple[float, str, int, str]] = []
    t0 = time.monotonic()
    done = 0
    print(f"{len(jobs)} mutants over {len(fmts)} readers, seed {a.seed}, {a.workers} workers")
    with fuzzing.Runner(cfg, workers=a.workers, timeout=a.timeout) as runner:
        for o in runner.run(jobs):
            done += 1
            st = stats[o.format]
            st["mutants"] += 1
            st[o.status] += 1
            for f in o.findings:
                if f.kind == "note":
                    notes[(o.format, f.signature)] += 1
                    continue
                key = (o.format, f.kind, f.signature)
                counts[key] += 1
                if key not in first:
                    first[key] = {"index": o.index, "mutation": o.mutation, "stage": f.stage,
                                  "message": f.message, "traceback": f.traceback}  # fmt: skip
            slow.append((o.seconds, o.format, o.index, o.mutation))
            slow = sorted(slow, reverse=True)[:10]
            if done % 2000 == 0:
                el = time.monotonic() - t0
                bad = sum(counts.values())
                print(f"  {done}/{len(jobs)} in {el:.0f} s ({done / el:.0f}/s), {bad} findings",
                      flush=True)  # fmt: skip
        # save (and minimise) one repro per distinct finding
        for key, info in sorted(first.items()):
            fmt, kind, sig = key
            folder = repros / fmt / _slug(f"{kind}-{sig}")
            if kind == "hang" or sig.startswith("worker died"):
                info["repro"] = runner.minimise(a.seed, info["index"], fmt, "\0never", folder, 0)
            else:
                info["repro"] = runner.minimise(
                    a.seed, info["index"], fmt, sig, folder, a.minimise_s
                )
    elapsed = time.monotonic() - t0
    cols = ["mutants", "ok", "typed", "crash", "hang", "miscount", "schema"]
    head = f"{'reader':<21}" + "".join(f"{c:>10}" for c in cols)
    print(f"\n{len(jobs)} mutants in {elapsed:.0f} s ({len(jobs) / elapsed:.0f}/s)\n")
    print("status of each mutant (worst finding)")
    print(head)
    total: Counter[str] = Counter()
    for fmt in fmts:
        st = stats[fmt]
        total.update(st)
        print(f"{fmt:<21}" + "".join(f"{st[c]:>10}" for c in cols))
    print(f"{'TOTAL':<21}" + "".join(f"{total[c]:>10}" for c in cols))
    if first:
        print("\ndistinct findings (count, reader, kind, signature) -> repro")
        for key, info in sorted(first.items(), key=lambda kv: (kv[0][0], -counts[kv[0]])):
            fmt, kind, sig = key
            print(f"{counts[key]:>6}  {fmt:<20} {kind:<8} {sig}")
            print(f"        case {fmt}:{info['index']}: {info['mutation'][:150]}")
            print(f"        {info['message'][:200]!r}")
            print(f"        repro: {info.get('repro')}")
    if notes:
        print("\nnotes (not failures):")
        for (fmt, sig), n in sorted(notes.items()):
            print(f"{n:>6}  {fmt:<20} {sig}")
    print("\nslowest cases:")
    for s, fmt, i, m in slow:
        print(f"  {s:7.2f} s  {fmt}:{i}  {m[:100]}")
    report = {
        "seed": a.seed,
        "mutants": len(jobs),
        "seconds": round(elapsed, 1),
        "timeout": a.timeout,
        "config": vars(cfg),
        "readers": {f: dict(stats[f]) for f in fmts},
        "findings": [
            {"format": k[0], "kind": k[1], "signature": k[2], "count": counts[k], **v}
            for k, v in sorted(first.items())
        ],
        "notes": [{"format": k[0], "signature": k[1], "count": n} for k, n in notes.items()],
    }
    a.out.write_text(json.dumps(report, indent=2))
    print(f"\nreport: {a.out}")
    return 1 if any(total[c] for c in BAD) else 0


if __name__ == "__main__":
    sys.exit(main())
