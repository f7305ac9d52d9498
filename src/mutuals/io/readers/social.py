"""Registers the X archive, Bluesky and Mastodon readers in the reader registry.

Those readers (:mod:`.xarchive`, :mod:`.bluesky`, :mod:`.mastodon`) take a path
and a :class:`~mutuals.io.readreport.ReadReport` and detect their own inputs
from the path; this module adapts them to the registry's calling convention
so ``mutuals ingest`` and :func:`mutuals.io.readers.read` find them.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from mutuals.io.readers import Sniff, Source, register
from mutuals.io.readers import bluesky as _bluesky
from mutuals.io.readers import mastodon as _mastodon
from mutuals.io.readers import xarchive as _xarchive
from mutuals.io.readreport import ReadReport

__all__: list[str] = []

_Read = Callable[[Path, ReadReport], Iterator[tuple[str, pa.Table]]]


def _rechunk(
    chunks: Iterator[tuple[str, pa.Table]], chunk_rows: int
) -> Iterator[tuple[str, pa.Table]]:
    for name, table in chunks:
        for start in range(0, table.num_rows, chunk_rows):
            yield name, table.slice(start, chunk_rows)


def _json_mastodon(path: Path) -> bool:
    """Mastodon's sniffer looks for its keys anywhere in the head; require JSON too
    (recorded YAML cassettes mention the same keys but are not JSON)."""
    try:
        with Source(path).open() as fh:  # gzip-compressed too
            start = fh.read(256).lstrip()
    except (OSError, EOFError, zlib.error, UnicodeError):
        return False
    return start[:1] in (b"{", b"[") and _mastodon.sniff(path)


def _adapt(name: str, sniff: Callable[[Path], bool], read: _Read, description: str) -> None:
    def detect(s: Sniff) -> bool:
        return not s.empty and bool(sniff(s.path))

    def reader(
        src: Source, report: ReadReport, chunk_rows: int, **_options: Any
    ) -> Iterator[tuple[str, pa.Table]]:
        yield from _rechunk(read(src.path, report), chunk_rows)

    reader.__name__ = f"read_{name.replace('-', '_')}"
    register(name, sniff=detect, description=description, priority=5)(
        reader
    )  # specific sniffers: before X


_adapt(
    "x-archive",
    _xarchive.sniff,
    _xarchive.read_xarchive,
    "personal X/Twitter archive (folder, zip or window.YTD .js file)",
)
_adapt(
    "bluesky",
    _bluesky.sniff,
    _bluesky.read_bluesky,
    "Bluesky / AT Protocol: repo CAR file or Jetstream JSON lines",
)
_adapt(
    "mastodon",
    _json_mastodon,
    _mastodon.read_mastodon,
    "Mastodon API JSON (statuses, accounts, contexts)",
)
