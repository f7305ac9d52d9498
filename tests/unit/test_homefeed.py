"""Reconstructed home feeds (metrics.homefeed, kernels.homefeed): the kernel against
its pure-Python twin, the repetition against the simulator's feed measure, and
planted effects (one topic, an even spread, a two-community graph, the cutoff,
replies)."""

from __future__ import annotations

import datetime as dt
import doctest
import itertools
import math

import numpy as np
import pyarrow as pa
import pytest

import mutuals.metrics.homefeed as mhf
from helpers.tables import follows_table
from mutuals.errors import InputError
from mutuals.io.store import conform
from mutuals.kernels.platform import feed_stats
from mutuals.metrics.graph import FollowGraph, assign_communities, follow_graph
from mutuals.metrics.homefeed import (
    NO_HASHTAG,
    _reference_home_feeds,
    _reference_repetition,
    feed_posts,
    grouped_outside_share,
    grouped_repetition,
    home_feed_by_community,
    home_feed_measures,
    reconstruct_home_feeds,
)
from mutuals.report.analyze import analyze_tables

T0 = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
TS = pa.timestamp("us", tz="UTC")


def _graph(n: int, edges: list[tuple[int, int]]) -> FollowGraph:
    """A follow graph whose account ``i`` has id ``i`` (accounts listed in order)."""
    accounts = pa.table({"platform": ["x"] * n, "account_id": [str(i) for i in range(n)]})
    return follow_graph(accounts, follows_table([(str(u), str(v)) for u, v in edges]))


def _random_case(seed: int):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 120))
    m = int(rng.integers(1, 8)) * n
    edges = list(zip(rng.integers(0, n, m).tolist(), rng.integers(0, n, m).tolist(), strict=True))
    edges += [(i, 0) for i in range(n)]  # a hub everyone follows
    edges += [(1, j) for j in range(n)]  # a hub following everyone
    g = _graph(n, edges)
    n_posts = int(rng.integers(0, 12 * n))
    author = rng.integers(-1, n, n_posts)
    author[rng.random(n_posts) < 0.3] = 0  # the followed hub posts a lot
    time = rng.integers(0, max(2, n_posts // 4), n_posts)  # many ties in time
    eligible = rng.random(n_posts) < 0.8
    return g, author, time, eligible, rng


@pytest.mark.parametrize("seed", range(12))
def test_kernel_matches_its_twin_on_random_graphs_with_hubs(seed):
    g, author, time, eligible, _ = _random_case(seed)
    for k in (1, 3, 50):
        at = None if k == 50 else int(np.median(time)) if time.size else 0
        fast = reconstruct_home_feeds(g, author, time, k=k, at=at, eligible=eligible)
        slow = _reference_home_feeds(g, author, time, k=k, at=at, eligible=eligible)
        assert fast.ptr.tolist() == slow.ptr.tolist()
        assert fast.items.tolist() == slow.items.tolist()
        assert fast.candidates == slow.candidates
        assert fast.lengths.max(initial=0) <= k


def test_feeds_are_newest_first_ties_by_row_and_hold_only_friends_posts():
    g, author, time, eligible, _ = _random_case(99)
    f = reconstruct_home_feeds(g, author, time, k=20, eligible=eligible)
    friends = set(zip(g.follower.tolist(), g.friend.tolist(), strict=True))
    for i in range(g.n_accounts):
        rows = f.items[f.ptr[i] : f.ptr[i + 1]]
        keys = [(-int(time[r]), int(r)) for r in rows]
        assert keys == sorted(keys)
        assert all((i, int(author[r])) in friends and eligible[r] for r in rows)


def test_the_at_cutoff_leaves_out_later_posts():
    g = _graph(3, [(0, 1), (0, 2)])
    author = np.array([1, 2, 1, 2, 1])
    time = np.array([10, 20, 30, 40, 50])
    f = reconstruct_home_feeds(g, author, time, k=10, at=30)
    assert f.items[f.ptr[0] : f.ptr[1]].tolist() == [2, 1, 0]
    assert f.at == 30 and f.candidates == 3
    f = reconstruct_home_feeds(g, author, time, k=2)
    assert f.items[f.ptr[0] : f.ptr[1]].tolist() == [4, 3]
    assert f.lengths.tolist() == [2, 0, 0]


def test_bad_arguments_are_one_line_input_errors():
    g = _graph(2, [(0, 1)])
    with pytest.raises(InputError, match="k"):
        reconstruct_home_feeds(g, np.array([1]), np.array([0]), k=0)
    with pytest.raises(InputError, match="author ids"):
        reconstruct_home_feeds(g, np.array([5]), np.array([0]))
    with pytest.raises(InputError, match="one entry per post row"):
        reconstruct_home_feeds(g, np.array([1, 1]), np.array([0]))
    with pytest.raises(InputError, match="ptr"):
        grouped_repetition(np.array([0, 3]), np.array([1, 2]))
    with pytest.raises(InputError, match="below n_categories"):
        grouped_repetition(np.array([0, 2]), np.array([1, 2]), 2)
    with pytest.raises(InputError, match="one label per group"):
        grouped_outside_share(np.array([0, 1]), np.array([0]), np.array([0, 1]))


# ----------------------------------------------------------------------------- repetition


@pytest.mark.parametrize("seed", range(6))
def test_grouped_repetition_matches_its_twin(seed):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(0, 30, 200)
    ptr = np.concatenate([[0], np.cumsum(sizes)])
    for k in (1, 2, 5, 40, None):
        cats = rng.integers(0, k if k else 50, ptr[-1])
        got = grouped_repetition(ptr, cats, k)
        want = [_reference_repetition(cats[a:b].tolist(), k) for a, b in itertools.pairwise(ptr)]
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
        assert np.all((got[np.isfinite(got)] >= 0) & (got[np.isfinite(got)] <= 1))
        assert np.array_equal(np.isnan(got), sizes < 2)


def test_grouped_repetition_equals_the_simulators_feed_measure():
    """Topic and source repetition of feeds as the simulator's recorder computes
    them (kernels.platform.feed_stats) on ring feeds of originals."""
    rng = np.random.default_rng(3)
    n, cap, n_posts, n_topics = 300, 40, 5000, 12
    count = rng.integers(0, cap + 1, n)
    ring = rng.integers(0, n_posts, (n, cap))
    topic = rng.integers(0, n_topics, n_posts)
    author = rng.integers(0, 25, n_posts)
    root = np.arange(n_posts)  # originals: the root is the post, its author the source
    q, trep, srep = np.empty(n), np.empty(n), np.empty(n)
    feed_stats(ring, count, topic, author, rng.random(n_posts), root, n_topics, q, trep, srep)
    ptr = np.concatenate([[0], np.cumsum(count)])
    items = np.concatenate([ring[i, : count[i]] for i in range(n)])
    np.testing.assert_allclose(grouped_repetition(ptr, topic[items], n_topics), trep, atol=1e-12)
    np.testing.assert_allclose(grouped_repetition(ptr, author[items]), srep, atol=1e-12)


def test_repetition_of_one_topic_is_1_and_of_an_even_spread_is_0():
    ptr = np.array([0, 6, 12, 14])
    cats = np.array([4, 4, 4, 4, 4, 4, 0, 1, 2, 3, 4, 5, 7, 7])
    np.testing.assert_allclose(grouped_repetition(ptr, cats, 8), [1.0, 0.0, 1.0], atol=1e-12)
    # an even spread over all K categories when n > K: 0 as well
    np.testing.assert_allclose(
        grouped_repetition(np.array([0, 6]), np.arange(6) % 3, 3), [0.0], atol=1e-12
    )
    # huge category codes take the dense path and give the same numbers
    big = cats * (2**40)
    np.testing.assert_allclose(grouped_repetition(ptr, big), grouped_repetition(ptr, cats))
    assert np.isnan(grouped_repetition(np.array([0, 0, 1]), np.array([3]), 5)).all()


# ----------------------------------------------------------------------------- tables


def _posts(rows: list[tuple]) -> pa.Table:
    """Canonical posts from ``(post_id, author, hour, kind, hashtags, repost_of_id)``."""
    return conform(
        "posts",
        pa.table(
            {
                "platform": ["x"] * len(rows),
                "post_id": [r[0] for r in rows],
                "author_id": [r[1] for r in rows],
                "created_at": pa.array([T0 + dt.timedelta(hours=r[2]) for r in rows], TS),
                "kind": [r[3] for r in rows],
                "hashtags": pa.array([r[4] for r in rows], pa.list_(pa.string())),
                "repost_of_id": [r[5] for r in rows],
            }
        ),
    )


def _accounts(labels: dict[str, str | None]) -> pa.Table:
    return conform(
        "accounts",
        pa.table(
            {
                "platform": ["x"] * len(labels),
                "account_id": list(labels),
                "community": list(labels.values()),
            }
        ),
    )


def _node(g: FollowGraph, name: str) -> int:
    return int(g.index.lookup(pa.array(["x"]), pa.array([name]))[0])


def test_friends_all_on_one_hashtag_give_topic_repetition_1():
    accounts = _accounts({"a": None, "b": None, "c": None, "d": None, "z": None})
    g = follow_graph(accounts, follows_table([("a", "b"), ("a", "c"), ("a", "d"), ("z", "a")]))
    posts = _posts(
        [
            ("1", "b", 1, "post", ["Vote"], None),
            ("2", "c", 2, "post", ["#vote", "other"], None),
            ("3", "d", 3, "quote", ["VOTE"], None),
            ("4", "b", 4, "post", ["vote"], None),
            ("5", "a", 5, "post", ["elsewhere"], None),  # more topics in the store
            ("6", "z", 6, "post", None, None),
        ]
    )
    m = home_feed_measures(posts, g)
    a = _node(g, "a")
    assert m.posts.n_topics == 3  # vote, elsewhere, no hashtag
    assert NO_HASHTAG in m.posts.topic_names and "vote" in m.posts.topic_names
    assert m.items[a] == 4 and m.topic_repetition[a] == 1.0
    assert m.source_repetition[a] == pytest.approx(
        1 - (-(0.5 * math.log(0.5)) - 2 * 0.25 * math.log(0.25)) / math.log(4)
    )
    assert m.items[_node(g, "z")] == 1 and math.isnan(m.repetition[_node(g, "z")])
    assert math.isnan(m.outside_share[a])  # no labels given


def test_an_even_spread_over_all_topics_and_authors_gives_repetition_0():
    names = ["b", "c", "d", "e"]
    accounts = _accounts({"a": None, **{x: None for x in names}})
    g = follow_graph(accounts, follows_table([("a", x) for x in names]))
    posts = _posts([(str(i), x, i, "post", [f"t{i}"], None) for i, x in enumerate(names)])
    m = home_feed_measures(posts, g)
    a = _node(g, "a")
    assert m.posts.n_topics == 4
    assert m.topic_repetition[a] == pytest.approx(0.0, abs=1e-12)
    assert m.source_repetition[a] == pytest.approx(0.0, abs=1e-12)
    assert m.repetition[a] == pytest.approx(0.0, abs=1e-12)


def _two_communities():
    # L = {a, b}, R = {c, d}; u has no community
    accounts = _accounts({"a": "L", "b": "L", "c": "R", "d": "R", "u": None})
    edges = [("a", "b"), ("a", "c"), ("a", "d"), ("a", "u"), ("c", "d"), ("u", "b")]
    g = follow_graph(accounts, follows_table(edges))
    posts = _posts(
        [
            ("1", "b", 1, "post", ["x"], None),
            ("2", "b", 2, "post", ["x"], None),
            ("3", "c", 3, "post", ["y"], None),
            ("4", "d", 4, "post", ["y"], None),
            ("5", "b", 5, "repost", None, "3"),  # b reposts c: the source is c (outside a's)
            ("6", "u", 6, "post", ["z"], None),  # of unknown community: left out
            ("7", "c", 7, "reply", ["y"], None),  # replies never show
        ]
    )
    return accounts, g, posts


def test_outside_share_on_a_planted_two_community_graph():
    accounts, g, posts = _two_communities()
    comm = assign_communities(g, accounts)
    m = home_feed_measures(posts, g, comm.labels)
    a, c, u = _node(g, "a"), _node(g, "c"), _node(g, "u")
    assert m.items[a] == 6  # 1, 2, 3, 4, 5, 6; not the reply 7
    assert (m.outside[a], m.labelled[a]) == (3, 5)  # 3, 4 and 5 (via c) of 1..5
    assert m.outside_share[a] == pytest.approx(3 / 5)
    assert m.outside_share[c] == 0.0  # c sees d's post only
    assert math.isnan(m.outside_share[u])  # an account of unknown community
    # the repost's topic is its original's
    fp = m.posts
    assert fp.topic[4] == fp.topic[2] and fp.source[4] == fp.source[2]
    per = {
        r["community"]: r for r in home_feed_by_community(m, comm.labels, comm.names).to_pylist()
    }
    assert per["L"]["outside_items"] == 3 and per["L"]["labelled_items"] == 5
    assert per["L"]["accounts_with_feed"] == 1 and per["R"]["outside_share"] == 0.0


def test_replies_never_enter_a_feed():
    _, g, posts = _two_communities()
    m = home_feed_measures(posts, g)
    assert m.posts.replies == 1 and not m.posts.eligible[6]
    assert 6 not in set(m.feeds.items.tolist())


def test_a_reposts_source_comes_from_interactions_when_the_original_is_absent():
    accounts = _accounts({"a": None, "b": None, "c": None})
    g = follow_graph(accounts, follows_table([("a", "b"), ("a", "c")]))
    posts = _posts(
        [
            ("1", "b", 1, "repost", None, None),  # an archive repost: no original id
            ("2", "c", 2, "repost", None, "999"),  # the original is not in the data
            ("3", "c", 3, "repost", None, "998"),  # nor is its author anywhere
        ]
    )
    inter = conform(
        "interactions",
        pa.table(
            {
                "platform": ["x", "x"],
                "kind": ["repost", "repost"],
                "source_id": ["b", "c"],
                "target_id": ["o", "o"],
                "post_id": ["1", "2"],
            }
        ),
    )
    fp = feed_posts(posts, g, inter)
    assert fp.source[0] == fp.source[1] != fp.source[2]  # o, o, then c itself
    assert fp.source_node[0] == -1 and fp.source_node[2] == _node(g, "c")
    m = home_feed_measures(posts, g, interactions=inter)
    assert m.source_repetition[_node(g, "a")] == pytest.approx(
        1 - (-(2 / 3) * math.log(2 / 3) - (1 / 3) * math.log(1 / 3)) / math.log(3)
    )


def test_analyze_reports_the_home_feed_and_says_why_when_absent():
    accounts, _, posts = _two_communities()
    follows = follows_table(
        [("a", "b"), ("a", "c"), ("a", "d"), ("a", "u"), ("c", "d"), ("u", "b")]
    )
    res = analyze_tables({"accounts": accounts, "follows": follows, "posts": posts}, n_boot=0)
    hf = res.summary["home_feed"]
    assert hf["k"] == 50 and hf["as_of"] == "2024-05-01T07:00:00Z"
    assert hf["accounts_with_feed"] == 3 and hf["replies_left_out"] == 1
    # pooled over a (3 of 5 labelled items from R) and c (0 of 1)
    assert hf["outside_share"]["pooled"] == pytest.approx(3 / 6)
    assert hf["outside_share"]["mean_account_share"] == pytest.approx((0.6 + 0.0) / 2)
    assert "home_feed" in res.timings
    acc = res.tables["accounts"]
    row = dict(
        zip(acc["account_id"].to_pylist(), acc["home_feed_outside_share"].to_pylist(), strict=True)
    )
    assert row["a"] == pytest.approx(0.6) and math.isnan(row["u"])  # NaN, as outside_exposure_share
    assert res.tables["home_feed_by_community"].num_rows == 2
    assert analyze_tables({"accounts": accounts, "follows": follows}).summary["home_feed"] == {
        "available": False,
        "reason": "no posts in the data",
    }
    off = analyze_tables({"follows": follows, "posts": posts}, home_feed_k=0)
    assert off.summary["home_feed"]["available"] is False
    assert off.tables["accounts"]["home_feed_items"].null_count == off.tables["accounts"].num_rows
    with pytest.raises(InputError, match="home_feed_k"):
        analyze_tables({}, home_feed_k=-1)


def test_docstring_examples():
    result = doctest.testmod(mhf, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
