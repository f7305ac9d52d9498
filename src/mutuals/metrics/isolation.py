"""Isolation of communities in the follow graph (claim C9) and leaning homophily.

Every measure takes a :class:`~mutuals.metrics.graph.FollowGraph` and one label
per account (a community code, -1 for unknown; or a leaning, NaN for unknown).
Follow edges with an endpoint of unknown label are left out and counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mutuals.errors import InputError
from mutuals.metrics._tables import require_columns
from mutuals.metrics.graph import FollowGraph

__all__ = [
    "EIIndex",
    "LeaningHomophily",
    "OutsideExposure",
    "account_leaning",
    "ei_counts",
    "ei_index",
    "leaning_homophily",
    "outside_exposure",
    "posts_per_account",
]


def _check_labels(graph: FollowGraph, labels: np.ndarray) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.shape != (graph.n_accounts,):
        raise InputError(
            f"need one community label per account ({graph.n_accounts}), got shape {labels.shape}"
        )
    return labels.astype(np.int64)


@dataclass(frozen=True)
class EIIndex:
    """E-I index of the follow graph by community.

    Attributes
    ----------
    ei : float
        ``(E - I) / (E + I)`` over all labelled follow edges: -1 all inside
        communities, +1 all across.
    external, internal : int
        Follow edges across / inside communities.
    unlabelled : int
        Follow edges with an endpoint of unknown community (left out).
    per_community : pyarrow.Table
        ``community, members, internal, external, ei`` where a community's
        external edges are those with exactly one endpoint in it.
    """

    ei: float
    external: int
    internal: int
    unlabelled: int
    per_community: pa.Table = field(repr=False)


def ei_index(graph: FollowGraph, labels: np.ndarray, names: list[str] | None = None) -> EIIndex:
    """Krackhardt & Stern's E-I index of the follow graph, overall and per community.

    Definition (Krackhardt & Stern 1988, "Informal networks and organizational
    crises", *Social Psychology Quarterly* 51:123): ``EI = (E - I) / (E + I)``
    with ``E`` the ties between members of different groups and ``I`` the ties
    within groups. Each directed follow edge is one tie. For a community ``g``,
    ``I_g`` counts edges with both endpoints in ``g`` and ``E_g`` edges with
    exactly one endpoint in ``g`` (either direction).
    """
    from mutuals.kernels.graph import ei_edge_counts

    lab = _check_labels(graph, labels)
    k = int(lab.max()) + 1 if lab.size and lab.max() >= 0 else 0
    internal, external, unknown = ei_edge_counts(graph.follower, graph.friend, lab, k)
    n_int = int(internal.sum())
    n_ext = int(external.sum()) // 2  # each external tie is counted for both its ends
    members = np.bincount(lab[lab >= 0], minlength=k)
    tot = internal + external
    ei_c = np.divide(
        (external - internal).astype(float), tot, out=np.full(k, np.nan), where=tot > 0
    )
    names = names if names is not None else [str(i) for i in range(k)]
    per = pa.table(
        {
            "community": pa.array(names[:k], pa.string()),
            "members": pa.array(members.astype(np.int64)),
            "internal": pa.array(internal.astype(np.int64)),
            "external": pa.array(external.astype(np.int64)),
            "ei": pa.array(ei_c),
        }
    )
    ei = (n_ext - n_int) / (n_ext + n_int) if n_ext + n_int else float("nan")
    return EIIndex(float(ei), n_ext, n_int, int(unknown), per)


def ei_counts(
    source_label: np.ndarray, target_label: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per group ``0..k-1``, the ties inside it (``I_g``) and the ties with
    exactly one end in it (``E_g``), from the groups of each tie's two ends
    (both >= 0): the counts of :func:`ei_index`, on arrays."""
    inside = source_label == target_label
    internal = np.bincount(source_label[inside], minlength=k)
    external = np.bincount(source_label[~inside], minlength=k) + np.bincount(
        target_label[~inside], minlength=k
    )
    return internal, external


def posts_per_account(posts: pa.Table, graph: FollowGraph) -> np.ndarray:
    """Posts (any kind) authored by each account of ``graph`` in the ``posts`` table."""
    require_columns(posts, "posts", ["platform", "author_id"])
    node = graph.index.lookup(posts.column("platform"), posts.column("author_id"))
    return np.bincount(node[node >= 0], minlength=graph.n_accounts).astype(np.int64)


@dataclass(frozen=True)
class OutsideExposure:
    """Share of exposures that come from outside one's community.

    Attributes
    ----------
    weighting : str
        ``"posts"`` (each follow edge weighted by the friend's posts) or
        ``"follows"`` (each follow edge counts 1).
    share : float
        Pooled: outside exposure weight / all exposure weight, over labelled edges.
    mean_account_share : float
        Mean over accounts with any exposure of their own outside share.
    accounts : int
        Accounts with any labelled exposure.
    per_community : pyarrow.Table
        ``community, accounts, exposures, outside, share, mean_account_share``.
    account_share : numpy.ndarray
        Outside share of each account (NaN when it has no labelled exposure).
    """

    weighting: str
    share: float
    mean_account_share: float
    accounts: int
    per_community: pa.Table = field(repr=False)
    account_share: np.ndarray = field(repr=False)


def outside_exposure(
    graph: FollowGraph,
    labels: np.ndarray,
    post_counts: np.ndarray | None = None,
    names: list[str] | None = None,
) -> OutsideExposure:
    """Share of each account's exposures that come from outside its community (claim C9).

    Definition: an exposure is a follow edge ``friend -> follower`` (the
    follower's home timeline shows the friend's posts), weighted by the friend's
    number of posts when ``post_counts`` is given, else 1. For account ``i`` with
    community ``c_i``, ``s_i = sum_{j in friends(i), c_j != c_i} w_j / sum_{j in
    friends(i)} w_j``; the pooled share sums numerator and denominator over all
    accounts. This is the cross-cutting exposure of Bakshy, Messing & Adamic
    (2015, "Exposure to ideologically diverse news and opinion on Facebook",
    *Science* 348:1130) with community in place of ideology. Edges with an
    endpoint of unknown community are left out.
    """
    lab = _check_labels(graph, labels)
    if post_counts is not None:
        w_acc = np.asarray(post_counts, dtype=np.float64)
        if w_acc.shape != (graph.n_accounts,):
            raise InputError("post_counts needs one entry per account of the graph")
        weighting = "posts"
    else:
        w_acc = np.ones(graph.n_accounts)
        weighting = "follows"
    from mutuals.kernels.graph import exposure_sums

    n = graph.n_accounts
    tot_i, out_i = exposure_sums(graph.follower, graph.friend, lab, w_acc, n)
    share_i = np.divide(out_i, tot_i, out=np.full(n, np.nan), where=tot_i > 0)
    has = tot_i > 0
    total = tot_i.sum()
    share = float(out_i.sum() / total) if total > 0 else float("nan")
    mean_share = float(share_i[has].mean()) if has.any() else float("nan")
    k = int(lab.max()) + 1 if lab.size and lab.max() >= 0 else 0
    lab_ok = np.where(lab >= 0, lab, k)
    c_acc = np.bincount(lab_ok[has], minlength=k + 1)[:k]
    c_tot = np.bincount(lab_ok, weights=tot_i, minlength=k + 1)[:k]
    c_out = np.bincount(lab_ok, weights=out_i, minlength=k + 1)[:k]
    c_mean = np.bincount(lab_ok[has], weights=share_i[has], minlength=k + 1)[:k]
    names = names if names is not None else [str(i) for i in range(k)]
    per = pa.table(
        {
            "community": pa.array(names[:k], pa.string()),
            "accounts": pa.array(c_acc.astype(np.int64)),
            "exposures": pa.array(c_tot),
            "outside": pa.array(c_out),
            "share": pa.array(np.divide(c_out, c_tot, out=np.full(k, np.nan), where=c_tot > 0)),
            "mean_account_share": pa.array(
                np.divide(c_mean, c_acc, out=np.full(k, np.nan), where=c_acc > 0)
            ),
        }
    )
    return OutsideExposure(weighting, share, mean_share, int(has.sum()), per, share_i)


def account_leaning(accounts: pa.Table, graph: FollowGraph) -> np.ndarray:
    """``accounts.leaning`` for each account of ``graph`` (NaN where the data has none)."""
    require_columns(accounts, "accounts", ["platform", "account_id"])
    x = np.full(graph.n_accounts, np.nan)
    if "leaning" not in accounts.column_names or accounts.num_rows == 0:
        return x
    node = graph.index.lookup(accounts.column("platform"), accounts.column("account_id"))
    val = pc.fill_null(accounts.column("leaning").cast(pa.float64()), np.nan)
    v = np.asarray(val.to_numpy(), dtype=np.float64)
    ok = (node >= 0) & ~np.isnan(v)
    x[node[ok][::-1]] = v[ok][::-1]
    return x


@dataclass(frozen=True)
class LeaningHomophily:
    """Leaning of accounts against the mean leaning of those they follow.

    Attributes
    ----------
    available : bool
        False when the data has no leaning (then every other field is empty and
        ``reason`` says why).
    reason : str
        Why not available ("" when available).
    accounts : int
        Accounts with a leaning and at least one friend with a leaning.
    pearson, spearman : float
        Correlation of ``x_i`` and ``x_i^N``.
    joint : pyarrow.Table
        Binned joint distribution: ``leaning_lo, leaning_hi, neighbours_lo,
        neighbours_hi, accounts`` (non-empty cells).
    """

    available: bool
    reason: str
    accounts: int
    pearson: float
    spearman: float
    joint: pa.Table = field(repr=False)


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson's r of two samples (``scipy.stats.pearsonr``'s statistic)."""
    a = a - a.mean()
    b = b - b.mean()
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float(np.clip((a * b).sum() / den, -1.0, 1.0)) if den > 0 else float("nan")


def _average_ranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing the mean of the ranks they occupy
    (``scipy.stats.rankdata(method="average")``): Pearson's r of these is Spearman's rho."""
    _, inv, cnt = np.unique(x, return_inverse=True, return_counts=True)
    before = np.cumsum(cnt) - cnt
    ranks: np.ndarray = (before + (cnt + 1) / 2)[inv]
    return ranks


def leaning_homophily(
    graph: FollowGraph, leaning: np.ndarray, *, bins: int = 20
) -> LeaningHomophily:
    """Homophily of leaning: own leaning vs the mean leaning of one's neighbourhood.

    Definition (Cinelli, De Francisci Morales, Galeazzi, Quattrociocchi &
    Starnini 2021, "The echo chamber effect on social media", *PNAS*
    118:e2023301118): ``x_i^N = (1 / k_i) sum_j A_ij x_j``, the mean leaning of
    the accounts ``j`` that ``i`` links to; here ``A_ij = 1`` when ``i`` follows
    ``j`` (whose posts ``i`` sees), over friends with a known leaning. Reported:
    Pearson and Spearman correlation of ``x_i`` and ``x_i^N`` and their joint
    distribution on a ``bins x bins`` grid spanning the observed leanings (the
    paper's density plots). Leanings are never inferred: without any, the
    result is "not available".
    """
    x = np.asarray(leaning, dtype=np.float64)
    if x.shape != (graph.n_accounts,):
        raise InputError(f"need one leaning per account ({graph.n_accounts}), got {x.shape}")
    if bins < 1:
        raise InputError(f"bins must be >= 1, got {bins}")
    empty = pa.table(
        {
            c: pa.array([], pa.float64() if c != "accounts" else pa.int64())
            for c in ["leaning_lo", "leaning_hi", "neighbours_lo", "neighbours_hi", "accounts"]
        }
    )
    nan = float("nan")
    if not np.isfinite(x).any():
        return LeaningHomophily(False, "no account has a leaning in the data", 0, nan, nan, empty)
    from mutuals.kernels.graph import neighbour_sums

    n = graph.n_accounts
    # one pass over the edges (twin: bincount over the gathered leanings, in the tests)
    cnt, sm = neighbour_sums(graph.follower, graph.friend, x, n)
    xn = np.divide(sm, cnt, out=np.full(n, np.nan), where=cnt > 0)
    sel = np.isfinite(x) & np.isfinite(xn)
    if sel.sum() < 2:
        return LeaningHomophily(
            False, "fewer than 2 accounts with a leaning follow accounts with a leaning", 0, nan,
            nan, empty,
        )  # fmt: skip
    a, b = x[sel], xn[sel]
    # numpy, not scipy.stats: importing scipy.stats costs half a second (tested against it)
    pr = _pearson(a, b) if a.std() > 0 and b.std() > 0 else nan
    sr = _pearson(_average_ranks(a), _average_ranks(b)) if a.std() > 0 and b.std() > 0 else nan
    lo, hi = float(np.nanmin(x)), float(np.nanmax(x))
    if hi == lo:
        hi = lo + 1.0
    edges = np.linspace(lo, hi, bins + 1)
    h, _, _ = np.histogram2d(a, b, bins=[edges, edges])
    i, j = np.nonzero(h)
    joint = pa.table(
        {
            "leaning_lo": pa.array(edges[i]),
            "leaning_hi": pa.array(edges[i + 1]),
            "neighbours_lo": pa.array(edges[j]),
            "neighbours_hi": pa.array(edges[j + 1]),
            "accounts": pa.array(h[i, j].astype(np.int64)),
        }
    )
    return LeaningHomophily(True, "", int(sel.sum()), pr, sr, joint)
