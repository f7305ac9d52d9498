"""Small canonical tables for tests."""

from __future__ import annotations

import pyarrow as pa

from mutuals.io.store import conform


def follows_table(edges: list[tuple[str, str]], platform: str = "x") -> pa.Table:
    """A canonical ``follows`` table with one row per ``(follower, friend)`` pair."""
    return conform(
        "follows",
        pa.table(
            {
                "platform": [platform] * len(edges),
                "follower_id": [a for a, _ in edges],
                "friend_id": [b for _, b in edges],
            }
        ),
    )
