"""Leaving: tuning out after a session with nothing worth engaging with.

After a session with no engagement, its account leaves with probability
``leave_if_bored[a]`` for ``ceil(Exponential(away_days * ticks_per_day))``
ticks (MODEL.md: "leaves for a while").
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from mutuals.platform.state import PlatformState

__all__ = ["Leaving"]


class Leaving:
    """Who leaves, and until when (see module docstring)."""

    params = ("away_days", "ticks_per_day", "leave_if_bored")

    def decide(
        self,
        state: PlatformState,
        params: Any,
        sessions: NDArray[np.int32],
        engaged: NDArray[np.int32],
        rng: np.random.Generator,
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """``(accounts, away_until)`` of the accounts that leave."""
        if not state.leave_if_bored.any():  # nothing drawn: the run's numbers are unchanged
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        u = rng.random(sessions.size)
        bored = np.unique(sessions[(engaged == 0) & (u < state.leave_if_bored[sessions])])
        away = rng.exponential(params.away_days * params.ticks_per_day, bored.size)
        away = np.minimum(np.ceil(away), 2.0**62)  # huge away_days: gone for good, no overflow
        return bored.astype(np.int64), state.tick + 1 + away.astype(np.int64)
