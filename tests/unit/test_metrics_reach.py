from __future__ import annotations

import networkx as nx
import numpy as np
import pyarrow as pa
import pytest
from scipy.stats import spearmanr

from helpers.tables import follows_table
from mutuals.errors import InputError
from mutuals.io.schema import empty_table
from mutuals.io.store import conform
from mutuals.metrics.graph import assign_communities, follow_graph
from mutuals.metrics.reach import (
    author_followers,
    author_reach,
    cascade_trees,
    post_reach,
    reach_by_community,
    reach_vs_followers,
)


def _posts() -> pa.Table:
    # p1 by a: reposted by c (r1), quoted by d (q1), replied to by f; q1 reposted by e (r2)
    return conform(
        "posts",
        pa.table(
            {
                "platform": ["x"] * 6,
                "post_id": ["p1", "p2", "r1", "q1", "r2", "rep1"],
                "author_id": ["a", "b", "c", "d", "e", "f"],
                "kind": ["post", "post", "repost", "quote", "repost", "reply"],
                "repost_of_id": [None, None, "p1", None, "q1", None],
                "quote_id": [None, None, None, "p1", None, None],
                "parent_id": [None, None, None, None, None, "p1"],
                "repost_count": [10, None, None, None, None, None],
            }
        ),
    )


def _interactions() -> pa.Table:
    # r1 is also in posts (must count once); r9 and the second r9 row are one repost of p2
    return conform(
        "interactions",
        pa.table(
            {
                "platform": ["x"] * 5,
                "kind": ["repost", "repost", "repost", "like", "reply"],
                "source_id": ["c", "g", "g", "h", "g"],
                "target_id": ["a", "b", "b", "b", "zz"],
                "post_id": ["r1", "r9", "r9", None, "rr"],
                "target_post_id": ["p1", "p2", "p2", "p2", "px"],
            }
        ),
    )


def _row(t: pa.Table, post_id: str) -> dict:
    return next(r for r in t.to_pylist() if r["post_id"] == post_id)


def test_post_reach_hand_computed():
    t = post_reach(_posts(), _interactions())
    p1 = _row(t, "p1")
    assert (p1["reposts"], p1["quotes"], p1["replies"], p1["reach"]) == (1, 1, 1, 3)
    assert p1["accounts_reached"] == 3
    assert p1["cascade_size"] == 3  # r1, q1, r2 (replies are not in the cascade)
    assert p1["cascade_depth"] == 2
    assert p1["reported_reposts"] == 10
    p2 = _row(t, "p2")
    assert (p2["reach"], p2["cascade_size"], p2["accounts_reached"]) == (1, 1, 1)
    r9 = _row(t, "r9")  # known only from interactions
    assert (r9["in_data"], r9["kind"], r9["author_id"]) == (False, "repost", "g")
    px = _row(t, "px")  # target known only from interactions: author from target_id
    assert (px["author_id"], px["replies"], px["in_data"]) == ("zz", 1, False)
    assert t.num_rows == len(set(t.column("post_id").to_pylist()))


def test_post_reach_empty_and_missing_columns():
    t = post_reach(empty_table("posts"), empty_table("interactions"))
    assert t.num_rows == 0
    with pytest.raises(InputError, match="lacks column"):
        post_reach(pa.table({"platform": ["x"], "post_id": ["1"]}), empty_table("interactions"))


def _random_forest(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    parent = np.full(n, -1)
    for i in range(1, n):
        if rng.random() < 0.8:
            parent[i] = rng.integers(0, i)
    perm = rng.permutation(n)  # shuffle labels so parents are not always smaller
    inv = np.empty(n, int)
    inv[perm] = np.arange(n)
    out = np.full(n, -1)
    out[perm] = np.where(parent >= 0, perm[np.maximum(parent, 0)], -1)
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cascade_trees_match_networkx(seed):
    parent = _random_forest(300, seed)
    size, below, root, cycles = cascade_trees(parent)
    g = nx.DiGraph()
    g.add_nodes_from(range(300))
    g.add_edges_from((int(p), i) for i, p in enumerate(parent) if p >= 0)
    assert cycles == 0
    for i in range(300):
        desc = nx.descendants(g, i)
        assert size[i] == len(desc)
        lengths = nx.single_source_shortest_path_length(g, i)
        assert below[i] == max(lengths.values())
        anc = nx.ancestors(g, i)
        expected_root = next((a for a in anc if g.in_degree(a) == 0), i)
        assert root[i] == expected_root


def test_cascade_trees_cut_cycles():
    # 0 <- 1 <- 2 <- 0 is a cycle, 3 hangs below it, 4 -> 5 is fine, 6 reposts itself
    parent = np.array([2, 0, 1, 1, -1, 4, 6])
    size, _, _, cycles = cascade_trees(parent)
    assert cycles == 5
    assert size[4] == 1


def test_reach_vs_followers_matches_scipy_and_is_seeded():
    rng = np.random.default_rng(5)
    f = rng.pareto(1.2, 400) * 100
    r = np.floor(f**0.5 * rng.random(400))
    f[3] = np.nan
    a = reach_vs_followers(r, f, seed=7, n_boot=200)
    ok = ~np.isnan(f)
    assert a.n == 399
    assert a.spearman == pytest.approx(spearmanr(r[ok], f[ok])[0])
    assert a.slope == pytest.approx(np.polyfit(np.log10(1 + f[ok]), np.log10(1 + r[ok]), 1)[0])
    assert a.spearman_ci[0] <= a.spearman <= a.spearman_ci[1]
    assert a.slope_ci[0] <= a.slope <= a.slope_ci[1]
    assert reach_vs_followers(r, f, seed=7, n_boot=200) == a
    assert reach_vs_followers(r, f, seed=8, n_boot=200) != a
    assert np.isnan(reach_vs_followers(r[:2], f[:2]).spearman)
    with pytest.raises(InputError):
        reach_vs_followers(r, f[:10])


_follows = follows_table


def test_author_followers_reported_else_in_degree():
    accounts = conform(
        "accounts",
        pa.table(
            {
                "platform": ["x", "x"],
                "account_id": ["a", "b"],
                "followers_count": [1000, None],
            }
        ),
    )
    g = follow_graph(accounts, _follows([("c", "a"), ("c", "b"), ("d", "b")]))
    f, reported = author_followers(accounts, g)
    ids = g.index.account_id.to_pylist()
    assert dict(zip(ids, f.tolist(), strict=True)) == {"a": 1000, "b": 2, "c": 0, "d": 0}
    assert dict(zip(ids, reported.tolist(), strict=True))["a"]


def test_author_reach_and_by_community():
    accounts = conform(
        "accounts",
        pa.table(
            {
                "platform": ["x"] * 4,
                "account_id": ["a", "b", "c", "g"],
                "community": ["L", "R", "L", None],
            }
        ),
    )
    g = follow_graph(accounts, _follows([("c", "a"), ("g", "b")]))
    received, sources = author_reach(_interactions(), g)
    by_id = dict(zip(g.index.account_id.to_pylist(), received.tolist(), strict=True))
    assert by_id["a"] == 1 and by_id["b"] == 2  # likes are not reach
    assert dict(zip(g.index.account_id.to_pylist(), sources.tolist(), strict=True))["b"] == 1
    comm = assign_communities(g, accounts)
    assert comm.source == "accounts.community"
    t = post_reach(_posts(), _interactions())
    f, _ = author_followers(accounts, g)
    by = reach_by_community(t, (t["platform"], t["author_id"]), comm, g, f)
    rows = {r["community"]: r for r in by.to_pylist()}
    assert rows["L"]["posts"] == 1 and rows["L"]["reach_total"] == 3  # p1 by a
    assert rows["R"]["posts"] == 1 and rows["R"]["reach_total"] == 1  # p2 by b
    # q1 (d), rep1 (f), px (zz), rr (g) have no community; reposts are excluded
    assert rows[None]["posts"] == 4
    assert rows["L"]["members"] == 2


def test_bootstrap_resample_by_weights_equals_explicit_resample():
    from mutuals.metrics.reach import _boot_stats

    rng = np.random.default_rng(9)
    r = rng.integers(0, 6, 200).astype(float)  # many ties
    f = np.floor(rng.pareto(1.0, 200) * 10)
    lx, ly = np.log10(1 + f), np.log10(1 + r)
    ur, gr = np.unique(r, return_inverse=True)
    uf, gf = np.unique(f, return_inverse=True)
    for _ in range(5):
        idx = rng.integers(0, 200, 200)
        w = np.bincount(idx, minlength=200).astype(float)
        rho, slope = _boot_stats((gr, ur.size), (gf, uf.size), lx, ly, w)
        assert rho == pytest.approx(spearmanr(r[idx], f[idx])[0])
        assert slope == pytest.approx(np.polyfit(lx[idx], ly[idx], 1)[0])


def test_reach_vs_followers_degenerate_samples_warn_nothing() -> None:
    """Constant reach makes every resample's rho undefined: NaN intervals, no numpy warning."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = reach_vs_followers(np.zeros(5), np.array([1.0, 2, 3, 4, 5]), seed=1, n_boot=50)
        assert np.isnan(res.spearman) and all(np.isnan(v) for v in res.spearman_ci)
        assert res.slope == 0.0
        res = reach_vs_followers(np.ones(3), np.ones(3), seed=1, n_boot=20)
        assert np.isnan(res.spearman) and np.isnan(res.slope)
        assert all(np.isnan(v) for v in (*res.spearman_ci, *res.slope_ci))


def test_slope_is_undefined_when_every_author_has_the_same_followers():
    """The point estimate and its interval agree: NaN, not a slope of rounding noise."""
    from mutuals.metrics.reach import reach_vs_followers

    reach = np.array([0, 1, 2, 3, 4, 5] * 5, dtype=float)
    res = reach_vs_followers(reach, np.full(reach.size, 197.0), seed=1, n_boot=50)
    assert np.isnan(res.slope) and all(np.isnan(v) for v in res.slope_ci)
