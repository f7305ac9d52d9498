"""Measures of a follow graph too large for memory: out of core, or estimated.

``mutuals analyze`` indexes the whole ``follows`` table in memory
(:func:`mutuals.metrics.graph.follow_graph`). When the follows do not fit,
this module still measures what can be measured without holding them:

- exactly, as DuckDB queries over the store's Parquet files, run with a
  ``memory_limit`` and a ``temp_directory`` so that DuckDB spills to disk:
  in- and out-degree distributions (:func:`degrees`), reciprocity
  (:func:`reciprocity`) and the E-I index of a community label per account
  (:func:`ei_index`), each with the definitions of
  :mod:`mutuals.metrics.graph` and :mod:`mutuals.metrics.isolation`
  (duplicate follows, self-follows and null ends dropped; every account of
  ``accounts`` and every account ``follows`` names counted);
- estimated, with a stated bound: global transitivity and average local
  clustering by wedge sampling (:func:`estimate_clustering`; Seshadhri, Pinar
  & Kolda, "Wedge sampling for computing clustering coefficients and
  triangle counts on large graphs", *Statistical Analysis and Data Mining*
  7:294, 2014), on the undirected projection held as a compact CSR of int32
  ids (:func:`undirected_csr`, 8 bytes per undirected edge, built by a sorted
  query), or, where even that does not fit, with the same draws and the same
  result, each wedge's ends and closure found by DuckDB
  (:func:`estimate_clustering_ooc`: only one degree per account in memory);
- on a part of the graph: Louvain on the subgraph induced by the accounts of
  highest degree that fit in memory (:func:`core_communities`).

:func:`fits_in_memory` says from the row counts alone (Parquet metadata,
nothing read) whether the in-memory analysis fits.

This module reads the store through its Parquet paths only (``store.table_path``),
so it does not import :mod:`mutuals.io` (a peer layer).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import scipy.sparse as sp

from mutuals._random import SeedLike, check_random_state
from mutuals.errors import GraphError, InputError
from mutuals.tables import SCHEMAS

__all__ = [
    "BYTES_BASE",
    "BYTES_PER_ACCOUNT_ROW",
    "BYTES_PER_FOLLOW_ROW",
    "BYTES_PER_POST_ROW",
    "CORE_BYTES_PER_FOLLOW_ROW",
    "ClusteringEstimate",
    "CoreCommunities",
    "Degrees",
    "EdgeCounts",
    "MemoryCheck",
    "OutOfCore",
    "TableFiles",
    "account_degrees_sql",
    "core_communities",
    "degrees",
    "ei_index",
    "estimate_clustering",
    "estimate_clustering_ooc",
    "fits_in_memory",
    "hoeffding_epsilon",
    "reciprocity",
    "undirected_csr",
    "wedges_for",
]


class TableFiles(Protocol):
    """What this module needs of a store: the Parquet file of each table
    (:class:`mutuals.io.store.Store` is one)."""

    def table_path(self, name: str) -> Path: ...


# ----------------------------------------------------------------------------- memory

#: Peak resident bytes of ``mutuals analyze`` per row of each table (posts and
#: interactions alike), and the fixed part (interpreter, libraries, Numba's
#: compiled kernels): a least-squares fit to measured peaks, rounded up (see
#: :func:`fits_in_memory` for the runs and the figures).
BYTES_BASE = 300 * 2**20
BYTES_PER_FOLLOW_ROW = 100
BYTES_PER_POST_ROW = 900
BYTES_PER_ACCOUNT_ROW = 460
#: What the out-of-core route allows per follow row of the subgraph it gives
#: Louvain (half of ``--memory``): indexing it, its projection and Louvain, with
#: room (the 97.5M-follow store at ``--memory 4GB``: 11.8M follows in the
#: subgraph, peak 2.95 GB for the whole command).
CORE_BYTES_PER_FOLLOW_ROW = 170


@dataclass(frozen=True)
class MemoryCheck:
    """Whether the in-memory analysis of a store fits (:func:`fits_in_memory`).

    Attributes
    ----------
    rows : dict of str to int
        Rows of ``accounts``, ``follows``, ``posts`` and ``interactions``.
    need_bytes : int
        Estimated peak memory of the in-memory ``mutuals analyze``.
    memory_bytes : int
        The memory it was compared with.
    fits : bool
        ``need_bytes <= memory_bytes``.
    csr_bytes : int
        Memory of the out-of-core route's largest array, the undirected CSR
        that wedge sampling reads: at most 8 bytes per follow row (int32 ids,
        both directions of each undirected edge) plus 8 per account (more
        when many accounts appear only in ``follows``).
    """

    rows: dict[str, int]
    need_bytes: int
    memory_bytes: int
    fits: bool
    csr_bytes: int


def _rows(store: TableFiles, name: str) -> int:
    path = store.table_path(name)
    if not path.exists():
        return 0
    try:
        return int(pq.ParquetFile(path).metadata.num_rows)
    except (pa.ArrowException, OSError) as e:
        raise InputError(f"{path}: not a readable Parquet file ({e})") from None


def fits_in_memory(store: TableFiles, memory_bytes: int) -> MemoryCheck:
    """Estimate the peak memory of the in-memory analysis from the row counts
    (Parquet metadata: nothing is read) and say whether it fits ``memory_bytes``.

    The estimate is ``BYTES_BASE + BYTES_PER_FOLLOW_ROW * follows +
    BYTES_PER_POST_ROW * (posts + interactions) + BYTES_PER_ACCOUNT_ROW *
    accounts`` = 300 MiB + 100 B per follow + 900 B per post or interaction +
    460 B per account: the least-squares fit (269 MiB, 94 B, 845 B, 436 B;
    every residual within 6.1%) to the peak resident set of ``mutuals analyze
    STORE --in-memory`` (every step at its default) on the first seven stores
    below, rounded up so that the estimate lies 4-16% above each measured peak,
    the two held-out stores included. ``python benchmarks/calibrate_memory.py``
    builds the stores, measures and fits; re-run it when the analysis changes.
    Measured on 3 Dec 2026 (2 cores) with commit dd41fdf:

    ====================================  ==========  =========  =========  =========  ========
    store                                 follows     posts +    accounts   peak       estimate
                                                      interact.
    ====================================  ==========  =========  =========  =========  ========
    ``mutuals simulate --days 1           1,877,233   20,015     20,000     435 MiB    +16.1%
    --seed 1`` (``--accounts`` 20k,       5,657,991   62,230     60,000     840 MiB    +9.4%
    60k, 150k; ~94 follows each)          14,337,465  160,331    150,000    1752 MiB   +6.8%
    posts-heavy (written: 30% of the      200,000     650,066    20,000     853 MiB    +3.8%
    posts reposts, one interaction each)  200,000     2,599,849  20,000     2383 MiB   +7.4%
    accounts-heavy (written: handle,      100,000     0          500,000    494 MiB    +7.1%
    counts, community)                    100,000     0          2,000,000  1108 MiB   +7.1%
    held out: simulated, 200k accounts    19,397,816  202,212    200,000    2263 MiB   +6.5%
    held out: simulated, 1M accounts      97,476,007  1,048,551  1,000,000  10386 MiB  +5.3%
    ====================================  ==========  =========  =========  =========  ========

    The coefficients before (400 MiB, 170 B, 550 B, 450 B, fitted on commit
    5f16d1e, before the follow rows were dropped after indexing) put the
    follows-heavy stores 64-66% above their peaks, and the posts-heavy ones
    8-24% *below* theirs.
    """
    if not isinstance(memory_bytes, int) or isinstance(memory_bytes, bool) or memory_bytes <= 0:
        raise InputError(f"memory_bytes must be a positive integer, got {memory_bytes!r}")
    rows = {n: _rows(store, n) for n in ("accounts", "follows", "posts", "interactions")}
    need = (
        BYTES_BASE
        + BYTES_PER_FOLLOW_ROW * rows["follows"]
        + BYTES_PER_POST_ROW * (rows["posts"] + rows["interactions"])
        + BYTES_PER_ACCOUNT_ROW * rows["accounts"]
    )
    csr = 8 * rows["follows"] + 8 * (rows["accounts"] + 1)
    return MemoryCheck(rows, int(need), int(memory_bytes), need <= memory_bytes, int(csr))


# ----------------------------------------------------------------------------- wedges


def hoeffding_epsilon(samples: int, confidence: float) -> float:
    """Half-width ``eps`` of the Hoeffding bound for ``samples`` draws in [0, 1]:
    ``P(|mean - true| > eps) <= 2 exp(-2 k eps^2) = 1 - confidence``, i.e.
    ``eps = sqrt(ln(2 / delta) / (2 k))`` with ``delta = 1 - confidence``."""
    _check_confidence(confidence)
    if samples <= 0:
        raise InputError(f"samples must be a positive integer, got {samples!r}")
    return math.sqrt(math.log(2.0 / (1.0 - confidence)) / (2.0 * samples))


def wedges_for(epsilon: float, confidence: float) -> int:
    """Wedges ``k = ceil(ln(2 / delta) / (2 eps^2))`` that bound the error by
    ``epsilon`` with probability ``confidence = 1 - delta`` (Seshadhri, Pinar &
    Kolda 2014, Theorem 1)."""
    _check_confidence(confidence)
    if not (isinstance(epsilon, int | float) and 0 < epsilon < 1):
        raise InputError(f"epsilon must be a number in (0, 1), got {epsilon!r}")
    return math.ceil(math.log(2.0 / (1.0 - confidence)) / (2.0 * epsilon**2))


def _check_confidence(confidence: float) -> None:
    if not (isinstance(confidence, int | float) and 0 < confidence < 1):
        raise InputError(f"confidence must be a number in (0, 1), got {confidence!r}")


@dataclass(frozen=True)
class ClusteringEstimate:
    """Clustering of the undirected projection estimated by wedge sampling.

    Attributes
    ----------
    transitivity, average : float
        Estimates of the global transitivity ``3 T / W`` and of the mean local
        clustering over all nodes (0 for degree < 2), the definitions of
        :func:`mutuals.metrics.graph.clustering`; NaN without wedges.
    transitivity_interval, average_interval : tuple of float
        ``estimate -/+ epsilon`` (for the average, ``epsilon * share_degree_2``),
        clipped to [0, 1]: the true value lies inside with probability at least
        ``confidence``, each on its own.
    triangles, triangles_interval : float, tuple
        Triangles implied, ``transitivity * wedges / 3``, and its interval.
    samples : int
        Wedges drawn for each estimate.
    confidence, epsilon : float
        ``1 - delta`` and the Hoeffding half-width ``sqrt(ln(2/delta) / (2 samples))``.
    wedges : int
        Wedges of the graph, ``sum d (d - 1) / 2`` (exact).
    nodes, nodes_degree_2, edges : int
        Nodes, nodes of degree >= 2 and undirected edges (exact).
    """

    transitivity: float
    transitivity_interval: tuple[float, float]
    average: float
    average_interval: tuple[float, float]
    triangles: float
    triangles_interval: tuple[float, float]
    samples: int
    confidence: float
    epsilon: float
    wedges: int
    nodes: int
    nodes_degree_2: int
    edges: int

    METHOD = (
        "wedge sampling (Seshadhri, Pinar & Kolda 2014): transitivity is the share "
        "closed of wedges drawn uniformly (centre with probability proportional to "
        "d(d-1)/2, then two distinct neighbours uniformly); average clustering is the "
        "share closed of one uniform wedge at each of nodes drawn uniformly among those "
        "of degree >= 2, times their share of all nodes"
    )

    @property
    def bound(self) -> str:
        """The guarantee, in words."""
        return (
            f"Hoeffding: with {self.samples:,} wedges, |estimate - true| <= {self.epsilon:.4g} "
            f"with probability >= {self.confidence:g} (k = ceil(ln(2/delta) / (2 eps^2)), "
            "Seshadhri, Pinar & Kolda 2014, Theorem 1); for the average, the bound is "
            "scaled by the share of nodes of degree >= 2"
        )


def _csr_parts(adj: sp.spmatrix | tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(adj, tuple):
        indptr, indices = (np.asarray(a) for a in adj)
    else:
        m = sp.csr_matrix(adj)
        if m.shape[0] != m.shape[1]:
            raise GraphError("adjacency must be square")
        if m.nnz and m.diagonal().any():
            raise GraphError("wedge sampling needs an adjacency without loops")
        if not m.has_sorted_indices:
            m = m.sorted_indices()
        indptr, indices = m.indptr, m.indices
    if indptr.ndim != 1 or indptr.size == 0 or indices.ndim != 1 or indptr[-1] != indices.size:
        raise GraphError("not a CSR: indptr must end at len(indices)")
    return indptr.astype(np.int64, copy=False), indices


def estimate_clustering(
    adj: sp.spmatrix | tuple[np.ndarray, np.ndarray],
    samples: int,
    seed: SeedLike,
    confidence: float = 0.95,
) -> ClusteringEstimate:
    """Global transitivity and average local clustering by wedge sampling.

    Parameters
    ----------
    adj : scipy.sparse matrix or (indptr, indices)
        Symmetric 0/1 adjacency without loops (the undirected projection,
        :func:`mutuals.metrics.graph.undirected_adjacency`), or its CSR arrays
        with each neighbour list sorted ascending (:func:`undirected_csr`).
    samples : int
        Wedges per estimate, ``k``; :func:`wedges_for` gives the ``k`` of an error.
    seed : int, Generator or None
        Randomness of the draws (all drawn here, in a fixed order: centres,
        first and second neighbour of the global sample, then of the local one).
    confidence : float
        ``1 - delta`` of the stated bound.

    Definition (Seshadhri, Pinar & Kolda 2014, sec. 4): draw ``k`` wedges
    uniformly (centre ``v`` with probability ``d_v (d_v - 1) / 2W``, then a
    uniform pair of its neighbours); the share closed estimates the
    transitivity ``3T / W``. Draw ``k`` nodes uniformly among those of degree
    >= 2 and one uniform wedge at each; the share closed estimates their mean
    local clustering, and times their share of all nodes, the mean over all
    nodes (nodes of degree < 2 have clustering 0). Each share is a mean of
    ``k`` independent 0/1 draws, so by Hoeffding's inequality it is within
    ``eps = sqrt(ln(2/delta) / (2k))`` of its expectation with probability
    ``>= 1 - delta``. The closure test is the Numba kernel
    :func:`mutuals.kernels.wedges.closed_wedges_by_weight` (and
    :func:`~mutuals.kernels.wedges.closed_wedges_at`): the same draws give the
    same result at any thread count.
    """
    from mutuals.kernels.wedges import closed_wedges_at, closed_wedges_by_weight

    if not isinstance(samples, int) or isinstance(samples, bool) or samples <= 0:
        raise InputError(f"samples must be a positive integer, got {samples!r}")
    hoeffding_epsilon(samples, confidence)  # checks confidence
    indptr, indices = _csr_parts(adj)
    deg = np.diff(indptr)
    d = _WedgeDraws.make(deg, samples, check_random_state(seed))
    if d is None:
        return _estimate(deg, samples, confidence, None, None)
    cum = np.cumsum(deg * (deg - 1) // 2)
    closed = closed_wedges_by_weight(indptr, indices, cum, d.draw, d.u1, d.u2)
    local = closed_wedges_at(indptr, indices, d.centres, d.v1, d.v2)
    return _estimate(deg, samples, confidence, closed, local)


@dataclass(frozen=True)
class _WedgeDraws:
    """The random numbers of :func:`estimate_clustering`, drawn in one order:
    ``draw, u1, u2`` (the global sample), then the local sample's centres
    (uniform among nodes of degree >= 2), ``v1, v2``."""

    draw: np.ndarray
    u1: np.ndarray
    u2: np.ndarray
    centres: np.ndarray
    v1: np.ndarray
    v2: np.ndarray

    @staticmethod
    def make(deg: np.ndarray, samples: int, rng: np.random.Generator) -> _WedgeDraws | None:
        total = int((deg * (deg - 1) // 2).sum())
        if total == 0:
            return None  # nothing drawn
        eligible = np.flatnonzero(deg >= 2)
        draw = rng.integers(0, total, size=samples, dtype=np.int64)
        u1 = rng.random(samples)
        u2 = rng.random(samples)
        centres = eligible[rng.integers(0, eligible.size, size=samples, dtype=np.int64)]
        return _WedgeDraws(draw, u1, u2, centres, rng.random(samples), rng.random(samples))


def _estimate(
    deg: np.ndarray,
    samples: int,
    confidence: float,
    closed: np.ndarray | None,
    local_closed: np.ndarray | None,
) -> ClusteringEstimate:
    """The estimates and intervals from the closure of each drawn wedge."""
    eps = hoeffding_epsilon(samples, confidence)
    n = int(deg.size)
    total = int((deg * (deg - 1) // 2).sum())
    n2 = int((deg >= 2).sum())
    nan = float("nan")
    if closed is None or local_closed is None:
        return ClusteringEstimate(
            nan, (nan, nan), 0.0 if n else nan, (0.0, 0.0) if n else (nan, nan), 0.0,
            (0.0, 0.0), samples, float(confidence), eps, 0, n, 0, int(deg.sum()) // 2,
        )  # fmt: skip
    trans = float(closed.sum()) / samples
    local = float(local_closed.sum()) / samples
    share = n2 / n
    t_lo, t_hi = max(0.0, trans - eps), min(1.0, trans + eps)
    a_lo, a_hi = max(0.0, local - eps) * share, min(1.0, local + eps) * share
    return ClusteringEstimate(
        transitivity=trans,
        transitivity_interval=(t_lo, t_hi),
        average=local * share,
        average_interval=(a_lo, a_hi),
        triangles=trans * total / 3,
        triangles_interval=(t_lo * total / 3, t_hi * total / 3),
        samples=samples,
        confidence=float(confidence),
        epsilon=eps,
        wedges=total,
        nodes=n,
        nodes_degree_2=n2,
        edges=int(deg.sum()) // 2,
    )


def _positions(deg_c: np.ndarray, u1: np.ndarray, u2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two neighbour positions the kernels pick from ``u1``, ``u2`` at
    centres of degree ``deg_c`` (the same float arithmetic, so the same picks)."""
    i = np.minimum((u1 * deg_c).astype(np.int64), deg_c - 1)
    j = np.minimum((u2 * (deg_c - 1)).astype(np.int64), deg_c - 2)
    j = j + (j >= i)
    return i, j


# ----------------------------------------------------------------------------- DuckDB


def _sql_str(path: Path) -> str:
    return str(path).replace("'", "''")


def _size(nbytes: int) -> str:
    return f"{max(1, nbytes // 2**20)}MiB"


class OutOfCore:
    """A DuckDB connection over a store's Parquet files, spilling to disk.

    ``accounts`` and ``follows`` are views of the files (``accounts`` with its
    row number, ``_row``). :meth:`prepare` then materialises, in a database
    file under ``temp_directory``, ``nodes (platform, account_id, node,
    listed)``: every account of ``accounts`` or ``follows``, numbered in
    order of ``(platform, account_id)``; and ``edges (src, dst)``: the distinct
    follows between two different accounts, as node numbers. Every query
    afterwards runs on these integer tables.

    Parameters
    ----------
    store : TableFiles
        The store (its ``table_path``).
    temp_directory : path
        An existing folder for DuckDB's database file and spill files (the
        caller removes it; :meth:`close` closes the connection).
    memory_limit : int
        DuckDB's ``memory_limit``, in bytes.
    threads : int, optional
        DuckDB's threads (default: DuckDB's, one per core). Every figure is an
        integer count or computed from counts in numpy, so it does not depend
        on the thread count.
    """

    def __init__(
        self,
        store: TableFiles,
        temp_directory: Path,
        memory_limit: int,
        threads: int | None = None,
    ) -> None:
        import duckdb

        self.temp_directory = Path(temp_directory)
        self.con = duckdb.connect(str(self.temp_directory / "outofcore.duckdb"))
        self.con.execute(f"SET memory_limit = '{_size(memory_limit)}'")
        self.con.execute(f"SET temp_directory = '{_sql_str(self.temp_directory / 'spill')}'")
        self.con.execute("SET preserve_insertion_order = false")
        if threads is not None:
            self.con.execute(f"SET threads = {int(threads)}")
        for name in ("accounts", "follows"):
            path = store.table_path(name)
            if path.exists():
                src = f"read_parquet('{_sql_str(path)}'{', file_row_number = true' if name == 'accounts' else ''})"
                cols = (
                    "* EXCLUDE (file_row_number), file_row_number AS _row"
                    if name == "accounts"
                    else "*"
                )
                self.con.execute(f"CREATE VIEW {name} AS SELECT {cols} FROM {src}")
            else:
                empty = SCHEMAS[name].empty_table()
                if name == "accounts":
                    empty = empty.append_column("_row", pa.array([], pa.int64()))
                self.con.register(f"_{name}_empty", empty)
                self.con.execute(f"CREATE VIEW {name} AS SELECT * FROM _{name}_empty")
        self.counts: EdgeCounts | None = None

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> OutOfCore:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def scalar(self, sql: str) -> Any:
        rows = self.con.execute(sql).fetchall()  # fetched to the end: the result is closed
        return rows[0][0] if rows else None

    def arrow(self, sql: str) -> pa.Table:
        """The query's result as a :class:`pyarrow.Table` (through the relation
        API: DuckDB 2's DB-API result does not keep ``ORDER BY`` in Arrow)."""
        rel = self.con.sql(sql)
        fetch = getattr(rel, "to_arrow_table", None) or rel.arrow  # duckdb 2, or 1
        t: pa.Table = fetch()
        return t

    def batches(self, sql: str, rows: int) -> Any:
        """A :class:`pyarrow.RecordBatchReader` of the query's result, in order."""
        rel = self.con.sql(sql)
        if hasattr(rel, "to_arrow_reader"):  # duckdb 2
            return rel.to_arrow_reader(rows)
        return rel.fetch_arrow_reader(rows)

    def prepare(self) -> EdgeCounts:
        """Number the accounts and keep the distinct follows as integers
        (idempotent); returns the counts of :class:`EdgeCounts`."""
        if self.counts is not None:
            return self.counts
        c = self.con
        c.execute(
            """
            CREATE TABLE nodes AS
            WITH refs AS (
                SELECT platform, account_id, true AS listed FROM accounts
                UNION ALL SELECT platform, follower_id, false FROM follows
                UNION ALL SELECT platform, friend_id, false FROM follows
            )
            SELECT platform, account_id,
                   (row_number() OVER (ORDER BY platform, account_id) - 1)::BIGINT AS node,
                   listed
            FROM (SELECT platform, account_id, bool_or(listed) AS listed FROM refs
                  WHERE platform IS NOT NULL AND account_id IS NOT NULL
                  GROUP BY platform, account_id)
            """
        )
        rows, null, self_ = c.execute(
            """
            SELECT count(*),
                   count(*) FILTER (WHERE platform IS NULL OR follower_id IS NULL
                                    OR friend_id IS NULL),
                   count(*) FILTER (WHERE platform IS NOT NULL AND follower_id = friend_id)
            FROM follows
            """
        ).fetchall()[0]
        c.execute(
            """
            CREATE TABLE edges AS
            SELECT DISTINCT a.node AS src, b.node AS dst
            FROM follows f
            JOIN nodes a ON a.platform = f.platform AND a.account_id = f.follower_id
            JOIN nodes b ON b.platform = f.platform AND b.account_id = f.friend_id
            WHERE f.follower_id <> f.friend_id
            """
        )
        n, listed = c.execute(
            "SELECT count(*), count(*) FILTER (WHERE listed) FROM nodes"
        ).fetchall()[0]
        edges = int(self.scalar("SELECT count(*) FROM edges") or 0)
        ok = int(rows) - int(null) - int(self_)
        self.counts = EdgeCounts(
            accounts=int(n),
            accounts_listed=int(listed),
            follow_rows=int(rows),
            follows=edges,
            duplicates=ok - edges,
            self_follows=int(self_),
            null=int(null),
        )
        return self.counts


@dataclass(frozen=True)
class EdgeCounts:
    """Accounts and follows of a store, counted as
    :func:`mutuals.metrics.graph.follow_graph` counts them.

    Attributes
    ----------
    accounts : int
        Distinct accounts of ``accounts`` or named by ``follows``.
    accounts_listed : int
        Of those, the ones with an ``accounts`` row.
    follow_rows, follows : int
        Rows of ``follows``, and distinct follows between two accounts.
    duplicates, self_follows, null : int
        Rows dropped as repeats, self-follows, or with a null end.
    """

    accounts: int
    accounts_listed: int
    follow_rows: int
    follows: int
    duplicates: int
    self_follows: int
    null: int


def reciprocity(db: OutOfCore) -> Any:
    """:func:`mutuals.metrics.graph.reciprocity` as a query: the share of
    distinct follows ``u -> v`` (no self-follows) whose reverse ``v -> u`` is
    also a follow, and ``rho`` against the density ``L / (N (N - 1))`` over
    every account. Returns a :class:`mutuals.metrics.graph.Reciprocity`."""
    from mutuals.metrics.graph import Reciprocity

    counts = db.prepare()
    n, L = counts.accounts, counts.follows
    if L == 0:
        return Reciprocity(0, 0, 0, float("nan"), 0.0, float("nan"))
    mutual = int(
        db.scalar(
            "SELECT count(*) FROM (SELECT least(src, dst) AS a, greatest(src, dst) AS b "
            "FROM edges GROUP BY a, b HAVING count(*) = 2)"
        )
        or 0
    )
    recip = 2 * mutual
    r = recip / L
    a = L / (n * (n - 1)) if n > 1 else 0.0
    rho = (r - a) / (1 - a) if a < 1 else float("nan")
    return Reciprocity(L, recip, recip // 2, r, a, rho)


@dataclass(frozen=True)
class Degrees:
    """In- and out-degree distributions, counted out of core.

    Attributes
    ----------
    table : pyarrow.Table
        ``degree, accounts_in, accounts_out``: accounts with each degree (zeros
        included; the table of ``degree_distribution.parquet``).
    in_degree, out_degree : numpy.ndarray
        Every account's degree, sorted (one int64 per account: the histogram
        expanded, for :func:`mutuals.metrics.graph.degree_summary`).
    """

    table: pa.Table
    in_degree: np.ndarray = field(repr=False)
    out_degree: np.ndarray = field(repr=False)


def degrees(db: OutOfCore) -> Degrees:
    """Followers (in-degree) and friends (out-degree) of every account over the
    distinct follows, as a histogram counted by DuckDB; accounts without a
    follow have degree 0."""
    counts = db.prepare()
    n = counts.accounts
    hist = {}
    for key, col in (("in", "dst"), ("out", "src")):
        t = db.arrow(
            f"SELECT d, count(*) AS c FROM (SELECT count(*) AS d FROM edges GROUP BY {col}) "
            "GROUP BY d ORDER BY d"
        )
        d = t.column("d").to_numpy().astype(np.int64)
        c = t.column("c").to_numpy().astype(np.int64)
        zeros = n - int(c.sum())
        if zeros:
            d, c = np.concatenate([[0], d]), np.concatenate([[zeros], c])
        hist[key] = (d, c)
    top = int(max([0, *[h[0].max(initial=0) for h in hist.values()]]))
    ci = np.zeros(top + 1, dtype=np.int64)
    co = np.zeros(top + 1, dtype=np.int64)
    ci[hist["in"][0]] = hist["in"][1]
    co[hist["out"][0]] = hist["out"][1]
    keep = (ci > 0) | (co > 0)
    table = pa.table(
        {
            "degree": pa.array(np.flatnonzero(keep).astype(np.int64)),
            "accounts_in": pa.array(ci[keep]),
            "accounts_out": pa.array(co[keep]),
        }
    )
    return Degrees(
        table,
        np.repeat(hist["in"][0], hist["in"][1]),
        np.repeat(hist["out"][0], hist["out"][1]),
    )


def account_degrees_sql() -> str:
    """A query of every account's ``platform, account_id, in_degree, out_degree``
    (in order of ``platform, account_id``), for ``COPY ... TO`` a Parquet file."""
    return """
        SELECT n.platform, n.account_id, n.listed,
               coalesce(i.d, 0)::BIGINT AS in_degree, coalesce(o.d, 0)::BIGINT AS out_degree
        FROM nodes n
        LEFT JOIN (SELECT dst AS node, count(*) AS d FROM edges GROUP BY dst) i USING (node)
        LEFT JOIN (SELECT src AS node, count(*) AS d FROM edges GROUP BY src) o USING (node)
        ORDER BY n.node
    """


def ei_index(db: OutOfCore, labels: pa.Table | None = None) -> Any:
    """:func:`mutuals.metrics.isolation.ei_index` as a query.

    ``labels`` (``platform, account_id, community``) gives each account's
    community, names in order of first appearance; without it, the labels
    the data carries: ``accounts.community``, the first non-null row of an
    account winning, names in order of first appearance in ``accounts``
    (:func:`mutuals.metrics.graph.assign_communities`). Follows with an end
    of unknown community are left out and counted. Returns a
    :class:`mutuals.metrics.isolation.EIIndex`, or None when no account has
    a label.
    """
    from mutuals.metrics.isolation import EIIndex

    counts = db.prepare()
    c = db.con
    c.execute("DROP TABLE IF EXISTS labels")
    c.execute("DROP TABLE IF EXISTS names")
    if labels is None:
        c.execute(
            "CREATE TABLE names AS SELECT community AS name, "
            "(row_number() OVER (ORDER BY min(_row)) - 1)::BIGINT AS code "
            "FROM accounts WHERE community IS NOT NULL GROUP BY community"
        )
        c.execute(
            """
            CREATE TABLE labels AS
            SELECT n.node, m.code
            FROM (SELECT platform, account_id, arg_min(community, _row) AS community
                  FROM accounts WHERE community IS NOT NULL GROUP BY platform, account_id) a
            JOIN nodes n USING (platform, account_id)
            JOIN names m ON m.name = a.community
            """
        )
    else:
        for col in ("platform", "account_id", "community"):
            if col not in labels.column_names:
                raise InputError(f"labels lack column {col!r} (platform, account_id, community)")
        tab = labels.select(["platform", "account_id", "community"]).append_column(
            "_row", pa.array(np.arange(labels.num_rows, dtype=np.int64))
        )
        c.register("_labels_in", tab)
        c.execute(
            "CREATE TABLE names AS SELECT community AS name, "
            "(row_number() OVER (ORDER BY min(_row)) - 1)::BIGINT AS code "
            "FROM _labels_in WHERE community IS NOT NULL GROUP BY community"
        )
        c.execute(
            """
            CREATE TABLE labels AS
            SELECT n.node, m.code
            FROM (SELECT platform, account_id, arg_min(community, _row) AS community
                  FROM _labels_in WHERE community IS NOT NULL GROUP BY platform, account_id) a
            JOIN nodes n USING (platform, account_id)
            JOIN names m ON m.name = a.community
            """
        )
        c.unregister("_labels_in")
    names = [str(x) for x in db.arrow("SELECT name FROM names ORDER BY code").column(0).to_pylist()]
    k = int(db.scalar("SELECT coalesce(max(code) + 1, 0) FROM labels") or 0)
    if k == 0:
        return None
    mem = db.arrow("SELECT code, count(*) AS c FROM labels GROUP BY code")
    members = np.zeros(k, dtype=np.int64)
    members[mem.column(0).to_numpy()] = mem.column(1).to_numpy()
    pairs = db.arrow(
        "SELECT ls.code AS a, lt.code AS b, count(*) AS c FROM edges e "
        "JOIN labels ls ON ls.node = e.src JOIN labels lt ON lt.node = e.dst GROUP BY ALL"
    )
    a = pairs.column("a").to_numpy().astype(np.int64)
    b = pairs.column("b").to_numpy().astype(np.int64)
    w = pairs.column("c").to_numpy().astype(np.int64)
    inside = a == b
    internal = np.bincount(a[inside], weights=w[inside], minlength=k).astype(np.int64)
    external = (
        np.bincount(a[~inside], weights=w[~inside], minlength=k)
        + np.bincount(b[~inside], weights=w[~inside], minlength=k)
    ).astype(np.int64)
    n_int = int(internal.sum())
    n_ext = int(w[~inside].sum())
    tot = internal + external
    ei_c = np.divide(
        (external - internal).astype(float), tot, out=np.full(k, np.nan), where=tot > 0
    )
    per = pa.table(
        {
            "community": pa.array(names[:k], pa.string()),
            "members": pa.array(members),
            "internal": pa.array(internal),
            "external": pa.array(external),
            "ei": pa.array(ei_c),
        }
    )
    ei = (n_ext - n_int) / (n_ext + n_int) if n_ext + n_int else float("nan")
    return EIIndex(float(ei), n_ext, n_int, counts.follows - int(w.sum()), per)


def undirected_csr(db: OutOfCore, batch_rows: int = 1 << 20) -> tuple[np.ndarray, np.ndarray]:
    """The undirected projection as CSR arrays ``(indptr, indices)`` over the
    node numbers of :meth:`OutOfCore.prepare`, neighbour lists sorted; built by
    a sorted query streamed in batches, so the only arrays in memory are the
    CSR itself (int64 ``indptr``, int32 ``indices`` below 2^31 nodes)."""
    counts = db.prepare()
    n = counts.accounts
    sym = "(SELECT DISTINCT least(src, dst) AS a, greatest(src, dst) AS b FROM edges) AS u"
    both = f"SELECT a AS s, b AS t FROM {sym} UNION ALL SELECT b, a FROM {sym}"
    db.con.execute(f"CREATE OR REPLACE TABLE und AS {both}")
    deg = db.arrow("SELECT s, count(*) AS d FROM und GROUP BY s")
    d = np.zeros(n, dtype=np.int64)
    d[deg.column("s").to_numpy()] = deg.column("d").to_numpy()
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(d, out=indptr[1:])
    dtype = np.int32 if n < 2**31 else np.int64
    indices = np.empty(int(indptr[-1]), dtype=dtype)
    reader = db.batches("SELECT s, t FROM und ORDER BY s, t", batch_rows)
    pos = 0
    last = (-1, -1)
    for batch in reader:
        src = batch.column(0).to_numpy()
        col = batch.column(1).to_numpy()
        if src.size == 0:
            continue
        # the order is checked, not assumed: a neighbour list must be sorted
        ds = np.diff(src)
        if (
            (src[0], col[0]) <= last
            or (ds < 0).any()
            or ((ds == 0) & (np.diff(col) <= 0)).any()
            or pos + col.size > indices.size
        ):
            raise GraphError("undirected CSR: DuckDB returned the edges out of order")
        indices[pos : pos + col.size] = col
        pos += col.size
        last = (int(src[-1]), int(col[-1]))
    db.con.execute("DROP TABLE und")
    if pos != indices.size:
        raise GraphError(f"undirected CSR: read {pos} neighbours, expected {indices.size}")
    return indptr, indices


def estimate_clustering_ooc(
    db: OutOfCore, samples: int, seed: SeedLike, confidence: float = 0.95
) -> ClusteringEstimate:
    """:func:`estimate_clustering` without the graph in memory: the same draws,
    the same wedges and the same result as on :func:`undirected_csr`'s arrays,
    with each wedge's ends and closure found by DuckDB.

    Only the undirected degrees (one int64 per account) and the draws are held;
    the distinct undirected pairs are a table on disk. A wedge's ends are the
    ``i``-th and ``j``-th neighbour of its centre in ascending order (a window
    over the neighbours of the sampled centres only) and its closure a join of
    the pair of ends with the undirected pairs.
    """
    if not isinstance(samples, int) or isinstance(samples, bool) or samples <= 0:
        raise InputError(f"samples must be a positive integer, got {samples!r}")
    hoeffding_epsilon(samples, confidence)  # checks confidence
    counts = db.prepare()
    c = db.con
    c.execute(
        "CREATE TABLE IF NOT EXISTS upairs AS "
        "SELECT DISTINCT least(src, dst) AS a, greatest(src, dst) AS b FROM edges"
    )
    t = db.arrow(
        "SELECT node, count(*) AS d FROM "
        "(SELECT a AS node FROM upairs UNION ALL SELECT b FROM upairs) GROUP BY node"
    )
    deg = np.zeros(counts.accounts, dtype=np.int64)
    deg[t.column("node").to_numpy()] = t.column("d").to_numpy()
    del t
    d = _WedgeDraws.make(deg, samples, check_random_state(seed))
    if d is None:
        return _estimate(deg, samples, confidence, None, None)
    cum = np.cumsum(deg * (deg - 1) // 2)
    closed = []
    for centres, u1, u2 in (
        (np.searchsorted(cum, d.draw, side="right"), d.u1, d.u2),
        (d.centres, d.v1, d.v2),
    ):
        i, j = _positions(deg[centres], u1, u2)
        sample = pa.table(
            {
                "s": pa.array(np.arange(samples, dtype=np.int64)),
                "c": pa.array(centres.astype(np.int64)),
                "i": pa.array(i),
                "j": pa.array(j),
            }
        )
        c.register("_wedges", sample)
        got = db.arrow(
            """
            WITH cs AS (SELECT DISTINCT c FROM _wedges),
            nb AS (
                SELECT a AS c, b AS x FROM upairs WHERE a IN (SELECT c FROM cs)
                UNION ALL SELECT b AS c, a AS x FROM upairs WHERE b IN (SELECT c FROM cs)
            ),
            ranked AS (
                SELECT c, x, (row_number() OVER (PARTITION BY c ORDER BY x) - 1)::BIGINT AS pos
                FROM nb
            ),
            ends AS (
                SELECT w.s, ra.x AS a, rb.x AS b FROM _wedges w
                JOIN ranked ra ON ra.c = w.c AND ra.pos = w.i
                JOIN ranked rb ON rb.c = w.c AND rb.pos = w.j
            )
            SELECT e.s, (p.a IS NOT NULL) AS closed FROM ends e
            LEFT JOIN upairs p ON p.a = least(e.a, e.b) AND p.b = greatest(e.a, e.b)
            ORDER BY e.s
            """
        )
        c.unregister("_wedges")
        if got.num_rows != samples:
            raise GraphError(f"wedge sampling: found {got.num_rows} of {samples} wedges")
        closed.append(got.column("closed").to_numpy(zero_copy_only=False).astype(np.uint8))
    return _estimate(deg, samples, confidence, closed[0], closed[1])


@dataclass(frozen=True)
class CoreCommunities:
    """Louvain communities of the subgraph induced by the highest-degree accounts.

    Attributes
    ----------
    labels : pyarrow.Table
        ``platform, account_id, community`` of each account of the subgraph
        (community 0 is the largest).
    accounts, follows : int
        Accounts and distinct follows of the subgraph.
    max_follows : int
        The bound it was chosen under (its follows never exceed it).
    min_degree : int
        The smallest total degree (followers + friends) of an account in it.
    communities : Communities
        :func:`mutuals.metrics.graph.detect_communities` on the subgraph.
    """

    labels: pa.Table = field(repr=False)
    accounts: int
    follows: int
    max_follows: int
    min_degree: int
    communities: Any = field(repr=False)


def core_communities(
    db: OutOfCore, max_follows: int, *, seed: int = 0, resolution: float = 1.0
) -> CoreCommunities:
    """Louvain (:func:`mutuals.metrics.graph.detect_communities`) on the subgraph
    induced by the accounts of highest total degree whose follows fit.

    Accounts are ranked by total degree (followers + friends over the
    distinct follows; ties by ``platform, account_id``) and the subgraph is
    the longest prefix of that ranking whose induced follows are at most
    ``max_follows``: a follow enters the subgraph with the later-ranked of its
    two ends, so one pass counts the follows each prefix holds. Its accounts
    and follows are read into memory in a fixed order and measured as the
    in-memory analysis measures a graph; on a graph whose follows all fit, it
    is the whole graph with its accounts that have a follow.
    """
    from mutuals.metrics.graph import detect_communities, follow_graph

    if not isinstance(max_follows, int) or max_follows < 0:
        raise InputError(f"max_follows must be a non-negative integer, got {max_follows!r}")
    db.prepare()
    c = db.con
    c.execute("DROP TABLE IF EXISTS ranked")
    c.execute("DROP TABLE IF EXISTS core")
    c.execute(
        """
        CREATE TABLE ranked AS
        WITH deg AS (
            SELECT node, count(*) AS d FROM
                (SELECT src AS node FROM edges UNION ALL SELECT dst FROM edges)
            GROUP BY node
        )
        SELECT d.node, d.d, n.platform, n.account_id,
               row_number() OVER (ORDER BY d.d DESC, n.platform, n.account_id) AS rank
        FROM deg d JOIN nodes n USING (node)
        """
    )
    # the first rank whose prefix holds more than max_follows follows; the core
    # is every rank before it
    over = db.scalar(
        f"""
        WITH entered AS (
            SELECT greatest(a.rank, b.rank) AS r, count(*) AS k
            FROM edges e JOIN ranked a ON a.node = e.src JOIN ranked b ON b.node = e.dst
            GROUP BY r
        ), held AS (
            SELECT r, sum(k) OVER (ORDER BY r ROWS UNBOUNDED PRECEDING) AS total FROM entered
        )
        SELECT min(r) FROM held WHERE total > {int(max_follows)}
        """
    )
    last = int(over) - 1 if over is not None else int(db.scalar("SELECT count(*) FROM ranked"))
    c.execute(f"CREATE TABLE core AS SELECT * FROM ranked WHERE rank <= {last}")
    c.execute("DROP TABLE ranked")
    acc = db.arrow("SELECT platform, account_id FROM core ORDER BY rank")
    fol = db.arrow(
        "SELECT a.platform, a.account_id AS follower_id, b.account_id AS friend_id "
        "FROM edges e JOIN core a ON a.node = e.src JOIN core b ON b.node = e.dst "
        "ORDER BY a.rank, b.rank"
    )
    min_deg = int(db.scalar("SELECT coalesce(min(d), 0) FROM core") or 0)
    g = follow_graph(acc, fol)
    comm = detect_communities(g, seed=seed, resolution=resolution)
    labels = pa.table(
        {
            "platform": g.index.platform,
            "account_id": g.index.account_id,
            "community": pa.array([str(x) for x in comm.labels.tolist()], pa.string()),
        }
    )
    return CoreCommunities(labels, g.n_accounts, g.n_follows, max_follows, min_deg, comm)
