"""The follow graph as arrays, mutable during a run.

Edges point follower -> friend (``u`` follows ``v``); a post by ``v`` flows to
the feeds of ``v``'s followers. Both directions are kept as gapped CSR
(:mod:`mutuals.kernels.graph`) so that delivering a post (followers of the
author) and reading (friends of the reader) are both row scans, and a follow or
unfollow costs O(row length) without rebuilding anything.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mutuals.errors import GraphError, InputError
from mutuals.kernels import graph as kg

__all__ = ["FollowGraph"]


@dataclass
class _Gapped:
    start: NDArray[np.int64]
    length: NDArray[np.int32]
    cap: NDArray[np.int64]
    nbr: NDArray[np.int32]
    used: int

    def row(self, i: int) -> NDArray[np.int32]:
        s = int(self.start[i])
        return self.nbr[s : s + int(self.length[i])].copy()

    def grow(self) -> None:
        new = np.full(int(self.nbr.shape[0] * 1.5) + 1024, -1, np.int32)
        new[: self.used] = self.nbr[: self.used]
        self.nbr = new

    def coo(self, n: int) -> tuple[NDArray[np.int32], NDArray[np.int32]]:
        rows, pos = kg.gapped_to_coo(self.start, self.length, n)
        return rows, self.nbr[pos]

    @property
    def nbytes(self) -> int:
        return self.start.nbytes + self.length.nbytes + self.cap.nbytes + self.nbr.nbytes


def _as_ids(x: ArrayLike, name: str, n: int) -> NDArray[np.int32]:
    a = np.asarray(x)
    if a.ndim != 1:
        raise InputError(f"{name} must be one-dimensional, got shape {a.shape}")
    if a.size and not np.issubdtype(a.dtype, np.integer):
        raise InputError(f"{name} must hold integer account ids, got dtype {a.dtype}")
    if a.size and (a.min() < 0 or a.max() >= n):
        raise GraphError(f"{name} holds ids outside [0, {n}): min {a.min()}, max {a.max()}")
    return a.astype(np.int32, copy=False)


class FollowGraph:
    """A directed follow graph over accounts ``0 .. n_accounts - 1``.

    Build it with :meth:`from_edges`. Self-follows and duplicate follows are
    never stored; :meth:`from_edges` reports how many it dropped in
    :attr:`build_report`.

    Examples
    --------
    >>> g = FollowGraph.from_edges([0, 1, 2], [1, 0, 0], n_accounts=3)
    >>> g.followers_count.tolist()
    [2, 1, 0]
    >>> g.follow([2], [1]).tolist(), g.followers_count.tolist()
    ([True], [2, 2, 0])
    """

    def __init__(self, n_accounts: int, out: _Gapped, inn: _Gapped) -> None:
        self.n_accounts = n_accounts
        self._out = out
        self._in = inn
        self.build_report: dict[str, int] = {}

    # -- construction -----------------------------------------------------
    @classmethod
    def from_edges(
        cls,
        follower: ArrayLike,
        friend: ArrayLike,
        *,
        n_accounts: int | None = None,
        slack: float = 0.125,
    ) -> FollowGraph:
        """Build from parallel arrays of follower and friend ids.

        Parameters
        ----------
        follower, friend : array of int
            Edge ``k`` means ``follower[k]`` follows ``friend[k]``.
        n_accounts : int, optional
            Number of accounts; default ``max id + 1``.
        slack : float
            Spare capacity per row, as a share of its length (at least 2 slots).
        """
        f = np.asarray(follower)
        g = np.asarray(friend)
        if f.shape != g.shape:
            raise InputError(f"follower and friend differ in length: {f.shape} vs {g.shape}")
        if n_accounts is None:
            n_accounts = int(max(f.max(initial=-1), g.max(initial=-1))) + 1
        if n_accounts < 0 or n_accounts >= 2**31 - 1:
            raise InputError(f"n_accounts must be in [0, 2**31 - 1), got {n_accounts}")
        if not 0 <= slack <= 4:
            raise InputError(f"slack must be in [0, 4], got {slack}")
        f = _as_ids(f, "follower", n_accounts)
        g = _as_ids(g, "friend", n_accounts)
        n_in = f.size
        indptr, nbr = kg.group_by_row(f, g, n_accounts)
        del f, g
        length, self_loops, duplicates = kg.sort_dedupe_rows(indptr, nbr)
        num = round(slack * 16)
        tptr, tnbr = kg.transpose_rows(indptr, length, nbr, n_accounts)
        out = _Gapped(*kg.gapped_from_rows(indptr, length, nbr, num, 2))
        del nbr
        tlen = np.diff(tptr).astype(np.int32)
        inn = _Gapped(*kg.gapped_from_rows(tptr, tlen, tnbr, num, 2))
        del tnbr
        graph = cls(n_accounts, out, inn)
        graph.build_report = {
            "edges_in": n_in,
            "self_follows_dropped": int(self_loops),
            "duplicates_dropped": int(duplicates),
            "edges": int(length.sum()),
        }
        return graph

    def add_accounts(self, k: int) -> None:
        """Append ``k`` accounts with no follows (ids ``n_accounts .. n_accounts + k - 1``)."""
        if k < 0:
            raise InputError(f"k must be >= 0, got {k}")
        for g in (self._out, self._in):
            g.start = np.concatenate([g.start, np.full(k, g.used, np.int64)])
            g.length = np.concatenate([g.length, np.zeros(k, np.int32)])
            g.cap = np.concatenate([g.cap, np.zeros(k, np.int64)])
        self.n_accounts += k

    # -- queries ------------------------------------------------------------
    @property
    def n_follows(self) -> int:
        return int(self._out.length.sum())

    @property
    def followers_count(self) -> NDArray[np.int32]:
        """In-degree: how many accounts follow each account (a copy)."""
        return self._in.length.copy()

    @property
    def friends_count(self) -> NDArray[np.int32]:
        """Out-degree: how many accounts each account follows (a copy)."""
        return self._out.length.copy()

    def followers(self, i: int) -> NDArray[np.int32]:
        """Accounts that follow ``i`` (unordered)."""
        self._check(i)
        return self._in.row(i)

    def friends(self, i: int) -> NDArray[np.int32]:
        """Accounts that ``i`` follows (unordered)."""
        self._check(i)
        return self._out.row(i)

    def has_follow(self, u: int, v: int) -> bool:
        self._check(u)
        self._check(v)
        return bool(kg.find_in_row(self._out.start, self._out.length, self._out.nbr, u, v) >= 0)

    def has_follows(self, follower: ArrayLike, friend: ArrayLike) -> NDArray[np.bool_]:
        """Whether each ``follower[k]`` follows ``friend[k]`` (vectorised :meth:`has_follow`)."""
        src = _as_ids(follower, "follower", self.n_accounts)
        dst = _as_ids(friend, "friend", self.n_accounts)
        if src.shape != dst.shape:
            raise InputError("follower and friend differ in length")
        out = np.zeros(src.size, np.bool_)
        kg.has_edges(self._out.start, self._out.length, self._out.nbr, src, dst, out)
        return out

    def edges(self) -> tuple[NDArray[np.int32], NDArray[np.int32]]:
        """All follows as ``(follower, friend)`` arrays, sorted by follower then friend."""
        rows, vals = self._out.coo(self.n_accounts)
        order = np.lexsort((vals, rows))
        return rows[order], vals[order]

    def to_scipy(self) -> object:
        """Adjacency as ``scipy.sparse.csr_array`` with ``A[u, v] = 1`` when u follows v."""
        from scipy import sparse

        rows, vals = self._out.coo(self.n_accounts)
        data = np.ones(rows.size, np.int8)
        return sparse.csr_array((data, (rows, vals)), shape=(self.n_accounts,) * 2)

    @property
    def nbytes(self) -> int:
        return self._out.nbytes + self._in.nbytes

    # Raw arrays for kernels (followers rows drive delivery).
    @property
    def follower_rows(self) -> tuple[NDArray[np.int64], NDArray[np.int32], NDArray[np.int32]]:
        return self._in.start, self._in.length, self._in.nbr

    @property
    def friend_rows(self) -> tuple[NDArray[np.int64], NDArray[np.int32], NDArray[np.int32]]:
        return self._out.start, self._out.length, self._out.nbr

    # -- updates ------------------------------------------------------------
    def follow(self, follower: ArrayLike, friend: ArrayLike) -> NDArray[np.bool_]:
        """Apply follows in order; returns which were new (False: existed or self-follow)."""
        src = _as_ids(follower, "follower", self.n_accounts)
        dst = _as_ids(friend, "friend", self.n_accounts)
        if src.shape != dst.shape:
            raise InputError("follower and friend differ in length")
        applied = np.zeros(src.size, np.bool_)
        k = 0
        o, i = self._out, self._in
        while True:
            k, o.used, i.used = kg.follow_edges(
                o.start, o.length, o.cap, o.nbr, o.used,
                i.start, i.length, i.cap, i.nbr, i.used,
                src, dst, applied, k,
            )  # fmt: skip
            if k >= src.size:
                return applied
            o.grow()
            i.grow()

    def unfollow(self, follower: ArrayLike, friend: ArrayLike) -> NDArray[np.bool_]:
        """Remove follows; returns which existed and were removed."""
        src = _as_ids(follower, "follower", self.n_accounts)
        dst = _as_ids(friend, "friend", self.n_accounts)
        if src.shape != dst.shape:
            raise InputError("follower and friend differ in length")
        done = kg.remove_edges(self._out.start, self._out.length, self._out.nbr, src, dst)
        kg.remove_edges(self._in.start, self._in.length, self._in.nbr, dst[done], src[done])
        return done

    def check(self) -> None:
        """Verify the internal consistency of the graph; raise :class:`GraphError` if broken.

        Checks that every row lies inside the arena within its capacity, that
        rows of one direction never overlap, that no row holds a self-follow, a
        duplicate or an id outside ``[0, n_accounts)``, and that the follower
        rows are exactly the transpose of the friend rows. Costs O(E log E);
        meant for tests and debugging, not for hot loops.
        """
        n = self.n_accounts
        if n == 0:
            return
        edges: dict[str, NDArray[np.int64]] = {}
        for name, g in (("friend", self._out), ("follower", self._in)):
            if g.start.shape != (n,) or g.length.shape != (n,) or g.cap.shape != (n,):
                raise GraphError(f"{name} rows: arrays are not of length {n}")
            if (g.length < 0).any() or (g.length > g.cap).any():
                raise GraphError(f"{name} rows: a row is longer than its capacity")
            if g.start.min() < 0 or (g.start + g.cap).max() > min(g.used, g.nbr.size):
                raise GraphError(f"{name} rows: a row lies outside the used arena")
            order = np.argsort(g.start, kind="stable")
            ends = (g.start + g.cap)[order]
            if (g.start[order][1:] < ends[:-1]).any():
                raise GraphError(f"{name} rows: two rows overlap")
            rows, vals = g.coo(n)
            if vals.size and (vals.min() < 0 or vals.max() >= n):
                raise GraphError(f"{name} rows: an id outside [0, {n})")
            if (rows == vals).any():
                raise GraphError(f"{name} rows: a self-follow")
            key = np.sort(rows.astype(np.int64) * n + vals)
            if (key[1:] == key[:-1]).any():
                raise GraphError(f"{name} rows: a duplicate follow")
            edges[name] = key
        dst, src = np.divmod(edges["follower"], n)  # follower row v holds u: u follows v
        if not np.array_equal(np.sort(src * n + dst), edges["friend"]):
            raise GraphError("follower rows are not the mirror image of friend rows")

    def _check(self, i: int) -> None:
        if not 0 <= int(i) < self.n_accounts:
            raise InputError(f"account id {i} outside [0, {self.n_accounts})")

    def __repr__(self) -> str:
        return f"FollowGraph(n_accounts={self.n_accounts}, n_follows={self.n_follows})"
