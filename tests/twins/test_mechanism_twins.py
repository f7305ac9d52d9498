"""Disguise, moderation and boosting (mutuals.behaviour.disguise, .moderation, .boosting)
against their pure-Python twins (mutuals.engine.reference.reference_reveals,
reference_reports, reference_suppress, reference_boosts), tick by tick inside runs of the
packaged claims (C5, C6, C13) and of the benchmark's all-on day, where they act."""

import copy
import dataclasses
from collections.abc import Callable

import numpy as np
import pytest

from helpers.platform_engine import Simulation
from mutuals.behaviour.boosting import Boosting
from mutuals.behaviour.disguise import Disguise
from mutuals.behaviour.moderation import Moderation, Reports
from mutuals.claims.design import SCENARIOS, load_claim_file
from mutuals.engine.reference import (
    reference_boosts,
    reference_reports,
    reference_reveals,
    reference_suppress,
)
from mutuals.platform.posts import POST
from mutuals.platform.state import PlatformState
from mutuals.scenarios.load import Scenario, scenario_from_mapping

I64 = np.int64
#: what the comparisons count, per tick: outputs that were non-empty
ACTED = (
    "reveals", "reports", "topics", "accounts", "asks", "boosts", "refused",
    "boosters_post", "boosters_ask",
)  # fmt: skip


def assert_unchanged(state: PlatformState, before: PlatformState) -> None:
    """A policy never changes state: every array of ``state`` equals its copy ``before``."""
    for name, a in state.arrays().items():
        if isinstance(a, np.ndarray):
            assert np.array_equal(a, getattr(before, name), equal_nan=a.dtype.kind == "f"), name
    n = state.posts.n
    assert n == before.posts.n
    for k, col in state.posts.cols.items():
        assert np.array_equal(col[:n], before.posts.cols[k][:n]), k
    assert np.array_equal(state.graph.followers_count, before.graph.followers_count)


def fresh(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """Two generators seeded identically."""
    return np.random.default_rng(seed), np.random.default_rng(seed)


class Twins:
    """Every call of the three policies, checked against the twins on deep copies of the
    state and identically seeded generators (the run's own, copied, and a fresh pair);
    ``acted[key]`` are the ticks at which that output was non-empty."""

    def __init__(self) -> None:
        self.acted: dict[str, list[int]] = {k: [] for k in ACTED}
        self.ticks: dict[str, set[int]] = {k: set() for k in self.acted}
        twins = self

        class TwinDisguise(Disguise):
            def reveals(self, state, params):
                twin_state = copy.deepcopy(state)
                got = super().reveals(state, params)
                want = reference_reveals(twin_state, params)
                assert got.dtype == I64
                assert np.array_equal(got, np.asarray(want, I64)), state.tick
                assert_unchanged(state, twin_state)
                twins.note("reveals", state.tick, got.size)
                return got

        class TwinModeration(Moderation):
            def reports(self, state, params, sessions, read, rng):
                twin_state, twin_rng = copy.deepcopy(state), copy.deepcopy(rng)
                got = super().reports(state, params, sessions, read, rng)
                want = reference_reports(twin_state, params, sessions, read.copy(), twin_rng)
                twins.same_reports(got, want, state.tick)
                assert rng.bit_generator.state == twin_rng.bit_generator.state, state.tick
                # and on a fresh pair of identically seeded generators
                a, b = fresh(state.tick)
                again = super().reports(state, params, sessions, read, a)
                twins.same_reports(
                    again, reference_reports(twin_state, params, sessions, read, b), state.tick
                )
                assert a.bit_generator.state == b.bit_generator.state, state.tick
                assert_unchanged(state, twin_state)
                twins.note("reports", state.tick, got.topic.size)
                return got

            def suppress(self, state, params):
                twin_state = copy.deepcopy(state)
                topics, accounts = super().suppress(state, params)
                want_t, want_a = reference_suppress(twin_state, params)
                assert topics.dtype == I64 and accounts.dtype == I64
                assert np.array_equal(topics, np.asarray(want_t, I64)), state.tick
                assert np.array_equal(accounts, np.asarray(want_a, I64)), state.tick
                assert_unchanged(state, twin_state)
                twins.note("topics", state.tick, topics.size)
                twins.note("accounts", state.tick, accounts.size)
                return topics, accounts

        class TwinBoosting(Boosting):
            def decide(self, state, params, first, rng):
                twin_state, twin_rng = copy.deepcopy(state), copy.deepcopy(rng)
                got = super().decide(state, params, first, rng)
                want = reference_boosts(twin_state, params, first, twin_rng)
                twins.same_boosts(got, want, state.tick)
                assert rng.bit_generator.state == twin_rng.bit_generator.state, state.tick
                a, b = fresh(state.tick)
                again = super().decide(state, params, first, a)
                twins.same_boosts(again, reference_boosts(twin_state, params, first, b), state.tick)
                assert a.bit_generator.state == b.bit_generator.state, state.tick
                assert_unchanged(state, twin_state)
                asked, _, granted = got
                twins.note("asks", state.tick, asked.size)
                twins.note("boosts", state.tick, int(granted.sum()))
                twins.note("refused", state.tick, int((granted == 0).sum()))
                # boosters' own posts: they ask another booster, never themselves
                c = state.posts.cols
                new = np.arange(first, state.posts.n)
                new = new[c["kind"][new] == POST]
                by_booster = state.boost_limit[c["author"][new]] > 0
                small = state.graph.followers_count[c["author"][new]] < params.boost_small_cap
                twins.note("boosters_post", state.tick, int((by_booster & small).sum()))
                asked_by = state.boost_limit[c["author"][asked]] > 0
                twins.note("boosters_ask", state.tick, int(asked_by.sum()))
                return got

        self.disguise = TwinDisguise()
        self.moderation = TwinModeration()
        self.boosting = TwinBoosting()

    def note(self, key: str, tick: int, size: int) -> None:
        self.ticks[key].add(tick)
        if size:
            self.acted[key].append(tick)

    @staticmethod
    def same_reports(got: Reports, want: dict, tick: int) -> None:
        assert got.topic.dtype == I64 and got.author.dtype == I64
        assert np.array_equal(got.topic, np.asarray(want["topic"], I64)), tick
        assert np.array_equal(got.author, np.asarray(want["author"], I64)), tick

    @staticmethod
    def same_boosts(got: tuple, want: dict, tick: int) -> None:
        for arr, key in zip(got, ("posts", "boosters", "granted"), strict=True):
            assert arr.dtype == I64, (tick, key)
            assert np.array_equal(arr, np.asarray(want[key], I64)), (tick, key)


def run_twinned(sc: Scenario, seed: int) -> tuple[Simulation, Twins]:
    sim = Simulation(sc.params, seed=seed, events=sc.events, groups=sc.groups)
    twins = Twins()
    sim.disguise, sim.moderation, sim.boosting = twins.disguise, twins.moderation, twins.boosting
    while sim.tick < sc.params.ticks:
        sim.step()
    every = set(range(sc.params.ticks))
    assert all(ticks == every for ticks in twins.ticks.values())  # every tick compared
    return sim, twins


# -- the scenarios -------------------------------------------------------------------------


def claim_scenario(
    claim: str,
    arm: str,
    platform: dict | None = None,
    groups: dict | None = None,
    **event_args: dict,
) -> Scenario:
    """An arm of a packaged claim file at 2,000 accounts, with ``platform`` overrides,
    ``groups`` replaced and the arguments of its events' actions (``add_accounts = {...}``)
    changed."""
    cf = load_claim_file(SCENARIOS / f"{claim}.toml")
    doc = copy.deepcopy(cf.arms[arm])
    doc["platform"] = {**doc["platform"], "accounts": 2000, **(platform or {})}
    doc["groups"] = {**doc.get("groups", {}), **(groups or {})}
    for ev in doc.get("events", []):
        for action, args in event_args.items():
            if action in ev:
                ev[action] = {**ev[action], **args}
    return scenario_from_mapping(doc, name=f"{claim}-{arm}")


def all_on(platform: dict | None = None, more: tuple = ()) -> Scenario:
    """benchmarks/bench_campaign.py's all-on day (its warm-up size), with a reachable
    reveal and report threshold (and ``platform`` overrides and more ``events``)."""
    base = {
        "accounts": 2000, "days": 1, "ticks_per_day": 24, "measure_every": 24,
        "n_topics": 20, "mean_follows": 20, "marginalised_share": 0.3,
        "communities": {"organisers": 0.10, "mainstream": 0.75, "hostile": 0.10, "news": 0.03,
                        "thinker": 0.02, "infiltrators": 0.0},
        "positions": [-0.6, 0.0, 0.7, 0.0, -0.2, 0.7],
        "roles": ["member", "mainstream", "hostile", "news", "thinker", "hostile"],
        "follower_pull": [1.0, 1.0, 1.0, 20.0, 20.0, 1.0],
        "campaign_topic": 19, "campaign_follow_back": 0.5, "campaign_inclusive": "on",
        "moderation": "hashtag", "report_prob": 0.05, "report_threshold": 10,
        "boost_ask_prob": 0.3,
    }  # fmt: skip
    groups = {
        "organisers": {"community": "organisers"},
        "seeders": {"community": "organisers", "share": 0.01},
        "hijackers": {"community": "hostile", "share": 0.05},
        "boosters": {"community": "organisers", "most_followed": 20},
    }
    hijack = {"group": "hijackers", "topic": 19, "posts": 3, "harmful": True}
    events = [
        {"tick": 0, "set_param": {"group": "organisers", "adopt_prob": 0.05, "vet_prob": 0.5}},
        {"tick": 0, "set_param": {"group": "boosters", "boost_limit": 20}},
        {"tick": 0, "seed_hashtag": {"group": "seeders", "topic": 19}},
        {"when": {"used": 19}, "add_accounts": {
            "share": 0.005, "community": "infiltrators", "role": "hostile", "hashtag": 19,
            "disguise": "incognito", "imitate": "organisers", "reveal_followers": 3,
            "follow": {"group": "organisers", "n": 10}}},
        *({"tick": t, "seed_hashtag": hijack} for t in (6, 12, 18)),
        *more,
    ]  # fmt: skip
    base.update(platform or {})
    return scenario_from_mapping({"platform": base, "groups": groups, "events": events})


#: name -> (scenario, the outputs that must be non-empty, on at least this many ticks)
CASES: dict[str, tuple[Callable[[], Scenario], dict[str, int]]] = {
    "C5-incognito": (
        lambda: claim_scenario(
            "C5-infiltrators", "incognito", {"days": 4}, add_accounts={"reveal_followers": 2}
        ),
        {"reveals": 4},
    ),
    # revealing at 0 followers: at arrival, never before
    "C5-incognito-at-once": (
        lambda: claim_scenario(
            "C5-infiltrators", "incognito", {"days": 1.5}, add_accounts={"reveal_followers": 0}
        ),
        {"reveals": 1},
    ),
    "C5-open-reported": (
        lambda: claim_scenario(
            "C5-infiltrators",
            "open",
            {"days": 3, "report_prob": 0.5, "moderation": "account", "report_threshold": 3},
            add_accounts={"follow": {"group": "organisers", "n": 30}},
        ),
        {"reports": 5, "accounts": 3},
    ),
    "C6-moderate-hashtag": (
        lambda: claim_scenario(
            "C6-hijack-moderation", "moderate-hashtag", {"days": 3.5, "report_threshold": 10}
        ),
        {"reports": 5, "topics": 2},
    ),
    "C6-moderate-accounts": (
        lambda: claim_scenario(
            "C6-hijack-moderation",
            "moderate-accounts",
            {"days": 3.5, "report_threshold": 3, "suppress_ticks": 6},
        ),
        {"reports": 5, "accounts": 5},
    ),
    "C13-boosts": (
        lambda: claim_scenario("C13-boosts", "boosts", {"days": 1}),
        {"asks": 5, "boosts": 5, "refused": 3},
    ),
    "C13-boosts-limit-binds": (
        lambda: claim_scenario(
            "C13-boosts",
            "boosts",
            {"days": 1.5, "boost_ask_prob": 0.8, "boost_share": 1.0},
            set_param={"boost_limit": 1},
        ),
        {"asks": 5, "boosts": 5, "refused": 5},
    ),
    "C13-two-boosters": (
        lambda: claim_scenario(
            "C13-boosts",
            "boosts",
            {"days": 1.5, "boost_ask_prob": 1.0, "boost_share": 0.7},
            groups={"boosters": {"community": "organisers", "most_followed": 2}},
            set_param={"boost_limit": 10},
        ),
        {"asks": 5, "boosts": 5, "refused": 5, "boosters_ask": 1},
    ),
    "C13-one-booster": (
        lambda: claim_scenario(
            "C13-boosts",
            "boosts",
            {"days": 1, "boost_ask_prob": 1.0},
            groups={"boosters": {"community": "organisers", "most_followed": 1}},
        ),
        {"asks": 5, "boosters_post": 1},
    ),
    "all-on": (all_on, {"reveals": 2, "reports": 3, "topics": 1, "asks": 5, "boosts": 5}),
    # everyone a booster (the platform's boost_limit), arrivals among them: those not yet
    # arrived boost nothing
    "all-on-everyone-boosts": (
        lambda: all_on(
            {"boost_limit": 2.0, "boost_small_cap": 30},
            ({"tick": 16, "add_accounts": {"n": 300, "community": "mainstream"}},),
        ),
        {"reports": 3, "asks": 5, "boosts": 5, "refused": 5, "boosters_ask": 5},
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_mechanisms_match_reference(case):
    make, binds = CASES[case]
    _, twins = run_twinned(make(), seed=5)
    for key, ticks in binds.items():
        assert len(twins.acted[key]) >= ticks, (key, twins.acted)


def test_mechanisms_off_match_reference():
    """Off (no incognito account, ``report_prob = 0``, ``moderation = "off"``,
    ``boost_ask_prob = 0``), policy and twin decide nothing and draw nothing."""
    sc = all_on()
    sim = Simulation(sc.params, seed=4, events=sc.events, groups=sc.groups)
    for _ in range(8):
        sim.step()
    st = sim.state
    assert st.posts.cols["harmful"][: st.posts.n].any()
    p = dataclasses.replace(
        sc.params, report_prob=0.0, moderation="off", boost_ask_prob=0.0, report_threshold=1
    )
    st.topic_reports[:] = 5  # reports past the threshold: moderation off suppresses nothing
    st.author_reports[:] = 5
    st.disguise[:] = 0
    assert Disguise().reveals(st, p).size == 0 and reference_reveals(st, p) == []
    kmax = int(st.accounts.attention.max())
    sessions = np.arange(st.accounts.n, dtype=np.int32)
    # every session read every harmful post there is
    harmful = np.flatnonzero(st.posts.cols["harmful"][: st.posts.n] == 1)[:kmax]
    read = np.full((sessions.size, kmax), -1, I64)
    read[:, : harmful.size] = harmful
    untouched = np.random.default_rng(7).bit_generator.state
    a, b = fresh(7)
    got = Moderation().reports(st, p, sessions, read, a)
    want = reference_reports(st, p, sessions, read, b)
    assert got.topic.size == 0 and want == {"topic": [], "author": []}
    assert Moderation().suppress(st, p)[0].size == 0 and reference_suppress(st, p) == ([], [])
    got_b = Boosting().decide(st, p, 0, a)
    want_b = reference_boosts(st, p, 0, b)
    assert all(x.size == 0 for x in got_b) and all(v == [] for v in want_b.values())
    assert a.bit_generator.state == b.bit_generator.state == untouched
    # and with ``report_prob > 0`` the same reads are reported, and draw
    on = dataclasses.replace(p, report_prob=0.5)
    got = Moderation().reports(st, on, sessions, read, a)
    want = reference_reports(st, on, sessions, read, b)
    assert got.topic.size > 0 and np.array_equal(got.topic, np.asarray(want["topic"], I64))
    assert a.bit_generator.state == b.bit_generator.state != untouched


def test_reports_match_reference_on_made_up_reads():
    """At every tick of a hijack run from the first flood on, sessions made up to read
    harmful posts (their own among them, and reposts of them), other rows and gaps: the
    policy and the twin agree, draw for draw."""
    sc = claim_scenario("C6-hijack-moderation", "moderate-hashtag", {"days": 2.5})
    p = dataclasses.replace(sc.params, report_prob=0.5)
    sim = Simulation(sc.params, seed=3, events=sc.events, groups=sc.groups)
    checked = own = 0
    while sim.tick < sc.params.ticks:
        sim.step()
        st = sim.state
        c, n = st.posts.cols, st.posts.n
        harmful = np.flatnonzero(c["harmful"][c["root"][:n]] == 1)  # rows of harmful cascades
        if harmful.size == 0:
            continue
        gen = np.random.default_rng(st.tick)
        k = int(st.accounts.attention.max())
        readers = c["author"][harmful[:40]].astype(np.int32)  # reading their own
        sessions = np.concatenate([readers, gen.integers(0, st.accounts.n, 60, dtype=np.int32)])
        pool = np.concatenate([harmful, gen.integers(0, n, harmful.size)])
        read = gen.choice(pool, size=(sessions.size, k))
        read[gen.random(read.shape) < 0.3] = -1  # gaps anywhere, and short sessions
        read[:, gen.integers(1, k) :] = -1
        read[: readers.size, 0] = harmful[: readers.size]
        own += int((c["author"][c["root"][harmful[: readers.size]]] == readers).sum())
        a, b = fresh(st.tick)
        got = Moderation().reports(st, p, sessions, read, a)
        want = reference_reports(copy.deepcopy(st), p, sessions, read, b)
        Twins.same_reports(got, want, st.tick)
        assert a.bit_generator.state == b.bit_generator.state, st.tick
        assert got.topic.size > 0
        checked += 1
    assert checked >= 10 and own > 0
