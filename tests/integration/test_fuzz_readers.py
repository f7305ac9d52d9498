"""Mutation fuzzing of every reader over real samples (see ``tests/helpers/fuzzing.py``).

A fixed seed and a bounded number of mutants per reader keep this under a minute
on two cores. Each reader must, on every mutant: raise nothing but a
``MutualsError`` (from detection too), finish within the timeout, keep its counts
coherent, and yield only canonical chunks. A failure lists each distinct problem
with the case that shows it; replay a case with
``python benchmarks/fuzz_readers.py --seed SEED --replay FORMAT:INDEX``.

The long run (100,000+ mutants) is ``benchmarks/fuzz_readers.py``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import fuzzing

pytestmark = pytest.mark.shared_data

SEED = 20261201
#: Mutants per reader (15 readers).
MUTANTS = int(os.environ.get("MUTUALS_FUZZ_MUTANTS", "120"))
#: Seconds per case before it counts as a hang (a case takes milliseconds).
TIMEOUT = 20.0
CONFIG = fuzzing.Config(huge_bytes=1 << 20, deep=100_000)

# the formats are known without the data (for parametrisation); the suite checks
# that the seed corpus covers exactly these
FORMATS = [
    "bluesky",
    "bluesky-api",
    "csv-edges",
    "gexf",
    "gnip",
    "graphml",
    "labelled-edges-json",
    "mastodon",
    "parquet-edges",
    "snap",
    "twarc2",
    "twarc2-flat",
    "x-api-responses",
    "x-archive",
    "x-v1",
]


@pytest.fixture(scope="module")
def runner(shared_data: Path) -> Iterator[fuzzing.Runner]:
    with fuzzing.Runner(CONFIG, workers=2, timeout=TIMEOUT) as r:
        yield r


def test_seed_corpus_covers_every_reader(shared_data: Path) -> None:
    from mutuals.io.readers import formats

    assert fuzzing.formats() == FORMATS
    assert set(FORMATS) == set(formats()), "a reader without fuzz seeds (add them in fuzzing.py)"


@pytest.mark.parametrize("seed", range(max(1, len(fuzzing.seeds()))), ids=lambda i: f"seed{i}")
def test_unmutated_seeds_pass_every_invariant(shared_data: Path, tmp_path: Path, seed: int) -> None:
    """The invariants hold on the real samples themselves (no false alarms)."""
    s = fuzzing.seeds()[seed]
    case = fuzzing.Case(0, s.format, s.name, s.origin, "none", s.name, chunk_rows=3)
    if s.kind == "folder":
        case.files = {k: v for k, (_, v) in s.files.items()}
    elif s.kind == "zip":
        case.data = fuzzing._zip({k: v for k, (_, v) in s.files.items()})
    else:
        case.data = s.data
    o = fuzzing.check_case(case.write(tmp_path), s.format, chunk_rows=3, rejects=True)
    if s.detectable:
        assert o.detected == s.format, f"{s.origin}: detected as {o.detected}"
    assert o.status == "ok", f"{s.origin}: {o.status} {o.error} {o.findings}"


def _report(fmt: str, bad: list[fuzzing.Outcome]) -> str:
    by_sig: dict[str, list[fuzzing.Outcome]] = {}
    for o in bad:
        for f in o.findings:
            if f.kind != "note":
                by_sig.setdefault(f"{f.kind}: {f.signature} [{f.stage}]", []).append(o)
    lines = [f"{fmt}: {len(bad)} of {MUTANTS} mutants broke an invariant"]
    for sig, cases in sorted(by_sig.items()):
        o = cases[0]
        msg = next(f.message for f in o.findings if f"{f.signature} [{f.stage}]" in sig)
        lines.append(
            f"  {len(cases)}x {sig}\n      e.g. case {fmt}:{o.index} ({o.seed}: {o.mutation[:160]})"
            f"\n      {msg[:300]}"
        )
    lines.append(f"  replay: python benchmarks/fuzz_readers.py --seed {SEED} --replay {fmt}:INDEX")
    return "\n".join(lines)


@pytest.mark.parametrize("fmt", FORMATS)
def test_fuzz_reader(runner: fuzzing.Runner, fmt: str) -> None:
    jobs = [(SEED, i, fmt) for i in range(MUTANTS)]
    outcomes = list(runner.run(jobs))
    assert len(outcomes) == MUTANTS
    bad = [o for o in outcomes if o.status in ("crash", "hang", "miscount", "schema")]
    assert not bad, _report(fmt, bad)
    # the mutants reach the reader (not all rejected up front as unreadable)
    assert sum(o.status == "ok" for o in outcomes) >= MUTANTS // 10
