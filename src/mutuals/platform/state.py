"""The whole mutable state of a platform run, as arrays.

:class:`PlatformState` holds everything a tick reads or changes: the accounts,
the follow graph, the post columns, every account's feed (a ring of post ids),
its recent posts (for list feeds), the lists and who reads them, the learned
topic interest, the heat each account posts at, the daily follow budgets used,
the times accounts are away, the exposure counts and the run's counters. It is
data only: :mod:`mutuals.engine` is the one place that changes it, and a
checkpoint saves it whole (:meth:`PlatformState.arrays`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

from mutuals.platform.accounts import Accounts
from mutuals.platform.graph import FollowGraph
from mutuals.platform.posts import PostTable

__all__ = ["COUNTERS", "FOLLOW_CAUSES", "NEVER", "PER_ACCOUNT", "RECENT", "PlatformState"]

#: Why a follow was made (column 4 of ``PlatformState.follow_log``; unfollows: 0):
#: a reader following an author it reposted or quoted (or any follow an API
#: call made), a follow-back, a campaign follow, a follow-back of one, and an
#: arriving account's own follows.
FOLLOW_CAUSES = ("engagement", "follow_back", "campaign", "campaign_follow_back", "arrival")

#: ``arrival`` of accounts an event reserved and that have not arrived (yet).
NEVER = np.iinfo(np.int64).max // 2

#: Posts remembered per author, for list feeds.
RECENT = 8

#: Policy parameters held per account (a scenario event may change them for a group).
PER_ACCOUNT = (
    "p_post",
    "engage_scale",
    "follow_on_engage",
    "follow_back",
    "unfollow_rate",
    "list_read_prob",
    "leave_if_bored",
    "adopt_prob",
    "vet_prob",
    "boost_limit",
    "purity_prob",
    "purity_tolerance",
)

#: The run's running totals, in the order they are reported.
COUNTERS = (
    "sessions",
    "reads",
    "engagements",
    "deliveries",
    "follow_requests",
    "follows",
    "follows_over_budget",
    "follow_backs",
    "unfollows",
    "departures",
    "adoptions",
    "campaign_follow_requests",
    "campaign_follows",
    "campaign_follow_backs",
    "reveals",
    "reports",
    "suppressions",
    "hidden_posts",
    "boost_requests",
    "boosts",
    "purity_unfollows",
)


@dataclass
class PlatformState:
    """Every array of a platform run (see the module docstring).

    Feeds are rings: row ``r`` of ``ring_item`` (post ids) and ``ring_time``
    (ticks) with ``head[r]`` the next slot to write and ``count[r]`` live
    entries. Lists are CSR: ``list_members[list_ptr[l]:list_ptr[l+1]]`` are the
    members of list ``l``; ``sub_lists[sub_ptr[a]:sub_ptr[a+1]]`` the lists
    account ``a`` reads.
    """

    accounts: Accounts
    graph: FollowGraph
    posts: PostTable
    interest: NDArray[np.float32]  # accounts x topics, learned from engagement
    topic_pref: NDArray[np.float64]  # accounts x topics, cumulative posting preference
    heat_mean: NDArray[np.float32]  # the heat each account posts at
    ring_item: NDArray[np.int64]
    ring_time: NDArray[np.int32]
    head: NDArray[np.int32]
    count: NDArray[np.int32]
    recent: NDArray[np.int64]  # accounts x RECENT: own posts, reposts and quotes
    recent_head: NDArray[np.int64]
    exposures: NDArray[np.int64]  # author community x reader community, cumulative
    follows_today: NDArray[np.int32]
    away_until: NDArray[np.int64]  # tick before which an account starts no session
    followers_at_start: NDArray[np.int32]
    list_ptr: NDArray[np.int64]
    list_members: NDArray[np.int32]
    sub_ptr: NDArray[np.int64]
    sub_lists: NDArray[np.int32]
    # per-account policy parameters (scenario events change them for a group)
    p_post: NDArray[np.float64]
    engage_scale: NDArray[np.float64]
    follow_on_engage: NDArray[np.float64]
    follow_back: NDArray[np.float64]
    unfollow_rate: NDArray[np.float64]
    list_read_prob: NDArray[np.float64]
    leave_if_bored: NDArray[np.float64]
    adopt_prob: NDArray[np.float64]
    vet_prob: NDArray[np.float64]
    boost_limit: NDArray[np.float64]  # boosts granted a day (0: not a booster)
    purity_prob: NDArray[np.float64]  # P(a session runs a purity check: behaviour.purity)
    purity_tolerance: NDArray[np.float64]  # how far a friend's posts may stray
    boosts_today: NDArray[np.int64]
    arrival: NDArray[np.int64]  # tick from which an account exists (0: from the start)
    # the campaign (behaviour.campaign) and disguises
    adopted_at: NDArray[np.int64]  # tick an account first used the campaign hashtag, -1 never
    stance: NDArray[np.float32]  # the position an account shows in its posts
    tag_ring: NDArray[np.int64]  # the newest campaign posts (ring, -1 empty)
    tag_head: NDArray[np.int64]  # shape (1,): next slot of tag_ring
    disguise: NDArray[np.int8]  # scenarios.events.DISGUISES: none, open, incognito
    reveal_followers: NDArray[np.int64]  # an incognito account reveals itself at this many
    revealed_at: NDArray[np.int64]  # tick an incognito account revealed itself, -1 not
    harm: NDArray[np.int8]  # 1: the account's posts are harmful (behaviour.disguise)
    # reports and moderation (behaviour.moderation)
    topic_reports: NDArray[np.int64]
    author_reports: NDArray[np.int64]
    topic_hidden_until: NDArray[np.int64]  # a hashtag is suppressed while tick < this
    author_hidden_until: NDArray[np.int64]
    # what sessions read and did (behaviour.dilution; the claims' measures)
    repetition: NDArray[np.float64]  # running feed repetition, NaN before a scored session
    session_count: NDArray[np.int64]  # sessions each account started
    engagement_count: NDArray[np.int64]  # engagements of those sessions
    departure_count: NDArray[np.int64]  # times each account left for a while
    tick: int = 0
    counters: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    #: per tick, uses of each topic by new posts, replies and quotes (not reposts)
    topic_counts: list[NDArray[np.int64]] = field(default_factory=list)
    #: every follow and unfollow the run made, in order: blocks of rows
    #: ``(tick, follower, friend, +1 follow / -1 unfollow, cause)`` (FOLLOW_CAUSES)
    follow_log: list[NDArray[np.int64]] = field(default_factory=list)
    #: per tick, feed reads (home or list) by reader community x topic of what was read
    topic_reads: list[NDArray[np.int64]] = field(default_factory=list)

    @classmethod
    def empty(
        cls,
        accounts: Accounts,
        graph: FollowGraph,
        *,
        n_topics: int,
        feed_capacity: int,
        post_capacity: int,
        tag_window: int = 1,
    ) -> PlatformState:
        """A state with empty feeds, no posts, no lists and zero counters
        (interest, topic preference, heat and the per-account policy
        parameters are set by the engine)."""
        n = accounts.n
        k = len(accounts.community_names)
        return cls(
            accounts=accounts,
            graph=graph,
            posts=PostTable(capacity=post_capacity),
            interest=np.zeros((n, n_topics), np.float32),
            topic_pref=np.ones((n, n_topics), np.float64),
            heat_mean=np.zeros(n, np.float32),
            ring_item=np.full((n, feed_capacity), -1, np.int64),
            ring_time=np.zeros((n, feed_capacity), np.int32),
            head=np.zeros(n, np.int32),
            count=np.zeros(n, np.int32),
            recent=np.full((n, RECENT), -1, np.int64),
            recent_head=np.zeros(n, np.int64),
            exposures=np.zeros((k, k), np.int64),
            follows_today=np.zeros(n, np.int32),
            away_until=np.zeros(n, np.int64),
            followers_at_start=graph.followers_count,
            list_ptr=np.zeros(1, np.int64),
            list_members=np.zeros(0, np.int32),
            sub_ptr=np.zeros(n + 1, np.int64),
            sub_lists=np.zeros(0, np.int32),
            p_post=np.zeros(n, np.float64),
            engage_scale=np.zeros(n, np.float64),
            follow_on_engage=np.zeros(n, np.float64),
            follow_back=np.zeros(n, np.float64),
            unfollow_rate=np.zeros(n, np.float64),
            list_read_prob=np.zeros(n, np.float64),
            leave_if_bored=np.zeros(n, np.float64),
            adopt_prob=np.zeros(n, np.float64),
            vet_prob=np.zeros(n, np.float64),
            boost_limit=np.zeros(n, np.float64),
            purity_prob=np.zeros(n, np.float64),
            purity_tolerance=np.zeros(n, np.float64),
            boosts_today=np.zeros(n, np.int64),
            arrival=np.zeros(n, np.int64),
            adopted_at=np.full(n, -1, np.int64),
            stance=accounts.position.astype(np.float32).copy(),
            tag_ring=np.full(tag_window, -1, np.int64),
            tag_head=np.zeros(1, np.int64),
            disguise=np.zeros(n, np.int8),
            reveal_followers=np.zeros(n, np.int64),
            revealed_at=np.full(n, -1, np.int64),
            harm=np.zeros(n, np.int8),
            topic_reports=np.zeros(n_topics, np.int64),
            author_reports=np.zeros(n, np.int64),
            topic_hidden_until=np.zeros(n_topics, np.int64),
            author_hidden_until=np.zeros(n, np.int64),
            repetition=np.full(n, np.nan),
            session_count=np.zeros(n, np.int64),
            engagement_count=np.zeros(n, np.int64),
            departure_count=np.zeros(n, np.int64),
        )

    def arrays(self) -> dict[str, Any]:
        """The state's own arrays and scalars by name (accounts, graph and posts
        are containers of their own)."""
        skip = {"accounts", "graph", "posts"}
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}
