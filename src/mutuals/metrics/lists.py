"""Lists that widen one account's view (claim C10's remedy, on a store).

The thread's remedy for a community that only hears itself is to read lists:
"people you disagree with, news outlets, favourite thinkers". For one account
of a store, :func:`suggest_lists` proposes one list of each kind, says why
each member is on it (a sentence and the numbers behind it), and measures
what reading the list would change in the account's exposure from outside
its community, on its reconstructed chronological home feed
(:mod:`mutuals.metrics.homefeed`).

Rules
-----
Every number below is a field of :class:`ListRules`, checked once.

Everyone on a list is a *candidate*: not the account itself, not an account
it already follows (their posts are in its feed already), active (at least
``min_posts`` rows in ``posts``, of any kind) and not *hostile*. The
*reference group* ``R`` is the account's community (the communities
``mutuals analyze`` assigns: :func:`analyze_communities`), or the account
alone when its community is unknown. A candidate ``j`` is hostile when its
replies, mentions and quotes aimed at members of ``R`` are many
(``toward_j >= hostile_min``) while ``R`` engages little with it in return
(``back_j < hostile_back_ratio * toward_j``, where ``back_j`` counts every
interaction of any kind by a member of ``R`` on ``j``): someone who keeps
addressing a community that never answers, retweets or likes them is
piling on, not disagreeing.

"In another community" means in a known community other than the account's;
with Louvain communities (no labels in the data), a community of one account
does not count: an account without follows in the data lands alone in its
own community, which says nothing about where it stands.

The *spread* of an account is the number of communities from which at least
``min_community_followers`` of its followers (in the store's follows) come.

1. **News outlets** (``"news"``). When the data labels accounts as news
   (``accounts.community`` or ``accounts.role`` equal to ``news``, any case;
   a simulated store carries the simulator's roles), the candidates so
   labelled. Otherwise the candidates whose spread is at least
   ``min_communities`` and whose own posts (originals, replies and quotes:
   not reposts) number at least ``min_link_posts`` with a share
   ``>= link_share`` carrying a link (``posts.urls``): widely followed across
   communities and mostly posting links, the way outlets do.
2. **Widely read thinkers** (``"thinkers"``): candidates that are not news
   outlets, in a known community other than the account's (any community
   when the account's is unknown), with spread ``>= min_communities`` and
   followers in the data at or above the ``thinker_quantile`` quantile of
   the followers of accounts with any follower.
3. **People you disagree with** (``"disagree"``): candidates that are not
   news outlets and not on the thinkers list, far from the account: in a
   known community other than its own, or with a leaning
   (``accounts.leaning``, where both are known) at least ``leaning_gap``
   away.

The lists are disjoint: news first, then thinkers, then disagreement. Each
holds at most ``size`` members, ranked by followers in the data, then posts,
then the order of the accounts (so the ranking is reproducible).

Exposure change
---------------
For a list ``L``, the account's home feed is rebuilt twice at the same ``k``
and the same time ``at`` (the latest post by default): from the accounts it
follows ``F`` (its chronological home feed), and from ``F`` and ``L``
together (the feed with the list's posts merged in, newest first), both
with :func:`~mutuals.metrics.homefeed.reconstruct_home_feeds`. The outside
share of each is :func:`~mutuals.metrics.homefeed.grouped_outside_share`:
items whose source (the root's author) is in another known community, over
items of known community. The change is the second share minus the first.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mutuals.errors import InputError
from mutuals.metrics._tables import gather, require_columns
from mutuals.metrics.graph import (
    CommunityAssignment,
    FollowGraph,
    assign_communities,
    detect_communities,
)
from mutuals.metrics.homefeed import (
    FeedPosts,
    feed_posts,
    grouped_outside_share,
    reconstruct_home_feeds,
)

__all__ = [
    "KINDS",
    "MEMBER_COLUMNS",
    "AccountSignals",
    "ExposureChange",
    "ListRules",
    "ListSuggestions",
    "SuggestedList",
    "account_signals",
    "analyze_communities",
    "exposure_change",
    "find_account",
    "suggest_lists",
]

#: The kinds of list, in the order they are chosen (each takes its members
#: out of the candidates of the next).
KINDS = ("news", "thinkers", "disagree")

#: Interaction kinds that address someone (the "toward" count of hostility).
ADDRESSING = ("reply", "mention", "quote")

#: Columns of :attr:`SuggestedList.members`, one row per member, by rank.
MEMBER_COLUMNS = (
    "rank",
    "node",
    "platform",
    "account_id",
    "handle",
    "community",
    "leaning",
    "leaning_distance",
    "posts",
    "own_posts",
    "link_posts",
    "link_share",
    "followers",
    "followers_from_your_community",
    "spread",
    "toward_your_community",
    "back_from_your_community",
    "feed_items",
    "reason",
)


# ----------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class ListRules:
    """The thresholds of the list rules (module docstring), checked by :meth:`check`.

    Attributes
    ----------
    size : int
        Members per list at most (1..1000).
    min_posts : int
        Rows in ``posts`` a member needs (>= 1): "active".
    hostile_min : int
        Replies, mentions and quotes toward the reference group from which an
        account can be hostile (>= 1).
    hostile_back_ratio : float
        Hostile when engagement back is below this share of them (>= 0).
    min_community_followers : int
        Followers a community must contribute to count toward spread (>= 1).
    min_communities : int
        Spread that "widely followed across communities" needs (>= 2).
    min_link_posts : int
        Own posts an outlet found by the link rule needs (>= 1).
    link_share : float
        Share of own posts with a link that such an outlet needs (0..1].
    thinker_quantile : float
        Quantile of followers a thinker reaches at least (0..1).
    leaning_gap : float
        Distance in leaning that counts as far (> 0). Leanings are on the
        left-right axis of ``accounts.leaning`` (the simulator's positions lie
        in [-1, 1], so 1.0 is half its width).
    k : int
        Items of each home feed (>= 1), as ``mutuals analyze --home-feed-k``.
    """

    size: int = 20
    min_posts: int = 1
    hostile_min: int = 3
    hostile_back_ratio: float = 0.1
    min_community_followers: int = 2
    min_communities: int = 2
    min_link_posts: int = 3
    link_share: float = 0.5
    thinker_quantile: float = 0.9
    leaning_gap: float = 1.0
    k: int = 50

    def check(self) -> ListRules:
        """Raise :class:`~mutuals.errors.InputError` naming the first bad field."""
        ints = {
            "size": (1, 1000),
            "min_posts": (1, None),
            "hostile_min": (1, None),
            "min_community_followers": (1, None),
            "min_communities": (2, None),
            "min_link_posts": (1, None),
            "k": (1, None),
        }
        for name, (lo, hi) in ints.items():
            v = getattr(self, name)
            if not isinstance(v, int | np.integer) or isinstance(v, bool) or v < lo:
                raise InputError(f"{name} must be an integer >= {lo}, got {v!r}")
            if hi is not None and v > hi:
                raise InputError(f"{name} must be at most {hi}, got {v!r}")
        floats = {
            "hostile_back_ratio": (0.0, None, False),
            "link_share": (0.0, 1.0, True),
            "thinker_quantile": (0.0, 1.0, False),
            "leaning_gap": (0.0, None, True),
        }
        for name, (flo, fhi, open_lo) in floats.items():
            x = getattr(self, name)
            ok = isinstance(x, int | float | np.floating) and not isinstance(x, bool)
            ok = ok and bool(np.isfinite(x)) and (x > flo if open_lo else x >= flo)
            ok = ok and (fhi is None or x <= fhi)
            if not ok:
                rng = f"{'>' if open_lo else '>='} {flo}" + (f" and <= {fhi}" if fhi else "")
                raise InputError(f"{name} must be a number {rng}, got {x!r}")
        return self

    def as_dict(self) -> dict[str, float | int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


# ----------------------------------------------------------------------------- inputs


def analyze_communities(
    graph: FollowGraph, accounts: pa.Table, *, seed: int = 0, resolution: float = 1.0
) -> CommunityAssignment | None:
    """The communities ``mutuals analyze`` assigns: the data's ``accounts.community``
    labels when any account carries one, else seeded Louvain communities of the
    follow graph (:func:`~mutuals.metrics.graph.detect_communities`, same ``seed``
    and ``resolution``); None when there are neither labels nor follows."""
    labelled = (
        "community" in accounts.column_names
        and accounts.num_rows > accounts.column("community").null_count
    )
    detected = (
        detect_communities(graph, seed=seed, resolution=resolution) if graph.n_follows else None
    )
    if not labelled and detected is None:
        return None
    return assign_communities(graph, accounts, detected)


def find_account(
    graph: FollowGraph, accounts: pa.Table, query: str, *, where: str = "the data"
) -> int:
    """The node of ``query``: an ``account_id`` (any platform), else a handle
    (case-insensitive, a leading ``@`` ignored), else ``PLATFORM:ID``.

    Raises :class:`~mutuals.errors.InputError` when nothing matches (the
    message names ``where`` and a few ids it holds) or a handle names accounts
    on several platforms (the message lists them by id).
    """
    q = str(query).strip()
    if not q:
        raise InputError("the account to suggest lists for is empty; give an account id or handle")
    ids = graph.index.account_id
    hit = np.flatnonzero(np.asarray(pc.fill_null(pc.equal(ids, q), False)))
    if hit.size == 1:
        return int(hit[0])
    if hit.size > 1:
        plats = graph.index.platform.take(pa.array(hit)).to_pylist()
        raise InputError(
            f"account id {q!r} exists on several platforms ({', '.join(map(str, plats))}); "
            f"name one as PLATFORM:ID, e.g. {plats[0]}:{q}"
        )
    if accounts.num_rows and "handle" in accounts.column_names:
        h = q.removeprefix("@").lower()
        handles = pc.utf8_lower(accounts.column("handle").cast(pa.string()))
        rows = np.flatnonzero(np.asarray(pc.fill_null(pc.equal(handles, h), False)))
        if rows.size:
            sub = accounts.take(pa.array(rows))
            nodes = np.unique(graph.index.lookup(sub.column("platform"), sub.column("account_id")))
            nodes = nodes[nodes >= 0]
            if nodes.size == 1:
                return int(nodes[0])
            if nodes.size > 1:
                which = ", ".join(
                    f"{graph.index.platform[int(i)].as_py()}:{ids[int(i)].as_py()}"
                    for i in nodes[:5]
                )
                raise InputError(
                    f"handle {q!r} names {nodes.size} accounts ({which}); give the account id"
                )
    plat, sep, rest = q.partition(":")
    if sep and rest:
        match = pc.and_(pc.equal(graph.index.platform, plat), pc.equal(ids, rest))
        hit = np.flatnonzero(np.asarray(pc.fill_null(match, False)))
        if hit.size == 1:
            return int(hit[0])
    some = ", ".join(repr(x) for x in ids.slice(0, 3).to_pylist())
    held = f"{len(ids):,} accounts, e.g. {some}" if len(ids) else "no accounts"
    raise InputError(f"account {q!r} is not an account id or handle in {where} ({held})")


@dataclass(frozen=True)
class AccountSignals:
    """What the rules read about every account of a graph, as arrays.

    Attributes
    ----------
    node : int
        The account the lists are for.
    labels : numpy.ndarray
        Community code of each account (-1 unknown).
    names : list of str
        Name of each community code.
    leaning : numpy.ndarray
        ``accounts.leaning`` (NaN unknown).
    handle : list of str or None
        Handle of each account.
    posts, own_posts, link_posts : numpy.ndarray
        Rows of ``posts`` authored; of them not reposts; of those, with a link.
    followers, followers_from_group, spread : numpy.ndarray
        Followers in the data; of them in the reference group; communities
        contributing at least ``min_community_followers`` followers.
    toward, back : numpy.ndarray
        Replies, mentions and quotes aimed at the reference group; interactions
        of any kind by the reference group on the account.
    friends : numpy.ndarray
        Sorted accounts that ``node`` follows.
    group : numpy.ndarray
        bool: the reference group (the account's community, or itself).
    placed : numpy.ndarray
        bool: accounts whose community places them (a known community; with
        Louvain communities, one of at least two accounts).
    news_labelled : bool
        Whether the data labels news outlets (``accounts.community`` or
        ``accounts.role`` equal to ``news``).
    labelled_news : numpy.ndarray
        bool: the accounts so labelled.
    """

    node: int
    labels: np.ndarray = field(repr=False)
    names: list[str] = field(repr=False)
    leaning: np.ndarray = field(repr=False)
    handle: list[str | None] = field(repr=False)
    posts: np.ndarray = field(repr=False)
    own_posts: np.ndarray = field(repr=False)
    link_posts: np.ndarray = field(repr=False)
    followers: np.ndarray = field(repr=False)
    followers_from_group: np.ndarray = field(repr=False)
    spread: np.ndarray = field(repr=False)
    toward: np.ndarray = field(repr=False)
    back: np.ndarray = field(repr=False)
    friends: np.ndarray = field(repr=False)
    group: np.ndarray = field(repr=False)
    placed: np.ndarray = field(repr=False)
    news_labelled: bool
    labelled_news: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, bool))

    @property
    def community(self) -> int:
        """The account's community code (-1 unknown)."""
        return int(self.labels[self.node])

    def community_name(self, node: int) -> str | None:
        c = int(self.labels[node])
        return self.names[c] if c >= 0 else None


def _bool(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def account_signals(
    graph: FollowGraph,
    accounts: pa.Table,
    posts: pa.Table,
    interactions: pa.Table,
    communities: CommunityAssignment | None,
    node: int,
    *,
    rules: ListRules | None = None,
) -> AccountSignals:
    """Per-account counts the rules read (see :class:`AccountSignals`), for ``node``."""
    rules = (rules or ListRules()).check()
    n = graph.n_accounts
    if not 0 <= node < n:
        raise InputError(f"node must lie in 0..{n - 1}, got {node}")
    require_columns(posts, "posts", ["platform", "author_id", "kind", "urls"])
    require_columns(interactions, "interactions", ["platform", "kind", "source_id", "target_id"])
    require_columns(accounts, "accounts", ["platform", "account_id"])
    if communities is not None:
        labels = np.asarray(communities.labels, dtype=np.int64)
        if labels.shape != (n,):
            raise InputError(f"need one community label per account ({n}), got {labels.shape}")
        names = list(communities.names)
    else:
        labels, names = np.full(n, -1, dtype=np.int64), []
    n_comm = len(names)
    # leaning and handles, first account row wins
    leaning = np.full(n, np.nan)
    handles = np.full(n, None, dtype=object)
    if accounts.num_rows:
        at = graph.index.lookup(accounts.column("platform"), accounts.column("account_id"))
        if "leaning" in accounts.column_names:
            v = pc.fill_null(accounts.column("leaning").cast(pa.float64()), np.nan)
            val = np.asarray(v.to_numpy(zero_copy_only=False), dtype=np.float64)
            ok = (at >= 0) & np.isfinite(val)
            leaning[at[ok][::-1]] = val[ok][::-1]
        if "handle" in accounts.column_names:
            col = accounts.column("handle").cast(pa.string())
            hs = np.asarray(col.to_numpy(zero_copy_only=False), dtype=object)
            has = _bool(pc.greater(pc.utf8_length(col), 0))
            ok = (at >= 0) & has
            handles[at[ok][::-1]] = hs[ok][::-1]  # the first row with a handle wins
    handle: list[str | None] = handles.tolist()
    # posts
    author = graph.index.lookup(posts.column("platform"), posts.column("author_id"))
    known = author >= 0
    n_posts = np.bincount(author[known], minlength=n).astype(np.int64)
    own = known & ~_bool(pc.equal(posts.column("kind"), "repost"))
    has_link = _bool(pc.greater(pc.list_value_length(posts.column("urls")), 0))
    own_posts = np.bincount(author[own], minlength=n).astype(np.int64)
    link_posts = np.bincount(author[own & has_link], minlength=n).astype(np.int64)
    # the reference group
    me = int(labels[node])
    group = labels == me if me >= 0 else np.zeros(n, dtype=bool)
    group[node] = True
    # followers by community
    followers = graph.in_degree.copy()
    followers_from_group = np.bincount(graph.friend[group[graph.follower]], minlength=n).astype(
        np.int64
    )
    lf = labels[graph.follower]
    ok = lf >= 0
    spread = np.zeros(n, dtype=np.int64)
    if ok.any() and n_comm:
        pair, cnt = np.unique(graph.friend[ok] * n_comm + lf[ok], return_counts=True)
        wide = pair[cnt >= rules.min_community_followers] // n_comm
        spread = np.bincount(wide, minlength=n).astype(np.int64)
    # interactions toward and from the reference group
    src = graph.index.lookup(interactions.column("platform"), interactions.column("source_id"))
    dst = graph.index.lookup(interactions.column("platform"), interactions.column("target_id"))
    both = (src >= 0) & (dst >= 0) & (src != dst)
    addressing = _bool(pc.is_in(interactions.column("kind"), pa.array(ADDRESSING)))
    to_group = both & addressing & gather(group, dst, False).astype(bool)
    toward = np.bincount(src[to_group], minlength=n).astype(np.int64)
    from_group = both & gather(group, src, False).astype(bool)
    back = np.bincount(dst[from_group], minlength=n).astype(np.int64)
    friends = np.unique(graph.friend[graph.follower == node])
    placed = labels >= 0
    if communities is not None and communities.source == "louvain" and placed.any():
        size = np.bincount(labels[placed])
        placed &= gather(size, labels, 0) >= 2
    news_code = [i for i, name in enumerate(names) if str(name).strip().lower() == "news"]
    labelled_news = np.isin(labels, news_code) if news_code else np.zeros(n, dtype=bool)
    if accounts.num_rows and "role" in accounts.column_names:
        role = pc.utf8_lower(pc.utf8_trim_whitespace(accounts.column("role").cast(pa.string())))
        by_role = _bool(pc.equal(role, "news"))
        labelled_news[at[by_role & (at >= 0)]] = True
    news_labelled = bool(labelled_news.any())
    return AccountSignals(
        node=int(node),
        labels=labels,
        names=names,
        leaning=leaning,
        handle=handle,
        posts=n_posts,
        own_posts=own_posts,
        link_posts=link_posts,
        followers=followers,
        followers_from_group=followers_from_group,
        spread=spread,
        toward=toward,
        back=back,
        friends=friends,
        group=group,
        placed=placed,
        news_labelled=news_labelled,
        labelled_news=labelled_news,
    )


# ----------------------------------------------------------------------------- exposure


@dataclass(frozen=True)
class ExposureChange:
    """The account's home feed without and with a list's posts merged in.

    Attributes
    ----------
    k, at : int
        Items per feed and the cutoff time (UTC microseconds; None: no posts).
    items_before, outside_before, labelled_before : int
        Items of the home feed; of them from another community; of known community.
    items_after, outside_after, labelled_after : int
        The same for the feed with the list's members added to the sources.
    member_items : int
        Items of the feed with the list that the members wrote (or reposted).
    share_before, share_after, change : float
        Outside shares (NaN when the account's community is unknown or no item
        is labelled) and ``share_after - share_before``.
    """

    k: int
    at: int | None
    items_before: int
    outside_before: int
    labelled_before: int
    items_after: int
    outside_after: int
    labelled_after: int
    member_items: int
    share_before: float
    share_after: float

    @property
    def change(self) -> float:
        return self.share_after - self.share_before

    def as_dict(self) -> dict[str, float | int | None]:
        d: dict[str, float | int | None] = {f.name: getattr(self, f.name) for f in fields(self)}
        d["change"] = self.change
        return d


def _feed(
    graph: FollowGraph, fp: FeedPosts, node: int, sources: np.ndarray, k: int, at: int | None
) -> np.ndarray:
    """Rows of the chronological feed of ``node`` drawn from ``sources``."""
    sources = np.unique(np.asarray(sources, dtype=np.int64))
    sources = sources[sources != node]
    one = FollowGraph(
        index=graph.index,
        follower=np.full(sources.size, node, dtype=np.int64),
        friend=sources,
    )
    f = reconstruct_home_feeds(one, fp.author, fp.time, k=k, at=at, eligible=fp.eligible)
    items: np.ndarray = f.items[f.ptr[node] : f.ptr[node + 1]]
    return items


def _outside(fp: FeedPosts, labels: np.ndarray, node: int, items: np.ndarray) -> tuple[int, int]:
    item_lab = gather(labels, fp.source_node[items], -1)
    _, outside, labelled = grouped_outside_share(
        np.array([0, items.size], dtype=np.int64), item_lab, labels[node : node + 1]
    )
    return int(outside[0]), int(labelled[0])


def exposure_change(
    graph: FollowGraph,
    fp: FeedPosts,
    labels: np.ndarray,
    node: int,
    members: np.ndarray,
    *,
    k: int = 50,
    at: int | None = None,
) -> ExposureChange:
    """Outside share of ``node``'s home feed without and with ``members`` as sources.

    Parameters
    ----------
    graph : FollowGraph
        The follow graph; ``node``'s friends are its sources.
    fp : FeedPosts
        :func:`~mutuals.metrics.homefeed.feed_posts` of the same graph.
    labels : array of int
        Community code of each account (-1 unknown).
    node : int
        The account.
    members : array of int
        The list's accounts, merged into the sources.
    k : int
        Items per feed.
    at : int, optional
        Cutoff time; default the latest post (``fp.latest``).

    Examples
    --------
    >>> import pyarrow as pa
    >>> from mutuals.metrics.graph import follow_graph
    >>> from mutuals.metrics.homefeed import feed_posts
    >>> acc = pa.table({"platform": ["x"] * 3, "account_id": ["a", "b", "c"]})
    >>> g = follow_graph(acc, pa.table({"platform": ["x"], "follower_id": ["a"],
    ...                                 "friend_id": ["b"]}))
    >>> posts = pa.table({"platform": ["x"] * 2, "post_id": ["1", "2"],
    ...     "author_id": ["b", "c"], "created_at": pa.array([1, 2], pa.timestamp("us", "UTC")),
    ...     "kind": ["post", "post"], "repost_of_id": pa.nulls(2, pa.string()),
    ...     "hashtags": pa.nulls(2, pa.list_(pa.string()))})
    >>> e = exposure_change(g, feed_posts(posts, g), np.array([0, 0, 1]), 0, np.array([2]))
    >>> (e.share_before, e.share_after, e.member_items)
    (0.0, 0.5, 1)
    """
    return _exposure(graph, fp, labels, node, members, k=k, at=at)[0]


def _exposure(
    graph: FollowGraph,
    fp: FeedPosts,
    labels: np.ndarray,
    node: int,
    members: np.ndarray,
    *,
    k: int,
    at: int | None,
) -> tuple[ExposureChange, np.ndarray]:
    """:func:`exposure_change` and the rows of the feed with the list."""
    n = graph.n_accounts
    lab = np.asarray(labels, dtype=np.int64)
    if lab.shape != (n,):
        raise InputError(f"need one community label per account ({n}), got {lab.shape}")
    if not 0 <= node < n:
        raise InputError(f"node must lie in 0..{n - 1}, got {node}")
    members = np.asarray(members, dtype=np.int64)
    if members.size and (members.min() < 0 or members.max() >= n):
        raise InputError(f"list members must lie in 0..{n - 1}")
    if at is None:
        at = fp.latest
    friends = graph.friend[graph.follower == node]
    before = _feed(graph, fp, node, friends, k, at)
    after = _feed(graph, fp, node, np.concatenate([friends, members]), k, at)
    ob, lb = _outside(fp, lab, node, before)
    oa, la = _outside(fp, lab, node, after)
    mine = np.isin(fp.author[after], members) & ~np.isin(fp.author[after], friends)
    nan = float("nan")
    known = lab[node] >= 0
    change = ExposureChange(
        k=int(k),
        at=None if at is None else int(at),
        items_before=int(before.size),
        outside_before=ob,
        labelled_before=lb,
        items_after=int(after.size),
        outside_after=oa,
        labelled_after=la,
        member_items=int(mine.sum()),
        share_before=ob / lb if known and lb else nan,
        share_after=oa / la if known and la else nan,
    )
    return change, after


# ----------------------------------------------------------------------------- lists


@dataclass(frozen=True)
class SuggestedList:
    """One suggested list.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    rule : str
        The rule that chose the members, in words, with its thresholds.
    nodes : numpy.ndarray
        The members, by rank.
    members : pyarrow.Table
        One row per member (:data:`MEMBER_COLUMNS`), with its ``reason``.
    eligible : int
        Candidates that passed the rule (the list keeps the first ``size``).
    exposure : ExposureChange
        What reading the list changes in the account's feed.
    note : str
        Why the list is empty or weak ("" otherwise).
    """

    kind: str
    rule: str
    nodes: np.ndarray = field(repr=False)
    members: pa.Table = field(repr=False)
    eligible: int
    exposure: ExposureChange
    note: str = ""


@dataclass(frozen=True)
class ListSuggestions:
    """The three lists for one account (:func:`suggest_lists`).

    Attributes
    ----------
    node : int
        The account.
    signals : AccountSignals
        What the rules read.
    lists : list of SuggestedList
        In the order of :data:`KINDS`.
    combined : ExposureChange
        The feed with every list's members merged in at once.
    rules : ListRules
        The thresholds used.
    excluded : dict of str to int
        Accounts left out before any rule: already followed, inactive, hostile.
    communities_from : str or None
        ``"accounts.community"``, ``"louvain"``, or None without communities.
    """

    node: int
    signals: AccountSignals = field(repr=False)
    lists: list[SuggestedList]
    combined: ExposureChange
    rules: ListRules
    excluded: dict[str, int]
    communities_from: str | None

    def list(self, kind: str) -> SuggestedList:
        for lst in self.lists:
            if lst.kind == kind:
                return lst
        raise KeyError(kind)


def _rank(mask: np.ndarray, s: AccountSignals, size: int) -> tuple[np.ndarray, int]:
    cand = np.flatnonzero(mask)
    order = np.lexsort((cand, -s.posts[cand], -s.followers[cand]))
    return cand[order][:size], int(cand.size)


def _community(s: AccountSignals, j: int) -> str:
    name = s.community_name(j)
    return "unknown" if name is None else repr(name)


def _n(x: int | np.integer, one: str, many: str | None = None) -> str:
    return f"{int(x):,} {one if x == 1 else (many or one + 's')}"


def _reason(kind: str, s: AccountSignals, j: int, threshold: float, min_followers: int) -> str:
    me = s.community_name(s.node)
    yours = "unknown" if me is None else repr(me)
    posts = f"{_n(s.posts[j], 'post')} in the data"
    fol = (
        f"{_n(s.followers[j], 'follower')} in the data ({s.followers_from_group[j]:,} from your "
        f"community), {_n(s.spread[j], 'community', 'communities')} giving at least "
        f"{_n(min_followers, 'follower')}"
    )
    calm = (
        f"{_n(s.toward[j], 'reply, mention or quote', 'replies, mentions or quotes')} toward "
        f"your community, {_n(s.back[j], 'engagement')} back"
    )
    if kind == "news":
        if s.news_labelled:
            why = "labelled news in the data"
        else:
            why = (
                f"{s.link_posts[j]:,} of its {s.own_posts[j]:,} own posts carry a link "
                f"({s.link_posts[j] / s.own_posts[j]:.0%})"
            )
        return f"{why}; {fol}; {posts}"
    if kind == "thinkers":
        return (
            f"widely read: {fol} (the rule asks for {threshold:,.0f}); "
            f"community {_community(s, j)} (yours: {yours}); {posts}; {calm}"
        )
    parts = []
    if s.placed[j] and s.community >= 0 and s.labels[j] != s.community:
        parts.append(f"in community {_community(s, j)} (yours: {yours})")
    lj, li = s.leaning[j], s.leaning[s.node]
    if np.isfinite(lj) and np.isfinite(li):
        parts.append(f"leaning {lj:+.2f} (yours: {li:+.2f}, {abs(lj - li):.2f} apart)")
    return f"{'; '.join(parts)}; {posts}; {fol}; {calm}"


def _members_table(
    kind: str,
    s: AccountSignals,
    graph: FollowGraph,
    nodes: np.ndarray,
    feed_items: np.ndarray,
    threshold: float,
    min_followers: int,
) -> pa.Table:
    nodes = np.asarray(nodes, dtype=np.int64)
    take = pa.array(nodes)
    lj = s.leaning[nodes]
    li = s.leaning[s.node]
    dist = np.abs(lj - li) if np.isfinite(li) else np.full(nodes.size, np.nan)
    own = s.own_posts[nodes]
    share = np.divide(s.link_posts[nodes], own, out=np.full(nodes.size, np.nan), where=own > 0)
    comm = [s.community_name(int(j)) for j in nodes]
    cols = {
        "rank": pa.array(np.arange(1, nodes.size + 1, dtype=np.int64)),
        "node": pa.array(nodes),
        "platform": graph.index.platform.take(take).cast(pa.string()),
        "account_id": graph.index.account_id.take(take).cast(pa.string()),
        "handle": pa.array([s.handle[int(j)] for j in nodes], pa.string()),
        "community": pa.array(comm, pa.string()),
        "leaning": pa.array(lj, pa.float64(), mask=~np.isfinite(lj)),
        "leaning_distance": pa.array(dist, pa.float64(), mask=~np.isfinite(dist)),
        "posts": pa.array(s.posts[nodes]),
        "own_posts": pa.array(own),
        "link_posts": pa.array(s.link_posts[nodes]),
        "link_share": pa.array(share, pa.float64(), mask=~np.isfinite(share)),
        "followers": pa.array(s.followers[nodes]),
        "followers_from_your_community": pa.array(s.followers_from_group[nodes]),
        "spread": pa.array(s.spread[nodes]),
        "toward_your_community": pa.array(s.toward[nodes]),
        "back_from_your_community": pa.array(s.back[nodes]),
        "feed_items": pa.array(np.asarray(feed_items, dtype=np.int64)),
        "reason": pa.array(
            [_reason(kind, s, int(j), threshold, min_followers) for j in nodes], pa.string()
        ),
    }
    return pa.table(cols)


def suggest_lists(
    graph: FollowGraph,
    accounts: pa.Table,
    posts: pa.Table,
    interactions: pa.Table,
    communities: CommunityAssignment | None,
    node: int,
    *,
    rules: ListRules | None = None,
    at: int | None = None,
) -> ListSuggestions:
    """Suggest the three lists for account ``node`` (rules in the module docstring).

    Parameters
    ----------
    graph : FollowGraph
        Follow graph of the data (:func:`~mutuals.metrics.graph.follow_graph`).
    accounts, posts, interactions : pyarrow.Table
        Canonical tables of the same data (``posts`` with ``urls``).
    communities : CommunityAssignment or None
        Communities of the accounts (:func:`analyze_communities`); None: unknown.
    node : int
        The account (:func:`find_account`).
    rules : ListRules, optional
        Thresholds; default :class:`ListRules`.
    at : int, optional
        Cutoff of the home feeds (UTC microseconds); default the latest post.

    Returns
    -------
    ListSuggestions
    """
    rules = (rules or ListRules()).check()
    s = account_signals(graph, accounts, posts, interactions, communities, node, rules=rules)
    fp = feed_posts(posts, graph, interactions)
    n = graph.n_accounts
    followed = np.zeros(n, dtype=bool)
    followed[s.friends] = True
    hostile = (s.toward >= rules.hostile_min) & (s.back < rules.hostile_back_ratio * s.toward)
    active = s.posts >= rules.min_posts
    base = ~followed & active & ~hostile
    base[node] = False
    others = np.ones(n, dtype=bool)
    others[node] = False
    excluded = {
        "already_followed": int((followed & others).sum()),
        "inactive": int((~followed & ~active & others).sum()),
        "hostile": int((~followed & active & hostile & others).sum()),
    }
    me = s.community
    spread_ok = s.spread >= rules.min_communities
    lab = s.labels
    if s.news_labelled:
        news_rule = "accounts labelled news in the data (accounts.community or accounts.role)"
        is_news = s.labelled_news
    else:
        share_ok = s.link_posts >= rules.link_share * s.own_posts
        is_news = spread_ok & (s.own_posts >= rules.min_link_posts) & share_ok
        news_rule = (
            "no account is labelled news in the data: accounts followed from at least "
            f"{rules.min_communities} communities (each giving at least "
            f"{rules.min_community_followers} followers) with at least {rules.min_link_posts} "
            f"own posts, at least {rules.link_share:.0%} of them carrying a link"
        )
    outside = s.placed & (lab != me) if me >= 0 else np.ones(n, dtype=bool)
    has_followers = s.followers[s.followers > 0]
    threshold = (
        float(np.quantile(has_followers, rules.thinker_quantile)) if has_followers.size else 0.0
    )
    is_thinker = ~is_news & spread_ok & (s.followers >= threshold) & outside
    thinker_rule = (
        f"not news; {'outside your community' if me >= 0 else 'any community (yours is unknown)'}; "
        f"followed from at least {rules.min_communities} communities (each giving at least "
        f"{rules.min_community_followers} followers); at least {threshold:,.0f} followers in the "
        f"data (the {rules.thinker_quantile:.0%} quantile of accounts with followers)"
    )
    li = s.leaning[node]
    far_lean = (
        np.abs(s.leaning - li) >= rules.leaning_gap if np.isfinite(li) else np.zeros(n, dtype=bool)
    )
    far_lean &= np.isfinite(s.leaning)
    far_comm = s.placed & (lab != me) if me >= 0 else np.zeros(n, dtype=bool)
    disagree_rule = (
        "not news and not on the thinkers list; "
        + ("in another community" if me >= 0 else "")
        + (" or " if me >= 0 and np.isfinite(li) else "")
        + (f"a leaning at least {rules.leaning_gap:g} from yours" if np.isfinite(li) else "")
    )
    if me < 0 and not np.isfinite(li):
        disagree_rule += "nothing to measure distance by (no community and no leaning known)"
    common = (
        f"; every member posts in the data, is not followed by you, and is not hostile "
        f"(at least {rules.hostile_min} replies, mentions or quotes toward your community with "
        f"engagement back below {rules.hostile_back_ratio:g} of them); ranked by followers in "
        "the data, then posts"
    )
    taken = np.zeros(n, dtype=bool)
    lists: list[SuggestedList] = []
    specs = {
        "news": (is_news, news_rule),
        "thinkers": (is_thinker, thinker_rule),
        "disagree": (far_comm | far_lean, disagree_rule),
    }
    for kind in KINDS:
        mask, rule = specs[kind]
        nodes, eligible = _rank(base & mask & ~taken, s, rules.size)
        taken[nodes] = True
        ex, after = _exposure(graph, fp, lab, node, nodes, k=rules.k, at=at)
        by_author = fp.author[after]
        counts = np.bincount(by_author[np.isin(by_author, nodes)], minlength=n)[nodes]
        note = ""
        if not nodes.size:
            note = "no account of the data passes this rule"
        elif me < 0:
            note = "your community is unknown: the outside share cannot be measured"
        lists.append(
            SuggestedList(
                kind=kind,
                rule=rule + common,
                nodes=nodes,
                members=_members_table(
                    kind, s, graph, nodes, counts, threshold, rules.min_community_followers
                ),
                eligible=eligible,
                exposure=ex,
                note=note,
            )
        )
    every = np.concatenate([lst.nodes for lst in lists])
    combined = exposure_change(graph, fp, lab, node, every, k=rules.k, at=at)
    return ListSuggestions(
        node=int(node),
        signals=s,
        lists=lists,
        combined=combined,
        rules=rules,
        excluded=excluded,
        communities_from=None if communities is None else communities.source,
    )
