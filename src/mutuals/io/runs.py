"""Run outputs: one Parquet file per table plus ``manifest.json``.

The manifest records everything needed to reproduce the run: the scenario and
its parameters, the seed, the package and library versions, the command line.
Tables hold only what the seed determines (no timings), so the same seed gives
byte-identical Parquet files.
"""

from __future__ import annotations

import contextlib
import json
import platform as _platform
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from mutuals.errors import InputError

__all__ = ["environment", "read_run", "write_run"]


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


def write_run(out: str | Path, tables: Mapping[str, pa.Table], manifest: Mapping[str, Any]) -> Path:
    """Write ``tables`` as ``<name>.parquet`` and ``manifest.json`` into ``out``.

    Rewriting a run folder removes the tables its previous manifest listed that
    this run does not write; other files are left alone.
    """
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise InputError(f"output {str(path)!r} exists and is not a folder")
    full = {
        **manifest,
        "tables": {k: t.num_rows for k, t in tables.items()},
        "environment": environment(),
    }
    try:
        path.mkdir(parents=True, exist_ok=True)
        old = path / "manifest.json"
        if old.is_file():  # a previous run here: drop its tables that this run does not write
            with contextlib.suppress(ValueError, AttributeError):
                for name in json.loads(old.read_text(encoding="utf-8")).get("tables", {}):
                    if isinstance(name, str) and name == Path(name).name and name not in tables:
                        (path / f"{name}.parquet").unlink(missing_ok=True)
        for name, table in tables.items():
            pq.write_table(table, path / f"{name}.parquet", compression="zstd")
        (path / "manifest.json").write_text(json.dumps(full, indent=2, default=str) + "\n")
    except OSError as e:
        raise InputError(f"cannot write the run to {str(path)!r}: {e.strerror or e}") from None
    return path


def read_run(path: str | Path) -> tuple[dict[str, pa.Table], dict[str, Any]]:
    """Read a run folder back: its tables and its manifest."""
    p = Path(path)
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
    for name in manifest.get("tables", {}):
        f = p / f"{name}.parquet"
        if not f.is_file():
            raise InputError(f"{f}: missing, yet listed in manifest.json")
        try:
            tables[name] = pq.read_table(f)
        except (pa.ArrowException, OSError) as e:
            raise InputError(f"{f}: not a readable Parquet file ({e})") from None
    return tables, manifest
