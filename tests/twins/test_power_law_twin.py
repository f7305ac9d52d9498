"""fit_power_law (one sort, suffix counts, all alphas fitted together, KS distances
bounded from below and computed only where a candidate can still win) against its
twin: the candidate-by-candidate loop it replaced, kept here verbatim. The fits
must be equal float for float: alpha, xmin, n_tail and ks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mutuals.errors import InputError
from mutuals.metrics.graph import (
    DegreeSummary,
    PowerLawFit,
    _fit_alpha_discrete,
    degree_summary,
    fit_power_law,
)

# ----------------------------------------------------------------------------- the twins
# fit_power_law, _fit_alpha_discrete and degree_summary as they were at 736a85d


def _fit_alpha_discrete_reference(logsum: float, n: int, xmin: float) -> float:
    from scipy.optimize import minimize_scalar
    from scipy.special import zeta

    def nll(a: float) -> float:
        return float(n * np.log(zeta(a, xmin)) + a * logsum)

    res = minimize_scalar(nll, bounds=(1.0 + 1e-6, 20.0), method="bounded", options={"xatol": 1e-7})
    return float(res.x)


def _fit_power_law_reference(
    values: np.ndarray,
    *,
    discrete: bool = True,
    xmin: float | None = None,
    min_tail: int = 50,
) -> PowerLawFit:
    from scipy.special import zeta

    x = np.sort(np.asarray(values, dtype=np.float64))
    x = x[x > 0]
    nan = PowerLawFit(float("nan"), float("nan"), 0, float("nan"), discrete)
    if xmin is not None:
        candidates = np.array([float(xmin)])
    else:
        uniq = np.unique(x)
        n_at_or_above = x.size - np.searchsorted(x, uniq, side="left")
        candidates = uniq[(n_at_or_above >= max(min_tail, 2)) & (uniq < x[-1] if x.size else False)]
    if candidates.size == 0:
        return nan
    # suffix sums of log x give the tail log-sum for every candidate at once
    logx = np.log(x)
    suffix = np.concatenate([np.cumsum(logx[::-1])[::-1], [0.0]])
    best: PowerLawFit | None = None
    for xm in candidates:
        start = int(np.searchsorted(x, xm, side="left"))
        tail = x[start:]
        n = tail.size
        if n < 2:
            continue
        logsum = float(suffix[start])
        u, counts = np.unique(tail, return_counts=True)
        emp = np.cumsum(counts) / n  # P(X <= u)
        if discrete:
            alpha = _fit_alpha_discrete_reference(logsum, n, xm)
            z0 = zeta(alpha, xm)
            model = 1.0 - zeta(alpha, u + 1.0) / z0
        else:
            denom = logsum - n * np.log(xm)
            if denom <= 0:
                continue
            alpha = 1.0 + n / denom
            model = 1.0 - (u / xm) ** (1.0 - alpha)
        # compare the model CDF with the empirical CDF on both sides of each step
        emp_before = np.concatenate([[0.0], emp[:-1]])
        if discrete:
            model_before = np.concatenate([[0.0], model[:-1]])
            ks = float(max(np.abs(emp - model).max(), np.abs(emp_before - model_before).max()))
        else:
            ks = float(max(np.abs(emp - model).max(), np.abs(emp_before - model).max()))
        if best is None or ks < best.ks:
            best = PowerLawFit(float(alpha), float(xm), int(n), ks, discrete)
    return best if best is not None else nan


def _degree_summary_reference(degrees: np.ndarray, *, min_tail: int = 50) -> DegreeSummary:
    d = np.asarray(degrees)
    if d.ndim != 1:
        raise InputError("degrees must be a 1-d array")
    n = d.size
    if n == 0:
        nan = float("nan")
        return DegreeSummary(
            0, nan, nan, 0, 0, {}, nan, _fit_power_law_reference(d, min_tail=min_tail)
        )
    s = np.sort(d.astype(np.float64))
    total = s.sum()
    ranks = np.arange(1, n + 1)
    gini = float(((2 * ranks - n - 1) * s).sum() / (n * total)) if total > 0 else 0.0
    q = np.quantile(s, [0.9, 0.99, 0.999])
    return DegreeSummary(
        n=int(n),
        mean=float(s.mean()),
        median=float(np.median(s)),
        max=int(s[-1]),
        zeros=int((s == 0).sum()),
        quantiles={"p90": float(q[0]), "p99": float(q[1]), "p999": float(q[2])},
        gini=gini,
        power_law=_fit_power_law_reference(s, discrete=True, min_tail=min_tail),
    )


# ----------------------------------------------------------------------------- helpers


def _same(a: float, b: float) -> bool:
    return (a == b) or (np.isnan(a) and np.isnan(b))


def _assert_same_fit(got: PowerLawFit, want: PowerLawFit) -> None:
    assert _same(got.alpha, want.alpha), (got, want)
    assert _same(got.xmin, want.xmin), (got, want)
    assert got.n_tail == want.n_tail, (got, want)
    assert _same(got.ks, want.ks), (got, want)
    assert got.discrete == want.discrete
    # and nothing else differs (repr shows every digit)
    assert repr(got) == repr(want)


def _check(
    x: np.ndarray, *, discrete: bool = True, xmin: float | None = None, min_tail: int = 50
) -> PowerLawFit:
    want = _fit_power_law_reference(x, discrete=discrete, xmin=xmin, min_tail=min_tail)
    got = fit_power_law(x, discrete=discrete, xmin=xmin, min_tail=min_tail)
    _assert_same_fit(got, want)
    # sorted input (as degree_summary passes) gives the same fit
    s = np.sort(np.asarray(x, dtype=np.float64))
    _assert_same_fit(fit_power_law(s, discrete=discrete, xmin=xmin, min_tail=min_tail), want)
    return got


def _discrete_sample(rng: np.random.Generator, size: int) -> np.ndarray:
    kind = rng.integers(0, 5)
    if kind == 0:  # Zipf, clipped like follower counts
        x = np.minimum(rng.zipf(rng.uniform(1.5, 3.5), size), 10 ** rng.integers(2, 6))
    elif kind == 1:  # lognormal degrees
        x = np.round(np.exp(rng.normal(rng.uniform(0, 4), rng.uniform(0.3, 2.0), size)))
    elif kind == 2:  # few distinct values: heavy ties
        x = rng.integers(0, rng.integers(2, 12), size)
    elif kind == 3:  # geometric / exponential-like
        x = rng.geometric(rng.uniform(0.01, 0.5), size)
    else:  # a planted discrete power law with an arbitrary xmin and a body below it
        xm = int(rng.integers(1, 30))
        body = rng.integers(0, xm, size // 2)
        tail = np.floor(xm * (1 - rng.random(size - size // 2)) ** (-1 / rng.uniform(1.2, 2.5)))
        x = np.concatenate([body, np.minimum(tail, 1e6)])
    x = x.astype(np.float64)
    # zeros and negatives are ignored by the fit: mix some in
    m = rng.random(size) < rng.uniform(0, 0.3)
    x[m] = -rng.integers(0, 5, int(m.sum()))
    return x


def _continuous_sample(rng: np.random.Generator, size: int) -> np.ndarray:
    kind = rng.integers(0, 4)
    if kind == 0:
        x = (rng.pareto(rng.uniform(0.5, 3.0), size) + 1) * rng.uniform(0.1, 10)
    elif kind == 1:
        x = np.exp(rng.normal(rng.uniform(-2, 3), rng.uniform(0.2, 2.0), size))
    elif kind == 2:  # ties: rounded to a grid
        x = np.round((rng.pareto(1.5, size) + 1) * 4) / 4
    else:
        x = rng.exponential(rng.uniform(0.1, 10), size)
    m = rng.random(size) < rng.uniform(0, 0.2)
    x[m] = -rng.exponential(1.0, int(m.sum())) * rng.integers(0, 2, int(m.sum()))
    return x


# ----------------------------------------------------------------------------- tests


def test_the_brent_port_is_minimize_scalar_float_for_float():
    rng = np.random.default_rng(0)
    cases = []
    for _ in range(300):
        xmin = float(rng.choice([1, 2, 3, 5, 10, 50, 761, 1e4, 2e5])) * rng.choice([1, 1, 1.37])
        n = int(rng.integers(2, 200_000))
        # mean log excess from almost 0 (alpha pinned at 20) to large (alpha near 1)
        excess = 10 ** rng.uniform(-4, 1.5)
        cases.append((n * (np.log(xmin) + excess), n, xmin))
    cases += [(2 * np.log(7.0), 2, 7.0), (50 * np.log(3.0) + 1e-9, 50, 3.0), (1e-3, 1, 1.0)]
    logsums, ns, xmins = (np.array(v) for v in zip(*cases, strict=True))
    together = _fit_alpha_discrete(logsums, ns, xmins)
    assert isinstance(together, np.ndarray)
    for i, (ls, nn, xm) in enumerate(cases):
        want = _fit_alpha_discrete_reference(ls, nn, xm)
        assert together[i] == want, (ls, nn, xm)
        one = _fit_alpha_discrete(ls, nn, xm)
        assert isinstance(one, float) and one == want


@pytest.mark.parametrize("seed", range(40))
def test_discrete_fits_equal_the_twin(seed):
    rng = np.random.default_rng(seed)
    size = int(rng.choice([60, 300, 2000, 8000]))
    x = _discrete_sample(rng, size)
    for min_tail in (50, int(rng.integers(2, 20))):
        _check(x, discrete=True, min_tail=min_tail)
    _check(rng.permutation(x), discrete=True)


@pytest.mark.parametrize("seed", range(30))
def test_continuous_fits_equal_the_twin(seed):
    rng = np.random.default_rng(1000 + seed)
    size = int(rng.choice([60, 300, 2000, 6000]))
    x = _continuous_sample(rng, size)
    for min_tail in (50, int(rng.integers(2, 20))):
        _check(x, discrete=False, min_tail=min_tail)
    # continuous data read as discrete (a real if odd use): equal too
    _check(np.round(x * 3) + 1, discrete=True, min_tail=30)


@pytest.mark.parametrize("seed", range(12))
def test_fixed_xmin_equals_the_twin(seed):
    rng = np.random.default_rng(2000 + seed)
    for discrete in (True, False):
        x = (_discrete_sample if discrete else _continuous_sample)(rng, int(rng.integers(1, 3000)))
        pos = np.sort(x[x > 0])
        picks = [0.5, 1.0, 2.0, 3.5, 1e9]
        if pos.size:
            picks += [pos[0], pos[-1], pos[pos.size // 2], pos[int(pos.size * 0.9)]]
            picks += [pos[pos.size // 2] + 0.25, float(np.nextafter(pos[-1], -np.inf))]
        for xm in picks:
            _check(x, discrete=discrete, xmin=float(xm))


def test_small_and_degenerate_inputs_equal_the_twin():
    cases = [
        np.zeros(0),
        np.array([1.0]),
        np.array([1, 2, 3]),
        np.array([0, 0, 0, -1, -5]),
        np.array([-3.0, -2.0, -1.0]),
        np.full(100, 4.0),  # one distinct value: no candidate below the maximum
        np.array([1.0] * 60 + [2.0]),
        np.arange(1, 50),  # below min_tail
        np.arange(-10, 60),
        np.array([1.0, 2.0, np.nan, 3.0, 4.0] * 20),
        np.array([2.0, 3.0, np.nan] * 40 + [0.0]),
    ]
    for x in cases:
        for discrete in (True, False):
            fit = _check(x, discrete=discrete)
            _check(x, discrete=discrete, min_tail=2)
            _check(x, discrete=discrete, xmin=2.0)
            _check(x, discrete=discrete, xmin=float("nan"))
        if x.size < 50 or (x > 0).sum() < 50:
            assert np.isnan(fit.alpha) and fit.n_tail == 0


def test_infinite_values_equal_the_twin():
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.zipf(2.0, 500).astype(float), [np.inf] * 3])
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for discrete in (True, False):
            _check(x, discrete=discrete, min_tail=20)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(-3, 40), min_size=0, max_size=300),
    st.integers(2, 60),
    st.booleans(),
)
def test_fits_equal_the_twin_on_any_small_integers(values, min_tail, discrete):
    _check(np.array(values, dtype=np.float64), discrete=discrete, min_tail=min_tail)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.floats(min_value=-5, max_value=1e6, allow_nan=False, allow_infinity=False),
        min_size=0,
        max_size=200,
    ),
    st.integers(2, 40),
)
def test_continuous_fits_equal_the_twin_on_any_floats(values, min_tail):
    x = np.array(values, dtype=np.float64)
    x = x[(x <= 0) | (x >= 1e-3)]  # keep x / xmin ** (1 - alpha) away from overflow
    _check(x, discrete=False, min_tail=min_tail)


@pytest.mark.parametrize("seed", range(6))
def test_degree_summary_equals_the_twin(seed):
    rng = np.random.default_rng(3000 + seed)
    n = int(rng.choice([1, 2, 7, 1000, 20_000]))
    if seed % 2:
        d = np.minimum(rng.zipf(2.1, n), 200_000)
    else:
        d = np.round(np.exp(rng.normal(2.0, 1.3, n))).astype(np.int64)
        d[rng.random(n) < 0.2] = 0
    got, want = degree_summary(d), _degree_summary_reference(d)
    assert repr(got) == repr(want)
    _assert_same_fit(got.power_law, want.power_law)
    assert repr(degree_summary(np.zeros(0, np.int64))) == repr(
        _degree_summary_reference(np.zeros(0, np.int64))
    )


@pytest.mark.slow
def test_a_million_accounts_equal_the_twin():
    d = np.minimum(np.random.default_rng(0).zipf(2.1, 1_000_000), 200_000)
    assert repr(degree_summary(d)) == repr(_degree_summary_reference(d))
