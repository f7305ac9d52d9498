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
"""

from __future__ import annotations

import re
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
_LEAD = re.compile(rf"^\s*{_COUNTER}(?:\s+|$)")
_TRAIL = re.compile(rf"\s+{_COUNTER}\s*$")
_TRAIL_STRICT = re.compile(r"\s+[(\[]?\d{1,3}\s?/\s?(?:\d{1,3}|n|N)[)\]]?\s*$")


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
        return len(self.real_posts)

    @property
    def first_time(self) -> datetime | None:
        times = [p.created_at for p in self.real_posts if p.created_at is not None]
        return min(times) if times else None

    @property
    def last_time(self) -> datetime | None:
        times = [p.created_at for p in self.real_posts if p.created_at is not None]
        return max(times) if times else None

    @property
    def markers(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for p in self.posts:
            if p.marker:
                out[p.marker] = out.get(p.marker, 0) + 1
        return out

    @property
    def engagement(self) -> dict[str, int]:
        """Engagement counts summed over the thread's posts (branches not included)."""
        total = {k: 0 for k in _ENGAGEMENT}
        for p in self.real_posts:
            for k, v in p.engagement.items():
                total[k] += v
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
class _Node:
    post_id: str
    author_id: str | None
    created_at: datetime | None
    parent_id: str | None
    parent_author_id: str | None
    row: dict[str, Any] | None  # None: missing (referenced, not in the data)
    deleted: bool = False
    edited: bool = False


@dataclass
class Block:
    """One block of the article: a paragraph, a figure, a quote or a marker.

    ``post_ids`` are the posts whose text the block holds (a paragraph can join
    a sentence a post broke off with the next post's continuation); ``ends``
    the posts whose last text is in this block (where a permalink goes).
    """

    kind: str  # "text", "media", "quote" or "marker"
    post_ids: list[str]
    text: str | None = None
    media: dict[str, Any] | None = None
    quote: Quote | None = None
    marker: str | None = None
    ends: list[str] = field(default_factory=list)


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
            else:
                blocks.append(Block("text", [p.post_id], text=para))
        if paras:
            blocks[-1].ends.append(p.post_id)
        elif p.media or p.quote is not None:
            pass
        else:
            blocks.append(Block("text", [p.post_id], text="", ends=[p.post_id]))
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
    out = text.strip()
    if quote_url and out.endswith(quote_url):
        out = out[: -len(quote_url)].rstrip()
    out = re.sub(r"[ \t]+\n", "\n", out)
    return re.sub(r"\n{3,}", "\n\n", out)


class ThreadIndex:
    """The reply structure of one platform's posts, ready for unrolling.

    Parameters
    ----------
    posts : pyarrow.Table
        A canonical ``posts`` table (extra rows of other platforms are ignored
        when ``platform`` is given).
    accounts : pyarrow.Table, optional
        A canonical ``accounts`` table, for author handles and names.
    platform : str, optional
        The platform to index; required when ``posts`` holds several.
    authors : iterable of str, optional
        Index only these authors' posts (plus the quoted posts); a speed-up
        for large stores, since other accounts' replies never enter a thread.
    """

    def __init__(
        self,
        posts: pa.Table,
        accounts: pa.Table | None = None,
        *,
        platform: str | None = None,
        authors: Iterable[str] | None = None,
    ) -> None:
        missing_cols = [c for c in ("platform", "post_id") if c not in posts.column_names]
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
        self.nodes: dict[str, _Node] = {}
        self.alias: dict[str, str] = {}  # edit version id -> first version id
        self._build(table.to_pylist())
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
                self.nodes[pid] = _Node(pid, author, None, None, None, None)
        for kids in self.children.values():
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
    def _order_key(n: _Node) -> tuple[int, Any, int, str]:
        # Earliest first: by time; unknown times last; then numeric ids (X, Mastodon), then id.
        t = n.created_at
        num = int(n.post_id) if n.post_id.isdigit() else 0
        return (0 if t is not None else 1, t.timestamp() if t else 0.0, num, n.post_id)

    def _build(self, rows: list[dict[str, Any]]) -> None:
        versions: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            first = r.get("edit_of_id") or r["post_id"]
            if r.get("edit_of_id"):
                self.alias[r["post_id"]] = first
            versions.setdefault(first, []).append(r)
        for pid, vs in versions.items():
            deleted = any(bool(v.get("deleted")) for v in vs)
            live = [v for v in vs if not v.get("deleted")]
            base = next((v for v in live if v["post_id"] == pid), live[0] if live else vs[0])

            def when(v: dict[str, Any]) -> tuple[float, float]:
                e, c = v.get("edited_at"), v.get("created_at")
                return (e.timestamp() if e else 0.0, c.timestamp() if c else 0.0)

            latest = max(live, key=when) if live else base
            row = dict(base)
            for k in ("text", "media", "quote_id", "quote_url", "url", *_ENGAGEMENT):
                if latest.get(k) is not None:
                    row[k] = latest[k]
            created = base.get("created_at") or min(
                (v["created_at"] for v in vs if v.get("created_at")), default=None
            )
            parent = next((v.get("parent_id") for v in vs if v.get("parent_id")), None)
            pauthor = next(
                (v.get("parent_author_id") for v in vs if v.get("parent_author_id")), None
            )
            author = next((v.get("author_id") for v in vs if v.get("author_id")), None)
            edited = (len(vs) > 1 and not deleted) or any(v.get("edited_at") for v in live)
            self.nodes[pid] = _Node(pid, author, created, parent, pauthor, row, deleted, edited)

    # -- structure ------------------------------------------------------------------

    def _alive(self, pid: str, author: str | None, memo: dict[str, bool]) -> bool:
        """A post keeps a place in a chain: it exists, or the author's chain continues below."""
        if pid in memo:
            return memo[pid]
        stack = [pid]
        order: list[str] = []
        seen = set()
        while stack:  # iterative post-order over the author's reply subtree
            x = stack.pop()
            if x in seen or x in memo:
                continue
            seen.add(x)
            order.append(x)
            stack.extend(k for k in self.children.get(x, []) if self.nodes[k].author_id == author)
        for x in reversed(order):
            n = self.nodes[x]
            if n.row is not None and not n.deleted:
                memo[x] = True
            else:
                memo[x] = any(
                    memo.get(k, False)
                    for k in self.children.get(x, [])
                    if self.nodes[k].author_id == author
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
            n = self.nodes[pid]
            par = n.parent_id
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
            kids = [
                k
                for k in self.children.get(cur, [])
                if self.nodes[k].author_id == author and self._alive(k, author, memo)
            ]
            cur = kids[0] if kids else None
            branches.extend(kids[1:])
        # A deleted dead end at the head keeps no place; a missing head stays as a marker
        # only when the chain continues.
        while path and not self._alive(path[-1], author, memo):
            path.pop()
        return path, branches

    # -- materialising ------------------------------------------------------------------

    def _post(self, pid: str, quotes: dict[str, dict[str, Any]]) -> ThreadPost:
        n = self.nodes[pid]
        if n.row is None or n.deleted:
            return ThreadPost(
                pid,
                n.author_id,
                n.created_at,
                None,
                url=(n.row or {}).get("url"),
                marker="missing" if n.row is None else "deleted",
            )
        r = n.row
        quote = None
        if r.get("quote_id") or r.get("quote_url"):
            q = quotes.get(r.get("quote_id") or "")
            quote = Quote(
                r.get("quote_id"),
                r.get("quote_url") or (q or {}).get("url"),
                (q or {}).get("author_id"),
                (q or {}).get("text"),
            )
        media = [m for m in r.get("media") or [] if isinstance(m, dict)]
        return ThreadPost(
            pid,
            n.author_id,
            n.created_at,
            clean_text(r.get("text"), quote.url if quote else None),
            url=r.get("url"),
            media=media,
            quote=quote,
            edited=n.edited,
            engagement={k: int(r[k]) for k in _ENGAGEMENT if r.get(k) is not None},
        )

    def _quotes(self, pids: Iterable[str]) -> dict[str, dict[str, Any]]:
        ids = {
            self.nodes[p].row["quote_id"]  # type: ignore[index]
            for p in pids
            if self.nodes[p].row is not None and self.nodes[p].row.get("quote_id")  # type: ignore[union-attr]
        }
        if not ids:
            return {}
        t = self._all.filter(pc.is_in(self._all["post_id"], pa.array(sorted(ids), pa.string())))
        cols = [
            c for c in ("post_id", "author_id", "text", "url", "deleted") if c in t.column_names
        ]
        return {r["post_id"]: r for r in t.select(cols).to_pylist() if not r.get("deleted")}

    def thread(self, head: str, memo: dict[str, bool] | None = None, depth: int = 0) -> Thread:
        """The :class:`Thread` starting at chain head ``head``, with its branches."""
        memo = {} if memo is None else memo
        path, branch_ids = self.chain(head, memo)
        author = self.nodes[head].author_id
        # A missing first post: marker, chain continues at the earliest surviving post.
        quotes = self._quotes(path)
        posts = [self._post(p, quotes) for p in path]
        if sum(_has_counter(p.text) for p in posts) >= 2:
            for p in posts:
                if p.text:
                    p.text = strip_counter(p.text)
        handle, name = self.handles.get(author or "", (None, None))
        handle = handle.strip() if handle else None
        name = name.strip() if name else None
        first = self.nodes[head]
        in_reply_to = None
        if first.parent_id is not None:
            in_reply_to = first.parent_id
        th = Thread(
            self.platform,
            author,
            posts,
            in_reply_to=in_reply_to,
            author_handle=handle,
            author_name=name,
        )
        if depth < 20:
            for b in branch_ids:
                sub = self.thread(b, memo, depth + 1)
                sub.branch_of = self.nodes[b].parent_id
                sub.in_reply_to = None
                if sub.posts:
                    th.branches.append(sub)
        return th


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
        selfrep = t.filter(pc.fill_null(pc.equal(t["author_id"], t["parent_author_id"]), False))
        authors = pc.unique(selfrep["author_id"]).to_pylist()
        if min_posts <= 1:
            authors = pc.unique(t["author_id"]).to_pylist()
        if not authors:
            continue
        idx = ThreadIndex(t, accounts, platform=platform, authors=[a for a in authors if a])
        memo: dict[str, bool] = {}
        for head in idx.heads():
            th = idx.thread(head, memo)
            if th.n_posts >= min_posts:
                out.append(th)
    out.sort(key=lambda th: (th.first_time is None, th.first_time or 0, th.platform))
    return out
