"""SimSoM's feed kernels and whole step against their reference twins (mutuals.engine.reference)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mutuals.engine.reference import (
    ReferenceFeed,
    reference_deliver,
    reference_pick,
    reference_simsom_step,
)
from mutuals.engine.simsom import SimSoMState, step
from mutuals.kernels import feeds as kf
from mutuals.scenarios.simsom import (
    SimSoMParams,
    build_network,
)

feed_entry = st.integers(0, 9)


@settings(max_examples=300, deadline=None)
@given(
    existing=st.lists(feed_entry, max_size=6, unique=True),
    ages=st.lists(st.integers(0, 5), min_size=6, max_size=6),
    incoming=st.lists(st.tuples(feed_entry, st.integers(1, 3)), max_size=12),
    capacity=st.integers(1, 6),
    compat=st.booleans(),
)
def test_deliver_matches_reference(existing, ages, incoming, capacity, compat):
    existing = existing[:capacity]
    age = sorted(ages[: len(existing)])
    ref = ReferenceFeed(list(existing), [1] * len(existing), list(age))
    reference_deliver(ref, incoming, capacity, compat)

    fmsg = np.full((1, capacity), -1, np.int64)
    fsh = np.zeros((1, capacity), np.int32)
    fage = np.zeros((1, capacity), np.int32)
    flen = np.array([len(existing)], np.int32)
    fmsg[0, : len(existing)] = existing
    fsh[0, : len(existing)] = 1
    fage[0, : len(existing)] = age
    ptr = np.array([0, len(incoming)], np.int64)
    msg = np.array([m for m, _ in incoming], np.int64)
    cop = np.array([c for _, c in incoming], np.int32)
    kf.deliver(ptr, msg, cop, fmsg, fsh, fage, flen, compat)
    n = flen[0]
    assert fmsg[0, :n].tolist() == ref.msg
    assert fsh[0, :n].tolist() == ref.shares
    assert fage[0, :n].tolist() == ref.age
    assert n <= capacity


def test_pick_matches_reference():
    rng = np.random.default_rng(0)
    appeal = rng.random(50).astype(np.float32)
    for _ in range(200):
        k = int(rng.integers(1, 8))
        msgs = rng.choice(50, k, replace=False)
        shares = rng.integers(1, 4, k)
        ages = np.sort(rng.integers(0, 6, k))
        ref = ReferenceFeed(msgs.tolist(), shares.tolist(), ages.tolist())
        u = float(rng.random())
        fmsg = msgs[None, :].astype(np.int64)
        got = kf.reshare_pick(
            fmsg,
            shares[None, :].astype(np.int32),
            ages[None, :].astype(np.int32),
            np.array([k], np.int32),
            0,
            appeal,
            u,
        )
        assert got == reference_pick(ref, appeal, u)


@pytest.mark.parametrize("ageing", ["clean", "reference"])
def test_step_matches_reference_step(ageing):
    params = SimSoMParams(accounts=300, mean_follows=12, gamma=0.05, theta=3, ageing=ageing)
    rng = np.random.default_rng(5)
    net = build_network(params, rng)
    state = SimSoMState.empty(net, params.feed_capacity)
    n = net.graph.n_accounts
    followers = [net.graph.followers(a).tolist() for a in range(n)]
    ref_feeds = [ReferenceFeed() for _ in range(n)]
    ref_next = 0
    ref_shares = np.zeros(100_000, np.int64)
    for _ in range(25):
        # replay the exact draws the engine will make
        snapshot = np.random.default_rng()
        snapshot.bit_generator.state = rng.bit_generator.state
        order = snapshot.permutation(n).astype(np.int32)
        u_act = snapshot.random(n)
        u_pick = snapshot.random(n)
        step(state, params, rng)
        ref_act, ref_next = reference_simsom_step(
            ref_feeds, followers, net.accounts.is_bot, state.appeal, order, u_act, u_pick,
            params.mu, params.theta, ref_next, params.feed_capacity, ageing == "reference",
        )  # fmt: skip
        assert state.n_messages == ref_next
        np.add.at(ref_shares, np.asarray(ref_act), 1)
        m = state.n_messages
        assert (state.human_shares[:m] + state.bot_shares[:m]).tolist() == ref_shares[:m].tolist()
        for a in range(n):
            L = state.feed_len[a]
            assert state.feed_msg[a, :L].tolist() == ref_feeds[a].msg
            assert state.feed_shares[a, :L].tolist() == ref_feeds[a].shares
            assert state.feed_age[a, :L].tolist() == ref_feeds[a].age
