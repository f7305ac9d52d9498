"""``mutuals sweep``: a scenario over a grid of values times replicates, on Dask."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from mutuals.errors import InputError, MutualsError

__all__ = ["parse_grid", "sweep"]


def parse_grid(items: Sequence[str]) -> dict[str, list[Any]]:
    """``["gamma=0.001,0.01", ...]`` into ``{"gamma": [0.001, 0.01], ...}``.

    Values are split on the commas outside brackets and quotes, and each is
    parsed as ``mutuals simulate --set`` parses one (a TOML value, else a bare
    word as a string). Raises :class:`~mutuals.errors.InputError` for a
    malformed item, an empty value or a key given twice.
    """
    from mutuals.cli.simulate import _parse_set
    from mutuals.sweeps.grid import split_values

    grid: dict[str, list[Any]] = {}
    for item in items:
        if "=" not in item:
            raise InputError(f"--grid {item!r}: not KEY=V1,V2,...")
        key, raw = (s.strip() for s in item.split("=", 1))
        if not key:
            raise InputError(f"--grid {item!r}: empty key")
        if key in grid:
            raise InputError(f"--grid {key}: given twice; list all its values in one --grid")
        values = split_values(raw)
        if any(not v for v in values):
            raise InputError(f"--grid {key}: empty value in {raw!r}")
        try:
            grid[key] = [_parse_set((f"{key}={v}",))[key] for v in values]
        except click.BadParameter as e:
            raise InputError(f"--grid {key}: {e.message}") from None
    return grid


def _fmt(v: float) -> str:
    return "nan" if v is None or math.isnan(v) else f"{v:.4g}"


def _label(row: dict[str, Any], keys: Sequence[str]) -> str:
    return " ".join(f"{k}={row[k]}" for k in keys)


def _print_simsom(points: Any, keys: Sequence[str], seeds: int) -> None:
    click.echo(
        f"relative quality (quality / the same seeds' no-bot runs), mean and 95% interval"
        f" over {seeds} replicate(s):"
    )
    rows = points.to_pylist()
    w = max(len(_label(r, keys)) for r in rows)
    for r in rows:
        click.echo(
            f"  {_label(r, keys):<{w}}  {_fmt(r['relative_quality_mean']):>7}"
            f"  [{_fmt(r['relative_quality_low'])}, {_fmt(r['relative_quality_high'])}]"
            f"   quality {_fmt(r['quality_mean'])}"
        )


def _print_table(points: Any, keys: Sequence[str], measures: Sequence[str], seeds: int) -> None:
    click.echo(f"mean [95% interval] over {seeds} replicate(s) per grid point:")
    rows = points.to_pylist()
    cells = [[_label(r, keys) for r in rows]]
    for m in measures:
        cells.append(
            [
                f"{_fmt(r[m + '_mean'])} [{_fmt(r[m + '_low'])}, {_fmt(r[m + '_high'])}]"
                for r in rows
            ]
        )
    names = ["", *measures]
    wn = max(len(n) for n in names)
    widths = [max(len(c[j]) for c in cells) for j in range(len(rows))]
    for name, line in zip(names, cells, strict=True):
        click.echo(f"  {name:<{wn}}  " + "  ".join(f"{c:<{widths[j]}}" for j, c in enumerate(line)))


@click.command(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.argument("scenario")
@click.option(
    "--grid",
    "grids",
    multiple=True,
    required=True,
    metavar="KEY=V1,V2,...",
    help="A parameter and its values (repeatable: the runs are the cartesian product).",
)
@click.option(
    "--seeds", type=click.IntRange(min=1), required=True, help="Replicates per grid point."
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Sweep folder: one result file per run, then results.parquet; an interrupted sweep"
    " there is resumed.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="A running dask scheduler (tcp://host:8786) [default: a local cluster];"
    " 'serial' runs in this process without dask.",
)
@click.option(
    "--workers", type=click.IntRange(min=1), help="Local cluster worker processes [default: cores]."
)
@click.option(
    "--seed",
    type=int,
    help="Root seed of the replicates [default: the resumed sweep's, else fresh entropy, recorded].",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Write into an --out folder that holds files mutuals did not write (none is replaced).",
)
@click.option("--progress/--no-progress", default=True, help="Show a progress bar on stderr.")
def sweep(**options: Any) -> None:
    """Run SCENARIO at every point of the --grid times --seeds replicates.

    SCENARIO is a built-in name (default, ranked, simsom) or a TOML file. Each
    run is one task on dask.distributed; each writes OUT/run-ID.json (its
    parameters, seed, measures and manifest: `mutuals simulate --from-manifest
    OUT/run-ID.json` re-runs it). Results: OUT/results.parquet, one row per
    run. Replicate r of every grid point has the same seed, spawned from the
    root seed. Killed and started again, a sweep runs only what is missing.

    \b
    Examples:
      mutuals sweep simsom --grid gamma=0.0001,0.001,0.01,0.1 --seeds 5 --out sw
      mutuals sweep default --grid ranking=chronological,ranked --grid p_post=0.3,0.6 \\
          --seeds 3 --out sw2 --workers 4
      mutuals sweep ranked --grid half_life=3,12 --seeds 10 --out sw3 \\
          --scheduler tcp://10.0.0.5:8786
    """
    try:
        _sweep(**options)
    except MutualsError as e:
        raise click.ClickException(str(e)) from None


def _sweep(
    *,
    scenario: str,
    grids: tuple[str, ...],
    seeds: int,
    out: Path,
    scheduler: str | None,
    workers: int | None,
    seed: int | None,
    overwrite: bool,
    progress: bool,
) -> None:
    from mutuals.scenarios.load import load_scenario
    from mutuals.sweeps import summarize
    from mutuals.sweeps import sweep as run_sweep
    from mutuals.sweeps.summary import measure_columns

    sc = load_scenario(scenario)
    grid = parse_grid(grids)
    if workers is not None and scheduler is not None:
        raise click.UsageError("--workers sizes the local cluster; drop it with --scheduler")
    table = run_sweep(
        sc,
        grid=grid,
        seeds=seeds,
        out=out,
        scheduler=scheduler,
        workers=workers,
        seed=seed,
        overwrite=overwrite,
        progress=progress,
        on_message=lambda m: click.echo(m, err=True),
    )
    keys = list(grid)
    points = summarize(table, keys)
    shown = [k for k in keys if len(grid[k]) > 1] or keys  # a fixed value labels nothing
    if sc.model == "simsom":
        _print_simsom(points, shown, seeds)
    else:
        _print_table(points, shown, measure_columns(table, keys), seeds)
    click.echo(f"{table.num_rows} runs -> {out / 'results.parquet'}", err=True)
