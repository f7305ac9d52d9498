"""Ingest's merge: edges merge as a set, and the streamed merge ignores batching."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.stores import _bytes
from mutuals.io.ingest import ingest
from mutuals.io.schema import SCHEMAS
from mutuals.io.store import open_store


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=1, max_size=60),
    st.integers(0, 60),
)
def test_property_edges_merge_as_a_set(
    tmp_path_factory: pytest.TempPathFactory, pairs: list[tuple[int, int]], cut: int
) -> None:
    tmp = tmp_path_factory.mktemp("prop")
    a, b = tmp / "a.txt", tmp / "b.txt"
    a.write_text("".join(f"{x} {y}\n" for x, y in pairs[:cut]) or "# empty\n")
    b.write_text("".join(f"{x} {y}\n" for x, y in pairs[cut:]) or "# empty\n")
    ingest([a, b], tmp / "once", format="snap", id_space="t")
    ingest([b], tmp / "twice", format="snap", id_space="t")
    ingest([a], tmp / "twice", format="snap", id_space="t")
    want = sorted({(str(x), str(y)) for x, y in pairs})
    for s in ("once", "twice"):
        f = open_store(tmp / s).table("follows")
        got = list(
            zip(f.column("follower_id").to_pylist(), f.column("friend_id").to_pylist(), strict=True)
        )
        assert got == sorted(want)
    assert _bytes(tmp / "once")["follows.parquet"] == _bytes(tmp / "twice")["follows.parquet"]


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.sampled_from(["1", "2", "3", "4"]), st.sampled_from(["s1", "s2", None])),
        min_size=1,
        max_size=60,
    ),
    st.integers(1, 70),
)
def test_streamed_coalesce_ignores_batching(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list[tuple[str, ...]], size: int
) -> None:
    """The streamed merge gives the same file (bytes) whatever the input batch
    sizes, and the same rows as coalescing the whole sorted table at once."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from mutuals.io import ingest as ing

    monkeypatch.setattr(ing, "_BATCH", 5)
    dicts = sorted(
        (
            {
                "platform": "x",
                "kind": "reply",
                "source_id": s,
                "target_id": None,
                "post_id": "p",
                "target_post_id": None,
                "created_at": None,
                "source": src,
            }
            for s, src in rows
        ),
        key=lambda d: d["source_id"],
    )
    table = pa.Table.from_pylist(dicts, schema=SCHEMAS["interactions"])
    whole = ing._coalesce_table("interactions", table, set())
    files = []
    for i, batch_size in enumerate((size, 1000)):
        dst = tmp_path / f"{i}-{size}.parquet"
        rows_in, rows_out = ing._coalesce("interactions", table.to_batches(batch_size), dst, set())
        assert (rows_in, rows_out) == (len(rows), whole.num_rows)
        assert pq.read_table(dst).equals(whole)
        files.append(dst.read_bytes())
    assert files[0] == files[1]
