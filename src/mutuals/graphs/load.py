"""Load real follow graphs into a :class:`~mutuals.platform.graph.FollowGraph`.

Account ids in files are arbitrary (integers or strings); they are relabelled
``0 .. n-1`` in sorted order and the original labels are returned alongside,
so results can be joined back. Self-follows and duplicates are dropped and
counted in ``graph.build_report``; malformed lines raise with their line
number, never silently vanish.
"""

from __future__ import annotations

import contextlib
import gzip
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from mutuals.errors import DataFormatError, InputError
from mutuals.platform.graph import FollowGraph

__all__ = ["LoadedGraph", "from_edge_arrays", "load_edgelist", "load_parquet_edges"]


@dataclass
class LoadedGraph:
    """A loaded graph: ``graph`` over ``0 .. n-1`` and ``labels[i]``, the file's id of account ``i``."""

    graph: FollowGraph
    labels: NDArray
    report: dict[str, int]
    path: Path | None = None  # the file it was read from


def from_edge_arrays(follower: NDArray, friend: NDArray) -> LoadedGraph:
    """Relabel two parallel arrays of ids (any sortable dtype) and build the graph."""
    f = np.asarray(follower)
    g = np.asarray(friend)
    if f.shape != g.shape or f.ndim != 1:
        raise InputError(
            f"follower and friend must be 1-d of equal length, got {f.shape} and {g.shape}"
        )
    labels, inv = np.unique(np.concatenate([f, g]), return_inverse=True)
    inv = inv.astype(np.int32)
    graph = FollowGraph.from_edges(inv[: f.size], inv[f.size :], n_accounts=labels.size)
    return LoadedGraph(graph=graph, labels=labels, report=dict(graph.build_report))


def _open_text(path: Path) -> io.TextIOBase:
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", errors="strict")
    return open(path, encoding="utf-8", errors="strict")


def load_edgelist(path: str | Path, *, reverse: bool = False) -> LoadedGraph:
    """Read a SNAP-style edge list: one ``follower friend`` pair per line.

    Fields are separated by whitespace (or a comma/tab); lines starting with
    ``#`` or ``%`` and blank lines are skipped (counted as ``comments``);
    extra columns (weights, times) are ignored. Gzip is detected by content.
    ``reverse=True`` reads ``friend follower`` files (information-flow order).
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"edge list {str(p)!r} does not exist")
    src: list[str] = []
    dst: list[str] = []
    comments = 0
    extra_columns = 0
    try:
        with _open_text(p) as fh:
            for lineno, line in enumerate(fh, 1):
                s = line.strip()
                if not s or s[0] in "#%":
                    comments += 1
                    continue
                parts = s.replace(",", " ").split()
                if len(parts) < 2:
                    raise DataFormatError(f"{p}:{lineno}: expected two ids, got {s[:80]!r}")
                if len(parts) > 2:
                    extra_columns += 1
                src.append(parts[0])
                dst.append(parts[1])
    except (UnicodeDecodeError, EOFError, gzip.BadGzipFile, OSError) as e:
        raise DataFormatError(
            f"{p}: cannot read as a text edge list ({type(e).__name__}: {e})"
        ) from None
    if not src:
        raise DataFormatError(f"{p}: no edges found ({comments} comment or blank lines)")
    a = np.asarray(src)
    b = np.asarray(dst)
    # integer ids when every label is an integer written canonically (keeps numeric
    # order); "007" and "7", or ids beyond int64, stay distinct strings
    with contextlib.suppress(ValueError, OverflowError):
        ia, ib = a.astype(np.int64), b.astype(np.int64)
        if _canonical(a, ia) and _canonical(b, ib):
            a, b = ia, ib
    if reverse:
        a, b = b, a
    loaded = from_edge_arrays(a, b)
    loaded.report.update(
        {"lines_skipped_as_comments": comments, "lines_with_extra_columns": extra_columns}
    )
    loaded.path = p
    return loaded


_POW10 = 10 ** np.arange(19, dtype=np.int64)


def _canonical(text: NDArray, ints: NDArray[np.int64]) -> bool:
    """True when every id in ``text`` is written as ``str(int)`` would (no "007", "+7")."""
    digits = np.maximum(np.searchsorted(_POW10, np.abs(ints), side="right"), 1) + (ints < 0)
    return bool(np.array_equal(np.strings.str_len(text), digits))


def load_parquet_edges(
    path: str | Path, *, follower: str = "follower_id", friend: str = "friend_id"
) -> LoadedGraph:
    """Read follows from a Parquet file with a follower and a friend column
    (the canonical ``follows`` table works as is). Rows with a null id are
    counted in ``report["null_rows_dropped"]``."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    p = Path(path)
    if not p.is_file():
        raise InputError(f"Parquet file {str(p)!r} does not exist")
    try:
        cols = pq.read_schema(p).names
    except (pa.ArrowException, OSError) as e:
        raise DataFormatError(f"{p}: not a Parquet file ({e})") from None
    if follower not in cols or friend not in cols:
        raise InputError(f"{p}: needs columns {follower!r} and {friend!r}; it has {cols}")
    try:
        t = pq.read_table(p, columns=[follower, friend])
    except (pa.ArrowException, OSError) as e:
        raise DataFormatError(f"{p}: cannot read columns {follower!r}, {friend!r} ({e})") from None
    for name in (follower, friend):
        typ = t.schema.field(name).type
        if pa.types.is_dictionary(typ):
            t = t.set_column(
                t.schema.get_field_index(name), name, t.column(name).cast(typ.value_type)
            )
            typ = typ.value_type
        if not (
            pa.types.is_integer(typ) or pa.types.is_string(typ) or pa.types.is_large_string(typ)
        ):
            raise DataFormatError(
                f"{p}: column {name!r} holds {typ}; account ids must be integer or string"
                " (floats cannot hold 64-bit ids exactly)"
            )
    ok = pc.and_(pc.is_valid(t.column(follower)), pc.is_valid(t.column(friend)))
    dropped = t.num_rows - pc.sum(ok).as_py() if t.num_rows else 0
    t = t.filter(ok)
    if t.num_rows == 0:
        raise DataFormatError(f"{p}: no follows found ({dropped} rows with a null id dropped)")
    loaded = from_edge_arrays(
        t.column(follower).to_numpy(zero_copy_only=False),
        t.column(friend).to_numpy(zero_copy_only=False),
    )
    loaded.report["null_rows_dropped"] = int(dropped)
    loaded.path = p
    return loaded
