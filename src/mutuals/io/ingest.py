"""Stream inputs of any supported format into a canonical store.

:func:`ingest` runs the reader of each input (:mod:`mutuals.io.readers`),
writes its chunks to temporary Parquet parts, then merges the parts (and the
tables already in the store) with DuckDB, which spills to disk, so memory stays
bounded whatever the input size. The result is one ``<table>.parquet`` per
canonical table (see :mod:`mutuals.io.store`), sorted by key, plus
``store.json`` with every input's :class:`~mutuals.io.readreport.ReadReport`.

Merge rules
-----------
Keys: accounts ``(platform, account_id)``; follows ``(platform, follower_id,
friend_id)``; posts ``(platform, post_id)``; interactions ``(platform, kind,
source_id, post_id, target_post_id, target_id)``; lists ``(platform, list_id)``;
list_members ``(platform, list_id, account_id)``.

Rows with the same key collapse to one. Each column takes its value from the
latest observation that has one: for accounts the order is ``observed_at`` then
input order; for posts, rows with text beat placeholders (unavailable tweets
reported in API errors), then input order. ``posts.deleted`` is true when any
observation says so; ``follows.created_at`` is the earliest known. Of an X edit
chain (rows sharing ``edit_of_id``) only the latest version (largest id) is
kept. Every account id that appears in another table gets an ``accounts`` row
(``source="referenced"`` when nothing else is known about it). A ``tombstones``
row (a deleted record: a Bluesky follow, like or repost delete) removes every
``follows`` and ``interactions`` row with the same ``(platform, record_id)``,
whichever input brought it, now and in later merges: the tombstones stay in the
store, so merging the record's create again later does not bring it back.

Ingesting the same inputs gives byte-identical Parquet files; ingesting into an
existing store merges with what is there. The store's files are replaced only
after every table has been merged, so a failed ingest leaves the store as it was.
Memory: readers hold at most ``chunk_rows`` rows per table; the merge is an
external sort in DuckDB (``memory_limit``) followed by a streaming pass.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from mutuals.errors import InputError
from mutuals.io.folders import FolderWriter, _failpoint
from mutuals.io.readreport import ReadReport
from mutuals.tables import SCHEMAS

__all__ = ["KEYS", "Tables", "ingest"]

#: Key columns of each canonical table.
KEYS: dict[str, tuple[str, ...]] = {
    "accounts": ("platform", "account_id"),
    "follows": ("platform", "follower_id", "friend_id"),
    "posts": ("platform", "post_id"),
    "interactions": ("platform", "kind", "source_id", "post_id", "target_post_id", "target_id"),
    "lists": ("platform", "list_id"),
    "list_members": ("platform", "list_id", "account_id"),
    "tombstones": ("platform", "record_id"),
}

#: Tables whose rows a tombstone (a deleted record) removes, by ``record_id``.
_TOMBSTONED = ("follows", "interactions")

_META = "store.json"
_ORD = "_ord"


@dataclass(frozen=True)
class Tables:
    """Canonical tables held in memory, as one input of :func:`ingest`.

    ``source`` names the input in ``store.json`` (a simulated run's folder, say);
    every row of every table counts as one record.
    """

    tables: Mapping[str, pa.Table]
    source: str
    format: str = "tables"

    def chunks(self, report: ReadReport, chunk_rows: int) -> Iterator[tuple[str, pa.Table]]:
        from mutuals.io.store import conform

        for name, table in self.tables.items():
            if name not in SCHEMAS:
                raise InputError(f"unknown table {name!r}; tables are {', '.join(SCHEMAS)}")
            t = conform(name, table)
            report.records += t.num_rows
            report.rows[name] += t.num_rows
            for start in range(0, t.num_rows, chunk_rows):
                yield name, t.slice(start, chunk_rows)


def ingest(
    inputs: Iterable[Any],
    out: str | Path,
    *,
    format: str | None = None,
    rejects: str | Path | None = None,
    chunk_rows: int = 16384,
    memory_limit: str = "1GB",
    threads: int = 2,
    overwrite: bool = False,
    **options: Any,
) -> list[ReadReport]:
    """Read ``inputs`` into the store folder ``out``, merging with its content.

    Parameters
    ----------
    inputs : iterable of path, networkx graph or :class:`Tables`
        Files (or folders, for readers of folders) in any registered format,
        detected per input unless ``format`` is given, in-memory NetworkX
        graphs, and canonical tables in memory.
    out : path
        Store folder (created if absent).
    format : str, optional
        Force one reader for every file input.
    rejects : path, optional
        Write every skipped record, as JSON lines, to this file.
    chunk_rows : int
        Rows per streamed chunk (bounds reader memory).
    memory_limit : str
        DuckDB memory limit for the merge (it spills to disk beyond it).
    threads : int
        DuckDB threads for the merge.
    overwrite : bool
        Write the store into a folder that holds files mutuals did not write
        (they are left alone), and replace an existing ``rejects`` file.
    **options
        Reader options (``platform``, ``focal_id``, ``relation``, ``follower_col``...).

    Returns
    -------
    list of ReadReport
        One per input, in order; also written to ``out/store.json``.
    """
    from mutuals.io.readers import detect, get_reader, read
    from mutuals.io.readers.graph import iter_networkx

    inputs = list(inputs)
    if not inputs:
        raise InputError("ingest needs at least one input")
    if chunk_rows < 1:
        raise InputError(f"chunk_rows must be >= 1, got {chunk_rows}")
    out = Path(out)
    _check_memory_limit(memory_limit)
    if format is not None:
        get_reader(format)  # an unknown name fails here, listing the known ones
    formats: dict[int, str | None] = {}
    for i, inp in enumerate(inputs, 1):
        if isinstance(inp, str | Path):
            if not Path(inp).exists():
                raise InputError(f"input {str(inp)!r} does not exist")
            # detect every format before reading anything: a bad input fails fast
            formats[i] = format or detect(inp)
    rejects_path = Path(rejects) if rejects else None
    if rejects_path is not None:  # checked before the store folder is made
        if rejects_path.exists() and not overwrite:
            raise InputError(
                f"the rejects file {str(rejects_path)!r} exists; mutuals does not replace it: "
                "name a new file, or pass --overwrite"
            )
        if not rejects_path.parent.is_dir() or not os.access(rejects_path.parent, os.W_OK):
            raise InputError(
                f"cannot write the rejects file {str(rejects_path)!r}: its folder "
                f"{str(rejects_path.parent)!r} is missing or not writable"
            )
    reports: list[ReadReport] = []
    with FolderWriter(out, "store", overwrite=overwrite, what="store") as writer:
        tmp = writer.temp_dir()
        rej_tmp = None
        rej = None
        if rejects_path is not None:
            rej_tmp = rejects_path.with_name(f".{rejects_path.name}.mutuals-tmp-{writer.token}")
            try:
                rej = open(rej_tmp, "w", encoding="utf-8")  # noqa: SIM115
            except OSError as e:
                raise InputError(
                    f"cannot write the rejects file {str(rejects_path)!r}: {e.strerror or e}"
                ) from e
        try:
            # existing tables are part 0 (oldest), inputs follow in order
            for name in SCHEMAS:
                path = out / f"{name}.parquet"
                if path.exists() and f"{name}.parquet" in writer.previous:
                    _write_parts(tmp, 0, _existing_chunks(path, name, chunk_rows))
            for i, inp in enumerate(inputs, 1):
                if isinstance(inp, str | Path):
                    rep = ReadReport(str(inp))
                    chunks = read(
                        inp, format=formats[i], report=rep, chunk_rows=chunk_rows, **options
                    )
                elif isinstance(inp, Tables):
                    rep = ReadReport(inp.source, format=inp.format)
                    chunks = inp.chunks(rep, chunk_rows)
                elif hasattr(inp, "is_directed") and hasattr(inp, "edges"):
                    rep = ReadReport(f"<networkx {type(inp).__name__}>", format="networkx")
                    chunks = iter_networkx(inp, rep, chunk_rows, **options)
                else:
                    raise InputError(
                        f"input {i} is a {type(inp).__name__}; pass file paths, networkx "
                        "graphs or mutuals.io.ingest.Tables"
                    )
                rep.rejects = rej
                try:
                    _write_parts(tmp, i, chunks)
                finally:
                    rep.rejects = None
                reports.append(rep)
            _failpoint("ingest-read")
            merged, merge = _merge(tmp, memory_limit=memory_limit, threads=threads)
            _failpoint("ingest-merged")
            for name, part in merged.items():
                writer.stage(f"{name}.parquet", part)
            meta = _store_meta(out, reports, merge, merged)
            writer.write_text(_META, json.dumps(meta, indent=2, sort_keys=True) + "\n")
            if rej is not None:
                rej.close()
                rej = None
            writer.commit(last=_META)
            if rej_tmp is not None and rejects_path is not None:
                rej_tmp.replace(rejects_path)
        except OSError as e:
            raise InputError(f"cannot write the store {str(out)!r}: {e.strerror or e}") from None
        finally:
            if rej is not None:
                rej.close()
            if rej_tmp is not None:
                rej_tmp.unlink(missing_ok=True)
    return reports


def _check_memory_limit(memory_limit: str) -> None:
    """DuckDB's own parser decides; its complaint becomes one line."""
    import duckdb

    con = duckdb.connect()
    try:
        con.execute(f"SET memory_limit={_q(str(memory_limit))}")
    except duckdb.Error:
        raise InputError(
            f"memory limit {memory_limit!r} is not a size; give one such as 512MB, 2GB or 4GiB"
        ) from None
    finally:
        con.close()


def _existing_chunks(path: Path, name: str, chunk_rows: int) -> Iterator[tuple[str, pa.Table]]:
    from mutuals.io.store import conform

    try:
        pf = pq.ParquetFile(path)
        for batch in pf.iter_batches(batch_size=chunk_rows):
            yield name, conform(name, pa.Table.from_batches([batch]))
    except (pa.ArrowException, OSError) as e:
        raise InputError(
            f"{path}: the store's table is not readable ({e}); nothing was changed"
        ) from None


def _write_parts(tmp: Path, index: int, chunks: Iterator[tuple[str, pa.Table]]) -> None:
    writers: dict[str, pq.ParquetWriter] = {}
    counters: dict[str, int] = {}
    try:
        for name, table in chunks:
            if table.num_rows == 0:
                continue
            start = counters.get(name, 0)
            counters[name] = start + table.num_rows
            base = (index << 40) + start
            ords = pa.array(np.arange(base, base + table.num_rows, dtype=np.int64))
            table = table.append_column(_ORD, ords)
            w = writers.get(name)
            if w is None:
                d = tmp / name
                d.mkdir(exist_ok=True)
                # temporary files, read once by the merge: no compression (cheapest)
                w = writers[name] = pq.ParquetWriter(
                    d / f"{index:06d}.parquet", table.schema, compression="none"
                )
            w.write_table(table)
    finally:
        for w in writers.values():
            w.close()


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


#: Extra sort columns (after the key, before input order): which observation wins.
_PRIORITY = {
    "accounts": "coalesce(epoch_us(observed_at), -1)",
    "posts": "CASE WHEN text IS NULL THEN 0 ELSE 1 END",
}
_BATCH = 65536
#: Stream DuckDB's sorted rows as Arrow batches (twice as fast as sorting to a
#: temporary Parquet file, which is the fallback when streaming runs out of memory).
_STREAM = True


def _merge(tmp: Path, *, memory_limit: str, threads: int) -> tuple[dict[str, Path], dict[str, Any]]:
    """Sort all parts by (key, priority, input order) with DuckDB (an external
    sort: it spills to disk), then stream the sorted rows (Arrow batches; a
    temporary Parquet file if streaming runs out of memory) through
    :func:`_coalesce`, which merges runs of equal keys batch by batch."""
    import duckdb

    try:
        return _merge_tables(tmp, memory_limit=memory_limit, threads=threads)
    except duckdb.OutOfMemoryException:
        raise InputError(
            f"the merge ran out of memory (memory limit {memory_limit}); raise "
            "--memory-limit, or look for records with huge fields; nothing was changed"
        ) from None
    except duckdb.Error as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise InputError(f"the merge failed: {first}; nothing was changed") from None


def _merge_tables(
    tmp: Path, *, memory_limit: str, threads: int
) -> tuple[dict[str, Path], dict[str, Any]]:
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET memory_limit={_q(memory_limit)}")
    con.execute(f"SET temp_directory={_q(str(tmp / 'duckdb'))}")
    con.execute(f"SET threads={int(threads)}")
    con.execute("SET preserve_insertion_order=true")
    stats: dict[str, Any] = {}
    merged: dict[str, Path] = {}
    # tombstones first (they filter follows and interactions), accounts last
    # (they gather the ids every other table references)
    order_of_tables = (
        ["tombstones"] + [n for n in SCHEMAS if n not in ("accounts", "tombstones")] + ["accounts"]
    )
    for name in order_of_tables:
        files = sorted((tmp / name).glob("*.parquet")) if (tmp / name).exists() else []
        sources = [f"SELECT * FROM read_parquet({_q(str(f))})" for f in files]
        if name == "accounts":
            ref = _referenced_accounts_sql(merged)
            if ref:
                sources.append(ref)
        if not sources:
            continue
        union = " UNION ALL BY NAME ".join(sources)
        order = [f'"{k}" ASC NULLS FIRST' for k in KEYS[name]]
        if name in _PRIORITY:
            order.append(_PRIORITY[name])
        order.append(_ORD)
        cols = ", ".join(f'"{f.name}"' for f in SCHEMAS[name])
        drop: set[str] = set()
        if name == "posts":
            drop = _superseded_edits(con, union)
        part = tmp / f"{name}.merged.parquet"
        source = f"({union})"
        removed = 0
        if name in _TOMBSTONED and "tombstones" in merged:
            tomb = f"read_parquet({_q(str(merged['tombstones']))})"
            source = (
                f"(SELECT u.* FROM ({union}) AS u ANTI JOIN {tomb} AS t "
                "ON u.platform = t.platform AND u.record_id = t.record_id)"
            )
            removed = con.execute(
                f"SELECT count(*) FROM ({union}) AS u SEMI JOIN {tomb} AS t "
                "ON u.platform = t.platform AND u.record_id = t.record_id"
            ).fetchall()[0][0]
        query = f"SELECT {cols} FROM {source} ORDER BY {', '.join(order)}"
        counts: tuple[int, int] | None = None
        if _STREAM:
            try:
                counts = _coalesce(name, con.sql(query).to_arrow_reader(_BATCH), part, drop)
            except (OSError, duckdb.Error) as e:
                if "out of memory" not in str(e).lower():
                    raise
                part.unlink(missing_ok=True)  # then sort to a file, which spills freely
        if counts is None:
            sorted_path = tmp / f"{name}.sorted.parquet"
            con.execute(
                f"COPY ({query}) TO {_q(str(sorted_path))} "
                f"(FORMAT parquet, COMPRESSION uncompressed, ROW_GROUP_SIZE {_BATCH})"
            )
            batches = pq.ParquetFile(sorted_path).iter_batches(batch_size=_BATCH)
            counts = _coalesce(name, batches, part, drop)
            sorted_path.unlink()
        rows_in, rows_out = counts
        merged[name] = part
        stats[name] = {"rows_in": rows_in + removed, "rows_out": rows_out}
        if removed:
            stats[name]["removed_by_tombstones"] = int(removed)
        if drop:
            stats[name]["superseded_edit_versions"] = len(drop)
    con.close()
    return merged, stats


def _superseded_edits(con: Any, union: str) -> set[str]:
    """X post ids that are older versions of an edit chain whose latest version
    (the largest snowflake) is in the data."""
    rows = con.execute(
        f"SELECT DISTINCT post_id, edit_of_id FROM ({union}) "
        "WHERE platform = 'x' AND edit_of_id IS NOT NULL"
    ).fetchall()
    chains: dict[str, set[str]] = {}
    for post_id, edit_of in rows:
        chains.setdefault(edit_of, {edit_of}).add(post_id)
    drop: set[str] = set()
    for members in chains.values():
        latest = max(members, key=lambda i: (len(i), i))
        drop |= members - {latest}
    return drop


def _key_change(t: pa.Table, keys: tuple[str, ...]) -> np.ndarray:
    """Boolean per row: does row i start a new key (null equals null)?"""
    import pyarrow.compute as pc

    n = t.num_rows
    new = np.zeros(n, dtype=bool)
    if n == 0:
        return new
    new[0] = True
    for k in keys:
        col = t.column(k)
        a, b = col.slice(1), col.slice(0, n - 1)
        ne = pc.not_equal(a, b)
        both_null = pc.and_(pc.is_null(a), pc.is_null(b))
        diff = pc.if_else(both_null, False, pc.fill_null(ne, True))
        new[1:] |= np.asarray(diff.to_numpy(zero_copy_only=False), dtype=bool)
    return new


def _coalesce_table(
    name: str, t: pa.Table, drop: set[str], starts: np.ndarray | None = None
) -> pa.Table:
    """Merge runs of equal keys in a key-sorted table: per column the last
    non-null value of the run (the best observation, given the sort order).
    ``starts`` (the first row of each run) is computed when not given."""
    import pyarrow.compute as pc

    t = t.combine_chunks()
    n = t.num_rows
    if starts is None:
        starts = np.flatnonzero(_key_change(t, KEYS[name]))
    idx = np.arange(n)
    out = []
    keys = KEYS[name]
    for f in SCHEMAS[name]:
        col = t.column(f.name)
        if f.name in keys:
            out.append(col.take(pa.array(starts)))
            continue
        valid = np.asarray(col.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        if name == "posts" and f.name == "deleted":
            vals = np.asarray(col.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
            anyv = np.maximum.reduceat(valid.astype(np.int8), starts) > 0
            anyt = np.maximum.reduceat(vals.astype(np.int8), starts) > 0
            out.append(pa.array(anyt, mask=~anyv, type=f.type))
            continue
        if name == "follows" and f.name == "created_at":
            big = np.iinfo(np.int64).max  # the earliest known follow time
            ints = pc.cast(col, pa.int64()).fill_null(big).to_numpy()
            best = np.minimum.reduceat(ints, starts)
            out.append(pa.array(best, mask=best == big, type=pa.int64()).cast(f.type))
            continue
        last = np.maximum.reduceat(np.where(valid, idx, -1), starts)
        out.append(col.take(pa.array(last, mask=last < 0, type=pa.int64())))
    merged = pa.Table.from_arrays(out, schema=SCHEMAS[name])
    if name == "posts":
        pid = merged.column("post_id")
        if drop:
            gone = pc.and_(
                pc.equal(merged.column("platform"), "x"),
                pc.is_in(pid, value_set=pa.array(sorted(drop), pa.string())),
            )
            merged = merged.filter(pc.invert(gone))
            pid = merged.column("post_id")
        edit = merged.column("edit_of_id")
        same = pc.fill_null(pc.equal(edit, pid), False)
        if pc.any(same).as_py():  # a first version kept alone is not an edit
            i = merged.schema.get_field_index("edit_of_id")
            merged = merged.set_column(
                i, "edit_of_id", pc.if_else(same, pa.scalar(None, pa.string()), edit)
            )
    return merged


def _rebatch(batches: Iterable[pa.RecordBatch], size: int) -> Iterator[pa.Table]:
    """The rows of ``batches`` as single-chunk tables of exactly ``size`` rows
    (the last one fewer), whatever the input batching. Zero-copy when the input
    already comes in such batches; only tables that straddle input batches are
    copied."""
    buf: list[pa.Table] = []
    n = 0
    for b in batches:
        if b.num_rows == 0:
            continue
        buf.append(pa.Table.from_batches([b]))
        n += b.num_rows
        while n >= size:
            t = pa.concat_tables(buf) if len(buf) > 1 else buf[0]
            head, rest = t.slice(0, size), t.slice(size)
            yield head.combine_chunks() if len(buf) > 1 else head
            buf = [rest.combine_chunks()] if rest.num_rows else []
            n = rest.num_rows
    if n:
        yield pa.concat_tables(buf).combine_chunks()


def _coalesce(
    name: str, batches: Iterable[pa.RecordBatch], dst: Path, drop: set[str]
) -> tuple[int, int]:
    """Stream the key-sorted ``batches`` into ``dst``, one merged batch at a time;
    a run of equal keys cut by a batch boundary is carried to the next batch.
    The input is first cut into batches of ``_BATCH`` rows (:func:`_rebatch`),
    so the file (its row groups) does not depend on how the input was batched."""
    schema = SCHEMAS[name]
    keys = KEYS[name]
    rows_in = rows_out = 0
    carry: pa.Table | None = None
    with pq.ParquetWriter(dst, schema, compression="zstd") as w:
        for t in _rebatch(batches, _BATCH):
            rows_in += t.num_rows
            t = t.cast(schema)
            if carry is not None:
                t = pa.concat_tables([carry, t]).combine_chunks()
            starts = np.flatnonzero(_key_change(t, keys))
            cut = int(starts[-1])
            carry = t.slice(cut)
            if cut:
                m = _coalesce_table(name, t.slice(0, cut), drop, starts[:-1])
                rows_out += m.num_rows
                w.write_table(m)
        if carry is not None and carry.num_rows:
            m = _coalesce_table(name, carry, drop)
            rows_out += m.num_rows
            w.write_table(m)
    return rows_in, rows_out


def _referenced_accounts_sql(merged: dict[str, Path]) -> str | None:
    refs = {
        "follows": ("follower_id", "friend_id"),
        "posts": ("author_id", "parent_author_id"),
        "interactions": ("source_id", "target_id"),
        "lists": ("owner_id",),
        "list_members": ("account_id",),
    }
    selects = []
    for table, id_cols in refs.items():
        path = merged.get(table)
        if path is None:
            continue
        for c in id_cols:
            selects.append(
                f"SELECT platform, {c} AS account_id FROM read_parquet({_q(str(path))}) "
                f"WHERE {c} IS NOT NULL"
            )
    if not selects:
        return None
    cols: list[str] = []
    for f in SCHEMAS["accounts"]:
        if f.name in ("platform", "account_id"):
            cols.append(f.name)
        elif f.name == "source":
            cols.append("'referenced' AS source")
        else:
            cols.append(f"CAST(NULL AS {_duck_type(f.type)}) AS {f.name}")
    # DISTINCT: repeated references are identical rows, which merge to one anyway
    return (
        f"SELECT {', '.join(cols)}, CAST(-1 AS BIGINT) AS {_ORD} "
        f"FROM (SELECT DISTINCT * FROM ({' UNION ALL '.join(selects)}))"
    )


def _duck_type(t: pa.DataType) -> str:
    if pa.types.is_timestamp(t):
        return "TIMESTAMPTZ"
    if pa.types.is_int64(t):
        return "BIGINT"
    if pa.types.is_boolean(t):
        return "BOOLEAN"
    if pa.types.is_floating(t):
        return "DOUBLE"
    return "VARCHAR"


def _store_meta(
    out: Path, reports: list[ReadReport], merge: dict[str, Any], merged: dict[str, Path]
) -> dict[str, Any]:
    """The new ``store.json``: every input ever merged, the row count of every
    table (which :func:`~mutuals.io.store.open_store` checks against the files)
    and what the last merge did."""
    meta_path = out / _META
    meta: dict[str, Any] = {}
    if meta_path.exists():
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, ValueError):
            meta = {}
    inputs = {d["source"]: d for d in meta.get("inputs", []) if isinstance(d, dict)}
    for r in reports:
        inputs[r.source] = r.to_dict()
    tables = {
        name: pq.ParquetFile(merged[name]).metadata.num_rows if name in merged else 0
        for name in SCHEMAS
    }
    return {
        "format": "mutuals-store",
        "version": 2,
        "inputs": [inputs[k] for k in sorted(inputs)],
        "tables": tables,
        "last_merge": merge,
    }
