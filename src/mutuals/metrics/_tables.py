"""Private helpers: checking canonical tables and building account keys."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mutuals.errors import InputError
from mutuals.tables import SCHEMAS

__all__ = [
    "account_keys",
    "encode_keys",
    "gather",
    "group_aggregate",
    "require_columns",
    "single_platform",
    "to_numpy_int",
]


def require_columns(table: pa.Table, name: str, columns: Sequence[str]) -> None:
    """Raise :class:`InputError` unless ``table`` is a pyarrow Table with ``columns``."""
    if not isinstance(table, pa.Table):
        raise InputError(
            f"{name} must be a pyarrow.Table with the canonical {name!r} schema, "
            f"got {type(table).__name__}"
        )
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        expected = ", ".join(SCHEMAS[name].names) if name in SCHEMAS else ", ".join(columns)
        raise InputError(
            f"table {name!r} lacks column(s) {missing}; its schema has: {expected} "
            "(use mutuals.io.store.conform to add absent nullable columns)"
        )


def single_platform(*columns: pa.ChunkedArray | pa.Array) -> bool:
    """True when every value of every ``platform`` column is the same string."""
    seen: set[str | None] = set()
    for col in columns:
        if len(col) == 0:
            continue
        seen.update(pc.unique(col).to_pylist())
        if len(seen) > 1:
            return False
    return True


def account_keys(
    platform: pa.ChunkedArray | pa.Array, ids: pa.ChunkedArray | pa.Array, *, qualify: bool
) -> pa.Array:
    """Keys of accounts: ``id`` alone, or ``platform + "\\x1f" + id`` when ``qualify``."""
    ids = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
    ids = ids.cast(pa.string())
    if not qualify:
        return ids
    platform = platform.combine_chunks() if isinstance(platform, pa.ChunkedArray) else platform
    return pc.binary_join_element_wise(platform.cast(pa.string()), ids, "\x1f")


def to_numpy_int(arr: pa.Array | pa.ChunkedArray, fill: int = -1) -> np.ndarray:
    """An integer Arrow column as an int64 numpy array, nulls replaced by ``fill``."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.null_count:
        arr = pc.fill_null(arr, fill)
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=np.int64)


def _flat(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    return arr.cast(pa.string())


def encode_keys(
    parts: Sequence[tuple[pa.ChunkedArray | pa.Array, pa.ChunkedArray | pa.Array]],
    *,
    qualify: bool | None = None,
) -> tuple[list[np.ndarray], pa.Array, pa.Array, pa.Array, bool]:
    """Integer codes for ``(platform, id)`` pairs over several columns at once.

    Returns ``(codes per part, platform, id, key, qualified)`` where codes are int64 with -1
    for a null id, and ``platform[c]``/``id[c]``/``key[c]`` describe code ``c``.
    Codes follow the order of first appearance across the parts. Keys carry the
    platform only when the parts hold more than one platform (or ``qualify``).
    """
    if qualify is None:
        qualify = not single_platform(*[p for p, _ in parts])
    if qualify:
        keys: list[pa.Array | pa.ChunkedArray] = [
            account_keys(p, i, qualify=True) for p, i in parts
        ]
    else:
        keys = [i.cast(pa.string()) for _, i in parts]  # no copy when already strings
    chunks = [
        c for k in keys for c in (k.chunks if isinstance(k, pa.ChunkedArray) else [k]) if len(c)
    ]
    # one memo table across chunks: a single dictionary without concatenating the keys
    enc = pc.dictionary_encode(pa.chunked_array(chunks, pa.string()))
    if enc.num_chunks:
        # each chunk's int32 indices straight into one int64 array (no cast, no concatenate)
        codes_all = np.empty(sum(len(c) for c in enc.chunks), dtype=np.int64)
        off = 0
        for c in enc.chunks:
            idx, m = c.indices, len(c)
            if idx.null_count:
                codes_all[off : off + m] = to_numpy_int(idx.cast(pa.int64()), fill=-1)
            else:
                codes_all[off : off + m] = idx.to_numpy(zero_copy_only=True)
            off += m
        dictionary = enc.chunks[-1].dictionary
    else:
        codes_all = np.zeros(0, dtype=np.int64)
        dictionary = pa.array([], pa.string())
    del enc, chunks
    codes: list[np.ndarray] = []
    start = 0
    for k in keys:
        codes.append(codes_all[start : start + len(k)])
        start += len(k)
    n = len(dictionary)
    if not qualify:
        # one platform: the key is the id; the platform is that one value
        value = next((_flat(p)[0] for p, _ in parts if len(p)), pa.scalar(None, pa.string()))
        platform = pa.array([value.as_py()] * min(n, 1), pa.string())
        platform = platform.take(pa.array(np.zeros(n, dtype=np.int64)))
        return codes, platform, dictionary, dictionary, qualify
    first = np.full(n, -1, dtype=np.int64)
    pos = np.flatnonzero(codes_all >= 0)
    first[codes_all[pos][::-1]] = pos[::-1]  # smallest position wins
    take = pa.array(first, pa.int64())
    plat = pa.concat_arrays([_flat(p) for p, _ in parts])
    ids = pa.concat_arrays([_flat(i) for _, i in parts])
    return codes, plat.take(take), ids.take(take), dictionary, qualify


def group_aggregate(
    table: pa.Table, keys: Sequence[str], aggs: Sequence[tuple[str, str, str]]
) -> pa.Table:
    """Group ``table`` by ``keys`` (single-threaded, so deterministic) and aggregate.

    ``aggs`` holds ``(column, function, output name)``; the result has the
    ``keys`` then the outputs, in that order, whatever pyarrow's own order.
    """
    g = table.group_by(list(keys), use_threads=False).aggregate([(c, f) for c, f, _ in aggs])
    cols = {k: g.column(k) for k in keys}
    for c, f, out in aggs:
        cols[out] = g.column(f"{c}_{f}")
    return pa.table(cols)


def gather(values: np.ndarray, idx: np.ndarray, fill: float | int) -> np.ndarray:
    """``values[idx]`` with ``fill`` where ``idx < 0`` (safe when ``values`` is empty)."""
    values = np.asarray(values)
    idx = np.asarray(idx, dtype=np.int64)
    dtype = np.result_type(values.dtype, np.asarray(fill).dtype)
    out = np.full(idx.shape, fill, dtype=dtype)
    ok = idx >= 0
    out[ok] = values[idx[ok]]
    return out
