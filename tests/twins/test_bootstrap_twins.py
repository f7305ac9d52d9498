"""The bootstrap kernels (mutuals.kernels.bootstrap) against their numpy twin
(mutuals.metrics.reach._boot_stats: _weighted_ranks, _wpearson, _wslope), resample
by resample, and reach_vs_followers against its old loop over the twin."""

from __future__ import annotations

import zlib

import numba
import numpy as np
import pytest

import mutuals.metrics.reach as reach_mod
from mutuals._random import check_random_state
from mutuals.kernels.bootstrap import SMALL_TABLE, _count_draws, bootstrap_stats, weighted_stats
from mutuals.metrics.reach import _boot_layout, _boot_stats, _ci95, reach_vs_followers

RTOL = 1e-10
ATOL = 1e-12  # a slope of constant reach: 0 here, rounding noise (~1e-17) in the twin


def _prepare(r: np.ndarray, f: np.ndarray) -> tuple:
    lx, ly = np.log10(1 + f), np.log10(1 + r)
    ur, gr = np.unique(r, return_inverse=True)
    uf, gf = np.unique(f, return_inverse=True)
    groups = ((gr, ur.size), (gf, uf.size), lx, ly)
    return groups, _boot_layout(*groups)


def _sample(rng: np.random.Generator, n: int, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """NaN-free reach and followers with heavy ties (or none, for ``distinct``)."""
    if kind == "ties":  # few values on both sides
        r = rng.integers(0, 4, n).astype(float)
        f = rng.integers(0, 5, n).astype(float) * 10
    elif kind == "counts":  # heavy-tailed counts: many zeros, a long tail
        f = np.floor(rng.lognormal(2.0, 1.5, n))
        r = np.floor(rng.pareto(1.2, n) * rng.random(n) * (1 + f) ** 0.3)
    elif kind == "reach_wider":  # reach has more distinct values: side a is reach
        r = np.floor(rng.lognormal(2.0, 2.0, n))
        f = rng.integers(0, 3, n).astype(float)
    else:  # distinct floats
        r = rng.lognormal(0.0, 1.0, n)
        f = rng.lognormal(3.0, 2.0, n)
    return r, f


def _weights(rng: np.random.Generator, n: int, style: str) -> np.ndarray:
    if style == "resample":
        return np.bincount(rng.integers(0, n, n), minlength=n)
    if style == "zeros":  # most items absent, a few many times
        w = rng.integers(0, 2, n) * rng.integers(1, 30, n)
        w[rng.integers(0, n)] += 1
        return w
    return np.ones(n, dtype=np.int64)


def _check(groups: tuple, layout: tuple, w: np.ndarray, lx: np.ndarray) -> None:
    got = weighted_stats(w, *layout)
    want = _boot_stats(*groups, w.astype(np.float64))
    np.testing.assert_allclose(got[0], want[0], rtol=RTOL, atol=ATOL)
    if np.unique(lx[w > 0]).size == 1:
        # followers constant in the sample: no slope (the twin may return
        # rounding noise over rounding noise here)
        assert np.isnan(got[1])
    else:
        np.testing.assert_allclose(got[1], want[1], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("kind", ["ties", "counts", "reach_wider", "distinct"])
@pytest.mark.parametrize("style", ["resample", "zeros", "ones"])
def test_weighted_stats_equal_twin(kind: str, style: str) -> None:
    rng = np.random.default_rng(zlib.crc32(f"{kind}/{style}".encode()))
    for n in [3, 3, 3, 4, 5, 7, 10, 31, 100, 1000, 5000]:
        for _ in range(8 if n < 100 else 2):
            r, f = _sample(rng, n, kind)
            groups, layout = _prepare(r, f)
            _check(groups, layout, _weights(rng, n, style), groups[2])


def test_weighted_stats_layout_sides() -> None:
    """The twin's answers whichever variable has more distinct values (side a)."""
    rng = np.random.default_rng(3)
    r, f = _sample(rng, 400, "counts")
    w = _weights(rng, 400, "resample")
    for rr, ff, a_is_x in [(r, f, True), (f, r, False), (r, r[::-1].copy(), True)]:
        groups, layout = _prepare(rr, ff)
        assert layout[-1] is a_is_x
        _check(groups, layout, w, groups[2])


def test_degenerate_samples() -> None:
    """Constant ranks: rho NaN; constant followers: slope NaN; constant reach: slope 0."""
    r = np.arange(6.0)
    f = np.full(6, 197.0)  # where a mean of log10(198) rounds off (a slope of -1/6 once)
    groups, layout = _prepare(r, f)
    w = np.ones(6, dtype=np.int64)
    assert np.isnan(_boot_stats(*groups, w.astype(float))[1])  # the twin agrees
    rho, slope = weighted_stats(w, *layout)
    assert np.isnan(rho) and np.isnan(slope)
    groups, layout = _prepare(np.zeros(5), np.arange(5.0))
    rho, slope = weighted_stats(np.array([2, 0, 1, 0, 2]), *layout)
    assert np.isnan(rho) and slope == 0.0
    # only one item drawn: nothing is defined
    groups, layout = _prepare(np.arange(3.0), np.arange(3.0))
    assert all(np.isnan(weighted_stats(np.array([0, 3, 0]), *layout)))
    assert all(np.isnan(weighted_stats(np.zeros(3, dtype=np.int64), *layout)))


def test_bootstrap_stats_equal_weighted_stats_per_resample() -> None:
    rng = np.random.default_rng(11)
    for kind in ["ties", "counts", "reach_wider", "distinct"]:
        for n in [3, 50, 2000]:
            r, f = _sample(rng, n, kind)
            groups, layout = _prepare(r, f)
            idx = rng.integers(0, n, (7, n))
            rho, slope = np.empty(7), np.empty(7)
            bootstrap_stats(idx, *layout, rho, slope, 3)
            for b in range(7):
                want = weighted_stats(np.bincount(idx[b], minlength=n), *layout)
                np.testing.assert_array_equal([rho[b], slope[b]], want)
                _check(groups, layout, np.bincount(idx[b], minlength=n), groups[2])
    # side b with more distinct values than fit its interleaved table copies
    r, f = _sample(rng, 70_000, "distinct")
    groups, layout = _prepare(r, f)
    assert layout[4].size > SMALL_TABLE
    idx = rng.integers(0, r.size, (2, r.size))
    rho, slope = np.empty(2), np.empty(2)
    bootstrap_stats(idx, *layout, rho, slope, 2)
    for b in range(2):
        w = np.bincount(idx[b], minlength=r.size)
        np.testing.assert_array_equal([rho[b], slope[b]], weighted_stats(w, *layout))
        _check(groups, layout, w, groups[2])


def test_count_draws_past_a_byte() -> None:
    """An item drawn 256 times or more (its byte wraps) is still counted right."""
    n = 600
    cell = np.arange(n, dtype=np.int32)[::-1].copy()
    w8 = np.empty(n, np.uint8)
    wc = np.empty(n, np.int32)
    for hits in [255, 256, 300, 512]:
        idx = np.concatenate([np.full(hits, 7), np.arange(n - hits)]).astype(np.int64)
        _count_draws(idx, cell, w8, wc)
        np.testing.assert_array_equal(wc, np.bincount(idx, minlength=n)[::-1])


def _old_reach_vs_followers(r: np.ndarray, f: np.ndarray, seed) -> tuple:
    """The loop of reach_vs_followers before the kernel: the twin on each resample."""
    n = r.size
    lx, ly = np.log10(1 + f), np.log10(1 + r)
    ur, gr = np.unique(r, return_inverse=True)
    uf, gf = np.unique(f, return_inverse=True)
    rng = check_random_state(seed)
    rhos, slopes = np.empty(200), np.empty(200)
    for b in range(200):
        w = np.bincount(rng.integers(0, n, n), minlength=n).astype(np.float64)
        rhos[b], slopes[b] = _boot_stats((gr, ur.size), (gf, uf.size), lx, ly, w)
    return _ci95(rhos), _ci95(slopes)


@pytest.mark.parametrize("kind", ["ties", "counts", "reach_wider", "distinct"])
def test_reach_vs_followers_equals_old_path(kind: str) -> None:
    rng = np.random.default_rng(21)
    r, f = _sample(rng, 3000, kind)
    for seed in [0, 5]:
        got = reach_vs_followers(r, f, seed=seed, n_boot=200)
        want_rho, want_slope = _old_reach_vs_followers(r, f, seed)
        np.testing.assert_allclose(got.spearman_ci, want_rho, rtol=RTOL)
        np.testing.assert_allclose(got.slope_ci, want_slope, rtol=RTOL)
    # the same draws from a caller's generator, no more and no fewer
    g1, g2 = np.random.default_rng(8), np.random.default_rng(8)
    got = reach_vs_followers(r, f, seed=g1, n_boot=200)
    want_rho, _ = _old_reach_vs_followers(r, f, g2)
    np.testing.assert_allclose(got.spearman_ci, want_rho, rtol=RTOL)
    assert g1.bit_generator.state == g2.bit_generator.state


def test_reach_vs_followers_independent_of_batch_and_threads(monkeypatch) -> None:
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs 2 Numba threads")
    rng = np.random.default_rng(4)
    r, f = _sample(rng, 5000, "counts")
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(2)
        two = reach_vs_followers(r, f, seed=3, n_boot=101)
        numba.set_num_threads(1)
        one = reach_vs_followers(r, f, seed=3, n_boot=101)
    finally:
        numba.set_num_threads(before)
    assert one == two
    monkeypatch.setattr(reach_mod, "_BOOT_BATCH_BYTES", 1)  # one resample per batch
    assert reach_vs_followers(r, f, seed=3, n_boot=101) == two
