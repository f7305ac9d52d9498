"""Numba kernels of the coordination signals (:mod:`mutuals.metrics.coordination`).

Arrays in, arrays out; no package imports, no random state. Each kernel has a
plain-Python reference twin beside its caller in
:mod:`mutuals.metrics.coordination` (``_reference_*``), and the tests compare
the two on random inputs.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["core_numbers", "window_counts", "window_pairs"]


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
def _segment_pairs(obj, t, actor, window, s, e, u, v, a, b, pos):
    """Pairs of different actors of the segment ``[s, e)`` (one object, sorted by
    time) acting within ``window`` of each other, written from ``pos``; each
    (actor pair) once, with the first pair of actions that joined it. Returns
    the new end of the output."""
    start = pos
    for i in range(s, e):
        j = i + 1
        while j < e and t[j] - t[i] <= window:
            x = actor[i]
            y = actor[j]
            if x != y:
                if x < y:
                    u[pos] = x
                    v[pos] = y
                    a[pos] = i
                    b[pos] = j
                else:
                    u[pos] = y
                    v[pos] = x
                    a[pos] = j
                    b[pos] = i
                pos += 1
            j += 1
    if pos - start > 1:  # each actor pair once per object: its first pair of actions
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
    return pos


@njit(cache=True)
def window_pairs(
    obj: np.ndarray, t: np.ndarray, actor: np.ndarray, window: int, max_actions: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Co-actions: pairs of actors that acted on the same object within ``window``.

    ``obj``, ``t`` and ``actor`` (int64; actors below 2**31) are sorted by
    object, then time. Returns ``(u, v, a, b, skipped)``: one row per
    (object, actor pair ``u < v``) with ``a``, ``b`` the indices of the first
    pair of their actions within the window (``a`` by ``u``, ``b`` by ``v``).
    An object with a window holding more than ``max_actions`` actions (a
    viral moment, not a group) gives no pairs; ``skipped`` counts them.
    """
    n = obj.shape[0]
    # pass 1: size of the output, and the objects too busy to pair
    total = 0
    skipped = 0
    busy = np.zeros(n, dtype=np.bool_)  # busy[s] for the start s of a skipped object
    s = 0
    while s < n:
        e = s + 1
        while e < n and obj[e] == obj[s]:
            e += 1
        count = 0
        worst = 0
        for i in range(s, e):
            j = i + 1
            while j < e and t[j] - t[i] <= window:
                j += 1
            count += j - i - 1
            if j - i > worst:
                worst = j - i
        if worst > max_actions:
            busy[s] = True
            skipped += 1
        else:
            total += count
        s = e
    u = np.empty(total, dtype=np.int64)
    v = np.empty(total, dtype=np.int64)
    a = np.empty(total, dtype=np.int64)
    b = np.empty(total, dtype=np.int64)
    pos = 0
    s = 0
    while s < n:
        e = s + 1
        while e < n and obj[e] == obj[s]:
            e += 1
        if not busy[s]:
            pos = _segment_pairs(obj, t, actor, window, s, e, u, v, a, b, pos)
        s = e
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
