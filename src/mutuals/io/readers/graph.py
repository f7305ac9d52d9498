"""Readers of follow graphs: SNAP edge lists (optionally gzipped; SNAP ego
files with their circles), CSV and Parquet edge tables, GraphML and GEXF, and
in-memory NetworkX graphs (:func:`from_networkx`).

Edge direction is follower -> friend (``a b`` means *a follows b*, as in SNAP's
Twitter data). Accounts that appear only in edges are added by
:func:`mutuals.io.ingest.ingest`; these readers emit ``accounts`` rows only for
nodes that carry attributes or have no edges (GraphML/GEXF/NetworkX).

Id spaces
---------
A row's key is ``(platform, id)``, so the ``platform`` column says in which id
space an id means something. Node ids of an edge list are, unless said
otherwise, only meaningful inside the file (most published graphs number their
nodes 0, 1, 2 ... per file), so two files' node ``12`` are not the same account:

* no ``platform=`` and no ``id_space=`` (the default): the file's rows get
  ``platform = "graph:<name>"``, ``<name>`` being the file name without its
  compression and format suffixes (``hersheycareers.json`` -> ``graph:hersheycareers``,
  ``18988524.edges`` -> ``graph:18988524``). The raw ids are kept; the namespace is
  stable, so ingesting the same file again merges with what it gave before. The
  report notes the namespace. Two files with the same name share one (rename one).
* ``id_space="NAME"`` (``mutuals ingest --id-space NAME``): the user says these files
  share an id space; rows get ``platform = "graph:NAME"`` in every file read with it.
* ``platform="x"`` (or any value but ``"graph"``): the ids are that platform's own,
  global ids; rows get that platform and merge with its other data (profiles, posts).
  Giving both ``platform`` and a different ``id_space`` is an error.

Nothing is guessed from the ids themselves: SNAP's ego-Twitter files do hold real
Twitter user ids and share one id space, but large integers are no proof of it
(a file numbering 50 million nodes reaches them too). Such files are namespaced
like any other, and the report of a SNAP ego file says how to merge them
(``id_space="twitter"``, or ``platform="x"`` to merge with X data).
In-memory NetworkX graphs (:func:`from_networkx`) are the caller's own objects and
keep ``platform="graph"`` unless ``platform=`` is given.

Detection
---------
SNAP edge lists are recognised only when their lines hold two integer ids (and an
optional numeric weight): text that merely splits into two columns (SNAP's
``.featnames``, a tab-separated table of names) is not an edge list. SNAP's ego
companion files (``.circles``, ``.feat``, ``.egofeat``, ``.featnames``) are refused
with a pointer to their ``.edges`` file, which reads the circles too.

Hostile input
-------------
GraphML and GEXF are parsed by a streaming expat parser that refuses any DOCTYPE
(so no entity expansion, internal or external: "billion laughs" and XXE cannot
happen), keeps no more than the current element path, so any nesting depth is
fine, and keeps at most 64 KiB of an attribute value. A bad value costs its node
(counted, with its line); malformed XML ends the read at its line, keeping what
came before. Edge-table id columns must hold strings or integers.
"""

from __future__ import annotations

import codecs
import io
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from mutuals.errors import DataFormatError, InputError
from mutuals.io.readers import Sniff, Source, register
from mutuals.io.readers._common import Emitter, iter_lines
from mutuals.io.readreport import ReadReport
from mutuals.tables import SCHEMAS

__all__ = [
    "FOLLOWER_COLUMNS",
    "FRIEND_COLUMNS",
    "file_id_space",
    "from_networkx",
    "read_csv_edges",
    "read_gexf",
    "read_graphml",
    "read_labelled_edges_json",
    "read_parquet_edges",
    "read_snap",
    "resolve_platform",
]

_Chunks = Iterator[tuple[str, pa.Table]]

#: Column names recognised as the follower (source) end of an edge, in order.
FOLLOWER_COLUMNS = ("follower_id", "follower", "source", "src", "from", "source_id", "u")
#: Column names recognised as the friend (followed) end of an edge, in order.
FRIEND_COLUMNS = ("friend_id", "friend", "target", "dst", "to", "target_id", "v", "followed")

_EGO_NAME = re.compile(r"^(\d+)\.edges$")
_COMPRESSED = (".gz", ".gzip", ".bz2", ".xz", ".zst")


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
        names=["platform", "follower_id", "friend_id", "created_at", "source"],
    )  # Emitter.add_table conforms it (adds the record_id column)


# --------------------------------------------------------------------------- id spaces


def file_id_space(path: str | Path) -> str:
    """The id space of a file whose ids are local to it: its name without the
    compression and format suffixes (``a/b/vaalit_p1.edgelist.gz`` -> ``vaalit_p1``)."""
    name = Path(path).name
    low = name.lower()
    for ext in _COMPRESSED:
        if low.endswith(ext) and len(name) > len(ext):
            name, low = name[: -len(ext)], low[: -len(ext)]
            break
    stem, dot, _ = name.rpartition(".")
    return stem if dot and stem else name


def resolve_platform(
    path: str | Path | None,
    platform: str | None,
    id_space: str | None,
    report: ReadReport | None = None,
) -> str:
    """The ``platform`` value of the rows read from ``path`` (see "Id spaces" above)."""
    if id_space is not None:
        if not isinstance(id_space, str) or not id_space.strip():
            raise InputError(f"id_space must be a non-empty name, got {id_space!r}")
        id_space = id_space.strip()
    if platform is not None and platform != "graph":
        if not isinstance(platform, str) or not platform.strip():
            raise InputError(f"platform must be a non-empty name, got {platform!r}")
        if id_space is not None and id_space != platform:
            raise InputError(
                f"platform={platform!r} already names the id space (its ids are global); "
                f"drop id_space={id_space!r} or the platform"
            )
        return platform
    if id_space is not None:
        return f"graph:{id_space}"
    if path is None:
        return "graph"
    out = f"graph:{file_id_space(path)}"
    if report is not None:
        report.noted[
            f"node ids are local to this file: read as platform {out!r} "
            "(pass id_space=NAME / --id-space NAME if several files share their ids)"
        ] += 1
    return out


# --------------------------------------------------------------------------- SNAP

_SNAP_COMPANIONS = {
    "circles": "circles",
    "feat": "node features",
    "egofeat": "the ego's features",
    "featnames": "feature names",
}
_INT = re.compile(rb"\d+")
_NUM = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def _snap_companion(s: Sniff) -> str | None:
    stem, dot, ext = s.name.rpartition(".")
    if dot and ext in _SNAP_COMPANIONS:
        return (
            f"a SNAP ego companion file ({_SNAP_COMPANIONS[ext]}), not a follow graph: "
            f"pass the ego's {stem}.edges, which reads its circles too"
        )
    return None


def _snap_verdict(s: Sniff) -> tuple[bool, str | None]:
    """(is a SNAP edge list, why not: said only when the input came close)."""
    if s.is_dir or s.empty or s.first_record is not None or s.head[:1] in (b"<", b"{", b"["):
        return False, None
    companion = _snap_companion(s)
    if companion:
        return False, companion
    data = [ln for ln in s.lines if not ln.lstrip().startswith((b"#", b"%"))][:20]
    if not data:
        return False, None
    close = False
    bad: tuple[int, str] | None = None
    good = 0
    for i, ln in enumerate(data):
        parts = ln.split()
        if len(parts) not in (2, 3) or b"," in ln:
            why = f"{len(parts)} fields"
        elif not (_INT.fullmatch(parts[0]) and _INT.fullmatch(parts[1])):
            close = True
            why = "ids that are not integers"
        elif len(parts) == 3 and not _NUM.fullmatch(parts[2]):
            close = True
            why = "a weight that is not a number"
        else:
            close = True
            good += 1
            continue
        if bad is None:
            bad = (i, why)
    if bad is None:
        return True, None
    if bad[0] > 0 and good >= 0.9 * len(data):  # a damaged line, not another format
        return True, None
    if not close:
        return False, None
    line = data[bad[0]].strip()[:40].decode("utf-8", "replace")
    return False, f"not 'id id' lines: {line!r} has {bad[1]}"


def _sniff_snap(s: Sniff) -> bool:
    return _snap_verdict(s)[0]


def _explain_snap(s: Sniff) -> str | None:
    return _snap_verdict(s)[1]


@register(
    "snap",
    sniff=_sniff_snap,
    explain=_explain_snap,
    description="SNAP edge list: 'follower friend' integer ids per line, # comments, gzip ok",
    priority=50,
)
def read_snap(
    src: Source,
    report: ReadReport,
    chunk_rows: int,
    *,
    platform: str | None = None,
    id_space: str | None = None,
    ego: bool | None = None,
    **_: Any,
) -> _Chunks:
    """Read a whitespace-separated edge list (``a b`` = *a follows b*).

    A SNAP ego file ``<id>.edges`` also gets the ego's follow of every node in
    it (SNAP: "the ego node ... is assumed to follow every node id that appears
    in this file") unless ``ego=False``, and a ``<id>.circles`` file next to it
    becomes lists owned by the ego (``kind="circle"``). Ids are namespaced by the
    file unless ``id_space`` or a real ``platform`` is given (module docstring).
    """
    em = Emitter(report, chunk_rows)
    name = src.path.name
    m = _EGO_NAME.match(name[:-3] if name.endswith(".gz") else name)
    ego_id = m.group(1) if m and ego is not False else None
    platform = resolve_platform(src.path, platform, id_space, report)
    if ego_id is not None and platform.startswith("graph:") and id_space is None:
        report.noted[
            "SNAP ego-Twitter ids are Twitter user ids shared by all its ego files: "
            "pass id_space='twitter' to merge them (platform='x' to merge with X data)"
        ] += 1
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
                record=s[:2000].decode("utf-8", "replace"),
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
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        report.noted[f"SNAP circles file not readable ({e.strerror or e}); circles not read"] += 1
        return
    for line in text.splitlines():
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


def _id_type_ok(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        return _id_type_ok(t.value_type)
    return (
        pa.types.is_integer(t)
        or pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_binary(t)
        or pa.types.is_large_binary(t)
        or pa.types.is_null(t)
        or str(t) in ("string_view", "binary_view")
    )


def _check_id_column(name: str, col: str, t: pa.DataType) -> None:
    if _id_type_ok(t):
        return
    hint = (
        " (floats cannot hold 64-bit ids exactly: write the ids as integers or strings)"
        if pa.types.is_floating(t)
        else ""
    )
    raise DataFormatError(
        f"{name}: column {col!r} holds {str(t)[:60]}, not account ids (strings or integers){hint}"
    )


def _as_utf8(col: Any, report: ReadReport, source: str, replaced: bool = False) -> Any:
    """Ids as strings; ids that are not valid UTF-8 become null (then skipped).
    ``replaced``: the input's invalid bytes were replaced by U+FFFD on the way
    in (:class:`_ValidUtf8`), so an id holding U+FFFD is one that was not valid."""
    import pyarrow.compute as pc

    if pa.types.is_dictionary(col.type):
        col = col.cast(col.type.value_type)
    try:
        out_col = col.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        pass
    else:
        if not replaced:
            return out_col
        bad = pc.fill_null(pc.match_substring(out_col, "\ufffd"), False)
        n_bad = pc.sum(bad).as_py() or 0
        if n_bad:
            report.noted["id that is not valid UTF-8 (edge skipped)"] += n_bad
            out_col = pc.if_else(bad, pa.scalar(None, pa.string()), out_col)
        return out_col
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
    replaced: bool = False,
) -> None:
    import pyarrow.compute as pc

    f = _as_utf8(batch.column(fcol), report, source, replaced)
    t = _as_utf8(batch.column(tcol), report, source, replaced)
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


def _csv_header(s: Sniff) -> list[str] | None:
    if s.first_record is not None or not s.lines or s.head[:1] in (b"<", b"{", b"["):
        return None
    header = s.lines[0].decode("utf-8", "replace").strip().lower()
    for sep in (",", "\t", ";"):
        cols = [c.strip().strip('"') for c in header.split(sep)]
        if len(cols) >= 2:
            return cols
    return None


def _sniff_csv(s: Sniff) -> bool:
    cols = _csv_header(s)
    return (
        cols is not None
        and any(c in FOLLOWER_COLUMNS for c in cols)
        and any(c in FRIEND_COLUMNS for c in cols)
    )


def _explain_csv(s: Sniff) -> str | None:
    if _csv_header(s) is None or len(s.lines) < 2:
        return None
    return "the first line is not a header naming a follower and a friend column"


@register(
    "csv-edges",
    sniff=_sniff_csv,
    explain=_explain_csv,
    description="CSV/TSV edge table with a header (follower,friend / source,target ...)",
    priority=40,
)
def read_csv_edges(
    src: Source,
    report: ReadReport,
    chunk_rows: int,
    *,
    platform: str | None = None,
    id_space: str | None = None,
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
    platform = resolve_platform(src.path, platform, id_space, report)
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
            record=row.text[:2000] if row.text else row.text,
        )
        return "skip"

    try:
        with src.open() as raw:
            f = _ValidUtf8(raw, report)
            reader = pcsv.open_csv(
                f,
                read_options=pcsv.ReadOptions(block_size=1 << 22),
                parse_options=pcsv.ParseOptions(delimiter=delim, invalid_row_handler=bad_row),
                convert_options=opts,
            )
            for batch in reader:
                _edge_batch(batch, fcol, tcol, platform, "csv-edges", report, em, f.replaced)
                yield from em.ready()
    except pa.ArrowInvalid as e:
        report.records += 1
        report.skip(f"malformed CSV, rest of file not read ({str(e)[:200]})", where=src.name)
    except (EOFError, zlib.error):
        report.records += 1
        report.skip("truncated compressed input (rest of file lost)", where=src.name)
    yield from em.close()


class _ValidUtf8(io.RawIOBase):
    """A byte stream with invalid UTF-8 replaced by U+FFFD (the ids holding one
    are then skipped as not valid UTF-8, see :func:`_as_utf8`). pyarrow's CSV reader decodes a malformed row's text before it
    calls the invalid-row handler, and an undecodable row there would end the
    file; replaced, the row is skipped and counted like any other."""

    def __init__(self, raw: Any, report: ReadReport) -> None:
        self._raw = raw
        self._report = report
        self._dec = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._strict = codecs.getincrementaldecoder("utf-8")()
        self._buf = b""
        self.replaced = False  # some invalid bytes were replaced

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while not self._buf:
            chunk = self._raw.read(1 << 20)
            final = not chunk
            try:  # a character split between two reads is valid once joined
                self._strict.decode(chunk, final)
            except UnicodeDecodeError:
                self._strict.reset()
                self.replaced = True
            self._buf = self._dec.decode(chunk, final).encode("utf-8")
            if final:
                break
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


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
    platform: str | None = None,
    id_space: str | None = None,
    follower_col: str | None = None,
    friend_col: str | None = None,
    **_: Any,
) -> _Chunks:
    """Read a Parquet edge table row group by row group; a damaged row group is
    skipped (its rows counted), the others are read."""
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(src.path)
        schema = pf.schema_arrow
    except (pa.ArrowException, OSError, UnicodeDecodeError) as e:
        raise DataFormatError(f"{src.name}: not a readable Parquet file: {e}") from e
    names = schema.names
    fcol = _pick(names, follower_col, FOLLOWER_COLUMNS, "follower")
    tcol = _pick(names, friend_col, FRIEND_COLUMNS, "friend")
    for col in (fcol, tcol):
        _check_id_column(src.name, col, schema.field(col).type)
    platform = resolve_platform(src.path, platform, id_space, report)
    em = Emitter(report, chunk_rows)
    for rg in range(pf.num_row_groups):
        try:
            for batch in pf.iter_batches(
                batch_size=chunk_rows, row_groups=[rg], columns=[fcol, tcol]
            ):
                _edge_batch(batch, fcol, tcol, platform, "parquet-edges", report, em)
                yield from em.ready()
        except (pa.ArrowException, OSError, UnicodeDecodeError) as e:
            n = max(pf.metadata.row_group(rg).num_rows, 1)
            reason = "damaged Parquet row group (its rows not read)"
            report.records += n
            report.skip(reason, where=f"row group {rg}", record=" ".join(str(e).split())[:500])
            report.skipped[reason] += n - 1
    yield from em.close()


# --------------------------------------------------------------------------- labelled JSON


def _sniff_labelled(s: Sniff) -> bool:
    r = s.first_record
    return isinstance(r, dict) and isinstance(r.get("edges"), list) and "labels" in r


def _json_id(v: Any) -> str | None:
    if isinstance(v, bool) or not isinstance(v, str | int):
        return None
    s = str(v)
    return s or None


@register(
    "labelled-edges-json",
    sniff=_sniff_labelled,
    description='JSON {"labels": {node: label}, "edges": [[follower, friend], ...]}',
    priority=60,
)
def read_labelled_edges_json(
    src: Source,
    report: ReadReport,
    chunk_rows: int,
    *,
    platform: str | None = None,
    id_space: str | None = None,
    **_: Any,
) -> _Chunks:
    """Read a labelled follow graph stored as one JSON document (e.g. the
    anonymised follower graphs of Anwar et al. 2021): each label becomes
    ``accounts.community``; each edge ``[a, b]`` is read as *a follows b*.
    Each label and each edge is a record; ids must be strings or integers."""
    from mutuals.io.readers._common import iter_json_records

    em = Emitter(report, chunk_rows)
    platform = resolve_platform(src.path, platform, id_space, report)
    for where, doc in iter_json_records(src, report):
        if not isinstance(doc, dict) or not isinstance(doc.get("edges"), list):
            report.skip("not a {labels, edges} document", where=where, record=repr(doc)[:2000])
            continue
        raw = doc.get("labels")
        labels: dict[str, Any] = raw if isinstance(raw, dict) else {}
        if raw is not None and not isinstance(raw, dict):
            report.noted["'labels' is not an object (labels not read)"] += 1
        report.records += len(labels) + len(doc["edges"]) - 1  # the document held them
        for node, label in labels.items():
            if label is not None and (isinstance(label, bool) or not isinstance(label, str | int)):
                report.skip(
                    "label that is not a string or integer",
                    where=f"{where}: labels[{node[:40]!r}]",
                    record=repr(label)[:2000],
                )
                continue
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
            a = b = None
            if isinstance(e, list) and len(e) == 2:
                a, b = _json_id(e[0]), _json_id(e[1])
            if a is not None and b is not None:
                fol.append(a)
                fri.append(b)
            else:
                report.skip(
                    "edge that is not a [follower, friend] pair of string or integer ids",
                    where=f"{where}: edges[{i}]",
                    record=repr(e)[:2000],
                )
        em.add_table("follows", _follows_table(fol, fri, platform, "labelled-edges-json"))
        yield from em.ready()
    yield from em.close()


# --------------------------------------------------------------------------- GraphML / GEXF


def _sniff_xml(tag: bytes):
    def sniff(s: Sniff) -> bool:
        return s.head.lstrip()[:1] == b"<" and tag in s.head[:4096]

    return sniff


#: Longest attribute value kept (characters); a longer one is dropped, counted.
MAX_ATTR_CHARS = 1 << 16
_XML_BLOCK = 1 << 20


class _Refused(Exception):
    """Raised inside expat handlers to stop the parse."""


class _XmlGraph:
    """expat handlers turning one GraphML or GEXF document into canonical rows.

    Streaming: only the element path, the current node's attributes and the sets
    of attribute-less node ids and of edge ends are held."""

    def __init__(self, kind: str, em: Emitter, report: ReadReport, platform: str) -> None:
        self.kind = kind
        self.em = em
        self.report = report
        self.platform = platform
        self.parser: Any = None
        self.root_seen = False
        self.keys: dict[str, str] = {}  # attribute key id -> attribute name (node attributes)
        self.attr_class: str | None = None  # GEXF <attributes class=...>
        self.directed = kind == "graphml"  # GEXF's defaultedgetype defaults to undirected
        self.nodes: list[dict[str, Any]] = []  # open <node> elements (GEXF nests them)
        self.data_key: str | None = None
        self.data_depth = 0
        self.text: list[str] = []
        self.text_len = 0
        self.depth = 0
        self.bare: dict[str, None] = {}
        self.linked: set[str] = set()

    # -- expat callbacks
    def doctype(self, *_: Any) -> None:
        raise _Refused(
            "a DOCTYPE declaration (refused: GraphML and GEXF need none, and its "
            "entities could expand without bound or read local files)"
        )

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        tag = name.rpartition("}")[2]
        if not self.root_seen:
            self.root_seen = True
            if tag != self.kind:
                raise _Refused(f"the root element is <{tag[:40]}>, not <{self.kind}>")
            return
        if tag == "node":
            self.report.records += 1
            label = attrs.get("label")
            node: dict[str, Any] = {"id": attrs.get("id"), "line": self.line(), "attrs": {}}
            if label is not None:
                self._set(node, "label", label)
            self.nodes.append(node)
        elif tag == "edge":
            self._edge(attrs)
        elif tag == "data" and self.nodes:
            self.data_key, self.data_depth = attrs.get("key"), self.depth
            self.text, self.text_len = [], 0
        elif tag == "attvalue" and self.nodes:
            key = attrs.get("for", attrs.get("id"))
            name_ = self.keys.get(key or "")
            if name_ is not None and "value" in attrs and name_ not in self.nodes[-1]["attrs"]:
                self._set(self.nodes[-1], name_, attrs["value"])
        elif tag == "key":  # GraphML attribute declaration
            if attrs.get("for", "all") in ("node", "all") and "id" in attrs:
                self.keys[attrs["id"]] = attrs.get("attr.name", attrs["id"])
        elif tag == "attributes":  # GEXF attribute declarations
            self.attr_class = attrs.get("class")
        elif tag == "attribute" and self.attr_class == "node" and "id" in attrs:
            self.keys[attrs["id"]] = attrs.get("title", attrs["id"])
        elif tag == "graph":
            d = attrs.get("edgedefault" if self.kind == "graphml" else "defaultedgetype")
            if d is not None:
                self.directed = d == "directed"
        elif tag == "hyperedge":
            self.report.records += 1
            self.report.skip("GraphML hyperedge (not a follow)", where=self.where())

    def end(self, name: str) -> None:
        tag = name.rpartition("}")[2]
        if tag == "data" and self.data_key is not None and self.depth == self.data_depth:
            if self.text_len <= MAX_ATTR_CHARS:
                self._set(
                    self.nodes[-1], self.keys.get(self.data_key, self.data_key), "".join(self.text)
                )
            else:
                self._too_long()
            self.data_key = None
        elif tag == "node" and self.nodes:
            self._node(self.nodes.pop())
        elif tag == "attributes":
            self.attr_class = None
        self.depth -= 1

    def chars(self, data: str) -> None:
        if self.data_key is not None and self.depth == self.data_depth:
            self.text_len += len(data)
            if self.text_len <= MAX_ATTR_CHARS:
                self.text.append(data)
            elif self.text:
                self.text = []

    # -- helpers
    def line(self) -> int:
        return int(self.parser.CurrentLineNumber) if self.parser is not None else 0

    def where(self, line: int | None = None) -> str:
        return f"line {self.line() if line is None else line}"

    def _too_long(self) -> None:
        self.report.noted[
            f"node attribute longer than {MAX_ATTR_CHARS // 1024} KiB (value dropped)"
        ] += 1

    def _set(self, node: dict[str, Any], key: str, value: str) -> None:
        if len(value) > MAX_ATTR_CHARS:
            self._too_long()
            return
        node["attrs"][key] = value

    def _node(self, node: dict[str, Any]) -> None:
        nid, attrs = node["id"], node["attrs"]
        if not nid:
            self.report.skip("node without an id", where=self.where(node["line"]))
            return
        if len(nid) > MAX_ATTR_CHARS:
            self.report.skip("node id longer than 64 KiB", where=self.where(node["line"]))
            return
        # GEXF writes label=id for nodes without a label: that is no attribute
        attrs = {k: v for k, v in attrs.items() if not (k in _HANDLE_KEYS and v == nid)}
        handle = next((attrs[k] for k in _HANDLE_KEYS if attrs.get(k)), None)
        leaning = attrs.get("leaning")
        value = None
        if leaning not in (None, ""):
            try:
                value = float(leaning)
            except ValueError:
                value = None
            if value is None or value != value:
                self.report.skip(
                    "node whose 'leaning' is not a number",
                    where=self.where(node["line"]),
                    record=f"{nid[:200]}: {leaning[:200]!r}",
                )
                return
        if handle is None and not attrs:
            self.bare[nid] = None
            return
        community = attrs.get("community")
        self.em.add(
            "accounts",
            (
                self.platform,
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
                community or None,
                value,
                None,
                self.kind,
            ),
        )

    def _edge(self, attrs: dict[str, str]) -> None:
        self.report.records += 1
        a, b = attrs.get("source"), attrs.get("target")
        if not a or not b:
            self.report.skip("edge without a source or a target", where=self.where())
            return
        if len(a) > MAX_ATTR_CHARS or len(b) > MAX_ATTR_CHARS:
            self.report.skip("edge end id longer than 64 KiB", where=self.where())
            return
        if self.kind == "graphml":
            d = attrs.get("directed")
            directed = self.directed if d is None else d in ("true", "1")
        else:
            t = attrs.get("type")
            directed = self.directed if t is None else t == "directed"
        self.linked.add(a)
        self.linked.add(b)
        self.em.add("follows", (self.platform, a, b, None, self.kind))
        if not directed:
            self.report.noted["undirected edge read as a mutual follow"] += 1
            if a != b:
                self.em.add("follows", (self.platform, b, a, None, self.kind))

    def finish(self) -> None:
        for nid in self.bare:
            if nid not in self.linked:
                self.em.add("accounts", (self.platform, nid, *([None] * 12), self.kind))


def _read_xml(
    src: Source,
    report: ReadReport,
    chunk_rows: int,
    kind: str,
    *,
    platform: str | None = None,
    id_space: str | None = None,
    **_: Any,
) -> _Chunks:
    from xml.parsers import expat

    platform = resolve_platform(src.path, platform, id_space, report)
    em = Emitter(report, chunk_rows)
    g = _XmlGraph(kind, em, report, platform)
    p = expat.ParserCreate(namespace_separator="}")
    g.parser = p
    p.buffer_text = True
    p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    p.StartDoctypeDeclHandler = g.doctype
    p.EntityDeclHandler = g.doctype
    p.StartElementHandler = g.start
    p.EndElementHandler = g.end
    p.CharacterDataHandler = g.chars
    label = "GraphML" if kind == "graphml" else "GEXF"
    try:
        with src.open() as f:
            while True:
                block = f.read(_XML_BLOCK)
                p.Parse(block, not block)
                yield from em.ready()
                if not block:
                    break
    except _Refused as e:
        if report.records:
            report.records += 1
            report.skip(f"{e}; rest of file not read", where=g.where())
        else:
            raise DataFormatError(f"{src.name}: not read as {label}: {e} (line {g.line()})") from e
    except LookupError as e:  # an XML declaration naming an encoding Python does not know
        if not report.records:
            raise DataFormatError(f"{src.name}: not a readable {label} file: {e}") from e
        report.records += 1
        report.skip(f"unknown text encoding ({e}); rest of file not read", where=g.where())
    except expat.ExpatError as e:
        msg = expat.ErrorString(e.code) if e.code else str(e)
        if not report.records:
            raise DataFormatError(
                f"{src.name}: not a readable {label} file: {msg} (line {e.lineno})"
            ) from e
        report.records += 1
        report.skip(f"malformed XML ({msg}); rest of file not read", where=f"line {e.lineno}")
    except (EOFError, zlib.error, OSError) as e:
        report.records += 1
        report.skip(
            f"truncated or unreadable input ({str(e)[:120]}); rest of file lost",
            where=g.where(),
        )
    g.finish()
    yield from em.close()


@register(
    "graphml",
    sniff=_sniff_xml(b"<graphml"),
    description="GraphML graph (directed: source follows target)",
    priority=20,
)
def read_graphml(src: Source, report: ReadReport, chunk_rows: int, **options: Any) -> _Chunks:
    """Read a GraphML file, streaming (safe parser: no DTD, any depth)."""
    return _read_xml(src, report, chunk_rows, "graphml", **options)


@register(
    "gexf",
    sniff=_sniff_xml(b"<gexf"),
    description="GEXF graph (directed: source follows target)",
    priority=21,
)
def read_gexf(src: Source, report: ReadReport, chunk_rows: int, **options: Any) -> _Chunks:
    """Read a GEXF file, streaming (safe parser: no DTD, any depth; nested nodes flattened)."""
    return _read_xml(src, report, chunk_rows, "gexf", **options)


# --------------------------------------------------------------------------- networkx


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
    g: Any,
    report: ReadReport,
    chunk_rows: int,
    *,
    platform: str | None = None,
    id_space: str | None = None,
    **_: Any,
) -> _Chunks:
    """Stream the canonical chunks of a NetworkX graph (used by ``ingest``): platform
    ``"graph"``, or ``platform``, or ``"graph:<id_space>"`` (module docstring)."""
    platform = resolve_platform(None, platform, id_space)
    return _graph_chunks(g, report, chunk_rows, platform=platform)
