"""Hostile Mastodon API JSON (issue 7): real recorded responses mutated; a status with
a field of the wrong type is skipped naming the field, a count given as text is
converted and noted, a too-deep line is one counted skip; never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mutuals.io.readers import mastodon
from mutuals.io.readreport import ReadReport

RESPONSES = "mastodon-mastodonpy-entity-cassettes/decoded/responses.jsonl"


def _lines(shared_data: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (shared_data / RESPONSES).read_text().split("\n") if x.strip()]


def _status_line(shared_data: Path) -> dict[str, Any]:
    return next(
        r for r in _lines(shared_data) if isinstance(r["body"], dict) and "content" in r["body"]
    )


def _read(p: Path) -> tuple[int, ReadReport]:
    rep = ReadReport(str(p))
    posts = sum(t.num_rows for n, t in mastodon.read_mastodon(p, rep) if n == "posts")
    return posts, rep


def _write(tmp_path: Path, recs: list[dict[str, Any]]) -> Path:
    p = tmp_path / "r.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in recs))
    return p


def test_tags_of_the_wrong_type_skip_the_status_naming_the_field(
    shared_data: Path, tmp_path: Path
) -> None:
    bad, good = _status_line(shared_data), _status_line(shared_data)
    bad["body"]["tags"] = 5
    bad["body"]["id"] = "999"
    posts, rep = _read(_write(tmp_path, [bad, good]))
    key = "status with a field of the wrong type: $.tags: Expected `array | null`, got `int`"
    assert rep.skipped[key] == 1
    assert posts >= 1


def test_count_given_as_text_is_converted_and_noted(shared_data: Path, tmp_path: Path) -> None:
    rec = _status_line(shared_data)
    rec["body"]["favourites_count"] = "5"
    posts, rep = _read(_write(tmp_path, [rec, _status_line(shared_data)]))
    assert rep.noted["posts.like_count: number given as text (converted)"] == 1
    assert rep.n_skipped == 0 and posts >= 1


def test_an_id_list_or_bool_is_skipped(shared_data: Path, tmp_path: Path) -> None:
    a, b = _status_line(shared_data), _status_line(shared_data)
    a["body"]["id"] = ["1"]
    b["body"]["account"]["id"] = True
    _, rep = _read(_write(tmp_path, [a, b, _status_line(shared_data)]))
    assert any("$.id:" in k for k in rep.skipped), rep.skipped
    assert any("$.account.id:" in k for k in rep.skipped), rep.skipped


def test_deeply_nested_line_is_one_counted_skip(shared_data: Path, tmp_path: Path) -> None:
    p = tmp_path / "r.jsonl"
    good = json.dumps(_status_line(shared_data))
    p.write_text(good + "\n" + "[" * 100_000 + "]" * 100_000 + "\n" + good + "\n")
    posts, rep = _read(p)
    assert rep.n_skipped == 1 and posts >= 1
