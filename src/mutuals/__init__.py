"""mutuals: simulate and measure follow campaigns on Twitter-like platforms."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
