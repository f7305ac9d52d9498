"""What a reader read, kept and skipped, and why: nothing is dropped silently."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, TextIO

__all__ = ["ReadReport"]


@dataclass
class ReadReport:
    """Counts of one reader's pass over one input.

    Attributes
    ----------
    source : str
        The input (path or name).
    format : str
        The format the reader recognised.
    records : int
        Records (lines, objects, blocks) looked at; each is kept or skipped, so
        ``records - n_skipped`` were kept. A container (an API page) counts as the
        records it holds.
    rows : Counter
        Rows emitted per canonical table.
    skipped : Counter
        Records skipped, per reason ("malformed JSON", "missing author", ...).
    noted : Counter
        Things kept or normalised that a reader wants to report without dropping
        anything (referenced tweets the API reported unavailable, mentions without
        an account id, undirected edges read both ways, ...).
    rejects : TextIO, optional
        Where rejected records are written as JSON lines ``{"reason", "where", "record"}``.
    """

    source: str
    format: str = "unknown"
    records: int = 0
    rows: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    noted: Counter[str] = field(default_factory=Counter)
    rejects: TextIO | None = field(default=None, repr=False)
    _row_mark: int = field(default=-1, repr=False, compare=False)

    def skip(self, reason: str, *, where: str = "", record: Any = None) -> None:
        """Count a skipped record and, if a rejects file is open, write it there.

        A record one of whose rows was already dropped (:meth:`skip_row`) is
        not counted twice: the reason is noted instead."""
        if self.records and self._row_mark == self.records:
            self.noted[f"{reason} (record already counted as skipped)"] += 1
        else:
            self.skipped[reason] += 1
        if self.rejects is not None:
            raw = record if isinstance(record, str | int | float | type(None)) else repr(record)
            self.rejects.write(
                json.dumps({"source": self.source, "reason": reason, "where": where, "record": raw})
                + "\n"
            )

    def skip_row(
        self, reason: str, *, where: str = "", record: Any = None, per_record: bool = True
    ) -> None:
        """A row made from a record does not fit its table and is dropped.

        The record it came from counts as skipped once; a further row dropped
        from the same record (``records`` has not moved on since) is noted
        instead, so ``skipped`` never counts a record twice nor exceeds
        ``records``. With ``per_record=False`` (rows dropped in bulk, after their
        records were counted) each row counts as a skip while skips stay within
        the records read.
        """
        counted = self.records != self._row_mark if per_record else True
        if counted and self.n_skipped < self.records:
            self.skip(reason, where=where, record=record)
            self._row_mark = self.records
        else:
            self.noted[f"{reason} (a further row of a record already counted)"] += 1

    @property
    def n_skipped(self) -> int:
        return sum(self.skipped.values())

    def merge(self, other: ReadReport) -> None:
        """Add another report's counts to this one."""
        self.records += other.records
        self.rows.update(other.rows)
        self.skipped.update(other.skipped)
        self.noted.update(other.noted)

    def summary(self) -> str:
        """One human-readable paragraph."""
        rows = ", ".join(f"{n} {t}" for t, n in sorted(self.rows.items())) or "no rows"
        lines = [
            f"{self.source} [{self.format}]: {self.records} records read = "
            f"{self.records - self.n_skipped} kept + {self.n_skipped} skipped; rows: {rows}"
        ]
        if self.skipped:
            lines.append(f"  skipped {self.n_skipped}:")
            lines.extend(f"    {n:>8}  {r}" for r, n in sorted(self.skipped.items()))
        if self.noted:
            lines.append("  noted:")
            lines.extend(f"    {n:>8}  {r}" for r, n in sorted(self.noted.items()))
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "format": self.format,
            "records": self.records,
            "rows": dict(sorted(self.rows.items())),
            "skipped": dict(sorted(self.skipped.items())),
            "noted": dict(sorted(self.noted.items())),
        }
