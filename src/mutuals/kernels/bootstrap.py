"""Numba kernels of the bootstrap of reach against followers (Spearman rho and log-log slope).

A bootstrap resample of ``n`` items is a vector of multiplicities ``w`` (item
``j`` drawn ``w[j]`` times). Its Spearman rho is the weighted Pearson
correlation of the items' average ranks in the resample (ties share the mean
of the ranks they occupy), and its slope the weighted least-squares slope of
``log10(1 + reach)`` on ``log10(1 + followers)``.
:func:`mutuals.metrics.reach._boot_stats` (``_weighted_ranks``, ``_wpearson``,
``_wslope``) computes both with numpy, eight passes over the items per
resample, and is the reference twin (``tests/twins/test_bootstrap_twins.py``).

Method
------
Items with the same (reach, followers) pair are interchangeable, so the kernels
work on *cells*, the distinct pairs (many fewer than items when the values are
counts with ties), sorted by the group (position among the sorted distinct
values) of side a, the variable with more distinct values, then of side b. An
item's average rank is ``(weight of the smaller values) + (weight of its value
+ 1) / 2`` and its logs depend on its values only, so per resample:

* :func:`_count_draws`: the draws counted per item (in bytes, so the random
  increments stay in cache), then summed into the cells (one sequential pass);
* pass 1 over the cells: the running weight, kept at the end of each run of
  side a's groups (``cend[h + 1]``, the weight of the groups up to ``h``: so
  the group's average rank is ``(cend[h] + cend[h + 1] + 1) / 2``), and the
  weight of each group of side b (a scatter into ``k`` interleaved copies of
  the table, so consecutive cells of one group do not wait on each other);
* side b per group, ``O(groups)``: its average ranks and logs, centred, their
  weighted squares, in one table (the two numbers of a cell share a cache line);
* pass 2 over the cells: side a's centred rank and shifted log, the weighted
  squares of side a and both cross moments (side a's log moments from the
  sums of its shifted logs, ``S_dd - S_d ** 2 / N``).

The mean rank of a sample of total weight ``N`` is ``(N + 1) / 2`` exactly (the
average ranks sum to ``1 + ... + N``), which is also the twin's value, whose
sums of half-integers are exact. The log means are taken relative to the logs
of a cell with weight (shifted data), so a resample whose followers are all
equal has variance exactly 0 and slope NaN, as the definition says (the twin's
mean can round off the constant, leaving a variance of rounding noise and a
meaningless finite slope). Sums run in blocks of :data:`BLOCK` terms, so their
error grows with ``n / BLOCK + BLOCK`` rather than ``n``; the results agree
with the twin to about 1e-14.

Arrays in, arrays out; no randomness here: the caller draws the resamples
(``rng.integers``) and passes the drawn item numbers in. :func:`bootstrap_stats`
deals a batch of resamples to parallel workers (``prange``); each resample is
computed by one worker, in a fixed order, into its own output slot, so the
results do not depend on the number of threads.
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["BLOCK", "COPIES", "SMALL_TABLE", "bootstrap_stats", "n_copies", "weighted_stats"]

BLOCK = 1024
COPIES = 4
SMALL_TABLE = 1 << 16


@nb.njit(cache=True)
def n_copies(nbg):  # pragma: no cover - jitted
    """Interleaved copies of side b's weight table: :data:`COPIES` when it is small, else 1."""
    return COPIES if nbg <= SMALL_TABLE else 1


@nb.njit(cache=True)
def _resample_stats(w, ga, gb, va, vb, a_is_x, cend, cb, tb):  # pragma: no cover - jitted
    """Spearman rho and log-log slope of the sample with weight ``w[q]`` (an integer) in cell ``q``.

    Scratch, overwritten: ``cend`` (int wide enough for the total weight,
    ``na + 1``), ``cb`` (``nb * k``: ``k`` interleaved copies of side b's
    weights, so that consecutive cells of one group do not wait on each
    other's sums) and ``tb`` (``nb`` x 2).
    """
    m = w.shape[0]
    nbg = vb.shape[0]
    k = cb.shape[0] // nbg
    km = k - 1  # k is 1 or a power of two
    # logs are taken relative to the values of a cell with weight (shifted
    # data: a constant stays exactly constant), the first from the middle on
    first = -1
    for i in range(m):
        q = (m // 2 + i) % m
        if w[q] > 0:
            first = q
            break
    if first < 0:
        return np.nan, np.nan
    x0a = va[ga[first]]
    x0b = vb[gb[first]]
    for i in range(cb.shape[0]):
        cb[i] = 0.0
    # pass 1 over the cells: the running weight at the end of each run of
    # side a (cend[h + 1]: weight of the groups up to h) and side b's weights
    cum = 0
    cend[0] = 0
    for q in range(m):
        wq = w[q]
        cum += wq
        cend[ga[q] + 1] = cum
        cb[gb[q] * k + (q & km)] += wq
    sw = float(cum)
    # the average ranks of a sample of sw items sum to sw (sw + 1) / 2 (exactly)
    mr = (sw + 1.0) / 2.0
    # side b per group: the copies folded, centred ranks and logs, weighted squares
    before = 0.0
    s_vb = 0.0
    sbb_r = 0.0
    for g0 in range(0, nbg, BLOCK):
        blk_v = 0.0
        blk_r = 0.0
        for g in range(g0, min(g0 + BLOCK, nbg)):
            c = 0.0
            for i in range(g * k, g * k + k):
                c += cb[i]
            cb[g] = c  # g <= g * k: the copies of g and of later groups are still unread
            dr = before + (c + 1.0) / 2.0 - mr
            tb[g, 0] = dr
            blk_r += c * dr * dr
            blk_v += c * (vb[g] - x0b)
            before += c
        sbb_r += blk_r
        s_vb += blk_v
    mvb = x0b + s_vb / sw
    sbb_v = 0.0
    s_tb = 0.0  # sum of the weighted centred logs of side b: 0 but for rounding
    for g0 in range(0, nbg, BLOCK):
        blk_v = 0.0
        blk_t = 0.0
        for g in range(g0, min(g0 + BLOCK, nbg)):
            dv = vb[g] - mvb
            tb[g, 1] = dv
            blk_v += cb[g] * dv * dv
            blk_t += cb[g] * dv
        sbb_v += blk_v
        s_tb += blk_t
    # pass 2 over the cells: side a's centred rank (before + (weight + 1) / 2
    # of its group) and shifted log d, their weighted squares and cross moments
    saa_r = 0.0
    sab_r = 0.0
    s_d = 0.0
    s_dd = 0.0
    s_dt = 0.0
    for q0 in range(0, m, BLOCK):
        b_aa = 0.0
        b_ab = 0.0
        b_d = 0.0
        b_dd = 0.0
        b_dt = 0.0
        for q in range(q0, min(q0 + BLOCK, m)):
            wq = float(w[q])
            h = ga[q]
            g = gb[q]
            dr = float(cend[h] + cend[h + 1] + 1) / 2.0 - mr
            d = va[h] - x0a
            b_aa += wq * dr * dr
            b_ab += wq * dr * tb[g, 0]
            b_d += wq * d
            b_dd += wq * d * d
            b_dt += wq * d * tb[g, 1]
        saa_r += b_aa
        sab_r += b_ab
        s_d += b_d
        s_dd += b_dd
        s_dt += b_dt
    # side a's log moments from the shifted sums: mean x0a + dm
    dm = s_d / sw
    saa_v = max(s_dd - dm * s_d, 0.0)
    sab_v = s_dt - dm * s_tb
    den = np.sqrt(saa_r * sbb_r)
    rho = sab_r / den if den > 0.0 else np.nan
    sxx = saa_v if a_is_x else sbb_v
    slope = sab_v / sxx if sxx > 0.0 else np.nan
    return rho, slope


@nb.njit(cache=True)
def weighted_stats(w, cell, ga, gb, va, vb, a_is_x):  # pragma: no cover - jitted
    """Spearman rho and log-log slope of one sample holding item ``j`` ``w[j]`` times.

    Parameters
    ----------
    w : numpy.ndarray
        int, the multiplicity of each item (>= 0).
    cell : numpy.ndarray
        int, each item's cell: cells are the distinct (side-a group, side-b
        group) pairs, sorted by side a then side b.
    ga, gb : numpy.ndarray
        int, each cell's group (position among the sorted distinct values) on
        side a (non-decreasing: the cells of a group are a run) and on side b.
    va, vb : numpy.ndarray
        float64, the log value of each group of side a and of side b.
    a_is_x : bool
        Whether side a is the regressor ``x`` (else side b is).

    Returns ``(rho, slope)``, NaN where undefined (constant ranks, constant ``x``).
    """
    m = gb.shape[0]
    nbg = vb.shape[0]
    wc = np.zeros(m, np.int64)
    for j in range(w.shape[0]):
        wc[cell[j]] += w[j]
    cend = np.empty(va.shape[0] + 1, np.int64)
    cb = np.empty(nbg * n_copies(nbg), np.float64)
    tb = np.empty((nbg, 2), np.float64)
    return _resample_stats(wc, ga, gb, va, vb, a_is_x, cend, cb, tb)


@nb.njit(cache=True)
def _count_draws(idx_b, cell, w8, wc):  # pragma: no cover - jitted
    """``wc`` = the number of draws of ``idx_b`` in each cell.

    The draws are first counted per item in bytes (``w8``, a quarter of the
    memory of int32 counts, so the random increments stay in cache), then
    summed into the cells in one sequential pass. An item drawn 256 times or
    more wraps its byte; the total then falls short and the draws are counted
    again in int32.
    """
    n = w8.shape[0]
    for j in range(n):
        w8[j] = 0
    for i in range(idx_b.shape[0]):
        w8[idx_b[i]] += 1
    for q in range(wc.shape[0]):
        wc[q] = 0
    total = 0
    for j in range(n):
        x = w8[j]
        total += x
        wc[cell[j]] += x
    if total != idx_b.shape[0]:
        w32 = np.zeros(n, np.int32)
        for i in range(idx_b.shape[0]):
            w32[idx_b[i]] += 1
        for q in range(wc.shape[0]):
            wc[q] = 0
        for j in range(n):
            wc[cell[j]] += w32[j]


@nb.njit(cache=True, parallel=True, nogil=True)
def bootstrap_stats(
    idx, cell, ga, gb, va, vb, a_is_x, rho, slope, n_work
):  # pragma: no cover - jitted
    """Rho and slope of the resamples ``idx[b]`` (drawn item numbers), into ``rho[b]``, ``slope[b]``.

    The arguments are those of :func:`weighted_stats`, the multiplicities
    being the number of times each item is drawn (``idx.shape[1] < 2**31``).
    Resamples are dealt to ``n_work`` workers (usually the Numba thread
    count) that run in parallel, each with its own scratch; a resample's
    numbers do not depend on which worker computes it.
    """
    n_res = idx.shape[0]
    n = cell.shape[0]
    m = gb.shape[0]
    nbg = vb.shape[0]
    n_work = max(1, min(n_work, n_res))
    for t in nb.prange(n_work):
        w8 = np.empty(n, np.uint8)
        wc = np.empty(m, np.int32)
        cend = np.empty(va.shape[0] + 1, np.int32)
        cb = np.empty(nbg * n_copies(nbg), np.float64)
        tb = np.empty((nbg, 2), np.float64)
        for b in range(t, n_res, n_work):
            _count_draws(idx[b], cell, w8, wc)
            rho[b], slope[b] = _resample_stats(wc, ga, gb, va, vb, a_is_x, cend, cb, tb)
