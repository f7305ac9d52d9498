"""Clout learning (behaviour/clout.py) against its pure-Python twin, and the rule off."""

from __future__ import annotations

import numpy as np
import pytest

import mutuals
from mutuals.behaviour.clout import Clout
from mutuals.engine.platform import Simulation
from mutuals.engine.reference import reference_clout
from mutuals.scenarios.load import scenario_from_mapping


def _scenario(**platform) -> object:
    base = {"accounts": 1500, "mean_follows": 30, "days": 1, "ticks_per_day": 12}
    return scenario_from_mapping({"platform": {**base, **platform}})


class Twinned(Clout):
    """Checks every decision against the twin."""

    def __init__(self) -> None:
        self.rewarded = 0

    def decide(self, state, params, before):
        want = reference_clout(state, params, before)
        who, heat = super().decide(state, params, before)
        assert who.tolist() == sorted(want)
        np.testing.assert_array_equal(heat, np.array([want[a] for a in sorted(want)], np.float32))
        self.rewarded += who.size
        return who, heat


@pytest.mark.parametrize("extra", [{"heat_weight": 2.0}, {"heat_weight": 0.0, "ranking": "ranked"}])
def test_clout_matches_its_twin_at_every_tick(extra: dict) -> None:
    sc = _scenario(clout_lr=0.3, engage_scale=2.0, **extra)
    sim = Simulation(sc.params, seed=4)
    spy = sim.clout = Twinned()
    while sim.tick < sc.params.ticks:
        sim.step()
    assert spy.rewarded > 100
    assert sim.state.heat_mean.min() >= 0 and sim.state.heat_mean.max() <= 1


def test_rewarded_heat_drifts_up_when_heat_earns_engagement() -> None:
    """A planted effect: with heat_weight high, engagement goes to hotter posts, so
    the mean heat accounts post at rises; the control without it stays near."""
    hot = mutuals.run(_scenario(clout_lr=0.5, heat_weight=5.0, engage_scale=2.0, days=2), seed=1)
    cold = mutuals.run(_scenario(clout_lr=0.5, heat_weight=0.0, engage_scale=2.0, days=2), seed=1)
    start = 0.2  # heat_mean's default
    assert hot.model.state.heat_mean.mean() > start + 0.01
    assert abs(cold.model.state.heat_mean.mean() - start) < hot.model.state.heat_mean.mean() - start


def test_clout_off_changes_nothing() -> None:
    a = mutuals.run(_scenario(), seed=2)
    b = mutuals.run(_scenario(clout_lr=0.0), seed=2)
    assert a.tables["posts"].equals(b.tables["posts"])
    assert a.tables["accounts"].equals(b.tables["accounts"])
