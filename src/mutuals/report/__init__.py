"""Reports built on :mod:`mutuals.metrics`: :mod:`mutuals.report.analyze` runs
every measure on a store and writes the results."""

from __future__ import annotations

__all__: list[str] = []
