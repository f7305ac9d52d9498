"""`ingest` and `mutuals ingest`: idempotence, merging without duplicates,
edit chains, referenced accounts, rejects, typed errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from helpers.stores import _bytes
from mutuals.cli.main import main
from mutuals.errors import InputError, UnknownFormatError
from mutuals.io.ingest import KEYS, ingest
from mutuals.io.schema import SCHEMAS
from mutuals.io.store import open_store

V2 = [
    "twarc-csv-testdata/withheld.jsonl",
    "twarc-csv-testdata/flat.jsonl",
    "twarc-csv-testdata/noflat.jsonl",
    "twarc2-docnow-plugins/twarc-network_tweets.jsonl",
]


def _assert_unique_keys(store: Path) -> None:
    con = open_store(store).connect()
    for name, keys in KEYS.items():
        cols = ", ".join(keys)
        n, d = con.execute(f"SELECT count(*), count(DISTINCT ({cols})) FROM {name}").fetchone()  # type: ignore[misc]
        assert n == d, name


def test_ingest_is_deterministic_and_idempotent(shared_data: Path, tmp_path: Path) -> None:
    inputs = [shared_data / r for r in V2]
    ingest(inputs, tmp_path / "a")
    ingest(inputs, tmp_path / "b")
    a = _bytes(tmp_path / "a")
    assert set(a) == {f"{n}.parquet" for n in ("accounts", "posts", "interactions")}
    assert a == _bytes(tmp_path / "b")
    ingest(inputs, tmp_path / "a")  # again into the same store: nothing changes
    assert _bytes(tmp_path / "a") == a
    meta = open_store(tmp_path / "a").metadata
    assert [d["source"] for d in meta["inputs"]] == sorted(str(p) for p in inputs)
    _assert_unique_keys(tmp_path / "a")


def test_merging_inputs_one_by_one_equals_all_at_once(shared_data: Path, tmp_path: Path) -> None:
    inputs = [shared_data / r for r in V2]
    ingest(inputs, tmp_path / "all")
    for p in inputs:
        ingest([p], tmp_path / "each")
    s_all, s_each = open_store(tmp_path / "all"), open_store(tmp_path / "each")
    for name in SCHEMAS:
        assert s_all.table(name).equals(s_each.table(name)), name
    _assert_unique_keys(tmp_path / "each")
    # the overlapping flat/noflat pair: every tweet is in the store once
    ids = {json.loads(x)["id"] for x in (shared_data / V2[1]).open()}
    posts = s_all.table("posts", ["post_id"]).column("post_id").to_pylist()
    assert len(posts) == len(set(posts)) and ids <= set(posts)


def test_edit_chain_keeps_latest_version(shared_data: Path, tmp_path: Path) -> None:
    d = shared_data / "twarc-csv-testdata"
    ingest([d / "edited_before.jsonl", d / "edited_after.jsonl"], tmp_path / "s")
    posts = {r["post_id"]: r for r in open_store(tmp_path / "s").table("posts").to_pylist()}
    first, latest = "1576994746135764992", "1576994789110992896"
    assert first not in posts
    p = posts[latest]
    assert p["edit_of_id"] == first
    assert p["edited_at"] == datetime(2022, 10, 3, 17, 57, 11, tzinfo=UTC)
    assert p["text_raw"] == "hey :) https://t.co/rnwEIoNuqd"
    # both versions are in each file's includes: either file alone gives the same
    ingest([d / "edited_before.jsonl"], tmp_path / "before")
    before = {r["post_id"]: r for r in open_store(tmp_path / "before").table("posts").to_pylist()}
    assert first not in before and before[latest]["edit_of_id"] == first
    # a first version whose later version is not in the data is kept, as itself
    page = json.loads((d / "edited_before.jsonl").read_text())
    page["includes"]["tweets"] = []
    lone = tmp_path / "lone.jsonl"
    lone.write_text(json.dumps(page) + "\n")
    ingest([lone], tmp_path / "lone")
    (p,) = open_store(tmp_path / "lone").table("posts").to_pylist()
    assert p["post_id"] == first and p["edit_of_id"] is None


def test_every_referenced_account_has_a_row(shared_data: Path, tmp_path: Path) -> None:
    ego = shared_data / "graph-snap-ego-twitter/sample_egos/31464977.edges"
    ingest([ego, shared_data / "twarc-csv-testdata/withheld.jsonl"], tmp_path / "s")
    con = open_store(tmp_path / "s").connect()
    missing = con.execute(
        """SELECT count(*) FROM (
             SELECT platform, follower_id AS id FROM follows UNION
             SELECT platform, friend_id FROM follows UNION
             SELECT platform, author_id FROM posts WHERE author_id IS NOT NULL UNION
             SELECT platform, source_id FROM interactions UNION
             SELECT platform, target_id FROM interactions WHERE target_id IS NOT NULL
           ) r ANTI JOIN accounts a ON a.platform = r.platform AND a.account_id = r.id"""
    ).fetchone()[0]  # type: ignore[index]
    assert missing == 0
    n_ref = con.execute("SELECT count(*) FROM accounts WHERE source = 'referenced'").fetchone()[0]  # type: ignore[index]
    assert n_ref > 0  # SNAP nodes have no profile
    # accounts with profiles keep them (not overwritten by the referenced stub)
    n_x = con.execute(
        "SELECT count(*) FROM accounts WHERE platform = 'x' AND handle IS NOT NULL"
    ).fetchone()[0]  # type: ignore[index]
    assert n_x > 500


def test_rejects_file_and_report(tmp_path: Path) -> None:
    p = tmp_path / "in.jsonl"
    p.write_text('{"data": [{"id": "1", "author_id": "2", "text": "a"}]}\n{"data": [\n')
    rej = tmp_path / "rej.jsonl"
    (rep,) = ingest([p], tmp_path / "s", rejects=rej)
    assert rep.skipped["malformed JSON"] == 1
    (line,) = rej.read_text().splitlines()
    assert json.loads(line)["reason"] == "malformed JSON"
    meta = open_store(tmp_path / "s").metadata
    assert meta["inputs"][0]["skipped"] == {"malformed JSON": 1}
    assert meta["tables"]["posts"] == 1


def test_unknown_format_fails_before_anything_is_written(tmp_path: Path) -> None:
    good = tmp_path / "g.txt"
    good.write_text("1 2\n")
    bad = tmp_path / "b.bin"
    bad.write_bytes(b"\x00\x01\x02 binary junk")
    with pytest.raises(UnknownFormatError, match="tried"):
        ingest([good, bad], tmp_path / "s")
    assert not list((tmp_path / "s").glob("*.parquet"))
    with pytest.raises(InputError):
        ingest([tmp_path / "missing.jsonl"], tmp_path / "s")
    with pytest.raises(InputError):
        ingest([], tmp_path / "s")


def test_networkx_input(tmp_path: Path) -> None:
    g = nx.DiGraph([("a", "b"), ("b", "a"), ("a", "c")])
    ingest([g], tmp_path / "s", platform="sim")
    f = open_store(tmp_path / "s").table("follows")
    assert f.column("follower_id").to_pylist() == ["a", "a", "b"]
    assert set(f.column("platform").to_pylist()) == {"sim"}


def test_cli_ingest(shared_data: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    src = shared_data / "twarc-csv-testdata/streaming_output_with_error.jsonl"
    res = runner.invoke(
        main, ["ingest", str(src), "--out", str(tmp_path / "s"), "--rejects", str(tmp_path / "r")]
    )
    assert res.exit_code == 0, res.output
    # 7 pages holding 22 tweets and users (counted by hand from the file) + 1 malformed line
    assert "[twarc2]: 23 records read = 22 kept + 1 skipped; rows: " in res.output
    assert "malformed JSON" in res.output
    assert (tmp_path / "r").read_text().count("\n") == 1
    bad = tmp_path / "x.bin"
    bad.write_bytes(b"\x00\x00")
    res = runner.invoke(main, ["ingest", str(bad), "--out", str(tmp_path / "s")])
    assert res.exit_code != 0 and "tried" in res.output and "Traceback" not in res.output


def test_cli_threads_option_and_gc_settings_restored(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    from mutuals.cli import ingest as cli_ingest
    from mutuals.io import ingest as ing

    seen: dict[str, object] = {}
    real = ing._merge

    def spy(*a: object, **kw: object) -> object:
        seen["threads"] = kw["threads"]
        seen["gc"] = gc.get_threshold()
        return real(*a, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(ing, "_merge", spy)
    before = gc.get_threshold()
    src = shared_data / "twarc-csv-testdata/withheld.jsonl"
    res = CliRunner().invoke(
        main, ["ingest", str(src), "-o", str(tmp_path / "s"), "--threads", "1"]
    )
    assert res.exit_code == 0, res.output
    assert seen == {"threads": 1, "gc": cli_ingest.GC_THRESHOLDS}
    assert gc.get_threshold() == before


def test_sorting_to_a_file_gives_the_same_store(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When streaming the sorted rows runs out of memory the merge sorts to a
    file instead; both give byte-identical stores."""
    from mutuals.io import ingest as ing

    files = [shared_data / f for f in V2]
    ingest(files, tmp_path / "streamed")
    real = ing._coalesce
    failed: list[str] = []

    def oom_once(name: str, batches: object, dst: Path, drop: set[str]) -> tuple[int, int]:
        if not isinstance(batches, Iterator) or name in failed:
            return real(name, batches, dst, drop)  # type: ignore[arg-type]
        failed.append(name)
        dst.write_bytes(b"partial")
        raise OSError("Out of Memory Error: failed to pin block")

    monkeypatch.setattr(ing, "_coalesce", oom_once)
    ingest(files, tmp_path / "fallback")
    assert {"posts", "accounts", "interactions"} <= set(failed)
    assert _bytes(tmp_path / "fallback") == _bytes(tmp_path / "streamed")
    monkeypatch.setattr(ing, "_STREAM", False)
    ingest(files, tmp_path / "file")
    assert _bytes(tmp_path / "file") == _bytes(tmp_path / "streamed")
    monkeypatch.setattr(ing, "_coalesce", real)

    def other_error(*a: object) -> tuple[int, int]:
        raise OSError("disk full")

    monkeypatch.setattr(ing, "_STREAM", True)
    monkeypatch.setattr(ing, "_coalesce", other_error)
    with pytest.raises(InputError, match="disk full"):
        ingest(files, tmp_path / "broken")
    assert not list((tmp_path / "broken").glob("*.parquet"))  # nothing half-written


def test_cli_list_formats() -> None:
    res = CliRunner().invoke(main, ["ingest", "--list-formats"])
    assert res.exit_code == 0
    names = [line.split()[0] for line in res.output.splitlines()]
    assert {"twarc2", "twarc2-flat", "x-v1", "gnip", "snap", "graphml"} <= set(names)


def test_cli_focal_and_format_options(shared_data: Path, tmp_path: Path) -> None:
    ids = shared_data / "twitter-v1-python-twitter/get_friend_ids_0.json"
    n = len(json.loads(ids.read_text())["ids"])
    res = CliRunner().invoke(
        main,
        ["ingest", str(ids), "--out", str(tmp_path / "s"), "--format", "x-v1", "--focal", "12"],
    )
    assert res.exit_code == 0, res.output
    f = open_store(tmp_path / "s").table("follows")
    assert f.num_rows == n
    assert set(f.column("follower_id").to_pylist()) == {"12"}  # "friend" in the file name
    res = CliRunner().invoke(
        main, ["ingest", str(ids), "--out", str(tmp_path / "t"), "--format", "nope"]
    )
    assert res.exit_code != 0 and "known formats" in res.output


def test_bluesky_delete_after_create_merges_to_one_deleted_row(tmp_path: Path) -> None:
    """A Jetstream post delete (no record) and its create, in any order or file: one row,
    the created text kept, ``deleted`` true."""
    create = {
        "did": "did:plc:aaaa",
        "time_us": 1783175888090631,
        "kind": "commit",
        "commit": {
            "rev": "3mptbypcq372f",
            "operation": "create",
            "collection": "app.bsky.feed.post",
            "rkey": "3mptbyoeyc22k",
            "record": {
                "$type": "app.bsky.feed.post",
                "createdAt": "2026-07-04T14:38:06.240Z",
                "text": "hello world",
            },
            "cid": "bafyreiguce4jh7kcbmof3pmcvasifqtw24b6isakj5ve5ga2b4z4alpc4i",
        },
    }
    delete = {
        "did": "did:plc:aaaa",
        "time_us": 1783175899090631,
        "kind": "commit",
        "commit": {
            "rev": "3mptbypcq372g",
            "operation": "delete",
            "collection": "app.bsky.feed.post",
            "rkey": "3mptbyoeyc22k",
        },
    }
    c, d, both = tmp_path / "c.jsonl", tmp_path / "d.jsonl", tmp_path / "both.jsonl"
    c.write_text(json.dumps(create) + "\n")
    d.write_text(json.dumps(delete) + "\n")
    both.write_text(json.dumps(create) + "\n" + json.dumps(delete) + "\n")
    stores = {
        "together": [[c, d]],
        "reversed": [[d, c]],
        "one file": [[both]],
        "two runs": [[c], [d]],
    }
    for name, runs in stores.items():
        for inputs in runs:
            ingest(inputs, tmp_path / name)
        rows = (
            open_store(tmp_path / name)
            .connect()
            .execute("SELECT post_id, text, deleted FROM posts")
            .fetchall()
        )
        assert rows == [
            ("at://did:plc:aaaa/app.bsky.feed.post/3mptbyoeyc22k", "hello world", True)
        ], name
    assert _bytes(tmp_path / "together") == _bytes(tmp_path / "two runs")


def test_unwritable_out_and_rejects_are_one_line_errors(shared_data: Path, tmp_path: Path) -> None:
    src = str(shared_data / "twitter-v1-twitter-to-sqlite/tweets.json")
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    ingest([src], tmp_path / "good")
    runner = CliRunner()
    for args in (
        ["ingest", src, "--out", str(blocker / "store")],
        [
            "ingest",
            src,
            "--out",
            str(tmp_path / "s"),
            "--rejects",
            str(tmp_path / "no" / "r.jsonl"),
        ],
        ["analyze", str(tmp_path / "good"), "--out", str(blocker / "a")],
    ):
        res = runner.invoke(main, args)
        assert res.exit_code == 1, args
        assert isinstance(res.exception, SystemExit), (args, res.exception)
        assert res.output.startswith("Error: ") and "cannot" in res.output, res.output
    assert not (tmp_path / "s").exists()  # nothing half-made
