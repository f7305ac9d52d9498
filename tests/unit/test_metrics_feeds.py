"""Feed measures against independent computations."""

import math

import pytest
from scipy.stats import entropy

from mutuals.errors import InputError
from mutuals.metrics.feeds import kendall_tau_b, normalized_entropy, repetition, shannon_entropy


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
