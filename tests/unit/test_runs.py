"""Run folders: write_run / read_run and `mutuals plot` on damaged folders."""

import json

import pyarrow as pa
import pytest
from click.testing import CliRunner

from mutuals.cli.main import main
from mutuals.errors import InputError
from mutuals.io.runs import read_run, write_run


@pytest.fixture
def run(tmp_path):
    tables = {"steps": pa.table({"tick": [1, 2]}), "posts": pa.table({"post_id": [0]})}
    return write_run(tmp_path / "run", tables, {"scenario": "x", "seed": 1})


def test_round_trip(run):
    tables, manifest = read_run(run)
    assert tables["steps"].column("tick").to_pylist() == [1, 2] and manifest["seed"] == 1
    assert manifest["tables"] == {"steps": 2, "posts": 1}


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda r: (r / "steps.parquet").unlink(), "steps.parquet"),
        (lambda r: (r / "posts.parquet").write_bytes(b"junk"), "posts.parquet"),
        (lambda r: (r / "manifest.json").write_text("{bad"), "manifest.json"),
        (lambda r: (r / "manifest.json").write_text("[1, 2]"), "manifest.json"),
        (lambda r: (r / "manifest.json").write_text('{"tables": 3}'), "manifest.json"),
    ],
)
def test_a_damaged_run_folder_is_one_clear_error(run, damage, message):
    damage(run)
    with pytest.raises(InputError, match=message):
        read_run(run)
    res = CliRunner().invoke(main, ["plot", str(run)])
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit), res.output
    assert message in res.output.strip().splitlines()[-1]


def test_manifest_is_valid_json_with_the_table_sizes(run):
    m = json.loads((run / "manifest.json").read_text())
    assert m["environment"]["mutuals"] and m["tables"]["steps"] == 2


def test_write_run_into_an_unwritable_place_is_an_input_error(tmp_path):
    blocker = tmp_path / "f"
    blocker.write_text("x")
    with pytest.raises(InputError, match="cannot write"):
        write_run(blocker / "sub", {"steps": pa.table({"tick": [1]})}, {})


def test_rewriting_a_run_folder_drops_the_previous_runs_tables(run):
    (run / "notes.txt").write_text("mine")
    write_run(run, {"timeline": pa.table({"step": [1]})}, {"scenario": "simsom"})
    assert sorted(p.name for p in run.glob("*.parquet")) == ["timeline.parquet"]
    assert (run / "notes.txt").read_text() == "mine"  # files that are not tables stay
    tables, _ = read_run(run)
    assert list(tables) == ["timeline"]
