"""The mutable follow graph against a plain set of edges."""

import numpy as np
import pytest

from mutuals.errors import GraphError, InputError
from mutuals.platform.graph import FollowGraph


def test_build_report_counts_what_was_dropped():
    g = FollowGraph.from_edges([0, 0, 1, 2], [1, 1, 1, 0], n_accounts=3)
    assert g.build_report == {
        "edges_in": 4,
        "self_follows_dropped": 1,
        "duplicates_dropped": 1,
        "edges": 2,
    }
    assert g.has_follow(0, 1) and g.has_follow(2, 0) and not g.has_follow(1, 0)


def test_scipy_adjacency_matches_edges():
    g = FollowGraph.from_edges([0, 1, 2, 3], [1, 2, 3, 0])
    a = g.to_scipy()
    assert a.shape == (4, 4)
    assert a.sum() == 4 and a[0, 1] == 1 and a[1, 0] == 0


def test_growth_beyond_the_arena():
    g = FollowGraph.from_edges([0], [1], n_accounts=2000, slack=0)
    src = np.zeros(1999, int)
    dst = np.arange(1, 2000)
    applied = g.follow(src, dst)
    assert applied.sum() == 1998  # (0, 1) existed
    assert g.friends_count[0] == 1999
    assert g.followers_count[1:].tolist() == [1] * 1999


@pytest.mark.parametrize(
    ("kwargs", "err", "match"),
    [
        ({"follower": [0, 5], "friend": [1, 1], "n_accounts": 3}, GraphError, "outside"),
        ({"follower": [0, 1], "friend": [1], "n_accounts": 3}, InputError, "differ in length"),
        ({"follower": [0.5], "friend": [1], "n_accounts": 3}, InputError, "integer"),
        ({"follower": [[0]], "friend": [[1]], "n_accounts": 3}, InputError, "one-dimensional"),
    ],
)
def test_bad_edges_raise_typed_errors(kwargs, err, match):
    with pytest.raises(err, match=match):
        FollowGraph.from_edges(**kwargs)


def test_bad_updates_raise():
    g = FollowGraph.from_edges([0], [1], n_accounts=2)
    with pytest.raises(GraphError):
        g.follow([0], [7])
    with pytest.raises(InputError):
        g.followers(5)


def test_check_passes_on_a_consistent_graph_after_many_updates():
    rng = np.random.default_rng(5)
    g = FollowGraph.from_edges(rng.integers(0, 60, 400), rng.integers(0, 60, 400), n_accounts=60)
    g.check()
    for _ in range(30):  # enough follows to force rows to move and the arena to grow
        g.follow(rng.integers(0, 60, 80), rng.integers(0, 60, 80))
        g.unfollow(rng.integers(0, 60, 40), rng.integers(0, 60, 40))
        g.check()
    f, t = g.edges()
    assert g.has_follow(int(f[0]), int(t[0]))


def test_check_catches_follower_rows_that_do_not_mirror_friend_rows():
    g = FollowGraph.from_edges([0, 1, 2], [1, 2, 0], n_accounts=3)
    g.check()
    start, _, nbr = g.follower_rows
    nbr[start[1]] = 2  # account 1's follower row now claims 2 follows 1; the friend rows say 0
    with pytest.raises(GraphError, match="mirror"):
        g.check()


def test_check_catches_a_row_longer_than_its_capacity_and_a_self_follow():
    g = FollowGraph.from_edges([0, 1], [1, 0], n_accounts=2)
    g._out.length[0] = g._out.cap[0] + 1
    with pytest.raises(GraphError, match="capacity"):
        g.check()
    g = FollowGraph.from_edges([0, 1], [1, 0], n_accounts=2)
    start, _, nbr = g.friend_rows
    nbr[start[0]] = 0
    with pytest.raises(GraphError, match="self-follow"):
        g.check()
