"""Private helpers: checking canonical tables and building account keys."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mutuals.errors import InputError
from mutuals.tables import SCHEMAS

__all__ = [
    "account_keys",
    "encode_keys",
    "encode_strings",
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
    """True when every value of every ``platform`` column is the same string
    (a null counts as a value of its own)."""
    from mutuals.kernels.keys import count_unequal

    first: bytes | None = None
    null_first = False
    seen: set[tuple[int, ...]] = set()
    for col in columns:
        key = _identity(col)
        if key in seen:  # the same column passed twice (follower and friend)
            continue
        seen.add(key)
        for c in col.chunks if isinstance(col, pa.ChunkedArray) else [col]:
            if len(c) == 0:
                continue
            if not (pa.types.is_string(c.type) or pa.types.is_large_string(c.type)):
                c = c.cast(pa.string())
            if first is None and not null_first:
                v = c[0].as_py()
                null_first = v is None
                first = None if v is None else v.encode("utf-8")
            if null_first:
                if c.null_count != len(c):
                    return False
                continue
            if c.null_count:
                return False
            offsets, data, _ = _string_buffers(c)
            assert first is not None
            if count_unequal(offsets, data, np.frombuffer(first, dtype=np.uint8)):
                return False
    return True


def _identity(col: pa.ChunkedArray | pa.Array) -> tuple[int, ...]:
    """The memory a column's values live in: equal for the same column read twice
    from one table (each read gives a new ChunkedArray object)."""
    chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
    return (len(col), *[b.address if b is not None else 0 for c in chunks[:1] for b in c.buffers()],
            chunks[0].offset if chunks else 0)  # fmt: skip


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
    # one table across chunks: a single dictionary without concatenating the keys
    codes_all, dictionary = encode_strings(chunks, expected=len(keys[0]) if keys else 0)
    del chunks
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


def _string_buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(offsets, data, valid)`` of a string array, as numpy views of its buffers
    (``valid`` empty when no value is null)."""
    bufs = arr.buffers()
    large = pa.types.is_large_string(arr.type) or pa.types.is_large_binary(arr.type)
    offsets = np.frombuffer(bufs[1], dtype=np.int64 if large else np.int32)
    offsets = offsets[arr.offset : arr.offset + len(arr) + 1]
    data = bufs[2]
    data_np = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    valid = (
        np.asarray(arr.is_valid().to_numpy(zero_copy_only=False))
        if arr.null_count
        else np.zeros(0, dtype=np.bool_)
    )
    return offsets, data_np, valid


def encode_strings(chunks: Sequence[pa.Array], *, expected: int = 0) -> tuple[np.ndarray, pa.Array]:
    """Codes of string values in order of first appearance, over ``chunks`` in order.

    Returns ``(codes, dictionary)``: int64 codes, -1 for a null, one per value
    of the chunks end to end, and the distinct values by code. The same as
    ``pyarrow.compute.dictionary_encode`` of the chunks (its twin in the
    tests), by the kernels of :mod:`mutuals.kernels.keys`: when every value is
    a canonical decimal (most platforms' ids) the key is its int64 value, found
    in an array indexed by it when the values are small and in an integer hash
    table otherwise; any other strings go to a hash table of their bytes. Each
    chunk's rows are looked up in parallel, then its new keys inserted in row
    order, so the codes do not depend on the thread count. ``expected`` sizes
    the tables (about the number of distinct values); they grow as needed.
    """
    from mutuals.kernels import keys as kk

    for c in chunks:
        if not (pa.types.is_string(c.type) or pa.types.is_large_string(c.type)):
            raise TypeError(f"encode_strings takes string arrays, got {c.type}")
    chunks = list(_grouped([c for c in chunks if len(c)]))
    total = sum(len(c) for c in chunks)
    codes = np.empty(total, dtype=np.int64)
    # first pass: the decimal value of every row, written where its code will go
    top = -1
    decimal = True
    for c, seg in zip(chunks, _segments(chunks, codes), strict=True):
        kk.decimal_values(*_string_buffers(c), seg)
        if (seg == -2).any():
            decimal = False
            break
        top = max(top, int(seg.max()))
    expected = max(1024, int(expected))
    if decimal and top < min(2**25, 8 * total + 1024):
        return _encode_direct(codes, top)
    if decimal:
        return _encode_ints(codes, expected)
    return _encode_bytes(chunks, codes, expected)


#: Rows per call of a parallel kernel: chunks are joined up to this (a call has
#: a fixed cost of milliseconds, and a table read from Parquet has a chunk per
#: 64k rows).
_GROUP_ROWS = 1 << 22


def _grouped(chunks: Sequence[pa.Array]) -> Iterator[pa.Array]:
    """The chunks, consecutive small ones joined into one array of up to
    :data:`_GROUP_ROWS` rows (a copy of those rows only)."""
    group: list[pa.Array] = []
    rows = 0
    for c in chunks:
        if group and rows + len(c) > _GROUP_ROWS:
            yield group[0] if len(group) == 1 else pa.concat_arrays(group)
            group, rows = [], 0
        group.append(c)
        rows += len(c)
    if group:
        yield group[0] if len(group) == 1 else pa.concat_arrays(group)


def _segments(chunks: Sequence[pa.Array], codes: np.ndarray) -> Iterator[np.ndarray]:
    pos = 0
    for c in chunks:
        yield codes[pos : pos + len(c)]
        pos += len(c)


def _decimal_dictionary(value_of: np.ndarray) -> pa.Array:
    # a canonical decimal and its value's decimal form are the same string
    return pa.array(value_of, pa.int64()).cast(pa.string())


def _encode_direct(codes: np.ndarray, top: int) -> tuple[np.ndarray, pa.Array]:
    """Decimal values (in ``codes``) below ``top + 1``: codes through an array indexed
    by the value, in place; lookups in parallel, then the new values in row order."""
    from mutuals.kernels import keys as kk

    code_of = np.full(top + 1, -1, dtype=np.int64)
    value_of = np.empty(top + 1, dtype=np.int64)
    n_codes = 0
    for seg in _blocks(codes):
        kk.lookup_direct(seg, code_of)
        n_codes = kk.insert_direct(seg, code_of, value_of, n_codes)
    return codes, _decimal_dictionary(value_of[:n_codes])


def _blocks(codes: np.ndarray) -> Iterator[np.ndarray]:
    # blocks, so that later rows are looked up in parallel against the codes of earlier ones
    for a in range(0, codes.size, _GROUP_ROWS):
        yield codes[a : a + _GROUP_ROWS]


def _encode_ints(codes: np.ndarray, expected: int) -> tuple[np.ndarray, pa.Array]:
    """Decimal values (in ``codes``) of any size: codes through an integer hash table."""
    from mutuals.kernels import keys as kk

    n_slots = int(kk.new_table(expected).size)
    slots = np.full(2 * n_slots, -1, dtype=np.int64)
    value_of = np.empty(expected, dtype=np.int64)
    n_codes = 0
    for seg in _blocks(codes):
        kk.lookup_ints(seg, slots)
        while True:
            n_codes, done = kk.insert_ints(seg, slots, value_of, n_codes)
            if done:
                break
            if n_codes >= value_of.size:
                value_of = np.concatenate([value_of, np.empty(value_of.size, np.int64)])
            if 2 * (n_codes + 1) > slots.size // 2:
                slots = kk.rehash_ints(value_of, n_codes, slots.size)
    return codes, _decimal_dictionary(value_of[:n_codes])


def _encode_bytes(
    chunks: Sequence[pa.Array], codes: np.ndarray, expected: int
) -> tuple[np.ndarray, pa.Array]:
    """Any strings: codes through a hash table of their bytes."""
    from mutuals.kernels import keys as kk

    code_hash = np.zeros(expected, dtype=np.uint64)
    arena_off = np.zeros(expected + 1, dtype=np.int64)
    arena = np.zeros(16 * expected, dtype=np.uint8)
    slot_code = kk.new_table(expected)
    n_codes = n_bytes = 0
    for c, seg in zip(chunks, _segments(chunks, codes), strict=True):
        offsets, data, valid = _string_buffers(c)
        kk.lookup_rows(offsets, data, valid, slot_code, code_hash, arena_off, arena, seg)
        while True:
            n_codes, n_bytes, done = kk.insert_rows(
                offsets, data, seg, slot_code, code_hash, arena_off, arena, n_codes, n_bytes
            )
            if done:
                break
            # full: double what ran out (the chunk's bytes always fit afterwards)
            if n_codes >= code_hash.size:
                code_hash = np.concatenate([code_hash, np.zeros_like(code_hash)])
                arena_off = np.concatenate([arena_off, np.zeros(arena_off.size - 1, np.int64)])
            need = n_bytes + int(offsets[-1] - offsets[0])
            if need > arena.size:
                extra = max(need, 2 * arena.size) - arena.size
                arena = np.concatenate([arena, np.zeros(extra, np.uint8)])
            if 2 * (n_codes + 1) > slot_code.size:
                slot_code = kk.rehash(code_hash, n_codes, 2 * slot_code.size)
    return codes, _string_array(arena_off[: n_codes + 1], arena[:n_bytes])


def _string_array(offsets: np.ndarray, data: np.ndarray) -> pa.Array:
    """A string array from int64 ``offsets`` and the bytes (copied: the arena is
    larger than its used part)."""
    n = offsets.size - 1
    large = offsets[-1] >= 2**31
    off = offsets if large else offsets.astype(np.int32)
    return pa.Array.from_buffers(
        pa.large_string() if large else pa.string(),
        n,
        [None, pa.py_buffer(off), pa.py_buffer(data.copy())],
    )


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
