"""Slow, obviously-correct twins of the fast kernels.

Each function here mirrors a Numba kernel with plain Python lists and dicts,
one agent and one message at a time, in the style of the osome-iu/SimSoM code.
Tests compare the two on random inputs; the benchmark reports the speed ratio.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from mutuals.platform.posts import POST, QUOTE
from mutuals.platform.state import PlatformState
from mutuals.scenarios.events import DISGUISES

__all__ = [
    "ReferenceFeed",
    "reference_boosts",
    "reference_campaign",
    "reference_clout",
    "reference_deliver",
    "reference_dilution",
    "reference_leaving",
    "reference_pick",
    "reference_purity",
    "reference_repetition",
    "reference_reports",
    "reference_reveals",
    "reference_simsom_step",
    "reference_suppress",
    "reference_topic_reads",
]


@dataclass
class ReferenceFeed:
    """One feed, newest entry first: parallel lists of message, shares, age."""

    msg: list[int] = field(default_factory=list)
    shares: list[int] = field(default_factory=list)
    age: list[int] = field(default_factory=list)


def reference_deliver(
    feed: ReferenceFeed, incoming: list[tuple[int, int]], capacity: int, compat: bool
) -> None:
    """Add ``incoming`` (message, copies) pairs, in order, to ``feed``."""
    # aggregate duplicates, first occurrence first
    agg: dict[int, int] = {}
    for m, c in incoming:
        agg[m] = agg.get(m, 0) + c
    overlap = any(m in feed.msg for m in agg)
    if compat:
        if incoming and feed.msg:
            feed.age = [a + 1 for a in feed.age] if overlap else [1] * len(feed.age)
    else:
        feed.age = [a + 1 for a in feed.age]
    new_m, new_s = [], []
    for m, c in agg.items():
        if m in feed.msg:
            feed.shares[feed.msg.index(m)] += c
        else:
            new_m.append(m)
            new_s.append(c)
    msg = new_m + feed.msg
    shares = new_s + feed.shares
    age = [0] * len(new_m) + feed.age
    # keep the `capacity` youngest (stable: ties keep feed order)
    order = sorted(range(len(msg)), key=lambda i: age[i])[:capacity]
    order.sort()
    feed.msg = [msg[i] for i in order]
    feed.shares = [shares[i] for i in order]
    feed.age = [age[i] for i in order]


def reference_pick(feed: ReferenceFeed, appeal: NDArray[np.float32], u: float) -> int:
    """Message chosen with probability ∝ appeal × shares × exp(-0.4 age^0.4)."""
    w = [
        float(appeal[m]) * s * math.exp(-0.4 * a**0.4)
        for m, s, a in zip(feed.msg, feed.shares, feed.age, strict=True)
    ]
    total = sum(w)
    if total <= 0:
        return -1
    x, acc = u * total, 0.0
    for m, wi in zip(feed.msg, w, strict=True):
        acc += wi
        if x < acc:
            return m
    return feed.msg[-1]


def reference_simsom_step(
    feeds: list[ReferenceFeed],
    followers: list[list[int]],
    is_bot: NDArray[np.bool_],
    appeal: NDArray[np.float32],
    order: NDArray[np.int32],
    u_act: NDArray[np.float64],
    u_pick: NDArray[np.float64],
    mu: float,
    theta: int,
    next_id: int,
    capacity: int,
    compat: bool,
) -> tuple[list[int], int]:
    """One synchronous SimSoM step; returns each agent's message and the next id."""
    n = len(feeds)
    act = [-1] * n
    for a in order.tolist():
        m = -1
        if feeds[a].msg and u_act[a] >= mu:
            m = reference_pick(feeds[a], appeal, float(u_pick[a]))
        if m < 0:
            m = next_id
            next_id += 1
        act[a] = m
    inbox: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for a in order.tolist():
        for f in followers[a]:
            inbox[f].append((act[a], theta if is_bot[a] else 1))
    for r in range(n):
        reference_deliver(feeds[r], inbox[r], capacity, compat)
    return act, next_id


# -- platform engine twins --------------------------------------------------------------


def reference_read(
    reader: int, entries: list[tuple[int, int]], k: int, ranked: bool, now: int, s: dict
) -> list[int]:
    """Posts a session reads: ``entries`` are (post, arrival tick), newest first.

    Chronological: newest first; ranked: by predicted engagement (stable for
    ties), then, with ``author_diversity_decay < 1``, each author's ``i``-th
    item in that order scaled by ``(1 - floor) * decay**i + floor`` and sorted
    again (stable). Either way a root is read at most once, and at most ``k`` items.
    """
    root = s["root"]
    if ranked:
        scored = []
        for j, (p, t) in enumerate(entries):
            r = root[p]
            score = (
                float(s["appeal"][r])
                * (0.5 + float(s["interest"][reader, s["topic"][r]]))
                * (1.0 + s["heat_weight"] * float(s["heat"][r]))
                * 0.5 ** ((now - t) / s["half_life"])
            )
            scored.append((-score, j, p))
        ranked_list = sorted(scored)
        decay = s.get("author_diversity_decay", 1.0)
        floor = s.get("author_diversity_floor", 0.0)
        if decay < 1.0 and len(ranked_list) > 1:
            seen: dict[int, int] = {}
            again = []
            for i, (neg, _, p) in enumerate(ranked_list):
                a = int(s["author"][p])
                pos = seen.get(a, 0)
                seen[a] = pos + 1
                again.append((neg * ((1.0 - floor) * decay**pos + floor), i, p))
            ranked_list = sorted(again)
        entries_in_order = [p for _, _, p in ranked_list]
    else:
        entries_in_order = [p for p, _ in entries]
    out: list[int] = []
    seen_roots: set[int] = set()
    for p in entries_in_order:
        if root[p] in seen_roots:
            continue
        seen_roots.add(root[p])
        out.append(p)
        if len(out) == k:
            break
    return out


def reference_sessions(
    sessions: NDArray[np.int32], u: NDArray[np.float64], now: int, s: dict
) -> dict:
    """Pure-Python twin of :func:`mutuals.kernels.platform.run_sessions`.

    ``s`` holds the state arrays (modified in place) and parameters by name.
    Returns the new rows as a list of dicts and the follow requests; what each
    session read is left in ``s["read_log"]``.
    """
    U_POST, U_TOPIC, U_QUALITY, U_APPEAL, U_HEAT, U_LIST, U_ITEMS = range(7)
    new_rows: list[dict] = []
    follows: list[tuple[int, int]] = []
    s.setdefault("session_engaged", np.zeros(len(sessions), np.int32))
    kmax = int(s["attention"].max()) if len(s["attention"]) else 0
    s["read_log"] = np.full((len(sessions), kmax), -1, np.int64)
    n_next = s["n_posts"]
    F = s["ring_item"].shape[1]
    R = s["recent"].shape[1]
    w_total = s["w_like"] + s["w_repost"] + s["w_reply"] + s["w_quote"]

    def add_row(**row: float) -> int:
        nonlocal n_next
        row["id"] = n_next
        for key in (
            "author",
            "time",
            "kind",
            "parent",
            "root",
            "topic",
            "quality",
            "appeal",
            "heat",
        ):
            s[key][n_next] = row[key]
        new_rows.append(row)
        n_next += 1
        return n_next - 1

    def remember(a: int, q: int) -> None:
        s["recent"][a, s["recent_head"][a] % R] = q
        s["recent_head"][a] += 1

    for i, a in enumerate(sessions.tolist()):
        k = int(s["attention"][a])
        subs = s["sub_lists"][s["sub_ptr"][a] : s["sub_ptr"][a + 1]].tolist()
        if subs and u[i, U_LIST] < s["list_read_prob"][a]:
            share = float(u[i, U_LIST]) / s["list_read_prob"][a]  # in [0, 1): which list
            lst = subs[min(int(share * len(subs)), len(subs) - 1)]
            cand = []
            for m in s["list_members"][s["list_ptr"][lst] : s["list_ptr"][lst + 1]].tolist():
                h = int(s["recent_head"][m])
                cand += [int(s["recent"][m, (h - 1 - j) % R]) for j in range(min(R, h))]
            # removed entries (hidden posts) and this tick's posts are not shown
            cand = [q for q in cand if q >= 0 and s["time"][q] < now]
            read = sorted(cand, reverse=True)[:k]
        else:
            h, c = int(s["head"][a]), int(s["count"][a])
            entries = [
                (int(s["ring_item"][a, (h - 1 - j) % F]), int(s["ring_time"][a, (h - 1 - j) % F]))
                for j in range(c)
            ]
            read = reference_read(a, entries, k, s["ranked"], now, s)
        for j, p in enumerate(read):
            s["read_log"][i, j] = p
            rt = int(s["root"][p])
            s["views"][rt] += 1
            s["exposures"][s["community"][s["author"][rt]], s["community"][a]] += 1
            if s["author"][rt] == a:
                continue  # one's own post: read, never engaged with
            t = int(s["topic"][rt])
            pe = min(
                1.0,
                s["engage_scale"][a]
                * float(s["appeal"][rt])
                * (0.5 + float(s["interest"][a, t]))
                * (1.0 + s["heat_weight"] * float(s["heat"][rt])),
            )
            x = float(u[i, U_ITEMS + j])
            engaged = x < pe
            if s["interest_lr"] > 0:
                s["interest"][a, t] += s["interest_lr"] * (
                    (1.0 if engaged else 0.0) - s["interest"][a, t]
                )
            if not engaged:
                continue
            s["session_engaged"][i] += 1
            pos = x / pe * w_total
            if pos < s["w_like"]:
                s["likes"][rt] += 1
                continue
            # the position inside the chosen action's segment decides following
            if pos < s["w_like"] + s["w_repost"]:
                kind = 1
                s["reposts"][rt] += 1
                follow_u = (pos - s["w_like"]) / s["w_repost"]
            elif pos < s["w_like"] + s["w_repost"] + s["w_reply"]:
                kind = 2
                s["replies"][p] += 1
                follow_u = 1.0
            else:
                kind = 3
                s["quotes"][rt] += 1
                start = s["w_like"] + s["w_repost"] + s["w_reply"]
                follow_u = min(1.0, (pos - start) / s["w_quote"]) if s["w_quote"] > 0 else 1.0
            q = add_row(
                author=a, time=now, kind=kind, parent=p if kind == 2 else rt, root=rt if kind == 1 else n_next,
                topic=t, quality=s["quality"][rt], appeal=s["appeal"][rt], heat=s["heat"][rt],
            )  # fmt: skip
            if kind != 2:
                remember(a, q)
                if follow_u < s["follow_on_engage"][a]:
                    follows.append((a, int(s["author"][rt])))
        if u[i, U_POST] < s["p_post"][a]:
            cum = s["topic_pref"][a]
            topic = next((t for t in range(cum.size) if u[i, U_TOPIC] < cum[t]), cum.size - 1)
            lam = s["quality_lambda"]
            if s["is_bot"][a]:
                quality = 0.0
            elif lam == 0:
                quality = float(u[i, U_QUALITY])
            elif lam > 700:  # exp(lam) overflows; density ∝ exp(lam q) = exp(-lam (1 - q))
                x = float(u[i, U_QUALITY]) + (1 - float(u[i, U_QUALITY])) * math.exp(-lam)
                quality = max(0.0, 1 + math.log(x) / lam) if x > 0 else 0.0
            else:
                quality = math.log1p(float(u[i, U_QUALITY]) * math.expm1(lam)) / lam
            appeal = 1.0 - (1.0 - float(u[i, U_APPEAL])) ** (1.0 / (1.0 + s["appeal_exponent"]))
            heat = min(
                1.0,
                max(0.0, float(s["heat_mean"][a]) + s["heat_spread"] * (float(u[i, U_HEAT]) - 0.5)),
            )
            q = add_row(
                author=a,
                time=now,
                kind=0,
                parent=-1,
                root=n_next,
                topic=topic,
                quality=quality,
                appeal=appeal,
                heat=heat,
            )
            remember(a, q)
    return {"rows": new_rows, "follows": follows, "n_posts": n_next}


def reference_deliver_ring(
    first: int, last: int, s: dict, followers: list[list[int]], now: int
) -> int:
    """Twin of :func:`mutuals.kernels.platform.deliver_ring` with explicit ring writes."""
    F = s["ring_item"].shape[1]
    total = 0
    for p in range(first, last):
        if s["kind"][p] == 2:
            continue
        for r in followers[int(s["author"][p])]:
            h = int(s["head"][r])
            s["ring_item"][r, h] = p
            s["ring_time"][r, h] = now
            s["head"][r] = (h + 1) % F
            s["count"][r] = min(F, int(s["count"][r]) + 1)
            s["deliveries"][s["root"][p]] += 1
            total += 1
    return total


def reference_feed_stats(items: list[int], s: dict, n_topics: int) -> tuple[float, float, float]:
    """Mean root quality, topic repetition and author repetition of one feed."""
    if not items:
        return math.nan, math.nan, math.nan
    roots = [int(s["root"][p]) for p in items]
    quality = sum(float(s["quality"][r]) for r in roots) / len(items)
    if len(items) < 2:
        return quality, math.nan, math.nan

    def rep(labels: list[int], k: int) -> float:
        counts: dict[int, int] = {}
        for x in labels:
            counts[x] = counts.get(x, 0) + 1
        h = -sum(c / len(labels) * math.log(c / len(labels)) for c in counts.values())
        return 1.0 - h / math.log(k) if k > 1 else 1.0

    topics = [int(s["topic"][r]) for r in roots]
    authors = [int(s["author"][r]) for r in roots]  # the original sources
    return quality, rep(topics, min(n_topics, len(items))), rep(authors, len(items))


# -- the follow campaign --------------------------------------------------------------------


def _reference_trending(counts: list[NDArray[np.int64]], window: int, top: int = 5) -> list[int]:
    """The topics trending now: the ``top`` by velocity (uses in the last
    ``window`` ticks minus uses in the ``window`` before), ties to the lower id."""
    if not counts:
        return []
    rows = [[int(x) for x in row] for row in counts[-2 * window :]]
    n_topics = len(rows[0])
    velocity = []
    for t in range(n_topics):
        recent = sum(row[t] for row in rows[-window:])
        before = sum(row[t] for row in rows[:-window])
        velocity.append(recent - before)
    return sorted(range(n_topics), key=lambda t: (-velocity[t], t))[: min(top, n_topics)]


def reference_campaign(
    state: PlatformState,
    params: Any,
    sessions: NDArray[np.int32],
    read: NDArray[np.int64],
    rng: np.random.Generator,
) -> dict[str, list[int]]:
    """Pure-Python twin of :meth:`mutuals.behaviour.campaign.Campaign.decide`.

    One session and one seen post at a time, with sets and dicts. It draws the
    same uniforms in the same order: one browse draw per session, one per
    browsed item, then (when anything was seen) one adoption draw per seen
    post, one vetting draw per seen post and one following draw per seen post.
    Returns ``browsed``, ``browsers``, ``adopters``, ``follow_src`` and
    ``follow_dst`` as lists. Vetting averages stances in double precision (the
    policy sums them in single precision): the two can part only on a
    tolerance boundary.
    """
    out: dict[str, list[int]] = {
        k: [] for k in ("browsed", "browsers", "adopters", "follow_src", "follow_dst")
    }
    topic = int(params.campaign_topic)
    if topic < 0:
        return out
    acc = state.accounts
    author_of, topic_of = state.posts.cols["author"], state.posts.cols["topic"]
    kind_of, root_of = state.posts.cols["kind"], state.posts.cols["root"]
    stance_of = state.posts.cols["stance"]
    adopted = {a for a in range(acc.n) if state.adopted_at[a] >= 0}
    # what each session read: (reader, the root it read) for campaign posts and quotes
    seen: list[tuple[int, int]] = []
    for i, a in enumerate(sessions.tolist()):
        for item in read[i].tolist():
            if item < 0:
                continue
            root = int(root_of[item])
            if int(topic_of[root]) == topic and int(kind_of[root]) in (POST, QUOTE):
                seen.append((a, root))
    # the hashtag's page
    ring = [int(q) for q in state.tag_ring.tolist() if q >= 0]
    trending = False
    if params.campaign_trend_browse > 0 and ring:
        window = max(1, params.ticks_per_day // 4)
        trending = topic in _reference_trending(state.topic_counts, window)
    browsers = []
    for a in sessions.tolist():
        u = rng.random()
        if a in adopted:
            p_browse = params.campaign_browse_prob
        else:
            p_browse = params.campaign_trend_browse if trending else 0.0
        if u < p_browse:
            browsers.append(a)
    if ring:
        for a in browsers:
            for _ in range(int(acc.attention[a])):
                q = ring[int(rng.random() * len(ring))]
                out["browsers"].append(a)
                out["browsed"].append(q)
    seen += list(zip(out["browsers"], out["browsed"], strict=True))
    if not seen:
        return out
    u_adopt = [rng.random() for _ in seen]
    u_vet = [rng.random() for _ in seen]
    u_follow = [rng.random() for _ in seen]

    def gap(a: int, q: int) -> float:
        return abs(float(acc.position[a]) - float(stance_of[q]))

    # adoption: independent cascade, scaled by the position gap
    new: set[int] = set()
    for j, (a, q) in enumerate(seen):
        b = int(author_of[q])
        p_adopt = float(state.adopt_prob[a]) * math.exp(-gap(a, q) / params.adopt_position_scale)
        if a not in adopted and a != b and u_adopt[j] < p_adopt:
            new.add(a)
    out["adopters"] = sorted(new)

    def vetted(a: int, b: int) -> bool:
        recent = [int(q) for q in state.recent[b].tolist() if q >= 0]
        if not recent:
            return True
        mean = sum(float(stance_of[q]) for q in recent) / len(recent)
        return abs(float(acc.position[a]) - mean) <= params.vet_tolerance

    # following, by every adopter (those adopting now included)
    inclusive = params.campaign_inclusive == "on"
    followers = {b: len(state.graph.followers(b)) for _, q in seen for b in [int(author_of[q])]}
    first: list[tuple[int, int]] = []  # marginalised accounts first when inclusive
    rest: list[tuple[int, int]] = []
    for j, (a, q) in enumerate(seen):
        b = int(author_of[q])
        if a not in adopted and a not in new:
            continue
        if a == b or followers[b] >= params.follower_cap:
            continue
        if gap(a, q) > params.campaign_follow_tolerance:
            continue
        if u_vet[j] < state.vet_prob[a] and not vetted(a, b):
            continue
        marginalised = inclusive and bool(acc.marginalised[b])
        weight = params.inclusive_weight if marginalised else 1.0
        if u_follow[j] < min(1.0, params.campaign_follow_prob * weight):
            (first if marginalised else rest).append((a, b))
    requested: set[tuple[int, int]] = set()
    granted: dict[int, int] = {}  # requests kept per target so far
    for a, b in first + rest:
        if (a, b) in requested:
            continue
        requested.add((a, b))
        if b in {int(x) for x in state.graph.friends(a)}:
            continue
        if followers[b] + granted.get(b, 0) >= params.follower_cap:
            continue
        granted[b] = granted.get(b, 0) + 1
        out["follow_src"].append(a)
        out["follow_dst"].append(b)
    if out["follow_src"] and params.campaign_wide_share > 0:
        _reference_widen(state, params, out, rng)
    return out


def _reference_widen(
    state: PlatformState, params: Any, out: dict[str, list[int]], rng: np.random.Generator
) -> None:
    """Following widely, one request at a time: with probability
    ``campaign_wide_share`` the target becomes the first of eight uniform
    draws outside the follower's community (there now); dropped if none is,
    if it is already followed, or if the pair was asked already."""
    n = state.accounts.n
    comm = state.accounts.community
    src, dst = out["follow_src"], out["follow_dst"]
    wide = [rng.random() < params.campaign_wide_share for _ in src]
    draws = rng.integers(0, n, size=(sum(wide), 8)).tolist()
    pairs: list[tuple[int, int]] = []
    k = 0
    for a, b, w in zip(src, dst, wide, strict=True):
        if not w:
            pairs.append((a, b))
            continue
        row = draws[k]
        k += 1
        ok = [c for c in row if comm[c] != comm[a] and state.arrival[c] <= state.tick]
        if ok:
            pairs.append((a, int(ok[0])))
    seen: set[tuple[int, int]] = set()
    out["follow_src"], out["follow_dst"] = [], []
    for a, b in pairs:
        if (a, b) in seen or b in {int(x) for x in state.graph.friends(a)}:
            continue
        seen.add((a, b))
        out["follow_src"].append(a)
        out["follow_dst"].append(b)


# -- disguises, reports and moderation, boosts ------------------------------------------------


def reference_reveals(state: PlatformState, params: Any) -> list[int]:
    """Pure-Python twin of :meth:`mutuals.behaviour.disguise.Disguise.reveals`.

    One account at a time: an incognito account (``disguise = "incognito"``)
    that has arrived, has not revealed itself yet, and has at least
    ``reveal_followers`` followers (counted on the follow graph's follower
    list) reveals itself now. Returns the accounts in ascending order; draws
    nothing and reads no parameter.
    """
    incognito = DISGUISES.index("incognito")
    out: list[int] = []
    for a in range(state.accounts.n):
        if int(state.disguise[a]) != incognito:
            continue
        if int(state.revealed_at[a]) >= 0 or int(state.arrival[a]) > state.tick:
            continue
        if len(state.graph.followers(a)) >= int(state.reveal_followers[a]):
            out.append(a)
    return out


def reference_reports(
    state: PlatformState,
    params: Any,
    sessions: NDArray[np.int32],
    read: NDArray[np.int64],
    rng: np.random.Generator,
) -> dict[str, list[int]]:
    """Pure-Python twin of :meth:`mutuals.behaviour.moderation.Moderation.reports`.

    One session and one read item at a time, in session order and read order:
    every item whose cascade root is harmful gets one uniform (one's own
    included, so the draws do not hang on who wrote what), drawn only when
    ``report_prob > 0`` and at least one harmful item was read; the reader
    reports it if the uniform is below ``report_prob`` and the root is not its
    own. Returns the reported roots' ``topic`` and ``author``, one entry per
    report.
    """
    out: dict[str, list[int]] = {"topic": [], "author": []}
    if params.report_prob <= 0:
        return out
    root_of, harmful_of = state.posts.cols["root"], state.posts.cols["harmful"]
    seen: list[tuple[int, int]] = []  # (reader, harmful root), in read order
    for i, reader in enumerate(sessions.tolist()):
        for item in read[i].tolist():
            if item < 0:
                continue
            root = int(root_of[item])
            if int(harmful_of[root]) == 1:
                seen.append((reader, root))
    if not seen:
        return out
    author_of, topic_of = state.posts.cols["author"], state.posts.cols["topic"]
    for reader, root in seen:
        u = rng.random()
        if u < params.report_prob and int(author_of[root]) != reader:
            out["topic"].append(int(topic_of[root]))
            out["author"].append(int(author_of[root]))
    return out


def reference_suppress(state: PlatformState, params: Any) -> tuple[list[int], list[int]]:
    """Pure-Python twin of :meth:`mutuals.behaviour.moderation.Moderation.suppress`.

    With ``moderation = "hashtag"``, every topic with at least
    ``report_threshold`` reports that is not suppressed now (its suppression
    ended at or before this tick) is suppressed from now on; with
    ``moderation = "account"`` the same for authors; otherwise nothing.
    Returns ``(topics, accounts)``, ascending; draws nothing.
    """
    t = state.tick
    topics: list[int] = []
    accounts: list[int] = []
    if params.moderation == "hashtag":
        for k in range(state.topic_reports.size):
            reports, until = int(state.topic_reports[k]), int(state.topic_hidden_until[k])
            if reports >= params.report_threshold and until <= t:
                topics.append(k)
    elif params.moderation == "account":
        for a in range(state.accounts.n):
            reports, until = int(state.author_reports[a]), int(state.author_hidden_until[a])
            if reports >= params.report_threshold and until <= t:
                accounts.append(a)
    return topics, accounts


def reference_boosts(
    state: PlatformState, params: Any, first: int, rng: np.random.Generator
) -> dict[str, list[int]]:
    """Pure-Python twin of :meth:`mutuals.behaviour.boosting.Boosting.decide`.

    The tick's new posts (rows ``first`` on, kind post) by accounts below
    ``boost_small_cap`` followers are candidates. It draws the same uniforms in
    the same order as the policy: nothing unless ``boost_ask_prob > 0``, some
    account has ``boost_limit > 0`` and there is a candidate; then one asking
    draw per candidate, then one booster draw per request, then one granting
    draw per request. A request goes to the booster at ``floor(u * k)`` of the
    ``k`` boosters of the author's community (arrived, ``boost_limit > 0``,
    not the author; ascending id), and is granted if its draw is below
    ``boost_share`` and the booster has granted fewer than its
    ``boost_limit`` boosts today (those granted earlier in this tick
    included). Requests whose author's community has no other booster are
    dropped. Returns ``posts``, ``boosters`` and ``granted`` (0/1) as lists.
    """
    out: dict[str, list[int]] = {"posts": [], "boosters": [], "granted": []}
    n = state.accounts.n
    if params.boost_ask_prob <= 0:
        return out
    if not any(float(state.boost_limit[b]) > 0 for b in range(n)):
        return out
    c = state.posts.cols
    candidates = []
    for q in range(first, state.posts.n):
        if int(c["kind"][q]) != POST:
            continue
        author = int(c["author"][q])
        if len(state.graph.followers(author)) < params.boost_small_cap:
            candidates.append(q)
    if not candidates:
        return out
    requests = [q for q in candidates if rng.random() < params.boost_ask_prob]
    u_pick = [rng.random() for _ in requests]
    u_grant = [rng.random() for _ in requests]
    community = state.accounts.community
    boosters_of: dict[int, list[int]] = {}
    for b in range(n):
        if float(state.boost_limit[b]) > 0 and int(state.arrival[b]) <= state.tick:
            boosters_of.setdefault(int(community[b]), []).append(b)
    granted_today = {b: int(state.boosts_today[b]) for bs in boosters_of.values() for b in bs}
    for j, q in enumerate(requests):
        author = int(c["author"][q])
        pool = [b for b in boosters_of.get(int(community[author]), []) if b != author]
        if not pool:
            continue
        b = pool[min(int(u_pick[j] * len(pool)), len(pool) - 1)]
        ok = u_grant[j] < params.boost_share and granted_today[b] < float(state.boost_limit[b])
        if ok:
            granted_today[b] += 1
        out["posts"].append(q)
        out["boosters"].append(b)
        out["granted"].append(int(ok))
    return out


def reference_purity(
    state: Any, params: Any, sessions: Any, rng: np.random.Generator
) -> tuple[list[int], list[int]]:
    """Pure-Python twin of :meth:`mutuals.behaviour.purity.Purity.decide`: the
    ``(follower, friend)`` pairs a tick's purity checks remove, checker by checker
    (ascending), each checker's friends in their stored order."""
    if not any(x > 0 for x in state.purity_prob.tolist()):
        return [], []
    u = rng.random(len(sessions))
    who = sorted({int(a) for a, x in zip(sessions.tolist(), u.tolist(), strict=True)
                  if x < state.purity_prob[a]})  # fmt: skip
    start, length, nbr = state.graph.friend_rows
    stance = state.posts.cols["stance"]
    src: list[int] = []
    dst: list[int] = []
    for a in who:
        for j in range(int(start[a]), int(start[a]) + int(length[a])):
            f = int(nbr[j])
            posts = [int(q) for q in state.recent[f].tolist() if q >= 0]
            if not posts:
                continue
            mean = sum(float(stance[q]) for q in posts) / len(posts)
            if abs(float(state.accounts.position[a]) - mean) > state.purity_tolerance[a]:
                src.append(a)
                dst.append(f)
    return src, dst


def reference_clout(state: Any, params: Any, before: Any) -> dict[int, float]:
    """Pure-Python twin of :meth:`mutuals.behaviour.clout.Clout.decide`: each
    rewarded author's new ``heat_mean``, post by post."""
    if before is None:
        return {}
    c = state.posts.cols
    gained: dict[int, float] = {}
    heat: dict[int, float] = {}
    for q in range(len(before)):
        now = sum(int(c[k][q]) for k in ("likes", "reposts", "replies", "quotes"))
        d = now - int(before[q])
        if d > 0:
            a = int(c["author"][q])
            gained[a] = gained.get(a, 0.0) + d
            heat[a] = heat.get(a, 0.0) + d * float(c["heat"][q])
    out = {}
    for a in sorted(gained):
        old = float(state.heat_mean[a])
        out[a] = min(1.0, max(0.0, old + params.clout_lr * (heat[a] / gained[a] - old)))
    return out


# -- dilution and leaving (C7) ------------------------------------------------------------------


def _reference_evenness(values: list[int], k: int) -> float:
    """``H / ln k`` of the values' counts (Shannon entropy over ``k`` possible
    categories; 0 when ``k = 1``: every value the same)."""
    if k <= 1:
        return 0.0
    n = len(values)
    counts: dict[int, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    h = -sum(c / n * math.log(c / n) for c in counts.values())
    return h / math.log(k)


def reference_repetition(state: PlatformState, read: NDArray[np.int64]) -> list[float]:
    """Pure-Python twin of :func:`mutuals.behaviour.dilution.session_repetition`
    (combined): per session, the mean of ``1 - H / ln(min(n, n_topics))`` over
    the topics and ``1 - H / ln n`` over the authors of the roots it read; NaN
    below two items."""
    c = state.posts.cols
    n_topics = state.interest.shape[1]
    out = []
    for row in read.tolist():
        roots = [int(c["root"][p]) for p in row if p >= 0]
        n = len(roots)
        if n < 2:
            out.append(math.nan)
            continue
        topics = [int(c["topic"][r]) for r in roots]
        authors = [int(c["author"][r]) for r in roots]
        t = 1 - _reference_evenness(topics, min(n, n_topics))
        a = 1 - _reference_evenness(authors, n)
        out.append((t + a) / 2)
    return out


def reference_topic_reads(
    state: PlatformState, sessions: NDArray[np.int32], read: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Pure-Python twin of the read counts of
    :meth:`mutuals.behaviour.dilution.Dilution.decide` (the engine's
    ``topic_reads`` of one tick): ``out[g, t]`` the items read by the sessions of
    accounts in community ``g`` whose root has topic ``t``."""
    c = state.posts.cols
    k, n_topics = state.exposures.shape[0], state.interest.shape[1]
    out = [[0] * n_topics for _ in range(k)]
    for a, row in zip(sessions.tolist(), read.tolist(), strict=True):
        g = int(state.accounts.community[a])
        for p in row:
            if p >= 0:
                out[g][int(c["topic"][int(c["root"][p])])] += 1
    return np.array(out, np.int64).reshape(k, n_topics)


def reference_dilution(
    state: PlatformState, params: Any, sessions: NDArray[np.int32], read: NDArray[np.int64]
) -> dict[int, float]:
    """Pure-Python twin of :meth:`mutuals.behaviour.dilution.Dilution.decide`:
    session by session, each account's running repetition
    ``(1 - m) x + m r`` (``x = r`` the first time; NaN sessions skipped)."""
    m = params.repetition_memory
    out: dict[int, float] = {}
    for a, r in zip(sessions.tolist(), reference_repetition(state, read), strict=True):
        if math.isnan(r):
            continue
        x = out.get(a, float(state.repetition[a]))
        out[a] = r if math.isnan(x) else (1 - m) * x + m * r
    return dict(sorted(out.items()))


def reference_leaving(
    state: PlatformState,
    params: Any,
    sessions: NDArray[np.int32],
    engaged: NDArray[np.int32],
    rng: np.random.Generator,
) -> dict[int, int]:
    """Pure-Python twin of :meth:`mutuals.behaviour.leaving.Leaving.decide`:
    one uniform per session (none at all while nobody can leave); a session
    leaves with ``leave_if_bored`` (if it engaged with nothing) plus
    ``fatigue_leave * repetition``; then one exponential draw per account
    that leaves, in ascending order. Returns ``{account: away_until}``."""
    if params.fatigue_leave <= 0 and not any(float(x) > 0 for x in state.leave_if_bored):
        return {}
    gone: set[int] = set()
    for a, e in zip(sessions.tolist(), engaged.tolist(), strict=True):
        u = rng.random()
        p = float(state.leave_if_bored[a]) if e == 0 else 0.0
        rep = float(state.repetition[a])
        if params.fatigue_leave > 0 and not math.isnan(rep):
            p += params.fatigue_leave * rep
        if u < p:
            gone.add(a)
    out = {}
    for a in sorted(gone):
        away = rng.exponential(params.away_days * params.ticks_per_day)
        out[a] = state.tick + 1 + int(min(math.ceil(away), 2.0**62))
    return out
