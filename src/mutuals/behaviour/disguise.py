"""Disguise: infiltrators that pass as members, then turn (C5).

Accounts an ``add_accounts`` event brings with ``disguise = "incognito"`` show
the position of the community they imitate (their posts' ``stance``) and post
what members post, harmlessly, until they have ``reveal_followers`` followers.
From then on they show their own position and their posts are harmful: quality
at most ``harm_quality``, heat at least ``harm_heat`` (low quality, high heat:
MODEL.md C5, "spread harm"). ``disguise = "open"`` accounts are harmful at
their own position from the start. Members can only tell them apart by what
their posts show (the campaign's position tolerance and vetting,
:mod:`mutuals.behaviour.campaign`).

The policy draws no random numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from mutuals.platform.state import PlatformState

__all__ = ["INCOGNITO", "Disguise"]

#: Code of ``disguise = "incognito"`` in ``PlatformState.disguise``.
INCOGNITO = 2


class Disguise:
    """Which incognito accounts reveal themselves now (see module docstring)."""

    params = ("harm_quality", "harm_heat")

    def reveals(self, state: PlatformState, params: Any) -> NDArray[np.int64]:
        """Incognito accounts that have arrived, are not revealed, and have at
        least ``reveal_followers`` followers."""
        hidden = (state.disguise == INCOGNITO) & (state.revealed_at < 0)
        if not hidden.any():
            return np.zeros(0, np.int64)
        here = state.arrival <= state.tick
        enough = state.graph.followers_count >= state.reveal_followers
        return np.flatnonzero(hidden & here & enough).astype(np.int64)
