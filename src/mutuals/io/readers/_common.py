"""Shared machinery of the readers: opening inputs (gzip, BOMs), sniffing,
streaming lines and JSON records with counted skips, and batching rows into
canonical Arrow chunks."""

from __future__ import annotations

import codecs
import gzip
import io
import itertools
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa

from mutuals.errors import DataFormatError
from mutuals.io.readreport import ReadReport
from mutuals.tables import SCHEMAS

__all__ = [
    "NOT_UTF8",
    "Emitter",
    "Sniff",
    "Source",
    "cut_reply_mentions",
    "decode_legacy",
    "field_error",
    "iter_json_records",
    "iter_lines",
    "loads",
    "reply_display_range",
    "sniff_source",
]

_loads: Callable[[Any], Any]
try:  # orjson is ~5x faster than the standard library on tweets
    import orjson

    _loads = orjson.loads
    _JSONError: tuple[type[Exception], ...] = (orjson.JSONDecodeError,)
except ImportError:  # pragma: no cover - orjson is a dependency
    import json

    _loads = json.loads
    _JSONError = (ValueError,)

#: How X displays the link of a tweet's attached media (photo, video, GIF).
MEDIA_DISPLAY = ("pic.twitter.com/", "pic.x.com/")

#: Yielded by :func:`iter_json_records` for a line its ``fast`` handler consumed.
HANDLED = object()

SNIFF_BYTES = 1 << 16
#: Longest first line / pretty-printed document parsed whole to detect a format.
SNIFF_DOCUMENT_BYTES = 1 << 25
#: Largest single-document JSON file read whole (JSON lines are streamed, any size).
MAX_DOCUMENT_BYTES = 1 << 30
#: Longest line read; a longer one is a counted skip (read past, never held whole).
MAX_LINE_BYTES = 1 << 30


def _size(n: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            return f"{n >> shift} {unit}"
    return f"{n} bytes"


_INDEX = re.compile(r"\[\d+\]")


def field_error(e: Exception) -> str:
    """Which field a ``msgspec.ValidationError`` is about and why, as one short reason
    whose list indices are dropped (``"$.entities.urls[].url: Expected `str | null`,
    got `int`"``), so that reasons of the same fault count together."""
    msg, _, path = str(e).partition(" - at `")
    return f"{_INDEX.sub('[]', path.rstrip('`')) or '$'}: {msg}"


def invalid_fields(value: Any, typ: type) -> str | None:
    """``None`` if ``value`` has the fields of the msgspec Struct ``typ`` with their
    types, else which field does not (:func:`field_error`): a reader's one typed
    boundary per record."""
    import msgspec

    try:
        msgspec.convert(value, typ)
    except msgspec.ValidationError as e:
        return field_error(e)
    except UnicodeError:  # a lone surrogate in a string: the row check replaces it
        return None
    return None


def loads(b: bytes | str) -> Any:
    """Parse JSON (orjson when available). Raises ``ValueError`` on bad input."""
    return _loads(b)


class Source:
    """One input file; :meth:`open` decompresses gzip and decodes UTF-16 transparently."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.name = str(path)

    @property
    def compressed(self) -> bool:
        with open(self.path, "rb") as f:
            return f.read(2) == b"\x1f\x8b"

    def open(self) -> BinaryIO:
        """A binary stream of the (decompressed, UTF-8) content."""
        f: Any = open(self.path, "rb")  # noqa: SIM115 - returned to the caller
        if f.read(2) == b"\x1f\x8b":
            f.seek(0)
            f = _GunzipStream(f)
        else:
            f.seek(0)
        buffered = io.BufferedReader(f, buffer_size=1 << 20)
        bom = buffered.peek(4)[:4]
        if bom.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = io.TextIOWrapper(buffered, encoding="utf-16")
            return _Utf8Recoder(text)  # type: ignore[return-value]
        if bom.startswith(codecs.BOM_UTF8):
            buffered.read(3)
        return buffered

    def head(self, n: int = SNIFF_BYTES) -> bytes:
        try:
            with self.open() as f:
                return f.read(n)
        except (OSError, EOFError, zlib.error, UnicodeError):
            with open(self.path, "rb") as f:  # corrupt gzip: sniff what we can
                return _gunzip_prefix(f.read(n))


class _GunzipStream(io.RawIOBase):
    """Streaming gunzip (multi-member) that hands out every byte it could
    decompress before raising ``EOFError`` on a truncated stream."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._buf = b""
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while not self._buf and not self._done:
            chunk = self._raw.read(1 << 20)
            if not chunk:
                self._done = True
                if not self._d.eof:
                    self._buf = self._d.flush()
                    if not self._buf:
                        raise EOFError("compressed file ended before the end-of-stream marker")
                break
            self._buf = self._d.decompress(chunk)
            while self._d.eof and self._d.unused_data:  # next gzip member
                rest = self._d.unused_data
                self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)
                self._buf += self._d.decompress(rest)
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


def _gunzip_prefix(data: bytes) -> bytes:
    if not data.startswith(b"\x1f\x8b"):
        return data
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        return d.decompress(data)
    except zlib.error:
        return b""


class _Utf8Recoder(io.RawIOBase):
    """Re-encode a text stream (e.g. UTF-16) as UTF-8 bytes, line by line."""

    def __init__(self, text: io.TextIOWrapper) -> None:
        self._text = text
        self._buf = b""

    def readable(self) -> bool:
        return True

    def readline(self, size: int | None = -1) -> bytes:
        return self._text.readline().encode("utf-8")

    def __iter__(self) -> Iterator[bytes]:
        for line in self._text:
            yield line.encode("utf-8")

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            return self._buf + self._text.read().encode("utf-8")
        while len(self._buf) < n:
            chunk = self._text.read(max(n, 8192))
            if not chunk:
                break
            self._buf += chunk.encode("utf-8")
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def close(self) -> None:
        self._text.close()
        super().close()


@dataclass
class Sniff:
    """What detectors look at: the start of an input, decompressed.

    Attributes
    ----------
    path : Path
    name : str
        Lower-case file name without a ``.gz`` suffix.
    head : bytes
        Up to 64 KiB of decompressed content.
    first_record : Any
        The first JSON value (first non-blank line, or the whole head if it is a
        complete document; first element of a top-level array), else ``None``.
    empty : bool
        The input holds nothing but whitespace.
    is_dir : bool
        The input is a folder (``head`` is empty; readers of folders look inside).
    """

    path: Path
    name: str
    head: bytes
    first_record: Any = None
    empty: bool = False
    lines: list[bytes] = field(default_factory=list)
    is_dir: bool = False
    #: Why the content could not be looked at fully (e.g. a truncated gzip stream).
    problem: str | None = None

    @property
    def text(self) -> str:
        return self.head.decode("utf-8", "replace")


def sniff_source(src: Source) -> Sniff:
    """Read the head of ``src`` and parse its first JSON record, if any."""
    if src.path.is_dir():
        return Sniff(src.path, src.path.name.lower(), b"", is_dir=True)
    head = src.head()
    name = src.path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    sn = Sniff(src.path, name, head, empty=not head.strip())
    sn.lines = [ln for ln in head.split(b"\n")[:-1] if ln.strip()][:50]
    if head.lstrip()[:1] in (b"{", b"["):
        sn.first_record, sn.problem = _sniff_record(src, head)
    return sn


_UNREADABLE = (OSError, EOFError, zlib.error, UnicodeError)
_NOTHING = object()
#: Lines looked at, after the first, to find a parseable record when the first is not.
_SNIFF_MORE_LINES = 20


def _sniff_record(src: Source, head: bytes) -> tuple[Any, str | None]:
    """The first JSON value of ``src`` (first line, else the whole document, else the
    first later line holding an object or array), and what stopped the look, if anything."""
    problem = None
    stripped = head.lstrip()
    first = stripped.split(b"\n", 1)[0].strip()
    long_first = b"\n" not in stripped and len(head) == SNIFF_BYTES
    if first not in (b"{", b"["):
        if long_first:  # a long first line (a twarc2 page): read all of it
            first, problem = _first_line(src)
        rec = _parse_lenient(first)
        if rec is not _NOTHING:
            return _first_of(rec), problem
    # a pretty-printed document: parse it whole if it is not too large
    blob = head
    size = src.path.stat().st_size
    if len(head) == SNIFF_BYTES and size <= SNIFF_DOCUMENT_BYTES:
        try:
            with src.open() as f:
                blob = f.read(SNIFF_DOCUMENT_BYTES)
        except _UNREADABLE as e:
            problem = problem or _problem(e)
    if first not in (b"{", b"[") or len(blob) < SNIFF_DOCUMENT_BYTES:
        rec = _parse_lenient(blob)
        if rec is not _NOTHING:
            return _first_of(rec), problem
    # JSON lines whose first line is broken or too long to sniff: a later line decides
    try:
        with src.open() as f:
            f.readline(SNIFF_DOCUMENT_BYTES)
            for _ in range(_SNIFF_MORE_LINES):
                line = f.readline(SNIFF_DOCUMENT_BYTES)
                if not line:
                    break
                rec = _parse_lenient(line.strip()) if line.strip() else _NOTHING
                if isinstance(rec, dict | list):
                    return _first_of(rec), problem
    except _UNREADABLE as e:
        problem = problem or _problem(e)
    return None, problem


def _first_of(rec: Any) -> Any:
    if isinstance(rec, list):
        return rec[0] if rec else None
    return rec


def _problem(e: BaseException) -> str:
    if isinstance(e, EOFError | zlib.error | gzip.BadGzipFile):
        return f"the compressed stream is truncated or corrupt ({e})"
    return f"the file cannot be read whole ({e.__class__.__name__}: {e})"


def _first_line(src: Source) -> tuple[bytes, str | None]:
    try:
        with src.open() as f:
            return f.readline(SNIFF_DOCUMENT_BYTES).strip(), None
    except _UNREADABLE as e:
        return b"", _problem(e)


def decode_legacy(b: bytes) -> str:
    """Text that is not UTF-8, decoded as Windows-1252 (else Latin-1, which never fails)."""
    try:
        return b.decode("cp1252")
    except UnicodeDecodeError:
        return b.decode("latin-1")


def _parse_lenient(b: bytes) -> Any:
    """JSON value of ``b`` (UTF-8, else re-decoded as Windows-1252), or ``_NOTHING``."""
    try:
        return _loads(b)
    except _JSONError:
        pass
    try:
        b.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return _loads(decode_legacy(b))
        except _JSONError:
            pass
    return _NOTHING


def iter_lines(src: Source, report: ReadReport) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line_number, line)`` for non-blank lines; a truncated or corrupt
    compressed stream ends the iteration with a counted skip, not an exception."""
    n = 0
    limit = MAX_LINE_BYTES
    try:
        with src.open() as f:
            while True:
                line = f.readline(limit + 1)
                if not line:
                    break
                n += 1
                if len(line) > limit and not line.endswith(b"\n"):
                    while True:  # drain the rest of the line without holding it
                        more = f.readline(1 << 20)
                        if not more or more.endswith(b"\n"):
                            break
                    report.records += 1
                    report.skip(f"line longer than {_size(limit)} (not read)", where=f"line {n}")
                elif not line.isspace():  # not line.strip(): that copies it
                    yield n, line
    except EOFError:  # the lost rest of the file counts as one (skipped) record
        report.records += 1
        report.skip("truncated compressed input (rest of file lost)", where=f"after line {n}")
    except (gzip.BadGzipFile, zlib.error) as e:
        report.records += 1
        report.skip(f"corrupt compressed input ({e})", where=f"after line {n}")
    except UnicodeError as e:
        report.records += 1
        report.skip(f"undecodable text ({e.__class__.__name__})", where=f"after line {n}")


def _bad_json_reason(line: bytes) -> str:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return "invalid UTF-8 (wrong encoding?)"
    return "malformed JSON"


def iter_json_records(
    src: Source, report: ReadReport, fast: Callable[[bytes], bool] | None = None
) -> Iterator[tuple[str, Any]]:
    """Yield ``(where, record)`` for each JSON record of a file.

    JSON lines are streamed (a line holding an array yields its elements); a
    pretty-printed single document (first line ``{`` or ``[``) is parsed whole.
    Every line that does not parse is counted in ``report.skipped`` (and written
    to the rejects file) and ``report.records`` counts every record looked at.

    ``fast``, if given, is offered each JSON line first; when it returns True it
    has handled the line (one record) and :data:`HANDLED` is yielded for it.
    """
    lines: Iterator[tuple[int, bytes]] = iter_lines(src, report)
    for n, line in lines:
        s = line.strip()
        if s in (b"[", b"{") or (n == 1 and s[:1] in (b"[", b"{") and not _parses(s)):
            # a document; but in a file too large to be one, JSON lines whose first line
            # is broken when the next line is a record (streamed, not joined in memory)
            nxt = next(lines, None)
            size = src.path.stat().st_size * (8 if src.compressed else 1)  # gzip: a guess
            small = size <= SNIFF_DOCUMENT_BYTES
            if s in (b"[", b"{") or nxt is None or small or not _is_record(nxt[1]):
                yield from _document(src, report, s, itertools.chain([nxt] if nxt else (), lines))
                return
            lines = itertools.chain([nxt], lines)
        if fast is not None and fast(line):
            report.records += 1
            yield f"line {n}", HANDLED
        else:
            yield from _one_line(report, n, line)
        break
    for n, line in lines:
        if fast is not None and fast(line):
            report.records += 1
            yield f"line {n}", HANDLED
        else:
            yield from _one_line(report, n, line)


def _parses(b: bytes) -> bool:
    return _parse_lenient(b) is not _NOTHING


def _is_record(line: bytes) -> bool:
    return isinstance(_parse_lenient(line.strip()), dict | list)


def _try(b: bytes) -> Any:
    try:
        return _loads(b)
    except _JSONError:
        return None


_LEADING_MENTIONS = re.compile(r"(?:\s*@\w{1,50})+\s*")


def cut_reply_mentions(text: str | None, dtr: Any) -> str | None:
    """``text`` without the reply's leading auto-mentions, which X's
    ``display_text_range`` (code points) starts after; unchanged unless the cut
    part is only @handles."""
    if text is None or not isinstance(dtr, list) or not dtr:
        return text
    start = dtr[0]
    if not isinstance(start, int) or isinstance(start, bool) or start <= 0:
        return text
    if start <= len(text) and _LEADING_MENTIONS.fullmatch(text[:start]):
        return text[start:].lstrip()
    return text


_REPLY_PREFIX = re.compile(r"(?:@\w{1,50}\s+)+")
_ONLY_MENTIONS = re.compile(r"(?:@\w{1,50}\s*)*")


def reply_display_range(raw: str | None, dtr: Any, is_reply: bool) -> Any:
    """``dtr`` if the data has one; else, for a reply, the range X shows: after the
    leading @-mentions (its "Replying to" list), when text follows them."""
    if isinstance(dtr, list) and dtr:
        return dtr
    if is_reply and isinstance(raw, str) and raw.startswith("@"):
        m = _REPLY_PREFIX.match(raw)
        if m and not _ONLY_MENTIONS.fullmatch(raw, m.end()):
            return [m.end(), len(raw)]
    return dtr


#: ``report.noted`` key of records re-decoded because they were not UTF-8.
NOT_UTF8 = "line not valid UTF-8: decoded as Windows-1252/Latin-1"


def _one_line(report: ReadReport, n: int, line: bytes) -> Iterator[tuple[str, Any]]:
    try:
        rec = _loads(line)
    except _JSONError:
        reason = _bad_json_reason(line)
        rec = _parse_lenient(line) if reason.startswith("invalid UTF-8") else _NOTHING
        if rec is _NOTHING:
            report.records += 1
            report.skip(reason, where=f"line {n}", record=line.decode("utf-8", "replace"))
            return
        report.noted[NOT_UTF8] += 1
    where = f"line {n}"
    if isinstance(rec, list):
        for i, r in enumerate(rec):
            report.records += 1
            yield f"{where}[{i}]", r
    else:
        report.records += 1
        yield where, rec


def _document(
    src: Source, report: ReadReport, first: bytes, rest: Iterator[tuple[int, bytes]]
) -> Iterator[tuple[str, Any]]:
    if src.path.stat().st_size > MAX_DOCUMENT_BYTES and not src.compressed:
        raise DataFormatError(
            f"{src.name}: a single JSON document larger than {MAX_DOCUMENT_BYTES >> 20} MiB; "
            "convert it to JSON lines (one record per line) to stream it"
        )
    parts = [first]
    size = len(first)
    for _, line in rest:
        parts.append(line)
        size += len(line)
        if size > MAX_DOCUMENT_BYTES:
            raise DataFormatError(
                f"{src.name}: a single JSON document larger than {MAX_DOCUMENT_BYTES >> 20} MiB; "
                "convert it to JSON lines (one record per line) to stream it"
            )
    blob = b"\n".join(parts)
    try:
        doc = _loads(blob)
    except _JSONError as e:
        if any(isinstance(_try(p), dict | list) for p in parts[1:]):
            # JSON lines whose first line is broken, not a document: go line by line
            for i, p in enumerate(parts):
                yield from _one_line(report, i + 1, p)
            return
        report.records += 1
        report.skip(
            f"{_bad_json_reason(blob)} document (truncated?)",
            where=str(e),
            record=blob[:2000].decode("utf-8", "replace"),
        )
        return
    if isinstance(doc, list):
        for i, r in enumerate(doc):
            report.records += 1
            yield f"[{i}]", r
    else:
        report.records += 1
        yield "document", doc


# --------------------------------------------------------------------------- rows


_TS_FIELDS = {
    name: [i for i, f in enumerate(schema) if pa.types.is_timestamp(f.type)]
    for name, schema in SCHEMAS.items()
}


#: Each table's rows as one struct type (timestamps as ISO strings, cast after).
_ROW_TYPES = {
    name: pa.struct(
        [
            pa.field(f.name, pa.string() if i in _TS_FIELDS[name] else f.type)
            for i, f in enumerate(schema)
        ]
    )
    for name, schema in SCHEMAS.items()
}


_WIDTH = {name: len(schema) for name, schema in SCHEMAS.items()}


class Emitter:
    """Collect canonical rows as tuples (in schema column order) and hand them out
    as Arrow tables of at most ``chunk_rows`` rows, counting rows in the report.

    Timestamp columns may hold ISO-8601 strings (``...Z`` or ``+00:00``), which
    are converted in bulk; a value that does not parse becomes null and is counted
    in ``report.noted``.
    """

    def __init__(self, report: ReadReport, chunk_rows: int) -> None:
        self.report = report
        self.chunk_rows = chunk_rows
        self._rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in SCHEMAS}
        self._ready: list[tuple[str, pa.Table]] = []
        #: Per table, the row value types (``tuple(map(type, row))``) already checked.
        self._good: dict[str, set[tuple[type, ...]]] = {name: set() for name in SCHEMAS}

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        """Add one row; its values are checked against the canonical column types
        (:func:`check_tuple_row`): unambiguous ones converted and noted, a row with a
        value that does not fit skipped and counted, naming ``table.column``."""
        width = _WIDTH[table]
        if len(row) < width:  # trailing nullable columns added to a schema later
            row = row + (None,) * (width - len(row))
        sig = tuple(map(type, row))
        good = self._good[table]
        if sig not in good:
            checked, clean = check_tuple_row(table, row, self.report)
            if checked is None:
                return
            if clean:
                good.add(sig)  # rows of these types pass without a look (Arrow checks lists)
            row = checked
        rows = self._rows[table]
        rows.append(row)
        if len(rows) >= self.chunk_rows:
            self._ready.append((table, self._build(table, rows)))
            self._rows[table] = []

    def extend(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        """Add many rows at once (same chunks as :meth:`add` called per row).

        For rows made of typed (msgspec-validated) values: they are not checked one by
        one; a chunk that Arrow refuses is (see :meth:`_build`)."""
        if not rows:
            return
        width = _WIDTH[table]
        if len(rows[0]) < width:  # trailing nullable columns added to a schema later
            pad = (None,) * (width - len(rows[0]))
            rows = [r + pad for r in rows]
        buf = self._rows[table]
        room = self.chunk_rows - len(buf)
        if len(rows) < room:
            buf.extend(rows)
            return
        buf.extend(rows[:room])
        self._ready.append((table, self._build(table, buf)))
        rest = rows[room:]
        while len(rest) >= self.chunk_rows:
            self._ready.append((table, self._build(table, rest[: self.chunk_rows])))
            rest = rest[self.chunk_rows :]
        self._rows[table] = rest if isinstance(rest, list) else list(rest)

    def add_table(self, table: str, t: pa.Table) -> None:
        """Queue an already-built table (cast to the canonical schema)."""
        from mutuals.io.store import conform

        t = conform(table, t)
        self.report.rows[table] += t.num_rows
        for off in range(0, t.num_rows, self.chunk_rows):
            self._ready.append((table, t.slice(off, self.chunk_rows)))

    def ready(self) -> Iterator[tuple[str, pa.Table]]:
        if self._ready:
            out, self._ready = self._ready, []
            yield from out

    def close(self) -> Iterator[tuple[str, pa.Table]]:
        for table, rows in self._rows.items():
            if rows:
                self._ready.append((table, self._build(table, rows)))
                self._rows[table] = []
        yield from self.ready()

    def _build(self, table: str, rows: list[tuple[Any, ...]]) -> pa.Table:
        t = self._convert(table, rows)
        if t is None:  # a value Arrow refuses: check each row, then again
            checked = [r for r in (check_tuple_row(table, r, self.report)[0] for r in rows) if r]
            t = self._convert(table, checked)
            if t is None:  # a bad timestamp...: column by column
                t = self._build_columns(table, checked) if checked else SCHEMAS[table].empty_table()
        t = drop_long_values(table, t, self.report)
        self.report.rows[table] += t.num_rows
        return t

    def _convert(self, table: str, rows: list[tuple[Any, ...]]) -> pa.Table | None:
        schema = SCHEMAS[table]
        ts = _TS_FIELDS[table]
        try:
            # all rows in one conversion (rows to a struct array, transposed in C++)
            flat = pa.array(rows, type=_ROW_TYPES[table]).flatten()
            arrays = [flat[i].cast(f.type) if i in ts else flat[i] for i, f in enumerate(schema)]
        except (pa.ArrowException, OverflowError, TypeError, ValueError):
            return None  # a value of the wrong type, a bad timestamp...
        return pa.Table.from_arrays(arrays, schema=schema)

    def _build_columns(self, table: str, rows: list[tuple[Any, ...]]) -> pa.Table:
        """Reference twin of :meth:`_build`: column by column, nulling (and
        counting) the values that do not convert."""
        schema = SCHEMAS[table]
        ts = _TS_FIELDS[table]
        cols = list(zip(*rows, strict=True))
        arrays = []
        for i, f in enumerate(schema):
            if i in ts:
                arrays.append(self._timestamps(cols[i], f.type))
            else:
                arrays.append(self._array(table, f, cols[i]))
        return pa.Table.from_arrays(arrays, schema=schema)

    def _array(self, table: str, f: pa.Field, values: tuple[Any, ...]) -> pa.Array:
        try:
            return pa.array(values, type=f.type)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError):
            pass
        # a value of the wrong type somewhere in the input: null it, count it
        out = []
        for v in values:
            try:
                pa.array([v], type=f.type)
            except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError):
                self.report.noted[f"{table}.{f.name}: value of the wrong type (set to null)"] += 1
                v = None
            out.append(v)
        return pa.array(out, type=f.type)

    def _timestamps(self, values: tuple[Any, ...], typ: pa.DataType) -> pa.Array:
        try:
            return pa.array(values, type=pa.string()).cast(typ)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            out = []
            for v in values:
                t = parse_time(v)
                if t is None and v is not None:
                    self.report.noted["unparseable timestamp (set to null)"] += 1
                out.append(t)
            return pa.array(out, type=typ)


_MONTHS = {
    m: f"{i + 1:02d}"
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    )
}


def v1_time(s: Any) -> str | None:
    """``"Wed Sep 04 13:51:55 +0000 2019"`` (X v1.1) as ISO-8601; other input unchanged."""
    if not isinstance(s, str):
        return None
    if len(s) == 30 and s[3] == " " and s[19] == " ":
        mon = _MONTHS.get(s[4:7])
        if mon:
            return f"{s[26:30]}-{mon}-{s[8:10]}T{s[11:19]}{s[20:23]}:{s[23:25]}"
    return s


def parse_time(v: Any) -> datetime | None:
    """Parse an ISO-8601 / v1.1 time or epoch seconds to an aware datetime, else None."""
    from datetime import UTC

    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, datetime):
        return v if v.tzinfo else v.replace(tzinfo=UTC)
    if isinstance(v, int | float):
        try:
            return datetime.fromtimestamp(float(v), tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(v, str):
        return None
    s = v1_time(v) or ""
    try:
        t = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def snowflake_time(snowflake: str) -> str | None:
    """Creation time (ISO-8601, ms) encoded in an X snowflake id, or None."""
    from datetime import UTC

    try:
        ms = (int(snowflake) >> 22) + 1288834974657
        if ms <= 1288834974657:
            return None
        t = datetime.fromtimestamp(ms / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None  # not a snowflake (or one from the far future)
    return t.isoformat(timespec="milliseconds")


# --------------------------------------------------------------------------- row checks

#: Longest string value (UTF-8 bytes) a reader hands on (1 MiB; no platform allows a post,
#: name or link near that long). A row holding a longer one is skipped and counted, so a
#: hostile field never reaches the merge.
MAX_FIELD_BYTES = 1 << 20

_INT64 = (-(1 << 63), (1 << 63) - 1)
_NUMERIC = re.compile(r"-?\d{1,19}")


def _column_kind(t: pa.DataType) -> str:
    if pa.types.is_timestamp(t):
        return "ts"
    if pa.types.is_string(t):
        return "str"
    if pa.types.is_integer(t):
        return "int"
    if pa.types.is_floating(t):
        return "float"
    if pa.types.is_boolean(t):
        return "bool"
    if pa.types.is_list(t) and pa.types.is_string(t.value_type):
        return "list_str"
    if pa.types.is_list(t) and pa.types.is_struct(t.value_type):
        return "list_struct"
    raise TypeError(f"no row check for Arrow type {t}")  # pragma: no cover - schema change


#: Per table, per column: (name, kind, nullable, number of struct fields).
_CHECKS = {
    name: [
        (
            f.name,
            "id" if f.name.endswith("_id") and pa.types.is_string(f.type) else _column_kind(f.type),
            f.nullable,
            tuple(x.name for x in f.type.value_type)
            if pa.types.is_list(f.type) and pa.types.is_struct(f.type.value_type)
            else (),
        )
        for f in schema
    ]
    for name, schema in SCHEMAS.items()
}

_NONE = type(None)
#: Python types a column takes without a deeper look (list contents: Arrow checks them).
_PLAIN: dict[str, frozenset[type]] = {
    "str": frozenset({str}),
    "int": frozenset({int}),
    "float": frozenset({float, int}),
    "bool": frozenset({bool}),
    "ts": frozenset({str, datetime}),
    "list_str": frozenset({list, tuple}),
    "list_struct": frozenset({list, tuple}),
}
_EXPECTED = {
    "str": "text",
    "id": "an id (text)",
    "int": "an integer",
    "float": "a number",
    "bool": "true/false",
    "ts": "a time",
    "list_str": "a list of text",
    "list_struct": "a list of objects",
}


class BadValue(Exception):
    """A value that does not fit its canonical column (the message says why)."""


def _utf8(v: str) -> tuple[str, str | None]:
    """``v``, with lone surrogates (``"\\udfff"`` in JSON, not encodable) replaced."""
    try:
        v.encode("utf-8")
    except UnicodeEncodeError:
        fixed = v.encode("utf-8", "replace").decode("utf-8")
        return fixed, "lone surrogate in text (replaced by '?')"
    return v, None


def _type_name(v: Any) -> str:
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, int):
        return "an integer" if _INT64[0] <= v <= _INT64[1] else "an integer beyond 64 bits"
    return {
        str: "text",
        float: "a fraction",
        list: "a list",
        tuple: "a list",
        dict: "an object",
    }.get(type(v), type(v).__name__)


def check_value(
    kind: str, nullable: bool, fields: tuple[str, ...], v: Any
) -> tuple[Any, str | None]:
    """``v`` as its column of ``kind`` takes it, and a note if it was converted.

    Unambiguous cases are converted (an integer id to its decimal text, ``"5"`` to 5
    for a count, a whole float to an integer); anything else raises :class:`BadValue`.
    Timestamps that do not parse are left to the bulk conversion (null, noted).
    """
    if v is None:
        if not nullable:
            raise BadValue("missing (required)")
        return None, None
    t = type(v)
    if kind == "str" or kind == "id":
        if t is str:
            return _utf8(v)
        if t is int and kind == "id":
            return str(v), "integer given for text (converted to its digits)"
    elif kind == "int":
        if t is int:
            if _INT64[0] <= v <= _INT64[1]:
                return v, None
        elif t is str and _NUMERIC.fullmatch(v.strip()):
            n = int(v)
            if _INT64[0] <= n <= _INT64[1]:
                return n, "number given as text (converted)"
        elif t is float and v.is_integer() and _INT64[0] <= v <= _INT64[1]:
            return int(v), "whole number given as a fraction (converted)"
    elif kind == "float":
        if t is float or t is int:
            return float(v), None
        if t is str:
            try:
                return float(v), "number given as text (converted)"
            except ValueError:
                pass
    elif kind == "bool":
        if t is bool:
            return v, None
    elif kind == "ts":
        if t is str or t is datetime:
            return v, None
        if t in (int, float):
            d = parse_time(v)
            if d is not None:
                return d.isoformat(), "epoch number given for a time (converted)"
        return None, "unparseable timestamp (set to null)"
    elif kind == "list_str":
        if t is list or t is tuple:
            if all(type(x) is str for x in v):
                fixed = [_utf8(x)[0] for x in v]
                return fixed, "lone surrogate in text (replaced by '?')" if fixed != v else None
            bad = next(x for x in v if type(x) is not str)
            raise BadValue(f"a list holding {_type_name(bad)} where a list of text is expected")
    elif kind == "list_struct" and (t is list or t is tuple):
        out = []  # as dicts: Arrow takes a column of structs as all dicts or all tuples
        for x in v:
            if type(x) is dict:
                x = {k: x.get(k) for k in fields}
            elif type(x) in (tuple, list) and len(x) == len(fields):
                x = dict(zip(fields, x, strict=True))
            else:
                raise BadValue(
                    f"a list holding {_type_name(x)} where a list of objects is expected"
                )
            for k, y in x.items():
                if y is not None and type(y) is not str:
                    raise BadValue(f"an object holding {_type_name(y)} where text is expected")
                if y is not None:
                    x[k] = _utf8(y)[0]
            out.append(x)
        return out, None
    raise BadValue(f"{_type_name(v)} where {_EXPECTED[kind]} is expected")


def check_tuple_row(
    table: str, row: tuple[Any, ...], report: ReadReport
) -> tuple[tuple[Any, ...] | None, bool]:
    """``row`` (schema order) with its values checked and converted, and whether it was
    taken as it is; ``None`` (counted as skipped with the ``table.column`` at fault)
    when a value does not fit."""
    out = list(row)
    clean = True
    for i, (name, kind, nullable, nf) in enumerate(_CHECKS[table]):
        try:
            v, note = check_value(kind, nullable, nf, out[i])
        except BadValue as e:
            report.skip_row(f"{table}.{name}: {e} (record skipped)", record=_short_repr(row))
            return None, False
        out[i] = v
        if note is not None:
            report.noted[note if note.startswith("unparseable") else f"{table}.{name}: {note}"] += 1
            clean = False
    return tuple(out), clean


def check_dict_row(table: str, row: dict[str, Any], report: ReadReport) -> dict[str, Any] | None:
    """:func:`check_tuple_row` for a row given as a dict (absent columns are null)."""
    out = dict(row)
    for name, kind, nullable, nf in _CHECKS[table]:
        try:
            v, note = check_value(kind, nullable, nf, out.get(name))
        except BadValue as e:
            report.skip_row(f"{table}.{name}: {e} (record skipped)", record=_short_repr(row))
            return None
        if kind == "ts" and type(v) is str:  # dict rows carry times as datetimes
            v = parse_time(v)
            if v is None:
                note = "unparseable timestamp (set to null)"
        if note is not None:
            report.noted[note if note.startswith("unparseable") else f"{table}.{name}: {note}"] += 1
        if name in out:
            out[name] = v
    return out


def _short_repr(v: Any) -> str:
    s = repr(v)
    return s if len(s) <= 2000 else s[:2000] + "..."


def _long_mask(col: pa.ChunkedArray | pa.Array) -> pa.Array | None:
    """Per row, whether a string in ``col`` (or in its lists / structs) is longer than
    :data:`MAX_FIELD_BYTES`; ``None`` when none is (the common case, one vector pass)."""
    import pyarrow.compute as pc

    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    t = col.type
    if pa.types.is_string(t):
        if len(col) == 0 or col.null_count == len(col):
            return None
        lens = pc.binary_length(col)
        if (pc.max(lens).as_py() or 0) <= MAX_FIELD_BYTES:
            return None
        return pc.fill_null(pc.greater(lens, MAX_FIELD_BYTES), False)
    if pa.types.is_list(t):
        flat = pc.list_flatten(col)
        if pa.types.is_struct(flat.type):
            inner = [_long_mask(flat.field(i)) for i in range(flat.type.num_fields)]
            inner = [m for m in inner if m is not None]
            if not inner:
                return None
            hit = inner[0]
            for m in inner[1:]:
                hit = pc.or_(hit, m)
        else:
            hit = _long_mask(flat)
            if hit is None:
                return None
        parents = pc.list_parent_indices(col)
        bad = set(pc.filter(parents, hit).to_pylist())
        return pa.array([i in bad for i in range(len(col))])
    return None


def drop_long_values(table: str, t: pa.Table, report: ReadReport) -> pa.Table:
    """``t`` without the rows holding a string longer than :data:`MAX_FIELD_BYTES`
    (each counted as skipped, naming the column)."""
    import pyarrow.compute as pc

    for name in t.column_names:
        mask = _long_mask(t.column(name))
        if mask is None:
            continue
        n = pc.sum(mask).as_py() or 0
        if n:
            reason = f"{table}.{name}: text longer than {_size(MAX_FIELD_BYTES)} (record skipped)"
            for _ in range(n):
                report.skip_row(reason, per_record=False)
            t = t.filter(pc.invert(mask))
    return t
