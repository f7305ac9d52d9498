"""Ingest's vectorised coalescing against its row-by-row twin in helpers/naive.py."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import naive
from mutuals.io.ingest import KEYS
from mutuals.io.schema import SCHEMAS


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["repost", "reply", "mention"]),
            st.sampled_from(["1", "2"]),
            st.sampled_from(["a", "b", None]),
            st.sampled_from(["p", None]),
            st.sampled_from(["s1", "s2", None]),
        ),
        max_size=40,
    )
)
def test_vectorised_coalesce_matches_reference(rows: list[tuple[str, ...]]) -> None:
    import pyarrow as pa

    from mutuals.io.ingest import _coalesce_table

    dicts = [
        {
            "platform": "x",
            "kind": k,
            "source_id": s,
            "target_id": t,
            "post_id": p,
            "target_post_id": None,
            "created_at": None,
            "source": src,
            "record_id": None,
        }
        for k, s, t, p, src in rows
    ]

    def key(d: dict[str, object]) -> tuple[object, ...]:
        return tuple((v is not None, v) for v in (d[c] for c in KEYS["interactions"]))

    dicts.sort(key=key)  # stable: input order within a key, as the merge sorts
    table = pa.Table.from_pylist(dicts, schema=SCHEMAS["interactions"])
    got = _coalesce_table("interactions", table, set()).to_pylist()
    assert got == naive.coalesce(dicts)
