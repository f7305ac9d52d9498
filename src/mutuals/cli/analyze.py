"""``mutuals analyze STORE``: every measure on a canonical store, printed and written."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

__all__ = ["analyze"]


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
    """
    from mutuals import __version__
    from mutuals.errors import InputError, MutualsError
    from mutuals.io.folders import FolderWriter
    from mutuals.io.store import open_store
    from mutuals.report.analyze import analyze_store, format_summary, write_analysis
    from mutuals.report.analyze_page import DetectionView, read_detection

    detection: DetectionView | str | None = None
    try:
        opened = open_store(store)  # a run folder or a damaged store: one line, now
        folder = out if out is not None else store / "analysis"
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
