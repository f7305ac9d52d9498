"""The follow campaign's policy (mutuals.behaviour.campaign) against its pure-Python twin
(mutuals.engine.reference.reference_campaign), tick by tick inside real campaign runs."""

import copy
import dataclasses

import numpy as np
import pytest

from helpers.platform_engine import Simulation
from mutuals.behaviour.campaign import Campaign, CampaignDecision
from mutuals.engine.reference import reference_campaign
from mutuals.scenarios.load import scenario_from_mapping

TOPIC = 9
KEYS = ("browsed", "browsers", "adopters", "follow_src", "follow_dst")


def campaign_scenario(seed_share: float = 0.1, adopt_prob: float = 0.5, **platform):
    """Organisers adopt readily; a share of them seeds the hashtag at tick 1."""
    plat = {
        "accounts": 1000, "mean_follows": 30, "days": 2, "ticks_per_day": 8, "n_topics": 10,
        "campaign_topic": TOPIC, "marginalised_share": 0.3, "follower_cap": 30, **platform,
    }  # fmt: skip
    return scenario_from_mapping(
        {
            "platform": plat,
            "groups": {
                "organisers": {"community": "organisers"},
                "seeders": {"community": "organisers", "share": seed_share},
            },
            "events": [
                {"tick": 0, "set_param": {"group": "organisers", "adopt_prob": adopt_prob}},
                {"tick": 1, "seed_hashtag": {"group": "seeders", "topic": TOPIC, "posts": 1}},
            ],
        }
    )


class TwinCampaign(Campaign):
    """The policy, checked against the twin on a copy of every tick's state and generator."""

    def __init__(self) -> None:
        self.ticks: list[dict] = []

    def decide(self, state, params, sessions, read, rng) -> CampaignDecision:
        state_copy, rng_copy = copy.deepcopy(state), copy.deepcopy(rng)
        followers_before = state.graph.followers_count
        adopted_before = state.adopted_at.copy()
        got = super().decide(state, params, sessions, read, rng)
        want = reference_campaign(state_copy, params, sessions, read.copy(), rng_copy)
        for k in KEYS:
            arr = getattr(got, k)
            assert arr.dtype == np.int64, (state.tick, k, arr.dtype)
            assert np.array_equal(arr, np.asarray(want[k], np.int64)), (state.tick, k)
        # the same number of draws, in the same order
        assert rng.bit_generator.state == rng_copy.bit_generator.state, state.tick
        # a policy never changes state
        assert np.array_equal(state.graph.followers_count, followers_before)
        assert np.array_equal(state.adopted_at, adopted_before)
        cap = params.follower_cap
        fc = followers_before[got.follow_dst].astype(np.int64)
        n_req = np.bincount(got.follow_dst, minlength=state.accounts.n)[got.follow_dst]
        self.ticks.append(
            {
                **{k: getattr(got, k).size for k in KEYS},
                "cap_reached": int((fc + n_req >= cap).sum()),
                "marginalised": int(state.accounts.marginalised[got.follow_dst].sum()),
                "outside": int(
                    (
                        state.accounts.community[got.follow_dst]
                        != state.accounts.community[got.follow_src]
                    ).sum()
                ),
            }
        )
        return got


#: parameter sets, and the branches each must reach: requests that take a target to the
#: cap, requests to marginalised accounts, requests outside the community
CASES = [
    ({}, ("cap_reached",)),
    ({"campaign_inclusive": "on", "inclusive_weight": 3.0, "campaign_follow_prob": 0.3},
     ("cap_reached", "marginalised")),
    ({"vet_prob": 0.8, "vet_tolerance": 0.15, "adopt_position_scale": 0.1}, ()),
    ({"campaign_trend_browse": 0.3, "follower_cap": 15, "ranking": "ranked"}, ("cap_reached",)),
    ({"campaign_trend_browse": 0.5, "campaign_inclusive": "on", "vet_prob": 0.5,
      "campaign_follow_tolerance": 0.2, "campaign_window": 16, "accounts": 1500,
      "mean_activity": 2.0}, ("marginalised",)),
    # follow widely: a share of the requests go outside the community, past the cap
    ({"campaign_wide_share": 0.4, "follower_cap": 15}, ("cap_reached", "outside")),
]  # fmt: skip


@pytest.mark.parametrize(("extra", "binds"), CASES)
def test_campaign_matches_reference(extra, binds):
    sc = campaign_scenario(**extra)
    sim = Simulation(sc.params, seed=5, events=sc.events, groups=sc.groups)
    spy = sim.campaign = TwinCampaign()
    while sim.tick < sc.params.ticks:
        sim.step()
    assert len(spy.ticks) == sc.params.ticks
    total = {k: sum(t[k] for t in spy.ticks) for k in spy.ticks[0]}
    # the comparison saw the campaign at work: page views, adoptions, follow requests
    assert total["browsed"] > 0 and total["adopters"] > 0 and total["follow_src"] > 0, total
    # ...on more than one tick
    assert sum(t["adopters"] > 0 for t in spy.ticks) >= 3
    assert sum(t["follow_src"] > 0 for t in spy.ticks) >= 3
    # and the branches this parameter set is about were taken
    for k in binds:
        assert total[k] > 0, (k, total)


def test_campaign_off_matches_reference():
    """With ``campaign_topic = -1`` both decide nothing and draw nothing."""
    sc = campaign_scenario()
    sim = Simulation(sc.params, seed=2, events=sc.events, groups=sc.groups)
    for _ in range(6):
        sim.step()
    p = dataclasses.replace(sc.params, campaign_topic=-1)
    sessions = sim.activity.sessions(copy.deepcopy(sim.state), p, np.random.default_rng(0))
    read = np.zeros((sessions.size, 3), np.int64)
    a, b = np.random.default_rng(7), np.random.default_rng(7)
    got = Campaign().decide(sim.state, p, sessions, read, a)
    want = reference_campaign(sim.state, p, sessions, read, b)
    assert all(getattr(got, k).size == 0 and want[k] == [] for k in KEYS)
    assert a.bit_generator.state == np.random.default_rng(7).bit_generator.state
    assert b.bit_generator.state == a.bit_generator.state
