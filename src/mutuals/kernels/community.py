"""Numba kernels for community detection and triangle counting on CSR graphs.

Arrays in, arrays out; no package imports, no random state (node orders are
drawn by the caller and passed in). The reference twins, used by the tests, are
:func:`triangles_per_node` (the plain forward algorithm, kept as the twin of
:func:`triangles_oriented`) and ``tests/helpers/naive.py``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from mutuals.kernels.memory import prefetch, prefetch_range

#: How many entries ahead the latency-bound loops ask for their next random reads.
_AHEAD = 8
#: The same for loops whose only random read is one label per entry.
_AHEAD_FAR = 16
#: How much of the next node's row (entries) the local moving reads ahead.
_ROW_AHEAD = 256

__all__ = [
    "aggregate_communities",
    "internal_weight",
    "louvain_local_moving",
    "orient",
    "orient_ranked",
    "triangles_marked",
    "triangles_oriented",
    "triangles_per_node",
]


@njit(cache=True)
def louvain_local_moving(
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    strength: np.ndarray,
    total_weight: float,
    order: np.ndarray,
    resolution: float,
    labels: np.ndarray,
    tol: float,
    max_sweeps: int,
    unit_weights: bool = False,
    skip_settled: bool = True,
) -> tuple:  # pragma: no cover - jitted
    """One level of Louvain local moving (Blondel et al. 2008), in place on ``labels``.

    The graph is undirected and given as a symmetric CSR (``indptr``, ``indices``,
    ``weights``); a diagonal entry ``A[i, i]`` holds node ``i``'s internal weight
    counted in both directions. ``strength[i]`` is the row sum of ``A`` and
    ``total_weight`` the sum of all entries (2m). Nodes are visited in ``order``;
    each moves to the neighbouring community with the largest gain
    ``w(i, c) - resolution * tot(c) * k_i / 2m`` when that gain is strictly larger
    than staying. Sweeps repeat until a sweep raises modularity by less than
    ``tol`` or ``max_sweeps`` is reached. Returns ``(gain, skipped)``: the total
    modularity gain and the number of visits skipped.

    Nodes that cannot move are skipped, without changing the result: once a
    sweep moves fewer than 1/8 of the nodes, each visit that leaves node ``i``
    where it is records the margin by which staying beat its best other
    community, and the total strength ``S`` moved so far; a later visit is
    skipped while no neighbour of ``i`` has changed community since (a move
    marks its node's neighbours) and the margin exceeds ``2 * resolution * k_i
    * (S_now - S_then) / 2m`` (no community's ``tot`` can have changed by more
    than ``S_now - S_then``, nor any gain by more than half that bound), with
    room for rounding. A skipped node would have stayed; its ``tot`` is still
    taken out and put back, as a visit does, so every number is the one the
    full sweep computes (the pruning of Ozaki, Tezuka & Inaba 2016, made exact by
    the bound). ``skip_settled=False`` visits every node on every sweep (the
    tests compare the two).

    ``unit_weights`` says every entry is 1 (a 0/1 adjacency): ``weights`` is then
    not read, which spares a sweep reading 8 bytes per entry; the sums are the
    same numbers (whole numbers are exact in float64). ``labels`` may be int32 or
    int64 (int32 halves the array read at random for each entry).
    """
    n = strength.shape[0]
    # tw[2c] = tot(c), the strength of community c; tw[2c + 1] = the weight from the
    # node being visited to c, -1 when c is not among its neighbours' communities.
    # Side by side, the two numbers read for each neighbour's community share a
    # cache line (the local moving is bound by these random reads); the -1 marks
    # are reset after each visit, from the list of communities it saw.
    tw = np.empty(2 * n, dtype=np.float64)
    for c in range(n):
        tw[2 * c] = 0.0
        tw[2 * c + 1] = -1.0
    for i in range(n):
        tw[2 * labels[i]] += strength[i]
    neigh = np.empty_like(labels)
    # pruning (see above): dirty[i] = 1 unless i's neighbours kept their communities
    # since its last visit, which left i where it was by margin[i], with moved = stamp[i]
    dirty = np.ones(n, np.uint8)
    margin = np.zeros(n, np.float64)
    stamp = np.zeros(n, np.float64)
    moved = 0.0
    prune = False
    last_moves = n
    skipped = 0
    gained = 0.0
    for _ in range(max_sweeps):
        if skip_settled and not prune and 8 * last_moves < n:
            prune = True  # from this sweep on; every node is visited once first
        sweep_gain = 0.0
        moves = 0
        for idx in range(n):
            i = order[idx]
            # read ahead (see kernels/memory.py): the next nodes' row bounds, label
            # and strength, the next node's row; within the row, the label of the
            # neighbour 2 * _AHEAD on and the community entry of the one _AHEAD on
            if idx + 2 < n:
                i2 = order[idx + 2]
                prefetch(indptr, i2)
                prefetch(labels, i2)
                prefetch(strength, i2)
            if idx + 1 < n:
                i1 = order[idx + 1]
                prefetch_range(indices, indptr[i1], min(indptr[i1 + 1], indptr[i1] + _ROW_AHEAD))
            ci = labels[i]
            ki = strength[i]
            if prune and dirty[i] == 0:
                drift = (moved - stamp[i]) * (1.0 + 1e-9) + 1e-9 * moved
                bound = (
                    2.0 * resolution * ki * drift / total_weight + 1e-5 * (1.0 + resolution) * ki
                )
                if margin[i] > bound:
                    tw[2 * ci] -= ki  # what the visit does to tot(ci) when i stays
                    tw[2 * ci] += ki
                    skipped += 1
                    continue
            nn = 0
            a0, a1 = indptr[i], indptr[i + 1]
            for p in range(a0, a1):
                if p + 2 * _AHEAD < a1:
                    prefetch(labels, indices[p + 2 * _AHEAD])
                if p + _AHEAD < a1:
                    prefetch(tw, 2 * labels[indices[p + _AHEAD]])
                j = indices[p]
                if j == i:
                    continue
                c = labels[j]
                w = tw[2 * c + 1]
                if w < 0.0:
                    w = 0.0
                    neigh[nn] = c
                    nn += 1
                tw[2 * c + 1] = w + (1.0 if unit_weights else weights[p])
            tw[2 * ci] -= ki
            w_ci = tw[2 * ci + 1] if tw[2 * ci + 1] >= 0.0 else 0.0
            best = ci
            best_gain = w_ci - resolution * tw[2 * ci] * ki / total_weight
            other = -np.inf  # the best gain of a community other than ci
            for q in range(nn):
                c = neigh[q]
                g = tw[2 * c + 1] - resolution * tw[2 * c] * ki / total_weight
                if c != ci and g > other:
                    other = g
                if g > best_gain:
                    best_gain = g
                    best = c
            for q in range(nn):
                tw[2 * neigh[q] + 1] = -1.0
            tw[2 * best] += ki
            if best != ci:
                labels[i] = best
                moves += 1
                moved += ki
                stay = w_ci - resolution * tw[2 * ci] * ki / total_weight
                sweep_gain += 2.0 * (best_gain - stay)
                if prune:
                    dirty[i] = 1
                    for p in range(a0, a1):
                        dirty[indices[p]] = 1
            elif prune:
                dirty[i] = 0
                margin[i] = best_gain - other
                stamp[i] = moved
        sweep_gain /= total_weight
        gained += sweep_gain
        last_moves = moves
        if moves == 0 or sweep_gain < tol:
            break
    return gained, skipped


@njit(cache=True)
def aggregate_communities(
    indptr: np.ndarray, indices: np.ndarray, weights: np.ndarray, labels: np.ndarray, k: int
) -> tuple:  # pragma: no cover - jitted
    """The graph between communities (Louvain's aggregation step), as a CSR with sorted rows.

    ``labels`` numbers the communities ``0..k-1``; entry ``(a, b)`` is the sum
    of ``A[i, j]`` over ``labels[i] = a``, ``labels[j] = b`` (so ``(a, a)``
    holds the internal weight counted in both directions). Each community's row
    adds its members' rows in node order and each row's entries in order
    (serial: the sums do not depend on threads). Returns ``(indptr, indices,
    weights)``.
    """
    n = labels.shape[0]
    cptr = np.zeros(k + 1, np.int64)
    for i in range(n):
        cptr[labels[i] + 1] += 1
    for a in range(k):
        cptr[a + 1] += cptr[a]
    fill = cptr[:k].copy()
    members = np.empty(n, np.int64)
    for i in range(n):
        members[fill[labels[i]]] = i
        fill[labels[i]] += 1
    acc = np.zeros(k, np.float64)
    stamp = np.full(k, -1, np.int64)
    neigh = np.empty(k, np.int64)
    out_ptr = np.zeros(k + 1, np.int64)
    # one pass; the output grows by doubling (rows are not known in advance)
    cap = max(16, 2 * k)
    out_idx = np.empty(cap, np.int64)
    out_w = np.empty(cap, np.float64)
    q = 0
    for a in range(k):
        nn = 0
        for t in range(cptr[a], cptr[a + 1]):
            i = members[t]
            if t + 1 < n:  # read ahead (kernels/memory.py): the next member's row
                i1 = members[t + 1]
                prefetch_range(indices, indptr[i1], min(indptr[i1 + 1], indptr[i1] + _ROW_AHEAD))
            a1 = indptr[i + 1]
            for p in range(indptr[i], a1):
                if p + _AHEAD_FAR < a1:
                    prefetch(labels, indices[p + _AHEAD_FAR])
                b = labels[indices[p]]
                if stamp[b] != a:
                    stamp[b] = a
                    acc[b] = 0.0
                    neigh[nn] = b
                    nn += 1
                acc[b] += weights[p]
        if q + nn > cap:
            while q + nn > cap:
                cap *= 2
            grown_idx = np.empty(cap, np.int64)
            grown_idx[:q] = out_idx[:q]
            out_idx = grown_idx
            grown_w = np.empty(cap, np.float64)
            grown_w[:q] = out_w[:q]
            out_w = grown_w
        row = np.sort(neigh[:nn])
        for t in range(nn):
            out_idx[q] = row[t]
            out_w[q] = acc[row[t]]
            q += 1
        out_ptr[a + 1] = q
    out_idx = out_idx[:q].copy()
    out_w = out_w[:q].copy()
    return out_ptr, out_idx, out_w


@njit(cache=True)
def internal_weight(
    indptr: np.ndarray, indices: np.ndarray, weights: np.ndarray, labels: np.ndarray, k: int
) -> np.ndarray:  # pragma: no cover - jitted
    """Sum of ``A[i, j]`` over entries inside each community (``labels[i] == labels[j]``),
    added in CSR order."""
    out = np.zeros(k, np.float64)
    n = indptr.shape[0] - 1
    m = indices.shape[0]
    for i in range(n):
        c = labels[i]
        for p in range(indptr[i], indptr[i + 1]):
            if p + _AHEAD_FAR < m:  # read ahead (kernels/memory.py)
                prefetch(labels, indices[p + _AHEAD_FAR])
            if labels[indices[p]] == c:
                out[c] += weights[p]
    return out


@njit(cache=True)
def triangles_per_node(indptr: np.ndarray, indices: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Number of triangles through each node of a simple undirected graph.

    ``indptr``/``indices`` is a symmetric CSR without self-loops; ``rank`` is a
    total order of the nodes (e.g. by degree). Each triangle is found once, from
    its lowest-ranked node, by walking edges oriented from lower to higher rank
    (the "forward" algorithm; Schank & Wagner 2005), and credited to its three
    nodes.
    """
    n = indptr.shape[0] - 1
    tri = np.zeros(n, dtype=np.int64)
    mark = np.full(n, -1, dtype=np.int64)
    for u in range(n):
        ru = rank[u]
        for p in range(indptr[u], indptr[u + 1]):
            v = indices[p]
            if rank[v] > ru:
                mark[v] = u
        for p in range(indptr[u], indptr[u + 1]):
            v = indices[p]
            rv = rank[v]
            if rv <= ru:
                continue
            for q in range(indptr[v], indptr[v + 1]):
                w = indices[q]
                if rank[w] > rv and mark[w] == u:
                    tri[u] += 1
                    tri[v] += 1
                    tri[w] += 1
    return tri


@njit(cache=True)
def orient(indptr: np.ndarray, indices: np.ndarray, rank: np.ndarray) -> tuple:  # pragma: no cover
    """The edges of a symmetric CSR that point to a higher-ranked node, as a CSR
    ``(out_ptr, out_idx)`` with each out-list in the input's (ascending) order."""
    n = indptr.shape[0] - 1
    out_ptr = np.zeros(n + 1, np.int64)
    for u in range(n):
        c = 0
        for p in range(indptr[u], indptr[u + 1]):
            if rank[indices[p]] > rank[u]:
                c += 1
        out_ptr[u + 1] = out_ptr[u] + c
    out_idx = np.empty(out_ptr[n], np.int64)
    for u in range(n):
        q = out_ptr[u]
        for p in range(indptr[u], indptr[u + 1]):
            v = indices[p]
            if rank[v] > rank[u]:
                out_idx[q] = v
                q += 1
    return out_ptr, out_idx


@njit(cache=True, parallel=True)
def triangles_oriented(out_ptr: np.ndarray, out_idx: np.ndarray) -> tuple:  # pragma: no cover
    """Triangles of an oriented graph (each out-list sorted ascending).

    Every triangle ``u < v < w`` in rank order is found once, from ``u``, as a
    ``w`` in both ``out(u)`` and ``out(v)`` for ``v`` in ``out(u)``: a merge of
    two sorted lists, so the work is ``sum over edges of out-degrees``, which
    ordering by degree keeps at ``O(m^1.5)`` (Schank & Wagner 2005; Latapy
    2008). Nodes run in parallel (``prange``); each iteration writes only its
    own node's count and the counts of its own out-edges (as middle and top
    corner of the triangles it finds), so the result is the same at any
    thread count. Returns ``(as_lowest per node, per out-edge count as the
    middle corner's edge, per out-edge count as the top corner's edge)``.
    """
    n = out_ptr.shape[0] - 1
    low = np.zeros(n, np.int64)
    mid = np.zeros(out_idx.shape[0], np.int64)
    top = np.zeros(out_idx.shape[0], np.int64)
    for u in prange(n):
        a0, a1 = out_ptr[u], out_ptr[u + 1]
        if a1 - a0 < 2:
            continue
        t = 0
        for p in range(a0, a1):
            v = out_idx[p]
            i, j = a0, out_ptr[v]
            j1 = out_ptr[v + 1]
            c = 0
            while i < a1 and j < j1:
                x, y = out_idx[i], out_idx[j]
                if x < y:
                    i += 1
                elif y < x:
                    j += 1
                else:
                    top[i] += 1  # the edge u -> w: w is the triangle's top corner
                    c += 1
                    i += 1
                    j += 1
            mid[p] += c  # the edge u -> v: v is the middle corner of c triangles
            t += c
        low[u] = t
    return low, mid, top


@njit(cache=True, parallel=True)
def orient_ranked(
    indptr: np.ndarray, indices: np.ndarray, rank: np.ndarray
) -> tuple:  # pragma: no cover
    """The graph of :func:`orient` renumbered by rank: node ``r`` is the node of
    rank ``r`` and its out-list the ranks of its higher-ranked neighbours, in the
    input's order (``(out_ptr, out_idx)``, int64 and int32). Renumbering puts the nodes
    most often looked up (the high-degree ones) next to each other. ``rank`` is a
    permutation, so each node writes only its own count and row: in parallel, the
    same at any thread count."""
    n = indptr.shape[0] - 1
    out_ptr = np.zeros(n + 1, np.int64)
    for u in prange(n):  # each node writes its own count and, below, its own row
        ru = rank[u]
        c = 0
        for p in range(indptr[u], indptr[u + 1]):
            if rank[indices[p]] > ru:
                c += 1
        out_ptr[ru + 1] = c
    for r in range(n):
        out_ptr[r + 1] += out_ptr[r]
    out_idx = np.empty(out_ptr[n], np.int32)
    for u in prange(n):
        ru = rank[u]
        q = out_ptr[ru]
        for p in range(indptr[u], indptr[u + 1]):
            rv = rank[indices[p]]
            if rv > ru:
                out_idx[q] = rv
                q += 1
    return out_ptr, out_idx


@njit(cache=True, parallel=True)
def triangles_marked(
    out_ptr: np.ndarray, out_idx: np.ndarray, n_chunks: int
) -> tuple:  # pragma: no cover
    """The counts of :func:`triangles_oriented` found by marking instead of merging.

    For each node ``u`` its out-neighbours are marked with their position in
    ``out(u)``; each ``w`` of ``out(v)``, ``v`` in ``out(u)``, that is marked
    closes a triangle. The work is the sum over edges ``u -> v`` of
    ``|out(v)|`` (no term for ``|out(u)|``, no branchy merge) and out-lists
    need not be sorted. Nodes are split into ``n_chunks`` contiguous blocks run
    in parallel, each with its own marks; every node writes only its own count
    and the counts of its own out-edges, so the result is the same at any
    thread or chunk count. Returns ``(as_lowest per node, per out-edge count as
    the middle corner's edge, per out-edge count as the top corner's edge)``.
    """
    n = out_ptr.shape[0] - 1
    low = np.zeros(n, np.int64)
    mid = np.zeros(out_idx.shape[0], np.int32)  # per-edge counts: below the largest degree
    top = np.zeros(out_idx.shape[0], np.int32)
    n_chunks = max(1, n_chunks)
    step = (n + n_chunks - 1) // n_chunks
    for ch in prange(n_chunks):
        # mark[w] is 1 while w is in out(u), the node being processed, and where[w] is
        # then w's position in out(u). The test is on the byte marks (n bytes: they
        # stay in cache, where a test on positions read 8n bytes at random); the
        # positions are read only for the few wedges that close.
        mark = np.zeros(n, np.uint8)
        where = np.empty(n, np.int64)
        for u in range(ch * step, min(n, (ch + 1) * step)):
            a0, a1 = out_ptr[u], out_ptr[u + 1]
            if a1 - a0 < 2:
                continue
            for p in range(a0, a1):
                mark[out_idx[p]] = 1
                where[out_idx[p]] = p
            for p in range(a0, min(a1, a0 + _AHEAD)):
                prefetch(out_ptr, out_idx[p])
            t = 0
            for p in range(a0, a1):
                # read ahead: the row bounds of the edge _AHEAD on, the row of the next
                # edge (the rows are where the time goes: each starts at an address
                # the hardware cannot predict)
                if p + _AHEAD < a1:
                    prefetch(out_ptr, out_idx[p + _AHEAD])
                if p + 1 < a1:
                    v1 = out_idx[p + 1]
                    prefetch_range(out_idx, out_ptr[v1], out_ptr[v1 + 1])
                v = out_idx[p]
                c = 0
                for q in range(out_ptr[v], out_ptr[v + 1]):
                    w = out_idx[q]
                    if mark[w]:
                        top[where[w]] += 1
                        c += 1
                mid[p] += c
                t += c
            low[u] = t
            for p in range(a0, a1):
                mark[out_idx[p]] = 0
    return low, mid, top
