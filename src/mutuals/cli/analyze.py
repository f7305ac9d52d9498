"""``mutuals analyze STORE``: every measure on a canonical store, printed and written."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import click

__all__ = ["analyze", "available_memory", "parse_size"]

_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}  # fmt: skip
#: Options that only the in-memory analysis reads.
_IN_MEMORY_ONLY = {
    "hashtag": "--hashtag",
    "campaign_window": "--campaign-window",
    "caliper": "--caliper",
    "detect_dir": "--detect",
    "n_boot": "--bootstrap",
    "home_feed_k": "--home-feed-k",
}


def parse_size(text: str) -> int:
    """Bytes of a size such as ``512MB``, ``16GB`` or ``4GiB`` (DuckDB's units:
    KB, MB, GB, TB are powers of 1000, KiB, MiB, GiB, TiB of 1024)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)?\s*", text, flags=re.IGNORECASE)
    if m is None:
        raise click.BadParameter(f"{text!r} is not a size; give one such as 512MB, 16GB or 4GiB")
    nbytes = int(float(m.group(1)) * _UNITS[(m.group(2) or "").lower()])
    if nbytes <= 0:
        raise click.BadParameter(f"{text!r}: the size must be positive")
    return nbytes


def available_memory() -> int:
    """Memory the analysis can take now: ``MemAvailable`` of /proc/meminfo
    (Linux), else the free physical pages."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not Linux or macOS
        return 8 * 10**9


def _gb(nbytes: float) -> str:
    return f"{nbytes / 1e9:.1f} GB"


@click.command("analyze")
@click.argument("store", type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder for the Parquet tables and summary.json  [default: STORE/analysis]",
)
@click.option("--hashtag", default=None,
              help="A campaign's hashtag: its adoption curve, its adopters' interaction network "
              "and its effect on them against matched non-adopters.")  # fmt: skip
@click.option("--campaign-window", "campaign_window", type=click.FloatRange(min=0, min_open=True),
              default=7.0, show_default=True,
              help="Days before and after adopting --hashtag that its effect compares.")  # fmt: skip
@click.option("--caliper", type=click.FloatRange(min=0), default=0.2, show_default=True,
              help="Largest distance of a matched non-adopter, in standard deviations of "
              "log followers and log posts.")  # fmt: skip
@click.option("--detect", "detect_dir", type=click.Path(path_type=Path), default=None,
              help="A `mutuals detect` output folder: its summary goes on report.html, with "
              "links into its page.")  # fmt: skip
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of community detection and bootstrap intervals.")  # fmt: skip
@click.option("--resolution", type=click.FloatRange(min=0, min_open=True), default=1.0,
              show_default=True, help="Modularity resolution of Louvain.")  # fmt: skip
@click.option("--bootstrap", "n_boot", type=click.IntRange(min=0), default=500,
              show_default=True, help="Bootstrap resamples for reach intervals.")  # fmt: skip
@click.option("--home-feed-k", "home_feed_k", type=click.IntRange(min=0), default=50,
              show_default=True,
              help="Items per reconstructed chronological home feed (about a first screen "
              "and a scroll or two); 0 skips the home-feed step.")  # fmt: skip
@click.option("--out-of-core/--in-memory", "route", default=None,
              help="Force a route. By default the in-memory analysis runs when the store's "
              "row counts say it fits in --memory, and the out-of-core one otherwise: degrees, "
              "reciprocity and the E-I index counted by DuckDB over the Parquet files, "
              "clustering estimated by wedge sampling with an interval, Louvain on the "
              "highest-degree accounts that fit.")  # fmt: skip
@click.option("--memory", "memory", default=None, metavar="SIZE",
              callback=lambda ctx, param, v: None if v is None else parse_size(v),
              help="Memory the analysis may use, such as 16GB  [default: the memory "
              "available now]")  # fmt: skip
@click.option("--clustering-error", "clustering_error", type=click.FloatRange(0, 1, min_open=True,
              max_open=True), default=0.005, show_default=True,
              help="Out of core: the clustering estimates are within this of the truth with "
              "95% probability (Hoeffding; sets the wedges drawn).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option(
    "--overwrite",
    is_flag=True,
    help="Write into an --out folder that holds files mutuals did not write (left alone).",
)
def analyze(
    store: Path,
    out: Path | None,
    overwrite: bool,
    hashtag: str | None,
    seed: int,
    resolution: float,
    n_boot: int,
    home_feed_k: int,
    campaign_window: float,
    caliper: float,
    detect_dir: Path | None,
    route: bool | None,
    memory: int | None,
    clustering_error: float,
    as_json: bool,
) -> None:
    """Measure the follow graph, reach, isolation, home feeds and hashtags of STORE.

    STORE is a folder written by `mutuals ingest` or by `mutuals simulate
    --store STORE` (or a run folder, for its store). Prints a summary and
    writes one Parquet table per result, summary.json and report.html (one
    self-contained page of the figures) to --out (an analysis folder of its
    own: never the store).

    With --hashtag, the campaign's effect: adopters' follower growth, reach
    per post and reciprocity in the --campaign-window days before and after
    adopting (their first post or quote under it), against non-adopters
    matched on followers and posts before, as a difference in differences
    with a 95% bootstrap interval over pairs (--bootstrap, --seed).

    Home feeds are each account's chronological timeline rebuilt from the
    follows and posts: the --home-feed-k newest posts, reposts and quotes of
    the accounts it follows as of the latest post; their topic and source
    repetition and the share from outside the account's community.

    Beyond memory: the store's row counts (Parquet metadata, nothing read)
    give the in-memory analysis's peak memory; when it exceeds --memory, a
    line says so and the out-of-core analysis runs instead (--out-of-core or
    --in-memory forces a route). It writes summary.json, degree_distribution,
    account_degrees and community tables; every figure that is estimated says
    so in summary.json, with its method and interval.
    """
    from mutuals import __version__
    from mutuals.errors import InputError, MutualsError
    from mutuals.io.folders import FolderWriter
    from mutuals.io.store import open_store
    from mutuals.report.analyze import analyze_store, format_summary, write_analysis
    from mutuals.report.analyze_page import DetectionView, read_detection

    detection: DetectionView | str | None = None
    memory_bytes = memory if memory is not None else available_memory()
    try:
        opened = open_store(store)  # a run folder or a damaged store: one line, now
        folder = out if out is not None else store / "analysis"
        from mutuals.metrics.outofcore import fits_in_memory

        check = fits_in_memory(opened, memory_bytes)  # from the row counts: nothing read
        why = None
        if not check.fits:
            why = (
                f"follows: {check.rows['follows']:,} rows (posts {check.rows['posts']:,}, "
                f"accounts {check.rows['accounts']:,}); the in-memory analysis needs about "
                f"{_gb(check.need_bytes)}, {_gb(memory_bytes)} available"
            )
            if route is False:
                click.echo(f"{why}: analysing in memory all the same (--in-memory)", err=True)
            elif route is None:
                click.echo(f"{why}: analysing out of core (--in-memory to force)", err=True)
        if route or (route is None and why is not None):
            _out_of_core(opened, folder, memory_bytes, why, overwrite=overwrite, seed=seed,
                             resolution=resolution, clustering_error=clustering_error,
                             as_json=as_json)  # fmt: skip
            return
        if detect_dir is not None:
            try:
                detection = read_detection(detect_dir, page_dir=folder)
            except InputError as e:  # the analysis goes on; the page says why
                detection = f"not shown: {e}"
                click.echo(f"--detect: {detection}", err=True)
        # --out is checked (and locked) before the analysis runs
        with FolderWriter(folder, "analysis", overwrite=overwrite, what="--out") as w:
            result = analyze_store(
                opened,
                seed=seed,
                hashtag=hashtag,
                resolution=resolution,
                n_boot=n_boot,
                home_feed_k=home_feed_k,
                campaign_window=campaign_window,
                caliper=caliper,
            )
            meta = {
                "store": str(opened.path),
                "command": " ".join(["mutuals", "analyze", *sys.argv[2:]])
                if len(sys.argv) > 1 and sys.argv[1] == "analyze"
                else "mutuals analyze",
                "mutuals": __version__,
            }
            written = write_analysis(result, folder, writer=w, meta=meta, detection=detection)
    except MutualsError as e:
        raise click.ClickException(str(e)) from e
    if as_json:
        click.echo(json.dumps(result.summary, indent=2))
    else:
        click.echo(format_summary(result.summary))
        click.echo(f"\nwrote {len(written)} files to {folder}")


def _out_of_core(
    opened: Any, folder: Path, memory_bytes: int, why: str | None, *, as_json: bool, **options: Any
) -> None:
    """Run :func:`mutuals.report.analyze_ooc.analyze_out_of_core` and print it."""
    from mutuals import __version__
    from mutuals.report.analyze_ooc import analyze_out_of_core, format_ooc_summary

    ctx = click.get_current_context()
    unused = [
        flag
        for name, flag in _IN_MEMORY_ONLY.items()
        if ctx.get_parameter_source(name) not in (None, click.core.ParameterSource.DEFAULT)
    ]
    if unused:
        click.echo(f"not used out of core: {', '.join(unused)}", err=True)
    meta = {
        "store": str(opened.path),
        "command": " ".join(["mutuals", "analyze", *sys.argv[2:]])
        if len(sys.argv) > 1 and sys.argv[1] == "analyze"
        else "mutuals analyze",
        "mutuals": __version__,
    }
    res = analyze_out_of_core(
        opened, folder, memory_bytes=memory_bytes, why=why, meta=meta, **options
    )
    if as_json:
        click.echo(json.dumps(res.summary, indent=2))
    else:
        click.echo(format_ooc_summary(res.summary))
        click.echo(f"\nwrote {len(res.written)} files to {folder}")
