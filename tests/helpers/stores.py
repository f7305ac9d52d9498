"""What a store folder holds, as the tests compare it."""

from __future__ import annotations

from pathlib import Path


def _bytes(store: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(store.glob("*.parquet"))}
