"""Row buffers shared by the social readers: collect dict rows, emit canonical chunks."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from mutuals.io.readers._common import check_dict_row, drop_long_values
from mutuals.io.readreport import ReadReport
from mutuals.io.store import conform
from mutuals.tables import SCHEMAS

__all__ = ["RowSink", "http_url", "parse_iso", "unescape"]

_NONE = type(None)
#: Per table and column, the Python types a dict row's value passes without a look.
_PLAIN: dict[str, frozenset[type]] = {
    "str": frozenset({str, _NONE}),
    "int": frozenset({int, _NONE}),
    "float": frozenset({float, int, _NONE}),
    "bool": frozenset({bool, _NONE}),
    "ts": frozenset({datetime, _NONE}),
    "list_str": frozenset(),  # always looked at: Arrow would split a string into letters
    "list_struct": frozenset(),
}


def _plain(t: pa.DataType) -> frozenset[type]:
    if pa.types.is_timestamp(t):
        return _PLAIN["ts"]
    if pa.types.is_string(t):
        return _PLAIN["str"]
    if pa.types.is_integer(t):
        return _PLAIN["int"]
    if pa.types.is_floating(t):
        return _PLAIN["float"]
    if pa.types.is_boolean(t):
        return _PLAIN["bool"]
    return frozenset()


_TYPES = {name: {f.name: _plain(f.type) for f in schema} for name, schema in SCHEMAS.items()}

_HTTP = re.compile(r"^https?://[^\s]+$", re.IGNORECASE)


class RowSink:
    """Collects rows per canonical table and hands them out as conformed chunks.

    Parameters
    ----------
    report : ReadReport
        Rows emitted are counted in ``report.rows``.
    chunk_rows : int
        A table's buffer is flushed once it holds this many rows.
    """

    def __init__(self, report: ReadReport, chunk_rows: int = 50_000) -> None:
        self.report = report
        self.chunk_rows = chunk_rows
        self._buf: dict[str, list[dict[str, Any]]] = {name: [] for name in SCHEMAS}
        self._seen_accounts: set[tuple[str, str]] = set()

    def add(self, table: str, row: dict[str, Any]) -> None:
        """Add one row. Its values are checked against the canonical column types
        first (:func:`~mutuals.io.readers._common.check_dict_row`): unambiguous ones
        are converted and noted; a row with a value that does not fit is skipped and
        counted, naming ``table.column``, so that no wrong type reaches Arrow."""
        types = _TYPES[table]
        for k, v in row.items():
            if type(v) not in types.get(k, ()):
                checked = check_dict_row(table, row, self.report)
                if checked is None:
                    return
                row = checked
                break
        self._buf[table].append(row)

    def account(self, row: dict[str, Any], *, full: bool = False) -> None:
        """Add an account row once per ``(platform, account_id)``.

        A ``full`` row (a profile) is always added; a bare reference (id, handle)
        only the first time the account is seen.
        """
        key = (str(row.get("platform")), str(row.get("account_id")))
        if not full and key in self._seen_accounts:
            return
        n = len(self._buf["accounts"])
        self.add("accounts", row)
        if len(self._buf["accounts"]) > n:  # not skipped as malformed
            self._seen_accounts.add(key)

    def ready(self) -> Iterator[tuple[str, pa.Table]]:
        """Chunks of the tables whose buffers are full."""
        for name, rows in self._buf.items():
            if len(rows) >= self.chunk_rows:
                yield name, self._take(name)

    def flush(self) -> Iterator[tuple[str, pa.Table]]:
        """Chunks of every non-empty buffer."""
        for name, rows in self._buf.items():
            if rows:
                yield name, self._take(name)

    def _take(self, name: str) -> pa.Table:
        rows = self._buf[name]
        self._buf[name] = []
        try:
            table = conform(name, pa.Table.from_pylist(rows, schema=SCHEMAS[name]))
        except (pa.ArrowException, OverflowError, TypeError, ValueError):
            # a value inside a list of the wrong type (values are checked, lists not
            # element by element): check every row, then again
            rows = [r for r in (check_dict_row(name, r, self.report) for r in rows) if r]
            table = conform(name, pa.Table.from_pylist(rows, schema=SCHEMAS[name]))
        table = drop_long_values(name, table, self.report)
        self.report.rows[name] += table.num_rows
        return table


def parse_iso(value: Any) -> datetime | None:
    """An ISO-8601 time (``2023-05-28T15:20:18.907Z``) as an aware UTC datetime, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def http_url(value: Any) -> str | None:
    """``value`` if it is an http(s) URL without whitespace, else None."""
    if isinstance(value, str) and _HTTP.match(value):
        return value
    return None


def unescape(text: str) -> str:
    """HTML character references (``&amp;``, ``&#39;``) to characters."""
    return html.unescape(text)
