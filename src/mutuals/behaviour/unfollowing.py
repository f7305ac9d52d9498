"""Unfollowing: a session drops one random friend with probability ``unfollow_rate[a]``."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from mutuals.platform.state import PlatformState

__all__ = ["Unfollowing"]


class Unfollowing:
    """Random unfollows (see module docstring)."""

    params = ("unfollow_rate",)

    def decide(
        self,
        state: PlatformState,
        params: Any,
        sessions: NDArray[np.int32],
        rng: np.random.Generator,
    ) -> tuple[NDArray[np.int64], NDArray[np.int32]]:
        """``(follower, friend)`` pairs to remove."""
        u = rng.random(sessions.size)  # drawn every tick, whatever the rate
        if not state.unfollow_rate.any():
            return np.zeros(0, np.int64), np.zeros(0, np.int32)
        who = sessions[u < state.unfollow_rate[sessions]]
        start, length, nbr = state.graph.friend_rows
        who = who[length[who] > 0]
        pick = start[who] + (rng.random(who.size) * length[who]).astype(np.int64)
        return who.astype(np.int64), nbr[pick]
