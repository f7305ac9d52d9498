"""``mutuals lists STORE --account ID --out DIR``: lists that widen one account's view."""

from __future__ import annotations

import json
from pathlib import Path

import click

__all__ = ["lists"]


@click.command("lists")
@click.argument("store", type=click.Path(path_type=Path))
@click.option(
    "--account",
    required=True,
    help="The account: its id, its handle (with or without @), or PLATFORM:ID.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder for lists.json, lists.parquet and the Bluesky, Mastodon and handle exports.",
)
@click.option("--size", type=click.IntRange(1, 1000), default=20, show_default=True,
              help="Members per list at most.")  # fmt: skip
@click.option("--home-feed-k", "home_feed_k", type=click.IntRange(min=1), default=50,
              show_default=True,
              help="Items of the reconstructed home feed the exposure change is measured on.")  # fmt: skip
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of community detection (as `mutuals analyze --seed`).")  # fmt: skip
@click.option("--resolution", type=click.FloatRange(min=0, min_open=True), default=1.0,
              show_default=True, help="Modularity resolution of Louvain.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print lists.json instead of text.")
@click.option(
    "--overwrite",
    is_flag=True,
    help="Write into an --out folder that holds files mutuals did not write (left alone).",
)
def lists(
    store: Path,
    account: str,
    out: Path,
    size: int,
    home_feed_k: int,
    seed: int,
    resolution: float,
    as_json: bool,
    overwrite: bool,
) -> None:
    """Suggest lists that widen ACCOUNT's view of STORE, and write them for import.

    Three lists, as the thread's remedy asks: people you disagree with (far in
    community or leaning, active, not piling on your community), news outlets
    and widely read thinkers outside your community. Each member comes with why
    it is on the list; each list with the change it would make to the share of
    your home feed from outside your community. The rules are in lists.json
    and in `mutuals.metrics.lists`.

    Writes bluesky/<list>.json (app.bsky.graph.list and listitem records),
    mastodon/lists.csv (Mastodon's list import; it follows whom it adds),
    handles/<list>.txt, lists.json and lists.parquet to --out.
    """
    import datetime as dt

    from mutuals.errors import MutualsError
    from mutuals.io.folders import FolderWriter
    from mutuals.io.store import open_store
    from mutuals.metrics.lists import ListRules
    from mutuals.report.lists import format_lists, lists_for_store, write_lists

    try:
        opened = open_store(store)
        rules = ListRules(size=size, k=home_feed_k)
        # --out is checked (and locked) before the lists are computed
        with FolderWriter(out, "lists", overwrite=overwrite, what="--out") as w:
            result = lists_for_store(opened, account, rules=rules, seed=seed, resolution=resolution)
            when = dt.datetime.now(dt.UTC)
            written = write_lists(result, out, writer=w, created_at=when)
    except MutualsError as e:
        raise click.ClickException(str(e)) from e
    if as_json:
        click.echo(json.dumps(json.loads((out / "lists.json").read_text()), indent=2))
        return
    click.echo(format_lists(result))
    click.echo(f"\nwrote {len(written)} files to {out}")
