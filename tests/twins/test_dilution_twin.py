"""Dilution (behaviour/dilution.py, kernels/diversity.py) and leaving against their
pure-Python twins, planted effects of fatigue, and the mechanism off; the one pass
over the read log that scores the sessions and counts the topic reads against the
two passes it replaced (byte for byte, and the runs they give)."""

from __future__ import annotations

import math

import numba as nb
import numpy as np
import pyarrow as pa
import pytest

import mutuals
from mutuals.behaviour.dilution import Dilution, Repetition
from mutuals.behaviour.leaving import Leaving
from mutuals.engine.platform import Simulation
from mutuals.engine.reference import (
    reference_dilution,
    reference_leaving,
    reference_topic_reads,
)
from mutuals.kernels.diversity import (
    _norm_entropy_sorted,
    fold_ema,
    session_repetition,
    session_repetition_reads,
)
from mutuals.metrics.feeds import normalized_entropy
from mutuals.metrics.recorder import PlatformRecorder
from mutuals.scenarios.load import scenario_from_mapping


def _scenario(**platform) -> object:
    base = {"accounts": 1500, "mean_follows": 30, "days": 1, "ticks_per_day": 12}
    return scenario_from_mapping({"platform": {**base, **platform}})


class TwinDilution(Dilution):
    def __init__(self) -> None:
        self.scored = 0
        self.read = 0

    def decide(self, state, params, sessions, read):
        want = reference_dilution(state, params, sessions, read)
        got = super().decide(state, params, sessions, read)
        assert got.accounts.tolist() == list(want)
        np.testing.assert_allclose(got.repetition, [want[a] for a in want], rtol=0, atol=1e-12)
        reads = reference_topic_reads(state, sessions, read)
        assert got.topic_reads.dtype == np.int64
        np.testing.assert_array_equal(got.topic_reads, reads)
        self.scored += got.accounts.size
        self.read += int(reads.sum())
        return got


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
    assert dil.read == sim.state.counters["reads"] > 0  # every read counted, once
    assert lv.left > 5
    rep = sim.state.repetition[~np.isnan(sim.state.repetition)]
    assert rep.size and rep.min() >= -1e-12 and rep.max() <= 1 + 1e-12


# -- the one pass against the two it replaced ------------------------------------------------


@nb.njit
def _previous_session_repetition(read_log, root, topic, author, n_topics):  # pragma: no cover
    """kernels.diversity.session_repetition as it was before the read counts
    joined it (an ``np.sort`` of each session's items)."""
    s_n, width = read_log.shape
    rep_topic = np.full(s_n, np.nan)
    rep_source = np.full(s_n, np.nan)
    tv = np.empty(width, np.int64)
    sv = np.empty(width, np.int64)
    for s in range(s_n):
        n = 0
        for j in range(width):
            p = read_log[s, j]
            if p < 0:
                continue
            rt = root[p]
            tv[n] = topic[rt]
            sv[n] = author[rt]
            n += 1
        if n < 2:
            continue
        t = np.sort(tv[:n])
        a = np.sort(sv[:n])
        rep_topic[s] = 1.0 - _norm_entropy_sorted(t, n, n_topics)
        rep_source[s] = 1.0 - _norm_entropy_sorted(a, n, n)
    return rep_topic, rep_source


def _previous_topic_reads(read, root, topic, group, k, n_topics):
    """The engine's ``_count_reads`` as it was: a second pass, ``np.nonzero`` over
    the read log and one ``bincount``."""
    rows, cols = np.nonzero(read >= 0)
    t = topic[root[read[rows, cols]]].astype(np.int64)
    g = group[rows].astype(np.int64)
    return np.bincount(g * n_topics + t, minlength=k * n_topics).reshape(k, n_topics)


def _previous_two_passes(state, params, sessions, read) -> Repetition:
    """What Dilution.decide and the engine's _count_reads computed before the one pass."""
    c = state.posts.cols
    k, n_topics = state.exposures.shape[0], state.interest.shape[1]
    group = state.accounts.community[sessions]
    reads = _previous_topic_reads(read, c["root"], c["topic"], group, k, n_topics)
    if sessions.size == 0:
        return Repetition(np.zeros(0, np.int64), np.zeros(0, np.float64), reads)
    rt, rs = _previous_session_repetition(read, c["root"], c["topic"], c["author"], n_topics)
    who, rep = fold_ema(
        sessions.astype(np.int64), (rt + rs) / 2.0, float(params.repetition_memory),
        state.repetition,
    )  # fmt: skip
    return Repetition(who, rep, reads)


def _same_bytes(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table.combine_chunks())
    return sink.getvalue().to_pybytes()


class TwoPassDilution(Dilution):
    """Returns what the two previous passes computed, after checking that the one
    pass gives the same bytes."""

    def __init__(self) -> None:
        self.ticks = 0

    def decide(self, state, params, sessions, read):
        want = _previous_two_passes(state, params, sessions, read)
        got = super().decide(state, params, sessions, read)
        for name, w, g in zip(Repetition._fields, want, got, strict=True):
            assert _same_bytes(w, g), name
        self.ticks += 1
        return want


def test_one_pass_kernel_is_the_two_passes_byte_for_byte() -> None:
    rng = np.random.default_rng(4)
    n_posts, n_topics, k = 400, 9, 5
    root = np.arange(n_posts)
    root[250:] = rng.integers(0, 250, 150)
    topic = rng.integers(0, n_topics, n_posts).astype(np.int16)
    author = rng.integers(0, 30, n_posts).astype(np.int32)
    read = rng.integers(0, n_posts, (600, 15))
    read[rng.random(read.shape) < 0.35] = -1
    read[0, :] = -1
    read[1, 1:] = -1
    group = rng.integers(0, k, read.shape[0]).astype(np.int8)
    rt, rs, counts = session_repetition_reads(read, root, topic, author, n_topics, group, k)
    ot, os_ = _previous_session_repetition(read, root, topic, author, n_topics)
    assert _same_bytes(rt, ot) and _same_bytes(rs, os_)
    assert _same_bytes(counts, _previous_topic_reads(read, root, topic, group, k, n_topics))
    assert counts.sum() == (read >= 0).sum()
    # session_repetition is the same pass without the counts
    st, ss = session_repetition(read, root, topic, author, n_topics)
    assert _same_bytes(st, rt) and _same_bytes(ss, rs)
    # no sessions: no scores, every count 0
    e_t, e_s, e_c = session_repetition_reads(read[:0], root, topic, author, n_topics, group[:0], k)
    assert e_t.size == e_s.size == 0 and _same_bytes(e_c, np.zeros((k, n_topics), np.int64))


def test_one_pass_kernel_rejects_a_group_or_topic_out_of_range() -> None:
    root, author = np.arange(4), np.zeros(4, np.int32)
    read = np.array([[0, 1, -1], [2, 3, -1]])
    topic = np.array([0, 1, 2, 3], np.int16)
    with pytest.raises(ValueError, match="topic"):
        session_repetition_reads(read, root, topic, author, 3, np.zeros(2, np.int8), 1)
    with pytest.raises(ValueError, match="group"):
        session_repetition_reads(read, root, topic, author, 4, np.array([0, 2], np.int8), 2)
    with pytest.raises(ValueError, match="group"):
        session_repetition_reads(read, root, topic, author, 4, np.array([-1, 0], np.int8), 2)


@pytest.mark.parametrize(
    "extra",
    [
        {},  # dilution off: repetition is scored, nothing reads it
        {"fatigue_engage": 0.8, "fatigue_leave": 0.2, "repetition_memory": 0.3},
        {"ranking": "ranked", "fatigue_leave": 0.1, "leave_if_bored": 0.3},
    ],
)
def test_one_pass_gives_the_runs_of_the_two_passes(extra: dict) -> None:
    """A run whose dilution returns what the two previous passes computed (each
    tick checked against the one pass, byte for byte) writes the tables and ends
    in the state of the run with the one pass."""
    sc = _scenario(**extra)
    one = Simulation(sc.params, seed=4, recorder=PlatformRecorder())
    two = Simulation(sc.params, seed=4, recorder=PlatformRecorder())
    two.dilution = TwoPassDilution()
    r1, r2 = one.run(), two.run()
    assert two.dilution.ticks == sc.params.ticks
    assert set(r1.tables) == set(r2.tables) and "topic_reads" in r1.tables
    for name, table in r1.tables.items():  # as bytes: NaN (tau_b) equals NaN
        assert _ipc(table) == _ipc(r2.tables[name]), name
    assert r1.tables["topic_reads"].num_rows > 0
    a, b = vars(one.state), vars(two.state)
    compared = 0
    for key, v in a.items():
        if isinstance(v, np.ndarray):
            assert _same_bytes(v, b[key]), key
            compared += 1
        elif isinstance(v, list) and v and isinstance(v[0], np.ndarray):
            assert len(v) == len(b[key]) and all(map(_same_bytes, v, b[key])), key
            compared += 1
    assert compared > 20
    for key, col in one.state.posts.cols.items():
        assert _same_bytes(col[: one.state.posts.n], two.state.posts.cols[key][: two.state.posts.n])
    assert one.state.counters == two.state.counters
    assert np.isfinite(one.state.repetition).sum() > 100
    if extra.get("fatigue_leave"):
        assert one.state.departure_count.sum() > 0


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
