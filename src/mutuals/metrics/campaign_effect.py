"""What a hashtag campaign did for its adopters: a matched difference-in-differences.

The thread's campaign asks its users to follow each other. Did adopting the
hashtag bring followers, reach and mutual follows that similar accounts that
did not adopt it did not get?

Definitions
-----------
adoption
    An account adopts the hashtag at its first *post or quote* carrying it
    (reposts and replies only pass a hashtag on; the simulator's adopters are
    exactly these, :mod:`mutuals.behaviour.campaign`). Adopters whose uses
    carry no time are counted and left out.
windows
    For an adopter that adopted at ``t``: before ``[t - W, t)``, after
    ``[t, t + W)``, ``W = window_days``; both clipped to the data's span (the
    first to the last time of a post or a follow). A pair whose clipped
    window before or after is shorter than ``W / 2`` is left out (counted as
    cut by the span). Its matched control is measured over the same windows.
follower growth
    Follows the account received within a window, per day. Follows whose time
    is null (edges older than the data: a simulated run's start graph) count
    as made before any window. The store holds the follow graph as it ended
    (a deleted follow is gone), so this is growth in followers that stayed.
    Needs ``follows.created_at`` (Bluesky and simulated stores have it; X
    data does not); without it, this and reciprocity are not available.
reach per post
    The mean reach (:func:`mutuals.metrics.reach.post_reach`: reposts, quotes
    and replies received) of the account's posts, quotes and replies made
    within the window; undefined (the pair is left out of this outcome) when
    it made none.
reciprocity
    The share of the account's ties (accounts it follows or that follow it)
    that go both ways, at the adoption time (before) and at the end of the
    window after (after). A tie counts from the time its later follow was made.
matching
    Each adopter gets one control among the accounts that never adopted
    (Callaway & Sant'Anna 2021 "never treated"; Stuart 2010 on matching):
    adopters are grouped in cohorts by the UTC day of adoption; at the
    cohort's start ``T`` each account has covariates ``ln(1 + followers at T)``
    and ``ln(1 + posts in [T - W, T))`` (without follow times: the followers
    the platform reported, ``accounts.followers_count``, else those counted in
    the follows, at the end of the data, which the campaign may have raised). Covariates are
    standardised over the cohort's adopters and candidates; adopters in
    order of adoption take their nearest unused candidate (Euclidean
    distance, greedy, without replacement, ties broken at random from
    ``seed``) within ``caliper`` standard deviations (Austin 2011 suggests 0.2);
    adopters with none are unmatched and counted.
difference in differences
    Per matched pair ``k`` and outcome ``Y``:
    ``d_k = (Y_adopter,after - Y_adopter,before) - (Y_control,after - Y_control,before)``;
    the effect is the mean of ``d_k`` over the pairs where all four values
    are defined (the effect on the adopters, ATT), with a 95% percentile
    bootstrap interval over matched pairs (``n_boot`` resamples from ``seed``;
    matching without replacement keeps pairs independent, Austin & Small 2014)
    and, beside it, the paired-t interval ``mean +- t_{0.975, n-1} sd / sqrt(n)``.
follows the campaign made
    Among follows between two adopters (as the data ended), the share made
    at or after the later of the two adoption times (a follow with a null
    time predates the data, and so both adoptions).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mutuals._random import SeedLike, check_random_state
from mutuals.errors import InputError
from mutuals.metrics._tables import account_keys, encode_keys, require_columns
from mutuals.metrics.graph import FollowGraph, follow_graph

__all__ = [
    "OUTCOMES",
    "CampaignEffect",
    "CampaignFollows",
    "OutcomeEffect",
    "adoption_times",
    "campaign_effect",
    "campaign_follows",
    "did_estimate",
    "match_nearest",
]

#: Outcomes of the difference in differences, in the order they are reported.
OUTCOMES = ("follower_growth", "reach_per_post", "reciprocity")
#: Times are UTC microseconds; null is this (before every time of the data).
NOTIME = np.iinfo(np.int64).min
DAY_US = 86_400_000_000
_TS = pa.timestamp("us", tz="UTC")


# ----------------------------------------------------------------------------- helpers


def _times(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A timestamp column as int64 UTC microseconds, null as :data:`NOTIME`."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    arr = arr.cast(_TS).cast(pa.int64())
    return np.asarray(pc.fill_null(arr, NOTIME).to_numpy(zero_copy_only=False), dtype=np.int64)


class _Events:
    """Timed events of accounts (a follow received, a post), for counts and sums
    over intervals of time, vectorised over (account, time) queries.

    Events are sorted by (owner, time) under the integer key
    ``owner * (U + 1) + rank(time)`` (``U`` distinct times), so "events of
    ``a`` before ``t``" is one :func:`numpy.searchsorted` for every query at once.
    """

    def __init__(
        self, owner: np.ndarray, time: np.ndarray, n: int, weight: np.ndarray | None = None
    ) -> None:
        owner = np.asarray(owner, dtype=np.int64)
        time = np.asarray(time, dtype=np.int64)
        srt = np.sort(time)
        self.uniq = srt[np.r_[True, srt[1:] != srt[:-1]]] if srt.size else srt
        self.base = np.int64(self.uniq.size + 1)
        key = owner * self.base + np.searchsorted(self.uniq, time)
        order = np.argsort(key, kind="stable")
        self.key = key[order]
        self.ptr = np.searchsorted(self.key, np.arange(n + 1, dtype=np.int64) * self.base)
        w = np.ones(owner.size) if weight is None else np.asarray(weight, np.float64)
        self.cum = np.concatenate([[0.0], np.cumsum(w[order])])

    def _before(self, who: np.ndarray, t: np.ndarray) -> np.ndarray:
        r = np.searchsorted(self.uniq, t, side="left")  # distinct times < t
        return np.searchsorted(self.key, who * self.base + r, side="left")

    def count_before(self, who: np.ndarray, t: np.ndarray | int) -> np.ndarray:
        """Events of each ``who[i]`` with time < ``t[i]`` (null times count)."""
        who = np.asarray(who, dtype=np.int64)
        t = np.broadcast_to(np.asarray(t, dtype=np.int64), who.shape)
        return self._before(who, t) - self.ptr[who]

    def count(self, who: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Events of each ``who[i]`` with ``lo[i] <= time < hi[i]``."""
        who = np.asarray(who, dtype=np.int64)
        return self._before(who, np.asarray(hi)) - self._before(who, np.asarray(lo))

    def total(self, who: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Sum of the events' weights over ``lo[i] <= time < hi[i]``."""
        who = np.asarray(who, dtype=np.int64)
        a = self._before(who, np.asarray(lo))
        b = self._before(who, np.asarray(hi))
        out: np.ndarray = self.cum[b] - self.cum[a]
        return out


# ----------------------------------------------------------------------------- adoption


def adoption_times(posts: pa.Table, hashtag: str) -> pa.Table:
    """Adopters of ``hashtag`` and when each adopted it: ``platform, account_id,
    adopted_at, uses`` (first post or quote carrying it; module docstring),
    sorted by adoption time. ``adopted_at`` is null when no use has a time."""
    from mutuals.metrics.hashtags import hashtag_adopters, hashtag_uses

    uses = hashtag_uses(posts, kinds=("post", "quote"))
    ad = hashtag_adopters(uses, hashtag)
    return pa.table(
        {
            "platform": ad["platform"],
            "account_id": ad["account_id"],
            "adopted_at": ad["adopted_at"],
            "uses": ad["posts"],
        }
    )


@dataclass(frozen=True)
class CampaignFollows:
    """Follows between adopters, and those the campaign made (module docstring).

    Attributes
    ----------
    available : bool
        False without follow times.
    between_adopters : int
        Follows (as the data ended) whose two accounts both adopted.
    after_both_adopted : int
        Of those, made at or after the later adoption.
    share : float
        ``after_both_adopted / between_adopters`` (NaN for none).
    without_time : int
        Follows between adopters with a null time (older than the data).
    """

    available: bool
    between_adopters: int
    after_both_adopted: int
    share: float
    without_time: int


def campaign_follows(
    follower: np.ndarray,
    friend: np.ndarray,
    made_at: np.ndarray,
    adopted_at: np.ndarray,
) -> CampaignFollows:
    """The share of follows between adopters made after both had adopted.

    Parameters
    ----------
    follower, friend : int arrays
        Distinct follow edges (account numbers).
    made_at : int64 array
        Time of each edge (UTC microseconds; :data:`NOTIME` when null).
    adopted_at : int64 array
        Adoption time of every account, :data:`NOTIME` for accounts that never adopted.
    """
    follower = np.asarray(follower, dtype=np.int64)
    friend = np.asarray(friend, dtype=np.int64)
    made_at = np.asarray(made_at, dtype=np.int64)
    a = np.asarray(adopted_at, dtype=np.int64)
    both = (a[follower] != NOTIME) & (a[friend] != NOTIME)
    later = np.maximum(a[follower], a[friend])[both]
    t = made_at[both]
    n = int(both.sum())
    after = int(((t != NOTIME) & (t >= later)).sum())
    return CampaignFollows(
        True, n, after, after / n if n else float("nan"), int((t == NOTIME).sum())
    )


# ----------------------------------------------------------------------------- matching


def match_nearest(
    treated: np.ndarray,
    candidates: np.ndarray,
    *,
    caliper: float,
    available: np.ndarray | None = None,
    seed: SeedLike = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy nearest-neighbour matching without replacement, within a caliper.

    Parameters
    ----------
    treated : (m, d) array
        Covariates of the treated, in the order they choose.
    candidates : (c, d) array
        Covariates of the possible controls (same units as ``treated``: the
        caller standardises).
    caliper : float
        Largest Euclidean distance of a match.
    available : (c,) bool array, optional
        Candidates still free; updated in place as they are taken.
    seed : int or Generator
        Breaks ties between candidates at equal distances.

    Returns
    -------
    match : (m,) int64 array
        The candidate each treated unit took, -1 for none within the caliper.
    distance : (m,) float array
        Its distance (NaN for none).
    """
    from scipy.spatial import cKDTree

    tr = np.asarray(treated, dtype=np.float64)
    ca = np.asarray(candidates, dtype=np.float64)
    if tr.ndim != 2 or ca.ndim != 2 or (tr.size and ca.size and tr.shape[1] != ca.shape[1]):
        raise InputError("treated and candidates must be 2-d arrays with the same columns")
    if not caliper >= 0:
        raise InputError(f"caliper must be >= 0, got {caliper!r}")
    m, c = tr.shape[0], ca.shape[0]
    free = np.ones(c, bool) if available is None else available
    match = np.full(m, -1, np.int64)
    dist = np.full(m, np.nan)
    if m == 0 or c == 0:
        return match, dist
    rng = check_random_state(seed)
    perm = rng.permutation(c)  # tree order: equal distances resolve at random
    tree = cKDTree(ca[perm])
    for i in range(m):
        k = min(c, 8)
        while True:
            d, j = tree.query(tr[i], k=k, distance_upper_bound=caliper * (1 + 1e-12))
            d, j = np.atleast_1d(d), np.atleast_1d(j)
            ok = np.isfinite(d)
            d, j = d[ok], perm[j[ok]]
            free_j = free[j]
            if free_j.any():
                h = int(np.argmax(free_j))
                match[i], dist[i] = j[h], d[h]
                free[j[h]] = False
                break
            if d.size < k or k == c:  # every candidate within the caliper is taken
                break
            k = min(c, 4 * k)
    return match, dist


# ----------------------------------------------------------------------------- estimate


@dataclass(frozen=True)
class OutcomeEffect:
    """The difference in differences of one outcome (module docstring).

    Attributes
    ----------
    outcome : str
        One of :data:`OUTCOMES`.
    pairs : int
        Matched pairs with all four values defined.
    effect : float
        Mean of the pairs' differences in differences.
    ci : tuple of float
        95% percentile bootstrap interval over pairs.
    se : float
        Standard error ``sd / sqrt(pairs)``.
    t_ci : tuple of float
        Paired-t 95% interval.
    adopters_before, adopters_after, controls_before, controls_after : float
        Means over those pairs.
    n_boot : int
    """

    outcome: str
    pairs: int
    effect: float
    ci: tuple[float, float]
    se: float
    t_ci: tuple[float, float]
    adopters_before: float
    adopters_after: float
    controls_before: float
    controls_after: float
    n_boot: int


def did_estimate(
    adopter_before: np.ndarray,
    adopter_after: np.ndarray,
    control_before: np.ndarray,
    control_after: np.ndarray,
    *,
    outcome: str = "outcome",
    n_boot: int = 1000,
    seed: SeedLike = 0,
) -> OutcomeEffect:
    """Difference in differences over matched pairs, with a pairs bootstrap.

    ``d_k = (a_after - a_before) - (c_after - c_before)`` for each pair with
    all four values finite; the effect is their mean, its 95% interval the
    2.5 and 97.5 percentiles of the means of ``n_boot`` resamples of the pairs
    with replacement (Efron & Tibshirani 1993), and the paired-t interval is
    given beside it.

    Examples
    --------
    >>> a0 = np.zeros(50); c0 = np.zeros(50); c1 = np.ones(50)
    >>> did_estimate(a0, c1 + 2, c0, c1, n_boot=100).effect
    2.0
    """
    from scipy.special import stdtrit

    arrs = [np.asarray(x, dtype=np.float64) for x in
            (adopter_before, adopter_after, control_before, control_after)]  # fmt: skip
    if len({x.shape for x in arrs}) != 1 or arrs[0].ndim != 1:
        raise InputError("the four outcome arrays must be 1-d and of equal length")
    if not isinstance(n_boot, int) or n_boot < 0:
        raise InputError(f"n_boot must be a non-negative integer, got {n_boot!r}")
    ok = np.all(np.isfinite(np.vstack(arrs)), axis=0)
    ab, aa, cb, ca = (x[ok] for x in arrs)
    d = (aa - ab) - (ca - cb)
    n = int(d.size)
    nan, nan2 = float("nan"), (float("nan"), float("nan"))
    if n == 0:
        return OutcomeEffect(outcome, 0, nan, nan2, nan, nan2, nan, nan, nan, nan, 0)
    est = float(d.mean())
    means = (float(ab.mean()), float(aa.mean()), float(cb.mean()), float(ca.mean()))
    if n < 2:
        return OutcomeEffect(outcome, n, est, nan2, nan, nan2, *means, 0)
    se = float(d.std(ddof=1) / np.sqrt(n))
    q = float(stdtrit(n - 1, 0.975))
    t_ci = (est - q * se, est + q * se)
    ci = nan2
    if n_boot:
        rng = check_random_state(seed)
        boot = np.empty(n_boot)
        for b in range(n_boot):  # a resample is a vector of multiplicities
            w = np.bincount(rng.integers(0, n, n), minlength=n)
            boot[b] = (w * d).sum() / n
        lo, hi = np.percentile(boot, [2.5, 97.5])
        ci = (float(lo), float(hi))
    return OutcomeEffect(outcome, n, est, ci, se, t_ci, *means, n_boot)


@dataclass(frozen=True)
class CampaignEffect:
    """Result of :func:`campaign_effect`.

    Attributes
    ----------
    hashtag : str
    adopters : int
        Accounts whose first post or quote under the hashtag has a time.
    adopters_without_time : int
    follow_times : bool
        Whether ``follows.created_at`` is known (else follower growth and
        reciprocity are not available).
    window_days, caliper : float
    cohorts : int
        Adoption days.
    matched, unmatched : int
        Adopters with and without a control within the caliper.
    cut_by_span : int
        Matched pairs left out because the data's span cuts a window below half.
    outcomes : dict of str to OutcomeEffect
        The outcomes that could be computed.
    unavailable : dict of str to str
        The others, and why.
    follows : CampaignFollows
    notes : list of str
        What a reader must know (each one line).
    pairs : pyarrow.Table
        One row per adopter: its control, distance, covariates, and every
        outcome before and after for both.
    adoption_curve : pyarrow.Table
        ``day, new_adopters, adopters`` (UTC days with an adoption).
    """

    hashtag: str
    adopters: int
    adopters_without_time: int
    follow_times: bool
    window_days: float
    caliper: float
    cohorts: int
    matched: int
    unmatched: int
    cut_by_span: int
    outcomes: dict[str, OutcomeEffect]
    unavailable: dict[str, str]
    follows: CampaignFollows
    notes: list[str]
    pairs: pa.Table = field(repr=False)
    adoption_curve: pa.Table = field(repr=False)


def _adoption_curve(t: np.ndarray) -> pa.Table:
    day = np.floor_divide(np.sort(t), DAY_US)
    u, c = np.unique(day, return_counts=True)
    return pa.table(
        {
            "day": pa.array(u * DAY_US, _TS).cast(pa.date32()),
            "new_adopters": pa.array(c.astype(np.int64)),
            "adopters": pa.array(np.cumsum(c).astype(np.int64)),
        }
    )


def _check(name: str, x: float, lo: float, *, open_: bool) -> float:
    ok = isinstance(x, (int, float)) and not isinstance(x, bool) and np.isfinite(x)
    if not ok or (x <= lo if open_ else x < lo):
        raise InputError(f"{name} must be a number {'>' if open_ else '>='} {lo}, got {x!r}")
    return float(x)


def campaign_effect(
    accounts: pa.Table,
    follows: pa.Table,
    posts: pa.Table,
    interactions: pa.Table,
    hashtag: str,
    *,
    window_days: float = 7.0,
    caliper: float = 0.2,
    n_boot: int = 1000,
    seed: SeedLike = 0,
    graph: FollowGraph | None = None,
    reach: pa.Table | None = None,
) -> CampaignEffect:
    """The campaign's effect on its adopters against matched non-adopters.

    See the module docstring for every definition.

    Parameters
    ----------
    accounts, follows, posts, interactions : pyarrow.Table
        Canonical tables (:mod:`mutuals.tables`); ``follows.created_at`` and
        ``posts.created_at`` are read.
    hashtag : str
        The campaign's hashtag (case and a leading ``#`` ignored).
    window_days : float
        Length of the windows before and after adoption, in days.
    caliper : float
        Largest matching distance, in standard deviations of the covariates.
    n_boot : int
        Bootstrap resamples of the pairs.
    seed : int or Generator
        Tie-breaking in matching, then the bootstrap.
    graph : FollowGraph, optional
        The follow graph of ``accounts`` and ``follows`` when already built.
    reach : pyarrow.Table, optional
        :func:`mutuals.metrics.reach.post_reach` of ``posts`` and
        ``interactions`` when already computed.
    """
    from mutuals.metrics.hashtags import _norm
    from mutuals.metrics.reach import author_followers, post_reach

    tag = _norm(hashtag)
    window = _check("window_days", window_days, 0.0, open_=True)
    caliper = _check("caliper", caliper, 0.0, open_=False)
    if not isinstance(n_boot, int) or isinstance(n_boot, bool) or n_boot < 0:
        raise InputError(f"n_boot must be a non-negative integer, got {n_boot!r}")
    require_columns(follows, "follows", ["platform", "follower_id", "friend_id", "created_at"])
    require_columns(posts, "posts", ["platform", "post_id", "author_id", "created_at", "kind"])
    rng = check_random_state(seed)
    g = graph if graph is not None else follow_graph(accounts, follows)
    n0 = g.n_accounts

    # accounts: the graph's, then authors that only posted (numbered from n0)
    p_node = g.index.lookup(posts["platform"], posts["author_id"])
    extra = pa.array(p_node < 0)
    (codes,), ex_platform, ex_id, ex_keys, _ = encode_keys(
        [(pc.filter(posts["platform"], extra), pc.filter(posts["author_id"], extra))],
        qualify=True,
    )
    p_node[p_node < 0] = np.where(codes >= 0, n0 + codes, -1)
    n = n0 + len(ex_keys)

    def node_of(platform: pa.ChunkedArray, ids: pa.ChunkedArray) -> np.ndarray:
        node = g.index.lookup(platform, ids)
        miss = node < 0
        if miss.any() and len(ex_keys):
            keys = account_keys(pc.filter(platform, pa.array(miss)),
                                pc.filter(ids, pa.array(miss)), qualify=True)  # fmt: skip
            pos = pc.fill_null(pc.index_in(keys, value_set=ex_keys), -1)
            pos_np = np.asarray(pos.to_numpy(zero_copy_only=False), np.int64)
            node[miss] = np.where(pos_np >= 0, n0 + pos_np, -1)
        return node

    ad_t = adoption_times(posts, tag)
    a_node = node_of(ad_t["platform"], ad_t["account_id"])
    adopted_raw = _times(ad_t["adopted_at"])
    timed = (adopted_raw != NOTIME) & (a_node >= 0)
    adopted_at = np.full(n, NOTIME, np.int64)
    adopted_at[a_node[timed]] = adopted_raw[timed]
    adopters = np.flatnonzero(adopted_at != NOTIME)
    adopters = adopters[np.lexsort((adopters, adopted_at[adopters]))]
    n_without = int((~timed).sum())

    # follows with their times (each distinct edge at its earliest time)
    f_src = g.index.lookup(follows["platform"], follows["follower_id"])
    f_dst = g.index.lookup(follows["platform"], follows["friend_id"])
    f_t = _times(follows["created_at"])
    ok = (f_src >= 0) & (f_dst >= 0) & (f_src != f_dst)
    f_src, f_dst, f_t = f_src[ok], f_dst[ok], f_t[ok]
    key = f_src * np.int64(max(n, 1)) + f_dst
    order = np.lexsort((f_t, key))
    first = np.r_[True, key[order][1:] != key[order][:-1]] if order.size else np.zeros(0, bool)
    sel = order[first]
    f_src, f_dst, f_t, key = f_src[sel], f_dst[sel], f_t[sel], key[sel]
    follow_times = bool((f_t != NOTIME).any())

    # posts: times, reach
    post_t = _times(posts["created_at"])
    if reach is None:
        reach = post_reach(posts, interactions)
    r_in = reach.filter(reach["in_data"])
    r_node = node_of(r_in["platform"], r_in["author_id"])
    r_t = _times(r_in["created_at"])
    r_kind = r_in["kind"].to_numpy(zero_copy_only=False)
    r_ok = (r_node >= 0) & (r_t != NOTIME) & (r_kind != "repost")
    r_val = r_in["reach"].to_numpy(zero_copy_only=False).astype(np.float64)

    times = [post_t[post_t != NOTIME], f_t[f_t != NOTIME]]
    alltimes = np.concatenate(times)
    curve = _adoption_curve(adopted_at[adopters])
    notes: list[str] = []
    unavailable: dict[str, str] = {}
    no_follows = CampaignFollows(False, 0, 0, float("nan"), 0)
    names = (ex_platform, ex_id)
    empty = _pairs_table(g, n0, names, np.zeros(0, np.int64), {})

    def result(**kw: object) -> CampaignEffect:
        base: dict[str, object] = {
            "hashtag": tag, "adopters": int(adopters.size), "adopters_without_time": n_without,
            "follow_times": follow_times, "window_days": window, "caliper": caliper,
            "cohorts": 0, "matched": 0, "unmatched": int(adopters.size), "cut_by_span": 0,
            "outcomes": {}, "unavailable": unavailable, "follows": no_follows, "notes": notes,
            "pairs": empty, "adoption_curve": curve,
        }  # fmt: skip
        base.update(kw)
        return CampaignEffect(**base)  # type: ignore[arg-type]

    if n_without:
        notes.append(f"{n_without} adopter(s) whose uses of #{tag} carry no time are left out")
    if adopters.size == 0:
        why = f"no post or quote under #{tag} has a time"
        return result(unavailable={o: why for o in OUTCOMES}, notes=[*notes, why])
    if not follow_times:
        held = (
            "holds no follows"
            if f_src.size == 0
            else ("follows carry no times (follows.created_at is null, as in X data)")
        )
        why = (
            f"the store {held}, so follower growth and reciprocity before and after adopting "
            "cannot be measured; reach per post can"
        )
        notes.append(why)
        short = "no follows in the data" if f_src.size == 0 else "follows carry no times"
        unavailable["follower_growth"] = unavailable["reciprocity"] = short
    t_lo, t_hi = int(alltimes.min()), int(alltimes.max()) + 1  # [t_lo, t_hi)
    w_us = round(window * DAY_US)

    follows_in = _Events(f_dst, f_t, n)
    posts_all = _Events(p_node[(p_node >= 0) & (post_t != NOTIME)],
                        post_t[(p_node >= 0) & (post_t != NOTIME)], n)  # fmt: skip
    reach_ev = _Events(r_node[r_ok], r_t[r_ok], n, r_val[r_ok])
    reach_n = _Events(r_node[r_ok], r_t[r_ok], n)
    # without follow times: followers as the platform reported them (else in the data)
    reported, _ = author_followers(accounts, g)
    end_followers = np.zeros(n)
    end_followers[:n0] = np.nan_to_num(reported, nan=0.0)

    # ---- matching, cohort by cohort
    never = adopted_at == NOTIME
    free = never.copy()
    cohort_day = np.floor_divide(adopted_at[adopters], DAY_US)
    match = np.full(adopters.size, -1, np.int64)
    dist = np.full(adopters.size, np.nan)
    cov = np.full((adopters.size, 4), np.nan)  # log followers, log posts: adopter, control
    days = np.unique(cohort_day)
    everyone = np.arange(n, dtype=np.int64)
    for day in days:
        idx = np.flatnonzero(cohort_day == day)
        start = int(day) * DAY_US
        fol = (follows_in.count_before(everyone, start) if follow_times else end_followers).astype(
            np.float64
        )
        act = posts_all.count(
            everyone, np.full(n, start - w_us, np.int64), np.full(n, start, np.int64)
        ).astype(np.float64)
        x = np.column_stack([np.log1p(fol), np.log1p(act)])
        cand = np.flatnonzero(free)
        pool = np.concatenate([adopters[idx], cand])
        sd = x[pool].std(axis=0)
        sd[~(sd > 0)] = 1.0
        z = (x - x[pool].mean(axis=0)) / sd
        avail = np.ones(cand.size, bool)
        m, d = match_nearest(z[adopters[idx]], z[cand], caliper=caliper, available=avail,
                             seed=rng)  # fmt: skip
        got = m >= 0
        match[idx[got]] = cand[m[got]]
        dist[idx] = d
        free[cand[~avail]] = False
        cov[idx, 0:2] = x[adopters[idx]]
        cov[idx[got], 2:4] = x[cand[m[got]]]
    matched = match >= 0
    if not follow_times:
        notes.append(
            "matched on followers as reported at the end of the data (accounts.followers_count, "
            "else counted in follows; unknown counts as 0), which the campaign may have raised"
        )

    # ---- outcomes over each adopter's windows, for it and its control
    t_a = adopted_at[adopters]
    lo = np.maximum(t_a - w_us, t_lo)
    hi = np.minimum(t_a + w_us, t_hi)
    pre_len, post_len = t_a - lo, hi - t_a
    cut = matched & ((pre_len < w_us / 2) | (post_len < w_us / 2))
    use = matched & ~cut
    ctrl = np.where(matched, match, 0)

    def outcome_values(who: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        vals: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        with np.errstate(divide="ignore", invalid="ignore"):
            if follow_times:
                vals["follower_growth"] = (
                    follows_in.count(who, lo, t_a) / (pre_len / DAY_US),
                    follows_in.count(who, t_a, hi) / (post_len / DAY_US),
                )
            vals["reach_per_post"] = (
                reach_ev.total(who, lo, t_a) / reach_n.count(who, lo, t_a),
                reach_ev.total(who, t_a, hi) / reach_n.count(who, t_a, hi),
            )
            if follow_times:
                vals["reciprocity"] = (
                    recip.share(who, t_a),
                    recip.share(who, hi),
                )
        return vals

    recip = _Reciprocity(f_src, f_dst, f_t, key, n)
    va = outcome_values(adopters)
    vc = outcome_values(ctrl)
    outcomes: dict[str, OutcomeEffect] = {}
    for o in OUTCOMES:
        if o not in va:
            continue
        (ab, aa), (cb, ca) = va[o], vc[o]
        m_ = use.astype(np.float64)
        m_[~use] = np.nan
        outcomes[o] = did_estimate(ab * m_, aa * m_, cb * m_, ca * m_, outcome=o,
                                   n_boot=n_boot, seed=rng)  # fmt: skip
    made = campaign_follows(f_src, f_dst, f_t, adopted_at) if follow_times else no_follows
    if int(cut.sum()):
        notes.append(
            f"{int(cut.sum())} matched adopter(s) left out: the data's span cuts the window "
            f"before or after adopting below half of {window:g} day(s)"
        )
    cols: dict[str, object] = {
        "adopted_at": pa.array(t_a, _TS),
        "cohort": pa.array(cohort_day * DAY_US, _TS).cast(pa.date32()),
        "matched": pa.array(matched),
        "in_estimate": pa.array(use),
        "distance": pa.array(dist),
        "adopter_log_followers": pa.array(cov[:, 0]),
        "adopter_log_posts": pa.array(cov[:, 1]),
        "control_log_followers": pa.array(cov[:, 2]),
        "control_log_posts": pa.array(cov[:, 3]),
    }
    for o in OUTCOMES:
        if o in va:
            for who, vals in (("adopter", va[o]), ("control", vc[o])):
                for when, v in zip(("before", "after"), vals, strict=True):
                    w = v.astype(np.float64).copy()
                    if who == "control":
                        w[~matched] = np.nan
                    cols[f"{o}_{who}_{when}"] = pa.array(w)
    pairs = _pairs_table(g, n0, names, adopters, cols, match)
    return result(
        cohorts=int(days.size), matched=int(matched.sum()), unmatched=int((~matched).sum()),
        cut_by_span=int(cut.sum()), outcomes=outcomes, follows=made, pairs=pairs,
    )  # fmt: skip


class _Reciprocity:
    """Each account's share of mutual ties at any time (module docstring)."""

    def __init__(
        self, src: np.ndarray, dst: np.ndarray, t: np.ndarray, key: np.ndarray, n: int
    ) -> None:
        nn = np.int64(max(n, 1))
        order = np.argsort(key)
        sk = key[order]
        rev = dst * nn + src
        pos = np.minimum(np.searchsorted(sk, rev), max(sk.size - 1, 0))
        has = sk.size > 0
        mutual = (sk[pos] == rev) if has else np.zeros(0, bool)
        t_rev = t[order[pos]] if has else np.zeros(0, np.int64)
        self.out = _Events(src, t, n)
        self.inn = _Events(dst, t, n)
        # a mutual pair counts for each endpoint from its later follow
        self.mutual = _Events(src[mutual], np.maximum(t[mutual], t_rev[mutual]), n)

    def share(self, who: np.ndarray, at: np.ndarray) -> np.ndarray:
        m = self.mutual.count_before(who, at).astype(np.float64)
        ties = self.out.count_before(who, at) + self.inn.count_before(who, at) - m
        with np.errstate(divide="ignore", invalid="ignore"):
            out: np.ndarray = np.where(ties > 0, m / np.maximum(ties, 1), np.nan)
        return out


def _pairs_table(
    g: FollowGraph,
    n0: int,
    extra: tuple[pa.Array, pa.Array],
    adopters: np.ndarray,
    cols: dict[str, object],
    match: np.ndarray | None = None,
) -> pa.Table:
    """The per-adopter table: ids of the adopter and its control, then ``cols``
    (``extra``: platform and id of the accounts numbered from ``n0``)."""
    platform = pa.concat_arrays([g.index.platform.cast(pa.string()), extra[0].cast(pa.string())])
    account = pa.concat_arrays([g.index.account_id.cast(pa.string()), extra[1].cast(pa.string())])

    def ids(nodes: np.ndarray) -> tuple[pa.Array, pa.Array]:
        nodes = np.asarray(nodes, np.int64)
        take = pa.array(np.maximum(nodes, 0), mask=nodes < 0)
        return platform.take(take), account.take(take)

    ap, aid = ids(adopters)
    cp, cid = ids(match if match is not None else np.full(adopters.size, -1, np.int64))
    base: dict[str, object] = {
        "platform": ap, "account_id": aid, "control_platform": cp, "control_id": cid,
    }  # fmt: skip
    if not cols:
        cols = {
            "adopted_at": pa.array([], _TS), "cohort": pa.array([], pa.date32()),
            "matched": pa.array([], pa.bool_()), "in_estimate": pa.array([], pa.bool_()),
            "distance": pa.array([], pa.float64()),
        }  # fmt: skip
    return pa.table({**base, **cols})
