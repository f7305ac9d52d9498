"""``mutuals plot``: figures of a simulation run, or of a canonical store."""

from __future__ import annotations

from pathlib import Path

import click

from mutuals.errors import MutualsError

__all__ = ["plot"]


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("run", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the PNG files [default: RUN/plots].",
)
@click.option(
    "--store",
    "from_store",
    is_flag=True,
    help="Draw the figures of the run folder's canonical store (RUN/store) instead of the run's.",
)
@click.option(
    "--hashtag",
    default=None,
    help="For a store: the hashtag whose adoption is drawn [default: the 5 most used].",
)
@click.option("--dpi", type=click.IntRange(30, 600), default=120, show_default=True)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Write into an --out folder that holds files mutuals did not write (left alone).",
)
def plot(
    run: Path, out: Path | None, from_store: bool, hashtag: str | None, dpi: int, overwrite: bool
) -> None:
    """Draw the figures of RUN: a folder written by `mutuals simulate`, or a
    store (written by `mutuals ingest`, or a run's RUN/store).

    For a run, writes PNGs: feed quality and repetition over time, followers
    by community (start vs end), who reads whom, reach against followers; for
    SimSoM runs, quality per step and bot messages in human feeds. For a
    store (or a run with --store): degrees.png (follower and friend CCDFs
    with the fitted power-law tail), reach.png (reach of posts against their
    authors' followers) and adoption.png (adopters of --hashtag, or of the
    most used hashtags, by day).
    """
    try:
        from mutuals.io.folders import FolderWriter, folder_kind
        from mutuals.io.store import is_store

        kind = folder_kind(run)
        a_run = kind is not None and kind[0] == "run"
        if from_store or (not a_run and is_store(run)):
            from mutuals.io.store import open_store

            store = open_store(run)  # a run folder: its RUN/store
            tables = {
                name: store.table(name) for name in ("accounts", "follows", "posts", "interactions")
            }
            folder = out or run / "plots"
            with FolderWriter(folder, "plots", overwrite=overwrite, what="--out") as w:
                from mutuals.report.plots import plot_store

                written = plot_store(tables, w.path, hashtag=hashtag, dpi=dpi, writer=w)
        else:
            from mutuals.io.runs import read_run

            if hashtag is not None:
                raise click.UsageError("--hashtag applies to a store (or a run with --store)")
            try:
                tables, _ = read_run(run)
            except MutualsError as e:
                raise MutualsError(f"{e}, nor a store") from None
            # checked before any figure is drawn
            with FolderWriter(
                out or run / "plots", "plots", overwrite=overwrite, what="--out"
            ) as w:
                from mutuals.report.plots import plot_run

                written = plot_run(tables, w.path, dpi=dpi, writer=w)
        for p in written:
            click.echo(str(p))
    except MutualsError as e:
        raise click.ClickException(str(e)) from None
