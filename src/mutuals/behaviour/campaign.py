"""The follow campaign: a hashtag that asks its users to follow each other (C3, C4).

The thread's #NoComradesUnder1k: "drop your handle, follow everyone here under
1k, follow back". The campaign is off while ``campaign_topic < 0``; its
hashtag is that topic, which nobody uses until someone seeds it (a
``seed_hashtag`` event). Every account that posts under it is an *adopter*
from then on.

Exposure
    A session sees the campaign posts among the items it read (the sessions
    phase's read log: its home feed or a list). An adopter's session also
    browses the hashtag's page with probability ``campaign_browse_prob``, and
    any other session with probability ``campaign_trend_browse`` while the
    hashtag is trending: it sees ``attention`` posts drawn uniformly from the
    ``campaign_window`` newest campaign posts.
Adoption
    An independent-cascade contagion (Kempe, Kleinberg & Tardos, KDD 2003)
    with homophilous transmission: each campaign post ``p`` that a
    non-adopter ``a`` sees makes it adopt with probability

        adopt_prob[a] * exp(-|x_a - s_p| / adopt_position_scale)

    where ``x_a`` is ``a``'s position and ``s_p`` the position the post shows
    (its ``stance``). An adopter posts under the hashtag at once, a share
    ``campaign_post_share`` of its later posts carry it, and it follows back a
    new follower with probability ``campaign_follow_back`` (field experiments
    put following back a stranger at about 15% for a co-partisan, Mosleh et
    al., PNAS 2021; how far a campaign raises it is not measured: a parameter
    to sweep).
Following
    An adopter ``a`` considers the author ``b`` of each campaign post it saw
    (only what it saw: attention bounds it). ``b`` qualifies when it is not
    ``a``, ``a`` does not follow it yet, it has fewer than ``follower_cap``
    followers and ``|x_a - s_p| <= campaign_follow_tolerance``. With
    probability ``vet_prob[a]`` the adopter first vets ``b``: the mean stance
    of ``b``'s recent posts must lie within ``vet_tolerance`` of ``x_a``. A
    qualifying ``b`` is followed with probability ``campaign_follow_prob``
    (times ``inclusive_weight``, at most 1, for a marginalised ``b`` when
    ``campaign_inclusive`` is on, and such requests come first). Requests are
    kept in order while their target is still below ``follower_cap`` ("under
    1k": an account at 999 may be followed, and then has 1,000), so no adopter
    follows an account at or past the cap at the time it follows; the engine
    then applies the daily follow budget.
Following widely (C10's remedy)
    With probability ``campaign_wide_share`` a request the rules above kept is
    sent instead to an account drawn uniformly from those outside the
    adopter's community (there from the start or arrived; up to eight draws,
    and a request whose draws all fail is dropped), with no follower cap:
    "follow widely".

Randomness is drawn only while the campaign is on, in a fixed order: browse
draws (one per session), the browsed items, adoption, vetting and following
draws (one each per post seen), and, while ``campaign_wide_share > 0``, one
uniform per kept request and eight candidate draws each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from mutuals.behaviour.sessions import read_roots
from mutuals.platform.posts import POST, QUOTE
from mutuals.platform.state import PlatformState
from mutuals.platform.trending import trending_now

__all__ = ["Campaign", "CampaignDecision"]


@dataclass
class CampaignDecision:
    """What the campaign decided this tick (the engine applies it)."""

    browsed: NDArray[np.int64]  # posts read on the hashtag's page (their views)
    browsers: NDArray[np.int64]  # ...and who read each
    adopters: NDArray[np.int64]  # accounts that adopt the hashtag now
    follow_src: NDArray[np.int64]
    follow_dst: NDArray[np.int64]

    @classmethod
    def none(cls) -> CampaignDecision:
        e = np.zeros(0, np.int64)
        return cls(e, e, e, e, e)


def seen_campaign_posts(
    state: PlatformState, topic: int, sessions: NDArray[np.int32], read: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """``(reader, post)`` for every campaign post (original or quote, the root
    of what was read) in the read log, in session and reading order."""
    c = state.posts.cols
    reader, rt = read_roots(state, sessions, read)
    k = c["kind"][rt]
    hit = (c["topic"][rt] == topic) & ((k == POST) | (k == QUOTE))
    return reader[hit], rt[hit]


class Campaign:
    """The campaign's exposure, adoption and following (see module docstring)."""

    params = (
        "campaign_topic", "adopt_position_scale", "campaign_browse_prob",
        "campaign_trend_browse", "campaign_window", "campaign_follow_prob", "follower_cap",
        "campaign_follow_tolerance", "campaign_inclusive", "inclusive_weight", "vet_tolerance",
        "ticks_per_day", "campaign_wide_share",
        # per account
        "adopt_prob", "vet_prob",
    )  # fmt: skip

    def decide(
        self,
        state: PlatformState,
        params: Any,
        sessions: NDArray[np.int32],
        read: NDArray[np.int64],
        rng: np.random.Generator,
    ) -> CampaignDecision:
        p = params
        topic = int(p.campaign_topic)
        if topic < 0:
            return CampaignDecision.none()
        acc = state.accounts
        c = state.posts.cols
        readers, posts = seen_campaign_posts(state, topic, sessions, read)
        # the hashtag's page
        ring = state.tag_ring[state.tag_ring >= 0]
        u_browse = rng.random(sessions.size)
        adopted = state.adopted_at >= 0
        p_browse = np.where(adopted[sessions], p.campaign_browse_prob, 0.0)
        if p.campaign_trend_browse > 0 and ring.size:
            window = max(1, p.ticks_per_day // 4)
            if np.isin(topic, trending_now(state.topic_counts, window=window)):
                p_browse = np.where(adopted[sessions], p_browse, p.campaign_trend_browse)
        browsers = sessions[u_browse < p_browse].astype(np.int64)
        b_readers = np.zeros(0, np.int64)
        b_posts = np.zeros(0, np.int64)
        if browsers.size and ring.size:
            k = acc.attention[browsers].astype(np.int64)
            b_readers = np.repeat(browsers, k)
            b_posts = ring[(rng.random(b_readers.size) * ring.size).astype(np.int64)]
        readers = np.concatenate([readers, b_readers])
        posts = np.concatenate([posts, b_posts])
        if readers.size == 0:
            return CampaignDecision(b_posts, b_readers, *([np.zeros(0, np.int64)] * 3))
        author = c["author"][posts].astype(np.int64)
        gap = np.abs(acc.position[readers].astype(np.float64) - c["stance"][posts])
        u_adopt = rng.random(readers.size)
        u_vet = rng.random(readers.size)
        u_follow = rng.random(readers.size)
        # adoption
        p_adopt = state.adopt_prob[readers] * np.exp(-gap / p.adopt_position_scale)
        new = ~adopted[readers] & (u_adopt < p_adopt) & (readers != author)
        adopters = np.unique(readers[new])
        # following, by adopters (those adopting now included)
        is_adopter = adopted.copy()
        is_adopter[adopters] = True
        cand = is_adopter[readers] & (readers != author)
        cand &= state.graph.followers_count[author] < p.follower_cap
        cand &= gap <= p.campaign_follow_tolerance
        vets = cand & (u_vet < state.vet_prob[readers])
        if vets.any():
            cand[vets] = self._vetted(state, readers[vets], author[vets], p.vet_tolerance)
        inclusive = p.campaign_inclusive == "on"
        marg = acc.marginalised[author]
        weight = np.where(inclusive & marg, p.inclusive_weight, 1.0)
        cand &= u_follow < np.minimum(1.0, p.campaign_follow_prob * weight)
        src, dst = readers[cand], author[cand]
        priority = marg[cand] if inclusive else np.zeros(src.size, bool)
        src, dst = _dedupe(src, dst, priority)
        if src.size:
            keep = ~state.graph.has_follows(src, dst)
            src, dst = src[keep], dst[keep]
            keep = _under_cap(dst, state.graph.followers_count, p.follower_cap)
            src, dst = src[keep], dst[keep]
        if src.size and p.campaign_wide_share > 0:
            src, dst = _widen(state, src, dst, p.campaign_wide_share, rng)
        return CampaignDecision(b_posts, b_readers, adopters, src, dst)

    @staticmethod
    def _vetted(
        state: PlatformState, who: NDArray[np.int64], whom: NDArray[np.int64], tol: float
    ) -> NDArray[np.bool_]:
        """Whether each candidate's recent posts sit within ``tol`` of the vetter."""
        recent = state.recent[whom]  # candidates x RECENT post ids, -1 empty
        have = recent >= 0
        stance = state.posts.cols["stance"][np.maximum(recent, 0)]
        n = have.sum(1)
        mean = np.where(n > 0, (stance * have).sum(1) / np.maximum(n, 1), np.nan)
        gap = np.abs(state.accounts.position[who] - mean)
        return (n == 0) | (gap <= tol)


def _widen(
    state: PlatformState,
    src: NDArray[np.int64],
    dst: NDArray[np.int64],
    share: float,
    rng: np.random.Generator,
    tries: int = 8,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Send a share of the requests to accounts outside the follower's community
    (see module docstring); drop redirected ones that find nobody or exist."""
    wide = rng.random(src.size) < share
    n = state.accounts.n
    comm = state.accounts.community
    cand = rng.integers(0, n, size=(int(wide.sum()), tries))
    w_src = src[wide]
    ok = (comm[cand] != comm[w_src][:, None]) & (state.arrival[cand] <= state.tick)
    found = ok.any(1)
    pick = cand[np.arange(cand.shape[0]), np.argmax(ok, axis=1)]
    new_dst = dst.copy()
    new_dst[np.flatnonzero(wide)] = pick
    keep = ~wide
    keep[np.flatnonzero(wide)[found]] = True
    src, dst = src[keep], new_dst[keep]
    if src.size:
        fresh = ~state.graph.has_follows(src, dst)
        src, dst = src[fresh], dst[fresh]
        src, dst = _dedupe(src, dst, np.zeros(src.size, bool))
    return src, dst


def _dedupe(
    src: NDArray[np.int64], dst: NDArray[np.int64], priority: NDArray[np.bool_]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Unique ``(src, dst)`` requests, priority ones first, else in first-seen order."""
    if src.size == 0:
        return src, dst
    order = np.lexsort((np.arange(src.size), ~priority))
    src, dst = src[order], dst[order]
    key = src * (int(max(src.max(), dst.max())) + 1) + dst
    _, first = np.unique(key, return_index=True)
    first.sort()
    return src[first], dst[first]


def _under_cap(dst: NDArray[np.int64], followers: NDArray[np.int32], cap: int) -> NDArray[np.bool_]:
    """Requests to keep so that, applied in order, each finds its target below
    ``cap``: the ``r``-th request for ``b`` (from 0) is kept while
    ``followers[b] + r < cap``."""
    order = np.argsort(dst, kind="stable")
    d = dst[order]
    starts = np.flatnonzero(np.r_[True, d[1:] != d[:-1]])
    rank = np.arange(d.size) - np.repeat(starts, np.diff(np.r_[starts, d.size]))
    ok = np.empty(dst.size, bool)
    ok[order] = followers[d].astype(np.int64) + rank < cap
    return ok
