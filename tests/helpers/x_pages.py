"""Reading X files and writing twarc2 pages, as the X reader tests do."""

from __future__ import annotations

import json
from typing import Any

from helpers.reading import read_all  # noqa: F401  (re-exported for the X tests)


def _page(tweets: list[dict[str, Any]], users: list[dict[str, Any]], **extra: Any) -> str:
    page = {
        "data": tweets,
        "includes": {"users": users},
        "__twarc": {"url": "https://api.twitter.com/2/tweets/search/all", "retrieved_at": "2024"},
    }
    page.update(extra)
    return json.dumps(page)


def _units(r: Any) -> int:
    """Records one JSON value counts as, computed independently of the reader."""
    from mutuals.io.readers.x import _shape

    shape = _shape(r)
    if shape == "twarc2" and ("data" in r or "errors" in r):
        d = r.get("data")
        n = len(d) if isinstance(d, list) else 1 if isinstance(d, dict) else 0
        inc = r.get("includes") if isinstance(r.get("includes"), dict) else {}
        n += sum(len(inc[k]) for k in ("users", "tweets") if isinstance(inc.get(k), list))
        n += len(r["errors"]) if isinstance(r.get("errors"), list) else 0
        return max(1, n)
    if shape == "x-v1" and not (("id_str" in r or "id" in r) and ("text" in r or "full_text" in r)):
        for k in ("statuses", "ids", "lists", "users"):
            if isinstance(r.get(k), list):
                return max(1, len(r[k]))
    return 1
