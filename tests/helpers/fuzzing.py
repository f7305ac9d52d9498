"""Mutation fuzzing of the readers: seed corpus, mutators, invariant checker, runner.

Shared by the CI suite (``tests/integration/test_fuzz_readers.py``) and the long run
(``benchmarks/fuzz_readers.py``). Nothing here is a test by itself.

- **Seeds** (:func:`seeds`): a few small real files per reader format from the
  shared data folder (``$MUTUALS_SHARED_DATA``, else ``../shared/data``), capped
  to their first records so that one case takes milliseconds. The formats the
  folder has no sample of (GraphML, GEXF, CSV and Parquet edge tables) get
  seeds converted from a real SNAP ego network.
- **Mutators** (:func:`mutate`): bytes (flips, insertions, deletions, splices,
  truncation), lines (duplicate, delete, swap, cut, join), JSON values of the
  wrong type (huge, negative and fractional numbers, numeric strings, lists,
  objects, booleans, nulls, lone surrogates, bidi controls, 100,000-deep
  nesting, huge strings), gzip damage, zip damage, folder damage, CAR block
  damage (a flip inside a block's CBOR, lengths, duplicated/dropped blocks),
  Parquet columns of the wrong type, and XML entity bombs / deep nesting.
- **Invariants** (:func:`check_case`): on each mutant, :func:`detect` and
  :func:`read` (forced to the seed's format, and again as detected when
  detection picks another format) raise nothing but
  :class:`~mutuals.errors.MutualsError`; each chunk is of a canonical table, in
  its exact schema, with no nulls in non-nullable columns, valid ``kind``
  values and at most ``chunk_rows`` rows; the report's counts are coherent
  (``0 <= n_skipped <= records``, every skip reason counted at least once,
  ``report.rows`` equal to the rows actually yielded, and no rows out of a
  pass that kept no record).
- **Runner** (:class:`Runner`): runs cases in worker processes, each case
  with a timeout (a hang kills and replaces the worker and is reported); a
  case is generated inside the worker from ``(seed, case index)``, so every
  finding is reproducible from those two numbers (:func:`make_case`).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import multiprocessing as mp
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

_REPO = Path(__file__).resolve().parents[2]
_DEFAULT_DATA = _REPO.parent / "shared" / "data"

#: Seed files are cut to this many lines / records (keeps a case in milliseconds).
CAP_LINES = 12
CAP_RECORDS = 12


def data_dir() -> Path | None:
    """The shared real-data folder, or None when it is absent."""
    p = Path(os.environ.get("MUTUALS_SHARED_DATA", _DEFAULT_DATA))
    return p if p.is_dir() else None


# --------------------------------------------------------------------------- seeds


@dataclass
class Seed:
    """One seed input.

    ``kind``: ``jsonl`` (JSON lines), ``jsondoc`` (one JSON document), ``ytd``
    (``window.YTD... = [...]``), ``text`` (edge lists, CSV), ``xml``, ``car``,
    ``parquet``, ``gz`` (gzip of ``inner``), ``folder`` and ``zip`` (``files``:
    member name -> (kind, bytes)).
    """

    format: str
    name: str  # file (or folder) name the mutant is written as
    kind: str
    data: bytes = b""
    inner: str = ""  # kind of the decompressed content (gz)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    origin: str = ""  # path in the shared data folder
    #: Detection is asserted on the unmutated seed unless False (a fragment that
    #: is ambiguous on its own, e.g. Mastodon trends/lists responses).
    detectable: bool = True


def _cap_lines(b: bytes, n: int = CAP_LINES) -> bytes:
    lines = b.splitlines(keepends=True)
    return b"".join(lines[:n])


def _cap_json(obj: Any, n: int = CAP_RECORDS) -> Any:
    """Cut long lists (at any depth) to ``n`` items."""
    if isinstance(obj, list):
        return [_cap_json(x, n) for x in obj[:n]]
    if isinstance(obj, dict):
        return {k: _cap_json(v, n) for k, v in obj.items()}
    return obj


def _ytd(b: bytes, n: int = CAP_RECORDS) -> bytes:
    head, _, body = b.partition(b"=")
    return head + b"= " + json.dumps(json.loads(body)[:n], indent=2).encode()


def _pick_lines(b: bytes, idx: list[int]) -> bytes:
    lines = b.splitlines(keepends=True)
    return b"".join(lines[i] for i in idx if i < len(lines))


def _graph_edges(d: Path) -> list[tuple[str, str]]:
    lines = (d / "graph-snap-ego-twitter/sample_egos/18988524.edges").read_text().splitlines()
    return [tuple(ln.split()[:2]) for ln in lines[:60]]  # type: ignore[misc]


def _derived_graph_seeds(d: Path) -> list[Seed]:
    import networkx as nx
    import pyarrow as pa
    import pyarrow.parquet as pq

    edges = _graph_edges(d)
    origin = "graph-snap-ego-twitter/sample_egos/18988524.edges (converted)"
    out = []
    csv = "follower,friend\n" + "".join(f"{a},{b}\n" for a, b in edges)
    out.append(Seed("csv-edges", "edges.csv", "text", csv.encode(), origin=origin))
    tsv = "source\ttarget\tweight\n" + "".join(f"{a}\t{b}\t1\n" for a, b in edges[:30])
    out.append(Seed("csv-edges", "edges.tsv", "text", tsv.encode(), origin=origin))
    t = pa.table({"follower": [a for a, _ in edges], "friend": [b for _, b in edges]})
    buf = io.BytesIO()
    pq.write_table(t, buf, row_group_size=16)
    out.append(Seed("parquet-edges", "edges.parquet", "parquet", buf.getvalue(), origin=origin))
    t2 = pa.table({"source": [int(a) for a, _ in edges], "target": [int(b) for _, b in edges]})
    buf = io.BytesIO()
    pq.write_table(t2, buf)
    out.append(Seed("parquet-edges", "int_edges.parquet", "parquet", buf.getvalue(), origin=origin))
    g = nx.DiGraph()
    for i, (a, b) in enumerate(edges[:40]):
        g.add_edge(a, b)
        g.nodes[a].update(handle=f"user{a[-4:]}", community=f"c{i % 3}", leaning=(i % 7) / 3 - 1)
    g.add_node("isolated", screen_name="alone")
    for kind, writer in (("graphml", nx.write_graphml), ("gexf", nx.write_gexf)):
        buf = io.BytesIO()
        writer(g, buf)
        out.append(Seed(kind, f"graph.{kind}", "xml", buf.getvalue(), origin=origin))
    return out


@cache
def seeds() -> tuple[Seed, ...]:
    """The seed corpus (cached per process); empty when the data folder is absent."""
    d = data_dir()
    if d is None:
        return ()

    def rd(rel: str) -> bytes:
        return (d / rel).read_bytes()

    def js(rel: str) -> bytes:
        return json.dumps(_cap_json(json.loads(rd(rel))), indent=2).encode()

    S: list[Seed] = []
    tw = "twarc-csv-testdata/"
    for rel in ("two_tweets.jsonl", "media_tweet.jsonl", "edited.jsonl", "lists.jsonl"):
        S.append(Seed("twarc2", rel, "jsonl", _cap_lines(rd(tw + rel), 2), origin=tw + rel))
    S.append(
        Seed("twarc2", "users.jsonl", "jsonl", _cap_lines(rd(tw + "users.jsonl"), 1), origin=tw)
    )
    rel = "twarc2-docnow-plugins/twarc-ids_tweets2.jsonl"
    S.append(Seed("twarc2", "tweets2.jsonl", "jsonl", rd(rel), origin=rel))
    rel = "twarc-csv-testdata/flat.jsonl"
    S.append(Seed("twarc2-flat", "flat.jsonl", "jsonl", _cap_lines(rd(rel), 6), origin=rel))
    rel = "twarc2-docnow-plugins/carpentries_one_tweet.jsonl"
    S.append(Seed("twarc2-flat", "one_tweet.jsonl", "jsonl", rd(rel), origin=rel))
    # X API v1.1
    v1 = "twitter-v1-python-twitter/"
    rel = "twitter-v1-twitter-to-sqlite/tweets.json"
    S.append(Seed("x-v1", "tweets.json", "jsondoc", js(rel), origin=rel))
    for name in (
        "3.2__extended_tweet_in_extended_mode.json",
        "get_follower_ids_0.json",
        "followers.json",
        "friendship-create.json",
    ):
        S.append(Seed("x-v1", name, "jsondoc", js(v1 + name), origin=v1 + name))
    rel = "twitter-v1-gnip-tweet_parser/original_format_examples.json"
    S.append(Seed("x-v1", "original.json", "jsonl", _cap_lines(rd(rel), 4), origin=rel))
    gn = "twitter-v1-gnip-tweet_parser/"
    rel = gn + "activity_streams_examples.json"
    S.append(Seed("gnip", "activity.json", "jsonl", _cap_lines(rd(rel), 4), origin=rel))
    rel = gn + "broken_and_unsupported_payloads__activity_streams_missing_field.json"
    S.append(Seed("gnip", "missing_field.json", "jsonl", rd(rel), origin=rel))
    # recorded API responses (one {uri, method, status, body} per line)
    rel = "twitter-v2-v1-tweepy-cassettes/decoded/responses.jsonl"
    raw = rd(rel)
    n = len(raw.splitlines())
    for k, idx in enumerate(([0, 1, 2, 3], [n // 3, n // 3 + 1], [n // 2, 2 * n // 3, n - 1])):
        S.append(
            Seed("x-api-responses", f"resp{k}.jsonl", "jsonl", _pick_lines(raw, idx), origin=rel)
        )
    rel = "mastodon-mastodonpy-entity-cassettes/decoded/responses.jsonl"
    raw = rd(rel)
    n = len(raw.splitlines())
    for k in range(0, n, 5):
        part = _pick_lines(raw, [k, k + 1])
        S.append(Seed("mastodon", f"m{k}.jsonl", "jsonl", part, origin=rel, detectable=k < 35))
    # X archive: single .js files, a folder and a zip
    fd = "twitter-archive-folddb-fixture/"
    members: dict[str, tuple[str, bytes]] = {}
    for name in ("account.js", "profile.js", "manifest.js", "tweets.js", "follower.js",
                 "following.js", "like.js", "note-tweet.js", "lists-member.js"):  # fmt: skip
        members[name] = ("ytd", _ytd(rd(fd + name)) if name != "manifest.js" else rd(fd + name))
    for name in ("tweets.js", "note-tweet.js", "like.js"):
        S.append(Seed("x-archive", name, "ytd", members[name][1], origin=fd + name))
    S.append(Seed("x-archive", "archive", "folder", files=members, origin=fd))
    S.append(Seed("x-archive", "archive.zip", "zip", files=members, origin=fd))
    ts = "twitter-archive-twitter-to-sqlite/"
    small = {p.name: ("ytd", p.read_bytes()) for p in sorted((d / ts).glob("*.js"))}
    S.append(Seed("x-archive", "small", "folder", files=small, origin=ts))
    # Bluesky: repo CAR, Jetstream JSON lines; AppView responses
    bj = "bluesky-jetstream-corpus/"
    S.append(Seed("bluesky", "repo.car", "car", rd(bj + "repo.car"), origin=bj + "repo.car"))
    raw = rd(bj + "expected_v1.jsonl")
    for k, start in enumerate((0, 40, 100)):
        part = _pick_lines(raw, list(range(start, start + CAP_LINES)))
        S.append(Seed("bluesky", f"jetstream{k}.jsonl", "jsonl", part, origin=bj))
    S.append(Seed("bluesky", "golden.jsonl", "jsonl", rd(bj + "golden_v1.jsonl"), origin=bj))
    mx = "bluesky-marshalx-sdk-fixtures/"
    for name in ("get_follows.json", "thread_view_post_with_embed_media.json",
                 "tests__models__test_data__search_actors_typeahead.json", "feed_record.json"):  # fmt: skip
        S.append(Seed("bluesky-api", name[-40:], "jsondoc", js(mx + name), origin=mx + name))
    # graphs
    eg = "graph-snap-ego-twitter/sample_egos/"
    for ego in ("18988524", "61890555"):
        S.append(
            Seed(
                "snap",
                f"{ego}.edges",
                "text",
                _cap_lines(rd(f"{eg}{ego}.edges"), 40),
                origin=eg + ego + ".edges",
            )
        )
    rel = "graph-snap-ego-twitter/twitter_combined.txt.gz"
    with gzip.open(d / rel) as f:
        head = b"".join(f.readline() for _ in range(40))
    S.append(Seed("snap", "combined.txt.gz", "gz", gzip.compress(head), inner="text", origin=rel))
    fi = "graph-finnish-election-2019-hashtag-retweet-networks/single_hashtag_networks/"
    first = sorted((d / fi).iterdir())[0]
    S.append(Seed("snap", first.name, "text", _cap_lines(first.read_bytes(), 40), origin=fi))
    rel = "graph-twitter-follower-egos-anwar2021/hersheycareers.json"
    doc = json.loads(rd(rel))
    edges = doc["edges"][:40]
    nodes = {str(x) for e in edges for x in e}
    doc = {**doc, "edges": edges, "labels": {k: v for k, v in doc["labels"].items() if k in nodes}}
    S.append(
        Seed("labelled-edges-json", "egos.json", "jsondoc", json.dumps(doc).encode(), origin=rel)
    )
    S.extend(_derived_graph_seeds(d))
    return tuple(S)


def formats() -> list[str]:
    """Formats with seeds, in a stable order."""
    return sorted({s.format for s in seeds()})


def seeds_of(fmt: str) -> list[Seed]:
    return [s for s in seeds() if s.format == fmt]


# --------------------------------------------------------------------------- mutators


@dataclass
class Config:
    """Sizes of the expensive mutations (small in CI, large in the long run)."""

    huge_bytes: int = 1 << 20  # a "huge" string field
    giant_bytes: int = 0  # 50-200 MB fields, long run only (0 = never)
    giant_rate: float = 0.0  # share of cases that get a giant field
    deep: int = 100_000  # nesting depth


Rng = np.random.Generator

INTERESTING_BYTES = [
    b"\x00", b"\xff", b"\xfe\xff", b"\xef\xbb\xbf", b'"', b"\\", b"{", b"}", b"[", b"]",
    b",", b":", b"\n", b"\r\n", b"\r", b"\t", b" ", b"#", b"<", b">", b"&", b"'", b"=",
    b"\xed\xa0\x80", b"\xc3", b"\xe2\x80\xae", b"\\u0000", b"\\ud800", b"null", b"1e999",
    b"-", b"0", b"99999999999999999999999", b"NaN", b"PK\x03\x04", b"\x1f\x8b",
]  # fmt: skip


def _randbytes(rng: Rng, n: int) -> bytes:
    return rng.integers(0, 256, n, dtype=np.uint8).tobytes()


def _pos(rng: Rng, n: int) -> int:
    return int(rng.integers(0, n + 1)) if n else 0


def m_flip(rng: Rng, b: bytes) -> tuple[bytes, str]:
    if not b:
        return b"\x00", "flip(empty)"
    out = bytearray(b)
    k = int(rng.integers(1, 9))
    for _ in range(k):
        i = int(rng.integers(0, len(out)))
        out[i] ^= 1 << int(rng.integers(0, 8))
    return bytes(out), f"flip {k} bits"


def m_setbyte(rng: Rng, b: bytes) -> tuple[bytes, str]:
    if not b:
        return b, "setbyte(empty)"
    i = int(rng.integers(0, len(b)))
    v = bytes([int(rng.integers(0, 256))])
    return b[:i] + v + b[i + 1 :], f"set byte {i}"


def m_insert(rng: Rng, b: bytes) -> tuple[bytes, str]:
    i = _pos(rng, len(b))
    if rng.random() < 0.6:
        ins = INTERESTING_BYTES[int(rng.integers(0, len(INTERESTING_BYTES)))]
        ins = ins * int(rng.integers(1, 4))
    else:
        ins = _randbytes(rng, int(rng.integers(1, 32)))
    return b[:i] + ins + b[i:], f"insert {ins[:12]!r} at {i}"


def m_delete(rng: Rng, b: bytes) -> tuple[bytes, str]:
    if not b:
        return b, "delete(empty)"
    i = int(rng.integers(0, len(b)))
    n = int(rng.integers(1, max(2, min(len(b) - i, 256))))
    return b[:i] + b[i + n :], f"delete {n} bytes at {i}"


def m_duplicate(rng: Rng, b: bytes) -> tuple[bytes, str]:
    if not b:
        return b, "dup(empty)"
    i = int(rng.integers(0, len(b)))
    n = int(rng.integers(1, max(2, min(len(b) - i, 512))))
    j = _pos(rng, len(b))
    return b[:j] + b[i : i + n] + b[j:], f"copy {n} bytes from {i} to {j}"


def m_truncate(rng: Rng, b: bytes) -> tuple[bytes, str]:
    i = _pos(rng, len(b))
    return b[:i], f"truncate at {i}"


def m_splice(rng: Rng, b: bytes, other: bytes) -> tuple[bytes, str]:
    i, j = _pos(rng, len(b)), _pos(rng, len(other))
    return b[:i] + other[j:], f"splice at {i} with other seed from {j}"


BYTE_MUTATORS = [m_flip, m_setbyte, m_insert, m_delete, m_duplicate, m_truncate]


def _lines(b: bytes) -> list[bytes]:
    return b.splitlines(keepends=True) or [b""]


def m_lines(rng: Rng, b: bytes) -> tuple[bytes, str]:
    ls = _lines(b)
    n = len(ls)
    i, j = int(rng.integers(0, n)), int(rng.integers(0, n))
    op = int(rng.integers(0, 8))
    if op == 0:
        ls.insert(j, ls[i])
        d = f"duplicate line {i}"
    elif op == 1:
        del ls[i]
        d = f"delete line {i}"
    elif op == 2:
        ls[i], ls[j] = ls[j], ls[i]
        d = f"swap lines {i},{j}"
    elif op == 3:
        cut = _pos(rng, len(ls[i]))
        ls[i] = ls[i][:cut] + b"\n"
        d = f"cut line {i} at {cut}"
    elif op == 4:
        ls[i] = ls[i].rstrip(b"\r\n")
        d = f"join line {i} with next"
    elif op == 5:
        ls.insert(
            i, [b"\n", b"   \n", b"\r\n", b"#\n", b"\x00\n", b"[]\n", b"{}\n", b"null\n"][j % 8]
        )
        d = f"insert junk line at {i}"
    elif op == 6:
        ls = ls * int(rng.integers(2, 5))
        d = "repeat the whole file"
    else:
        ls[i] = ls[i].rstrip(b"\r\n") + b"\r\n"
        d = f"CRLF line {i}"
    return b"".join(ls), d


# JSON values of the wrong type. Strings starting with RAW are spliced in as raw text.
_RAW = "\x00RAW:"


def _wrong_values(cfg: Config, rng: Rng) -> list[Any]:
    return [
        0, -1, 5, 1, 10**20, -(10**25), 2**63, 2**64 + 1, 1.5, -0.0, 1e308, -1e-308,
        "5", "-1", "", "abc", "2019-13-45T99:99:99Z", "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z", "Wed Sep 04 13:51:55 +0000 2019", "\u202e\u2066gpj.exe",
        "a\nb\r\n# heading", "\x00", "x" * 1000, "@" * 300, "#" * 300, "http://",
        [], [1, "a", None], [[[]]], ["x"] * 50, {}, {"a": 1}, {"id": [], "type": {}},
        True, False, None,
        _RAW + "1" * 400, _RAW + "1e400", _RAW + "-1e400", _RAW + "NaN", _RAW + "Infinity",
        _RAW + '"\\ud800"', _RAW + '"\\udfff\\ud800"', _RAW + "9" * 25, _RAW + "-0",
        _RAW + "1E+2", _RAW + "0.0000000000000000000000000001",
        _RAW + "[" * cfg.deep + "]" * cfg.deep,
        _RAW + '{"a":' * cfg.deep + "1" + "}" * cfg.deep,
        _RAW + "[" * 5000 + "]" * 5000,
        "HUGE",
    ]  # fmt: skip


def _nodes(obj: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Paths of every value inside ``obj`` (not ``obj`` itself)."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(obj, path)]
    while stack:
        o, p = stack.pop()
        items = o.items() if isinstance(o, dict) else enumerate(o) if isinstance(o, list) else ()
        for k, v in items:
            yield (*p, k)
            if isinstance(v, dict | list):
                stack.append((v, (*p, k)))


def _get(obj: Any, path: tuple[Any, ...]) -> Any:
    for k in path:
        obj = obj[k]
    return obj


def mutate_json_value(obj: Any, rng: Rng, cfg: Config, giant: bool = False) -> tuple[Any, str]:
    """Replace (or delete, or duplicate) one value inside ``obj``; may return a
    value holding RAW placeholders (see :func:`dump_json`)."""
    paths = list(_nodes(obj))
    if not paths:
        return [obj, {"x": obj}][int(rng.integers(0, 2))], "wrap the record"
    p = paths[int(rng.integers(0, len(paths)))]
    parent = _get(obj, p[:-1])
    r = rng.random()
    if r < 0.08 and isinstance(parent, dict):
        del parent[p[-1]]
        return obj, f"delete key {'/'.join(map(str, p))}"
    if r < 0.12 and isinstance(parent, list):
        parent.insert(int(p[-1]), parent[p[-1]])
        return obj, f"duplicate item {'/'.join(map(str, p))}"
    vals = _wrong_values(cfg, rng)
    v = vals[int(rng.integers(0, len(vals)))]
    if giant:
        v = _RAW + '"' + "x" * cfg.giant_bytes + '"'
        label = f"giant string ({cfg.giant_bytes >> 20} MB)"
    elif isinstance(v, str) and v == "HUGE":
        n = int(cfg.huge_bytes * (0.5 + rng.random()))
        unit = ["x", "é", "\u202e", "#tag ", "@user ", "https://t.co/x "][int(rng.integers(0, 6))]
        v = unit * (n // len(unit.encode()))
        label = f"huge string ({n} bytes of {unit!r})"
    elif isinstance(v, str) and v.startswith(_RAW):
        label = f"raw {v[len(_RAW) : len(_RAW) + 24]!r}{'...' if len(v) > len(_RAW) + 24 else ''}"
    else:
        label = repr(v)[:40]
    parent[p[-1]] = v
    return obj, f"set {'/'.join(map(str, p))[-80:]} = {label}"


def dump_json(obj: Any, indent: int | None = None) -> bytes:
    """JSON text of ``obj`` with RAW placeholders spliced in as raw text."""
    raws: list[str] = []

    def sub(o: Any) -> Any:
        if isinstance(o, str) and o.startswith(_RAW):
            raws.append(o[len(_RAW) :])
            return f"\x01{len(raws) - 1}\x01"
        if isinstance(o, dict):
            return {k: sub(v) for k, v in o.items()}
        if isinstance(o, list):
            return [sub(v) for v in o]
        return o

    s = json.dumps(sub(obj), indent=indent, ensure_ascii=False)
    for i, r in enumerate(raws):
        s = s.replace(json.dumps(f"\x01{i}\x01"), r, 1)
    return s.encode("utf-8", "surrogatepass")


def m_json_lines(rng: Rng, b: bytes, cfg: Config, giant: bool = False) -> tuple[bytes, str]:
    ls = _lines(b)
    good = []
    for i, ln in enumerate(ls):
        with contextlib.suppress(ValueError):
            good.append((i, json.loads(ln)))
    if not good:
        return m_flip(rng, b)
    i, rec = good[int(rng.integers(0, len(good)))]
    if rng.random() < 0.05 and not giant:
        repl = [b"5", b'"x"', b"[]", b"null", b"[1,2]", b"true", b"{}"][int(rng.integers(0, 7))]
        ls[i] = repl + b"\n"
        return b"".join(ls), f"line {i}: whole record = {repl!r}"
    k = 1 if giant else int(rng.integers(1, 4))
    descs = []
    for _ in range(k):
        rec, d = mutate_json_value(rec, rng, cfg, giant)
        descs.append(d)
    ls[i] = dump_json(rec) + b"\n"
    return b"".join(ls), f"line {i}: " + "; ".join(descs)


def m_json_doc(rng: Rng, b: bytes, cfg: Config, giant: bool = False) -> tuple[bytes, str]:
    prefix = b""
    body = b
    if b.lstrip().startswith(b"window."):  # X archive .js
        head, eq, body = b.partition(b"=")
        prefix = head + eq + b" "
    try:
        doc = json.loads(body)
    except ValueError:
        return m_flip(rng, b)
    k = 1 if giant else int(rng.integers(1, 4))
    descs = []
    for _ in range(k):
        doc, d = mutate_json_value(doc, rng, cfg, giant)
        descs.append(d)
    indent = 2 if b"\n " in body[:200] else None
    return prefix + dump_json(doc, indent), "; ".join(descs)


_TOKENS = [
    b"", b"-1", b"0", b"abc", b"#FF", b"1e5", b"1" * 30, b"\xff\xfe", b"\xc3\xa9", b"nan",
    b'"', b'""', b'"a,b"', b"\\N", b"NULL", b" ", b"\t", b",", b";", b"\x00", b"x" * 5000,
]  # fmt: skip


def m_tokens(rng: Rng, b: bytes) -> tuple[bytes, str]:
    """Replace one whitespace/comma-separated field of a text line."""
    ls = _lines(b)
    i = int(rng.integers(0, len(ls)))
    ln = ls[i]
    sep = b"," if b"," in ln else b"\t" if b"\t" in ln else b" "
    eol = ln[len(ln.rstrip(b"\r\n")) :]
    parts = ln.rstrip(b"\r\n").split(sep)
    j = int(rng.integers(0, len(parts) + 1))
    tok = _TOKENS[int(rng.integers(0, len(_TOKENS)))]
    if j == len(parts):
        parts.append(tok)
    else:
        parts[j] = tok
    ls[i] = sep.join(parts) + eol
    return b"".join(ls), f"line {i} field {j} = {tok[:12]!r}"


def m_xml(rng: Rng, b: bytes, cfg: Config) -> tuple[bytes, str]:
    s = b
    op = int(rng.integers(0, 6))
    decl_end = s.find(b"?>") + 2 if s.startswith(b"<?xml") else 0
    if op == 0:  # billion laughs
        ents = b'<!ENTITY a0 "lollollollollollol">' + b"".join(
            b'<!ENTITY a%d "%s">' % (k, (b"&a%d;" % (k - 1)) * 10) for k in range(1, 10)
        )
        root = s[decl_end:].lstrip().split(b" ", 1)[0].lstrip(b"<")
        dt = b"<!DOCTYPE " + root + b" [" + ents + b"]>"
        s = s[:decl_end] + dt + s[decl_end:]
        s = s.replace(b'key="', b'key="&a9;', 1) if rng.random() < 0.3 else s
        i = s.rfind(b"</data>")
        s = s if i < 0 else s[:i] + b"&a9;" + s[i:]
        return s, "billion-laughs entity"
    if op == 1:  # external entity
        root = s[decl_end:].lstrip().split(b" ", 1)[0].lstrip(b"<")
        dt = b"<!DOCTYPE " + root + b' [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        s = s[:decl_end] + dt + s[decl_end:]
        i = s.find(b"</data>")
        return (s if i < 0 else s[:i] + b"&x;" + s[i:]), "external entity"
    if op == 2:  # deep nesting inside the root
        i = s.rfind(b"</")
        d = min(cfg.deep, 100_000)
        return s[:i] + b"<x>" * d + b"</x>" * d + s[i:], f"{d}-deep elements"
    if op == 3:  # huge attribute value
        n = cfg.huge_bytes
        return s.replace(b'id="', b'id="' + b"9" * n, 1), f"huge id attribute ({n} bytes)"
    if op == 4:  # attribute value of a wrong type
        for old, new in ((b'attr.type="double"', b'attr.type="int"'), (b"<data ", b"<data ")):
            if old in s:
                s = s.replace(old, new, 1)
        vals = [b"abc", b"", b"1e999", b"nan", b"-0", b"\xff"]
        v = vals[int(rng.integers(0, len(vals)))]
        j = s.find(b"<data ")
        if j >= 0:
            k = s.find(b">", j) + 1
            e = s.find(b"</data>", k)
            s = s[:k] + v + s[e:]
        return s, f"first data value = {v!r}"
    return s.replace(b'source="', b'source="&amp;<', 1), "markup inside an attribute"


def _varint(b: bytes, i: int) -> tuple[int, int]:
    n = shift = 0
    while True:
        c = b[i]
        i += 1
        n |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return n, i


def _enc_varint(n: int) -> bytes:
    out = bytearray()
    while True:
        c = n & 0x7F
        n >>= 7
        out.append(c | (0x80 if n else 0))
        if not n:
            return bytes(out)


def car_sections(b: bytes) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """Split a CAR v1 file into its header section and ``(cid, data)`` blocks."""
    n, i = _varint(b, 0)
    header = b[: i + n]
    i += n
    blocks = []
    while i < len(b):
        n, j = _varint(b, i)
        sec = b[j : j + n]
        # CIDv1: version, codec, multihash code, digest length, digest
        _, k = _varint(sec, 0)
        _, k = _varint(sec, k)
        _, k = _varint(sec, k)
        dl, k = _varint(sec, k)
        blocks.append((sec[: k + dl], sec[k + dl :]))
        i = j + n
    return header, blocks


def car_join(header: bytes, blocks: list[tuple[bytes, bytes]]) -> bytes:
    return header + b"".join(_enc_varint(len(c) + len(d)) + c + d for c, d in blocks)


def m_car(rng: Rng, b: bytes) -> tuple[bytes, str]:
    try:
        header, blocks = car_sections(b)
    except IndexError:
        return m_flip(rng, b)
    if not blocks:
        return m_flip(rng, b)
    i = int(rng.integers(0, len(blocks)))
    cid, data = blocks[i]
    op = int(rng.integers(0, 8))
    if op <= 2:  # damage inside the block's CBOR
        mut = [m_flip, m_setbyte, m_insert, m_delete, m_truncate][int(rng.integers(0, 5))]
        new, d = mut(rng, data)
        blocks[i] = (cid, new)
        desc = f"block {i}: {d}"
    elif op == 3:
        blocks.insert(int(rng.integers(0, len(blocks))), blocks[i])
        desc = f"duplicate block {i}"
    elif op == 4:
        del blocks[i]
        desc = f"drop block {i}"
    elif op == 5:
        j = int(rng.integers(0, len(blocks)))
        blocks[i] = (blocks[j][0], data)
        desc = f"block {i} gets the CID of block {j}"
    elif op == 6:  # CBOR major-type swap of the first byte
        if data:
            data = bytes([(data[0] & 0x1F) | (int(rng.integers(0, 8)) << 5)]) + data[1:]
        blocks[i] = (cid, data)
        desc = f"block {i}: first CBOR major type changed"
    else:
        new, d = m_flip(rng, header)
        return car_join(new, blocks), f"header: {d}"
    out = car_join(header, blocks)
    if rng.random() < 0.1:  # a wrong section length
        out = out[: len(header)] + _enc_varint(len(out) * 7) + out[len(header) :]
        desc += "; bogus first section length"
    return out, desc


def m_parquet(rng: Rng, b: bytes, cfg: Config) -> tuple[bytes, str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = pq.read_table(io.BytesIO(b))
    n = t.num_rows
    op = int(rng.integers(0, 7))
    col = t.column_names[int(rng.integers(0, t.num_columns))]
    if op == 0:
        arr: pa.Array = pa.array([None] * n, pa.string())
        desc = f"{col}: all null"
    elif op == 1:
        arr = pa.array([[1, 2]] * n)
        desc = f"{col}: lists"
    elif op == 2:
        arr = pa.array([float(i) / 3 for i in range(n)])
        desc = f"{col}: floats"
    elif op == 3:
        arr = pa.array([{"a": i} for i in range(n)])
        desc = f"{col}: structs"
    elif op == 4:
        arr = pa.array([b"\xff\xfe" * (i % 3) for i in range(n)], pa.binary())
        desc = f"{col}: invalid UTF-8 binary"
    elif op == 5:
        arr = pa.array(["x" * (cfg.huge_bytes // max(n, 1))] * n)
        desc = f"{col}: huge strings"
    else:
        t = t.drop_columns([col])
        buf = io.BytesIO()
        pq.write_table(t, buf)
        return buf.getvalue(), f"drop column {col}"
    t = t.set_column(t.column_names.index(col), col, arr)
    buf = io.BytesIO()
    pq.write_table(t, buf)
    return buf.getvalue(), desc


def m_gzip_damage(rng: Rng, b: bytes) -> tuple[bytes, str]:
    op = int(rng.integers(0, 5))
    if op == 0:
        i = _pos(rng, len(b))
        return b[:i], f"gzip truncated at {i}/{len(b)}"
    if op == 1:
        out, d = m_flip(rng, b[10:])  # past the header: damage the deflate stream or CRC
        return b[:10] + out, f"gzip stream: {d}"
    if op == 2:
        return b + _randbytes(rng, int(rng.integers(1, 64))), "gzip + trailing garbage"
    if op == 3:
        return b + b, "two gzip members"
    return b[:-8] + _randbytes(rng, 8), "gzip CRC/size trailer replaced"


def _zip(files: dict[str, bytes], prefix: str = "data/") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(prefix + name if prefix and not name.startswith("/") else name, data)
    return buf.getvalue()


def mutate_content(
    rng: Rng, kind: str, b: bytes, cfg: Config, other: bytes | None, giant: bool = False
) -> tuple[bytes, str]:
    """One mutation of a file's content, chosen by the file's kind."""
    if giant and kind in ("jsonl", "jsondoc", "ytd"):
        fn = m_json_lines if kind == "jsonl" else m_json_doc
        return fn(rng, b, cfg, giant=True)
    r = rng.random()
    if kind in ("jsonl", "jsondoc", "ytd") and r < 0.5:
        fn = m_json_lines if kind == "jsonl" else m_json_doc
        return fn(rng, b, cfg)
    if kind == "car" and r < 0.6:
        return m_car(rng, b)
    if kind == "parquet" and r < 0.4:
        return m_parquet(rng, b, cfg)
    if kind == "xml" and r < 0.35:
        return m_xml(rng, b, cfg)
    if kind == "text" and r < 0.35:
        return m_tokens(rng, b)
    r = rng.random()
    if kind not in ("car", "parquet") and r < 0.3:
        return m_lines(rng, b)
    if other is not None and r < 0.36:
        return m_splice(rng, b, other)
    fn2 = BYTE_MUTATORS[int(rng.integers(0, len(BYTE_MUTATORS)))]
    out, d = fn2(rng, b)
    if rng.random() < 0.2:  # stack a second byte mutation
        fn2 = BYTE_MUTATORS[int(rng.integers(0, len(BYTE_MUTATORS)))]
        out, d2 = fn2(rng, out)
        d = f"{d}; {d2}"
    return out, d


@dataclass
class Case:
    """One mutant: what to write where, and how it was made."""

    index: int
    format: str
    seed: str  # seed name
    origin: str
    mutation: str
    name: str  # file or folder name
    data: bytes = b""  # the file (kinds other than folder)
    files: dict[str, bytes] | None = None  # folder members
    mutated_member: str | None = None  # the folder/zip member the mutation changed
    chunk_rows: int = 65536
    rejects: bool = False

    @property
    def size(self) -> int:
        return len(self.data) + sum(len(v) for v in (self.files or {}).values())

    def write(self, where: Path) -> Path:
        """Write the mutant under ``where`` and return its path."""
        p = where / self.name
        if self.files is not None:
            p.mkdir(parents=True, exist_ok=True)
            for name, data in self.files.items():
                q = p / name
                q.parent.mkdir(parents=True, exist_ok=True)
                if name.endswith("/"):
                    q.mkdir(exist_ok=True)
                else:
                    q.write_bytes(data)
        else:
            p.write_bytes(self.data)
        return p


def make_case(seed: int, index: int, fmt: str, cfg: Config) -> Case:
    """The mutant number ``index`` of format ``fmt`` under ``seed`` (deterministic)."""
    fmt_key = int(hashlib.sha256(fmt.encode()).hexdigest()[:8], 16)
    rng = np.random.default_rng([seed, fmt_key, index])
    pool = seeds_of(fmt)
    s = pool[int(rng.integers(0, len(pool)))]
    other = pool[int(rng.integers(0, len(pool)))]
    giant = cfg.giant_bytes > 0 and rng.random() < cfg.giant_rate
    chunk_rows = [1, 2, 3, 7, 64, 65536][int(rng.integers(0, 6))]
    case = Case(index, fmt, s.name, s.origin, "", s.name, chunk_rows=chunk_rows)
    case.rejects = bool(rng.random() < 0.3)
    if s.kind == "gz":
        inner = gzip.decompress(s.data)
        if rng.random() < 0.7 or giant:
            oth = gzip.decompress(other.data) if other.kind == "gz" else other.data
            new, d = mutate_content(rng, s.inner, inner, cfg, oth, giant)
            case.data, case.mutation = gzip.compress(new, compresslevel=1), f"(inside gzip) {d}"
        else:
            case.data, case.mutation = m_gzip_damage(rng, s.data)
        return case
    if s.kind in ("folder", "zip"):
        files = {k: v for k, (_, v) in s.files.items()}
        r = rng.random()
        names = sorted(files)
        if r < 0.75 or giant:  # mutate one member's content
            m = names[int(rng.integers(0, len(names)))]
            if rng.random() < 0.5 and "tweets.js" in files:
                m = "tweets.js"
            files[m], d = mutate_content(rng, s.files[m][0], files[m], cfg, None, giant)
            case.mutated_member = m
            case.mutation = f"{m}: {d}"
        else:  # structure
            op = int(rng.integers(0, 6))
            m = names[int(rng.integers(0, len(names)))]
            if op == 0:
                del files[m]
                case.mutation = f"remove {m}"
            elif op == 1:
                files[m] = b""
                case.mutation = f"empty {m}"
            elif op == 2:
                files["tweets-part1.js"] = files.get("tweets.js", b"")[: len(files[m]) // 2]
                case.mutation = "add a half tweets-part1.js"
            elif op == 3:
                files[m.replace(".js", "-part1.js")] = files[m]
                case.mutation = f"duplicate {m} as a part file"
            elif op == 4:
                files["README.txt"] = _randbytes(rng, 300)
                case.mutation = "add a binary README.txt"
            else:
                files[m] = s.files[m][1].replace(b"window.YTD.", b"window.YTD.x.y.", 1)
                case.mutation = f"{m}: odd window.YTD prefix"
        if s.kind == "folder":
            case.files = files
            return case
        prefix = ["data/", "", "archive/data/"][int(rng.integers(0, 3))]
        z = _zip(files, prefix)
        r = rng.random()
        if r < 0.5:
            case.data = z
        elif r < 0.8:  # damage the zip itself
            zd, d = [m_flip, m_truncate, m_delete, m_duplicate, m_setbyte][int(rng.integers(0, 5))](
                rng, z
            )
            case.data, case.mutation = zd, f"{case.mutation}; zip bytes: {d}"
        else:  # odd members
            op = int(rng.integers(0, 4))
            extra = {
                0: {"../../escape.js": b"x"},
                1: {"/abs/tweets.js": files.get("tweets.js", b"")},
                2: {"data/tweets.js/": b""},
                3: {"data/bomb.js": b"\x00" * (cfg.huge_bytes * 8)},
            }[op]
            buf = io.BytesIO(z)
            with zipfile.ZipFile(buf, "a", zipfile.ZIP_DEFLATED) as zz, warnings_off():
                for k, v in extra.items():
                    zz.writestr(k, v)
            case.data = buf.getvalue()
            case.mutation += f"; zip member {next(iter(extra))!r}"
        return case
    case.data, case.mutation = mutate_content(rng, s.kind, s.data, cfg, other.data, giant)
    return case


@contextlib.contextmanager
def warnings_off() -> Iterator[None]:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# --------------------------------------------------------------------------- invariants


@dataclass
class Finding:
    """A broken invariant: ``kind`` is crash, hang, miscount or schema; ``note`` is
    suspicious but not a failure (rows out of a pass that kept no record)."""

    kind: str
    signature: str  # what deduplicates findings (exception class + site, or the rule)
    stage: str  # detect / read / read-detected
    message: str
    traceback: str = ""


@dataclass
class Outcome:
    index: int
    format: str
    mutation: str
    status: str  # ok / typed / crash / hang / miscount / schema
    detected: str = ""
    error: str = ""  # the typed error's message
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0
    size: int = 0
    seed: str = ""


_SRC = str(_REPO / "src" / "mutuals")


def crash_site(e: BaseException) -> str:
    """``file:line in function`` of the innermost frame inside mutuals."""
    tb = traceback.extract_tb(e.__traceback__)
    frames = [f for f in tb if "mutuals" in f.filename and "/tests/" not in f.filename]
    frames = [f for f in frames if not f.filename.endswith("fuzzing.py")]
    if not frames:
        return "(no mutuals frame)"
    f = frames[-1]
    fn = f.filename
    i = fn.rfind("mutuals/")
    return f"{fn[i:] if i >= 0 else fn}:{f.lineno} in {f.name}"


def _crash(stage: str, e: BaseException) -> Finding:
    site = crash_site(e)
    tb = "".join(traceback.format_exception(type(e), e, e.__traceback__, limit=30))
    msg = str(e)[:300]
    return Finding("crash", f"{type(e).__name__} at {site}", stage, msg, tb[-6000:])


def check_read(
    path: Path, fmt: str | None, chunk_rows: int, rejects: bool, stage: str
) -> tuple[list[Finding], str]:
    """Read ``path`` as ``fmt`` (None: detect) and check every invariant.
    Returns the findings and the typed error's message (if one was raised).

    An exception Python could not raise (one inside a callback such as pyarrow's
    ``invalid_row_handler``, printed as "Exception ignored in") is a crash too."""
    swallowed: list[Any] = []
    old = sys.unraisablehook
    sys.unraisablehook = swallowed.append
    try:
        out, typed = _check_read(path, fmt, chunk_rows, rejects, stage)
    finally:
        sys.unraisablehook = old
    for u in swallowed:
        e = u.exc_value
        if e is None:
            continue
        f = _crash(stage, e)
        f.signature = (
            f"unraisable {f.signature} (in {getattr(u.object, '__qualname__', u.object)!s:.60})"
        )
        out.append(f)
    return out, typed


def _check_read(
    path: Path, fmt: str | None, chunk_rows: int, rejects: bool, stage: str
) -> tuple[list[Finding], str]:
    """Read ``path`` as ``fmt`` (None: detect) and check every invariant.
    Returns the findings and the typed error's message (if one was raised)."""
    from collections import Counter

    import pyarrow.compute as pc

    from mutuals.errors import MutualsError
    from mutuals.io.readers import read
    from mutuals.io.readreport import ReadReport
    from mutuals.io.schema import INTERACTION_KINDS, POST_KINDS, SCHEMAS

    rep = ReadReport(path.name, rejects=io.StringIO() if rejects else None)
    out: list[Finding] = []
    seen: Counter[str] = Counter()
    typed = ""
    kinds = {"posts": set(POST_KINDS), "interactions": set(INTERACTION_KINDS)}
    try:
        for item in read(path, format=fmt, report=rep, chunk_rows=chunk_rows):
            name, t = item
            if name not in SCHEMAS:
                out.append(Finding("schema", f"unknown table {name!r}", stage, ""))
                continue
            if not t.schema.equals(SCHEMAS[name], check_metadata=False):
                out.append(
                    Finding("schema", f"{name}: schema differs", stage, f"{t.schema}"[:1000])
                )
                continue
            if t.num_rows > chunk_rows:
                out.append(
                    Finding("schema", f"{name}: chunk over chunk_rows", stage, f"{t.num_rows}")
                )
            for f in SCHEMAS[name]:
                if not f.nullable and t.column(f.name).null_count:
                    out.append(Finding("schema", f"{name}.{f.name} has nulls", stage, ""))
            if name in kinds and t.num_rows:
                bad = set(pc.unique(t.column("kind")).to_pylist()) - kinds[name]
                if bad:
                    out.append(Finding("schema", f"{name}.kind invalid", stage, f"{sorted(bad)}"))
            seen[name] += t.num_rows
    except MutualsError as e:
        typed = f"{type(e).__name__}: {e}"[:500]
        return out, typed  # counts of an aborted pass are not checked
    except RecursionError as e:
        out.append(_crash(stage, e))
        return out, typed
    except Exception as e:
        out.append(_crash(stage, e))
        return out, typed
    # counts
    if rep.records < 0 or rep.n_skipped < 0:
        out.append(Finding("miscount", "negative count", stage, rep.summary()[:500]))
    if rep.n_skipped > rep.records:
        out.append(
            Finding(
                "miscount",
                "skipped > records",
                stage,
                f"records={rep.records} skipped={rep.n_skipped}: {dict(rep.skipped)}"[:500],
            )
        )
    if any(v <= 0 for v in rep.skipped.values()):
        out.append(Finding("miscount", "skip reason with count <= 0", stage, f"{rep.skipped}"))
    reported = {k: v for k, v in rep.rows.items() if v}
    if reported != {k: v for k, v in seen.items() if v}:
        out.append(
            Finding(
                "miscount",
                "report.rows != rows yielded",
                stage,
                f"reported {reported}, yielded {dict(seen)}",
            )
        )
    if sum(seen.values()) and rep.records - rep.n_skipped <= 0:
        out.append(
            Finding(
                "note",  # e.g. the account of a skipped Mastodon status edit: not wrong
                "rows from no kept record",
                stage,
                f"records={rep.records} skipped={rep.n_skipped} rows={dict(seen)}",
            )
        )
    return out, typed


def check_case(path: Path, fmt: str, chunk_rows: int = 65536, rejects: bool = False) -> Outcome:
    """Detect and read one input, checking every invariant."""
    from mutuals.errors import MutualsError
    from mutuals.io.readers import detect, formats

    o = Outcome(-1, fmt, "", "ok")
    findings: list[Finding] = []
    detected = ""
    try:
        detected = detect(path)
        if detected != "empty" and detected not in formats():
            findings.append(
                Finding("schema", "detect returned an unknown name", "detect", detected)
            )
    except MutualsError as e:
        detected = f"({type(e).__name__})"
    except Exception as e:
        findings.append(_crash("detect", e))
    o.detected = detected
    f, typed = check_read(path, fmt, chunk_rows, rejects, "read")
    findings += f
    o.error = typed
    if detected and not detected.startswith("(") and detected not in (fmt, "empty"):
        f2, _ = check_read(path, None, chunk_rows, rejects, "read-detected")
        findings += f2
    o.findings = findings
    bad = [x for x in findings if x.kind != "note"]
    if bad:
        order = ["crash", "schema", "miscount"]
        o.status = min((x.kind for x in bad), key=order.index)
    elif typed:
        o.status = "typed"
    return o


# --------------------------------------------------------------------------- minimising


def minimise(data: bytes, still_fails: Callable[[bytes], bool], budget_s: float = 20.0) -> bytes:
    """A smaller ``data`` for which ``still_fails`` holds (line-, then byte-chunk ddmin)."""
    t0 = time.monotonic()

    def left() -> bool:
        return time.monotonic() - t0 < budget_s

    def ddmin(units: list[bytes]) -> list[bytes]:
        n = 2
        while len(units) >= 2 and left():
            size = max(1, len(units) // n)
            done = False
            for i in range(0, len(units), size):
                if not left():
                    break
                cand = units[:i] + units[i + size :]
                if cand and still_fails(b"".join(cand)):
                    units = cand
                    n = max(n - 1, 2)
                    done = True
                    break
            if not done:
                if size == 1:
                    break
                n = min(len(units), n * 2)
        return units

    lines = data.splitlines(keepends=True)
    if len(lines) > 1:
        data = b"".join(ddmin(lines))
    if len(data) <= 200_000:  # byte chunks (for long lines); skipped on huge data
        chunk = max(1, len(data) // 64)
        units = [data[i : i + chunk] for i in range(0, len(data), chunk)]
        data = b"".join(ddmin(units))
    return data


# --------------------------------------------------------------------------- runner


class _Alarm(Exception):
    pass


def _on_alarm(signum: int, frame: Any) -> None:
    raise _Alarm


def run_one(seed: int, index: int, fmt: str, cfg: Config, tmp: Path) -> Outcome:
    """Generate and check one case (inside a worker)."""
    t0 = time.monotonic()
    case = make_case(seed, index, fmt, cfg)
    d = Path(tempfile.mkdtemp(dir=tmp))
    try:
        path = case.write(d)
        o = check_case(path, fmt, case.chunk_rows, case.rejects)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    o.index, o.mutation, o.size, o.seed = index, case.mutation, case.size, case.seed
    o.seconds = time.monotonic() - t0
    return o


def minimise_case(seed: int, index: int, fmt: str, cfg: Config, signature: str, out: Path,
                  budget_s: float = 20.0) -> Path:  # fmt: skip
    """Save the case and a minimised copy that still shows ``signature`` under ``out``."""
    case = make_case(seed, index, fmt, cfg)
    out.mkdir(parents=True, exist_ok=True)
    path = case.write(out)
    tmp = Path(tempfile.mkdtemp())

    def sig_of(c: Case) -> set[str]:
        d = Path(tempfile.mkdtemp(dir=tmp))
        try:
            p = c.write(d)
            old = signal.signal(signal.SIGALRM, _on_alarm)
            signal.alarm(5)
            try:
                o = check_case(p, fmt, c.chunk_rows, c.rejects)
            except _Alarm:
                return set()
            finally:
                signal.alarm(0)
                signal.signal(signal.SIGALRM, old)
            return {f.signature for f in o.findings}
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def fails_with(data: bytes) -> bool:
        c = Case(**{**asdict(case)})
        if case.files is not None and case.mutated_member:
            c.files = {**case.files, case.mutated_member: data}
        else:
            c.data = data
        return signature in sig_of(c)

    minimised = None
    if case.files is None and not case.name.endswith((".zip", ".gz", ".parquet")):
        minimised = minimise(case.data, fails_with, budget_s)
    elif case.files is not None and case.mutated_member:
        minimised = minimise(case.files[case.mutated_member], fails_with, budget_s)
    shutil.rmtree(tmp, ignore_errors=True)
    if minimised is not None:
        mdir = out / "min"
        mdir.mkdir(exist_ok=True)
        if case.files is not None:
            c = Case(**{**asdict(case)})
            c.files = {**case.files, case.mutated_member or "": minimised}
            c.write(mdir)
        else:
            (mdir / case.name).write_bytes(minimised)
    meta = {
        "format": fmt,
        "seed": seed,
        "index": index,
        "seed_file": case.seed,
        "origin": case.origin,
        "mutation": case.mutation,
        "chunk_rows": case.chunk_rows,
        "rejects": case.rejects,
        "signature": signature,
        "file": str(path),
        "minimised": str(out / "min" / case.name) if minimised is not None else None,
        "minimised_bytes": len(minimised) if minimised is not None else None,
        "replay": (
            "from mutuals.io.readers import read; from mutuals.io.readreport import ReadReport; "
            f"list(read({str(path)!r}, format={fmt!r}, report=ReadReport('x'), "
            f"chunk_rows={case.chunk_rows}))"
        ),
    }
    (out / "case.json").write_text(json.dumps(meta, indent=2))
    return out


def _worker(conn: Any, cfg: Config, tmp: str) -> None:
    import warnings

    warnings.simplefilter("ignore")  # a reader's warnings are not findings here
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        if msg is None:
            return
        op, args = msg
        try:
            if op == "run":
                res: Any = run_one(*args, cfg, Path(tmp))
            else:
                seed, index, fmt, sig, out, budget = args
                res = str(minimise_case(seed, index, fmt, cfg, sig, Path(out), budget))
        except BaseException as e:  # the harness itself failed: report, keep going
            res = ("harness-error", f"{type(e).__name__}: {e}\n{traceback.format_exc()}")
        conn.send(res)


class Runner:
    """Runs cases in ``workers`` processes, each case with a timeout; a case that
    times out is a hang (the worker is killed and replaced), a worker that dies is
    a crash."""

    def __init__(self, cfg: Config, workers: int = 2, timeout: float = 20.0) -> None:
        self.cfg = cfg
        self.timeout = timeout
        self.ctx = mp.get_context("spawn" if sys.platform == "darwin" else "forkserver")
        self.tmp = tempfile.mkdtemp(prefix="mutuals-fuzz-")
        self.slots: list[Any] = [self._spawn() for _ in range(workers)]

    def _spawn(self) -> Any:
        parent, child = self.ctx.Pipe()
        p = self.ctx.Process(target=_worker, args=(child, self.cfg, self.tmp), daemon=True)
        p.start()
        child.close()
        return [p, parent, None, 0.0, 0.0]  # process, conn, job, started, timeout

    def _timeout_for(self, size_hint: int) -> float:
        return self.timeout + size_hint / (10 << 20)  # +1 s per 10 MB

    def run(self, jobs: list[tuple[int, int, str]]) -> Iterator[Outcome]:
        """Run ``(seed, index, format)`` jobs; yield outcomes in completion order."""
        from multiprocessing.connection import wait

        pending = list(reversed(jobs))
        busy = 0
        while pending or busy:
            for s in self.slots:
                if s[2] is None and pending:
                    job = pending.pop()
                    s[1].send(("run", job))
                    big = self.cfg.giant_bytes if self.cfg.giant_rate else 0
                    s[2], s[3], s[4] = job, time.monotonic(), self._timeout_for(big)
                    busy += 1
            conns = [s[1] for s in self.slots if s[2] is not None]
            ready = wait(conns, timeout=0.5)
            now = time.monotonic()
            for i, s in enumerate(self.slots):
                if s[2] is None:
                    continue
                _seed, index, fmt = s[2]
                if s[1] in ready:
                    try:
                        res = s[1].recv()
                    except (EOFError, OSError):
                        res = None
                    if isinstance(res, Outcome):
                        s[2] = None
                        busy -= 1
                        yield res
                        continue
                    code = s[0].exitcode
                    msg = res[1] if isinstance(res, tuple) else f"worker died (exit code {code})"
                    sig = "harness error" if isinstance(res, tuple) else f"worker died ({code})"
                    o = Outcome(index, fmt, "", "crash", seconds=now - s[3])
                    o.findings = [Finding("crash", sig, "read", msg[:2000])]
                    s[2] = None
                    busy -= 1
                    if not isinstance(res, tuple):
                        self._replace(i)
                    yield o
                elif now - s[3] > s[4]:
                    o = Outcome(index, fmt, "", "hang", seconds=now - s[3])
                    o.findings = [Finding("hang", "timeout", "read", f"> {s[4]:.0f} s")]
                    s[2] = None
                    busy -= 1
                    self._replace(i)
                    yield o

    def minimise(self, seed: int, index: int, fmt: str, signature: str, out: Path,
                 budget_s: float = 20.0) -> str:  # fmt: skip
        """Save (and minimise) a finding's case in a worker; returns the folder."""
        s = self.slots[0]
        s[1].send(("min", (seed, index, fmt, signature, str(out), budget_s)))
        if s[1].poll(budget_s * 3 + 60):
            res = s[1].recv()
            return res if isinstance(res, str) else f"(not saved: {res[1][:200]})"
        self._replace(0)
        # a hang: save the mutant without minimising it
        case = make_case(seed, index, fmt, self.cfg)
        out.mkdir(parents=True, exist_ok=True)
        path = case.write(out)
        (out / "case.json").write_text(
            json.dumps(
                {
                    "format": fmt,
                    "seed": seed,
                    "index": index,
                    "mutation": case.mutation,
                    "signature": signature,
                    "file": str(path),
                },
                indent=2,
            )
        )
        return str(out)

    def _replace(self, i: int) -> None:
        p = self.slots[i][0]
        if p.is_alive():
            p.kill()
        p.join(5)
        self.slots[i][1].close()
        self.slots[i] = self._spawn()

    def close(self) -> None:
        for s in self.slots:
            with contextlib.suppress(OSError, BrokenPipeError):
                s[1].send(None)
        for s in self.slots:
            s[0].join(2)
            if s[0].is_alive():
                s[0].kill()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
