"""Hand-built posts tables and thread shapes for the unroll tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa

from mutuals.io.schema import POSTS

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def P(
    pid: str,
    author: str,
    minute: int,
    text: str | None = None,
    parent: str | None = None,
    parent_author: str | None = None,
    **kw,
) -> dict:
    row = {
        "platform": "x",
        "post_id": pid,
        "author_id": author,
        "created_at": T0 + timedelta(minutes=minute),
        "kind": "reply" if parent else "post",
        "text": text if text is not None else f"text of {pid}",
        "parent_id": parent,
        "parent_author_id": parent_author,
        "url": f"https://x.com/u/status/{pid}",
    }
    row.update(kw)
    return row


def table(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=POSTS)


def ids(th) -> list[str]:
    return [p.post_id for p in th.posts]
