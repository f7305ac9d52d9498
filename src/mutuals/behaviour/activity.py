"""Activity: who starts sessions this tick.

Account ``a`` starts ``Poisson(activity[a] / ticks_per_day)`` sessions, none
while it is away (``away_until > tick``) or before its arrival tick.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from mutuals.platform.state import PlatformState

__all__ = ["Activity"]


class Activity:
    """Sessions of a tick (see module docstring)."""

    params = ("ticks_per_day",)

    def sessions(
        self, state: PlatformState, params: Any, rng: np.random.Generator
    ) -> NDArray[np.int32]:
        """Account ids, one per session, in account order."""
        acc = state.accounts
        tick = state.tick
        rate = acc.activity.astype(np.float64) / params.ticks_per_day
        absent = state.away_until > tick
        if state.arrival.any():
            absent |= state.arrival > tick
        counts = rng.poisson(np.where(absent, 0.0, rate))
        return np.repeat(np.arange(acc.n, dtype=np.int32), counts)
