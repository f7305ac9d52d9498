"""Measures of the follow graph: reciprocity, degrees, clustering, communities.

The ``follows`` table (follower -> friend) is indexed once into integer ids
(:func:`follow_graph`); every measure then works on numpy arrays and
``scipy.sparse`` matrices, so it runs the same on real data and on simulator
output converted to the canonical tables.

Conventions
-----------
* An account is the pair ``(platform, account_id)``. Accounts referenced by
  ``follows`` but absent from ``accounts`` are kept as nodes and counted in
  :attr:`FollowGraph.n_unlisted`; accounts with no follow edge are kept too
  (degree 0).
* Duplicate follow rows and self-follows are removed and counted.
* Undirected measures (clustering, communities, modularity) use the simple
  undirected projection: ``{u, v}`` is an edge when ``u`` follows ``v`` or ``v``
  follows ``u``, with weight 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from mutuals._random import SeedLike, check_random_state
from mutuals.errors import GraphError, InputError
from mutuals.metrics._tables import account_keys, encode_keys, require_columns

__all__ = [
    "AccountIndex",
    "Clustering",
    "Communities",
    "CommunityAssignment",
    "DegreeSummary",
    "FollowGraph",
    "PowerLawFit",
    "Reciprocity",
    "assign_communities",
    "clustering",
    "degree_summary",
    "detect_communities",
    "fit_power_law",
    "follow_graph",
    "index_accounts",
    "louvain",
    "modularity",
    "reciprocity",
    "triangles",
    "undirected_adjacency",
]


# ----------------------------------------------------------------------------- index


@dataclass(frozen=True)
class AccountIndex:
    """Integer ids ``0..n-1`` for accounts ``(platform, account_id)``.

    Attributes
    ----------
    platform, account_id : pyarrow.Array
        The account of each integer id.
    keys : pyarrow.Array
        The lookup key of each id: ``account_id``, or ``platform\\x1faccount_id``
        when the data holds more than one platform (``qualified``).
    qualified : bool
        Whether keys carry the platform.
    n_listed : int
        Ids ``0..n_listed-1`` are the rows of the ``accounts`` table (deduplicated);
        the rest were only referenced by other tables.
    """

    platform: pa.Array
    account_id: pa.Array
    keys: pa.Array
    qualified: bool
    n_listed: int

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def n_unlisted(self) -> int:
        """Accounts referenced by other tables but absent from ``accounts``."""
        return len(self.keys) - self.n_listed

    def lookup(
        self, platform: pa.Array | pa.ChunkedArray, ids: pa.Array | pa.ChunkedArray
    ) -> np.ndarray:
        """Integer ids of the accounts ``(platform, ids)``; -1 where unknown or null."""
        keys = account_keys(platform, ids, qualify=self.qualified)
        pos = pc.index_in(keys, value_set=self.keys)
        return np.asarray(pc.fill_null(pos, -1).to_numpy(zero_copy_only=False), dtype=np.int64)

    def table(self) -> pa.Table:
        """The index as a table ``(node, platform, account_id, listed)``."""
        n = len(self)
        return pa.table(
            {
                "node": pa.array(np.arange(n, dtype=np.int64)),
                "platform": self.platform,
                "account_id": self.account_id,
                "listed": pa.array(np.arange(n) < self.n_listed),
            }
        )


def index_accounts(
    accounts: pa.Table,
    refs: Sequence[tuple[pa.ChunkedArray | pa.Array, pa.ChunkedArray | pa.Array]] = (),
) -> tuple[AccountIndex, list[np.ndarray]]:
    """Index the accounts of ``accounts`` plus those referenced in ``refs``.

    Parameters
    ----------
    accounts : pyarrow.Table
        Canonical ``accounts`` table (columns ``platform``, ``account_id``).
    refs : sequence of (platform column, id column)
        Other references to accounts (e.g. ``follows.follower_id``); nulls map to -1.

    Returns
    -------
    index : AccountIndex
        Accounts rows first (in table order, duplicates merged), then the
        referenced accounts absent from ``accounts`` in order of first appearance.
    codes : list of numpy.ndarray
        The integer id of every value of each reference column.
    """
    require_columns(accounts, "accounts", ["platform", "account_id"])
    if accounts.column("account_id").null_count:
        raise InputError("accounts.account_id has nulls; every account row needs an id")
    parts = [(accounts.column("platform"), accounts.column("account_id")), *refs]
    codes, platform, account_id, keys, qualified = encode_keys(parts)
    n_listed = int(np.unique(codes[0]).size)
    index = AccountIndex(
        platform=platform,
        account_id=account_id,
        keys=keys,
        qualified=qualified,
        n_listed=n_listed,
    )
    return index, codes[1:]


# ----------------------------------------------------------------------------- graph


@dataclass(frozen=True)
class FollowGraph:
    """The follow graph as integer edge arrays over an :class:`AccountIndex`.

    Attributes
    ----------
    index : AccountIndex
        Node ids.
    follower, friend : numpy.ndarray
        Distinct directed edges follower -> friend (int64), without self-follows.
    n_rows : int
        Rows of the ``follows`` table.
    n_duplicates, n_self_follows, n_null : int
        Rows dropped as repeated edges, self-follows, or with a null endpoint.
    """

    index: AccountIndex
    follower: np.ndarray
    friend: np.ndarray
    n_rows: int = 0
    n_duplicates: int = 0
    n_self_follows: int = 0
    n_null: int = 0

    @property
    def n_accounts(self) -> int:
        return len(self.index)

    @property
    def n_follows(self) -> int:
        return int(self.follower.size)

    @property
    def n_unlisted(self) -> int:
        """Accounts that appear in ``follows`` but not in ``accounts``."""
        return self.index.n_unlisted

    @cached_property
    def in_degree(self) -> np.ndarray:
        """Followers of each account counted in the data."""
        return np.bincount(self.friend, minlength=self.n_accounts).astype(np.int64)

    @cached_property
    def out_degree(self) -> np.ndarray:
        """Accounts each account follows, counted in the data."""
        return np.bincount(self.follower, minlength=self.n_accounts).astype(np.int64)

    @cached_property
    def out_lists(self) -> tuple[np.ndarray, np.ndarray]:
        """The friends of each account as a CSR ``(indptr, friends)`` with sorted rows.

        For a graph from :func:`follow_graph` (edges sorted by follower, then
        friend) these are the edge arrays themselves; other edge arrays are
        sorted and deduplicated first.
        """
        from mutuals.kernels.graph import edge_rows, is_sorted_unique

        n = self.n_accounts
        if is_sorted_unique(self.follower, self.friend):
            ptr = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(self.out_degree, out=ptr[1:])
            return ptr, self.friend
        ptr, idx, _, _, _ = edge_rows(self.follower, self.friend, n)
        return ptr, idx

    @cached_property
    def in_lists(self) -> tuple[np.ndarray, np.ndarray]:
        """The followers of each account as a CSR ``(indptr, followers)``, rows sorted (int32)."""
        from mutuals.kernels.graph import transpose_sorted

        if self.n_accounts >= _INT32_LIMIT:
            raise GraphError("in-lists hold int32 ids: more than 2^31 - 1 accounts")
        ptr, idx = self.out_lists
        return transpose_sorted(ptr, idx, self.n_accounts)

    @cached_property
    def undirected(self) -> sp.csr_matrix:
        """Symmetric 0/1 adjacency of the undirected projection (see module doc).

        The same matrix as :func:`undirected_adjacency` of the edges: each row is
        the merge of the account's sorted friends and followers
        (:func:`mutuals.kernels.graph.union_rows`).
        """
        from mutuals.kernels.graph import union_rows

        n = self.n_accounts
        optr, oidx = self.out_lists
        iptr, iidx = self.in_lists
        uptr, uidx = union_rows(optr, oidx, iptr, iidx)
        return _symmetric_csr(uptr, uidx, n)


#: Node counts from which CSR entries no longer fit int32.
_INT32_LIMIT = 2**31 - 1


def _symmetric_csr(indptr: np.ndarray, indices: np.ndarray, n: int) -> sp.csr_matrix:
    """A 0/1 float64 CSR from sorted rows, without copying or re-checking them."""
    if indptr[-1] < _INT32_LIMIT:
        indptr = indptr.astype(np.int32)
        indices = indices.astype(np.int32, copy=False)
    else:
        indices = indices.astype(np.int64, copy=False)
    adj = sp.csr_matrix((np.ones(indices.size), indices, indptr), shape=(n, n))
    adj.has_sorted_indices = True
    adj.has_canonical_format = True
    return adj


def follow_graph(accounts: pa.Table, follows: pa.Table) -> FollowGraph:
    """Index the canonical ``follows`` table into a :class:`FollowGraph`.

    Parameters
    ----------
    accounts, follows : pyarrow.Table
        Canonical tables (see :mod:`mutuals.tables`); ``accounts`` may be empty.

    Raises
    ------
    InputError
        If a table is not a pyarrow Table or lacks a required column.

    Notes
    -----
    Ids are encoded once (one dictionary over the accounts and both follow
    columns); the edges are then grouped by follower with a counting sort and
    each follower's friends sorted and deduplicated
    (:func:`mutuals.kernels.graph.edge_rows`), which drops self-follows and
    rows with a null endpoint and counts them.
    """
    from mutuals.kernels.graph import edge_rows

    require_columns(follows, "follows", ["platform", "follower_id", "friend_id"])
    index, (src, dst) = index_accounts(
        accounts,
        [
            (follows.column("platform"), follows.column("follower_id")),
            (follows.column("platform"), follows.column("friend_id")),
        ],
    )
    n = len(index)
    ptr, friend, n_null, n_loop, n_dup = edge_rows(src, dst, n)
    del src, dst
    follower = np.repeat(np.arange(n, dtype=np.int64), np.diff(ptr))
    g = FollowGraph(
        index=index,
        follower=follower,
        friend=friend,
        n_rows=follows.num_rows,
        n_duplicates=int(n_dup),
        n_self_follows=int(n_loop),
        n_null=int(n_null),
    )
    g.__dict__["out_lists"] = (ptr, friend)  # the CSR the edges were read from
    return g


def undirected_adjacency(u: np.ndarray, v: np.ndarray, n: int) -> sp.csr_matrix:
    """Symmetric 0/1 CSR adjacency (float64) of the edges ``u[k] -- v[k]``, loops dropped.

    Rows come sorted and without repeats from
    :func:`mutuals.kernels.graph.edge_rows` over both directions of each edge.
    """
    from mutuals.kernels.graph import edge_rows

    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    if u.shape != v.shape:
        raise GraphError("edge endpoint arrays differ in length")
    if u.size and (min(u.min(), v.min()) < 0 or max(u.max(), v.max()) >= n):
        raise GraphError(f"edge endpoints must lie in 0..{n - 1}")
    ptr, idx, _, _, _ = edge_rows(np.concatenate([u, v]), np.concatenate([v, u]), n)
    return _symmetric_csr(ptr, idx, n)


# ----------------------------------------------------------------------------- reciprocity


@dataclass(frozen=True)
class Reciprocity:
    """Reciprocity of a directed graph.

    Attributes
    ----------
    edges : int
        Directed edges L.
    reciprocated : int
        Edges whose reverse edge exists, L<->.
    mutual_pairs : int
        Unordered pairs following each other (``reciprocated / 2``).
    reciprocity : float
        r = L<-> / L (Newman 2010, *Networks*, sec. 7.10; ``networkx.overall_reciprocity``).
    density : float
        a = L / (N (N - 1)).
    rho : float
        Garlaschelli & Loffredo (2004) rho = (r - a) / (1 - a): reciprocity
        relative to a random graph of the same density (0 = as random, >0 reciprocal).
    """

    edges: int
    reciprocated: int
    mutual_pairs: int
    reciprocity: float
    density: float
    rho: float


def reciprocity(graph: FollowGraph) -> Reciprocity:
    """Share of follow edges that are followed back, and its density-corrected form.

    Definition: ``r = L<-> / L``, the fraction of directed edges ``u -> v`` for
    which ``v -> u`` also exists (Newman 2010, *Networks: An Introduction*,
    sec. 7.10), and ``rho = (r - a) / (1 - a)`` with density
    ``a = L / (N (N - 1))`` (Garlaschelli & Loffredo 2004, *Phys. Rev. Lett.*
    93, 268701). ``r`` is NaN for a graph without edges.

    ``L<->`` is counted per account as the overlap of its sorted friends and
    followers (:func:`mutuals.kernels.graph.mutual_counts`).
    """
    n = graph.n_accounts
    L = graph.n_follows
    if L == 0:
        return Reciprocity(0, 0, 0, float("nan"), 0.0, float("nan"))
    from mutuals.kernels.graph import mutual_counts

    optr, oidx = graph.out_lists
    iptr, iidx = graph.in_lists
    recip = int(mutual_counts(optr, oidx, iptr, iidx).sum())
    r = recip / L
    a = L / (n * (n - 1)) if n > 1 else 0.0
    rho = (r - a) / (1 - a) if a < 1 else float("nan")
    return Reciprocity(L, recip, recip // 2, r, a, rho)


# ----------------------------------------------------------------------------- degrees


@dataclass(frozen=True)
class PowerLawFit:
    """A power-law tail ``p(x) ~ x^-alpha`` for ``x >= xmin`` (Clauset et al. 2009).

    Attributes
    ----------
    alpha : float
        Maximum-likelihood exponent.
    xmin : float
        Lower bound of the tail, chosen to minimise the KS distance.
    n_tail : int
        Observations ``>= xmin``.
    ks : float
        Kolmogorov-Smirnov distance between the tail and the fitted law.
    discrete : bool
        Whether the discrete (Hurwitz zeta) or continuous likelihood was used.
    """

    alpha: float
    xmin: float
    n_tail: int
    ks: float
    discrete: bool


def _fit_alpha_discrete(
    logsum: float | np.ndarray, n: int | np.ndarray, xmin: float | np.ndarray
) -> float | np.ndarray:
    """The ``alpha`` that maximises the discrete power-law likelihood of each tail.

    For a tail of ``n`` values ``>= xmin`` with ``logsum = sum(ln x)``, minimises
    ``n ln zeta(alpha, xmin) + alpha * logsum`` on ``[1 + 1e-6, 20]`` by Brent's
    bounded method with ``xatol = 1e-7``, as
    ``scipy.optimize.minimize_scalar(method="bounded")`` does
    (``_minimize_scalar_bounded`` of scipy 1.17; Forsythe, Malcolm & Moler's
    ``fmin``). Arrays fit many tails at once: every tail takes the same steps on
    its own state, the same float64 operations elementwise, so each result is
    the float ``minimize_scalar`` returns for that tail (the twin in
    ``tests/twins/test_power_law_twin.py`` calls it). Only the objective's
    logarithm is taken of one numpy scalar at a time, as ``minimize_scalar``'s
    objective does: ``np.log`` over an array may take a vectorised path that
    differs in the last bit. Scalars in, a float out.
    """
    from scipy.special import zeta

    scalar = np.ndim(logsum) == 0 and np.ndim(n) == 0 and np.ndim(xmin) == 0
    ls, nn, xq = np.broadcast_arrays(
        np.atleast_1d(np.asarray(logsum, dtype=np.float64)),
        np.atleast_1d(np.asarray(n, dtype=np.float64)),  # n * ln z: n is float64 there too
        np.atleast_1d(np.asarray(xmin, dtype=np.float64)),
    )
    log = np.log

    def nll(a: np.ndarray, idx: np.ndarray) -> np.ndarray:
        z = zeta(a, xq[idx])
        lz = np.array([log(v) for v in z], dtype=np.float64)
        out: np.ndarray = nn[idx] * lz + a * ls[idx]
        return out

    xatol, maxfun = 1e-7, 500
    sqrt_eps = np.sqrt(2.2e-16)
    golden_mean = 0.5 * (3.0 - np.sqrt(5.0))
    lo, hi = 1.0 + 1e-6, 20.0
    m = ls.size
    result = np.empty(m)
    idx = np.arange(m)
    a = np.full(m, lo)
    b = np.full(m, hi)
    xf = np.full(m, lo + golden_mean * (hi - lo))
    nfc = xf.copy()
    fulc = xf.copy()
    rat = np.zeros(m)
    e = np.zeros(m)
    fx = nll(xf, idx)
    ffulc = fx.copy()
    fnfc = fx.copy()
    xm = 0.5 * (a + b)
    tol1 = sqrt_eps * np.abs(xf) + xatol / 3.0
    tol2 = 2.0 * tol1
    num = 1
    go = np.abs(xf - xm) > (tol2 - 0.5 * (b - a))
    while True:
        if not go.all():  # finished tails leave the state
            result[idx[~go]] = xf[~go]
            idx, a, b, xf, nfc, fulc, rat, e, fx, ffulc, fnfc, xm, tol1, tol2 = (
                v[go] for v in (idx, a, b, xf, nfc, fulc, rat, e, fx, ffulc, fnfc, xm, tol1, tol2)
            )
        if idx.size == 0:
            break
        with np.errstate(all="ignore"):  # lanes compute both branches; each keeps its own
            # parabolic step where acceptable, else golden section
            r = (xf - nfc) * (fx - ffulc)
            q = (xf - fulc) * (fx - fnfc)
            p = (xf - fulc) * q - (xf - nfc) * r
            q = 2.0 * (q - r)
            p = np.where(q > 0.0, -p, p)
            q = np.abs(q)
            accept = (
                (np.abs(e) > tol1)
                & (np.abs(p) < np.abs(0.5 * q * e))
                & (p > q * (a - xf))
                & (p < q * (b - xf))
            )
            rat_p = (p + 0.0) / q
            x = xf + rat_p
            d = xm - xf
            near = ((x - a) < tol2) | ((b - x) < tol2)
            rat_p = np.where(near, tol1 * (np.sign(d) + (d == 0)), rat_p)
            e_g = np.where(xf >= xm, a - xf, b - xf)
            e = np.where(accept, rat, e_g)
            rat = np.where(accept, rat_p, golden_mean * e_g)
            si = np.sign(rat) + (rat == 0)
            x = xf + si * np.maximum(np.abs(rat), tol1)
        fu = nll(x, idx)
        num += 1
        better = fu <= fx
        right = x >= xf
        a = np.where(better, np.where(right, xf, a), np.where(right, a, x))
        b = np.where(better, np.where(right, b, xf), np.where(right, x, b))
        c1 = ~better & ((fu <= fnfc) | (nfc == xf))
        c2 = ~better & ~c1 & ((fu <= ffulc) | (fulc == xf) | (fulc == nfc))
        fulc, ffulc = (
            np.where(better | c1, nfc, np.where(c2, x, fulc)),
            np.where(better | c1, fnfc, np.where(c2, fu, ffulc)),
        )
        nfc, fnfc = (
            np.where(better, xf, np.where(c1, x, nfc)),
            np.where(better, fx, np.where(c1, fu, fnfc)),
        )
        xf, fx = np.where(better, x, xf), np.where(better, fu, fx)
        xm = 0.5 * (a + b)
        tol1 = sqrt_eps * np.abs(xf) + xatol / 3.0
        tol2 = 2.0 * tol1
        go = (np.abs(xf - xm) > (tol2 - 0.5 * (b - a))) & (num < maxfun)
    return float(result[0]) if scalar else result


def fit_power_law(
    values: np.ndarray,
    *,
    discrete: bool = True,
    xmin: float | None = None,
    min_tail: int = 50,
) -> PowerLawFit:
    """Fit a power-law tail by maximum likelihood with KS-selected ``xmin``.

    Definition (Clauset, Shalizi & Newman 2009, *SIAM Review* 51:661, sec. 3):
    for each candidate ``xmin`` (each distinct value with at least ``min_tail``
    observations at or above it), ``alpha`` maximises the likelihood of the tail
    ``x >= xmin``: continuous, ``alpha = 1 + n / sum(ln(x / xmin))`` (eq. 3.1);
    discrete, ``p(x) = x^-alpha / zeta(alpha, xmin)`` maximised numerically
    (eq. 3.5). ``xmin`` is the candidate minimising the KS distance between the
    empirical and fitted CDFs of the tail (eq. 3.9); of equal distances, the
    smallest ``xmin``.

    Parameters
    ----------
    values : array of numbers
        Observations; values <= 0 are ignored (degrees of 0 have no tail).
        Sorted values (as :func:`degree_summary` passes) are not sorted again.
    discrete : bool
        Integer data (degrees): use the discrete likelihood.
    xmin : float, optional
        Fix ``xmin`` instead of choosing it.
    min_tail : int
        Smallest tail size considered when choosing ``xmin``.

    Returns
    -------
    PowerLawFit
        NaN fields if fewer than ``min_tail`` (or 2) positive values.

    Notes
    -----
    The values are sorted once, and their distinct values and cumulative counts
    found once: every candidate's tail is a suffix of them, so its empirical CDF
    is a difference of integer counts and its model CDF is evaluated on that
    suffix, never re-sorted. The ``alpha`` of all candidates are fitted together
    (:func:`_fit_alpha_discrete`). A candidate's KS distance is a maximum over
    its tail's distinct values; the maximum over a few of them (the first 8 and
    those where the tail's CDF reaches 1/33, 2/33, ...) bounds it from below, so
    the distances are computed in the order of these bounds and only while a
    bound does not exceed the best distance found; a candidate is also passed
    over when its terms at the values where the distances computed so far
    peaked already exceed it (neighbouring tails peak at the same values: a
    pure power law of 200k continuous values takes 1.4 s, not a minute). Only
    the candidates that cannot win are passed over. In the discrete case the CDFs
    are compared after each step only: just before a step both equal their
    values after the previous one (0 before the first), the same differences
    again. The fit is the same, float for float, as computing every candidate's
    distance in turn (the twin in ``tests/twins/test_power_law_twin.py``).
    """
    from typing import Any

    from scipy.special import zeta

    x = np.asarray(values, dtype=np.float64).ravel()
    if x.size > 1 and not bool((x[1:] >= x[:-1]).all()):
        x = np.sort(x)
    # the positive values: a slice of the sorted values (NaN sorts last)
    x = x[np.searchsorted(x, 0.0, side="right") : np.searchsorted(x, np.inf, side="right")]
    n_obs = int(x.size)
    nan = PowerLawFit(float("nan"), float("nan"), 0, float("nan"), discrete)
    # the distinct values as np.unique(x), and cum[j] = observations <= uniq[j]
    first = np.flatnonzero(np.concatenate([[True], x[1:] != x[:-1]])) if n_obs else np.zeros(0, int)
    uniq = x[first]
    cum = np.append(first[1:], n_obs)
    if xmin is not None:
        xm_c = np.array([float(xmin)])
        k_c = np.searchsorted(uniq, xm_c, side="left")  # the tail's first distinct value
        start_c = np.searchsorted(x, xm_c, side="left")  # the tail's first observation
    else:
        n_at_or_above = n_obs - first
        keep = (n_at_or_above >= max(min_tail, 2)) & (uniq < x[-1] if n_obs else False)
        k_c = np.flatnonzero(keep)
        xm_c = uniq[k_c]
        start_c = first[k_c]
    if xm_c.size == 0:
        return nan
    # suffix sums of log x give the tail log-sum for every candidate at once
    logx = np.log(x)
    suffix = np.concatenate([np.cumsum(logx[::-1])[::-1], [0.0]])
    n_c = n_obs - start_c
    ok = n_c >= 2
    xm_c, k_c, start_c, n_c = xm_c[ok], k_c[ok], start_c[ok], n_c[ok]
    logsum_c = suffix[start_c]
    if discrete:
        alpha_c = np.asarray(_fit_alpha_discrete(logsum_c, n_c, xm_c))
    else:
        # ln xmin of one numpy scalar at a time, as it always was (see _fit_alpha_discrete)
        denom = logsum_c - n_c * np.array([np.log(v) for v in xm_c], dtype=np.float64)
        ok = ~(denom <= 0)
        xm_c, k_c, start_c, n_c, denom = xm_c[ok], k_c[ok], start_c[ok], n_c[ok], denom[ok]
        alpha_c = 1.0 + n_c / denom
    m = int(xm_c.size)
    if m == 0:
        return nan

    def cand(i: int) -> tuple[np.float64, int, int, int, float]:
        return xm_c[i], int(k_c[i]), int(start_c[i]), int(n_c[i]), float(alpha_c[i])

    def ks_of(i: int) -> tuple[float, list[int]]:
        """The KS distance of candidate ``i``, and where its maxima lie (indices of uniq)."""
        xm, k, start, n, alpha = cand(i)
        u = uniq[k:]
        emp = (cum[k:] - start) / n  # P(X <= u) in the tail
        if discrete:
            model = 1.0 - zeta(alpha, u + 1.0) / zeta(alpha, xm)
            after = np.abs(emp - model)
            return float(after.max()), [k + int(after.argmax())]
        model = 1.0 - (u / xm) ** (1.0 - alpha)
        emp_before = np.concatenate([[0.0], emp[:-1]])
        after, before = np.abs(emp - model), np.abs(emp_before - model)
        ks = float(max(after.max(), before.max()))
        return ks, [k + int(after.argmax()), k + int(before.argmax())]

    def gaps(xm: Any, k: Any, start: Any, n: Any, alpha: Any, j: np.ndarray) -> np.ndarray:
        """The terms of ks_of at the distinct values ``uniq[j]`` (``j >= k``) of tails."""
        u = uniq[j]
        emp = (cum[j] - start) / n
        with np.errstate(all="ignore"):  # ks_of computes the distances themselves
            if discrete:
                out: np.ndarray = np.abs(emp - (1.0 - zeta(alpha, u + 1.0) / zeta(alpha, xm)))
                return out
            model = 1.0 - (u / xm) ** (1.0 - alpha)
            below = np.where(j > k, (cum[np.maximum(j - 1, 0)] - start) / n, 0.0)
            return np.maximum(np.abs(emp - model), np.abs(below - model))

    def fit_of(i: int, ks: float) -> PowerLawFit:
        return PowerLawFit(float(alpha_c[i]), float(xm_c[i]), int(n_c[i]), ks, discrete)

    # the first candidate is always computed: a NaN distance there is kept
    best_ks, hot = ks_of(0)
    best_i = 0
    if np.isnan(best_ks) or m == 1:
        return fit_of(0, best_ks)
    # lower bounds: the terms at the first 8 distinct values of each tail and at
    # those where its empirical CDF first reaches 1/33, 2/33, ..., 32/33
    head = np.arange(8)
    levels = np.linspace(0.0, 1.0, 34)[1:-1]
    bound = np.empty(m)
    bound[0] = -np.inf
    block = 2048
    cum_f = cum.astype(np.float64)  # exact: counts below 2^53
    for lo in range(1, m, block):
        sl = slice(lo, min(lo + block, m))
        xm_b, k_b, start_b, n_b, alpha_b = (v[sl, None] for v in (xm_c, k_c, start_c, n_c, alpha_c))
        at_level = start_b + levels * n_b
        j = np.concatenate(
            [k_b + head, np.searchsorted(cum_f, at_level.ravel()).reshape(at_level.shape)], axis=1
        )
        inside = j < uniq.size
        j = np.minimum(j, uniq.size - 1)
        bound[sl] = np.where(inside, gaps(xm_b, k_b, start_b, n_b, alpha_b, j), 0.0).max(axis=1)
    # a candidate whose bound exceeds the best distance cannot win; the slack
    # covers a last-bit difference of the vectorised power (continuous case).
    # Before computing a distance, the terms at the distinct values where the
    # distances computed so far peaked (`hot`: neighbouring tails peak alike)
    # may show it cannot win either.
    slack = 1e-12
    for i in (np.argsort(bound[1:], kind="stable") + 1).tolist():
        if not bound[i] <= best_ks + slack:  # NaN bound: a NaN distance, never chosen
            break
        xm, k, start, n, alpha = cand(i)
        j = np.array(hot[-64:])
        j = j[j >= k]
        if j.size and gaps(xm, k, start, n, alpha, j).max() > best_ks + slack:
            continue
        ks, peaks = ks_of(i)
        hot += [p for p in peaks if p not in hot[-64:]]
        if ks < best_ks or (ks == best_ks and i < best_i):
            best_ks, best_i = ks, i
    return fit_of(best_i, best_ks)


@dataclass(frozen=True)
class DegreeSummary:
    """Summary of a degree distribution.

    Attributes
    ----------
    n, mean, median, max : numbers
        Over all accounts, zeros included.
    zeros : int
        Accounts with degree 0.
    quantiles : dict
        ``{"p90": ..., "p99": ..., "p999": ...}``.
    gini : float
        Gini coefficient of the degrees (0 = equal, 1 = concentrated).
    power_law : PowerLawFit
        Tail fit (Clauset et al. 2009) on positive degrees.
    """

    n: int
    mean: float
    median: float
    max: int
    zeros: int
    quantiles: dict[str, float]
    gini: float
    power_law: PowerLawFit


def degree_summary(degrees: np.ndarray, *, min_tail: int = 50) -> DegreeSummary:
    """Mean, median, max, upper quantiles, Gini and power-law tail of ``degrees``.

    The Gini coefficient is ``sum_i (2i - n - 1) x_(i) / (n sum x)`` over sorted
    values (Gini 1912; the form used by e.g. Kunegis & Preusse 2012 for degree
    inequality). The tail is fitted with :func:`fit_power_law` (discrete).

    The degrees are copied to float64 and sorted once, in place; the tail fit
    reads that sorted copy as it is, the mean reuses the sum, the zeros are
    counted by bisection, and the median and quantiles then select their order
    statistics in the copy (``overwrite_input``) instead of in further copies.
    """
    d = np.asarray(degrees)
    if d.ndim != 1:
        raise InputError("degrees must be a 1-d array")
    n = d.size
    if n == 0:
        nan = float("nan")
        return DegreeSummary(0, nan, nan, 0, 0, {}, nan, fit_power_law(d, min_tail=min_tail))
    s = d.astype(np.float64)  # our own copy: sorted, then partitioned, in place
    s.sort()
    total = s.sum()
    weights = np.arange(1 - n, n, 2)  # 2i - n - 1 for the ranks i = 1..n
    gini = float((weights * s).sum() / (n * total)) if total > 0 else 0.0
    del weights
    zeros = int(np.searchsorted(s, 0.0, side="right") - np.searchsorted(s, 0.0, side="left"))
    top = int(s[-1])
    power_law = fit_power_law(s, discrete=True, min_tail=min_tail)
    # mean as np.mean: the same pairwise sum, divided by n
    mean = float(total / n)
    # order statistics do not depend on the order: select them in place (s is ours)
    median = float(np.median(s, overwrite_input=True))
    q = np.quantile(s, [0.9, 0.99, 0.999], overwrite_input=True)
    return DegreeSummary(
        n=int(n),
        mean=mean,
        median=median,
        max=top,
        zeros=zeros,
        quantiles={"p90": float(q[0]), "p99": float(q[1]), "p999": float(q[2])},
        gini=gini,
        power_law=power_law,
    )


# ----------------------------------------------------------------------------- clustering


@dataclass(frozen=True)
class Clustering:
    """Clustering of the undirected projection.

    Attributes
    ----------
    average : float
        Mean local clustering over all accounts, 0 for degree < 2 (Watts &
        Strogatz 1998; as ``networkx.average_clustering``).
    transitivity : float
        Global clustering ``3 * triangles / connected triples`` (Newman 2010, sec. 7.9).
    triangles : int
        Triangles in the undirected projection.
    local : numpy.ndarray
        Local clustering of each account.
    """

    average: float
    transitivity: float
    triangles: int
    local: np.ndarray = field(repr=False)


def triangles(adj: sp.csr_matrix) -> np.ndarray:
    """Triangles through each node of a symmetric 0/1 adjacency without loops.

    Exact, by the forward algorithm on the graph oriented from lower to higher
    degree (ties by id): :func:`mutuals.kernels.community.orient_ranked` keeps
    each edge once, toward its higher-ranked end, with nodes renumbered by rank,
    and :func:`~mutuals.kernels.community.triangles_marked` closes the wedges
    by marking out-lists, in parallel; node counts are assembled from its
    per-node and per-edge counts, so the result does not depend on the thread
    count. (:func:`~mutuals.kernels.community.triangles_oriented`, the merge of
    sorted out-lists, and ``triangles_per_node`` are its twins in the tests.)
    """
    from mutuals.kernels.community import orient_ranked, triangles_marked

    adj = sp.csr_matrix(adj)
    n = adj.shape[0]
    deg = np.diff(adj.indptr)
    order = np.lexsort((np.arange(n), deg))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    out_ptr, out_idx = orient_ranked(adj.indptr, adj.indices, rank)
    low, mid, top = triangles_marked(out_ptr, out_idx, 64)
    # counts below 2^53 are exact in float64
    mid += top
    del top
    corner = np.bincount(out_idx, weights=mid.astype(np.float64), minlength=n)
    del mid
    by_rank = low + corner.astype(np.int64)
    tri: np.ndarray = by_rank[rank]
    return tri


def clustering(graph: FollowGraph | sp.csr_matrix) -> Clustering:
    """Local, average and global clustering of the undirected projection.

    Definition: local clustering ``c_i = 2 t_i / (k_i (k_i - 1))`` with ``t_i`` the
    triangles through ``i`` and ``k_i`` its undirected degree, 0 when ``k_i < 2``
    (Watts & Strogatz 1998, *Nature* 393:440); the average is over all accounts.
    Transitivity is ``sum t_i / sum k_i (k_i - 1) / 2`` (Newman 2010, eq. 7.41).
    Triangles are counted exactly with a Numba kernel (see :func:`triangles`).
    """
    adj = graph.undirected if isinstance(graph, FollowGraph) else sp.csr_matrix(graph)
    n = adj.shape[0]
    if n == 0:
        return Clustering(float("nan"), float("nan"), 0, np.zeros(0))
    t = triangles(adj)
    k = np.diff(adj.indptr).astype(np.float64)
    pairs = k * (k - 1) / 2
    local = np.divide(t, pairs, out=np.zeros(n), where=pairs > 0)
    total_pairs = pairs.sum()
    trans = float(t.sum() / total_pairs) if total_pairs > 0 else 0.0
    return Clustering(float(local.mean()), trans, int(t.sum() // 3), local)


# ----------------------------------------------------------------------------- communities


def modularity(adj: sp.spmatrix, labels: np.ndarray, *, resolution: float = 1.0) -> float:
    """Modularity of a partition of an undirected (weighted) graph.

    Definition (Newman & Girvan 2004; Newman 2006, *PNAS* 103:8577):
    ``Q = sum_c [ e_c / 2m - resolution * (d_c / 2m)^2 ]`` where ``e_c`` is the
    sum of ``A_ij`` over ordered pairs inside community ``c`` (each undirected
    edge counted twice), ``d_c`` the summed strength of its nodes and ``2m`` the
    sum of all entries of the symmetric adjacency ``A``. Matches
    ``networkx.community.modularity``. NaN for a graph without edges.
    """
    from mutuals.kernels.community import internal_weight

    a = sp.csr_matrix(adj)
    labels = np.asarray(labels)
    if labels.shape != (a.shape[0],):
        raise InputError(f"labels must have one entry per node ({a.shape[0]}), got {labels.shape}")
    m2 = float(a.data.sum())
    if m2 == 0:
        return float("nan")
    _, lab = np.unique(labels, return_inverse=True)
    nc = int(lab.max()) + 1
    e_in = internal_weight(a.indptr, a.indices, a.data.astype(np.float64, copy=False), lab, nc)
    strength = np.asarray(a.sum(axis=1)).ravel()
    d = np.bincount(lab, weights=strength, minlength=nc)
    return float(e_in.sum() / m2 - resolution * ((d / m2) ** 2).sum())


def louvain(
    adj: sp.spmatrix,
    *,
    seed: SeedLike = None,
    resolution: float = 1.0,
    tol: float = 1e-7,
    max_levels: int = 100,
    max_sweeps: int = 1000,
    assume_symmetric: bool = False,
) -> np.ndarray:
    """Louvain community detection (Blondel et al. 2008), seeded.

    Definition: repeat (1) local moving: visit nodes in a random order and move
    each to the neighbouring community that most increases modularity (see
    :func:`modularity`), until a sweep gains less than ``tol``; (2) aggregation:
    merge each community into one node; until a level changes nothing
    (Blondel, Guillaume, Lambiotte & Lefebvre 2008, *J. Stat. Mech.* P10008).
    The node order of each level is a permutation drawn from ``seed``, so the
    result is reproducible. The local-moving step is a Numba kernel
    (:func:`mutuals.kernels.community.louvain_local_moving`).

    Parameters
    ----------
    adj : scipy.sparse matrix
        Symmetric non-negative adjacency.
    seed : int, Generator or None
        Randomness of the node order.
    resolution : float
        ``gamma`` of modularity; > 1 favours smaller communities.
    assume_symmetric : bool
        Skip the check that ``adj`` is symmetric (a transpose of the whole
        matrix): for matrices symmetric by construction, such as
        :attr:`FollowGraph.undirected`.

    Returns
    -------
    numpy.ndarray
        Community of each node, numbered ``0..K-1`` by decreasing size (ties
        by smallest member).
    """
    from mutuals.kernels.community import aggregate_communities, louvain_local_moving

    rng = check_random_state(seed)
    n = adj.shape[0]
    if adj.shape != (n, n):
        raise GraphError("adjacency must be square")
    a = sp.csr_matrix(adj, dtype=np.float64)  # may share the caller's arrays: never edited
    if not a.has_canonical_format:
        a = a.copy()
        a.sum_duplicates()  # also sorts the indices
    if a.nnz and a.data.min() < 0:
        raise GraphError("adjacency weights must be non-negative")
    m2 = float(a.sum())
    if not assume_symmetric and _asymmetry(a) > 1e-9 * max(1.0, m2):
        raise GraphError("louvain needs a symmetric (undirected) adjacency")
    membership = np.arange(n, dtype=np.int64)
    if n == 0 or m2 == 0:
        return _relabel_by_size(membership)
    indptr, indices, data = a.indptr, a.indices, a.data
    unit = bool((data == 1.0).all())  # a 0/1 adjacency (the first level of a projection)
    label_type = np.int32 if n < _INT32_LIMIT else np.int64
    for _ in range(max_levels):
        nl = indptr.size - 1
        strength = np.asarray(
            sp.csr_matrix((data, indices, indptr), shape=(nl, nl)).sum(axis=1)
        ).ravel()
        labels = np.arange(nl, dtype=label_type)
        order = rng.permutation(nl).astype(np.int64)
        gain, _ = louvain_local_moving(
            indptr,
            indices,
            data,
            strength,
            m2,
            order,
            float(resolution),
            labels,
            float(tol),
            int(max_sweeps),
            unit,
        )
        unit = False  # aggregated levels carry weights
        uniq, inv = np.unique(labels, return_inverse=True)
        if uniq.size == nl:
            break
        membership = inv[membership]
        if gain < tol:
            break
        indptr, indices, data = aggregate_communities(indptr, indices, data, inv, int(uniq.size))
    return _relabel_by_size(membership)


def _asymmetry(a: sp.csr_matrix) -> float:
    """``sum |A - A^T|`` of a canonical CSR: the transpose (a counting sort) has
    the same pattern when ``A`` is structurally symmetric, and the entries are
    then compared in place."""
    t = a.T.tocsr()
    if np.array_equal(t.indptr, a.indptr) and np.array_equal(t.indices, a.indices):
        d = t.data if not np.may_share_memory(t.data, a.data) else t.data.copy()
        del t
        d -= a.data  # in place: the transpose is the only copy
        np.abs(d, out=d)
        return float(d.sum())
    return float(abs(a - a.T).sum())


def _relabel_by_size(labels: np.ndarray) -> np.ndarray:
    if labels.size == 0:
        return labels.astype(np.int64)
    _, lab, counts = np.unique(labels, return_inverse=True, return_counts=True)
    first = np.full(counts.size, labels.size, dtype=np.int64)
    np.minimum.at(first, lab, np.arange(labels.size))
    order = np.lexsort((first, -counts))
    new = np.empty(counts.size, dtype=np.int64)
    new[order] = np.arange(counts.size)
    return new[lab]


@dataclass(frozen=True)
class Communities:
    """Communities found in the undirected projection of the follow graph.

    Attributes
    ----------
    labels : numpy.ndarray
        Community of each account (0 = largest).
    sizes : numpy.ndarray
        Accounts per community.
    modularity : float
        Newman modularity of ``labels``.
    method : str
        ``"louvain"``; ``seed`` and ``resolution`` reproduce it.
    """

    labels: np.ndarray = field(repr=False)
    sizes: np.ndarray = field(repr=False)
    modularity: float
    method: str
    seed: int | None
    resolution: float

    @property
    def n_communities(self) -> int:
        return int(self.sizes.size)


def detect_communities(
    graph: FollowGraph, *, seed: int | None = 0, resolution: float = 1.0
) -> Communities:
    """Seeded Louvain communities of the follow graph and their modularity.

    Runs :func:`louvain` on the undirected projection; isolated accounts form
    singleton communities. See :func:`louvain` and :func:`modularity` for the
    definitions (Blondel et al. 2008; Newman 2006).
    """
    adj = graph.undirected
    # symmetric by construction: each row is the union of friends and followers
    labels = louvain(adj, seed=seed, resolution=resolution, assume_symmetric=True)
    sizes = np.bincount(labels) if labels.size else np.zeros(0, dtype=np.int64)
    q = modularity(adj, labels, resolution=resolution) if labels.size else float("nan")
    return Communities(labels, sizes, q, "louvain", seed, resolution)


@dataclass(frozen=True)
class CommunityAssignment:
    """A community label for each account of a :class:`FollowGraph`.

    Attributes
    ----------
    labels : numpy.ndarray
        Community code of each account, -1 when unknown.
    names : list of str
        Name of each code (the data's label, or the Louvain number as a string).
    source : str
        ``"accounts.community"`` (labels the data carries) or ``"louvain"``.
    """

    labels: np.ndarray = field(repr=False)
    names: list[str]
    source: str

    def name_of(self, codes: np.ndarray) -> pa.Array:
        """Community names for codes (null for -1)."""
        names = pa.array(self.names, pa.string())
        codes = np.asarray(codes)
        return names.take(pa.array(np.where(codes < 0, 0, codes), mask=codes < 0))


def assign_communities(
    graph: FollowGraph, accounts: pa.Table, detected: Communities | None = None
) -> CommunityAssignment:
    """Community of each account: from ``accounts.community`` if the data has any, else detected.

    When some account rows carry a ``community`` label, those labels are used
    and accounts without one are unknown (-1); nothing is guessed. Otherwise
    the ``detected`` Louvain communities are used (every account has one).
    """
    n = graph.n_accounts
    if "community" in accounts.column_names and accounts.column("community").null_count < len(
        accounts
    ):
        node = graph.index.lookup(accounts.column("platform"), accounts.column("account_id"))
        codes_list, _, names_arr, _, _ = encode_keys(
            [(accounts.column("platform"), accounts.column("community"))], qualify=False
        )
        code = codes_list[0]
        labels = np.full(n, -1, dtype=np.int64)
        ok = (node >= 0) & (code >= 0)
        # first labelled row of an account wins: assign in reverse order
        labels[node[ok][::-1]] = code[ok][::-1]
        return CommunityAssignment(labels, names_arr.to_pylist(), "accounts.community")
    if detected is None:
        raise InputError("the data carries no accounts.community labels; pass detected communities")
    return CommunityAssignment(
        detected.labels.astype(np.int64),
        [str(i) for i in range(detected.n_communities)],
        "louvain",
    )
