"""Figures of a simulation run, or of a canonical store, drawn from their tables.

Compute and plot are kept apart: every function here takes tables a run
already wrote (see :func:`mutuals.io.runs.read_run`), or arrays measured from a
store's canonical tables, and returns a :class:`matplotlib.figure.Figure`
built with the object-oriented API, so the library never touches pyplot's
global state. :func:`plot_run` writes a run's figures, :func:`plot_store` a
store's (degree CCDFs, reach against followers, hashtag adoption).
matplotlib is an optional dependency (``pip install 'mutuals[plot]'``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mutuals.errors import InputError
from mutuals.io.folders import FolderWriter

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "adoption_figure",
    "degree_ccdf_figure",
    "exposure_figure",
    "followers_figure",
    "plot_run",
    "plot_store",
    "reach_figure",
    "simsom_figure",
    "steps_figure",
    "store_reach_figure",
]


def _figure(ncols: int = 1, width: float = 6.0) -> tuple[Figure, Any]:
    try:
        from matplotlib.figure import Figure
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise InputError("plots need matplotlib: pip install 'mutuals[plot]'") from e
    fig = Figure(figsize=(width * ncols, 4.0), layout="constrained")
    axes = fig.subplots(1, ncols)
    return fig, axes


def _col(t: pa.Table, name: str) -> np.ndarray:
    if name not in t.column_names:
        raise InputError(f"table lacks column {name!r}; columns: {t.column_names}")
    return t.column(name).to_numpy(zero_copy_only=False)


def steps_figure(steps: pa.Table) -> Figure:
    """Feed quality and topic/source repetition over simulated days."""
    if steps.num_rows == 0:
        raise InputError("the steps table is empty")
    fig, (a, b) = _figure(2)
    day = _col(steps, "day")
    a.plot(day, _col(steps, "feed_quality"), color="tab:green")
    a.set(xlabel="day", ylabel="mean feed quality", title="Feed quality")
    b.plot(day, _col(steps, "topic_repetition"), label="topics")
    b.plot(day, _col(steps, "source_repetition"), label="sources")
    b.set(xlabel="day", ylabel="1 - normalised entropy", title="Feed repetition", ylim=(0, 1))
    b.legend()
    return fig


def followers_figure(accounts: pa.Table) -> Figure:
    """Complementary CDF of followers at the start and end of the run, by community."""
    fig, ax = _figure(1)
    comm = _col(accounts, "community")
    for i, name in enumerate(sorted(set(comm.tolist()))):
        sel = comm == name
        color = f"C{i % 10}"
        for col, style in (("followers_start", ":"), ("followers", "-")):
            x = np.sort(_col(accounts, col)[sel])
            x = x[x > 0]
            if x.size == 0:
                continue
            ccdf = 1.0 - np.arange(x.size) / x.size
            label = f"{name} ({'start' if col == 'followers_start' else 'end'})"
            ax.loglog(x, ccdf, style, color=color, label=label)
    ax.axvline(1000, color="grey", lw=0.8)
    ax.set(xlabel="followers", ylabel="P(followers >= x)", title="Followers by community")
    ax.legend(fontsize="small")
    return fig


def exposure_figure(exposures: pa.Table) -> Figure:
    """Who reads whom: share of each reader community's reads by author community (last tick)."""
    if exposures.num_rows == 0:
        raise InputError("the exposures table is empty")
    last = pc.max(exposures.column("tick")).as_py()
    t = exposures.filter(pc.equal(exposures.column("tick"), last))
    names = sorted(
        set(t.column("author_community").to_pylist())
        | set(t.column("reader_community").to_pylist())
    )
    idx = {n: i for i, n in enumerate(names)}
    mat = np.zeros((len(names), len(names)))
    for a, r, n in zip(
        t.column("author_community").to_pylist(),
        t.column("reader_community").to_pylist(),
        t.column("exposures").to_pylist(),
        strict=True,
    ):
        mat[idx[r], idx[a]] += n
    share = mat / np.maximum(mat.sum(1, keepdims=True), 1)
    fig, ax = _figure(1, width=5.0)
    im = ax.imshow(share, vmin=0, vmax=1, cmap="viridis")
    ax.set_xticks(range(len(names)), names, rotation=30)
    ax.set_yticks(range(len(names)), names)
    for i in range(len(names)):
        for j in range(len(names)):
            ax.text(
                j,
                i,
                f"{share[i, j]:.2f}",
                ha="center",
                va="center",
                color="w" if share[i, j] < 0.6 else "k",
            )
    ax.set(xlabel="author community", ylabel="reader community", title="Share of reads")
    fig.colorbar(im, ax=ax)
    return fig


def reach_figure(posts: pa.Table, accounts: pa.Table) -> Figure:
    """Reach (feed deliveries) of original posts against the author's followers (claim C1)."""
    kind = _col(posts, "kind")
    orig = kind == "post"
    author = _col(posts, "author")[orig]
    reach = _col(posts, "deliveries")[orig]
    followers = _col(accounts, "followers")[author]
    fig, ax = _figure(1)
    ax.loglog(followers + 1, reach + 1, ".", alpha=0.2, ms=2)
    ax.set(
        xlabel="author followers + 1",
        ylabel="reach (deliveries) + 1",
        title="Reach against followers",
    )
    return fig


def simsom_figure(timeline: pa.Table) -> Figure:
    """SimSoM: quality per step, smoothed quality, and bot entries in human feeds."""
    if timeline.num_rows == 0:
        raise InputError("the timeline table is empty")
    fig, (a, b) = _figure(2)
    step = _col(timeline, "step")
    a.plot(step, _col(timeline, "quality"), lw=0.8, label="Q_t")
    a.plot(step, _col(timeline, "smoothed_quality"), label="smoothed q")
    a.set(xlabel="step", ylabel="average quality", title="Quality")
    a.legend()
    b.plot(step, _col(timeline, "bot_share_in_human_feeds"), color="tab:red")
    b.set(xlabel="step", ylabel="share of entries", title="Bot messages in human feeds")
    return fig


def _ccdf(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct positive values and P(X >= value)."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    x = x[x > 0]
    if x.size == 0:
        return x, x
    u, first = np.unique(x, return_index=True)
    return u, 1.0 - first / x.size


def degree_ccdf_figure(in_degree: np.ndarray, out_degree: np.ndarray) -> Figure:
    """P(X >= x) of followers and of friends (accounts followed) on log-log
    axes, each with its power-law tail fitted from ``xmin``
    (:func:`mutuals.metrics.graph.fit_power_law`, Clauset et al. 2009)."""
    from scipy.special import zeta

    from mutuals.metrics.graph import fit_power_law

    fig, axes = _figure(2)
    for ax, deg, what in ((axes[0], in_degree, "followers"), (axes[1], out_degree, "friends")):
        u, p = _ccdf(deg)
        ax.set(xlabel=what, ylabel="P(X >= x)", title=f"{what.capitalize()} (CCDF)")
        if u.size == 0:
            ax.text(0.5, 0.5, f"no account has {what}", ha="center", transform=ax.transAxes)
            continue
        ax.loglog(u, p, ".", ms=3, color="tab:grey", label="data")
        fit = fit_power_law(deg, discrete=True)
        if np.isfinite(fit.alpha) and u.max() > fit.xmin:
            xs = np.unique(np.round(np.geomspace(fit.xmin, u.max(), 60)))
            share = float((np.asarray(deg) >= fit.xmin).mean() / (np.asarray(deg) > 0).mean())
            ys = p[0] * share * zeta(fit.alpha, xs) / zeta(fit.alpha, fit.xmin)
            ax.loglog(xs, ys, "-", color="tab:blue", label=f"power law, alpha {fit.alpha:.2f}")
            ax.axvline(fit.xmin, color="grey", lw=0.8, ls=":")
        ax.legend(fontsize="small")
    return fig


def store_reach_figure(reach: np.ndarray, followers: np.ndarray, slope: float) -> Figure:
    """Reach of posts against their authors' followers (log of 1 + each), with
    the least-squares line of slope ``slope`` through the means."""
    r = np.asarray(reach, dtype=np.float64)
    f = np.asarray(followers, dtype=np.float64)
    ok = np.isfinite(r) & np.isfinite(f)
    r, f = r[ok], f[ok]
    fig, ax = _figure(1)
    ax.set(xlabel="author followers + 1", ylabel="reach (interactions) + 1",
           title="Reach against followers")  # fmt: skip
    if r.size == 0:
        ax.text(0.5, 0.5, "no post with a known author", ha="center", transform=ax.transAxes)
        return fig
    ax.loglog(f + 1, r + 1, ".", alpha=0.2, ms=2)
    if np.isfinite(slope):
        lx, ly = np.log10(1 + f), np.log10(1 + r)
        a = ly.mean() - slope * lx.mean()
        xs = np.array([lx.min(), lx.max()])
        ax.loglog(10**xs, 10 ** (a + slope * xs), color="tab:orange", label=f"slope {slope:.3f}")
        ax.legend(fontsize="small")
    return fig


def adoption_figure(curves: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> Figure:
    """Cumulative adopters of each hashtag by day (``{tag: (days, adopters)}``,
    days as ``datetime64[D]``)."""
    fig, ax = _figure(1)
    for tag, (days, total) in curves.items():
        # the total after day d's adoptions holds over [d, d + 1)
        d = np.append(days, days[-1] + np.timedelta64(1, "D"))
        ax.step(d, np.append(total, total[-1]), where="post", label=f"#{tag}")
    ax.set(xlabel="UTC day", ylabel="adopters so far", title="Hashtag adoption")
    if curves:
        ax.legend(fontsize="small")
    fig.autofmt_xdate()
    return fig


def plot_store(
    tables: Mapping[str, pa.Table],
    out: str | Path,
    *,
    hashtag: str | None = None,
    top: int = 5,
    dpi: int = 120,
    overwrite: bool = False,
    writer: FolderWriter | None = None,
) -> list[Path]:
    """Write a store's figures as PNG files into ``out``: ``degrees.png``
    (follower and friend CCDFs), ``reach.png`` (reach against followers) and
    ``adoption.png`` (adopters by day of ``hashtag``, else of the ``top`` most
    used hashtags; an adopter's first post or quote under it), each when the
    tables allow it.

    ``tables`` are canonical tables (:mod:`mutuals.tables`; absent ones are
    empty). ``out`` is a folder of figures, as for :func:`plot_run`.
    """
    from mutuals.io.store import conform
    from mutuals.metrics import graph as mg
    from mutuals.metrics import hashtags as mh
    from mutuals.metrics import reach as mr
    from mutuals.metrics._tables import gather
    from mutuals.metrics.campaign_effect import adoption_times
    from mutuals.tables import SCHEMAS

    t = {
        name: conform(name, tables[name]) if name in tables else SCHEMAS[name].empty_table()
        for name in ("accounts", "follows", "posts", "interactions")
    }
    figures: dict[str, Figure] = {}
    g = mg.follow_graph(t["accounts"], t["follows"])
    if g.n_follows:
        figures["degrees"] = degree_ccdf_figure(g.in_degree, g.out_degree)
    if t["posts"].num_rows or t["interactions"].num_rows:
        pr = mr.post_reach(t["posts"], t["interactions"])
        followers, _ = mr.author_followers(t["accounts"], g)
        fol = gather(followers, g.index.lookup(pr["platform"], pr["author_id"]), np.nan)
        orig = pr["kind"].to_numpy(zero_copy_only=False) != "repost"
        reach = pr["reach"].to_numpy().astype(np.float64)
        fit = mr.reach_vs_followers(reach[orig], fol[orig], n_boot=0)
        if fit.n:
            figures["reach"] = store_reach_figure(reach[orig], fol[orig], fit.slope)
    if t["posts"].num_rows:
        if hashtag is not None:
            tags = [mh._norm(hashtag)]
        else:
            used = mh.top_hashtags(mh.hashtag_uses(t["posts"], kinds=("post", "quote")), top)
            tags = used["hashtag"].to_pylist()
        curves = {}
        for tag in tags:
            ad = adoption_times(t["posts"], tag).drop_null()
            if ad.num_rows:
                day = ad["adopted_at"].to_numpy().astype("datetime64[D]")
                u, c = np.unique(day, return_counts=True)
                curves[tag] = (u, np.cumsum(c))
        if hashtag is not None and not curves:
            raise InputError(f"--hashtag #{tags[0]}: no post or quote with a time uses it")
        if curves:
            figures["adoption"] = adoption_figure(curves)
    if not figures:
        raise InputError("nothing to plot: the store holds no follows and no posts")
    if writer is None:
        with FolderWriter(out, "plots", overwrite=overwrite, what="--out") as w:
            return _save(w, figures, dpi)
    return _save(writer, figures, dpi)


def plot_run(
    tables: Mapping[str, pa.Table],
    out: str | Path,
    *,
    dpi: int = 120,
    overwrite: bool = False,
    writer: FolderWriter | None = None,
) -> list[Path]:
    """Write every figure the run's tables allow as PNG files into ``out``.

    ``out`` is a folder of figures (:class:`~mutuals.io.folders.FolderWriter`,
    kind ``"plots"``): written as one transaction, refused when it holds files
    mutuals did not write (``overwrite`` writes beside them).
    """
    figures: dict[str, Figure] = {}
    if "timeline" in tables:
        figures["simsom"] = simsom_figure(tables["timeline"])
    if "steps" in tables and tables["steps"].num_rows:
        figures["steps"] = steps_figure(tables["steps"])
    if "accounts" in tables:
        figures["followers"] = followers_figure(tables["accounts"])
    if "exposures" in tables and tables["exposures"].num_rows:
        figures["exposures"] = exposure_figure(tables["exposures"])
    if "posts" in tables and "accounts" in tables:
        figures["reach"] = reach_figure(tables["posts"], tables["accounts"])
    if not figures:
        raise InputError(f"nothing to plot: tables {sorted(tables)}")
    if writer is None:
        with FolderWriter(out, "plots", overwrite=overwrite, what="--out") as w:
            return _save(w, figures, dpi)
    return _save(writer, figures, dpi)


def _save(w: FolderWriter, figures: Mapping[str, Figure], dpi: int) -> list[Path]:
    try:
        for name, fig in figures.items():
            tmp = w.temp_file(f"{name}.png")
            fig.savefig(tmp, dpi=dpi, format="png")
            w.stage(f"{name}.png", tmp)
        return w.commit()
    except OSError as e:
        raise InputError(
            f"cannot write the figures to {str(w.path)!r}: {e.strerror or e}"
        ) from None
