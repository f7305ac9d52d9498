"""Reader of Mastodon API JSON: statuses, accounts, thread contexts, search results.

Input is a JSON document or JSON lines. Each value may be a Status, a list of
them, an Account, a Context (``{"ancestors": [...], "descendants": [...]}``),
a search result (``{"accounts", "statuses", "hashtags"}``), or a recorded HTTP
response ``{"uri": ..., "body": ...}`` wrapping any of these (as in the
Mastodon.py cassettes, ``decoded/responses.jsonl``). Other API entities
(instance, trends, polls, ...) are counted as skipped with their reason.

Status HTML (``content``) becomes readable text: paragraphs separated by a
blank line, ``<br>`` as a line break, links replaced by their full ``href``
(Mastodon shortens the visible part), mentions and hashtags kept as written,
the quote fallback (``RE: <link>``) removed when the quote itself is attached.
Reblogs are ``repost`` rows and the reblogged status is read too; an attached
quote is read too. Statuses carry their latest edit (``edited_at``). Edit
history (``/api/v1/statuses/:id/history``, StatusEdit versions) is counted and
skipped, its accounts read: see :func:`_history` for why nothing else maps.

A Context response names its focal status only in the request URL. When the
focal status is not in the data, a placeholder row (``deleted`` true, no text)
keeps its place in the reply chain: its parent is the last ancestor, its author
the account its direct replies answered.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Annotated, Any

import msgspec
import pyarrow as pa

from mutuals.errors import DataFormatError
from mutuals.io.readers._common import (
    NOT_UTF8,
    Source,
    decode_legacy,
    iter_lines,
)
from mutuals.io.readers._common import invalid_fields as _invalid
from mutuals.io.readers._rows import RowSink, http_url, parse_iso
from mutuals.io.readreport import ReadReport

__all__ = ["HISTORY_SKIP", "html_to_text", "read_mastodon", "sniff"]

_PLATFORM = "mastodon"
_SOURCE = "mastodon"
_CONTEXT_URI = re.compile(r"/api/v1/statuses/(\d+)/context")


_BLOCKS = {"p", "ul", "ol", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6"}


class _TextParser(HTMLParser):
    """Mastodon status HTML to text (see :func:`html_to_text`)."""

    def __init__(self, drop_quote_inline: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.drop_quote_inline = drop_quote_inline
        self._skip_depth = 0  # inside an element whose text is dropped
        self._stack: list[tuple[str, bool]] = []  # (tag, started skipping here)
        self._link: list[str | None] = []  # href of open <a> (None: keep inner text)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        classes = a.get("class", "").split()
        if tag in ("br",):
            if not self._skip_depth:
                self.out.append("\n")
            return
        skip = False
        if tag == "span" and (
            "invisible" in classes or ("quote-inline" in classes and self.drop_quote_inline)
        ):
            skip = True
        if tag in _BLOCKS and not self._skip_depth and self.out:
            self.out.append("\n\n")
        if tag == "li" and not self._skip_depth:
            self.out.append("\n- ")
        if tag == "a":
            href = http_url(a.get("href"))
            is_tag = "mention" in classes or "hashtag" in classes
            if href and not is_tag and not self._skip_depth:
                self.out.append(href)
                self.links.append(href)
                skip = True  # the href stands for the (shortened) visible text
        if skip:
            self._skip_depth += 1
        self._stack.append((tag, skip))

    def handle_endtag(self, tag: str) -> None:
        # Close up to the matching tag (tolerates unclosed inner tags).
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                for _, skipped in self._stack[i:]:
                    if skipped:
                        self._skip_depth -= 1
                del self._stack[i:]
                return

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.out.append(data)


def html_to_text(content: str, *, drop_quote_inline: bool = False) -> tuple[str, list[str]]:
    """Readable text and the links of a Mastodon status's HTML ``content``.

    Parameters
    ----------
    content : str
        The status HTML.
    drop_quote_inline : bool
        Drop the ``<span class="quote-inline">`` fallback (when the quote is attached).

    Returns
    -------
    (str, list of str)
        Text with paragraphs (and lists, quotes, code blocks) separated by a
        blank line, list items as "- " lines, and links written in full; the
        http(s) links in order.
    """
    p = _TextParser(drop_quote_inline)
    p.feed(content)
    p.close()
    text = "".join(p.out)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip(), p.links


def sniff(path: str | Path) -> bool:
    """True if the start of ``path`` looks like Mastodon API JSON (a status or account)."""
    try:
        with Source(path).open() as fh:  # gzip-compressed too
            head = fh.read(4096).decode("utf-8", "replace")
    except (OSError, EOFError, zlib.error, UnicodeError):
        return False
    return ('"acct"' in head and '"username"' in head) or (
        '"in_reply_to_account_id"' in head and '"content"' in head
    )


def _is_json_lines(path: Path) -> bool:
    """True if the first non-blank line is a complete JSON value and more lines follow."""
    first = b""
    rest = False
    lines = iter_lines(Source(path), ReadReport(str(path)))  # a scratch report: only sniffing
    for _, raw in lines:
        first = raw
        break
    rest = any(True for _ in lines)
    if not first or not rest:
        return False
    try:
        try:
            json.loads(first.decode("utf-8-sig"))
        except UnicodeDecodeError:
            json.loads(decode_legacy(first))
    except json.JSONDecodeError:
        return False
    except RecursionError:  # a value, nested too deep: its line is counted as skipped
        return True
    return True


def _values(path: Path, report: ReadReport) -> Iterator[tuple[str, Any]]:
    if _is_json_lines(path):  # streamed, one line at a time
        # lines of the (decompressed) file; a truncated gzip ends them, counted
        for i, raw in iter_lines(Source(path), report):
            try:
                try:
                    value = json.loads(raw.decode("utf-8-sig" if i == 1 else "utf-8"))
                except UnicodeDecodeError:  # a file re-saved in a legacy encoding: keep it
                    value = json.loads(decode_legacy(raw))
                    report.noted[NOT_UTF8] += 1
            except (json.JSONDecodeError, RecursionError) as e:
                reason = "JSON nested too deep" if isinstance(e, RecursionError) else ""
                report.records += 1
                report.skip(
                    f"malformed JSON line{f' ({reason})' if reason else ''}",
                    where=f"{path}:{i}",
                    record=repr(raw[:200]),
                )
                continue
            yield f"{path}:{i}", value
        return
    try:
        with Source(path).open() as fh:
            data = fh.read()
    except (EOFError, zlib.error) as e:
        raise DataFormatError(f"{path}: truncated or corrupt compressed input ({e})") from e
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DataFormatError(f"{path}: not UTF-8 text ({e}); is this a Mastodon JSON file?") from e
    if not text.strip():
        return
    try:
        value = json.loads(text)
    except RecursionError as e:
        raise DataFormatError(f"{path}: JSON nested too deep to read") from e
    except json.JSONDecodeError as e:
        raise DataFormatError(
            f"{path}: neither a JSON document nor JSON lines ({e}); is the file truncated?"
        ) from e
    yield str(path), value


# ------------------------------------------------------------------ the one type boundary
# The fields of a Status and an Account the reader relies on, with the types it relies
# on. Each status (and its account) is checked against them (msgspec) before it is
# mapped: a status whose field has another type is skipped, naming the field. Ids may be
# numbers (older servers); counts given as text are converted (and noted) by the RowSink.

_Id = str | int
_Count = (
    Annotated[int, msgspec.Meta(ge=-(1 << 63), le=(1 << 63) - 1)]
    | Annotated[str, msgspec.Meta(pattern=r"^\s*-?\d{1,18}\s*$")]
    | None
)


class _Account(msgspec.Struct):
    id: _Id | None = None
    acct: str | None = None
    username: str | None = None
    display_name: str | None = None
    note: str | None = None
    created_at: str | None = None
    followers_count: _Count = None
    following_count: _Count = None
    statuses_count: _Count = None
    locked: bool | None = None


class _Mention(msgspec.Struct):
    id: _Id | None = None
    acct: str | None = None
    username: str | None = None
    url: str | None = None


class _Tag(msgspec.Struct):
    name: str | None = None


class _Media(msgspec.Struct):
    type: str | None = None
    url: str | None = None
    description: str | None = None


class _Card(msgspec.Struct):
    url: str | None = None


class _Quote(msgspec.Struct):
    quoted_status: dict[str, Any] | None = None
    quoted_status_id: _Id | None = None


class _Status(msgspec.Struct):
    id: _Id
    account: _Account
    content: str | None = None
    created_at: str | None = None
    reblog: dict[str, Any] | None = None
    quote: _Quote | None = None
    spoiler_text: str | None = None
    mentions: list[_Mention] | None = None
    tags: list[_Tag] | None = None
    media_attachments: list[_Media] | None = None
    card: _Card | None = None
    in_reply_to_id: _Id | None = None
    in_reply_to_account_id: _Id | None = None
    language: str | None = None
    favourites_count: _Count = None
    reblogs_count: _Count = None
    replies_count: _Count = None
    quotes_count: _Count = None
    edited_at: str | None = None
    url: str | None = None
    uri: str | None = None


class _State:
    def __init__(self, sink: RowSink, report: ReadReport) -> None:
        self.sink = sink
        self.report = report
        self.seen_status: set[str] = set()
        self.stubs: dict[str, dict[str, Any]] = {}


def read_mastodon(path: str | Path, report: ReadReport) -> Iterator[tuple[str, pa.Table]]:
    """Read Mastodon API JSON into canonical tables (see the module docstring).

    Parameters
    ----------
    path : str or Path
        A JSON or JSON-lines file.
    report : ReadReport
        Counts records read, rows kept and records skipped (with the reason).

    Yields
    ------
    (str, pyarrow.Table)
        Canonical table name and a chunk conforming to its schema.
    """
    p = Path(path)
    report.format = "mastodon"
    if not p.is_file():
        raise DataFormatError(f"{p}: not a file")
    sink = RowSink(report)
    st = _State(sink, report)
    for where, value in _values(p, report):
        _dispatch(value, where, st, focal=None)
        yield from sink.ready()
    for sid, stub in st.stubs.items():
        if sid not in st.seen_status:
            sink.add("posts", stub)
    yield from sink.flush()


def _dispatch(value: Any, where: str, st: _State, focal: str | None) -> None:
    if isinstance(value, list):
        for v in value:
            _dispatch(v, where, st, focal)
        return
    st.report.records += 1
    if not isinstance(value, dict):
        st.report.skip("not a JSON object", where=where, record=value)
        return
    if "body" in value and ("uri" in value or "url" in value):
        st.report.records -= 1  # the wrapper is not a record; its body is
        uri = str(value.get("uri") or value.get("url") or "")
        m = _CONTEXT_URI.search(uri)
        if "/history" in uri:
            _history(value["body"], where, st)
            return
        _dispatch(value["body"], where, st, m.group(1) if m else None)
        return
    if "ancestors" in value and "descendants" in value:
        _context(value, where, st, focal)
        return
    if "content" in value and isinstance(value.get("account"), dict) and "id" in value:
        _status(value, where, st, root=None)
        return
    if "content" in value and isinstance(value.get("account"), dict) and "created_at" in value:
        st.report.records -= 1  # a StatusEdit (no id): one version of an edited status
        _history([value], where, st)
        return
    if "acct" in value and "username" in value and "id" in value:
        _account(value, st.sink, full=True, record=where)
        return
    if "statuses" in value or "accounts" in value:
        st.report.records -= 1
        for key in ("accounts", "statuses"):
            _dispatch(value.get(key) or [], where, st, None)
        return
    st.report.skip("not a Mastodon status, account or context", where=where)


#: Why status edit versions (``/api/v1/statuses/:id/history``) are not posts rows.
HISTORY_SKIP = (
    "status edit version (posts hold the latest version, which the status itself carries; "
    "versions share the status id, so earlier ones have no key of their own)"
)


def _history(body: Any, where: str, st: _State) -> None:
    """A status's edit history: a list of StatusEdit versions, oldest first.

    Each version is counted and skipped (:data:`HISTORY_SKIP`): the canonical
    ``posts`` table keeps one row per post id with its latest version, and the
    Status entity already holds everything the history adds that fits there
    (the latest text, ``created_at`` of the first version, ``edited_at`` of the
    last). A row made from the history alone would lack the reply / quote
    structure (``in_reply_to_id`` is not in a version) and, merged with the
    status, could overwrite its ``kind``. Earlier versions would need ids of
    their own (as X edits have) to become rows with ``edit_of_id``; Mastodon
    gives none, and invented ids would count each edit as another post. The
    versions' ``account`` (a full Account) is read.
    """
    for v in body if isinstance(body, list) else [body]:
        st.report.records += 1
        if isinstance(v, dict) and isinstance(v.get("account"), dict):
            _account(v["account"], st.sink, full=True)
        st.report.skip(HISTORY_SKIP, where=where)


def _context(value: dict[str, Any], where: str, st: _State, focal: str | None) -> None:
    anc = [s for s in value.get("ancestors") or [] if isinstance(s, dict)]
    desc = [s for s in value.get("descendants") or [] if isinstance(s, dict)]
    root = str(anc[0]["id"]) if anc and "id" in anc[0] else focal
    for s in anc + desc:
        st.report.records += 1
        _status(s, where, st, root=root)
    if focal is not None:
        author = next(
            (
                str(s["in_reply_to_account_id"])
                for s in desc
                if str(s.get("in_reply_to_id")) == focal and s.get("in_reply_to_account_id")
            ),
            None,
        )
        parent = str(anc[-1]["id"]) if anc and "id" in anc[-1] else None
        st.stubs[focal] = {
            "platform": _PLATFORM,
            "post_id": focal,
            "author_id": author,
            "kind": "reply" if parent else "post",
            "parent_id": parent,
            "parent_author_id": _account_id(anc[-1]) if anc else None,
            "root_id": root,
            "deleted": True,
            "source": _SOURCE,
        }


def _account_id(status: dict[str, Any]) -> str | None:
    acc = status.get("account")
    return str(acc["id"]) if isinstance(acc, dict) and acc.get("id") is not None else None


def _account(
    a: dict[str, Any], sink: RowSink, full: bool, *, record: str | None = None
) -> str | None:
    """Add an account row; ``record`` is where, when the account is itself the record
    (else it is part of one, and a malformed account is only noted)."""
    aid = a.get("id")
    if aid is None:
        return None
    bad = _invalid(a, _Account)
    if bad is not None:
        reason = f"account with a field of the wrong type: {bad}"
        if record is not None:
            sink.report.skip(reason, where=record)
        else:
            sink.report.noted[f"{reason} (account row not written)"] += 1
        return None
    note = a.get("note")
    sink.account(
        {
            "platform": _PLATFORM,
            "account_id": str(aid),
            "handle": a.get("acct") or a.get("username"),
            "display_name": a.get("display_name"),
            "description": html_to_text(note)[0] if isinstance(note, str) else None,
            "created_at": parse_iso(a.get("created_at")),
            "followers_count": a.get("followers_count"),
            "following_count": a.get("following_count"),
            "posts_count": a.get("statuses_count"),
            "protected": a.get("locked"),
            "source": _SOURCE,
        },
        full=full,
    )
    return str(aid)


def _status(s: dict[str, Any], where: str, st: _State, root: str | None) -> str | None:
    sink, report = st.sink, st.report
    sid = s.get("id")
    acc = s.get("account")
    if sid is None or not isinstance(acc, dict) or acc.get("id") is None:
        report.skip("status without id or account", where=where, record=str(sid))
        return None
    bad = _invalid(s, _Status)
    if bad is not None:
        report.skip(f"status with a field of the wrong type: {bad}", where=where)
        return None
    sid = str(sid)
    if sid in st.seen_status:
        return sid
    st.seen_status.add(sid)
    author = _account(acc, sink, full=False)
    created = parse_iso(s.get("created_at"))
    base = {
        "platform": _PLATFORM,
        "source_id": author,
        "post_id": sid,
        "created_at": created,
        "source": _SOURCE,
    }

    reblog = s.get("reblog")
    if isinstance(reblog, dict):
        report.records += 1
        target = _status(reblog, where, st, root=None)
        sink.add(
            "posts",
            {
                "platform": _PLATFORM,
                "post_id": sid,
                "author_id": author,
                "created_at": created,
                "kind": "repost",
                "repost_of_id": target,
                "url": http_url(s.get("url")) or http_url(s.get("uri")),
                "source": _SOURCE,
            },
        )
        sink.add(
            "interactions",
            {**base, "kind": "repost", "target_id": _account_id(reblog), "target_post_id": target},
        )
        return sid

    quote_id = quote_url = None
    q = s.get("quote")
    if isinstance(q, dict):
        qs = q.get("quoted_status")
        if isinstance(qs, dict):
            report.records += 1
            quote_id = _status(qs, where, st, root=None)
            quote_url = http_url(qs.get("url")) or http_url(qs.get("uri"))
        elif q.get("quoted_status_id") is not None:
            quote_id = str(q["quoted_status_id"])
    content: str = s["content"] if isinstance(s.get("content"), str) else ""
    text, links = html_to_text(content, drop_quote_inline=isinstance(q, dict))
    spoiler = s.get("spoiler_text")
    if isinstance(spoiler, str) and spoiler.strip():
        text = f"CW: {spoiler.strip()}\n\n{text}"
    mentions = []
    for m in s.get("mentions") or []:
        if isinstance(m, dict) and m.get("id") is not None:
            mentions.append(str(m["id"]))
            sink.account(
                {
                    "platform": _PLATFORM,
                    "account_id": str(m["id"]),
                    "handle": m.get("acct") or m.get("username"),
                    "source": _SOURCE,
                }
            )
    tags = [
        str(t["name"]).lower() for t in s.get("tags") or [] if isinstance(t, dict) and t.get("name")
    ]
    media = [
        {"type": m.get("type"), "url": http_url(m.get("url")), "alt": m.get("description")}
        for m in s.get("media_attachments") or []
        if isinstance(m, dict)
    ]
    card = s.get("card")
    tag_or_mention = {
        http_url(m.get("url")) for m in s.get("mentions") or [] if isinstance(m, dict)
    }
    urls = [u for u in links if u not in tag_or_mention]
    if isinstance(card, dict) and http_url(card.get("url")) and card["url"] not in urls:
        urls.append(card["url"])
    parent = s.get("in_reply_to_id")
    parent = str(parent) if parent is not None else None
    parent_author = s.get("in_reply_to_account_id")
    parent_author = str(parent_author) if parent_author is not None else None
    kind = "reply" if parent else ("quote" if quote_id else "post")
    sink.add(
        "posts",
        {
            "platform": _PLATFORM,
            "post_id": sid,
            "author_id": author,
            "created_at": created,
            "kind": kind,
            "text": text,
            "text_raw": content,
            "lang": s.get("language"),
            "parent_id": parent,
            "parent_author_id": parent_author,
            "root_id": root if root is not None else (None if parent else sid),
            "quote_id": quote_id,
            "quote_url": quote_url,
            "hashtags": tags,
            "mentions": mentions,
            "urls": urls,
            "media": media,
            "like_count": s.get("favourites_count"),
            "repost_count": s.get("reblogs_count"),
            "reply_count": s.get("replies_count"),
            "quote_count": s.get("quotes_count"),
            "edited_at": parse_iso(s.get("edited_at")),
            "url": http_url(s.get("url")) or http_url(s.get("uri")),
            "source": _SOURCE,
        },
    )
    if parent:
        sink.add(
            "interactions",
            {**base, "kind": "reply", "target_id": parent_author, "target_post_id": parent},
        )
    if quote_id:
        sink.add(
            "interactions",
            {
                **base,
                "kind": "quote",
                "target_id": _account_id(q.get("quoted_status") or {})
                if isinstance(q, dict)
                else None,
                "target_post_id": quote_id,
            },
        )
    for mid in mentions:
        sink.add("interactions", {**base, "kind": "mention", "target_id": mid})
    return sid
