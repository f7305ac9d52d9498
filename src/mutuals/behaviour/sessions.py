"""Sessions: reading, engagement and posting, one session at a time.

Each session reads up to its attention of feed items (its home feed, newest
first or ranked by predicted engagement, or a list it reads), may like,
repost, reply to or quote each (less likely the more repetitive its account's
recent feeds, when ``fatigue_engage > 0``: :mod:`mutuals.behaviour.dilution`),
and may write a new post; see
:mod:`mutuals.kernels.sessions` for the equations. The kernel appends the
session's posts to the post columns as it goes (later sessions of the tick see
the counters they raise); the follow requests it records are applied by the
engine in the following phase.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from mutuals.kernels import sessions as ks
from mutuals.platform.state import PlatformState

__all__ = ["SessionOutcome", "Sessions", "read_roots"]


@dataclass
class SessionOutcome:
    """What a tick's sessions did besides appending posts."""

    follow_src: NDArray[np.int64]  # follow requests: who asks...
    follow_dst: NDArray[np.int64]  # ...to follow whom
    engaged: NDArray[np.int32]  # engagements per session
    read: NDArray[np.int64]  # sessions x max attention: the items each read, -1 padded
    reads: int
    engagements: int


class Sessions:
    """The reading, engagement and posting of a tick's sessions."""

    params = (
        "ranking", "half_life", "heat_weight", "interest_lr", "w_like", "w_repost", "w_reply",
        "w_quote", "quality_lambda", "appeal_exponent", "heat_spread", "fatigue_engage",
        "author_diversity_decay", "author_diversity_floor",
        # per account
        "p_post", "engage_scale", "follow_on_engage", "list_read_prob",
    )  # fmt: skip

    def run(
        self,
        state: PlatformState,
        params: Any,
        sessions: NDArray[np.int32],
        rng: np.random.Generator,
    ) -> SessionOutcome:
        acc = state.accounts
        kmax = int(acc.attention.max())
        u = rng.random((sessions.size, ks.U_ITEMS + kmax))
        posts = state.posts
        posts.reserve(sessions.size * (1 + kmax))
        follow_src = np.empty(sessions.size * kmax, np.int64)
        follow_dst = np.empty(sessions.size * kmax, np.int64)
        engaged = np.zeros(sessions.size, np.int32)
        read = np.full((sessions.size, kmax), -1, np.int64)
        c = posts.cols
        p = params
        engage_scale = state.engage_scale
        if p.fatigue_engage > 0:  # repetitive feeds: less engagement (behaviour.dilution)
            rep = np.nan_to_num(state.repetition, nan=0.0)
            engage_scale = engage_scale * (1.0 - p.fatigue_engage * rep)
        n_posts, n_follow, n_reads, n_eng = ks.run_sessions(
            sessions, u, state.tick, p.ranking == "ranked",
            acc.community, acc.attention, acc.is_bot, state.interest, state.topic_pref,
            state.ring_item, state.ring_time, state.head, state.count,
            c["author"], c["time"], c["topic"], c["quality"], c["appeal"], c["heat"], c["kind"],
            c["parent"], c["root"], c["views"], c["reposts"], c["replies"], c["quotes"], c["likes"],
            posts.n,
            state.p_post, p.w_like, p.w_repost, p.w_reply, p.w_quote, engage_scale,
            p.heat_weight, p.half_life, p.interest_lr, p.quality_lambda, p.appeal_exponent,
            state.heat_mean, p.heat_spread, state.follow_on_engage,
            state.exposures, follow_src, follow_dst, engaged,
            state.list_ptr, state.list_members, state.sub_ptr, state.sub_lists, state.recent,
            state.recent_head, state.list_read_prob, read, p.author_diversity_decay,
            p.author_diversity_floor,
        )  # fmt: skip
        posts.n = int(n_posts)
        return SessionOutcome(
            follow_src=follow_src[:n_follow],
            follow_dst=follow_dst[:n_follow],
            engaged=engaged,
            read=read,
            reads=int(n_reads),
            engagements=int(n_eng),
        )


def read_roots(
    state: PlatformState, sessions: NDArray[np.int32], read: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """``(reader, root)`` of every item in a tick's read log (the cascade root
    of what each session read), in session and reading order."""
    rows, cols = np.nonzero(read >= 0)
    return sessions[rows].astype(np.int64), state.posts.cols["root"][read[rows, cols]]
