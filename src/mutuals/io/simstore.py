"""A simulated run as canonical tables, so real-data measures apply unchanged.

The simulator's accounts, follow graph, posts and interactions map onto the
schemas of :mod:`mutuals.tables` with ``platform = "sim"``: account and
post ids become decimal strings, a tick becomes a timestamp (from
``epoch``, ``ticks_per_day`` ticks a day), a topic becomes the hashtag
``topic<k>``, a left-right position becomes ``leaning``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mutuals.io.runs import ChunkedTable
from mutuals.io.store import conform
from mutuals.platform.accounts import ROLES
from mutuals.platform.posts import KIND_NAMES
from mutuals.platform.state import NEVER, PlatformState
from mutuals.tables import SCHEMAS

__all__ = ["FollowHistory", "follow_history", "simulation_to_canonical", "state_to_canonical"]

_EPOCH_US = 1_577_836_800_000_000  # 2020-01-01T00:00:00Z


@dataclass
class FollowHistory:
    """A run's follow graph at its start and at its end, from the follow log.

    ``end_tick`` is the tick at which each end edge was last made, -1 for an
    edge that was there from the start (and never unfollowed since). Both edge
    lists are sorted by follower, then friend.
    """

    start_follower: np.ndarray
    start_friend: np.ndarray
    end_follower: np.ndarray
    end_friend: np.ndarray
    end_tick: np.ndarray


def follow_history(state: PlatformState) -> FollowHistory:
    """The start and end follow graphs of a run (see :class:`FollowHistory`).

    Every follow and unfollow of the run is in ``state.follow_log`` in order,
    so an edge's first logged change says whether it was there at the start
    (an unfollow first: yes; a follow first: no), and an end edge with a log
    was last made at its last logged tick.
    """
    n = np.int64(max(state.accounts.n, 1))
    f, t = state.graph.edges()
    end_key = f.astype(np.int64) * n + t  # sorted: edges() sorts by follower, friend
    if not state.follow_log:
        return FollowHistory(f, t, f, t, np.full(f.size, -1, np.int64))
    log = np.concatenate(state.follow_log)
    key = log[:, 1] * n + log[:, 2]
    order = np.argsort(key, kind="stable")  # each edge's changes, in time order
    k = key[order]
    first = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    last = np.r_[first[1:], k.size] - 1
    uk = k[first]
    first_sign = log[order[first], 3]
    last_tick = log[order[last], 0]
    pos = np.minimum(np.searchsorted(uk, end_key), uk.size - 1)
    hit = uk[pos] == end_key
    end_tick = np.where(hit, last_tick[pos], -1)
    start_key = np.sort(np.concatenate([end_key[~hit], uk[first_sign < 0]]))
    sf, st_ = np.divmod(start_key, n)
    return FollowHistory(sf, st_, f, t, end_tick)


#: Follow rows built and written at a time.
_CHUNK = 1 << 22


def _ids(a: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(a.astype(np.int64)), pa.string())


def _const(value: str, n: int) -> pa.Array:
    return pa.repeat(pa.scalar(value, pa.string()), n)


def simulation_to_canonical(
    sim: Any, *, start: bool = False, chunked: bool = False, epoch_us: int = _EPOCH_US
) -> dict[str, Any]:
    """:func:`state_to_canonical` of a simulation (anything with ``state`` and
    ``params.ticks_per_day``, such as :class:`mutuals.engine.platform.Simulation`)."""
    return state_to_canonical(
        sim.state,
        ticks_per_day=sim.params.ticks_per_day,
        start=start,
        chunked=chunked,
        epoch_us=epoch_us,
    )


def state_to_canonical(
    state: PlatformState,
    *,
    ticks_per_day: int,
    start: bool = False,
    chunked: bool = False,
    epoch_us: int = _EPOCH_US,
) -> dict[str, Any]:
    """Canonical ``accounts``, ``follows`` (at the end, with the tick each edge
    was made: null for edges older than the run), ``posts`` and
    ``interactions`` of a run's state; with ``start``, also ``follows_start``
    (the graph the run started from, in the ``follows`` schema). With
    ``chunked``, the two follow tables are :class:`~mutuals.io.runs.ChunkedTable`
    (built and written a few million rows at a time: a run of 1M accounts has
    ~100M follows, too many to hold as strings at once).

    Accounts that an event reserved and that never arrived are left out;
    an account that arrived has ``created_at`` at its arrival tick. Likes are
    counted per post (``like_count``) and are not interactions of their own.
    An account's ``community``, ``leaning`` (its position) and ``role``
    (:data:`~mutuals.platform.accounts.ROLES`: member, news, thinker, bot, ...)
    and a post's ``stance`` (the position its author showed when posting) are
    the simulator's ground truth, written so that measures can be checked
    against it; :mod:`mutuals.metrics.coordination` reads none of the labels.
    """
    acc = state.accounts
    names = np.asarray(acc.community_names, dtype=object)
    us_per_tick = 86_400_000_000 // ticks_per_day
    here = np.flatnonzero(state.arrival < NEVER)  # not the reserved that never came
    arrived = state.arrival[here]
    n = here.size
    accounts = pa.table(
        {
            "platform": _const("sim", n),
            "account_id": _ids(here),
            "created_at": pa.array(
                np.where(arrived > 0, epoch_us + arrived * us_per_tick, 0),
                pa.timestamp("us", tz="UTC"),
                mask=arrived <= 0,
            ),
            "followers_count": state.graph.followers_count[here].astype(np.int64),
            "following_count": state.graph.friends_count[here].astype(np.int64),
            "community": pa.array(names[acc.community[here].astype(np.int64)], pa.string()),
            "leaning": acc.position[here].astype(np.float64),
            "role": pa.array(np.asarray(ROLES, dtype=object)[acc.role[here]], pa.string()),
            "source": _const("mutuals.simulate", n),
        }
    )
    hist = follow_history(state)

    def follow_chunks(
        f: np.ndarray, t: np.ndarray, tick: np.ndarray | None
    ) -> Callable[[], Iterator[pa.Table]]:
        def chunks() -> Iterator[pa.Table]:
            for lo in range(0, max(f.size, 1), _CHUNK):
                hi = min(lo + _CHUNK, f.size)
                cols: dict[str, Any] = {
                    "platform": _const("sim", hi - lo),
                    "follower_id": _ids(f[lo:hi]),
                    "friend_id": _ids(t[lo:hi]),
                }
                if tick is not None:
                    w = tick[lo:hi]
                    known = w >= 0
                    cols["created_at"] = pa.array(
                        np.where(known, epoch_us + w * us_per_tick, 0),
                        pa.timestamp("us", tz="UTC"),
                        mask=~known,
                    )
                yield conform("follows", pa.table(cols))

        return chunks

    def as_table(chunks: Callable[[], Iterator[pa.Table]], rows: int) -> Any:
        if chunked:
            return ChunkedTable(SCHEMAS["follows"], rows, chunks)
        return pa.concat_tables(list(chunks()))

    follows = as_table(
        follow_chunks(hist.end_follower, hist.end_friend, hist.end_tick), hist.end_follower.size
    )
    c = state.posts.cols
    m = state.posts.n
    kind = c["kind"][:m]
    parent = c["parent"][:m]
    root = c["root"][:m]
    author = c["author"][:m]
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
            "platform": _const("sim", m),
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
            "stance": c["stance"][:m].astype(np.float64),
            "source": _const("mutuals.simulate", m),
        }
    )
    resp = kind != 0
    target_post = np.where(is_reply, parent, root)[resp]
    ikind = np.asarray(KIND_NAMES, dtype=object)[kind[resp]]
    interactions = pa.table(
        {
            "platform": _const("sim", int(resp.sum())),
            "kind": pa.array(ikind, pa.string()),
            "source_id": _ids(author[resp]),
            "target_id": _ids(author[target_post]),
            "post_id": _ids(np.flatnonzero(resp)),
            "target_post_id": _ids(target_post),
            "created_at": created.filter(pa.array(resp)),
        }
    )
    out = {
        "accounts": conform("accounts", accounts),
        "follows": follows,
        "posts": conform("posts", posts),
        "interactions": conform("interactions", interactions),
    }
    if start:
        out["follows_start"] = as_table(
            follow_chunks(hist.start_follower, hist.start_friend, None), hist.start_follower.size
        )
    return out
