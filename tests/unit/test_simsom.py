"""SimSoM: kernels against their reference twins, and the model's behaviour."""

import json

import numpy as np
import pytest

from helpers.simsom import run_simsom
from mutuals.errors import ConfigError
from mutuals.scenarios.simsom import (
    SimSoMParams,
    build_network,
    draw_appeal,
    draw_quality,
)


def test_draws_have_published_means():
    u = np.random.default_rng(1).random(200_000)
    assert draw_quality(u, 10).mean() == pytest.approx(
        0.9 + 1 / (np.e**10 - 1), abs=0.005
    )  # 1 - 1/λ + ...
    assert draw_appeal(u, 4).mean() == pytest.approx(1 / 6, abs=0.005)
    assert draw_quality(u, 0).mean() == pytest.approx(0.5, abs=0.005)


def _quality(gamma, seed):
    p = SimSoMParams(
        accounts=600,
        mean_follows=30,
        gamma=gamma,
        burn_in=40,
        window=30,
        max_steps=400,
        tau_every=0,
    )
    return run_simsom(p, seed=seed).quality


@pytest.mark.slow
def test_quality_falls_as_infiltration_rises():
    seeds = [1, 2, 3]
    q = {g: np.mean([_quality(g, s) for s in seeds]) for g in (0.0, 0.01, 0.1)}
    assert q[0.0] > q[0.01] > q[0.1]
    assert q[0.0] > 0.85  # no bots: feeds hold human messages, mean quality near 0.9
    assert q[0.1] < 0.8 * q[0.0]


def test_run_reports_measures():
    r = run_simsom(
        SimSoMParams(
            accounts=300, mean_follows=15, burn_in=10, window=10, max_steps=100, tau_every=5
        ),
        seed=2,
    )
    assert 0 < r.quality <= 1
    assert r.steps == r.timeline.num_rows
    assert r.messages.num_rows == r.timeline.column("messages").to_pylist()[-1]
    assert -1 <= r.tau <= 1 and r.diversity > 0
    tau = r.timeline.column("tau_b").to_numpy()
    assert np.isfinite(tau[4::5]).all() and np.isnan(tau[0])


def test_same_seed_same_run_and_other_seed_differs():
    p = SimSoMParams(accounts=200, mean_follows=10, max_steps=30, burn_in=5, window=5)
    a, b, c = run_simsom(p, seed=7), run_simsom(p, seed=7), run_simsom(p, seed=8)
    for name in a.timeline.column_names:  # NaN-aware comparison
        np.testing.assert_array_equal(
            a.timeline.column(name).to_numpy(), b.timeline.column(name).to_numpy()
        )
    assert a.messages.equals(b.messages)
    assert not a.messages.equals(c.messages)


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"gamma": 1.5}, "gamma"),
        ({"targeting": "everyone"}, "targeting"),
        ({"feed_capacity": 0}, "feed_capacity"),
        ({"theta": 2.5}, "theta"),
    ],
)
def test_bad_params_name_the_key(kwargs, key):
    with pytest.raises(ConfigError, match=key) as e:
        SimSoMParams(**kwargs)
    assert "allowed" in str(e.value)


@pytest.mark.parametrize(
    "targeting", ["hubs", "partisanship", "misinformation", "conservative", "liberal"]
)
def test_targeting_picks_the_intended_humans(targeting):
    p = SimSoMParams(accounts=800, mean_follows=20, gamma=0.05, targeting=targeting)
    net = build_network(p, np.random.default_rng(0))
    g = net.graph
    nh = p.accounts
    bots = np.arange(nh, nh + p.n_bots)
    infiltrated = np.concatenate([g.followers(b) for b in bots])
    infiltrated = infiltrated[infiltrated < nh]  # one entry per infiltration follow
    pos = net.accounts.position
    if targeting == "conservative":
        assert (pos[infiltrated] > 0).all()
    elif targeting == "liberal":
        assert (pos[infiltrated] < 0).all()
    elif targeting == "hubs":
        fc = g.followers_count[:nh]
        assert fc[infiltrated].mean() > 1.5 * fc.mean()
    elif targeting == "partisanship":
        assert np.abs(pos[infiltrated]).mean() > np.abs(pos[:nh]).mean()
    else:
        assert net.misinformation[infiltrated].mean() > net.misinformation.mean()
    # bots never follow humans
    f, t = g.edges()
    assert not ((f >= nh) & (t < nh)).any()
    json.dumps(net.report)


@pytest.mark.parametrize("shuffle", ["degree", "community", "random"])
def test_shuffles_keep_what_they_promise(shuffle):
    base = build_network(
        SimSoMParams(accounts=1000, mean_follows=20, beta=0), np.random.default_rng(1)
    )
    sh = build_network(
        SimSoMParams(accounts=1000, mean_follows=20, beta=0, shuffle=shuffle),
        np.random.default_rng(1),
    )
    e0 = base.graph.n_follows
    assert abs(sh.graph.n_follows - e0) < 0.1 * e0  # rewiring makes some duplicates, dropped
    f0, t0 = base.graph.edges()
    f1, t1 = sh.graph.edges()
    comm = base.accounts.community
    same0 = (comm[f0] == comm[t0]).mean()
    same1 = (comm[f1] == comm[t1]).mean()
    if shuffle == "community":
        assert abs(same1 - same0) < 0.02
    else:
        assert same1 < same0 - 0.2  # homophily destroyed
    if shuffle != "random":
        assert np.corrcoef(base.graph.friends_count, sh.graph.friends_count)[0, 1] > 0.95


@pytest.mark.parametrize("lam", [1000.0, 710.0, -1000.0, 0.0, 10.0])
def test_quality_draws_stay_in_the_unit_interval_at_extreme_lambda(lam):
    u = np.concatenate([[0.0, 1e-300, 0.5, 1 - 2**-53], np.random.default_rng(0).random(1000)])
    q = draw_quality(u, lam)
    assert np.isfinite(q).all() and (q >= 0).all() and (q <= 1).all()


def test_messages_and_timeline_agree_on_counts_and_the_time_convention():

    p = SimSoMParams(accounts=200, mean_follows=20, gamma=0.1, max_steps=12, burn_in=1000)
    r = run_simsom(p, seed=3)
    created = r.messages.column("created_step").to_numpy()
    per_step = np.bincount(created, minlength=r.steps)
    # created_step s (0-based) is counted in the timeline row of step s + 1
    assert np.array_equal(np.cumsum(per_step), r.timeline.column("messages").to_numpy())


@pytest.mark.parametrize("accounts", [2, 5, 40])
@pytest.mark.parametrize(
    "targeting", ["none", "hubs", "partisanship", "misinformation", "conservative", "liberal"]
)
@pytest.mark.parametrize("shuffle", ["none", "degree", "community", "random"])
def test_tiny_networks_are_consistent_for_every_targeting_and_shuffle(accounts, targeting, shuffle):
    p = SimSoMParams(
        accounts=accounts, mean_follows=3, beta=0.5, gamma=0.5, targeting=targeting, shuffle=shuffle
    )
    net = build_network(p, np.random.default_rng(accounts))
    net.graph.check()
    f, t = net.graph.edges()
    bots = net.accounts.is_bot
    assert bots.sum() == int(0.5 * accounts) and not bots[:accounts].any()
    assert not (bots[f] & ~bots[t]).any()  # bots follow only bots
