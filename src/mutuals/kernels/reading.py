"""Reading: which feed items a session reads.

A session reads up to ``k`` items (its attention) with distinct cascade roots,
either from its home feed (a ring of post ids, newest first, or ranked by
predicted engagement, optionally with repeated authors discounted) or from one
of the lists it reads (the newest posts of the list's members). Arrays in, arrays out; no randomness (the list pick comes
in as a uniform).
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["read_home", "read_list", "score"]


@nb.njit(cache=True)
def score(
    reader, root, age, interest, topic, appeal, heat, heat_weight, half_life
):  # pragma: no cover
    """Predicted engagement of ``reader`` with post ``root`` seen ``age`` ticks ago:
    ``appeal * (0.5 + interest[reader, topic]) * (1 + heat_weight * heat) * 2^(-age / half_life)``."""
    t = topic[root]
    like = appeal[root] * (0.5 + interest[reader, t]) * (1.0 + heat_weight * heat[root])
    return like * 0.5 ** (age / half_life)


@nb.njit(cache=True)
def read_home(r, ring_item, ring_time, head, count, k, ranked, now, interest, topic, appeal,
              heat, heat_weight, half_life, root, out, author, diversity_decay,
              diversity_floor):  # fmt: skip  # pragma: no cover
    """Fill ``out`` with up to ``k`` items of feed ``r`` with distinct roots:
    newest first, or (ranked) by :func:`score`, ties newest first. Returns how many.

    Ranked with ``diversity_decay < 1``: an author diversity discount in the
    form of X's open-sourced home mixer (xai-org/x-algorithm, 2026,
    ``home-mixer/scorers/author_diversity_scorer.rs``): in score order, the
    ``i``-th item (from 0) of the same author (the item's own author, who put
    it in the feed) has its score multiplied by ``(1 - floor) * decay^i +
    floor``, and the items are ranked again by the new scores (ties in the
    first order). The release leaves the two values out (its ``params``
    module is not published): scenarios set and sweep them."""
    F = ring_item.shape[1]
    n = count[r]
    order = np.arange(n)  # position j = j-th newest entry
    if ranked:
        scores = np.empty(n)
        for j in range(n):
            slot = (head[r] - 1 - j) % F
            p = ring_item[r, slot]
            age = now - ring_time[r, slot]
            scores[j] = score(
                r, root[p], age, interest, topic, appeal, heat, heat_weight, half_life
            )
        order = np.argsort(-scores, kind="mergesort")
        if diversity_decay < 1.0 and n > 1:
            # the position of each item among its author's items, in score order
            key = np.empty(n, np.int64)
            for jj in range(n):
                p = ring_item[r, (head[r] - 1 - order[jj]) % F]
                key[jj] = author[p] * (n + 1) + jj
            by_author = np.argsort(key)
            adjusted = np.empty(n)
            pos = 0
            for i in range(n):
                jj = by_author[i]
                if i > 0 and key[jj] // (n + 1) == key[by_author[i - 1]] // (n + 1):
                    pos += 1
                else:
                    pos = 0
                mult = (1.0 - diversity_floor) * diversity_decay**pos + diversity_floor
                adjusted[jj] = scores[order[jj]] * mult
            order = order[np.argsort(-adjusted, kind="mergesort")]
    got = 0
    for jj in range(n):
        p = ring_item[r, (head[r] - 1 - order[jj]) % F]
        rt = root[p]
        dup = False
        for q in range(got):
            if root[out[q]] == rt:
                dup = True
                break
        if dup:
            continue
        out[got] = p
        got += 1
        if got == k:
            break
    return got


@nb.njit(cache=True)
def read_list(
    lst, k, list_ptr, list_members, recent, recent_head, time, now, out
):  # pragma: no cover
    """Fill ``out`` with up to ``k`` of the newest posts (by id) of list ``lst``'s
    members, from each member's ring of recent posts, written before tick
    ``now`` (a list, like a home feed, shows what stood at the start of the
    tick; removed entries are -1). Returns how many."""
    R = recent.shape[1]
    cand = 0
    for m_i in range(list_ptr[lst], list_ptr[lst + 1]):
        cand += min(R, recent_head[list_members[m_i]])
    tmp = np.empty(cand, np.int64)
    c = 0
    for m_i in range(list_ptr[lst], list_ptr[lst + 1]):
        m = list_members[m_i]
        for j in range(min(R, recent_head[m])):
            tmp[c] = recent[m, (recent_head[m] - 1 - j) % R]
            c += 1
    tmp = np.sort(tmp)[::-1]  # newest ids first
    got = 0
    for j in range(tmp.shape[0]):
        if got == k:
            break
        if tmp[j] >= 0 and time[tmp[j]] < now:
            out[got] = tmp[j]
            got += 1
    return got
