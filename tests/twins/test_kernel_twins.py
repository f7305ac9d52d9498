"""The session's pieces (reading, engagement, posting kernels) against
obviously-correct Python versions of their equations. The whole session loop
is compared with its twin in tests/twins/test_platform_engine_twins.py."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import naive
from mutuals.kernels.engagement import engage
from mutuals.kernels.posting import draw_quality
from mutuals.kernels.reading import read_list


@settings(max_examples=300, deadline=None)
@given(
    x=st.floats(0, 1, exclude_max=True),
    appeal=st.floats(0, 1),
    interest=st.floats(0, 1),
    heat=st.floats(0, 1),
    scale=st.floats(0, 5),
    heat_weight=st.floats(0, 3),
    w=st.tuples(*[st.floats(0.01, 1)] * 4),
)
def test_engage_matches_its_equation(x, appeal, interest, heat, scale, heat_weight, w) -> None:
    inter = np.array([[interest]])
    act, v = engage(0, 0, x, inter, np.array([0], np.int16), np.array([appeal], np.float32),
                    np.array([heat], np.float32), scale, heat_weight, 0.0, *w)  # fmt: skip
    want_act, want_v = naive.engage(
        x, float(np.float32(appeal)), interest, float(np.float32(heat)), scale, heat_weight, w
    )
    assert act == want_act
    assert math.isclose(v, want_v, rel_tol=1e-9, abs_tol=1e-9)


@given(u=st.floats(0, 1), lam=st.sampled_from([0.0, -3.0, 0.5, 10.0, 50.0, 800.0]))
def test_draw_quality_is_the_inverse_cdf(u, lam) -> None:
    q = draw_quality(u, lam)
    assert 0.0 <= q <= 1.0
    if lam == 0.0:
        assert q == u
    elif abs(lam) < 700:  # CDF(q) = (e^(lam q) - 1) / (e^lam - 1) = u
        assert math.isclose(math.expm1(lam * q) / math.expm1(lam), u, abs_tol=1e-9)


def test_read_list_takes_the_newest_posts_of_the_members() -> None:
    R = 4
    recent = np.full((5, R), -1, np.int64)
    head = np.zeros(5, np.int64)
    for author, post in [(1, 3), (2, 5), (1, 8), (3, 9), (2, 11), (1, 12)]:
        recent[author, head[author] % R] = post
        head[author] += 1
    ptr = np.array([0, 2], np.int64)
    members = np.array([1, 2], np.int32)  # list 0: accounts 1 and 2
    out = np.empty(3, np.int64)
    time = np.zeros(13, np.int32)
    got = read_list(0, 3, ptr, members, recent, head, time, 1, out)
    assert out[:got].tolist() == [12, 11, 8]  # newest first, account 3 not a member
    time[12] = 1  # written this tick: not shown until the next
    recent[1, 0] = -1  # post 3 removed from account 1's ring (a hidden post)
    got = read_list(0, 3, ptr, members, recent, head, time, 1, out)
    assert 12 not in out[:got].tolist() and all(q >= 0 for q in out[:got])
