"""The canonical store: one Parquet file per canonical table in a folder.

Layout::

    STORE/
      accounts.parquet  follows.parquet  posts.parquet
      interactions.parquet  lists.parquet  list_members.parquet
      store.json        # what was ingested: inputs, formats, read/skip counts

Every table has the schema of :mod:`mutuals.tables`; a table missing from
the folder reads as empty. :meth:`Store.connect` gives a DuckDB connection with
one view per table, for SQL over the store.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from mutuals.errors import InputError
from mutuals.io.folders import FolderWriter, folder_kind, recover
from mutuals.tables import SCHEMAS

__all__ = ["Store", "is_store", "open_store", "write_store"]

_META = "store.json"


class Store:
    """A canonical store on disk (see module docstring). Use :func:`open_store`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def table_path(self, name: str) -> Path:
        if name not in SCHEMAS:
            raise InputError(f"unknown table {name!r}; tables are {', '.join(SCHEMAS)}")
        return self.path / f"{name}.parquet"

    def table(self, name: str, columns: list[str] | None = None) -> pa.Table:
        """Read one canonical table (empty, with its schema, if absent)."""
        path = self.table_path(name)
        schema = SCHEMAS[name]
        if not path.exists():
            t = schema.empty_table()
            return t.select(columns) if columns else t
        return pq.read_table(path, columns=columns, schema=schema)

    @property
    def metadata(self) -> dict[str, Any]:
        meta = self.path / _META
        return json.loads(meta.read_text()) if meta.exists() else {}

    def connect(self) -> Any:
        """A DuckDB connection with a view per table (``SELECT * FROM posts``)."""
        import duckdb

        con = duckdb.connect()
        for name in SCHEMAS:
            path = self.table_path(name)
            if path.exists():
                con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{_sql_str(path)}')")
            else:
                con.register(name, SCHEMAS[name].empty_table())
        return con

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"


def _sql_str(path: Path) -> str:
    return str(path).replace("'", "''")


def open_store(path: str | Path) -> Store:
    """Open an existing store folder (for a simulation run folder, the
    canonical store it holds in ``RUN/store``).

    Finishes (or clears) a write that a killed command left half done, and
    checks that each table holds the rows ``store.json`` records for it.
    """
    p = Path(path)
    if not p.is_dir():
        raise InputError(f"store {str(p)!r} is not a folder; create one with `mutuals ingest`")
    recover(p)
    if not is_store(p):
        kind = folder_kind(p)
        if kind is not None and kind[0] == "run":
            inner = p / "store"
            if inner.is_dir() and is_store(inner):
                return open_store(inner)  # the run's own canonical tables
            raise InputError(
                f"{str(p)!r} is a simulation run folder without canonical tables (it was "
                "written with --no-canonical, or is a SimSoM run); re-run it with "
                "`mutuals simulate --from-manifest RUN/manifest.json`, or write a store "
                "with `mutuals simulate ... --store STORE`"
            )
        raise InputError(
            f"{str(p)!r} is not a mutuals store (no {_META} and no table files such as "
            "posts.parquet); create one with `mutuals ingest INPUT... --out STORE`"
        )
    store = Store(p)
    meta = store.metadata
    counts = meta.get("tables") if isinstance(meta, dict) else None
    if isinstance(counts, dict):
        for name, rows in counts.items():
            f = p / f"{name}.parquet"
            if name not in SCHEMAS or not isinstance(rows, int) or isinstance(rows, bool):
                continue
            try:
                have = pq.ParquetFile(f).metadata.num_rows if f.exists() else 0
            except (pa.ArrowException, OSError) as e:
                raise InputError(f"{f}: not a readable Parquet file ({e})") from None
            if have != rows:
                raise InputError(
                    f"{f}: holds {have:,} rows but {_META} records {rows:,}: the store's "
                    "files do not belong together; re-ingest into a new store"
                )
    return store


def is_store(path: str | Path) -> bool:
    """Whether ``path`` is a store folder: it holds ``store.json``, or table files
    and is not another kind of mutuals output (a run folder also holds
    ``posts.parquet``)."""
    p = Path(path)
    if not p.is_dir():
        return False
    kind = folder_kind(p)
    if kind is not None:
        return kind[0] == "store"
    return (p / _META).exists() or any((p / f"{name}.parquet").exists() for name in SCHEMAS)


def write_store(
    path: str | Path,
    tables: Mapping[str, pa.Table],
    *,
    metadata: Mapping[str, Any] | None = None,
    overwrite: bool = False,
) -> Store:
    """Write canonical tables as a new store folder.

    Each table is cast to its canonical schema (missing nullable columns are
    filled with nulls); an unknown table name or a column that cannot be cast
    raises :class:`~mutuals.errors.InputError`. The folder must not hold a store
    already: a store is only merged into (:func:`mutuals.io.ingest.ingest`, which
    also takes in-memory tables), never replaced. The write is one transaction
    (:class:`~mutuals.io.folders.FolderWriter`).
    """
    p = Path(path)
    conformed = {}
    for name, table in tables.items():
        if name not in SCHEMAS:
            raise InputError(f"unknown table {name!r}; tables are {', '.join(SCHEMAS)}")
        conformed[name] = conform(name, table)
    with FolderWriter(p, "store", overwrite=overwrite, what="store") as w:
        if w.previous:
            raise InputError(
                f"{str(p)!r} already holds a store; merge into it with `mutuals ingest` "
                "(mutuals.io.ingest.ingest), or write to a new folder"
            )
        try:
            for name, t in conformed.items():
                tmp = w.temp_file(f"{name}.parquet")
                pq.write_table(t, tmp)
                w.stage(f"{name}.parquet", tmp)
            meta = {"format": "mutuals-store", **dict(metadata or {})}
            meta["tables"] = {n: (conformed[n].num_rows if n in conformed else 0) for n in SCHEMAS}
            w.write_text(_META, json.dumps(meta, indent=2, default=str) + "\n")
            w.commit(last=_META)
        except OSError as e:
            raise InputError(f"cannot write the store {str(p)!r}: {e.strerror or e}") from None
    return Store(p)


def conform(name: str, table: pa.Table) -> pa.Table:
    """Cast ``table`` to the canonical schema ``name``, adding absent columns as nulls."""
    schema = SCHEMAS[name]
    extra = set(table.column_names) - set(schema.names)
    if extra:
        raise InputError(f"table {name!r} has columns not in its schema: {sorted(extra)}")
    cols = []
    for f in schema:
        if f.name in table.column_names:
            col = table.column(f.name)
            try:
                col = col.cast(f.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
                raise InputError(f"{name}.{f.name}: cannot cast {col.type} to {f.type}: {e}") from e
        else:
            if not f.nullable:
                raise InputError(f"table {name!r} lacks required column {f.name!r}")
            col = pa.nulls(table.num_rows, f.type)
        cols.append(col)
    return pa.Table.from_arrays(cols, schema=schema)
