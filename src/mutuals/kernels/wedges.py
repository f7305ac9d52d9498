"""Numba kernels of wedge sampling: is a randomly drawn wedge closed?

A wedge (a path of length two, a "connected triple") is a centre ``c`` and two
distinct neighbours ``a``, ``b`` of it; it is closed when ``a`` and ``b`` are
neighbours too. The graph is an undirected CSR without loops whose neighbour
lists ``indices[indptr[v]:indptr[v + 1]]`` are sorted ascending.

Every random number comes in as an array (drawn by the caller from the run's
generator); sample ``s`` reads only slot ``s`` of each array and writes only
slot ``s`` of the output, so the result is the same at any thread count.

- :func:`closed_wedges_by_weight` picks each centre with probability
  proportional to its wedge count ``d (d - 1) / 2``: ``draw[s]`` is an integer
  in ``[0, W)`` for ``W`` the graph's wedges and the centre is the node whose
  slice of the prefix sums ``cum`` holds it. Every wedge is equally likely, so
  the share closed estimates the transitivity ``3 T / W``.
- :func:`closed_wedges_at` takes the centres themselves (the caller draws them
  uniformly among nodes of degree >= 2); the share closed estimates the mean
  local clustering over those nodes.

In both, the two neighbours are ``floor(u1 * d)`` and the ``floor(u2 * (d - 1))``-th
of the remaining ``d - 1`` (a uniform ordered pair of distinct positions),
and closure is a binary search of one in the other's sorted list (the shorter).
The plain-Python twins (:func:`reference_closed_wedges_by_weight`,
:func:`reference_closed_wedges_at`) do the same with :mod:`bisect`-like loops
and no Numba; the tests compare them sample by sample.
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = [
    "closed_wedges_at",
    "closed_wedges_by_weight",
    "reference_closed_wedges_at",
    "reference_closed_wedges_by_weight",
]


@nb.njit(cache=True, inline="always")
def _has_edge(indptr, indices, a, b):  # pragma: no cover - jitted
    """Whether ``b`` is in the sorted neighbour list of ``a`` (searching the shorter list)."""
    if indptr[a + 1] - indptr[a] > indptr[b + 1] - indptr[b]:
        a, b = b, a
    lo = indptr[a]
    hi = indptr[a + 1]
    while lo < hi:
        mid = (lo + hi) >> 1
        x = indices[mid]
        if x < b:
            lo = mid + 1
        elif x > b:
            hi = mid
        else:
            return True
    return False


@nb.njit(cache=True, inline="always")
def _closed_at(indptr, indices, c, u1, u2):  # pragma: no cover - jitted
    start = indptr[c]
    d = indptr[c + 1] - start
    i = min(np.int64(u1 * d), d - 1)
    j = min(np.int64(u2 * (d - 1)), d - 2)
    if j >= i:
        j += 1
    return _has_edge(indptr, indices, indices[start + i], indices[start + j])


@nb.njit(cache=True, parallel=True)
def closed_wedges_by_weight(indptr, indices, cum, draw, u1, u2):  # pragma: no cover - jitted
    """Closure (1/0) of wedges drawn uniformly over the whole graph.

    ``cum[v]`` is the number of wedges centred at nodes ``0..v`` (inclusive
    prefix sums of ``d (d - 1) / 2``, int64); ``draw[s]`` in ``[0, cum[-1])``
    picks the centre, the first ``v`` with ``cum[v] > draw[s]``; ``u1``, ``u2``
    in ``[0, 1)`` pick the two neighbours. Returns a uint8 per sample.
    """
    k = draw.shape[0]
    out = np.zeros(k, dtype=np.uint8)
    n = cum.shape[0]
    for s in nb.prange(k):
        lo = 0
        hi = n - 1
        r = draw[s]
        while lo < hi:  # first v with cum[v] > r
            mid = (lo + hi) >> 1
            if cum[mid] > r:
                hi = mid
            else:
                lo = mid + 1
        if _closed_at(indptr, indices, lo, u1[s], u2[s]):
            out[s] = 1
    return out


@nb.njit(cache=True, parallel=True)
def closed_wedges_at(indptr, indices, centres, u1, u2):  # pragma: no cover - jitted
    """Closure (1/0) of one uniform wedge at each of ``centres`` (nodes of
    degree >= 2), its neighbours picked by ``u1``, ``u2`` in ``[0, 1)``."""
    k = centres.shape[0]
    out = np.zeros(k, dtype=np.uint8)
    for s in nb.prange(k):
        if _closed_at(indptr, indices, centres[s], u1[s], u2[s]):
            out[s] = 1
    return out


# ----------------------------------------------------------------------------- twins


def _ref_closed_at(indptr: np.ndarray, indices: np.ndarray, c: int, u1: float, u2: float) -> bool:
    nbrs = [int(x) for x in indices[indptr[c] : indptr[c + 1]]]
    d = len(nbrs)
    i = min(int(np.int64(u1 * d)), d - 1)
    rest = nbrs[:i] + nbrs[i + 1 :]  # the d - 1 other neighbours, in order
    j = min(int(np.int64(u2 * (d - 1))), d - 2)
    a, b = nbrs[i], rest[j]
    return b in {int(x) for x in indices[indptr[a] : indptr[a + 1]]}


def reference_closed_wedges_by_weight(
    indptr: np.ndarray,
    indices: np.ndarray,
    cum: np.ndarray,
    draw: np.ndarray,
    u1: np.ndarray,
    u2: np.ndarray,
) -> np.ndarray:
    """Plain-Python twin of :func:`closed_wedges_by_weight` (a linear scan for the centre)."""
    out = np.zeros(len(draw), dtype=np.uint8)
    for s, r in enumerate(draw):
        c = next(v for v in range(len(cum)) if cum[v] > r)
        out[s] = _ref_closed_at(indptr, indices, c, float(u1[s]), float(u2[s]))
    return out


def reference_closed_wedges_at(
    indptr: np.ndarray, indices: np.ndarray, centres: np.ndarray, u1: np.ndarray, u2: np.ndarray
) -> np.ndarray:
    """Plain-Python twin of :func:`closed_wedges_at`."""
    out = np.zeros(len(centres), dtype=np.uint8)
    for s, c in enumerate(centres):
        out[s] = _ref_closed_at(indptr, indices, int(c), float(u1[s]), float(u2[s]))
    return out
