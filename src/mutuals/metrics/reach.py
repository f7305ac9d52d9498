"""Reach of posts in the interaction data, against author followers (claims C1, C2).

Definitions
-----------
direct interaction
    A repost, quote or reply of a post, taken from ``interactions`` rows of
    those kinds with a ``target_post_id`` and from ``posts`` rows that carry
    ``repost_of_id`` (repost), ``quote_id`` (quote) or ``parent_id`` (reply). The
    same acting post found in both tables counts once (key: platform, acting
    post id, kind, target post id).
reach
    Direct interactions a post received: ``reposts + quotes + replies``.
accounts reached
    Distinct accounts that made those direct interactions.
cascade
    The tree of reposts and quotes below a post, following ``repost_of_id`` /
    ``quote_id`` parent links transitively (a quote of a quote is in the
    cascade of the original). ``cascade_size`` counts the posts in the tree
    below the post, ``cascade_depth`` its longest parent chain (Goel et al.
    2016, "The structural virality of online diffusion", *Management Science*
    62:180, use the same trees).
author followers
    ``accounts.followers_count`` as the platform reported it when present,
    else the author's in-degree in ``follows`` (followers seen in the data),
    recorded in ``followers_source``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mutuals._random import SeedLike, check_random_state
from mutuals.errors import InputError
from mutuals.kernels.bootstrap import bootstrap_stats
from mutuals.metrics._tables import (
    encode_keys,
    gather,
    group_aggregate,
    require_columns,
    to_numpy_int,
)
from mutuals.metrics.graph import CommunityAssignment, FollowGraph

__all__ = [
    "ReachFollowers",
    "author_followers",
    "author_reach",
    "cascade_trees",
    "post_reach",
    "reach_by_community",
    "reach_vs_followers",
]

_DIRECT = ("repost", "quote", "reply")
_POST_LINK = {"repost": "repost_of_id", "quote": "quote_id", "reply": "parent_id"}


def _direct_edges(posts: pa.Table, interactions: pa.Table) -> pa.Table:
    """Deduplicated direct interactions: platform, acting, kind, target, source, target_author."""
    require_columns(posts, "posts", ["platform", "post_id", "author_id", *_POST_LINK.values()])
    require_columns(
        interactions,
        "interactions",
        ["platform", "kind", "source_id", "target_id", "post_id", "target_post_id"],
    )
    parts = []
    has_parent_author = "parent_author_id" in posts.column_names
    for kind, col in _POST_LINK.items():
        sel = posts.filter(pc.is_valid(posts.column(col)))
        if kind == "reply" and has_parent_author:
            target_author = sel.column("parent_author_id")
        else:
            target_author = pa.nulls(sel.num_rows, pa.string())
        parts.append(
            pa.table(
                {
                    "platform": sel.column("platform").cast(pa.string()),
                    "acting": sel.column("post_id").cast(pa.string()),
                    "kind": pa.array([kind] * sel.num_rows, pa.string()),
                    "target": sel.column(col).cast(pa.string()),
                    "source": sel.column("author_id").cast(pa.string()),
                    "target_author": target_author.cast(pa.string()),
                }
            )
        )
    it = interactions.filter(
        pc.and_(
            pc.is_in(interactions.column("kind"), value_set=pa.array(_DIRECT)),
            pc.is_valid(interactions.column("target_post_id")),
        )
    )
    parts.append(
        pa.table(
            {
                "platform": it.column("platform").cast(pa.string()),
                "acting": it.column("post_id").cast(pa.string()),
                "kind": it.column("kind").cast(pa.string()),
                "target": it.column("target_post_id").cast(pa.string()),
                "source": it.column("source_id").cast(pa.string()),
                "target_author": it.column("target_id").cast(pa.string()),
            }
        )
    )
    edges = pa.concat_tables(parts)
    keyed = edges.filter(pc.is_valid(edges.column("acting")))
    unkeyed = edges.filter(pc.is_null(edges.column("acting")))
    if keyed.num_rows:
        keyed = group_aggregate(
            keyed,
            ["platform", "acting", "kind", "target"],
            [("source", "min", "source"), ("target_author", "min", "target_author")],
        )
    return pa.concat_tables([keyed.select(unkeyed.column_names), unkeyed])


def cascade_trees(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Sizes and depths of the trees given by parent pointers.

    Parameters
    ----------
    parent : numpy.ndarray
        ``parent[i]`` is the node ``i`` reposts or quotes, -1 for none.

    Returns
    -------
    size : numpy.ndarray
        Descendants of each node (posts in its cascade, itself excluded).
    depth_below : numpy.ndarray
        Longest chain of descendants below each node (0 for a leaf).
    root : numpy.ndarray
        Root of each node's tree.
    n_cycles : int
        Nodes on or below a parent cycle (corrupt data); they are cut loose
        and treated as roots of their own trees.
    """
    parent = np.asarray(parent, dtype=np.int64).copy()
    n = parent.size
    idx = np.arange(n, dtype=np.int64)
    selfref = parent == idx
    parent[selfref] = -1
    # pointer jumping: p[i] is an ancestor of i at distance depth[i]
    p = np.where(parent < 0, idx, parent)
    depth = (parent >= 0).astype(np.int64)
    for _ in range(int(np.ceil(np.log2(max(n, 2)))) + 2):
        pp = p[p]
        if np.array_equal(pp, p):
            break
        depth = depth + depth[p]
        p = pp
    # a chain that has not reached a root after log2(n) doublings is on or below a cycle
    bad = p[p] != p
    n_cycles = int(bad.sum() + selfref.sum())
    if bad.any():
        parent[bad] = -1
        size, below, root, _ = cascade_trees(parent)
        return size, below, root, n_cycles
    root = p
    size = np.zeros(n, dtype=np.int64)
    below = np.zeros(n, dtype=np.int64)
    has_parent = np.flatnonzero(parent >= 0)
    if has_parent.size:
        # deepest level first, so a node's subtree is complete before it is passed up
        by_depth = has_parent[np.argsort(-depth[has_parent], kind="stable")]
        d = depth[by_depth]
        cuts = np.flatnonzero(np.diff(d)) + 1
        for nodes in np.split(by_depth, cuts):
            np.add.at(size, parent[nodes], size[nodes] + 1)
            np.maximum.at(below, parent[nodes], below[nodes] + 1)
    return size, below, root, n_cycles


def post_reach(posts: pa.Table, interactions: pa.Table) -> pa.Table:
    """Reach of every post in the data (see module docstring for definitions).

    Returns one row per post that is in ``posts`` or is the target of a direct
    interaction: ``platform, post_id, author_id, kind, created_at, in_data,
    reposts, quotes, replies, reach, accounts_reached, cascade_size,
    cascade_depth`` and the platform-reported ``reported_reposts,
    reported_quotes, reported_replies, reported_likes`` (null when unknown).
    """
    edges = _direct_edges(posts, interactions)
    plat_p = posts.column("platform")
    codes, platform, post_id, _, _ = encode_keys(
        [
            (plat_p, posts.column("post_id")),
            (edges.column("platform"), edges.column("target")),
            (edges.column("platform"), edges.column("acting")),
        ]
    )
    c_post, c_target, c_acting = codes
    n = len(post_id)
    kind_e = edges.column("kind").to_numpy(zero_copy_only=False)
    counts = {k: np.bincount(c_target[kind_e == k], minlength=n) for k in _DIRECT}
    reach = counts["repost"] + counts["quote"] + counts["reply"]
    # accounts reached: distinct (target, source account) pairs
    (c_src,), *_ = encode_keys([(edges.column("platform"), edges.column("source"))], qualify=True)
    ok = (c_src >= 0) & (c_target >= 0)
    m = int(c_src.max()) + 1 if c_src.size else 1
    pair = np.unique(c_target[ok] * m + c_src[ok])
    reached = np.bincount(pair // m, minlength=n) if pair.size else np.zeros(n, dtype=np.int64)
    # cascade trees over repost/quote links with a known acting post
    casc = (kind_e != "reply") & (c_acting >= 0)
    parent = np.full(n, -1, dtype=np.int64)
    parent[c_acting[casc][::-1]] = c_target[casc][::-1]
    size, below, _, _ = cascade_trees(parent)
    # post attributes: from posts where present, else from the edges
    in_data = np.zeros(n, dtype=bool)
    in_data[c_post] = True
    row_of = np.full(n, -1, dtype=np.int64)
    row_of[c_post[::-1]] = np.arange(c_post.size)[::-1]
    take = pa.array(np.where(row_of >= 0, row_of, 0), mask=row_of < 0)

    def from_posts(col: str, typ: pa.DataType) -> pa.Array:
        if col not in posts.column_names or posts.num_rows == 0:
            return pa.nulls(n, typ)
        return posts.column(col).combine_chunks().cast(typ).take(take)

    def from_edges(codes: np.ndarray, col: str) -> pa.Array:
        valid = pc.is_valid(edges.column(col)).to_numpy(zero_copy_only=False)
        rows = np.flatnonzero(valid & (codes >= 0))
        e_row = np.full(n, -1, dtype=np.int64)
        e_row[codes[rows][::-1]] = rows[::-1]
        return (
            edges.column(col)
            .combine_chunks()
            .take(pa.array(np.where(e_row >= 0, e_row, 0), mask=e_row < 0))
        )

    # posts known only from interactions: the acting post's kind and author,
    # or the target's author as the interaction names it
    author = pc.coalesce(
        from_posts("author_id", pa.string()),
        from_edges(c_acting, "source"),
        from_edges(c_target, "target_author"),
    )
    kind = pc.coalesce(from_posts("kind", pa.string()), from_edges(c_acting, "kind"))
    return pa.table(
        {
            "platform": platform,
            "post_id": post_id,
            "author_id": author,
            "kind": kind,
            "created_at": from_posts("created_at", pa.timestamp("us", tz="UTC")),
            "in_data": pa.array(in_data),
            "reposts": pa.array(counts["repost"].astype(np.int64)),
            "quotes": pa.array(counts["quote"].astype(np.int64)),
            "replies": pa.array(counts["reply"].astype(np.int64)),
            "reach": pa.array(reach.astype(np.int64)),
            "accounts_reached": pa.array(reached.astype(np.int64)),
            "cascade_size": pa.array(size),
            "cascade_depth": pa.array(below),
            "reported_reposts": from_posts("repost_count", pa.int64()),
            "reported_quotes": from_posts("quote_count", pa.int64()),
            "reported_replies": from_posts("reply_count", pa.int64()),
            "reported_likes": from_posts("like_count", pa.int64()),
        }
    )


def author_followers(accounts: pa.Table, graph: FollowGraph) -> tuple[np.ndarray, np.ndarray]:
    """Followers of each account of ``graph``: reported count, else in-degree in ``follows``.

    Returns
    -------
    followers : numpy.ndarray
        float64 per account of ``graph.index``; NaN when neither is known (no
        reported count and no follow edges in the data at all).
    reported : numpy.ndarray
        bool, True where the platform-reported ``followers_count`` was used.
    """
    n = graph.n_accounts
    followers = graph.in_degree.astype(np.float64)
    if graph.n_follows == 0:
        followers[:] = np.nan
    reported = np.zeros(n, dtype=bool)
    if "followers_count" in accounts.column_names and accounts.num_rows:
        node = graph.index.lookup(accounts.column("platform"), accounts.column("account_id"))
        fc = accounts.column("followers_count")
        val = to_numpy_int(fc, fill=-1)
        ok = (node >= 0) & (val >= 0)
        followers[node[ok]] = val[ok]
        reported[node[ok]] = True
    return followers, reported


def author_reach(interactions: pa.Table, graph: FollowGraph) -> tuple[np.ndarray, np.ndarray]:
    """Reposts, quotes and replies received by each account, and their distinct sources.

    For data without post ids (e.g. retweet networks given as edge lists),
    this is the reach of an account's posts taken together. Interactions with
    an account outside ``graph.index`` are ignored.
    """
    require_columns(interactions, "interactions", ["platform", "kind", "source_id", "target_id"])
    it = interactions.filter(pc.is_in(interactions.column("kind"), value_set=pa.array(_DIRECT)))
    n = graph.n_accounts
    tgt = graph.index.lookup(it.column("platform"), it.column("target_id"))
    src = graph.index.lookup(it.column("platform"), it.column("source_id"))
    ok = tgt >= 0
    received = np.bincount(tgt[ok], minlength=n)
    both = ok & (src >= 0)
    pair = np.unique(tgt[both] * max(n, 1) + src[both])
    sources = np.bincount(pair // max(n, 1), minlength=n) if pair.size else np.zeros(n, int)
    return received.astype(np.int64), sources.astype(np.int64)


@dataclass(frozen=True)
class ReachFollowers:
    """Reach against author followers.

    Attributes
    ----------
    n : int
        Items (posts or accounts) with a known follower count.
    spearman : float
        Spearman rank correlation of reach and followers.
    spearman_ci : tuple of float
        95% percentile bootstrap interval.
    slope : float
        OLS slope of ``log10(1 + reach)`` on ``log10(1 + followers)``: reach
        grows as followers^slope.
    slope_ci : tuple of float
        95% percentile bootstrap interval.
    n_boot : int
        Bootstrap resamples.
    """

    n: int
    spearman: float
    spearman_ci: tuple[float, float]
    slope: float
    slope_ci: tuple[float, float]
    n_boot: int


def _weighted_ranks(group: np.ndarray, n_groups: int, w: np.ndarray) -> np.ndarray:
    """Average ranks of the items of a sample holding item ``j`` ``w[j]`` times.

    ``group`` is each item's position among the sorted distinct values. Items
    of one value share the mean of the ranks they occupy:
    ``(weight of smaller values) + (weight of the value + 1) / 2`` (as
    ``scipy.stats.rankdata(method="average")`` on the expanded sample).
    """
    cnt = np.bincount(group, weights=w, minlength=n_groups)
    before = np.cumsum(cnt) - cnt
    rank: np.ndarray = (before + (cnt + 1) / 2)[group]
    return rank


def _wpearson(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> float:
    sw = w.sum()
    a = a - (w * a).sum() / sw
    b = b - (w * b).sum() / sw
    den = np.sqrt((w * a * a).sum() * (w * b * b).sum())
    return float((w * a * b).sum() / den) if den > 0 else float("nan")


def _wslope(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    held = x[w > 0]
    if held.size == 0 or held.min() == held.max():
        # constant x: no slope (the centred x would be rounding noise, not 0)
        return float("nan")
    sw = w.sum()
    x = x - (w * x).sum() / sw
    den = (w * x * x).sum()
    return float((w * x * (y - (w * y).sum() / sw)).sum() / den) if den > 0 else float("nan")


def _boot_stats(
    gr: tuple[np.ndarray, int], gf: tuple[np.ndarray, int], lx: np.ndarray, ly: np.ndarray,
    w: np.ndarray,
) -> tuple[float, float]:  # fmt: skip
    """Spearman rho and log-log slope of the resample holding item ``j`` ``w[j]`` times."""
    rr = _weighted_ranks(gr[0], gr[1], w)
    rf = _weighted_ranks(gf[0], gf[1], w)
    return _wpearson(rr, rf, w), _wslope(lx, ly, w)


def reach_vs_followers(
    reach: np.ndarray,
    followers: np.ndarray,
    *,
    seed: SeedLike = 0,
    n_boot: int = 500,
) -> ReachFollowers:
    """Rank correlation and log-log slope of reach against followers (claim C1).

    Definition: Spearman's rho between reach and author followers (Spearman
    1904), and the least-squares slope ``b`` of ``log10(1 + reach) = a + b
    log10(1 + followers)`` (the elasticity of reach to followers; cf. Bakshy et
    al. 2011, "Everyone's an influencer", WSDM, who regress cascade size on
    follower count). Both get 95% percentile bootstrap intervals from
    ``n_boot`` resamples of the items with replacement (Efron & Tibshirani
    1993), drawn from ``seed``; each resample is computed exactly from its
    multiplicities (ties get average ranks). Items with NaN followers are dropped.
    """
    r = np.asarray(reach, dtype=np.float64)
    f = np.asarray(followers, dtype=np.float64)
    if r.shape != f.shape or r.ndim != 1:
        raise InputError("reach and followers must be 1-d arrays of the same length")
    if n_boot < 0:
        raise InputError(f"n_boot must be >= 0, got {n_boot}")
    ok = ~np.isnan(f) & ~np.isnan(r)
    r, f = r[ok], f[ok]
    n = int(r.size)
    nan2 = (float("nan"), float("nan"))
    if n < 3:
        return ReachFollowers(n, float("nan"), nan2, float("nan"), nan2, 0)
    lx, ly = np.log10(1 + f), np.log10(1 + r)
    ur, gr = np.unique(r, return_inverse=True)
    uf, gf = np.unique(f, return_inverse=True)
    # a resample is a vector of multiplicities: ranks and moments are weighted
    # sums, O(n) per resample without sorting again
    rho, slope = _boot_stats((gr, ur.size), (gf, uf.size), lx, ly, np.ones(n))
    if n_boot == 0:
        return ReachFollowers(n, rho, nan2, slope, nan2, 0)
    rng = check_random_state(seed)
    rhos = np.empty(n_boot)
    slopes = np.empty(n_boot)
    if n >= 2**31 - 1:  # beyond the kernel's int32 counts: the numpy twin
        for b in range(n_boot):
            w = np.bincount(rng.integers(0, n, n), minlength=n).astype(np.float64)
            rhos[b], slopes[b] = _boot_stats((gr, ur.size), (gf, uf.size), lx, ly, w)
        return ReachFollowers(n, rho, _ci95(rhos), slope, _ci95(slopes), n_boot)
    layout = _boot_layout((gr, ur.size), (gf, uf.size), lx, ly)
    threads = numba.get_num_threads()
    # resamples drawn one by one as always (the same stream), computed by the
    # kernel a batch at a time, the batch's resamples in parallel
    size = max(1, min(n_boot, 2 * threads, _BOOT_BATCH_BYTES // (8 * n)))
    batch = np.empty((size, n), dtype=np.int64)
    for b0 in range(0, n_boot, size):
        k = min(size, n_boot - b0)
        for b in range(k):
            batch[b] = rng.integers(0, n, n)
        bootstrap_stats(batch[:k], *layout, rhos[b0 : b0 + k], slopes[b0 : b0 + k], threads)
    return ReachFollowers(n, rho, _ci95(rhos), slope, _ci95(slopes), n_boot)


_BOOT_BATCH_BYTES = 1 << 28  # at most 256 MB of drawn indices held at once (and >= 1 resample)


def _boot_layout(
    gr: tuple[np.ndarray, int], gf: tuple[np.ndarray, int], lx: np.ndarray, ly: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]:
    """The items laid out for :func:`mutuals.kernels.bootstrap.bootstrap_stats`.

    Side a is the variable with more distinct values. Items of the same
    (reach, followers) pair are interchangeable, so the kernel sums weights by
    *cell* (distinct pair), sorted by side a then side b. Returns ``(cell, ga,
    gb, va, vb, a_is_x)``: each item's cell, each cell's side-a and side-b
    group, the log value of each group of both sides and whether side a is
    followers (the regressor).
    """
    a_is_x = gf[1] >= gr[1]
    (ga, na), (gb, nb), xa, xb = (gf, gr, lx, ly) if a_is_x else (gr, gf, ly, lx)
    key = ga.astype(np.int64) * nb + gb
    cells, cell = np.unique(key, return_inverse=True)
    itype = np.int32 if cells.size < 2**31 - 1 else np.int64
    cell_a = cells // nb
    va = np.empty(na)
    va[ga] = xa
    vb = np.empty(nb)
    vb[gb] = xb
    return (
        cell.reshape(-1).astype(itype),
        cell_a.astype(itype),
        (cells % nb).astype(itype),
        va,
        vb,
        bool(a_is_x),
    )


def _ci95(values: np.ndarray) -> tuple[float, float]:
    """2.5 and 97.5 percentiles of the defined (finite) values; NaNs when none is."""
    ok = values[np.isfinite(values)]
    if ok.size == 0:
        return (float("nan"), float("nan"))
    lo, hi = np.percentile(ok, [2.5, 97.5])
    return (float(lo), float(hi))


def reach_by_community(
    reach_table: pa.Table,
    posts_platform_author: tuple[pa.ChunkedArray, pa.ChunkedArray],
    communities: CommunityAssignment,
    graph: FollowGraph,
    followers: np.ndarray,
) -> pa.Table:
    """Reach per post by the author's community (claim C2).

    Definition: for each community, over the posts of its members (reposts
    excluded): number of authors and posts, total / mean / median reach, share
    of posts with no reach, mean cascade size, median author followers, and the
    community's total followers. Posts whose author has no community are
    grouped under a null community.

    Parameters
    ----------
    reach_table : pyarrow.Table
        Output of :func:`post_reach`.
    posts_platform_author : (platform, author_id) columns
        The authors of the rows of ``reach_table`` (usually its own columns).
    communities : CommunityAssignment
        Community of each account of ``graph``.
    followers : numpy.ndarray
        Followers of each account of ``graph`` (:func:`author_followers`).
    """
    plat, author = posts_platform_author
    node = graph.index.lookup(plat, author)
    kind = reach_table.column("kind").to_numpy(zero_copy_only=False)
    keep = kind != "repost"
    node = node[keep]
    comm = gather(communities.labels, node, -1)
    reach = reach_table.column("reach").to_numpy()[keep].astype(np.float64)
    casc = reach_table.column("cascade_size").to_numpy()[keep].astype(np.float64)
    fol = gather(followers, node, np.nan)
    k = len(communities.names)
    rows = []
    for c in [*range(k), -1]:
        sel = comm == c
        if not sel.any():
            continue
        nodes = np.unique(node[sel & (node >= 0)])
        fr = fol[sel]
        members = np.flatnonzero(communities.labels == c) if c >= 0 else np.zeros(0, int)
        total_f = float(np.nansum(followers[members])) if members.size else float("nan")
        rows.append(
            {
                "community": communities.names[c] if c >= 0 else None,
                "members": int(members.size) if c >= 0 else None,
                "authors": int(nodes.size),
                "posts": int(sel.sum()),
                "reach_total": float(reach[sel].sum()),
                "reach_mean": float(reach[sel].mean()),
                "reach_median": float(np.median(reach[sel])),
                "share_no_reach": float((reach[sel] == 0).mean()),
                "cascade_mean": float(casc[sel].mean()),
                "author_followers_median": (
                    float(np.nanmedian(fr)) if np.isfinite(fr).any() else float("nan")
                ),
                "community_followers_total": total_f,
            }
        )
    schema = pa.schema(
        [
            ("community", pa.string()),
            ("members", pa.int64()),
            ("authors", pa.int64()),
            ("posts", pa.int64()),
            ("reach_total", pa.float64()),
            ("reach_mean", pa.float64()),
            ("reach_median", pa.float64()),
            ("share_no_reach", pa.float64()),
            ("cascade_mean", pa.float64()),
            ("author_followers_median", pa.float64()),
            ("community_followers_total", pa.float64()),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)
