"""Crashes and miscounts the 100,000-mutant fuzz run found (benchmarks/fuzz_readers.py
--mutants 100000 --seed 7), each rebuilt here from the input that caused it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mutuals.errors import DataFormatError, MutualsError
from mutuals.io.readers import read
from mutuals.io.readreport import ReadReport

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fuzz"


def _read(path: Path, fmt: str, chunk_rows: int = 64) -> ReadReport:
    rep = ReadReport(str(path))
    list(read(path, format=fmt, report=rep, chunk_rows=chunk_rows))
    return rep


def test_gexf_naming_an_unknown_encoding_is_a_typed_error(tmp_path: Path) -> None:
    p = tmp_path / "g.gexf"
    p.write_text(
        '<?xml version="1.0" encoding="utfS8"?>\n'
        '<gexf xmlns="http://gexf.net/1.3"><graph defaultedgetype="directed">'
        '<nodes><node id="1"/><node id="2"/></nodes><edges><edge source="1" target="2"/></edges>'
        "</graph></gexf>\n"
    )
    with pytest.raises(DataFormatError, match="utfS8"):
        _read(p, "gexf")


def test_parquet_with_damaged_metadata_is_a_typed_error() -> None:
    with pytest.raises(MutualsError, match="parquet-edges-bad-metadata"):
        _read(FIXTURES / "parquet-edges-bad-metadata.parquet", "parquet-edges", chunk_rows=3)


def test_a_record_skipped_by_its_row_and_by_its_reader_counts_once(
    shared_data: Path, tmp_path: Path
) -> None:
    """x-v1 mutant 4639: a wrong-typed name (the row check drops the account row)
    and a status without a usable id (the reader skips the record) in one record."""
    rec = json.loads((shared_data / "twitter-v1-python-twitter/friendship-create.json").read_text())
    rec["name"] = []
    rec["status"]["id"] = {"a": 1}
    rec.pop("id_str", None)
    rec["status"].pop("id_str", None)
    p = tmp_path / "friendship-create.json"
    p.write_text(json.dumps(rec))
    rep = _read(p, "x-v1", chunk_rows=1)
    assert rep.n_skipped <= rep.records == 1
    assert rep.skipped  # the record is counted as skipped, once


def test_row_and_record_skips_of_one_record_count_once() -> None:
    rep = ReadReport("x")
    rep.records += 1
    rep.skip_row("accounts.handle: a list where text is expected (record skipped)")
    rep.skip("status without id")
    rep.skip_row("posts.text: wrong type (record skipped)")
    assert rep.n_skipped == 1 and rep.records == 1
    assert sum(rep.noted.values()) == 2
    rep.records += 1  # the next record counts again
    rep.skip("malformed JSON")
    assert rep.n_skipped == 2


def test_a_record_skipped_inside_and_then_failing_counts_once(
    shared_data: Path, tmp_path: Path
) -> None:
    """twarc2-flat mutant 4614 of the second 100,000-mutant run (seed 8): an
    embedded author without a usable id (skipped) and a wrong-typed field
    further on (the catch-all) in one record."""
    line = (shared_data / "twarc2-docnow-plugins/carpentries_one_tweet.jsonl").read_text()
    rec = json.loads(line.splitlines()[0])
    ref = rec["referenced_tweets"][0]
    ref["author"]["id"] = 18446744073709551617
    ref["attachments"] = {"media_keys": True}
    ref["author"].setdefault("public_metrics", {})["tweet_count"] = -1
    p = tmp_path / "one.jsonl"
    p.write_text(json.dumps(rec) + "\n")
    rep = _read(p, "twarc2-flat", chunk_rows=64)
    assert rep.n_skipped <= rep.records == 1
