"""Readers of follow graphs: SNAP edge lists (optionally gzipped; SNAP ego
files with their circles), CSV and Parquet edge tables, GraphML and GEXF, and
in-memory NetworkX graphs (:func:`from_networkx`).

Edge direction is follower -> friend (``a b`` means *a follows b*, as in SNAP's
Twitter data). Rows get ``platform="graph"`` unless ``platform=`` is given.
Accounts that appear only in edges are added by :func:`mutuals.io.ingest.ingest`;
these readers emit ``accounts`` rows only for nodes that carry attributes or
have no edges (GraphML/GEXF/NetworkX).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from mutuals.errors import DataFormatError, InputError
from mutuals.io.readers import Sniff, Source, register
from mutuals.io.readers._common import Emitter, iter_lines
from mutuals.io.readreport import ReadReport
from mutuals.io.schema import SCHEMAS

__all__ = [
    "FOLLOWER_COLUMNS",
    "FRIEND_COLUMNS",
    "from_networkx",
    "read_csv_edges",
    "read_gexf",
    "read_graphml",
    "read_labelled_edges_json",
    "read_parquet_edges",
    "read_snap",
]

_Chunks = Iterator[tuple[str, pa.Table]]

#: Column names recognised as the follower (source) end of an edge, in order.
FOLLOWER_COLUMNS = ("follower_id", "follower", "source", "src", "from", "source_id", "u")
#: Column names recognised as the friend (followed) end of an edge, in order.
FRIEND_COLUMNS = ("friend_id", "friend", "target", "dst", "to", "target_id", "v", "followed")

_EGO_NAME = re.compile(r"^(\d+)\.edges$")


def _follows_table(
    followers: pa.Array | list[str], friends: pa.Array | list[str], platform: str, source: str
) -> pa.Table:
    n = len(followers)
    return pa.Table.from_arrays(
        [
            pa.array([platform] * n, pa.string()),
            pa.array(followers, pa.string()),
            pa.array(friends, pa.string()),
            pa.nulls(n, SCHEMAS["follows"].field("created_at").type),
            pa.array([source] * n, pa.string()),
        ],
        schema=SCHEMAS["follows"],
    )


# --------------------------------------------------------------------------- SNAP


def _sniff_snap(s: Sniff) -> bool:
    if s.first_record is not None or s.head[:1] in (b"<", b"{", b"["):
        return False
    data = [ln for ln in s.lines if not ln.lstrip().startswith((b"#", b"%"))][:20]
    if not data:
        return False
    good = sum(1 for ln in data if len(ln.split()) in (2, 3) and b"," not in ln)
    return len(data[0].split()) in (2, 3) and good >= 0.7 * len(data)


@register(
    "snap",
    sniff=_sniff_snap,
    description="SNAP edge list: 'follower friend' per line, # comments, optionally gzipped",
    priority=50,
)
def read_snap(
    src: Source,
    report: ReadReport,
    chunk_rows: int,
    *,
    platform: str = "graph",
    ego: bool | None = None,
    **_: Any,
) -> _Chunks:
    """Read a whitespace-separated edge list (``a b`` = *a follows b*).

    A SNAP ego file ``<id>.edges`` also gets the ego's follow of every node in
    it (SNAP: "the ego node ... is assumed to follow every node id that appears
    in this file") unless ``ego=False``, and a ``<id>.circles`` file next to it
    becomes lists owned by the ego (``kind="circle"``).
    """
    em = Emitter(report, chunk_rows)
    name = src.path.name
    m = _EGO_NAME.match(name)
    ego_id = m.group(1) if m and ego is not False else None
    source = "snap"
    fol: list[str] = []
    fri: list[str] = []
    nodes: dict[str, None] = {}
    for n, line in iter_lines(src, report):
        s = line.strip()
        if s[:1] in (b"#", b"%"):
            continue
        report.records += 1
        parts = s.split()
        if len(parts) not in (2, 3):
            report.skip(
                "malformed edge line (want 'follower friend [weight]')",
                where=f"line {n}",
                record=s.decode("utf-8", "replace"),
            )
            continue
        try:
            a, b = parts[0].decode("utf-8"), parts[1].decode("utf-8")
        except UnicodeDecodeError:
            report.skip("invalid UTF-8 (wrong encoding?)", where=f"line {n}")
            continue
        fol.append(a)
        fri.append(b)
        if ego_id is not None:
            nodes[a] = None
            nodes[b] = None
        if len(fol) >= chunk_rows:
            em.add_table("follows", _follows_table(fol, fri, platform, source))
            fol, fri = [], []
            yield from em.ready()
    if fol:
        em.add_table("follows", _follows_table(fol, fri, platform, source))
    if ego_id is not None:
        nodes.pop(ego_id, None)
        ids = list(nodes)
        report.noted["SNAP ego file: ego follows every node in it (edges added)"] += len(ids)
        em.add_table("follows", _follows_table([ego_id] * len(ids), ids, platform, source))
        circles = src.path.with_name(f"{ego_id}.circles")
        if circles.exists():
            _circles(circles, ego_id, em, report, platform)
    yield from em.ready()
    yield from em.close()


def _circles(path: Path, ego_id: str, em: Emitter, report: ReadReport, platform: str) -> None:
    report.noted["SNAP circles file read as lists owned by the ego"] += 1
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split()
        if not parts:
            continue
        lid = f"{ego_id}:{parts[0]}"
        em.add("lists", (platform, lid, ego_id, parts[0], None, "circle", None, "snap"))
        for member in parts[1:]:
            em.add("list_members", (platform, lid, member, None, "snap"))


# --------------------------------------------------------------------------- tables


def _pick(names: list[str], wanted: str | None, candidates: tuple[str, ...], what: str) -> str:
    if wanted:
        if wanted not in names:
            raise InputError(
                f"edge table has no column {wanted!r} ({what}); columns: {_show(names)}"
            )
        return wanted
    lower = {c.lower(): c for c in names}
    for c in candidates:
        if c in lower:
            return lower[c]
    raise InputError(
        f"edge table: no {what} column among {_show(names)}; name it one of "
        f"{list(candidates)} or pass {what}_col="
    )


def _show(names: list[str], n: int = 8, width: int = 30) -> str:
    """Column names for a one-line message: the first ``n``, each at most ``width`` long."""
    cut = [c if len(c) <= width else c[: width - 1] + "…" for c in names[:n]]
    more = f" and {len(names) - n} more" if len(names) > n else ""
    return repr(cut) + more


def _as_utf8(col: Any, report: ReadReport, source: str) -> Any:
    """Ids as strings; ids that are not valid UTF-8 become null (then skipped)."""
    try:
        return col.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    out = []
    for v in col.to_pylist():
        if isinstance(v, bytes):
            try:
                v = v.decode("utf-8")
            except UnicodeDecodeError:
                report.noted["id that is not valid UTF-8 (edge skipped)"] += 1
                v = None
        out.append(None if v is None else str(v))
    return pa.array(out, pa.string())


def _edge_batch(
    batch: pa.RecordBatch | pa.Table,
    fcol: str,
    tcol: str,
    platform: str,
    source: str,
    report: ReadReport,
    em: Emitter,
) -> None:
    import pyarrow.compute as pc

    f = _as_utf8(batch.column(fcol), report, source)
    t = _as_utf8(batch.column(tcol), report, source)
    report.records += len(f)
    ok = pc.and_(pc.is_valid(f), pc.is_valid(t))
    ok = pc.and_(ok, pc.and_(pc.not_equal(f, ""), pc.not_equal(t, "")))
    ok = pc.fill_null(ok, False)
    bad = len(f) - pc.sum(ok).as_py() if len(f) else 0
    if bad:
        for _ in range(bad):
            report.skip("edge with an empty follower or friend id", where=source)
        f, t = pc.filter(f, ok), pc.filter(t, ok)
    if len(f):
        em.add_table("follows", _follows_table(f, t, platform, source))


def _sniff_csv(s: Sniff) -> bool:
    if s.first_record is not None or not s.lines:
        return False
    header = s.lines[0].decode("utf-8", "replace").strip().lower()
    for sep in (",", "\t", ";"):
        cols = [c.strip().strip('"') for c in header.split(sep)]
        if len(cols) >= 2 and any(c in FOLLOWER_COLUMNS for c in cols):
            return any(c in FRIEND_COLUMNS for c in cols)
    return False


@register(
    "csv-edges",
    sniff=_sniff_csv,
    description="CSV/TSV edge table with a header (follower,friend / source,target ...)",
    priority=40,
)
def read_csv_edges(
    src: Source,
    report: ReadReport,
    chunk_rows: int,
    *,
    platform: str = "graph",
    follower_col: str | None = None,
    friend_col: str | None = None,
    **_: Any,
) -> _Chunks:
    """Read a delimited edge table, streaming, ids kept as strings."""
    import pyarrow.csv as pcsv

    head = src.head(4096).split(b"\n", 1)[0].decode("utf-8", "replace")
    delim = max((",", "\t", ";"), key=head.count)
    names = [c.strip().strip('"') for c in head.strip().split(delim)]
    fcol = _pick(names, follower_col, FOLLOWER_COLUMNS, "follower")
    tcol = _pick(names, friend_col, FRIEND_COLUMNS, "friend")
    em = Emitter(report, chunk_rows)
    # ids are read as bytes and decoded per batch, so a badly encoded id costs its
    # edge, not the rest of the file
    opts = pcsv.ConvertOptions(
        column_types={fcol: pa.binary(), tcol: pa.binary()}, include_columns=[fcol, tcol]
    )

    def bad_row(row: Any) -> str:
        report.records += 1
        report.skip(
            "malformed CSV row (wrong number of fields)",
            where=f"line {row.number}" if row.number is not None else src.name,
            record=row.text,
        )
        return "skip"

    try:
        with src.open() as f:
            reader = pcsv.open_csv(
                f,
                read_options=pcsv.ReadOptions(block_size=1 << 22),
                parse_options=pcsv.ParseOptions(delimiter=delim, invalid_row_handler=bad_row),
                convert_options=opts,
            )
            for batch in reader:
                _edge_batch(batch, fcol, tcol, platform, "csv-edges", report, em)
                yield from em.ready()
    except pa.ArrowInvalid as e:
        report.skip(f"malformed CSV, rest of file not read ({e})", where=src.name)
    except EOFError:
        report.skip("truncated compressed input (rest of file lost)", where=src.name)
    yield from em.close()


def _sniff_parquet(s: Sniff) -> bool:
    return s.head[:4] == b"PAR1"


@register(
    "parquet-edges",
    sniff=_sniff_parquet,
    description="Parquet edge table (follower/friend or source/target columns)",
    priority=30,
)
def read_parquet_edges(
    src: Source,
    report: ReadReport,
    chunk_rows: int,
    *,
    platform: str = "graph",
    follower_col: str | None = None,
    friend_col: str | None = None,
    **_: Any,
) -> _Chunks:
    """Read a Parquet edge table batch by batch."""
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(src.path)
    except (pa.ArrowInvalid, OSError) as e:
        raise DataFormatError(f"{src.name}: not a readable Parquet file: {e}") from e
    names = pf.schema_arrow.names
    fcol = _pick(names, follower_col, FOLLOWER_COLUMNS, "follower")
    tcol = _pick(names, friend_col, FRIEND_COLUMNS, "friend")
    em = Emitter(report, chunk_rows)
    for batch in pf.iter_batches(batch_size=chunk_rows, columns=[fcol, tcol]):
        _edge_batch(batch, fcol, tcol, platform, "parquet-edges", report, em)
        yield from em.ready()
    yield from em.close()


# --------------------------------------------------------------------------- labelled JSON


def _sniff_labelled(s: Sniff) -> bool:
    r = s.first_record
    return isinstance(r, dict) and isinstance(r.get("edges"), list) and "labels" in r


@register(
    "labelled-edges-json",
    sniff=_sniff_labelled,
    description='JSON {"labels": {node: label}, "edges": [[follower, friend], ...]}',
    priority=60,
)
def read_labelled_edges_json(
    src: Source, report: ReadReport, chunk_rows: int, *, platform: str = "graph", **_: Any
) -> _Chunks:
    """Read a labelled follow graph stored as one JSON document (e.g. the
    anonymised follower graphs of Anwar et al. 2021): each label becomes
    ``accounts.community``; each edge ``[a, b]`` is read as *a follows b*."""
    from mutuals.io.readers._common import iter_json_records

    em = Emitter(report, chunk_rows)
    for where, doc in iter_json_records(src, report):
        if not isinstance(doc, dict) or not isinstance(doc.get("edges"), list):
            report.skip("not a {labels, edges} document", where=where, record=repr(doc)[:2000])
            continue
        labels: dict[str, Any] = doc["labels"] if isinstance(doc.get("labels"), dict) else {}
        for node, label in labels.items():
            em.add(
                "accounts",
                (
                    platform,
                    str(node),
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None if label is None else str(label),
                    None,
                    None,
                    "labelled-edges-json",
                ),
            )
        yield from em.ready()
        fol: list[str] = []
        fri: list[str] = []
        for i, e in enumerate(doc["edges"]):
            if isinstance(e, list | tuple) and len(e) == 2 and None not in e:
                fol.append(str(e[0]))
                fri.append(str(e[1]))
            else:
                report.skip(
                    "edge that is not a [follower, friend] pair",
                    where=f"edges[{i}]",
                    record=repr(e),
                )
        em.add_table("follows", _follows_table(fol, fri, platform, "labelled-edges-json"))
        yield from em.ready()
    yield from em.close()


# --------------------------------------------------------------------------- XML / networkx


def _sniff_xml(tag: bytes):
    def sniff(s: Sniff) -> bool:
        return s.head.lstrip()[:1] == b"<" and tag in s.head[:4096]

    return sniff


def _read_nx(src: Source, report: ReadReport, chunk_rows: int, kind: str, **options: Any):
    import networkx as nx

    fn = nx.read_graphml if kind == "graphml" else nx.read_gexf
    try:
        with src.open() as f:
            g = fn(f)
    except Exception as e:  # networkx raises many types on bad XML
        raise DataFormatError(f"{src.name}: not a readable {kind.upper()} file: {e}") from e
    yield from _graph_chunks(g, report, chunk_rows, source=kind, **options)


@register(
    "graphml",
    sniff=_sniff_xml(b"<graphml"),
    description="GraphML graph (directed: source follows target)",
    priority=20,
)
def read_graphml(src: Source, report: ReadReport, chunk_rows: int, **options: Any) -> _Chunks:
    """Read a GraphML file via NetworkX (loads the graph in memory)."""
    return _read_nx(src, report, chunk_rows, "graphml", **options)


@register(
    "gexf",
    sniff=_sniff_xml(b"<gexf"),
    description="GEXF graph (directed: source follows target)",
    priority=21,
)
def read_gexf(src: Source, report: ReadReport, chunk_rows: int, **options: Any) -> _Chunks:
    """Read a GEXF file via NetworkX (loads the graph in memory)."""
    return _read_nx(src, report, chunk_rows, "gexf", **options)


_HANDLE_KEYS = ("handle", "screen_name", "username", "label", "name")


def _graph_chunks(
    g: Any,
    report: ReadReport,
    chunk_rows: int,
    *,
    platform: str = "graph",
    source: str = "networkx",
    **_: Any,
) -> _Chunks:
    em = Emitter(report, chunk_rows)
    directed = g.is_directed()
    if not directed:
        report.noted["undirected graph: each edge read as a mutual follow"] += g.number_of_edges()
    for node, attrs in g.nodes(data=True):
        report.records += 1
        nid = str(node)
        handle = next((str(attrs[k]) for k in _HANDLE_KEYS if attrs.get(k) not in (None, "")), None)
        if handle == nid:
            handle = None
        community = attrs.get("community")
        leaning = attrs.get("leaning")
        if attrs or g.degree(node) == 0:
            em.add(
                "accounts",
                (
                    platform,
                    nid,
                    handle,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None if community is None else str(community),
                    float(leaning) if isinstance(leaning, int | float) else None,
                    None,
                    source,
                ),
            )
    for a, b in g.edges():
        report.records += 1
        em.add("follows", (platform, str(a), str(b), None, source))
        if not directed and a != b:
            em.add("follows", (platform, str(b), str(a), None, source))
        yield from em.ready()
    yield from em.close()


def from_networkx(
    g: Any, *, platform: str = "graph", report: ReadReport | None = None, chunk_rows: int = 65536
) -> dict[str, pa.Table]:
    """Canonical tables of a NetworkX graph (edge ``u -> v`` = *u follows v*).

    Node ids become strings; node attributes ``handle``/``screen_name``/
    ``username``/``label``/``name``, ``community`` and ``leaning`` fill the
    matching ``accounts`` columns. An undirected graph's edges are read both ways.

    Returns
    -------
    dict of str to pyarrow.Table
        ``accounts`` (nodes with attributes or without edges) and ``follows``.
    """
    if not hasattr(g, "is_directed") or not hasattr(g, "edges"):
        raise InputError(f"from_networkx needs a networkx graph, got {type(g).__name__}")
    rep = report if report is not None else ReadReport("networkx", format="networkx")
    parts: dict[str, list[pa.Table]] = {"accounts": [], "follows": []}
    for name, chunk in _graph_chunks(g, rep, chunk_rows, platform=platform):
        parts[name].append(chunk)
    return {
        name: pa.concat_tables(ts) if ts else SCHEMAS[name].empty_table()
        for name, ts in parts.items()
    }


def iter_networkx(
    g: Any, report: ReadReport, chunk_rows: int, *, platform: str = "graph", **_: Any
) -> _Chunks:
    """Stream the canonical chunks of a NetworkX graph (used by ``ingest``)."""
    return _graph_chunks(g, report, chunk_rows, platform=platform)
