"""The out-of-core measures (DuckDB over a store's Parquet files) equal the
in-memory ones of metrics.graph and metrics.isolation on small stores, and
fits_in_memory reads the row counts it is given."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mutuals.errors import InputError
from mutuals.io.store import open_store, write_store
from mutuals.metrics import graph as mg
from mutuals.metrics import isolation as mi
from mutuals.metrics import outofcore as oc


def _same(a: pa.Table, b: pa.Table) -> bool:
    """Tables equal, NaN equal to NaN."""

    def rows(t: pa.Table) -> list[list[object]]:
        return [[None if isinstance(x, float) and math.isnan(x) else x for x in c.to_pylist()]
                for c in t.columns]  # fmt: skip

    return a.schema.equals(b.schema) and rows(a) == rows(b)


def _hand_tables() -> dict[str, pa.Table]:
    """Duplicates, a self-follow, accounts only in follows, an account without
    follows, an account whose first row has no community, one with two labels."""
    accounts = pa.table(
        {
            "platform": ["x"] * 7,
            "account_id": ["a", "b", "c", "d", "a", "lonely", "e"],
            "community": [None, "left", "right", "right", "left", "centre", "right"],
        }
    )
    edges = [("a", "b"), ("b", "a"), ("a", "b"), ("b", "c"), ("c", "b"), ("c", "d"), ("d", "c")]
    edges += [("d", "d"), ("f", "a"), ("a", "f"), ("g", "c"), ("e", "a"), ("a", "e"), ("b", "e")]
    follows = pa.table(
        {
            "platform": ["x"] * len(edges),
            "follower_id": [u for u, _ in edges],
            "friend_id": [v for _, v in edges],
        }
    )
    return {"accounts": accounts, "follows": follows}


def _random_tables(seed: int, platforms: tuple[str, ...] = ("x",)) -> dict[str, pa.Table]:
    rng = np.random.default_rng(seed)
    n, m = 300, 4000
    plat = np.array(platforms)[rng.integers(0, len(platforms), n)]
    ids = np.array([f"u{i}" for i in range(n)])
    listed = rng.random(n) < 0.8  # the rest appear only in follows
    comm = np.array(["p", "q", "r", "s"])[rng.integers(0, 4, n)].astype(object)
    comm[rng.random(n) < 0.1] = None
    # a hub followed by many and reciprocity from pairs both ways
    u = np.concatenate([rng.integers(0, n, m), rng.integers(0, n, 300)])
    v = np.concatenate([rng.integers(0, n, m), np.zeros(300, dtype=np.int64)])
    back = rng.random(u.size) < 0.3
    u, v = np.concatenate([u, v[back]]), np.concatenate([v, u[back]])
    same = plat[u] == plat[v]
    u, v = u[same], v[same]
    rows = np.flatnonzero(listed)
    accounts = pa.table(
        {
            "platform": plat[rows],
            "account_id": ids[rows],
            "community": pa.array(comm[rows], pa.string()),
        }
    )
    follows = pa.table({"platform": plat[u], "follower_id": ids[u], "friend_id": ids[v]})
    return {"accounts": accounts, "follows": follows}


CASES = {
    "hand": _hand_tables,
    "random": lambda: _random_tables(1),
    "two_platforms": lambda: _random_tables(2, ("x", "bluesky")),
}


@pytest.fixture(params=sorted(CASES))
def case(request, tmp_path):
    tables = CASES[request.param]()
    store = open_store(write_store(tmp_path / "store", tables).path)
    g = mg.follow_graph(store.table("accounts"), store.table("follows"))
    spill = tmp_path / "spill"
    spill.mkdir()
    with oc.OutOfCore(store, spill, 64 * 2**20, threads=2) as db:
        yield store, g, db


def test_counts_equal_the_follow_graph(case):
    _, g, db = case
    c = db.prepare()
    assert (c.accounts, c.accounts_listed, c.follows) == (g.n_accounts, g.index.n_listed, g.n_follows)  # fmt: skip
    assert (c.follow_rows, c.duplicates, c.self_follows, c.null) == (
        g.n_rows,
        g.n_duplicates,
        g.n_self_follows,
        g.n_null,
    )
    assert db.prepare() is c  # once


def test_reciprocity_equals_the_in_memory_one(case):
    _, g, db = case
    assert oc.reciprocity(db) == mg.reciprocity(g)


def test_degrees_equal_the_in_memory_ones(case):
    _, g, db = case
    d = oc.degrees(db)
    assert d.in_degree.tolist() == sorted(g.in_degree.tolist())
    assert d.out_degree.tolist() == sorted(g.out_degree.tolist())
    # repr: NaN fields (no tail on a tiny graph) compare equal as text
    assert repr(mg.degree_summary(d.in_degree)) == repr(mg.degree_summary(g.in_degree))
    assert repr(mg.degree_summary(d.out_degree)) == repr(mg.degree_summary(g.out_degree))
    top = max(g.in_degree.max(), g.out_degree.max())
    ci = np.bincount(g.in_degree, minlength=top + 1)
    co = np.bincount(g.out_degree, minlength=top + 1)
    keep = np.flatnonzero((ci > 0) | (co > 0))
    assert d.table.column("degree").to_pylist() == keep.tolist()
    assert d.table.column("accounts_in").to_pylist() == ci[keep].tolist()
    assert d.table.column("accounts_out").to_pylist() == co[keep].tolist()


def test_account_degrees_query_gives_every_account(case):
    _, g, db = case
    db.prepare()
    got = db.arrow(oc.account_degrees_sql())
    key = dict(zip(g.index.keys.to_pylist(), range(g.n_accounts), strict=True))
    qualified = g.index.qualified
    assert got.num_rows == g.n_accounts
    for p, a, listed, i, o in zip(*(got.column(k).to_pylist() for k in got.column_names), strict=True):  # fmt: skip
        node = key[f"{p}\x1f{a}" if qualified else a]
        assert (i, o, listed) == (g.in_degree[node], g.out_degree[node], node < g.index.n_listed)


def test_ei_index_of_the_data_labels_equals_the_in_memory_one(case):
    store, g, db = case
    a = mg.assign_communities(g, store.table("accounts"), None)
    want = mi.ei_index(g, a.labels, a.names)
    got = oc.ei_index(db)
    assert (got.ei, got.external, got.internal, got.unlabelled) == (
        want.ei,
        want.external,
        want.internal,
        want.unlabelled,
    )
    assert _same(got.per_community, want.per_community)


def test_ei_index_of_given_labels_equals_the_in_memory_one(case):
    _, g, db = case
    rng = np.random.default_rng(5)
    pick = np.flatnonzero(rng.random(g.n_accounts) < 0.7)
    names = ["k2", "k0", "k1"]
    code = rng.integers(0, 3, pick.size)
    labels = pa.table(
        {
            "platform": g.index.platform.take(pa.array(pick)),
            "account_id": g.index.account_id.take(pa.array(pick)),
            "community": [names[c] for c in code],
        }
    )
    # names are numbered in order of first appearance, as assign_communities does
    order = {n: i for i, n in enumerate(dict.fromkeys(names[c] for c in code))}
    lab = np.full(g.n_accounts, -1)
    lab[pick] = [order[names[c]] for c in code]
    want = mi.ei_index(g, lab, list(order))
    got = oc.ei_index(db, labels)
    assert (got.ei, got.external, got.internal, got.unlabelled) == (
        want.ei,
        want.external,
        want.internal,
        want.unlabelled,
    )
    assert _same(got.per_community, want.per_community)


def test_undirected_csr_is_the_undirected_projection(case):
    _, g, db = case
    indptr, indices = oc.undirected_csr(db)
    assert indices.dtype == np.int32
    n = g.n_accounts
    import scipy.sparse as sp

    m = sp.csr_matrix((np.ones(indices.size), indices, indptr), shape=(n, n))
    assert m.has_sorted_indices and abs(m - m.T).sum() == 0
    want = mg.clustering(g)
    got = mg.clustering(m)
    assert (got.triangles, got.transitivity) == (want.triangles, want.transitivity)
    assert math.isclose(got.average, want.average)
    assert sorted(np.diff(indptr).tolist()) == sorted(np.diff(g.undirected.indptr).tolist())


def test_core_communities_take_the_highest_degree_accounts(case):
    _, g, db = case
    full = oc.core_communities(db, g.n_follows, seed=3)
    assert full.follows == g.n_follows
    assert full.accounts == int(((g.in_degree + g.out_degree) > 0).sum())
    assert full.labels.num_rows == full.accounts
    assert full.communities.labels.size == full.accounts
    half = g.n_follows // 2
    part = oc.core_communities(db, half, seed=3)
    assert part.follows <= half and part.accounts < full.accounts
    deg = g.in_degree + g.out_degree
    keys = g.index.keys.to_pylist()
    ranked = sorted(range(g.n_accounts), key=lambda i: (-deg[i], g.index.platform[i].as_py(), g.index.account_id[i].as_py()))  # fmt: skip
    ranked = [i for i in ranked if deg[i] > 0]
    rank = {node: r for r, node in enumerate(ranked)}
    # the longest prefix of the ranking whose induced follows fit
    entered = np.bincount(
        np.maximum([rank[a] for a in g.follower], [rank[b] for b in g.friend]),
        minlength=len(ranked),
    )
    size = int(np.searchsorted(np.cumsum(entered), half, side="right"))
    chosen = {keys[i] for i in ranked[:size]}
    assert size < len(ranked) and np.cumsum(entered)[size] > half  # one more would not fit
    qualified = g.index.qualified
    plats, accs = part.labels["platform"].to_pylist(), part.labels["account_id"].to_pylist()
    got = {f"{p}\x1f{a}" if qualified else a for p, a in zip(plats, accs, strict=True)}
    assert got == chosen
    assert part.min_degree == min(deg[keys.index(k)] for k in chosen)
    # seeded: the same seed gives the same communities
    again = oc.core_communities(db, half, seed=3)
    assert again.labels.equals(part.labels)


def test_same_figures_at_one_and_four_duckdb_threads(tmp_path):
    store = open_store(write_store(tmp_path / "s", _random_tables(9)).path)
    out = []
    for threads in (1, 4):
        d = tmp_path / f"t{threads}"
        d.mkdir()
        with oc.OutOfCore(store, d, 64 * 2**20, threads=threads) as db:
            out.append(
                (
                    oc.reciprocity(db),
                    oc.degrees(db).table,
                    oc.ei_index(db).per_community,
                    oc.undirected_csr(db)[1].tolist(),
                    oc.core_communities(db, 500, seed=1).labels,
                )
            )
    assert out[0][0] == out[1][0]
    assert all(_same(a, b) for a, b in zip(out[0][1:3], out[1][1:3], strict=True))
    assert out[0][3] == out[1][3] and _same(out[0][4], out[1][4])


def test_spills_under_a_small_memory_limit(tmp_path):
    """400,000 follows under DuckDB's 48 MiB: the queries spill and still agree."""
    rng = np.random.default_rng(3)
    n, m = 20000, 400000
    ids = np.array([f"account-{i:08d}" for i in range(n)])
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    tables = {
        "accounts": pa.table({"platform": ["x"] * n, "account_id": ids}),
        "follows": pa.table({"platform": ["x"] * m, "follower_id": ids[u], "friend_id": ids[v]}),
    }
    store = open_store(write_store(tmp_path / "s", tables).path)
    g = mg.follow_graph(store.table("accounts"), store.table("follows"))
    d = tmp_path / "spill"
    d.mkdir()
    with oc.OutOfCore(store, d, 48 * 2**20, threads=2) as db:
        assert db.scalar("SELECT current_setting('memory_limit')") == "48.0 MiB"
        assert oc.reciprocity(db) == mg.reciprocity(g)
        assert oc.degrees(db).in_degree.tolist() == sorted(g.in_degree.tolist())
        _, indices = oc.undirected_csr(db)
        assert indices.size == g.undirected.nnz


def test_fits_in_memory_from_the_row_counts(tmp_path):
    store = open_store(write_store(tmp_path / "s", _random_tables(4)).path)
    rows = {n: pq.ParquetFile(store.table_path(n)).metadata.num_rows for n in ("accounts", "follows")}  # fmt: skip
    need = oc.BYTES_BASE + oc.BYTES_PER_FOLLOW_ROW * rows["follows"]
    need += oc.BYTES_PER_ACCOUNT_ROW * rows["accounts"]
    yes = oc.fits_in_memory(store, need)
    assert yes.fits and yes.need_bytes == need
    assert yes.rows == {**rows, "posts": 0, "interactions": 0}
    no = oc.fits_in_memory(store, need - 1)
    assert not no.fits and no.memory_bytes == need - 1
    assert no.csr_bytes == 8 * rows["follows"] + 8 * (rows["accounts"] + 1)
    with pytest.raises(InputError, match="memory_bytes"):
        oc.fits_in_memory(store, 0)


def test_fits_in_memory_reads_only_the_metadata(tmp_path):
    """A store's size decides, not its content: the check runs on a table
    whose data pages are unreadable, from its footer alone."""
    store = open_store(write_store(tmp_path / "s", _random_tables(6)).path)
    path = store.table_path("follows")
    rows = pq.ParquetFile(path).metadata.num_rows
    raw = bytearray(path.read_bytes())
    raw[8:200] = b"\0" * 192  # corrupt the first data pages, keep the footer
    path.write_bytes(bytes(raw))
    assert oc.fits_in_memory(store, 10**12).rows["follows"] == rows
    path.write_bytes(b"not parquet")
    with pytest.raises(InputError, match="not a readable Parquet file"):
        oc.fits_in_memory(store, 10**12)


@pytest.mark.parametrize("seed", [0, 1])
def test_wedges_found_by_duckdb_equal_the_kernel_route(case, seed):
    """The same draws pick the same wedges whether their ends and closure come
    from the CSR in memory (Numba) or from joins on disk (DuckDB)."""
    _, g, db = case
    in_memory = oc.estimate_clustering(oc.undirected_csr(db), 3000, seed)
    assert oc.estimate_clustering_ooc(db, 3000, seed) == in_memory
    exact = mg.clustering(g)
    deg = np.diff(g.undirected.indptr)
    assert in_memory.edges == g.undirected.nnz // 2 and in_memory.nodes == g.n_accounts
    assert in_memory.wedges == int((deg * (deg - 1) // 2).sum())
    assert in_memory.epsilon == oc.hoeffding_epsilon(3000, 0.95)
    assert abs(in_memory.transitivity - exact.transitivity) <= 0.1  # the bound: test_wedges.py


def test_the_report_takes_the_duckdb_route_when_the_csr_does_not_fit(tmp_path):
    from mutuals.report.analyze_ooc import _clustering

    store = open_store(write_store(tmp_path / "s", _random_tables(8)).path)
    d = tmp_path / "spill"
    d.mkdir()
    with oc.OutOfCore(store, d, 64 * 2**20) as db:
        check = oc.fits_in_memory(store, 10**9)
        fits = _clustering(db, check, check.csr_bytes, 2000, 4, 0.95)
        not_fits = _clustering(db, check, check.csr_bytes - 1, 2000, 4, 0.95)
    assert fits.pop("closure").startswith("binary search in the undirected graph's CSR")
    assert not_fits.pop("closure").startswith("DuckDB joins over the undirected pairs on disk")
    assert fits == not_fits
