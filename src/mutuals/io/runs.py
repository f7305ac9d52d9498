"""Run outputs: one Parquet file per table plus ``manifest.json``.

The manifest records everything needed to reproduce the run: the scenario and
its parameters, the seed, the package and library versions, the command line.
Tables hold only what the seed determines (no timings), so the same seed gives
byte-identical Parquet files.
"""

from __future__ import annotations

import json
import platform as _platform
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from mutuals.errors import InputError
from mutuals.io.folders import FolderWriter, recover

__all__ = [
    "STORE_FOLDER",
    "ChunkedTable",
    "environment",
    "read_run",
    "simulation_source",
    "write_run",
]


def environment() -> dict[str, str]:
    """Versions that affect results."""
    import numba
    import numpy

    from mutuals import __version__

    return {
        "mutuals": __version__,
        "python": sys.version.split()[0],
        "numpy": numpy.__version__,
        "numba": numba.__version__,
        "pyarrow": pa.__version__,
        "platform": _platform.platform(),
    }


@dataclass(frozen=True)
class ChunkedTable:
    """A table written piece by piece: its schema, its row count, and a
    function that yields it as tables of that schema (rows in order)."""

    schema: pa.Schema
    num_rows: int
    chunks: Callable[[], Iterator[pa.Table]]

    def to_table(self) -> pa.Table:
        return pa.concat_tables([self.schema.empty_table(), *self.chunks()])


def _write_parquet(table: pa.Table | ChunkedTable, path: Path) -> None:
    if isinstance(table, ChunkedTable):
        with pq.ParquetWriter(path, table.schema, compression="zstd") as w:
            for chunk in table.chunks():
                w.write_table(chunk)
    else:
        pq.write_table(table, path, compression="zstd")


#: The subfolder of a run folder that holds the run as a canonical store.
STORE_FOLDER = "store"


def simulation_source(manifest: Mapping[str, Any]) -> str:
    """How a run is named among a store's inputs: scenario, seed and a digest of
    its parameters (and graph), so the same run merged twice is one input."""
    import hashlib

    what = {k: manifest.get(k) for k in ("scenario", "model", "params", "seed", "graph")}
    digest = hashlib.sha256(json.dumps(what, sort_keys=True, default=str).encode()).hexdigest()
    return f"simulation {manifest.get('scenario')} seed={manifest.get('seed')} {digest[:12]}"


def write_run(
    out: str | Path,
    tables: Mapping[str, pa.Table],
    manifest: Mapping[str, Any],
    *,
    overwrite: bool = False,
    writer: FolderWriter | None = None,
    canonical: Mapping[str, pa.Table | ChunkedTable] | None = None,
) -> Path:
    """Write ``tables`` as ``<name>.parquet`` and ``manifest.json`` into ``out``.

    The write is one transaction (:class:`~mutuals.io.folders.FolderWriter`):
    every file goes to a temporary sibling first and the manifest is renamed
    into place last, so a killed or failed write leaves the previous run whole.
    A folder that holds anything but an earlier run is refused (``overwrite``
    writes beside files mutuals did not write, and never replaces them).
    Rewriting a run folder removes the previous run's tables that this run
    does not write. Pass an open ``writer`` (made before a long run, so that a
    bad folder fails first) to write through it.

    ``canonical`` (the run as canonical tables, :mod:`mutuals.io.simstore`)
    goes into the subfolder ``store`` (:data:`STORE_FOLDER`) with its
    ``store.json``, in the same transaction: ``RUN/store`` is a canonical
    store (``mutuals analyze RUN`` reads it). Tables that are not canonical
    tables (``follows_start``) sit beside them in the same schema.
    """
    if writer is None:
        with FolderWriter(out, "run", overwrite=overwrite, what="--out") as w:
            return _write_run(w, tables, manifest, canonical)
    return _write_run(writer, tables, manifest, canonical)


def _write_run(
    w: FolderWriter,
    tables: Mapping[str, pa.Table],
    manifest: Mapping[str, Any],
    canonical: Mapping[str, pa.Table | ChunkedTable] | None = None,
) -> Path:
    from mutuals.tables import SCHEMAS

    full = {
        **manifest,
        "tables": {k: t.num_rows for k, t in tables.items()},
        "environment": environment(),
    }
    if canonical is not None:
        full["store"] = {k: t.num_rows for k, t in canonical.items()}
    try:
        for name, table in tables.items():
            tmp = w.temp_file(f"{name}.parquet")
            pq.write_table(table, tmp, compression="zstd")
            w.stage(f"{name}.parquet", tmp)
        if canonical is not None:
            for name, table in canonical.items():
                rel = f"{STORE_FOLDER}/{name}.parquet"
                tmp = w.temp_file(rel)
                _write_parquet(table, tmp)
                w.stage(rel, tmp)
            rows = {n: canonical[n].num_rows if n in canonical else 0 for n in SCHEMAS}
            meta = {
                "format": "mutuals-store",
                "version": 2,
                "inputs": [
                    {
                        "source": simulation_source(manifest),
                        "format": "simulation",
                        "rows": {n: r for n, r in rows.items() if r},
                    }
                ],
                "tables": rows,
            }
            w.write_text(
                f"{STORE_FOLDER}/store.json", json.dumps(meta, indent=2, default=str) + "\n"
            )
        w.write_text("manifest.json", json.dumps(full, indent=2, default=str) + "\n")
        w.commit(last="manifest.json")
    except OSError as e:
        raise InputError(f"cannot write the run to {str(w.path)!r}: {e.strerror or e}") from None
    return w.path


def read_run(path: str | Path) -> tuple[dict[str, pa.Table], dict[str, Any]]:
    """Read a run folder back: its tables and its manifest.

    Finishes (or clears) a write that a killed command left half done, and
    checks that every table the manifest lists is there with the row count the
    manifest records: a folder mixing two runs' files is an error, not data.
    """
    p = Path(path)
    recover(p)
    man = p / "manifest.json"
    if not man.is_file():
        raise InputError(f"{str(p)!r} holds no manifest.json: not a run folder")
    try:
        manifest = json.loads(man.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(f"{man}: not valid JSON ({e})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("tables", {}), dict):
        raise InputError(f"{man}: not a run manifest (an object with a 'tables' object)")
    tables = {}
    for name, rows in manifest.get("tables", {}).items():
        f = p / f"{name}.parquet"
        if not f.is_file():
            raise InputError(f"{f}: missing, yet listed in manifest.json")
        try:
            tables[name] = pq.read_table(f)
        except (pa.ArrowException, OSError) as e:
            raise InputError(f"{f}: not a readable Parquet file ({e})") from None
        if isinstance(rows, int) and not isinstance(rows, bool) and tables[name].num_rows != rows:
            raise InputError(
                f"{f}: holds {tables[name].num_rows:,} rows but manifest.json records "
                f"{rows:,}: the folder mixes files of different runs; re-run it into a new folder"
            )
    return tables, manifest
