"""The follow graph matches a set model after any sequence of updates."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mutuals.platform.graph import FollowGraph

N = 12
edge = st.tuples(st.integers(0, N - 1), st.integers(0, N - 1))
ops = st.lists(
    st.tuples(st.sampled_from(["follow", "unfollow"]), st.lists(edge, max_size=30)), max_size=25
)


@settings(max_examples=150, deadline=None)
@given(initial=st.lists(edge, max_size=60), ops=ops)
def test_matches_set_model_after_any_sequence(initial, ops):
    src = [u for u, _ in initial]
    dst = [v for _, v in initial]
    g = FollowGraph.from_edges(np.array(src, int), np.array(dst, int), n_accounts=N, slack=0)
    model = {(u, v) for u, v in initial if u != v}
    for op, edges in ops:
        s = np.array([u for u, _ in edges], int)
        d = np.array([v for _, v in edges], int)
        if op == "follow":
            applied = g.follow(s, d)
            expect = []
            for u, v in edges:
                new = u != v and (u, v) not in model
                expect.append(new)
                if new:
                    model.add((u, v))
        else:
            applied = g.unfollow(s, d)
            expect = []
            for u, v in edges:
                expect.append((u, v) in model)
                model.discard((u, v))
        assert applied.tolist() == expect
        g.check()  # follower rows mirror friend rows after every batch
    f, t = g.edges()
    assert set(zip(f.tolist(), t.tolist(), strict=True)) == model
    assert g.n_follows == len(model)
    # follower counts equal in-degrees; friend counts equal out-degrees
    assert g.followers_count.tolist() == [sum(1 for _, v in model if v == i) for i in range(N)]
    assert g.friends_count.tolist() == [sum(1 for u, _ in model if u == i) for i in range(N)]
    for i in range(N):
        assert sorted(g.followers(i).tolist()) == sorted(u for u, v in model if v == i)
        assert sorted(g.friends(i).tolist()) == sorted(v for u, v in model if u == i)
