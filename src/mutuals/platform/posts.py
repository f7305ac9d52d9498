"""Posts as growable columns (one array per attribute, index = post id)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

__all__ = ["KIND_NAMES", "POST", "QUOTE", "REPLY", "REPOST", "PostTable"]

POST, REPOST, REPLY, QUOTE = 0, 1, 2, 3
KIND_NAMES = ("post", "repost", "reply", "quote")

_COLUMNS: dict[str, tuple[type, int | float]] = {
    "author": (np.int32, -1),
    "time": (np.int32, -1),  # tick of creation
    "topic": (np.int16, -1),  # topic / hashtag id
    "quality": (np.float32, 0.0),
    "appeal": (np.float32, 0.0),
    "heat": (np.float32, 0.0),
    "stance": (np.float32, 0.0),  # the position the author showed when posting
    "harmful": (np.int8, 0),  # 1: harmful content (an infiltrator's or a hijacker's)
    "hidden": (np.int8, 0),  # 1: suppressed by moderation, delivered to no feed
    "boost": (np.int8, 0),  # 1: its author asked for a boost; 2: and got one
    "kind": (np.int8, 0),
    "parent": (np.int64, -1),
    "root": (np.int64, -1),
    # running counters
    "deliveries": (np.int64, 0),  # feeds this row entered
    "views": (np.int64, 0),  # times read in a session
    "reposts": (np.int32, 0),
    "replies": (np.int32, 0),
    "quotes": (np.int32, 0),
    "likes": (np.int32, 0),
}


class PostTable:
    """Columns of every post, repost, reply and quote created in a run.

    ``root`` is the cascade root: for a repost, the post or quote it reposts;
    for every other row, itself (a quote starts a cascade of its own).
    ``parent`` is the row a repost, reply or quote responds to (-1 for a
    post), so cascades and reply threads can be rebuilt.
    """

    def __init__(self, capacity: int = 1024) -> None:
        self.n = 0
        self.cols: dict[str, NDArray] = {
            k: np.full(max(capacity, 16), fill, dtype) for k, (dtype, fill) in _COLUMNS.items()
        }

    def __getattr__(self, name: str) -> NDArray:
        cols = self.__dict__.get("cols")
        if cols is not None and name in cols:
            return cols[name]
        raise AttributeError(name)

    @property
    def capacity(self) -> int:
        return int(self.cols["author"].shape[0])

    def reserve(self, extra: int) -> None:
        """Make room for ``extra`` more rows (grows by at least 1.5x)."""
        need = self.n + extra
        if need <= self.capacity:
            return
        cap = max(need, int(self.capacity * 1.5))
        for k, (dtype, fill) in _COLUMNS.items():
            new: NDArray = np.full(cap, fill, dtype)
            new[: self.n] = self.cols[k][: self.n]
            self.cols[k] = new

    def to_arrow(self) -> pa.Table:
        """The live rows as an Arrow table (``post_id`` first, ``kind`` as text)."""
        data = {"post_id": np.arange(self.n, dtype=np.int64)}
        for k in _COLUMNS:
            data[k] = self.cols[k][: self.n]
        t = pa.table(data)
        kinds = pa.array(
            np.asarray(KIND_NAMES, dtype=object)[self.cols["kind"][: self.n]], pa.string()
        )
        return t.set_column(t.schema.get_field_index("kind"), "kind", kinds)
