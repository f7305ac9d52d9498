"""Vuong's test of a power-law tail against a lognormal (metrics.tails), checked
against the ``powerlaw`` package, exact arithmetic and planted distributions."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from mutuals.errors import InputError
from mutuals.metrics.tails import (
    compare_power_law_lognormal,
    fit_lognormal_tail,
    lognormal_loglikelihoods,
    power_law_loglikelihoods,
    vuong_test,
)

powerlaw = pytest.importorskip("powerlaw")


def _lognormal(n: int, seed: int) -> np.ndarray:
    return np.round(np.exp(np.random.default_rng(seed).normal(3.0, 1.0, n)))


def _zipf(n: int, a: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).zipf(a, n).astype(np.float64)


def _fit(x: np.ndarray, xmin: float):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return powerlaw.Fit(x, xmin=xmin, discrete=True, verbose=False)


@pytest.mark.parametrize(
    ("data", "xmin"),
    [(_lognormal(3000, 0), 5), (_lognormal(3000, 0), 10), (_zipf(3000, 2.0, 1), 5),
     (_zipf(3000, 2.0, 1), 10)],
)  # fmt: skip
def test_agrees_with_the_powerlaw_package(data: np.ndarray, xmin: float) -> None:
    fit = _fit(data, xmin)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r_norm, p = fit.distribution_compare("power_law", "lognormal", normalized_ratio=True)
        r, _ = fit.distribution_compare("power_law", "lognormal")
    mine = compare_power_law_lognormal(data, xmin=xmin)
    assert mine.xmin == xmin and mine.n_tail == fit.n
    # powerlaw estimates alpha by the approximation of CSN eq. 3.7 when it falls in
    # (1.5, 3]; ours is the exact maximum: the ratios agree to that difference
    assert mine.alpha == pytest.approx(fit.power_law.alpha, abs=2e-3)
    assert mine.mu == pytest.approx(fit.lognormal.mu, rel=1e-3, abs=1e-3)
    assert mine.sigma == pytest.approx(fit.lognormal.sigma, rel=1e-3)
    assert mine.normalised_ratio == pytest.approx(r_norm, abs=0.02)
    assert mine.ratio == pytest.approx(r, abs=0.05 + 1e-3 * abs(r))
    assert np.log10(mine.p) == pytest.approx(np.log10(p), abs=0.05 + 0.01 * abs(np.log10(p)))
    # our lognormal fit is at least as likely as powerlaw's
    ll_theirs = float(np.sum(fit.lognormal.loglikelihoods(fit.data)))
    assert mine.loglik_lognormal >= ll_theirs - 1e-6


def test_per_observation_likelihoods_equal_powerlaw_at_its_parameters() -> None:
    x = _lognormal(2000, 3)
    fit = _fit(x, 8)
    data = np.sort(fit.data)
    ours_ln = lognormal_loglikelihoods(data, fit.lognormal.mu, fit.lognormal.sigma, 8)
    ours_pl = power_law_loglikelihoods(data, fit.power_law.alpha, 8)
    np.testing.assert_allclose(ours_ln, fit.lognormal.loglikelihoods(data), rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours_pl, fit.power_law.loglikelihoods(data), rtol=0, atol=1e-9)
    r, rn, p = vuong_test(ours_pl, ours_ln)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from powerlaw.statistics import loglikelihood_ratio

        want = loglikelihood_ratio(ours_pl.copy(), ours_ln.copy(), normalized_ratio=True)
    assert rn == pytest.approx(want[0], rel=1e-12) and p == pytest.approx(want[1], rel=1e-9)
    assert r == pytest.approx(float(np.sum(ours_pl - ours_ln)), rel=1e-12)


def test_lognormal_likelihood_is_exact_far_in_the_tail() -> None:
    """Where a lognormal mimics a power law (mu very negative) powerlaw's erfc
    underflows; ours, in log survival functions, matches 60-digit arithmetic."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 60
    mu, s, xmin = -1134.4, 30.3, 5.0
    xs = np.array([5.0, 6.0, 50.0, 1000.0, 4573.0])

    def q(z):  # type: ignore[no-untyped-def]
        return mpmath.erfc(z / mpmath.sqrt(2)) / 2

    def exact(x: float) -> float:
        a = (mpmath.log(x - 0.5) - mu) / s
        b = (mpmath.log(x + 0.5) - mu) / s
        return float(mpmath.log(q(a) - q(b)) - mpmath.log(q((mpmath.log(xmin - 0.5) - mu) / s)))

    np.testing.assert_allclose(
        lognormal_loglikelihoods(xs, mu, s, xmin), [exact(x) for x in xs], rtol=1e-10
    )


def test_discrete_laws_are_normalised() -> None:
    x = np.arange(3, 2_000_000, dtype=np.float64)
    pl = np.exp(power_law_loglikelihoods(x, 2.5, 3.0))
    ln = np.exp(lognormal_loglikelihoods(x, 1.0, 1.5, 3.0))
    assert pl.sum() == pytest.approx(1.0, abs=1e-6)
    assert ln.sum() == pytest.approx(1.0, abs=1e-9)
    # continuous densities integrate to 1 (trapezoid on a log grid)
    g = np.geomspace(3.0, 1e9, 400_001)
    dens = np.exp(lognormal_loglikelihoods(g, 1.0, 1.5, 3.0, discrete=False))
    assert np.trapezoid(dens, g) == pytest.approx(1.0, abs=1e-4)
    dens = np.exp(power_law_loglikelihoods(g, 2.5, 3.0, discrete=False))
    assert np.trapezoid(dens, g) == pytest.approx(1.0, abs=1e-3)


def test_planted_laws_are_told_apart() -> None:
    ln = compare_power_law_lognormal(_lognormal(5000, 7), xmin=10)
    assert ln.favoured == "lognormal" and ln.normalised_ratio < -3 and ln.p < 1e-3
    pl = compare_power_law_lognormal(_zipf(20000, 2.5, 8), xmin=2)
    assert pl.favoured != "lognormal" and pl.alpha == pytest.approx(2.5, abs=0.05)
    # xmin chosen by KS when not given (the tail of a planted power law)
    auto = compare_power_law_lognormal(_zipf(5000, 2.2, 9))
    assert auto.n_tail >= 50 and auto.favoured != "lognormal"


def test_lognormal_fit_recovers_its_parameters() -> None:
    x = np.exp(np.random.default_rng(11).normal(2.0, 0.8, 20000))
    mu, sigma, ll = fit_lognormal_tail(x, float(x.min()), discrete=False)
    assert mu == pytest.approx(2.0, abs=0.03) and sigma == pytest.approx(0.8, abs=0.02)
    assert ll == pytest.approx(
        float(lognormal_loglikelihoods(x, mu, sigma, float(x.min()), discrete=False).sum())
    )


def test_vuong_test_properties() -> None:
    a = np.random.default_rng(0).normal(size=200)
    b = a + np.random.default_rng(1).normal(0.1, 1.0, size=200)
    r, rn, p = vuong_test(a, b)
    r2, rn2, p2 = vuong_test(b, a)
    assert r2 == pytest.approx(-r) and rn2 == pytest.approx(-rn) and p2 == pytest.approx(p)
    assert 0 < p < 1
    assert vuong_test(a, a) == (0.0, 0.0, 1.0)
    assert vuong_test(np.zeros(0), np.zeros(0)) == (0.0, 0.0, 1.0)


def test_bad_input_and_no_tail() -> None:
    with pytest.raises(InputError, match="xmin"):
        power_law_loglikelihoods(np.ones(3), 2.0, 0.0)
    with pytest.raises(InputError, match="sigma"):
        lognormal_loglikelihoods(np.ones(3) * 4, 1.0, -1.0, 2.0)
    with pytest.raises(InputError, match="equal length"):
        vuong_test(np.zeros(2), np.zeros(3))
    with pytest.raises(InputError, match="at least 2"):
        fit_lognormal_tail(np.array([5.0]), 2.0)
    none = compare_power_law_lognormal(np.array([1.0, 2.0, 0.0]))
    assert none.favoured == "neither" and none.n_tail == 0 and np.isnan(none.p)


@pytest.mark.parametrize("law", ["zipf", "lognormal"])
def test_the_comparison_does_not_depend_on_the_order_of_the_values(law: str) -> None:
    """A power-law sample leaves the lognormal's likelihood flat far out (mu very
    negative): the fit must land on the same point whatever the input's order."""
    rng = np.random.default_rng(5)
    x = (
        rng.zipf(2.2, 20_000).astype(float)
        if law == "zipf"
        else np.round(np.exp(rng.normal(2, 1.2, 20_000)))
    )
    a = compare_power_law_lognormal(x, xmin=5)
    for k in range(3):
        b = compare_power_law_lognormal(np.random.default_rng(k).permutation(x), xmin=5)
        assert b == a


@pytest.mark.parametrize("discrete", [True, False])
def test_optimiser_loglikelihoods_equal_the_public_ones_exactly(discrete):
    """The fit's per-evaluation function gives lognormal_loglikelihoods' floats."""
    from mutuals.metrics.tails import _lognormal_loglikelihoods_of

    rng = np.random.default_rng(5)
    t = np.unique(np.round(np.exp(rng.normal(4, 1.5, 3000)))) if discrete else None
    if not discrete:
        t = np.sort(np.exp(rng.normal(4, 1.5, 3000)))
    xmin = float(t[len(t) // 3])
    t = t[t >= xmin]
    f = _lognormal_loglikelihoods_of(t, xmin, discrete)
    for mu, sigma in [(4.0, 1.5), (-89.8, 8.6), (0.0, 0.05), (12.0, 30.0)]:
        want = lognormal_loglikelihoods(t, mu, sigma, xmin, discrete=discrete)
        assert np.array_equal(f(mu, sigma), want, equal_nan=True)
