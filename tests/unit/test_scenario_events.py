"""Groups, roles and timed events: each event's effect appears in the tables at
the tick it fires, and not before; bad scenario files fail in one line."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import mutuals
from mutuals.cli.main import main
from mutuals.errors import ConfigError
from mutuals.scenarios.load import scenario_from_mapping

SMALL = {"accounts": 600, "mean_follows": 15, "ticks_per_day": 8, "days": 2}


def _scenario(groups: dict, events: list, **params: object):
    return scenario_from_mapping(
        {"platform": {**SMALL, **params}, "groups": groups, "events": events}, name="t"
    )


def _col(t, name):
    return t.column(name).to_numpy(zero_copy_only=False)


#: What a post is when it is made (its counters keep changing afterwards).
MADE = ["post_id", "author", "time", "topic", "quality", "appeal", "heat", "kind", "parent", "root"]


def _made_before(posts, tick):
    return posts.filter(pc.less(posts["time"], tick)).select(MADE)


def test_the_burst_example_seeds_at_day_1_and_switches_ranking_at_day_3() -> None:
    sc = mutuals.load_scenario("hashtag-burst").with_overrides(
        {"accounts": 1500, "mean_follows": 20}
    )
    r = mutuals.run(sc, seed=3)
    ev = r.tables["events"].to_pylist()
    assert [(e["tick"], e["action"]) for e in ev] == [(24, "seed_hashtag"), (72, "set_platform")]
    acc, posts = r.tables["accounts"], r.tables["posts"]
    organisers = np.flatnonzero(_col(acc, "community") == "organisers")
    assert ev[0]["accounts"] == organisers.size
    t, topic, kind, author = (_col(posts, k) for k in ("time", "topic", "kind", "author"))
    seeded = (topic == 19) & (kind == "post") & np.isin(author, organisers)
    per_tick = np.bincount(t[seeded], minlength=96)
    assert per_tick[24] >= organisers.size  # every organiser posted under it at tick 24
    assert per_tick[:24].max() < organisers.size / 10  # and before, hardly anyone did
    trend = r.tables["trending"]
    top = pc.filter(trend, pc.equal(trend["rank"], 1))
    row = top.filter(pc.equal(top["tick"], 25)).to_pylist()[0]  # right after the burst tick
    assert row["topic"] == 19 and row["recent"] >= organisers.size
    earlier = top.filter(pc.less(top["tick"], 25))
    assert _col(earlier, "recent").max() < organisers.size / 2  # no trend was near it before
    # the switch: the same run without it is identical before tick 72 and not after
    plain = dataclasses.replace(sc, events_spec=sc.events_spec[:1])
    q = mutuals.run(plain, seed=3).tables["posts"]
    assert _made_before(posts, 72).equals(_made_before(q, 72))
    assert not _made_before(posts, 96).equals(_made_before(q, 96))


def test_set_param_changes_a_group_from_its_tick_on() -> None:
    sc = _scenario(
        {"silent": {"community": "organisers"}},
        [{"tick": 5, "set_param": {"group": "silent", "p_post": 0.0}}],
        p_post=1.0,
    )
    r = mutuals.run(sc, seed=2)
    acc, posts = r.tables["accounts"], r.tables["posts"]
    org = np.flatnonzero(_col(acc, "community") == "organisers")
    new = _col(posts, "kind") == "post"
    by_org = new & np.isin(_col(posts, "author"), org)
    t = _col(posts, "time")
    assert by_org[t < 5].sum() > 0 and by_org[t >= 5].sum() == 0
    assert (new & ~np.isin(_col(posts, "author"), org))[t >= 5].sum() > 0  # others still post


def test_add_accounts_arrive_at_their_tick_with_their_follows_and_role() -> None:
    sc = _scenario(
        {"org": {"community": "organisers"}},
        [
            {
                "tick": 6,
                "add_accounts": {
                    "n": 25, "community": "hostile", "role": "hostile", "activity": 5.0,
                    "follow": {"group": "org", "n": 10},
                },
            }
        ],
    )  # fmt: skip
    r = mutuals.run(sc, seed=4)
    acc = r.tables["accounts"]
    assert acc.num_rows == SMALL["accounts"] + 25
    arrival = _col(acc, "arrival")
    new = np.arange(600, 625)
    assert set(arrival[new]) == {6} and set(arrival[:600]) == {0}
    assert set(_col(acc, "role")[new]) == {"hostile"}
    assert (_col(acc, "friends")[new] >= 10).all()
    posts = r.tables["posts"]
    by_new = np.isin(_col(posts, "author"), new)
    assert by_new.any() and _col(posts, "time")[by_new].min() >= 6  # nothing before arriving
    assert r.tables["events"].to_pylist()[0]["accounts"] == 25


def test_arrivals_do_not_move_the_rest_of_the_run_before_they_arrive() -> None:
    """Common random numbers: the arrivals' own attributes come from a stream of
    their own, so until they arrive the run is the run without them."""
    with_them = _scenario({}, [{"tick": 9, "add_accounts": {"n": 10, "community": "hostile"}}])
    without = _scenario({}, [])
    a = mutuals.run(with_them, seed=5).tables["posts"]
    b = mutuals.run(without, seed=5).tables["posts"]
    assert _made_before(a, 9).equals(_made_before(b, 9))


def test_conditions_fire_the_first_tick_they_hold() -> None:
    sc = _scenario(
        {"org": {"community": "organisers"}},
        [
            {"tick": 3, "seed_hashtag": {"group": "org", "topic": 7, "posts": 3}},
            {"when": {"trending": 7}, "set_param": {"group": "org", "p_post": 0.0}},
            {"when": {"stops_trending": 7}, "set_param": {"group": "org", "p_post": 1.0}},
            {"when": {"count": "posts", "at_least": 1}, "set_platform": {"heat_weight": 1.0}},
        ],
        days=4,
    )
    r = mutuals.run(sc, seed=6)
    ev = {e["event"]: e["tick"] for e in r.tables["events"].to_pylist()}
    assert ev[0] == 3 and ev[3] == 1  # posts exist after the first tick
    trend = r.tables["trending"]
    in_top = sorted(set(_col(pc.filter(trend, pc.equal(trend["topic"], 7)), "tick")))
    # trending rows are measured after tick t (row tick = t + 1): the event fires at the
    # start of the tick after the first row listing topic 7
    assert ev[1] == in_top[0]
    if 2 in ev:  # the first tick after a listing without topic 7
        assert ev[2] > ev[1] and ev[2] not in in_top and ev[2] - 1 in in_top


def test_groups_select_by_rule() -> None:
    from mutuals.engine.platform import Simulation
    from mutuals.scenarios.groups import parse_groups

    sc = _scenario({}, [])
    sim = Simulation(sc.params, seed=1)
    sim.run()
    names = sim.accounts.community_names
    g = parse_groups(
        {
            "small": {"followers_below": 5},
            "top": {"most_followed": 10},
            "host": {"community": "hostile", "role": "hostile"},
            "half": {"share": 0.5},
            "t3": {"hashtag": 3},
        },
        communities=names,
        n_topics=sc.params.n_topics,
    )
    rng = np.random.default_rng(0)
    fc = sim.graph.followers_count
    small = g["small"].select(sim.state, names, rng)
    assert (fc[small] < 5).all() and small.size == (fc < 5).sum()
    top = g["top"].select(sim.state, names, rng)
    assert top.size == 10 and fc[top].min() >= np.sort(fc)[-10]
    host = g["host"].select(sim.state, names, rng)
    assert set(sim.accounts.community[host]) == {names.index("hostile")}
    half = g["half"].select(sim.state, names, rng)
    assert 0.4 * 600 < half.size < 0.6 * 600
    c = sim.posts.cols
    m = sim.posts.n
    wrote3 = set(c["author"][:m][(c["topic"][:m] == 3) & (c["kind"][:m] != 1)].tolist())
    assert set(g["t3"].select(sim.state, names, rng).tolist()) == wrote3


def test_roles_follow_the_communities() -> None:
    r = mutuals.run(_scenario({}, []), seed=1)
    acc = r.tables["accounts"]
    pairs = set(zip(_col(acc, "community"), _col(acc, "role"), strict=True))
    assert pairs == {("organisers", "member"), ("mainstream", "mainstream"), ("hostile", "hostile")}
    with pytest.raises(ConfigError, match="roles"):
        _scenario({}, [], roles=["member", "sceptic", "hostile"])


@pytest.mark.parametrize(
    ("groups", "events", "message"),
    [
        ({}, [{"tick": 1, "seed_hashtag": {"group": "nobody", "topic": 1}}], r"events\[0\]\.seed_hashtag\.group"),
        ({"g": {}}, [{"tick": 1, "seed_hashtag": {"group": "g", "topic": 99}}], r"topic: got 99"),
        ({"g": {}}, [{"tick": 1}], "exactly one action"),
        ({"g": {}}, [{"seed_hashtag": {"group": "g", "topic": 1}}], "exactly one of tick, day, when"),
        ({"g": {}}, [{"tick": 1, "set_param": {"group": "g", "p_post": 2.0}}], r"p_post: got 2.0"),
        ({"g": {}}, [{"tick": 1, "set_platform": {"accounts": 5}}], "unknown argument"),
        ({"g": {}}, [{"when": {"sunrise": 1}, "set_platform": {"heat_weight": 1}}], "unknown condition"),
        ({"g": {"community": "martians"}}, [], "unknown community 'martians'"),
        ({"g": {"colour": "red"}}, [], "unknown rule"),
    ],
)  # fmt: skip
def test_bad_groups_and_events_are_one_line_errors(groups, events, message) -> None:
    with pytest.raises(ConfigError, match=message) as e:
        _scenario(groups, events)
    assert "\n" not in str(e.value)


def test_cli_runs_the_example_records_its_events_and_reruns_it(tmp_path: Path) -> None:
    out = tmp_path / "burst"
    args = ["simulate", "hashtag-burst", "--accounts", "800", "--set", "mean_follows=15",
            "--seed", "2", "--out", str(out), "--no-progress"]  # fmt: skip
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert [next(k for k in e if k != "day") for e in manifest["events"]] == [
        "seed_hashtag",
        "set_platform",
    ]
    assert pq.read_table(out / "events.parquet").column("tick").to_pylist() == [24, 72]
    again = tmp_path / "again"
    res = CliRunner().invoke(
        main, ["simulate", "--from-manifest", str(out / "manifest.json"), "--out", str(again),
               "--no-progress"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    for f in sorted(out.glob("*.parquet")):
        assert f.read_bytes() == (again / f.name).read_bytes(), f.name


def test_accounts_added_to_a_real_graph_have_no_file_id(tmp_path: Path) -> None:
    from mutuals.graphs.load import load_edgelist

    edges = tmp_path / "g.txt"
    rng = np.random.default_rng(0)
    pairs = {(int(a), int(b)) for a, b in rng.integers(0, 200, (2000, 2)) if a != b}
    edges.write_text("".join(f"{a + 1000} {b + 1000}\n" for a, b in sorted(pairs)))
    loaded = load_edgelist(edges)
    n = loaded.graph.n_accounts  # the run takes the graph over (it changes as the run goes)
    sc = scenario_from_mapping(
        {
            "platform": {"ticks_per_day": 8, "days": 1},
            "events": [{"tick": 2, "add_accounts": {"n": 5, "community": "hostile"}}],
        }
    )
    r = mutuals.run(sc, seed=1, graph=loaded)
    src = r.tables["accounts"].column("source_id").to_pylist()
    assert len(src) == n + 5
    assert src[-5:] == [None] * 5 and all(s is not None for s in src[:-5])
