"""Boosts on request: "holler and I'll RT it" (C13).

A small account (fewer than ``boost_small_cap`` followers) that writes a new
post asks for a boost with probability ``boost_ask_prob``: it asks one booster
of its community (an account with ``boost_limit > 0``, a per-account parameter
a scenario sets for a group, e.g. its most followed members), drawn uniformly.
The booster reposts it with probability ``boost_share``, at most
``boost_limit`` boosts a day. A boost is an ordinary repost, made the same tick,
so the post reaches the booster's followers with the tick's deliveries.

Randomness: drawn only when some account has ``boost_limit > 0`` and a small
account posted: one uniform per small account's new post (asking), then one
per request for which booster, then one per request for granting.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from mutuals.platform.posts import POST
from mutuals.platform.state import PlatformState

__all__ = ["Boosting"]


class Boosting:
    """Who asks whom to boost which post, and which requests are granted."""

    params = ("boost_ask_prob", "boost_small_cap", "boost_share", "boost_limit")

    def decide(
        self, state: PlatformState, params: Any, first: int, rng: np.random.Generator
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """``(asked posts, their boosters, granted)`` for the tick's new posts
        from row ``first`` on; ``granted`` is 0/1 per request."""
        e = np.zeros(0, np.int64)
        if params.boost_ask_prob <= 0 or not (state.boost_limit > 0).any():
            return e, e, e
        c = state.posts.cols
        rows = np.arange(first, state.posts.n)
        rows = rows[c["kind"][rows] == POST]
        author = c["author"][rows].astype(np.int64)
        small = state.graph.followers_count[author] < params.boost_small_cap
        rows, author = rows[small], author[small]
        if rows.size == 0:
            return e, e, e
        asks = rng.random(rows.size) < params.boost_ask_prob
        rows, author = rows[asks], author[asks]
        u_pick, u_grant = rng.random(rows.size), rng.random(rows.size)
        comm = state.accounts.community
        boosters = np.flatnonzero((state.boost_limit > 0) & (state.arrival <= state.tick))
        by_comm = {int(k): boosters[comm[boosters] == k] for k in np.unique(comm[boosters])}
        posts, who, granted = [], [], []
        used = state.boosts_today.copy()
        for j in range(rows.size):
            pool = by_comm.get(int(comm[author[j]]))
            if pool is None or pool.size == 0:
                continue
            pool = pool[pool != author[j]]
            if pool.size == 0:
                continue
            b = int(pool[min(int(u_pick[j] * pool.size), pool.size - 1)])
            ok = u_grant[j] < params.boost_share and used[b] < state.boost_limit[b]
            used[b] += int(ok)
            posts.append(int(rows[j]))
            who.append(b)
            granted.append(int(ok))
        return (
            np.asarray(posts, np.int64),
            np.asarray(who, np.int64),
            np.asarray(granted, np.int64),
        )
