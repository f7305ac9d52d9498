"""What each claim measures on one run (array code over the run's state).

Every function takes a finished platform :class:`~mutuals.api.Run` and
returns ``{measure: value}``. *Members* are the accounts of the community the
claim file names as ``claim.community`` (default ``organisers``) that were
there from the start; *campaign time* is from the first campaign post on (the
whole run when there is none).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from mutuals.metrics.reach import reach_vs_followers

__all__ = ["MEASURES", "gini"]


def gini(x: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0: all equal; 1: one holds all).

    ``G = sum_i (2 i - n - 1) x_(i) / (n sum x)`` over the sorted values
    (Gini 1912; the form of Damgaard & Weiner 2000).

    >>> gini(np.array([1.0, 1.0, 1.0]))
    0.0
    >>> round(gini(np.array([0.0, 0.0, 4.0])), 4)
    0.6667
    """
    v = np.sort(np.asarray(x, dtype=np.float64))
    n = v.size
    if n == 0 or v.sum() <= 0:
        return float("nan") if n == 0 else 0.0
    i = np.arange(1, n + 1)
    return float(np.sum((2 * i - n - 1) * v) / (n * v.sum()))


class _View:
    """The arrays of a finished run that the measures read."""

    def __init__(self, run: Any, community: str) -> None:
        sim = run.model
        st = sim.state
        self.params = sim.params
        acc = st.accounts
        n = st.posts.n
        c = st.posts.cols
        self.kind = c["kind"][:n]
        self.author = c["author"][:n].astype(np.int64)
        self.time = c["time"][:n]
        self.topic = c["topic"][:n]
        self.reach = c["deliveries"][:n].astype(np.float64)
        self.reposts = c["reposts"][:n].astype(np.float64)
        self.harmful = c["harmful"][:n]
        self.followers_start = st.followers_at_start.astype(np.float64)
        self.followers_end = st.graph.followers_count.astype(np.float64)
        names = acc.community_names
        self.community = acc.community
        self.comm = names.index(community) if community in names else -1
        self.members = (acc.community == self.comm) & (st.arrival == 0)
        self.marginalised = acc.marginalised
        self.role = acc.role
        self.state = st
        topic = self.params.campaign_topic
        tagged = (self.topic == topic) & (self.kind != 1) if topic >= 0 else np.zeros(n, bool)
        self.start = int(self.time[tagged].min()) if tagged.any() else 0
        self.original = self.kind == 0

    def member_posts(self, since_start: bool = True) -> np.ndarray:
        ok = self.original & self.members[self.author]
        return ok & (self.time >= self.start) if since_start else ok


def c1(run: Any, community: str) -> dict[str, float]:
    """Reach and reposts of original posts against their author's followers."""
    v = _View(run, community)
    ok = v.original
    f = v.followers_start[v.author[ok]]
    r = reach_vs_followers(v.reach[ok], f, n_boot=0)
    rp = reach_vs_followers(v.reposts[ok], f, n_boot=0)
    return {
        "spearman_reach": r.spearman,
        "slope_reach": r.slope,
        "spearman_reposts": rp.spearman,
    }


def c2(run: Any, community: str) -> dict[str, float]:
    """Reach per post of the community, and its followers."""
    v = _View(run, community)
    ok = v.original & (v.community[v.author] == v.comm)
    return {
        "reach_per_post": float(v.reach[ok].mean()) if ok.any() else float("nan"),
        "median_followers": float(np.median(v.followers_start[v.members])),
    }


def c3(run: Any, community: str) -> dict[str, float]:
    """Members' followers and the spread of their posts, at the end of the run."""
    v = _View(run, community)
    m = v.members
    posts = v.member_posts()
    k = 10.0 * max(1.0, float(np.median(v.followers_start[m])))  # the same in every arm
    counters = v.state.counters
    return {
        "share_under_1k": float((v.followers_end[m] < 1000).mean()),
        "median_followers": float(np.median(v.followers_end[m])),
        "follower_gain": float((v.followers_end[m] - v.followers_start[m]).mean()),
        "reach_per_post": float(v.reach[posts].mean()) if posts.any() else float("nan"),
        "share_viral": float((v.reach[posts] > k).mean()) if posts.any() else float("nan"),
        "campaign_share_of_follows": counters["campaign_follows"] / max(counters["follows"], 1),
        "adopters": float((v.state.adopted_at >= 0).sum()),
    }


def c4(run: Any, community: str) -> dict[str, float]:
    """The follower gap between marginalised and other members, and inequality."""
    v = _View(run, community)
    m = v.members
    marg = m & v.marginalised
    other = m & ~v.marginalised
    if not marg.any() or not other.any():
        nan = float("nan")
        return {"follower_gap": nan, "gini": gini(v.followers_end[m]), "marginalised_gain": nan}
    return {
        "follower_gap": float(np.median(v.followers_end[other]) - np.median(v.followers_end[marg])),
        "gini": gini(v.followers_end[m]),
        "marginalised_gain": float((v.followers_end[marg] - v.followers_start[marg]).mean()),
    }


def c5(run: Any, community: str) -> dict[str, float]:
    """What infiltrators (accounts an event added, in community ``infiltrators``) got."""
    v = _View(run, community)
    st = v.state
    names = st.accounts.community_names
    k = names.index("infiltrators") if "infiltrators" in names else -1
    inf = (v.community == k) & (st.arrival < np.iinfo(np.int64).max // 2) & (st.arrival >= 0)
    inf &= st.arrival > 0  # those that arrived during the run
    f, t = st.graph.edges()
    from_members = v.members[f] & inf[t]
    reads = st.exposures[:, v.comm] if v.comm >= 0 else np.zeros(1)
    total = float(reads.sum())
    return {
        "member_followers": float(from_members.sum() / max(int(inf.sum()), 1)),
        "exposure_share": float(reads[k] / total) if k >= 0 and total > 0 else 0.0,
        "feed_quality": _feed_quality(st, v.members),
        "reveals": float(st.counters["reveals"]),
    }


def _feed_quality(st: Any, who: np.ndarray) -> float:
    """Mean quality of what the accounts ``who`` have in their feeds now."""
    items = st.ring_item[who]
    live = items >= 0
    c = st.posts.cols
    q = c["quality"][c["root"][np.maximum(items, 0)]]
    return float(q[live].mean()) if live.any() else float("nan")


def c6(run: Any, community: str) -> dict[str, float]:
    """What a hijack and the platform's crackdown did to the community."""
    v = _View(run, community)
    st = v.state
    hidden = st.posts.cols["hidden"][: st.posts.n] == 1
    attack = v.harmful == 1
    start = int(v.time[attack].min()) if attack.any() else 0
    posts = v.original & v.members[v.author] & (v.time >= start)
    return {
        "reach_per_post": float(v.reach[posts].mean()) if posts.any() else float("nan"),
        "legit_hidden": float((hidden & ~attack & (v.kind != 1)).sum()),
        "member_posts_hidden": float((hidden & posts).sum()),
        "attacker_posts": float((attack & (v.kind != 1)).sum()),
        "attacker_accounts": float(np.unique(v.author[attack]).size),
    }


def c13(run: Any, community: str) -> dict[str, float]:
    """Reach of small accounts' posts, boosted or not."""
    v = _View(run, community)
    p = v.params
    st = v.state
    boost = st.posts.cols["boost"][: st.posts.n]
    small = v.original & (v.followers_start[v.author] < p.boost_small_cap)
    small &= v.community[v.author] == v.comm
    got, not_got = v.reach[boost == 2], v.reach[boost == 1]
    ratio = (
        float(np.log(got.mean() / not_got.mean()))
        if got.size and not_got.size and got.mean() > 0 and not_got.mean() > 0
        else float("nan")
    )
    return {
        "log_boost_ratio": ratio,
        "small_reach_per_post": float(v.reach[small].mean()) if small.any() else float("nan"),
        "boosts": float(st.counters["boosts"]),
    }


def c9(run: Any, community: str) -> dict[str, float]:
    """Members' isolation from the rest of the platform at the end of the run."""
    from mutuals.metrics.graph import modularity, undirected_adjacency
    from mutuals.metrics.isolation import ei_counts

    v = _View(run, community)
    st = v.state
    comm = v.community.astype(np.int64)
    k = len(st.accounts.community_names)
    reads = st.exposures[:, v.comm].astype(np.float64)
    f, t = st.graph.edges()
    internal, external = ei_counts(comm[f], comm[t], k)
    tot = internal[v.comm] + external[v.comm]
    ei = float((external[v.comm] - internal[v.comm]) / tot) if tot else float("nan")
    adj = undirected_adjacency(f, t, st.accounts.n)
    # the mainstream's home topics (topic t is at home in community t % k) in members' feeds
    names = st.accounts.community_names
    main = names.index("mainstream") if "mainstream" in names else -1
    items = st.ring_item[v.members]
    live = items[items >= 0]
    topics = np.unique(st.posts.cols["topic"][st.posts.cols["root"][live]])
    topics = topics[topics != v.params.campaign_topic]  # the hashtag is nobody's home topic
    n_main = int(((topics % k) == main).sum()) if main >= 0 else 0
    # ...and the share of members' reads on those topics (not capped by their number)
    share = float("nan")
    if st.topic_reads and main >= 0 and v.comm >= 0:
        by_topic = np.asarray(st.topic_reads)[:, v.comm, :].sum(0).astype(np.float64)
        home = (np.arange(by_topic.size) % k) == main
        if v.params.campaign_topic >= 0:  # the hashtag is nobody's home topic
            home[v.params.campaign_topic] = False
        share = float(by_topic[home].sum() / by_topic.sum()) if by_topic.sum() else share
    return {
        "outside_exposure": float(1 - reads[v.comm] / reads.sum()) if reads.sum() else float("nan"),
        "ei_index": ei,
        "modularity": modularity(adj, comm),
        "mainstream_topics_seen": float(n_main),
        "mainstream_share": share,
    }


def c12(run: Any, community: str) -> dict[str, float]:
    """Purity unfollows and the community's fragmentation, after the trend."""
    from scipy.sparse.csgraph import connected_components

    from mutuals.metrics.graph import louvain, modularity, undirected_adjacency

    v = _View(run, community)
    st = v.state
    tpd = v.params.ticks_per_day
    # the tick the purity checks began: when their set_param event fired
    start = sim_tick = run.model.tick
    ev = run.tables.get("events")
    if ev is not None:
        idx = [e.index for e in run.scenario.events
               if e.action == "set_param" and "purity_prob" in e.args]  # fmt: skip
        fired = [t for t, i in zip(ev["tick"].to_pylist(), ev["event"].to_pylist(), strict=True)
                 if i in idx]  # fmt: skip
        start = min(fired) if fired else sim_tick
    log = np.concatenate(st.follow_log) if st.follow_log else np.zeros((0, 5), np.int64)
    gone = log[(log[:, 3] < 0) & v.members[log[:, 1]]]
    days = max(sim_tick - start, 1) / tpd
    m = np.flatnonzero(v.members)
    pos = np.full(st.accounts.n, -1, np.int64)
    pos[m] = np.arange(m.size)
    f, t = st.graph.edges()
    inside = v.members[f] & v.members[t]
    adj = undirected_adjacency(pos[f[inside]], pos[t[inside]], m.size)
    n_comp, _ = connected_components(adj, directed=False)
    labels = louvain(adj, seed=0)
    posts = v.original & v.members[v.author]
    before, after = posts & (v.time < start), posts & (v.time >= start)
    return {
        "unfollow_rate": float(gone.shape[0] / max(m.size, 1) / days),
        "components": float(n_comp),
        "communities": float(np.unique(labels).size),
        "modularity": modularity(adj, labels),
        "reach_change": float(v.reach[after].mean() - v.reach[before].mean())
        if after.any() and before.any()
        else float("nan"),
    }


def c11(run: Any, community: str) -> dict[str, float]:
    """How hot posts get: the mean heat of original posts on the run's last day."""
    v = _View(run, community)
    tpd = v.params.ticks_per_day
    last = v.original & (v.time >= run.model.tick - tpd)
    first = v.original & (v.time < tpd)
    heat = v.state.posts.cols["heat"][: v.state.posts.n].astype(np.float64)
    return {
        "heat_last_day": float(heat[last].mean()) if last.any() else float("nan"),
        "heat_change": float(heat[last].mean() - heat[first].mean())
        if last.any() and first.any()
        else float("nan"),
        "account_heat": float(v.state.heat_mean.mean()),
    }


def _attention(v: _View) -> dict[str, float]:
    """Members' feed repetition, engagement per session and leaving (C7's measures)."""
    st = v.state
    m = v.members
    f, t = st.graph.edges()
    own = m[f] & (v.community[t] == v.comm)
    rep = st.repetition[m]
    sessions = float(st.session_count[m].sum())
    return {
        "same_community_follows": float(own.sum() / max(int(m.sum()), 1)),
        "repetition": float(np.nanmean(rep)) if np.isfinite(rep).any() else float("nan"),
        "engagement_per_session": float(st.engagement_count[m].sum() / sessions)
        if sessions
        else float("nan"),
        "share_away": float((st.departure_count[m] > 0).mean()) if m.any() else float("nan"),
    }


def c7(run: Any, community: str) -> dict[str, float]:
    """Repetition, engagement and leaving of members, and their same-community follows."""
    return _attention(_View(run, community))


def _trend(run: Any, v: _View) -> tuple[int, int] | None:
    """``(topic, tick)`` of the run's burst: the first ``seed_hashtag`` event on a
    topic other than the campaign's (else on the campaign's) that fired."""
    ev = run.tables.get("events")
    if ev is None:
        return None
    fired = dict(zip(ev["event"].to_pylist(), ev["tick"].to_pylist(), strict=True))
    seeds = [e for e in run.scenario.events if e.action == "seed_hashtag" and e.index in fired]
    other = [e for e in seeds if int(e.args["topic"]) != v.params.campaign_topic]
    pick = (other or seeds)[:1]
    return (int(pick[0].args["topic"]), int(fired[pick[0].index])) if pick else None


def _takeover(run: Any, v: _View) -> dict[str, float]:
    """How far one trend took over members' feeds (C8's measures).

    ``s_t``: the community's reads of the trend's topic over the three ticks up
    to ``t``, as a share of all its reads then. Baseline ``b``: the share over
    the day before the burst. Peak: the largest ``s_t`` from the burst on.
    Recovery: hours from the burst until ``s_t`` first falls below ``2 b``
    after the peak (the rest of the run when it never does: censored).
    Amplification: the trend's share of the community's reads over the first
    day from the burst, over its share of what was written for it then (the
    posts, reposts and quotes of that day, each weighted by how many members
    follow its author at the end of the run: the supply of members' home
    feeds; 1: feeds show the trend in proportion).
    """
    nan = float("nan")
    out = dict.fromkeys(("peak_share", "amplification", "recovery_hours", "baseline_share"), nan)
    tr = _trend(run, v)
    st = v.state
    if tr is None or not st.topic_reads or v.comm < 0:
        return out
    topic, t0 = tr
    tpd = v.params.ticks_per_day
    cube = np.asarray(st.topic_reads)[:, v.comm, :].astype(np.float64)
    on, total = cube[:, topic], cube.sum(1)
    w = np.ones(3)
    on_s, tot_s = np.convolve(on, w)[: on.size], np.convolve(total, w)[: on.size]
    share = np.divide(on_s, tot_s, out=np.full(on.size, np.nan), where=tot_s > 0)
    pre = slice(max(0, t0 - tpd), t0)
    b = float(on[pre].sum() / total[pre].sum()) if total[pre].sum() > 0 else nan
    after = share[t0:]
    if not np.isfinite(after).any():
        return out
    tp = t0 + int(np.nanargmax(after))
    below = np.flatnonzero(share[tp:] < 2 * b) if np.isfinite(b) else np.zeros(0, np.int64)
    end = tp + int(below[0]) if below.size else share.size
    first = slice(t0, t0 + tpd)
    wrote = (v.time >= t0) & (v.time < t0 + tpd) & (v.kind != 2)
    f, t = st.graph.edges()
    member_followers = np.bincount(t[v.members[f]], minlength=st.accounts.n).astype(np.float64)
    wt = member_followers[v.author[wrote]]
    post_share = float(wt[v.topic[wrote] == topic].sum() / wt.sum()) if wt.sum() > 0 else nan
    feed_share = float(on[first].sum() / total[first].sum()) if total[first].sum() else nan
    out.update(
        peak_share=float(np.nanmax(after)),
        amplification=feed_share / post_share if post_share > 0 else nan,
        recovery_hours=(end - t0) * 24.0 / tpd,
        baseline_share=b,
    )
    return out


def c8(run: Any, community: str) -> dict[str, float]:
    """The peak share of members' feeds a burst of posts on one topic took, and recovery."""
    return _takeover(run, _View(run, community))


def c10(run: Any, community: str) -> dict[str, float]:
    """C7's, C8's and C9's measures with or without a remedy, and members' reach."""
    v = _View(run, community)
    out = _attention(v)
    out.update(_takeover(run, v))
    out.update(c9(run, community))
    posts = v.member_posts()
    out["reach_per_post"] = float(v.reach[posts].mean()) if posts.any() else float("nan")
    return out


#: Claim id -> its measure function.
MEASURES: dict[str, Callable[[Any, str], dict[str, float]]] = {
    "C1": c1,
    "C2": c2,
    "C3": c3,
    "C4": c4,
    "C5": c5,
    "C6": c6,
    "C7": c7,
    "C8": c8,
    "C9": c9,
    "C10": c10,
    "C11": c11,
    "C12": c12,
    "C13": c13,
}
