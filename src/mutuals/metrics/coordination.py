"""Signals of infiltration and coordination over the canonical tables (issue 11).

The thread warns organisers about outsiders who arrive within minutes of a
hashtag, pass as members and turn. Each signal below is computed on its own,
gives every account a score in [0, 1] (NaN where it does not apply), flags the
accounts past an explicit threshold and keeps the rows of the store that made
it (the *evidence*). The same code reads ingested data and a simulated run's
canonical store; nothing reads ``accounts.community`` (on a simulated store it
holds the ground truth, ``"infiltrators"``).

Signals
-------
``arrival``
    Coordinated arrival: many accounts first using the hashtag (or first
    following one of its users) within a short window ``w``. Per arrival ``i``
    (an account's first use), ``n_i`` arrivals of the same hashtag lie within
    ``w`` of it and ``N_i`` within the background
    ``B = max(background * w, min_background)``; if arrivals were spread evenly
    over the background interval, the ``n_i - 1`` others would be
    Binomial(``N_i - 1``, ``(2w + r) / (2B + r)``), ``r`` the data's time
    resolution (the smallest gap between arrivals: a simulated store's tick, a
    second on X; near the start and end of the data both intervals are cut to
    its span). The score is ``1 - p_i`` with ``p_i = P(X >= n_i - 1)``; an
    arrival is flagged when ``n_i >= min_burst``, ``n_i - 1`` is at least
    ``burst_factor`` times its expectation (a burst, not a busy hour: with
    thousands of arrivals a test alone finds any small wobble of the rate),
    and ``p_i < alpha / m`` (Bonferroni over the ``m`` arrivals tested).
    ``w`` is given, or estimated from the data in the spirit of CooRnet's coordination interval (Giglietto
    et al. 2020, "It takes a village to manipulate the media", *Information,
    Communication & Society*): the ``window_quantile`` quantile of the positive
    time spans of ``min_burst`` consecutive arrivals, pooled over hashtags (the
    time within which ``min_burst`` accounts arrive in the fastest part of the
    data). Arrivals within ``B`` of the first time in the data are left out
    (the data's start is not an arrival).
``coaction``
    Co-action networks (Pacheco et al. 2021, "Uncovering coordinated networks
    on social media", ICWSM; Graham et al., coordination-network-toolkit):
    two accounts co-act when they repost the same post (co-repost), reply to
    the same post (co-reply), share the same link (co-link) or post the same
    sequence of two or more hashtags (co-hashtags) within ``co_window``
    seconds of each other. The weight of a pair is the number of distinct
    objects they co-acted on (all four kinds summed), and its overlap ``o`` is
    ``w`` over the actions (of these four kinds) of the less active of the two
    (so two busy accounts that happen to repost the same popular posts are
    not a group).
    Pairs are found per object by a two-pointer sweep over time (a Numba
    kernel; no Python loop over pairs), aggregated per pair. A pair is kept
    when ``w >= min_coactions``, ``o >= min_overlap`` and its co-actions fall
    on at least ``min_occasions`` occasions (moments more than ``co_window``
    apart: one moment is one session of two readers of the same feed); an
    account's score is the largest ``o * w / (w + min_coactions)`` over its
    pairs with ``w >= min_coactions`` (0 without one), and it is flagged when
    one of its pairs is kept. A count-min sketch of the pairs' co-actions
    (Cormode & Muthukrishnan 2005) lists only the pairs that can reach
    ``min_coactions``, so memory grows with those, not with every pair.
    Groups are connected components of the pairs kept, split by seeded
    Louvain when larger than ``max_group``.
``follow_core``
    Follow trains (Torres-Lugo, Yang & Menczer 2022, "The manufacture of
    partisan echo chambers by follow train abuse on Twitter", ICWSM): the core
    number of each account in the reciprocal follow graph (pairs following
    each other; Batagelj & Zaversnik 2003). Score ``k / k_max``; flagged when
    ``k >= max(min_core, core_factor * median core)`` (the median over
    accounts with any follow).
``follow_burst``
    The most follows an account made within ``follow_window`` seconds
    (``follows.created_at`` where known), and how many of them were follow-backs.
    Score ``b / (b + min_follow_burst)``; flagged when ``b >= min_follow_burst``.
``follower_growth``
    Followers gained within ``growth_days`` after the account first used the
    hashtag, against those it had before (a follow with no time is older than
    the data, as in a simulated store; where no follow of the store carries a
    time the signal is unavailable). Score ``g / (g + before + 1)``; flagged
    when ``g >= min_growth`` and the score is at least 0.5 (it more than
    doubled its followers).
``follow_back``
    Follow-back anomalies: of its ``F`` followers the account follows ``M``
    back. Rates ``M / F`` vary between accounts, so the community's rates
    (accounts with at least ``min_followers`` followers) are fitted with a Beta
    distribution by moments; the score is the Beta's CDF at the account's
    rate. Flagged when ``F >= min_followers``, ``M / F >= follow_back_factor *
    median rate`` and ``P(X >= M) < alpha / m`` with ``X``
    beta-binomial(``F``, Beta).
``drift``
    Position drift, the incognito pattern: an account's early actions match
    its community and its late ones do not. Each action gets ``x = 1`` when it
    matches and ``x = 0`` when not; the account's actions (in time order) are
    split in halves and ``drift = mean(x early) - mean(x late)``. What an
    action is: where ``posts`` carries a numeric ``stance`` column (a position
    shown by each post), every post with a stance, ``x = 1`` when
    ``|stance - median stance of the community's posts| <= stance_tolerance``;
    otherwise every repost, reply, quote and mention in ``interactions``
    (likes have no row of their own on X and are left out), ``x = 1`` when its
    target account is in the community. Score ``max(drift, 0)``; flagged when
    ``drift >= min_drift``, the account has ``min_actions`` actions and the
    two-proportion z statistic passes the Bonferroni bound for ``alpha``.

The community: with a hashtag, its users (an account is a member when it
posted under the hashtag at least once) against everyone else; without one,
seeded Louvain communities of the follow graph, or of the interaction graph
where the data holds no follows (:func:`mutuals.metrics.graph.louvain`).

Combination
-----------
``combined`` is the Cauchy combination (Liu & Xie, "Cauchy combination test:
a powerful test with analytic p-value calculation under arbitrary dependency
structures", JASA 2020) of the signals' empirical upper-tail p-values: for
signal ``k`` and account ``a``, ``p_k(a)`` is the share of accounts whose
score is at least ``a``'s (1 where the signal does not apply to ``a``),
truncated at 1/2, so that a score below the median is no evidence either way;
``T(a) = (1/K) sum_k tan((1/2 - p_k(a)) pi)`` over the ``K`` signals
available in the data, and ``combined = (2/pi) arctan(T)``, in [0, 1). The
Cauchy combination stays valid whatever the dependence between the signals
(they share accounts and events), and an account rare on one signal ranks
high however ordinary it is on the others: the pattern of an infiltrator,
which usually shows one trace, not all. Fisher's method, which sums
``-2 ln p`` and so lets noise on the other signals bury one strong one, was
the combination before 2026-12-02; ``benchmarks/bench_detect_accuracy.py``
reports both. The combination is fixed in advance, never fit on labels, and
is a ranking, not a test. An account is ``flagged`` when any signal flags it
(each flag passed that signal's own threshold, with its evidence), and
``flags`` names those signals. ``rank`` orders accounts by the number of
signals that flag them, then by ``T``, then by account order: an account that
passed a threshold outranks one that did not, whatever the empirical ranks
say (the top score of a signal has the smallest empirical p-value even when
that signal's own test finds nothing unusual about it).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from mutuals.errors import InputError
from mutuals.metrics._tables import (
    account_keys,
    require_columns,
    single_platform,
    to_numpy_int,
)
from mutuals.metrics.graph import AccountIndex, index_accounts, louvain

__all__ = [
    "EVIDENCE_COLUMNS",
    "GROUPS_COLUMNS",
    "SCORES_COLUMNS",
    "SIGNALS",
    "CoordinationData",
    "DetectParams",
    "Detection",
    "Signal",
    "co_action",
    "combine",
    "coordinated_arrival",
    "coordination_graph",
    "detect_coordination",
    "follow_back",
    "follow_bursts",
    "follow_core",
    "follower_growth",
    "position_drift",
    "prepare",
]

#: The signals, in the order of the score columns.
SIGNALS = (
    "arrival",
    "coaction",
    "follow_core",
    "follow_burst",
    "follower_growth",
    "follow_back",
    "drift",
)
#: Columns of ``scores.parquet``.
SCORES_COLUMNS = (
    "account_id",
    "platform",
    "handle",
    *SIGNALS,
    "combined",
    "rank",
    "flagged",
    "flags",
)
#: Columns of ``groups.parquet``.
GROUPS_COLUMNS = ("group_id", "signal", "platform", "account_id")
#: Columns of ``evidence.parquet``.
EVIDENCE_COLUMNS = (
    "account_id",
    "platform",
    "signal",
    "table",
    "row_id",
    "time",
    "detail",
    "threshold",
)

_US = 1_000_000
NOTIME = np.iinfo(np.int64).min
_TS = pa.timestamp("us", tz="UTC")
_TABLES = ("posts", "follows", "interactions")


# ----------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class DetectParams:
    """Every parameter of :func:`detect_coordination` (see the module docstring
    for what each does). Times are in seconds."""

    hashtag: str | None = None
    window: float | None = None
    window_quantile: float = 0.1
    background: float = 24.0
    min_background: float = 3600.0
    min_burst: int = 5
    burst_factor: float = 3.0
    alpha: float = 0.05
    co_window: float = 60.0
    min_coactions: int = 3
    min_overlap: float = 0.5
    min_occasions: int = 2
    max_window_actions: int = 1000
    max_group: int = 50
    min_core: int = 10
    core_factor: float = 3.0
    follow_window: float = 3600.0
    min_follow_burst: int = 100
    growth_days: float = 7.0
    min_growth: int = 20
    min_followers: int = 10
    follow_back_factor: float = 2.0
    min_actions: int = 6
    min_drift: float = 0.5
    stance_tolerance: float = 0.5
    max_evidence: int = 20
    seed: int = 0

    def checked(self) -> DetectParams:
        """The parameters, normalised (the hashtag lower-cased, without ``#``);
        raises :class:`~mutuals.errors.InputError` naming the one out of range."""

        def need(ok: bool, name: str, what: str) -> None:
            if not ok:
                raise InputError(f"{name} must be {what}, got {getattr(self, name)!r}")

        tag = self.hashtag
        if tag is not None:
            if not isinstance(tag, str) or not tag.strip().lstrip("#").strip():
                raise InputError(f"hashtag must be a non-empty string, got {tag!r}")
            tag = tag.strip().lstrip("#").strip().lower()
        need(self.window is None or _pos(self.window), "window", "a positive number of seconds")
        need(0 < self.window_quantile < 1, "window_quantile", "between 0 and 1")
        need(_pos(self.background) and self.background > 1, "background", "a number above 1")
        need(_pos(self.min_background), "min_background", "a positive number of seconds")
        need(_num(self.burst_factor) and self.burst_factor >= 1, "burst_factor", "a number >= 1")
        need(0 < self.alpha < 1, "alpha", "between 0 and 1")
        need(_num(self.co_window) and self.co_window >= 0, "co_window", "seconds >= 0")
        need(_pos(self.follow_window), "follow_window", "a positive number of seconds")
        need(_pos(self.growth_days), "growth_days", "a positive number of days")
        need(_pos(self.core_factor), "core_factor", "a positive number")
        need(_pos(self.follow_back_factor), "follow_back_factor", "a positive number")
        need(0 < self.min_drift <= 1, "min_drift", "in (0, 1]")
        need(_num(self.min_overlap) and 0 < self.min_overlap <= 1, "min_overlap", "in (0, 1]")
        need(_pos(self.stance_tolerance), "stance_tolerance", "a positive number")
        for name in ("min_burst", "min_coactions", "min_occasions", "min_core",
                     "min_follow_burst", "min_growth", "min_followers", "min_actions",
                     "max_evidence", "max_group"):  # fmt: skip
            v = getattr(self, name)
            need(isinstance(v, int) and not isinstance(v, bool) and v >= 1, name, "an integer >= 1")
        v = self.max_window_actions
        need(isinstance(v, int) and not isinstance(v, bool) and v >= 2, "max_window_actions",
             "an integer >= 2")  # fmt: skip
        need(isinstance(self.seed, int) and not isinstance(self.seed, bool) and self.seed >= 0,
             "seed", "an integer >= 0")  # fmt: skip
        return DetectParams(**{**asdict(self), "hashtag": tag})


def _num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _pos(x: Any) -> bool:
    return _num(x) and x > 0


# ----------------------------------------------------------------------------- the data


def _ts_us(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Timestamps as int64 microseconds, :data:`NOTIME` for nulls."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if len(arr) == 0:
        return np.zeros(0, np.int64)
    if not pa.types.is_timestamp(arr.type):
        raise InputError(f"created_at must be a timestamp column, got {arr.type}")
    arr = arr.cast(_TS).cast(pa.int64())
    return to_numpy_int(arr, fill=int(NOTIME))


def _str(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    return arr.cast(pa.string())


def _object_codes(platform: pa.Array, ids: pa.Array, qualify: bool) -> np.ndarray:
    """Integer codes of object ids (posts, links, hashtag sequences); -1 for null."""
    if len(ids) == 0:
        return np.zeros(0, np.int64)
    keys = account_keys(platform, ids, qualify=qualify)
    return to_numpy_int(pc.dictionary_encode(keys).indices.cast(pa.int64()), fill=-1)


@dataclass(eq=False)
class CoordinationData:
    """The canonical tables as integer arrays over one account index
    (:func:`prepare`). Times are int64 microseconds, :data:`NOTIME` where
    unknown."""

    index: AccountIndex
    handle: pa.Array
    created_at: np.ndarray
    posts: pa.Table
    p_author: np.ndarray
    p_time: np.ndarray
    interactions: pa.Table
    i_source: np.ndarray
    i_target: np.ndarray
    i_time: np.ndarray
    f_src: np.ndarray
    f_dst: np.ndarray
    f_time: np.ndarray
    qualified: bool
    hashtag: str | None
    skipped: dict[str, int]
    seed: int = 0

    @property
    def n(self) -> int:
        return len(self.index)

    @cached_property
    def labels(self) -> list[str]:
        """How each account is named in evidence: ``@handle``, else its id."""
        ids = self.index.account_id.to_pylist()
        hs = self.handle.to_pylist()
        return [f"@{h}" if h else str(i) for h, i in zip(hs, ids, strict=True)]

    def quote(self, rows: np.ndarray, limit: int = 140) -> list[str]:
        """``; text: "..."`` for posts rows that carry text (empty otherwise), cut
        to ``limit`` characters (the page cleans and escapes it)."""
        if "text" not in self.posts.column_names or len(rows) == 0:
            return [""] * len(rows)
        texts = _str(self.posts.column("text")).take(pa.array(np.asarray(rows, np.int64)))
        out = []
        for x in texts.to_pylist():
            if not x:
                out.append("")
                continue
            x = " ".join(x.split())
            out.append(f'; text: "{x if len(x) <= limit else x[: limit - 1] + "…"}"')
        return out

    @cached_property
    def follow_key(self) -> np.ndarray:
        """``follower * n + friend`` of every follow, sorted (the follows are unique)."""
        return self.f_src * np.int64(max(self.n, 1)) + self.f_dst

    @cached_property
    def reciprocated(self) -> np.ndarray:
        """Whether each follow is followed back (its reverse edge exists)."""
        return np.asarray(self.reverse_row >= 0)

    @cached_property
    def reverse_row(self) -> np.ndarray:
        """Row of each follow's reverse edge, -1 where there is none."""
        key = self.follow_key
        if key.size == 0:
            return np.zeros(0, np.int64)
        rev = self.f_dst * np.int64(max(self.n, 1)) + self.f_src
        # sorted queries: a merge-like pass instead of random probes of the keys
        order = np.argsort(rev)
        pos_sorted = np.minimum(np.searchsorted(key, rev[order]), key.size - 1)
        pos = np.empty_like(pos_sorted)
        pos[order] = pos_sorted
        return np.where(key[pos] == rev, pos, -1).astype(np.int64)

    @cached_property
    def uses(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
        """Hashtag uses ``(post row, hashtag code, time, hashtag names)``, one
        per (post, hashtag), hashtags lower-cased."""
        tags = self.posts.column("hashtags").combine_chunks()
        if len(tags) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64), []
        flat = pc.utf8_lower(pc.list_flatten(tags).cast(pa.string()))
        parent = np.asarray(pc.list_parent_indices(tags).to_numpy(), np.int64)
        ok = np.asarray(pc.fill_null(pc.not_equal(flat, ""), False).to_numpy(zero_copy_only=False))
        flat = flat.filter(pa.array(ok))
        parent = parent[ok]
        enc = pc.dictionary_encode(flat)
        code = to_numpy_int(enc.indices.cast(pa.int64()))
        names = enc.dictionary.to_pylist()
        # a tag repeated in one post is one use
        key = parent * np.int64(max(len(names), 1)) + code
        _, first = np.unique(key, return_index=True)
        first.sort()
        parent, code = parent[first], code[first]
        return parent, code, self.p_time[parent], names

    @cached_property
    def members(self) -> np.ndarray | None:
        """With a hashtag: whether each account posted under it; else None."""
        if self.hashtag is None:
            return None
        rows, code, _, names = self.uses
        m = np.zeros(self.n, bool)
        if self.hashtag in names:
            sel = code == names.index(self.hashtag)
            au = self.p_author[rows[sel]]
            m[au[au >= 0]] = True
        return m

    @cached_property
    def first_use(self) -> np.ndarray:
        """With a hashtag: each account's first use of it (:data:`NOTIME` if none
        with a time)."""
        out = np.full(self.n, NOTIME, np.int64)
        if self.hashtag is None:
            return out
        rows, code, t, names = self.uses
        if self.hashtag not in names:
            return out
        sel = (code == names.index(self.hashtag)) & (t != NOTIME)
        au = self.p_author[rows[sel]]
        ok = au >= 0
        big = np.full(self.n, np.iinfo(np.int64).max, np.int64)
        np.minimum.at(big, au[ok], t[sel][ok])
        have = big != np.iinfo(np.int64).max
        out[have] = big[have]
        return out

    @cached_property
    def communities(self) -> np.ndarray:
        """Community of each account: with a hashtag, 0 for its users and 1 for
        everyone else; without, seeded Louvain communities of the undirected
        follow graph (of the interaction graph when there are no follows)."""
        m = self.members
        if m is not None:
            return np.where(m, 0, 1).astype(np.int64)
        from mutuals.metrics.graph import undirected_adjacency

        if self.f_src.size:
            adj = undirected_adjacency(self.f_src, self.f_dst, self.n)
        else:  # no follows: the graph of who interacted with whom
            ok = (self.i_source >= 0) & (self.i_target >= 0)
            adj = undirected_adjacency(self.i_source[ok], self.i_target[ok], self.n)
        return louvain(adj, seed=self.seed)


def prepare(
    accounts: pa.Table,
    follows: pa.Table,
    posts: pa.Table,
    interactions: pa.Table,
    *,
    hashtag: str | None = None,
    seed: int = 0,
) -> CoordinationData:
    """Index the canonical tables for the signals (one account index for all).

    Rows without an author (posts), a source (interactions) or an endpoint
    (follows) are skipped and counted in ``skipped``; follows are deduplicated
    (the earliest known time kept) and self-follows dropped.
    """
    require_columns(accounts, "accounts", ["platform", "account_id"])
    require_columns(follows, "follows", ["platform", "follower_id", "friend_id"])
    require_columns(
        posts, "posts", ["platform", "post_id", "author_id", "created_at", "kind", "hashtags"]
    )
    require_columns(
        interactions, "interactions", ["platform", "kind", "source_id", "target_id", "created_at"]
    )
    index, (fs, fd, pa_, isrc, itgt) = index_accounts(
        accounts,
        [
            (follows.column("platform"), follows.column("follower_id")),
            (follows.column("platform"), follows.column("friend_id")),
            (posts.column("platform"), posts.column("author_id")),
            (interactions.column("platform"), interactions.column("source_id")),
            (interactions.column("platform"), interactions.column("target_id")),
        ],
    )
    n = len(index)
    skipped: dict[str, int] = {}
    # handles and creation times of the listed accounts (first row wins)
    node = index.lookup(accounts.column("platform"), accounts.column("account_id"))
    handle_col = (
        _str(accounts.column("handle"))
        if "handle" in accounts.column_names
        else pa.nulls(accounts.num_rows, pa.string())
    )
    take = np.full(n, -1, np.int64)
    take[node[::-1]] = np.arange(node.size - 1, -1, -1)
    handle = (
        handle_col.take(pa.array(np.where(take >= 0, take, 0), mask=take < 0))
        if n
        else (pa.array([], pa.string()))
    )
    created = np.full(n, NOTIME, np.int64)
    if "created_at" in accounts.column_names and accounts.num_rows:
        ct = _ts_us(accounts.column("created_at"))
        created[take >= 0] = ct[take[take >= 0]]
    # follows: unique edges, earliest known time
    ft = (
        _ts_us(follows.column("created_at"))
        if "created_at" in follows.column_names
        else np.full(follows.num_rows, NOTIME, np.int64)
    )
    ok = (fs >= 0) & (fd >= 0)
    skipped["follows without an endpoint"] = int((~ok).sum())
    loop = ok & (fs == fd)
    skipped["self-follows"] = int(loop.sum())
    ok &= ~loop
    key = fs[ok] * np.int64(max(n, 1)) + fd[ok]
    t = np.where(ft[ok] == NOTIME, np.iinfo(np.int64).max, ft[ok])
    order = np.lexsort((t, key))
    key, t = key[order], t[order]
    first = np.r_[True, key[1:] != key[:-1]] if key.size else np.zeros(0, bool)
    skipped["repeated follows"] = int(key.size - first.sum())
    key, t = key[first], t[first]
    f_time = np.where(t == np.iinfo(np.int64).max, NOTIME, t)
    # posts and interactions
    p_time = _ts_us(posts.column("created_at"))
    skipped["posts without an author"] = int((pa_ < 0).sum())
    skipped["posts without a time"] = int((p_time == NOTIME).sum())
    i_time = _ts_us(interactions.column("created_at"))
    skipped["interactions without a source"] = int((isrc < 0).sum())
    skipped["interactions without a time"] = int((i_time == NOTIME).sum())
    qualified = not single_platform(
        accounts.column("platform"),
        follows.column("platform"),
        posts.column("platform"),
        interactions.column("platform"),
    )
    data = CoordinationData(
        index=index,
        handle=handle,
        created_at=created,
        posts=posts,
        p_author=pa_,
        p_time=p_time,
        interactions=interactions,
        i_source=isrc,
        i_target=itgt,
        i_time=i_time,
        f_src=key // max(n, 1),
        f_dst=key % max(n, 1),
        f_time=f_time,
        qualified=qualified,
        hashtag=hashtag,
        skipped=skipped,
        seed=seed,
    )
    return data


# ----------------------------------------------------------------------------- signals


@dataclass(frozen=True)
class Signal:
    """One signal's result.

    Attributes
    ----------
    name : str
        One of :data:`SIGNALS`.
    score : numpy.ndarray
        Per account, in [0, 1]; NaN where the signal does not apply.
    flagged : numpy.ndarray
        Per account, whether the threshold flags it.
    thresholds : dict
        The thresholds that produced the flags (estimated ones as estimated).
    counts : dict
        What was measured, tested and skipped.
    evidence : pyarrow.Table
        ``node, signal, table, row, time, detail, threshold``: ``row`` is the
        row of ``table`` (posts, interactions: their order in the input table;
        follows: the deduplicated edge of :class:`CoordinationData`).
    groups : list of (str, numpy.ndarray)
        Named groups of accounts the signal found.
    edges : tuple of arrays
        ``(u, v, weight, kind)`` the signal's network (co-actions, mutual follows).
    available : bool
        Whether the data holds what the signal needs.
    """

    name: str
    score: np.ndarray = field(repr=False)
    flagged: np.ndarray = field(repr=False)
    thresholds: dict[str, Any]
    counts: dict[str, Any]
    evidence: pa.Table = field(repr=False)
    groups: list[tuple[str, np.ndarray]] = field(default_factory=list, repr=False)
    edges: tuple[np.ndarray, np.ndarray, np.ndarray, list[str]] | None = field(
        default=None, repr=False
    )
    available: bool = True
    note: str = ""


def _iso(t: np.ndarray) -> list[str]:
    t = np.asarray(t, np.int64)
    out = np.datetime_as_string(np.where(t == NOTIME, 0, t).astype("datetime64[us]"), unit="s")
    return [("" if x == NOTIME else s + "Z") for x, s in zip(t.tolist(), out.tolist(), strict=True)]


def _seconds(us: float) -> str:
    s = us / _US
    if s < 120:
        return f"{s:g} s"
    if s < 7200:
        return f"{s / 60:.3g} min"
    if s < 172800:
        return f"{s / 3600:.3g} h"
    return f"{s / 86400:.3g} days"


def _evidence(
    name: str,
    node: np.ndarray,
    table: Sequence[str] | str,
    row: np.ndarray,
    time: np.ndarray,
    detail: Sequence[str],
    threshold: str,
) -> pa.Table:
    k = len(detail)
    tables = [table] * k if isinstance(table, str) else list(table)
    return pa.table(
        {
            "node": pa.array(np.asarray(node, np.int64)),
            "signal": pa.array([name] * k, pa.string()),
            "table": pa.array(tables, pa.string()),
            "row": pa.array(np.asarray(row, np.int64)),
            "time": pa.array(np.asarray(time, np.int64)),
            "detail": pa.array(list(detail), pa.string()),
            "threshold": pa.array([threshold] * k, pa.string()),
        }
    )


def _no_evidence() -> pa.Table:
    return _evidence("", np.zeros(0), [], np.zeros(0), np.zeros(0), [], "")


def _unavailable(data: CoordinationData, name: str, note: str, **counts: Any) -> Signal:
    return Signal(
        name,
        np.full(data.n, np.nan),
        np.zeros(data.n, bool),
        {},
        dict(counts),
        _no_evidence(),
        available=False,
        note=note,
    )


def _first_per_group(group: np.ndarray, k: int) -> np.ndarray:
    """Mask of the first ``k`` items of each run of equal ``group`` values
    (``group`` sorted)."""
    if group.size == 0:
        return np.zeros(0, bool)
    start = np.r_[0, np.flatnonzero(group[1:] != group[:-1]) + 1]
    run = np.repeat(start, np.diff(np.r_[start, group.size]))
    return np.asarray((np.arange(group.size) - run) < k)


def _split_groups(
    u: np.ndarray, v: np.ndarray, w: np.ndarray, nodes: np.ndarray, max_group: int, seed: int
) -> list[np.ndarray]:
    """Connected components of the graph ``u -- v`` (weights ``w``) over
    ``nodes``, each larger than ``max_group`` split by seeded Louvain; sorted
    by size (largest first), then smallest member."""
    from scipy.sparse.csgraph import connected_components

    if nodes.size == 0:
        return []
    local = np.full(int(max(nodes.max(), u.max(initial=0), v.max(initial=0))) + 1, -1, np.int64)
    local[nodes] = np.arange(nodes.size)
    lu, lv = local[u], local[v]
    k = nodes.size
    adj = sp.coo_matrix((np.r_[w, w].astype(np.float64), (np.r_[lu, lv], np.r_[lv, lu])), (k, k))
    adj = adj.tocsr()
    _, comp = connected_components(adj, directed=False)
    out: list[np.ndarray] = []
    order = np.argsort(comp, kind="stable")
    bounds = np.r_[0, np.flatnonzero(np.diff(comp[order])) + 1, k]
    for s, e in itertools.pairwise(bounds):
        members = order[s:e]
        if members.size < 2:
            continue
        if members.size > max_group:
            sub = adj[members][:, members]
            lab = louvain(sub, seed=seed)
            for c in np.unique(lab):
                part = members[lab == c]
                if part.size >= 2:
                    out.append(nodes[np.sort(part)])
        else:
            out.append(nodes[np.sort(members)])
    out.sort(key=lambda g: (-g.size, int(g[0])))
    return out


# -- 1. coordinated arrival --------------------------------------------------------------


def _reference_window_counts(
    group: Sequence[int], t: Sequence[int], before: int, after: int
) -> list[int]:
    """Twin of :func:`mutuals.kernels.coordination.window_counts`: one event at a time."""
    return [
        sum(1 for h, s in zip(group, t, strict=True) if h == g and x - before <= s <= x + after)
        for g, x in zip(group, t, strict=True)
    ]


def estimate_window(series: np.ndarray, t: np.ndarray, quantile: float, k: int) -> float:
    """The arrival window in microseconds: the ``quantile`` of the positive
    spans of ``k`` consecutive arrivals of one series (``series``, ``t`` sorted
    by series then time), pooled over series: the time within which ``k``
    accounts arrive in the fastest ``quantile`` of the data (in the spirit of
    CooRnet's coordination interval). NaN when no span is positive."""
    k = max(int(k), 2)
    if t.size < k:
        return float("nan")
    same = series[k - 1 :] == series[: t.size - k + 1]
    spans = (t[k - 1 :] - t[: t.size - k + 1])[same]
    spans = spans[spans > 0]
    if spans.size == 0:
        return float("nan")
    return float(np.quantile(spans, quantile, method="lower"))


def coordinated_arrival(
    data: CoordinationData,
    *,
    window: float | None = None,
    window_quantile: float = 0.1,
    background: float = 24.0,
    min_background: float = 3600.0,
    min_burst: int = 5,
    burst_factor: float = 3.0,
    alpha: float = 0.05,
    max_evidence: int = 20,
) -> Signal:
    """Signal 1, coordinated arrival (see the module docstring)."""
    from scipy.stats import binom

    from mutuals.kernels.coordination import window_counts

    name = "arrival"
    rows, code, t, names = data.uses
    author = data.p_author[rows]
    ok = (author >= 0) & (t != NOTIME)
    rows, code, t, author = rows[ok], code[ok], t[ok], author[ok]
    if data.hashtag is not None:
        if data.hashtag not in names:
            return _unavailable(data, name, f"no post uses #{data.hashtag}")
        sel = code == names.index(data.hashtag)
        rows, code, t, author = rows[sel], code[sel], t[sel], author[sel]
    # first use of each hashtag by each account
    n = np.int64(max(data.n, 1))
    order = np.lexsort((rows, t, author, code))
    rows, code, t, author = rows[order], code[order], t[order], author[order]
    key = code * n + author
    first = np.r_[True, key[1:] != key[:-1]] if key.size else np.zeros(0, bool)
    ev_series, ev_node, ev_t, ev_row = code[first], author[first], t[first], rows[first]
    ev_table = np.zeros(ev_node.size, np.int8)  # 0 posts, 1 follows
    n_series = len(names)
    # ... and, with a hashtag, each account's first follow of one of its users
    members = data.members
    follow_arrivals = 0
    if members is not None and data.hashtag is not None and (data.f_time != NOTIME).any():
        fsel = members[data.f_dst] & (data.f_time != NOTIME)
        fr = np.flatnonzero(fsel)
        o = np.lexsort((fr, data.f_time[fr], data.f_src[fr]))
        fr = fr[o]
        src = data.f_src[fr]
        ff = np.r_[True, src[1:] != src[:-1]] if src.size else np.zeros(0, bool)
        fr = fr[ff]
        follow_arrivals = int(fr.size)
        ev_series = np.r_[ev_series, np.full(fr.size, n_series + names.index(data.hashtag))]
        ev_node = np.r_[ev_node, data.f_src[fr]]
        ev_t = np.r_[ev_t, data.f_time[fr]]
        ev_row = np.r_[ev_row, fr]
        ev_table = np.r_[ev_table, np.ones(fr.size, np.int8)]
    order = np.lexsort((ev_row, ev_t, ev_series))
    ev_series, ev_node, ev_t, ev_row, ev_table = (
        ev_series[order], ev_node[order], ev_t[order], ev_row[order], ev_table[order]
    )  # fmt: skip
    if window is not None:
        w = float(window) * _US
        estimated = False
    else:
        w = estimate_window(ev_series, ev_t, window_quantile, min_burst)
        estimated = True
    if not math.isfinite(w) or ev_t.size < 2:
        return _unavailable(
            data, name, "fewer than two arrivals at distinct times", arrivals=int(ev_t.size)
        )
    B = max(w * background, min_background * _US)
    wi, Bi = int(w), int(B)
    # the data's time resolution (ties are simultaneous at it): an inclusive
    # window of 2w holds 2w / res + 1 ticks of it
    gaps = np.diff(np.unique(ev_t))
    res = float(gaps.min()) if gaps.size else 1.0
    # the data's start is not an arrival; near its start and end the windows
    # are cut to the span of the table the arrival comes from
    pt = data.p_time[data.p_time != NOTIME]
    known_f = data.f_time[data.f_time != NOTIME]
    span_p = (int(pt.min()), int(pt.max())) if pt.size else (0, 0)
    span_f = (int(known_f.min()), int(known_f.max())) if known_f.size else (0, 0)
    start = np.where(ev_table == 0, span_p[0], span_f[0])
    end = np.where(ev_table == 0, span_p[1], span_f[1])
    tested = ev_t >= start + Bi
    n_in = window_counts(ev_series, ev_t, wi, wi)
    n_bg = window_counts(ev_series, ev_t, Bi, Bi)
    len_w = np.minimum(ev_t + wi, end) - np.maximum(ev_t - wi, start) + res
    len_b = np.minimum(ev_t + Bi, end) - np.maximum(ev_t - Bi, start) + res
    share = np.minimum(len_w / np.maximum(len_b, 1.0), 1.0)
    p = np.ones(ev_t.size)
    k = n_in - 1
    big = n_bg - 1
    has = tested & (k > 0)
    p[has] = binom.sf(k[has] - 1, big[has], share[has])
    m = max(int(tested.sum()), 1)
    bound = alpha / m
    expected = (n_bg - 1) * share  # the others expected within the window
    ev_flag = tested & (n_in >= min_burst) & (p < bound) & (n_in - 1 >= burst_factor * expected)
    score = np.full(data.n, np.nan)
    val = np.where(tested, 1.0 - p, np.nan)
    if val.size:
        s = np.full(data.n, -np.inf)
        np.maximum.at(s, ev_node, np.where(np.isnan(val), -np.inf, val))
        seen = np.zeros(data.n, bool)
        seen[ev_node[tested]] = True
        score[seen] = s[seen]
    flagged = np.zeros(data.n, bool)
    flagged[ev_node[ev_flag]] = True
    threshold = (
        f"at least {min_burst} arrivals within {_seconds(w)}, {burst_factor:g} times as many "
        f"as the arrivals within {_seconds(B)} predict, and binomial p < {bound:.3g} "
        f"(alpha {alpha} / {m} arrivals tested)"
    )
    # evidence: each flagged arrival (an account's flagged arrivals, up to max_evidence)
    fi = np.flatnonzero(ev_flag)
    fi = fi[np.lexsort((ev_t[fi], ev_node[fi]))]
    fi = fi[_first_per_group(ev_node[fi], max_evidence)]
    labels = data.labels
    when = _iso(ev_t[fi])
    quotes = data.quote(np.where(ev_table[fi] == 0, ev_row[fi], 0))
    details = []
    for j, i in enumerate(fi.tolist()):
        sname = names[ev_series[i] % n_series] if ev_series[i] < 2 * n_series else "?"
        what = f"first used #{sname}" if ev_table[i] == 0 else f"first followed a user of #{sname}"
        age = ""
        c = data.created_at[ev_node[i]]
        if c != NOTIME and c <= ev_t[i]:
            age = f"; account created {_seconds(float(ev_t[i] - c))} before"
        details.append(
            f"{labels[ev_node[i]]} {what} at {when[j]}; {int(n_in[i])} accounts arrived within "
            f"{_seconds(w)} of it, {int(n_bg[i])} within {_seconds(B)} (expected "
            f"{(n_bg[i] - 1) * share[i] + 1:.3g}); p = {p[i]:.3g}{age}"
            + (quotes[j] if ev_table[i] == 0 else "")
        )
    tables = ["posts" if ev_table[i] == 0 else "follows" for i in fi.tolist()]
    evidence = _evidence(name, ev_node[fi], tables, ev_row[fi], ev_t[fi], details, threshold)
    # groups: flagged arrivals of one series within w of each other
    groups: list[tuple[str, np.ndarray]] = []
    fl = np.flatnonzero(ev_flag)
    if fl.size:
        brk = np.r_[True, (ev_series[fl][1:] != ev_series[fl][:-1]) | (np.diff(ev_t[fl]) > wi)]
        gid = np.cumsum(brk) - 1
        found = []
        for g in range(int(gid[-1]) + 1):
            nodes = np.unique(ev_node[fl[gid == g]])
            if nodes.size >= 2:
                found.append(nodes)
        found.sort(key=lambda g: (-g.size, int(g[0])))
        groups = [(f"arrival-{i + 1}", g) for i, g in enumerate(found)]
    return Signal(
        name,
        score,
        flagged,
        {
            "window_seconds": w / _US,
            "window_estimated": estimated,
            "window_quantile": window_quantile if estimated else None,
            "background_seconds": B / _US,
            "min_background_seconds": min_background,
            "time_resolution_seconds": res / _US,
            "min_burst": min_burst,
            "burst_factor": burst_factor,
            "alpha": alpha,
            "p_bound": bound,
        },
        {
            "arrivals": int(ev_t.size),
            "arrivals_by_follow": follow_arrivals,
            "tested": int(tested.sum()),
            "left_out_at_data_start": int((~tested).sum()),
            "flagged_arrivals": int(ev_flag.sum()),
            "hashtags": int(np.unique(ev_series % max(n_series, 1)).size),
        },
        evidence,
        groups,
    )


# -- 2. co-action networks ---------------------------------------------------------------


def _reference_window_pairs(
    obj: Sequence[int], t: Sequence[int], actor: Sequence[int], window: int, max_actions: int
) -> set[tuple[int, int, int]]:
    """Twin of :func:`mutuals.kernels.coordination.window_pairs`: every
    ``(object, u, v)`` with ``u < v`` different actors acting on the object
    within ``window``, objects with a busier window than ``max_actions`` left out."""
    out = set()
    n = len(obj)
    for o in set(obj):
        idx = [i for i in range(n) if obj[i] == o]
        busiest = max(sum(1 for j in idx if 0 <= t[j] - t[i] <= window) for i in idx)
        if busiest > max_actions:
            continue
        for i in idx:
            for j in idx:
                if actor[i] < actor[j] and abs(t[i] - t[j]) <= window:
                    out.add((o, actor[i], actor[j]))
    return out


#: Co-action kinds: (name, what the object is, the verb in evidence).
_COACT = (
    ("co-repost", "repost_of_id", "reposted post"),
    ("co-reply", "parent_id", "replied to post"),
    ("co-link", "urls", "shared the link"),
    ("co-hashtags", "hashtags", "posted the hashtag sequence"),
)


def _actions(data: CoordinationData, kind: str) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    """Rows of ``posts`` acting on an object, their object codes, and object names."""
    posts = data.posts
    plat = _str(posts.column("platform"))
    pk = _str(posts.column("kind"))
    has_author = data.p_author >= 0
    timed = data.p_time != NOTIME
    if kind in ("co-repost", "co-reply"):
        col = "repost_of_id" if kind == "co-repost" else "parent_id"
        want = "repost" if kind == "co-repost" else "reply"
        if col not in posts.column_names:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), pa.array([], pa.string())
        ids = _str(posts.column(col))
        is_kind = np.asarray(pc.fill_null(pc.equal(pk, want), False).to_numpy(zero_copy_only=False))
        rows = np.flatnonzero(
            is_kind
            & has_author
            & timed
            & np.asarray(pc.is_valid(ids).to_numpy(zero_copy_only=False), bool)
        )
        sel = pa.array(rows)
        obj_ids = ids.take(sel)
        codes = _object_codes(plat.take(sel), obj_ids, data.qualified)
        return rows, codes, obj_ids
    not_repost = np.asarray(
        pc.fill_null(pc.not_equal(pk, "repost"), True).to_numpy(zero_copy_only=False)
    )
    base = np.flatnonzero(not_repost & has_author & timed)
    if kind == "co-link":
        if "urls" not in posts.column_names or base.size == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), pa.array([], pa.string())
        lists = posts.column("urls").combine_chunks().take(pa.array(base))
        flat = _str(pc.list_flatten(lists))
        parent = np.asarray(pc.list_parent_indices(lists).to_numpy(), np.int64)
        rows = base[parent]
        ok = np.asarray(pc.fill_null(pc.not_equal(flat, ""), False).to_numpy(zero_copy_only=False))
        rows, flat = rows[ok], flat.filter(pa.array(ok))
        codes = _object_codes(plat.take(pa.array(rows)), flat, data.qualified)
        return rows, codes, flat
    lists = posts.column("hashtags").combine_chunks().take(pa.array(base))
    length = to_numpy_int(pc.list_value_length(lists), fill=0)
    keep = length >= 2
    rows = base[keep]
    seqs = pc.binary_join(lists.filter(pa.array(keep)), " #")
    seqs = pc.binary_join_element_wise("#", pc.utf8_lower(seqs), "")
    codes = _object_codes(plat.take(pa.array(rows)), seqs, data.qualified)
    return rows, codes, seqs


def co_action(
    data: CoordinationData,
    *,
    co_window: float = 60.0,
    min_coactions: int = 3,
    min_overlap: float = 0.5,
    min_occasions: int = 2,
    max_window_actions: int = 1000,
    max_group: int = 50,
    seed: int = 0,
    max_evidence: int = 20,
) -> Signal:
    """Signal 2, co-action networks (see the module docstring)."""
    from mutuals.kernels.coordination import pair_sketch, window_pairs

    name = "coaction"
    n = data.n
    nn = np.int64(max(n, 1))
    if n >= 2**31:
        raise InputError("co-action networks need fewer than 2**31 accounts")
    win = round(co_window * _US)
    per_kind: list[tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    counts: dict[str, Any] = {}
    obj_names: dict[str, pa.Array] = {}
    objects_acted: list[np.ndarray] = []  # per kind: each account's actions
    sorted_kinds = []
    for kind, _, _ in _COACT:
        rows, codes, names_arr = _actions(data, kind)
        obj_names[kind] = names_arr
        if rows.size:
            objects_acted.append(np.bincount(data.p_author[rows], minlength=n))
        counts[kind] = {"actions": int(rows.size), "pair_rows": 0, "busy_objects_skipped": 0}
        if rows.size < 2:
            continue
        t = data.p_time[rows]
        order = np.lexsort((rows, t, codes))
        sorted_kinds.append((kind, rows, order, codes[order], t[order], data.p_author[rows][order]))
    if not sorted_kinds:
        return _unavailable(
            data, name, "the store holds no reposts, replies, links or hashtag sequences to pair",
            **counts,
        )  # fmt: skip
    # a count-min sketch of every pair's co-actions over all kinds: only pairs that
    # may reach min_coactions are listed (no pair that does is missed)
    total_actions = sum(x[1].size for x in sorted_kinds)
    bits = int(min(28, max(10, math.ceil(math.log2(max(16 * total_actions, 2))))))
    sketch = np.zeros(1 << bits, np.uint8)
    if min_coactions > 1:
        for _, _, _, oc, ot, oa in sorted_kinds:
            pair_sketch(oc, ot, oa, win, int(max_window_actions), sketch)
    for kind, rows, order, oc, ot, oa in sorted_kinds:
        u, v, a, b, skipped = window_pairs(
            oc, ot, oa, win, int(max_window_actions), sketch, int(min_coactions)
        )
        # a and b index the sorted actions: back to posts rows and object positions
        per_kind.append((kind, u, v, rows[order[a]], rows[order[b]], order[a]))
        counts[kind]["pair_rows"] = int(u.size)
        counts[kind]["busy_objects_skipped"] = int(skipped)
    counts["sketch_buckets"] = 1 << bits
    if per_kind:
        allu = np.concatenate([k[1] for k in per_kind])
        allv = np.concatenate([k[2] for k in per_kind])
    else:
        allu = allv = np.zeros(0, np.int64)
    key = allu * nn + allv
    uk, inv, weight = np.unique(key, return_inverse=True, return_counts=True)
    pu, pv = uk // nn, uk % nn
    # how much of the less active account's activity the pair's co-actions are
    acted = np.zeros(n, np.int64)
    for k_ in objects_acted:
        acted += k_
    least = np.maximum(np.minimum(acted[pu], acted[pv]), 1)
    overlap = np.minimum(weight / least, 1.0)
    # pairs below min_coactions score 0 (the sketch keeps only a few of them)
    pair_score = np.where(
        weight >= min_coactions, overlap * weight / (weight + float(min_coactions)), 0.0
    )
    score = np.zeros(n)
    np.maximum.at(score, pu, pair_score)
    np.maximum.at(score, pv, pair_score)
    # occasions: co-actions of a pair more than a window apart (all in one
    # moment is one session of two readers of the same feed, not a pattern)
    if per_kind:
        pt = data.p_time[np.concatenate([k[3] for k in per_kind])]
        o = np.lexsort((pt, inv))
        pi, ptt = inv[o], pt[o]
        new_occ = np.r_[True, (pi[1:] != pi[:-1]) | (np.diff(ptt) > win)] if o.size else o
        occasions = np.bincount(pi[new_occ], minlength=uk.size)
    else:
        occasions = np.zeros(uk.size, np.int64)
    keep_pair = (weight >= min_coactions) & (overlap >= min_overlap) & (occasions >= min_occasions)
    flagged = np.zeros(n, bool)
    flagged[pu[keep_pair]] = True
    flagged[pv[keep_pair]] = True
    threshold = (
        f"at least {min_coactions} distinct posts, links or hashtag sequences acted on within "
        f"{_seconds(co_window * _US)} of the same other account, and those co-actions at least "
        f"{min_overlap:g} of the less active account's objects, on at least {min_occasions} "
        "occasions more than the window apart"
    )
    # evidence: each flagged account's co-actions with its heaviest partners
    ev_parts: list[pa.Table] = []
    labels = data.labels
    ids = _str(data.posts.column("post_id"))
    start = 0
    tables_rows = []
    for kind, u, v, ra, rb, apos in per_kind:
        pk = inv[start : start + u.size]
        start += u.size
        kept = keep_pair[pk]
        if not kept.any():
            continue
        pw = weight[pk][kept]
        uu, vv, aa, bb = u[kept], v[kept], ra[kept], rb[kept]
        objpos = apos[kept]
        # both sides: the account, its row, the partner, the partner's row
        node = np.r_[uu, vv]
        partner = np.r_[vv, uu]
        row = np.r_[aa, bb]
        prow = np.r_[bb, aa]
        w2 = np.r_[pw, pw]
        op = np.r_[objpos, objpos]
        tables_rows.append((kind, node, partner, row, prow, w2, op))
    if tables_rows:
        kinds = np.concatenate([np.full(x[1].size, i) for i, x in enumerate(tables_rows)])
        node = np.concatenate([x[1] for x in tables_rows])
        partner = np.concatenate([x[2] for x in tables_rows])
        row = np.concatenate([x[3] for x in tables_rows])
        prow = np.concatenate([x[4] for x in tables_rows])
        w2 = np.concatenate([x[5] for x in tables_rows])
        op = np.concatenate([x[6] for x in tables_rows])
        order = np.lexsort((row, partner, -w2, node))
        order = order[_first_per_group(node[order], max_evidence)]
        when = _iso(data.p_time[row[order]])
        quotes = data.quote(row[order])
        details = []
        for j, i in enumerate(order.tolist()):
            kname = tables_rows[kinds[i]][0]
            verb = next(x[2] for x in _COACT if x[0] == kname)
            obj = obj_names[kname][int(op[i])].as_py()
            dt = abs(int(data.p_time[prow[i]]) - int(data.p_time[row[i]]))
            details.append(
                f"{labels[node[i]]} {verb} {obj} at {when[j]}; {labels[partner[i]]} did too "
                f"{_seconds(float(dt))} apart (post {ids[int(prow[i])].as_py()}); the pair "
                f"co-acted on {int(w2[i])} objects ({kname}){quotes[j]}"
            )
        ev_parts.append(
            _evidence(
                name, node[order], "posts", row[order], data.p_time[row[order]], details, threshold
            )
        )
    evidence = pa.concat_tables(ev_parts) if ev_parts else _no_evidence()
    ku, kv, kw = pu[keep_pair], pv[keep_pair], weight[keep_pair]
    nodes = np.unique(np.r_[ku, kv])
    groups = _split_groups(ku, kv, kw, nodes, max_group, seed)
    # the kinds each kept pair co-acted through
    kind_of: list[str] = []
    if ku.size:
        pair_kinds: dict[int, set[str]] = {}
        start = 0
        for kind, u, _, _, _, _ in per_kind:
            pk = inv[start : start + u.size]
            start += u.size
            for p_ in np.unique(pk[keep_pair[pk]]).tolist():
                pair_kinds.setdefault(p_, set()).add(kind)
        kind_of = [",".join(sorted(pair_kinds[p_])) for p_ in np.flatnonzero(keep_pair).tolist()]
    # the data's time resolution: where it is coarser than the window (a simulated
    # store's tick), actions in the same step look simultaneous whether or not they were
    times = np.unique(np.concatenate([x[4] for x in sorted_kinds]))
    gaps = np.diff(times)
    res = float(gaps.min()) / _US if gaps.size else 0.0
    note = (
        f"times in the data are known only to {res:g} s, coarser than the {co_window:g} s "
        "window: actions in the same step count as simultaneous, so accounts active in the "
        "same steps can pair without coordinating"
        if res > co_window
        else ""
    )
    return Signal(
        name,
        score.astype(np.float64),
        flagged,
        {
            "co_window_seconds": co_window,
            "min_coactions": min_coactions,
            "min_overlap": min_overlap,
            "min_occasions": min_occasions,
            "max_window_actions": max_window_actions,
            "max_group": max_group,
            "time_resolution_seconds": res,
        },
        {**counts, "pairs": int(uk.size), "pairs_kept": int(keep_pair.sum())},
        evidence,
        [(f"coaction-{i + 1}", g) for i, g in enumerate(groups)],
        (ku, kv, kw.astype(np.float64), kind_of),
        note=note,
    )


# -- 3. follow trains ---------------------------------------------------------------------


def _reference_core_numbers(n: int, edges: Sequence[tuple[int, int]]) -> list[int]:
    """Twin of :func:`mutuals.kernels.coordination.core_numbers`: repeatedly peel
    every node of degree <= k, for k = 0, 1, 2, ..."""
    nbrs: list[set[int]] = [set() for _ in range(n)]
    for a, b in edges:
        if a != b:
            nbrs[a].add(b)
            nbrs[b].add(a)
    alive = set(range(n))
    core = [0] * n
    k = 0
    while alive:
        low = [x for x in alive if len(nbrs[x] & alive) <= k]
        if not low:
            k += 1
            continue
        for x in low:
            core[x] = k
            alive.discard(x)
    return core


def _reciprocal_csr(data: CoordinationData) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """The reciprocal follow graph (pairs following each other) as a symmetric
    CSR, and its edges ``a < b``."""
    r = data.reciprocated
    a, b = data.f_src[r], data.f_dst[r]
    lo = a < b
    a, b = a[lo], b[lo]
    n = data.n
    adj = sp.csr_matrix((np.ones(2 * a.size), (np.r_[a, b], np.r_[b, a])), shape=(n, n))
    adj.sort_indices()
    return adj, a, b


def follow_core(
    data: CoordinationData,
    *,
    min_core: int = 10,
    core_factor: float = 3.0,
    max_group: int = 50,
    seed: int = 0,
    max_evidence: int = 20,
) -> Signal:
    """Signal 3a, dense reciprocal follow cores (see the module docstring)."""
    from mutuals.kernels.coordination import core_numbers

    name = "follow_core"
    if data.f_src.size == 0:
        return _unavailable(data, name, "the store holds no follows")
    adj, ea, eb = _reciprocal_csr(data)
    core = core_numbers(adj.indptr.astype(np.int64), adj.indices.astype(np.int64))
    # the median over accounts with any follow (those without a mutual one count 0)
    has = (
        np.bincount(data.f_src, minlength=data.n) + np.bincount(data.f_dst, minlength=data.n)
    ) > 0
    median = float(np.median(core[has])) if has.any() else 0.0
    kmax = int(core.max()) if core.size else 0
    k_star = max(int(min_core), math.ceil(core_factor * median))
    score = core / kmax if kmax > 0 else np.zeros(data.n)
    flagged = core >= k_star
    threshold = (
        f"core number >= {k_star} in the reciprocal follow graph (max of {min_core} and "
        f"{core_factor} x the median core {median:g})"
    )
    # evidence: the flagged account's follows of flagged accounts that follow it back
    r = np.flatnonzero(data.reciprocated)
    src, dst = data.f_src[r], data.f_dst[r]
    sel = flagged[src] & flagged[dst]
    r, src, dst = r[sel], src[sel], dst[sel]
    order = np.lexsort((-core[dst], src))
    order = order[_first_per_group(src[order], max_evidence)]
    labels = data.labels
    details = [
        f"{labels[src[i]]} follows {labels[dst[i]]} and is followed back; both lie in the "
        f"{int(min(core[src[i]], core[dst[i]]))}-core of mutual follows"
        for i in order.tolist()
    ]
    evidence = _evidence(
        name, src[order], "follows", r[order], data.f_time[r[order]], details, threshold
    )
    keep = flagged[ea] & flagged[eb]
    ga, gb = ea[keep], eb[keep]
    groups = _split_groups(ga, gb, np.ones(ga.size), np.flatnonzero(flagged), max_group, seed)
    return Signal(
        name,
        score.astype(np.float64),
        flagged,
        {
            "core_threshold": k_star,
            "min_core": min_core,
            "core_factor": core_factor,
            "median_core": median,
        },
        {"mutual_pairs": int(ea.size), "max_core": kmax, "in_core": int(flagged.sum())},
        evidence,
        [(f"follow_core-{i + 1}", g) for i, g in enumerate(groups)],
        (ga, gb, np.ones(ga.size), ["mutual follow"] * int(ga.size)),
    )


def follow_bursts(
    data: CoordinationData,
    *,
    follow_window: float = 3600.0,
    min_follow_burst: int = 100,
    max_evidence: int = 20,
) -> Signal:
    """Signal 3b, bursts of follows and follow-backs (see the module docstring)."""
    from mutuals.kernels.coordination import window_counts

    name = "follow_burst"
    known = np.flatnonzero(data.f_time != NOTIME)
    if known.size == 0:
        return _unavailable(data, name, "no follow in the store carries a time")
    src, t = data.f_src[known], data.f_time[known]
    order = np.lexsort((known, t, src))
    known, src, t = known[order], src[order], t[order]
    W = int(follow_window * _US)
    ahead = window_counts(src, t, 0, W)
    best = np.zeros(data.n, np.int64)
    np.maximum.at(best, src, ahead)
    # the earliest window reaching each account's best
    is_best = ahead == best[src]
    first_best = np.full(data.n, -1, np.int64)
    idx = np.flatnonzero(is_best)[::-1]
    first_best[src[idx]] = idx
    rev = data.reverse_row[known]
    back = (rev >= 0) & (
        (data.f_time[np.maximum(rev, 0)] == NOTIME) | (data.f_time[np.maximum(rev, 0)] < t)
    )
    has_any = np.zeros(data.n, bool)
    has_any[src] = True
    score = np.where(has_any, best / (best + float(min_follow_burst)), np.nan)
    flagged = best >= min_follow_burst
    threshold = f"at least {min_follow_burst} follows within {_seconds(W)}"
    labels = data.labels
    node_rows, row_list, details = [], [], []
    cum_back = np.r_[0, np.cumsum(back)]
    for a in np.flatnonzero(flagged).tolist():
        i0 = int(first_best[a])
        k = int(best[a])
        nb = int(cum_back[i0 + k] - cum_back[i0])
        for j in range(i0, i0 + min(k, max_evidence)):
            node_rows.append(a)
            row_list.append(int(known[j]))
            details.append(
                f"{labels[a]} followed {labels[data.f_dst[known[j]]]}"
                f"{' (a follow-back)' if back[j] else ''}; one of {k} follows it made within "
                f"{_seconds(W)} from {_iso(t[i0 : i0 + 1])[0]}, {nb} of them follow-backs"
            )
    rows = np.asarray(row_list, np.int64)
    evidence = _evidence(
        name,
        np.asarray(node_rows, np.int64),
        "follows",
        rows,
        data.f_time[rows],
        details,
        threshold,
    )
    return Signal(
        name,
        score.astype(np.float64),
        flagged,
        {"follow_window_seconds": follow_window, "min_follow_burst": min_follow_burst},
        {
            "follows_with_time": int(known.size),
            "follow_backs_with_time": int(back.sum()),
            "max_burst": int(best.max()) if best.size else 0,
        },
        evidence,
    )


def follower_growth(
    data: CoordinationData,
    *,
    growth_days: float = 7.0,
    min_growth: int = 20,
    max_evidence: int = 20,
) -> Signal:
    """Signal 3c, follower growth after first using the hashtag (see the module docstring)."""
    name = "follower_growth"
    if data.hashtag is None:
        return _unavailable(data, name, "needs a hashtag (its users' first use)")
    if not (data.f_time != NOTIME).any():
        return _unavailable(data, name, "no follow in the store carries a time")
    t0 = data.first_use
    adopters = t0 != NOTIME
    if not adopters.any():
        return _unavailable(data, name, f"no post with a time uses #{data.hashtag}")
    G = int(growth_days * 86400 * _US)
    dst = data.f_dst
    ft = data.f_time
    on = adopters[dst]
    start = t0[dst]
    gained_e = on & (ft != NOTIME) & (ft > start) & (ft <= start + G)
    before_e = on & ((ft == NOTIME) | (ft <= start))
    gained = np.bincount(dst[gained_e], minlength=data.n)
    before = np.bincount(dst[before_e], minlength=data.n)
    s = gained / (gained + before + 1.0)
    score = np.where(adopters, s, np.nan)
    flagged = adopters & (gained >= min_growth) & (s >= 0.5)
    threshold = (
        f"at least {min_growth} followers gained within {_seconds(G)} after the first use of "
        f"#{data.hashtag}, and more than it had before"
    )
    r = np.flatnonzero(gained_e & flagged[dst])
    order = np.lexsort((ft[r], dst[r]))
    r = r[order][_first_per_group(dst[r][order], max_evidence)]
    labels = data.labels
    when = _iso(ft[r])
    details = [
        f"{labels[data.f_src[i]]} followed {labels[dst[i]]} at {when[j]}, "
        f"{_seconds(float(ft[i] - t0[dst[i]]))} after its first use of #{data.hashtag}; "
        f"{int(gained[dst[i]])} followers gained against {int(before[dst[i]])} before"
        for j, i in enumerate(r.tolist())
    ]
    evidence = _evidence(name, dst[r], "follows", r, ft[r], details, threshold)
    return Signal(
        name,
        score.astype(np.float64),
        flagged,
        {"growth_days": growth_days, "min_growth": min_growth, "min_ratio": 0.5},
        {"adopters": int(adopters.sum()), "followers_gained": int(gained.sum())},
        evidence,
    )


# -- 5. follow-back anomalies ------------------------------------------------------------


_MIN_FIT = 20  # accounts a community needs for a Beta of its own (else the global one)


def _beta_fit(rate: np.ndarray) -> tuple[float, float, float]:
    """``(median, a, b)`` of rates in [0, 1]: a Beta fitted by the method of
    moments, its variance kept below ``mean (1 - mean)``; Beta(1, 1) when there
    are too few rates or no spread."""
    if rate.size < 2:
        return (float(np.median(rate)) if rate.size else 0.0), 1.0, 1.0
    mu = float(rate.mean())
    var = float(rate.var())
    md = float(np.median(rate))
    if not 0 < mu < 1 or var <= 0:
        return md, 1.0, 1.0
    var = min(var, 0.999 * mu * (1 - mu))
    k = mu * (1 - mu) / var - 1
    return md, max(mu * k, 1e-3), max((1 - mu) * k, 1e-3)


def follow_back(
    data: CoordinationData,
    *,
    min_followers: int = 10,
    follow_back_factor: float = 2.0,
    alpha: float = 0.05,
    max_evidence: int = 20,
) -> Signal:
    """Signal 5, follow-back rate far above the community's (see the module docstring)."""
    from scipy.special import betainc
    from scipy.stats import betabinom

    name = "follow_back"
    if data.f_src.size == 0:
        return _unavailable(data, name, "the store holds no follows")
    F = np.bincount(data.f_dst, minlength=data.n)
    rec = data.reciprocated
    # M: followers followed back = the account's follows that are reciprocated
    M = np.bincount(data.f_src[rec], minlength=data.n)
    comm = data.communities
    has = F > 0
    tested = min_followers <= F
    rate = np.divide(M, F, out=np.zeros(data.n), where=has)
    # each community's rates: median, and a Beta fitted by moments (accounts
    # differ in how often they follow back; a test against one common rate
    # would flag everyone above the median who has many followers)
    glob = _beta_fit(rate[tested])
    fit = {}
    o = np.lexsort((rate, comm))
    o = o[tested[o]]
    cc = comm[o]
    bounds = np.r_[0, np.flatnonzero(np.diff(cc)) + 1, cc.size] if cc.size else np.zeros(1, int)
    for s_, e_ in itertools.pairwise(bounds):
        if e_ - s_ >= _MIN_FIT:
            fit[int(cc[s_])] = _beta_fit(rate[o[s_:e_]])
    nc = int(comm.max()) + 1 if comm.size else 0
    med_c, a_c, b_c = np.full(nc, glob[0]), np.full(nc, glob[1]), np.full(nc, glob[2])
    for c, (md, a, b) in fit.items():
        med_c[c], a_c[c], b_c[c] = md, a, b
    p_c = med_c[comm]
    # the score: where the account's rate lies in its community's Beta
    score = np.where(has, betainc(a_c[comm], b_c[comm], np.clip(rate, 0.0, 1.0)), np.nan)
    # the test, exact (beta-binomial), for the accounts far enough above the median
    cand = tested & (rate >= follow_back_factor * p_c)
    p = np.ones(data.n)
    p[cand] = betabinom.sf(M[cand] - 1, F[cand], a_c[comm][cand], b_c[comm][cand])
    m = max(int(tested.sum()), 1)
    bound = alpha / m
    flagged = cand & (p < bound)
    threshold = (
        f"at least {min_followers} followers, a follow-back rate >= {follow_back_factor} x its "
        f"community's median, and beta-binomial p < {bound:.3g} (alpha {alpha} / {m} accounts "
        "tested; the Beta fitted to the community's rates)"
    )
    rate_c = med_c
    r = np.flatnonzero(rec & flagged[data.f_src])
    src = data.f_src[r]
    order = np.argsort(src, kind="stable")
    r = r[order][_first_per_group(src[order], max_evidence)]
    labels = data.labels
    details = [
        f"{labels[data.f_src[i]]} follows back {labels[data.f_dst[i]]}; it follows back "
        f"{int(M[data.f_src[i]])} of its {int(F[data.f_src[i]])} followers (rate "
        f"{rate[data.f_src[i]]:.2f}; its community's {p_c[data.f_src[i]]:.2f}; p = "
        f"{p[data.f_src[i]]:.3g})"
        for i in r.tolist()
    ]
    evidence = _evidence(name, data.f_src[r], "follows", r, data.f_time[r], details, threshold)
    return Signal(
        name,
        score.astype(np.float64),
        flagged,
        {
            "min_followers": min_followers,
            "follow_back_factor": follow_back_factor,
            "alpha": alpha,
            "p_bound": bound,
        },
        {
            "tested": int(tested.sum()),
            "community_rates": {str(c): float(x) for c, x in enumerate(rate_c[:20])},
            "community": "hashtag users vs the rest" if data.members is not None else "louvain",
        },
        evidence,
    )


# -- 4. position drift ---------------------------------------------------------------------


def position_drift(
    data: CoordinationData,
    *,
    min_actions: int = 6,
    min_drift: float = 0.5,
    stance_tolerance: float = 0.5,
    alpha: float = 0.05,
    max_evidence: int = 20,
) -> Signal:
    """Signal 4, position drift (see the module docstring for what is used)."""
    from scipy.stats import norm

    name = "drift"
    comm = data.communities
    members = data.members
    labels = data.labels
    posts = data.posts
    use_stance = (
        "stance" in posts.column_names and posts.column("stance").null_count < posts.num_rows
    )
    if use_stance:
        stance = np.asarray(
            pc.fill_null(posts.column("stance").cast(pa.float64()), np.nan).to_numpy(),
            dtype=np.float64,
        )
        ok = (data.p_author >= 0) & (data.p_time != NOTIME) & np.isfinite(stance)
        rows = np.flatnonzero(ok)
        node = data.p_author[rows]
        t = data.p_time[rows]
        st = stance[rows]
        if members is not None:
            ref_c = np.array([np.median(st[members[node]]) if members[node].any() else np.nan])
            ref = np.full(node.size, ref_c[0])
        else:
            nc = int(comm.max()) + 1
            ref_c = np.full(nc, np.nan)
            cn = comm[node]
            o = np.argsort(cn, kind="stable")
            bounds = np.r_[0, np.flatnonzero(np.diff(cn[o])) + 1, o.size]
            for s_, e_ in itertools.pairwise(bounds):
                if e_ > s_:
                    ref_c[cn[o[s_]]] = np.median(st[o[s_:e_]])
            ref = ref_c[cn]
        x = (np.abs(st - ref) <= stance_tolerance).astype(np.float64)
        table = "posts"
        what = f"posts' stance within {stance_tolerance} of the community's median stance"
    else:
        inter = data.interactions
        kind = _str(inter.column("kind"))
        not_like = np.asarray(
            pc.fill_null(pc.not_equal(kind, "like"), False).to_numpy(zero_copy_only=False)
        )
        ok = (data.i_source >= 0) & (data.i_target >= 0) & (data.i_time != NOTIME) & not_like
        ok &= data.i_source != data.i_target
        rows = np.flatnonzero(ok)
        node = data.i_source[rows]
        t = data.i_time[rows]
        tgt = data.i_target[rows]
        if members is not None:
            x = members[tgt].astype(np.float64)
        else:
            x = (comm[tgt] == comm[node]).astype(np.float64)
        table = "interactions"
        what = "reposts, replies, quotes and mentions whose target is in the community"
    if members is not None:  # with a hashtag: drift away from its users, by its users
        keep = members[node]
        rows, node, t, x = rows[keep], node[keep], t[keep], x[keep]
    if rows.size == 0:
        return _unavailable(data, name, f"no {table} row to measure ({what})")
    order = np.lexsort((rows, t, node))
    rows, node, t, x = rows[order], node[order], t[order], x[order]
    cnt = np.bincount(node, minlength=data.n)
    start = np.r_[0, np.cumsum(cnt)[:-1]]
    k = np.arange(node.size) - start[node]
    c = cnt[node]
    half = c // 2
    early = k < half
    late = k >= c - half
    ne = np.bincount(node[early], minlength=data.n).astype(np.float64)
    nl = np.bincount(node[late], minlength=data.n).astype(np.float64)
    se_ = np.bincount(node[early], weights=x[early], minlength=data.n)
    sl_ = np.bincount(node[late], weights=x[late], minlength=data.n)
    has = (ne > 0) & (nl > 0)
    me = np.divide(se_, ne, out=np.zeros(data.n), where=has)
    ml = np.divide(sl_, nl, out=np.zeros(data.n), where=has)
    drift = me - ml
    pooled = np.divide(se_ + sl_, ne + nl, out=np.zeros(data.n), where=has)
    var = pooled * (1 - pooled) * np.divide(1.0, ne, out=np.zeros(data.n), where=has)
    var += pooled * (1 - pooled) * np.divide(1.0, nl, out=np.zeros(data.n), where=has)
    z = np.divide(drift, np.sqrt(var), out=np.zeros(data.n), where=var > 0)
    tested = cnt >= min_actions
    m = max(int(tested.sum()), 1)
    z_crit = float(norm.isf(alpha / m))
    score = np.where(has, np.maximum(drift, 0.0), np.nan)
    flagged = tested & has & (drift >= min_drift) & (z >= z_crit)
    threshold = (
        f"at least {min_actions} actions, early-minus-late share >= {min_drift} and z >= "
        f"{z_crit:.3g} (alpha {alpha} / {m} accounts tested); actions: {what}"
    )
    # evidence: the first early and the last late actions of each flagged account
    fe = flagged[node] & early
    fl = flagged[node] & late
    ke = max_evidence - max_evidence // 2
    ie = np.flatnonzero(fe)
    ie = ie[_first_per_group(node[ie], ke)]
    il = np.flatnonzero(fl)[::-1]
    il = il[_first_per_group(node[il], max_evidence // 2)][::-1]
    pick = np.sort(np.r_[ie, il])
    when = _iso(t[pick])
    details = []
    for j, i in enumerate(pick.tolist()):
        a = int(node[i])
        part = "early" if early[i] else "late"
        if use_stance:
            desc = (
                f"posted with stance {float(stance[rows[i]]):.2f}"
                f" ({'matches' if x[i] else 'does not match'} the community)"
            )
        else:
            tgt_i = int(data.i_target[rows[i]])
            kind_i = _str(data.interactions.column("kind"))[int(rows[i])].as_py()
            desc = f"{kind_i} of {labels[tgt_i]} ({'in' if x[i] else 'outside'} the community)"
        details.append(
            f"{labels[a]} {part} action at {when[j]}: {desc}; share matching early "
            f"{me[a]:.2f} vs late {ml[a]:.2f} (z = {z[a]:.2f})"
        )
    evidence = _evidence(name, node[pick], table, rows[pick], t[pick], details, threshold)
    return Signal(
        name,
        score.astype(np.float64),
        flagged,
        {
            "min_actions": min_actions,
            "min_drift": min_drift,
            "z_bound": z_crit,
            "alpha": alpha,
            **({"stance_tolerance": stance_tolerance} if use_stance else {}),
        },
        {
            "actions": int(rows.size),
            "tested": int(tested.sum()),
            "uses": what,
            "source": "posts.stance" if use_stance else "interactions",
            "community": "hashtag users" if members is not None else "louvain",
        },
        evidence,
    )


# ----------------------------------------------------------------------------- combination


def upper_tail(score: np.ndarray) -> np.ndarray:
    """Empirical upper-tail p-values: the share of accounts whose score is at
    least each one's (1 where the score is NaN)."""
    s = np.asarray(score, np.float64)
    n = s.size
    out = np.ones(n)
    ok = np.isfinite(s)
    if n == 0 or not ok.any():
        return out
    srt = np.sort(s[ok])
    at_least = srt.size - np.searchsorted(srt, s[ok], side="left")
    out[ok] = at_least / n
    return out


def combine(signals: Sequence[Signal]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The Cauchy combination of the available signals' empirical upper-tail
    p-values, truncated at 1/2 (module docstring): ``(statistic T, combined in
    [0, 1), signals used)``."""
    used = [s for s in signals if s.available and np.isfinite(s.score).any()]
    if not used:
        n = signals[0].score.size if signals else 0
        return np.zeros(n), np.zeros(n), []
    T = np.zeros(used[0].score.size)
    for s in used:
        p = np.minimum(upper_tail(s.score), 0.5)
        T += np.tan((0.5 - p) * np.pi)
    T /= len(used)
    return T, (2.0 / np.pi) * np.arctan(T), [s.name for s in used]


# ----------------------------------------------------------------------------- detection


@dataclass(frozen=True)
class Detection:
    """What :func:`detect_coordination` found.

    Attributes
    ----------
    scores : pyarrow.Table
        :data:`SCORES_COLUMNS`, one row per account, by rank.
    groups : pyarrow.Table
        :data:`GROUPS_COLUMNS`.
    evidence : pyarrow.Table
        :data:`EVIDENCE_COLUMNS`: ``table`` is posts, follows or interactions;
        ``row_id`` is a post's ``post_id``, an interaction's ``post_id`` (else
        its ``record_id``), a follow's ``follower_id→friend_id``.
    edges : pyarrow.Table
        ``platform, source_id, target_id, signal, kind, weight``: the groups' networks.
    summary : dict
        Parameters, thresholds, counts per signal, the top accounts (``detect.json``).
    signals : dict
        Each :class:`Signal`.
    """

    scores: pa.Table
    groups: pa.Table
    evidence: pa.Table
    edges: pa.Table
    summary: dict[str, Any]
    signals: dict[str, Signal] = field(repr=False)


def _row_ids(data: CoordinationData, ev: pa.Table) -> pa.Array:
    tables = ev.column("table").to_pylist()
    rows = ev.column("row").to_numpy()
    out: list[str | None] = [None] * len(tables)
    post_ids = _str(data.posts.column("post_id"))
    inter = data.interactions
    ip = _str(inter.column("post_id")) if "post_id" in inter.column_names else None
    ir = _str(inter.column("record_id")) if "record_id" in inter.column_names else None
    ids = data.index.account_id
    for name in _TABLES:
        sel = np.flatnonzero(np.asarray([t == name for t in tables], bool))
        if sel.size == 0:
            continue
        r = pa.array(rows[sel])
        if name == "posts":
            vals = post_ids.take(r).to_pylist()
        elif name == "interactions":
            a = ip.take(r).to_pylist() if ip is not None else [None] * sel.size
            b = ir.take(r).to_pylist() if ir is not None else [None] * sel.size
            vals = [x if x is not None else y for x, y in zip(a, b, strict=True)]
        else:
            fsrc = ids.take(pa.array(data.f_src[rows[sel]])).to_pylist()
            fdst = ids.take(pa.array(data.f_dst[rows[sel]])).to_pylist()
            vals = [f"{x}→{y}" for x, y in zip(fsrc, fdst, strict=True)]
        for i, v in zip(sel.tolist(), vals, strict=True):
            out[i] = v
    return pa.array(out, pa.string())


def detect_coordination(
    accounts: pa.Table,
    follows: pa.Table,
    posts: pa.Table,
    interactions: pa.Table,
    params: DetectParams | None = None,
    **overrides: Any,
) -> Detection:
    """Every signal, the combination, groups and evidence (module docstring).

    Parameters
    ----------
    accounts, follows, posts, interactions : pyarrow.Table
        Canonical tables (:mod:`mutuals.tables`); ``posts`` may carry an extra
        numeric ``stance`` column (a post's position), which the drift signal
        then reads.
    params : DetectParams, optional
        The parameters; keyword ``overrides`` replace single ones
        (``hashtag="vote"``).

    Examples
    --------
    >>> import pyarrow as pa
    >>> from mutuals.tables import empty_table
    >>> acc = pa.table({"platform": ["x", "x"], "account_id": ["a", "b"]})
    >>> d = detect_coordination(acc, empty_table("follows"), empty_table("posts"),
    ...                         empty_table("interactions"))
    >>> d.scores.column_names[:4], d.summary["flagged"]
    (['account_id', 'platform', 'handle', 'arrival'], 0)
    """
    p = DetectParams(**{**asdict(params or DetectParams()), **overrides}).checked()
    data = prepare(accounts, follows, posts, interactions, hashtag=p.hashtag, seed=p.seed)
    if p.hashtag is not None and not bool(data.members.any()):  # type: ignore[union-attr]
        raise InputError(f"no post in the data uses #{p.hashtag}; check the hashtag's spelling")
    E = p.max_evidence
    signals = {
        "arrival": coordinated_arrival(
            data, window=p.window, window_quantile=p.window_quantile, background=p.background,
            min_background=p.min_background, min_burst=p.min_burst,
            burst_factor=p.burst_factor, alpha=p.alpha, max_evidence=E,
        ),
        "coaction": co_action(
            data, co_window=p.co_window, min_coactions=p.min_coactions,
            min_overlap=p.min_overlap, min_occasions=p.min_occasions,
            max_window_actions=p.max_window_actions, max_group=p.max_group, seed=p.seed,
            max_evidence=E,
        ),
        "follow_core": follow_core(
            data, min_core=p.min_core, core_factor=p.core_factor, max_group=p.max_group,
            seed=p.seed, max_evidence=E,
        ),
        "follow_burst": follow_bursts(
            data, follow_window=p.follow_window, min_follow_burst=p.min_follow_burst,
            max_evidence=E,
        ),
        "follower_growth": follower_growth(
            data, growth_days=p.growth_days, min_growth=p.min_growth, max_evidence=E
        ),
        "follow_back": follow_back(
            data, min_followers=p.min_followers, follow_back_factor=p.follow_back_factor,
            alpha=p.alpha, max_evidence=E,
        ),
        "drift": position_drift(
            data, min_actions=p.min_actions, min_drift=p.min_drift,
            stance_tolerance=p.stance_tolerance, alpha=p.alpha, max_evidence=E,
        ),
    }  # fmt: skip
    return assemble(data, signals, p)


def assemble(
    data: CoordinationData, signals: Mapping[str, Signal], params: DetectParams
) -> Detection:
    """The :class:`Detection` of computed signals: combination, ranks, tables, summary."""
    sigs = [signals[s] for s in SIGNALS]
    T, combined, used = combine(sigs)
    n = data.n
    flag_matrix = (
        np.stack([s.flagged for s in sigs], axis=1) if n else np.zeros((0, len(sigs)), bool)
    )
    rank_order = np.lexsort((np.arange(n), -T, -flag_matrix.sum(axis=1)))
    rank = np.empty(n, np.int64)
    rank[rank_order] = np.arange(1, n + 1)
    flagged = np.asarray(flag_matrix.any(axis=1), bool)
    flags = [",".join(SIGNALS[j] for j in np.flatnonzero(row)) for row in flag_matrix]
    take = pa.array(rank_order)
    cols: dict[str, Any] = {
        "account_id": data.index.account_id.take(take),
        "platform": data.index.platform.take(take),
        "handle": data.handle.take(take),
    }
    for s in sigs:
        cols[s.name] = pa.array(s.score[rank_order], pa.float64())
    cols["combined"] = pa.array(combined[rank_order], pa.float64())
    cols["rank"] = pa.array(rank[rank_order], pa.int64())
    cols["flagged"] = pa.array(flagged[rank_order], pa.bool_())
    cols["flags"] = pa.array([flags[i] for i in rank_order.tolist()], pa.string())
    scores = pa.table(cols)
    # groups
    g_id, g_sig, g_node = [], [], []
    for s in sigs:
        for gid, nodes in s.groups:
            g_id += [gid] * nodes.size
            g_sig += [s.name] * nodes.size
            g_node.append(nodes)
    gn = np.concatenate(g_node) if g_node else np.zeros(0, np.int64)
    groups = pa.table(
        {
            "group_id": pa.array(g_id, pa.string()),
            "signal": pa.array(g_sig, pa.string()),
            "platform": data.index.platform.take(pa.array(gn)),
            "account_id": data.index.account_id.take(pa.array(gn)),
        }
    )
    # evidence, by rank of the account
    ev = pa.concat_tables([s.evidence for s in sigs if s.evidence.num_rows] or [_no_evidence()])
    if ev.num_rows:
        node = ev.column("node").to_numpy()
        sig_pos = np.asarray([SIGNALS.index(x) for x in ev.column("signal").to_pylist()])
        order = np.lexsort((np.arange(node.size), sig_pos, rank[node]))
        ev = ev.take(pa.array(order))
    node = ev.column("node").to_numpy() if ev.num_rows else np.zeros(0, np.int64)
    t = ev.column("time").to_numpy() if ev.num_rows else np.zeros(0, np.int64)
    evidence = pa.table(
        {
            "account_id": data.index.account_id.take(pa.array(node)),
            "platform": data.index.platform.take(pa.array(node)),
            "signal": ev.column("signal"),
            "table": ev.column("table"),
            "row_id": _row_ids(data, ev),
            "time": pa.array(np.where(t == NOTIME, 0, t), _TS, mask=t == NOTIME),
            "detail": ev.column("detail"),
            "threshold": ev.column("threshold"),
        }
    )
    # the groups' networks
    e_u, e_v, e_w, e_s, e_k = [], [], [], [], []
    for s in sigs:
        if s.edges is None or s.edges[0].size == 0:
            continue
        u, v, w, kinds = s.edges
        e_u.append(u)
        e_v.append(v)
        e_w.append(w)
        e_s += [s.name] * u.size
        e_k += list(kinds)
    eu = np.concatenate(e_u) if e_u else np.zeros(0, np.int64)
    evv = np.concatenate(e_v) if e_v else np.zeros(0, np.int64)
    edges = pa.table(
        {
            "platform": data.index.platform.take(pa.array(eu)),
            "source_id": data.index.account_id.take(pa.array(eu)),
            "target_id": data.index.account_id.take(pa.array(evv)),
            "signal": pa.array(e_s, pa.string()),
            "kind": pa.array(e_k, pa.string()),
            "weight": pa.array(np.concatenate(e_w) if e_w else np.zeros(0), pa.float64()),
        }
    )
    top = []
    for i in rank_order[: min(20, n)].tolist():
        top.append(
            {
                "account_id": data.index.account_id[i].as_py(),
                "platform": data.index.platform[i].as_py(),
                "handle": data.handle[i].as_py(),
                "combined": float(combined[i]),
                "rank": int(rank[i]),
                "flags": flags[i],
                **{
                    s.name: (None if not math.isfinite(s.score[i]) else float(s.score[i]))
                    for s in sigs
                },
            }
        )
    summary = {
        "format": "mutuals-detection",
        "version": 1,
        "parameters": asdict(params),
        "accounts": n,
        "flagged": int(flagged.sum()),
        "signals": {
            s.name: {
                "available": s.available,
                "note": s.note,
                "flagged": int(s.flagged.sum()),
                "scored": int(np.isfinite(s.score).sum()),
                "thresholds": s.thresholds,
                "counts": s.counts,
                "groups": len(s.groups),
            }
            for s in sigs
        },
        "combined": {
            "method": "Cauchy combination (Liu & Xie 2020) of the signals' empirical "
            "upper-tail p-values, truncated at 1/2",
            "rank": "by the number of signals flagging the account, then the combination",
            "signals_used": used,
        },
        "groups": len(set(g_id)),
        "evidence_rows": evidence.num_rows,
        "skipped": data.skipped,
        "top": top,
    }
    return Detection(scores, groups, evidence, edges, summary, dict(signals))


def coordination_graph(detection: Detection) -> Any:
    """The coordinated groups' networks as a :class:`networkx.Graph`.

    Nodes are the accounts of every group (``account_id`` as the node, or
    ``platform:account_id`` when the data holds several platforms; attributes
    ``platform``, ``handle``, ``combined``, ``rank``, ``flags`` and ``groups``,
    the group ids joined by spaces); edges are co-action pairs and mutual
    follows among them (attributes ``signal``, ``kind``, ``weight``; a pair
    found by both signals keeps the first, co-action). Accounts of an arrival
    burst have no edges of their own: they share a group id.
    """
    import networkx as nx

    g = nx.Graph()
    sc = detection.scores
    by_id = {
        (p, a): i
        for i, (p, a) in enumerate(
            zip(sc.column("platform").to_pylist(), sc.column("account_id").to_pylist(), strict=True)
        )
    }
    member_groups: dict[tuple[str, str], list[str]] = {}
    gr = detection.groups
    for gid, p, a in zip(
        gr.column("group_id").to_pylist(),
        gr.column("platform").to_pylist(),
        gr.column("account_id").to_pylist(),
        strict=True,
    ):
        member_groups.setdefault((p, a), []).append(gid)
    handles = sc.column("handle").to_pylist()
    comb = sc.column("combined").to_pylist()
    rank = sc.column("rank").to_pylist()
    flags = sc.column("flags").to_pylist()
    several = len(set(sc.column("platform").to_pylist())) > 1

    def node(p: str, a: str) -> str:
        return f"{p}:{a}" if several else a

    for key, gids in member_groups.items():
        i = by_id[key]
        g.add_node(
            node(*key), platform=key[0], handle=handles[i] or "", combined=float(comb[i]),
            rank=int(rank[i]), flags=flags[i] or "", groups=" ".join(gids),
        )  # fmt: skip
    ed = detection.edges
    for plat, src, dst, sig, kind, w in zip(
        ed.column("platform").to_pylist(),
        ed.column("source_id").to_pylist(),
        ed.column("target_id").to_pylist(),
        ed.column("signal").to_pylist(),
        ed.column("kind").to_pylist(),
        ed.column("weight").to_pylist(),
        strict=True,
    ):
        a, b = node(plat, src), node(plat, dst)
        if a in g and b in g and not g.has_edge(a, b):
            g.add_edge(a, b, signal=sig, kind=kind, weight=float(w))
    return g
