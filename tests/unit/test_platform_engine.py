"""The platform engine: kernels against their reference twins, invariants, determinism."""

import numpy as np
import pytest

from helpers.platform_engine import SMALL, Simulation, _kernel, _state
from mutuals.engine.platform import trending_table
from mutuals.errors import InputError
from mutuals.kernels import platform as kp
from mutuals.scenarios.platform import PlatformParams


def test_budget_is_enforced_in_order():
    sim = Simulation(PlatformParams(**SMALL, follow_budget=2), seed=1)
    nbrs = set(sim.graph.friends(0).tolist())
    targets = [v for v in range(1, 300) if v not in nbrs][:4]
    made = sim.follow(np.zeros(4, int), np.array(targets))
    assert made.tolist() == [True, True, False, False]
    assert sim.counters["follows_over_budget"] == 2
    with pytest.raises(InputError):
        sim.follow([0], [300])


@pytest.mark.parametrize(("u_list", "which"), [(0.1, 0), (0.9, 1)])
def test_a_list_session_reads_the_newest_posts_of_the_chosen_list(u_list, which):
    sim = Simulation(PlatformParams(**SMALL, list_read_prob=1.0, p_post=1.0), seed=2)
    lists = [np.array([5, 6, 7]), np.array([20, 21])]
    for members in lists:
        sim.add_list(members=members, subscribers=[0, 3])
    for _ in range(4):
        sim.step()
    s = _state(sim)
    members = lists[which]
    recent = np.concatenate([s["recent"][m][s["recent"][m] >= 0] for m in members])
    expected = np.sort(recent)[::-1][: int(s["attention"][0])]
    assert expected.size > 0
    before = s["views"].copy()
    u = np.ones((1, kp.U_ITEMS + int(s["attention"].max())))  # read only: no post, no engagement
    u[0, kp.U_LIST] = u_list
    _kernel(s, np.array([0], np.int32), u, sim.tick)
    want = np.zeros_like(before)
    np.add.at(want, s["root"][expected], 1)
    assert np.array_equal(s["views"] - before, want)
    with pytest.raises(InputError):
        sim.add_list(members=[], subscribers=[1])


def test_ranked_feeds_surface_what_readers_engage_with():
    """Ranking by predicted engagement must raise realised engagement per item read."""
    rate = {}
    for ranking in ("chronological", "ranked"):
        sim = Simulation(
            PlatformParams(accounts=3000, mean_follows=80, days=1, ranking=ranking), seed=5
        )
        sim.run()
        rate[ranking] = sim.counters["engagements"] / sim.counters["reads"]
    assert rate["ranked"] > 1.3 * rate["chronological"]


def test_trending_velocity_hand_computed():
    counts = np.array([[1, 0], [3, 0], [0, 5], [0, 0]])
    t = trending_table(counts, window=1, top=2).to_pylist()
    tick2 = [r for r in t if r["tick"] == 2]
    assert [(r["topic"], r["velocity"]) for r in tick2] == [(0, 2), (1, 0)]
    tick4 = [r for r in t if r["tick"] == 4]
    assert [(r["topic"], r["recent"], r["velocity"]) for r in tick4] == [(0, 0, 0), (1, 0, -5)]


def test_bored_accounts_leave_and_start_no_sessions_while_away():
    p = PlatformParams(**SMALL, days=2, engage_scale=0.0, leave_if_bored=1.0, away_days=100.0)
    sim = Simulation(p, seed=4)
    per_day = []
    for _ in range(2):
        before = sim.counters["sessions"]
        for _ in range(p.ticks_per_day):
            away = sim.away_until > sim.tick
            sim.step()
            # an account that was away started no session in that tick
            assert not np.isin(
                np.flatnonzero(away),
                sim.posts.cols["author"][: sim.posts.n][
                    sim.posts.cols["time"][: sim.posts.n] == sim.tick - 1
                ],
            ).any()
        per_day.append(sim.counters["sessions"] - before)
    assert sim.counters["departures"] > 0
    assert per_day[1] < 0.5 * per_day[0]
    share = sim.result().steps.column("share_away").to_numpy()
    assert share[-1] > 0.5 and np.all(np.diff(share) >= 0)
    calm = Simulation(PlatformParams(**SMALL, days=1, engage_scale=0.0), seed=4).run()
    assert calm.steps.column("share_away").to_numpy().max() == 0.0


@pytest.mark.parametrize("lam", [1000.0, 710.0, -1000.0, 1e-300])
def test_quality_stays_in_the_unit_interval_at_extreme_lambda(lam):
    sim = Simulation(PlatformParams(**SMALL, quality_lambda=lam, days=0.5), seed=2)
    sim.run()
    q = sim.posts.cols["quality"][: sim.posts.n]
    assert sim.posts.n > 0 and np.isfinite(q).all() and (q >= 0).all() and (q <= 1).all()
    if lam >= 710:  # nearly all the mass sits at 1
        assert q.mean() > 0.99


def test_away_days_at_the_top_of_its_range_keeps_accounts_away_without_overflow():
    p = PlatformParams(**SMALL, leave_if_bored=1.0, away_days=1e300, days=1)
    sim = Simulation(p, seed=4)
    sim.run()
    gone = sim.away_until > sim.tick
    assert gone.any() and (sim.away_until[gone] > 10**15).all()


@pytest.mark.parametrize(("every", "ticks"), [(5, [5, 10, 12]), (1000, [12]), (4, [4, 8, 12])])
def test_a_run_is_always_measured_at_its_last_tick(every, ticks):
    p = PlatformParams(**{**SMALL, "ticks_per_day": 24}, days=0.5, measure_every=every)
    res = Simulation(p, seed=1).run()
    assert res.steps.column("tick").to_pylist() == ticks
    assert res.exposures.num_rows == len(ticks) * 9


def test_steps_table_keeps_its_columns_before_any_measurement():
    sim = Simulation(PlatformParams(**SMALL, days=1), seed=1)
    full = Simulation(PlatformParams(**SMALL, days=0.25), seed=1).run().steps
    empty = sim.result().steps
    assert empty.num_rows == 0 and empty.schema == full.schema


def test_posts_and_steps_agree_on_counts_and_the_time_convention():
    res = Simulation(PlatformParams(**SMALL, days=1), seed=6).run()
    t = res.posts.column("time").to_numpy()
    per_tick = np.bincount(t, minlength=res.steps.num_rows)
    # a post with time t (0-based tick) is first counted in the steps row of tick t + 1
    assert np.array_equal(np.cumsum(per_tick), res.steps.column("posts").to_numpy())
    assert res.steps.column("tick").to_pylist() == list(range(1, 9))
    assert (
        res.posts.column("deliveries").to_numpy().sum()
        == res.steps.column("deliveries")[-1].as_py()
    )


@pytest.mark.parametrize("ids", [[0.5], [1.0], ["1"], [True]])
def test_follow_rejects_ids_that_are_not_integers(ids):
    sim = Simulation(PlatformParams(**SMALL, days=0.25), seed=1)
    before = sim.graph.n_follows
    with pytest.raises(InputError, match="integer"):
        sim.follow(ids, [3])
    with pytest.raises(InputError, match="integer"):
        sim.follow([3], ids)
    assert sim.graph.n_follows == before


def test_output_tables_share_key_types_so_they_join():
    res = Simulation(PlatformParams(**SMALL, days=0.5), seed=1).run()
    t = res.tables
    assert t["trending"].schema.field("topic").type == t["posts"].schema.field("topic").type
    assert t["posts"].schema.field("author").type == t["accounts"].schema.field("account").type
    assert t["trending"].schema.field("tick").type == t["exposures"].schema.field("tick").type
    assert t["steps"].schema.field("tick").type == t["exposures"].schema.field("tick").type
