"""The campaign's effect on its adopters (metrics.campaign_effect): matching,
the difference in differences on planted effects, a slow reference for every
outcome, and a simulated C3 campaign checked against what the simulator logged."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from mutuals.errors import InputError
from mutuals.io.store import conform
from mutuals.metrics.campaign_effect import (
    DAY_US,
    NOTIME,
    adoption_times,
    campaign_effect,
    campaign_follows,
    did_estimate,
    match_nearest,
)

TS = pa.timestamp("us", tz="UTC")
T0 = int(dt.datetime(2024, 3, 1, tzinfo=dt.UTC).timestamp() * 1_000_000)
HOUR = DAY_US // 24


# ----------------------------------------------------------------------------- planted data


def _planted(
    *,
    growth_effect: float,
    reach_effect: float,
    follow_back: bool,
    seed: int,
    n_adopters: int = 150,
    n_others: int = 600,
    days: int = 20,
    adopt_day: int = 10,
    times: bool = True,
) -> dict[str, pa.Table]:
    """Accounts a0.. (adopters) and c0.. (never adopt), each with a base follower
    count (follows older than the data), a posting rate and a rate of new
    followers drawn alike for both groups; after adopting (day ``adopt_day``
    plus a few hours) adopters gain ``growth_effect`` more followers a day and
    their posts ``reach_effect`` more replies each; with ``follow_back`` they
    follow back every new follower. Followers and repliers come from a pool
    of accounts that never post."""
    rng = np.random.default_rng(seed)
    names = [f"a{i}" for i in range(n_adopters)] + [f"c{i}" for i in range(n_others)]
    n = len(names)
    adopter = np.arange(n) < n_adopters
    base = rng.integers(20, 200, n)
    post_rate = rng.gamma(2.0, 1.0, n) + 0.5  # posts a day
    fol_rate = rng.gamma(2.0, 1.0, n)  # new followers a day
    adopt_at = T0 + adopt_day * DAY_US + rng.integers(0, 20, n) * HOUR
    end = T0 + days * DAY_US
    pool = 0
    fol_rows: list[tuple[str, str, int | None]] = []
    post_rows: list[dict[str, object]] = []
    inter: list[dict[str, object]] = []
    for i, name in enumerate(names):
        for _ in range(base[i]):
            fol_rows.append((f"p{pool}", name, None))
            pool += 1
        # followers: a Poisson process, faster after adopting for adopters
        k = rng.poisson(fol_rate[i] * days)
        for t in T0 + np.sort(rng.integers(0, days * DAY_US, k)):
            fol_rows.append((f"p{pool}", name, int(t)))
            if follow_back and adopter[i] and t >= adopt_at[i]:
                fol_rows.append((name, f"p{pool}", int(t)))
            pool += 1
        if adopter[i]:
            extra_days = (end - adopt_at[i]) / DAY_US
            for t in rng.integers(adopt_at[i], end, rng.poisson(growth_effect * extra_days)):
                fol_rows.append((f"p{pool}", name, int(t)))
                if follow_back:
                    fol_rows.append((name, f"p{pool}", int(t)))
                pool += 1
        m = rng.poisson(post_rate[i] * days)
        for j, t in enumerate(np.sort(rng.integers(T0, end, m))):
            pid = f"{name}-{j}"
            tags = ["camp"] if adopter[i] and t >= adopt_at[i] else ["other"]
            if adopter[i] and j == 0:  # the first use comes right at adoption
                t = adopt_at[i]
                tags = ["camp"]
            post_rows.append({"post_id": pid, "author_id": name, "created_at": int(t),
                              "kind": "post", "hashtags": tags})  # fmt: skip
            lam = 1.0 + (reach_effect if adopter[i] and t >= adopt_at[i] else 0.0)
            for _ in range(rng.poisson(lam)):
                inter.append({"kind": "reply", "source_id": f"p{rng.integers(0, 50)}",
                              "target_id": name, "target_post_id": pid,
                              "post_id": f"r{len(inter)}"})  # fmt: skip
    posts = pa.table(
        {
            "platform": ["x"] * len(post_rows),
            "post_id": [r["post_id"] for r in post_rows],
            "author_id": [r["author_id"] for r in post_rows],
            "created_at": pa.array([r["created_at"] for r in post_rows], pa.int64()).cast(TS),
            "kind": [r["kind"] for r in post_rows],
            "hashtags": [r["hashtags"] for r in post_rows],
        }
    )
    when = [w if times else None for _, _, w in fol_rows]
    follows = pa.table(
        {
            "platform": ["x"] * len(fol_rows),
            "follower_id": [f for f, _, _ in fol_rows],
            "friend_id": [t for _, t, _ in fol_rows],
            "created_at": pa.array(when, pa.int64()).cast(TS),
        }
    )
    interactions = pa.table(
        {"platform": ["x"] * len(inter), **{k: [r[k] for r in inter] for k in
         ("kind", "source_id", "target_id", "post_id", "target_post_id")}}
    )  # fmt: skip
    accounts = pa.table({"platform": ["x"] * n, "account_id": names})
    t = {"accounts": accounts, "follows": follows, "posts": posts, "interactions": interactions}
    return {k: conform(k, v) for k, v in t.items()}


def _effect(t: dict[str, pa.Table], **kw: object):  # type: ignore[no-untyped-def]
    return campaign_effect(
        t["accounts"], t["follows"], t["posts"], t["interactions"], "#Camp",
        **{"window_days": 5.0, "n_boot": 400, "seed": 3, **kw},  # type: ignore[arg-type]
    )  # fmt: skip


# ----------------------------------------------------------------------------- estimates


def test_planted_effects_are_recovered() -> None:
    t = _planted(growth_effect=3.0, reach_effect=2.0, follow_back=True, seed=1)
    ce = _effect(t)
    assert ce.adopters == 150 and ce.follow_times and ce.cohorts == 1
    assert ce.matched >= 90 and ce.matched + ce.unmatched == 150
    g = ce.outcomes["follower_growth"]
    lo, hi = g.ci
    assert lo < 3.0 < hi and lo > 1.0  # +3 followers a day, and clearly not 0
    assert g.t_ci[0] < 3.0 < g.t_ci[1]
    r = ce.outcomes["reach_per_post"]
    assert r.ci[0] < 2.0 < r.ci[1] and r.ci[0] > 0.5
    rec = ce.outcomes["reciprocity"]
    assert rec.ci[0] > 0 and rec.adopters_after > rec.adopters_before
    assert rec.controls_after == pytest.approx(rec.controls_before, abs=0.02)
    # every planted follow-back is made after its adopter adopted: among
    # adopters none follow each other, so no follow is between adopters
    assert ce.follows.between_adopters == 0


def test_no_effect_gives_intervals_around_zero() -> None:
    t = _planted(growth_effect=0.0, reach_effect=0.0, follow_back=False, seed=2)
    ce = _effect(t)
    for o in ("follower_growth", "reach_per_post", "reciprocity"):
        e = ce.outcomes[o]
        assert e.ci[0] <= 0.0 <= e.ci[1], (o, e)
    assert ce.outcomes["reciprocity"].effect == pytest.approx(0.0, abs=1e-12)


def test_outcomes_equal_a_slow_reference() -> None:
    """Each pair's values recomputed by loops over the rows, from the definitions."""
    t = _planted(growth_effect=2.0, reach_effect=1.0, follow_back=True, seed=4,
                 n_adopters=25, n_others=80)  # fmt: skip
    ce = _effect(t, window_days=3.0)
    w = 3 * DAY_US
    fol = t["follows"].to_pylist()
    posts = {r["post_id"]: r for r in t["posts"].to_pylist()}
    replies: dict[str, int] = {}
    for r in t["interactions"].to_pylist():
        replies[r["target_post_id"]] = replies.get(r["target_post_id"], 0) + 1

    def us(x: dt.datetime | None) -> int:
        return NOTIME if x is None else int(x.timestamp() * 1_000_000)

    edges: dict[tuple[str, str], int] = {}
    for r in fol:
        key = (r["follower_id"], r["friend_id"])
        edges[key] = min(edges.get(key, us(r["created_at"])), us(r["created_at"]))

    def growth(a: str, lo: int, hi: int) -> float:
        k = sum(1 for (_, b), tt in edges.items() if b == a and lo <= tt < hi)
        return k / ((hi - lo) / DAY_US)

    def reach(a: str, lo: int, hi: int) -> float:
        mine = [p for p in posts.values() if p["author_id"] == a
                and lo <= us(p["created_at"]) < hi]  # fmt: skip
        return sum(replies.get(p["post_id"], 0) for p in mine) / len(mine) if mine else np.nan

    def recip(a: str, at: int) -> float:
        out = {b for (f, b), tt in edges.items() if f == a and tt < at}
        inn = {f for (f, b), tt in edges.items() if b == a and tt < at}
        ties = out | inn
        return len(out & inn) / len(ties) if ties else np.nan

    span_lo = min(us(p["created_at"]) for p in posts.values())
    span_lo = min(span_lo, min(v for v in edges.values() if v != NOTIME))
    span_hi = max(max(us(p["created_at"]) for p in posts.values()),
                  max(edges.values())) + 1  # fmt: skip
    rows = ce.pairs.to_pylist()
    assert len(rows) == 25
    for r in rows[:12]:
        ta = us(r["adopted_at"])
        lo, hi = max(ta - w, span_lo), min(ta + w, span_hi)
        for who, acc in (("adopter", r["account_id"]), ("control", r["control_id"])):
            if acc is None:
                continue
            want = {
                "follower_growth": (growth(acc, lo, ta), growth(acc, ta, hi)),
                "reach_per_post": (reach(acc, lo, ta), reach(acc, ta, hi)),
                "reciprocity": (recip(acc, ta), recip(acc, hi)),
            }
            for o, (b, a) in want.items():
                np.testing.assert_allclose(
                    [r[f"{o}_{who}_before"], r[f"{o}_{who}_after"]], [b, a], rtol=1e-12,
                    err_msg=f"{o} {who} {acc}",
                )  # fmt: skip
    # the estimate is the mean over in-estimate pairs of the differences in differences
    use = [r for r in rows if r["in_estimate"]]
    d = [
        (r["follower_growth_adopter_after"] - r["follower_growth_adopter_before"])
        - (r["follower_growth_control_after"] - r["follower_growth_control_before"])
        for r in use
    ]
    assert ce.outcomes["follower_growth"].effect == pytest.approx(np.mean(d))


def test_without_follow_times_only_reach_is_measured() -> None:
    t = _planted(growth_effect=3.0, reach_effect=2.0, follow_back=False, seed=5, times=False)
    ce = _effect(t)
    assert not ce.follow_times and not ce.follows.available
    assert set(ce.outcomes) == {"reach_per_post"}
    assert set(ce.unavailable) == {"follower_growth", "reciprocity"}
    assert any("carry no times" in n for n in ce.notes)
    assert all("\n" not in n for n in ce.notes)
    assert ce.outcomes["reach_per_post"].ci[0] < 2.0 < ce.outcomes["reach_per_post"].ci[1]


def test_seeded_and_reproducible() -> None:
    t = _planted(growth_effect=1.0, reach_effect=1.0, follow_back=False, seed=6,
                 n_adopters=40, n_others=120)  # fmt: skip
    a, b = _effect(t, seed=9), _effect(t, seed=9)
    assert a.outcomes == b.outcomes
    for col in a.pairs.column_names:  # NaN equal to NaN
        np.testing.assert_array_equal(a.pairs[col].to_numpy(zero_copy_only=False),
                                      b.pairs[col].to_numpy(zero_copy_only=False))  # fmt: skip
    c = _effect(t, seed=10)
    assert c.outcomes["follower_growth"].ci != a.outcomes["follower_growth"].ci


def test_windows_cut_by_the_data_are_left_out() -> None:
    # adoption on day 18 of 20: a 5-day window after it is cut below half
    t = _planted(growth_effect=1.0, reach_effect=0.0, follow_back=False, seed=7,
                 n_adopters=30, n_others=100, adopt_day=18)  # fmt: skip
    ce = _effect(t)
    assert ce.cut_by_span == ce.matched > 0
    assert all(e.pairs == 0 for e in ce.outcomes.values())
    assert any("cuts the window" in n for n in ce.notes)


def test_no_adopters_with_a_time() -> None:
    t = _planted(growth_effect=0.0, reach_effect=0.0, follow_back=False, seed=8,
                 n_adopters=3, n_others=10)  # fmt: skip
    posts = t["posts"].set_column(
        t["posts"].schema.get_field_index("created_at"), "created_at",
        pa.nulls(t["posts"].num_rows, TS),
    )  # fmt: skip
    ce = campaign_effect(t["accounts"], t["follows"], posts, t["interactions"], "camp")
    assert ce.adopters == 0 and ce.adopters_without_time == 3
    assert ce.outcomes == {} and set(ce.unavailable) == {"follower_growth", "reach_per_post",
                                                          "reciprocity"}  # fmt: skip


def test_authors_only_in_posts_are_adopters() -> None:
    posts = pa.table(
        {
            "platform": ["x"] * 4,
            "post_id": ["1", "2", "3", "4"],
            "author_id": ["z", "z", "y", "w"],
            "created_at": pa.array([T0, T0 + HOUR, T0 + 2 * HOUR, T0], pa.int64()).cast(TS),
            "kind": ["repost", "post", "quote", "reply"],
            "hashtags": [["camp"], ["camp"], ["camp"], ["camp"]],
        }
    )
    posts = conform("posts", posts)
    ad = adoption_times(posts, "CAMP")
    # a repost or a reply passes a hashtag on; a post or a quote adopts it
    assert ad["account_id"].to_pylist() == ["z", "y"]
    assert [int(v.timestamp() * 1e6) for v in ad["adopted_at"].to_pylist()] == [
        T0 + HOUR, T0 + 2 * HOUR]  # fmt: skip
    empty = pa.table(
        {"platform": pa.array([], pa.string()), "account_id": pa.array([], pa.string())}
    )
    follows = pa.table({"platform": ["x"], "follower_id": ["q"], "friend_id": ["r"],
                        "created_at": pa.array([T0], pa.int64()).cast(TS)})  # fmt: skip
    inter = pa.table({"platform": pa.array([], pa.string()), "kind": pa.array([], pa.string()),
                      "source_id": pa.array([], pa.string()), "target_id": pa.array([], pa.string()),
                      "post_id": pa.array([], pa.string()),
                      "target_post_id": pa.array([], pa.string())})  # fmt: skip
    ce = campaign_effect(empty, conform("follows", follows), posts, conform("interactions", inter),
                         "camp", window_days=0.01)  # fmt: skip
    assert ce.adopters == 2
    assert sorted(ce.pairs["account_id"].to_pylist()) == ["y", "z"]


def test_bad_arguments() -> None:
    t = _planted(growth_effect=0.0, reach_effect=0.0, follow_back=False, seed=8,
                 n_adopters=3, n_others=10)  # fmt: skip
    with pytest.raises(InputError, match="window_days"):
        _effect(t, window_days=0)
    with pytest.raises(InputError, match="caliper"):
        _effect(t, caliper=-1.0)
    with pytest.raises(InputError, match="hashtag"):
        campaign_effect(t["accounts"], t["follows"], t["posts"], t["interactions"], "#")
    with pytest.raises(InputError, match="created_at"):
        campaign_effect(t["accounts"], t["follows"].drop_columns(["created_at"]), t["posts"],
                        t["interactions"], "camp")  # fmt: skip


# ----------------------------------------------------------------------------- pieces


def test_matching_nearest_without_replacement_within_the_caliper() -> None:
    treated = np.array([[0.0, 0.0], [0.0, 0.05], [3.0, 3.0]])
    cand = np.array([[0.1, 0.0], [0.0, 0.3], [9.0, 9.0], [0.15, 0.1]])
    m, d = match_nearest(treated, cand, caliper=0.5)
    assert m.tolist() == [0, 3, -1]  # the second takes the next nearest; the third none
    assert d[0] == pytest.approx(0.1) and np.isnan(d[2])
    avail = np.array([False, True, True, True])
    m, _ = match_nearest(treated[:1], cand, caliper=0.5, available=avail)
    assert m.tolist() == [3] and not avail[3]
    # ties at equal distance: broken by the seed, each candidate used once
    tied = np.zeros((5, 2))
    picks = {tuple(match_nearest(np.zeros((3, 2)), tied, caliper=0.1, seed=s)[0]) for s in range(8)}
    assert all(len(set(p)) == 3 for p in picks) and len(picks) > 1
    with pytest.raises(InputError):
        match_nearest(np.zeros(3), cand, caliper=1.0)


def test_did_estimate_on_known_numbers() -> None:
    ab = np.array([1.0, 2.0, 3.0, np.nan])
    aa = ab + 5.0
    cb = np.array([0.0, 1.0, 1.0, 1.0])
    ca = cb + np.array([1.0, 2.0, 3.0, 0.0])
    e = did_estimate(ab, aa, cb, ca, n_boot=200, seed=0)
    assert e.pairs == 3 and e.effect == pytest.approx(3.0)  # 5 - mean(1, 2, 3)
    assert e.se == pytest.approx(1.0 / np.sqrt(3))
    assert e.ci[0] >= 2.0 - 1e-12 and e.ci[1] <= 4.0 + 1e-12
    one = did_estimate(ab[:1], aa[:1], cb[:1], ca[:1])
    assert one.pairs == 1 and np.isnan(one.ci[0]) and np.isnan(one.se)
    assert did_estimate(*(np.zeros(0),) * 4).pairs == 0


def test_campaign_follows_counts_follows_after_both_adopted() -> None:
    adopted = np.array([10, 20, NOTIME, 5], np.int64)
    f = np.array([0, 1, 0, 2, 3, 3])
    t = np.array([1, 0, 3, 0, 1, 0])
    made = np.array([25, 15, 30, 40, NOTIME, 20], np.int64)
    cf = campaign_follows(f, t, made, adopted)
    # between adopters: 0->1 (25 >= 20: yes), 1->0 (15 < 20: no), 0->3 (30 >= 10: yes),
    # 3->1 (null: before the data), 3->0 (20 >= 10: yes); 2 never adopted
    assert (cf.between_adopters, cf.after_both_adopted, cf.without_time) == (5, 3, 1)
    assert cf.share == pytest.approx(0.6)


# ----------------------------------------------------------------------------- a simulated campaign

C3 = Path(__file__).resolve().parents[2] / "src/mutuals/claims/scenarios/C3-campaign-machinery.toml"


@pytest.fixture(scope="module")
def c3_run():  # type: ignore[no-untyped-def]
    import mutuals
    from mutuals.claims.design import load_claim_file

    sc = load_claim_file(C3).scenario("campaign", {"accounts": 3000})
    return mutuals.run(sc, seed=1)


def test_simulated_campaign_matches_what_the_simulator_logged(c3_run) -> None:  # type: ignore[no-untyped-def]
    from mutuals.platform.state import FOLLOW_CAUSES

    r = c3_run
    st = r.model.state
    tables = r.canonical()
    topic = r.model.params.campaign_topic
    ce = campaign_effect(tables["accounts"], tables["follows"], tables["posts"],
                         tables["interactions"], f"topic{topic}", window_days=1.0,
                         n_boot=100)  # fmt: skip
    # adopters and their adoption ticks, from the store, are the simulator's
    sim = {str(a): int(st.adopted_at[a]) for a in np.flatnonzero(st.adopted_at >= 0)}
    assert len(sim) >= 2
    epoch = 1_577_836_800_000_000  # io.simstore's tick 0
    us_per_tick = DAY_US // r.model.params.ticks_per_day
    found = {
        a: (int(t.timestamp() * 1_000_000) - epoch) // us_per_tick
        for a, t in zip(ce.pairs["account_id"].to_pylist(), ce.pairs["adopted_at"].to_pylist(),
                        strict=True)
    }  # fmt: skip
    assert found == sim
    assert ce.adopters == len(sim) and ce.follow_times
    # follows between adopters made at or after both adopted, from the follow log
    log = np.concatenate(st.follow_log)
    ad = st.adopted_at
    made = log[log[:, 3] > 0]
    unfollowed = {(int(a), int(b)) for a, b in log[log[:, 3] < 0][:, 1:3]}
    assert not unfollowed  # C3 has no unfollowing: every logged follow is in the end graph
    both = (ad[made[:, 1]] >= 0) & (ad[made[:, 2]] >= 0)
    after = both & (made[:, 0] >= np.maximum(ad[made[:, 1]], ad[made[:, 2]]))
    f, t = st.graph.edges()
    between = int(((ad[f] >= 0) & (ad[t] >= 0)).sum())
    assert ce.follows.after_both_adopted == int(after.sum()) > 0
    assert ce.follows.between_adopters == between
    assert ce.follows.share == pytest.approx(after.sum() / between)
    # every follow the campaign made (and its follow-backs) is one of them
    cause = {FOLLOW_CAUSES.index("campaign"), FOLLOW_CAUSES.index("campaign_follow_back")}
    camp = np.isin(made[:, 4], list(cause))
    assert camp.sum() > 0 and not (camp & ~after).any()
