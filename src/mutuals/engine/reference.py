"""Slow, obviously-correct twins of the fast kernels.

Each function here mirrors a Numba kernel with plain Python lists and dicts,
one agent and one message at a time, in the style of the osome-iu/SimSoM code.
Tests compare the two on random inputs; the benchmark reports the speed ratio.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

__all__ = ["ReferenceFeed", "reference_deliver", "reference_pick", "reference_simsom_step"]


@dataclass
class ReferenceFeed:
    """One feed, newest entry first: parallel lists of message, shares, age."""

    msg: list[int] = field(default_factory=list)
    shares: list[int] = field(default_factory=list)
    age: list[int] = field(default_factory=list)


def reference_deliver(
    feed: ReferenceFeed, incoming: list[tuple[int, int]], capacity: int, compat: bool
) -> None:
    """Add ``incoming`` (message, copies) pairs, in order, to ``feed``."""
    # aggregate duplicates, first occurrence first
    agg: dict[int, int] = {}
    for m, c in incoming:
        agg[m] = agg.get(m, 0) + c
    overlap = any(m in feed.msg for m in agg)
    if compat:
        if incoming and feed.msg:
            feed.age = [a + 1 for a in feed.age] if overlap else [1] * len(feed.age)
    else:
        feed.age = [a + 1 for a in feed.age]
    new_m, new_s = [], []
    for m, c in agg.items():
        if m in feed.msg:
            feed.shares[feed.msg.index(m)] += c
        else:
            new_m.append(m)
            new_s.append(c)
    msg = new_m + feed.msg
    shares = new_s + feed.shares
    age = [0] * len(new_m) + feed.age
    # keep the `capacity` youngest (stable: ties keep feed order)
    order = sorted(range(len(msg)), key=lambda i: age[i])[:capacity]
    order.sort()
    feed.msg = [msg[i] for i in order]
    feed.shares = [shares[i] for i in order]
    feed.age = [age[i] for i in order]


def reference_pick(feed: ReferenceFeed, appeal: NDArray[np.float32], u: float) -> int:
    """Message chosen with probability ∝ appeal × shares × exp(-0.4 age^0.4)."""
    w = [
        float(appeal[m]) * s * math.exp(-0.4 * a**0.4)
        for m, s, a in zip(feed.msg, feed.shares, feed.age, strict=True)
    ]
    total = sum(w)
    if total <= 0:
        return -1
    x, acc = u * total, 0.0
    for m, wi in zip(feed.msg, w, strict=True):
        acc += wi
        if x < acc:
            return m
    return feed.msg[-1]


def reference_simsom_step(
    feeds: list[ReferenceFeed],
    followers: list[list[int]],
    is_bot: NDArray[np.bool_],
    appeal: NDArray[np.float32],
    order: NDArray[np.int32],
    u_act: NDArray[np.float64],
    u_pick: NDArray[np.float64],
    mu: float,
    theta: int,
    next_id: int,
    capacity: int,
    compat: bool,
) -> tuple[list[int], int]:
    """One synchronous SimSoM step; returns each agent's message and the next id."""
    n = len(feeds)
    act = [-1] * n
    for a in order.tolist():
        m = -1
        if feeds[a].msg and u_act[a] >= mu:
            m = reference_pick(feeds[a], appeal, float(u_pick[a]))
        if m < 0:
            m = next_id
            next_id += 1
        act[a] = m
    inbox: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for a in order.tolist():
        for f in followers[a]:
            inbox[f].append((act[a], theta if is_bot[a] else 1))
    for r in range(n):
        reference_deliver(feeds[r], inbox[r], capacity, compat)
    return act, next_id
