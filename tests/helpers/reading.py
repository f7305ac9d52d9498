"""Reading an input whole, as the reader tests do: every chunk in its
canonical schema, and the report's row counts equal to the rows yielded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from mutuals.io.readers import read
from mutuals.io.readreport import ReadReport
from mutuals.io.schema import SCHEMAS


def read_all(path: Path, **kw: Any) -> tuple[dict[str, pa.Table], ReadReport]:
    rep = ReadReport(str(path))
    parts: dict[str, list[pa.Table]] = {n: [] for n in SCHEMAS}
    for name, chunk in read(path, report=rep, **kw):
        assert chunk.schema == SCHEMAS[name]
        parts[name].append(chunk)
    tables = {
        n: pa.concat_tables(ts) if ts else SCHEMAS[n].empty_table() for n, ts in parts.items()
    }
    for n, t in tables.items():
        assert rep.rows[n] == t.num_rows
    return tables, rep


def edges(t: pa.Table) -> list[tuple[str, str]]:
    """A follows table's (follower, friend) pairs, in order."""
    return list(
        zip(t.column("follower_id").to_pylist(), t.column("friend_id").to_pylist(), strict=True)
    )
