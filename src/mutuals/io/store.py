"""The canonical store: one Parquet file per canonical table in a folder.

Layout::

    STORE/
      accounts.parquet  follows.parquet  posts.parquet
      interactions.parquet  lists.parquet  list_members.parquet
      store.json        # what was ingested: inputs, formats, read/skip counts

Every table has the schema of :mod:`mutuals.tables`; a table missing from
the folder reads as empty. :meth:`Store.connect` gives a DuckDB connection with
one view per table, for SQL over the store.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from mutuals.errors import InputError
from mutuals.io.folders import FolderWriter, folder_kind, recover
from mutuals.tables import SCHEMAS

__all__ = ["Store", "is_store", "open_store", "write_store"]

_META = "store.json"


class Store:
    """A canonical store on disk (see module docstring). Use :func:`open_store`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def table_path(self, name: str) -> Path:
        if name not in SCHEMAS:
            raise InputError(f"unknown table {name!r}; tables are {', '.join(SCHEMAS)}")
        return self.path / f"{name}.parquet"

    def table(self, name: str, columns: list[str] | None = None) -> pa.Table:
        """Read one canonical table (empty, with its schema, if absent)."""
        path = self.table_path(name)
        schema = SCHEMAS[name]
        if not path.exists():
            t = schema.empty_table()
            return t.select(columns) if columns else t
        return pq.read_table(path, columns=columns, schema=schema)

    @property
    def metadata(self) -> dict[str, Any]:
        meta = self.path / _META
        return json.loads(meta.read_text()) if meta.exists() else {}

    def connect(self) -> Any:
        """A DuckDB connection with a view per table (``SELECT * FROM posts``)."""
        import duckdb

        con = duckdb.connect()
        for name in SCHEMAS:
            path = self.table_path(name)
            if path.exists():
                con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{_sql_str(path)}')")
            else:
                con.register(name, SCHEMAS[name].empty_table())
        return con

    def to_networkx(self, *, interactions: bool = True) -> Any:
        """The store as a :class:`networkx.MultiDiGraph` of accounts, follows and
        interactions.

        Nodes are accounts: every row of ``accounts`` (the first row of an
        account wins) and every account that ``follows`` or ``interactions``
        name, in that order. A node's key is its ``account_id`` when the store
        holds one platform, else the pair ``(platform, account_id)``; its
        attributes are the non-null columns of its ``accounts`` row (``platform``
        and ``account_id`` always; times as :class:`datetime.datetime` in UTC).

        Edges run from the account acting to the account acted upon: one edge
        per ``follows`` row, follower -> friend, with ``kind="follow"`` and
        ``created_at`` (a datetime, or None where the platform hides it); and,
        with ``interactions``, one per ``interactions`` row that names its
        target, source -> target, with ``kind`` (repost, reply, quote, mention,
        like), ``time``, ``post_id`` and ``target_post_id``. Every edge also
        carries ``platform``. The graph's ``graph`` dict records the store's
        path and ``interactions_without_target`` (rows left out).

        :func:`mutuals.io.readers.graph.from_networkx` reads the follow edges
        back (on a single-platform store, node keys are the ids it expects):
        pass ``interactions=False``, or a view of the follow edges, since it
        reads every edge as a follow.
        """
        import networkx as nx

        nodes, attrs, edges, meta = _graph_parts(self, interactions=interactions)
        g = nx.MultiDiGraph(store=str(self.path), **meta)
        g.add_nodes_from(zip(nodes, attrs, strict=True))
        g.add_edges_from(edges)
        return g

    def to_igraph(self, *, interactions: bool = True) -> Any:
        """The store as a directed :class:`igraph.Graph` (multi-edges kept).

        The same nodes, edges and attributes as :meth:`to_networkx`: vertex
        ``name`` is the node key, edge attributes ``kind``, ``platform``,
        ``created_at`` (follows), ``time``, ``post_id``, ``target_post_id``
        (interactions; None on follows and the other way round). Needs the
        optional ``igraph`` extra (``pip install 'mutuals[igraph]'``).
        """
        try:
            import igraph as ig
        except ImportError:
            raise InputError(
                "Store.to_igraph needs python-igraph: pip install 'mutuals[igraph]'"
            ) from None
        nodes, attrs, edges, meta = _graph_parts(self, interactions=interactions)
        pos = {key: i for i, key in enumerate(nodes)}
        names = sorted({k for a in attrs for k in a})
        vattrs: dict[str, list[Any]] = {"name": list(nodes)}
        for k in names:
            vattrs[k] = [a.get(k) for a in attrs]
        ecols = ("kind", "platform", "created_at", "time", "post_id", "target_post_id")
        eattrs: dict[str, list[Any]] = {k: [] for k in ecols}
        pairs = []
        for u, v, a in edges:
            pairs.append((pos[u], pos[v]))
            for k in ecols:
                eattrs[k].append(a.get(k))
        g = ig.Graph(
            n=len(nodes), edges=pairs, directed=True, vertex_attrs=vattrs, edge_attrs=eattrs
        )
        g["store"] = str(self.path)
        for k, val in meta.items():
            g[k] = val
        return g

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"


def _graph_parts(
    store: Store, *, interactions: bool
) -> tuple[list[Any], list[dict[str, Any]], list[tuple[Any, Any, dict[str, Any]]], dict[str, Any]]:
    """Node keys, node attributes, edges ``(u, v, attrs)`` and graph attributes of
    :meth:`Store.to_networkx` (ids indexed with pyarrow, edges built from columns)."""
    import pyarrow.compute as pc

    acc = store.table("accounts")
    fol = store.table("follows", columns=["platform", "follower_id", "friend_id", "created_at"])
    cols = ["platform", "kind", "source_id", "target_id", "post_id", "target_post_id", "created_at"]
    inter = store.table("interactions", columns=cols)
    meta: dict[str, Any] = {"interactions_without_target": 0}
    if interactions:
        ok = pc.is_valid(inter.column("target_id"))
        meta["interactions_without_target"] = inter.num_rows - int(pc.sum(ok).as_py() or 0)
        inter = inter.filter(ok)
    else:
        inter = inter.slice(0, 0)
    refs = [
        (acc.column("platform"), acc.column("account_id")),
        (fol.column("platform"), fol.column("follower_id")),
        (fol.column("platform"), fol.column("friend_id")),
        (inter.column("platform"), inter.column("source_id")),
        (inter.column("platform"), inter.column("target_id")),
    ]
    platforms: set[str] = set()
    for p, _ in refs:
        platforms.update(x for x in pc.unique(p).to_pylist() if x is not None)
    single = len(platforms) <= 1

    def keys(p: pa.ChunkedArray, i: pa.ChunkedArray) -> list[Any]:
        ids = i.cast(pa.string()).to_pylist()
        return ids if single else list(zip(p.to_pylist(), ids, strict=True))

    key_lists = [keys(p, i) for p, i in refs]
    nodes: list[Any] = []
    seen: dict[Any, int] = {}
    attrs: list[dict[str, Any]] = []
    rows = acc.to_pylist()
    for key, row in zip(key_lists[0], rows, strict=True):
        if key in seen:
            continue
        seen[key] = len(nodes)
        nodes.append(key)
        attrs.append({k: v for k, v in row.items() if v is not None})
    for part, (p, i) in zip(key_lists[1:], refs[1:], strict=True):
        for key, plat, aid in zip(part, p.to_pylist(), i.to_pylist(), strict=True):
            if key not in seen:
                seen[key] = len(nodes)
                nodes.append(key)
                attrs.append({"platform": plat, "account_id": aid})
    edges: list[tuple[Any, Any, dict[str, Any]]] = []
    for u, v, plat, t in zip(
        key_lists[1],
        key_lists[2],
        fol.column("platform").to_pylist(),
        fol.column("created_at").to_pylist(),
        strict=True,
    ):
        edges.append((u, v, {"kind": "follow", "platform": plat, "created_at": t}))
    for u, v, plat, kind, post, target, t in zip(
        key_lists[3],
        key_lists[4],
        inter.column("platform").to_pylist(),
        inter.column("kind").to_pylist(),
        inter.column("post_id").to_pylist(),
        inter.column("target_post_id").to_pylist(),
        inter.column("created_at").to_pylist(),
        strict=True,
    ):
        a = {"kind": kind, "platform": plat, "time": t, "post_id": post, "target_post_id": target}
        edges.append((u, v, a))
    return nodes, attrs, edges, meta


def _sql_str(path: Path) -> str:
    return str(path).replace("'", "''")


def open_store(path: str | Path) -> Store:
    """Open an existing store folder (for a simulation run folder, the
    canonical store it holds in ``RUN/store``).

    Finishes (or clears) a write that a killed command left half done, and
    checks that each table holds the rows ``store.json`` records for it.
    """
    p = Path(path)
    if not p.is_dir():
        raise InputError(f"store {str(p)!r} is not a folder; create one with `mutuals ingest`")
    recover(p)
    if not is_store(p):
        kind = folder_kind(p)
        if kind is not None and kind[0] == "run":
            inner = p / "store"
            if inner.is_dir() and is_store(inner):
                return open_store(inner)  # the run's own canonical tables
            raise InputError(
                f"{str(p)!r} is a simulation run folder without canonical tables (it was "
                "written with --no-canonical, or is a SimSoM run); re-run it with "
                "`mutuals simulate --from-manifest RUN/manifest.json`, or write a store "
                "with `mutuals simulate ... --store STORE`"
            )
        raise InputError(
            f"{str(p)!r} is not a mutuals store (no {_META} and no table files such as "
            "posts.parquet); create one with `mutuals ingest INPUT... --out STORE`"
        )
    store = Store(p)
    meta = store.metadata
    counts = meta.get("tables") if isinstance(meta, dict) else None
    if isinstance(counts, dict):
        for name, rows in counts.items():
            f = p / f"{name}.parquet"
            if name not in SCHEMAS or not isinstance(rows, int) or isinstance(rows, bool):
                continue
            try:
                have = pq.ParquetFile(f).metadata.num_rows if f.exists() else 0
            except (pa.ArrowException, OSError) as e:
                raise InputError(f"{f}: not a readable Parquet file ({e})") from None
            if have != rows:
                raise InputError(
                    f"{f}: holds {have:,} rows but {_META} records {rows:,}: the store's "
                    "files do not belong together; re-ingest into a new store"
                )
    return store


def is_store(path: str | Path) -> bool:
    """Whether ``path`` is a store folder: it holds ``store.json``, or table files
    and is not another kind of mutuals output (a run folder also holds
    ``posts.parquet``)."""
    p = Path(path)
    if not p.is_dir():
        return False
    kind = folder_kind(p)
    if kind is not None:
        return kind[0] == "store"
    return (p / _META).exists() or any((p / f"{name}.parquet").exists() for name in SCHEMAS)


def write_store(
    path: str | Path,
    tables: Mapping[str, pa.Table],
    *,
    metadata: Mapping[str, Any] | None = None,
    overwrite: bool = False,
) -> Store:
    """Write canonical tables as a new store folder.

    Each table is cast to its canonical schema (missing nullable columns are
    filled with nulls); an unknown table name or a column that cannot be cast
    raises :class:`~mutuals.errors.InputError`. The folder must not hold a store
    already: a store is only merged into (:func:`mutuals.io.ingest.ingest`, which
    also takes in-memory tables), never replaced. The write is one transaction
    (:class:`~mutuals.io.folders.FolderWriter`).
    """
    p = Path(path)
    conformed = {}
    for name, table in tables.items():
        if name not in SCHEMAS:
            raise InputError(f"unknown table {name!r}; tables are {', '.join(SCHEMAS)}")
        conformed[name] = conform(name, table)
    with FolderWriter(p, "store", overwrite=overwrite, what="store") as w:
        if w.previous:
            raise InputError(
                f"{str(p)!r} already holds a store; merge into it with `mutuals ingest` "
                "(mutuals.io.ingest.ingest), or write to a new folder"
            )
        try:
            for name, t in conformed.items():
                tmp = w.temp_file(f"{name}.parquet")
                pq.write_table(t, tmp)
                w.stage(f"{name}.parquet", tmp)
            meta = {"format": "mutuals-store", **dict(metadata or {})}
            meta["tables"] = {n: (conformed[n].num_rows if n in conformed else 0) for n in SCHEMAS}
            w.write_text(_META, json.dumps(meta, indent=2, default=str) + "\n")
            w.commit(last=_META)
        except OSError as e:
            raise InputError(f"cannot write the store {str(p)!r}: {e.strerror or e}") from None
    return Store(p)


def conform(name: str, table: pa.Table) -> pa.Table:
    """Cast ``table`` to the canonical schema ``name``, adding absent columns as nulls."""
    schema = SCHEMAS[name]
    extra = set(table.column_names) - set(schema.names)
    if extra:
        raise InputError(f"table {name!r} has columns not in its schema: {sorted(extra)}")
    cols = []
    for f in schema:
        if f.name in table.column_names:
            col = table.column(f.name)
            try:
                col = col.cast(f.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
                raise InputError(f"{name}.{f.name}: cannot cast {col.type} to {f.type}: {e}") from e
        else:
            if not f.nullable:
                raise InputError(f"table {name!r} lacks required column {f.name!r}")
            col = pa.nulls(table.num_rows, f.type)
        cols.append(col)
    return pa.Table.from_arrays(cols, schema=schema)
