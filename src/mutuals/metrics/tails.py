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
    ``sigma`` are fitted by maximum likelihood, with ``mu`` free to go negative
    so that a lognormal can mimic a power law over the tail (CSN Appendix B).

The continuous versions (``discrete=False``) use the densities of CSN Table 2.1.

The lognormal's fit. On ``y = ln x`` the lognormal is the exponential family
with log density ``-(1 - theta1) y - theta2 y^2 + const`` in ``x``, with natural
parameters

    theta1 = mu / sigma^2,    theta2 = 1 / (2 sigma^2) >= 0.

As ``sigma -> inf`` with ``mu / sigma^2`` fixed (``mu -> -inf``) the lognormal
tends to a power law of exponent ``1 - theta1``: on a tail close to a power law
the likelihood's supremum lies on that ridge, which in ``(mu, sigma)`` runs off
to infinity (an optimiser there stops wherever its budget ends) and in
``(theta1, theta2)`` is the edge ``theta2 = 0``. The family is taken on its
closed domain: at ``theta2 = 0`` (``theta1 < 0``) the law is its limit, the
``"round"`` power law
``p(x) = [(x - 1/2)^(1-a) - (x + 1/2)^(1-a)] / (xmin - 1/2)^(1-a)``, ``a = 1 - theta1``
(continuous: ``p(x) = ((a - 1) / xmin) (x / xmin)^-a``), and the likelihood is
continuous there: each interval's mass is written as ``exp(quadratic)`` times
a Mills ratio of the normal's tail, by its continued fraction where the
normal's ``z`` is large (or by quadrature over an interval too narrow for a
difference of tails), so that nothing cancels as ``theta2 -> 0`` (differences
of ``ln Q(z)`` at ``z ~ 1e4`` lose eight digits). The fit maximises the
log-likelihood by L-BFGS-B over the natural parameters centred at
``y0 = ln(xmin - 1/2)`` (``theta1 - 2 theta2 y0`` and ``theta2 >= 0``) with the
analytic gradient (differences of the moments of ``y`` and ``y^2`` over each
value's interval and over the tail), from the moments of ``ln x`` and from the
best power-law limit. When the best point is the limit, ``mu = -inf`` and
``sigma = inf`` (:class:`TailComparison` says so in ``lognormal_limit``).
"""

from __future__ import annotations

import math
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


_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
#: normal tails with ``z`` at least this are evaluated by their continued fraction
_Z_CF = 4.0
#: its depth: 40 terms give the Mills ratio to 1e-16 from ``z = 4`` on (tested)
_CF_DEPTH = 40
_GL_X, _GL_W = np.polynomial.legendre.leggauss(8)
_GL_U = (1.0 + _GL_X) / 2.0  # nodes on [0, 1]
_GL_W1 = _GL_W / 2.0


def _log1mexp(a: np.ndarray) -> np.ndarray:
    """``ln(1 - e^a)`` for ``a <= 0``, accurate for ``a`` near 0 and far below."""
    a = np.asarray(a, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a > -math.log(2.0), np.log(-np.expm1(a)), np.log1p(-np.exp(a)))


def _upper_tail(d: np.ndarray, p2: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``ln Z``, ``E[u]`` and ``E[u^2]`` of ``u >= 0`` with density ``exp(-d u - p2 u^2) / Z``.

    The tail beyond a point ``y`` of the family ``exp(g(y))``, ``g`` quadratic with
    ``g'(y) = -d`` and ``g'' = -2 p2``. For ``p2 > 0`` it is a normal tail from
    ``z = d / sqrt(2 p2)``: ``Z = s R(z)`` with ``s = 1 / sqrt(2 p2)`` and ``R`` the
    Mills ratio ``Q / phi``. Where ``z >= 4`` (and at ``p2 = 0``, ``z = inf``) the
    three come from the continued fraction ``R(z) = 1/(z+ 1/(z+ 2/(z+ ...)))``
    written in ``q = 1 / z^2 = 2 p2 / d^2``: with ``r_k = 1 / (1 + k q r_(k+1))``,
    ``Z = r_1 / d``, ``E[u] = r_2 / d``, ``E[u^2] = 2 r_2 r_3 / d^2``, exact at
    ``p2 = 0`` (the exponential tail ``1/d, 1/d, 2/d^2``) and free of the
    cancellations of ``1/R(z) - z`` at large ``z``. ``ln Z = inf`` where the tail
    is not normalisable (``p2 = 0``, ``d <= 0``).
    """
    from scipy.special import log_ndtr

    d = np.asarray(d, dtype=np.float64)
    lz = np.full(d.shape, np.inf)
    m1 = np.full(d.shape, np.nan)
    m2 = np.full(d.shape, np.nan)
    if p2 == 0.0:
        big = d > 0
    else:
        sq = math.sqrt(2.0 * p2)
        z = d / sq
        big = z >= _Z_CF
        small = ~big & ~np.isnan(z)
        if small.any():
            zs = z[small]
            s = 1.0 / sq
            ln_r = np.asarray(log_ndtr(-zs)) + 0.5 * zs * zs + _HALF_LOG_2PI
            lz[small] = math.log(s) + ln_r
            mm = np.exp(-ln_r) - zs  # 1/R(z) - z = E[z' - z | z' > z]
            m1[small] = s * mm
            m2[small] = s * s * (1.0 - zs * mm)
    if big.any():
        db = d[big]
        q = (2.0 * p2) / (db * db)
        r = np.ones_like(db)
        r2 = r3 = r
        for k in range(_CF_DEPTH, 0, -1):
            r = 1.0 / (1.0 + (k * q) * r)
            if k == 3:
                r3 = r
            elif k == 2:
                r2 = r
        lz[big] = np.log(r) - np.log(db)
        m1[big] = r2 / db
        m2[big] = 2.0 * r2 * r3 / (db * db)
    return lz, m1, m2


def _upper_tail_at(d: float, p2: float) -> tuple[float, float, float]:
    """:func:`_upper_tail` of one point, in floats (the tail's start, each evaluation)."""
    from scipy.special import log_ndtr

    if p2 == 0.0 and not d > 0:
        return math.inf, math.nan, math.nan
    z = d / math.sqrt(2.0 * p2) if p2 > 0 else math.inf
    if z >= _Z_CF:
        q = (2.0 * p2) / (d * d)
        r = r2 = r3 = 1.0
        for k in range(_CF_DEPTH, 0, -1):
            r = 1.0 / (1.0 + (k * q) * r)
            if k == 3:
                r3 = r
            elif k == 2:
                r2 = r
        return math.log(r) - math.log(d), r2 / d, 2.0 * r2 * r3 / (d * d)
    if math.isnan(z):
        return math.inf, math.nan, math.nan
    s = 1.0 / math.sqrt(2.0 * p2)
    ln_r = float(log_ndtr(-z)) + 0.5 * z * z + _HALF_LOG_2PI
    mm = math.exp(-ln_r) - z
    return math.log(s) + ln_r, s * mm, s * s * (1.0 - z * mm)


def _interval(
    va: np.ndarray, h: np.ndarray, p1: float, p2: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``ln Z``, ``E[u]``, ``E[u^2]`` of ``u`` on ``[0, h]`` with density
    ``exp(g(va + u) - g(va)) / Z``, ``g(v) = p1 v - p2 v^2``: one round interval
    ``[ln(x - 1/2), ln(x + 1/2)]`` of each tail value.

    Where ``g`` moves by at most 1 over the interval, Gauss-Legendre with 8 nodes
    (exact to rounding there); else from the normal's tails: both upper when
    ``g`` falls across the interval (the mass beyond ``h`` is then at most a
    fixed share of the tail from 0, so the difference keeps its digits), both
    lower when it rises, and the normal's own interval when it holds the mode.
    """
    from scipy.special import ndtr

    beta = p1 - 2.0 * p2 * va  # g'(va)
    lnz = np.empty_like(va)
    eu = np.empty_like(va)
    eu2 = np.empty_like(va)
    narrow = np.abs(beta) * h + p2 * h * h <= 1.0
    if narrow.any():
        hn = h[narrow]
        u = hn[:, None] * _GL_U
        f = np.exp(beta[narrow][:, None] * u - p2 * u * u) * _GL_W1
        f0 = f.sum(axis=1)
        lnz[narrow] = np.log(hn * f0)
        eu[narrow] = (f * u).sum(axis=1) / f0
        eu2[narrow] = (f * u * u).sum(axis=1) / f0
    wide = ~narrow
    if not wide.any():
        return lnz, eu, eu2
    da = -beta
    db = 2.0 * p2 * (va + h) - p1  # -g'(va + h)
    gh = beta * h - p2 * h * h  # g(va + h) - g(va)
    up = wide & (da >= 0)
    if up.any():
        hh = h[up]
        lza, m1a, m2a = _upper_tail(da[up], p2)
        lzb, m1b, m2b = _upper_tail(db[up], p2)
        lnw = gh[up] + lzb - lza  # share of the tail from va beyond va + h
        w, omw = np.exp(lnw), -np.expm1(lnw)
        lnz[up] = lza + _log1mexp(lnw)
        eu[up] = (m1a - w * (hh + m1b)) / omw
        eu2[up] = (m2a - w * (hh * hh + 2.0 * hh * m1b + m2b)) / omw
    down = wide & ~up & (db <= 0)
    if down.any():
        hh = h[down]
        # lower tails: the reflection t -> -t turns them into upper ones of -d
        lla, l1a, l2a = _upper_tail(-da[down], p2)
        llb, l1b, l2b = _upper_tail(-db[down], p2)
        ln_mb = gh[down] + llb
        lnw = lla - ln_mb  # share of the lower tail from va + h below va
        w, omw = np.exp(lnw), -np.expm1(lnw)
        lnz[down] = ln_mb + _log1mexp(lnw)
        eu[down] = (hh - l1b + w * l1a) / omw
        eu2[down] = (hh * hh - 2.0 * hh * l1b + l2b - w * l2a) / omw
    mode = wide & ~up & ~(db <= 0)
    if mode.any():
        s = 1.0 / math.sqrt(2.0 * p2)
        za, zb = da[mode] * s, db[mode] * s
        mass = ndtr(zb) - ndtr(za)
        pa = np.exp(-0.5 * za * za - _HALF_LOG_2PI)
        pb = np.exp(-0.5 * zb * zb - _HALF_LOG_2PI)
        ez = (pa - pb) / mass
        ez2 = 1.0 + (za * pa - zb * pb) / mass
        lnz[mode] = math.log(s) + _HALF_LOG_2PI + np.log(mass) + 0.5 * za * za
        eu[mode] = s * (ez - za)
        eu2[mode] = s * s * (ez2 - 2.0 * za * ez + za * za)
    return lnz, eu, eu2


class _LogTail:
    """A tail's values prepared for the lognormal's log-likelihood and its gradient.

    Parameters are the natural ones centred at ``y0`` (``ln(xmin - 1/2)``
    discrete, ``ln xmin`` continuous; module docstring): ``g(v) = p1 v - p2 v^2``
    on ``v = ln x - y0``, i.e. ``p2 = theta2``, ``p1 = theta1 - 2 theta2 y0``,
    and back ``mu = y0 + p1 / (2 p2)``, ``sigma = 1 / sqrt(2 p2)``.

    Where the normal's ``z`` at the tail's start is negative (its mode inside the
    tail) the log-likelihood is the ``log_ndtr`` form of
    :func:`lognormal_loglikelihoods` in ``(mu, sigma)``, exact there; elsewhere
    (and at ``p2 = 0``) the ``exp(g)``-times-Mills-ratio form of
    :func:`_interval` and :func:`_upper_tail`, exact there. The gradient is, per
    value, ``d/dp1 = E_x[v] - E_tail[v]`` and ``d/dp2 = -(E_x[v^2] - E_tail[v^2])``
    (the law's moments over the value's interval, or the value itself when
    continuous, and over the whole tail).
    """

    def __init__(self, t: np.ndarray, xmin: float, discrete: bool) -> None:
        tiny = np.finfo(float).tiny
        self.discrete = discrete
        if discrete:
            lo = xmin - 0.5
            self.yc = math.log(max(lo, tiny))
            self.y0 = self.yc if lo > 0 else math.log(xmin)
            self.log_lo = np.log(np.maximum(t - 0.5, tiny))
            self.log_hi = np.log(t + 0.5)
            self.dac = self.log_lo - self.yc  # ln((x - 1/2) / (xmin - 1/2))
            with np.errstate(divide="ignore", invalid="ignore"):
                h = np.where(t > 0.5, np.log1p(1.0 / (t - 0.5)), self.log_hi - self.log_lo)
            self.h = np.asarray(h, dtype=np.float64)
            self.va = self.log_lo - self.y0
        else:
            self.yc = self.y0 = math.log(xmin)
            self.log_t = np.log(t)
            self.dac = self.log_t - self.yc  # ln(x / xmin)
        self.vc = self.yc - self.y0
        self.m = t.size
        self.evaluations = 0

    def _normal_form(self, mu: float, sigma: float) -> np.ndarray:
        from scipy.special import log_ndtr

        if self.discrete:
            m = self.m
            z = np.empty(2 * m + 1)
            np.subtract(self.log_lo, mu, out=z[:m])
            np.subtract(self.log_hi, mu, out=z[m : 2 * m])
            z[2 * m] = self.yc - mu
            z /= sigma
            q = log_ndtr(-z)  # ln Q(z), as _log_sf
            la, lb, norm = q[:m], q[m : 2 * m], q[2 * m]
            with np.errstate(divide="ignore"):
                mass = la + np.log1p(-np.exp(lb - la))
            below = z[m : 2 * m] <= 0  # below the mode: Q(a), Q(b) near 1, take Phi
            if below.any():
                pa, pb = log_ndtr(z[:m][below]), log_ndtr(z[m : 2 * m][below])
                mass[below] = pb + _log1mexp(pa - pb)
            return np.asarray(mass - norm, dtype=np.float64)
        z = (self.log_t - mu) / sigma
        norm = _log_sf(np.array([(self.yc - mu) / sigma]))[0]
        return np.asarray(
            -self.log_t - np.log(sigma) - 0.5 * np.log(2 * np.pi) - 0.5 * z * z - norm,
            dtype=np.float64,
        )

    def evaluate(
        self,
        p1: float,
        p2: float,
        *,
        gradient: bool = False,
        mu_sigma: tuple[float, float] | None = None,
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """Per-value ``(ln p, d/dp1, d/dp2)`` (the last two None without ``gradient``).

        ``mu_sigma`` gives the same point as ``(mu, sigma)`` when the caller has
        those (the ``log_ndtr`` form then uses them as given).
        """
        self.evaluations += 1
        dc = 2.0 * p2 * self.vc - p1  # -g'(vc)
        if not (p2 >= 0 and math.isfinite(p1) and math.isfinite(p2)) or (p2 == 0 and dc <= 0):
            # outside the closed domain: the power-law limit needs exponent > 1
            bad = np.full(self.m, -np.inf)
            return bad, (bad.copy() if gradient else None), (bad.copy() if gradient else None)
        upper = dc >= 0  # the normal's z at the tail's start
        lzc, m1c, m2c = _upper_tail_at(dc, p2)
        dac, vc = self.dac, self.vc
        g_rel = p1 * dac - p2 * dac * (dac + 2.0 * vc)  # g(y) - g(yc)
        if self.discrete:
            lnz, eu, eu2 = _interval(self.va, self.h, p1, p2)
            if upper:
                ll = g_rel + lnz - lzc
            else:
                mu, sigma = mu_sigma or (self.y0 + p1 / (2.0 * p2), 1.0 / math.sqrt(2.0 * p2))
                ll = self._normal_form(mu, sigma)
                # a narrow interval's mass as the difference of two Q (or Phi) keeps
                # only the digits of its width; the quadrature of _interval keeps all
                narrow = np.abs(p1 - 2.0 * p2 * self.va) * self.h + p2 * self.h**2 <= 1.0
                if narrow.any():
                    za = (self.log_lo[narrow] - mu) / sigma
                    norm = float(_log_sf(np.array([(self.yc - mu) / sigma]))[0])
                    ll[narrow] = (
                        lnz[narrow] - 0.5 * za * za - math.log(sigma) - _HALF_LOG_2PI - norm
                    )
            if not gradient:
                return ll, None, None
            ev = dac + eu  # E_x[y - yc]
            ev2 = dac * dac + 2.0 * dac * eu + eu2  # E_x[(y - yc)^2]
        else:
            if upper:
                ll = g_rel - lzc - self.log_t
            else:
                mu, sigma = mu_sigma or (self.y0 + p1 / (2.0 * p2), 1.0 / math.sqrt(2.0 * p2))
                ll = self._normal_form(mu, sigma)
            if not gradient:
                return ll, None, None
            ev, ev2 = dac, dac * dac
        g1 = ev - m1c
        g2 = -(ev2 - m2c + 2.0 * vc * g1)
        return ll, g1, g2


def _centred(mu: float, sigma: float, y0: float) -> tuple[float, float]:
    """``(p1, p2)`` of ``(mu, sigma)`` (:class:`_LogTail`)."""
    s2 = sigma * sigma
    return (mu - y0) / s2, 0.5 / s2


def lognormal_loglikelihoods(
    x: np.ndarray, mu: float, sigma: float, xmin: float, *, discrete: bool = True
) -> np.ndarray:
    """``ln p(x_i)`` of each observation ``x_i >= xmin`` under a lognormal tail
    (module docstring: the discrete law is the mass within half a unit of ``x``).

    The power-law limit (``mu = -inf``, ``sigma = inf``) has no ``(mu, sigma)``:
    its likelihoods are those of the round power law of exponent ``1 - theta1``.
    """
    t = _tail(x, xmin)
    if not sigma > 0:
        raise InputError(f"sigma must be positive, got {sigma!r}")
    tail = _LogTail(t, xmin, discrete)
    p1, p2 = _centred(mu, sigma, tail.y0)
    return tail.evaluate(p1, p2, mu_sigma=(mu, sigma))[0]


def _lognormal_loglikelihoods_natural(
    x: np.ndarray, theta1: float, theta2: float, xmin: float, *, discrete: bool = True
) -> np.ndarray:
    """:func:`lognormal_loglikelihoods` in the natural parameters (module
    docstring), ``theta2 = 0`` included: the power-law limit of exponent
    ``1 - theta1`` (``-inf`` where ``theta1 >= 0`` there)."""
    t = _tail(x, xmin)
    tail = _LogTail(t, xmin, discrete)
    return tail.evaluate(theta1 - 2.0 * theta2 * tail.y0, theta2)[0]


def _lognormal_loglikelihoods_of(
    t: np.ndarray, xmin: float, discrete: bool
) -> Callable[[float, float], np.ndarray]:
    """:func:`lognormal_loglikelihoods` of the tail values ``t`` as a function of
    ``(mu, sigma)``: the logarithms of the values are taken once, so each
    evaluation gives the same floats as :func:`lognormal_loglikelihoods`
    (tested) at a fraction of its cost."""
    tail = _LogTail(t, xmin, discrete)

    def ll(mu: float, sigma: float) -> np.ndarray:
        p1, p2 = _centred(mu, sigma, tail.y0)
        return tail.evaluate(p1, p2, mu_sigma=(mu, sigma))[0]

    return ll


@dataclass(frozen=True)
class _LognormalFit:
    """The maximum-likelihood lognormal of a tail (:func:`_fit_lognormal`)."""

    mu: float
    sigma: float
    theta1: float
    theta2: float
    loglik: float
    limit: bool
    evaluations: int


def _fit_lognormal(values: np.ndarray, xmin: float, discrete: bool) -> _LognormalFit:
    """Maximum likelihood over the closed family (module docstring).

    L-BFGS-B on the mean log-likelihood over the distinct values times their
    counts (so that the fit does not depend on the order of ``values``), three
    runs: the power-law limit alone (``theta2 = 0``, from the continuous
    exponent's estimate), the whole family from that limit's best point, and
    the whole family from the mean and standard deviation of ``ln x`` (as
    ``powerlaw`` starts). The best point evaluated wins; the limit wins unless
    a point inside is better by more than ``1e-12`` relative (there ``sigma``
    would be a float of no meaning).
    """
    from scipy.optimize import minimize

    t = _tail(values, xmin)
    if t.size < 2:
        raise InputError(f"a lognormal tail needs at least 2 values >= xmin, got {t.size}")
    u, counts = np.unique(t, return_counts=True)
    tail = _LogTail(u, xmin, discrete)
    weights = counts / counts.sum()
    best: dict[bool, tuple[float, float, float]] = {}  # limit? -> (mean ll, p1, p2)

    def objective(p: np.ndarray) -> tuple[float, np.ndarray]:
        p1, p2 = float(p[0]), max(float(p[1]), 0.0)
        ll, g1, g2 = tail.evaluate(p1, p2, gradient=True)
        assert g1 is not None and g2 is not None
        mean = float((ll * weights).sum())
        grad = np.array([-float((g1 * weights).sum()), -float((g2 * weights).sum())])
        if not (math.isfinite(mean) and np.isfinite(grad).all()):
            return 1e300, np.zeros(2)
        key = p2 == 0.0
        if key not in best or mean > best[key][0]:
            best[key] = (mean, p1, p2)
        return -mean, grad

    opts = {"ftol": 1e-15, "gtol": 1e-11, "maxiter": 500, "maxls": 40}
    lu = np.log(u)
    m = float((lu * counts).sum() / counts.sum())
    sd = max(float(np.sqrt((counts * (lu - m) ** 2).sum() / counts.sum())), 1e-3)
    spread = float((tail.dac * weights).sum())
    if spread > 0:  # the limit: from the continuous power law's exponent, 1 - theta1
        minimize(objective, [-1.0 / spread, 0.0], jac=True, method="L-BFGS-B",
                 bounds=[(None, 0.0), (0.0, 0.0)], options=opts)  # fmt: skip
        if True in best:
            minimize(objective, [best[True][1], 0.0], jac=True, method="L-BFGS-B",
                     bounds=[(None, None), (0.0, None)], options=opts)  # fmt: skip
    start = _centred(m, sd, tail.y0)
    minimize(objective, list(start), jac=True, method="L-BFGS-B",
             bounds=[(None, None), (0.0, None)], options=opts)  # fmt: skip
    if not best:
        nan = float("nan")
        return _LognormalFit(nan, nan, nan, nan, nan, False, tail.evaluations)
    inner, limit = best.get(False), best.get(True)
    if limit is not None and (inner is None or inner[0] <= limit[0] + 1e-12 * abs(limit[0])):
        _, p1, p2 = limit
        mu, sigma, at_limit = -math.inf, math.inf, True
    else:
        assert inner is not None
        _, p1, p2 = inner
        mu, sigma, at_limit = tail.y0 + p1 / (2.0 * p2), 1.0 / math.sqrt(2.0 * p2), False
    ll = float((tail.evaluate(p1, p2)[0] * counts).sum())
    theta1 = p1 + 2.0 * p2 * tail.y0
    return _LognormalFit(mu, sigma, theta1, p2, ll, at_limit, tail.evaluations)


def fit_lognormal_tail(
    values: np.ndarray, xmin: float, *, discrete: bool = True
) -> tuple[float, float, float]:
    """Maximum-likelihood ``(mu, sigma, log-likelihood)`` of a lognormal over ``x >= xmin``.

    L-BFGS-B in the natural parameters, the power-law limit included (module
    docstring); ``(-inf, inf, ll)`` when the best fit is that limit, whose
    exponent :func:`compare_power_law_lognormal` reports. Each evaluation costs
    one pass over the distinct values of the tail.
    """
    fit = _fit_lognormal(values, xmin, discrete)
    return fit.mu, fit.sigma, fit.loglik


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
        Lognormal parameters; ``-inf`` and ``inf`` when ``lognormal_limit``
        (written as null in a summary's JSON).
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
    lognormal_limit : bool
        The lognormal's best fit is its power-law limit (``sigma -> inf`` with
        ``mu / sigma^2`` fixed; module docstring): a power law of exponent
        ``1 - lognormal_theta1``, discretised as the lognormal (``"round"``), not
        as the power law's zeta, so the two still differ a little.
    lognormal_theta1, lognormal_theta2 : float
        The lognormal's natural parameters ``mu / sigma^2`` and ``1 / (2 sigma^2)``,
        finite also at the limit (``lognormal_theta2 = 0``).
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
    lognormal_limit: bool = False
    lognormal_theta1: float = float("nan")
    lognormal_theta2: float = float("nan")


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
        return TailComparison(
            nan, 0, nan, nan, nan, nan, nan, nan, nan, nan, "neither", discrete, False, nan, nan
        )
    xm = fit.xmin
    a = fit.alpha if alpha is None else float(alpha)
    t = np.sort(x[x >= xm])  # sums in one order, whatever the input's
    ll_pl = power_law_loglikelihoods(t, a, xm, discrete=discrete)
    ln = _fit_lognormal(t, xm, discrete)
    ll_ln = _lognormal_loglikelihoods_natural(t, ln.theta1, ln.theta2, xm, discrete=discrete)
    r, rn, p = vuong_test(ll_pl, ll_ln)
    favoured = "neither" if not p < SIGNIFICANCE else ("power law" if r > 0 else "lognormal")
    return TailComparison(
        float(xm), int(t.size), float(a), ln.mu, ln.sigma, float(ll_pl.sum()),
        float(ll_ln.sum()), r, float(rn), p, favoured, discrete, ln.limit, ln.theta1, ln.theta2,
    )  # fmt: skip
