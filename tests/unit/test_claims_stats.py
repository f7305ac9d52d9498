"""The statistics of the claims' experiments, on planted effects.

Every rate is checked against its binomial distribution with a 5-sigma
tolerance, so a correct estimator fails with probability below 1e-6 whatever
the seed; the seeds are fixed all the same.
"""

from __future__ import annotations

import doctest
import math
from collections import Counter

import numpy as np
import pytest
from scipy import stats as sps

from mutuals.claims import stats
from mutuals.claims.stats import (
    CONTRADICTED,
    INCONCLUSIVE,
    SUPPORTED,
    Effect,
    one_sample_effect,
    paired_effect,
    ratio_effect,
    t_quantile,
    verdict,
)
from mutuals.errors import InputError

EXPERIMENTS = 2000
REPLICATES = 10


def _within(count: int, trials: int, p: float, sigmas: float = 5.0) -> bool:
    """``count`` successes of ``trials`` is within ``sigmas`` binomial sds of ``p``."""
    return abs(count - trials * p) <= sigmas * math.sqrt(trials * p * (1 - p))


def _experiment(rng: np.random.Generator, effect: float, n: int = REPLICATES):
    """One experiment on common seeds: each replicate has a shared offset (what its
    seed makes of both arms) and its own noise per arm, sd 1."""
    shared = rng.normal(0.0, 5.0, n)
    baseline = shared + rng.normal(0.0, 1.0, n)
    treatment = shared + effect + rng.normal(0.0, 1.0, n)
    return treatment, baseline


def test_docstring_examples() -> None:
    result = doctest.testmod(stats, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


# -- calibration: no true effect --------------------------------------------------------


@pytest.mark.parametrize("direction", [1, -1])
def test_no_effect_is_inconclusive_at_the_stated_rate(direction: int) -> None:
    rng = np.random.default_rng(20240611)
    counts = Counter(
        verdict(paired_effect(*_experiment(rng, 0.0)), direction) for _ in range(EXPERIMENTS)
    )
    assert _within(counts[INCONCLUSIVE], EXPERIMENTS, 0.95), counts
    assert _within(counts[SUPPORTED], EXPERIMENTS, 0.025), counts
    assert _within(counts[CONTRADICTED], EXPERIMENTS, 0.025), counts


def test_one_sample_no_effect_is_inconclusive_at_the_stated_rate() -> None:
    rng = np.random.default_rng(7)
    counts = Counter(
        verdict(one_sample_effect(rng.normal(0.0, 0.2, REPLICATES)), +1) for _ in range(EXPERIMENTS)
    )
    assert _within(counts[INCONCLUSIVE], EXPERIMENTS, 0.95), counts
    assert _within(counts[SUPPORTED], EXPERIMENTS, 0.025), counts
    assert _within(counts[CONTRADICTED], EXPERIMENTS, 0.025), counts


def test_ratio_no_effect_is_inconclusive_at_the_stated_rate() -> None:
    rng = np.random.default_rng(11)
    counts = Counter()
    for _ in range(EXPERIMENTS):
        t, b = _experiment(rng, 0.0)
        counts[verdict(ratio_effect(np.exp(t / 5), np.exp(b / 5)), +1, null=1.0)] += 1
    assert _within(counts[INCONCLUSIVE], EXPERIMENTS, 0.95), counts
    assert _within(counts[SUPPORTED], EXPERIMENTS, 0.025), counts


# -- power: a planted effect -------------------------------------------------------------


def test_planted_effect_of_three_sd_is_found_in_its_direction() -> None:
    rng = np.random.default_rng(3)
    effects = [paired_effect(*_experiment(rng, 3.0)) for _ in range(500)]
    up = Counter(verdict(e, +1) for e in effects)
    down = Counter(verdict(e, -1) for e in effects)
    assert up[SUPPORTED] >= 0.98 * len(effects), up
    assert up[CONTRADICTED] == 0, up
    assert down[CONTRADICTED] == up[SUPPORTED] and down[SUPPORTED] == 0, down
    assert abs(np.mean([e.effect for e in effects]) - 3.0) < 5 * math.sqrt(2 / 10 / 500)


# -- coverage ---------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "level"), [(3, 0.95), (10, 0.95), (25, 0.8)])
def test_paired_interval_covers_the_true_effect_at_its_level(n: int, level: float) -> None:
    rng = np.random.default_rng(1000 + n)
    hits = 0
    for _ in range(EXPERIMENTS):
        e = paired_effect(*_experiment(rng, 1.7, n), level=level)
        hits += e.low <= 1.7 <= e.high
    assert _within(hits, EXPERIMENTS, level), hits


def test_one_sample_interval_covers_the_true_mean() -> None:
    rng = np.random.default_rng(5)
    hits = 0
    for _ in range(EXPERIMENTS):
        e = one_sample_effect(rng.normal(0.35, 0.1, REPLICATES), null=0.1)
        hits += e.low <= 0.25 <= e.high  # the effect is the mean minus the null
    assert _within(hits, EXPERIMENTS, 0.95), hits


def test_ratio_interval_covers_a_planted_multiplicative_effect() -> None:
    rng = np.random.default_rng(9)
    hits, supported = 0, 0
    for _ in range(EXPERIMENTS):
        baseline = rng.lognormal(3.0, 1.0, REPLICATES)  # replicates differ a lot
        treatment = baseline * 1.5 * rng.lognormal(0.0, 0.1, REPLICATES)
        e = ratio_effect(treatment, baseline)
        hits += e.low <= 1.5 <= e.high
        supported += verdict(e, +1, null=1.0) == SUPPORTED
    assert _within(hits, EXPERIMENTS, 0.95), hits
    assert supported == EXPERIMENTS


# -- pairing ----------------------------------------------------------------------------


def test_a_shared_offset_does_not_widen_the_paired_interval() -> None:
    rng = np.random.default_rng(2)
    noise_t, noise_b = rng.normal(0.0, 1.0, (2, REPLICATES))
    offset = rng.normal(0.0, 100.0, REPLICATES)
    plain = paired_effect(noise_t + 0.5, noise_b)
    shared = paired_effect(offset + noise_t + 0.5, offset + noise_b)
    assert shared.effect == pytest.approx(plain.effect, abs=1e-9)
    assert (shared.low, shared.high) == pytest.approx((plain.low, plain.high), abs=1e-9)
    assert shared.high - shared.low < 3  # the offset's sd is 100
    # unpaired, the offset would dominate: the arms' spread is about 100
    assert np.std(offset + noise_b, ddof=1) > 30


# -- missing values, few replicates, no variance ------------------------------------------


def test_a_pair_with_a_missing_value_is_dropped() -> None:
    t = [2.0, np.nan, 4.0, 5.0, np.inf]
    b = [1.0, 1.0, np.nan, 3.0, 1.0]
    e = paired_effect(t, b)
    assert e.n == 2 and e.effect == 1.5
    assert (e.treatment_mean, e.baseline_mean) == (3.5, 2.0)
    assert e == paired_effect([2.0, 5.0], [1.0, 3.0])


def test_one_replicate_gives_no_interval() -> None:
    e = paired_effect([2.0, np.nan], [1.0, 1.0])
    assert e.n == 1 and e.effect == 1.0
    assert math.isnan(e.low) and math.isnan(e.high)
    assert verdict(e, +1) == INCONCLUSIVE


@pytest.mark.parametrize(
    "fn",
    [
        lambda: paired_effect([np.nan, 1.0], [1.0, np.nan]),
        lambda: paired_effect([], []),
        lambda: one_sample_effect([np.nan]),
        lambda: ratio_effect([0.0, -1.0], [1.0, 1.0]),
    ],
)
def test_no_replicate_gives_nan(fn) -> None:
    e = fn()
    assert e.n == 0
    assert all(math.isnan(x) for x in (e.effect, e.low, e.high, e.treatment_mean))
    assert verdict(e, +1) == INCONCLUSIVE


def test_no_variance_gives_the_point() -> None:
    e = paired_effect([1.5, 2.5, 3.5], [1.0, 2.0, 3.0])
    assert (e.effect, e.low, e.high, e.n) == (0.5, 0.5, 0.5, 3)
    assert verdict(e, +1) == SUPPORTED and verdict(e, -1) == CONTRADICTED
    zero = paired_effect([1.0, 2.0], [1.0, 2.0])
    assert (zero.low, zero.high) == (0.0, 0.0) and verdict(zero, +1) == INCONCLUSIVE


def test_ratio_drops_values_without_a_log() -> None:
    e = ratio_effect([3.0, 0.0, 6.0, 9.0, np.nan], [1.0, 5.0, -2.0, 3.0, 1.0])
    assert e.n == 2
    assert e.effect == pytest.approx(3.0) and e.low == pytest.approx(3.0)
    assert e.treatment_mean / e.baseline_mean == pytest.approx(e.effect)


# -- the t interval itself ------------------------------------------------------------------


@pytest.mark.parametrize("df", [1, 2, 5, 9, 30, 1000])
@pytest.mark.parametrize("level", [0.5, 0.8, 0.95, 0.99])
def test_t_quantile_matches_scipy(df: int, level: float) -> None:
    assert t_quantile(level, df) == pytest.approx(sps.t.ppf((1 + level) / 2, df), rel=1e-12)


@pytest.mark.parametrize("level", [0.9, 0.95])
def test_interval_is_the_student_t_interval(level: float) -> None:
    rng = np.random.default_rng(4)
    t, b = _experiment(rng, 0.3, 7)
    d = t - b
    e = paired_effect(t, b, level=level)
    low, high = sps.t.interval(level, 6, loc=d.mean(), scale=sps.sem(d))
    assert (e.effect, e.low, e.high) == pytest.approx((d.mean(), low, high), rel=1e-12)
    o = one_sample_effect(d, level=level)
    assert (o.effect, o.low, o.high) == pytest.approx((e.effect, e.low, e.high), rel=1e-12)
    assert (o.baseline_mean, o.n, o.method) == (0.0, 7, "one-sample t")


def test_one_sample_effect_is_the_mean_minus_the_null() -> None:
    e = one_sample_effect([0.4, 0.5, 0.6], null=0.25)
    assert e.effect == pytest.approx(0.25) and e.baseline_mean == 0.25
    assert e.treatment_mean == pytest.approx(0.5)
    assert e.effect == pytest.approx(e.treatment_mean - e.baseline_mean)


# -- verdicts and the boundary ----------------------------------------------------------------


def _e(low: float, high: float, n: int = 10) -> Effect:
    return Effect((low + high) / 2, low, high, n, "paired t", 0.0, 0.0)


@pytest.mark.parametrize(
    ("low", "high", "null", "up", "down"),
    [
        (0.1, 0.5, 0.0, SUPPORTED, CONTRADICTED),
        (-0.5, -0.1, 0.0, CONTRADICTED, SUPPORTED),
        (-0.1, 0.5, 0.0, INCONCLUSIVE, INCONCLUSIVE),
        (0.0, 0.5, 0.0, INCONCLUSIVE, INCONCLUSIVE),  # touching the null value
        (1.1, 1.4, 1.0, SUPPORTED, CONTRADICTED),
        (0.8, 1.2, 1.0, INCONCLUSIVE, INCONCLUSIVE),
        (np.nan, np.nan, 0.0, INCONCLUSIVE, INCONCLUSIVE),
    ],
)
def test_verdict(low: float, high: float, null: float, up: str, down: str) -> None:
    assert verdict(_e(low, high), +1, null=null) == up
    assert verdict(_e(low, high), -1, null=null) == down


def test_verdict_with_too_few_replicates_is_inconclusive() -> None:
    assert verdict(_e(0.1, 0.5, n=1), +1) == INCONCLUSIVE


@pytest.mark.parametrize(
    "call",
    [
        lambda: paired_effect([1.0, 2.0], [1.0]),
        lambda: paired_effect([[1.0, 2.0]], [[1.0, 2.0]]),
        lambda: paired_effect(["a", "b"], [1.0, 2.0]),
        lambda: paired_effect([1.0, 2.0], [1.0, 2.0], level=1.0),
        lambda: one_sample_effect([1.0, 2.0], null=np.nan),
        lambda: one_sample_effect([1.0, 2.0], level=0.0),
        lambda: verdict(_e(0.1, 0.2), 0),
        lambda: verdict(_e(0.1, 0.2), True),
        lambda: verdict(_e(0.1, 0.2), 1, null=np.inf),
        lambda: t_quantile(0.95, 0),
    ],
)
def test_bad_input_is_an_input_error(call) -> None:
    with pytest.raises(InputError):
        call()


def test_slope_effect_is_the_mean_of_per_replicate_least_squares_slopes() -> None:
    x = np.array([[0.0, 1.0, 2.0], [1.0, 2.0, 4.0], [3.0, 3.0, 3.0], [0.0, np.nan, 2.0]])
    y = np.array([[1.0, 2.0, 3.0], [0.0, 1.0, 5.0], [1.0, 2.0, 3.0], [0.0, 9.0, 4.0]])
    e = stats.slope_effect(x, y)
    want = [np.polyfit(x[0], y[0], 1)[0], np.polyfit(x[1], y[1], 1)[0], 2.0]  # row 3: constant x
    assert e.n == 3
    assert e.effect == pytest.approx(np.mean(want))
    ref = stats.one_sample_effect(want)
    assert (e.low, e.high) == pytest.approx((ref.low, ref.high))
    assert e.baseline_mean == 0.0


def test_slope_effect_needs_matching_two_d_arrays() -> None:
    with pytest.raises(InputError, match="replicates x arms"):
        stats.slope_effect([1.0, 2.0], [1.0, 2.0])
    with pytest.raises(InputError, match="replicates x arms"):
        stats.slope_effect([[1.0, 2.0]], [[1.0, 2.0, 3.0]])
    assert stats.slope_effect([[1.0, 1.0]], [[0.0, 1.0]]).n == 0
