"""JSON-safe values for the summaries every report writes."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["json_safe"]


def json_safe(x: Any) -> Any:
    """``x`` for :func:`json.dumps`, recursively: mappings become dicts with string
    keys, lists and tuples lists, numpy scalars (and 0-d arrays) Python values, and
    NaN and infinities null."""
    if isinstance(x, Mapping):
        return {str(k): json_safe(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [json_safe(v) for v in x]
    if isinstance(x, np.generic) or (isinstance(x, np.ndarray) and x.ndim == 0):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x
