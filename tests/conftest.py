"""Shared fixtures. Real data lives in ../shared/data (or $MUTUALS_SHARED_DATA);
tests that need it skip with a reason when it is absent, and fail instead when
$MUTUALS_REQUIRE_SHARED_DATA=1 (as in CI, which has it)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def shared_data_dir() -> Path | None:
    path = Path(os.environ.get("MUTUALS_SHARED_DATA", _DEFAULT))
    return path if path.is_dir() else None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of the real public data samples; skips (or fails in CI) when absent."""
    path = shared_data_dir()
    if path is None:
        msg = (
            f"real data folder not found at {os.environ.get('MUTUALS_SHARED_DATA', _DEFAULT)}; "
            "set MUTUALS_SHARED_DATA to the shared/data folder"
        )
        if os.environ.get("MUTUALS_REQUIRE_SHARED_DATA") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    return path
