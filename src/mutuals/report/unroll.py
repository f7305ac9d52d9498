"""Thread reconstruction ("unrolling") over the canonical ``posts`` table.

A *thread* is an author's contiguous self-reply chain. Starting from the chain
head (the conversation root, or the author's first post under someone else's
post), repeatedly take the author's **earliest** reply to the current post.
This is the rule unroll services (Thread Reader App and the like) apply to
X/Twitter threads; it is format-independent, so it serves X, Bluesky and
Mastodon data alike.

Rules
-----
- Other accounts' replies are left out. The author's other replies to a chain
  post are *side branches*: each is unrolled the same way and listed after the
  article, never inlined.
- A deleted post keeps its place (as a marker) only if the chain continues
  below it; a deleted dead end is dropped.
- A post referenced as a parent but absent from the data is *missing*. If the
  chain's first post is missing, it is shown as a marker and the chain starts
  at the earliest surviving post below it.
- Reposts are ignored. Edited posts show their latest version (rows with
  ``edit_of_id`` are versions of that first id; rows repeating an id with a
  later ``edited_at`` replace it).
- A quote is kept as a reference (id, link, and the quoted post when it is in
  the data); quoted posts are never followed.

Text clean-up that belongs to a format (X display ranges, Bluesky facets,
Mastodon HTML) is done by the readers; :func:`clean_text` here removes thread
counters ("1/", "(2/10)", "3/n") and the trailing link of a quoted post.

Invisible and bidirectional controls
------------------------------------
Every string of a :class:`Thread` that a reader shows (post and quote text,
alt text, display name, handle, links) passes :func:`neutralise_text`,
:func:`neutralise_line`, :func:`neutralise_handle` or :func:`neutralise_url`
when the thread is built, so Markdown, HTML and JSON output alike are free of
characters that reorder or hide what is shown: bidi embeddings and overrides
(U+202A-U+202E) are dropped, isolates (U+2066-U+2069) kept only in matched
pairs within one line, other format characters (zero-width space, word joiner,
BOM, ...) and C0/C1 controls dropped; a zero-width (non-)joiner stays between
two non-ASCII letters, marks or emoji (emoji ZWJ sequences, Indic and Persian
script), tag characters only inside a flag sequence, and the bidi marks
(LRM, RLM, ALM) in text and names. Handles lose every control; URLs have them
percent-encoded (the resource a browser would fetch is unchanged). Post ids are
identifiers and are kept as they are; the renderers neutralise them for display.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from mutuals.errors import InputError

__all__ = [
    "Block",
    "Quote",
    "Thread",
    "ThreadIndex",
    "ThreadPost",
    "article",
    "clean_text",
    "neutralise_handle",
    "neutralise_line",
    "neutralise_text",
    "neutralise_url",
    "strip_counter",
    "unroll_all",
    "unroll_post",
]

_COLUMNS = [
    "platform",
    "post_id",
    "author_id",
    "created_at",
    "kind",
    "text",
    "parent_id",
    "parent_author_id",
    "quote_id",
    "quote_url",
    "media",
    "like_count",
    "repost_count",
    "reply_count",
    "quote_count",
    "edit_of_id",
    "edited_at",
    "deleted",
    "url",
]
_ENGAGEMENT = ("like_count", "repost_count", "reply_count", "quote_count")

# "1/", "1/8", "(2/10)", "[3/n]", "4/n:", "5 / 12" at the start; the same at the end.
_COUNTER = r"[(\[]?\d{1,3}\s?/\s?(?:\d{1,3}|n|N)?[)\]]?[.:]?"
# a thread emoji ("🧵", U+1F9F5) stuck to a counter goes with it
_SPOOL = "(?:\U0001f9f5\ufe0f?\\s*)?"
_LEAD = re.compile(rf"^\s*{_SPOOL}{_COUNTER}(?:\s+|$)")
_TRAIL = re.compile(rf"\s+{_SPOOL}{_COUNTER}\s*$")
_TRAIL_STRICT = re.compile(rf"\s+{_SPOOL}[(\[]?\d{{1,3}}\s?/\s?(?:\d{{1,3}}|n|N)[)\]]?\s*$")


# -- invisible and bidirectional controls ---------------------------------------------

# Anything that may need work: C0/C1 controls but tab and newline, surrogates, the line and
# paragraph separators, and every format (Cf) character (the ranges of Unicode 15, so that
# a newer one is caught too; the exact test is unicodedata.category).
_SUSPECT = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891"
    "\u08e2\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001345f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e0fff]"
)
_NEWLINE = re.compile("\r\n?|[\x0b\x0c\x85\u2028\u2029]")
_ISOLATE_OPEN = frozenset("\u2066\u2067\u2068")  # LRI, RLI, FSI
_PDI = "\u2069"
_MARKS = frozenset("\u200e\u200f\u061c")  # LRM, RLM, ALM
_JOINERS = frozenset("\u200c\u200d")  # ZWNJ, ZWJ
_FLAG = "\U0001f3f4"  # WAVING BLACK FLAG, base of the tag-sequence flags (England, ...)
# format characters a script needs (Arabic and Syriac number signs, Kaithi, Egyptian
# hieroglyph and shorthand format controls, musical beams) and the soft hyphen
_SCRIPT_CF = frozenset(
    (
        *(0xAD, *range(0x600, 0x606), 0x6DD, 0x70F, 0x890, 0x891, 0x8E2, 0x110BD, 0x110CD),
        *(*range(0x13430, 0x13460), *range(0x1BCA0, 0x1BCA4), *range(0x1D173, 0x1D17B)),
    )
)


_CONTROL_CATEGORIES = frozenset(("Cc", "Cf", "Cs", "Zl", "Zp"))


def _joinable(ch: str | None) -> bool:
    """A neighbour a zero-width (non-)joiner may legitimately stand beside."""
    if not ch or ord(ch) < 0x80:
        return False
    return unicodedata.category(ch)[0] in "LMS"


def _clean_line(line: str, *, marks: bool) -> str:
    """One line without bidi embeddings/overrides, unpaired isolates and stray controls."""
    out: list[str] = []
    opened: list[int] = []  # positions in ``out`` of isolate initiators not yet closed
    n = len(line)
    for i, ch in enumerate(line):
        if not _SUSPECT.match(ch) or unicodedata.category(ch) not in _CONTROL_CATEGORIES:
            out.append(ch)  # (the wide ranges of _SUSPECT hold letters and marks too)
        elif ch in _ISOLATE_OPEN:
            opened.append(len(out))
            out.append(ch)
        elif ch == _PDI:
            if opened:
                opened.pop()
                out.append(ch)
        elif ch in _MARKS:
            if marks:
                out.append(ch)
        elif ch in _JOINERS:
            if _joinable(out[-1] if out else None) and _joinable(
                line[i + 1] if i + 1 < n else None
            ):
                out.append(ch)
        elif 0xE0020 <= ord(ch) <= 0xE007F:  # tag characters: only inside a flag sequence
            prev = out[-1] if out else ""
            if prev == _FLAG or 0xE0020 <= ord(prev or "\0") <= 0xE007E:
                out.append(ch)
        elif ord(ch) in _SCRIPT_CF and unicodedata.category(ch) == "Cf":
            out.append(ch)
        # everything else (embeddings, overrides, PDF, zero-width space, word joiner,
        # BOM, invisible operators, controls, lone surrogates) is dropped
    for pos in reversed(opened):  # an isolate never closed on its line: drop it
        del out[pos]
    return "".join(out)


def neutralise_text(text: str | None) -> str:
    """``text`` (several lines) safe to show: line breaks normalised to ``\\n``, and per
    line the bidi and invisible controls removed that could reorder or hide what is
    shown (see the module docstring). Idempotent."""
    if not text:
        return ""
    text = _NEWLINE.sub("\n", text)
    if not _SUSPECT.search(text):
        return text
    return "\n".join(_clean_line(line, marks=True) for line in text.split("\n"))


def neutralise_line(text: str | None) -> str:
    """A one-line field (a display name, alt text, ...): :func:`neutralise_text` with
    every line break and tab turned into a space, runs of spaces collapsed, ends stripped."""
    out = neutralise_text(text)
    if "\n" in out or "\t" in out or "  " in out:
        out = re.sub(r"[ \t\n]+", " ", out)
    return out.strip()


def neutralise_handle(handle: str | None) -> str:
    """A handle (or an id shown to a reader) without any control or format character."""
    if not handle:
        return ""
    out = _NEWLINE.sub(" ", handle)
    if _SUSPECT.search(out):
        out = "".join(
            ch
            for ch in out
            if not _SUSPECT.match(ch) or unicodedata.category(ch) not in _CONTROL_CATEGORIES
        )
    return re.sub(r"\s+", " ", out).strip()


def neutralise_url(url: str | None) -> str | None:
    """``url`` with every control, format, separator or space character inside it
    percent-encoded (UTF-8), so it cannot reorder or hide what is shown; ``None`` stays
    ``None``. The resource is the one a browser would fetch for the original."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if not url:
        return None
    if not _SUSPECT.search(url) and not re.search(r"\s", url):
        return url
    out = []
    for ch in url:
        if ch.isspace() or (_SUSPECT.match(ch) and unicodedata.category(ch) in _CONTROL_CATEGORIES):
            if 0xD800 <= ord(ch) <= 0xDFFF:
                continue  # a lone surrogate has no UTF-8 form
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8")))
        else:
            out.append(ch)
    return "".join(out)


def _clean_media(m: dict[str, Any]) -> dict[str, Any]:
    out = dict(m)
    if isinstance(out.get("url"), str):
        out["url"] = neutralise_url(out["url"])
    for k in ("alt", "type"):
        if isinstance(out.get(k), str):
            out[k] = neutralise_line(out[k])
    return out


@dataclass
class Quote:
    """A quoted post: its id, link, and author/text when it is in the data."""

    post_id: str | None
    url: str | None
    author_id: str | None = None
    text: str | None = None


@dataclass
class ThreadPost:
    """One place in a thread: a post, or a marker for a deleted or missing post."""

    post_id: str
    author_id: str | None
    created_at: datetime | None
    text: str | None  # cleaned text; None for markers
    url: str | None = None
    marker: str | None = None  # None, "deleted" or "missing"
    media: list[dict[str, Any]] = field(default_factory=list)
    quote: Quote | None = None
    edited: bool = False
    engagement: dict[str, int] = field(default_factory=dict)


@dataclass
class Thread:
    """An unrolled thread: the article's posts in order, and the side branches."""

    platform: str
    author_id: str | None
    posts: list[ThreadPost]
    branches: list[Thread] = field(default_factory=list)
    branch_of: str | None = None  # for a branch: the chain post it replies to
    in_reply_to: str | None = None  # the other account's post the chain answers, if any
    author_handle: str | None = None
    author_name: str | None = None

    @property
    def real_posts(self) -> list[ThreadPost]:
        """The posts that are not markers."""
        return [p for p in self.posts if p.marker is None]

    @property
    def n_posts(self) -> int:
        """Number of posts shown (markers not counted)."""
        return len(self.real_posts)

    @property
    def first_time(self) -> datetime | None:
        """Creation time of the earliest post."""
        times = [p.created_at for p in self.real_posts if p.created_at is not None]
        return min(times) if times else None

    @property
    def last_time(self) -> datetime | None:
        """Creation time of the latest post."""
        times = [p.created_at for p in self.real_posts if p.created_at is not None]
        return max(times) if times else None

    @property
    def markers(self) -> dict[str, int]:
        """Number of markers per kind (``"deleted"``, ``"missing"``)."""
        out: dict[str, int] = {}
        for p in self.posts:
            if p.marker:
                out[p.marker] = out.get(p.marker, 0) + 1
        return out

    @property
    def engagement(self) -> dict[str, int | None]:
        """Engagement counts summed over the thread's posts (branches not included);
        ``None`` for a count no post of the thread reported (unknown, not 0)."""
        total: dict[str, int | None] = {k: None for k in _ENGAGEMENT}
        for p in self.real_posts:
            for k, v in p.engagement.items():
                total[k] = (total[k] or 0) + v
        return total

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (times as ISO-8601 strings)."""

        def iso(t: datetime | None) -> str | None:
            return t.isoformat() if t is not None else None

        return {
            "platform": self.platform,
            "author_id": self.author_id,
            "author_handle": self.author_handle,
            "author_name": self.author_name,
            "first_time": iso(self.first_time),
            "last_time": iso(self.last_time),
            "n_posts": self.n_posts,
            "markers": self.markers,
            "engagement": self.engagement,
            "in_reply_to": self.in_reply_to,
            "branch_of": self.branch_of,
            "posts": [
                {
                    "post_id": p.post_id,
                    "created_at": iso(p.created_at),
                    "url": p.url,
                    "marker": p.marker,
                    "text": p.text,
                    "edited": p.edited,
                    "media": p.media,
                    "quote": None if p.quote is None else vars(p.quote),
                    "engagement": p.engagement,
                }
                for p in self.posts
            ],
            "branches": [b.to_dict() for b in self.branches],
        }


@dataclass
class Block:
    """One block of the article: a paragraph, a figure, a quote or a marker.

    ``post_ids`` are the posts whose text the block holds (a paragraph can join
    a sentence a post broke off with the next post's continuation); ``ends``
    the posts whose last text is in this block (where a permalink goes);
    ``parts`` the text of each post in a paragraph (``text`` is them joined by a
    space), so that a renderer can isolate one post's text from the next.
    """

    kind: str  # "text", "media", "quote" or "marker"
    post_ids: list[str]
    text: str | None = None
    media: dict[str, Any] | None = None
    quote: Quote | None = None
    marker: str | None = None
    ends: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)


_OPEN_END = re.compile(r"[\w,\-–—]$")


def article(posts: list[ThreadPost]) -> list[Block]:
    """The thread's posts as article blocks, in order.

    Each post's text gives paragraphs (split at blank lines). When a text-only
    post stops mid-sentence (it ends in a letter, digit, comma or dash) and the
    next post goes on in lower case, the two are joined into one paragraph.
    Media become ``media`` blocks, a quoted post a ``quote`` block, a deleted or
    missing post a ``marker`` block.
    """
    blocks: list[Block] = []
    open_prev = False
    for p in posts:
        if p.marker is not None:
            blocks.append(Block("marker", [p.post_id], marker=p.marker))
            open_prev = False
            continue
        paras = [q.strip("\n") for q in re.split(r"\n\s*\n", p.text or "") if q.strip()]
        for j, para in enumerate(paras):
            prev = blocks[-1] if blocks else None
            if (
                j == 0
                and open_prev
                and prev is not None
                and prev.kind == "text"
                and para.lstrip()[:1].islower()
            ):
                prev.text = f"{prev.text} {para.lstrip()}"
                prev.post_ids.append(p.post_id)
                prev.parts.append(para.lstrip())
            else:
                blocks.append(Block("text", [p.post_id], text=para, parts=[para]))
        if paras:
            blocks[-1].ends.append(p.post_id)
        elif p.media or p.quote is not None:
            pass
        else:
            blocks.append(Block("text", [p.post_id], text="", ends=[p.post_id], parts=[""]))
        for m in p.media:
            blocks.append(Block("media", [p.post_id], media=m))
        if p.quote is not None:
            blocks.append(Block("quote", [p.post_id], quote=p.quote))
        open_prev = (
            bool(paras)
            and not p.media
            and p.quote is None
            and bool(_OPEN_END.search(paras[-1].rstrip()))
        )
    return blocks


def strip_counter(text: str) -> str:
    """``text`` without a leading or trailing thread counter ("1/", "(2/10)", "3/n").

    A trailing counter needs a denominator ("3/8", "4/n") unless the text has no
    leading one, so a sentence ending in a fraction-like "and/or 1/" is rare
    collateral; call this only on posts of a thread that uses counters.
    """
    out = _LEAD.sub("", text, count=1)
    out = _TRAIL_STRICT.sub("", out) if out != text else _TRAIL.sub("", out)
    return out.strip()


def _has_counter(text: str | None) -> bool:
    return bool(text) and bool(_LEAD.match(text or "") or _TRAIL_STRICT.search(text or ""))


def clean_text(text: str | None, quote_url: str | None = None) -> str:
    """Format-independent clean-up of one post's text (whitespace, trailing quote link)."""
    if not text:
        return ""
    out = neutralise_text(text).strip()
    if quote_url and out.endswith(quote_url):
        out = out[: -len(quote_url)].rstrip()
    out = re.sub(r"[ \t]+\n", "\n", out)
    return re.sub(r"\n{3,}", "\n\n", out)


@dataclass
class _Node:
    post_id: str
    author_id: str | None
    created_us: int | None  # UTC microseconds
    parent_id: str | None
    parent_author_id: str | None
    base: int | None  # row of the first version; None: missing (referenced, not in the data)
    latest: int | None  # row of the latest live version (text, media, counts)
    deleted: bool = False
    edited: bool = False


@dataclass
class _Shape:
    """A thread's structure before its rows are read: chain ids and branch shapes."""

    head: str
    path: list[str]
    branches: list[_Shape]


def _col(table: pa.Table, name: str) -> list[Any]:
    return table[name].to_pylist() if name in table.column_names else [None] * table.num_rows


def _us(table: pa.Table, name: str) -> list[int | None]:
    if name not in table.column_names:
        return [None] * table.num_rows
    out: list[int | None] = pc.cast(table[name], pa.int64()).to_pylist()
    return out


class ThreadIndex:
    """The reply structure of one platform's posts, ready for unrolling.

    The structure is built from whole columns (ids, authors, parents, times);
    the other columns of a post are read only for the posts that end up in a
    returned thread.

    Parameters
    ----------
    posts : pyarrow.Table
        A canonical ``posts`` table (rows of other platforms are ignored when
        ``platform`` is given).
    accounts : pyarrow.Table, optional
        A canonical ``accounts`` table, for author handles and names.
    platform : str, optional
        The platform to index; required when ``posts`` holds several.
    authors : iterable of str, optional
        Index only these authors' posts (quoted posts are still found); a
        speed-up for large stores, since other accounts' replies never enter a
        thread.
    """

    def __init__(
        self,
        posts: pa.Table,
        accounts: pa.Table | None = None,
        *,
        platform: str | None = None,
        authors: Iterable[str] | None = None,
    ) -> None:
        missing_cols = [c for c in ("platform", "post_id", "kind") if c not in posts.column_names]
        if missing_cols:
            raise InputError(f"posts table lacks columns {missing_cols}")
        platforms = pc.unique(posts["platform"]).to_pylist()
        if platform is None:
            if len(platforms) > 1:
                raise InputError(
                    f"posts hold several platforms {sorted(platforms)}; choose one with platform="
                )
            platform = platforms[0] if platforms else "unknown"
        self.platform = platform
        cols = [c for c in _COLUMNS if c in posts.column_names]
        table = posts.select(cols).filter(pc.equal(posts["platform"], platform))
        table = table.filter(pc.invert(pc.fill_null(pc.equal(table["kind"], "repost"), False)))
        self._all = table
        if authors is not None:
            table = table.filter(pc.is_in(table["author_id"], pa.array(list(authors), pa.string())))
        self._table = table
        self.nodes: dict[str, _Node] = {}
        self.alias: dict[str, str] = {}  # edit version id -> first version id
        self._build(table)
        self.children: dict[str, list[str]] = {}
        for n in self.nodes.values():
            if n.parent_id is not None:
                pid = self.alias.get(n.parent_id, n.parent_id)
                n.parent_id = pid
                self.children.setdefault(pid, []).append(n.post_id)
        # Parents referenced but absent: "missing" nodes with the author the reply names.
        for pid, kids in list(self.children.items()):
            if pid not in self.nodes:
                author = next(
                    (
                        self.nodes[k].parent_author_id
                        for k in kids
                        if self.nodes[k].parent_author_id
                    ),
                    None,
                )
                self.nodes[pid] = _Node(pid, author, None, None, None, None, None)
        for kids in self.children.values():
            if len(kids) > 1:
                kids.sort(key=lambda k: self._order_key(self.nodes[k]))
        self.handles: dict[str, tuple[str | None, str | None]] = {}
        if accounts is not None and accounts.num_rows:
            acc = accounts.filter(pc.equal(accounts["platform"], platform))
            for r in acc.select(["account_id", "handle", "display_name"]).to_pylist():
                old = self.handles.get(r["account_id"], (None, None))
                self.handles[r["account_id"]] = (
                    r["handle"] or old[0],
                    r["display_name"] or old[1],
                )

    @staticmethod
    def _order_key(n: _Node) -> tuple[bool, int, int, str]:
        # Earliest first: by time; unknown times last; then numeric ids (X, Mastodon), then id.
        t = n.created_us
        num = int(n.post_id) if n.post_id.isdigit() and len(n.post_id) < 30 else 0
        return (t is None, t or 0, num, n.post_id)

    def _build(self, table: pa.Table) -> None:
        pid = _col(table, "post_id")
        author = _col(table, "author_id")
        parent = _col(table, "parent_id")
        pauthor = _col(table, "parent_author_id")
        edit_of = _col(table, "edit_of_id")
        deleted = [bool(d) for d in _col(table, "deleted")]
        created = _us(table, "created_at")
        edited_at = _us(table, "edited_at")
        groups: dict[str, list[int]] = {}
        for i, p in enumerate(pid):
            first = edit_of[i] or p
            if edit_of[i]:
                self.alias[p] = first
            g = groups.get(first)
            if g is None:
                groups[first] = [i]
            else:
                g.append(i)
        for first, rows in groups.items():
            if len(rows) == 1:
                i = rows[0]
                self.nodes[first] = _Node(
                    first,
                    author[i],
                    created[i],
                    parent[i],
                    pauthor[i],
                    i,
                    i,
                    deleted[i],
                    edited_at[i] is not None and not deleted[i],
                )
                continue
            live = [i for i in rows if not deleted[i]]
            base = next((i for i in live if pid[i] == first), live[0] if live else rows[0])
            latest = max(live, key=lambda i: (edited_at[i] or 0, created[i] or 0)) if live else base
            is_deleted = len(live) < len(rows)
            times = [t for t in (created[i] for i in rows) if t is not None]
            self.nodes[first] = _Node(
                first,
                next((author[i] for i in rows if author[i]), None),
                created[base] if created[base] is not None else min(times, default=None),
                next((parent[i] for i in rows if parent[i]), None),
                next((pauthor[i] for i in rows if pauthor[i]), None),
                base,
                latest,
                is_deleted,
                not is_deleted,
            )

    # -- structure ------------------------------------------------------------------

    def _author_kids(self, pid: str, author: str | None) -> list[str]:
        return [k for k in self.children.get(pid, ()) if self.nodes[k].author_id == author]

    def _alive(self, pid: str, author: str | None, memo: dict[str, bool]) -> bool:
        """A post keeps a place in a chain: it exists, or the author's chain continues below."""
        if pid in memo:
            return memo[pid]
        n = self.nodes[pid]
        if n.base is not None and not n.deleted:
            memo[pid] = True
            return True
        stack = [pid]
        order: list[str] = []
        seen = set()
        while stack:  # iterative post-order over the author's reply subtree
            x = stack.pop()
            if x in seen or x in memo:
                continue
            seen.add(x)
            order.append(x)
            stack.extend(self._author_kids(x, author))
        for x in reversed(order):
            m = self.nodes[x]
            memo[x] = (m.base is not None and not m.deleted) or any(
                memo.get(k, False) for k in self._author_kids(x, author)
            )
        return memo[pid]

    def head_of(self, post_id: str) -> str:
        """The first post of the chain ``post_id`` belongs to (its author's topmost post)."""
        pid = self.alias.get(post_id, post_id)
        if pid not in self.nodes:
            raise InputError(f"post {post_id!r} is not in the {self.platform} posts")
        author = self.nodes[pid].author_id
        seen = {pid}
        while True:
            par = self.nodes[pid].parent_id
            if par is None or par not in self.nodes or self.nodes[par].author_id != author:
                return pid
            if par in seen:  # a reply cycle in corrupt data: stop
                return pid
            seen.add(par)
            pid = par

    def heads(self) -> list[str]:
        """Every chain head: a post (or missing post) whose parent is not its author's."""
        out = []
        for pid, n in self.nodes.items():
            par = self.nodes.get(n.parent_id) if n.parent_id else None
            if par is None or par.author_id != n.author_id:
                out.append(pid)
        return out

    def chain(self, head: str, memo: dict[str, bool] | None = None) -> tuple[list[str], list[str]]:
        """The chain from ``head`` (earliest author reply each step) and its branch starts."""
        memo = {} if memo is None else memo
        author = self.nodes[head].author_id
        path: list[str] = []
        branches: list[str] = []
        cur: str | None = head
        seen: set[str] = set()
        while cur is not None and cur not in seen:
            seen.add(cur)
            path.append(cur)
            kids = [k for k in self._author_kids(cur, author) if self._alive(k, author, memo)]
            cur = kids[0] if kids else None
            branches.extend(kids[1:])
        # A deleted or missing post at the end keeps no place (the chain does not go on).
        while path and not self._alive(path[-1], author, memo):
            path.pop()
        return path, branches

    def _shape(self, head: str, memo: dict[str, bool], depth: int = 0) -> _Shape:
        path, branch_ids = self.chain(head, memo)
        subs = [self._shape(b, memo, depth + 1) for b in branch_ids] if depth < 20 else []
        return _Shape(head, path, [b for b in subs if b.path])

    def _n_real(self, path: list[str]) -> int:
        return sum(1 for p in path if self.nodes[p].base is not None and not self.nodes[p].deleted)

    # -- materialising ------------------------------------------------------------------

    def _rows(self, shapes: list[_Shape]) -> tuple[dict[int, dict[str, Any]], dict[str, Any]]:
        """Rows of every post in ``shapes`` (one ``take``) and the quoted posts."""
        wanted: set[int] = set()
        stack = list(shapes)
        while stack:
            sh = stack.pop()
            stack.extend(sh.branches)
            for p in sh.path:
                n = self.nodes[p]
                for i in (n.base, n.latest):
                    if i is not None:
                        wanted.add(i)
        order = sorted(wanted)
        taken = self._table.take(pa.array(order, pa.int64())).to_pylist() if order else []
        rows = dict(zip(order, taken, strict=True))
        qids = {r["quote_id"] for r in rows.values() if r.get("quote_id")}
        quotes: dict[str, Any] = {}
        if qids:
            t = self._all.filter(
                pc.is_in(self._all["post_id"], pa.array(sorted(qids), pa.string()))
            )
            keep = [
                c for c in ("post_id", "author_id", "text", "url", "deleted") if c in t.column_names
            ]
            quotes = {r["post_id"]: r for r in t.select(keep).to_pylist() if not r.get("deleted")}
        return rows, quotes

    def _post(
        self, pid: str, rows: dict[int, dict[str, Any]], quotes: dict[str, Any]
    ) -> ThreadPost:
        n = self.nodes[pid]
        if n.base is None or n.deleted or n.latest is None:
            base_row = rows.get(n.base) if n.base is not None else None
            return ThreadPost(
                pid,
                n.author_id,
                (base_row or {}).get("created_at"),
                None,
                url=neutralise_url((base_row or {}).get("url")),
                marker="missing" if n.base is None else "deleted",
            )
        base, r = rows[n.base], rows[n.latest]
        quote = None
        if r.get("quote_id") or r.get("quote_url"):
            q = quotes.get(r.get("quote_id") or "") or {}
            quote = Quote(
                r.get("quote_id"),
                neutralise_url(r.get("quote_url") or q.get("url")),
                q.get("author_id"),
                neutralise_text(q.get("text")) if q.get("text") else None,
            )
        return ThreadPost(
            pid,
            n.author_id,
            base.get("created_at"),
            clean_text(r.get("text"), quote.url if quote else None),
            url=neutralise_url(base.get("url") or r.get("url")),
            media=[_clean_media(m) for m in r.get("media") or [] if isinstance(m, dict)],
            quote=quote,
            edited=n.edited,
            engagement={k: int(r[k]) for k in _ENGAGEMENT if r.get(k) is not None},
        )

    def _make(
        self, sh: _Shape, rows: dict[int, dict[str, Any]], quotes: dict[str, Any], branch: bool
    ) -> Thread:
        posts = [self._post(p, rows, quotes) for p in sh.path]
        if sum(_has_counter(p.text) for p in posts) >= 2:
            for p in posts:
                if p.text:
                    p.text = strip_counter(p.text)
        author = self.nodes[sh.head].author_id
        handle, name = self.handles.get(author or "", (None, None))
        th = Thread(
            self.platform,
            author,
            posts,
            in_reply_to=None if branch else self.nodes[sh.head].parent_id,
            author_handle=neutralise_handle(handle) or None,
            author_name=neutralise_line(name) or None,
        )
        for b in sh.branches:
            sub = self._make(b, rows, quotes, True)
            sub.branch_of = self.nodes[b.head].parent_id
            th.branches.append(sub)
        return th

    def threads(self, heads: Iterable[str], min_posts: int = 1) -> list[Thread]:
        """The threads starting at ``heads`` with at least ``min_posts`` posts, with branches."""
        memo: dict[str, bool] = {}
        shapes = []
        for h in heads:
            if min_posts >= 2 and not self._author_kids(h, self.nodes[h].author_id):
                continue  # a lone post (or a missing one) cannot make a thread
            sh = self._shape(h, memo)
            if sh.path and self._n_real(sh.path) >= min_posts:
                shapes.append(sh)
        rows, quotes = self._rows(shapes)
        return [self._make(sh, rows, quotes, False) for sh in shapes]

    def thread(self, head: str) -> Thread:
        """The :class:`Thread` starting at chain head ``head``, with its branches."""
        memo: dict[str, bool] = {}
        sh = self._shape(head, memo)
        rows, quotes = self._rows([sh])
        return self._make(sh, rows, quotes, False)


def unroll_post(
    posts: pa.Table,
    post_id: str,
    accounts: pa.Table | None = None,
    *,
    platform: str | None = None,
) -> Thread:
    """Unroll the thread that ``post_id`` belongs to.

    Parameters
    ----------
    posts : pyarrow.Table
        Canonical ``posts`` table.
    post_id : str
        Any post of the thread (a version id of an edited post works too).
    accounts : pyarrow.Table, optional
        Canonical ``accounts`` table, for the author's handle and name.
    platform : str, optional
        Needed when ``posts`` holds several platforms and the id is ambiguous.

    Returns
    -------
    Thread
        The chain from its head, with side branches (see the module docstring).

    Raises
    ------
    InputError
        If the post is not in the table.
    """
    match = posts.filter(pc.equal(posts["post_id"], post_id))
    if match.num_rows == 0:
        raise InputError(f"post {post_id!r} is not in the input")
    if platform is None:
        plats = sorted(set(match["platform"].to_pylist()))
        if len(plats) > 1:
            raise InputError(f"post id {post_id!r} exists on several platforms {plats}")
        platform = plats[0]
    mine = match.filter(pc.equal(match["platform"], platform))
    if "kind" in mine.column_names and set(mine["kind"].to_pylist()) == {"repost"}:
        of = mine["repost_of_id"][0].as_py() if "repost_of_id" in mine.column_names else None
        raise InputError(
            f"post {post_id!r} is a repost"
            + (f" of {of!r}; reposts are not part of threads: unroll {of!r} instead" if of else "")
        )
    authors = [a for a in match["author_id"].to_pylist() if a is not None]
    idx = ThreadIndex(posts, accounts, platform=platform, authors=authors or None)
    return idx.thread(idx.head_of(post_id))


def unroll_all(
    posts: pa.Table,
    accounts: pa.Table | None = None,
    *,
    min_posts: int = 2,
) -> list[Thread]:
    """Every thread with at least ``min_posts`` posts by its author, oldest first.

    Only authors who reply to themselves can have such threads, so the index is
    built for those authors only (a vectorised filter over the table).
    """
    out: list[Thread] = []
    if posts.num_rows == 0:
        return out
    for platform in sorted(pc.unique(posts["platform"]).to_pylist()):
        t = posts.filter(pc.equal(posts["platform"], platform))
        if min_posts <= 1:
            authors = pc.unique(t["author_id"]).to_pylist()
        else:
            same = pc.fill_null(pc.equal(t["author_id"], t["parent_author_id"]), False)
            authors = pc.unique(t.filter(same)["author_id"]).to_pylist()
        if not authors:
            continue
        idx = ThreadIndex(t, accounts, platform=platform, authors=[a for a in authors if a])
        out.extend(idx.threads(idx.heads(), min_posts))
    out.sort(key=lambda th: (th.first_time is None, th.first_time or 0, th.platform))
    return out
