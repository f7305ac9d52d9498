"""``mutuals plot``: figures of a simulation run."""

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
@click.option("--dpi", type=click.IntRange(30, 600), default=120, show_default=True)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Write into an --out folder that holds files mutuals did not write (left alone).",
)
def plot(run: Path, out: Path | None, dpi: int, overwrite: bool) -> None:
    """Draw the figures of RUN, a folder written by `mutuals simulate`.

    Writes PNGs: feed quality and repetition over time, followers by
    community (start vs end), who reads whom, reach against followers; for
    SimSoM runs, quality per step and bot messages in human feeds.
    """
    try:
        from mutuals.io.folders import FolderWriter
        from mutuals.io.runs import read_run

        tables, _ = read_run(run)
        # checked before any figure is drawn
        with FolderWriter(out or run / "plots", "plots", overwrite=overwrite, what="--out") as w:
            from mutuals.report.plots import plot_run

            written = plot_run(tables, w.path, dpi=dpi, writer=w)
        for p in written:
            click.echo(str(p))
    except MutualsError as e:
        raise click.ClickException(str(e)) from None
