"""Render unrolled threads as Markdown, one self-contained HTML page, or JSON.

Post text is untrusted. The HTML page escapes every character of post data
(text, alt text, names, ids), makes links only of http(s) URLs, carries all its
CSS inline, needs no script, and forbids scripts with a Content-Security-Policy.
Markdown output backslash-escapes the backslash, ``<``, ``>``, ``&``, ``[``, ``]``
and the backtick, so post text cannot become raw HTML, a link or code; JSON
carries the text as data.

Consecutive posts of a thread read as one article: each post's text becomes
paragraphs (blank-line separated; single line breaks kept), media become
figures, quoted posts blockquotes with their link, and deleted or missing posts
short markers.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from datetime import datetime

from mutuals.report.unroll import Block, Quote, Thread, ThreadPost, article

__all__ = ["render", "to_html", "to_json", "to_markdown"]

_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_SAFE_URL = re.compile(r"^https?://[^\s<>\"'`\\]+$", re.IGNORECASE)
_MARKER_TEXT = {
    "deleted": "[this post was deleted or is unavailable]",
    "missing": "[this post is not in the data]",
}


def _safe_url(url: str | None) -> str | None:
    """``url`` if it is a plain http(s) URL, else None (never javascript:, data:, ...)."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    return url if _SAFE_URL.match(url) else None


def _time(t: datetime | None) -> str:
    return t.strftime("%Y-%m-%d %H:%M UTC") if t is not None else "unknown time"


def _title(th: Thread) -> str:
    who = th.author_name or (f"@{th.author_handle}" if th.author_handle else th.author_id)
    return f"Thread by {who}" if who else "Thread"


def _stats(th: Thread) -> list[tuple[str, str]]:
    eng = th.engagement
    rows = [
        ("Author", _author(th)),
        ("Platform", th.platform),
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


def _author(th: Thread) -> str:
    parts = []
    if th.author_name:
        parts.append(th.author_name)
    if th.author_handle:
        parts.append(f"@{th.author_handle}")
    parts.append(f"({th.author_id})" if th.author_id else "(unknown)")
    return " ".join(parts)


# -- Markdown ------------------------------------------------------------------------

# CommonMark backslash escapes: an escaped "<" cannot open raw HTML or an autolink, an
# escaped "[" cannot open a link, an escaped "&" cannot start an entity.
_MD_ESC = str.maketrans({c: "\\" + c for c in "\\<>&[]`"})


def _md(text: str) -> str:
    return text.translate(_MD_ESC)


def _md_quote(q: Quote) -> str:
    lines = [_md(line) for line in (q.text or "").split("\n")] if q.text else []
    url = _safe_url(q.url)
    lines.append(f"— quoted post: <{url}>" if url else f"— quoted post {_md(str(q.post_id))}")
    return "\n".join(f"> {line}" if line else ">" for line in lines)


def _md_blocks(posts: list[ThreadPost], out: list[str]) -> None:
    for b in article(posts):
        if b.kind == "marker":
            out.append(f"*{_md(_MARKER_TEXT[b.marker or 'missing'])}*")
        elif b.kind == "text":
            if b.text:
                out.append("  \n".join(_md(line) for line in b.text.split("\n")))
        elif b.kind == "media" and b.media is not None:
            url = _safe_url(b.media.get("url"))
            alt = _md(str(b.media.get("alt") or b.media.get("type") or "media"))
            out.append(f"![{alt}](<{url}>)" if url else f"*\\[{alt}: no link\\]*")
        elif b.kind == "quote" and b.quote is not None:
            out.append(_md_quote(b.quote))


def _md_thread(th: Thread, level: int, out: list[str]) -> None:
    out.append(f"{'#' * level} {_md(_title(th))}")
    out.append("\n".join(f"- **{k}:** {_md(v)}" for k, v in _stats(th)))
    first = _safe_url(th.real_posts[0].url) if th.real_posts else None
    if first:
        out.append(f"Source: <{first}>")
    _md_blocks(th.posts, out)
    if th.branches:
        out.append(f"{'#' * (level + 1)} Side branches")
        for b in th.branches:
            out.append(f"*Reply to {_md(str(b.branch_of))}:*")
            _md_blocks(b.posts, out)
            for bb in b.branches:
                _md_thread(bb, level + 2, out)


def to_markdown(threads: Sequence[Thread]) -> str:
    """Markdown for ``threads`` (one section per thread)."""
    out: list[str] = []
    for th in threads:
        _md_thread(th, 1, out)
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
blockquote{border-left:3px solid #ccc;margin:1em 0;padding:.2em 1em;color:#444}
a.permalink{font-size:.75em;color:#999;text-decoration:none}
section.branches{border-top:1px solid #ddd;margin-top:2em;font-size:.95em}
article+article{border-top:2px solid #bbb;margin-top:3em}
"""
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src https: http:"


def _esc(s: object) -> str:
    return html.escape(str(s), quote=True)


def _trim_url(url: str) -> str:
    """A URL without trailing punctuation of the sentence around it; a closing
    parenthesis stays when the URL opened one (``.../Mercury_(planet)``)."""
    while url and url[-1] in ".,;:!?)":
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def _linkify(text: str) -> str:
    """Escape ``text``, turning bare http(s) URLs into links (both parts escaped)."""
    out = []
    pos = 0
    for m in _URL.finditer(text):
        url = _trim_url(m.group(0))
        end = m.start() + len(url)
        out.append(_esc(text[pos : m.start()]))
        safe = _safe_url(url)
        if safe:
            out.append(f'<a href="{_esc(safe)}" rel="nofollow noopener noreferrer">{_esc(url)}</a>')
        else:
            out.append(_esc(url))
        pos = end
    out.append(_esc(text[pos:]))
    return "".join(out)


def _permalink(p: ThreadPost) -> str:
    link = _safe_url(p.url)
    if not link:
        return ""
    edited = " (edited)" if p.edited else ""
    return (
        f' <a class="permalink" href="{_esc(link)}" rel="nofollow noopener noreferrer"'
        f' title="{_esc(_time(p.created_at))}{edited}">#</a>'
    )


def _html_block(b: Block, by_id: dict[str, ThreadPost], out: list[str]) -> None:
    ids = _esc(" ".join(b.post_ids))
    if b.kind == "marker":
        text = _MARKER_TEXT[b.marker or "missing"]
        out.append(f'<p class="marker" data-post-ids="{ids}">{_esc(text)}</p>')
    elif b.kind == "text":
        body = "<br>".join(_linkify(line) for line in (b.text or "").split("\n"))
        body += "".join(_permalink(by_id[i]) for i in b.ends if i in by_id)
        out.append(f'<p class="post" data-post-ids="{ids}">{body}</p>')
    elif b.kind == "media" and b.media is not None:
        m = b.media
        url = _safe_url(m.get("url"))
        alt = str(m.get("alt") or "")
        kind = str(m.get("type") or "media")
        out.append(f'<figure data-post-ids="{ids}">')
        if url and kind in ("photo", "image"):
            out.append(f'<img src="{_esc(url)}" alt="{_esc(alt)}" loading="lazy">')
        elif url:
            out.append(f'<a href="{_esc(url)}" rel="nofollow noopener noreferrer">{_esc(url)}</a>')
        out.append(f"<figcaption>{_esc(kind)}{': ' + _esc(alt) if alt else ''}</figcaption>")
        out.append("</figure>")
    elif b.kind == "quote" and b.quote is not None:
        q = b.quote
        out.append(f'<blockquote data-post-ids="{ids}">')
        if q.text:
            out.append("<p>" + "<br>".join(_linkify(ln) for ln in q.text.split("\n")) + "</p>")
        url = _safe_url(q.url)
        if url:
            out.append(
                f'<p><a href="{_esc(url)}" rel="nofollow noopener noreferrer">quoted post</a></p>'
            )
        else:
            out.append(f"<p>quoted post {_esc(q.post_id)}</p>")
        out.append("</blockquote>")


def _html_posts(posts: list[ThreadPost], out: list[str]) -> None:
    by_id = {p.post_id: p for p in posts}
    for b in article(posts):
        _html_block(b, by_id, out)


def _html_thread(th: Thread, out: list[str], level: int = 1) -> None:
    out.append(f'<article data-author-id="{_esc(th.author_id or "")}">')
    out.append(f"<h{level}>{_esc(_title(th))}</h{level}>")
    out.append('<dl class="meta">')
    for k, v in _stats(th):
        out.append(f"<dt>{_esc(k)}</dt><dd>{_esc(v)}</dd>")
    out.append("</dl>")
    out.append('<div class="article">')
    _html_posts(th.posts, out)
    out.append("</div>")
    if th.branches:
        out.append('<section class="branches">')
        out.append(f"<h{min(level + 1, 6)}>Side branches</h{min(level + 1, 6)}>")
        for b in th.branches:
            out.append(f'<div class="branch"><p class="marker">Reply to {_esc(b.branch_of)}:</p>')
            _html_posts(b.posts, out)
            for bb in b.branches:
                _html_thread(bb, out, min(level + 2, 6))
            out.append("</div>")
        out.append("</section>")
    out.append("</article>")


def to_html(threads: Sequence[Thread], title: str | None = None) -> str:
    """One self-contained HTML page (inline CSS, no scripts) for ``threads``."""
    if title is None:
        title = _title(threads[0]) if len(threads) == 1 else f"{len(threads)} threads"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>{_esc(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head><body><main>",
    ]
    if not threads:
        out.append("<p>No thread found.</p>")
    for th in threads:
        _html_thread(th, out)
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"


# -- JSON ----------------------------------------------------------------------------


def to_json(threads: Sequence[Thread]) -> str:
    """JSON ``{"threads": [...]}`` with every post, marker, branch and the metadata."""
    return json.dumps({"threads": [t.to_dict() for t in threads]}, ensure_ascii=False, indent=2)


def render(threads: Sequence[Thread], fmt: str) -> str:
    """Render in ``fmt``: ``"markdown"``, ``"html"`` or ``"json"``."""
    if fmt in ("md", "markdown"):
        return to_markdown(threads)
    if fmt == "html":
        return to_html(threads)
    if fmt == "json":
        return to_json(threads)
    raise ValueError(f"unknown format {fmt!r}")
