"""Users' data is sacred: no command deletes or replaces a file it did not write,
a store is only ever merged into, and a command killed while writing leaves the
previous output whole (the next command finishes or clears what it left).

Each test here failed on the code before output folders were transactions."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from mutuals.cli.main import main
from mutuals.errors import InputError
from mutuals.io.ingest import ingest
from mutuals.io.runs import read_run
from mutuals.io.store import open_store

TWARC2 = "twarc2-blm-twarc2sql/search_example.jsonl"
SIM = ["--accounts", "300", "--steps", "12", "--no-progress"]


def _digest(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) and a hash of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".mutuals.lock"
    }


def _tables(folder: Path) -> dict[str, str]:
    return {k: v for k, v in _digest(folder).items() if not k.startswith(".")}


def _cli(*args: str) -> object:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def real_store(shared_data: Path, tmp_path: Path) -> Path:
    store = tmp_path / "store"
    ingest([shared_data / TWARC2], store)
    return store


def test_simulate_store_merges_into_a_real_store_and_never_replaces_it(
    real_store: Path, tmp_path: Path
) -> None:
    before = open_store(real_store).table("posts")
    res = _cli(
        "simulate", *SIM, "--seed", "1", "--out", str(tmp_path / "r"), "--store", str(real_store)
    )
    assert res.exit_code == 0, res.output
    posts = open_store(real_store).table("posts")
    real = posts.filter(pc.not_equal(posts.column("platform"), "sim"))
    assert real.num_rows == before.num_rows  # every real post is still there
    assert set(real.column("post_id").to_pylist()) == set(before.column("post_id").to_pylist())
    assert posts.num_rows > before.num_rows  # and the run's posts were added
    formats = {d["format"] for d in open_store(real_store).metadata["inputs"]}
    assert {"twarc2", "simulation"} <= formats
    # the same run again merges to the same tables; another run is refused
    digest = {k: v for k, v in _tables(real_store).items() if k != "store.json"}
    res = _cli(
        "simulate", *SIM, "--seed", "1", "--out", str(tmp_path / "r2"), "--store", str(real_store)
    )
    assert res.exit_code == 0, res.output
    assert {k: v for k, v in _tables(real_store).items() if k != "store.json"} == digest
    digest = _digest(real_store)
    res = _cli(
        "simulate", *SIM, "--seed", "2", "--out", str(tmp_path / "r3"), "--store", str(real_store)
    )
    assert res.exit_code == 1 and "another simulated run" in res.output
    assert not (tmp_path / "r3").exists()  # refused before the run, nothing left behind
    assert _digest(real_store) == digest


def test_analyze_never_writes_into_a_store(real_store: Path) -> None:
    before = _digest(real_store)
    res = _cli("analyze", str(real_store), "--out", str(real_store))
    assert res.exit_code == 1
    assert "holds a mutuals canonical store, not a analysis" in res.output.replace(
        "an analysis", "a analysis"
    )
    assert _digest(real_store) == before
    res = _cli("analyze", str(real_store))  # the default: a folder of its own inside
    assert res.exit_code == 0, res.output
    assert open_store(real_store).table("accounts").column_names[:2] == ["platform", "account_id"]
    assert {k: v for k, v in _digest(real_store).items() if not k.startswith("analysis/")} == before


def test_simulate_into_a_folder_of_user_files_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.parquet").write_bytes(b"years of work")
    (out / "posts.parquet").write_bytes(b"another tool's posts")
    (out / "manifest.json").write_text('{"tool": "another"}')
    before = _digest(out)
    res = _cli("simulate", *SIM, "--seed", "1", "--out", str(out))
    assert res.exit_code == 1 and "not written by mutuals" in res.output
    assert "\n" not in res.output.strip()  # one line
    assert _digest(out) == before
    res = _cli("simulate", *SIM, "--seed", "1", "--out", str(out), "--overwrite")
    assert res.exit_code == 1 and "never replaced" in res.output
    assert (
        _tables(out) == _tables(out) and (out / "thesis.parquet").read_bytes() == b"years of work"
    )
    assert (out / "posts.parquet").read_bytes() == b"another tool's posts"


def test_a_run_folder_mixing_two_runs_is_an_error(tmp_path: Path) -> None:
    for seed, n in (("1", "300"), ("2", "400")):
        res = _cli(
            "simulate",
            "--accounts",
            n,
            "--steps",
            "12",
            "--no-progress",
            "--seed",
            seed,
            "--out",
            str(tmp_path / seed),
        )
        assert res.exit_code == 0, res.output
    shutil.copy(tmp_path / "2" / "accounts.parquet", tmp_path / "1" / "accounts.parquet")
    with pytest.raises(InputError, match=r"holds 400 rows but manifest.json records 300"):
        read_run(tmp_path / "1")
    res = _cli("plot", str(tmp_path / "1"))
    assert res.exit_code == 1 and "mixes files of different runs" in res.output


def test_a_store_whose_tables_disagree_with_store_json_is_an_error(
    real_store: Path, shared_data: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    ingest([shared_data / "twarc2-blm-twarc2sql/example.jsonl"], other)
    shutil.copy(other / "posts.parquet", real_store / "posts.parquet")
    with pytest.raises(InputError, match="do not belong together"):
        open_store(real_store)


def test_analyze_of_a_run_folder_without_canonical_tables_says_what_to_do(
    tmp_path: Path,
) -> None:
    res = _cli("simulate", *SIM, "--seed", "1", "--out", str(tmp_path / "r"), "--no-canonical")
    assert res.exit_code == 0
    assert not (tmp_path / "r" / "store").exists()
    before = _digest(tmp_path / "r")
    res = _cli("analyze", str(tmp_path / "r"))
    assert res.exit_code == 1
    assert "simulation run folder" in res.output and "--store" in res.output
    assert _digest(tmp_path / "r") == before


def test_memory_limit_is_checked_before_reading(shared_data: Path, tmp_path: Path) -> None:
    res = _cli(
        "ingest", str(shared_data / TWARC2), "--out", str(tmp_path / "s"), "--memory-limit", "abc"
    )
    assert res.exit_code == 1 and "'abc' is not a size" in res.output
    assert not (tmp_path / "s").exists()


def test_rejects_file_is_never_replaced(shared_data: Path, tmp_path: Path) -> None:
    rej = tmp_path / "rejects.jsonl"
    rej.write_text("my notes\n")
    res = _cli(
        "ingest", str(shared_data / TWARC2), "--out", str(tmp_path / "s"), "--rejects", str(rej)
    )
    assert res.exit_code == 1 and "does not replace it" in res.output
    assert rej.read_text() == "my notes\n"


# --------------------------------------------------------------- kill -9


def _run(args: list[str], point: str | None) -> int:
    env = {k: v for k, v in os.environ.items() if k != "MUTUALS_FAILPOINT"}
    if point:
        env["MUTUALS_FAILPOINT"] = point
    proc = subprocess.run(
        [sys.executable, "-m", "mutuals", *args], env=env, capture_output=True, check=False
    )
    return proc.returncode


@pytest.mark.slow
@pytest.mark.parametrize(
    ("point", "state"),
    [("before-journal", "old"), ("after-journal", "new"), ("rename-1", "new"), ("rename-4", "new")],
)
def test_simulate_killed_while_writing_leaves_a_whole_run(
    tmp_path: Path, point: str, state: str
) -> None:
    old, new, out = tmp_path / "old", tmp_path / "new", tmp_path / "out"
    assert _run(["simulate", *SIM, "--seed", "1", "--out", str(old)], None) == 0
    assert _run(["simulate", *SIM, "--seed", "2", "--out", str(new)], None) == 0
    shutil.copytree(old, out)
    assert _run(["simulate", *SIM, "--seed", "2", "--out", str(out)], point) == -9
    _, manifest = read_run(out)  # finishes or clears what the kill left
    want = _tables(old if state == "old" else new)
    got = _tables(out)
    assert {k: v for k, v in got.items() if k != "manifest.json"} == {
        k: v for k, v in want.items() if k != "manifest.json"
    }
    assert manifest["seed"] == (1 if state == "old" else 2)
    assert not [p for p in out.iterdir() if "mutuals-tmp" in p.name or "journal" in p.name]
    # and the next run into the folder works
    assert _run(["simulate", *SIM, "--seed", "3", "--out", str(out)], None) == 0
    assert read_run(out)[1]["seed"] == 3


@pytest.mark.slow
@pytest.mark.parametrize(
    ("point", "state"),
    [
        ("ingest-read", "old"),
        ("ingest-merged", "old"),
        ("before-journal", "old"),
        ("after-journal", "new"),
        ("rename-2", "new"),
    ],
)
def test_ingest_killed_while_writing_leaves_a_whole_store(
    shared_data: Path, tmp_path: Path, point: str, state: str
) -> None:
    a, b = str(shared_data / TWARC2), str(shared_data / "twarc2-blm-twarc2sql/example.jsonl")
    old, new, out = tmp_path / "old", tmp_path / "new", tmp_path / "out"
    assert _run(["ingest", a, "--out", str(old)], None) == 0
    assert _run(["ingest", a, "--out", str(new)], None) == 0
    assert _run(["ingest", b, "--out", str(new)], None) == 0
    shutil.copytree(old, out)
    assert _run(["ingest", b, "--out", str(out)], point) == -9
    leftovers = [p.name for p in out.iterdir() if "mutuals-tmp" in p.name or "journal" in p.name]
    if state == "old":
        assert leftovers  # the killed ingest left its temporary folder behind...
    store = open_store(out)  # ...which the next command clears (or rolls forward)
    assert not [p for p in out.iterdir() if "mutuals-tmp" in p.name or "journal" in p.name]
    want = old if state == "old" else new
    for name in ("posts", "accounts", "follows", "interactions"):
        assert store.table(name).equals(open_store(want).table(name)), name
    assert (
        pq.ParquetFile(out / "posts.parquet").metadata.num_rows == store.metadata["tables"]["posts"]
    )
