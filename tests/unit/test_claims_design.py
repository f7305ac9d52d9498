"""Claim files, their checks, the run plan and the effects table.

Claim files: every packaged one loads and each arm is a valid scenario that
differs from its baseline only where the file says; bad files give one
ConfigError naming the key. The plan (``claims.run._plan``): identical runs
across claims run once, and replicate ``r`` of every arm has the same seed,
drawn by ``sweeps.grid.replicate_seeds``. The effects table, on planted
values, is what ``claims.stats`` gives on the same numbers. Nothing here runs
a simulation (``run_claims`` is driven with a fake task).
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from mutuals.claims import run as claims_run
from mutuals.claims import stats
from mutuals.claims.catalogue import CATALOGUE
from mutuals.claims.design import SCENARIOS, ClaimFile, claim_from_mapping, load_claim_file
from mutuals.claims.measures import MEASURES
from mutuals.claims.run import (
    CLAIMS_SCHEMA,
    REPORTED,
    VALUES_SCHEMA,
    _plan,
    effects_table,
    load_claims,
    run_claims,
)
from mutuals.errors import ConfigError, InputError
from mutuals.sweeps.grid import replicate_seeds

PACKAGED = sorted(SCENARIOS.glob("*.toml"))
SMALL = {"accounts": 500}


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


# -- packaged claim files -----------------------------------------------------------------


def test_there_are_packaged_claim_files() -> None:
    assert PACKAGED, f"no claim files in {SCENARIOS}"


@pytest.mark.parametrize("path", PACKAGED, ids=_ids(PACKAGED))
def test_packaged_claim_file_loads(path: Path) -> None:
    c = load_claim_file(path)
    assert c.path == path
    assert c.id in CATALOGUE, f"{path.name}: claim {c.id} has no measures in CATALOGUE"
    assert c.id in MEASURES, f"{path.name}: claim {c.id} has no measure function"
    assert path.name.startswith(f"{c.id}-"), "file names start with their claim id"
    assert c.baseline in c.arms
    assert c.title and c.says and c.design and c.mechanism
    assert c.changes is not None and set(c.changes) == set(c.arms)
    assert c.treatments == [a for a in c.arms if a != c.baseline]
    if any(m.kind != "one_sample" for m in CATALOGUE[c.id]):
        assert c.treatments, f"{c.id} compares arms but has only its baseline"


@pytest.mark.parametrize("path", PACKAGED, ids=_ids(PACKAGED))
def test_every_arm_builds_a_valid_scenario(path: Path) -> None:
    c = load_claim_file(path)
    arms_before = copy.deepcopy(c.arms)
    for arm in c.arms:
        sc = c.scenario(arm, SMALL)
        assert sc.model == c.arms[arm].get("scenario", "platform")
        assert sc.params.accounts == SMALL["accounts"]
        sc.groups  # noqa: B018 - checked against the parameters
        sc.events  # noqa: B018
        assert sc.name == f"{c.id}-{arm}"
    assert c.arms == arms_before, "building a scenario must not change the claim's arms"


def _apply(base: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """The arm's scenario mapping as the module docstring defines it."""
    out = copy.deepcopy(base)
    model = out.get("scenario", "platform")
    out[model] = {**out.get(model, {}), **change.get("platform", {})}
    if "groups" in change:
        out["groups"] = {**out.get("groups", {}), **change["groups"]}
    if "events" in change:
        out["events"] = [*out.get("events", []), *change["events"]]
    return out


@pytest.mark.parametrize("path", PACKAGED, ids=_ids(PACKAGED))
def test_arms_differ_from_the_baseline_where_the_file_says(path: Path) -> None:
    c = load_claim_file(path)
    assert c.changes is not None
    base_sc = c.scenario(c.baseline, SMALL)
    base_params = base_sc.describe_params()
    said_base = c.changes[c.baseline]
    for arm in c.arms:
        said = c.changes[arm]
        assert set(said) <= {"platform", "groups", "events"}
        assert c.arms[arm] == _apply(c.base, said), arm
        sc = c.scenario(arm, SMALL)
        params = sc.describe_params()
        declared = set(said.get("platform", {})) | set(said_base.get("platform", {}))
        differ = {k for k in params if params[k] != base_params[k]}
        assert differ <= declared, f"{arm}: {sorted(differ - declared)} differ, undeclared"
        for k, v in said.get("platform", {}).items():
            got = params[k]
            assert (list(got) if isinstance(got, tuple) else got) == v, f"{arm}: {k}"
        if "groups" not in said and "groups" not in said_base:
            assert dict(sc.groups_spec) == dict(base_sc.groups_spec), arm
        if "events" not in said and "events" not in said_base:
            assert sc.events_spec == base_sc.events_spec, arm
        if arm != c.baseline:
            assert c.arms[arm] != c.arms[c.baseline], f"{arm} is the baseline again"


def test_an_arm_overrides_and_adds_to_the_base() -> None:
    base_event = {"day": 1, "set_platform": {"ranking": "ranked"}}
    arm_event = {"day": 2, "seed_hashtag": {"group": "few", "topic": 3, "posts": 1}}
    c = claim_from_mapping(
        {
            "scenario": "platform",
            "platform": {"accounts": 200, "days": 3, "mean_follows": 10, "follow_back": 0.1},
            "groups": {"organisers": {"community": "organisers"}},
            "events": [base_event],
            "claim": {"id": "C3", "title": "t", "baseline": "plain"},
            "arms": {
                "plain": {},
                "more": {
                    "platform": {"follow_back": 0.4},
                    "groups": {"few": {"community": "organisers", "share": 0.1}},
                    "events": [arm_event],
                },
            },
        }
    )
    plain, more = c.scenario("plain"), c.scenario("more")
    assert (plain.params.follow_back, more.params.follow_back) == (0.1, 0.4)
    assert more.params.mean_follows == plain.params.mean_follows == 10
    assert list(plain.groups_spec) == ["organisers"]
    assert list(more.groups_spec) == ["organisers", "few"]
    assert list(plain.events_spec) == [base_event]
    assert list(more.events_spec) == [base_event, arm_event], "an arm's events follow the base's"
    assert len(more.events) == 2
    assert c.base["events"] == [base_event], "the base is not changed by its arms"


def test_catalogue_is_well_formed() -> None:
    for cid, measures in CATALOGUE.items():
        names = [m.name for m in measures]
        assert len(names) == len(set(names)), cid
        assert sum(m.primary for m in measures) == 1, f"{cid}: one primary measure"
        for m in measures:
            assert m.kind in ("difference", "ratio", "one_sample", "slope"), (cid, m.name)
            assert m.direction in (-1, 0, 1), (cid, m.name)
            # a sweep's slope is against another measure of the same claim
            assert (m.kind == "slope") == bool(m.against), (cid, m.name)
            if m.against:
                assert m.against in names and m.against != m.name, (cid, m.name)
            if m.kind == "ratio":
                assert m.null == 1.0, (cid, m.name)
            if m.primary:
                assert m.direction != 0, f"{cid}: the primary measure has a direction"


# -- bad claim files ----------------------------------------------------------------------

BASE = """scenario = "platform"
[platform]
accounts = 200
days = 0.1
mean_follows = 10
"""
CLAIM = """[claim]
id = "C3"
title = "a title"
baseline = "a"
"""
ARMS = """[arms.a]
[arms.b]
platform = { follow_back = 0.5 }
"""

#: name -> (file text, the error's key, words its message holds)
BAD: dict[str, tuple[str, str | None, tuple[str, ...]]] = {
    "no-claim": (BASE + ARMS, "claim", ("[claim]",)),
    "no-arms": (BASE + CLAIM, "arms", ("[arms.NAME]",)),
    "empty-arms": (BASE + CLAIM + "arms = {}\n", "arms", ("[arms.NAME]",)),
    "baseline-not-an-arm": (
        BASE + CLAIM.replace('baseline = "a"', 'baseline = "zzz"') + ARMS,
        "claim.baseline",
        ("'zzz'", "a, b"),
    ),
    "no-id": (BASE + CLAIM.replace('id = "C3"\n', "") + ARMS, "claim.id", ("string",)),
    "unknown-claim-key": (
        BASE + CLAIM + 'colour = "red"\n' + ARMS,
        "claim.colour",
        ("colour", "baseline"),
    ),
    "unknown-arm-key": (BASE + CLAIM + ARMS + "colour = 1\n", "arms.b.colour", ("colour",)),
    "arm-not-a-table": (BASE + CLAIM + "[arms]\na = 3\n", "arms.a", ("table",)),
    "arm-out-of-range": (
        BASE + CLAIM + ARMS.replace("0.5", "2.0"),
        None,  # see test_arm_out_of_range_error_keeps_its_key
        ("arm 'b'", "follow_back", "2.0"),
    ),
    "invalid-toml": (BASE + CLAIM + "[arms.a\n", None, ("not valid TOML",)),
    "series-unknown-arm": (
        BASE + CLAIM + 'series = { s = ["a", "zz"] }\n' + ARMS,
        "claim.series.s",
        ("'zz'", "a, b"),
    ),
    "series-one-arm": (
        BASE + CLAIM + 'series = { s = ["a", "a"] }\n' + ARMS,
        "claim.series.s",
        ("two arms",),
    ),
    "series-not-a-table": (
        BASE + CLAIM + 'series = ["a", "b"]\n' + ARMS,
        "claim.series",
        ("table",),
    ),
}


def _write(tmp_path: Path, text: str, name: str = "C3-claim.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_the_small_claim_file_is_valid(tmp_path: Path) -> None:
    c = load_claim_file(_write(tmp_path, BASE + CLAIM + ARMS))
    assert (c.id, c.baseline, c.treatments) == ("C3", "a", ["b"])
    assert c.changes == {"a": {}, "b": {"platform": {"follow_back": 0.5}}}
    assert c.scenario("b").params.follow_back == 0.5


@pytest.mark.parametrize("case", list(BAD))
def test_bad_claim_file_is_one_config_error(tmp_path: Path, case: str) -> None:
    text, key, words = BAD[case]
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_claim_file(path)
    e = info.value
    msg = str(e)
    assert e.__cause__ is None, "one error, not a chain"
    assert "\n" not in msg, msg
    if key is not None:
        assert e.key == key, msg
        assert msg.startswith(f"{key}: "), msg
    for w in words:
        assert w in msg, msg


@pytest.mark.parametrize(
    "case",
    [c for c in BAD],
)
def test_bad_claim_file_error_names_the_file(tmp_path: Path, case: str) -> None:
    path = _write(tmp_path, BAD[case][0])
    with pytest.raises(ConfigError) as info:
        load_claim_file(path)
    assert str(path) in str(info.value)


def test_arm_out_of_range_error_keeps_its_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_claim_file(_write(tmp_path, BAD["arm-out-of-range"][0]))
    key = info.value.key
    assert key is not None and key.startswith("arms.b") and key.endswith("follow_back")


def test_unreadable_claim_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.toml"
    with pytest.raises(ConfigError, match="cannot read it") as info:
        load_claim_file(path)
    assert str(path) in str(info.value)
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b'title = "caf\xe9"\n')
    with pytest.raises(ConfigError, match="cannot read it") as info:
        load_claim_file(bad)
    assert str(bad) in str(info.value)


def test_claim_from_mapping_without_a_path() -> None:
    with pytest.raises(ConfigError, match=r"^claim: claim: needs a \[claim\] table"):
        claim_from_mapping({"arms": {"a": {}}})


# -- load_claims --------------------------------------------------------------------------


def test_load_claims_by_id_in_order() -> None:
    every = load_claims()
    ids = [c.id for c in every]
    assert ids == sorted(ids, key=lambda s: (int("".join(ch for ch in s if ch.isdigit())), s))
    assert len(ids) == len(set(ids)) == len(PACKAGED)
    assert [c.id for c in load_claims(["C3", "C1"])] == ["C1", "C3"]


def test_unknown_claim_names_the_known() -> None:
    known = [c.id for c in load_claims()]
    with pytest.raises(InputError) as info:
        load_claims(["C99"])
    msg = str(info.value)
    assert "C99" in msg and "\n" not in msg
    for cid in known:
        assert cid in msg, msg


def test_a_repeated_id_is_one_claim() -> None:
    assert [c.id for c in load_claims(["C3", "C3"])] == ["C3"]


def _copy_packaged(folder: Path, *names: str) -> list[Path]:
    folder.mkdir(exist_ok=True)
    out = []
    for p in PACKAGED:
        if not names or any(p.name.startswith(f"{n}-") for n in names):
            out.append(folder / p.name)
            out[-1].write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    return out


def test_duplicate_ids_in_a_scenario_dir_are_an_error(tmp_path: Path) -> None:
    (c3,) = _copy_packaged(tmp_path / "mine", "C3")
    twin = c3.with_name("C3-again.toml")
    twin.write_text(c3.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_claims(None, tmp_path / "mine")
    msg = str(info.value)
    assert "C3" in msg and c3.name in msg and twin.name in msg


def test_scenario_dir_checks(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a folder"):
        load_claims(None, tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no claim files"):
        load_claims(None, tmp_path / "empty")
    odd = tmp_path / "odd"
    (c3,) = _copy_packaged(odd, "C3")
    c3.write_text(c3.read_text(encoding="utf-8").replace('id = "C3"', 'id = "C77"'))
    with pytest.raises(InputError, match=r"C77.*no measures") as info:
        load_claims(None, odd)
    for cid in CATALOGUE:
        assert cid in str(info.value)


def test_scenario_dir_is_read_instead_of_the_packaged(tmp_path: Path) -> None:
    (c3,) = _copy_packaged(tmp_path / "mine", "C3")
    text = c3.read_text(encoding="utf-8")
    packaged = load_claims(["C3"])[0]
    dropped = packaged.treatments[-1]
    c3.write_text(text[: text.index(f"[arms.{dropped}]")], encoding="utf-8")
    (mine,) = load_claims(None, tmp_path / "mine")
    assert mine.path == c3
    assert list(mine.arms) == [a for a in packaged.arms if a != dropped]


# -- the plan ----------------------------------------------------------------------------

SEEDS = [11, 2**40 + 7, 5]


def _tiny_claim(cid: str, arms: dict[str, Any], baseline: str) -> ClaimFile:
    return claim_from_mapping(
        {
            "scenario": "platform",
            "platform": {"accounts": 200, "days": 0.1, "mean_follows": 10},
            "claim": {"id": cid, "title": cid, "baseline": baseline},
            "arms": arms,
        }
    )


def test_plan_runs_identical_arms_once_with_common_seeds() -> None:
    a = _tiny_claim("C1", {"plain": {}}, "plain")
    b = _tiny_claim("C3", {"none": {}, "back": {"platform": {"follow_back": 0.5}}}, "none")
    assert a.arms["plain"] == b.arms["none"]
    tasks, cells = _plan([a, b], SEEDS, SMALL)
    assert len(tasks) == 2 * len(SEEDS)  # plain == none: one run per seed for both
    by_key = {t.key: t for t in tasks}
    assert len(by_key) == len(tasks)
    assert len(cells) == 3 * len(SEEDS)
    for cid, arm, r, seed, key in cells:
        assert seed == SEEDS[r]
        t = by_key[key]
        assert t.seed == seed and t.overrides == SMALL
        c = a if cid == "C1" else b
        assert t.mapping == c.arms[arm]
        assert (cid, c.community) in t.measure
    shared = {k for cid, _, _, _, k in cells if cid == "C1"}
    for k in shared:
        assert by_key[k].measure == (("C1", "organisers"), ("C3", "organisers"))
    back = {k for cid, arm, _, _, k in cells if arm == "back"}
    assert len(back) == len(SEEDS) and not back & shared


def test_plan_of_the_packaged_claims() -> None:
    claims = load_claims()
    tasks, cells = _plan(claims, SEEDS, SMALL)
    distinct: list[dict[str, Any]] = []
    for c in claims:
        for m in c.arms.values():
            if m not in distinct:
                distinct.append(m)
    assert len(tasks) == len(distinct) * len(SEEDS), "each distinct arm runs once per seed"
    assert len(cells) == sum(len(c.arms) for c in claims) * len(SEEDS)
    by_key = {t.key: t for t in tasks}
    seen: dict[tuple[str, str], list[int]] = {}
    for cid, arm, r, seed, key in cells:
        seen.setdefault((cid, arm), []).append(seed)
        assert by_key[key].seed == seed == SEEDS[r]
    assert all(s == SEEDS for s in seen.values()), "every arm: replicate r has seed r"
    ids = {c.id: c for c in claims}
    if "C1" in ids and "C3" in ids and ids["C1"].arms["platform"] == ids["C3"].arms["none"]:
        keys = {
            (cid, r): k
            for cid, arm, r, _, k in cells
            if (cid, arm) in {("C1", "platform"), ("C3", "none")}
        }
        assert all(keys[("C1", r)] == keys[("C3", r)] for r in range(len(SEEDS)))
    other = _plan(claims, SEEDS, {"accounts": 600})[0]
    assert not {t.key for t in other} & set(by_key), "a run's key includes its overrides"


def test_plan_checks_every_arm_before_running() -> None:
    c = _tiny_claim("C3", {"none": {}, "back": {"platform": {"follow_back": 0.5}}}, "none")
    with pytest.raises(ConfigError, match="accounts"):
        _plan([c], SEEDS, {"accounts": -5})


def _fake_task(calls: list[Any]):
    """A claim task that runs nothing: measures from the seed and the arm."""

    def task(t: Any) -> dict[str, Any]:
        calls.append(t)
        bump = float(t.mapping.get("platform", {}).get("follow_back", 0.0))
        measures = {
            cid: {m.name: (t.seed % 997) / 997 + bump + 1.0 for m in CATALOGUE[cid]}
            for cid, _ in t.measure
        }
        return {"key": t.key, "seed": t.seed, "measures": measures, "seconds": 0.0}

    return task


def test_run_claims_seeds_come_from_replicate_seeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Any] = []
    monkeypatch.setattr(claims_run, "claim_task", _fake_task(calls))
    res = run_claims(
        ["C1", "C3"], out=tmp_path / "out", accounts=500, seeds=4, seed=1234,
        scheduler="serial", progress=False,
    )  # fmt: skip
    reps = replicate_seeds(1234, 4)
    definition = json.loads((tmp_path / "out" / "claims.json").read_text())
    assert definition["root_seed"] == 1234 and definition["seeds"] == 4
    v = res.values.to_pydict()
    assert set(zip(v["replicate"], v["seed"], strict=True)) == set(enumerate(reps))
    tasks, _ = _plan(load_claims(["C1", "C3"]), reps, {"accounts": 500})
    assert sorted(t.key for t in calls) == sorted(t.key for t in tasks), "each run once"
    assert sorted(t.seed for t in calls) == sorted(t.seed for t in tasks)
    assert res.claims.schema == CLAIMS_SCHEMA and res.values.schema == VALUES_SCHEMA


# -- the effects table -------------------------------------------------------------------


def _values_table(rows: list[tuple[str, str, int, int, str, float]]) -> pa.Table:
    cols = list(zip(*rows, strict=True))
    return pa.table(
        {n: list(c) for n, c in zip(VALUES_SCHEMA.names, cols, strict=True)}, schema=VALUES_SCHEMA
    )


N = 6
PLANTED = 0.25  # treatment - baseline, in every difference measure, plus noise


def _planted(claims: list[ClaimFile], rng: np.random.Generator) -> dict[tuple, np.ndarray]:
    """Per (claim, arm, measure): one value per replicate, with a known effect.

    A one-sample measure has values in the baseline and in every other
    treatment arm; in the others it was not measured (NaN)."""
    out: dict[tuple, np.ndarray] = {}
    for c in claims:
        for i, m in enumerate(CATALOGUE[c.id]):
            shared = rng.uniform(2.0, 10.0, N)  # what a replicate's seed gives every arm
            for j, arm in enumerate(c.arms):
                if m.kind == "one_sample":
                    measured = arm == c.baseline or (i + j) % 2 == 0
                    y = m.null + 0.3 + 0.1 * j + rng.normal(0.0, 0.05, N)
                    y = y if measured else np.full(N, np.nan)
                elif arm == c.baseline:
                    y = shared.copy()
                elif m.kind == "ratio":
                    y = shared * (1.5 + 0.1 * j) * rng.uniform(0.98, 1.02, N)
                else:
                    y = shared + (PLANTED + 0.05 * (i + j)) + rng.normal(0.0, 0.02, N)
                out[(c.id, arm, m.name)] = y
    return out


def _as_values(planted: dict[tuple, np.ndarray], rng: np.random.Generator) -> pa.Table:
    seeds = replicate_seeds(99, N)
    rows = [
        (cid, arm, r, seeds[r], meas, float(y[r]))
        for (cid, arm, meas), y in planted.items()
        for r in range(N)
    ]
    order = rng.permutation(len(rows))  # effects pair by replicate, not by row order
    return _values_table([rows[i] for i in order])


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def test_effects_table_matches_stats_on_planted_values() -> None:
    claims = load_claims()
    rng = np.random.default_rng(20240612)
    planted = _planted(claims, rng)
    table = effects_table(claims, _as_values(planted, rng))
    assert table.schema == CLAIMS_SCHEMA
    rows = table.to_pylist()
    got = {(r["claim"], r["measure"], r["arm"]): r for r in rows}
    assert len(got) == len(rows), "one row per claim, measure and arm"
    for c in claims:
        for m in CATALOGUE[c.id]:
            arms = {r["arm"] for r in rows if (r["claim"], r["measure"]) == (c.id, m.name)}
            if m.kind == "one_sample":  # against its null: the baseline, and perhaps
                measured = {a for a in c.arms if np.isfinite(planted[(c.id, a, m.name)]).any()}
                assert c.baseline in arms <= measured, (c.id, m.name, arms)  # where measured
            elif m.kind == "slope":  # one row per series of the sweep
                assert arms == set(c.sweeps()), (c.id, m.name, arms)
            else:
                assert arms == set(c.treatments), (c.id, m.name, arms)
    for r in rows:
        c = next(x for x in claims if x.id == r["claim"])
        m = next(x for x in CATALOGUE[c.id] if x.name == r["measure"])
        if m.kind == "slope":
            series = c.sweeps()[r["arm"]]
            x = np.array([planted[(c.id, a, m.against)] for a in series]).T
            y = np.array([planted[(c.id, a, m.name)] for a in series]).T
            e = stats.slope_effect(x, y)
            assert r["baseline"] == "" and r["effect"] == pytest.approx(e.effect, nan_ok=True)
            assert (r["low"], r["high"]) == pytest.approx((e.low, e.high), nan_ok=True)
            assert json.loads(r["parameters"]) == {"series": list(series), "against": m.against}
            continue
        t = planted[(c.id, r["arm"], m.name)]
        b = planted[(c.id, c.baseline, m.name)]
        if m.kind == "one_sample":
            e = stats.one_sample_effect(t, null=m.null)
            assert r["baseline"] == ""
        elif m.kind == "ratio":
            e = stats.ratio_effect(t, b)
            assert r["baseline"] == c.baseline
        else:
            e = stats.paired_effect(t, b)
            assert r["baseline"] == c.baseline
        where = (c.id, m.name, r["arm"])
        for k in ("effect", "low", "high", "baseline_mean", "treatment_mean"):
            assert _same(r[k], getattr(e, k)), (*where, k, r[k], getattr(e, k))
        assert r["replicates"] == e.n == N, where
        assert r["method"] == e.method
        assert r["null"] == m.null and r["direction"] == m.direction
        assert r["primary"] == m.primary and r["unit"] == m.unit
        assert r["title"] == c.title
        expected = REPORTED if m.direction == 0 else stats.verdict(e, m.direction, null=m.null)
        assert r["verdict"] == expected, where
        assert json.loads(r["parameters"]) == (c.changes or {})[r["arm"]]


def test_effects_table_verdicts_on_a_planted_difference() -> None:
    claims = load_claims(["C3"])
    (c,) = claims
    rng = np.random.default_rng(5)
    base = rng.uniform(0.1, 0.5, N)
    rows = []
    for arm in c.arms:
        for m in CATALOGUE["C3"]:
            for r in range(N):
                y = base[r] + (0.0 if arm == c.baseline else 1.0 + 0.01 * r)
                rows.append(("C3", arm, r, 1000 + r, m.name, float(y)))
    table = effects_table(claims, _values_table(rows))
    for row in table.to_pylist():
        m = next(x for x in CATALOGUE["C3"] if x.name == row["measure"])
        assert math.isclose(row["effect"], 1.0 + 0.01 * (N - 1) / 2)
        assert row["low"] < row["effect"] < row["high"]
        want = {1: stats.SUPPORTED, -1: stats.CONTRADICTED, 0: REPORTED}[m.direction]
        assert row["verdict"] == want, row
        assert row["verdict"] in (*stats.VERDICTS, REPORTED)


def test_effects_table_drops_a_missing_replicate() -> None:
    claims = load_claims(["C3"])
    (c,) = claims
    arm = c.treatments[0]
    b = [1.0, 2.0, 3.0, 4.0]
    t = [1.5, 2.7, float("nan"), 4.4]
    rows = []
    for m in CATALOGUE["C3"]:
        for r in range(4):
            rows.append(("C3", c.baseline, r, r, m.name, b[r]))
            rows.append(("C3", arm, r, r, m.name, t[r]))
    rows = [x for x in rows if not (x[1] == arm and x[2] == 3)]  # and one row absent
    table = effects_table(claims, _values_table(rows))
    e = stats.paired_effect([1.5, 2.7], [1.0, 2.0])
    for row in table.to_pylist():
        if row["arm"] == arm:
            assert row["replicates"] == 2
            assert _same(row["effect"], e.effect) and _same(row["low"], e.low)
        else:  # an arm with no values at all: no effect, inconclusive (or reported)
            assert row["replicates"] == 0 and math.isnan(row["effect"])
            assert row["verdict"] in (stats.INCONCLUSIVE, REPORTED)


def test_effects_table_of_no_values() -> None:
    claims = load_claims(["C1"])
    table = effects_table(claims, VALUES_SCHEMA.empty_table())
    assert table.schema == CLAIMS_SCHEMA
    assert table.num_rows == len(CATALOGUE["C1"])
    assert set(table.column("verdict").to_pylist()) <= {stats.INCONCLUSIVE, REPORTED}


def test_slope_rows_find_a_planted_sweep() -> None:
    """C7's slopes on planted values: y rises with x by 0.01 in every replicate
    (plus noise) in one series and not at all in the other."""
    claims = load_claims(["C7"])
    c = claims[0]
    rng = np.random.default_rng(3)
    rows = []
    seeds = 6
    for name, arms in c.sweeps().items():
        slope = 0.01 if name == "mild" else 0.0
        for i, arm in enumerate(arms):
            for r in range(seeds):
                x = 50.0 + 15 * i + rng.normal(0, 1)
                vals = {
                    "same_community_follows": x,
                    "repetition": 0.1 + slope * x + rng.normal(0, 0.002),
                    "engagement_per_session": 1.0 + rng.normal(0, 0.01),
                    "share_away": 0.01 + rng.normal(0, 0.001),
                }
                rows += [("C7", arm, r, 100 + r, k, v) for k, v in vals.items()]
    values = pa.table(dict(zip(VALUES_SCHEMA.names, map(list, zip(*rows, strict=True)), strict=True)),
                      schema=VALUES_SCHEMA)  # fmt: skip
    table = {(r["measure"], r["arm"]): r for r in effects_table(claims, values).to_pylist()}
    mild, strong = table[("repetition", "mild")], table[("repetition", "strong")]
    assert mild["verdict"] == "supported" and mild["low"] < 0.01 < mild["high"]
    assert strong["verdict"] == "inconclusive" and strong["low"] < 0 < strong["high"]
    assert mild["replicates"] == seeds and mild["method"].startswith("one-sample t")
