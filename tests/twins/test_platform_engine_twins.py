"""The platform engine's session and delivery kernels against their reference twins
(mutuals.engine.reference)."""

import copy

import numpy as np
import pytest

from helpers.platform_engine import SMALL, Simulation, _kernel, _state
from mutuals.engine.reference import (
    reference_deliver_ring,
    reference_feed_stats,
    reference_sessions,
)
from mutuals.kernels import platform as kp
from mutuals.scenarios.platform import PlatformParams


@pytest.mark.parametrize(
    "extra",
    [
        {"ranking": "chronological"},
        {
            "ranking": "ranked",
            "heat_weight": 2.0,
            "list_read_prob": 0.5,
            "engage_scale": 3.0,
            "follow_on_engage": 0.5,
        },
        {
            "ranking": "ranked",
            "interest_lr": 0.0,
            "quality_lambda": 0.0,
            "attention": 3,
            "feed_capacity": 5,
        },
        # X's author diversity discount, and a steep one with few items read
        {"ranking": "ranked", "author_diversity_decay": 0.5, "author_diversity_floor": 0.25},
        {"ranking": "ranked", "author_diversity_decay": 0.05, "attention": 4, "heat_weight": 1.0},
        {"quality_lambda": 1000.0},  # exp(lambda) overflows a float
        {"quality_lambda": -1000.0},
    ],
)
def test_sessions_match_reference(extra):
    sim = Simulation(PlatformParams(**SMALL, **extra), seed=3)
    sim.add_list(members=np.arange(0, 300, 7), subscribers=np.arange(0, 300, 2))
    sim.add_list(members=np.arange(1, 300, 11), subscribers=np.arange(0, 300, 3))
    for _ in range(6):  # build up feeds, posts and interests
        sim.step()
    sim.posts.reserve(5000)
    rng = np.random.default_rng(9)
    sessions = np.sort(rng.integers(0, 300, 200)).astype(np.int32)
    u = rng.random((sessions.size, kp.U_ITEMS + int(sim.accounts.attention.max())))
    a, b = _state(sim), copy.deepcopy(_state(sim))
    a["session_engaged"] = np.zeros(sessions.size, np.int32)
    b["session_engaged"] = np.zeros(sessions.size, np.int32)
    (n_posts, n_follow, _, _), follows = _kernel(a, sessions, u, sim.tick)
    ref = reference_sessions(sessions, u, sim.tick, b)
    assert n_posts == ref["n_posts"] > sim.posts.n
    assert n_follow == len(follows) and follows == ref["follows"]
    for key, arr in a.items():
        if isinstance(arr, np.ndarray):
            if arr.dtype.kind == "f":
                np.testing.assert_allclose(arr, b[key], rtol=1e-5, atol=1e-6, err_msg=key)
            else:
                np.testing.assert_array_equal(arr, b[key], err_msg=key)


def test_delivery_and_feed_stats_match_reference():
    sim = Simulation(PlatformParams(**SMALL, feed_capacity=7), seed=4)
    for _ in range(5):
        sim.step()
    a, b = _state(sim), copy.deepcopy(_state(sim))
    followers = [sim.graph.followers(i).tolist() for i in range(300)]
    first, last = max(0, sim.posts.n - 300), sim.posts.n
    fs, fl, fn = sim.graph.follower_rows
    got = kp.deliver_ring(
        first,
        last,
        a["author"],
        a["kind"],
        fs,
        fl,
        fn,
        a["ring_item"],
        a["ring_time"],
        a["head"],
        a["count"],
        99,
        a["deliveries"],
        a["root"],
    )
    want = reference_deliver_ring(first, last, b, followers, 99)
    assert got == want
    for key in ("ring_item", "ring_time", "head", "count", "deliveries"):
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    q, t, s = np.empty(300), np.empty(300), np.empty(300)
    kp.feed_stats(
        a["ring_item"],
        a["count"],
        a["topic"],
        a["author"],
        a["quality"],
        a["root"],
        sim.params.n_topics,
        q,
        t,
        s,
    )
    for r in range(300):
        items = a["ring_item"][r, : a["count"][r]].tolist()
        np.testing.assert_allclose(
            [q[r], t[r], s[r]],
            reference_feed_stats(items, b, sim.params.n_topics),
            rtol=1e-9,
            equal_nan=True,
        )


def test_author_diversity_moves_a_prolific_author_down():
    """Planted: author 7 holds the five best-scored items of a feed of ten; with
    the discount (decay 0.2, floor 0) its second item falls behind every other
    author's, so a session reading three items reads three authors."""
    from mutuals.kernels.reading import read_home

    n = 10
    ring_item = np.arange(n, dtype=np.int64)[None, :]
    ring_time = np.zeros((1, n), np.int32)
    head, count = np.array([n], np.int32), np.array([n], np.int32)
    appeal = np.array([1.0, 0.99, 0.98, 0.97, 0.96, 0.5, 0.4, 0.3, 0.2, 0.1], np.float32)
    author = np.array([7, 7, 7, 7, 7, 1, 2, 3, 4, 5], np.int32)
    args = (ring_item, ring_time, head, count, 3, True, 1, np.zeros((1, 1), np.float32),
            np.zeros(n, np.int32), appeal, np.zeros(n, np.float32), 0.0, 1e9,
            np.arange(n, dtype=np.int64))  # fmt: skip
    out = np.empty(3, np.int64)
    got = read_home(0, *args, out, author, 1.0, 0.0)
    assert out[:got].tolist() == [0, 1, 2]  # off: the best three, all by author 7
    got = read_home(0, *args, out, author, 0.2, 0.0)
    assert out[:got].tolist() == [0, 5, 6]  # 0.99 x 0.2 < 0.4
    assert len(set(author[out[:got]])) == 3
