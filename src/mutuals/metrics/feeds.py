"""Measures of what feeds hold: quality, diversity, discriminative power.

Pure functions over arrays; the same code serves simulated and real data.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from mutuals.errors import InputError

__all__ = ["kendall_tau_b", "normalized_entropy", "repetition", "shannon_entropy"]


def shannon_entropy(counts: ArrayLike) -> float:
    """Shannon entropy (nats) of the distribution given by non-negative ``counts``.

    ``H = -sum_i p_i ln p_i`` with ``p_i = c_i / sum c`` (Shannon 1948); zero
    counts contribute nothing. Returns 0 for an empty or all-zero input.
    """
    c = np.asarray(counts, dtype=np.float64).ravel()
    if c.size and (c.min() < 0 or not np.all(np.isfinite(c))):
        raise InputError("counts must be finite and non-negative")
    total = c.sum()
    if total <= 0:
        return 0.0
    p = c[c > 0] / total
    return float(-(p * np.log(p)).sum())


def normalized_entropy(counts: ArrayLike, n_categories: int | None = None) -> float:
    """Entropy divided by its maximum ``ln K`` (K categories; default: non-zero ones).

    1 means evenly spread, 0 means one category only (Pielou's evenness, 1966).
    """
    c = np.asarray(counts, dtype=np.float64).ravel()
    k = int((c > 0).sum()) if n_categories is None else int(n_categories)
    if k <= 1:
        return 0.0
    return shannon_entropy(c) / float(np.log(k))


def repetition(counts: ArrayLike, n_categories: int | None = None) -> float:
    """Feed repetition: ``1 - normalized_entropy`` (MODEL.md, claim C7)."""
    return 1.0 - normalized_entropy(counts, n_categories)


def kendall_tau_b(x: ArrayLike, y: ArrayLike) -> tuple[float, float]:
    """Kendall's tau-b between ``x`` and ``y`` with its two-sided p-value.

    ``tau_b = (n_c - n_d) / sqrt((n_0 - n_1)(n_0 - n_2))`` where ``n_1``, ``n_2``
    count tied pairs in ``x`` and ``y`` (Kendall 1945; Knight's O(n log n)
    algorithm via :func:`scipy.stats.kendalltau`). Unlike SimSoM's
    "discriminative power", ties are not rewarded. NaN when either input is
    constant or has fewer than two values.
    """
    a = np.asarray(x, dtype=np.float64).ravel()
    b = np.asarray(y, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise InputError(f"x and y differ in length: {a.size} vs {b.size}")
    if a.size < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan"), float("nan")
    from scipy.stats import kendalltau

    res = kendalltau(a, b, variant="b")
    return float(res.statistic), float(res.pvalue)
