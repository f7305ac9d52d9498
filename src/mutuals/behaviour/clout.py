"""Clout learning: accounts drift toward the heat that earned them engagement (C11).

"The platform rewards clout chasing, hot takes and anger." After each tick,
every author whose posts drew engagements in it (likes, reposts, replies and
quotes counted on the posts) moves the heat it posts at toward the
engagement-weighted mean heat of those posts:

    heat_mean[a] <- heat_mean[a] + clout_lr * (sum_p e_p h_p / sum_p e_p - heat_mean[a])

with ``e_p`` the engagements post ``p`` by ``a`` drew this tick and ``h_p`` its
heat (a delta rule: Rescorla & Wagner 1972; the rate is not measured, a
parameter). A post's heat is the author's ``heat_mean`` plus uniform noise of
width ``heat_spread``, so when heat raises engagement (``heat_weight > 0``) and
rank (ranked feeds), hotter posts are rewarded and the mean drifts up; with
``heat_weight = 0`` the reward does not depend on heat. Off while
``clout_lr = 0``; draws no random numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from mutuals.platform.state import PlatformState

__all__ = ["Clout"]

_COUNTS = ("likes", "reposts", "replies", "quotes")


class Clout:
    """Engagement-driven drift of each account's heat (see module docstring)."""

    params = ("clout_lr",)

    def snapshot(self, state: PlatformState, params: Any) -> NDArray[np.int64] | None:
        """Engagements each post had before the tick's sessions (None while off)."""
        if params.clout_lr <= 0:
            return None
        c = state.posts.cols
        n = state.posts.n
        return sum(c[k][:n].astype(np.int64) for k in _COUNTS)  # type: ignore[return-value]

    def decide(
        self, state: PlatformState, params: Any, before: NDArray[np.int64] | None
    ) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        """``(authors, new heat_mean)`` for the authors rewarded this tick."""
        e = np.zeros(0, np.int64)
        if before is None:
            return e, np.zeros(0, np.float32)
        c = state.posts.cols
        n = before.size
        now = sum(c[k][:n].astype(np.int64) for k in _COUNTS)
        gained = now - before
        rows = np.flatnonzero(gained > 0)
        if rows.size == 0:
            return e, np.zeros(0, np.float32)
        author = c["author"][rows].astype(np.int64)
        w = gained[rows].astype(np.float64)
        k = state.accounts.n
        total = np.bincount(author, weights=w, minlength=k)
        heat = np.bincount(author, weights=w * c["heat"][rows], minlength=k)
        who = np.flatnonzero(total > 0).astype(np.int64)
        target = heat[who] / total[who]
        old = state.heat_mean[who].astype(np.float64)
        new = np.clip(old + params.clout_lr * (target - old), 0.0, 1.0)
        return who, new.astype(np.float32)
