"""``mutuals unroll``: any thread, from any format, as one readable page."""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from mutuals.errors import MutualsError, UnknownFormatError

__all__ = ["load_posts", "resolve_post", "unroll"]

_FORMATS = {"md": "markdown", "markdown": "markdown", "html": "html", "json": "json"}


def _own_readers() -> list[tuple[str, Callable[[Path], bool], Callable[..., Any]]]:
    from mutuals.io.readers import bluesky, mastodon, xarchive

    return [
        ("xarchive", xarchive.sniff, xarchive.read_xarchive),
        ("bluesky", bluesky.sniff, bluesky.read_bluesky),
        ("mastodon", mastodon.sniff, mastodon.read_mastodon),
    ]


def _registry() -> Callable[..., Iterator[tuple[str, Any]]] | None:
    """The reader registry's detect-and-read function (X API formats), when installed."""
    try:
        mod = importlib.import_module("mutuals.io.readers")
    except ImportError:
        return None
    fn = getattr(mod, "read_any", None) or getattr(mod, "read", None)
    return fn if callable(fn) else None


def load_posts(path: str | Path) -> tuple[Any, Any, list[Any]]:
    """``(posts, accounts, reports)`` of a store folder or a raw input file.

    A folder holding canonical table files or ``store.json`` is a canonical store.
    Otherwise the X archive, Bluesky and Mastodon readers are tried, then the
    reader registry (:func:`mutuals.io.readers.read_any` / ``read``), which
    brings the X API v2/v1.1/GNIP formats.
    """
    import pyarrow as pa

    from mutuals.io.readreport import ReadReport
    from mutuals.io.store import is_store, open_store
    from mutuals.tables import empty_table

    p = Path(path)
    if is_store(p):
        store = open_store(p)
        return store.table("posts"), store.table("accounts"), []
    report = ReadReport(str(p))
    chunks: Iterator[tuple[str, Any]] | None = None
    tried = []
    for name, sniff, read in _own_readers():
        tried.append(name)
        if sniff(p):
            chunks = read(p, report)
            break
    if chunks is None:
        reg = _registry()
        if reg is not None:
            tried.append("registry")
            chunks = reg(p, report=report)
    if chunks is None:
        raise UnknownFormatError(
            f"{p}: not a store folder and no reader recognised it (tried {', '.join(tried)}; "
            "X API files need the reader registry, mutuals.io.readers.read_any)"
        )
    tables: dict[str, list[Any]] = {"posts": [], "accounts": []}
    for name, chunk in chunks:
        if name in tables:
            tables[name].append(chunk)
    posts = pa.concat_tables(tables["posts"]) if tables["posts"] else empty_table("posts")
    accounts = (
        pa.concat_tables(tables["accounts"]) if tables["accounts"] else empty_table("accounts")
    )
    return posts, accounts, [report]


_X_STATUS = re.compile(r"^https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/[^/]+/status(?:es)?/(\d+)")
_BSKY_POST = re.compile(r"^https?://bsky\.app/profile/(did:[^/]+)/post/([^/?#]+)")


def resolve_post(posts: Any, value: str) -> str:
    """The post id ``value`` names: an id, a post's permalink, an X status link, or a
    bsky.app link with a DID (``https://bsky.app/profile/did:plc:.../post/RKEY``)."""
    import pyarrow.compute as pc

    if posts.num_rows == 0 or pc.any(pc.equal(posts["post_id"], value)).as_py():
        return value
    by_url = posts.filter(pc.equal(posts["url"], value))
    if by_url.num_rows:
        return str(by_url["post_id"][0].as_py())
    m = _X_STATUS.match(value)
    if m:
        return m.group(1)
    m = _BSKY_POST.match(value)
    if m:
        return f"at://{m.group(1)}/app.bsky.feed.post/{m.group(2)}"
    return value


@click.command("unroll")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--post", "post_id", help="Any post of the thread: its id or its link (permalink).")
@click.option(
    "--all", "all_threads", is_flag=True, help="Every thread with >= 2 posts by its author."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(_FORMATS)),
    default=None,
    help="Output format (default: from the --output suffix, else markdown).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
@click.option("--platform", help="Platform of --post when the input holds several.")
@click.option(
    "--min-posts", type=click.IntRange(min=1), default=2, show_default=True, help="For --all."
)
@click.option(
    "--embed-images",
    is_flag=True,
    help="Show images inline (HTML, Markdown). By default they are links and the page "
    "fetches nothing: an embedded image tells its host when the page is opened.",
)
def unroll(
    source: Path,
    post_id: str | None,
    all_threads: bool,
    fmt: str | None,
    output: Path | None,
    platform: str | None,
    min_posts: int,
    embed_images: bool,
) -> None:
    """Unroll a thread (or all threads) of SOURCE, a store folder or a raw data file,
    into Markdown, a self-contained HTML page, or JSON.

    Names, text and links are shown without the invisible or bidirectional controls
    that could reorder them; by default the HTML page loads nothing remote."""
    from mutuals.report.unroll import unroll_all, unroll_post
    from mutuals.report.unroll_render import render

    if bool(post_id) == all_threads:
        raise click.UsageError("give exactly one of --post ID or --all")
    if fmt is None:
        suffix = output.suffix.lower().lstrip(".") if output else ""
        by_suffix = {"": "markdown", "md": "md", "markdown": "markdown", "txt": "markdown"}
        by_suffix.update(htm="html", html="html", json="json")
        if suffix not in by_suffix:
            raise click.UsageError(
                f"cannot tell the output format from '.{suffix}': use a .md, .html or .json "
                "file name, or --format"
            )
        fmt = by_suffix[suffix]
    try:
        posts, accounts, reports = load_posts(source)
        for r in reports:
            if r.n_skipped:
                click.echo(r.summary(), err=True)
        if post_id:
            pid = resolve_post(posts, post_id)
            threads = [unroll_post(posts, pid, accounts, platform=platform)]
        else:
            threads = unroll_all(posts, accounts, min_posts=min_posts)
        text = render(threads, _FORMATS[fmt], embed_images=embed_images)
    except MutualsError as e:
        raise click.ClickException(str(e)) from e
    if not threads:
        click.echo(
            f"no thread of >= {min_posts} posts by one author in {source} "
            "(lower --min-posts, or pick one with --post)",
            err=True,
        )
    if output is None:
        sys.stdout.write(text)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as e:
            raise click.ClickException(f"cannot write {output}: {e.strerror or e}") from e
        click.echo(f"wrote {len(threads)} thread(s) to {output}", err=True)
