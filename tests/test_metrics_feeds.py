"""Feed measures against independent computations."""

import itertools
import math

import numpy as np
import pytest
from scipy.stats import entropy

from mutuals.errors import InputError
from mutuals.metrics.feeds import kendall_tau_b, normalized_entropy, repetition, shannon_entropy


def naive_tau_b(x, y):
    nc = nd = tx = ty = 0
    for i, j in itertools.combinations(range(len(x)), 2):
        dx, dy = x[i] - x[j], y[i] - y[j]
        if dx == 0 and dy == 0:
            continue
        if dx == 0:
            tx += 1
        elif dy == 0:
            ty += 1
        elif dx * dy > 0:
            nc += 1
        else:
            nd += 1
    return (nc - nd) / math.sqrt((nc + nd + tx) * (nc + nd + ty))


def test_tau_b_against_pairwise_definition():
    rng = np.random.default_rng(0)
    for _ in range(20):
        x = rng.integers(0, 5, 40)
        y = rng.integers(0, 4, 40)
        assert kendall_tau_b(x, y)[0] == pytest.approx(naive_tau_b(x.tolist(), y.tolist()))


def test_tau_b_does_not_reward_ties():
    # SimSoM's ranking-based measure would give 1 here; tau-b is undefined (constant y)
    assert math.isnan(kendall_tau_b([0.1, 0.5, 0.9], [0, 0, 0])[0])
    with pytest.raises(InputError):
        kendall_tau_b([1, 2], [1])


def test_entropy_measures():
    c = [5, 0, 3, 2]
    assert shannon_entropy(c) == pytest.approx(entropy(c))
    assert normalized_entropy([1, 1, 1, 1]) == pytest.approx(1.0)
    assert repetition([7]) == 1.0
    assert repetition([1, 1], n_categories=4) == pytest.approx(0.5)
    assert shannon_entropy([]) == 0.0
    with pytest.raises(InputError):
        shannon_entropy([1, -1])
