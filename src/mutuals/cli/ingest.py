"""``mutuals ingest``: read data files of any supported format into a store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

__all__ = ["GC_THRESHOLDS", "ingest", "tuned_gc"]

#: Cyclic-GC thresholds while ingesting. Readers allocate millions of
#: short-lived containers and make no reference cycles worth collecting, so
#: frequent collections only cost time (about 8% of reading twarc2 pages).
GC_THRESHOLDS = (100_000, 50, 100)


@contextmanager
def tuned_gc() -> Iterator[None]:
    """Collect cyclic garbage rarely while the block runs, then restore the
    previous settings. Only the CLI (and benchmarks) use this: the library
    never changes interpreter-wide state."""
    import gc

    before = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _list_formats(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from mutuals.io.readers import formats

    for name, description in formats().items():
        click.echo(f"{name:<22} {description}")
    ctx.exit()


@click.command("ingest")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Store folder (created, or merged into if it exists).",
)
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write every skipped record to this JSON-lines file.",
)
@click.option(
    "--format",
    "fmt",
    help="Force a reader instead of detecting each file's format (see --list-formats).",
)
@click.option(
    "--list-formats",
    is_flag=True,
    is_eager=True,
    expose_value=False,
    callback=_list_formats,
    help="List the formats that can be read, then exit.",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Write the store into a folder that holds files mutuals did not write (they are"
    " left alone, never replaced), and replace an existing --rejects file.",
)
@click.option("--platform", help="Platform label for graph inputs (default: graph).")
@click.option(
    "--id-space",
    help="Edge-list inputs share this id space (by default each file's integer ids are"
    " its own, namespaced by the file).",
)
@click.option("--focal", "focal_id", help="Focal account id of v1.1 follower/friend id pages.")
@click.option(
    "--relation",
    type=click.Choice(["followers", "friends"]),
    help="What v1.1 id pages list, when the file name does not say.",
)
@click.option("--follower-col", help="Follower column of CSV/Parquet edge tables.")
@click.option("--friend-col", help="Friend (followed) column of CSV/Parquet edge tables.")
@click.option(
    "--chunk-rows",
    default=16384,
    show_default=True,
    type=click.IntRange(1),
    help="Rows per streamed chunk.",
)
@click.option(
    "--memory-limit", default="1GB", show_default=True, help="DuckDB memory limit for the merge."
)
@click.option(
    "--threads",
    default=2,
    show_default=True,
    type=click.IntRange(1),
    help="DuckDB threads for the merge (reading is single-threaded).",
)
def ingest(
    inputs: tuple[Path, ...],
    out: Path,
    rejects: Path | None,
    fmt: str | None,
    overwrite: bool,
    platform: str | None,
    id_space: str | None,
    focal_id: str | None,
    relation: str | None,
    follower_col: str | None,
    friend_col: str | None,
    chunk_rows: int,
    memory_limit: str,
    threads: int,
) -> None:
    """Read INPUT files (X API v2/v1.1/GNIP, edge lists, ...) into the store --out.

    Each file's format is detected from its content (gzip is read transparently).
    Prints, per input, what was read, kept and skipped and why.
    """
    from mutuals.errors import MutualsError
    from mutuals.io.ingest import ingest as run

    options: dict[str, Any] = {
        k: v
        for k, v in {
            "platform": platform,
            "id_space": id_space,
            "focal_id": focal_id,
            "relation": relation,
            "follower_col": follower_col,
            "friend_col": friend_col,
        }.items()
        if v is not None
    }
    try:
        with tuned_gc():
            reports = run(
                list(inputs),
                out,
                format=fmt,
                rejects=rejects,
                chunk_rows=chunk_rows,
                memory_limit=memory_limit,
                threads=threads,
                overwrite=overwrite,
                **options,
            )
    except MutualsError as e:
        raise click.ClickException(str(e)) from e
    for r in reports:
        click.echo(r.summary())
    from mutuals.io.store import open_store

    meta = open_store(out).metadata
    tables = ", ".join(f"{n} {c}" for n, c in meta.get("tables", {}).items())
    click.echo(f"store {out}: {tables}")
    skipped = sum(r.n_skipped for r in reports)
    if skipped:
        where = f"; rejected records in {rejects}" if rejects else " (--rejects FILE keeps them)"
        click.echo(f"{skipped} records skipped{where}")
