"""Malformed Bluesky input (random DAG-CBOR bytes, mutated CAR files) never escapes as anything but
DataFormatError."""

from __future__ import annotations

import contextlib
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mutuals.errors import DataFormatError
from mutuals.io.readers import atproto, bluesky
from mutuals.io.readreport import ReadReport


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_dag_cbor_random_bytes(data: bytes) -> None:
    with contextlib.suppress(DataFormatError):
        atproto.decode_dag_cbor(data)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_car_mutations(shared_data: Path, tmp_path: Path, data: st.DataObject) -> None:
    raw = bytearray((shared_data / "bluesky-jetstream-corpus" / "repo.car").read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        raw[pos] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(raw)))
    f = tmp_path / "m.car"
    f.write_bytes(bytes(raw[:cut]))
    try:
        for _ in bluesky.read_bluesky(f, ReadReport("m")):
            pass
    except DataFormatError:
        pass
