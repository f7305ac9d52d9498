"""The analysis of a canonical store: every measure of :mod:`mutuals.metrics` at once.

:func:`analyze_tables` takes the canonical tables (from a store, or simulator
output converted to them) and returns an :class:`Analysis`: a JSON-able
summary, result tables, and the wall time of each step. :func:`write_analysis`
writes the tables as Parquet and the summary as ``summary.json``;
:func:`format_summary` renders the summary as text.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from mutuals.errors import InputError
from mutuals.io.folders import FolderWriter
from mutuals.io.store import Store, conform, open_store
from mutuals.report._json import json_safe
from mutuals.tables import SCHEMAS

if TYPE_CHECKING:
    from mutuals.metrics.graph import CommunityAssignment
    from mutuals.metrics.homefeed import HomeFeedMeasures

__all__ = [
    "Analysis",
    "analyze",
    "analyze_store",
    "analyze_tables",
    "format_summary",
    "write_analysis",
]


@dataclass
class Analysis:
    """Result of :func:`analyze_tables`.

    Attributes
    ----------
    summary : dict
        JSON-able figures by section: ``inputs``, ``graph``, ``reach``,
        ``isolation``, ``home_feed``, ``hashtags``, ``settings``.
    tables : dict of str to pyarrow.Table
        Result tables (per account, degree distribution, post reach, ...).
    timings : dict of str to float
        Wall seconds per step.
    """

    summary: dict[str, Any]
    tables: dict[str, pa.Table] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def _degree_table(in_deg: np.ndarray, out_deg: np.ndarray) -> pa.Table:
    top = int(max(in_deg.max(initial=0), out_deg.max(initial=0)))
    ci = np.bincount(in_deg, minlength=top + 1)
    co = np.bincount(out_deg, minlength=top + 1)
    keep = (ci > 0) | (co > 0)
    return pa.table(
        {
            "degree": pa.array(np.flatnonzero(keep).astype(np.int64)),
            "accounts_in": pa.array(ci[keep].astype(np.int64)),
            "accounts_out": pa.array(co[keep].astype(np.int64)),
        }
    )


def analyze_tables(
    tables: Mapping[str, pa.Table],
    *,
    seed: int = 0,
    hashtag: str | None = None,
    resolution: float = 1.0,
    n_boot: int = 500,
    top: int = 20,
    home_feed_k: int = 50,
    campaign_window: float = 7.0,
    caliper: float = 0.2,
) -> Analysis:
    """Run every measure on canonical tables.

    Parameters
    ----------
    tables : mapping of table name to pyarrow.Table
        Any of ``accounts, follows, posts, interactions``; absent ones are empty.
        Each is conformed to its canonical schema (absent nullable columns
        become nulls); a wrong column raises :class:`~mutuals.errors.InputError`.
    seed : int
        Seed of community detection, of matching and of the bootstrap intervals.
    hashtag : str, optional
        A campaign's hashtag: its adopters' interaction network, and its
        effect on them against matched non-adopters
        (:mod:`mutuals.metrics.campaign_effect`).
    resolution : float
        Modularity resolution of Louvain.
    n_boot : int
        Bootstrap resamples for the reach intervals.
    top : int
        Number of top hashtags reported.
    home_feed_k : int
        Items per reconstructed chronological home feed
        (:mod:`mutuals.metrics.homefeed`); 0 skips the step. The default, 50,
        is about what a first screen and a scroll or two show.
    campaign_window : float
        Days before and after adopting ``hashtag`` that its effect compares.
    caliper : float
        Largest matching distance of a control, in standard deviations.
    """
    from mutuals.metrics import campaign_effect as mce
    from mutuals.metrics import graph as mg
    from mutuals.metrics import hashtags as mh
    from mutuals.metrics import homefeed as mhf
    from mutuals.metrics import isolation as mi
    from mutuals.metrics import reach as mr
    from mutuals.metrics import tails as mt
    from mutuals.metrics._tables import gather

    unknown = set(tables) - set(SCHEMAS)
    if unknown:
        raise InputError(f"unknown tables {sorted(unknown)}; tables are {', '.join(SCHEMAS)}")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}")
    if not isinstance(home_feed_k, int) or isinstance(home_feed_k, bool) or home_feed_k < 0:
        raise InputError(
            f"home_feed_k must be a non-negative integer (0 skips), got {home_feed_k!r}"
        )
    for name, v, lo in (("campaign_window", campaign_window, 0.0), ("caliper", caliper, None)):
        good = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
        if not good or (v <= lo if lo is not None else v < 0):
            bound = "> 0" if lo is not None else ">= 0"
            raise InputError(f"{name} must be a number {bound}, got {v!r}")
    t: dict[str, pa.Table] = {}
    for name in ("accounts", "follows", "posts", "interactions"):
        # a dict of analyze_store's own is emptied as read, so the follows can be freed below
        tab = tables.pop(name, None) if isinstance(tables, _Owned) else tables.get(name)
        t[name] = SCHEMAS[name].empty_table() if tab is None else conform(name, tab)
        del tab
    accounts, follows, posts, interactions = (
        t["accounts"],
        t["follows"],
        t["posts"],
        t["interactions"],
    )
    if hashtag is not None:
        _check_hashtag(posts, hashtag)
    timings: dict[str, float] = {}
    out: dict[str, pa.Table] = {}
    summary: dict[str, Any] = {
        "inputs": {name: tab.num_rows for name, tab in t.items()},
        "settings": {
            "seed": seed,
            "hashtag": hashtag,
            "resolution": resolution,
            "bootstrap": n_boot,
            "home_feed_k": home_feed_k,
            "campaign_window_days": campaign_window,
            "caliper": caliper,
        },
    }

    @contextmanager
    def step(name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        yield
        timings[name] = time.perf_counter() - t0

    # ------------------------------------------------------------------ graph
    with step("index"):
        g = mg.follow_graph(accounts, follows)
        if hashtag is None:
            # only the campaign effect reads the follow rows again: drop them (the
            # largest table by far) and hand the allocator's freed pages back
            follows = t["follows"] = SCHEMAS["follows"].empty_table()
            pa.default_memory_pool().release_unused()
    gs: dict[str, Any] = {
        "accounts": g.n_accounts,
        "accounts_listed": g.index.n_listed,
        "accounts_only_in_follows": g.n_unlisted,
        "follows": g.n_follows,
        "follow_rows": g.n_rows,
        "duplicate_follows": g.n_duplicates,
        "self_follows": g.n_self_follows,
    }
    local_clustering = np.full(g.n_accounts, np.nan)
    if g.n_follows:
        with step("reciprocity"):
            gs["reciprocity"] = asdict(mg.reciprocity(g))
        with step("degrees"):
            gs["in_degree"] = asdict(mg.degree_summary(g.in_degree))
            gs["out_degree"] = asdict(mg.degree_summary(g.out_degree))
            out["degree_distribution"] = _degree_table(g.in_degree, g.out_degree)
        with step("tails"):
            for key, deg in (("in_degree", g.in_degree), ("out_degree", g.out_degree)):
                xmin = gs[key]["power_law"]["xmin"]
                gs[key]["tail_test"] = (
                    {"test": "Vuong likelihood ratio, power law vs lognormal (Clauset et al. "
                     "2009)", **asdict(mt.compare_power_law_lognormal(deg, xmin=xmin))}
                    if math.isfinite(xmin)
                    else {"available": False, "reason": "no power-law tail was fitted"}
                )  # fmt: skip
        with step("clustering"):
            cl = mg.clustering(g)
            local_clustering = cl.local
            gs["clustering"] = {
                "average": cl.average,
                "transitivity": cl.transitivity,
                "triangles": cl.triangles,
                "undirected_edges": int(g.undirected.nnz // 2),
            }
    else:
        gs["available"] = False
        gs["reason"] = "no follow edges in the data"
    with step("communities"):
        comm = mg.detect_communities(g, seed=seed, resolution=resolution) if g.n_follows else None
        if comm is not None:
            sizes = comm.sizes
            gs["communities"] = {
                "method": "louvain (Blondel et al. 2008), undirected projection",
                "seed": seed,
                "resolution": resolution,
                "count": comm.n_communities,
                "non_singleton": int((sizes > 1).sum()),
                "largest": [int(s) for s in sizes[:10]],
                "modularity": comm.modularity,
            }
        else:
            gs["communities"] = {"available": False, "reason": "no follow edges in the data"}
        labelled = (
            "community" in accounts.column_names
            and accounts.num_rows > accounts.column("community").null_count
        )
        assignment = (
            mg.assign_communities(g, accounts, comm) if labelled or comm is not None else None
        )
    summary["graph"] = gs

    # ------------------------------------------------------------------ isolation
    leaning = mi.account_leaning(accounts, g)
    share_i = np.full(g.n_accounts, np.nan)
    if assignment is not None:
        iso: dict[str, Any] = {"communities_from": assignment.source}
        with step("isolation"):
            ei = mi.ei_index(g, assignment.labels, assignment.names)
            iso["ei_index"] = {
                "ei": ei.ei,
                "external": ei.external,
                "internal": ei.internal,
                "unlabelled": ei.unlabelled,
            }
            out["ei_by_community"] = ei.per_community
            weights = mi.posts_per_account(posts, g) if posts.num_rows else None
            ex = mi.outside_exposure(g, assignment.labels, weights, assignment.names)
            iso["outside_exposure"] = {
                "weighting": ex.weighting,
                "share": ex.share,
                "mean_account_share": ex.mean_account_share,
                "accounts": ex.accounts,
            }
            share_i = ex.account_share
            out["exposure_by_community"] = ex.per_community
            out["follows_by_community"] = _follows_by_community(
                g, assignment.labels, assignment.names, weights
            )
    else:
        iso = {
            "available": False,
            "reason": "no follow edges and no accounts.community labels in the data",
        }
    with step("leaning"):
        lh = mi.leaning_homophily(g, leaning)
        iso["leaning_homophily"] = (
            {"available": True, "accounts": lh.accounts, "pearson": lh.pearson,
             "spearman": lh.spearman}
            if lh.available
            else {"available": False, "reason": lh.reason}
        )  # fmt: skip
        if lh.available:
            out["leaning_joint"] = lh.joint
    summary["isolation"] = iso

    # ------------------------------------------------------------------ home feed
    feed_cols: dict[str, pa.Array] = {
        "home_feed_items": pa.nulls(g.n_accounts, pa.int64()),
        **{c: pa.nulls(g.n_accounts, pa.float64()) for c in _FEED_MEASURES.values()},
    }
    missing = [
        what for what, n in (("follow edges", g.n_follows), ("posts", posts.num_rows)) if not n
    ]
    if home_feed_k == 0:
        hf: dict[str, Any] = {"available": False, "reason": "skipped: home_feed_k is 0"}
    elif missing:
        hf = {"available": False, "reason": f"no {' and no '.join(missing)} in the data"}
    else:
        with step("home_feed"):
            labels = assignment.labels if assignment is not None else None
            hm = mhf.home_feed_measures(posts, g, labels, k=home_feed_k, interactions=interactions)
            hf = _home_feed_summary(hm, assignment)
            feed_cols["home_feed_items"] = pa.array(hm.items)
            for attr, col in _FEED_MEASURES.items():
                feed_cols[col] = pa.array(getattr(hm, attr))
            if assignment is not None:
                per = mhf.home_feed_by_community(hm, assignment.labels, assignment.names)
                out["home_feed_by_community"] = per
                hf["by_community"] = _top_communities(per, 10)
    summary["home_feed"] = hf

    # ------------------------------------------------------------------ reach
    rs: dict[str, Any] = {}
    followers, reported = mr.author_followers(accounts, g)
    rs["followers_source"] = {
        "reported": int(reported.sum()),
        "in_degree": int((~reported & np.isfinite(followers)).sum()),
    }
    received = np.zeros(g.n_accounts, dtype=np.int64)
    if posts.num_rows or interactions.num_rows:
        with step("reach"):
            pr = mr.post_reach(posts, interactions)
            node = g.index.lookup(pr["platform"], pr["author_id"])
            fol = gather(followers, node, np.nan)
            pr = pr.append_column("author_followers", pa.array(fol))
            out["post_reach"] = pr
            kind = pr["kind"].to_numpy(zero_copy_only=False)
            orig = kind != "repost"
            rs["posts"] = int(orig.sum())
            rs["posts_in_data"] = int((pr["in_data"].to_numpy(zero_copy_only=False) & orig).sum())
            rs["posts_with_reach"] = int((pr["reach"].to_numpy()[orig] > 0).sum())
            for col in ("reach", "cascade_size"):
                vals = pr[col].to_numpy()[orig].astype(np.float64)
                rs[f"{col}_vs_followers"] = asdict(
                    mr.reach_vs_followers(vals, fol[orig], seed=seed, n_boot=n_boot)
                )
            received, _ = mr.author_reach(interactions, g)
            src_ids = g.index.lookup(interactions["platform"], interactions["source_id"])
            sent = np.bincount(src_ids[src_ids >= 0], minlength=g.n_accounts)
            active = (received > 0) | (sent > 0)
            rs["accounts_in_interactions"] = int(active.sum())
            rs["account_reach_vs_followers"] = asdict(
                mr.reach_vs_followers(
                    received[active].astype(float), followers[active], seed=seed, n_boot=n_boot
                )
            )
            rs["posts_author_followers_unknown"] = int(np.isnan(fol[orig]).sum())
            if assignment is not None:
                out["reach_by_community"] = mr.reach_by_community(
                    pr, (pr["platform"], pr["author_id"]), assignment, g, followers
                )
    else:
        rs["available"] = False
        rs["reason"] = "no posts or interactions in the data"
    summary["reach"] = rs

    # ------------------------------------------------------------------ per account
    with step("account_table"):
        n_acc = g.n_accounts
        out["accounts"] = pa.table(
            {
                "platform": g.index.platform,
                "account_id": g.index.account_id,
                "listed": pa.array(np.arange(g.n_accounts) < g.index.n_listed),
                "followers": pa.array(followers),
                "followers_reported": pa.array(reported),
                "in_degree": pa.array(g.in_degree) if g.n_follows else pa.nulls(n_acc, pa.int64()),
                "out_degree": (
                    pa.array(g.out_degree) if g.n_follows else pa.nulls(n_acc, pa.int64())
                ),
                "clustering": pa.array(local_clustering),
                "community": (
                    assignment.name_of(assignment.labels)
                    if assignment is not None
                    else pa.nulls(g.n_accounts, pa.string())
                ),
                "louvain_community": (
                    pa.array(comm.labels)
                    if comm is not None
                    else pa.nulls(g.n_accounts, pa.int64())
                ),
                "outside_exposure_share": pa.array(share_i),
                **feed_cols,
                "leaning": pa.array(leaning),
                "interactions_received": pa.array(received),
            }
        )

    # ------------------------------------------------------------------ hashtags
    hs: dict[str, Any] = {}
    with step("hashtags"):
        uses = mh.hashtag_uses(posts)
        hs["uses"] = uses.num_rows
        hs["distinct"] = int(pc.count_distinct(uses["hashtag"]).as_py()) if uses.num_rows else 0
        tops = mh.top_hashtags(uses, top)
        hs["top"] = [
            {"hashtag": r["hashtag"], "posts": r["posts"], "accounts": r["accounts"]}
            for r in tops.to_pylist()
        ]
        out["hashtags_top"] = mh.top_hashtags(uses, None)
        out["hashtags_by_day"] = mh.hashtag_usage_by_day(uses)
        out["hashtag_adopters"] = mh.hashtag_adopters(uses)
        if hashtag is not None:
            net = mh.adopter_network(uses, interactions, hashtag)
            d = asdict(net)
            d.pop("edge_table")
            hs["network"] = d
            out["hashtag_network_edges"] = net.edge_table
    summary["hashtags"] = hs
    if hashtag is not None:
        with step("campaign_effect"):
            ce = mce.campaign_effect(
                accounts, follows, posts, interactions, hashtag, window_days=campaign_window,
                caliper=caliper, n_boot=n_boot, seed=seed, graph=g,
                reach=out.get("post_reach"),
            )  # fmt: skip
            summary["campaign_effect"] = _campaign_summary(ce)
            out["campaign_effect_pairs"] = ce.pairs
            out["campaign_adoption"] = ce.adoption_curve
    summary["timings"] = {k: round(v, 4) for k, v in timings.items()}
    return Analysis(json_safe(summary), out, timings)


#: Communities shown by name in ``follows_by_community``; the rest are "other".
_TOP_COMMUNITIES = 12
OTHER = "(other communities)"
UNKNOWN = "(no community)"


def _follows_by_community(
    g: Any, labels: np.ndarray, names: list[str], weights: np.ndarray | None
) -> pa.Table:
    """Who reads whom: follows from each reader community to each author community.

    ``reader_community, author_community, follows, exposure`` where ``exposure``
    weights each follow by the friend's posts (what the reader's feed gets from
    it; the weighting of :func:`mutuals.metrics.isolation.outside_exposure`) and
    ``share`` is the reader community's share of its exposure from the author
    community. The :data:`_TOP_COMMUNITIES` largest communities are named; the
    others are pooled.
    """
    from mutuals.kernels.graph import group_pair_sums

    lab = np.asarray(labels, dtype=np.int64)
    k = len(names)
    sizes = np.bincount(lab[lab >= 0], minlength=k)
    top = np.argsort(-sizes, kind="stable")[: min(_TOP_COMMUNITIES, k)]
    top = top[sizes[top] > 0]
    code = np.full(k + 1, top.size, np.int64)  # pooled "other"
    code[top] = np.arange(top.size)
    code[k] = top.size + 1  # unknown (-1)
    c = code[np.where(lab >= 0, lab, k)]
    m = top.size + 2
    w = np.zeros(0) if weights is None else np.asarray(weights, np.float64)
    fol, exp = group_pair_sums(g.follower, g.friend, c, w, m)  # one pass over the edges
    label = [names[i] for i in top] + [OTHER, UNKNOWN]
    r, a = np.nonzero(fol)
    row_total = exp.sum(axis=1)
    share = np.divide(exp[r, a], row_total[r], out=np.full(r.size, np.nan), where=row_total[r] > 0)
    return pa.table(
        {
            "reader_community": pa.array([label[i] for i in r], pa.string()),
            "author_community": pa.array([label[i] for i in a], pa.string()),
            "follows": pa.array(fol[r, a].astype(np.int64)),
            "exposure": pa.array(exp[r, a]),
            "share": pa.array(share),
        }
    )


def _campaign_summary(ce: Any) -> dict[str, Any]:
    """The ``campaign_effect`` section of the summary."""
    d: dict[str, Any] = {
        "hashtag": ce.hashtag,
        "adoption": "first post or quote under the hashtag",
        "adopters": ce.adopters,
        "adopters_without_time": ce.adopters_without_time,
        "follow_times": ce.follow_times,
        "window_days": ce.window_days,
        "matching": {
            "controls": "accounts that never posted or quoted under the hashtag",
            "covariates": ["log(1 + followers at the cohort's start)",
                           "log(1 + posts in the window before it)"],
            "method": "greedy nearest neighbour on standardised covariates, without "
            "replacement, by adoption day (cohort)",
            "caliper_sd": ce.caliper,
            "cohorts": ce.cohorts,
            "matched": ce.matched,
            "unmatched": ce.unmatched,
            "cut_by_span": ce.cut_by_span,
        },
        "estimator": "difference in differences over matched pairs; 95% percentile "
        "bootstrap over pairs (ci) and paired t (t_ci)",
        "outcomes": {o: asdict(e) for o, e in ce.outcomes.items()},
        "unavailable": dict(ce.unavailable),
        "campaign_follows": asdict(ce.follows),
        "notes": list(ce.notes),
    }  # fmt: skip
    return d


#: Per-account home-feed measures: attribute of HomeFeedMeasures -> column.
_FEED_MEASURES = {
    "topic_repetition": "home_feed_topic_repetition",
    "source_repetition": "home_feed_source_repetition",
    "repetition": "home_feed_repetition",
    "outside_share": "home_feed_outside_share",
}


def _mean_median(x: np.ndarray) -> dict[str, Any]:
    x = x[np.isfinite(x)]
    return {
        "mean": float(x.mean()) if x.size else None,
        "median": float(np.median(x)) if x.size else None,
        "accounts": int(x.size),
    }


def _iso(us: int | None) -> str | None:
    if us is None:
        return None
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (epoch + dt.timedelta(microseconds=us)).isoformat().replace("+00:00", "Z")


def _home_feed_summary(
    hm: HomeFeedMeasures, assignment: CommunityAssignment | None
) -> dict[str, Any]:
    """The ``home_feed`` section of the summary from :class:`HomeFeedMeasures`."""
    has = hm.items > 0
    d: dict[str, Any] = {
        "ranking": "chronological, newest first, the accounts one follows (replies left out)",
        "k": hm.feeds.k,
        "as_of": _iso(hm.feeds.at),
        "posts_in_feeds_window": hm.feeds.candidates,
        "replies_left_out": hm.posts.replies,
        "posts_without_time": hm.posts.without_time,
        "accounts_with_feed": int(has.sum()),
        "mean_items": float(hm.items[has].mean()) if has.any() else None,
        "topics_from": "first hashtag of the root post ('no hashtag' is a category)",
        "topic_categories": hm.posts.n_topics,
        "repetition": {
            "topics": _mean_median(hm.topic_repetition),
            "sources": _mean_median(hm.source_repetition),
            "combined": _mean_median(hm.repetition),
        },
    }
    if assignment is None:
        d["outside_share"] = {
            "available": False,
            "reason": "no follow edges and no accounts.community labels in the data",
        }
        return d
    lab = int(hm.labelled.sum())
    share = hm.outside_share[np.isfinite(hm.outside_share)]
    d["outside_share"] = {
        "communities_from": assignment.source,
        "pooled": int(hm.outside.sum()) / lab if lab else None,
        "mean_account_share": float(share.mean()) if share.size else None,
        "accounts": int(share.size),
    }
    return d


def _top_communities(per: pa.Table, n: int) -> list[dict[str, Any]]:
    """The ``n`` communities with the most accounts with a feed, as JSON rows."""
    if per.num_rows == 0:
        return []
    order = np.argsort(-per["accounts_with_feed"].to_numpy(), kind="stable")[:n]
    keep = ["community", "accounts_with_feed", "outside_share", "mean_account_outside_share",
            "mean_topic_repetition", "mean_source_repetition", "mean_repetition"]  # fmt: skip
    rows: list[dict[str, Any]] = per.select(keep).take(pa.array(order)).to_pylist()
    return [r for r in rows if r["accounts_with_feed"]]


def _check_hashtag(posts: pa.Table, hashtag: str) -> None:
    """Fail up front, naming the hashtags there are, when no post uses ``hashtag``."""
    from mutuals.metrics import hashtags as mh

    tag = mh._norm(hashtag)
    uses = mh.hashtag_uses(posts)
    if uses.num_rows == 0:
        raise InputError(f"--hashtag #{tag}: the store has no hashtags (no post carries one)")
    if not pc.any(pc.equal(uses["hashtag"], tag)).as_py():
        best = ", ".join(f"#{r['hashtag']}" for r in mh.top_hashtags(uses, 5).to_pylist())
        raise InputError(f"--hashtag #{tag}: no post uses it; the most used are {best}")


def analyze(data: str | Path | Store | Mapping[str, pa.Table], **options: Any) -> Analysis:
    """Every measure of a store (a path or an open one) or of canonical tables in
    memory (``Run.canonical()``); see :func:`analyze_tables` for ``options``."""
    if isinstance(data, Mapping):
        return analyze_tables(data, **options)
    return analyze_store(data, **options)


def analyze_store(store: str | Path | Store, **options: Any) -> Analysis:
    """Open a store and run :func:`analyze_tables` on its tables (see it for ``options``)."""
    s = store if isinstance(store, Store) else open_store(store)
    columns = dict(_COLUMNS)
    if options.get("hashtag") is not None:  # follow times: the campaign's effect
        columns["follows"] = (*columns["follows"], "created_at")
    tables = _Owned({name: s.table(name, columns=list(cols)) for name, cols in columns.items()})
    return analyze_tables(tables, **options)


class _Owned(dict[str, pa.Table]):
    """Tables read by :func:`analyze_store` for :func:`analyze_tables` alone: it
    takes them out as it reads them, so none outlives its last use."""


#: Columns the measures read; text, media and links of posts are left on disk.
_COLUMNS: dict[str, tuple[str, ...]] = {
    "accounts": ("platform", "account_id", "followers_count", "community", "leaning"),
    "follows": ("platform", "follower_id", "friend_id"),
    "posts": (
        "platform", "post_id", "author_id", "created_at", "kind", "parent_id",
        "parent_author_id", "quote_id", "repost_of_id", "hashtags", "like_count",
        "repost_count", "reply_count", "quote_count",
    ),
    "interactions": ("platform", "kind", "source_id", "target_id", "post_id", "target_post_id"),
}  # fmt: skip


def write_analysis(
    analysis: Analysis,
    out: str | Path,
    *,
    overwrite: bool = False,
    writer: FolderWriter | None = None,
    page: bool = True,
    meta: Mapping[str, Any] | None = None,
    detection: Any = None,
) -> list[Path]:
    """Write each result table as ``<name>.parquet``, the summary as
    ``summary.json`` and the page as ``report.html``.

    ``out`` is an analysis folder (:class:`~mutuals.io.folders.FolderWriter`,
    kind ``"analysis"``), written as one transaction: a store, a run, or a
    folder of files mutuals did not write is refused (``overwrite`` writes
    beside such files and never replaces one). ``page`` false leaves the page
    out; ``meta`` (the store, the command) and ``detection`` (a
    :class:`~mutuals.report.analyze_page.DetectionView`, or why there is none)
    go on the page (:func:`mutuals.report.analyze_page.render_analyze_page`).
    """
    if writer is None:
        with FolderWriter(out, "analysis", overwrite=overwrite, what="--out") as w:
            return _write(w, analysis, page, meta or {}, detection)
    return _write(writer, analysis, page, meta or {}, detection)


def _write(
    w: FolderWriter, analysis: Analysis, page: bool, meta: Mapping[str, Any], detection: Any
) -> list[Path]:
    html = None
    if page:  # rendered before anything is written: a failure leaves the folder as it was
        from mutuals.report.analyze_page import render_analyze_page

        html = render_analyze_page(analysis, meta=meta, detection=detection)
    try:
        for name, table in analysis.tables.items():
            tmp = w.temp_file(f"{name}.parquet")
            pq.write_table(table, tmp)
            w.stage(f"{name}.parquet", tmp)
        if html is not None:
            w.write_text("report.html", html)
        w.write_text("summary.json", json.dumps(analysis.summary, indent=2, allow_nan=False) + "\n")
        return w.commit(last="summary.json")
    except OSError as e:
        raise InputError(
            f"cannot write the analysis to {str(w.path)!r}: {e.strerror or e}"
        ) from None


def _minus(a: Any, b: Any) -> int | None:
    return a - b if isinstance(a, int) and isinstance(b, int) else None


def _f(x: Any, digits: int = 3) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return f"{x:,}" if isinstance(x, int) else str(x)


def _ci(d: dict[str, Any], key: str) -> str:
    lo, hi = d.get(f"{key}_ci") or (None, None)
    return f"{_f(d.get(key))} [{_f(lo)}, {_f(hi)}]"


def _format_home_feed(hf: Mapping[str, Any], add: Any) -> None:
    if not hf:
        return
    add("")
    if hf.get("available") is False:
        add(f"home feeds: not available ({hf.get('reason')})")
        return
    add(
        f"home feeds (chronological, top {_f(hf.get('k'))} as of {_f(hf.get('as_of'))}, replies "
        f"left out): {_f(hf.get('accounts_with_feed'))} accounts with a feed, "
        f"{_f(hf.get('mean_items'), 1)} items on average"
    )
    r = hf.get("repetition", {})
    add(
        "  repetition mean (median): "
        + ", ".join(
            f"{label} {_f(r.get(key, {}).get('mean'))} ({_f(r.get(key, {}).get('median'))})"
            for key, label in (
                ("topics", f"topics of {_f(hf.get('topic_categories'))}"),
                ("sources", "sources"),
                ("combined", "combined"),
            )
        )
    )
    x = hf.get("outside_share", {})
    if x.get("available") is False:
        add(f"  items from outside one's community: not available ({x.get('reason')})")
    else:
        add(
            f"  items from outside one's community: {_f(x.get('pooled'))} pooled, "
            f"{_f(x.get('mean_account_share'))} mean per account "
            f"(communities from {x.get('communities_from')})"
        )


#: How each outcome of the campaign's effect is named, and its unit.
OUTCOME_WORDS = {
    "follower_growth": ("follower growth", "followers a day"),
    "reach_per_post": ("reach per post", "interactions a post"),
    "reciprocity": ("reciprocity", "share of ties mutual"),
}


def _format_campaign(ce: Mapping[str, Any], add: Any) -> None:
    if not ce:
        return
    m = ce.get("matching", {})
    add("")
    add(
        f"campaign effect of #{ce.get('hashtag')} ({_f(ce.get('window_days'), 1)} days before "
        f"vs after adopting; {_f(ce.get('adopters'))} adopters, {_f(m.get('matched'))} matched "
        f"to non-adopters, {_f(m.get('unmatched'))} without a control within "
        f"{_f(m.get('caliper_sd'), 2)} sd)"
    )
    for key, (label, unit) in OUTCOME_WORDS.items():
        o = ce.get("outcomes", {}).get(key)
        if o is None:
            why = ce.get("unavailable", {}).get(key, "not computed")
            add(f"  {label}: not available ({why})")
            continue
        if not o.get("pairs"):
            add(f"  {label}: no matched pair has a value both before and after adopting")
            continue
        lo, hi = o.get("ci") or (None, None)
        add(
            f"  {label} ({unit}): difference in differences {_f(o.get('effect'))} "
            f"[{_f(lo)}, {_f(hi)}] over {_f(o.get('pairs'))} pairs (adopters "
            f"{_f(o.get('adopters_before'))} -> {_f(o.get('adopters_after'))}, controls "
            f"{_f(o.get('controls_before'))} -> {_f(o.get('controls_after'))})"
        )
    cf = ce.get("campaign_follows", {})
    if cf.get("available"):
        add(
            f"  follows between adopters made after both adopted: "
            f"{_f(cf.get('after_both_adopted'))} of {_f(cf.get('between_adopters'))} "
            f"({_f(cf.get('share'))})"
        )
    for note in ce.get("notes", []):
        add(f"  note: {note}")


def graph_lines(g: Mapping[str, Any], *, tail_detail: bool = True) -> list[str]:
    """The follow graph's first lines in a text summary: accounts and follows,
    then (when the graph has edges) reciprocity and both degree distributions;
    with ``tail_detail``, each tail's size, KS distance and the power law vs
    lognormal test. Shared by the in-memory and out-of-core summaries."""
    lines = [
        f"  accounts {_f(g.get('accounts'))} ({_f(g.get('accounts_only_in_follows'))} only in "
        f"follows), follows {_f(g.get('follows'))} (dropped: {_f(g.get('duplicate_follows'))} "
        f"duplicates, {_f(g.get('self_follows'))} self-follows)"
    ]
    if g.get("available") is False:
        lines.append(f"  graph measures: not available ({g.get('reason')})")
        return lines
    r = g.get("reciprocity", {})
    lines.append(
        f"  reciprocity {_f(r.get('reciprocity'))} ({_f(r.get('mutual_pairs'))} mutual "
        f"pairs), rho {_f(r.get('rho'))}"
    )
    for key, label in (("in_degree", "followers (in-degree)"), ("out_degree", "following")):
        d = g.get(key, {})
        pl = d.get("power_law", {})
        q = d.get("quantiles", {})
        detail = f" (n={_f(pl.get('n_tail'))}, KS {_f(pl.get('ks'))})" if tail_detail else ""
        lines.append(
            f"  {label}: mean {_f(d.get('mean'), 1)}, median {_f(d.get('median'), 0)}, "
            f"p99 {_f(q.get('p99'), 0)}, max {_f(d.get('max'))}, gini {_f(d.get('gini'))}; "
            f"power-law tail alpha {_f(pl.get('alpha'), 2)} from xmin "
            f"{_f(pl.get('xmin'), 0)}{detail}"
        )
        tt = d.get("tail_test", {})
        if tail_detail and tt.get("available") is not False and tt:
            lines.append(
                f"    power law vs lognormal over the tail: normalised LR "
                f"{_f(tt.get('normalised_ratio'), 2)}, p {_f(tt.get('p'))}: favours "
                f"{tt.get('favoured')}"
            )
    return lines


def format_summary(summary: Mapping[str, Any]) -> str:
    """A readable text rendering of :attr:`Analysis.summary`."""
    lines: list[str] = []
    add = lines.append
    inp = summary.get("inputs", {})
    add("inputs: " + ", ".join(f"{k} {_f(v)}" for k, v in inp.items()))
    g = summary.get("graph", {})
    add("")
    add("follow graph")
    lines += graph_lines(g)
    if g.get("available") is not False:
        c = g.get("clustering", {})
        add(
            f"  clustering: average {_f(c.get('average'))}, transitivity "
            f"{_f(c.get('transitivity'))}, triangles {_f(c.get('triangles'))}"
        )
        cm = g.get("communities", {})
        add(
            f"  communities (louvain, seed {cm.get('seed')}): {_f(cm.get('count'))} "
            f"({_f(cm.get('non_singleton'))} non-singleton), largest "
            f"{cm.get('largest', [])[:5]}, modularity {_f(cm.get('modularity'))}"
        )
    iso = summary.get("isolation", {})
    add("")
    if iso.get("available") is False:
        add(f"isolation: not available ({iso.get('reason')})")
    else:
        add(f"isolation (communities from {iso.get('communities_from')})")
        e = iso.get("ei_index", {})
        add(
            f"  E-I index {_f(e.get('ei'))} (external {_f(e.get('external'))}, internal "
            f"{_f(e.get('internal'))}, unlabelled {_f(e.get('unlabelled'))})"
        )
        x = iso.get("outside_exposure", {})
        add(
            f"  exposures from outside one's community: {_f(x.get('share'))} pooled, "
            f"{_f(x.get('mean_account_share'))} mean per account "
            f"(weighted by {x.get('weighting')})"
        )
    lh = iso.get("leaning_homophily", {})
    if lh.get("available"):
        add(
            f"  leaning vs neighbours' leaning: pearson {_f(lh.get('pearson'))}, spearman "
            f"{_f(lh.get('spearman'))} over {_f(lh.get('accounts'))} accounts"
        )
    else:
        add(f"  leaning homophily: not available ({lh.get('reason')})")
    _format_home_feed(summary.get("home_feed", {}), add)
    rs = summary.get("reach", {})
    add("")
    add("reach against followers")
    if rs.get("available") is False:
        add(f"  not available ({rs.get('reason')})")
    else:
        add(
            f"  posts {_f(rs.get('posts'))} ({_f(rs.get('posts_in_data'))} in the data, "
            f"{_f(_minus(rs.get('posts'), rs.get('posts_in_data')))} only referenced; "
            f"reposts excluded), with any reach "
            f"{_f(rs.get('posts_with_reach'))}, author followers unknown "
            f"{_f(rs.get('posts_author_followers_unknown'))}"
        )
        for key, label in (
            ("reach_vs_followers", "post reach"),
            ("cascade_size_vs_followers", "cascade size"),
            ("account_reach_vs_followers", "account reach"),
        ):
            d = rs.get(key, {})
            add(
                f"  {label} vs followers (n={_f(d.get('n'))}): spearman {_ci(d, 'spearman')}, "
                f"log-log slope {_ci(d, 'slope')}"
            )
    hs = summary.get("hashtags", {})
    add("")
    add(f"hashtags: {_f(hs.get('uses'))} uses of {_f(hs.get('distinct'))} hashtags")
    for row in hs.get("top", [])[:10]:
        add(f"  #{row['hashtag']}: {_f(row['posts'])} posts by {_f(row['accounts'])} accounts")
    net = hs.get("network")
    if net:
        add(
            f"  #{net['hashtag']} adopters {_f(net['adopters'])}, interacting "
            f"{_f(net['active'])}, edges {_f(net['edges'])}, reciprocity "
            f"{_f(net['reciprocity'])}, components {_f(net['components'])} (largest "
            f"{_f(net['largest_component'])})"
        )
    _format_campaign(summary.get("campaign_effect", {}), add)
    tm = summary.get("timings", {})
    if tm:
        add("")
        add("time: " + ", ".join(f"{k} {v:.2f}s" for k, v in tm.items()))
    return "\n".join(lines)
