"""The platform engine's invariants after any run, and at every parameter's bounds."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.platform_engine import Simulation
from mutuals.scenarios.platform import PlatformParams


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
