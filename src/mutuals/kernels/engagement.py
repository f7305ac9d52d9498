"""Engagement: whether a reader engages with an item it read, and how.

``P(engage) = min(1, engage_scale * appeal * (0.5 + interest) * (1 + heat_weight * heat))``;
one uniform ``x`` decides: engaged when ``x < P``, and then ``x / P`` (itself
uniform) picks the action by the weights of like, repost, reply and quote; the
position inside the action's segment is a fresh uniform ``v`` (used for the
follow decision). The reader's topic interest moves toward 1 after an
engagement and toward 0 after a pass, at rate ``interest_lr``.
"""

from __future__ import annotations

import numba as nb

__all__ = ["LIKE", "NONE", "QUOTE", "REPLY", "REPOST", "engage"]

NONE, LIKE, REPOST, REPLY, QUOTE = -1, 0, 1, 2, 3


@nb.njit(cache=True, inline="always")
def engage(a, rt, x, interest, topic, appeal, heat, engage_scale, heat_weight, interest_lr,
           w_like, w_repost, w_reply, w_quote):  # fmt: skip  # pragma: no cover
    """``(action, v)`` of reader ``a`` on cascade root ``rt`` given uniform ``x``
    (action :data:`NONE` when not engaged; ``v`` is the follow uniform).
    Updates ``interest[a, topic[rt]]``."""
    t = topic[rt]
    pe = engage_scale * appeal[rt] * (0.5 + interest[a, t]) * (1.0 + heat_weight * heat[rt])
    if pe > 1.0:
        pe = 1.0
    engaged = x < pe
    if interest_lr > 0.0:
        target = 1.0 if engaged else 0.0
        interest[a, t] += interest_lr * (target - interest[a, t])
    if not engaged:
        return NONE, 0.0
    w_total = w_like + w_repost + w_reply + w_quote
    x = x / pe * w_total
    if x < w_like:
        return LIKE, 0.0
    if x < w_like + w_repost:
        return REPOST, (x - w_like) / w_repost
    if x < w_like + w_repost + w_reply:
        return REPLY, 1.0
    v = min(1.0, (x - w_like - w_repost - w_reply) / w_quote) if w_quote > 0 else 1.0
    return QUOTE, v
