"""Numba kernels for a follow graph that changes during a run.

Each direction (friends of a follower, followers of a friend) is a *gapped CSR*:
row ``i`` occupies ``nbr[start[i] : start[i] + length[i]]`` inside a slot of
``cap[i]`` entries. Appending to a row with spare capacity is O(1); a full row
is moved to the end of the arena with twice the capacity (amortised O(1), like
a growable vector). Removing swaps the last entry into the hole. Rows are not
sorted. Arrays in, arrays out; no randomness here.

The kernels of a graph read from data (:mod:`mutuals.metrics.graph`) work on a
plain CSR with sorted rows instead: :func:`edge_rows` (distinct edges by a
counting sort and a sort of each row), :func:`transpose_sorted`,
:func:`mutual_counts` (reciprocated edges) and :func:`union_rows` (the
undirected projection). Their twins are in ``tests/unit/test_graph_kernels.py``.
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = [
    "edge_rows",
    "ei_edge_counts",
    "exposure_sums",
    "find_in_row",
    "follow_edges",
    "gapped_from_rows",
    "gapped_to_coo",
    "group_by_row",
    "group_pair_sums",
    "is_sorted_unique",
    "mutual_counts",
    "neighbour_sums",
    "remove_edges",
    "sort_dedupe_rows",
    "transpose_rows",
    "transpose_sorted",
    "union_rows",
]


@nb.njit(cache=True)
def find_in_row(start, length, nbr, i, j):  # pragma: no cover - jitted
    """Position of ``j`` in row ``i`` (absolute index into ``nbr``), or -1."""
    s = start[i]
    for k in range(s, s + length[i]):
        if nbr[k] == j:
            return k
    return -1


@nb.njit(cache=True)
def has_edges(start, length, nbr, rows, vals, out):  # pragma: no cover - jitted
    """``out[k]`` = whether ``vals[k]`` is in row ``rows[k]``."""
    for k in range(rows.shape[0]):
        out[k] = find_in_row(start, length, nbr, rows[k], vals[k]) >= 0


@nb.njit(cache=True)
def remove_edges(start, length, nbr, rows, vals):  # pragma: no cover - jitted
    """Remove ``vals[k]`` from row ``rows[k]`` (swap with the row's last entry).

    Returns a boolean array: True where the entry was present and removed.
    """
    out = np.zeros(rows.shape[0], np.bool_)
    for k in range(rows.shape[0]):
        i = rows[k]
        p = find_in_row(start, length, nbr, i, vals[k])
        if p >= 0:
            last = start[i] + length[i] - 1
            nbr[p] = nbr[last]
            nbr[last] = -1
            length[i] -= 1
            out[k] = True
    return out


@nb.njit(cache=True)
def _room(length, cap, used, arena, i):  # pragma: no cover - jitted
    if length[i] < cap[i]:
        return 0
    need = 2 * cap[i] + 4
    return need if used + need <= arena else -1


@nb.njit(cache=True)
def _push(start, length, cap, nbr, used, i, v):  # pragma: no cover - jitted
    if length[i] == cap[i]:
        newcap = 2 * cap[i] + 4
        s = start[i]
        for t in range(length[i]):
            nbr[used + t] = nbr[s + t]
            nbr[s + t] = -1
        start[i] = used
        cap[i] = newcap
        used += newcap
    nbr[start[i] + length[i]] = v
    length[i] += 1
    return used


@nb.njit(cache=True)
def follow_edges(
    o_start,
    o_len,
    o_cap,
    o_nbr,
    o_used,
    i_start,
    i_len,
    i_cap,
    i_nbr,
    i_used,
    src,
    dst,
    applied,
    first,
):  # pragma: no cover - jitted
    """Apply follows ``src[k] -> dst[k]`` in order from ``first``.

    A follow that already exists, or a self-follow, is not applied
    (``applied[k] = False``). Returns ``(next_k, o_used, i_used)``; ``next_k <
    len(src)`` means an arena is full: grow it and call again from ``next_k``.
    """
    for k in range(first, src.shape[0]):
        u = src[k]
        v = dst[k]
        if u == v or find_in_row(o_start, o_len, o_nbr, u, v) >= 0:
            applied[k] = False
            continue
        if _room(o_len, o_cap, o_used, o_nbr.shape[0], u) < 0:
            return k, o_used, i_used
        if _room(i_len, i_cap, i_used, i_nbr.shape[0], v) < 0:
            return k, o_used, i_used
        o_used = _push(o_start, o_len, o_cap, o_nbr, o_used, u, v)
        i_used = _push(i_start, i_len, i_cap, i_nbr, i_used, v, u)
        applied[k] = True
    return src.shape[0], o_used, i_used


@nb.njit(cache=True)
def gapped_to_coo(start, length, n):  # pragma: no cover - jitted
    """Row index and absolute position of every live entry, row by row."""
    total = 0
    for i in range(n):
        total += length[i]
    rows = np.empty(total, np.int32)
    pos = np.empty(total, np.int64)
    t = 0
    for i in range(n):
        for k in range(length[i]):
            rows[t] = i
            pos[t] = start[i] + k
            t += 1
    return rows, pos


@nb.njit(cache=True)
def group_by_row(src, dst, n):  # pragma: no cover - jitted
    """Counting sort of edges by ``src``: CSR ``(indptr, nbr)``, rows unsorted."""
    indptr = np.zeros(n + 1, np.int64)
    for e in range(src.shape[0]):
        indptr[src[e] + 1] += 1
    for i in range(n):
        indptr[i + 1] += indptr[i]
    fill = indptr[:n].copy()
    nbr = np.empty(src.shape[0], np.int32)
    for e in range(src.shape[0]):
        s = src[e]
        nbr[fill[s]] = dst[e]
        fill[s] += 1
    return indptr, nbr


@nb.njit(cache=True, parallel=True)
def sort_dedupe_rows(indptr, nbr):  # pragma: no cover - jitted
    """Sort each row, drop duplicates and self-loops in place.

    Returns ``(length, self_loops, duplicates)``: the kept entries of row ``i``
    are ``nbr[indptr[i] : indptr[i] + length[i]]``. Rows are independent, so
    the result does not depend on the number of threads.
    """
    n = indptr.shape[0] - 1
    length = np.zeros(n, np.int32)
    loops = np.zeros(n, np.int64)
    dups = np.zeros(n, np.int64)
    for i in nb.prange(n):
        a, b = indptr[i], indptr[i + 1]
        if b == a:
            continue
        row = np.sort(nbr[a:b])
        k = 0
        for t in range(row.shape[0]):
            v = row[t]
            if v == i:
                loops[i] += 1
            elif k > 0 and nbr[a + k - 1] == v:
                dups[i] += 1
            else:
                nbr[a + k] = v
                k += 1
        length[i] = k
    return length, loops.sum(), dups.sum()


@nb.njit(cache=True)
def transpose_rows(indptr, length, nbr, n):  # pragma: no cover - jitted
    """The reverse direction of a CSR with row lengths: ``(indptr, nbr)`` by column."""
    tptr = np.zeros(n + 1, np.int64)
    for i in range(n):
        for t in range(indptr[i], indptr[i] + length[i]):
            tptr[nbr[t] + 1] += 1
    for j in range(n):
        tptr[j + 1] += tptr[j]
    fill = tptr[:n].copy()
    tnbr = np.empty(tptr[n], np.int32)
    for i in range(n):
        for t in range(indptr[i], indptr[i] + length[i]):
            j = nbr[t]
            tnbr[fill[j]] = i
            fill[j] += 1
    return tptr, tnbr


@nb.njit(cache=True)
def gapped_from_rows(indptr, length, nbr, slack_num, slack_min):  # pragma: no cover - jitted
    """Copy rows into a gapped CSR with spare capacity (capacity ``length + max(slack_min, length * slack_num // 16)``)."""
    n = length.shape[0]
    cap = np.empty(n, np.int64)
    start = np.empty(n, np.int64)
    pos = 0
    for i in range(n):
        extra = (length[i] * slack_num) // 16
        if extra < slack_min:
            extra = slack_min
        cap[i] = length[i] + extra
        start[i] = pos
        pos += cap[i]
    out = np.full(pos + pos // 8 + 64, -1, np.int32)
    for i in range(n):
        s = indptr[i]
        d = start[i]
        for t in range(length[i]):
            out[d + t] = nbr[s + t]
    return start, length.copy(), cap, out, pos


# ----------------------------------------------------------------------------- static graphs


@nb.njit(cache=True, parallel=True)
def edge_rows(src, dst, n):  # pragma: no cover - jitted
    """Distinct edges ``src[k] -> dst[k]`` as a CSR with sorted rows.

    Pairs with a negative endpoint (a null id) and self-loops are left out;
    repeated pairs are kept once. A counting sort groups the edges by source
    (serial, in input order), each row is then sorted and deduplicated on its
    own (``prange``) and the rows are packed (serial), so the result does not
    depend on the number of threads. The rows read in order are the sorted
    distinct keys ``src * n + dst``. Returns ``(indptr, idx, n_null, n_loops,
    n_duplicates)`` with int64 ``indptr`` and ``idx``.
    """
    m = src.shape[0]
    indptr = np.zeros(n + 1, np.int64)
    n_null = 0
    n_loops = 0
    for e in range(m):
        u = src[e]
        v = dst[e]
        if u < 0 or v < 0:
            n_null += 1
        elif u == v:
            n_loops += 1
        else:
            indptr[u + 1] += 1
    for i in range(n):
        indptr[i + 1] += indptr[i]
    fill = indptr[:n].copy()
    idx = np.empty(indptr[n], np.int64)
    for e in range(m):
        u = src[e]
        v = dst[e]
        if u >= 0 and v >= 0 and u != v:
            idx[fill[u]] = v
            fill[u] += 1
    length = np.zeros(n, np.int64)
    for i in nb.prange(n):
        a, b = indptr[i], indptr[i + 1]
        if b == a:
            continue
        idx[a:b].sort()
        k = a + 1
        for t in range(a + 1, b):
            if idx[t] != idx[k - 1]:
                idx[k] = idx[t]
                k += 1
        length[i] = k - a
    out_ptr = np.zeros(n + 1, np.int64)
    pos = 0
    for i in range(n):  # pack left in place: a row never moves right
        a = indptr[i]
        for t in range(length[i]):
            idx[pos + t] = idx[a + t]
        pos += length[i]
        out_ptr[i + 1] = pos
    n_dups = indptr[n] - pos
    return out_ptr, idx[:pos], n_null, n_loops, n_dups


@nb.njit(cache=True)
def is_sorted_unique(rows, cols):  # pragma: no cover - jitted
    """Whether the pairs ``(rows[k], cols[k])`` are strictly increasing (row, then column)."""
    for k in range(1, rows.shape[0]):
        if rows[k] < rows[k - 1] or (rows[k] == rows[k - 1] and cols[k] <= cols[k - 1]):
            return False
    return True


@nb.njit(cache=True, parallel=True)
def transpose_sorted(indptr, idx, n):  # pragma: no cover - jitted
    """The transpose of a CSR, ``(tptr, tidx)``: rows sorted ascending (int32 entries).

    The rows are cut into a fixed number of contiguous blocks (not one per
    thread); each block counts its entries per column, so it knows where its
    entries of each column start, and then writes its rows in order, blocks in
    parallel. Each column's list comes out sorted, the same at any thread count.
    """
    m = indptr.shape[0] - 1
    n_blocks = 8 if m >= 8 * 4096 else 1
    step = (m + n_blocks - 1) // n_blocks
    counts = np.zeros((n_blocks, n + 1), np.int64)
    for b in nb.prange(n_blocks):
        for p in range(indptr[min(m, b * step)], indptr[min(m, (b + 1) * step)]):
            counts[b, idx[p] + 1] += 1
    tptr = np.zeros(n + 1, np.int64)
    for j in range(n):
        tptr[j + 1] = tptr[j]
        for b in range(n_blocks):
            tptr[j + 1] += counts[b, j + 1]
    # counts[b, j] becomes where block b's entries of column j start
    for j in range(n):
        at = tptr[j]
        for b in range(n_blocks):
            c = counts[b, j + 1]
            counts[b, j] = at
            at += c
    tidx = np.empty(idx.shape[0], np.int32)
    for b in nb.prange(n_blocks):
        fill = counts[b]
        for i in range(min(m, b * step), min(m, (b + 1) * step)):
            for p in range(indptr[i], indptr[i + 1]):
                j = idx[p]
                tidx[fill[j]] = i
                fill[j] += 1
    return tptr, tidx


@nb.njit(cache=True, parallel=True)
def mutual_counts(optr, oidx, iptr, iidx):  # pragma: no cover - jitted
    """For each node, how many of its out-neighbours are also in-neighbours.

    ``optr/oidx`` (out-lists) and ``iptr/iidx`` (in-lists) have sorted rows;
    each node's count is a merge of its two lists (``prange``: each writes its
    own entry), so it is the number of its reciprocated out-edges.
    """
    n = optr.shape[0] - 1
    out = np.zeros(n, np.int64)
    for u in nb.prange(n):
        i, i1 = optr[u], optr[u + 1]
        j, j1 = iptr[u], iptr[u + 1]
        c = 0
        while i < i1 and j < j1:
            x = oidx[i]
            y = iidx[j]
            if x < y:
                i += 1
            elif y < x:
                j += 1
            else:
                c += 1
                i += 1
                j += 1
        out[u] = c
    return out


@nb.njit(cache=True, parallel=True)
def union_rows(optr, oidx, iptr, iidx):  # pragma: no cover - jitted
    """Row-wise union of two CSRs with sorted rows: ``(uptr, uidx)``, sorted rows, int32 entries.

    With the out- and in-lists of a directed graph without self-loops this is
    the symmetric adjacency of its undirected projection. Two passes over the
    rows (sizes, then entries), each row on its own (``prange``).
    """
    n = optr.shape[0] - 1
    size = np.zeros(n, np.int64)
    for u in nb.prange(n):
        i, i1 = optr[u], optr[u + 1]
        j, j1 = iptr[u], iptr[u + 1]
        c = 0
        while i < i1 and j < j1:
            x = oidx[i]
            y = iidx[j]
            if x <= y:
                i += 1
            if y <= x:
                j += 1
            c += 1
        size[u] = c + (i1 - i) + (j1 - j)
    uptr = np.zeros(n + 1, np.int64)
    for u in range(n):
        uptr[u + 1] = uptr[u] + size[u]
    uidx = np.empty(uptr[n], np.int32)
    for u in nb.prange(n):
        i, i1 = optr[u], optr[u + 1]
        j, j1 = iptr[u], iptr[u + 1]
        q = uptr[u]
        while i < i1 and j < j1:
            x = oidx[i]
            y = iidx[j]
            if x <= y:
                uidx[q] = x
                i += 1
            else:
                uidx[q] = y
            if y <= x:
                j += 1
            q += 1
        while i < i1:
            uidx[q] = oidx[i]
            i += 1
            q += 1
        while j < j1:
            uidx[q] = iidx[j]
            j += 1
            q += 1
    return uptr, uidx


@nb.njit(cache=True)
def ei_edge_counts(follower, friend, label, k):  # pragma: no cover - jitted
    """One pass over the edges ``follower[e] -> friend[e]`` with a group
    ``label`` per account (-1 unknown): per group ``0..k-1`` the edges with
    both ends in it and the edges with exactly one end in it, and the edges
    with an end of unknown group. Twin: ``metrics.isolation.ei_counts`` on the
    gathered labels."""
    internal = np.zeros(k, np.int64)
    external = np.zeros(k, np.int64)
    unknown = 0
    for e in range(follower.size):
        a = label[follower[e]]
        b = label[friend[e]]
        if a < 0 or b < 0:
            unknown += 1
        elif a == b:
            internal[a] += 1
        else:
            external[a] += 1
            external[b] += 1
    return internal, external, unknown


@nb.njit(cache=True)
def exposure_sums(follower, friend, label, weight, n):  # pragma: no cover - jitted
    """Per account ``i``: the summed ``weight[friend]`` over its edges whose two
    ends have a known group (``total``), and over those whose friend is in
    another group (``outside``). Edges in order, one sum per account, so each
    sum adds its terms in the order ``np.bincount`` would (same floats)."""
    total = np.zeros(n, np.float64)
    outside = np.zeros(n, np.float64)
    for e in range(follower.size):
        i = follower[e]
        j = friend[e]
        a = label[i]
        b = label[j]
        if a < 0 or b < 0:
            continue
        w = weight[j]
        total[i] += w
        if a != b:
            outside[i] += w
    return total, outside


@nb.njit(cache=True)
def neighbour_sums(follower, friend, x, n):  # pragma: no cover - jitted
    """Per account ``i``: how many of its friends have a finite ``x`` and the sum
    of those ``x``. Edges in order, so each sum adds its terms in the order
    ``np.bincount`` over the gathered values would (same floats)."""
    count = np.zeros(n, np.int64)
    total = np.zeros(n, np.float64)
    for e in range(follower.size):
        v = x[friend[e]]
        if np.isfinite(v):
            i = follower[e]
            count[i] += 1
            total[i] += v
    return count, total


@nb.njit(cache=True)
def group_pair_sums(follower, friend, code, weight, m):  # pragma: no cover - jitted
    """Edges between groups: with ``code[i]`` in ``0..m-1`` the group of account
    ``i``, entry ``(a, b)`` of ``(count, total)`` counts the edges from group
    ``a`` to group ``b`` and sums ``weight[friend]`` over them (1 per edge when
    ``weight`` is empty). Edges in order, as ``np.bincount`` over the pair codes
    would add them (same floats)."""
    count = np.zeros((m, m), np.int64)
    total = np.zeros((m, m), np.float64)
    weighted = weight.size > 0
    for e in range(follower.size):
        a = code[follower[e]]
        b = code[friend[e]]
        count[a, b] += 1
        total[a, b] += weight[friend[e]] if weighted else 1.0
    return count, total
