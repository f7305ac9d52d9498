"""The X reader on any JSON lines at all: rows or counted skips, never an unhandled exception."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.x_pages import _units, read_all
from mutuals.errors import DataFormatError

_json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10**19), st.text(max_size=5), st.just("1")
)


_json = st.recursive(
    _json_leaf,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "text",
                    "author_id",
                    "data",
                    "includes",
                    "users",
                    "tweets",
                    "errors",
                    "entities",
                    "urls",
                    "mentions",
                    "hashtags",
                    "referenced_tweets",
                    "type",
                    "username",
                    "user",
                    "id_str",
                    "retweeted_status",
                    "verb",
                    "actor",
                    "object",
                    "__twarc",
                    "url",
                    "edit_history_tweet_ids",
                    "public_metrics",
                    "note_tweet",
                    "attachments",
                    "media_keys",
                    "resource_type",
                    "resource_id",
                    "ids",
                    "uri",
                    "body",
                    "method",
                    "status",
                    "name",
                    "lang",
                    "description",
                    "created_at",
                    "verified",
                    "display_text_range",
                    "in_reply_to_user_id",
                    "conversation_id",
                ]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=25,
)


_keys = st.sampled_from(
    [
        "id",
        "id_str",
        "text",
        "author_id",
        "username",
        "name",
        "lang",
        "created_at",
        "user",
        "verified",
        "entities",
        "referenced_tweets",
        "public_metrics",
        "display_text_range",
        "edit_history_tweet_ids",
        "conversation_id",
        "in_reply_to_user_id",
        "attachments",
    ]
)


_objects = st.dictionaries(_keys, _json_leaf | st.lists(_json_leaf, max_size=2), max_size=8)


_pages = st.one_of(
    st.fixed_dictionaries({"data": st.lists(_objects, max_size=3)}),
    st.fixed_dictionaries(
        {
            "data": st.lists(_objects, max_size=2),
            "includes": st.fixed_dictionaries(
                {"users": st.lists(_objects, max_size=2), "tweets": st.lists(_objects, max_size=2)}
            ),
        }
    ),
    _objects,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_json, _pages), min_size=1, max_size=4))
def test_property_arbitrary_json_never_crashes(records: list[Any]) -> None:
    """Any JSON lines at all: rows or counted skips, never an unhandled exception."""
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "fuzz.jsonl"
        p.write_text("\n".join(json.dumps(r) for r in records) + "\n")
        for fmt in ("twarc2", "x-v1"):
            try:
                _, rep = read_all(p, format=fmt)
            except DataFormatError:
                continue
            # every record is counted (a line holding an array counts its elements, a page
            # the items it holds), and each record is kept or skipped: no more skips
            flat = [e for r in records for e in (r if isinstance(r, list) else [r])]
            want = sum(_units(r) for r in flat)
            assert rep.records == want
            assert rep.n_skipped <= rep.records
