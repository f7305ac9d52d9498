"""Hostile X archives (issue 7): real ``tweets.js`` records mutated, each read without a
traceback, the damaged record skipped with a reason naming the field (or its byte
offset), the rest of the file kept, and ``records == kept + skipped``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from mutuals.io.readers import read, xarchive
from mutuals.io.readreport import ReadReport
from mutuals.io.schema import SCHEMAS

ARCHIVE = "twitter-archive-folddb-fixture"


def _split(path: Path) -> tuple[str, list[Any]]:
    text = path.read_text("utf-8")
    i = text.index("=")
    return text[: i + 1], json.loads(text[i + 1 :].strip().rstrip(";"))


def _archive(shared_data: Path, tmp_path: Path, mutate=None, n: int = 12) -> Path:
    """A small archive: the real account.js and the first ``n`` real tweets, mutated."""
    d = tmp_path / "arch"
    d.mkdir()
    shutil.copy(shared_data / ARCHIVE / "account.js", d / "account.js")
    head, tweets = _split(shared_data / ARCHIVE / "tweets.js")
    tweets = tweets[:n]
    if mutate is not None:
        mutate(tweets)
    (d / "tweets.js").write_text(head + " " + json.dumps(tweets, indent=2))
    return d


def _read(path: Path) -> tuple[dict[str, int], ReadReport]:
    rep = ReadReport(str(path))
    rows: dict[str, int] = {}
    for name, t in read(path, report=rep):
        assert t.schema.equals(SCHEMAS[name])
        rows[name] = rows.get(name, 0) + t.num_rows
    kept = rep.records - rep.n_skipped
    assert kept >= 0
    return rows, rep


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("display_text_range", 5, "$.display_text_range: Expected `array | null`, got `int`"),
        ("display_text_range", True, "$.display_text_range: Expected `array | null`, got `bool`"),
        ("entities.hashtags", 7, "$.entities.hashtags: Expected `array | null`, got `int`"),
        ("entities.urls", {"a": 1}, "$.entities.urls: Expected `array | null`, got `object`"),
        ("entities.user_mentions", 5, "$.entities.user_mentions: Expected `array | null`"),
        ("extended_entities", 3, "$.extended_entities: Expected `object | null`, got `int`"),
        ("id_str", ["1"], "$.id_str: Expected `int | str | null`, got `array`"),
        ("id_str", {"a": 1}, "$.id_str: Expected `int | str | null`, got `object`"),
        ("full_text", 12, "$.full_text: Expected `str | null`, got `int`"),
        ("edit_info", [1], "$.edit_info: Expected `object | null`, got `array`"),
    ],
)
def test_a_field_of_the_wrong_type_skips_its_tweet_naming_the_field(
    shared_data: Path, tmp_path: Path, field: str, value: Any, reason: str
) -> None:
    def mutate(tweets: list[Any]) -> None:
        obj = tweets[3]["tweet"]
        *parents, last = field.split(".")
        for k in parents:
            obj = obj.setdefault(k, {})
        obj[last] = value

    rows, rep = _read(_archive(shared_data, tmp_path, mutate))
    key = next((k for k in rep.skipped if reason in k), None)
    assert key is not None, rep.skipped
    assert key.startswith("tweet with a field of the wrong type: ")
    assert rep.skipped[key] == 1 and rep.n_skipped == 1
    assert rows["posts"] == 11  # the other tweets are kept


def test_a_bool_or_20_digit_id_is_handled(shared_data: Path, tmp_path: Path) -> None:
    def mutate(tweets: list[Any]) -> None:
        tweets[0]["tweet"]["id_str"] = True
        tweets[1]["tweet"]["id_str"] = 12345678901234567890

    rows, rep = _read(_archive(shared_data, tmp_path, mutate))
    assert (
        rep.skipped[
            "tweet with a field of the wrong type: $.id_str: Expected "
            "`int | str | null`, got `bool`"
        ]
        == 1
    )
    assert rows["posts"] == 10
    assert rep.skipped["tweet without a numeric id_str"] == 1  # a number, not a string


def test_one_flipped_byte_skips_one_record_and_keeps_the_rest(
    shared_data: Path, tmp_path: Path
) -> None:
    d = tmp_path / "arch"
    d.mkdir()
    shutil.copy(shared_data / ARCHIVE / "account.js", d / "account.js")
    data = bytearray((shared_data / ARCHIVE / "tweets.js").read_bytes())
    _, all_tweets = _split(shared_data / ARCHIVE / "tweets.js")
    at = data.index(b'"full_text"', len(data) // 2)
    data[at] = ord("#")  # a quote becomes '#': that record is no longer JSON
    (d / "tweets.js").write_bytes(bytes(data))
    rows, rep = _read(d)
    damaged = "damaged archive record (not valid JSON; the other records are kept)"
    assert rep.skipped[damaged] == 1 and rep.n_skipped == 1
    assert rows["posts"] == len(all_tweets) - 1
    assert rep.records == len(all_tweets) + 1  # + the account record


def test_damaged_record_names_file_and_offset(shared_data: Path, tmp_path: Path) -> None:
    d = tmp_path / "arch"
    d.mkdir()
    data = bytearray((shared_data / ARCHIVE / "follower.js").read_bytes())
    at = data.index(b'"accountId"', 2000)
    data[at + 3] = 0xFF  # not UTF-8 inside a key
    (d / "follower.js").write_bytes(bytes(data))
    shutil.copy(shared_data / ARCHIVE / "account.js", d / "account.js")
    buf = tmp_path / "rejects.jsonl"
    with buf.open("w") as fh:
        rep = ReadReport("a", rejects=fh)
        list(xarchive.read_xarchive(d, rep))
    (line,) = [json.loads(x) for x in buf.read_text().splitlines()]
    assert "follower.js: byte " in line["where"] and ", line " in line["where"]
    start = int(line["where"].split("byte ")[1].split(",")[0])
    assert start <= at < start + 400


def test_empty_array_counts_no_record(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / "twitter-archive-twitter-to-sqlite" / "account-suspension.js"
    d = tmp_path / "arch"
    d.mkdir()
    shutil.copy(src, d / "account-suspension.js")
    shutil.copy(shared_data / "twitter-archive-twitter-to-sqlite" / "account.js", d)
    _, rep = _read(d)
    assert rep.records == 1 and rep.n_skipped == 0  # the account; the empty file: nothing
    rep2 = ReadReport("s")
    list(xarchive.read_xarchive(d / "account-suspension.js", rep2))
    assert rep2.records == 0 and rep2.n_skipped == 0


def test_deeply_nested_record_is_skipped_not_a_crash(shared_data: Path, tmp_path: Path) -> None:
    d = _archive(shared_data, tmp_path)
    text = (d / "tweets.js").read_text()
    deep = '  {\n    "tweet": ' + "[" * 100_000 + "]" * 100_000 + "\n  },\n"
    (d / "tweets.js").write_text(text.replace("[\n", "[\n" + deep, 1))
    rows, rep = _read(d)
    assert rows["posts"] == 12
    assert rep.skipped["damaged archive record (not valid JSON; the other records are kept)"] == 1
    assert rep.n_skipped == 1


def test_huge_text_is_skipped_at_the_reader(shared_data: Path, tmp_path: Path) -> None:
    def mutate(tweets: list[Any]) -> None:
        tweets[2]["tweet"]["full_text"] = "x" * (2 << 20)

    rows, rep = _read(_archive(shared_data, tmp_path, mutate))
    assert rows["posts"] == 11
    assert rep.skipped["posts.text_raw: text longer than 1 MiB (record skipped)"] == 1
