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

A deleted post becomes a ``posts`` row with ``deleted`` true and no text (the
same id may also appear with its text, from before the delete). Records whose
DIDs or AT-URIs are syntactically invalid are skipped and counted, as are
deletes of follows and likes (their record, and so the target, is not in the
event) and collections outside the canonical tables.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from mutuals.errors import DataFormatError
from mutuals.io.readers._common import NOT_UTF8, Source, decode_legacy, iter_lines
from mutuals.io.readers._rows import RowSink, http_url, parse_iso
from mutuals.io.readers.atproto import (
    CID,
    decode_dag_cbor,
    is_did,
    is_record_key,
    parse_at_uri,
    read_car,
    walk_mst,
)
from mutuals.io.readreport import ReadReport

__all__ = ["apply_facets", "read_bluesky", "sniff", "to_json_model"]

_PLATFORM = "bluesky"
_SOURCE = "bluesky"


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
    return len(head) > 2 and head[0] < 0x80 and b"roots" in head[:64] and b"version" in head[:64]


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
        If the file is neither, or a CAR file is structurally broken.
    """
    p = Path(path)
    if not p.is_file():
        raise DataFormatError(f"{p}: not a file")
    try:
        with Source(p).open() as fh:
            head = fh.read(64)
    except (EOFError, zlib.error, UnicodeError) as e:
        raise DataFormatError(f"{p}: unreadable compressed input ({e})") from e
    if _looks_car(head):
        yield from _read_car(p, report)
    else:
        yield from _read_jetstream(p, report)


def _read_jetstream(p: Path, report: ReadReport) -> Iterator[tuple[str, pa.Table]]:
    report.format = "bluesky-jetstream"
    sink = RowSink(report)
    # lines of the (decompressed) file; a truncated gzip ends them, counted
    for i, raw in iter_lines(Source(p), report):
        report.records += 1
        where = f"{p}:{i}"
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:  # a file re-saved in a legacy encoding: keep it, counted
            try:
                ev = json.loads(decode_legacy(raw))
            except json.JSONDecodeError:
                report.skip("line is not UTF-8", where=where, record=repr(raw[:200]))
                continue
            report.noted[NOT_UTF8] += 1
        else:
            try:
                ev = json.loads(line)
            except json.JSONDecodeError:
                report.skip("malformed JSON line", where=where, record=line[:200])
                continue
        if not isinstance(ev, dict):
            report.skip("event is not a JSON object", where=where)
            continue
        did = ev.get("did")
        if not isinstance(did, str) or not is_did(did):
            report.skip("invalid DID", where=where, record=str(did)[:200])
            continue
        kind = ev.get("kind")
        t_us = ev.get("time_us")
        at = datetime.fromtimestamp(t_us / 1e6, UTC) if isinstance(t_us, int | float) else None
        if kind == "identity":
            ident = ev.get("identity") or {}
            sink.account(
                {
                    "platform": _PLATFORM,
                    "account_id": did,
                    "handle": ident.get("handle"),
                    "observed_at": at,
                    "source": _SOURCE,
                },
                full=True,
            )
            continue
        if kind != "commit":
            report.skip(f"{kind} event (no record)", where=where)
            continue
        c = ev.get("commit")
        if not isinstance(c, dict):
            report.skip("commit event without commit object", where=where)
            continue
        _record(
            did,
            c.get("collection"),
            c.get("rkey"),
            c.get("operation"),
            c.get("record"),
            at,
            sink,
            report,
            where,
        )
        yield from sink.ready()
    yield from sink.flush()


def _read_car(p: Path, report: ReadReport) -> Iterator[tuple[str, pa.Table]]:
    report.format = "bluesky-car"
    car = read_car(p.read_bytes())
    if not car.roots:
        raise DataFormatError(f"{p}: CAR file has no root (not a repository export)")
    commit_raw = car.blocks.get(str(car.roots[0]))
    if commit_raw is None:
        raise DataFormatError(f"{p}: the commit block {car.roots[0]} is missing")
    commit = decode_dag_cbor(commit_raw)
    if not isinstance(commit, dict) or not isinstance(commit.get("data"), CID):
        raise DataFormatError(f"{p}: root block is not a repository commit")
    did = commit.get("did")
    if not isinstance(did, str) or not is_did(did):
        raise DataFormatError(f"{p}: repository commit has an invalid DID {did!r}")
    sink = RowSink(report)
    for key, cid in walk_mst(car, commit["data"]):
        report.records += 1
        where = f"{p}:{key}"
        coll, _, rkey = key.partition("/")
        raw = car.blocks.get(str(cid))
        if raw is None:
            report.skip("record block missing from CAR", where=where, record=str(cid))
            continue
        try:
            rec = to_json_model(decode_dag_cbor(raw))
        except DataFormatError as e:
            report.skip("malformed DAG-CBOR record", where=where, record=str(e))
            continue
        _record(did, coll, rkey, "create", rec, None, sink, report, where)
        yield from sink.ready()
    yield from sink.flush()


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


def apply_facets(text: str, facets: Any) -> tuple[str, list[str], list[str], list[str]]:
    """Apply Bluesky rich-text facets by their UTF-8 byte offsets.

    Parameters
    ----------
    text : str
        The post text.
    facets : list
        ``app.bsky.richtext.facet`` objects: ``{"index": {"byteStart", "byteEnd"},
        "features": [...]}``.

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
        if not isinstance(f, dict):
            continue
        idx = f.get("index") or {}
        s, e = idx.get("byteStart"), idx.get("byteEnd")
        for feat in f.get("features") or []:
            if not isinstance(feat, dict):
                continue
            t = str(feat.get("$type", ""))
            if t.endswith("#link"):
                uri = http_url(feat.get("uri"))
                if uri:
                    links.append(uri)
                    if isinstance(s, int) and isinstance(e, int) and 0 <= s < e <= len(data):
                        spans.append((s, e, uri))
            elif t.endswith("#mention") and is_did(feat.get("did")):
                mentions.append(feat["did"])
            elif t.endswith("#tag") and isinstance(feat.get("tag"), str):
                tags.append(feat["tag"].lstrip("#").lower())
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


def _blob_url(did: str, blob: Any) -> str | None:
    if not isinstance(blob, dict):
        return None
    ref = blob.get("ref")
    link = ref.get("$link") if isinstance(ref, dict) else blob.get("cid")
    if not isinstance(link, str) or not link.isalnum():
        return None
    return f"https://cdn.bsky.app/img/feed_fullsize/plain/{did}/{link}@jpeg"


def _embed(did: str, embed: Any) -> tuple[str | None, list[dict[str, Any]], list[str]]:
    """Quoted post URI, media and external links of a post embed."""
    quote = None
    media: list[dict[str, Any]] = []
    urls: list[str] = []
    if not isinstance(embed, dict):
        return quote, media, urls
    t = str(embed.get("$type", ""))
    if t == "app.bsky.embed.record":
        rec = embed.get("record") or {}
        quote = rec.get("uri") if isinstance(rec, dict) else None
    elif t == "app.bsky.embed.recordWithMedia":
        rec = embed.get("record") or {}
        inner = rec.get("record") if isinstance(rec, dict) else None
        quote = inner.get("uri") if isinstance(inner, dict) else None
        _, media, urls = _embed(did, embed.get("media"))
    elif t == "app.bsky.embed.images":
        for im in embed.get("images") or []:
            if isinstance(im, dict):
                media.append(
                    {"type": "image", "url": _blob_url(did, im.get("image")), "alt": im.get("alt")}
                )
    elif t == "app.bsky.embed.video":
        media.append(
            {"type": "video", "url": _blob_url(did, embed.get("video")), "alt": embed.get("alt")}
        )
    elif t == "app.bsky.embed.external":
        ext = embed.get("external") or {}
        uri = http_url(ext.get("uri")) if isinstance(ext, dict) else None
        if uri:
            urls.append(uri)
            media.append({"type": "external", "url": uri, "alt": ext.get("title")})
    return quote, media, urls


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
    if not isinstance(coll, str) or not is_record_key(rkey):
        report.skip("invalid collection or record key", where=where, record=f"{coll}/{rkey}")
        return
    uri = f"at://{did}/{coll}/{rkey}"
    if op not in ("create", "update", "delete"):
        report.skip("unknown commit operation", where=where, record=str(op))
        return
    if op == "delete":
        if coll == "app.bsky.feed.post":
            sink.add(
                "posts",
                {
                    "platform": _PLATFORM,
                    "post_id": uri,
                    "author_id": did,
                    "kind": "post",
                    "deleted": True,
                    "edited_at": at,
                    "url": _web_url(did, rkey),
                    "source": source,
                },
            )
        else:
            report.skip(f"delete of {coll} (the event carries no record)", where=where)
        return
    if not isinstance(rec, dict):
        report.skip(f"{op} without a record", where=where)
        return
    created = parse_iso(rec.get("createdAt")) or at
    if coll == "app.bsky.feed.post":
        _post(did, rkey, uri, op, rec, created, at, sink, report, where, source, extra)
    elif coll in ("app.bsky.feed.repost", "app.bsky.feed.like"):
        subj = rec.get("subject") or {}
        target = subj.get("uri") if isinstance(subj, dict) else None
        tdid = _uri_did(target)
        if tdid is None:
            report.skip(
                f"{coll} with an invalid subject AT-URI", where=where, record=str(target)[:200]
            )
            return
        kind = "repost" if coll.endswith("repost") else "like"
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
                "source": source,
            },
        )
        sink.account({"platform": _PLATFORM, "account_id": did, "source": source})
        sink.account({"platform": _PLATFORM, "account_id": tdid, "source": source})
    elif coll == "app.bsky.graph.follow":
        subj = rec.get("subject")
        if not is_did(subj):
            report.skip("follow with an invalid subject DID", where=where, record=str(subj)[:200])
            return
        sink.add(
            "follows",
            {
                "platform": _PLATFORM,
                "follower_id": did,
                "friend_id": subj,
                "created_at": created,
                "source": source,
            },
        )
        sink.account({"platform": _PLATFORM, "account_id": did, "source": source})
        sink.account({"platform": _PLATFORM, "account_id": subj, "source": source})
    elif coll in ("app.bsky.graph.list", "app.bsky.graph.starterpack"):
        purpose = str(rec.get("purpose") or "")
        kind = (
            "starter_pack"
            if coll.endswith("starterpack")
            else (purpose.rsplit("#", 1)[-1] or "list")
        )
        sink.add(
            "lists",
            {
                "platform": _PLATFORM,
                "list_id": uri,
                "owner_id": did,
                "name": rec.get("name"),
                "description": rec.get("description"),
                "kind": kind,
                "created_at": created,
                "source": source,
            },
        )
    elif coll == "app.bsky.graph.listitem":
        lst, subj = rec.get("list"), rec.get("subject")
        if parse_at_uri(lst) is None or not is_did(subj):
            report.skip("list item with an invalid list AT-URI or subject DID", where=where)
            return
        sink.add(
            "list_members",
            {
                "platform": _PLATFORM,
                "list_id": lst,
                "account_id": subj,
                "added_at": created,
                "source": source,
            },
        )
    elif coll == "app.bsky.actor.profile":
        sink.account(
            {
                "platform": _PLATFORM,
                "account_id": did,
                "display_name": rec.get("displayName"),
                "description": rec.get("description"),
                "created_at": parse_iso(rec.get("createdAt")),
                "observed_at": at,
                "source": source,
            },
            full=True,
        )
    else:
        report.skip(f"collection not read: {coll}", where=where)


def _web_url(did: str, rkey: str) -> str:
    return f"https://bsky.app/profile/{did}/post/{rkey}"


def _post(
    did: str,
    rkey: str,
    uri: str,
    op: str,
    rec: dict[str, Any],
    created: datetime | None,
    at: datetime | None,
    sink: RowSink,
    report: ReadReport,
    where: str,
    source: str = _SOURCE,
    extra: dict[str, Any] | None = None,
) -> None:
    raw = rec.get("text")
    if not isinstance(raw, str):
        report.skip("post without text", where=where)
        return
    parent = root = parent_author = None
    reply = rec.get("reply")
    if reply is not None:
        p = (reply.get("parent") or {}).get("uri") if isinstance(reply, dict) else None
        r = (reply.get("root") or {}).get("uri") if isinstance(reply, dict) else None
        parent_author = _uri_did(p)
        if parent_author is None or _uri_did(r) is None:
            report.skip(
                "reply with an invalid parent or root AT-URI", where=where, record=str(p)[:200]
            )
            return
        parent, root = p, r
    text, links, mentions, tags = apply_facets(raw, rec.get("facets"))
    quote, media, ext_urls = _embed(did, rec.get("embed"))
    quote_url = None
    if quote is not None:
        q = parse_at_uri(quote)
        if q is None or not is_did(q[0]):
            report.skip("quote embed with an invalid AT-URI", where=where, record=str(quote)[:200])
            return
        if q[1] == "app.bsky.feed.post" and q[2]:
            quote_url = _web_url(q[0], q[2])
        else:
            quote = None  # embedded list/feed/starter pack, not a post
    urls = links + [u for u in ext_urls if u not in links]
    langs = rec.get("langs")
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
            "lang": langs[0] if isinstance(langs, list) and langs else None,
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
