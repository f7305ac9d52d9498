"""``mutuals claims`` end to end: its output folder, resume, reproducibility,
data safety and ``--scenario-dir``.

No test asserts which way a claim comes out: only that every verdict is one
of the four there are. The runs are small (``--quick --only C8,C12`` once, otherwise
1,000 accounts and 2 replicates) and serial, except one on a LocalCluster.
"""

from __future__ import annotations

import itertools
import json
import math
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

from mutuals.claims import run as claims_run
from mutuals.claims.catalogue import CATALOGUE
from mutuals.claims.run import CLAIMS_SCHEMA, QUICK, VALUES_SCHEMA, load_claims
from mutuals.cli.main import main
from mutuals.io.folders import MARKER
from mutuals.sweeps.grid import replicate_seeds

VERDICTS = {"supported", "contradicted", "inconclusive", "reported"}
SERIAL = ["claims", "--scheduler", "serial", "--no-progress"]
SMALL = ["--only", "C3", "--accounts", "1000", "--seeds", "2", "--seed", "7"]


def _invoke(args: list[Any]) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _ok(res: Result) -> Result:
    assert res.exit_code == 0, res.output
    return res


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The keys of the runs ``mutuals claims`` runs (in this process: serial)."""
    seen: list[str] = []
    real = claims_run.claim_task

    def counted(task: Any) -> dict[str, Any]:
        seen.append(task.key)
        return real(task)

    monkeypatch.setattr(claims_run, "claim_task", counted)
    return seen


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    """``mutuals claims --quick --only C8,C12``: a trend takeover and purity tests."""
    out = tmp_path_factory.mktemp("quick") / "out"
    res = _invoke([*SERIAL, "--quick", "--only", "C8,C12", "--seed", "3", "--out", out])
    return out, res


@pytest.fixture(scope="module")
def small_c3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("small") / "out"
    _ok(_invoke([*SERIAL, *SMALL, "--out", out]))
    return out


def _bytes(out: Path, *names: str) -> dict[str, bytes]:
    return {n: (out / n).read_bytes() for n in names}


def _runs(out: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in sorted((out / "runs").glob("*.json"))}


# -- the output folder -------------------------------------------------------------------


def test_quick_writes_the_whole_folder(quick: tuple[Path, Result]) -> None:
    out, res = quick
    _ok(res)
    claims_ = load_claims(["C8", "C12"])
    n = QUICK["seeds"]

    definition = json.loads((out / "claims.json").read_text())
    assert definition["root_seed"] == 3
    assert (definition["accounts"], definition["seeds"]) == (QUICK["accounts"], n)
    assert list(definition["claims"]) == ["C8", "C12"]
    claims = pq.read_table(out / "claims.parquet")
    assert claims.schema.names == CLAIMS_SCHEMA.names
    assert [f.type for f in claims.schema] == [f.type for f in CLAIMS_SCHEMA]
    rows = claims.to_pylist()
    values = pq.read_table(out / "values.parquet")
    assert values.schema.names == VALUES_SCHEMA.names
    v = values.to_pydict()
    seeds = replicate_seeds(3, n)
    assert all(s == seeds[r] for r, s in zip(v["replicate"], v["seed"], strict=True))
    html = (out / "claims.html").read_text(encoding="utf-8")
    for c in claims_:
        assert definition["claims"][c.id]["baseline"] == c.baseline
        assert definition["claims"][c.id]["arms"] == json.loads(json.dumps(c.arms))
        measures = [m.name for m in CATALOGUE[c.id]]
        mine = [r for r in rows if r["claim"] == c.id]
        # every measure compares every treatment with the baseline
        assert {(r["measure"], r["arm"]) for r in mine} == {
            (m, arm) for m in measures for arm in c.treatments
        }
        for r in mine:
            assert r["verdict"] in VERDICTS, r
            assert (r["verdict"] == "reported") == (r["direction"] == 0), r
            assert 1 <= r["replicates"] <= n, r
        triples = {
            (a, rep, m)
            for cid, a, rep, m in zip(
                v["claim"], v["arm"], v["replicate"], v["measure"], strict=True
            )
            if cid == c.id
        }
        assert triples == set(itertools.product(c.arms, range(n), measures))
        svg = ET.parse(out / "figures" / f"{c.id}.svg").getroot()
        assert svg.tag.rsplit("}", 1)[-1] == "svg"
        assert f'<section id="{c.id}"' in html
    # the measures were measured, not left empty: the burst and the purity checks happened
    got = dict(zip(zip(v["claim"], v["measure"], strict=True), v["value"], strict=True))
    for key in (("C8", "peak_share"), ("C12", "unfollow_rate")):
        assert math.isfinite(got[key]), key
    vals = [x for cid, m, x in zip(v["claim"], v["measure"], v["value"], strict=True)
            if (cid, m) == ("C8", "peak_share")]  # fmt: skip
    assert all(0 < x <= 1 for x in vals)

    runs = _runs(out)
    assert len(runs) == sum(len(c.arms) for c in claims_) * n, "one run per arm and replicate"
    marker = set(json.loads((out / MARKER).read_text())["files"])
    assert marker == {
        "claims.json", "claims.parquet", "values.parquet", "claims.html", "figures/C8.svg",
        "figures/C12.svg", *(f"runs/{r}" for r in runs),
    }  # fmt: skip
    assert not [p for p in out.rglob("*") if "mutuals-tmp" in p.name]
    assert f"wrote {out}" in res.stdout
    table = [ln for ln in res.stdout.splitlines() if ln.startswith(("C8 ", "C12 "))]
    assert len(table) == len(rows)


# -- resume ------------------------------------------------------------------------------


def test_resume_runs_only_what_is_missing(
    quick: tuple[Path, Result], tmp_path: Path, calls: list[str]
) -> None:
    _ok(quick[1])
    out = tmp_path / "out"
    shutil.copytree(quick[0], out)
    outputs = ("claims.parquet", "values.parquet")
    before = _bytes(out, *outputs)
    runs = _runs(out)
    n = len(runs)

    res = _ok(_invoke([*SERIAL, "--quick", "--only", "C8,C12", "--out", out]))  # no --seed
    assert f"resuming: {n} of {n} runs already done, 0 to run" in res.stderr
    assert calls == []
    assert _runs(out) == runs, "no run file rewritten"
    assert _bytes(out, *outputs) == before
    assert json.loads((out / "claims.json").read_text())["root_seed"] == 3

    gone = sorted(runs)[1]
    record = json.loads((out / "runs" / gone).read_text())
    (out / "runs" / gone).unlink()
    res = _ok(_invoke([*SERIAL, "--quick", "--only", "C8,C12", "--seed", "3", "--out", out]))
    assert f"resuming: {n - 1} of {n} runs already done, 1 to run" in res.stderr
    assert calls == [gone.removesuffix(".json")]
    again = json.loads((out / "runs" / gone).read_text())
    assert (again["seed"], again["measures"]) == (record["seed"], record["measures"])
    assert {k: v for k, v in _runs(out).items() if k != gone} == {
        k: v for k, v in runs.items() if k != gone
    }
    assert _bytes(out, *outputs) == before

    # a run an older catalogue measured (one measure missing) is run again
    calls.clear()
    stale = sorted(runs)[2]
    record = json.loads((out / "runs" / stale).read_text())
    cid = next(iter(record["measures"]))
    record["measures"][cid].pop(next(iter(record["measures"][cid])))
    (out / "runs" / stale).write_text(json.dumps(record))
    res = _ok(_invoke([*SERIAL, "--quick", "--only", "C8,C12", "--out", out]))
    assert calls == [stale.removesuffix(".json")]
    assert _bytes(out, *outputs) == before

    calls.clear()
    res = _invoke([*SERIAL, "--quick", "--only", "C8,C12", "--seed", "4", "--out", out])
    assert res.exit_code != 0
    msg = res.output.strip()
    assert len(msg.splitlines()) == 1, msg
    assert "root seed 3" in msg and "--seed" in msg, msg
    assert calls == []
    assert _bytes(out, *outputs) == before
    assert json.loads((out / "claims.json").read_text())["root_seed"] == 3


def test_same_seed_same_bytes(small_c3: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    _ok(_invoke([*SERIAL, *SMALL, "--out", again]))
    names = ("claims.parquet", "values.parquet")
    assert _bytes(again, *names) == _bytes(small_c3, *names)
    assert list(_runs(again)) == list(_runs(small_c3))


@pytest.mark.slow
def test_local_cluster_gives_the_serial_bytes(small_c3: Path, tmp_path: Path) -> None:
    out = tmp_path / "cluster"
    _ok(_invoke(["claims", "--workers", "2", "--no-progress", *SMALL, "--out", out]))
    names = ("claims.parquet", "values.parquet")
    assert _bytes(out, *names) == _bytes(small_c3, *names)


# -- data safety -------------------------------------------------------------------------


def test_a_folder_with_a_users_file_is_refused(tmp_path: Path, calls: list[str]) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my notes\n")
    res = _invoke([*SERIAL, *SMALL, "--out", out])
    assert res.exit_code != 0
    msg = res.output.strip()
    assert len(msg.splitlines()) == 1 and "not empty" in msg and "notes.txt" in msg, msg
    assert (out / "notes.txt").read_text() == "my notes\n"
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"], "nothing written there"
    assert calls == []


def test_an_out_that_is_a_file_is_refused(tmp_path: Path, calls: list[str]) -> None:
    out = tmp_path / "file"
    out.write_text("data\n")
    res = _invoke([*SERIAL, *SMALL, "--out", out])
    assert res.exit_code != 0
    assert out.read_text() == "data\n"
    assert calls == []


def test_unknown_claim_is_one_line_naming_the_known(tmp_path: Path, calls: list[str]) -> None:
    res = _invoke([*SERIAL, "--only", "C99", "--out", tmp_path / "out"])
    assert res.exit_code != 0
    lines = res.output.strip().splitlines()
    assert len(lines) == 1, res.output
    assert "C99" in lines[0]
    for c in load_claims():
        assert c.id in lines[0], lines[0]
    assert not (tmp_path / "out").exists()
    assert calls == []


def test_list_lists_the_claim_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the default --out is ./claims
    res = _ok(_invoke(["claims", "--list"]))
    for c in load_claims():
        assert c.path is not None
        assert any(ln.startswith(f"{c.id} ") for ln in res.output.splitlines()), c.id
        assert str(c.path) in res.output
        for arm in c.arms:
            assert arm in res.output
    assert list(tmp_path.iterdir()) == [], "--list writes nothing"


# -- your own claim files ----------------------------------------------------------------


def test_scenario_dir_runs_the_edited_file(small_c3: Path, tmp_path: Path) -> None:
    (packaged,) = load_claims(["C3"])
    assert packaged.path is not None
    dropped = packaged.treatments[-1]
    text = packaged.path.read_text(encoding="utf-8")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / packaged.path.name).write_text(text[: text.index(f"[arms.{dropped}]")])
    arms = [a for a in packaged.arms if a != dropped]

    listed = _ok(_invoke(["claims", "--list", "--scenario-dir", mine]))
    assert str(mine / packaged.path.name) in listed.output and dropped not in listed.output

    out = tmp_path / "out"
    _ok(_invoke([*SERIAL, *SMALL, "--scenario-dir", mine, "--out", out]))
    definition = json.loads((out / "claims.json").read_text())
    assert list(definition["claims"]["C3"]["arms"]) == arms
    claims = pq.read_table(out / "claims.parquet").to_pylist()
    assert {r["arm"] for r in claims} == set(arms) - {packaged.baseline}
    values = pq.read_table(out / "values.parquet")
    assert set(values.column("arm").to_pylist()) == set(arms)
    assert len(_runs(out)) == 2 * len(arms)
    # the arms it kept are the packaged runs: same scenario, same seeds, same values
    assert set(_runs(out)) < set(_runs(small_c3))
    full = pq.read_table(small_c3 / "values.parquet")
    kept = full.filter(pc.not_equal(full["arm"], dropped))
    assert kept.to_pylist() == values.to_pylist()
