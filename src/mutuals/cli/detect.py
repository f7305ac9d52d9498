"""``mutuals detect STORE``: likely infiltrators and coordinated groups, with evidence."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

__all__ = ["detect"]

_SECONDS = click.FloatRange(min=0, min_open=True)


@click.command("detect")
@click.argument("store", type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder for scores, groups, evidence, detect.json and detect.html  "
    "[default: STORE/detection]",
)
@click.option("--hashtag", default=None,
              help="The community's hashtag: arrivals, growth and drift are measured against "
              "its users. Without it: every hashtag, and Louvain communities.")  # fmt: skip
@click.option("--window", type=_SECONDS, default=None,
              help="Arrival window in seconds  [default: estimated from the data: the "
              "--window-quantile of the time --min-burst consecutive arrivals span]")  # fmt: skip
@click.option("--window-quantile", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=0.1, show_default=True,
              help="Quantile of the arrival spans that sets the estimated window.")  # fmt: skip
@click.option("--co-window", type=click.FloatRange(min=0), default=60.0, show_default=True,
              help="Seconds within which two accounts' actions on one post, link or "
              "hashtag sequence count as a co-action.")  # fmt: skip
@click.option("--min-coactions", type=click.IntRange(min=1), default=3, show_default=True,
              help="Co-actions of a pair that flag it.")  # fmt: skip
@click.option("--min-burst", type=click.IntRange(min=1), default=5, show_default=True,
              help="Arrivals within the window that can flag a burst.")  # fmt: skip
@click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.05,
              show_default=True, help="Family-wise error of each test (Bonferroni).")  # fmt: skip
@click.option("--follow-window", type=_SECONDS, default=3600.0, show_default=True,
              help="Seconds of a follow burst.")  # fmt: skip
@click.option("--min-follow-burst", type=click.IntRange(min=1), default=100, show_default=True,
              help="Follows within --follow-window that flag a burst.")  # fmt: skip
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of Louvain (communities without --hashtag, large groups).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print detect.json.")
@click.option(
    "--overwrite",
    is_flag=True,
    help="Write into an --out folder that holds files mutuals did not write (left alone).",
)
def detect(
    store: Path,
    out: Path | None,
    hashtag: str | None,
    window: float | None,
    window_quantile: float,
    co_window: float,
    min_coactions: int,
    min_burst: int,
    alpha: float,
    follow_window: float,
    min_follow_burst: int,
    seed: int,
    as_json: bool,
    overwrite: bool,
) -> None:
    """Find likely infiltrators and coordinated follow trains in STORE, with evidence.

    STORE is a folder written by `mutuals ingest` or a simulation run (its
    canonical tables). Seven signals are computed separately: coordinated
    arrival under the hashtag, co-action networks (co-reposts, co-replies,
    co-links, identical hashtag sequences), dense mutual-follow cores, follow
    bursts, follower growth after joining, follow-back anomalies, and drift
    away from the community. Every flag keeps the store rows behind it and the
    threshold it passed; detect.html lists them for a moderator.
    """
    from mutuals.errors import MutualsError
    from mutuals.io.folders import FolderWriter
    from mutuals.io.store import open_store
    from mutuals.metrics.coordination import DetectParams
    from mutuals.report.detect import detect_store, format_detection, write_detection

    try:
        params = DetectParams(
            hashtag=hashtag,
            window=window,
            window_quantile=window_quantile,
            co_window=co_window,
            min_coactions=min_coactions,
            min_burst=min_burst,
            alpha=alpha,
            follow_window=follow_window,
            min_follow_burst=min_follow_burst,
            seed=seed,
        ).checked()
        opened = open_store(store)  # a damaged store or a run without tables: one line, now
        folder = out if out is not None else store / "detection"
        meta: dict[str, Any] = {"store": str(opened.path)}
        with FolderWriter(folder, "detection", overwrite=overwrite, what="--out") as w:
            result = detect_store(opened, params)
            written = write_detection(result, folder, meta=meta, writer=w)
    except MutualsError as e:
        raise click.ClickException(str(e)) from e
    if as_json:
        click.echo(json.dumps(json.loads((folder / "detect.json").read_text()), indent=2))
    else:
        click.echo(format_detection(result))
        click.echo(f"\nwrote {len(written)} files to {folder} (open detect.html)")
