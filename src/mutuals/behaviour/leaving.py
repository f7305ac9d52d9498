"""Leaving: tuning out, for a while.

After a session, its account leaves with probability

    leave_if_bored[a] * [the session engaged with nothing] + fatigue_leave * repetition[a]

(at most 1; ``repetition`` is its running feed repetition,
:mod:`mutuals.behaviour.dilution`) for ``ceil(Exponential(away_days *
ticks_per_day))`` ticks (MODEL.md: "leaves for a while"). Nothing is drawn
while both terms are zero for everyone.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from mutuals.platform.state import PlatformState

__all__ = ["Leaving"]


class Leaving:
    """Who leaves, and until when (see module docstring)."""

    params = ("away_days", "ticks_per_day", "fatigue_leave", "leave_if_bored")

    def decide(
        self,
        state: PlatformState,
        params: Any,
        sessions: NDArray[np.int32],
        engaged: NDArray[np.int32],
        rng: np.random.Generator,
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """``(accounts, away_until)`` of the accounts that leave."""
        tired = params.fatigue_leave > 0
        if not tired and not state.leave_if_bored.any():  # nothing drawn: the numbers stay
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        u = rng.random(sessions.size)
        p_leave = np.where(engaged == 0, state.leave_if_bored[sessions], 0.0)
        if tired:
            p_leave = p_leave + params.fatigue_leave * np.nan_to_num(state.repetition[sessions])
        bored = np.unique(sessions[u < p_leave])
        away = rng.exponential(params.away_days * params.ticks_per_day, bored.size)
        away = np.minimum(np.ceil(away), 2.0**62)  # huge away_days: gone for good, no overflow
        return bored.astype(np.int64), state.tick + 1 + away.astype(np.int64)
