"""Posting: the rows a session appends to the post columns.

A new post draws its topic from the author's cumulative topic preference, its
quality from the density ``∝ exp(lambda q)`` on [0, 1] (inverse CDF; bots post
quality 0), its appeal from ``(1 + a)(1 - x)^a`` and its heat from the author's
mean plus uniform noise (SimSoM's quality and appeal densities, Pilati et al.
2024). A response (repost, reply, quote) copies its root's attributes.
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["draw_quality", "respond", "write_post"]


@nb.njit(cache=True, inline="always")
def draw_quality(u, quality_lambda):  # pragma: no cover
    """Inverse CDF of the density ``∝ exp(lambda q)`` on [0, 1] at uniform ``u``."""
    if quality_lambda == 0.0:
        return u
    if quality_lambda > 700.0:  # exp(lambda) overflows: the same inverse CDF, from 1
        x = u + (1.0 - u) * np.exp(-quality_lambda)
        return max(0.0, 1.0 + np.log(x) / quality_lambda) if x > 0.0 else 0.0
    return np.log1p(u * np.expm1(quality_lambda)) / quality_lambda


@nb.njit(cache=True, inline="always")
def write_post(q, a, now, u_topic, u_quality, u_appeal, u_heat, topic_pref, is_bot,
               quality_lambda, appeal_exponent, heat_mean, heat_spread,
               author, time, topic, quality, appeal, heat, kind, parent, root):  # fmt: skip  # pragma: no cover
    """Write new post ``q`` by ``a`` at tick ``now`` from four uniforms."""
    T = topic_pref.shape[1]
    tp = T - 1
    for t in range(T):
        if u_topic < topic_pref[a, t]:
            tp = t
            break
    author[q] = a
    time[q] = now
    kind[q] = 0
    parent[q] = -1
    root[q] = q
    topic[q] = tp
    quality[q] = 0.0 if is_bot[a] else draw_quality(u_quality, quality_lambda)
    appeal[q] = 1.0 - (1.0 - u_appeal) ** (1.0 / (1.0 + appeal_exponent))
    h = heat_mean[a] + heat_spread * (u_heat - 0.5)
    heat[q] = min(1.0, max(0.0, h))


@nb.njit(cache=True, inline="always")
def respond(q, a, now, kd, p, rt, author, time, topic, quality, appeal, heat, kind, parent, root):  # fmt: skip  # pragma: no cover
    """Write response ``q`` (kind ``kd``: 1 repost, 2 reply, 3 quote) by ``a`` to
    item ``p`` of cascade root ``rt``; it carries the root's attributes."""
    author[q] = a
    time[q] = now
    kind[q] = kd
    parent[q] = p if kd == 2 else rt
    root[q] = rt if kd == 1 else q
    topic[q] = topic[rt]
    quality[q] = quality[rt]
    appeal[q] = appeal[rt]
    heat[q] = heat[rt]
