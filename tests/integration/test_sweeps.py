"""Sweeps: grid parsing and checks, seed derivation, resume after SIGKILL, retry
of a killed worker, serial == LocalCluster, the results table, the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from mutuals.cli.main import main
from mutuals.cli.sweep import parse_grid
from mutuals.errors import ConfigError, InputError
from mutuals.io.folders import MARKER
from mutuals.scenarios.load import load_scenario
from mutuals.sweeps import load_results, replicate_seeds, sweep
from mutuals.sweeps.grid import expand
from mutuals.sweeps.run import FAILPOINT_ENV

SIMSOM_TOML = """scenario = "simsom"
[simsom]
accounts = 100
mean_follows = 5
max_steps = 60
burn_in = 10
window = 10
"""
PLATFORM_TOML = """scenario = "platform"
[platform]
accounts = 200
mean_follows = 10
days = 0.1
"""


@pytest.fixture
def tiny_simsom(tmp_path: Path) -> Path:
    p = tmp_path / "tiny-simsom.toml"
    p.write_text(SIMSOM_TOML)
    return p


@pytest.fixture
def tiny_platform(tmp_path: Path) -> Path:
    p = tmp_path / "tiny-platform.toml"
    p.write_text(PLATFORM_TOML)
    return p


def _run_files(out: Path) -> dict[str, float]:
    """Committed run files (the marker's) and their modification times."""
    try:
        files = json.loads((out / MARKER).read_text())["files"]
    except (OSError, ValueError, KeyError):
        return {}
    return {f: (out / f).stat().st_mtime_ns for f in files if f.startswith("run-")}


# ------------------------------------------------------------------ grid
def test_parse_grid_values_like_set():
    g = parse_grid(["gamma=0.0001,0.001,1e-2", "ranking=chronological,ranked", 'x=[1, 2],"a,b"'])
    assert g == {
        "gamma": [0.0001, 0.001, 0.01],
        "ranking": ["chronological", "ranked"],
        "x": [[1, 2], "a,b"],
    }
    assert parse_grid(["theta=1,3"])["theta"] == [1, 3]


@pytest.mark.parametrize(
    ("items", "match"),
    [
        (["gamma"], "not KEY=V1,V2"),
        (["=1,2"], "empty key"),
        (["gamma=0.1,,0.2"], "empty value"),
        (["gamma=0.1", "gamma=0.2"], "given twice"),
        (["seed=1,2"], "seed is not a parameter"),
    ],
)
def test_parse_grid_errors(items, match):
    with pytest.raises(InputError, match=match):
        parse_grid(items)


def test_grid_checked_before_any_run(tmp_path, tiny_simsom):
    out = tmp_path / "sw"
    with pytest.raises(ConfigError, match=r"gamma.*allowed: a finite number in \[0, 1\]"):
        sweep(tiny_simsom, grid={"gamma": [0.1, 2.0]}, seeds=2, out=out, scheduler="serial")
    with pytest.raises(ConfigError, match=r"unknown key.*gama"):
        sweep(tiny_simsom, grid={"gama": [0.1]}, seeds=2, out=out, scheduler="serial")
    assert not out.exists()
    r = CliRunner().invoke(
        main, ["sweep", str(tiny_simsom), "--grid", "mu=0.5,7", "--seeds", "2", "--out", str(out)]
    )
    assert r.exit_code == 1
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and "mu" in lines[0] and "[0, 1]" in lines[0], r.output
    assert not out.exists()


# ------------------------------------------------------------------ seeds
def test_replicate_seeds_stable():
    # golden: SeedSequence(7).spawn(n)[r].generate_state(1, uint64)[0] >> 1
    import numpy as np

    expected = [
        int(c.generate_state(1, np.uint64)[0]) >> 1 for c in np.random.SeedSequence(7).spawn(3)
    ]
    assert replicate_seeds(7, 3) == expected
    assert replicate_seeds(7, 5)[:3] == expected  # more replicates keep the first ones' seeds
    assert all(0 <= s < 2**63 for s in expected)
    assert replicate_seeds(7, 3) != replicate_seeds(8, 3)
    with pytest.raises(InputError):
        replicate_seeds(7, 0)


def test_seed_of_a_run_does_not_depend_on_grid_order(tiny_simsom):
    sc = load_scenario(tiny_simsom)
    a = expand(sc, {"gamma": [0.001, 0.1], "mu": [0.3, 0.6]}, 3, root=11)
    b = expand(sc, {"mu": [0.6, 0.3], "gamma": [0.1, 0.001]}, 3, root=11)
    key = lambda s: (tuple(sorted(s.point.items())), s.replicate, s.baseline)  # noqa: E731
    assert {key(s): (s.seed, s.run) for s in a} == {key(s): (s.seed, s.run) for s in b}
    seeds = {s.replicate: s.seed for s in a}
    assert all(s.seed == seeds[s.replicate] for s in a)  # common random numbers
    # two grid points times 3 replicates (x2 for mu) and one no-bot baseline per mu value
    assert sum(not s.baseline for s in a) == 12 and sum(s.baseline for s in a) == 6


# ------------------------------------------------------------------ results
def test_results_table_schema_and_rebuild(tmp_path, tiny_simsom):
    out = tmp_path / "sw"
    t = sweep(
        tiny_simsom, grid={"gamma": [0.001, 0.1]}, seeds=2, out=out, scheduler="serial",
        seed=3, progress=False,
    )  # fmt: skip
    assert t.num_rows == 2 * 2 + 2  # + the no-bot baselines
    for name, typ in [
        ("run", "string"), ("setting", "string"), ("gamma", "double"), ("replicate", "int32"),
        ("seed", "int64"), ("baseline", "bool"), ("quality", "double"),
        ("smoothed_quality", "double"), ("steps", "int64"), ("converged", "bool"),
        ("diversity", "double"), ("discriminative_power_tau_b", "double"),
        ("relative_quality", "double"),
    ]:  # fmt: skip
        assert str(t.schema.field(name).type) == typ, name
    assert pq.read_table(out / "results.parquet").equals(t)
    assert load_results(out).equals(t)
    import duckdb

    rows = duckdb.execute(
        f"SELECT gamma, avg(relative_quality) FROM '{out / 'results.parquet'}'"
        " WHERE NOT baseline GROUP BY gamma ORDER BY gamma"
    ).fetchall()
    assert [g for g, _ in rows] == [0.001, 0.1]
    assert rows[1][1] < rows[0][1]  # more infiltration, lower quality
    base = t.filter(t.column("baseline")).column("relative_quality").to_pylist()
    assert sum(base) / len(base) == pytest.approx(1.0)


def test_platform_results_columns(tmp_path, tiny_platform):
    t = sweep(
        tiny_platform, grid={"p_post": [0.3, 0.6]}, seeds=1, out=tmp_path / "sw",
        scheduler="serial", seed=1, progress=False,
    )  # fmt: skip
    cols = set(t.column_names)
    assert {"p_post", "replicate", "seed", "sessions", "deliveries", "feed_quality"} <= cols
    assert {"last_tick_sessions", "median_followers", "share_under_1k"} <= cols
    assert not any(c.endswith("seconds") for c in cols)
    assert "baseline" not in cols


# ------------------------------------------------------------------ dask
def test_local_cluster_equals_serial(tmp_path, tiny_platform):
    kw: dict[str, Any] = {"grid": {"p_post": [0.3, 0.6]}, "seeds": 2, "seed": 5, "progress": False}
    serial = sweep(tiny_platform, out=tmp_path / "a", scheduler="serial", **kw)
    cluster = sweep(tiny_platform, out=tmp_path / "b", workers=2, **kw)
    assert cluster.equals(serial)
    assert pq.read_table(tmp_path / "b" / "results.parquet").equals(serial)


def test_killed_worker_is_retried(tmp_path, tiny_simsom, monkeypatch):
    flag = tmp_path / "killed-once"
    monkeypatch.setenv(FAILPOINT_ENV, f"kill-worker-once:{flag}")  # inherited by the workers
    kw: dict[str, Any] = {"grid": {"gamma": [0.001, 0.1]}, "seeds": 2, "seed": 9, "progress": False}
    cluster = sweep(tiny_simsom, out=tmp_path / "b", workers=2, **kw)
    assert flag.exists()  # a worker did die in the middle of a task
    monkeypatch.delenv(FAILPOINT_ENV)
    serial = sweep(tiny_simsom, out=tmp_path / "a", scheduler="serial", **kw)
    assert cluster.equals(serial)


# ------------------------------------------------------------------ resume
def test_resume_after_sigkill_runs_only_what_is_missing(tmp_path, tiny_simsom):
    out = tmp_path / "sw"
    args = [sys.executable, "-m", "mutuals", "sweep", str(tiny_simsom), "--grid",
            "gamma=0.001,0.01,0.1", "--grid", "mu=0.3,0.6", "--seeds", "2", "--out", str(out),
            "--seed", "4", "--scheduler", "serial", "--no-progress"]  # fmt: skip
    total = 3 * 2 * 2 + 2 * 2
    # SIGKILL right after the third run's file is saved (a failpoint: the same
    # moment whatever the machine's load)
    env = {**os.environ, "MUTUALS_FAILPOINT": "sweep-after-3"}
    killed = subprocess.run(args, env=env, capture_output=True, check=False)
    assert killed.returncode == -signal.SIGKILL
    before = _run_files(out)
    assert len(before) == 3
    assert not (out / "results.parquet").exists()
    r = subprocess.run(args, capture_output=True, text=True, check=True)
    assert f"resuming: {len(before)} of {total} runs already done" in r.stderr
    after = _run_files(out)
    assert len(after) == total
    assert {f: after[f] for f in before} == before  # the finished runs were not run again
    resumed = pq.read_table(out / "results.parquet")
    whole = sweep(
        tiny_simsom, grid={"gamma": [0.001, 0.01, 0.1], "mu": [0.3, 0.6]}, seeds=2,
        out=tmp_path / "whole", scheduler="serial", seed=4, progress=False,
    )  # fmt: skip
    assert resumed.equals(whole)


def test_resume_refuses_another_seed_or_base(tmp_path, tiny_simsom):
    out = tmp_path / "sw"
    kw: dict[str, Any] = {
        "grid": {"gamma": [0.1]},
        "seeds": 1,
        "scheduler": "serial",
        "progress": False,
    }
    sweep(tiny_simsom, out=out, seed=1, **kw)
    with pytest.raises(InputError, match="root seed 1"):
        sweep(tiny_simsom, out=out, seed=2, **kw)
    with pytest.raises(InputError, match="other base parameters"):
        sweep(load_scenario(tiny_simsom).with_overrides({"mu": 0.9}), out=out, **kw)
    again = sweep(tiny_simsom, out=out, **kw)  # no seed: the recorded root
    assert again.equals(load_results(out))


# ------------------------------------------------------------------ folders
def test_refuses_a_folder_that_is_not_a_sweep(tmp_path, tiny_simsom):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    kw: dict[str, Any] = {
        "grid": {"gamma": [0.1]},
        "seeds": 1,
        "scheduler": "serial",
        "progress": False,
    }
    with pytest.raises(InputError, match="not empty and was not written by mutuals"):
        sweep(tiny_simsom, out=mine, **kw)
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]
    assert (mine / "notes.txt").read_text() == "keep me"
    import mutuals

    run_dir = tmp_path / "a-run"
    mutuals.run(tiny_simsom, seed=1).write(run_dir)
    with pytest.raises(InputError, match="holds a mutuals simulation run, not a sweep"):
        sweep(tiny_simsom, out=run_dir, **kw)
    r = CliRunner().invoke(
        main, ["sweep", str(tiny_simsom), "--grid", "gamma=0.1", "--seeds", "1",
               "--out", str(mine), "--scheduler", "serial"],
    )  # fmt: skip
    assert r.exit_code == 1 and "not written by mutuals" in r.output
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]


# ------------------------------------------------------------------ CLI
def test_cli_simsom_prints_relative_quality_and_runs_rerun(tmp_path, tiny_simsom):
    out = tmp_path / "sw"
    r = CliRunner().invoke(
        main, ["sweep", str(tiny_simsom), "--grid", "gamma=0.001,0.1", "--seeds", "3",
               "--out", str(out), "--seed", "2", "--scheduler", "serial", "--no-progress"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "relative quality" in r.output and "95% interval" in r.output
    lines = [ln for ln in r.output.splitlines() if ln.strip().startswith("gamma=")]
    assert [ln.split()[0] for ln in lines] == ["gamma=0.001", "gamma=0.1"]
    t = pq.read_table(out / "results.parquet")
    assert t.num_rows == 2 * 3 + 3
    # any run of the sweep re-runs alone from its file
    row = t.filter(t.column("gamma").to_numpy() == 0.1).to_pylist()[1]
    rerun = tmp_path / "rerun"
    r2 = CliRunner().invoke(
        main, ["simulate", "--from-manifest", str(out / f"run-{row['run']}.json"),
               "--out", str(rerun), "--no-progress"],
    )  # fmt: skip
    assert r2.exit_code == 0, r2.output
    manifest = json.loads((rerun / "manifest.json").read_text())
    assert manifest["seed"] == row["seed"]
    assert manifest["summary"]["quality"] == row["quality"]


def test_cli_platform_prints_measures_per_point(tmp_path, tiny_platform):
    r = CliRunner().invoke(
        main, ["sweep", str(tiny_platform), "--grid", "ranking=chronological,ranked",
               "--seeds", "2", "--out", str(tmp_path / "sw"), "--scheduler", "serial",
               "--no-progress"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "ranking=chronological" in r.output and "ranking=ranked" in r.output
    assert "feed_quality" in r.output and "sessions" in r.output


def test_cli_help_does_not_import_dask():
    r = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mutuals", "--help"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "sweep" in r.stdout
    assert not any(ln.split("|")[-1].strip().startswith(("dask", "distributed", "rich"))
                   for ln in r.stderr.splitlines())  # fmt: skip


def test_relative_quality_sweep_on_top_of_sweep():
    from mutuals.scenarios.simsom import SimSoMParams
    from mutuals.sweeps.simsom import relative_quality_sweep

    base = SimSoMParams(accounts=100, mean_follows=5, max_steps=60, burn_in=10, window=10)
    msgs: list[str] = []
    t = relative_quality_sweep(base, "gamma", [0.001, 0.1], seeds=2, seed=3, progress=msgs.append)
    assert t.column("value").to_pylist() == ["0.001", "0.1"]
    rel = t.column("relative_mean").to_pylist()
    assert rel[1] < rel[0]
    q, q0 = t.column("quality_mean").to_pylist(), t.column("baseline_quality").to_pylist()
    assert rel == pytest.approx([a / b for a, b in zip(q, q0, strict=True)])
    assert msgs[0].startswith("baseline (no bots)") and len(msgs) == 3
    with pytest.raises(InputError, match="unknown SimSoM parameter"):
        relative_quality_sweep(base, "gama", [0.1])
