"""Typed errors raised at the boundary of every public function.

Every error that `mutuals` raises on bad input derives from :class:`MutualsError`,
so callers can catch one type; the message always says what to fix.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DataFormatError",
    "GraphError",
    "InputError",
    "MutualsError",
    "UnknownFormatError",
]


class MutualsError(Exception):
    """Base class of every error `mutuals` raises on purpose."""


class InputError(MutualsError, ValueError):
    """An argument has the wrong type, shape or value."""


class ConfigError(MutualsError, ValueError):
    """A scenario or configuration key is unknown, missing or out of range.

    Parameters
    ----------
    message : str
        What is wrong and what is allowed.
    key : str, optional
        The dotted name of the offending key (``"feed.capacity"``).
    """

    def __init__(self, message: str, *, key: str | None = None) -> None:
        self.key = key
        super().__init__(f"{key}: {message}" if key else message)


class GraphError(MutualsError, ValueError):
    """A follow graph is malformed (ids out of range, wrong dtype, self-loops where forbidden)."""


class DataFormatError(MutualsError, ValueError):
    """A data file could not be parsed in the format it claims to be."""


class UnknownFormatError(DataFormatError):
    """No reader recognised a file; the message lists the formats that were tried."""
