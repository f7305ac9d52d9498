"""Readers of real data into the canonical tables, with format auto-detection.

Every reader is a generator that streams one input and yields ``(table_name,
pyarrow.Table)`` chunks of at most ``chunk_rows`` rows, each already in the
canonical schema of :mod:`mutuals.tables`; it counts what it read, kept and
skipped (and why) in a :class:`~mutuals.io.readreport.ReadReport`.

Use :func:`read` (detects the format) or :func:`detect` / :func:`get_reader`.

Adding a reader
---------------
Write a module ``mutuals/io/readers/<name>.py``, list it in :data:`MODULES`
(one line), and decorate each reader function with :func:`register`::

    from mutuals.io.readers import Sniff, Source, register
    from mutuals.io.readers._common import Emitter

    def _looks_like_mine(s: Sniff) -> bool:          # cheap: looks at the head only
        return isinstance(s.first_record, dict) and "did" in s.first_record

    @register("bluesky-jetstream", sniff=_looks_like_mine,
              description="Bluesky Jetstream JSON lines")
    def read_jetstream(src: Source, report: ReadReport, chunk_rows: int, **options):
        em = Emitter(report, chunk_rows)
        for rec in iter_json_records(src, report):
            ...                      # em.add("posts", row_tuple) / report.skip(...)
            yield from em.ready()
        yield from em.close()

``sniff`` gets a :class:`Sniff` of the input (decompressed first bytes, first JSON
record if any, file name); readers are tried in ``priority`` order (lower first).
A sniffer says yes only to what looks like its format throughout the head (not to
anything that merely splits into two columns). ``explain``, optional, says why an
input that came close is *not* the format ("ids that are not integers"); when no
reader accepts an input, :func:`detect`'s error lists every format tried and
these reasons, on one line.
An input may be a folder (``Sniff.is_dir``, empty ``head``), e.g. an unpacked
archive; a reader that accepts folders checks ``s.is_dir`` in its sniffer.
Options not meant for a reader are ignored by it (accept ``**options``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from mutuals.errors import DataFormatError, InputError, UnknownFormatError
from mutuals.io.readers._common import Sniff, Source, sniff_source
from mutuals.io.readreport import ReadReport

__all__ = [
    "MODULES",
    "ReaderFn",
    "ReaderSpec",
    "Sniff",
    "Source",
    "detect",
    "formats",
    "get_reader",
    "read",
    "register",
]

#: Modules that register readers; imported on first use. Add yours here.
MODULES: list[str] = [
    "mutuals.io.readers.x",
    "mutuals.io.readers.graph",
    "mutuals.io.readers.social",  # X archive, Bluesky, Mastodon
    "mutuals.io.readers.bluesky_api",  # saved Bluesky AppView responses
]

#: A reader: ``(source, report, chunk_rows, **options) -> iterator of (table, chunk)``.
ReaderFn = Callable[..., Iterator[tuple[str, pa.Table]]]


@dataclass(frozen=True)
class ReaderSpec:
    """A registered reader: its name, detector, function and one-line description."""

    name: str
    read: ReaderFn
    sniff: Callable[[Sniff], bool]
    description: str
    priority: int = 100
    explain: Callable[[Sniff], str | None] | None = None


_REGISTRY: dict[str, ReaderSpec] = {}
_loaded = False


def register(
    name: str,
    *,
    sniff: Callable[[Sniff], bool],
    description: str,
    priority: int = 100,
    explain: Callable[[Sniff], str | None] | None = None,
) -> Callable[[ReaderFn], ReaderFn]:
    """Decorator registering a reader function under ``name`` (see module docstring)."""

    def deco(fn: ReaderFn) -> ReaderFn:
        _REGISTRY[name] = ReaderSpec(name, fn, sniff, description, priority, explain)
        return fn

    return deco


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for mod in MODULES:
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if e.name != mod:  # a missing dependency of an existing module is a real error
                raise


def formats() -> dict[str, str]:
    """Registered format names and their descriptions, in detection order."""
    _load()
    specs = sorted(_REGISTRY.values(), key=lambda s: (s.priority, s.name))
    return {s.name: s.description for s in specs}


def get_reader(name: str) -> ReaderSpec:
    """The reader registered as ``name``; :class:`InputError` lists the known ones."""
    _load()
    if name not in _REGISTRY:
        raise InputError(f"unknown format {name!r}; known formats: {', '.join(formats())}")
    return _REGISTRY[name]


def detect(path: str | Path) -> str:
    """Name of the format of the file at ``path`` (``"empty"`` for an empty file).

    Raises
    ------
    UnknownFormatError
        No reader recognised the file; the message (one line) lists every format
        tried and, for those that came close, why the file is not that format.
    """
    src = Source(path)
    sn = sniff_source(src)
    if sn.empty:
        return "empty"
    _load()
    tried = []
    specs = sorted(_REGISTRY.values(), key=lambda s: (s.priority, s.name))
    for spec in specs:
        tried.append(spec.name)
        try:
            if spec.sniff(sn):
                return spec.name
        except Exception:  # a sniffer must never decide by crashing
            continue
    why = _reasons(specs, sn)
    if sn.is_dir:
        raise UnknownFormatError(
            f"{src.name}: a folder no reader recognised (tried {', '.join(tried)}); "
            "pass the files in it instead"
        )
    if sn.head.startswith(b"PK\x03\x04"):
        import zipfile

        try:
            zipfile.ZipFile(src.path).close()
        except (zipfile.BadZipFile, OSError) as e:
            raise UnknownFormatError(
                f"{src.name}: a zip file that is truncated or corrupt ({e}); re-download it"
            ) from e
        raise UnknownFormatError(
            f"{src.name}: a zip file that is not a personal X archive (the only zip read; "
            f"tried {', '.join(tried)}); unzip it and pass the files in it"
        )
    head = sn.head[:80].decode("utf-8", "replace").replace("\n", "\\n")
    if sn.problem:  # e.g. a gzip cut inside its first record: say that first
        raise UnknownFormatError(
            f"{src.name}: nothing readable: {sn.problem}, inside the first record "
            f"(the file starts with {head!r}); re-download or re-compress it"
        )
    raise UnknownFormatError(
        f"{src.name}: format not recognised; tried {', '.join(tried)}{why}. "
        f"The file starts with {head!r}. Pass --format NAME if you know the format."
    )


def _reasons(specs: list[ReaderSpec], sn: Sniff) -> str:
    """`` (snap: why not; csv-edges: why not)`` from the readers that came close."""
    out = []
    for spec in specs:
        if spec.explain is None:
            continue
        try:
            why = spec.explain(sn)
        except Exception:  # an explanation must never turn into a crash
            why = None
        if why:
            out.append(f"{spec.name}: {' '.join(why.split())[:160]}")
    return f" ({'; '.join(out)})" if out else ""


def read(
    path: str | Path,
    *,
    format: str | None = None,
    report: ReadReport | None = None,
    chunk_rows: int = 65536,
    **options: Any,
) -> Iterator[tuple[str, pa.Table]]:
    """Stream the canonical chunks of one input file.

    Parameters
    ----------
    path : str or Path
        The input (gzip-compressed files are read transparently).
    format : str, optional
        A registered format name; detected from the content when omitted.
    report : ReadReport, optional
        Filled with the counts of this pass (a new one if omitted).
    chunk_rows : int
        Maximum rows per yielded chunk.
    **options
        Reader options, e.g. ``platform``, ``focal_id``, ``relation``,
        ``follower_col``/``friend_col`` (ignored by readers that do not use them).

    Yields
    ------
    (str, pyarrow.Table)
        Canonical table name and a chunk in its schema.
    """
    if chunk_rows < 1:
        raise InputError(f"chunk_rows must be >= 1, got {chunk_rows}")
    src = Source(path)
    if not src.path.exists():
        raise InputError(f"{src.name}: no such file")
    rep = report if report is not None else ReadReport(src.name)
    name = format or detect(src.path)
    rep.format = name
    if name == "empty":
        rep.noted["empty input"] += 1
        return
    spec = get_reader(name)
    try:
        yield from spec.read(src, rep, chunk_rows, **options)
    except (DataFormatError, InputError):
        raise
    except (OSError, EOFError) as e:
        raise DataFormatError(f"{src.name}: cannot read as {name}: {e}") from e
