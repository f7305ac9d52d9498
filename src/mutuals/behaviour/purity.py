"""Purity tests: unfollowing neighbours who stray (C12).

"Once the trend fades, neighbours compete for clout: ever-stricter purity
tests." A session of account ``a`` runs a purity check with probability
``purity_prob[a]`` (zero unless a scenario sets it for a group, typically when
the campaign's hashtag stops trending): ``a`` looks at every account it
follows and unfollows those whose recent posts (the mean stance of their
remembered posts, :data:`mutuals.platform.state.RECENT`) sit farther than
``purity_tolerance[a]`` from its own position. Friends with no recent post are
kept. At the start of every simulated day the tolerance of every account that
runs checks narrows by a share ``purity_narrowing`` ("ever-stricter"); at 0 it
stays where it was set ("be compassionate in disagreement").

Randomness: one uniform per session, drawn only when some account has
``purity_prob > 0``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from mutuals.platform.state import PlatformState

__all__ = ["Purity"]


class Purity:
    """Who unfollows whom in purity checks (see module docstring)."""

    params = ("purity_narrowing", "purity_prob", "purity_tolerance")

    def decide(
        self,
        state: PlatformState,
        params: Any,
        sessions: NDArray[np.int32],
        rng: np.random.Generator,
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """``(follower, friend)`` pairs to remove."""
        e = np.zeros(0, np.int64)
        if not (state.purity_prob > 0).any():
            return e, e
        u = rng.random(sessions.size)
        who = np.unique(sessions[u < state.purity_prob[sessions]]).astype(np.int64)
        start, length, nbr = state.graph.friend_rows
        who = who[length[who] > 0]
        if who.size == 0:
            return e, e
        lens = length[who].astype(np.int64)
        first = np.repeat(start[who] - np.r_[0, np.cumsum(lens)[:-1]], lens)
        friends = nbr[first + np.arange(lens.sum())].astype(np.int64)
        checker = np.repeat(who, lens)
        recent = state.recent[friends]
        have = recent >= 0
        stance = state.posts.cols["stance"][np.maximum(recent, 0)].astype(np.float64)
        n = have.sum(1)
        mean = (stance * have).sum(1) / np.maximum(n, 1)
        gap = np.abs(state.accounts.position[checker].astype(np.float64) - mean)
        drop = (n > 0) & (gap > state.purity_tolerance[checker])
        return checker[drop], friends[drop]
