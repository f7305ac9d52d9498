"""Hashtags: usage over time, adopters, and the interaction network of a hashtag's adopters.

A *use* of a hashtag is a post whose ``posts.hashtags`` list contains it
(counted once per post however often it repeats). An *adopter* of a hashtag
is an account that authored at least one use; it adopted the hashtag at the
time of its first use (Romero, Meeder & Kleinberg 2011, "Differences in the
mechanics of information diffusion across topics", WWW, study hashtag
adoption this way). Reposts count as uses, as on the platforms' own trend
counts; pass ``kinds`` to restrict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from mutuals.errors import InputError
from mutuals.metrics._tables import encode_keys, group_aggregate, require_columns
from mutuals.tables import POST_KINDS

__all__ = [
    "AdopterNetwork",
    "adopter_network",
    "hashtag_adopters",
    "hashtag_usage_by_day",
    "hashtag_uses",
    "top_hashtags",
]

_TS = pa.timestamp("us", tz="UTC")


def hashtag_uses(posts: pa.Table, *, kinds: Sequence[str] | None = None) -> pa.Table:
    """One row per (post, hashtag): ``platform, post_id, author_id, created_at, kind, hashtag``.

    Hashtags are lower-cased (the canonical tables already store them so;
    this makes the measure robust to other producers) and deduplicated within a
    post. Null or empty hashtags are dropped.
    """
    require_columns(posts, "posts", ["platform", "post_id", "author_id", "created_at", "hashtags"])
    if kinds is not None:
        bad = set(kinds) - set(POST_KINDS)
        if bad:
            raise InputError(f"unknown post kinds {sorted(bad)}; kinds are {POST_KINDS}")
        require_columns(posts, "posts", ["kind"])
        posts = posts.filter(pc.is_in(posts.column("kind"), value_set=pa.array(list(kinds))))
    tags = posts.column("hashtags").combine_chunks()
    if len(tags) == 0:
        flat, parent = pa.array([], pa.string()), np.zeros(0, dtype=np.int64)
    else:
        flat = pc.list_flatten(tags)
        parent = np.asarray(pc.list_parent_indices(tags).to_numpy(), dtype=np.int64)
    kind = (
        posts.column("kind").combine_chunks()
        if "kind" in posts.column_names
        else pa.nulls(posts.num_rows, pa.string())
    )
    take = pa.array(parent)
    uses = pa.table(
        {
            "platform": posts.column("platform").combine_chunks().cast(pa.string()).take(take),
            "post_id": posts.column("post_id").combine_chunks().cast(pa.string()).take(take),
            "author_id": posts.column("author_id").combine_chunks().cast(pa.string()).take(take),
            "created_at": posts.column("created_at").combine_chunks().cast(_TS).take(take),
            "kind": kind.cast(pa.string()).take(take),
            "hashtag": pc.utf8_lower(flat.cast(pa.string())),
        }
    )
    uses = uses.filter(pc.and_(pc.is_valid(uses["hashtag"]), pc.not_equal(uses["hashtag"], "")))
    if uses.num_rows == 0:
        return uses
    # the same tag twice in one post is one use
    dedup = group_aggregate(
        uses,
        ["platform", "post_id", "hashtag"],
        [
            ("author_id", "min", "author_id"),
            ("created_at", "min", "created_at"),
            ("kind", "min", "kind"),
        ],
    )
    return dedup.select(["platform", "post_id", "author_id", "created_at", "kind", "hashtag"])


def _day(ts: pa.ChunkedArray) -> pa.Array:
    return pc.floor_temporal(ts, unit="day").cast(pa.timestamp("us", tz="UTC")).cast(pa.date32())


def hashtag_usage_by_day(uses: pa.Table) -> pa.Table:
    """Posts and distinct accounts per hashtag per UTC day.

    Returns ``hashtag, day, posts, accounts`` sorted by hashtag and day; uses
    without a time are counted under a null day.
    """
    require_columns(uses, "hashtag uses", ["hashtag", "created_at", "author_id", "post_id"])
    t = pa.table(
        {
            "hashtag": uses["hashtag"],
            "day": _day(uses["created_at"]),
            "post_id": uses["post_id"],
            "author_id": uses["author_id"],
        }
    )
    g = group_aggregate(
        t,
        ["hashtag", "day"],
        [("post_id", "count", "posts"), ("author_id", "count_distinct", "accounts")],
    )
    return g.sort_by([("hashtag", "ascending"), ("day", "ascending")])


def top_hashtags(uses: pa.Table, n: int | None = 20) -> pa.Table:
    """Hashtags by number of uses: ``hashtag, posts, accounts, first_used, last_used``.

    Sorted by posts (descending), then accounts, then hashtag; ``n=None`` keeps all.
    """
    require_columns(uses, "hashtag uses", ["hashtag", "created_at", "author_id", "post_id"])
    g = group_aggregate(
        uses,
        ["hashtag"],
        [
            ("post_id", "count", "posts"),
            ("author_id", "count_distinct", "accounts"),
            ("created_at", "min", "first_used"),
            ("created_at", "max", "last_used"),
        ],
    )
    g = g.sort_by([("posts", "descending"), ("accounts", "descending"), ("hashtag", "ascending")])
    return g if n is None else g.slice(0, n)


def hashtag_adopters(uses: pa.Table, hashtag: str | None = None) -> pa.Table:
    """Adopters of each hashtag (or of ``hashtag``) and when they adopted it.

    Returns ``hashtag, platform, account_id, adopted_at, posts`` where
    ``adopted_at`` is the account's first use (null if its uses carry no time)
    and ``posts`` its number of uses; sorted by hashtag, then adoption time.
    """
    require_columns(uses, "hashtag uses", ["hashtag", "platform", "author_id", "created_at"])
    if hashtag is not None:
        uses = uses.filter(pc.equal(uses["hashtag"], _norm(hashtag)))
    uses = uses.filter(pc.is_valid(uses["author_id"]))
    g = group_aggregate(
        uses,
        ["hashtag", "platform", "author_id"],
        [("created_at", "min", "adopted_at"), ("post_id", "count", "posts")],
    ).rename_columns(["hashtag", "platform", "account_id", "adopted_at", "posts"])
    return g.sort_by(
        [("hashtag", "ascending"), ("adopted_at", "ascending"), ("account_id", "ascending")]
    )


def _norm(tag: str) -> str:
    if not isinstance(tag, str) or not tag.strip().lstrip("#"):
        raise InputError(f"hashtag must be a non-empty string, got {tag!r}")
    return tag.strip().lstrip("#").lower()


@dataclass(frozen=True)
class AdopterNetwork:
    """Interactions among the adopters of one hashtag.

    Attributes
    ----------
    hashtag : str
    adopters : int
        Accounts that used the hashtag.
    active : int
        Adopters with at least one interaction with another adopter.
    interactions : int
        Interaction rows among adopters (self-interactions excluded).
    edges : int
        Distinct directed pairs source -> target among adopters.
    reciprocity : float
        Share of those pairs whose reverse pair also exists.
    components : int
        Weakly connected components over all adopters (isolated adopters are
        components of one).
    largest_component : int
        Adopters in the largest weakly connected component.
    edge_table : pyarrow.Table
        ``platform, source_id, target_id, kind, interactions`` per pair and kind.
    """

    hashtag: str
    adopters: int
    active: int
    interactions: int
    edges: int
    reciprocity: float
    components: int
    largest_component: int
    edge_table: pa.Table = field(repr=False)


def adopter_network(uses: pa.Table, interactions: pa.Table, hashtag: str) -> AdopterNetwork:
    """The interaction network among the adopters of ``hashtag``.

    Definition: nodes are the adopters of the hashtag (see module docstring);
    a directed edge ``u -> v`` exists when the ``interactions`` table has a row
    (any kind: repost, reply, quote, mention, like) with source ``u`` and
    target ``v``, both adopters, ``u != v``, at any time. Reciprocity is the
    share of directed pairs that are reciprocated (Newman 2010, sec. 7.10);
    components are weakly connected (as ``networkx.number_weakly_connected_components``).
    """
    tag = _norm(hashtag)
    require_columns(interactions, "interactions", ["platform", "kind", "source_id", "target_id"])
    adopters = hashtag_adopters(uses, tag)
    na = adopters.num_rows
    it = interactions.filter(pc.is_valid(interactions["target_id"]))
    codes, _, _, _, _ = encode_keys(
        [
            (adopters["platform"], adopters["account_id"]),
            (it["platform"], it["source_id"]),
            (it["platform"], it["target_id"]),
        ],
        qualify=True,
    )
    _, src, dst = codes
    keep = (src >= 0) & (src < na) & (dst >= 0) & (dst < na) & (src != dst)
    sel = it.filter(pa.array(keep))
    if sel.num_rows:
        edge_table = group_aggregate(
            sel,
            ["platform", "source_id", "target_id", "kind"],
            [("kind", "count", "interactions")],
        ).sort_by(
            [("interactions", "descending"), ("source_id", "ascending"), ("target_id", "ascending")]
        )
    else:
        edge_table = pa.table(
            {
                "platform": pa.array([], pa.string()),
                "source_id": pa.array([], pa.string()),
                "target_id": pa.array([], pa.string()),
                "kind": pa.array([], pa.string()),
                "interactions": pa.array([], pa.int64()),
            }
        )
    s, d = src[keep], dst[keep]
    pairs = np.unique(s * max(na, 1) + d)
    ps, pd = pairs // max(na, 1), pairs % max(na, 1)
    rev = np.isin(pd * max(na, 1) + ps, pairs)
    recip = float(rev.mean()) if pairs.size else float("nan")
    active = int(np.unique(np.concatenate([ps, pd])).size)
    if na:
        from scipy.sparse.csgraph import connected_components

        m = sp.csr_matrix((np.ones(ps.size), (ps, pd)), shape=(na, na))
        ncomp, lab = connected_components(m, directed=True, connection="weak")
        largest = int(np.bincount(lab).max())
    else:
        ncomp, largest = 0, 0
    return AdopterNetwork(
        tag, na, active, int(keep.sum()), int(pairs.size), recip, int(ncomp), largest, edge_table
    )
