"""The canonical table contract, re-exported where readers have always found it.

The schemas live in :mod:`mutuals.tables`, the bottom layer that the engine,
``io`` and ``metrics`` share.
"""

from mutuals.tables import (
    ACCOUNTS,
    FOLLOWS,
    INTERACTION_KINDS,
    INTERACTIONS,
    LIST_MEMBERS,
    LISTS,
    POST_KINDS,
    POSTS,
    SCHEMAS,
    TOMBSTONES,
    empty_table,
)

__all__ = [
    "ACCOUNTS",
    "FOLLOWS",
    "INTERACTIONS",
    "INTERACTION_KINDS",
    "LISTS",
    "LIST_MEMBERS",
    "POSTS",
    "POST_KINDS",
    "SCHEMAS",
    "TOMBSTONES",
    "empty_table",
]
