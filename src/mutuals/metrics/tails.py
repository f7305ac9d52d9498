"""Is a heavy tail a power law? Vuong's likelihood-ratio test against a lognormal.

A power law fitted to a degree distribution (:func:`mutuals.metrics.graph.fit_power_law`)
says nothing by itself about whether another heavy-tailed law fits better.
Clauset, Shalizi & Newman (2009, "Power-law distributions in empirical data",
*SIAM Review* 51:661, sec. 5) compare the candidates by their log-likelihoods
over the same tail ``x >= xmin``, with Vuong's (1989) test for non-nested
models: for the per-observation log-likelihood difference
``d_i = ln p_PL(x_i) - ln p_LN(x_i)``,

    R = sum_i d_i,    sigma^2 = (1/n) sum_i (d_i - mean(d))^2,

the normalised ratio ``R / (sigma sqrt(n))`` is asymptotically standard normal
when both fit equally well, and the two-sided p-value is
``p = erfc(|R| / (sigma sqrt(2 n)))`` (CSN eq. 5.4). ``R > 0`` favours the power
law, ``R < 0`` the lognormal; CSN read a sign as meaningful when ``p < 0.1``.

The laws, discrete (degrees are integers), over ``x >= xmin``:

power law
    ``p(x) = x^-alpha / zeta(alpha, xmin)`` (Hurwitz zeta; CSN eq. 2.4), with
    the exact maximum-likelihood ``alpha``.
lognormal
    the mass the continuous lognormal ``(mu, sigma)`` puts within half a unit
    of ``x``, renormalised to the tail:
    ``p(x) = [Q(a(x - 1/2)) - Q(a(x + 1/2))] / Q(a(xmin - 1/2))`` with
    ``a(y) = (ln y - mu) / sigma`` and ``Q`` the standard normal survival
    function. This is the ``"round"`` discretisation of the ``powerlaw``
    package (Alstott, Bullmore & Plenz 2014), so the two agree; ``mu`` and
    ``sigma`` are fitted by maximum likelihood (Nelder-Mead on ``mu, ln sigma``
    from the moments of ``ln x``), with ``mu`` free to go negative so that a
    lognormal can mimic a power law over the tail (CSN Appendix B).

The continuous versions (``discrete=False``) use the densities of CSN Table 2.1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mutuals.errors import InputError

__all__ = [
    "TailComparison",
    "compare_power_law_lognormal",
    "fit_lognormal_tail",
    "lognormal_loglikelihoods",
    "power_law_loglikelihoods",
    "vuong_test",
]

#: Smallest p-value at which a sign is read as meaningful (CSN 2009, sec. 5.1).
SIGNIFICANCE = 0.1


def _tail(values: np.ndarray, xmin: float) -> np.ndarray:
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1:
        raise InputError("values must be a 1-d array")
    if not (np.isfinite(xmin) and xmin > 0):
        raise InputError(f"xmin must be a positive number, got {xmin!r}")
    return x[np.isfinite(x) & (x >= xmin)]


def power_law_loglikelihoods(
    x: np.ndarray, alpha: float, xmin: float, *, discrete: bool = True
) -> np.ndarray:
    """``ln p(x_i)`` of each observation ``x_i >= xmin`` under a power-law tail.

    Discrete: ``-alpha ln x - ln zeta(alpha, xmin)``; continuous:
    ``ln((alpha - 1) / xmin) - alpha ln(x / xmin)``. Values below ``xmin`` are
    dropped.
    """
    from scipy.special import zeta

    t = _tail(x, xmin)
    if discrete:
        return np.asarray(-alpha * np.log(t) - np.log(zeta(alpha, xmin)), dtype=np.float64)
    return np.asarray(np.log((alpha - 1.0) / xmin) - alpha * np.log(t / xmin), dtype=np.float64)


def _log_sf(z: np.ndarray) -> np.ndarray:
    """``ln Q(z)`` for the standard normal, accurate far into both tails."""
    from scipy.special import log_ndtr

    return np.asarray(log_ndtr(-z), dtype=np.float64)


def lognormal_loglikelihoods(
    x: np.ndarray, mu: float, sigma: float, xmin: float, *, discrete: bool = True
) -> np.ndarray:
    """``ln p(x_i)`` of each observation ``x_i >= xmin`` under a lognormal tail
    (module docstring: the discrete law is the mass within half a unit of ``x``).
    """
    t = _tail(x, xmin)
    if not sigma > 0:
        raise InputError(f"sigma must be positive, got {sigma!r}")
    if discrete:
        lo = max(xmin - 0.5, np.finfo(float).tiny)
        a = (np.log(np.maximum(t - 0.5, np.finfo(float).tiny)) - mu) / sigma
        b = (np.log(t + 0.5) - mu) / sigma
        la, lb = _log_sf(a), _log_sf(b)
        # ln(Q(a) - Q(b)) = ln Q(a) + ln(1 - Q(b)/Q(a)), Q(b) < Q(a)
        with np.errstate(divide="ignore"):
            mass = la + np.log1p(-np.exp(lb - la))
        norm = _log_sf(np.array([(np.log(lo) - mu) / sigma]))[0]
        return np.asarray(mass - norm, dtype=np.float64)
    z = (np.log(t) - mu) / sigma
    norm = _log_sf(np.array([(np.log(xmin) - mu) / sigma]))[0]
    return np.asarray(
        -np.log(t) - np.log(sigma) - 0.5 * np.log(2 * np.pi) - 0.5 * z * z - norm,
        dtype=np.float64,
    )


def _lognormal_loglikelihoods_of(
    t: np.ndarray, xmin: float, discrete: bool
) -> Callable[[float, float], np.ndarray]:
    """:func:`lognormal_loglikelihoods` of the tail values ``t`` as a function of
    ``(mu, sigma)``, for an optimiser: the logarithms of the values are taken
    once and the normal tail of every point is one call, so each evaluation
    gives the same floats as :func:`lognormal_loglikelihoods` (tested) at a
    fraction of its cost."""
    from scipy.special import log_ndtr

    tiny = np.finfo(float).tiny
    if discrete:
        log_lo = np.log(np.maximum(t - 0.5, tiny))
        log_hi = np.log(t + 0.5)
        log_norm = np.log(max(xmin - 0.5, tiny))
        m = t.size

        def discrete_ll(mu: float, sigma: float) -> np.ndarray:
            z = np.empty(2 * m + 1)
            np.subtract(log_lo, mu, out=z[:m])
            np.subtract(log_hi, mu, out=z[m : 2 * m])
            z[2 * m] = log_norm - mu
            z /= sigma
            q = log_ndtr(-z)  # ln Q(z), as _log_sf
            la, lb, norm = q[:m], q[m : 2 * m], q[2 * m]
            with np.errstate(divide="ignore"):
                mass = la + np.log1p(-np.exp(lb - la))
            return np.asarray(mass - norm, dtype=np.float64)

        return discrete_ll
    log_t = np.log(t)
    log_xmin = np.log(xmin)

    def continuous_ll(mu: float, sigma: float) -> np.ndarray:
        z = (log_t - mu) / sigma
        norm = _log_sf(np.array([(log_xmin - mu) / sigma]))[0]
        return np.asarray(
            -log_t - np.log(sigma) - 0.5 * np.log(2 * np.pi) - 0.5 * z * z - norm,
            dtype=np.float64,
        )

    return continuous_ll


def fit_lognormal_tail(
    values: np.ndarray, xmin: float, *, discrete: bool = True
) -> tuple[float, float, float]:
    """Maximum-likelihood ``(mu, sigma, log-likelihood)`` of a lognormal over ``x >= xmin``.

    Nelder-Mead over ``(mu, ln sigma)`` from the mean and standard deviation of
    ``ln x`` (as ``powerlaw`` starts), restarted once from the optimum found;
    each step costs one pass over the distinct values of the tail.
    """
    from scipy.optimize import minimize

    t = _tail(values, xmin)
    if t.size < 2:
        raise InputError(f"a lognormal tail needs at least 2 values >= xmin, got {t.size}")
    # degrees repeat: the likelihood is a sum over distinct values times their counts;
    # the start, too, comes from the distinct values, so that the fit does not depend
    # on the order of ``values`` (a far-off optimum on a flat likelihood, mu of -8e4,
    # moved with the last bits of a mean summed in another order)
    u, counts = np.unique(t, return_counts=True)
    lu = np.log(u)
    m = float((lu * counts).sum() / counts.sum())
    sd = float(np.sqrt((counts * (lu - m) ** 2).sum() / counts.sum()))
    start = np.array([m, np.log(max(sd, 1e-3))])

    ll_of = _lognormal_loglikelihoods_of(u, xmin, discrete)

    def nll(p: np.ndarray) -> float:
        mu, ls = float(p[0]), float(p[1])
        if not (-1e7 < mu < 1e7 and -10.0 < ls < 10.0):
            return float("inf")
        ll = ll_of(mu, float(np.exp(ls)))
        s = float((ll * counts).sum())
        return -s if np.isfinite(s) else float("inf")

    opts = {"xatol": 1e-8, "fatol": 1e-10, "maxiter": 4000}
    best = minimize(nll, start, method="Nelder-Mead", options=opts)
    again = minimize(nll, best.x, method="Nelder-Mead", options=opts)
    if again.fun < best.fun:
        best = again
    mu, sigma = float(best.x[0]), float(np.exp(best.x[1]))
    return mu, sigma, float(-best.fun)


def vuong_test(ll1: np.ndarray, ll2: np.ndarray) -> tuple[float, float, float]:
    """Vuong's test of two non-nested models from per-observation log-likelihoods.

    Returns ``(R, R / (sigma sqrt(n)), p)`` (module docstring); ``(0, 0, 1)``
    for no observations or identical likelihoods.
    """
    from scipy.special import erfc

    a = np.asarray(ll1, dtype=np.float64)
    b = np.asarray(ll2, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise InputError("log-likelihood arrays must be 1-d and of equal length")
    n = a.size
    if n == 0:
        return 0.0, 0.0, 1.0
    floor = np.log(np.finfo(float).tiny)
    d = np.maximum(a, floor) - np.maximum(b, floor)
    r = float(d.sum())
    sd = float(np.sqrt(((d - d.mean()) ** 2).mean()))
    if sd == 0.0:
        return r, 0.0, 1.0
    return r, r / (sd * np.sqrt(n)), float(erfc(abs(r) / (sd * np.sqrt(2.0 * n))))


@dataclass(frozen=True)
class TailComparison:
    """A power law against a lognormal over one tail (module docstring).

    Attributes
    ----------
    xmin : float
        Lower bound of the tail both laws are fitted to.
    n_tail : int
        Observations ``>= xmin``.
    alpha : float
        Power-law exponent.
    mu, sigma : float
        Lognormal parameters.
    loglik_power_law, loglik_lognormal : float
        Log-likelihoods of the tail.
    ratio : float
        ``R``: positive favours the power law.
    normalised_ratio : float
        ``R / (sigma sqrt(n))``.
    p : float
        Two-sided p-value of the sign of ``R``.
    favoured : str
        ``"power law"``, ``"lognormal"`` or ``"neither"`` (``p >= 0.1``).
    discrete : bool
    """

    xmin: float
    n_tail: int
    alpha: float
    mu: float
    sigma: float
    loglik_power_law: float
    loglik_lognormal: float
    ratio: float
    normalised_ratio: float
    p: float
    favoured: str
    discrete: bool


def compare_power_law_lognormal(
    values: np.ndarray,
    *,
    xmin: float | None = None,
    alpha: float | None = None,
    discrete: bool = True,
    min_tail: int = 50,
) -> TailComparison:
    """Vuong's likelihood-ratio test of a power-law tail against a lognormal one.

    Parameters
    ----------
    values : array of numbers
        Observations (degrees); values <= 0 never enter a tail.
    xmin : float, optional
        The tail's lower bound; by default the KS-optimal one of
        :func:`mutuals.metrics.graph.fit_power_law`.
    alpha : float, optional
        The power-law exponent; by default its maximum-likelihood value at ``xmin``.
    discrete : bool
        Integer data.
    min_tail : int
        Smallest tail :func:`~mutuals.metrics.graph.fit_power_law` considers.

    Returns
    -------
    TailComparison
        NaN fields (``favoured = "neither"``) when no tail of 2+ values exists.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = np.round(np.exp(rng.normal(3, 1, 3000)))
    >>> compare_power_law_lognormal(x, xmin=10).favoured
    'lognormal'
    """
    from mutuals.metrics.graph import fit_power_law

    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x) & (x > 0)]
    fit = fit_power_law(x, discrete=discrete, xmin=xmin, min_tail=min_tail)
    nan = float("nan")
    if not np.isfinite(fit.xmin) or fit.n_tail < 2:
        return TailComparison(nan, 0, nan, nan, nan, nan, nan, nan, nan, nan, "neither", discrete)
    xm = fit.xmin
    a = fit.alpha if alpha is None else float(alpha)
    t = np.sort(x[x >= xm])  # sums in one order, whatever the input's
    ll_pl = power_law_loglikelihoods(t, a, xm, discrete=discrete)
    mu, sigma, _ = fit_lognormal_tail(t, xm, discrete=discrete)
    ll_ln = lognormal_loglikelihoods(t, mu, sigma, xm, discrete=discrete)
    r, rn, p = vuong_test(ll_pl, ll_ln)
    favoured = "neither" if not p < SIGNIFICANCE else ("power law" if r > 0 else "lognormal")
    return TailComparison(
        float(xm), int(t.size), float(a), mu, sigma, float(ll_pl.sum()), float(ll_ln.sum()),
        r, rn, p, favoured, discrete,
    )  # fmt: skip
