"""SimSoM runs cleanly at every parameter's bounds."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.simsom import run_simsom
from mutuals.scenarios.simsom import (
    SHUFFLES,
    TARGETING,
    SimSoMParams,
)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    accounts=st.integers(2, 40), mean_follows=st.sampled_from([1.0, 5.0, 1e6]),
    homophily=st.sampled_from([0.0, 1.0]), reciprocity=st.sampled_from([0.0, 0.99]),
    beta=st.sampled_from([0.0, 0.05, 1.0]), gamma=st.sampled_from([0.0, 0.1, 1.0]), phi=st.sampled_from([0.0, 1.0]),
    theta=st.sampled_from([1, 10_000]), mu=st.sampled_from([0.0, 0.5, 1.0]), feed_capacity=st.sampled_from([1, 1024]),
    quality_lambda=st.sampled_from([-1e6, 0.0, 1e6]), appeal_exponent=st.sampled_from([0.0, 1e300]),
    bot_follows=st.sampled_from([0, 1000]), targeting=st.sampled_from(list(TARGETING)),
    shuffle=st.sampled_from(list(SHUFFLES)), ageing=st.sampled_from(["clean", "reference"]),
    rho=st.sampled_from([0.0, 1.0]), stop=st.sampled_from(["window", "reference"]),
    burn_in=st.sampled_from([0, 5]), window=st.sampled_from([1, 3]), tau_every=st.sampled_from([0, 1]),
    seed=st.integers(0, 5),
)  # fmt: skip
def test_parameters_at_their_bounds_run_cleanly(seed, **kw):
    """Any mix of extreme values: no crash, no RuntimeWarning, qualities in [0, 1]."""
    r = run_simsom(SimSoMParams(max_steps=15, **kw), seed=seed)
    q = r.messages.column("quality").to_numpy()
    assert np.isfinite(q).all() and (q >= 0).all() and (q <= 1).all()
    assert r.timeline.num_rows == r.steps <= 15
