"""A simulated run as canonical tables, so real-data measures apply unchanged.

The simulator's accounts, follow graph, posts and interactions map onto the
schemas of :mod:`mutuals.tables` with ``platform = "sim"``: account and
post ids become decimal strings, a tick becomes a timestamp (from
``epoch``, ``ticks_per_day`` ticks a day), a topic becomes the hashtag
``topic<k>``, a left-right position becomes ``leaning``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mutuals.io.store import conform
from mutuals.platform.posts import KIND_NAMES

if TYPE_CHECKING:
    from mutuals.platform.state import PlatformState

__all__ = ["simulation_to_canonical", "state_to_canonical"]

_EPOCH_US = 1_577_836_800_000_000  # 2020-01-01T00:00:00Z


def _ids(a: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(a.astype(np.int64)), pa.string())


def simulation_to_canonical(sim: Any, *, epoch_us: int = _EPOCH_US) -> dict[str, pa.Table]:
    """:func:`state_to_canonical` of a simulation (anything with ``state`` and
    ``params.ticks_per_day``, such as :class:`mutuals.engine.platform.Simulation`)."""
    return state_to_canonical(sim.state, ticks_per_day=sim.params.ticks_per_day, epoch_us=epoch_us)


def state_to_canonical(
    state: PlatformState, *, ticks_per_day: int, epoch_us: int = _EPOCH_US
) -> dict[str, pa.Table]:
    """Canonical ``accounts``, ``follows``, ``posts`` and ``interactions`` of a run's state."""
    acc = state.accounts
    n = acc.n
    names = np.asarray(acc.community_names, dtype=object)
    followers = state.graph.followers_count
    accounts = pa.table(
        {
            "platform": pa.array(["sim"] * n),
            "account_id": _ids(np.arange(n)),
            "followers_count": followers.astype(np.int64),
            "following_count": state.graph.friends_count.astype(np.int64),
            "community": pa.array(names[acc.community.astype(np.int64)], pa.string()),
            "leaning": acc.position.astype(np.float64),
            "source": pa.array(["mutuals.simulate"] * n),
        }
    )
    f, t = state.graph.edges()
    follows = pa.table(
        {"platform": pa.array(["sim"] * f.size), "follower_id": _ids(f), "friend_id": _ids(t)}
    )
    c = state.posts.cols
    m = state.posts.n
    kind = c["kind"][:m]
    parent = c["parent"][:m]
    root = c["root"][:m]
    author = c["author"][:m]
    us_per_tick = 86_400_000_000 // ticks_per_day
    created = pa.array(
        epoch_us + c["time"][:m].astype(np.int64) * us_per_tick, pa.timestamp("us", tz="UTC")
    )

    def maybe(mask: np.ndarray, values: np.ndarray) -> pa.Array:
        return pa.array(np.where(mask, values, 0).astype(np.int64), mask=~mask).cast(pa.string())

    is_reply = kind == 2
    is_repost = kind == 1
    is_quote = kind == 3
    topics = pa.array(np.char.add("topic", c["topic"][:m].astype(str)).astype(object), pa.string())
    offsets = pa.array(np.arange(m + 1, dtype=np.int32))
    posts = pa.table(
        {
            "platform": pa.array(["sim"] * m),
            "post_id": _ids(np.arange(m)),
            "author_id": _ids(author),
            "created_at": created,
            "kind": pa.array(np.asarray(KIND_NAMES, dtype=object)[kind], pa.string()),
            "parent_id": maybe(is_reply, parent),
            "parent_author_id": maybe(is_reply, author[np.maximum(parent, 0)]),
            "root_id": _ids(np.where(is_repost, root, np.arange(m))),
            "quote_id": maybe(is_quote, parent),
            "repost_of_id": maybe(is_repost, root),
            "hashtags": pa.ListArray.from_arrays(offsets, topics),
            "like_count": c["likes"][:m].astype(np.int64),
            "repost_count": c["reposts"][:m].astype(np.int64),
            "reply_count": c["replies"][:m].astype(np.int64),
            "quote_count": c["quotes"][:m].astype(np.int64),
            "source": pa.array(["mutuals.simulate"] * m),
        }
    )
    resp = kind != 0
    target_post = np.where(is_reply, parent, root)[resp]
    ikind = np.asarray(KIND_NAMES, dtype=object)[kind[resp]]
    interactions = pa.table(
        {
            "platform": pa.array(["sim"] * int(resp.sum())),
            "kind": pa.array(ikind, pa.string()),
            "source_id": _ids(author[resp]),
            "target_id": _ids(author[target_post]),
            "post_id": _ids(np.flatnonzero(resp)),
            "target_post_id": _ids(target_post),
            "created_at": created.filter(pa.array(resp)),
        }
    )
    return {
        "accounts": conform("accounts", accounts),
        "follows": conform("follows", follows),
        "posts": conform("posts", posts),
        "interactions": conform("interactions", interactions),
    }
