"""The key encoder (mutuals.kernels.keys through metrics._tables.encode_strings)
against its twin, Arrow's dictionary_encode of the same chunks: the same codes
(first appearance, -1 for nulls) and the same dictionary, on each of its three
routes (ids indexed directly, an integer hash table, a hash table of bytes)."""

from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mutuals.metrics._tables as mt
from mutuals.metrics._tables import encode_strings


def _reference(chunks: list[pa.Array]) -> tuple[np.ndarray, pa.Array]:
    enc = pc.dictionary_encode(pa.chunked_array(chunks, pa.string()))
    if not enc.num_chunks:
        return np.zeros(0, np.int64), pa.array([], pa.string())
    codes = [pc.fill_null(c.indices.cast(pa.int64()), -1).to_numpy() for c in enc.chunks]
    return np.concatenate(codes), enc.chunks[-1].dictionary


def _chunks(values: list[str | None], cuts: list[int], large: bool = False) -> list[pa.Array]:
    arr = pa.array(values, pa.large_string() if large else pa.string())
    bounds = sorted({0, len(values), *[c % (len(values) + 1) for c in cuts]})
    return [arr.slice(a, b - a) for a, b in itertools.pairwise(bounds)]


def _check(chunks: list[pa.Array]) -> None:
    codes, dictionary = encode_strings(chunks, expected=2)
    want_codes, want_dict = _reference([c.cast(pa.string()) for c in chunks])
    np.testing.assert_array_equal(codes, want_codes)
    assert dictionary.equals(want_dict)


_small_ids = st.one_of(st.none(), st.integers(0, 300).map(str))
_big_ids = st.one_of(st.none(), st.integers(0, 2**63 - 1).map(str))
_any_ids = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.integers(0, 300).map(str),
    st.sampled_from(["0", "00", "007", "7", "-1", "+1", " 1", "9223372036854775808", "é"]),
)


@pytest.mark.parametrize("group_rows", [3, 1 << 22])
@settings(max_examples=150, deadline=None)
@given(
    values=st.one_of(st.lists(_small_ids, max_size=80), st.lists(_big_ids, max_size=80),
                     st.lists(_any_ids, max_size=80)),
    cuts=st.lists(st.integers(0, 100), max_size=5),
    large=st.booleans(),
)  # fmt: skip
def test_encode_strings_matches_dictionary_encode(values, cuts, large, group_rows) -> None:
    old = mt._GROUP_ROWS
    mt._GROUP_ROWS = group_rows  # several calls of each kernel, joined and unjoined chunks
    try:
        _check(_chunks(values, cuts, large))
    finally:
        mt._GROUP_ROWS = old


@pytest.mark.parametrize(
    "make",
    [
        lambda r: str(int(r.integers(0, 50_000))),  # direct
        lambda r: str(int(r.integers(10**17, 2**63 - 1))),  # integer hash table
        lambda r: "did:plc:" + format(int(r.integers(0, 50_000)), "x"),  # bytes
    ],
    ids=["direct", "ints", "bytes"],
)
def test_encode_strings_grows_its_tables(make) -> None:
    """Far more distinct keys than expected: every table and arena grows mid-chunk."""
    rng = np.random.default_rng(3)
    values = [None if rng.random() < 0.02 else make(rng) for _ in range(120_000)]
    _check(_chunks(values, [1, 50_000, 50_001, 90_000]))


def test_decimal_route_is_exact_on_the_bounds() -> None:
    # 2^62 is a decimal id, 2^62 + 1 is not (bytes route); leading zeros are other ids
    _check(_chunks(["4611686018427387904", "1", "4611686018427387904"], []))
    _check(_chunks(["4611686018427387905", "1", "01", "1", ""], []))
    codes, d = encode_strings([pa.array(["5", "05", "5"])])
    assert codes.tolist() == [0, 1, 0] and d.to_pylist() == ["5", "05"]


def test_encode_strings_same_codes_at_one_and_two_threads() -> None:
    import numba

    rng = np.random.default_rng(0)
    values = [str(int(x)) for x in rng.integers(0, 10**6, 200_000)]
    chunks = _chunks(values, [70_000])
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = encode_strings(chunks)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = encode_strings(chunks)
    finally:
        numba.set_num_threads(old)
    np.testing.assert_array_equal(one[0], two[0])
    assert one[1].equals(two[1])


def test_encode_strings_refuses_non_strings() -> None:
    with pytest.raises(TypeError, match="string arrays"):
        encode_strings([pa.array([1, 2])])


@settings(max_examples=200, deadline=None)
@given(
    columns=st.lists(
        st.lists(
            st.one_of(st.none(), st.sampled_from(["x", "bluesky", "", "xx", "é"])), max_size=12
        ),
        max_size=4,
    ),
    cuts=st.lists(st.integers(0, 12), max_size=3),
)
def test_single_platform_matches_the_set_of_unique_values(columns, cuts) -> None:
    from mutuals.metrics._tables import single_platform

    cols = [
        pa.chunked_array(_chunks(v, cuts) or [pa.array([], pa.string())], pa.string())
        for v in columns
    ]
    seen: set[str | None] = set()
    for v in columns:
        seen.update(v)
    assert single_platform(*cols) == (len(seen) <= 1)
    if cols:
        assert single_platform(cols[0], cols[0]) == (len(set(columns[0])) <= 1)
