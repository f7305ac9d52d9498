"""Render unrolled threads as Markdown, one self-contained HTML page, or JSON.

Post text is untrusted. The HTML page escapes every character of post data
(text, alt text, names, ids), makes links only of http(s) URLs, carries all its
CSS inline, needs no script, and forbids scripts with a Content-Security-Policy.
Markdown output backslash-escapes every character that could start markup where
it stands (``\\ ` * _ [ ] ( ) < > & | ~`` anywhere, and ``#``, ``>``, ``-``,
``+``, ``=`` and ``1.`` at the start of a line), so post text cannot become raw
HTML, a link, code, a heading, a list or a quote; one-line fields (names, alt
text, ids) have their line breaks turned into spaces. JSON carries the text as
data.

Bidirectional text: every string is first neutralised (see
:func:`mutuals.report.unroll.neutralise_text`: bidi embeddings and overrides,
unpaired isolates and invisible format characters removed). Then each
user-supplied run is isolated, so that neither a right-to-left name nor what is
left in it can reorder the text around it: in HTML with ``<bdi>`` (names,
handles, ids, alt text, the second and later posts of a merged paragraph) and
``dir="auto"`` (paragraphs, quotes), in Markdown and the page title with the
Unicode isolates FSI ... PDI (only around a run that holds right-to-left
characters). Links are shown as their URL, with the host in its ASCII form (an
internationalised host as ``xn--...``, no user-info part); a link whose text is
not its URL (an image, a quoted post) is followed by its host in parentheses.

Privacy: by default the page loads nothing from the network. Images are links
(their alt text, then the host) and the Content-Security-Policy forbids remote
images; ``embed_images=True`` (``mutuals unroll --embed-images``) shows them
inline, which tells each image host when the page is opened. The same holds for
Markdown (``![...]`` only with ``embed_images``).

Consecutive posts of a thread read as one article: each post's text becomes
paragraphs (blank-line separated; single line breaks kept), media become
figures, quoted posts blockquotes with their link, and deleted or missing posts
short markers.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from mutuals.report.unroll import (
    Block,
    Quote,
    Thread,
    ThreadPost,
    article,
    neutralise_handle,
    neutralise_line,
    neutralise_text,
    neutralise_url,
)

__all__ = ["render", "to_html", "to_json", "to_markdown"]

# A URL in text ends at white space, a quote or angle bracket, or any control or format
# character (a bidi mark or isolate right after a link is not part of it).
_URL = re.compile(
    "https?://[^\\s<>\"'`\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f"
    "\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ufff9-\\ufffb\\U000e0000-\\U000e007f]+",
    re.IGNORECASE,
)
_SAFE_URL = re.compile(r"^https?://[^\s<>\"'`\\]+$", re.IGNORECASE)
_HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?\.?)+$|^\[[0-9a-f:.]+\]$", re.I)
_MARKER_TEXT = {
    "deleted": "[this post was deleted or is unavailable]",
    "missing": "[this post is not in the data]",
}
_FSI, _PDI = "\u2068", "\u2069"
_RTL_CLASSES = frozenset(("R", "AL", "AN", "LRI", "RLI", "FSI", "PDI"))
_IMAGE_KINDS = ("photo", "image")


@dataclass(frozen=True)
class _Link:
    href: str  # the URL to link to (http(s), controls percent-encoded, ASCII host)
    host: str  # its host, ASCII (an IDN as xn--...)


def _link(url: str | None) -> _Link | None:
    """The link ``url`` makes: a plain http(s) URL with a well-formed host, else None
    (never javascript:, data:, ...). The host is put in its ASCII (IDNA) form and a
    user-info part (``https://bank.example@evil.example/``) is dropped, so the URL as
    shown names the host it goes to."""
    url = neutralise_url(url)
    if not url or not _SAFE_URL.match(url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return None
    if not host:
        return None
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if ":" in host:  # an IPv6 literal (urlsplit drops the brackets)
        host = f"[{host}]"
    if not _HOST.match(host):
        return None
    netloc = host if port is None else f"{host}:{port}"
    href = f"{parts.scheme.lower()}://{netloc}{parts.path}"
    if parts.query or url.split("#", 1)[0].endswith("?"):
        href += f"?{parts.query}"
    if parts.fragment or "#" in url:
        href += f"#{parts.fragment}"
    return _Link(href, host.strip("[]") if host.startswith("[") else host)


def _safe_url(url: str | None) -> str | None:
    """The href ``url`` makes (see :func:`_link`), or None."""
    link = _link(url)
    return link.href if link else None


def _needs_isolation(text: str) -> bool:
    """``text`` holds right-to-left characters (or isolates) that could reorder a line."""
    return not text.isascii() and any(unicodedata.bidirectional(c) in _RTL_CLASSES for c in text)


def _isolate(text: str) -> str:
    """``text`` between FSI and PDI when it needs it (plain-text counterpart of <bdi>)."""
    return f"{_FSI}{text}{_PDI}" if _needs_isolation(text) else text


def _time(t: datetime | None) -> str:
    return t.strftime("%Y-%m-%d %H:%M UTC") if t is not None else "unknown time"


def _who(th: Thread) -> str | None:
    """The name a thread's title gives its author (name, @handle or id), neutralised."""
    name = neutralise_line(th.author_name)
    if name:
        return name
    handle = neutralise_handle(th.author_handle)
    if handle:
        return f"@{handle}"
    return neutralise_handle(th.author_id) or None


def _title(th: Thread) -> str:
    """The title as plain text (the user part isolated when it needs it)."""
    who = _who(th)
    return f"Thread by {_isolate(who)}" if who else "Thread"


def _author_parts(th: Thread) -> list[tuple[str, str, str]]:
    """The author line as (before, user-supplied run, after) parts."""
    parts = []
    name = neutralise_line(th.author_name)
    handle = neutralise_handle(th.author_handle)
    if name:
        parts.append(("", name, ""))
    if handle:
        parts.append(("@", handle, ""))
    author_id = neutralise_handle(th.author_id)
    parts.append(("(", author_id, ")") if author_id else ("(unknown)", "", ""))
    return parts


def _stats(th: Thread) -> list[tuple[str, str]]:
    """The metadata rows after the author (all text the renderer makes, plus counts)."""
    eng = th.engagement
    rows = [
        ("Platform", neutralise_handle(th.platform)),
        ("First post", _time(th.first_time)),
        ("Last post", _time(th.last_time)),
        ("Posts", str(th.n_posts)),
    ]
    if th.markers:
        rows.append(("Markers", ", ".join(f"{n} {k}" for k, n in sorted(th.markers.items()))))
    if th.branches:
        rows.append(("Side branches", str(len(th.branches))))
    names = {
        "like_count": "likes",
        "repost_count": "reposts",
        "reply_count": "replies",
        "quote_count": "quotes",
    }
    known = [f"{eng[k]} {name}" for k, name in names.items() if eng.get(k) is not None]
    rows.append(("Engagement", ", ".join(known) or "not reported"))
    return rows


def _trim_url(url: str) -> str:
    """A URL without trailing punctuation of the sentence around it; a closing
    parenthesis stays when the URL opened one (``.../Mercury_(planet)``)."""
    while url and url[-1] in ".,;:!?)":
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def _split_links(line: str) -> list[tuple[str, _Link | None]]:
    """``line`` as pieces: (text, None) and (URL as written, its link)."""
    out: list[tuple[str, _Link | None]] = []
    pos = 0
    for m in _URL.finditer(line):
        url = _trim_url(m.group(0))
        link = _link(url)
        if link is None:
            continue  # stays text
        if m.start() > pos:
            out.append((line[pos : m.start()], None))
        out.append((url, link))
        pos = m.start() + len(url)
    if pos < len(line) or not out:
        out.append((line[pos:], None))
    return out


# -- Markdown ------------------------------------------------------------------------

# CommonMark backslash escapes: an escaped "<" cannot open raw HTML or an autolink, an
# escaped "[" or "(" cannot open a link, "*", "_" and "~" emphasis, "`" code, "|" a table
# cell, and an escaped "&" cannot start an entity.
_MD_ESC = str.maketrans({c: "\\" + c for c in "\\`*_[]()<>&|~"})
# what opens a block at the start of a line: a heading, quote, list item, thematic
# break or setext underline, an ordered list item ("1." / "1)": ")" is escaped anyway)
_MD_LEAD = re.compile(r"^([#>+=-])|^(\d+)(\.)")


def _md(text: str) -> str:
    """Inline text with every markup character escaped."""
    return text.translate(_MD_ESC)


def _md_line_start(text: str) -> str:
    """Escaped text that begins a line: leading white space kept as no-break spaces
    (it would make a code block), a block-opening character escaped."""
    body = text.lstrip(" \t")
    lead = len(text) - len(body)
    body = _MD_LEAD.sub(
        lambda m: f"\\{m.group(1)}" if m.group(1) else f"{m.group(2)}\\.", _md(body)
    )
    return "\u00a0" * lead + body


def _md_field(text: str | None) -> str:
    """A one-line user field (name, handle, id, alt text): no line break, escaped
    (``#`` too, which would close a heading), isolated when it holds RTL text."""
    return _isolate(_md(neutralise_line(text)).replace("#", "\\#"))


def _md_text_line(line: str) -> str:
    """One line of post text: escaped, each safe URL an autolink ``<URL>`` (its text is
    the URL with its host in ASCII)."""
    out = []
    for k, (piece, link) in enumerate(_split_links(line)):
        if link is not None:
            out.append(f"<{link.href}>")
        else:
            out.append(_md_line_start(piece) if k == 0 else _md(piece))
    return "".join(out)


def _md_text(parts: Sequence[str]) -> str:
    """A paragraph from one or more posts' text; hard line breaks between lines; the
    first line of a second or later post isolated when it holds RTL text."""
    lines: list[str] = []
    for k, part in enumerate(parts):
        own = [_md_text_line(ln) for ln in neutralise_text(part).split("\n")]
        if k and lines and own:
            lines[-1] = f"{lines[-1]} {_isolate(own[0])}"
            own = own[1:]
        lines.extend(own)
    return "  \n".join(lines)


def _md_quote(q: Quote) -> str:
    text = neutralise_text(q.text) if q.text else ""
    lines = [_md_text_line(line) for line in text.split("\n")] if text else []
    url = _safe_url(q.url)
    lines.append(f"— quoted post: <{url}>" if url else f"— quoted post {_md_field(q.post_id)}")
    return "\n".join(f"> {line}" if line else ">" for line in lines)


def _md_media(m: dict[str, Any], embed_images: bool) -> str:
    link = _link(m.get("url"))
    kind = neutralise_line(str(m.get("type") or "media"))
    alt = neutralise_line(str(m.get("alt") or ""))
    if link is None:
        return f"*\\[{_md_field(alt or kind)}: no link\\]*"
    if embed_images and kind in _IMAGE_KINDS:
        return f"![{_md_field(alt or kind)}](<{link.href}>)"
    label = f"{kind}: {alt}" if alt else kind
    return f"[{_md_field(label)}](<{link.href}>) ({link.host})"


def _md_blocks(posts: list[ThreadPost], out: list[str], embed_images: bool) -> None:
    for b in article(posts):
        if b.kind == "marker":
            out.append(f"*{_md(_MARKER_TEXT[b.marker or 'missing'])}*")
        elif b.kind == "text":
            text = _md_text(b.parts or [b.text or ""])
            if text.strip():
                out.append(text)
        elif b.kind == "media" and b.media is not None:
            out.append(_md_media(b.media, embed_images))
        elif b.kind == "quote" and b.quote is not None:
            out.append(_md_quote(b.quote))


def _md_author(th: Thread) -> str:
    return " ".join(
        f"{_md(pre)}{_md_field(run)}{_md(post)}" if run else _md(pre)
        for pre, run, post in _author_parts(th)
    )


def _md_thread(th: Thread, level: int, out: list[str], embed_images: bool) -> None:
    who = _who(th)
    out.append(f"{'#' * level} Thread by {_md_field(who)}" if who else f"{'#' * level} Thread")
    meta = [f"- **Author:** {_md_author(th)}"]
    meta += [f"- **{k}:** {_md(v)}" for k, v in _stats(th)]
    out.append("\n".join(meta))
    first = _safe_url(th.real_posts[0].url) if th.real_posts else None
    if first:
        out.append(f"Source: <{first}>")
    _md_blocks(th.posts, out, embed_images)
    if th.branches:
        out.append(f"{'#' * (level + 1)} Side branches")
        for b in th.branches:
            out.append(f"*Reply to {_md_field(b.branch_of or 'unknown')}:*")
            _md_blocks(b.posts, out, embed_images)
            for bb in b.branches:
                _md_thread(bb, level + 2, out, embed_images)


def to_markdown(threads: Sequence[Thread], *, embed_images: bool = False) -> str:
    """Markdown for ``threads`` (one section per thread).

    Images are links (``[photo: alt](<URL>) (host)``) unless ``embed_images``, which
    writes ``![alt](<URL>)`` (a Markdown viewer then fetches them from their host).
    """
    out: list[str] = []
    for th in threads:
        _md_thread(th, 1, out, embed_images)
    return "\n\n".join(out) + "\n"


# -- HTML ----------------------------------------------------------------------------

_CSS = """
body{font:17px/1.6 Georgia,serif;color:#222;background:#fdfdfb;margin:0}
main{max-width:40em;margin:2em auto;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}
dl.meta{font:14px/1.4 system-ui,sans-serif;color:#555;display:grid;
grid-template-columns:max-content auto;gap:.1em 1em;margin:0 0 2em}
dl.meta dt{font-weight:600}dl.meta dd{margin:0}
p.post,p.marker{margin:0 0 1em}
.marker{color:#888;font-style:italic}
figure{margin:1em 0}figure img{max-width:100%}figcaption{font-size:.85em;color:#666}
.host{font:.8em system-ui,sans-serif;color:#777}
blockquote{border-left:3px solid #ccc;margin:1em 0;padding:.2em 1em;color:#444}
a.permalink{font-size:.75em;color:#999;text-decoration:none}
section.branches{border-top:1px solid #ddd;margin-top:2em;font-size:.95em}
article+article{border-top:2px solid #bbb;margin-top:3em}
"""
_CSP_BASE = "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; base-uri 'none'"
_CSP = f"{_CSP_BASE}; img-src 'none'"  # the default: nothing is fetched
_CSP_IMAGES = f"{_CSP_BASE}; img-src https: http:"  # with embed_images
_REL = 'rel="nofollow noopener noreferrer"'


def _esc(s: object) -> str:
    return html.escape(str(s), quote=True)


def _bdi(text: str) -> str:
    """A user-supplied run, escaped and isolated from the text around it."""
    return f"<bdi>{_esc(text)}</bdi>"


def _a(link: _Link, inner: str, cls: str = "", title: str = "") -> str:
    attrs = f' class="{cls}"' if cls else ""
    attrs += f' title="{_esc(title)}"' if title else ""
    return f'<a href="{_esc(link.href)}"{attrs} {_REL}>{inner}</a>'


def _host(link: _Link) -> str:
    return f'<span class="host" dir="ltr">({_esc(link.host)})</span>'


def _linkify(text: str) -> str:
    """Escape ``text``, turning bare http(s) URLs into links; a link's text is its URL
    (host in ASCII), set left-to-right and isolated from the text around it."""
    out = []
    for piece, link in _split_links(text):
        if link is None:
            out.append(_esc(piece))
        else:
            out.append(f'<a href="{_esc(link.href)}" dir="ltr" {_REL}>{_esc(link.href)}</a>')
    return "".join(out)


def _lines(text: str) -> str:
    return "<br>".join(_linkify(line) for line in neutralise_text(text).split("\n"))


def _permalink(p: ThreadPost) -> str:
    link = _link(p.url)
    if link is None:
        return ""
    edited = " (edited)" if p.edited else ""
    title = f"{_time(p.created_at)}{edited} · {link.host}"
    return " " + _a(link, "#", "permalink", title)


def _html_media(m: dict[str, Any], ids: str, embed_images: bool) -> list[str]:
    link = _link(m.get("url"))
    alt = neutralise_line(str(m.get("alt") or ""))
    kind = neutralise_line(str(m.get("type") or "media"))
    caption = f"{_esc(kind)}: {_bdi(alt)}" if alt else _esc(kind)
    out = [f'<figure data-post-ids="{ids}">']
    if link is not None and embed_images and kind in _IMAGE_KINDS:
        out.append(f'<img src="{_esc(link.href)}" alt="{_esc(alt)}" loading="lazy">')
        out.append(f"<figcaption>{caption} {_host(link)}</figcaption>")
    elif link is not None:  # a link with its alt text: opening the page fetches nothing
        out.append(f"<figcaption>{_a(link, caption, 'media')} {_host(link)}</figcaption>")
    else:
        out.append(f"<figcaption>{caption}</figcaption>")
    out.append("</figure>")
    return out


def _html_block(b: Block, by_id: dict[str, ThreadPost], out: list[str], embed_images: bool) -> None:
    ids = _esc(" ".join(neutralise_handle(i) for i in b.post_ids))
    if b.kind == "marker":
        text = _MARKER_TEXT[b.marker or "missing"]
        out.append(f'<p class="marker" data-post-ids="{ids}">{_esc(text)}</p>')
    elif b.kind == "text":
        # each post of a merged paragraph is its own isolate: nothing in one post's
        # text can reorder the next post's
        parts = b.parts or [b.text or ""]
        body = " ".join(
            _lines(t) if k == 0 else f"<bdi>{_lines(t)}</bdi>" for k, t in enumerate(parts)
        )
        body += "".join(_permalink(by_id[i]) for i in b.ends if i in by_id)
        out.append(f'<p class="post" dir="auto" data-post-ids="{ids}">{body}</p>')
    elif b.kind == "media" and b.media is not None:
        out.extend(_html_media(b.media, ids, embed_images))
    elif b.kind == "quote" and b.quote is not None:
        q = b.quote
        out.append(f'<blockquote data-post-ids="{ids}">')
        if q.text:
            out.append(f'<p dir="auto">{_lines(q.text)}</p>')
        link = _link(q.url)
        if link is not None:
            out.append(f"<p>{_a(link, 'quoted post')} {_host(link)}</p>")
        else:
            out.append(f"<p>quoted post {_bdi(neutralise_handle(q.post_id))}</p>")
        out.append("</blockquote>")


def _html_posts(posts: list[ThreadPost], out: list[str], embed_images: bool) -> None:
    by_id = {p.post_id: p for p in posts}
    for b in article(posts):
        _html_block(b, by_id, out, embed_images)


def _html_author(th: Thread) -> str:
    return " ".join(
        f"{_esc(pre)}{_bdi(run)}{_esc(post)}" if run else _esc(pre)
        for pre, run, post in _author_parts(th)
    )


def _html_thread(th: Thread, out: list[str], embed_images: bool, level: int = 1) -> None:
    out.append(f'<article data-author-id="{_esc(neutralise_handle(th.author_id))}">')
    who = _who(th)
    out.append(
        f"<h{level}>Thread by {_bdi(who)}</h{level}>" if who else f"<h{level}>Thread</h{level}>"
    )
    out.append('<dl class="meta">')
    out.append(f"<dt>Author</dt><dd>{_html_author(th)}</dd>")
    for k, v in _stats(th):
        out.append(f"<dt>{_esc(k)}</dt><dd>{_esc(v)}</dd>")
    out.append("</dl>")
    out.append('<div class="article">')
    _html_posts(th.posts, out, embed_images)
    out.append("</div>")
    if th.branches:
        out.append('<section class="branches">')
        out.append(f"<h{min(level + 1, 6)}>Side branches</h{min(level + 1, 6)}>")
        for b in th.branches:
            of = _bdi(neutralise_handle(b.branch_of) or "unknown")
            out.append(f'<div class="branch"><p class="marker">Reply to {of}:</p>')
            _html_posts(b.posts, out, embed_images)
            for bb in b.branches:
                _html_thread(bb, out, embed_images, min(level + 2, 6))
            out.append("</div>")
        out.append("</section>")
    out.append("</article>")


def to_html(
    threads: Sequence[Thread], title: str | None = None, *, embed_images: bool = False
) -> str:
    """One self-contained HTML page (inline CSS, no scripts) for ``threads``.

    By default opening the page fetches nothing: images are shown as links (alt
    text and host) and the Content-Security-Policy allows no remote image.
    ``embed_images=True`` shows http(s) images inline (each image host then learns
    when the page is read).
    """
    if title is None:
        title = _title(threads[0]) if len(threads) == 1 else f"{len(threads)} threads"
    else:
        title = _isolate(neutralise_line(title))
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP_IMAGES if embed_images else _CSP}">',
        '<meta http-equiv="x-dns-prefetch-control" content="off">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>{_esc(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head><body><main>",
    ]
    if not threads:
        out.append("<p>No thread found.</p>")
    for th in threads:
        _html_thread(th, out, embed_images)
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"


# -- JSON ----------------------------------------------------------------------------


def to_json(threads: Sequence[Thread]) -> str:
    """JSON ``{"threads": [...]}`` with every post, marker, branch and the metadata
    (text, names, handles and links already neutralised when the thread was built)."""
    return json.dumps({"threads": [t.to_dict() for t in threads]}, ensure_ascii=False, indent=2)


def render(threads: Sequence[Thread], fmt: str, *, embed_images: bool = False) -> str:
    """Render in ``fmt``: ``"markdown"``, ``"html"`` or ``"json"``; ``embed_images``
    (Markdown and HTML) shows remote images inline instead of as links."""
    if fmt in ("md", "markdown"):
        return to_markdown(threads, embed_images=embed_images)
    if fmt == "html":
        return to_html(threads, embed_images=embed_images)
    if fmt == "json":
        return to_json(threads)
    raise ValueError(f"unknown format {fmt!r}")
