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
def plot(run: Path, out: Path | None, dpi: int) -> None:
    """Draw the figures of RUN, a folder written by `mutuals simulate`.

    Writes PNGs: feed quality and repetition over time, followers by
    community (start vs end), who reads whom, reach against followers; for
    SimSoM runs, quality per step and bot messages in human feeds.
    """
    try:
        from mutuals.io.runs import read_run
        from mutuals.report.plots import plot_run

        tables, _ = read_run(run)
        for p in plot_run(tables, out or run / "plots", dpi=dpi):
            click.echo(str(p))
    except MutualsError as e:
        raise click.ClickException(str(e)) from None
