"""Hostile X API v2 (twarc2) pages (issue 7): real pages mutated; each is read without a
traceback, a record with a field of the wrong type is skipped naming the field (or,
for a count given as text, converted and noted), and ``records == kept + skipped``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mutuals.io.readers import detect, read
from mutuals.io.readreport import ReadReport
from mutuals.io.schema import SCHEMAS

PAGE = "twarc-csv-testdata/media_tweet.jsonl"


def _page(shared_data: Path) -> dict[str, Any]:
    return json.loads((shared_data / PAGE).read_text().splitlines()[0])


def _read(path: Path, **kw: Any) -> tuple[dict[str, int], ReadReport]:
    rep = ReadReport(str(path))
    rows: dict[str, int] = {}
    for name, t in read(path, report=rep, **kw):
        assert t.schema.equals(SCHEMAS[name])
        rows[name] = rows.get(name, 0) + t.num_rows
    assert rep.records - rep.n_skipped >= 0
    return rows, rep


def test_count_given_as_text_is_converted_and_noted(shared_data: Path, tmp_path: Path) -> None:
    page = _page(shared_data)
    page["data"][0]["public_metrics"]["like_count"] = "5"
    p = tmp_path / "p.jsonl"
    p.write_text(json.dumps(page) + "\n")
    rows, rep = _read(p)
    assert rep.noted["posts.like_count: number given as text (converted)"] == 1
    assert rep.n_skipped == 0 and rows["posts"] >= 1


@pytest.mark.parametrize("bad", [["1"], {"a": 1}, True, 12345678901234567890, 1.5])
def test_an_id_of_the_wrong_type_never_crashes(shared_data: Path, tmp_path: Path, bad: Any) -> None:
    page = _page(shared_data)
    page["data"][0]["author_id"] = bad
    page["includes"]["users"][0]["id"] = bad
    p = tmp_path / "p.jsonl"
    p.write_text(json.dumps(page) + "\n" + json.dumps(_page(shared_data)) + "\n")
    rows, rep = _read(p)
    assert rows["posts"] >= 1  # the intact second page is kept
    assert rep.records >= rep.n_skipped


@pytest.mark.parametrize("where", ["attachments", "includes.media", "entities.urls"])
def test_media_entities_of_the_wrong_shape_never_crash(
    shared_data: Path, tmp_path: Path, where: str
) -> None:
    page = _page(shared_data)
    if where == "attachments":
        page["data"][0]["attachments"] = {"media_keys": {"a": 1}}
    elif where == "includes.media":
        page["includes"]["media"] = {"media_key": "7_1", "type": {"x": 1}}
    else:
        page["data"][0]["entities"] = {"urls": {"media_key": "x"}}
    p = tmp_path / "p.jsonl"
    p.write_text(json.dumps(page) + "\n")
    _read(p)


def test_media_item_with_an_object_for_its_type_skips_the_post_naming_the_column(
    shared_data: Path, tmp_path: Path
) -> None:
    page = _page(shared_data)
    page["includes"]["media"][0]["type"] = {"x": 1}
    p = tmp_path / "p.jsonl"
    p.write_text(json.dumps(page) + "\n")
    _, rep = _read(p)
    assert any(k.startswith("posts.media: ") for k in rep.skipped), rep.skipped


def test_deeply_nested_line_is_skipped_and_the_rest_kept(shared_data: Path, tmp_path: Path) -> None:
    good = (shared_data / PAGE).read_text().splitlines()[0]
    p = tmp_path / "p.jsonl"
    p.write_text(good + "\n" + '{"data": ' + "[" * 100_000 + "]" * 100_000 + "}\n" + good + "\n")
    rows, rep = _read(p, format="twarc2")
    assert rep.skipped["malformed JSON"] == 1 and rep.n_skipped == 1
    assert rows["posts"] >= 1


def test_huge_text_is_skipped_at_the_reader(shared_data: Path, tmp_path: Path) -> None:
    page = _page(shared_data)
    page["data"][0]["text"] = "x" * (2 << 20)
    p = tmp_path / "p.jsonl"
    p.write_text(json.dumps(page) + "\n")
    _, rep = _read(p)
    assert rep.skipped["posts.text: text longer than 1 MiB (record skipped)"] == 1


def test_a_page_cut_in_half_is_detected_and_counted(shared_data: Path, tmp_path: Path) -> None:
    data = (shared_data / "twarc2-blm-twarc2sql" / "example.jsonl").read_bytes()
    p = tmp_path / "cut.jsonl"
    p.write_bytes(data[: len(data) // 2])
    assert detect(p) == "twarc2"
    _, rep = _read(p)
    assert rep.records == rep.n_skipped + (rep.records - rep.n_skipped)
    assert rep.n_skipped >= 1
