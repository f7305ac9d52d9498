"""The coordination signals (mutuals.metrics.coordination) on planted cases, and
their Numba kernels against the plain-Python twins beside them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import networkx as nx
import numpy as np
import pyarrow as pa
import pytest

from mutuals.errors import InputError
from mutuals.io.store import conform
from mutuals.kernels.coordination import core_numbers, pair_sketch, window_counts, window_pairs
from mutuals.metrics.coordination import (
    SCORES_COLUMNS,
    SIGNALS,
    DetectParams,
    Signal,
    _reference_core_numbers,
    _reference_window_counts,
    _reference_window_pairs,
    co_action,
    combine,
    coordinated_arrival,
    coordination_graph,
    detect_coordination,
    follow_back,
    follow_bursts,
    follow_core,
    follower_growth,
    position_drift,
    prepare,
    upper_tail,
)

T0 = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
TS = pa.timestamp("us", tz="UTC")


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=float(seconds))


class Planted:
    """Canonical tables built row by row (platform "x")."""

    def __init__(self, n_accounts: int) -> None:
        self.ids = [f"u{i}" for i in range(n_accounts)]
        self.posts: list[dict[str, Any]] = []
        self.follows: list[dict[str, Any]] = []
        self.interactions: list[dict[str, Any]] = []

    def post(self, author: int, t: float, kind: str = "post", **kw: Any) -> str:
        pid = f"p{len(self.posts)}"
        self.posts.append(
            {"platform": "x", "post_id": pid, "author_id": self.ids[author],
             "created_at": at(t), "kind": kind, **kw}
        )  # fmt: skip
        return pid

    def repost(self, who: int, t: float, of: str) -> str:
        pid = self.post(who, t, "repost", repost_of_id=of)
        self.interactions.append(
            {"platform": "x", "kind": "repost", "source_id": self.ids[who],
             "target_id": self._author(of), "post_id": pid, "target_post_id": of,
             "created_at": at(t)}
        )  # fmt: skip
        return pid

    def reply(self, who: int, t: float, to: str) -> str:
        pid = self.post(who, t, "reply", parent_id=to)
        self.interactions.append(
            {"platform": "x", "kind": "reply", "source_id": self.ids[who],
             "target_id": self._author(to), "post_id": pid, "target_post_id": to,
             "created_at": at(t)}
        )  # fmt: skip
        return pid

    def follow(self, a: int, b: int, t: float | None = None) -> None:
        self.follows.append(
            {"platform": "x", "follower_id": self.ids[a], "friend_id": self.ids[b],
             "created_at": None if t is None else at(t)}
        )  # fmt: skip

    def _author(self, pid: str) -> str:
        return next(p["author_id"] for p in self.posts if p["post_id"] == pid)

    def tables(self, handles: Sequence[str] | None = None) -> dict[str, pa.Table]:
        acc = {"platform": ["x"] * len(self.ids), "account_id": self.ids}
        if handles is not None:
            acc["handle"] = list(handles)
        out = {"accounts": conform("accounts", pa.table(acc))}
        for name, rows in (("follows", self.follows), ("posts", self.posts),
                           ("interactions", self.interactions)):  # fmt: skip
            # "stance" is not a canonical column: tests add it themselves
            keys = sorted({k for r in rows for k in r} - {"stance"})
            rows = [{k: r.get(k) for k in keys} for r in rows]  # from_pylist reads row 1's keys
            out[name] = conform(name, pa.Table.from_pylist(rows) if rows else _empty(name))
        return out


def _empty(name: str) -> pa.Table:
    from mutuals.tables import empty_table

    return empty_table(name)


def same(a: pa.Table, b: pa.Table) -> bool:
    """Equal tables, NaN equal to NaN."""
    if a.schema != b.schema or a.num_rows != b.num_rows:
        return False
    for x, y in zip(a.columns, b.columns, strict=True):
        if pa.types.is_floating(x.type):
            if not np.array_equal(x.to_numpy(), y.to_numpy(), equal_nan=True):
                return False
        elif x.to_pylist() != y.to_pylist():
            return False
    return True


def data_of(p: Planted, **kw: Any) -> Any:
    t = p.tables()
    return prepare(t["accounts"], t["follows"], t["posts"], t["interactions"], **kw)


def flagged_ids(sig: Any, data: Any) -> set[str]:
    ids = data.index.account_id.to_pylist()
    return {ids[i] for i in np.flatnonzero(sig.flagged)}


# -- kernels against their twins ----------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_window_counts_match_the_twin(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 60
    g = np.sort(rng.integers(0, 4, n))
    t = rng.integers(0, 50, n)
    o = np.lexsort((t, g))
    g, t = g[o].astype(np.int64), t[o].astype(np.int64)
    for before, after in [(0, 0), (3, 3), (0, 10), (7, 2)]:
        want = _reference_window_counts(g.tolist(), t.tolist(), before, after)
        assert window_counts(g, t, before, after).tolist() == want


@pytest.mark.parametrize("seed", range(5))
def test_window_pairs_match_the_twin(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 80
    obj = rng.integers(0, 6, n)
    t = rng.integers(0, 40, n)
    actor = rng.integers(0, 12, n)
    o = np.lexsort((t, obj))
    obj, t, actor = (x[o].astype(np.int64) for x in (obj, t, actor))
    no_sketch = np.zeros(1024, np.uint8)
    for window, cap in [(0, 1000), (3, 1000), (10, 1000), (5, 4)]:
        u, v, a, b, skipped = window_pairs(obj, t, actor, window, cap, no_sketch, 0)
        got = {(int(obj[i]), int(x), int(y)) for i, x, y in zip(a, u, v, strict=True)}
        want = _reference_window_pairs(obj.tolist(), t.tolist(), actor.tolist(), window, cap)
        assert got == want
        assert len(got) == u.size  # each (object, pair) once
        # the actions returned are the pair's, on the object, within the window
        assert (actor[a] == u).all() and (actor[b] == v).all() and (obj[a] == obj[b]).all()
        assert (np.abs(t[a] - t[b]) <= window).all()
        assert skipped >= 0


@pytest.mark.parametrize(("seed", "bits"), [(0, 7), (1, 8), (2, 14)])
def test_the_sketch_never_drops_a_pair_that_reaches_the_threshold(seed: int, bits: int) -> None:
    """With a tiny sketch (many collisions) extra pairs come through; with any
    sketch, every pair with at least k co-actions does, and each listed pair is real."""
    rng = np.random.default_rng(seed)
    n = 300
    obj = rng.integers(0, 40, n)
    t = rng.integers(0, 30, n)
    actor = rng.integers(0, 15, n)
    o = np.lexsort((t, obj))
    obj, t, actor = (x[o].astype(np.int64) for x in (obj, t, actor))
    want = _reference_window_pairs(obj.tolist(), t.tolist(), actor.tolist(), 4, 1000)
    per_pair: dict[tuple[int, int], int] = {}
    for _, x, y in want:
        per_pair[(x, y)] = per_pair.get((x, y), 0) + 1
    for k in (2, 3, 5):
        sketch = np.zeros(1 << bits, np.uint8)
        pair_sketch(obj, t, actor, 4, 1000, sketch)
        u, v, a, _, _ = window_pairs(obj, t, actor, 4, 1000, sketch, k)
        got = {(int(obj[i]), int(x), int(y)) for i, x, y in zip(a, u, v, strict=True)}
        assert got <= want
        heavy = {(o_, x, y) for o_, x, y in want if per_pair[(x, y)] >= k}
        assert heavy <= got


@pytest.mark.parametrize("seed", range(4))
def test_core_numbers_match_the_twin_and_networkx(seed: int) -> None:
    g = nx.gnm_random_graph(40, 120, seed=seed)
    g.add_edges_from((i, j) for i in range(30, 38) for j in range(i + 1, 38))  # a clique
    edges = list(g.edges())
    a = np.array([e[0] for e in edges] + [e[1] for e in edges])
    b = np.array([e[1] for e in edges] + [e[0] for e in edges])
    import scipy.sparse as sp

    adj = sp.csr_matrix((np.ones(a.size), (a, b)), shape=(40, 40))
    adj.sort_indices()
    got = core_numbers(adj.indptr.astype(np.int64), adj.indices.astype(np.int64)).tolist()
    assert got == _reference_core_numbers(40, edges)
    assert got == [nx.core_number(g)[i] for i in range(40)]


def test_upper_tail_counts_ties_and_nan() -> None:
    p = upper_tail(np.array([0.0, 0.0, 0.5, 1.0, np.nan]))
    assert p.tolist() == [0.8, 0.8, 0.4, 0.2, 1.0]


def _sig(name: str, score: np.ndarray) -> Signal:
    return Signal(name, score, np.zeros(score.size, bool), {}, {}, conform("posts", pa.table(
        {"platform": pa.array([], pa.string()), "post_id": pa.array([], pa.string()),
         "kind": pa.array([], pa.string())})))  # fmt: skip


def test_cauchy_combination_lets_one_strong_signal_through() -> None:
    """An account alone at the top of one signal outranks accounts a little above
    the median on every signal (Fisher's method would put them first); below the
    median a signal counts nothing; not applying counts as no evidence."""
    n = 1000
    rng = np.random.default_rng(0)
    a, b, c = (rng.uniform(0, 0.5, n) for _ in range(3))
    a[0] = 1.0  # account 0: top of one signal, bottom of the other two
    b[0] = c[0] = 0.0
    for arr in (a, b, c):
        arr[1:11] = 0.75  # accounts 1-10: the 10 next below the top everywhere
    T, combined, used = combine([_sig("arrival", a), _sig("coaction", b), _sig("drift", c)])
    assert used == ["arrival", "coaction", "drift"]
    assert int(np.argmax(T)) == 0 and (T[0] > T[1:11]).all()
    p = np.stack([upper_tail(x) for x in (a, b, c)])
    fisher = -2 * np.log(p).sum(axis=0)
    assert (fisher[1:11] > fisher[0]).all()  # the case Fisher gets the other way round
    # the closed form: T = mean of tan((1/2 - min(p, 1/2)) pi); combined = 2/pi atan(T)
    want = np.tan((0.5 - np.minimum(p, 0.5)) * np.pi).mean(axis=0)
    assert np.allclose(T, want) and np.allclose(combined, 2 / np.pi * np.arctan(want))
    assert ((combined >= 0) & (combined < 1)).all()
    # below the median on everything: T = 0; NaN (not applicable) counts as p = 1
    low = np.full(n, 0.5)
    low[:3] = [0.0, np.nan, 1.0]
    T2, _, _ = combine([_sig("arrival", low)])
    assert T2[0] == 0.0 and T2[1] == 0.0 and T2[2] > 0


# -- 2. co-action ---------------------------------------------------------------------------


def _coaction_case(spread: float) -> Planted:
    """Accounts 0-4 repost the same 4 posts of account 20, each a few seconds after
    the other (``spread`` seconds between members when > 60); 30 other
    accounts repost one post each at random times."""
    rng = np.random.default_rng(1)
    p = Planted(60)
    originals = [p.post(20, 3600 * 6 * k) for k in range(8)]
    for k, pid in enumerate(originals[:4]):
        base = 3600 * 6 * k + 600
        for m in range(5):
            p.repost(m, base + (m * spread if spread > 60 else m * 3), pid)
    for who in range(25, 55):
        pid = originals[int(rng.integers(0, 8))]
        p.repost(who, float(rng.uniform(0, 3600 * 48)), pid)
    return p


def test_coaction_says_when_the_data_are_coarser_than_its_window() -> None:
    """Times known to the second: no note. Times in 10-minute steps (a simulated
    store's tick): the signal says that same-step actions look simultaneous."""
    data = data_of(_coaction_case(spread=0))
    sig = co_action(data, co_window=60, min_coactions=3)
    assert sig.thresholds["time_resolution_seconds"] <= 3 and sig.note == ""
    rng = np.random.default_rng(2)
    p = Planted(40)
    posts = [p.post(30, 600 * k) for k in range(6)]
    for who in range(20):
        for pid in rng.choice(len(posts), 3, replace=False).tolist():
            p.repost(who, 600 * int(rng.integers(1, 50)), posts[pid])
    sig = co_action(data_of(p), co_window=60, min_coactions=3)
    assert sig.thresholds["time_resolution_seconds"] == 600
    assert "known only to 600 s" in sig.note and sig.available


def test_a_group_co_reposting_within_seconds_is_found() -> None:
    p = _coaction_case(spread=0)
    data = data_of(p)
    sig = co_action(data, co_window=60, min_coactions=3)
    assert flagged_ids(sig, data) == {f"u{i}" for i in range(5)}
    assert [sorted(data.index.account_id.take(pa.array(g)).to_pylist()) for _, g in sig.groups] == [
        [f"u{i}" for i in range(5)]
    ]
    u, _, w, kinds = sig.edges
    assert u.size == 10 and (w == 4).all() and set(kinds) == {"co-repost"}
    assert sig.score[data.index.lookup(pa.array(["x"]), pa.array(["u0"]))[0]] == pytest.approx(
        4 / 7
    )
    # evidence: each member's reposts, pointing at its own posts rows
    ev = sig.evidence
    assert set(ev.column("table").to_pylist()) == {"posts"}
    author = [p.posts[r]["author_id"] for r in ev.column("row").to_pylist()]
    members = data.index.account_id.take(ev.column("node")).to_pylist()
    assert author == members


def test_the_same_reposts_spread_over_days_are_not_a_group() -> None:
    p = _coaction_case(spread=86400 * 1.5)
    data = data_of(p)
    sig = co_action(data, co_window=60, min_coactions=3)
    assert not sig.flagged.any() and sig.groups == []


def test_co_links_replies_and_hashtag_sequences_count_as_co_actions() -> None:
    p = Planted(10)
    target = [p.post(9, 0) for _ in range(3)]
    for k in range(3):
        t = 3600 * 5 * k
        for m in (0, 1):
            p.post(m, t + m, urls=[f"https://example.org/{k}"])
            p.reply(m + 2, t + m, target[k])
            p.post(m + 4, t + m, hashtags=["stop", f"go{k}"])
    p.post(6, 10, hashtags=["stop"])  # one tag is not a sequence
    p.post(7, 10, hashtags=["stop"])
    data = data_of(p)
    sig = co_action(data, co_window=30, min_coactions=3)
    assert flagged_ids(sig, data) == {"u0", "u1", "u2", "u3", "u4", "u5"}
    assert sorted(sig.edges[3]) == ["co-hashtags", "co-link", "co-reply"]


def test_busy_accounts_sharing_a_few_popular_posts_are_not_a_group() -> None:
    """Two accounts that repost 40 posts each, 3 of them the same within seconds,
    fall below the overlap threshold."""
    p = Planted(50)
    pop = [p.post(49, 3600 * k) for k in range(3)]
    for k, pid in enumerate(pop):
        p.repost(0, 3600 * k + 5, pid)
        p.repost(1, 3600 * k + 9, pid)
    for j in range(37):
        for who in (0, 1):
            p.repost(who, 10_000 + 500 * j + 7 * who, p.post(10 + j, 9_000 + 400 * j))
    data = data_of(p)
    assert not co_action(data, min_coactions=3, min_overlap=0.5).flagged.any()
    assert co_action(data, min_coactions=3, min_overlap=0.05).flagged.sum() == 2


# -- 1. coordinated arrival -----------------------------------------------------------------


def _arrival_case() -> Planted:
    """200 accounts adopt #vote at random over 3 days; accounts 200-229 all first
    use it within 40 seconds on day 2."""
    rng = np.random.default_rng(3)
    p = Planted(240)
    p.post(239, 0, hashtags=["other"])  # the data starts here
    for who in range(200):
        p.post(who, float(rng.uniform(3600 * 6, 86400 * 3)), hashtags=["vote"])
    for who in range(200, 230):
        p.post(who, 86400 * 1.5 + (who - 200) * 1.3, hashtags=["vote", "x"], text=f"hi {who}")
    return p


def test_a_burst_of_first_uses_is_flagged_and_organic_adoption_is_not() -> None:
    p = _arrival_case()
    data = data_of(p, hashtag="vote")
    sig = coordinated_arrival(data, window=60)
    got = flagged_ids(sig, data)
    planted = {f"u{i}" for i in range(200, 230)}
    assert planted <= got and len(got - planted) <= 2
    assert len(sig.groups) == 1 and planted <= set(
        data.index.account_id.take(pa.array(sig.groups[0][1])).to_pylist()
    )
    ev = sig.evidence
    assert set(ev.column("table").to_pylist()) == {"posts"}
    rows = ev.column("row").to_pylist()
    assert all("vote" in p.posts[r]["hashtags"] for r in rows)
    assert any('text: "hi 20' in d for d in ev.column("detail").to_pylist())


def test_the_arrival_window_is_estimated_from_the_gaps() -> None:
    data = data_of(_arrival_case(), hashtag="vote")
    sig = coordinated_arrival(data, window_quantile=0.1)
    assert sig.thresholds["window_estimated"] is True
    assert 1 <= sig.thresholds["window_seconds"] < 600
    assert {f"u{i}" for i in range(200, 230)} <= flagged_ids(sig, data)


def test_arrivals_at_the_start_of_the_data_are_not_tested() -> None:
    p = Planted(40)
    for who in range(40):  # everyone at once, at the start of the data
        p.post(who, who * 0.5, hashtags=["vote"])
    data = data_of(p, hashtag="vote")
    sig = coordinated_arrival(data, window=10)
    assert not sig.flagged.any() and sig.counts["tested"] == 0


# -- 3. follow trains -------------------------------------------------------------------------


def _train_case() -> Planted:
    """A follow train: accounts 0-24 all follow each other; 300 others follow at
    random (a few follow-backs)."""
    rng = np.random.default_rng(5)
    p = Planted(325)
    for a in range(25):
        for b in range(25):
            if a != b:
                p.follow(a, b)
    for a in range(25, 325):
        for b in rng.choice(325, 8, replace=False).tolist():
            if b != a:
                p.follow(a, int(b))
                if rng.random() < 0.2:
                    p.follow(int(b), a)
    return p


def test_a_planted_follow_train_is_the_dense_mutual_core() -> None:
    data = data_of(_train_case())
    sig = follow_core(data, min_core=10)
    assert flagged_ids(sig, data) == {f"u{i}" for i in range(25)}
    assert sig.thresholds["core_threshold"] >= 10
    assert len(sig.groups) == 1 and sig.groups[0][1].size == 25
    assert set(sig.evidence.column("table").to_pylist()) == {"follows"}


def test_a_burst_of_follows_is_flagged_and_the_same_follows_over_a_month_are_not() -> None:
    p = Planted(400)
    for j in range(150):
        p.follow(0, 10 + j, t=1000 + 10 * j)  # 150 follows in 25 minutes
        p.follow(1, 10 + j, t=1000 + 86400 * 0.2 * j)  # 150 follows over a month
    for j in range(0, 150, 3):
        p.follow(10 + j, 0, t=500)  # a third of them followed 0 first: follow-backs
    data = data_of(p)
    sig = follow_bursts(data, follow_window=3600, min_follow_burst=100)
    assert flagged_ids(sig, data) == {"u0"}
    assert sig.counts["max_burst"] == 150
    assert any("50 of them follow-backs" in d for d in sig.evidence.column("detail").to_pylist())


def test_follower_growth_after_joining_the_hashtag() -> None:
    p = Planted(200)
    p.post(0, 86400, hashtags=["vote"])
    p.post(1, 86400, hashtags=["vote"])
    for j in range(30):
        p.follow(100 + j, 0, t=86400 + 3600 * (j + 1))  # 30 new followers after joining
    for j in range(5):
        p.follow(150 + j, 0)  # 5 from before (no time)
    for j in range(60):
        p.follow(100 + j, 1)  # 60 old followers, 10 new
    for j in range(10):
        p.follow(170 + j, 1, t=86400 * 2)
    data = data_of(p, hashtag="vote")
    sig = follower_growth(data, growth_days=7, min_growth=20)
    assert flagged_ids(sig, data) == {"u0"}
    i0, i1 = data.index.lookup(pa.array(["x", "x"]), pa.array(["u0", "u1"])).tolist()
    assert sig.score[i0] == pytest.approx(30 / 36) and sig.score[i1] == pytest.approx(10 / 71)
    assert np.isnan(sig.score[data.index.lookup(pa.array(["x"]), pa.array(["u5"]))[0]])


def test_follow_back_far_above_the_community_is_flagged() -> None:
    rng = np.random.default_rng(7)
    p = Planted(400)
    for a in range(400):  # everyone has ~30 followers and follows back about a fifth
        for b in rng.choice(400, 30, replace=False).tolist():
            if b != a:
                p.follow(int(b), a)
                if a >= 3 and rng.random() < 0.2:
                    p.follow(a, int(b))
                if a < 3:  # accounts 0-2 follow back every follower
                    p.follow(a, int(b))
    data = data_of(p)
    sig = follow_back(data, min_followers=10)
    assert flagged_ids(sig, data) == {"u0", "u1", "u2"}


# -- 4. drift -----------------------------------------------------------------------------------


def _drift_case(stance: bool) -> Planted:
    """#vote users 0-19 (members) and outsiders 20-39. Account 0 first engages
    with members, then with outsiders; account 1 engages with members throughout."""
    p = Planted(40)
    member_posts = [p.post(m, 100 + m, hashtags=["vote"], stance=-0.6) for m in range(20)]
    outsider_posts = [p.post(o, 100 + o, stance=0.7) for o in range(20, 40)]
    for k in range(12):
        t = 3600 * (k + 1)
        p.repost(1, t, member_posts[k % 20])
        if k < 6:
            p.repost(0, t, member_posts[k])
        else:
            p.repost(0, t, outsider_posts[k])
        # stances: account 2 posts like members, then like outsiders
        p.post(2, t + 1, hashtags=["vote"] if k == 0 else None, stance=-0.6 if k < 6 else 0.7)
    if not stance:
        for row in p.posts:
            row.pop("stance", None)
    return p


def test_planted_drift_away_from_the_community_is_found() -> None:
    data = data_of(_drift_case(stance=False), hashtag="vote")
    sig = position_drift(data, min_actions=6, min_drift=0.5)
    assert flagged_ids(sig, data) == {"u0"}
    assert sig.counts["source"] == "interactions"
    i0, i1 = data.index.lookup(pa.array(["x", "x"]), pa.array(["u0", "u1"])).tolist()
    assert sig.score[i0] == 1.0 and sig.score[i1] == 0.0
    assert set(sig.evidence.column("table").to_pylist()) == {"interactions"}


def test_drift_reads_posts_stance_where_the_posts_carry_one() -> None:
    p = _drift_case(stance=True)
    t = p.tables()
    posts = t["posts"].set_column(
        t["posts"].schema.get_field_index("stance"),
        "stance",
        pa.array([r.get("stance") for r in p.posts], pa.float64()),
    )
    data = prepare(t["accounts"], t["follows"], posts, t["interactions"], hashtag="vote")
    sig = position_drift(data, min_actions=6, min_drift=0.5, stance_tolerance=0.3)
    assert sig.counts["source"] == "posts.stance"
    assert flagged_ids(sig, data) == {"u2"}
    assert set(sig.evidence.column("table").to_pylist()) == {"posts"}


# -- the whole detection ------------------------------------------------------------------------


def _everything() -> dict[str, pa.Table]:
    p = _arrival_case()
    for k in range(3):
        pid = p.post(239, 86400 * 2 + 3600 * 4 * k)
        for m in range(200, 205):
            p.repost(m, 86400 * 2 + 3600 * 4 * k + 5 + m - 200, pid)
    for a in range(200, 215):
        for b in range(200, 215):
            if a != b:
                p.follow(a, b, t=86400 * 2 + a)
    rng = np.random.default_rng(11)
    for a in range(200):  # a sparse background of follows
        for b in rng.choice(240, 4, replace=False).tolist():
            if b != a:
                p.follow(a, int(b))
    return p.tables(handles=[f"h{i}" for i in range(240)])


def test_detection_combines_the_signals_and_is_deterministic() -> None:
    t = _everything()
    args = (t["accounts"], t["follows"], t["posts"], t["interactions"])
    d1 = detect_coordination(*args, hashtag="#Vote", window=60, min_core=5, seed=3)
    d2 = detect_coordination(*args, hashtag="vote", window=60, min_core=5, seed=3)
    assert tuple(d1.scores.column_names) == SCORES_COLUMNS
    assert same(d1.scores, d2.scores) and same(d1.evidence, d2.evidence)
    assert d1.groups.equals(d2.groups)
    sc = d1.scores.to_pylist()
    assert [r["rank"] for r in sc] == list(range(1, len(sc) + 1))
    assert all(0 <= r["combined"] <= 1 for r in sc)
    rank = {r["account_id"]: r["rank"] for r in sc}
    # the 15 flagged by three signals lead; the 15 seen arriving only, in the top quarter
    assert {a for a, k in rank.items() if k <= 15} == {f"u{i}" for i in range(200, 215)}
    assert max(rank[f"u{i}"] for i in range(215, 230)) <= len(sc) // 4
    u200 = next(r for r in sc if r["account_id"] == "u200")
    assert set(u200["flags"].split(",")) == {"arrival", "coaction", "follow_core"}
    assert u200["flagged"] and u200["handle"] == "h200"
    assert d1.summary["signals"]["arrival"]["flagged"] >= 30
    assert set(d1.summary["combined"]["signals_used"]) <= set(SIGNALS)
    g = coordination_graph(d1)
    assert "u200" in g and g.has_edge("u200", "u201")
    assert g.nodes["u200"]["handle"] == "h200"


def test_every_evidence_row_points_at_a_row_of_its_table() -> None:
    t = _everything()
    d = detect_coordination(
        t["accounts"], t["follows"], t["posts"], t["interactions"], hashtag="vote",
        window=60, min_core=5,
    )  # fmt: skip
    ev = d.evidence.to_pylist()
    assert ev and {e["signal"] for e in ev} >= {"arrival", "coaction", "follow_core"}
    posts = {r["post_id"]: r for r in t["posts"].to_pylist()}
    follows = {(r["follower_id"], r["friend_id"]) for r in t["follows"].to_pylist()}
    inter = {r["post_id"] for r in t["interactions"].to_pylist()}
    for e in ev:
        if e["table"] == "posts":
            assert posts[e["row_id"]]["author_id"] == e["account_id"]
        elif e["table"] == "follows":
            a, b = e["row_id"].split("→")
            assert (a, b) in follows and e["account_id"] in (a, b)
        else:
            assert e["row_id"] in inter
        assert e["threshold"] and e["detail"]


def test_no_signal_uses_the_community_label() -> None:
    """accounts.community holds a simulated store's ground truth; relabelling
    changes nothing."""
    t = _everything()
    acc = t["accounts"]
    lab = acc.set_column(
        acc.schema.get_field_index("community"), "community",
        pa.array(["infiltrators" if i >= 200 else "members" for i in range(acc.num_rows)]),
    )  # fmt: skip
    a = detect_coordination(acc, t["follows"], t["posts"], t["interactions"], hashtag="vote")
    b = detect_coordination(lab, t["follows"], t["posts"], t["interactions"], hashtag="vote")
    assert same(a.scores, b.scores)


def test_empty_tables_give_an_empty_detection() -> None:
    from mutuals.tables import empty_table

    d = detect_coordination(
        *(empty_table(n) for n in ("accounts", "follows", "posts", "interactions"))
    )
    assert d.scores.num_rows == 0 and d.summary["flagged"] == 0 and d.evidence.num_rows == 0


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"window": -1}, "window"),
        ({"co_window": float("nan")}, "co_window"),
        ({"alpha": 1.5}, "alpha"),
        ({"min_coactions": 0}, "min_coactions"),
        ({"hashtag": "  #  "}, "hashtag"),
        ({"min_overlap": 0}, "min_overlap"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_parameters_are_one_clear_error(kw: dict[str, Any], match: str) -> None:
    with pytest.raises(InputError, match=match):
        DetectParams(**kw).checked()


def test_an_unknown_hashtag_is_an_error_naming_it() -> None:
    t = _everything()
    with pytest.raises(InputError, match="#nosuchtag"):
        detect_coordination(
            t["accounts"], t["follows"], t["posts"], t["interactions"], hashtag="NoSuchTag"
        )


def test_a_table_without_its_columns_is_an_input_error() -> None:
    t = _everything()
    with pytest.raises(InputError, match="author_id"):
        detect_coordination(
            t["accounts"], t["follows"], t["posts"].drop_columns(["author_id"]), t["interactions"]
        )


def test_the_module_examples_run() -> None:
    import doctest

    import mutuals.metrics.coordination as mod

    assert doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0
