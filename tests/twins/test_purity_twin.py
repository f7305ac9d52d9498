"""The purity policy (behaviour/purity.py) against its pure-Python twin, and its
properties over whole runs: checks start only when the scenario says, the
tolerance never widens when it narrows, and the policy off draws nothing."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import mutuals
from mutuals.behaviour.purity import Purity
from mutuals.engine.platform import Simulation
from mutuals.engine.reference import reference_purity
from mutuals.scenarios.load import scenario_from_mapping

PURITY = {"group": "organisers", "purity_prob": 0.6, "purity_tolerance": 0.5}


def _scenario(narrowing: float = 0.3, when: dict | None = None, **extra) -> object:
    event = {"tick": 4} if when is None else {"when": when}
    return scenario_from_mapping(
        {
            "platform": {
                "accounts": 1500,
                "mean_follows": 30,
                "days": 2,
                "ticks_per_day": 12,
                "purity_narrowing": narrowing,
                **extra,
            },
            "groups": {"organisers": {"community": "organisers"}},
            "events": [{**event, "set_param": PURITY}],
        }
    )


class Twinned(Purity):
    """Runs the twin on a copy of the state and generator at every call."""

    def __init__(self) -> None:
        self.calls = self.removed = 0

    def decide(self, state, params, sessions, rng):
        twin_rng = copy.deepcopy(rng)
        want = reference_purity(state, params, sessions, twin_rng)
        got = super().decide(state, params, sessions, rng)
        assert got[0].tolist() == want[0] and got[1].tolist() == want[1]
        assert rng.bit_generator.state == twin_rng.bit_generator.state
        self.calls += 1
        self.removed += len(want[0])
        return got


@pytest.mark.parametrize("narrowing", [0.0, 0.5])
def test_purity_matches_its_twin_at_every_tick(narrowing: float) -> None:
    sc = _scenario(narrowing)
    sim = Simulation(sc.params, seed=3, events=sc.events, groups=sc.groups)
    spy = sim.purity = Twinned()
    while sim.tick < sc.params.ticks:
        sim.step()
    assert spy.calls == sc.params.ticks and spy.removed > 0
    assert sim.counters["purity_unfollows"] > 0


def test_checks_start_when_the_trend_ends_and_tolerance_only_narrows() -> None:
    sc = scenario_from_mapping(
        {
            "platform": {
                "accounts": 2000,
                "mean_follows": 30,
                "days": 3,
                "ticks_per_day": 12,
                "purity_narrowing": 0.4,
                "campaign_topic": 19,
            },
            "groups": {
                "organisers": {"community": "organisers"},
                "seeders": {"community": "organisers", "share": 0.05},
            },
            "events": [
                {"tick": 0, "set_param": {"group": "organisers", "adopt_prob": 0.3}},
                {"tick": 1, "seed_hashtag": {"group": "seeders", "topic": 19, "posts": 3}},
                {"when": {"stops_trending": 19}, "set_param": PURITY},
            ],
        }
    )
    sim = Simulation(sc.params, seed=2, events=sc.events, groups=sc.groups)
    org = sim.accounts.community == 0
    tolerances = []
    while sim.tick < sc.params.ticks:
        sim.step()
        tolerances.append(sim.state.purity_tolerance[org].max())
    fired = [
        t for t, i in zip(sim.events.log["tick"], sim.events.log["event"], strict=True) if i == 2
    ]
    assert fired, "the hashtag never stopped trending: no check ran"
    log = np.concatenate(sim.state.follow_log)
    unfollows = log[log[:, 3] < 0]
    assert unfollows.size and unfollows[:, 0].min() >= fired[0]
    after = np.array(tolerances[fired[0] :])
    assert (np.diff(after) <= 0).all() and after[-1] < after[0]


def test_purity_off_draws_nothing() -> None:
    a = mutuals.run(_scenario(0.3, when={"count": "posts", "at_least": 10**9}), seed=5)
    b = mutuals.run(
        scenario_from_mapping(
            {"platform": {"accounts": 1500, "mean_follows": 30, "days": 2, "ticks_per_day": 12}}
        ),
        seed=5,
    )
    for name in ("posts", "accounts", "exposures"):
        assert a.tables[name].equals(b.tables[name]), name
