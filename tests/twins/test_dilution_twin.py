"""Dilution (behaviour/dilution.py, kernels/diversity.py) and leaving against their
pure-Python twins, planted effects of fatigue, and the mechanism off."""

from __future__ import annotations

import math

import numpy as np
import pytest

import mutuals
from mutuals.behaviour.dilution import Dilution
from mutuals.behaviour.leaving import Leaving
from mutuals.engine.platform import Simulation
from mutuals.engine.reference import reference_dilution, reference_leaving
from mutuals.kernels.diversity import fold_ema, session_repetition
from mutuals.metrics.feeds import normalized_entropy
from mutuals.scenarios.load import scenario_from_mapping


def _scenario(**platform) -> object:
    base = {"accounts": 1500, "mean_follows": 30, "days": 1, "ticks_per_day": 12}
    return scenario_from_mapping({"platform": {**base, **platform}})


class TwinDilution(Dilution):
    def __init__(self) -> None:
        self.scored = 0

    def decide(self, state, params, sessions, read):
        want = reference_dilution(state, params, sessions, read)
        who, rep = super().decide(state, params, sessions, read)
        assert who.tolist() == list(want)
        np.testing.assert_allclose(rep, [want[a] for a in want], rtol=0, atol=1e-12)
        self.scored += who.size
        return who, rep


class TwinLeaving(Leaving):
    def __init__(self) -> None:
        self.left = 0

    def decide(self, state, params, sessions, engaged, rng):
        import copy

        rng_copy = copy.deepcopy(rng)
        want = reference_leaving(state, params, sessions, engaged, rng_copy)
        who, until = super().decide(state, params, sessions, engaged, rng)
        assert who.tolist() == list(want)
        assert until.tolist() == [want[a] for a in want]
        assert rng.bit_generator.state == rng_copy.bit_generator.state
        self.left += who.size
        return who, until


@pytest.mark.parametrize(
    "extra",
    [
        {"fatigue_engage": 0.8, "fatigue_leave": 0.2},
        {
            "fatigue_leave": 0.1,
            "leave_if_bored": 0.3,
            "ranking": "ranked",
            "repetition_memory": 1.0,
        },
        {"leave_if_bored": 0.2},
    ],
)
def test_dilution_and_leaving_match_their_twins_at_every_tick(extra: dict) -> None:
    sc = _scenario(**extra)
    sim = Simulation(sc.params, seed=3)
    dil = sim.dilution = TwinDilution()
    lv = sim.leaving = TwinLeaving()
    while sim.tick < sc.params.ticks:
        sim.step()
    assert dil.scored > 500
    assert lv.left > 5
    rep = sim.state.repetition[~np.isnan(sim.state.repetition)]
    assert rep.size and rep.min() >= -1e-12 and rep.max() <= 1 + 1e-12


def test_session_repetition_kernel_against_the_definition() -> None:
    rng = np.random.default_rng(0)
    n_posts, n_topics = 300, 7
    root = np.arange(n_posts)
    root[200:] = rng.integers(0, 200, 100)  # reposts point at earlier posts
    topic = rng.integers(0, n_topics, n_posts)
    topic[200:] = topic[root[200:]]
    author = rng.integers(0, 12, n_posts)
    read = rng.integers(0, n_posts, (400, 9))
    read[rng.random(read.shape) < 0.3] = -1
    read[0, :] = -1
    read[1, 1:] = -1  # one item: undefined
    rt, rs = session_repetition(read, root, topic, author, n_topics)
    for s in range(read.shape[0]):
        items = [root[p] for p in read[s] if p >= 0]
        n = len(items)
        if n < 2:
            assert math.isnan(rt[s]) and math.isnan(rs[s])
            continue
        t = np.bincount(topic[items], minlength=n_topics)
        a = np.bincount(author[items])
        assert rt[s] == pytest.approx(1 - normalized_entropy(t, min(n, n_topics)), abs=1e-12)
        assert rs[s] == pytest.approx(1 - normalized_entropy(a, n), abs=1e-12)


def test_planted_repetition_extremes() -> None:
    """One topic and one source: repetition 1; every item a new topic and source: 0."""
    root = np.arange(6)
    read = np.array([[0, 1, 2, -1], [3, 4, 5, -1]])
    same_t, same_a = np.zeros(6, np.int64), np.zeros(6, np.int64)
    rt, rs = session_repetition(read, root, same_t, same_a, 10)
    assert rt.tolist() == [1.0, 1.0] and rs.tolist() == [1.0, 1.0]
    rt, rs = session_repetition(read, root, np.arange(6), np.arange(6), 10)
    assert rt == pytest.approx([0.0, 0.0]) and rs == pytest.approx([0.0, 0.0])


def test_fold_ema_in_session_order() -> None:
    acc = np.array([5, 2, 5, 5, 2], np.int64)
    val = np.array([1.0, np.nan, 0.0, 0.5, np.nan])
    cur = np.full(8, np.nan)
    cur[2] = 0.4
    who, x = fold_ema(acc, val, 0.5, cur)
    # account 2 only had NaN sessions: untouched; 5: 1 -> 0.5 -> 0.5
    assert who.tolist() == [5] and x.tolist() == [0.5]


def test_fatigue_lowers_engagement_and_raises_departures() -> None:
    """Planted: engagement per session falls with fatigue_engage, and with
    fatigue_leave accounts leave although every leave_if_bored is 0."""
    base = mutuals.run(_scenario(engage_scale=2.0), seed=5).model.state
    tired = mutuals.run(_scenario(engage_scale=2.0, fatigue_engage=1.0), seed=5).model.state
    rate = lambda st: st.engagement_count.sum() / st.session_count.sum()  # noqa: E731
    assert rate(tired) < 0.9 * rate(base)
    gone = mutuals.run(_scenario(fatigue_leave=0.5), seed=5).model.state
    assert base.departure_count.sum() == 0
    assert gone.departure_count.sum() > 20
    # those who left had more repetitive feeds than those who stayed
    rep = np.nan_to_num(gone.repetition)
    left = gone.departure_count > 0
    stayed = (gone.departure_count == 0) & (gone.session_count > 0)
    assert rep[left].mean() > rep[stayed].mean()


def test_repetition_feeds_back_only_through_fatigue() -> None:
    """With both fatigues 0 the memory changes nothing a run writes."""
    a = mutuals.run(_scenario(repetition_memory=0.1), seed=2)
    b = mutuals.run(_scenario(repetition_memory=1.0), seed=2)
    assert a.tables["posts"].equals(b.tables["posts"])
    assert not np.allclose(
        np.nan_to_num(a.model.state.repetition), np.nan_to_num(b.model.state.repetition)
    )


def test_accounts_away_keep_receiving_their_feed() -> None:
    """Returning accounts come back to what their feed holds then: deliveries
    reach an account while it is away."""
    sc = _scenario(fatigue_leave=1.0, away_days=5.0)
    sim = Simulation(sc.params, seed=1)
    while sim.tick < 6:
        sim.step()
    st = sim.state
    away = np.flatnonzero(st.away_until > st.tick + 3)
    assert away.size > 10
    heads = st.head[away].copy()
    counts = st.count[away].copy()
    for _ in range(3):
        sim.step()
    assert ((st.head[away] != heads) | (st.count[away] != counts)).any()
    assert (st.away_until[away] > st.tick).all()


def test_session_repetition_is_the_real_data_measure() -> None:
    """The simulator's per-session score and analyze's reconstructed-feed measure
    (metrics.homefeed.grouped_repetition) are one definition: equal on the same items."""
    from mutuals.metrics.homefeed import grouped_repetition

    rng = np.random.default_rng(9)
    n_posts, n_topics = 500, 6
    root = np.arange(n_posts)
    root[300:] = rng.integers(0, 300, 200)
    topic = rng.integers(0, n_topics, n_posts)
    topic[300:] = topic[root[300:]]
    author = rng.integers(0, 20, n_posts)
    read = rng.integers(0, n_posts, (300, 12))
    read[rng.random(read.shape) < 0.4] = -1
    rt, rs = session_repetition(read, root, topic, author, n_topics)
    live = read >= 0
    ptr = np.r_[0, np.cumsum(live.sum(1))]
    items = root[read[live]]
    np.testing.assert_allclose(grouped_repetition(ptr, topic[items], n_topics), rt, atol=1e-12)
    np.testing.assert_allclose(grouped_repetition(ptr, author[items]), rs, atol=1e-12)
    one = session_repetition(read, root, np.zeros(n_posts, np.int64), author, 1)[0]
    assert np.all((one == 1.0) | np.isnan(one))  # one possible topic: fully repetitive
