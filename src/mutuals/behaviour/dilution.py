"""Dilution: feeds that grow repetitive, and accounts that tune out (C7).

"Same thing over and over again, people tune out." After the tick's sessions,
each session's reads are scored for repetition (:mod:`mutuals.kernels.diversity`:
``1 - H / ln(min(n, K))`` of the topics and of the sources of what it read, the
mean of the two) and folded into its account's running repetition,

    repetition[a] <- (1 - repetition_memory) * repetition[a] + repetition_memory * r_s

(an exponential moving average over sessions; the first scored session sets
it). Two responses read it, both off at 0 (no measured values: parameters to
sweep):

- engagement: a session's chance to engage with each item is multiplied by
  ``1 - fatigue_engage * repetition[a]`` (:class:`~mutuals.behaviour.sessions.Sessions`);
- leaving: after every session, not only one with nothing engaging, the
  account leaves for a while with probability ``fatigue_leave *
  repetition[a]`` on top of ``leave_if_bored`` (:class:`~mutuals.behaviour.leaving.Leaving`).

An account away keeps receiving deliveries, so when it comes back it reads
what its feed holds then. Draws no random numbers.

The same pass over the tick's read log counts the items read by reader
community and topic (:func:`mutuals.kernels.diversity.session_repetition_reads`),
which the engine keeps as ``topic_reads``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from mutuals.kernels import diversity as kd
from mutuals.platform.state import PlatformState

__all__ = ["Dilution", "Repetition", "session_repetition"]


def session_repetition(
    state: PlatformState, read: NDArray[np.int64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """``(topics, sources, combined)`` repetition of each session's reads
    (NaN for a session that read fewer than two items)."""
    c = state.posts.cols
    rt, rs = kd.session_repetition(
        read, c["root"], c["topic"], c["author"], state.interest.shape[1]
    )
    return rt, rs, (rt + rs) / 2.0


class Repetition(NamedTuple):
    """What :meth:`Dilution.decide` returns."""

    #: the accounts whose sessions read at least two items this tick, ascending
    accounts: NDArray[np.int64]
    #: their new running repetition
    repetition: NDArray[np.float64]
    #: the tick's items read (home or list feeds), reader community x topic of the root
    topic_reads: NDArray[np.int64]


class Dilution:
    """Each account's running feed repetition (see module docstring)."""

    params = ("repetition_memory",)

    def decide(
        self,
        state: PlatformState,
        params: Any,
        sessions: NDArray[np.int32],
        read: NDArray[np.int64],
    ) -> Repetition:
        """The new running repetition of the accounts whose sessions read at
        least two items this tick, and the tick's reads by community and topic,
        from one pass over ``read`` (a row per session in ``sessions``)."""
        k, n_topics = state.exposures.shape[0], state.interest.shape[1]
        if sessions.size == 0:
            return Repetition(
                np.zeros(0, np.int64), np.zeros(0, np.float64), np.zeros((k, n_topics), np.int64)
            )
        c = state.posts.cols
        rt, rs, topic_reads = kd.session_repetition_reads(
            read, c["root"], c["topic"], c["author"], n_topics,
            state.accounts.community[sessions], k,
        )  # fmt: skip
        who, rep = kd.fold_ema(
            sessions.astype(np.int64),
            (rt + rs) / 2.0,
            float(params.repetition_memory),
            state.repetition,
        )
        return Repetition(who, rep, topic_reads)
