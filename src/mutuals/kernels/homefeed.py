"""Numba kernel of the reconstructed chronological home feed.

Follower ``i``'s friends are ``fnbr[fptr[i]:fptr[i + 1]]``. Author ``a``'s
eligible posts are ``arow[aptr[a]:aptr[a + 1]]`` (row numbers of the posts
table) with times ``atime`` (same positions), newest first: sorted by time
descending, ties by row ascending, and cut to the author's ``k`` newest (no
older post of an author can reach anyone's top ``k``). The feed of ``i`` is
the ``k`` first items of the merge of its friends' lists in that order: a
k-way merge with a binary max-heap holding the head of each friend's list,
``O(d + k log d)`` for ``d`` friends and memory bounded by the largest ``d``.
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["merge_home_feeds"]


@nb.njit(cache=True, inline="always")
def _newer(htime, hrow, a, b):  # pragma: no cover - jitted
    """Whether heap slot ``a``'s item comes before slot ``b``'s (newer, or as new
    and of a lower row)."""
    return htime[a] > htime[b] or (htime[a] == htime[b] and hrow[a] < hrow[b])


@nb.njit(cache=True)
def _sift_down(htime, hrow, hpos, hend, size, j):  # pragma: no cover - jitted
    """Restore the heap below slot ``j`` (slot 0 holds the newest head)."""
    while True:
        c = 2 * j + 1
        if c >= size:
            return
        r = c + 1
        if r < size and _newer(htime, hrow, r, c):
            c = r
        if not _newer(htime, hrow, c, j):
            return
        htime[j], htime[c] = htime[c], htime[j]
        hrow[j], hrow[c] = hrow[c], hrow[j]
        hpos[j], hpos[c] = hpos[c], hpos[j]
        hend[j], hend[c] = hend[c], hend[j]
        j = c


@nb.njit(cache=True, parallel=True)
def merge_home_feeds(fptr, fnbr, aptr, arow, atime, k):  # pragma: no cover - jitted
    """The ``k`` newest posts by each follower's friends (see module docstring).

    Parameters
    ----------
    fptr, fnbr : int64 arrays
        CSR of friends: ``fnbr[fptr[i]:fptr[i + 1]]`` are the accounts ``i``
        follows (``n + 1`` and ``L`` entries).
    aptr, arow, atime : int64 arrays
        CSR of authors' eligible posts, newest first and at most ``k`` each:
        rows ``arow`` and their times ``atime``.
    k : int
        Items per feed at most.

    Returns
    -------
    ptr, items : int64 arrays
        CSR over followers: ``items[ptr[i]:ptr[i + 1]]`` are the rows of ``i``'s
        feed, newest first, ``min(k, posts of its friends)`` of them. Each
        follower is independent, so the result is the same for any number of
        threads.
    """
    n = fptr.shape[0] - 1
    length = np.zeros(n, np.int64)
    for i in nb.prange(n):
        tot = 0
        for t in range(fptr[i], fptr[i + 1]):
            f = fnbr[t]
            tot += aptr[f + 1] - aptr[f]
        length[i] = min(k, tot)
    ptr = np.zeros(n + 1, np.int64)
    max_deg = 0
    for i in range(n):
        ptr[i + 1] = ptr[i] + length[i]
        d = fptr[i + 1] - fptr[i]
        if d > max_deg:
            max_deg = d
    items = np.empty(ptr[n], np.int64)
    block = 1024
    n_blocks = (n + block - 1) // block
    for b in nb.prange(n_blocks):
        # slot h: the head item (time, row) of one friend's list, its position and end
        htime = np.empty(max_deg, np.int64)
        hrow = np.empty(max_deg, np.int64)
        hpos = np.empty(max_deg, np.int64)
        hend = np.empty(max_deg, np.int64)
        for i in range(b * block, min(n, (b + 1) * block)):
            m = length[i]
            if m == 0:
                continue
            size = 0
            for t in range(fptr[i], fptr[i + 1]):
                f = fnbr[t]
                s = aptr[f]
                e = aptr[f + 1]
                if s < e:
                    htime[size] = atime[s]
                    hrow[size] = arow[s]
                    hpos[size] = s
                    hend[size] = e
                    size += 1
            for j in range(size // 2 - 1, -1, -1):
                _sift_down(htime, hrow, hpos, hend, size, j)
            out = ptr[i]
            for q in range(m):
                items[out + q] = hrow[0]
                p = hpos[0] + 1
                if p < hend[0]:
                    htime[0] = atime[p]
                    hrow[0] = arow[p]
                    hpos[0] = p
                else:
                    size -= 1
                    htime[0] = htime[size]
                    hrow[0] = hrow[size]
                    hpos[0] = hpos[size]
                    hend[0] = hend[size]
                _sift_down(htime, hrow, hpos, hend, size, 0)
    return ptr, items
