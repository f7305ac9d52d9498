"""Reader of Bluesky / AT Protocol data: Jetstream JSON events and repository CAR files.

Two inputs:

- **Jetstream** JSON lines (``{"did", "time_us", "kind": "commit", "commit":
  {"operation", "collection", "rkey", "record"}}``): creates and updates carry
  the record; deletes carry none. ``identity`` events give handles.
- a **repository CAR** file (``com.atproto.sync.getRepo``): the signed commit
  names the repo's DID and the root of its Merkle Search Tree, whose walk gives
  each record's ``collection/rkey``.

Records read: ``app.bsky.feed.post`` (posts, replies, quotes), ``feed.repost``,
``feed.like``, ``graph.follow``, ``graph.list``, ``graph.listitem``,
``graph.starterpack`` and ``actor.profile``. A post's ``text`` has the link
facets applied by their UTF-8 byte offsets (the shortened visible link
replaced by its full ``uri``); mention facets fill ``mentions`` and tag
facets ``hashtags``. Replies take parent and root from ``reply.parent.uri`` and
``reply.root.uri``; quotes come from a record embed.

Fields are checked at one boundary per input: a Jetstream event is decoded
into typed structs (:mod:`msgspec`), and every record (from Jetstream, a CAR
file or the AppView reader) is checked against the atproto data model
(:func:`~.atproto.check_data_model`) and decoded into its collection's struct.
A record with a field of the wrong type is skipped, the reason naming the
field (``$.subject``); a facet that is not well-formed is left out of its post
(counted in ``noted``). A CAR block that does not hash to its CID is skipped
(its byte offset noted) and the rest of the file read.

Follows, likes and reposts carry ``record_id``, their AT-URI. A delete event
of any collection gives a ``tombstones`` row (the merge drops the follows and
interactions it names, now and in later merges); a deleted post (or repost)
also becomes a ``posts`` row with ``deleted`` true and no text (the same id may
also appear with its text, from before the delete). Within one Jetstream input
a follow, like or repost deleted further down is not emitted at all (noted).
Records whose DIDs or AT-URIs are syntactically invalid are skipped and
counted, as are collections outside the canonical tables.
"""

from __future__ import annotations

import base64
import zlib
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pyarrow as pa

from mutuals.errors import DataFormatError
from mutuals.io.readers._common import NOT_UTF8, Source, decode_legacy, iter_lines
from mutuals.io.readers._rows import RowSink, http_url, parse_iso
from mutuals.io.readers.atproto import (
    CID,
    check_data_model,
    decode_dag_cbor,
    is_did,
    is_handle,
    is_nsid,
    is_record_key,
    parse_at_uri,
    read_car,
    walk_mst,
)
from mutuals.io.readreport import ReadReport

__all__ = ["apply_facets", "read_bluesky", "sniff", "to_json_model"]

_PLATFORM = "bluesky"
_SOURCE = "bluesky"
_POST = "app.bsky.feed.post"
_REPOST = "app.bsky.feed.repost"
_LIKE = "app.bsky.feed.like"
_FOLLOW = "app.bsky.graph.follow"
#: Collections whose rows carry ``record_id`` (and so a tombstone removes).
_TOMBSTONED = (_FOLLOW, _LIKE, _REPOST)
#: Damaged CAR blocks noted one by one (with their byte offsets); the rest are counted.
_MAX_NOTED_DAMAGE = 50


# ----------------------------------------------------------------------------- typed fields
# The one boundary where fields are checked: msgspec decodes (or converts) into
# these, and a wrong type is one ValidationError naming the field's path.


class _Identity(msgspec.Struct):
    handle: str | None = None


class _Commit(msgspec.Struct):
    operation: str
    collection: str
    rkey: str
    record: dict[str, Any] | None = None


class _Event(msgspec.Struct):
    did: str
    kind: str
    time_us: int | None = None
    commit: _Commit | None = None
    identity: _Identity | None = None


class _Ref(msgspec.Struct):  # com.atproto.repo.strongRef
    uri: str
    cid: str | None = None


class _Follow(msgspec.Struct):
    subject: str
    createdAt: str | None = None


class _Subject(msgspec.Struct):  # like, repost
    subject: _Ref
    createdAt: str | None = None


class _Reply(msgspec.Struct):
    parent: _Ref
    root: _Ref


class _Post(msgspec.Struct):
    text: str
    createdAt: str | None = None
    reply: _Reply | None = None
    facets: list[Any] | None = None
    embed: dict[str, Any] | None = None
    langs: list[str] | None = None


class _List(msgspec.Struct):  # graph.list, graph.starterpack
    name: str | None = None
    description: str | None = None
    purpose: str | None = None
    createdAt: str | None = None


class _ListItem(msgspec.Struct):
    list_: str = msgspec.field(name="list")
    subject: str
    createdAt: str | None = None


class _Profile(msgspec.Struct):
    displayName: str | None = None
    description: str | None = None
    createdAt: str | None = None


class _ByteSlice(msgspec.Struct):
    byteStart: int
    byteEnd: int


class _Facet(msgspec.Struct):
    index: _ByteSlice
    features: list[dict[str, Any]]


class _Link(msgspec.Struct):
    uri: str


class _Mention(msgspec.Struct):
    did: str


class _Tag(msgspec.Struct):
    tag: str


class _Image(msgspec.Struct):
    image: dict[str, Any] | None = None
    alt: str | None = None


class _Images(msgspec.Struct):
    images: list[_Image]


class _Video(msgspec.Struct):
    video: dict[str, Any] | None = None
    alt: str | None = None


class _ExternalView(msgspec.Struct):
    uri: str
    title: str | None = None


class _External(msgspec.Struct):
    external: _ExternalView


class _RecordEmbed(msgspec.Struct):
    record: _Ref


class _RecordWithMedia(msgspec.Struct):
    record: _RecordEmbed
    media: dict[str, Any] | None = None


_RECORDS: dict[str, type[msgspec.Struct]] = {
    _POST: _Post,
    _REPOST: _Subject,
    _LIKE: _Subject,
    _FOLLOW: _Follow,
    "app.bsky.graph.list": _List,
    "app.bsky.graph.starterpack": _List,
    "app.bsky.graph.listitem": _ListItem,
    "app.bsky.actor.profile": _Profile,
}
_FEATURES: dict[str, type[msgspec.Struct]] = {
    "app.bsky.richtext.facet#link": _Link,
    "app.bsky.richtext.facet#mention": _Mention,
    "app.bsky.richtext.facet#tag": _Tag,
}
_EMBEDS: dict[str, type[msgspec.Struct]] = {
    "app.bsky.embed.images": _Images,
    "app.bsky.embed.video": _Video,
    "app.bsky.embed.external": _External,
    "app.bsky.embed.record": _RecordEmbed,
    "app.bsky.embed.recordWithMedia": _RecordWithMedia,
}
_EVENTS = msgspec.json.Decoder(_Event)


class _FieldError(ValueError):
    """A field of the wrong type (or missing); the message names its path."""


def _convert(value: Any, typ: type[msgspec.Struct], path: str) -> Any:
    """``value`` as ``typ``; a wrong field raises :class:`_FieldError` naming
    its path below ``path``."""
    try:
        return msgspec.convert(value, typ)
    except msgspec.ValidationError as e:
        raise _FieldError(_at_path(e, path)) from None


def _at_path(e: msgspec.ValidationError, path: str) -> str:
    msg = str(e)
    if " - at `$" in msg:
        return msg.replace(" - at `$", f" - at `{path}", 1)
    return f"{msg} - at `{path}`"


# ----------------------------------------------------------------------------- times

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_MIN_US = (datetime(1, 1, 2, tzinfo=UTC) - _EPOCH) // _US
_MAX_US = (datetime(9999, 12, 30, tzinfo=UTC) - _EPOCH) // _US
TIME_OUT_OF_RANGE = "time_us out of range (event time left empty)"


def _event_time(t_us: int | None, report: ReadReport) -> datetime | None:
    """A Jetstream ``time_us`` (microseconds since the epoch) as a UTC time."""
    if t_us is None:
        return None
    if not _MIN_US <= t_us <= _MAX_US:
        report.noted[TIME_OUT_OF_RANGE] += 1
        return None
    return _EPOCH + t_us * _US


def _iso(value: Any) -> datetime | None:
    try:
        return parse_iso(value)
    except OverflowError:  # "0001-01-01T00:00:00+01:00" is before year 1 in UTC
        return None


# ----------------------------------------------------------------------------- reading


def sniff(path: str | Path) -> bool:
    """True if ``path`` is a repository CAR file or Jetstream JSON lines."""
    try:
        with Source(path).open() as fh:  # gzip-compressed Jetstream too
            head = fh.read(4096)
    except (OSError, EOFError, zlib.error, UnicodeError):
        return False
    if _looks_car(head):
        return True
    first = head.split(b"\n", 1)[0]
    return first.lstrip().startswith(b"{") and b'"did"' in first and b'"time_us"' in first


def _looks_car(head: bytes) -> bool:
    if len(head) <= 2 or head[0] >= 0x80:
        return False
    if b"roots" in head[:64] and b"version" in head[:64]:
        return True
    # a damaged header: the CIDs of atproto blocks (v1, DAG-CBOR, sha2-256) still show
    # (not in text: JSON lines start with "{")
    return head.lstrip()[:1] != b"{" and head.count(b"\x01\x71\x12\x20") >= 2


def read_bluesky(path: str | Path, report: ReadReport) -> Iterator[tuple[str, pa.Table]]:
    """Read a Jetstream JSON-lines file or a repository CAR file into canonical tables.

    Parameters
    ----------
    path : str or Path
        The input file.
    report : ReadReport
        Counts records read, rows kept and records skipped (with the reason).

    Yields
    ------
    (str, pyarrow.Table)
        Canonical table name and a chunk conforming to its schema.

    Raises
    ------
    DataFormatError
        If the file is neither, or a CAR file has no readable repository commit.
    """
    p = Path(path)
    if not p.is_file():
        raise DataFormatError(f"{p}: not a file")
    try:
        with Source(p).open() as fh:
            head = fh.read(4096)
    except (EOFError, zlib.error, UnicodeError) as e:
        raise DataFormatError(f"{p}: unreadable compressed input ({e})") from e
    if _looks_car(head):
        yield from _read_car(p, report)
    else:
        yield from _read_jetstream(p, report)


def _later_deletes(p: Path) -> dict[str, int]:
    """AT-URI -> line of its last delete, for the follows, likes and reposts a
    Jetstream file deletes (a cheap first pass: only lines naming a delete are parsed)."""
    out: dict[str, int] = {}
    for i, raw in iter_lines(Source(p), ReadReport(str(p))):
        if b'"delete"' not in raw:
            continue
        try:
            ev = _EVENTS.decode(raw)
        except (msgspec.DecodeError, RecursionError):
            continue
        c = ev.commit
        if c is not None and c.operation == "delete" and c.collection in _TOMBSTONED:
            out[f"at://{ev.did}/{c.collection}/{c.rkey}"] = i
    return out


def _read_jetstream(p: Path, report: ReadReport) -> Iterator[tuple[str, pa.Table]]:
    report.format = "bluesky-jetstream"
    sink = RowSink(report)
    deletes = _later_deletes(p)
    # lines of the (decompressed) file; a truncated gzip ends them, counted
    for i, raw in iter_lines(Source(p), report):
        report.records += 1
        where = f"{p}:{i}"
        try:
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:  # a file re-saved in a legacy encoding: keep it, noted
                try:
                    ev = _EVENTS.decode(decode_legacy(raw))
                except msgspec.ValidationError:
                    raise
                except msgspec.DecodeError:
                    report.skip("line is not UTF-8", where=where, record=repr(raw[:200]))
                    continue
                report.noted[NOT_UTF8] += 1
            else:
                ev = _EVENTS.decode(raw)
        except msgspec.ValidationError as e:
            report.skip(f"event field: {e}", where=where, record=raw[:200].decode("latin-1"))
            continue
        except msgspec.DecodeError:
            report.skip("malformed JSON line", where=where, record=raw[:200].decode("latin-1"))
            continue
        except RecursionError:
            report.skip("JSON nested too deeply", where=where)
            continue
        if not is_did(ev.did):
            report.skip("invalid DID", where=where, record=ev.did[:200])
            continue
        at = _event_time(ev.time_us, report)
        if ev.kind == "identity":
            handle = ev.identity.handle if ev.identity is not None else None
            if handle is not None and not is_handle(handle):
                report.noted["identity event with an invalid handle (handle left empty)"] += 1
                handle = None
            sink.account(
                {
                    "platform": _PLATFORM,
                    "account_id": ev.did,
                    "handle": handle,
                    "observed_at": at,
                    "source": _SOURCE,
                },
                full=True,
            )
            continue
        if ev.kind != "commit":
            report.skip(f"{ev.kind} event (no record)"[:100], where=where)
            continue
        c = ev.commit
        if c is None:
            report.skip("commit event without commit object", where=where)
            continue
        if c.operation in ("create", "update") and c.collection in _TOMBSTONED:
            uri = f"at://{ev.did}/{c.collection}/{c.rkey}"
            if deletes.get(uri, 0) > i:
                report.noted[f"{c.collection} deleted later in this input (not emitted)"] += 1
                continue
        _record(ev.did, c.collection, c.rkey, c.operation, c.record, at, sink, report, where)
        yield from sink.ready()
    yield from sink.flush()


def _read_car(p: Path, report: ReadReport) -> Iterator[tuple[str, pa.Table]]:
    report.format = "bluesky-car"
    try:
        car = read_car(p.read_bytes())
    except DataFormatError as e:
        raise DataFormatError(f"{p}: {e}") from None
    for n, (offset, why) in enumerate(car.damaged):
        if n < _MAX_NOTED_DAMAGE:
            report.noted[f"damaged CAR block skipped at byte {offset}: {why}"] += 1
        else:
            report.noted["more damaged CAR blocks skipped"] += 1
    commit = _commit(p, car)
    did = commit["did"]
    sink = RowSink(report)
    lost: list[str] = []
    for key, cid in walk_mst(car, commit["data"], lost):
        report.records += 1
        where = f"{p}:{key}"
        coll, _, rkey = key.partition("/")
        raw = car.blocks.get(str(cid))
        if raw is None:
            report.skip("record block missing from CAR or damaged", where=where, record=str(cid))
            continue
        offset = car.offsets.get(str(cid), 0)
        try:
            rec = to_json_model(decode_dag_cbor(raw, offset=offset))
        except DataFormatError as e:
            report.skip(
                "malformed DAG-CBOR record", where=f"{where} (byte {offset})", record=str(e)
            )
            continue
        _record(did, coll, rkey, "create", rec, None, sink, report, where)
        yield from sink.ready()
    for why in lost:  # a lost subtree hides an unknown number of records: one skip each
        report.records += 1
        report.skip("MST subtree lost (missing or damaged node)", where=str(p), record=why)
    yield from sink.flush()


def _commit(p: Path, car: Any) -> dict[str, Any]:
    """The repository commit: the CAR root, or (the header damaged) the one block
    shaped like a commit."""
    if car.roots:
        name = str(car.roots[0])
        raw = car.blocks.get(name)
        if raw is None:
            raise DataFormatError(
                f"{p}: the commit block {name} is missing or damaged: the repository's "
                "DID and records are unknown"
            )
        commit = decode_dag_cbor(raw, offset=car.offsets.get(name, 0))
    else:
        found = []
        for raw in car.blocks.values():
            try:
                v = decode_dag_cbor(raw)
            except DataFormatError:
                continue
            if isinstance(v, dict) and {"did", "data", "version", "sig"} <= set(v):
                found.append(v)
        if len(found) != 1:
            raise DataFormatError(
                f"{p}: CAR header damaged and no single repository commit among the blocks"
            )
        commit = found[0]
    if not isinstance(commit, dict) or not isinstance(commit.get("data"), CID):
        raise DataFormatError(f"{p}: root block is not a repository commit")
    did = commit.get("did")
    if not isinstance(did, str) or not is_did(did):
        raise DataFormatError(f"{p}: repository commit has an invalid DID {did!r}")
    return commit


def to_json_model(v: Any) -> Any:
    """A decoded DAG-CBOR value in the AT Protocol JSON data model.

    CID links become ``{"$link": "<cid>"}`` and byte strings ``{"$bytes": "<base64>"}``.
    """
    if isinstance(v, CID):
        return {"$link": str(v)}
    if isinstance(v, bytes):
        return {"$bytes": base64.b64encode(v).decode().rstrip("=")}
    if isinstance(v, dict):
        return {k: to_json_model(x) for k, x in v.items()}
    if isinstance(v, list):
        return [to_json_model(x) for x in v]
    return v


def _uri_did(uri: Any) -> str | None:
    parsed = parse_at_uri(uri)
    if parsed is None:
        return None
    return parsed[0] if is_did(parsed[0]) else None


#: ``noted`` reason of a facet left out of its post.
FACET_SKIPPED = "facet skipped"


def apply_facets(
    text: str, facets: Any, noted: Counter[str] | None = None
) -> tuple[str, list[str], list[str], list[str]]:
    """Apply Bluesky rich-text facets by their UTF-8 byte offsets.

    Parameters
    ----------
    text : str
        The post text.
    facets : list
        ``app.bsky.richtext.facet`` objects: ``{"index": {"byteStart", "byteEnd"},
        "features": [...]}``.
    noted : Counter, optional
        Counts each facet left out (not an object, a field of the wrong type),
        by the field at fault.

    Returns
    -------
    (str, list, list, list)
        The text with each link facet's span replaced by its full http(s) URI,
        and the links, mentioned DIDs and tags (lower-cased, without ``#``).
        Facets with out-of-range, overlapping or non-character-boundary offsets
        are not applied to the text (their features are still collected).
    """
    data = text.encode("utf-8")
    links: list[str] = []
    mentions: list[str] = []
    tags: list[str] = []
    spans: list[tuple[int, int, str]] = []
    for f in facets if isinstance(facets, list) else []:
        try:
            facet = _convert(f, _Facet, "$.facets[]")
            feats = [
                (_convert(x, typ, "$.facets[].features[]"))
                for x in facet.features
                if (typ := _FEATURES.get(str(x.get("$type", "")))) is not None
            ]
        except _FieldError as bad:
            if noted is not None:
                noted[f"{FACET_SKIPPED}: {bad}"] += 1
            continue
        s, e = facet.index.byteStart, facet.index.byteEnd
        for feat in feats:
            if isinstance(feat, _Link):
                uri = http_url(feat.uri)
                if uri:
                    links.append(uri)
                    if 0 <= s < e <= len(data):
                        spans.append((s, e, uri))
            elif isinstance(feat, _Mention):
                if is_did(feat.did):
                    mentions.append(feat.did)
            else:
                tags.append(feat.tag.lstrip("#").lower())
    out = bytearray()
    pos = 0
    for s, e, uri in sorted(spans):
        if s < pos:
            continue  # overlapping facet
        try:
            data[s:e].decode("utf-8")
            data[pos:s].decode("utf-8")
        except UnicodeDecodeError:
            continue  # offsets not on character boundaries
        out += data[pos:s] + uri.encode("utf-8")
        pos = e
    out += data[pos:]
    return out.decode("utf-8", "replace"), links, mentions, tags


def _blob_url(did: str, blob: dict[str, Any] | None) -> str | None:
    if blob is None:
        return None
    ref = blob.get("ref")
    link = ref.get("$link") if isinstance(ref, dict) else blob.get("cid")
    if not isinstance(link, str) or not link.isalnum():
        return None
    return f"https://cdn.bsky.app/img/feed_fullsize/plain/{did}/{link}@jpeg"


def _embed(
    did: str, embed: dict[str, Any] | None, path: str = "$.embed"
) -> tuple[str | None, list[dict[str, Any]], list[str]]:
    """Quoted post URI, media and external links of a post embed.

    Raises :class:`_FieldError` for an embed field of the wrong type."""
    quote = None
    media: list[dict[str, Any]] = []
    urls: list[str] = []
    if embed is None:
        return quote, media, urls
    typ = _EMBEDS.get(str(embed.get("$type", "")))
    if typ is None:
        return quote, media, urls
    e = _convert(embed, typ, path)
    if isinstance(e, _RecordEmbed):
        quote = e.record.uri
    elif isinstance(e, _RecordWithMedia):
        quote = e.record.record.uri
        _, media, urls = _embed(did, e.media, f"{path}.media")
    elif isinstance(e, _Images):
        media = [
            {"type": "image", "url": _blob_url(did, im.image), "alt": im.alt} for im in e.images
        ]
    elif isinstance(e, _Video):
        media.append({"type": "video", "url": _blob_url(did, e.video), "alt": e.alt})
    elif isinstance(e, _External):
        uri = http_url(e.external.uri)
        if uri:
            urls.append(uri)
            media.append({"type": "external", "url": uri, "alt": e.external.title})
    return quote, media, urls


def _tombstone(sink: RowSink, uri: str, coll: str, at: datetime | None, source: str) -> None:
    sink.add(
        "tombstones",
        {
            "platform": _PLATFORM,
            "record_id": uri,
            "collection": coll,
            "deleted_at": at,
            "source": source,
        },
    )


def _record(
    did: str,
    coll: Any,
    rkey: Any,
    op: Any,
    rec: Any,
    at: datetime | None,
    sink: RowSink,
    report: ReadReport,
    where: str,
    *,
    source: str = _SOURCE,
    extra: dict[str, Any] | None = None,
) -> None:
    """Rows of one repository record ``at://did/coll/rkey`` (shared with the API reader).

    ``source`` fills the ``source`` column; ``extra`` adds columns to a post's row
    (the counts an AppView post view reports).
    """
    if not is_nsid(coll) or not is_record_key(rkey):
        report.skip("invalid collection or record key", where=where, record=f"{coll}/{rkey}"[:200])
        return
    uri = f"at://{did}/{coll}/{rkey}"
    if op not in ("create", "update", "delete"):
        report.skip("unknown commit operation", where=where, record=str(op)[:200])
        return
    if op == "delete":
        _tombstone(sink, uri, coll, at, source)
        if coll in (_POST, _REPOST):
            sink.add(
                "posts",
                {
                    "platform": _PLATFORM,
                    "post_id": uri,
                    "author_id": did,
                    "kind": "post" if coll == _POST else "repost",
                    "deleted": True,
                    "edited_at": at,
                    "url": _web_url(did, rkey) if coll == _POST else None,
                    "source": source,
                },
            )
        return
    if not isinstance(rec, dict):
        report.skip(f"{op} without a record", where=where)
        return
    typ = _RECORDS.get(coll)
    if typ is None:
        report.skip(f"collection not read: {coll}", where=where)
        return
    try:
        check_data_model(rec)
        r = _convert(rec, typ, "$")
        _rows(did, coll, rkey, uri, op, r, at, sink, report, where, source, extra)
    except (DataFormatError, _FieldError) as e:
        report.skip(f"{coll} record: {e}", where=where, record=str(rec)[:200])


def _rows(
    did: str,
    coll: str,
    rkey: str,
    uri: str,
    op: str,
    r: Any,
    at: datetime | None,
    sink: RowSink,
    report: ReadReport,
    where: str,
    source: str,
    extra: dict[str, Any] | None,
) -> None:
    created = _iso(r.createdAt) or at
    if isinstance(r, _Post):
        _post(did, rkey, uri, op, r, created, at, sink, report, where, source, extra)
    elif isinstance(r, _Subject):
        target = r.subject.uri
        tdid = _uri_did(target)
        if tdid is None:
            report.skip(f"{coll} with an invalid subject AT-URI", where=where, record=target[:200])
            return
        kind = "repost" if coll == _REPOST else "like"
        if kind == "repost":
            sink.add(
                "posts",
                {
                    "platform": _PLATFORM,
                    "post_id": uri,
                    "author_id": did,
                    "created_at": created,
                    "kind": "repost",
                    "repost_of_id": target,
                    "source": source,
                },
            )
        sink.add(
            "interactions",
            {
                "platform": _PLATFORM,
                "kind": kind,
                "source_id": did,
                "target_id": tdid,
                "post_id": uri if kind == "repost" else None,
                "target_post_id": target,
                "created_at": created,
                "record_id": uri,
                "source": source,
            },
        )
        sink.account({"platform": _PLATFORM, "account_id": did, "source": source})
        sink.account({"platform": _PLATFORM, "account_id": tdid, "source": source})
    elif isinstance(r, _Follow):
        if not is_did(r.subject):
            report.skip("follow with an invalid subject DID", where=where, record=r.subject[:200])
            return
        sink.add(
            "follows",
            {
                "platform": _PLATFORM,
                "follower_id": did,
                "friend_id": r.subject,
                "created_at": created,
                "record_id": uri,
                "source": source,
            },
        )
        sink.account({"platform": _PLATFORM, "account_id": did, "source": source})
        sink.account({"platform": _PLATFORM, "account_id": r.subject, "source": source})
    elif isinstance(r, _List):
        kind = (
            "starter_pack"
            if coll.endswith("starterpack")
            else ((r.purpose or "").rsplit("#", 1)[-1] or "list")
        )
        sink.add(
            "lists",
            {
                "platform": _PLATFORM,
                "list_id": uri,
                "owner_id": did,
                "name": r.name,
                "description": r.description,
                "kind": kind,
                "created_at": created,
                "source": source,
            },
        )
    elif isinstance(r, _ListItem):
        if parse_at_uri(r.list_) is None or not is_did(r.subject):
            report.skip("list item with an invalid list AT-URI or subject DID", where=where)
            return
        sink.add(
            "list_members",
            {
                "platform": _PLATFORM,
                "list_id": r.list_,
                "account_id": r.subject,
                "added_at": created,
                "source": source,
            },
        )
    else:
        assert isinstance(r, _Profile)
        sink.account(
            {
                "platform": _PLATFORM,
                "account_id": did,
                "display_name": r.displayName,
                "description": r.description,
                "created_at": _iso(r.createdAt),
                "observed_at": at,
                "source": source,
            },
            full=True,
        )


def _web_url(did: str, rkey: str) -> str:
    return f"https://bsky.app/profile/{did}/post/{rkey}"


def _post(
    did: str,
    rkey: str,
    uri: str,
    op: str,
    rec: _Post,
    created: datetime | None,
    at: datetime | None,
    sink: RowSink,
    report: ReadReport,
    where: str,
    source: str = _SOURCE,
    extra: dict[str, Any] | None = None,
) -> None:
    raw = rec.text
    parent = root = parent_author = None
    if rec.reply is not None:
        p, r = rec.reply.parent.uri, rec.reply.root.uri
        parent_author = _uri_did(p)
        if parent_author is None or _uri_did(r) is None:
            report.skip("reply with an invalid parent or root AT-URI", where=where, record=p[:200])
            return
        parent, root = p, r
    quote, media, ext_urls = _embed(did, rec.embed)  # a wrong field raises: record skipped
    text, links, mentions, tags = apply_facets(raw, rec.facets, report.noted)
    quote_url = None
    if quote is not None:
        q = parse_at_uri(quote)
        if q is None or not is_did(q[0]):
            report.skip("quote embed with an invalid AT-URI", where=where, record=quote[:200])
            return
        if q[1] == _POST and q[2]:
            quote_url = _web_url(q[0], q[2])
        else:
            quote = None  # embedded list/feed/starter pack, not a post
    urls = links + [u for u in ext_urls if u not in links]
    kind = "reply" if parent else ("quote" if quote else "post")
    sink.add(
        "posts",
        {
            "platform": _PLATFORM,
            "post_id": uri,
            "author_id": did,
            "created_at": created,
            "kind": kind,
            "text": text,
            "text_raw": raw,
            "lang": rec.langs[0] if rec.langs else None,
            "parent_id": parent,
            "parent_author_id": parent_author,
            "root_id": root if root else uri,
            "quote_id": quote,
            "quote_url": quote_url,
            "hashtags": tags,
            "mentions": mentions,
            "urls": urls,
            "media": media,
            "edited_at": at if op == "update" else None,
            "url": _web_url(did, rkey),
            "source": source,
            **(extra or {}),
        },
    )
    sink.account({"platform": _PLATFORM, "account_id": did, "source": source})
    base = {
        "platform": _PLATFORM,
        "source_id": did,
        "post_id": uri,
        "created_at": created,
        "source": source,
    }
    if parent:
        sink.add(
            "interactions",
            {**base, "kind": "reply", "target_id": parent_author, "target_post_id": parent},
        )
    if quote:
        sink.add(
            "interactions",
            {**base, "kind": "quote", "target_id": _uri_did(quote), "target_post_id": quote},
        )
    for m in mentions:
        sink.add("interactions", {**base, "kind": "mention", "target_id": m})
        sink.account({"platform": _PLATFORM, "account_id": m, "source": source})
