"""The platform engine: kernels against their reference twins, invariants, determinism."""

import copy

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mutuals.engine.platform import Simulation as _Simulation
from mutuals.engine.platform import trending_table
from mutuals.engine.reference import (
    reference_deliver_ring,
    reference_feed_stats,
    reference_sessions,
)
from mutuals.errors import InputError
from mutuals.kernels import platform as kp
from mutuals.metrics.recorder import PlatformRecorder
from mutuals.scenarios.platform import PlatformParams
from threads import digests_by_thread_count


def Simulation(*args, **kwargs):  # the engine's class, measured as mutuals.run does
    kwargs.setdefault("recorder", PlatformRecorder())
    return _Simulation(*args, **kwargs)


SMALL = {"accounts": 300, "mean_follows": 12, "ticks_per_day": 8}


def _state(sim: Simulation) -> dict:
    p = sim.params
    c = sim.posts.cols
    s = {k: c[k] for k in c}
    s.update(
        ring_item=sim.ring_item, ring_time=sim.ring_time, head=sim.head, count=sim.count,
        interest=sim.interest, topic_pref=sim.topic_pref, heat_mean=sim.heat_mean,
        recent=sim.recent, recent_head=sim.recent_head, exposures=sim.exposures,
        list_ptr=sim.list_ptr, list_members=sim.list_members, sub_ptr=sim.sub_ptr, sub_lists=sim.sub_lists,
        community=sim.accounts.community, attention=sim.accounts.attention, is_bot=sim.accounts.is_bot,
        n_posts=sim.posts.n, ranked=p.ranking == "ranked",
    )  # fmt: skip
    for k in ("w_like", "w_repost", "w_reply", "w_quote", "heat_weight", "half_life",
              "interest_lr", "quality_lambda", "appeal_exponent", "heat_spread"):  # fmt: skip
        s[k] = getattr(p, k)
    for k in ("p_post", "engage_scale", "follow_on_engage", "list_read_prob"):  # per account
        s[k] = getattr(sim.state, k)
    return s


def _kernel(s: dict, sessions, u, now):
    n = sessions.size
    s.setdefault("session_engaged", np.zeros(n, np.int32))
    kmax = int(s["attention"].max())
    fs = np.empty(n * kmax, np.int64)
    fd = np.empty(n * kmax, np.int64)
    out = kp.run_sessions(
        sessions, u, now, s["ranked"], s["community"], s["attention"], s["is_bot"], s["interest"], s["topic_pref"],
        s["ring_item"], s["ring_time"], s["head"], s["count"],
        s["author"], s["time"], s["topic"], s["quality"], s["appeal"], s["heat"], s["kind"], s["parent"], s["root"],
        s["views"], s["reposts"], s["replies"], s["quotes"], s["likes"], s["n_posts"],
        s["p_post"], s["w_like"], s["w_repost"], s["w_reply"], s["w_quote"], s["engage_scale"], s["heat_weight"],
        s["half_life"], s["interest_lr"], s["quality_lambda"], s["appeal_exponent"], s["heat_mean"], s["heat_spread"],
        s["follow_on_engage"], s["exposures"], fs, fd, s["session_engaged"],
        s["list_ptr"], s["list_members"], s["sub_ptr"], s["sub_lists"], s["recent"], s["recent_head"], s["list_read_prob"],
    )  # fmt: skip
    return out, list(zip(fs[: out[1]].tolist(), fd[: out[1]].tolist(), strict=True))


@pytest.mark.parametrize(
    "extra",
    [
        {"ranking": "chronological"},
        {
            "ranking": "ranked",
            "heat_weight": 2.0,
            "list_read_prob": 0.5,
            "engage_scale": 3.0,
            "follow_on_engage": 0.5,
        },
        {
            "ranking": "ranked",
            "interest_lr": 0.0,
            "quality_lambda": 0.0,
            "attention": 3,
            "feed_capacity": 5,
        },
        {"quality_lambda": 1000.0},  # exp(lambda) overflows a float
        {"quality_lambda": -1000.0},
    ],
)
def test_sessions_match_reference(extra):
    sim = Simulation(PlatformParams(**SMALL, **extra), seed=3)
    sim.add_list(members=np.arange(0, 300, 7), subscribers=np.arange(0, 300, 2))
    sim.add_list(members=np.arange(1, 300, 11), subscribers=np.arange(0, 300, 3))
    for _ in range(6):  # build up feeds, posts and interests
        sim.step()
    sim.posts.reserve(5000)
    rng = np.random.default_rng(9)
    sessions = np.sort(rng.integers(0, 300, 200)).astype(np.int32)
    u = rng.random((sessions.size, kp.U_ITEMS + int(sim.accounts.attention.max())))
    a, b = _state(sim), copy.deepcopy(_state(sim))
    a["session_engaged"] = np.zeros(sessions.size, np.int32)
    b["session_engaged"] = np.zeros(sessions.size, np.int32)
    (n_posts, n_follow, _, _), follows = _kernel(a, sessions, u, sim.tick)
    ref = reference_sessions(sessions, u, sim.tick, b)
    assert n_posts == ref["n_posts"] > sim.posts.n
    assert n_follow == len(follows) and follows == ref["follows"]
    for key, arr in a.items():
        if isinstance(arr, np.ndarray):
            if arr.dtype.kind == "f":
                np.testing.assert_allclose(arr, b[key], rtol=1e-5, atol=1e-6, err_msg=key)
            else:
                np.testing.assert_array_equal(arr, b[key], err_msg=key)


def test_delivery_and_feed_stats_match_reference():
    sim = Simulation(PlatformParams(**SMALL, feed_capacity=7), seed=4)
    for _ in range(5):
        sim.step()
    a, b = _state(sim), copy.deepcopy(_state(sim))
    followers = [sim.graph.followers(i).tolist() for i in range(300)]
    first, last = max(0, sim.posts.n - 300), sim.posts.n
    fs, fl, fn = sim.graph.follower_rows
    got = kp.deliver_ring(
        first,
        last,
        a["author"],
        a["kind"],
        fs,
        fl,
        fn,
        a["ring_item"],
        a["ring_time"],
        a["head"],
        a["count"],
        99,
        a["deliveries"],
        a["root"],
    )
    want = reference_deliver_ring(first, last, b, followers, 99)
    assert got == want
    for key in ("ring_item", "ring_time", "head", "count", "deliveries"):
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    q, t, s = np.empty(300), np.empty(300), np.empty(300)
    kp.feed_stats(
        a["ring_item"],
        a["count"],
        a["topic"],
        a["author"],
        a["quality"],
        a["root"],
        sim.params.n_topics,
        q,
        t,
        s,
    )
    for r in range(300):
        items = a["ring_item"][r, : a["count"][r]].tolist()
        np.testing.assert_allclose(
            [q[r], t[r], s[r]],
            reference_feed_stats(items, b, sim.params.n_topics),
            rtol=1e-9,
            equal_nan=True,
        )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    capacity=st.integers(1, 20),
    budget=st.integers(0, 5),
    unfollow=st.floats(0, 0.5),
    follow_on_engage=st.floats(0, 1),
    ranking=st.sampled_from(["chronological", "ranked"]),
    extra_follows=st.lists(st.tuples(st.integers(0, 99), st.integers(0, 99)), max_size=40),
)
def test_invariants_hold_after_any_run(
    seed, capacity, budget, unfollow, follow_on_engage, ranking, extra_follows
):
    p = PlatformParams(
        accounts=100, mean_follows=8, ticks_per_day=4, days=1.5, feed_capacity=capacity, follow_budget=budget,
        unfollow_rate=unfollow, follow_on_engage=follow_on_engage, ranking=ranking, engage_scale=3.0, follow_back=0.5,
    )  # fmt: skip
    sim = Simulation(p, seed=seed)
    follows_at_start = sim.graph.n_follows
    while sim.tick < p.ticks:
        if sim.tick == 2 and extra_follows:
            src, dst = zip(*extra_follows, strict=True)
            sim.follow(np.array(src), np.array(dst))
        sim.step()
        # feeds never exceed their capacity
        assert (sim.count <= capacity).all() and (sim.count >= 0).all()
        # budgets never exceeded
        assert (sim.follows_today <= sim.accounts.follow_budget).all()
    # follower rows and friend rows stay mirror images, without duplicates or self-follows
    sim.graph.check()
    # counters agree with the tables
    n_rows = sim.posts.n
    assert int(sim.posts.cols["deliveries"][:n_rows].sum()) == sim.counters["deliveries"]
    c = sim.counters
    assert sim.graph.n_follows == follows_at_start + c["follows"] - c["unfollows"]
    assert int(sim.exposures.sum()) == c["reads"] == int(sim.posts.cols["views"][:n_rows].sum())
    # follower counts equal graph in-degrees
    f, t = sim.graph.edges()
    assert np.array_equal(sim.graph.followers_count, np.bincount(t, minlength=100))
    assert np.array_equal(sim.graph.friends_count, np.bincount(f, minlength=100))
    assert not (f == t).any() and np.unique(f.astype(np.int64) * 100 + t).size == f.size
    # every response's parent and root exist and precede it; reposts point at originals
    n = sim.posts.n
    kind, parent, root = (sim.posts.cols[k][:n] for k in ("kind", "parent", "root"))
    ids = np.arange(n)
    assert ((kind == 0) == (parent == -1)).all()
    resp = kind != 0
    assert (parent[resp] >= 0).all() and (parent[resp] < ids[resp]).all()
    assert np.isin(kind[root[kind == 1]], [0, 3]).all()  # reposts point at posts or quotes
    assert (root[kind != 1] == ids[kind != 1]).all()
    # feeds only hold existing posts, never replies
    live = np.arange(capacity)[None, :] < sim.count[:, None]
    items = sim.ring_item[live]
    assert ((items >= 0) & (items < n)).all() and (kind[items] != 2).all()


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


def test_same_tables_whatever_the_thread_count():
    setup = (
        "from mutuals.engine.platform import Simulation\n"
        "from mutuals.metrics.recorder import PlatformRecorder\n"
        "from mutuals.scenarios.platform import PlatformParams\n"
        "p = PlatformParams(accounts=3000, mean_follows=30, days=0.5, ranking='ranked')\n"
        "tables = Simulation(p, seed=12, recorder=PlatformRecorder()).run().tables\n"
    )
    assert len(digests_by_thread_count(setup)) == 1


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


def _at_bounds(*values):
    return st.sampled_from(values)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    accounts=st.integers(2, 60), attention=_at_bounds(1, 200), capacity=_at_bounds(1, 2, 300),
    ticks_per_day=_at_bounds(1, 3, 1440), days=_at_bounds(0.001, 0.5, 1.0), p_post=_at_bounds(0.0, 0.5, 1.0),
    engage_scale=_at_bounds(0.0, 0.5, 100.0), heat_weight=_at_bounds(0.0, 100.0),
    half_life=_at_bounds(1e-300, 6.0, 1e300), interest_lr=_at_bounds(0.0, 1.0),
    quality_lambda=_at_bounds(-1e6, 0.0, 10.0, 1e6), appeal_exponent=_at_bounds(0.0, 1e300),
    heat_mean=_at_bounds(0.0, 1.0), heat_spread=_at_bounds(0.0, 2.0),
    weights=st.lists(_at_bounds(0.0, 1.0, 1e300), min_size=4, max_size=4).filter(lambda w: sum(w) > 0),
    churn=_at_bounds(0.0, 1.0), list_read_prob=_at_bounds(0.0, 1.0), leave_if_bored=_at_bounds(0.0, 1.0),
    away_days=_at_bounds(1e-300, 3.0, 1e300), ranking=_at_bounds("chronological", "ranked"),
    mean_activity=_at_bounds(0.0, 1.0, 1000.0), activity_sigma=_at_bounds(0.0, 5.0), n_topics=_at_bounds(1, 3, 32000),
    topic_focus=_at_bounds(0.0, 1.0), out_sigma=_at_bounds(0.0, 5.0), in_exponent=_at_bounds(1.5000001, 10.0),
    homophily=_at_bounds(0.0, 1.0), reciprocity=_at_bounds(0.0, 0.99), triadic=_at_bounds(0.0, 1.0),
    follow_budget=_at_bounds(0, 10000), measure_every=_at_bounds(1, 7, 10**6), seed=st.integers(0, 10),
)  # fmt: skip
def test_parameters_at_their_bounds_run_cleanly(accounts, weights, churn, seed, **kw):
    """Any mix of extreme values: no crash, no RuntimeWarning, values in range, invariants hold."""
    if kw["mean_activity"] * kw["days"] * accounts > 20_000:
        kw["mean_activity"] = 1.0  # keep the run small
    if kw["ticks_per_day"] * kw["days"] > 100:
        kw["ticks_per_day"] = 3
    p = PlatformParams(
        accounts=accounts, mean_follows=max(1.0, min(10.0, accounts - 1.0)), feed_capacity=kw.pop("capacity"),
        w_like=weights[0], w_repost=weights[1], w_reply=weights[2], w_quote=weights[3],
        follow_on_engage=churn, follow_back=churn, unfollow_rate=churn, **kw,
    )  # fmt: skip
    sim = Simulation(p, seed=seed)
    if p.list_read_prob:
        sim.add_list(members=np.arange(0, accounts, 2), subscribers=np.arange(accounts))
    start = sim.graph.n_follows
    res = sim.run()
    sim.graph.check()
    n, c = sim.posts.n, sim.posts.cols
    for col in ("quality", "appeal", "heat"):
        v = c[col][:n]
        assert np.isfinite(v).all() and (v >= 0).all() and (v <= 1).all(), col
    assert int(c["deliveries"][:n].sum()) == sim.counters["deliveries"]
    assert sim.graph.n_follows == start + sim.counters["follows"] - sim.counters["unfollows"]
    assert (sim.count <= p.feed_capacity).all() and res.steps.num_rows >= 1
    assert res.steps.column("tick")[-1].as_py() == p.ticks
