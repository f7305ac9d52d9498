"""The mutable follow graph against a plain set of edges."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mutuals.errors import GraphError, InputError
from mutuals.platform.graph import FollowGraph

N = 12
edge = st.tuples(st.integers(0, N - 1), st.integers(0, N - 1))
ops = st.lists(
    st.tuples(st.sampled_from(["follow", "unfollow"]), st.lists(edge, max_size=30)), max_size=25
)


@settings(max_examples=150, deadline=None)
@given(initial=st.lists(edge, max_size=60), ops=ops)
def test_matches_set_model_after_any_sequence(initial, ops):
    src = [u for u, _ in initial]
    dst = [v for _, v in initial]
    g = FollowGraph.from_edges(np.array(src, int), np.array(dst, int), n_accounts=N, slack=0)
    model = {(u, v) for u, v in initial if u != v}
    for op, edges in ops:
        s = np.array([u for u, _ in edges], int)
        d = np.array([v for _, v in edges], int)
        if op == "follow":
            applied = g.follow(s, d)
            expect = []
            for u, v in edges:
                new = u != v and (u, v) not in model
                expect.append(new)
                if new:
                    model.add((u, v))
        else:
            applied = g.unfollow(s, d)
            expect = []
            for u, v in edges:
                expect.append((u, v) in model)
                model.discard((u, v))
        assert applied.tolist() == expect
        g.check()  # follower rows mirror friend rows after every batch
    f, t = g.edges()
    assert set(zip(f.tolist(), t.tolist(), strict=True)) == model
    assert g.n_follows == len(model)
    # follower counts equal in-degrees; friend counts equal out-degrees
    assert g.followers_count.tolist() == [sum(1 for _, v in model if v == i) for i in range(N)]
    assert g.friends_count.tolist() == [sum(1 for u, _ in model if u == i) for i in range(N)]
    for i in range(N):
        assert sorted(g.followers(i).tolist()) == sorted(u for u, v in model if v == i)
        assert sorted(g.friends(i).tolist()) == sorted(v for u, v in model if u == i)


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
