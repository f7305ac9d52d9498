"""Effects of a treatment arm over a baseline arm, their intervals and the verdict.

An experiment runs a baseline arm and treatment arms on common seeds: replicate
``i`` of every arm uses the same seed, so the runs of one replicate share their
random numbers and differ only by the treatment (common random numbers). Each
run gives a value of a measure, and the effect is estimated from the
per-replicate differences, which cancel what the replicates share:

.. math::

    d_i = y^T_i - y^B_i, \\qquad
    \\hat\\delta = \\bar d = \\frac1n \\sum_{i=1}^n d_i, \\qquad
    s_d^2 = \\frac{1}{n-1} \\sum_{i=1}^n (d_i - \\bar d)^2,

    \\hat\\delta \\pm t_{(1+\\ell)/2,\\, n-1} \\, \\frac{s_d}{\\sqrt n}

(the paired-t interval at level :math:`\\ell`, :func:`paired_effect`). A ratio
of means is estimated on the log scale (:func:`ratio_effect`), and a measure of
one arm (a correlation per replicate) against a fixed null value
(:func:`one_sample_effect`). :func:`verdict` reads an interval against the
direction the thread claims.

Missing values
    A run that gave no value of the measure (NaN, or an infinite value) is
    dropped, and with it its replicate's pair; ``Effect.n`` counts the
    replicates used.
Too few replicates
    With one replicate the effect is that replicate's difference and the
    interval is NaN; with none the effect is NaN too. :func:`verdict` calls
    either inconclusive.
No variance
    When every difference is the same (up to rounding: they spread by at most
    4 ulps of the largest), :math:`s_d = 0` and the interval is the point :math:`[\\bar d, \\bar d]`: the treatment moved every replicate by
    exactly that much.

References
----------
.. [1] Student (1908), "The probable error of a mean", *Biometrika* 6:1-25.
.. [2] A. M. Law (2015), *Simulation Modeling and Analysis*, 5th ed.,
   McGraw-Hill: chap. 10 (the paired-t interval for comparing two systems) and
   chap. 11 (common random numbers).

Examples
--------
>>> e = paired_effect([3.0, 4.0, 5.0], [1.0, 2.0, 2.0])
>>> round(e.effect, 3), round(e.low, 3), round(e.high, 3), e.n
(2.333, 0.899, 3.768, 3)
>>> verdict(e, +1), verdict(e, -1)
('supported', 'contradicted')
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from mutuals.errors import InputError

__all__ = [
    "CONTRADICTED",
    "INCONCLUSIVE",
    "SUPPORTED",
    "VERDICTS",
    "Effect",
    "one_sample_effect",
    "paired_effect",
    "ratio_effect",
    "t_quantile",
    "verdict",
]

#: The interval excludes no effect, in the direction the thread claims.
SUPPORTED = "supported"
#: The interval excludes no effect, in the other direction.
CONTRADICTED = "contradicted"
#: The interval contains the null value, or there are too few replicates.
INCONCLUSIVE = "inconclusive"
VERDICTS = (SUPPORTED, CONTRADICTED, INCONCLUSIVE)

_NAN = float("nan")


@dataclass(frozen=True)
class Effect:
    """An estimated effect and its interval.

    Attributes
    ----------
    effect : float
        The estimate: a difference in the units of the measure (null value 0),
        or a ratio (null value 1) for :func:`ratio_effect`.
    low, high : float
        The interval at the level asked for; NaN with fewer than 2 replicates.
    n : int
        Replicates used (pairs with both values, for a paired effect).
    method : str
        How it was estimated: ``"paired t"``, ``"paired t on log ratios"`` or
        ``"one-sample t"``.
    baseline_mean, treatment_mean : float
        The arms' means over the replicates used (geometric means for a ratio,
        the null value as ``baseline_mean`` for a one-sample effect); NaN when
        no replicate was used.
    """

    effect: float
    low: float
    high: float
    n: int
    method: str
    baseline_mean: float
    treatment_mean: float


def t_quantile(level: float, df: int) -> float:
    """The two-sided Student-t quantile :math:`t_{(1+\\ell)/2,\\, df}`.

    Examples
    --------
    >>> round(t_quantile(0.95, 9), 4)
    2.2622
    """
    _check_level(level)
    if df < 1:
        raise InputError(f"degrees of freedom must be at least 1, got {df}")
    from scipy.special import stdtrit  # lazily: scipy takes a while to import

    return float(stdtrit(df, 0.5 + level / 2))


def paired_effect(treatment: ArrayLike, baseline: ArrayLike, *, level: float = 0.95) -> Effect:
    """The mean per-replicate difference ``treatment[i] - baseline[i]`` and its t-interval.

    .. math::

        \\hat\\delta = \\frac1n \\sum_i (y^T_i - y^B_i) \\pm
        t_{(1+\\ell)/2,\\, n-1} \\frac{s_d}{\\sqrt n}

    Parameters
    ----------
    treatment, baseline : array_like of float, shape (replicates,)
        The measure in each replicate of the two arms; element ``i`` of both was
        run with the same seed. A pair with a NaN (or infinite) value is dropped.
    level : float, default 0.95
        Coverage of the interval, in (0, 1).

    Returns
    -------
    Effect
        ``method="paired t"``; see the module docstring for fewer than 2 pairs
        and for differences that do not vary.

    Examples
    --------
    >>> e = paired_effect([2.0, 3.0, float("nan")], [1.0, 1.0, 1.0])
    >>> e.effect, e.n, e.treatment_mean, e.baseline_mean
    (1.5, 2, 2.5, 1.0)
    """
    t, b = _pairs(treatment, baseline)
    keep = np.isfinite(t) & np.isfinite(b)
    t, b = t[keep], b[keep]
    effect, low, high = _t_interval(t - b, level)
    return Effect(effect, low, high, int(t.size), "paired t", _mean(b), _mean(t))


def one_sample_effect(values: ArrayLike, *, null: float = 0.0, level: float = 0.95) -> Effect:
    """The mean of ``values`` minus ``null``, and its t-interval.

    For a claim measured within one arm (a per-replicate Spearman correlation of
    cascade size against followers, whose null value is 0):

    .. math::

        \\hat\\delta = \\bar x - x_0 \\pm t_{(1+\\ell)/2,\\, n-1} \\frac{s_x}{\\sqrt n}

    so the effect is on the scale of a difference (null value 0 for
    :func:`verdict`), ``treatment_mean`` is :math:`\\bar x` and ``baseline_mean``
    is :math:`x_0`. With the default ``null=0`` the effect is the mean itself.

    Parameters
    ----------
    values : array_like of float, shape (replicates,)
        One value per replicate; NaN (or infinite) values are dropped.
    null : float, default 0.0
        The value of the measure under no effect, :math:`x_0`.
    level : float, default 0.95
        Coverage of the interval, in (0, 1).

    Examples
    --------
    >>> e = one_sample_effect([0.2, 0.3, 0.4])
    >>> round(e.effect, 6), round(e.low, 3), round(e.high, 3)
    (0.3, 0.052, 0.548)
    """
    x = _as_1d(values, "values")
    if not math.isfinite(null):
        raise InputError(f"null must be a finite number, got {null!r}")
    x = x[np.isfinite(x)]
    effect, low, high = _t_interval(x - null, level)
    return Effect(effect, low, high, int(x.size), "one-sample t", float(null), _mean(x))


def slope_effect(x: ArrayLike, y: ArrayLike, *, level: float = 0.95) -> Effect:
    """The mean within-replicate least-squares slope of ``y`` on ``x``, and its t-interval.

    For a sweep (claim C7: a measure against the number of same-community
    follows, over arms run on common seeds): row ``r`` of ``x`` and ``y``
    holds replicate ``r``'s values in each arm of the sweep. Each replicate
    gives one slope

    .. math::

        b_r = \\frac{\\sum_a (x_{ra} - \\bar x_r)(y_{ra} - \\bar y_r)}{\\sum_a (x_{ra} - \\bar x_r)^2}

    over the arms where both are finite (at least two, with ``x`` not all
    equal; else the replicate is dropped), and the effect is
    :func:`one_sample_effect` of the ``b_r`` against 0: the replicates are
    independent, the arms within one are not (common random numbers), so the
    interval is over replicates, not over arm-replicate points.
    ``treatment_mean`` is the mean slope, ``baseline_mean`` 0.

    Examples
    --------
    >>> e = slope_effect([[0, 1, 2], [0, 1, 2], [0, 2, 4]], [[0, 2, 4], [1, 3, 5], [0, 2, 4]])
    >>> round(e.effect, 6), e.n, e.method
    (1.666667, 3, 'one-sample t on per-replicate slopes')
    """
    xa, ya = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if xa.ndim != 2 or xa.shape != ya.shape:
        raise InputError(
            f"x and y must be replicates x arms arrays of one shape, got {xa.shape} and {ya.shape}"
        )
    slopes = []
    for xr, yr in zip(xa, ya, strict=True):
        ok = np.isfinite(xr) & np.isfinite(yr)
        if ok.sum() < 2:
            continue
        dx = xr[ok] - xr[ok].mean()
        sxx = float((dx * dx).sum())
        if sxx <= 0:
            continue
        slopes.append(float((dx * (yr[ok] - yr[ok].mean())).sum()) / sxx)
    e = one_sample_effect(np.array(slopes, np.float64), level=level)
    return Effect(e.effect, e.low, e.high, e.n, "one-sample t on per-replicate slopes", 0.0,
                  e.treatment_mean)  # fmt: skip


def ratio_effect(treatment: ArrayLike, baseline: ArrayLike, *, level: float = 0.95) -> Effect:
    """The ratio of the arms' geometric means, from paired differences of logs.

    .. math::

        d_i = \\log y^T_i - \\log y^B_i, \\qquad
        \\hat\\rho = e^{\\bar d} = \\frac{\\mathrm{GM}(y^T)}{\\mathrm{GM}(y^B)}, \\qquad
        \\left[ e^{\\bar d - t s_d / \\sqrt n},\\; e^{\\bar d + t s_d / \\sqrt n} \\right]

    with :math:`t = t_{(1+\\ell)/2,\\, n-1}`; the null value is 1. For a
    multiplicative effect (the treatment scales a replicate's value) this is the
    paired-t interval on the log scale, mapped back.

    Parameters
    ----------
    treatment, baseline : array_like of float, shape (replicates,)
        Positive values of the measure, element ``i`` of both run with the same
        seed. A pair with a value that is NaN, infinite, zero or negative (no log)
        is dropped and not counted in ``n``.
    level : float, default 0.95
        Coverage of the interval, in (0, 1).

    Returns
    -------
    Effect
        ``method="paired t on log ratios"``; ``baseline_mean`` and
        ``treatment_mean`` are geometric means, so ``effect`` is their ratio.

    Examples
    --------
    >>> e = ratio_effect([2.0, 4.0, 8.0, 0.0], [1.0, 2.0, 4.0, 1.0])
    >>> e.effect, e.low, e.high, e.n
    (2.0, 2.0, 2.0, 3)
    """
    t, b = _pairs(treatment, baseline)
    keep = np.isfinite(t) & np.isfinite(b) & (t > 0) & (b > 0)
    log_t, log_b = np.log(t[keep]), np.log(b[keep])
    d, low, high = _t_interval(log_t - log_b, level)
    return Effect(
        math.exp(d),
        math.exp(low),
        math.exp(high),
        int(log_t.size),
        "paired t on log ratios",
        math.exp(_mean(log_b)),
        math.exp(_mean(log_t)),
    )


def verdict(e: Effect, direction: int, *, null: float = 0.0) -> str:
    """What an interval says about a claim.

    .. math::

        \\text{verdict} = \\begin{cases}
        \\text{supported} & \\text{if } s \\cdot (L - \\theta_0) > 0
            \\text{ and } s \\cdot (H - \\theta_0) > 0, \\\\
        \\text{contradicted} & \\text{if } s \\cdot (L - \\theta_0) < 0
            \\text{ and } s \\cdot (H - \\theta_0) < 0, \\\\
        \\text{inconclusive} & \\text{otherwise}
        \\end{cases}

    for the interval :math:`[L, H]`, the null value :math:`\\theta_0` and the
    claimed direction :math:`s = \\pm 1`. An interval that touches the null value,
    a NaN interval and fewer than 2 replicates are inconclusive. At level 0.95 and
    no true effect, each of supported and contradicted comes out in about 2.5% of
    experiments.

    Parameters
    ----------
    e : Effect
        The estimate and its interval.
    direction : {+1, -1}
        +1 if the thread says the measure rises under the treatment (or the
        correlation is positive), -1 if it falls.
    null : float, default 0.0
        The effect under no effect: 0 for differences and one-sample effects, 1
        for :func:`ratio_effect`.

    Returns
    -------
    str
        :data:`SUPPORTED`, :data:`CONTRADICTED` or :data:`INCONCLUSIVE`.

    Examples
    --------
    >>> e = ratio_effect([2.1, 3.9, 8.3], [1.0, 2.0, 4.0])
    >>> round(e.low, 2), round(e.high, 2)
    (1.85, 2.25)
    >>> verdict(e, +1, null=1.0), verdict(e, -1, null=1.0)
    ('supported', 'contradicted')
    >>> verdict(ratio_effect([1.1, 1.9, 4.2], [1.0, 2.0, 4.0]), +1, null=1.0)
    'inconclusive'
    """
    if isinstance(direction, bool) or direction not in (1, -1):
        raise InputError(f"direction must be +1 or -1, got {direction!r}")
    if not math.isfinite(null):
        raise InputError(f"null must be a finite number, got {null!r}")
    if e.n < 2 or not (math.isfinite(e.low) and math.isfinite(e.high)):
        return INCONCLUSIVE
    low, high = direction * (e.low - null), direction * (e.high - null)
    if low > 0 and high > 0:
        return SUPPORTED
    if low < 0 and high < 0:
        return CONTRADICTED
    return INCONCLUSIVE


# -- helpers ---------------------------------------------------------------------------


def _check_level(level: float) -> None:
    if not (isinstance(level, (int, float)) and 0 < level < 1):
        raise InputError(f"level must be a number strictly between 0 and 1, got {level!r}")


def _as_1d(values: ArrayLike, name: str) -> np.ndarray:
    try:
        x = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise InputError(f"{name} must be numbers, one per replicate: {err}") from None
    if x.ndim != 1:
        raise InputError(f"{name} must be one-dimensional (one value per replicate), got {x.shape}")
    return x


def _pairs(treatment: ArrayLike, baseline: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    t, b = _as_1d(treatment, "treatment"), _as_1d(baseline, "baseline")
    if t.shape != b.shape:
        raise InputError(
            "treatment and baseline must hold one value per replicate each (same length), "
            f"got {t.size} and {b.size}"
        )
    return t, b


def _mean(x: np.ndarray) -> float:
    return float(np.mean(x)) if x.size else _NAN


def _t_interval(d: np.ndarray, level: float) -> tuple[float, float, float]:
    """Mean of ``d`` and its t-interval (NaN below 2 values, the point if ``d`` is constant)."""
    _check_level(level)
    n = d.size
    if n == 0:
        return _NAN, _NAN, _NAN
    m = float(np.mean(d))
    if n < 2:
        return m, _NAN, _NAN
    if np.ptp(d) <= 4 * np.finfo(np.float64).eps * np.max(np.abs(d)):
        return m, m, m  # no variance (up to rounding): the interval is the point
    half = t_quantile(level, n - 1) * float(np.std(d, ddof=1)) / math.sqrt(n)
    return m, m - half, m + half
