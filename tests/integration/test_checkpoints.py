"""Checkpoints: a run killed with SIGKILL anywhere and resumed writes the same
bytes as a run never interrupted (both models); checkpoints do not change a
run's tables; a checkpoint of other versions, or a damaged one, is refused in
one line.

The kills are real: ``python -m mutuals simulate`` in a subprocess with
``MUTUALS_FAILPOINT`` set (``tick-<k>`` after tick k and its checkpoint,
``checkpoint-<k>/<point>`` and ``final/<point>`` at a point of the commit of
that checkpoint or of the run folder; see :func:`mutuals.io.folders._failpoint`
and :func:`mutuals.engine.checkpoint.scoped_failpoint`).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import mutuals
import mutuals.api as api
from mutuals.cli.main import main
from mutuals.engine import checkpoint as ckpt
from mutuals.errors import InputError

EVERY = 8
MODELS = {
    # 36 ticks: checkpoints at ticks 0, 8, 16, 24, 32; leaving, unfollows and
    # follows with small budgets exercise every part of the state
    "platform": [
        "ranked",
        "--accounts", "300", "--days", "1.5", "--seed", "7",
        "--set", "leave_if_bored=0.2", "--set", "unfollow_rate=0.05",
        "--set", "follow_on_engage=0.3", "--set", "follow_budget=3",
    ],
    # converges at step 29: checkpoints at steps 0, 8, 16, 24
    "simsom": [
        "simsom",
        "--accounts", "200", "--steps", "60", "--seed", "7",
        "--set", "burn_in=10", "--set", "window=5",
    ],
}  # fmt: skip
#: model -> kill points; a tuple is a chain: killed again while resuming.
KILLS: dict[str, list[str | tuple[str, ...]]] = {
    "platform": [
        "tick-3",  # after the first checkpoint only (tick 0)
        "tick-13",  # between checkpoints
        "checkpoint-16/before-journal",  # during a checkpoint write: files staged
        "checkpoint-16/after-journal",  # during a checkpoint write: journal written
        "tick-24",  # just after a checkpoint
        "final/rename-0",  # during the write of the run folder
        ("tick-13", "tick-29"),  # killed, resumed, killed again, resumed
    ],
    "simsom": [
        "tick-13",
        "checkpoint-16/rename-0",  # state.npz renamed, checkpoint.json not yet
        "tick-27",  # after the last checkpoint, before convergence
        "final/before-journal",
        "final/after-journal",
    ],
}


_SOURCE: list[Path] = []  # the frozen copy of the package the subprocesses run


def _simulate(args: list[str], failpoint: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "NUMBA_NUM_THREADS": "1"}  # two runs at once on two cores
    if _SOURCE:
        env["PYTHONPATH"] = os.pathsep.join([str(_SOURCE[0]), env.get("PYTHONPATH", "")])
    env.pop("MUTUALS_FAILPOINT", None)
    if failpoint is not None:
        env["MUTUALS_FAILPOINT"] = failpoint
    return subprocess.run(
        [sys.executable, "-m", "mutuals", "simulate", *args, "--no-progress"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _ok(p: subprocess.CompletedProcess) -> None:
    assert p.returncode == 0, p.stderr


def _killed(p: subprocess.CompletedProcess) -> None:
    assert p.returncode == -signal.SIGKILL, f"the failpoint did not fire: {p.stderr}"


def _tables(run: Path) -> dict[str, bytes]:
    """The run's tables and (platform runs) its canonical tables in ``store/``."""
    files = sorted([*run.glob("*.parquet"), *run.glob("store/*.parquet")])
    return {str(f.relative_to(run)): f.read_bytes() for f in files}


def _name(kill: str | tuple[str, ...]) -> str:
    return "+".join(kill) if isinstance(kill, tuple) else kill


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Path]]:
    """Every run of the kill tests, two at a time: per model the plain run A,
    the checkpointed uninterrupted run B, and one killed-then-resumed run per
    kill point."""
    root = tmp_path_factory.mktemp("checkpoints")
    # The runs of one kill point span processes: they run a copy of the package
    # taken now (with its Numba caches, whose stamps copy2 keeps), so that an
    # edit of the working tree while the test runs cannot split a run in two.
    shutil.copytree(Path(mutuals.__file__).parent, root / "src" / "mutuals")
    _SOURCE[:] = [root / "src"]

    def plain(model: str) -> Path:
        out = root / f"{model}-A"
        _ok(_simulate([*MODELS[model], "--out", str(out)]))
        return out

    def checkpointed(model: str) -> Path:
        out = root / f"{model}-B"
        _ok(_simulate([*MODELS[model], "--out", str(out), "--checkpoint-every", str(EVERY)]))
        return out

    def killed(model: str, kill: str | tuple[str, ...]) -> Path:
        out = root / f"{model}-{_name(kill).replace('/', '_')}"
        first, *again = kill if isinstance(kill, tuple) else (kill,)
        _killed(
            _simulate([*MODELS[model], "--out", str(out), "--checkpoint-every", str(EVERY)], first)
        )
        for fp in again:
            _killed(_simulate(["--resume", str(out)], fp))
        _ok(_simulate(["--resume", str(out)]))
        return out

    jobs = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        for model in MODELS:
            jobs[model, "A"] = pool.submit(plain, model)
            jobs[model, "B"] = pool.submit(checkpointed, model)
            for kill in KILLS[model]:
                jobs[model, _name(kill)] = pool.submit(killed, model, kill)
        out: dict[str, dict[str, Path]] = {m: {} for m in MODELS}
        for (model, name), job in jobs.items():
            out[model][name] = job.result()
    return out


@pytest.mark.parametrize("model", list(MODELS))
def test_checkpoints_do_not_change_the_tables(runs, model):
    a, b = runs[model]["A"], runs[model]["B"]
    assert _tables(a) and _tables(a) == _tables(b)
    assert not (b / "checkpoint").exists()  # a finished run's checkpoint is removed
    assert json.loads((b / "manifest.json").read_text())["checkpoint_every"] == EVERY


@pytest.mark.parametrize(("model", "kill"), [(m, _name(k)) for m, ks in KILLS.items() for k in ks])
def test_killed_and_resumed_run_is_byte_identical(runs, model, kill):
    a, r = runs[model]["A"], runs[model][kill]
    assert _tables(r) == _tables(a)
    assert not (r / "checkpoint").exists()
    manifest = json.loads((r / "manifest.json").read_text())
    assert manifest["resumed_from"] and all(t % EVERY == 0 for t in manifest["resumed_from"])
    assert manifest["seed"] == 7 and "resumed_under_other_code" not in manifest


# -- refusals, in one line ------------------------------------------------------


@pytest.fixture(scope="module")
def stopped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder holding the checkpoint of a platform run stopped at tick 6."""

    class Stop(Exception):
        pass

    def stop(done: int, _total: int) -> None:
        if done == 6:
            raise Stop

    run = tmp_path_factory.mktemp("stopped") / "run"
    with pytest.raises(Stop):
        api.run(
            "default",
            seed=2,
            overrides={"accounts": 200, "days": 0.5},
            progress=stop,
            checkpoint_every=4,
            checkpoint_dir=run / "checkpoint",
        )
    return run


def _copy(stopped: Path, tmp_path: Path) -> Path:
    run = tmp_path / "run"
    shutil.copytree(stopped, run)
    return run


def _resume_cli(run: Path) -> str:
    res = CliRunner().invoke(main, ["simulate", "--resume", str(run), "--no-progress"])
    assert res.exit_code == 1, res.output
    errors = [ln for ln in res.output.splitlines() if ln.startswith("Error: ")]
    assert len(errors) == 1 and res.output.rstrip().endswith(errors[0]), res.output
    return errors[0]


def test_resume_in_process_equals_the_plain_run(stopped, tmp_path):
    run = _copy(stopped, tmp_path)
    assert api.checkpoint_info(run)["tick"] == 4
    r = api.resume(run)
    plain = api.run("default", seed=2, overrides={"accounts": 200, "days": 0.5})
    a, b = r.write(tmp_path / "resumed"), plain.write(tmp_path / "plain")
    assert _tables(a) == _tables(b)
    assert not (run / "checkpoint").exists()  # Run.write removed it


def test_resume_of_another_version_is_refused(stopped, tmp_path):
    run = _copy(stopped, tmp_path)
    meta = run / "checkpoint" / ckpt.META_FILE
    doc = json.loads(meta.read_text())
    meta.write_text(json.dumps({**doc, "mutuals": "0.0.1"}))
    line = _resume_cli(run)
    assert "written by mutuals 0.0.1" in line and "start the run again" in line
    doc["version"] = ckpt.FORMAT + 1
    meta.write_text(json.dumps(doc))
    assert "checkpoint format" in _resume_cli(run)


@pytest.mark.parametrize("damage", ["truncate-state", "flip-state", "truncate-meta", "swap-state"])
def test_damaged_checkpoint_is_refused(stopped, tmp_path, damage):
    run = _copy(stopped, tmp_path)
    state = run / "checkpoint" / ckpt.STATE_FILE
    data = bytearray(state.read_bytes())
    if damage == "truncate-state":
        state.write_bytes(data[: len(data) // 2])
    elif damage == "flip-state":  # inside an array: the zip's CRC catches it
        data[len(data) // 3] ^= 0xFF
        state.write_bytes(bytes(data))
    elif damage == "truncate-meta":
        meta = run / "checkpoint" / ckpt.META_FILE
        meta.write_text(meta.read_text()[:200])
    else:  # a state.npz of another checkpoint
        arrays = dict(np.load(state))
        arrays["__checkpoint_id__"] = np.zeros(8, np.uint8)
        with open(state, "wb") as fh:
            np.savez(fh, **arrays)
    line = _resume_cli(run)
    assert "damaged" in line
    with pytest.raises(InputError, match="damaged"):
        api.resume(run)


def test_nothing_to_resume(stopped, tmp_path):
    plain = api.run("default", seed=2, overrides={"accounts": 200, "days": 0.25})
    done = plain.write(tmp_path / "done")
    assert "finished run, nothing to resume" in _resume_cli(done)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "holds no checkpoint" in _resume_cli(empty)
    (empty / "checkpoint").mkdir()  # killed before its first checkpoint was written
    assert "no complete checkpoint" in _resume_cli(empty)


def test_resume_takes_nothing_else(stopped, tmp_path):
    res = CliRunner().invoke(
        main, ["simulate", "--resume", str(stopped), "--seed", "3", "--no-progress"]
    )
    assert res.exit_code == 2 and "drop --seed" in res.output


def test_fresh_run_into_an_unfinished_one_is_refused(stopped, tmp_path):
    run = _copy(stopped, tmp_path)
    res = CliRunner().invoke(
        main, ["simulate", "--accounts", "200", "--out", str(run), "--no-progress"]
    )
    assert res.exit_code == 1 and "--resume" in res.output
    with pytest.raises(InputError, match="unfinished run"):
        api.run("default", checkpoint_every=2, checkpoint_dir=run / "checkpoint")


def test_bad_checkpoint_options():
    with pytest.raises(InputError, match="together"):
        api.run("default", checkpoint_every=3)
    with pytest.raises(InputError, match=">= 1"):
        api.run("default", checkpoint_every=0, checkpoint_dir="x")


# -- the format -----------------------------------------------------------------


def test_state_round_trips_whole(tmp_path):
    """Every field of the platform state comes back with its dtype, shape and
    values; objects reached twice come back as one."""
    from mutuals.engine.platform import Simulation
    from mutuals.metrics.recorder import PlatformRecorder
    from mutuals.scenarios.platform import PlatformParams

    sim = Simulation(
        PlatformParams(accounts=200, mean_follows=10, days=0.25),
        seed=1,
        recorder=PlatformRecorder(),
    )
    for _ in range(3):
        sim.step()
    sim.add_list([1, 2, 3], [4, 5])
    objects = {"sim": sim, "again": sim.state.accounts}
    with open(tmp_path / "s.npz", "wb") as fs, open(tmp_path / "m.json", "w") as fm:
        ckpt.dump(objects, {"tick": sim.tick}, fs, fm)
    (tmp_path / "s.npz").rename(tmp_path / ckpt.STATE_FILE)
    (tmp_path / "m.json").rename(tmp_path / ckpt.META_FILE)
    back = ckpt.load(tmp_path)
    s2 = back.objects["sim"]
    assert back.objects["again"] is s2.state.accounts
    assert s2.rng.bit_generator.state == sim.rng.bit_generator.state
    assert s2.params == sim.params
    for name, value in sim.state.arrays().items():
        other = getattr(s2.state, name)
        if isinstance(value, np.ndarray):
            same = np.array_equal(other, value, equal_nan=value.dtype.kind == "f")
            assert other.dtype == value.dtype and same, name
        elif name in ("topic_counts", "topic_reads"):
            assert np.array_equal(np.asarray(other), np.asarray(value))
        else:
            assert other == value, name
    g1, g2 = sim.graph, s2.graph
    assert np.array_equal(g1.edges()[0], g2.edges()[0]) and g2.build_report == g1.build_report
    assert s2.posts.n == sim.posts.n
    assert all(np.array_equal(s2.posts.cols[k], v) for k, v in sim.posts.cols.items())
    for k, v in sim.recorder.rows.items():
        assert np.array_equal(np.asarray(s2.recorder.rows[k]), np.asarray(v), equal_nan=True), k


def test_what_cannot_be_saved_is_named():
    with pytest.raises(TypeError, match=r"sim\.hook"):
        ckpt.encode({"sim": {"hook": lambda: None}})
    with pytest.raises(TypeError, match="Python objects"):
        ckpt.encode({"a": np.array([object()], dtype=object)})


def test_scenario_with_events_resumes_across_them(tmp_path):
    """The packaged burst scenario (a hashtag seeded at day 1, a ranking switch
    at day 3): stopped before and after its events and resumed, the same bytes."""
    from mutuals.scenarios import load

    if "hashtag-burst" not in getattr(load, "examples", list)():
        pytest.skip("no packaged hashtag-burst scenario in this tree")
    scenario = load.EXAMPLES / "hashtag-burst.toml"
    over = {"accounts": 200}
    plain = api.run(scenario, seed=4, overrides=over).write(tmp_path / "plain")

    class Stop(Exception):
        pass

    for at in (35, 85):  # resumed from tick 30 (after the seeding), 80 (after the switch)

        def stop(done: int, _total: int, at: int = at) -> None:
            if done == at:
                raise Stop

        folder = tmp_path / f"ck-{at}"
        with pytest.raises(Stop):
            api.run(scenario, seed=4, overrides=over, progress=stop,
                    checkpoint_every=10, checkpoint_dir=folder)  # fmt: skip
        r = api.resume(folder)
        assert r.manifest["resumed_from"] == [at // 10 * 10]
        assert _tables(r.write(tmp_path / f"resumed-{at}")) == _tables(plain)
