"""Numba kernels of the coordination signals (:mod:`mutuals.metrics.coordination`).

Arrays in, arrays out; no package imports, no random state. Each kernel has a
plain-Python reference twin beside its caller in
:mod:`mutuals.metrics.coordination` (``_reference_*``), and the tests compare
the two on random inputs.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["core_numbers", "pair_sketch", "window_counts", "window_pairs"]


@njit(cache=True)
def window_counts(group: np.ndarray, t: np.ndarray, before: int, after: int) -> np.ndarray:
    """For each event ``i``, the events ``j`` of the same group (``i`` included)
    with ``t[i] - before <= t[j] <= t[i] + after``.

    ``group`` and ``t`` (int64) are sorted by group, then time.
    """
    n = group.shape[0]
    out = np.zeros(n, dtype=np.int64)
    lo = 0
    hi = 0
    for i in range(n):
        g = group[i]
        if lo > i:
            lo = i
        while group[lo] != g or t[lo] < t[i] - before:
            lo += 1
        if hi < i:
            hi = i
        while hi + 1 < n and group[hi + 1] == g and t[hi + 1] <= t[i] + after:
            hi += 1
        out[i] = hi - lo + 1
    return out


@njit(cache=True)
def _slots(x: np.int64, y: np.int64, mask: np.uint64) -> tuple[np.int64, np.int64]:
    """Two counter slots of the actor pair ``(x, y)`` in a sketch of ``mask + 1``
    bytes, both in one 64-byte block (one cache miss per pair: a blocked
    count-min sketch)."""
    key = np.uint64((x << 31) | y)
    h1 = (key * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(20)
    h2 = ((key ^ np.uint64(0xC2B2AE3D27D4EB4F)) * np.uint64(0xFF51AFD7ED558CCD)) >> np.uint64(40)
    i1 = h1 & mask
    i2 = (i1 & ~np.uint64(63)) | (h2 & np.uint64(63))
    if i2 == i1:
        i2 = i1 ^ np.uint64(1)
    return np.int64(i1), np.int64(i2)


@njit(cache=True)
def _busy_objects(obj, t, window, max_actions):
    """``busy[s]`` for the first action ``s`` of each object with a window
    holding more than ``max_actions`` actions; and how many there are."""
    n = obj.shape[0]
    busy = np.zeros(n, dtype=np.bool_)
    skipped = 0
    s = 0
    while s < n:
        e = s + 1
        while e < n and obj[e] == obj[s]:
            e += 1
        j = s
        for i in range(s, e):
            if j < i:
                j = i
            while j + 1 < e and t[j + 1] - t[i] <= window:
                j += 1
            if j - i + 1 > max_actions:
                busy[s] = True
                skipped += 1
                break
        s = e
    return busy, skipped


@njit(cache=True)
def pair_sketch(
    obj: np.ndarray,
    t: np.ndarray,
    actor: np.ndarray,
    window: int,
    max_actions: int,
    sketch: np.ndarray,
) -> int:
    """Count every co-action into a count-min sketch (in place) and return how
    many objects were too busy to pair (see :func:`window_pairs`).

    ``sketch`` is ``uint8[2**bits]`` (``bits >= 7``), saturating at 255: two
    hashed counts per actor pair, each at least the pair's true number of
    co-actions, so a pair whose smaller count is below a threshold is surely
    below it (Cormode & Muthukrishnan 2005, "An improved data stream summary:
    the count-min sketch"; both counts in one cache line). Several kinds of
    co-action can be counted into one sketch.
    """
    mask = np.uint64(sketch.shape[0] - 1)
    busy, skipped = _busy_objects(obj, t, window, max_actions)
    n = obj.shape[0]
    s = 0
    while s < n:
        e = s + 1
        while e < n and obj[e] == obj[s]:
            e += 1
        if not busy[s]:
            for i in range(s, e):
                j = i + 1
                while j < e and t[j] - t[i] <= window:
                    x = actor[i]
                    y = actor[j]
                    if x != y:
                        if x > y:
                            x, y = y, x
                        i1, i2 = _slots(x, y, mask)
                        if sketch[i1] < 255:
                            sketch[i1] += 1
                        if sketch[i2] < 255:
                            sketch[i2] += 1
                    j += 1
        s = e
    return skipped


@njit(cache=True)
def _candidate(x, y, sketch, mask, threshold):
    if threshold <= 1:
        return True
    i1, i2 = _slots(x, y, mask)
    return min(sketch[i1], sketch[i2]) >= threshold


@njit(cache=True)
def _count_candidates(obj, t, actor, window, busy, sketch, mask, threshold):
    n = obj.shape[0]
    total = 0
    s = 0
    while s < n:
        e = s + 1
        while e < n and obj[e] == obj[s]:
            e += 1
        if not busy[s]:
            for i in range(s, e):
                j = i + 1
                while j < e and t[j] - t[i] <= window:
                    x = actor[i]
                    y = actor[j]
                    if x != y:
                        if x > y:
                            x, y = y, x
                        if _candidate(x, y, sketch, mask, threshold):
                            total += 1
                    j += 1
        s = e
    return total


@njit(cache=True)
def _fill_candidates(obj, t, actor, window, busy, sketch, mask, threshold, u, v, a, b):
    n = obj.shape[0]
    top = 0
    for i in range(n):
        if actor[i] > top:
            top = actor[i]
    stamp = np.full(top + 1, -1, dtype=np.int64)  # the last object each actor was seen on
    pos = 0
    s = 0
    while s < n:
        e = s + 1
        while e < n and obj[e] == obj[s]:
            e += 1
        if busy[s]:
            s = e
            continue
        start = pos
        repeats = False  # an actor acting twice on the object: pairs may repeat
        for i in range(s, e):
            if stamp[actor[i]] == s:
                repeats = True
            stamp[actor[i]] = s
        for i in range(s, e):
            j = i + 1
            while j < e and t[j] - t[i] <= window:
                x = actor[i]
                y = actor[j]
                if x != y:
                    if x < y:
                        if _candidate(x, y, sketch, mask, threshold):
                            u[pos] = x
                            v[pos] = y
                            a[pos] = i
                            b[pos] = j
                            pos += 1
                    elif _candidate(y, x, sketch, mask, threshold):
                        u[pos] = y
                        v[pos] = x
                        a[pos] = j
                        b[pos] = i
                        pos += 1
                j += 1
        if repeats and pos - start > 1:  # each pair once per object: its first pair of actions
            m = pos - start
            key = np.empty(m, dtype=np.int64)
            for k in range(m):
                key[k] = (u[start + k] << 31) | v[start + k]
            order = np.argsort(key, kind="mergesort")  # stable: earliest action pair first
            uu = u[start:pos].copy()
            vv = v[start:pos].copy()
            aa = a[start:pos].copy()
            bb = b[start:pos].copy()
            w = start
            last = np.int64(-1)
            for k in range(m):
                o = order[k]
                if key[o] != last:
                    u[w] = uu[o]
                    v[w] = vv[o]
                    a[w] = aa[o]
                    b[w] = bb[o]
                    w += 1
                    last = key[o]
            pos = w
        s = e
    return pos


@njit(cache=True)
def window_pairs(
    obj: np.ndarray,
    t: np.ndarray,
    actor: np.ndarray,
    window: int,
    max_actions: int,
    sketch: np.ndarray,
    threshold: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Co-actions: pairs of actors that acted on the same object within ``window``.

    ``obj``, ``t`` and ``actor`` (int64; actors below 2**31) are sorted by
    object, then time. Returns ``(u, v, a, b, skipped)``: one row per
    (object, actor pair ``u < v``) with ``a``, ``b`` the indices of the first
    pair of their actions within the window (``a`` by ``u``, ``b`` by ``v``).
    An object with a window holding more than ``max_actions`` actions (a
    viral moment, not a group) gives no pairs; ``skipped`` counts them.
    With ``threshold > 1``, only pairs whose count in ``sketch`` (filled by
    :func:`pair_sketch` over every kind) reaches it are returned: every pair
    with at least ``threshold`` co-actions is, and a few below it may be.
    """
    mask = np.uint64(sketch.shape[0] - 1)
    busy, skipped = _busy_objects(obj, t, window, max_actions)
    total = _count_candidates(obj, t, actor, window, busy, sketch, mask, threshold)
    u = np.empty(total, dtype=np.int64)
    v = np.empty(total, dtype=np.int64)
    a = np.empty(total, dtype=np.int64)
    b = np.empty(total, dtype=np.int64)
    pos = _fill_candidates(obj, t, actor, window, busy, sketch, mask, threshold, u, v, a, b)
    return u[:pos], v[:pos], a[:pos], b[:pos], skipped


@njit(cache=True)
def core_numbers(indptr: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Core number of every node of a simple undirected graph in CSR form.

    The bucket algorithm of Batagelj & Zaversnik (2003, "An O(m) algorithm for
    cores decomposition of networks"): peel nodes in order of current degree;
    a node's core number is its degree when it is peeled.
    """
    n = indptr.shape[0] - 1
    deg = np.empty(n, dtype=np.int64)
    md = 0
    for i in range(n):
        deg[i] = indptr[i + 1] - indptr[i]
        if deg[i] > md:
            md = deg[i]
    bin_ = np.zeros(md + 2, dtype=np.int64)
    for i in range(n):
        bin_[deg[i]] += 1
    start = 0
    for d in range(md + 1):
        num = bin_[d]
        bin_[d] = start
        start += num
    pos = np.empty(n, dtype=np.int64)
    vert = np.empty(n, dtype=np.int64)
    for i in range(n):
        pos[i] = bin_[deg[i]]
        vert[pos[i]] = i
        bin_[deg[i]] += 1
    for d in range(md, 0, -1):
        bin_[d] = bin_[d - 1]
    bin_[0] = 0
    for k in range(n):
        x = vert[k]
        for p in range(indptr[x], indptr[x + 1]):
            y = indices[p]
            if deg[y] > deg[x]:
                dy = deg[y]
                py = pos[y]
                pw = bin_[dy]
                w = vert[pw]
                if y != w:
                    pos[y] = pw
                    vert[py] = w
                    pos[w] = py
                    vert[pw] = y
                bin_[dy] += 1
                deg[y] -= 1
    return deg
