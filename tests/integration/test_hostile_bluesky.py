"""Bluesky readers on hostile input (issue 7): real Jetstream events and the real
repository CAR file from ../shared/data, mutated in the test.

Deletes resolve to tombstones; wrong-typed fields, out-of-range times, broken
facets, flipped CAR bytes and non-canonical DAG-CBOR are skipped and counted
(naming the field, file and offset), never a traceback nor the loss of the rest
of the file; the data-model checks pass the atproto interop fixtures.
"""

from __future__ import annotations

import base64
import json
import math
import struct
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from mutuals.errors import DataFormatError
from mutuals.io.readers import atproto, bluesky
from mutuals.io.readreport import ReadReport
from mutuals.io.schema import SCHEMAS

pytestmark = pytest.mark.shared_data

JET = "bluesky-jetstream-corpus"
CONF = "bluesky-atproto-interop-conformance"


def _read(path: Path) -> tuple[dict[str, pa.Table], ReadReport]:
    report = ReadReport(str(path))
    chunks: dict[str, list[pa.Table]] = {}
    for name, table in bluesky.read_bluesky(path, report):
        assert table.schema.equals(SCHEMAS[name]), name
        chunks.setdefault(name, []).append(table)
    tables = {n: pa.concat_tables(ts) for n, ts in chunks.items()}
    for n, t in tables.items():
        assert report.rows[n] == t.num_rows
    kept = report.records - report.n_skipped
    assert kept >= 0 and report.records == kept + report.n_skipped
    return tables, report


def _events(shared_data: Path) -> list[dict[str, Any]]:
    lines = (shared_data / JET / "expected_v1.jsonl").read_text().splitlines()
    return [json.loads(ln) for ln in lines if ln.strip()]


def _first(events: list[dict[str, Any]], coll: str, **has: bool) -> dict[str, Any]:
    for e in events:
        c = e.get("commit") or {}
        rec = c.get("record") or {}
        if (
            c.get("collection") == coll
            and c.get("operation") == "create"
            and all(bool(rec.get(k)) == v for k, v in has.items())
        ):
            return json.loads(json.dumps(e))
    raise AssertionError(coll)


def _delete_of(e: dict[str, Any]) -> dict[str, Any]:
    c = e["commit"]
    return {
        "did": e["did"],
        "time_us": e["time_us"] + 1000,
        "kind": "commit",
        "commit": {"operation": "delete", "collection": c["collection"], "rkey": c["rkey"]},
    }


def _write(tmp_path: Path, events: list[Any], name: str = "js.jsonl") -> Path:
    f = tmp_path / name
    f.write_text(
        "\n".join(e if isinstance(e, str) else json.dumps(e) for e in events) + "\n", "utf-8"
    )
    return f


def _uri(e: dict[str, Any]) -> str:
    return f"at://{e['did']}/{e['commit']['collection']}/{e['commit']['rkey']}"


# -- 1. deletes -------------------------------------------------------------------------


def test_create_then_delete_in_one_input_leaves_nothing(shared_data: Path, tmp_path: Path) -> None:
    ev = _events(shared_data)
    follow = next(
        json.loads(ln)
        for ln in (shared_data / JET / "golden_v1.jsonl").read_text().splitlines()
        if '"app.bsky.graph.follow"' in ln
    )
    like, repost = _first(ev, "app.bsky.feed.like"), _first(ev, "app.bsky.feed.repost")
    kept_like = _first(ev, "app.bsky.feed.like")
    kept_like["commit"]["rkey"] = "3mptbzzzzzz2a"  # another like: stays
    f = _write(
        tmp_path,
        [follow, like, repost, kept_like, _delete_of(follow), _delete_of(like), _delete_of(repost)],
    )
    tables, report = _read(f)
    assert "follows" not in tables
    ints = tables["interactions"].to_pylist()
    assert [(i["kind"], i["record_id"]) for i in ints] == [("like", _uri(kept_like))]
    tombs = {t["record_id"]: t for t in tables["tombstones"].to_pylist()}
    assert set(tombs) == {_uri(follow), _uri(like), _uri(repost)}
    assert tombs[_uri(follow)]["collection"] == "app.bsky.graph.follow"
    assert tombs[_uri(follow)]["deleted_at"] is not None
    assert report.n_skipped == 0 and report.records == 7
    assert report.noted["app.bsky.graph.follow deleted later in this input (not emitted)"] == 1
    # the repost's own post row is marked deleted
    posts = {p["post_id"]: p for p in tables["posts"].to_pylist()}
    assert posts[_uri(repost)]["deleted"] is True


def test_delete_before_create_does_not_hide_a_later_create(
    shared_data: Path, tmp_path: Path
) -> None:
    like = _first(_events(shared_data), "app.bsky.feed.like")
    tables, _ = _read(_write(tmp_path, [_delete_of(like), like]))
    assert tables["interactions"].num_rows == 1
    assert tables["tombstones"].num_rows == 1


def test_every_follow_like_repost_row_has_its_record_id(shared_data: Path) -> None:
    for name in ("expected_v1.jsonl", "repo.car"):
        tables, _ = _read(shared_data / JET / name)
        for row in tables["follows"].to_pylist():
            assert row["record_id"].startswith(f"at://{row['follower_id']}/app.bsky.graph.follow/")
        for row in tables["interactions"].to_pylist():
            if row["kind"] in ("like", "repost"):
                coll = "app.bsky.feed." + row["kind"]
                assert row["record_id"].startswith(f"at://{row['source_id']}/{coll}/")


def test_delete_in_a_later_ingest_removes_the_follow(shared_data: Path, tmp_path: Path) -> None:
    from mutuals.io.ingest import ingest
    from mutuals.io.store import open_store

    follow = next(
        json.loads(ln)
        for ln in (shared_data / JET / "golden_v1.jsonl").read_text().splitlines()
        if '"app.bsky.graph.follow"' in ln
    )
    store = tmp_path / "store"
    ingest([_write(tmp_path, [follow], "a.jsonl")], store)
    assert open_store(store).table("follows").num_rows == 1
    ingest([_write(tmp_path, [_delete_of(follow)], "b.jsonl")], store)
    assert open_store(store).table("follows").num_rows == 0
    # the tombstone stays: ingesting the create again does not bring the follow back
    ingest([_write(tmp_path, [follow], "c.jsonl")], store)
    assert open_store(store).table("follows").num_rows == 0


# -- 2. times, facets, wrong-typed fields ----------------------------------------------


@pytest.mark.parametrize("t_us", [10**20, -(10**20), 2**63 - 1, 253402300800 * 10**6])
def test_time_us_out_of_range_is_noted_not_a_traceback(
    shared_data: Path, tmp_path: Path, t_us: int
) -> None:
    like = _first(_events(shared_data), "app.bsky.feed.like")
    like["time_us"] = t_us
    del like["commit"]["record"]["createdAt"]
    post = _first(_events(shared_data), "app.bsky.feed.post")
    tables, report = _read(_write(tmp_path, [like, post]))
    assert report.noted[bluesky.TIME_OUT_OF_RANGE] == 1
    assert report.n_skipped == 0
    [row] = tables["interactions"].to_pylist()
    assert row["created_at"] is None
    assert tables["posts"].num_rows == 1


def test_broken_facets_are_left_out_and_counted(shared_data: Path, tmp_path: Path) -> None:
    post = _first(_events(shared_data), "app.bsky.feed.post", facets=True)
    good = post["commit"]["record"]["facets"]
    broken = [
        5,
        "facet",
        {"index": [1, 2], "features": good[0]["features"]},
        {"index": good[0]["index"], "features": 7},
        {"index": good[0]["index"], "features": [3]},
        {"index": {"byteStart": "0", "byteEnd": 3}, "features": good[0]["features"]},
        {
            "index": good[0]["index"],
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": 5}],
        },
    ]
    variants = []
    for i, bad in enumerate(broken):
        e = json.loads(json.dumps(post))
        e["commit"]["rkey"] = f"3mptbyoeyc2{i}k"
        e["commit"]["record"]["facets"] = [bad, *good]
        variants.append(e)
    tables, report = _read(_write(tmp_path, variants))
    assert report.n_skipped == 0
    noted = {k: n for k, n in report.noted.items() if k.startswith(bluesky.FACET_SKIPPED)}
    assert sum(noted.values()) == len(broken)
    assert any("$.facets[].index" in k for k in noted)
    assert any("$.facets[].features[].uri" in k for k in noted)
    # the good facets of each post are still applied
    texts = {p["text"] for p in tables["posts"].to_pylist()}
    assert texts == {"https://www.youtube.com/watch?v=V5lDo-jw8mA"}


def _set(d: dict[str, Any], path: str, value: Any) -> None:
    keys = path.split(".")
    for k in keys[:-1]:
        d = d[k]
    d[keys[-1]] = value


#: (collection, field path inside the event, wrong value, field named in the reason)
_WRONG = [
    ("app.bsky.graph.follow", "commit.record.subject", 5, "$.subject"),
    ("app.bsky.graph.follow", "commit.record.createdAt", ["x"], "$.createdAt"),
    ("app.bsky.feed.like", "commit.record.subject", "at://did:plc:x/a.b.c/d", "$.subject"),
    ("app.bsky.feed.like", "commit.record.subject.uri", {"a": 1}, "$.subject.uri"),
    ("app.bsky.feed.repost", "commit.record.subject", None, "$.subject"),
    ("app.bsky.feed.post", "commit.record.text", 12, "$.text"),
    ("app.bsky.feed.post", "commit.record.langs", "en", "$.langs"),
    ("app.bsky.feed.post", "commit.record.facets", {"index": 1}, "$.facets"),
    ("app.bsky.feed.post", "commit.record.reply", {"parent": "x", "root": 5}, "$.reply.parent"),
    (
        "app.bsky.feed.post",
        "commit.record.embed",
        {"$type": "app.bsky.embed.images", "images": {}},
        "$.embed.images",
    ),
    (
        "app.bsky.feed.post",
        "commit.record.embed",
        {"$type": "app.bsky.embed.external", "external": 5},
        "$.embed.external",
    ),
    (
        "app.bsky.feed.post",
        "commit.record.embed",
        {"$type": "app.bsky.embed.record", "record": {"uri": 7}},
        "$.embed.record.uri",
    ),
    ("app.bsky.feed.post", "commit.record.x", 1.5, "$.x"),  # a float: not in the data model
    ("app.bsky.feed.post", "commit.record.$type", 5, "$.$type"),
    ("app.bsky.feed.like", "did", 5, "$.did"),
    ("app.bsky.feed.like", "time_us", "1783175888085434", "$.time_us"),
    ("app.bsky.feed.like", "commit", [1], "$.commit"),
    ("app.bsky.feed.like", "commit.rkey", 3, "$.commit.rkey"),
    ("app.bsky.feed.like", "commit.operation", None, "$.commit.operation"),
    ("app.bsky.feed.like", "commit.record", "like", "$.commit.record"),
]


@pytest.mark.parametrize(("coll", "path", "value", "named"), _WRONG)
def test_wrong_typed_field_is_skipped_naming_it(
    shared_data: Path, tmp_path: Path, coll: str, path: str, value: Any, named: str
) -> None:
    ev = _events(shared_data)
    e = _first(ev, coll)
    _set(e, path, value)
    good = _first(ev, "app.bsky.feed.post")
    f = _write(tmp_path, [good, e, good])
    rejects = tmp_path / "rejects.jsonl"
    with rejects.open("w") as fh:
        report = ReadReport(str(f), rejects=fh)
        tables: dict[str, list[pa.Table]] = {}
        for name, t in bluesky.read_bluesky(f, report):
            tables.setdefault(name, []).append(t)
    assert report.records == 3 and report.n_skipped == 1, report.skipped
    [reason] = report.skipped
    assert named in reason, reason
    [rej] = [json.loads(ln) for ln in rejects.read_text().splitlines()]
    assert rej["where"] == f"{f}:2"  # file and line
    assert sum(t.num_rows for t in tables["posts"]) == 2  # the rest of the file is kept


def test_deeply_nested_line_is_skipped(shared_data: Path, tmp_path: Path) -> None:
    good = _first(_events(shared_data), "app.bsky.feed.post")
    deep = json.dumps(good)[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    tables, report = _read(_write(tmp_path, [good, deep, good]))
    assert report.records == 3 and report.n_skipped == 1
    assert tables["posts"].num_rows == 2


def test_early_year_created_at_does_not_crash(shared_data: Path, tmp_path: Path) -> None:
    like = _first(_events(shared_data), "app.bsky.feed.like")
    like["commit"]["record"]["createdAt"] = "0001-01-01T00:00:00+01:00"
    tables, report = _read(_write(tmp_path, [like]))
    assert report.n_skipped == 0 and tables["interactions"].num_rows == 1


# -- 3. CAR damage ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def car(shared_data: Path) -> tuple[bytes, atproto.CarFile]:
    raw = (shared_data / JET / "repo.car").read_bytes()
    return raw, atproto.read_car(raw)


def _flip(raw: bytes, at: int) -> bytes:
    b = bytearray(raw)
    b[at] ^= 0x20
    return bytes(b)


def test_flipped_byte_in_a_record_skips_that_record_only(car, tmp_path: Path) -> None:
    raw, _ = car
    at = raw.index(b"a test reply!") + 2  # "a test reply!" -> "a Test reply!"
    f = tmp_path / "flipped.car"
    f.write_bytes(_flip(raw, at))
    tables, report = _read(f)
    assert report.records == 23 and report.n_skipped == 1
    assert report.skipped["record block missing from CAR or damaged"] == 1
    texts = [p["text"] for p in tables["posts"].to_pylist()]
    assert "a Test reply!" not in texts and "a test reply!" not in texts
    [damage] = [k for k in report.noted if k.startswith("damaged CAR block")]
    block_start = max(o for o in atproto.read_car(raw).offsets.values() if o < at)
    assert f"at byte {block_start}:" in damage and "hash" in damage


def test_flipped_length_byte_resyncs_to_the_next_block(car, tmp_path: Path) -> None:
    raw, parsed = car
    # the length varint of the reply's record block
    at = max(o for o in parsed.offsets.values() if o < raw.index(b"a test reply!"))
    f = tmp_path / "len.car"
    f.write_bytes(_flip(raw, at))
    _, report = _read(f)
    assert report.records - report.n_skipped == 22  # at most that block's records lost
    assert any(f"at byte {at}:" in k for k in report.noted)


def test_damaged_mst_node_loses_only_its_subtree(car, tmp_path: Path) -> None:
    raw, parsed = car
    commit = atproto.decode_dag_cbor(parsed.blocks[str(parsed.roots[0])])
    root = str(commit["data"])
    node = atproto.decode_dag_cbor(parsed.blocks[root])
    sub = next((str(e["t"]) for e in node["e"] if e.get("t")), None) or str(node["l"])
    f = tmp_path / "mst.car"
    f.write_bytes(_flip(raw, parsed.offsets[sub] + 45))
    _, report = _read(f)
    assert report.skipped["MST subtree lost (missing or damaged node)"] == 1
    assert 0 < report.records - report.n_skipped < 23


def test_damaged_header_still_finds_the_commit(car, tmp_path: Path) -> None:
    raw, _ = car
    f = tmp_path / "header.car"
    f.write_bytes(_flip(raw, raw.index(b"roots")))
    assert bluesky.sniff(f)
    _, report = _read(f)
    assert report.records == 23 and report.n_skipped == 0
    assert any("header" in k for k in report.noted)


def test_damaged_commit_is_one_error_naming_file_and_block(car, tmp_path: Path) -> None:
    raw, parsed = car
    f = tmp_path / "commit.car"
    f.write_bytes(_flip(raw, parsed.offsets[str(parsed.roots[0])] + 60))
    with pytest.raises(DataFormatError, match=r"commit\.car: the commit block .* damaged"):
        _read(f)


def test_car_blocks_are_checked_against_their_cids(car) -> None:
    raw, parsed = car
    assert parsed.damaged == [] and len(parsed.blocks) == len(parsed.offsets)
    for name, block in parsed.blocks.items():
        start = parsed.offsets[name]
        cid, _ = atproto.CID.parse(raw, start + (2 if raw[start] & 0x80 else 1))
        assert str(cid) == name and cid.verify(block) is True


# -- 4. strict DAG-CBOR and the data model ---------------------------------------------


def _h(major: int, arg: int) -> bytes:
    if arg < 24:
        return bytes([major << 5 | arg])
    for info, n in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if arg < 1 << (8 * n):
            return bytes([major << 5 | info]) + arg.to_bytes(n, "big")
    raise ValueError(arg)


def _enc(v: Any) -> bytes:
    """Canonical DAG-CBOR of a JSON value (``$link``/``$bytes`` objects kept as maps,
    whole floats as integers)."""
    if v is None:
        return b"\xf6"
    if isinstance(v, bool):
        return b"\xf5" if v else b"\xf4"
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, int):
        return _h(0, v) if v >= 0 else _h(1, -1 - v)
    if isinstance(v, float):
        return b"\xfb" + struct.pack(">d", v)
    if isinstance(v, str):
        b = v.encode()
        return _h(3, len(b)) + b
    if isinstance(v, list):
        return _h(4, len(v)) + b"".join(_enc(x) for x in v)
    keys = sorted(v, key=lambda k: (len(k.encode()), k.encode()))
    return _h(5, len(v)) + b"".join(_enc(k) + _enc(v[k]) for k in keys)


_NOT_DAG_CBOR = {
    "duplicate key": bytes.fromhex("a2616101616102"),
    "unsorted keys": bytes.fromhex("a2616201616102"),
    "not length-first": bytes.fromhex("a2626161016162" + "02"),
    "NaN": bytes.fromhex("a16161fb7ff8000000000000"),
    "Infinity": bytes.fromhex("a16161fb7ff0000000000000"),
    "-Infinity": bytes.fromhex("a16161fbfff0000000000000"),
    "float": bytes.fromhex("a16161fb3ff8000000000000"),
    "half float": bytes.fromhex("a16161f93c00"),
    "single float": bytes.fromhex("a16161fa3f800000"),
    "non-minimal int (1 byte)": bytes.fromhex("a161611805"),
    "non-minimal int (2 bytes)": bytes.fromhex("a16161190005"),
    "non-minimal int (8 bytes)": bytes.fromhex("a161611b00000000ffffffff"),
    "non-minimal string length": bytes.fromhex("a161617801" + "62"),
    "non-minimal map length": bytes.fromhex("b8016161" + "01"),
    "indefinite array": bytes.fromhex("a161619f01ff"),
    "indefinite map": bytes.fromhex("bf616101ff"),
    "indefinite string": bytes.fromhex("a161617f6162ff"),
    "integer beyond int64": bytes.fromhex("a161611bffffffffffffffff"),
    "negative beyond int64": bytes.fromhex("a161613bffffffffffffffff"),
    "undefined": bytes.fromhex("a16161f7"),
    "simple value 16": bytes.fromhex("a16161f0"),
    "tag 1": bytes.fromhex("a16161c101"),
    "integer map key": bytes.fromhex("a10101"),
    "invalid UTF-8": bytes.fromhex("a1616162c328"),
    "trailing byte": bytes.fromhex("a0" + "00"),
}


@pytest.mark.parametrize("name", sorted(_NOT_DAG_CBOR))
def test_decoder_refuses_what_dag_cbor_forbids(name: str) -> None:
    with pytest.raises(DataFormatError, match=r"at byte \d+"):
        atproto.decode_dag_cbor(_NOT_DAG_CBOR[name])


def test_decoder_error_gives_the_file_offset() -> None:
    with pytest.raises(DataFormatError, match="at byte 1004: duplicate map key"):
        atproto.decode_dag_cbor(_NOT_DAG_CBOR["duplicate key"], offset=1000)


def test_deep_cbor_is_an_error_not_a_recursion_error() -> None:
    with pytest.raises(DataFormatError, match="nested deeper"):
        atproto.decode_dag_cbor(b"\x81" * 100_000 + b"\x01")


def _fixtures(shared_data: Path, kind: str) -> list[dict[str, Any]]:
    return json.loads((shared_data / CONF / f"data-model__data-model-{kind}.json").read_text())


def test_interop_data_model_fixtures(shared_data: Path) -> None:
    """Every valid fixture accepted, every invalid one refused: as JSON (Jetstream)
    and encoded as DAG-CBOR (a CAR record)."""
    valid, invalid = _fixtures(shared_data, "valid"), _fixtures(shared_data, "invalid")
    assert len(valid) == 5 and len(invalid) == 12

    def accepted(value: Any) -> tuple[bool, bool]:
        try:
            atproto.check_data_model(value)
            as_json = True
        except DataFormatError:
            as_json = False
        try:
            atproto.check_data_model(bluesky.to_json_model(atproto.decode_dag_cbor(_enc(value))))
            as_cbor = True
        except DataFormatError:
            as_cbor = False
        return as_json, as_cbor

    assert [fx["note"] for fx in valid if accepted(fx["json"]) != (True, True)] == []
    assert [fx["note"] for fx in invalid if accepted(fx["json"]) != (False, False)] == []
    # the canonical fixtures (CBOR bytes with their JSON form) are all valid too
    for fx in json.loads((shared_data / CONF / "data-model__data-model-fixtures.json").read_text()):
        raw = base64.b64decode(fx["cbor_base64"] + "=" * (-len(fx["cbor_base64"]) % 4))
        model = bluesky.to_json_model(atproto.decode_dag_cbor(raw))
        atproto.check_data_model(model)
        assert _enc(fx["json"]) != raw or model == fx["json"]


def test_invalid_data_model_record_in_jetstream_is_skipped(
    shared_data: Path, tmp_path: Path
) -> None:
    post = _first(_events(shared_data), "app.bsky.feed.post")
    bad = []
    for i, fx in enumerate(_fixtures(shared_data, "invalid")):
        if not isinstance(fx["json"], dict):
            continue
        e = json.loads(json.dumps(post))
        e["commit"]["rkey"] = f"3mptbyqhi7s{i:02d}"
        e["commit"]["record"].update(fx["json"])
        bad.append(e)
    tables, report = _read(_write(tmp_path, [post, *bad]))
    assert report.n_skipped == len(bad) == 11
    assert all(r.startswith("app.bsky.feed.post record: ") for r in report.skipped)
    assert tables["posts"].num_rows == 1


def test_cid_syntax_conformance(shared_data: Path) -> None:
    def lines(name: str) -> list[str]:
        text = (shared_data / CONF / f"syntax__cid_syntax_{name}.txt").read_text()
        return [ln for ln in text.split("\n") if ln and not ln.startswith("#")]

    assert [c for c in lines("valid") if not atproto.is_cid(c)] == []
    assert [c for c in lines("invalid") if atproto.is_cid(c)] == []


def test_encoder_roundtrip_of_the_real_car(car) -> None:
    """The test encoder is canonical: it re-encodes every real block byte for byte
    (so the refusals above are about the encodings, not the values)."""
    _, parsed = car
    n = 0
    for block in parsed.blocks.values():
        v = atproto.decode_dag_cbor(block)
        if _has_cid_or_bytes(v):
            continue
        assert _enc(v) == block
        n += 1
    assert n > 0


def _has_cid_or_bytes(v: Any) -> bool:
    if isinstance(v, atproto.CID | bytes):
        return True
    if isinstance(v, dict):
        return any(_has_cid_or_bytes(x) for x in v.values())
    if isinstance(v, list):
        return any(_has_cid_or_bytes(x) for x in v)
    return isinstance(v, float) and not math.isfinite(v)


# -- 5. chunking and detection ---------------------------------------------------------


def test_appview_chunks_never_exceed_chunk_rows(shared_data: Path) -> None:
    from mutuals.io.readers import Source
    from mutuals.io.readers.bluesky_api import read_bluesky_api

    path = shared_data / "bluesky-marshalx-sdk-fixtures" / "get_follows.json"
    report = ReadReport(str(path))
    chunks = list(read_bluesky_api(Source(path), report, 2))
    assert chunks and max(t.num_rows for _, t in chunks) <= 2
    assert sum(t.num_rows for n, t in chunks if n == "follows") == report.rows["follows"] > 2


def test_jetstream_with_car_bytes_inside_is_still_jetstream(car, tmp_path: Path) -> None:
    raw, _ = car
    good = b'{"did":"did:plc:abc","time_us":1,"kind":"identity","identity":{"handle":"a.bsky.app"}}'
    f = tmp_path / "spliced.jsonl"
    f.write_bytes(good + b"\n" + raw[100:900] + b"\n" + good + b"\n")
    tables, report = _read(f)
    assert report.format == "bluesky-jetstream" and tables["accounts"].num_rows >= 1
