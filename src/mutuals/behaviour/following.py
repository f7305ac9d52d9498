"""Following: discovering authors through their posts, and following back.

The sessions phase records a follow request when a reader reposts or quotes an
author it does not follow (with probability ``follow_on_engage``); the engine
grants requests within each follower's daily budget. Each new follow is then
followed back with probability ``follow_back[friend]`` (field experiments put
following back a stranger at about 15% for a co-partisan, Mosleh et al., PNAS
2021; the default is a parameter).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from mutuals.platform.state import PlatformState

__all__ = ["Following"]


class Following:
    """Follow-backs of the follows just made (see module docstring)."""

    params = ("follow_back", "follow_budget")

    def follow_backs(
        self,
        state: PlatformState,
        params: Any,
        follower: NDArray[np.int64],
        friend: NDArray[np.int64],
        rng: np.random.Generator,
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """``(follower, friend)`` of the follow-backs of the new follows ``follower -> friend``."""
        back = rng.random(follower.size) < state.follow_back[friend]
        return friend[back], follower[back]
