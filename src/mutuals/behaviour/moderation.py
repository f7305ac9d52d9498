"""Reports and moderation: a clumsy crackdown on a hijacked hashtag (C6).

Readers report the harmful posts they read (``posts.harmful``: a hijack's
posts, revealed infiltrators') with probability ``report_prob`` each. The
platform counts reports per hashtag (topic) and per author; with
``moderation = "hashtag"`` a hashtag whose reports reach ``report_threshold``
is suppressed for ``suppress_ticks`` ticks, with ``moderation = "account"`` an
author is. While suppressed, every new post that carries the hashtag (or is by
the account), legitimate ones included, is hidden: delivered to no feed and
left off the hashtag's page and out of list feeds (posts already in home
feeds stay there). Counts reset when a suppression starts; reports keep
coming from harmful posts still in feeds, so a suppression can start again
the tick it ends.

Randomness: one uniform per harmful item read, drawn whenever ``report_prob
> 0`` and something harmful was read, whatever the moderation mode (so arms
that differ only in moderation share their random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from mutuals.behaviour.sessions import read_roots
from mutuals.platform.state import PlatformState

__all__ = ["Moderation", "Reports"]


@dataclass
class Reports:
    """This tick's reports: their posts' topics and authors (one entry per report)."""

    topic: NDArray[np.int64]
    author: NDArray[np.int64]


class Moderation:
    """Who reports what, and what the platform suppresses (see module docstring)."""

    params = ("moderation", "report_prob", "report_threshold", "suppress_ticks")

    def reports(
        self,
        state: PlatformState,
        params: Any,
        sessions: NDArray[np.int32],
        read: NDArray[np.int64],
        rng: np.random.Generator,
    ) -> Reports:
        none = Reports(np.zeros(0, np.int64), np.zeros(0, np.int64))
        if params.report_prob <= 0:
            return none
        c = state.posts.cols
        reader, rt = read_roots(state, sessions, read)
        bad = c["harmful"][rt] == 1
        if not bad.any():
            return none
        rt = rt[bad]
        reader = reader[bad]
        own = c["author"][rt] == reader
        u = rng.random(rt.size)
        hit = (u < params.report_prob) & ~own
        return Reports(c["topic"][rt[hit]].astype(np.int64), c["author"][rt[hit]].astype(np.int64))

    def suppress(
        self, state: PlatformState, params: Any
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """``(topics, accounts)`` to suppress from now on."""
        e = np.zeros(0, np.int64)
        t = state.tick
        if params.moderation == "hashtag":
            due = (state.topic_reports >= params.report_threshold) & (state.topic_hidden_until <= t)
            return np.flatnonzero(due).astype(np.int64), e
        if params.moderation == "account":
            due = (state.author_reports >= params.report_threshold) & (
                state.author_hidden_until <= t
            )
            return e, np.flatnonzero(due).astype(np.int64)
        return e, e
