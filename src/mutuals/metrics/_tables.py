"""Private helpers: checking canonical tables and building account keys."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mutuals.errors import InputError
from mutuals.io.schema import SCHEMAS

__all__ = ["account_keys", "require_columns", "single_platform", "to_numpy_int"]


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
