"""Reconstructed chronological home feeds, and their repetition and outside exposure.

A store that holds follows and posts tells what each account's chronological
home timeline would have shown: the posts written by the accounts it follows,
newest first. :func:`reconstruct_home_feeds` rebuilds the top ``k`` of every
such feed as of a time ``at``; :func:`grouped_repetition` and
:func:`grouped_outside_share` measure each feed (or any grouped list of items,
such as the simulator's read logs); :func:`home_feed_measures` does all of it
from the canonical ``posts`` table.

Conventions
-----------
* Items are rows of the ``posts`` table: originals, reposts and quotes.
  Replies are left out, as the home timelines of X, Bluesky and Mastodon
  mostly hide replies to accounts one does not follow, and the data does not
  say which replies were shown. Posts without a time or without a known
  author are left out too.
* A feed holds the ``k`` newest items written at or before ``at`` by the
  account's friends (never its own posts), ordered by time, ties by the lower
  row number first. The follow graph is the one of the data (the store's
  follows at the time it was collected), used for every ``at``.
* The *root* of an item is the reposted post for a repost (one hop, found by
  ``repost_of_id`` among the posts), else the item itself. Its *source* is
  the root's author: for a repost, the original's author when the data knows
  it (the original post, else the ``target_id`` of the repost's interaction
  row), else the reposter. A quote is its quoter's own post.
* The *topic* of a post is its first hashtag, lower-cased and without ``#``;
  posts without a hashtag form one more category, "no hashtag". An item's
  topic is its root's. ``K``, the number of possible topics, is the number of
  distinct topic categories among all posts of the data (the simulator's
  ``n_topics``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mutuals.errors import InputError
from mutuals.kernels import homefeed as kh
from mutuals.metrics._tables import (
    account_keys,
    gather,
    require_columns,
    single_platform,
    to_numpy_int,
)
from mutuals.metrics.graph import FollowGraph

__all__ = [
    "FeedPosts",
    "HomeFeedMeasures",
    "HomeFeeds",
    "feed_posts",
    "grouped_outside_share",
    "grouped_repetition",
    "home_feed_by_community",
    "home_feed_measures",
    "reconstruct_home_feeds",
]

#: Name of the topic category of posts without a hashtag.
NO_HASHTAG = "(no hashtag)"

_TS = pa.timestamp("us", tz="UTC")


# ----------------------------------------------------------------------------- feeds


@dataclass(frozen=True)
class HomeFeeds:
    """The reconstructed home feed of every account, as CSR.

    Attributes
    ----------
    ptr : numpy.ndarray
        int64, ``n_accounts + 1`` entries: account ``i``'s feed is
        ``items[ptr[i]:ptr[i + 1]]``.
    items : numpy.ndarray
        int64 rows of the posts arrays, newest first within each feed.
    k : int
        Items per feed at most.
    at : int or None
        The cutoff time (same unit as the times given); None for none.
    candidates : int
        Eligible rows by known authors written at or before ``at``: the posts
        that could appear in a feed.
    """

    ptr: np.ndarray = field(repr=False)
    items: np.ndarray = field(repr=False)
    k: int
    at: int | None
    candidates: int = 0

    @property
    def lengths(self) -> np.ndarray:
        """Items in each account's feed."""
        return np.diff(self.ptr)


def _check_k(k: object) -> int:
    if not isinstance(k, int | np.integer) or isinstance(k, bool) or k < 1:
        raise InputError(f"k (items per home feed) must be an integer >= 1, got {k!r}")
    return int(k)


def _friends_csr(graph: FollowGraph) -> tuple[np.ndarray, np.ndarray]:
    """``(ptr, friends)``: the accounts each account follows, as CSR."""
    n = graph.n_accounts
    follower = np.asarray(graph.follower, dtype=np.int64)
    friend = np.asarray(graph.friend, dtype=np.int64)
    if follower.size > 1 and np.any(follower[1:] < follower[:-1]):
        order = np.argsort(follower, kind="stable")
        follower, friend = follower[order], friend[order]
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(follower, minlength=n), out=ptr[1:])
    return ptr, friend


def reconstruct_home_feeds(
    graph: FollowGraph,
    author: np.ndarray,
    time: np.ndarray,
    *,
    k: int = 50,
    at: int | None = None,
    eligible: np.ndarray | None = None,
) -> HomeFeeds:
    """The ``k`` newest posts by each account's friends, written at or before ``at``.

    Definition: for account ``i`` with friends ``F(i)`` (the accounts it
    follows in ``graph``), the candidate items are the rows ``r`` with
    ``author[r]`` in ``F(i)``, ``time[r] <= at`` and ``eligible[r]``; the feed
    is the first ``k`` of them ordered by ``time`` descending, ties by ``r``
    ascending: the reverse-chronological home timeline (the ranking of X's
    "Following" and Bluesky's "Following" feeds). Computed by a k-way merge of
    the friends' newest ``k`` posts (:func:`mutuals.kernels.homefeed.merge_home_feeds`),
    in ``O(L + n k log d)`` time for ``L`` follows, memory bounded by the output.

    Parameters
    ----------
    graph : FollowGraph
        Follow graph; accounts are its integer ids.
    author : array of int
        Author id (in ``graph``) of each post row; -1 where unknown.
    time : array of int
        Time of each post row (UTC microseconds in the canonical tables).
    k : int
        Items per feed at most (>= 1).
    at : int, optional
        Only rows with ``time <= at``; default: every row (the latest post).
    eligible : array of bool, optional
        Rows that may appear in feeds (:func:`feed_posts` leaves out replies
        and rows without a time); default: every row.

    Returns
    -------
    HomeFeeds

    Examples
    --------
    >>> import pyarrow as pa
    >>> from mutuals.metrics.graph import follow_graph
    >>> g = follow_graph(pa.table({"platform": ["x"] * 3, "account_id": ["a", "b", "c"]}),
    ...                  pa.table({"platform": ["x", "x"], "follower_id": ["a", "a"],
    ...                            "friend_id": ["b", "c"]}))
    >>> f = reconstruct_home_feeds(g, np.array([1, 2, 1]), np.array([10, 20, 30]), k=2)
    >>> f.items[f.ptr[0]:f.ptr[1]].tolist()
    [2, 1]
    """
    k = _check_k(k)
    n = graph.n_accounts
    author = np.asarray(author, dtype=np.int64)
    time = np.asarray(time, dtype=np.int64)
    if author.ndim != 1 or time.shape != author.shape:
        raise InputError(
            f"author and time need one entry per post row, got shapes {author.shape} "
            f"and {time.shape}"
        )
    if author.size and (author.max() >= n or author.min() < -1):
        raise InputError(f"author ids must lie in -1..{n - 1} (-1: unknown)")
    ok = author >= 0
    if eligible is not None:
        el = np.asarray(eligible, dtype=bool)
        if el.shape != author.shape:
            raise InputError("eligible needs one entry per post row")
        ok &= el
    if at is not None:
        ok &= time <= at
    candidates = int(ok.sum())
    ok[ok] = graph.in_degree[author[ok]] > 0  # authors nobody follows reach no feed
    rows = np.flatnonzero(ok)
    a, t = author[rows], time[rows]
    order = np.lexsort((rows, -t, a))
    rows, a, t = rows[order], a[order], t[order]
    per_author = np.bincount(a, minlength=n)
    start = np.zeros(n, dtype=np.int64)
    np.cumsum(per_author[:-1], out=start[1:])
    keep = np.arange(rows.size) - start[a] < k  # an author's k newest are all that can show
    rows, t = rows[keep], t[keep]
    aptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.minimum(per_author, k), out=aptr[1:])
    fptr, fnbr = _friends_csr(graph)
    ptr, items = kh.merge_home_feeds(fptr, fnbr, aptr, rows, t, k)
    return HomeFeeds(ptr, items, k, None if at is None else int(at), candidates)


def _reference_home_feeds(
    graph: FollowGraph,
    author: np.ndarray,
    time: np.ndarray,
    *,
    k: int = 50,
    at: int | None = None,
    eligible: np.ndarray | None = None,
) -> HomeFeeds:
    """Slow, obviously correct twin of :func:`reconstruct_home_feeds` (for tests)."""
    by_author: dict[int, list[int]] = defaultdict(list)
    for r, a in enumerate(author.tolist()):
        if a < 0 or (eligible is not None and not eligible[r]):
            continue
        if at is not None and time[r] > at:
            continue
        by_author[a].append(r)
    friends: dict[int, list[int]] = defaultdict(list)
    for u, v in zip(graph.follower.tolist(), graph.friend.tolist(), strict=True):
        friends[u].append(v)
    ptr, items = [0], []
    candidates = sum(len(v) for v in by_author.values())
    for i in range(graph.n_accounts):
        cand = [r for f in friends[i] for r in by_author[f]]
        cand.sort(key=lambda r: (-int(time[r]), r))
        items.extend(cand[:k])
        ptr.append(len(items))
    return HomeFeeds(np.array(ptr, np.int64), np.array(items, np.int64), k, at, candidates)


# ----------------------------------------------------------------------------- measures


def _check_csr(ptr: np.ndarray, size: int, what: str) -> np.ndarray:
    ptr = np.asarray(ptr, dtype=np.int64)
    if ptr.ndim != 1 or ptr.size < 1 or ptr[0] != 0 or ptr[-1] != size:
        raise InputError(
            f"ptr must be a CSR pointer array: starts at 0 and ends at the number of {what} "
            f"({size})"
        )
    if np.any(np.diff(ptr) < 0):
        raise InputError("ptr must be non-decreasing")
    return ptr


def grouped_repetition(
    ptr: np.ndarray, categories: np.ndarray, n_categories: int | None = None
) -> np.ndarray:
    """Repetition ``1 - H / ln(min(n, K))`` of each group of items.

    Definition: group ``g`` holds items ``ptr[g] .. ptr[g + 1] - 1`` with
    categories ``categories[...]``; with ``n`` items and ``c_j`` of them in
    category ``j``, ``H = -sum_j (c_j / n) ln(c_j / n)`` (Shannon 1948) and the
    normalised entropy is ``H / ln(min(n, K))`` (Pielou's evenness, 1966, over
    the most categories ``n`` items can fill), ``K = n_categories`` or, when
    None, ``K = n`` (sources: every item may have its own). Repetition is one
    minus it: 0 for items spread as evenly as they can be, 1 for items all of
    one category. The normalised entropy is taken as 0 (repetition 1) when
    ``min(n, K) <= 1`` with ``n >= 2``; repetition is NaN for groups of fewer
    than two items. This is the simulator's feed repetition (MODEL.md, claim
    C7): topics with ``K = n_topics``, sources with ``K = n``.

    Parameters
    ----------
    ptr : array of int
        CSR pointer, ``n_groups + 1`` entries from 0 to ``len(categories)``.
    categories : array of int
        Category code (>= 0) of each item.
    n_categories : int, optional
        Number of possible categories ``K`` (>= 1); None: ``K = n`` per group.

    Returns
    -------
    numpy.ndarray
        float64 repetition of each group, in [0, 1] or NaN.

    Examples
    --------
    >>> grouped_repetition(np.array([0, 4, 8, 9]), np.array([3, 3, 3, 3, 0, 1, 2, 3, 2]), 4)
    array([ 1.,  0., nan])
    """
    cat = np.asarray(categories, dtype=np.int64)
    if cat.ndim != 1:
        raise InputError("categories must be a 1-d array of integer codes")
    ptr = _check_csr(ptr, cat.size, "items")
    if cat.size and cat.min() < 0:
        raise InputError("category codes must be >= 0")
    if n_categories is not None:
        if not isinstance(n_categories, int | np.integer) or n_categories < 1:
            raise InputError(f"n_categories must be an integer >= 1, got {n_categories!r}")
        if cat.size and cat.max() >= n_categories:
            raise InputError(f"category codes must lie below n_categories ({n_categories})")
    g = ptr.size - 1
    n = np.diff(ptr)
    out = np.full(g, np.nan)
    if cat.size == 0:
        return out
    m = int(cat.max()) + 1
    if g * m >= 2**62:  # codes that would overflow: make them dense first
        cat = np.unique(cat, return_inverse=True)[1].astype(np.int64)
        m = int(cat.max()) + 1
    code = np.repeat(np.arange(g, dtype=np.int64), n) * m + cat
    if g * m <= 4 * cat.size + 2**20:  # few (group, category) pairs: count them directly
        count = np.bincount(code, minlength=g * m)
        pair = np.flatnonzero(count)
        count = count[pair]
    else:
        pair, count = np.unique(code, return_counts=True)
    pg = pair // m
    p = count / n[pg]
    h = np.bincount(pg, weights=-p * np.log(p), minlength=g)
    kk = n if n_categories is None else np.minimum(n, n_categories)
    measured = n >= 2
    spread = measured & (kk > 1)
    out[measured] = 1.0
    out[spread] = 1.0 - h[spread] / np.log(kk[spread])
    return np.clip(out, 0.0, 1.0)


def _reference_repetition(items: list[int], n_categories: int | None) -> float:
    """Slow twin of one group of :func:`grouped_repetition` (for tests)."""
    n = len(items)
    if n < 2:
        return float("nan")
    counts: dict[int, int] = defaultdict(int)
    for c in items:
        counts[c] += 1
    h = -sum(c / n * np.log(c / n) for c in counts.values())
    kk = n if n_categories is None else min(n, n_categories)
    return 1.0 if kk <= 1 else float(1.0 - h / np.log(kk))


def grouped_outside_share(
    ptr: np.ndarray, item_labels: np.ndarray, group_labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Share of each group's items whose community differs from the group's.

    Definition: for group (account) ``i`` with community ``c_i`` and items of
    communities ``c_r`` (the community of the item's source), ``s_i = #{r :
    c_r != c_i} / #{r}`` over its items of known community: the cross-cutting
    exposure of Bakshy, Messing & Adamic (2015, *Science* 348:1130), counted
    on the items of a feed rather than on follow edges (as
    :func:`mutuals.metrics.isolation.outside_exposure` does). Items of unknown
    community (-1) are left out; ``s_i`` is NaN when ``c_i`` is unknown or no
    item is labelled.

    Parameters
    ----------
    ptr : array of int
        CSR pointer over groups.
    item_labels : array of int
        Community code of each item's source (-1 unknown).
    group_labels : array of int
        Community code of each group (-1 unknown).

    Returns
    -------
    share : numpy.ndarray
        float64 per group, in [0, 1] or NaN.
    outside, labelled : numpy.ndarray
        int64 per group: items from another community, items of known community
        (both 0 for a group of unknown community), for pooling.
    """
    il = np.asarray(item_labels, dtype=np.int64)
    gl = np.asarray(group_labels, dtype=np.int64)
    ptr = _check_csr(ptr, il.size, "items")
    g = ptr.size - 1
    if gl.shape != (g,):
        raise InputError(f"group_labels needs one label per group ({g}), got shape {gl.shape}")
    grp = np.repeat(np.arange(g, dtype=np.int64), np.diff(ptr))
    rl = gl[grp]
    known = (rl >= 0) & (il >= 0)
    labelled = np.bincount(grp[known], minlength=g).astype(np.int64)
    outside = np.bincount(grp[known & (il != rl)], minlength=g).astype(np.int64)
    share = np.divide(outside, labelled, out=np.full(g, np.nan), where=(labelled > 0) & (gl >= 0))
    return share, outside, labelled


# ----------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class FeedPosts:
    """The columns of ``posts`` that home feeds need, as arrays over its rows.

    Attributes
    ----------
    author : numpy.ndarray
        int64 author id in the graph (-1 unknown).
    time : numpy.ndarray
        int64 UTC microseconds (0 where null; such rows are not eligible).
    eligible : numpy.ndarray
        bool: may appear in feeds (not a reply, has a time).
    topic : numpy.ndarray
        int64 topic category of the row's root, ``0 .. n_topics - 1``.
    topic_names : list of str
        Name of each category (the hashtag, or :data:`NO_HASHTAG`).
    source : numpy.ndarray
        int64 code of the root's author (codes are arbitrary; -1 unknown).
    source_node : numpy.ndarray
        int64 graph id of the root's author (-1 when not in the graph).
    replies, without_time : int
        Rows left out as replies / (other rows) for lack of a time.
    latest : int or None
        The latest time of any post (replies too); None when none has a time.
    """

    author: np.ndarray = field(repr=False)
    time: np.ndarray = field(repr=False)
    eligible: np.ndarray = field(repr=False)
    topic: np.ndarray = field(repr=False)
    topic_names: list[str] = field(repr=False)
    source: np.ndarray = field(repr=False)
    source_node: np.ndarray = field(repr=False)
    replies: int
    without_time: int
    latest: int | None

    @property
    def n_topics(self) -> int:
        """``K``: distinct topic categories among all posts."""
        return len(self.topic_names)


def _flat(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    return col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col


def _first_hashtags(tags: pa.Array, m: int) -> pa.Array:
    """Each row's first non-empty hashtag, lower-cased without ``#`` (null: none)."""
    first = pa.nulls(m, pa.string())
    if m == 0 or len(tags) == 0:
        return first
    flat = pc.utf8_lower(pc.utf8_trim(pc.list_flatten(tags).cast(pa.string()), "# \t\n"))
    parent = np.asarray(pc.list_parent_indices(tags).to_numpy(), dtype=np.int64)
    ok = np.asarray(
        pc.fill_null(pc.greater(pc.utf8_length(flat), 0), False).to_numpy(zero_copy_only=False)
    )
    rows, at = np.unique(parent[ok], return_index=True)
    pos = np.full(m, -1, dtype=np.int64)
    pos[rows] = np.flatnonzero(ok)[at]
    return flat.take(pa.array(pos, mask=pos < 0))


def feed_posts(
    posts: pa.Table, graph: FollowGraph, interactions: pa.Table | None = None
) -> FeedPosts:
    """Authors, times, eligibility, topics and sources of the rows of ``posts``.

    See the module docstring for the conventions (replies left out; roots,
    sources and topics). ``interactions`` supplies the original's author of a
    repost whose original is not among the posts (its ``repost`` row's
    ``target_id``).
    """
    cols = ["platform", "post_id", "author_id", "created_at", "kind", "repost_of_id", "hashtags"]
    require_columns(posts, "posts", cols)
    m = posts.num_rows
    plat = _flat(posts.column("platform")).cast(pa.string())
    author_id = _flat(posts.column("author_id")).cast(pa.string())
    author = graph.index.lookup(plat, author_id)
    created = _flat(posts.column("created_at")).cast(_TS)
    has_time = np.asarray(pc.is_valid(created).to_numpy(zero_copy_only=False), dtype=bool)
    time = to_numpy_int(created.cast(pa.int64()), fill=0)
    kind = _flat(posts.column("kind")).cast(pa.string())
    is_reply = np.asarray(
        pc.fill_null(pc.equal(kind, "reply"), False).to_numpy(zero_copy_only=False), dtype=bool
    )
    ref = _flat(posts.column("repost_of_id")).cast(pa.string())
    is_repost = np.asarray(
        pc.fill_null(pc.equal(kind, "repost"), False).to_numpy(zero_copy_only=False), dtype=bool
    )
    qualify = not single_platform(plat)
    post_keys = account_keys(plat, _flat(posts.column("post_id")), qualify=qualify)
    orig = to_numpy_int(pc.index_in(account_keys(plat, ref, qualify=qualify), post_keys))
    found = is_repost & (orig >= 0)
    root = np.where(found, orig, np.arange(m, dtype=np.int64))
    root_author = author_id.take(pa.array(root))
    missing = is_repost & ~found
    if interactions is not None and missing.any() and interactions.num_rows:
        require_columns(interactions, "interactions", ["platform", "kind", "post_id", "target_id"])
        rep = interactions.filter(
            pc.and_(
                pc.equal(interactions.column("kind"), "repost"),
                pc.and_(
                    pc.is_valid(interactions.column("post_id")),
                    pc.is_valid(interactions.column("target_id")),
                ),
            )
        )
        if rep.num_rows:
            ikeys = account_keys(rep.column("platform"), rep.column("post_id"), qualify=qualify)
            pos = to_numpy_int(pc.index_in(post_keys, ikeys))
            use = missing & (pos >= 0)
            target = _flat(rep.column("target_id")).cast(pa.string())
            via = target.take(pa.array(np.where(use, pos, 0), mask=~use))
            root_author = pc.coalesce(via, root_author)
    root_author = pc.coalesce(root_author, author_id)  # an original of unknown author: reposter
    source_keys = account_keys(plat, root_author, qualify=qualify)
    source = to_numpy_int(pc.dictionary_encode(source_keys).indices.cast(pa.int64()))
    source_node = graph.index.lookup(plat, root_author)
    first = pc.fill_null(_first_hashtags(_flat(posts.column("hashtags")), m), NO_HASHTAG)
    enc = pc.dictionary_encode(first)
    own_topic = to_numpy_int(enc.indices.cast(pa.int64()))
    return FeedPosts(
        author=author,
        time=time,
        eligible=has_time & ~is_reply,
        topic=own_topic[root],
        topic_names=enc.dictionary.to_pylist(),
        source=source,
        source_node=source_node,
        replies=int(is_reply.sum()),
        without_time=int((~has_time & ~is_reply).sum()),
        latest=int(time[has_time].max()) if has_time.any() else None,
    )


@dataclass(frozen=True)
class HomeFeedMeasures:
    """Repetition and outside exposure of every account's reconstructed home feed.

    Attributes
    ----------
    feeds : HomeFeeds
        The feeds (``at`` resolved to the latest post time by default).
    posts : FeedPosts
        The post arrays they index.
    items : numpy.ndarray
        int64 items in each account's feed.
    topic_repetition, source_repetition, repetition : numpy.ndarray
        float64 per account (:func:`grouped_repetition`); ``repetition`` is the
        mean of the two; NaN for feeds of fewer than two items.
    outside_share : numpy.ndarray
        float64 per account (:func:`grouped_outside_share`); NaN without labels.
    outside, labelled : numpy.ndarray
        int64 per account: items from another community / of known community.
    """

    feeds: HomeFeeds = field(repr=False)
    posts: FeedPosts = field(repr=False)
    items: np.ndarray = field(repr=False)
    topic_repetition: np.ndarray = field(repr=False)
    source_repetition: np.ndarray = field(repr=False)
    repetition: np.ndarray = field(repr=False)
    outside_share: np.ndarray = field(repr=False)
    outside: np.ndarray = field(repr=False)
    labelled: np.ndarray = field(repr=False)


def home_feed_measures(
    posts: pa.Table,
    graph: FollowGraph,
    labels: np.ndarray | None = None,
    *,
    k: int = 50,
    at: int | None = None,
    interactions: pa.Table | None = None,
) -> HomeFeedMeasures:
    """Reconstruct every account's home feed from ``posts`` and measure it.

    Parameters
    ----------
    posts : pyarrow.Table
        Canonical ``posts`` table.
    graph : FollowGraph
        Follow graph of the same data.
    labels : array of int, optional
        Community code of each account of ``graph`` (-1 unknown), for the
        outside share; without it the share is NaN.
    k : int
        Items per feed at most.
    at : int, optional
        Cutoff (UTC microseconds); default: the latest post time in ``posts``.
    interactions : pyarrow.Table, optional
        Canonical ``interactions``, for the authors of reposted posts absent
        from ``posts`` (see :func:`feed_posts`).
    """
    k = _check_k(k)
    fp = feed_posts(posts, graph, interactions)
    n = graph.n_accounts
    if at is None:
        at = fp.latest
    feeds = reconstruct_home_feeds(graph, fp.author, fp.time, k=k, at=at, eligible=fp.eligible)
    topic_rep = grouped_repetition(feeds.ptr, fp.topic[feeds.items], fp.n_topics)
    source_rep = grouped_repetition(feeds.ptr, fp.source[feeds.items])
    if labels is not None:
        lab = np.asarray(labels, dtype=np.int64)
        if lab.shape != (n,):
            raise InputError(f"need one community label per account ({n}), got {lab.shape}")
        item_lab = gather(lab, fp.source_node[feeds.items], -1)
        share, outside, labelled = grouped_outside_share(feeds.ptr, item_lab, lab)
    else:
        share = np.full(n, np.nan)
        outside = labelled = np.zeros(n, dtype=np.int64)
    return HomeFeedMeasures(
        feeds=feeds,
        posts=fp,
        items=feeds.lengths,
        topic_repetition=topic_rep,
        source_repetition=source_rep,
        repetition=(topic_rep + source_rep) / 2,
        outside_share=share,
        outside=outside,
        labelled=labelled,
    )


def _group_mean(lab_ok: np.ndarray, x: np.ndarray, k: int) -> np.ndarray:
    ok = np.isfinite(x)
    s = np.bincount(lab_ok[ok], weights=x[ok], minlength=k + 1)[:k]
    c = np.bincount(lab_ok[ok], minlength=k + 1)[:k]
    return np.divide(s, c, out=np.full(k, np.nan), where=c > 0)


def home_feed_by_community(
    m: HomeFeedMeasures, labels: np.ndarray, names: list[str] | None = None
) -> pa.Table:
    """Per community: its members' feeds, pooled and averaged.

    Columns ``community, members, accounts_with_feed, items, labelled_items,
    outside_items, outside_share`` (pooled: outside over labelled items of its
    members' feeds), ``mean_account_outside_share, mean_topic_repetition,
    mean_source_repetition, mean_repetition`` (means over members where defined).
    """
    lab = np.asarray(labels, dtype=np.int64)
    k = int(lab.max()) + 1 if lab.size and lab.max() >= 0 else 0
    lab_ok = np.where(lab >= 0, lab, k)

    def total(x: np.ndarray) -> np.ndarray:
        return np.bincount(lab_ok, weights=x, minlength=k + 1)[:k].astype(np.int64)

    lab_items, out_items = total(m.labelled), total(m.outside)
    names = names if names is not None else [str(i) for i in range(k)]
    return pa.table(
        {
            "community": pa.array(names[:k], pa.string()),
            "members": pa.array(np.bincount(lab_ok, minlength=k + 1)[:k].astype(np.int64)),
            "accounts_with_feed": pa.array(total((m.items > 0).astype(np.int64))),
            "items": pa.array(total(m.items)),
            "labelled_items": pa.array(lab_items),
            "outside_items": pa.array(out_items),
            "outside_share": pa.array(
                np.divide(out_items, lab_items, out=np.full(k, np.nan), where=lab_items > 0)
            ),
            "mean_account_outside_share": pa.array(_group_mean(lab_ok, m.outside_share, k)),
            "mean_topic_repetition": pa.array(_group_mean(lab_ok, m.topic_repetition, k)),
            "mean_source_repetition": pa.array(_group_mean(lab_ok, m.source_repetition, k)),
            "mean_repetition": pa.array(_group_mean(lab_ok, m.repetition, k)),
        }
    )
