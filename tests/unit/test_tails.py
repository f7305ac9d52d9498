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


# --- the fit in natural parameters (theta1 = mu / sigma^2, theta2 = 1 / (2 sigma^2)) ---


def _round_power_law_ll(x: np.ndarray, a: float, xmin: float) -> np.ndarray:
    """The lognormal's theta2 = 0 limit, written out (module docstring)."""
    return np.log(((x - 0.5) ** (1 - a) - (x + 0.5) ** (1 - a)) / (xmin - 0.5) ** (1 - a))


def _round_pareto_mixture(n: int, seed: int) -> np.ndarray:
    """Rounded continuous power laws of exponents 2 and 3 from 4.5: convex in
    log-log, so no lognormal (theta2 > 0, concave) beats the power-law limit."""
    rng = np.random.default_rng(seed)
    a = np.where(rng.random(n) < 0.5, 2.0, 3.0)
    return np.round(4.5 * rng.random(n) ** (-1 / (a - 1)))


def _nelder_mead_ll(x: np.ndarray, xmin: float, start: tuple[float, float]) -> float:
    """Brute force: Nelder-Mead over (mu, ln sigma) on the public likelihoods."""
    from scipy.optimize import minimize

    from mutuals.metrics.tails import _lognormal_loglikelihoods_of

    t = x[x >= xmin]
    u, c = np.unique(t, return_counts=True)
    ll_of = _lognormal_loglikelihoods_of(u, xmin, True)  # lognormal_loglikelihoods' floats

    def nll(p: np.ndarray) -> float:
        s = float((ll_of(p[0], np.exp(p[1])) * c).sum())
        return -s if np.isfinite(s) else np.inf

    opts = {"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000}
    best = minimize(nll, start, method="Nelder-Mead", options=opts)
    best = minimize(nll, best.x, method="Nelder-Mead", options=opts)
    return -float(best.fun)


def _mixed_tail() -> np.ndarray:
    rng = np.random.default_rng(1)
    t = np.unique(np.concatenate([np.arange(3, 40), np.round(np.exp(rng.normal(3, 1.5, 500)))]))
    return t[t >= 3]


# (p1, p2) centred natural parameters: the limit, near it, inside, the mode above the
# tail's start, narrow and wide intervals, very small sigma
_POINTS = [(-1.5, 0.0), (-1.5, 1e-9), (-1.5, 1e-4), (-1.2, 0.0067), (-0.3, 0.05), (2.0, 0.5),
           (5.0, 0.5), (30.0, 5.0), (0.5, 1e-3), (-3.0, 2.0), (8.0, 40.0)]  # fmt: skip


@pytest.mark.parametrize("discrete", [True, False])
def test_the_analytic_gradient_equals_finite_differences(discrete: bool) -> None:
    from mutuals.metrics.tails import _LogTail

    tail = _LogTail(_mixed_tail(), 3.0, discrete)

    def f(p1: float, p2: float) -> float:
        return float(tail.evaluate(p1, p2)[0].sum())

    for p1, p2 in _POINTS:
        _, g1, g2 = tail.evaluate(p1, p2, gradient=True)
        assert g1 is not None and g2 is not None
        e1 = 1e-6 * max(1.0, abs(p1))
        fd1 = (f(p1 + e1, p2) - f(p1 - e1, p2)) / (2 * e1)
        if p2 >= 1e-3:
            e2 = 1e-6 * p2
            fd2 = (f(p1, p2 + e2) - f(p1, p2 - e2)) / (2 * e2)
        else:  # at or next to the edge theta2 = 0: one-sided, second order
            e2 = 1e-6
            fd2 = (-3 * f(p1, p2) + 4 * f(p1, p2 + e2) - f(p1, p2 + 2 * e2)) / (2 * e2)
        assert g1.sum() == pytest.approx(fd1, rel=1e-6, abs=1e-6), (p1, p2)
        assert g2.sum() == pytest.approx(fd2, rel=1e-6, abs=1e-4), (p1, p2)


@pytest.mark.parametrize("discrete", [True, False])
def test_the_likelihood_is_exact_in_every_regime(discrete: bool) -> None:
    """Against 50-digit arithmetic, at the points of the gradient test and at the
    power-law limit, with values from xmin to 1e5 (narrow and wide intervals)."""
    mpmath = pytest.importorskip("mpmath")
    from mutuals.metrics.tails import _LogTail

    mpmath.mp.dps = 50
    xs = np.array([3.0, 4.0, 5.0, 7.0, 10.0, 20.0, 50.0, 100.0, 1000.0, 1e5])
    xmin = 3.0
    y0 = mpmath.log(xmin - 0.5) if discrete else mpmath.log(xmin)

    def q(z):  # type: ignore[no-untyped-def]
        return mpmath.erfc(z / mpmath.sqrt(2)) / 2

    def exact(x: float, p1: float, p2: float) -> float:
        x = mpmath.mpf(x)
        if p2 == 0:
            a = 1 - mpmath.mpf(p1)
            if discrete:
                return float(mpmath.log(((x - 0.5) ** (1 - a) - (x + 0.5) ** (1 - a))
                                        / (xmin - mpmath.mpf(0.5)) ** (1 - a)))  # fmt: skip
            return float(mpmath.log((a - 1) / xmin) - a * mpmath.log(x / xmin))
        s = 1 / mpmath.sqrt(2 * mpmath.mpf(p2))
        mu = y0 + mpmath.mpf(p1) / (2 * mpmath.mpf(p2))
        c = (y0 - mu) / s
        if discrete:
            a, b = (mpmath.log(x - 0.5) - mu) / s, (mpmath.log(x + 0.5) - mu) / s
            return float(mpmath.log(q(a) - q(b)) - mpmath.log(q(c)))
        z = (mpmath.log(x) - mu) / s
        return float(-mpmath.log(x * s * mpmath.sqrt(2 * mpmath.pi)) - z * z / 2
                     - mpmath.log(q(c)))  # fmt: skip

    tail = _LogTail(xs, xmin, discrete)
    for p1, p2 in [*_POINTS, (-1.5, 1e-12)]:
        want = [exact(x, p1, p2) for x in xs]
        np.testing.assert_allclose(tail.evaluate(p1, p2)[0], want, rtol=1e-14, atol=1e-14)


def test_the_mills_ratio_continued_fraction_is_exact() -> None:
    mpmath = pytest.importorskip("mpmath")
    from mutuals.metrics.tails import _upper_tail, _upper_tail_at

    mpmath.mp.dps = 40
    zs = [-30.0, -3.0, 0.0, 1.0, 3.99, 4.0, 4.5, 7.0, 30.0, 1e3, 1e6]
    p2 = 0.7
    d = np.array(zs) * np.sqrt(2 * p2)
    lz, m1, m2 = _upper_tail(d, p2)
    s = 1 / mpmath.sqrt(2 * mpmath.mpf(p2))
    for i, z in enumerate(zs):
        z = mpmath.mpf(z)
        r = (mpmath.erfc(z / mpmath.sqrt(2)) / 2) / mpmath.npdf(z)  # Mills ratio Q / phi
        e1 = 1 / r - z  # E[z' - z | z' > z]
        e2 = 1 + z * z - z / r
        assert lz[i] == pytest.approx(float(mpmath.log(s * r)), rel=1e-14, abs=1e-14)
        assert m1[i] == pytest.approx(float(s * e1), rel=1e-13)
        assert m2[i] == pytest.approx(float(s * s * e2), rel=1e-13)
        assert _upper_tail_at(float(d[i]), p2) == pytest.approx((lz[i], m1[i], m2[i]), rel=1e-15)
    # p2 = 0: the exponential tail; not normalisable for d <= 0
    lz, m1, m2 = _upper_tail(np.array([0.5, 2.0, 0.0]), 0.0)
    np.testing.assert_allclose(lz[:2], -np.log([0.5, 2.0]), rtol=1e-15)
    np.testing.assert_allclose(m1[:2], [2.0, 0.5], rtol=1e-15)
    np.testing.assert_allclose(m2[:2], [8.0, 0.5], rtol=1e-15)
    assert lz[2] == np.inf and _upper_tail_at(0.0, 0.0)[0] == np.inf
    assert _upper_tail_at(2.0, 0.0) == pytest.approx((-np.log(2.0), 0.5, 0.5), rel=1e-15)


@pytest.mark.parametrize("discrete", [True, False])
def test_the_likelihood_is_continuous_at_the_power_law_limit(discrete: bool) -> None:
    from mutuals.metrics.tails import _lognormal_loglikelihoods_natural, _LogTail

    x = _mixed_tail()
    theta1 = -1.5
    at = _lognormal_loglikelihoods_natural(x, theta1, 0.0, 3.0, discrete=discrete)
    # the limit is the round power law (continuous: CSN's) of exponent 1 - theta1
    want = (
        _round_power_law_ll(x, 1 - theta1, 3.0)
        if discrete
        else power_law_loglikelihoods(x, 1 - theta1, 3.0, discrete=False)
    )
    np.testing.assert_allclose(at, want, rtol=1e-13)
    total = float(at.sum())
    tail = _LogTail(x, 3.0, discrete)  # d ll / d theta2 at theta1 fixed, from the gradient
    _, g1, g2 = tail.evaluate(theta1, 0.0, gradient=True)
    assert g1 is not None and g2 is not None
    slope = float(g2.sum() - 2 * tail.y0 * g1.sum())
    for k in [3, 4, 6, 8, 10, 12, 16, 30, 100, 300]:
        th2 = 10.0**-k
        ll = float(_lognormal_loglikelihoods_natural(x, theta1, th2, 3.0, discrete=discrete).sum())
        # ll(theta2) = ll(0) + theta2 * slope + O(theta2^2), to the last digits of ll
        assert abs(ll - total - th2 * slope) <= 1e5 * th2**2 + 1e-12 * abs(total), k
    # through (mu, sigma) too: at theta2 = 1e-8 (z ~ 1e4) differences of ln Q lost
    # eight digits; the public function agrees with 60-digit arithmetic
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 60
    th2 = 1e-8
    mu, s = theta1 / (2 * th2), 1 / np.sqrt(2 * th2)
    xs = np.array([3.0, 4.0, 10.0, 1000.0])
    y_c = mpmath.log(2.5) if discrete else mpmath.log(3)
    m_, s_ = mpmath.mpf(mu), mpmath.mpf(s)

    def q(z):  # type: ignore[no-untyped-def]
        return mpmath.erfc(z / mpmath.sqrt(2)) / 2

    def exact(x: float) -> float:
        x = mpmath.mpf(x)
        c = (y_c - m_) / s_
        if discrete:
            a, b = (mpmath.log(x - 0.5) - m_) / s_, (mpmath.log(x + 0.5) - m_) / s_
            return float(mpmath.log(q(a) - q(b)) - mpmath.log(q(c)))
        z = (mpmath.log(x) - m_) / s_
        return float(-mpmath.log(x * s_ * mpmath.sqrt(2 * mpmath.pi)) - z * z / 2
                     - mpmath.log(q(c)))  # fmt: skip

    got = lognormal_loglikelihoods(xs, mu, s, 3.0, discrete=discrete)
    np.testing.assert_allclose(got, [exact(v) for v in xs], rtol=1e-12)


def test_a_lognormal_sample_is_fitted_inside_and_matches_brute_force() -> None:
    from mutuals.metrics.tails import _fit_lognormal

    x = np.round(np.exp(np.random.default_rng(21).normal(3.0, 1.0, 20_000)))
    fit = _fit_lognormal(x, 10.0, True)
    assert not fit.limit and fit.evaluations < 300
    # within sampling error (the tail x >= 10 holds ~15,000 values; the truncated
    # fit's standard errors are ~0.02 and ~0.01 here)
    assert fit.mu == pytest.approx(3.0, abs=0.08) and fit.sigma == pytest.approx(1.0, abs=0.04)
    assert fit.theta1 == pytest.approx(fit.mu / fit.sigma**2, rel=1e-12)
    assert fit.theta2 == pytest.approx(0.5 / fit.sigma**2, rel=1e-12)
    brute = _nelder_mead_ll(x, 10.0, (3.0, 0.0))
    assert fit.loglik == pytest.approx(brute, abs=1e-6) and fit.loglik >= brute - 1e-9
    mu, sigma, ll = fit_lognormal_tail(x, 10.0)
    assert (mu, sigma, ll) == (fit.mu, fit.sigma, fit.loglik)
    assert ll == pytest.approx(float(lognormal_loglikelihoods(x, mu, sigma, 10.0).sum()), rel=1e-13)


def test_a_power_law_sample_goes_to_the_limit_and_never_below_it() -> None:
    from scipy.optimize import minimize_scalar

    from mutuals.metrics.tails import _fit_lognormal, _lognormal_loglikelihoods_natural

    x = _round_pareto_mixture(4000, 0)
    t = x[x >= 5]
    fit = _fit_lognormal(x, 5.0, True)
    assert fit.limit and fit.theta2 == 0.0 and fit.mu == -np.inf and fit.sigma == np.inf
    # its likelihood is the round power law's, at that power law's maximum
    assert fit.loglik == pytest.approx(_round_power_law_ll(t, 1 - fit.theta1, 5.0).sum(), rel=1e-12)
    best = minimize_scalar(
        lambda a: -_round_power_law_ll(t, a, 5.0).sum(), bounds=(1.01, 5), method="bounded",
        options={"xatol": 1e-10},
    )  # fmt: skip
    assert fit.loglik >= -best.fun - 1e-9 and fit.loglik == pytest.approx(-best.fun, abs=1e-6)
    # a maximum on the edge: the likelihood falls into theta2 > 0
    ll0 = _lognormal_loglikelihoods_natural(t, fit.theta1, 0.0, 5.0).sum()
    ll1 = _lognormal_loglikelihoods_natural(t, fit.theta1, 1e-5, 5.0).sum()
    assert ll1 < ll0
    # Nelder-Mead in (mu, ln sigma) drifts along the ridge and stays below
    assert fit.loglik >= _nelder_mead_ll(x, 5.0, (1.0, 0.5)) - 1e-9
    # and the comparison says so, in JSON as null parameters
    import json
    from dataclasses import asdict

    from mutuals.report._json import json_safe

    cmp = compare_power_law_lognormal(x, xmin=5)
    assert cmp.lognormal_limit and cmp.lognormal_theta2 == 0.0
    assert cmp.loglik_lognormal == pytest.approx(fit.loglik, rel=1e-13)
    out = json.loads(json.dumps(json_safe(asdict(cmp)), allow_nan=False))
    assert out["mu"] is None and out["sigma"] is None and out["lognormal_limit"] is True
    # zipf samples (zeta, not round, discretisation): inside or at the limit, never below it
    for seed in range(4):
        z = _zipf(5000, 2.5, seed)
        tz = z[z >= 5]
        f = _fit_lognormal(z, 5.0, True)
        lim = minimize_scalar(
            lambda a, tz=tz: -_round_power_law_ll(tz, a, 5.0).sum(), bounds=(1.01, 5),
            method="bounded", options={"xatol": 1e-10},
        )  # fmt: skip
        assert f.loglik >= -lim.fun - 1e-9, seed


def test_a_continuous_power_law_is_its_exact_maximum_likelihood_limit() -> None:
    from mutuals.metrics.tails import _fit_lognormal

    rng = np.random.default_rng(3)  # power laws of exponents 2 and 3: convex in log-log
    y = 2.0 * rng.random(5000) ** (-1 / (np.where(rng.random(5000) < 0.5, 2.0, 3.0) - 1))
    fit = _fit_lognormal(y, 2.0, False)
    alpha = 1 + y.size / np.log(y / 2.0).sum()  # CSN eq. 3.1, the limit's exact maximum
    assert fit.limit and 1 - fit.theta1 == pytest.approx(alpha, rel=1e-10)
    want = power_law_loglikelihoods(y, alpha, 2.0, discrete=False).sum()
    assert fit.loglik == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("law", ["limit", "inside"])
def test_the_fit_does_not_depend_on_the_order_of_the_values(law: str) -> None:
    from mutuals.metrics.tails import _fit_lognormal

    x = _round_pareto_mixture(3000, 1) if law == "limit" else _zipf(5000, 2.5, 2)
    a = _fit_lognormal(x, 5.0, True)
    assert a.limit == (law == "limit")
    for k in range(3):
        b = _fit_lognormal(np.random.default_rng(k).permutation(x), 5.0, True)
        assert b == a
