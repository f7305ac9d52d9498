"""Reader of a personal X/Twitter archive (the folder or the zip X sends on request).

The archive's ``data/`` folder holds JavaScript files, each assigning a JSON
array to a global: ``window.YTD.<name>.partN = [ ... ]``. Large data types are
split in several parts (``tweets.js``, ``tweets-part1.js``, ...); numbers are
strings. The archive owner is the author of every tweet and is read from
``account.js`` (or ``manifest.js``).

Read: ``account`` and ``profile`` (the owner), ``tweets``/``tweet`` and
``community_tweet`` (posts, with replies, mentions, media, edits; long posts
completed from ``note_tweet``), ``deleted_tweets`` (posts with ``deleted`` true),
``follower`` and ``following`` (follow edges), ``like`` (like interactions) and
``lists_member`` (lists the owner belongs to). Other data types (ads, DMs,
devices, ...) are counted in the report as not read.

Text: ``text_raw`` is ``full_text`` as delivered; ``text`` starts at
``display_text_range`` (leading auto-mentions cut), has shortened links replaced
by their expanded form, media links removed and HTML entities unescaped.
"""

from __future__ import annotations

import json
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import pyarrow as pa

from mutuals.errors import DataFormatError
from mutuals.io.readers._common import invalid_fields as _invalid
from mutuals.io.readers._common import loads
from mutuals.io.readers._rows import RowSink, http_url, parse_iso, unescape
from mutuals.io.readreport import ReadReport

__all__ = ["read_xarchive", "sniff"]

_PLATFORM = "x"
_SOURCE = "xarchive"
_HEADER = re.compile(rb"^\s*window\.YTD\.([A-Za-z0-9_]+)\.part(\d+)\s*=\s*")
_STATUS_URL = re.compile(
    r"^https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/([A-Za-z0-9_]+)/status(?:es)?/(\d+)/?$"
)
_TWITTER_TIME = "%a %b %d %H:%M:%S %z %Y"
_READ = {"account", "profile", "tweets", "tweet", "note_tweet", "follower", "following", "like"}
_READ |= {"lists_member", "deleted_tweets", "community_tweet"}


@dataclass
class _Part:
    name: str
    part: int
    where: str
    data: bytes
    #: Byte offset of ``data`` in the file and lines before it (the header's).
    offset: int = 0
    lines_before: int = 0


def sniff(path: str | Path) -> bool:
    """True if ``path`` is an X archive: a folder or zip with ``window.YTD`` files."""
    p = Path(path)
    try:
        if p.is_dir():
            return any(_HEADER.match(_head(f)) for f in _candidate_files(p))
        if p.is_file() and zipfile.is_zipfile(p):
            with zipfile.ZipFile(p) as z:
                for info in z.infolist():
                    if info.filename.endswith(".js"):
                        with z.open(info) as fh:
                            if _HEADER.match(fh.read(200)):
                                return True
            return False
        if p.is_file() and p.suffix == ".js":
            return bool(_HEADER.match(_head(p)))
    except OSError:
        return False
    return False


def _head(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(200)


def _candidate_files(folder: Path) -> list[Path]:
    data = folder / "data"
    base = data if data.is_dir() else folder
    return sorted(f for f in base.glob("*.js") if f.is_file())


def _parts(path: Path, report: ReadReport) -> list[_Part]:
    """Every ``window.YTD`` file of the archive, with its data-type name and part number."""
    raw: list[tuple[str, bytes]] = []
    if path.is_dir():
        raw = [(str(f), f.read_bytes()) for f in _candidate_files(path)]
    elif path.is_file() and zipfile.is_zipfile(path):
        try:
            z = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as e:
            raise DataFormatError(f"{path}: a damaged zip file ({e}); re-download it") from e
        with z:
            names = [n for n in z.namelist() if n.endswith(".js")]
            in_data = [n for n in names if "data/" in n]
            for n in in_data or names:
                try:
                    raw.append((f"{path}!{n}", z.read(n)))
                except (
                    zipfile.BadZipFile,
                    zlib.error,
                    EOFError,
                    OSError,
                    NotImplementedError,
                ) as e:
                    report.records += 1  # a damaged member: skipped, the others read
                    report.skip(f"damaged zip member ({e})", where=f"{path}!{n}")
    elif path.is_file():
        raw = [(str(path), path.read_bytes())]
    else:
        raise DataFormatError(f"{path}: not a file or folder")
    parts = []
    for where, data in raw:
        m = _HEADER.match(data)
        if m is None:
            if not where.endswith("manifest.js"):
                report.records += 1  # the file is one record, skipped
                report.skip("archive file without window.YTD header", where=where)
            continue
        parts.append(
            _Part(
                m.group(1).decode(),
                int(m.group(2)),
                where,
                data[m.end() :],
                m.end(),
                data[: m.end()].count(b"\n"),
            )
        )
    parts.sort(key=lambda p: (p.name, p.part))
    return parts


#: A line closing a record of the top-level array: ``  },`` / ``}, {`` / ``} ]``.
_CLOSE = re.compile(rb"^([ \t]*)\}[ \t]*[,\]]?[ \t]*(\{)?[ \t]*\r?$", re.MULTILINE)


def _empty(part: _Part) -> bool:
    """Whether the part's array holds no records (``window.YTD.x.part0 = []``)."""
    return part.data.strip().rstrip(b";").rstrip().replace(b" ", b"") in (b"[]", b"")


def _json(b: bytes) -> Any:
    """The JSON value of ``b``; ``ValueError`` when it is not JSON (or nested too deep)."""
    try:
        return loads(b)
    except RecursionError as e:  # the standard library's parser, if orjson is missing
        raise ValueError("JSON nested too deep") from e


def _records(part: _Part, report: ReadReport) -> Iterator[tuple[str, Any]]:
    """``(where, record)`` for each element of the part's JSON array.

    The array is parsed whole when it can be; when it cannot (a flipped byte, a cut
    file), it is split into its records at the lines that close one (X writes the
    array pretty-printed, one record per block) and each is parsed alone: a damaged
    record is counted as read and skipped with its byte offset and line, the others
    are kept. An empty array holds no records.
    """
    body = part.data.rstrip().rstrip(b";")
    try:
        value = _json(body)
    except ValueError:
        pass
    else:
        if not isinstance(value, list):
            raise DataFormatError(
                f"{part.where}: expected a JSON array after the window.YTD header"
            )
        for i, rec in enumerate(value):
            yield f"{part.where} [{i}]", rec
        return
    lead = len(body) - len(body.lstrip())
    text = body[lead:]
    if text[:1] != b"[":
        raise DataFormatError(
            f"{part.where}: no JSON array after the window.YTD header "
            f"(byte {part.offset + lead} is {text[:1]!r}); is this an X archive file?"
        )
    # the closing lines at the shallowest indentation end the records
    closes = list(_CLOSE.finditer(text))
    depth = min((len(m.group(1)) for m in closes), default=0)
    ends = [(m.end(), m.group(2) is not None) for m in closes if len(m.group(1)) == depth]
    ends.append((len(text), False))  # the rest: "]", or a record cut short
    prev = 1  # after the "["
    kept = 0
    first_error = ""
    for end, opens_next in ends:
        chunk = text[prev:end]
        at = prev + len(chunk) - len(chunk.lstrip())
        prev = end
        rec = chunk.strip()
        if opens_next:  # "}, {": the brace opens the next record
            rec = rec[:-1].rstrip()
        rec = rec.lstrip(b",").strip()
        while rec[-1:] in (b",", b"]"):
            rec = rec[:-1].rstrip()
        if not rec:
            continue
        if rec[:1] != b"{":  # opened on the previous record's closing line
            rec = b"{\n" + rec
        try:
            value = _json(rec)
        except ValueError as e:
            offset = part.offset + lead + at
            line = 1 + part.lines_before + part.data[: lead + at].count(b"\n")
            first_error = first_error or f"byte {offset}, line {line}: {e}"
            report.records += 1
            report.skip(
                "damaged archive record (not valid JSON; the other records are kept)",
                where=f"{part.where}: byte {offset}, line {line}",
                record=rec[:2000].decode("utf-8", "replace") + f" ({e})",
            )
            continue
        kept += 1
        yield f"{part.where}: byte {part.offset + lead + at}", value
    if not kept and first_error:  # nothing in it readable: the file, not a record, is bad
        raise DataFormatError(
            f"{part.where}: window.YTD.{part.name}.part{part.part} is not valid JSON "
            f"({first_error}); is the archive file truncated?"
        )


def _manifest_owner(path: Path) -> dict[str, Any] | None:
    text: str | None = None
    if path.is_dir():
        for cand in (path / "data" / "manifest.js", path / "manifest.js"):
            if cand.is_file():
                text = cand.read_text("utf-8-sig")
                break
    elif path.is_file() and zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as z:
                for n in z.namelist():
                    if n.endswith("manifest.js"):
                        text = z.read(n).decode("utf-8-sig")
                        break
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError):
            return None  # a damaged manifest: the owner comes from account.js or is unknown
        except UnicodeDecodeError:
            return None
    if not text or "=" not in text:
        return None
    try:
        info = json.loads(text[text.index("=") + 1 :].strip().rstrip(";"))
    except json.JSONDecodeError:
        return None
    user = info.get("userInfo") if isinstance(info, dict) else None
    return user if isinstance(user, dict) else None


# ------------------------------------------------------------------ the one type boundary
# The fields of an archive tweet the reader relies on, with the types it relies on.
# Each tweet is checked against them (msgspec) before it is mapped: a tweet whose field
# has another type is skipped, naming the field, instead of failing half way. Numbers
# are strings in archives (ints are taken too); unknown fields are ignored.

_Num = str | int | None


class _UrlEnt(msgspec.Struct):
    url: str | None = None
    shortUrl: str | None = None
    expanded_url: str | None = None
    expandedUrl: str | None = None


class _MediaEnt(msgspec.Struct):
    url: str | None = None
    type: str | None = None
    media_url_https: str | None = None
    ext_alt_text: str | None = None


class _MentionEnt(msgspec.Struct):
    id_str: _Num = None
    id: _Num = None
    screen_name: str | None = None
    name: str | None = None


class _TagEnt(msgspec.Struct):
    text: str | None = None


class _Entities(msgspec.Struct):
    urls: list[_UrlEnt] | None = None
    media: list[_MediaEnt] | None = None
    user_mentions: list[_MentionEnt] | None = None
    hashtags: list[_TagEnt] | None = None


class _ExtEntities(msgspec.Struct):
    media: list[_MediaEnt] | None = None


class _RetweetRef(msgspec.Struct):
    id_str: _Num = None


class _Edit(msgspec.Struct):
    initialTweetId: _Num = None


class _EditInfo(msgspec.Struct):
    edit: _Edit | None = None


class _Tweet(msgspec.Struct):
    id_str: _Num = None
    id: _Num = None
    full_text: str | None = None
    text: str | None = None
    created_at: str | None = None
    display_text_range: list[_Num] | None = None
    entities: _Entities | None = None
    extended_entities: _ExtEntities | None = None
    in_reply_to_status_id_str: _Num = None
    in_reply_to_user_id_str: _Num = None
    lang: str | None = None
    favorite_count: _Num = None
    retweet_count: _Num = None
    retweeted_status: _RetweetRef | None = None
    edit_info: _EditInfo | None = None


class _NoteCore(msgspec.Struct):
    text: str
    urls: list[_UrlEnt] | None = None


class _NoteTweet(msgspec.Struct):
    core: _NoteCore
    createdAt: str | None = None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, _TWITTER_TIME).astimezone(UTC)
    except ValueError:
        return parse_iso(value)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def read_xarchive(path: str | Path, report: ReadReport) -> Iterator[tuple[str, pa.Table]]:
    """Read a personal X archive into canonical tables.

    Parameters
    ----------
    path : str or Path
        The archive folder (with or without its ``data/`` subfolder), its zip, or
        one ``window.YTD`` file.
    report : ReadReport
        Counts records read, rows kept and records skipped (with the reason).

    Yields
    ------
    (str, pyarrow.Table)
        Canonical table name and a chunk conforming to its schema.

    Raises
    ------
    DataFormatError
        If a ``window.YTD`` file is not valid JSON.
    """
    p = Path(path)
    report.format = "xarchive"
    parts = _parts(p, report)
    if not parts:
        raise DataFormatError(f"{p}: no window.YTD files found; is this an X archive?")
    sink = RowSink(report)
    by_name: dict[str, list[_Part]] = {}
    for part in parts:
        by_name.setdefault(part.name, []).append(part)

    owner = _read_owner(p, by_name, sink, report)
    owner_id = owner.get("id")
    owner_handle = owner.get("handle")

    notes = _read_notes(by_name.get("note_tweet", []), report)
    for name in ("tweets", "tweet", "community_tweet", "deleted_tweets"):
        for part in by_name.get(name, []):
            for where, rec in _records(part, report):
                report.records += 1
                tweet = rec.get("tweet") if isinstance(rec, dict) else None
                if not isinstance(tweet, dict):
                    report.skip("tweet record without a 'tweet' object", where=where, record=rec)
                    continue
                bad = _invalid(tweet, _Tweet)
                if bad is not None:
                    report.skip(f"tweet with a field of the wrong type: {bad}", where=where)
                    continue
                _tweet(
                    tweet,
                    owner_id,
                    owner_handle,
                    notes,
                    sink,
                    report,
                    where,
                    deleted=name == "deleted_tweets",
                )
                yield from sink.ready()

    for name, follower_side in (("follower", True), ("following", False)):
        for part in by_name.get(name, []):
            for where, rec in _records(part, report):
                report.records += 1
                obj = rec.get(name) if isinstance(rec, dict) else None
                acc = obj.get("accountId") if isinstance(obj, dict) else None
                if not isinstance(acc, str) or not acc.isdigit():
                    report.skip(
                        f"{name} record without a numeric accountId", where=where, record=rec
                    )
                    continue
                if owner_id is None:
                    report.skip(f"{name} record but archive owner unknown", where=where)
                    continue
                sink.account({"platform": _PLATFORM, "account_id": acc, "source": _SOURCE})
                fol, fri = (acc, owner_id) if follower_side else (owner_id, acc)
                sink.add(
                    "follows",
                    {
                        "platform": _PLATFORM,
                        "follower_id": fol,
                        "friend_id": fri,
                        "source": _SOURCE,
                    },
                )
                yield from sink.ready()

    for part in by_name.get("like", []):
        for where, rec in _records(part, report):
            report.records += 1
            obj = rec.get("like") if isinstance(rec, dict) else None
            tid = obj.get("tweetId") if isinstance(obj, dict) else None
            if not isinstance(tid, str) or not tid.isdigit() or owner_id is None:
                report.skip("like record without tweetId or owner", where=where, record=rec)
                continue
            sink.add(
                "interactions",
                {
                    "platform": _PLATFORM,
                    "kind": "like",
                    "source_id": owner_id,
                    "target_post_id": tid,
                    "source": _SOURCE,
                },
            )
            yield from sink.ready()

    for part in by_name.get("lists_member", []):
        for where, rec in _records(part, report):
            report.records += 1
            obj = rec.get("userListInfo") if isinstance(rec, dict) else None
            url = http_url(obj.get("url")) if isinstance(obj, dict) else None
            if url is None or owner_id is None:
                report.skip(
                    "lists_member record without list url or owner", where=where, record=rec
                )
                continue
            m = re.search(r"/([^/]+)/lists/([^/?#]+)", url)
            sink.add(
                "lists",
                {
                    "platform": _PLATFORM,
                    "list_id": url,
                    "kind": "list",
                    "name": m.group(2) if m else None,
                    "source": _SOURCE,
                },
            )
            sink.add(
                "list_members",
                {"platform": _PLATFORM, "list_id": url, "account_id": owner_id, "source": _SOURCE},
            )

    for name, ps in by_name.items():
        if name not in _READ:
            for part in ps:  # each record of the part is read and skipped (none if empty)
                if not _empty(part):
                    report.records += 1  # the part is one record, skipped
                    report.skip(f"archive data type not read: {name}", where=part.where)
    yield from sink.flush()


def _read_owner(
    path: Path, by_name: dict[str, list[_Part]], sink: RowSink, report: ReadReport
) -> dict[str, Any]:
    owner: dict[str, Any] = {}
    for part in by_name.get("account", []):
        for where, rec in _records(part, report):
            report.records += 1
            acc = rec.get("account") if isinstance(rec, dict) else None
            if not isinstance(acc, dict) or not str(acc.get("accountId", "")).isdigit():
                report.skip("account record without accountId", where=where, record=rec)
                continue
            owner = {
                "id": str(acc["accountId"]),
                "handle": acc.get("username"),
                "display_name": acc.get("accountDisplayName"),
                "created_at": parse_iso(acc.get("createdAt")),
            }
    if not owner:
        user = _manifest_owner(path)
        if user and str(user.get("accountId", "")).isdigit():
            owner = {
                "id": str(user["accountId"]),
                "handle": user.get("userName"),
                "display_name": user.get("displayName"),
            }
    description = None
    for part in by_name.get("profile", []):
        for _where, rec in _records(part, report):
            report.records += 1
            prof = rec.get("profile") if isinstance(rec, dict) else None
            desc = prof.get("description") if isinstance(prof, dict) else None
            if isinstance(desc, dict):
                description = desc.get("bio")
    if owner:
        sink.account(
            {
                "platform": _PLATFORM,
                "account_id": owner["id"],
                "handle": owner.get("handle"),
                "display_name": owner.get("display_name"),
                "description": description,
                "created_at": owner.get("created_at"),
                "source": _SOURCE,
            },
            full=True,
        )
    return owner


@dataclass
class _Note:
    created_at: datetime | None
    text: str
    urls: list[dict[str, Any]]


def _read_notes(parts: list[_Part], report: ReadReport) -> dict[datetime | None, list[_Note]]:
    """Long posts (note tweets) keyed by creation second, to complete truncated tweets."""
    notes: dict[datetime | None, list[_Note]] = {}
    for part in parts:
        for where, rec in _records(part, report):
            report.records += 1
            nt = rec.get("noteTweet") if isinstance(rec, dict) else None
            bad = _invalid(nt, _NoteTweet) if isinstance(nt, dict) else None
            if bad is not None:
                report.skip(f"note_tweet with a field of the wrong type: {bad}", where=where)
                continue
            core = nt.get("core") if isinstance(nt, dict) else None
            if (
                not isinstance(nt, dict)
                or not isinstance(core, dict)
                or not isinstance(core.get("text"), str)
            ):
                report.skip("note_tweet record without core.text", where=where, record=rec)
                continue
            t = parse_iso(nt.get("createdAt"))
            urls = [u for u in core.get("urls") or [] if isinstance(u, dict)]
            notes.setdefault(t, []).append(_Note(t, core["text"], urls))
    return notes


def _norm(s: str) -> str:
    return " ".join(s.split())


def _match_note(
    tweet_time: datetime | None, full_text: str, notes: dict[datetime | None, list[_Note]]
) -> _Note | None:
    """The long post a truncated tweet stands for: same second, tweet text a prefix of it."""
    if tweet_time is None or tweet_time not in notes:
        return None
    head = re.sub(r"\s*https://t\.co/\w+\s*$", "", full_text)
    if not head.endswith("…"):
        return None
    head = _norm(unescape(head[:-1]))
    for note in notes[tweet_time]:
        if _norm(note.text).startswith(head):
            return note
    return None


def _tweet(
    t: dict[str, Any],
    owner_id: str | None,
    owner_handle: str | None,
    notes: dict[datetime | None, list[_Note]],
    sink: RowSink,
    report: ReadReport,
    where: str,
    deleted: bool = False,
) -> None:
    tid = t.get("id_str") or t.get("id")
    full = t.get("full_text") if isinstance(t.get("full_text"), str) else t.get("text")
    if not isinstance(tid, str) or not tid.isdigit():
        report.skip("tweet without a numeric id_str", where=where, record=t.get("id_str"))
        return
    if not isinstance(full, str):
        report.skip("tweet without full_text", where=where, record=tid)
        return
    created = _time(t.get("created_at"))
    ents: dict[str, Any] = t["entities"] if isinstance(t.get("entities"), dict) else {}
    ext: dict[str, Any] = (
        t["extended_entities"] if isinstance(t.get("extended_entities"), dict) else {}
    )

    # Text: display range (escaped text, as X counts it), links expanded, media links cut.
    rng = t.get("display_text_range") or [0, len(full)]
    start, end = (_int(rng[0]) or 0, _int(rng[1]) if len(rng) > 1 else None)
    end = len(full) if end is None else end
    text = full[start:end]
    url_ents = [u for u in ents.get("urls") or [] if isinstance(u, dict)]
    media_ents = [m for m in (ext.get("media") or ents.get("media") or []) if isinstance(m, dict)]
    note = _match_note(created, full, notes)
    if note is not None:
        text = note.text
        url_ents = url_ents + note.urls
    urls: list[str] = []
    for u in url_ents:
        short = u.get("url") or u.get("shortUrl")
        expanded = http_url(u.get("expanded_url") or u.get("expandedUrl"))
        if expanded:
            urls.append(expanded)
        if isinstance(short, str) and short:
            text = text.replace(short, expanded or short)
    media = []
    for m in media_ents:
        short = m.get("url")
        if isinstance(short, str) and short:
            text = text.replace(short, "")
        media.append(
            {
                "type": m.get("type"),
                "url": http_url(m.get("media_url_https")),
                "alt": m.get("ext_alt_text"),
            }
        )
    text = unescape(text).strip()

    mentions = []
    for m in ents.get("user_mentions") or []:
        if not isinstance(m, dict):
            continue
        mid = m.get("id_str") or m.get("id")
        if isinstance(mid, str) and mid.isdigit():
            mentions.append(mid)
            sink.account(
                {
                    "platform": _PLATFORM,
                    "account_id": mid,
                    "handle": m.get("screen_name"),
                    "display_name": m.get("name"),
                    "source": _SOURCE,
                }
            )
    hashtags = [
        str(h.get("text", "")).lower()
        for h in ents.get("hashtags") or []
        if isinstance(h, dict) and h.get("text")
    ]

    parent = t.get("in_reply_to_status_id_str") or None
    parent_author = t.get("in_reply_to_user_id_str") or None
    quote_id = quote_url = None
    if url_ents:
        last = url_ents[-1]
        exp = last.get("expanded_url") or ""
        qm = _STATUS_URL.match(exp) if isinstance(exp, str) else None
        if qm and full.rstrip().endswith(str(last.get("url"))):
            quote_id, quote_url = qm.group(2), exp
    repost_of = None
    kind = "post"
    if full.startswith("RT @") and t.get("retweeted_status") is None:
        kind = "repost"
    elif parent:
        kind = "reply"
    elif quote_id:
        kind = "quote"
    if isinstance(t.get("retweeted_status"), dict):
        kind = "repost"
        repost_of = t["retweeted_status"].get("id_str")

    edit_of = edited_at = None
    edit = (t.get("edit_info") or {}).get("edit") if isinstance(t.get("edit_info"), dict) else None
    if isinstance(edit, dict) and edit.get("initialTweetId") not in (None, tid):
        edit_of = str(edit["initialTweetId"])
        edited_at = created

    handle = owner_handle or "i"
    sink.add(
        "posts",
        {
            "platform": _PLATFORM,
            "post_id": tid,
            "author_id": owner_id,
            "created_at": created,
            "kind": kind,
            "text": text,
            "text_raw": full,
            "display_start": start or None,
            "lang": t.get("lang"),
            "parent_id": parent,
            "parent_author_id": parent_author,
            "quote_id": quote_id,
            "quote_url": quote_url,
            "repost_of_id": repost_of,
            "hashtags": hashtags,
            "mentions": mentions,
            "urls": urls,
            "media": media,
            "like_count": _int(t.get("favorite_count")),
            "repost_count": _int(t.get("retweet_count")),
            "edit_of_id": edit_of,
            "edited_at": edited_at,
            "deleted": True if deleted else None,
            "url": f"https://x.com/{handle}/status/{tid}",
            "source": _SOURCE,
        },
    )
    if owner_id is None:
        return
    base = {
        "platform": _PLATFORM,
        "source_id": owner_id,
        "post_id": tid,
        "created_at": created,
        "source": _SOURCE,
    }
    if kind == "reply":
        sink.add(
            "interactions",
            {**base, "kind": "reply", "target_id": parent_author, "target_post_id": parent},
        )
    if kind == "repost" and mentions:
        sink.add(
            "interactions",
            {**base, "kind": "repost", "target_id": mentions[0], "target_post_id": repost_of},
        )
    if quote_id:
        sink.add("interactions", {**base, "kind": "quote", "target_post_id": quote_id})
    for mid in mentions:
        if kind == "repost" and mid == mentions[0]:
            continue
        sink.add("interactions", {**base, "kind": "mention", "target_id": mid})
