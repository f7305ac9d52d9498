"""Planted-effect tests of the measures of C7, C8 and C10 (mutuals.claims.measures):
each is run on a small real run whose arrays are then replaced with values whose
answer is known by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

import mutuals
from mutuals.claims.measures import MEASURES, _attention, _takeover, _View
from mutuals.scenarios.load import scenario_from_mapping

TICKS_PER_DAY = 4


@pytest.fixture(scope="module")
def burst_run():
    """A small run with a burst on topic 2 by the organisers at tick 8."""
    sc = scenario_from_mapping(
        {
            "platform": {"accounts": 800, "mean_follows": 20, "days": 4,
                         "ticks_per_day": TICKS_PER_DAY, "n_topics": 6},
            "groups": {"burst": {"community": "organisers", "share": 0.5}},
            "events": [{"tick": 8, "seed_hashtag": {"group": "burst", "topic": 2, "posts": 2}}],
        }
    )  # fmt: skip
    return mutuals.run(sc, seed=11)


def test_takeover_on_a_planted_series(burst_run):
    st = burst_run.model.state
    v = _View(burst_run, "organisers")
    k, n_topics = st.exposures.shape[0], st.interest.shape[1]
    ticks = len(st.topic_reads)
    # 100 reads a tick; the trend's share: 0.1 before tick 8, then 0.9, 0.7, 0.5, 0.3, 0.1...
    share = np.full(ticks, 0.1)
    share[8:13] = [0.9, 0.7, 0.5, 0.3, 0.1]
    cube = np.zeros((ticks, k, n_topics), np.int64)
    cube[:, v.comm, 2] = np.round(share * 100)
    cube[:, v.comm, 0] = 100 - cube[:, v.comm, 2]
    st.topic_reads = list(cube)
    got = _takeover(burst_run, v)
    assert got["baseline_share"] == pytest.approx(0.1)
    # three-tick windows: at tick 10, (90 + 70 + 50) / 300
    assert got["peak_share"] == pytest.approx(0.7)
    # below 2 x 0.1 from tick 13 on: (30 + 10 + 10) / 300 < 0.2; (50+30+10)/300 = 0.3 at 12
    assert got["recovery_hours"] == pytest.approx((13 - 8) * 24 / TICKS_PER_DAY)
    # the first day's feed share: (90 + 70 + 50 + 30) / 400
    feed = 0.6
    assert got["amplification"] == pytest.approx(feed / _supply_share(burst_run, v, 8))


def _supply_share(run, v, t0):
    """Topic 2's share of the day's posts, reposts and quotes weighted by members following."""
    st = run.model.state
    f, t = st.graph.edges()
    w = np.bincount(t[v.members[f]], minlength=st.accounts.n).astype(float)
    rows = (v.time >= t0) & (v.time < t0 + TICKS_PER_DAY) & (v.kind != 2)
    ww = w[v.author[rows]]
    return ww[v.topic[rows] == 2].sum() / ww.sum()


def test_takeover_that_never_recovers_is_censored_at_the_end(burst_run):
    st = burst_run.model.state
    v = _View(burst_run, "organisers")
    k, n_topics = st.exposures.shape[0], st.interest.shape[1]
    ticks = len(st.topic_reads)
    cube = np.zeros((ticks, k, n_topics), np.int64)
    cube[:, v.comm, 0] = 90
    cube[:, v.comm, 2] = 10
    cube[8:, v.comm, 2] = 60  # the trend stays
    st.topic_reads = list(cube)
    got = _takeover(burst_run, v)
    assert got["recovery_hours"] == pytest.approx((ticks - 8) * 24 / TICKS_PER_DAY)
    assert got["peak_share"] == pytest.approx(60 / 150)


def test_takeover_without_a_burst_is_nan():
    r = mutuals.run(scenario_from_mapping({"platform": {"accounts": 300, "days": 0.5}}), seed=1)
    got = MEASURES["C8"](r, "organisers")
    assert all(math.isnan(x) for x in got.values())


def test_attention_on_planted_counts(burst_run):
    st = burst_run.model.state
    v = _View(burst_run, "organisers")
    m = np.flatnonzero(v.members)
    st.repetition[:] = np.nan
    st.repetition[m[:10]] = 0.2
    st.repetition[m[10:20]] = 0.6
    st.session_count[:] = 0
    st.engagement_count[:] = 0
    st.session_count[m] = 4
    st.engagement_count[m] = 2
    st.engagement_count[m[0]] = 2 + 4 * m.size  # one member engages a lot
    st.departure_count[:] = 0
    st.departure_count[m[: m.size // 4]] = 3
    got = _attention(v)
    assert got["repetition"] == pytest.approx(0.4)  # members without a scored session: left out
    assert got["engagement_per_session"] == pytest.approx((2 * m.size + 4 * m.size) / (4 * m.size))
    assert got["share_away"] == pytest.approx((m.size // 4) / m.size)
    f, t = st.graph.edges()
    own = v.members[f] & (v.community[t] == v.comm)
    assert got["same_community_follows"] == pytest.approx(own.sum() / m.size)


def test_remedies_measure_mainstream_share_on_planted_reads(burst_run):
    st = burst_run.model.state
    v = _View(burst_run, "organisers")
    k, n_topics = st.exposures.shape[0], st.interest.shape[1]
    main = st.accounts.community_names.index("mainstream")
    cube = np.zeros((len(st.topic_reads), k, n_topics), np.int64)
    home = [t for t in range(n_topics) if t % k == main]
    other = [t for t in range(n_topics) if t % k != main]
    cube[:, v.comm, home[0]] = 3
    cube[:, v.comm, other[0]] = 7
    st.topic_reads = list(cube)
    got = MEASURES["C10"](burst_run, "organisers")
    assert got["mainstream_share"] == pytest.approx(0.3)
    assert set(got) >= {"repetition", "peak_share", "outside_exposure", "reach_per_post"}
