"""The notebook entry points: ``import mutuals`` and the one run interface."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import mutuals
from mutuals.scenarios.load import scenario_from_mapping


def test_import_mutuals_is_light_and_exposes_the_entry_points() -> None:
    code = "import sys, mutuals; print(sorted(m for m in ('numba', 'pyarrow', 'dask') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    for name in ("run", "load_scenario", "ingest", "open_store", "analyze", "sweep"):
        assert callable(getattr(mutuals, name)), name


def test_a_run_is_reproduced_from_its_seed_and_manifest() -> None:
    r = mutuals.run("default", seed=7, overrides={"accounts": 400, "mean_follows": 12, "days": 0.5})
    assert r.manifest["seed"] == r.seed == 7 and r.manifest["model"] == "platform"
    assert r.manifest["params"]["accounts"] == 400 and "summary" in r.manifest
    again = mutuals.run(r.scenario, seed=r.seed)
    for name, t in r.tables.items():  # (repr: NaN equals NaN)
        assert repr(t.to_pylist()) == repr(again.tables[name].to_pylist()), name
    fresh = mutuals.run(r.scenario)  # a fresh seed is drawn and recorded
    assert isinstance(fresh.seed, int) and fresh.manifest["seed"] == fresh.seed


def test_both_models_share_the_interface() -> None:
    s = mutuals.run(
        "simsom", seed=1, overrides={"accounts": 300, "mean_follows": 10, "max_steps": 20}
    )
    assert set(s.tables) == {"timeline", "messages"} and s.manifest["model"] == "simsom"
    assert "quality" in s.summary and s.tables["timeline"].num_rows == s.summary["steps"]


def test_analyze_takes_a_runs_canonical_tables(tmp_path: Path) -> None:
    r = mutuals.run("default", seed=2, overrides={"accounts": 500, "mean_follows": 15, "days": 0.5})
    a = mutuals.analyze(r.canonical(), n_boot=10)
    assert a.summary["graph"]["accounts"] == 500
    # the run folder holds the same tables as a store: one code path, same numbers
    r.write(tmp_path / "run")
    assert (tmp_path / "run" / "store" / "store.json").is_file()
    b = mutuals.analyze(tmp_path / "run", n_boot=10)
    drop = {"timings"}
    assert {k: v for k, v in b.summary.items() if k not in drop} == {
        k: v for k, v in a.summary.items() if k not in drop
    }
    man = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert man["store"]["follows_start"] == r.summary["follows_at_start"]
    assert man["store"]["follows"] == r.summary["follows_at_end"]


def test_events_are_recorded_in_the_manifest() -> None:
    sc = scenario_from_mapping(
        {
            "platform": {"accounts": 300, "mean_follows": 10, "ticks_per_day": 8, "days": 1},
            "groups": {"g": {"role": "member"}},
            "events": [{"tick": 2, "set_param": {"group": "g", "p_post": 0.9}}],
        }
    )
    r = mutuals.run(sc, seed=1)
    assert r.manifest["groups"] == {"g": {"role": "member"}}
    assert r.manifest["events"] == [{"tick": 2, "set_param": {"group": "g", "p_post": 0.9}}]
