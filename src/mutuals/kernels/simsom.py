"""Numba kernels of one SimSoM step (Truong et al. 2024, PNAS Nexus 3(7)).

All randomness arrives as arrays of uniforms drawn by the caller.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from mutuals.kernels.feeds import reshare_pick

__all__ = ["act", "feed_quality"]


@nb.njit(cache=True)
def act(
    order, is_bot, fmsg, fsh, fage, flen, appeal, mu, u_act, u_pick, next_id, theta,
    act_msg, act_copies, is_new,
):  # fmt: skip  # pragma: no cover - jitted
    """Every agent, in ``order``, posts a new message (feed empty, or with
    probability ``mu``) or reshares one from its feed (:func:`reshare_pick`).

    New message ids are handed out in acting order from ``next_id``. Bots send
    ``theta`` copies. Fills ``act_msg``, ``act_copies`` and ``is_new`` (indexed by
    agent) and returns the next free message id.
    """
    for k in range(order.shape[0]):
        a = order[k]
        m = -1
        if flen[a] > 0 and u_act[a] >= mu:
            m = reshare_pick(fmsg, fsh, fage, flen, a, appeal, u_pick[a])
        if m < 0:
            m = next_id
            next_id += 1
            is_new[a] = True
        else:
            is_new[a] = False
        act_msg[a] = m
        act_copies[a] = theta if is_bot[a] else 1
    return next_id


@nb.njit(cache=True)
def feed_quality(fmsg, flen, quality, include):  # pragma: no cover - jitted
    """Mean quality over every (feed, entry) pair of the feeds in ``include``,
    and the share of those entries with quality 0 (bot messages)."""
    total = 0.0
    zero = 0
    count = 0
    for r in range(flen.shape[0]):
        if not include[r]:
            continue
        for e in range(flen[r]):
            q = quality[fmsg[r, e]]
            total += q
            if q == 0.0:
                zero += 1
            count += 1
    if count == 0:
        return np.nan, np.nan, 0
    return total / count, zero / count, count
