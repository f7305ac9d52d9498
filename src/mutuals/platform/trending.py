"""The trending list: topics ranked by recent velocity.

Data the platform shows its users (and that scenario conditions such as "the
hashtag stops trending" read), computed from per-tick topic counts.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from mutuals.errors import InputError

__all__ = ["trending_now", "trending_table"]


def trending_now(
    topic_counts: list[NDArray[np.int64]], *, window: int, top: int = 5
) -> NDArray[np.int64]:
    """The topics trending after the ticks counted so far: the last row of
    :func:`trending_table` over the last ``2 * window`` ticks (empty before the
    first tick)."""
    if not topic_counts:
        return np.zeros(0, np.int64)
    recent = np.asarray(topic_counts[-2 * window :])
    t = trending_table(recent, window=window, top=top)
    k = min(top, recent.shape[1])
    return t.column("topic").to_numpy()[-k:].astype(np.int64)


def trending_table(topic_counts: NDArray[np.int64], *, window: int, top: int = 5) -> pa.Table:
    """Hashtags ranked by recent velocity, per tick.

    ``velocity = uses in the last window - uses in the window before``
    (ticks); the top ``top`` topics by velocity (ties: lower id) are listed
    each tick with their recent count. A trend rises while its velocity is
    positive and falls when it turns negative.
    """
    if window < 1:
        raise InputError("window must be >= 1")
    n_ticks = topic_counts.shape[0]
    if n_ticks == 0:
        return pa.table(
            {
                "tick": pa.array([], pa.int32()),
                "rank": pa.array([], pa.int16()),
                "topic": pa.array([], pa.int16()),
                "recent": pa.array([], pa.int64()),
                "velocity": pa.array([], pa.int64()),
            }
        )
    csum = np.vstack(
        [np.zeros((1, topic_counts.shape[1]), np.int64), np.cumsum(topic_counts, axis=0)]
    )
    t = np.arange(1, n_ticks + 1)
    recent = csum[t] - csum[np.maximum(t - window, 0)]
    before = csum[np.maximum(t - window, 0)] - csum[np.maximum(t - 2 * window, 0)]
    velocity = recent - before
    k = min(top, topic_counts.shape[1])
    order = np.argsort(-velocity, axis=1, kind="stable")[:, :k]
    rows = np.arange(n_ticks)[:, None]
    return pa.table(
        {
            "tick": np.repeat(t, k).astype(np.int32),
            "rank": np.tile(np.arange(1, k + 1), n_ticks).astype(np.int16),
            "topic": order.ravel().astype(np.int16),
            "recent": recent[rows, order].ravel(),
            "velocity": velocity[rows, order].ravel(),
        }
    )
