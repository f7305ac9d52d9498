"""Readers of X/Twitter API data: v2 (twarc2 pages and flattened tweets),
v1.1 statuses and cursor pages, GNIP Activity Streams, and recorded API
responses (``{"uri", "method", "status", "body"}`` lines, e.g. VCR cassettes).

All X formats share one record dispatcher, so a file mixing shapes (pages,
flattened tweets, v1.1 statuses) is read whole; the registered format names
only decide detection and what the report says.

Mapping (v2; v1.1 and GNIP analogously)
---------------------------------------
* ``includes.users`` / ``author`` -> ``accounts`` (counts observed at
  ``__twarc.retrieved_at``); ``includes.tweets`` and ``data`` -> ``posts``.
* ``referenced_tweets``: ``retweeted`` -> kind ``repost`` (``repost_of_id``),
  ``replied_to`` -> ``reply`` (``parent_id``), ``quoted`` -> ``quote``
  (``quote_id``); precedence repost > reply > quote. ``conversation_id`` ->
  ``root_id``.
* ``text``: ``note_tweet.text`` for long posts; t.co links replaced by their
  expanded URL, media links cut (the media are in ``media``), the reply's leading
  auto-mentions cut (``display_text_range``) and ``&amp; &lt; &gt;`` unescaped,
  as X displays the tweet; ``text_raw`` keeps the original.
  Hashtags lower-cased; mentions are account ids where known, else handles.
* Edited tweets: ``edit_history_tweet_ids`` longer than one -> ``edit_of_id`` =
  first id, ``edited_at`` = this version's time and ``created_at`` = the first
  version's time (from its snowflake id). The store keeps only the latest version
  of each edit chain (:func:`mutuals.io.ingest.ingest`).
* ``errors`` entries for unavailable referenced tweets -> ``posts`` rows with
  ``deleted=True`` (``kind="post"``: the real kind is unknown), counted in
  ``report.noted``; unavailable users are only noted.
* Followers/following pages -> ``follows`` (follower -> friend) with the focal
  account from ``__twarc.url``; ``retweeted_by`` / ``liking_users`` /
  ``liked_tweets`` -> ``repost`` / ``like`` interactions; list member pages ->
  ``list_members``; owned/followed list pages -> ``lists``.
* Interactions: one per repost/reply/quote (target = author of the target post
  where known) and one ``mention`` per mentioned account with a known id
  (not for reposts, whose mentions belong to the original post).
* ``url`` = ``https://twitter.com/<handle>/status/<id>`` when the author's
  handle is known, else ``https://x.com/i/web/status/<id>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import pyarrow as pa

from mutuals.io.readers import Sniff, Source, register
from mutuals.io.readers._common import (
    HANDLED,
    MEDIA_DISPLAY,
    Emitter,
    cut_reply_mentions,
    iter_json_records,
    reply_display_range,
    snowflake_time,
    v1_time,
)
from mutuals.io.readreport import ReadReport

__all__ = [
    "read_gnip",
    "read_twarc2",
    "read_twarc2_flat",
    "read_x_api_responses",
    "read_x_v1",
]

_PLATFORM = "x"


def _permalink(handle: str | None, tid: str) -> str:
    if handle:
        return f"https://twitter.com/{handle}/status/{tid}"
    return f"https://x.com/i/web/status/{tid}"


def _unescape(text: str) -> str:
    if "&" in text:
        text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return text


def _str_id(v: Any) -> str | None:
    if v is None or v == "":
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    return None


def _int(v: Any) -> Any:
    """A count as delivered: the Emitter's row check takes an integer, converts an
    unambiguous one (``"5"``, noted) and skips the record on anything else."""
    return v


class _Ctx:
    """Per-record context: the lookups of one page (users, tweets, media)."""

    __slots__ = (
        "by_name",
        "em",
        "media",
        "observed",
        "report",
        "seen",
        "source",
        "tweets",
        "users",
    )

    def __init__(self, em: Emitter, report: ReadReport, source: str) -> None:
        self.em = em
        self.report = report
        self.source = source
        self.users: dict[str, dict[str, Any]] = {}
        self.by_name: dict[str, str] = {}
        self.tweets: dict[str, dict[str, Any]] = {}
        self.media: dict[str, dict[str, Any]] = {}
        self.observed: str | None = None
        self.seen: set[str] = set()

    def reset(self, observed: str | None) -> None:
        self.users = {}
        self.by_name = {}
        self.tweets = {}
        self.media = {}
        self.observed = observed
        self.seen = set()


# --------------------------------------------------------------------------- v2


def _v2_user(u: Any, ctx: _Ctx) -> str | None:
    if not isinstance(u, dict):
        return None
    uid = _str_id(u.get("id"))
    if uid is None:
        ctx.report.skip("user without id", record=u)
        return None
    name = u.get("username")
    ctx.users[uid] = u
    if isinstance(name, str):
        ctx.by_name[name.lower()] = uid
    pm = u.get("public_metrics") or {}
    ctx.em.add(
        "accounts",
        (
            _PLATFORM,
            uid,
            name,
            u.get("name"),
            u.get("description"),
            u.get("created_at"),
            _int(pm.get("followers_count")),
            _int(pm.get("following_count")),
            _int(pm.get("tweet_count")),
            u.get("verified") if isinstance(u.get("verified"), bool) else None,
            u.get("protected") if isinstance(u.get("protected"), bool) else None,
            None,
            None,
            ctx.observed,
            ctx.source,
        ),
    )
    return uid


def _v2_tweet(t: Any, ctx: _Ctx) -> str | None:
    if not isinstance(t, dict):
        ctx.report.skip("tweet is not an object", record=t)
        return None
    tid = _str_id(t.get("id"))
    if tid is None:
        ctx.report.skip("tweet without id", record=t)
        return None
    if tid in ctx.seen:
        return tid
    ctx.seen.add(tid)
    author = _str_id(t.get("author_id"))
    repost = reply = quote = None
    for r in t.get("referenced_tweets") or ():
        if not isinstance(r, dict):
            continue
        typ = r.get("type")
        rid = _str_id(r.get("id"))
        if typ == "retweeted":
            repost = rid
        elif typ == "replied_to":
            reply = rid
        elif typ == "quoted":
            quote = rid
    kind = "repost" if repost else "reply" if reply else "quote" if quote else "post"
    note = t.get("note_tweet")
    if isinstance(note, dict) and isinstance(note.get("text"), str):
        raw = note["text"]
        ents = note.get("entities") or t.get("entities") or {}
    else:
        raw = t.get("text")
        ents = t.get("entities") or {}
    if not isinstance(ents, dict):
        ents = {}
    text = raw if isinstance(raw, str) else None
    urls: list[str] = []
    cut = False
    for u in ents.get("urls") or ():
        short = u.get("url")
        exp = u.get("unwound_url") or u.get("expanded_url")
        disp = u.get("display_url")
        if "media_key" in u or (isinstance(disp, str) and disp.startswith(MEDIA_DISPLAY)):
            # a media link: the media are in `media`; cut it, as X displays the tweet
            if text is not None and isinstance(short, str) and short:
                text = text.replace(short, "")
                cut = True
        elif isinstance(exp, str):
            if text is not None and isinstance(short, str) and short:
                text = text.replace(short, exp)
            if exp.startswith(("http://", "https://")):
                urls.append(exp)
    if text is not None:
        text = _unescape(text.rstrip() if cut else text)
    dtr = reply_display_range(raw, t.get("display_text_range"), reply is not None)
    text = cut_reply_mentions(text, dtr)
    hashtags = [
        h["tag"].lower() for h in ents.get("hashtags") or () if isinstance(h.get("tag"), str)
    ]
    mentions: list[str] = []
    mention_ids: list[str] = []
    for m in ents.get("mentions") or ():
        mid = _str_id(m.get("id"))
        uname = m.get("username")
        if mid is None and isinstance(uname, str):
            mid = ctx.by_name.get(uname.lower())
        if mid is not None:
            mentions.append(mid)
            mention_ids.append(mid)
        elif isinstance(uname, str):
            mentions.append(uname)
            if kind != "repost":
                ctx.report.noted["mention without account id (kept as handle, no interaction)"] += 1
    media = []
    att = t.get("attachments") or {}
    for k in att.get("media_keys") or ():
        m = ctx.media.get(k)
        if m is not None:
            media.append(
                {
                    "type": m.get("type"),
                    "url": m.get("url") or m.get("preview_image_url"),
                    "alt": m.get("alt_text"),
                }
            )
    pm = t.get("public_metrics") or {}
    created = t.get("created_at")
    edit_of = edited_at = None
    hist = t.get("edit_history_tweet_ids")
    if isinstance(hist, list) and len(hist) > 1:
        edit_of = _str_id(hist[0])
        if tid != edit_of:
            edited_at = created
            created = snowflake_time(edit_of) if edit_of else created
    user = ctx.users.get(author) if author else None
    parent_author = _str_id(t.get("in_reply_to_user_id"))
    quote_url = _permalink(None, quote) if quote and quote not in ctx.tweets else None
    ctx.em.add(
        "posts",
        (
            _PLATFORM,
            tid,
            author,
            created,
            kind,
            text,
            raw if isinstance(raw, str) else None,
            dtr[0] if isinstance(dtr, list) and dtr and isinstance(dtr[0], int) else None,
            t.get("lang"),
            reply,
            parent_author,
            _str_id(t.get("conversation_id")),
            quote,
            quote_url,
            repost,
            hashtags,
            mentions,
            urls,
            media,
            _int(pm.get("like_count")),
            _int(pm.get("retweet_count")),
            _int(pm.get("reply_count")),
            _int(pm.get("quote_count")),
            edit_of,
            edited_at,
            False,
            _permalink(user.get("username") if user else None, tid),
            ctx.source,
        ),
    )
    if author is None:
        ctx.report.noted["post without author id (no interactions)"] += 1
        return tid
    when = t.get("created_at")
    add = ctx.em.add
    if repost:
        target = _author_of(repost, ctx)
        if target is None and mention_ids and isinstance(raw, str) and raw.startswith("RT @"):
            target = mention_ids[0]
        add("interactions", (_PLATFORM, "repost", author, target, tid, repost, when, ctx.source))
    else:
        if reply:
            add(
                "interactions",
                (_PLATFORM, "reply", author, parent_author, tid, reply, when, ctx.source),
            )
        if quote:
            target = _author_of(quote, ctx)
            add("interactions", (_PLATFORM, "quote", author, target, tid, quote, when, ctx.source))
        for mid in dict.fromkeys(mention_ids):
            add("interactions", (_PLATFORM, "mention", author, mid, tid, None, when, ctx.source))
    return tid


def _author_of(tid: str, ctx: _Ctx) -> str | None:
    t = ctx.tweets.get(tid)
    return _str_id(t.get("author_id")) if t else None


_V2_PATH = re.compile(r"/2/(users|tweets|lists)/(\d+)/([a-z_]+)")
_V2_LIST = re.compile(r"/2/lists/(\d+)$")


def _v2_page(page: dict[str, Any], url: str | None, ctx: _Ctx, where: str) -> None:
    tw: dict[str, Any] = page["__twarc"] if isinstance(page.get("__twarc"), dict) else {}
    url = url or tw.get("url")
    ctx.reset(tw.get("retrieved_at"))
    inc: dict[str, Any] = page["includes"] if isinstance(page.get("includes"), dict) else {}
    for m in inc.get("media") or ():
        if isinstance(m, dict) and m.get("media_key"):
            ctx.media[m["media_key"]] = m
    data = page.get("data")
    items = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
    # a page counts as the records it holds, each kept or skipped (the caller counted 1)
    ctx.report.records += page_units(page) - 1
    for u in _list(inc.get("users")):
        if not isinstance(u, dict):
            ctx.report.skip("user is not an object", where=where, record=_short(u))
        else:
            _v2_user(u, ctx)
    inc_tweets = []
    for t in _list(inc.get("tweets")):
        if isinstance(t, dict) and t.get("id"):
            inc_tweets.append(t)
            ctx.tweets[str(t["id"])] = t
        else:
            ctx.report.skip("included tweet without id", where=where, record=_short(t))
    for t in items:
        if isinstance(t, dict) and t.get("id") and ("text" in t or "author_id" in t):
            ctx.tweets.setdefault(str(t["id"]), t)
    path = urlparse(url).path.rstrip("/") if isinstance(url, str) else ""
    m = _V2_PATH.search(path)
    res, focal, rel = (m.group(1), m.group(2), m.group(3)) if m else (None, None, None)
    if _page_items(page) == 0:
        ctx.report.skip("page without data", where=where, record=_short(page))
    for item in items:
        _v2_item(item, res, focal, rel, path, ctx, where)
    for t in inc_tweets:
        _v2_tweet(t, ctx)
    for e in _list(page.get("errors")):
        _v2_error(e, ctx, where)


def _list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else []


def _page_items(page: dict[str, Any]) -> int:
    data = page.get("data")
    n = len(data) if isinstance(data, list) else 1 if isinstance(data, dict) else 0
    inc = page.get("includes")
    if isinstance(inc, dict):
        n += len(_list(inc.get("users"))) + len(_list(inc.get("tweets")))
    return n + len(_list(page.get("errors")))


def page_units(page: dict[str, Any]) -> int:
    """Records a v2 page counts as: its ``data`` items, included users and tweets and
    ``errors`` entries (each kept, skipped or, for errors, noted); a page holding none
    is one record (skipped)."""
    return max(1, _page_items(page))


def _v2_item(
    item: Any,
    res: str | None,
    focal: str | None,
    rel: str | None,
    path: str,
    ctx: _Ctx,
    where: str,
) -> None:
    if not isinstance(item, dict):
        ctx.report.skip("data item is not an object", where=where, record=item)
        return
    add = ctx.em.add
    src = ctx.source
    if "tweet_count" in item and "start" in item:
        ctx.report.skip("tweet counts (aggregate, no records)", where=where)
        return
    if "username" in item:
        uid = _v2_user(item, ctx)
        if uid is None:
            return
        if res == "users" and focal:
            if rel == "followers":
                add("follows", (_PLATFORM, uid, focal, None, src))
            elif rel == "following":
                add("follows", (_PLATFORM, focal, uid, None, src))
        elif res == "tweets" and focal:
            if rel == "retweeted_by":
                add("interactions", (_PLATFORM, "repost", uid, None, None, focal, None, src))
            elif rel == "liking_users":
                add("interactions", (_PLATFORM, "like", uid, None, None, focal, None, src))
        elif res == "lists" and focal and rel == "members":
            add("list_members", (_PLATFORM, focal, uid, None, src))
        return
    if "text" in item or "author_id" in item or "edit_history_tweet_ids" in item:
        tid = _v2_tweet(item, ctx)
        if tid and res == "users" and focal and rel == "liked_tweets":
            add(
                "interactions",
                (_PLATFORM, "like", focal, _str_id(item.get("author_id")), None, tid, None, src),
            )
        return
    if (
        "name" in item
        and "id" in item
        and (
            rel in ("owned_lists", "followed_lists", "list_memberships", "pinned_lists")
            or _V2_LIST.search(path)
            or "owner_id" in item
            or "member_count" in item
        )
    ):
        owner = _str_id(item.get("owner_id")) or (focal if rel == "owned_lists" else None)
        add(
            "lists",
            (
                _PLATFORM,
                str(item["id"]),
                owner,
                item.get("name"),
                item.get("description"),
                "list",
                item.get("created_at"),
                src,
            ),
        )
        if rel == "list_memberships" and focal:  # the focal account is in each list
            add("list_members", (_PLATFORM, str(item["id"]), focal, None, src))
        return
    if "action" in item and "id" in item:
        ctx.report.skip("compliance event (not canonical data)", where=where)
        return
    ctx.report.skip("unsupported v2 object", where=where, record=_short(item))


def _v2_error(e: Any, ctx: _Ctx, where: str = "") -> None:
    if not isinstance(e, dict):
        ctx.report.skip("error entry is not an object", where=where, record=_short(e))
        return
    rtype = e.get("resource_type")
    title = e.get("title") or "error"
    rid = _str_id(e.get("resource_id") or e.get("value"))
    if rtype == "tweet" and rid and rid.isdigit():
        ctx.report.noted[f"unavailable tweet reported by the API ({title}): kept as deleted"] += 1
        if rid in ctx.seen:
            return
        ctx.seen.add(rid)
        ctx.em.add("posts", _placeholder_post(rid, ctx.source))
    elif rtype == "user":
        ctx.report.noted[f"unavailable user reported by the API ({title})"] += 1
    else:
        ctx.report.noted[f"API error entry ({title})"] += 1


def _placeholder_post(tid: str, source: str) -> tuple[Any, ...]:
    row: list[Any] = [None] * 28
    row[0], row[1], row[4], row[25], row[26], row[27] = (
        _PLATFORM,
        tid,
        "post",
        True,
        _permalink(None, tid),
        source,
    )
    return tuple(row)


def _v2_flat(t: dict[str, Any], ctx: _Ctx) -> None:
    """A flattened tweet (twarc2 flatten): the expansions are inlined in the tweet."""
    tw: dict[str, Any] = t["__twarc"] if isinstance(t.get("__twarc"), dict) else {}
    ctx.reset(tw.get("retrieved_at"))
    users = [t.get("author"), t.get("in_reply_to_user")]
    ents: dict[str, Any] = t["entities"] if isinstance(t.get("entities"), dict) else {}
    users += [m for m in ents.get("mentions") or () if isinstance(m, dict) and "name" in m]
    refs = [r for r in t.get("referenced_tweets") or () if isinstance(r, dict)]
    for r in refs:
        users.append(r.get("author"))
    for u in users:
        if isinstance(u, dict) and u.get("id"):
            _v2_user(u, ctx)
    att: dict[str, Any] = t["attachments"] if isinstance(t.get("attachments"), dict) else {}
    for m in att.get("media") or ():
        if isinstance(m, dict) and m.get("media_key"):
            ctx.media[m["media_key"]] = m
    full_refs = [r for r in refs if r.get("id") and ("text" in r or "author_id" in r)]
    for r in full_refs:
        ctx.tweets[str(r["id"])] = r
    _v2_tweet(t, ctx)
    for r in full_refs:
        _v2_tweet({k: v for k, v in r.items() if k != "type"}, ctx)


# --------------------------------------------------------------------------- v1.1


def _v1_links(raw: Any, ents: Any) -> tuple[str | None, list[str]]:
    """Readable text and expanded http(s) links of a v1.1 / GNIP tweet.

    Shortened links are replaced by their expanded form; media links are cut
    (the media are in ``posts.media``), as X displays the tweet; entities unescaped.
    """
    text = raw if isinstance(raw, str) else None
    urls: list[str] = []
    cut = False
    if not isinstance(ents, dict):
        ents = {}
    media_links = list(ents.get("media") or ())
    for u in ents.get("urls") or ():
        short, exp = u.get("url"), u.get("expanded_url")
        disp = u.get("display_url")
        if isinstance(disp, str) and disp.startswith(MEDIA_DISPLAY):
            media_links.append(u)  # a photo link listed as a url: cut it too
        elif isinstance(exp, str):
            if text is not None and isinstance(short, str) and short:
                text = text.replace(short, exp)
            if exp.startswith(("http://", "https://")):
                urls.append(exp)
    for m in media_links:
        short = m.get("url")
        if text is not None and isinstance(short, str) and short:
            text = text.replace(short, "")
            cut = True
    if text is not None:
        text = _unescape(text.rstrip() if cut else text)
    return text, urls


def _v1_user(u: Any, ctx: _Ctx, observed: str | None) -> str | None:
    if not isinstance(u, dict):
        return None
    uid = _str_id(u.get("id_str")) or _str_id(u.get("id"))
    if uid is None:
        ctx.report.skip("user without id", record=_short(u))
        return None
    ctx.em.add(
        "accounts",
        (
            _PLATFORM,
            uid,
            u.get("screen_name"),
            u.get("name"),
            u.get("description"),
            v1_time(u.get("created_at")),
            _int(u.get("followers_count")),
            _int(u.get("friends_count")),
            _int(u.get("statuses_count")),
            u.get("verified") if isinstance(u.get("verified"), bool) else None,
            u.get("protected") if isinstance(u.get("protected"), bool) else None,
            None,
            None,
            observed,
            ctx.source,
        ),
    )
    return uid


def _v1_tweet(s: Any, ctx: _Ctx, where: str, nested: bool = False) -> str | None:
    if not isinstance(s, dict):
        ctx.report.skip("status is not an object", where=where, record=s)
        return None
    tid = _str_id(s.get("id_str")) or _str_id(s.get("id"))
    if tid is None:
        ctx.report.skip("status without id", where=where, record=_short(s))
        return None
    user = s.get("user")
    created = v1_time(s.get("created_at"))
    if not isinstance(user, dict):
        reason = (
            "retweeted/quoted status without user (only its id kept, as a reference)"
            if nested
            else "status without user"
        )
        ctx.report.skip(reason, where=where, record=_short(s))
        return None
    author = _v1_user(user, ctx, created)
    if author is None:
        return None
    rt = s.get("retweeted_status")
    qt = s.get("quoted_status")
    repost = quote = None
    if isinstance(rt, dict):
        # a nested status without its user (as in user objects) still marks a repost
        repost = (
            _v1_tweet(rt, ctx, where, True) or _str_id(rt.get("id_str")) or _str_id(rt.get("id"))
        )
    quote = _str_id(s.get("quoted_status_id_str")) or _str_id(s.get("quoted_status_id"))
    if isinstance(qt, dict):
        quote = _v1_tweet(qt, ctx, where, True) or quote
    reply = _str_id(s.get("in_reply_to_status_id_str")) or _str_id(s.get("in_reply_to_status_id"))
    parent_author = _str_id(s.get("in_reply_to_user_id_str")) or _str_id(
        s.get("in_reply_to_user_id")
    )
    kind = "repost" if repost else "reply" if reply else "quote" if quote else "post"
    ext = s.get("extended_tweet") if isinstance(s.get("extended_tweet"), dict) else None
    src_obj = ext or s
    raw = src_obj.get("full_text") or src_obj.get("text") or s.get("full_text") or s.get("text")
    ents = src_obj.get("entities") or s.get("entities") or {}
    xents = src_obj.get("extended_entities") or s.get("extended_entities") or {}
    text, urls = _v1_links(raw, ents)
    hashtags = [
        h["text"].lower() for h in ents.get("hashtags") or () if isinstance(h.get("text"), str)
    ]
    mention_ids: list[str] = []
    mentions: list[str] = []
    for m in ents.get("user_mentions") or ():
        mid = _str_id(m.get("id_str")) or _str_id(m.get("id"))
        if mid:
            mentions.append(mid)
            mention_ids.append(mid)
        elif isinstance(m.get("screen_name"), str):
            mentions.append(m["screen_name"])
    media = [
        {
            "type": m.get("type"),
            "url": m.get("media_url_https") or m.get("media_url"),
            "alt": m.get("ext_alt_text"),
        }
        for m in (xents.get("media") or ents.get("media") or ())
        if isinstance(m, dict)
    ]
    dtr = src_obj.get("display_text_range") or s.get("display_text_range")
    text = cut_reply_mentions(text, dtr)
    qp = s.get("quoted_status_permalink")
    quote_url = None
    if quote and not isinstance(qt, dict):
        quote_url = (qp.get("expanded") if isinstance(qp, dict) else None) or _permalink(
            None, quote
        )
    if tid in ctx.seen:
        return tid
    ctx.seen.add(tid)
    ctx.em.add(
        "posts",
        (
            _PLATFORM,
            tid,
            author,
            created,
            kind,
            text,
            raw if isinstance(raw, str) else None,
            dtr[0] if isinstance(dtr, list) and dtr and isinstance(dtr[0], int) else None,
            s.get("lang"),
            reply,
            parent_author,
            tid if not reply else None,
            quote,
            quote_url,
            repost,
            hashtags,
            mentions,
            urls,
            media,
            _int(s.get("favorite_count")),
            _int(s.get("retweet_count")),
            _int(s.get("reply_count")),
            _int(s.get("quote_count")),
            None,
            None,
            False,
            _permalink(user.get("screen_name"), tid),
            ctx.source,
        ),
    )
    add = ctx.em.add
    if repost:
        ru = rt.get("user") if isinstance(rt, dict) else None
        target = _str_id(ru.get("id_str")) if isinstance(ru, dict) else None
        add("interactions", (_PLATFORM, "repost", author, target, tid, repost, created, ctx.source))
        return tid
    if reply:
        add(
            "interactions",
            (_PLATFORM, "reply", author, parent_author, tid, reply, created, ctx.source),
        )
    if quote:
        qa = None
        if isinstance(qt, dict) and isinstance(qt.get("user"), dict):
            qa = _str_id(qt["user"].get("id_str")) or _str_id(qt["user"].get("id"))
        add("interactions", (_PLATFORM, "quote", author, qa, tid, quote, created, ctx.source))
    for mid in dict.fromkeys(mention_ids):
        add("interactions", (_PLATFORM, "mention", author, mid, tid, None, created, ctx.source))
    return tid


def _v1_object(
    obj: Any, ctx: _Ctx, where: str, uri: str | None = None, options: dict[str, Any] | None = None
) -> None:
    """Dispatch a v1.1 response body: status(es), users page, ids page."""
    options = options or {}
    if isinstance(obj, list):
        if not obj:
            ctx.report.skip("empty page (no records in it)", where=where)
        for i, o in enumerate(obj):
            _v1_object(o, ctx, f"{where}[{i}]", uri, options)
        return
    if not isinstance(obj, dict):
        ctx.report.skip("not a JSON object", where=where, record=obj)
        return
    if ("id_str" in obj or "id" in obj) and ("text" in obj or "full_text" in obj):
        _v1_tweet(obj, ctx, where)
        return
    if v1_units(obj) == 0:
        ctx.report.skip("empty page (no records in it)", where=where, record=_short(obj))
        return
    if isinstance(obj.get("statuses"), list):
        for i, s in enumerate(obj["statuses"]):
            _v1_tweet(s, ctx, f"{where}.statuses[{i}]")
        return
    focal, relation, list_id = _v1_focal(uri, ctx.report.source, options)
    if isinstance(obj.get("ids"), list):
        ids: list[str | None] = [_str_id(i) for i in obj["ids"]]
        if uri and "/statuses/retweeters/" in uri:
            target_post = (parse_qs(urlparse(uri).query).get("id") or [""])[0]
            for rid in ids:
                if rid is not None and target_post:
                    ctx.em.add(
                        "interactions",
                        (_PLATFORM, "repost", rid, None, None, target_post, None, ctx.source),
                    )
                else:
                    ctx.report.skip("retweeter id that is not a number or string", where=where)
            return
        if focal is None or relation not in ("followers", "friends"):
            reason = (
                "follower/friend id page without focal account or relation "
                "(pass focal_id= and relation=followers|friends)"
            )
            ctx.report.skip(reason, where=where, record=_short(obj))
            ctx.report.skipped[reason] += len(ids) - 1  # each id is a record
            return
        for j in ids:
            if j is None:
                ctx.report.skip("id that is not a number or string", where=where)
            elif relation == "followers":
                ctx.em.add("follows", (_PLATFORM, j, focal, None, ctx.source))
            else:
                ctx.em.add("follows", (_PLATFORM, focal, j, None, ctx.source))
        return
    if isinstance(obj.get("lists"), list) or ("slug" in obj and "member_count" in obj):
        for lst in obj["lists"] if isinstance(obj.get("lists"), list) else [obj]:
            _v1_list(lst, ctx, where)
        return
    if isinstance(obj.get("users"), list) or "screen_name" in obj:
        users = obj["users"] if isinstance(obj.get("users"), list) else [obj]
        for u in users:
            if not isinstance(u, dict):
                ctx.report.skip("user is not an object", where=where, record=_short(u))
                continue
            uid = _v1_user(u, ctx, None)
            if uid is None:
                continue
            status = u.get("status")
            if isinstance(status, dict) and "user" not in status:
                _v1_tweet({**status, "user": u}, ctx, where)
            if focal and relation == "followers":
                ctx.em.add("follows", (_PLATFORM, uid, focal, None, ctx.source))
            elif focal and relation == "friends":
                ctx.em.add("follows", (_PLATFORM, focal, uid, None, ctx.source))
            elif list_id and relation == "members":
                ctx.em.add("list_members", (_PLATFORM, list_id, uid, None, ctx.source))
        return
    ctx.report.skip("unsupported v1.1 object", where=where, record=_short(obj))


def v1_units(obj: Any) -> int:
    """Records a v1.1 body counts as: the statuses, ids, users or lists of a page, the
    elements of an array (each counted the same way); anything else is one record."""
    if isinstance(obj, list):
        return sum(max(1, v1_units(o)) for o in obj)
    if isinstance(obj, dict):
        if ("id_str" in obj or "id" in obj) and ("text" in obj or "full_text" in obj):
            return 1
        for key in ("statuses", "ids", "lists", "users"):
            if isinstance(obj.get(key), list):
                return len(obj[key])
    return 1


def _v1_list(lst: Any, ctx: _Ctx, where: str) -> None:
    if not isinstance(lst, dict):
        ctx.report.skip("list is not an object", where=where, record=lst)
        return
    lid = _str_id(lst.get("id_str")) or _str_id(lst.get("id"))
    if lid is None:
        ctx.report.skip("list without id", where=where, record=_short(lst))
        return
    owner = _v1_user(lst.get("user"), ctx, None)
    ctx.em.add(
        "lists",
        (
            _PLATFORM,
            lid,
            owner,
            lst.get("name"),
            lst.get("description"),
            "list",
            v1_time(lst.get("created_at")),
            ctx.source,
        ),
    )


def _v1_focal(
    uri: str | None, source_name: str, options: dict[str, Any]
) -> tuple[str | None, str | None, str | None]:
    focal = _str_id(options.get("focal_id"))
    relation = options.get("relation")
    list_id = _str_id(options.get("list_id"))
    if uri:
        u = urlparse(uri)
        q = parse_qs(u.query)
        if focal is None and q.get("user_id"):
            focal = q["user_id"][0]
        if list_id is None and q.get("list_id"):
            list_id = q["list_id"][0]
        if relation is None:
            if "/followers/" in u.path:
                relation = "followers"
            elif "/friends/" in u.path:
                relation = "friends"
            elif "/lists/members" in u.path:
                relation = "members"
    if relation is None:
        low = source_name.lower().rsplit("/", 1)[-1]
        if "follower" in low:
            relation = "followers"
        elif "friend" in low or "following" in low:
            relation = "friends"
    return focal, relation, list_id


# --------------------------------------------------------------------------- GNIP


def _tail_id(v: Any) -> str | None:
    if not isinstance(v, str) or not v:
        return None
    return v.rsplit(":", 1)[-1].rsplit("/", 1)[-1] or None


def _gnip_actor(a: Any, ctx: _Ctx, observed: str | None) -> str | None:
    if not isinstance(a, dict):
        return None
    uid = _tail_id(a.get("id"))
    if uid is None:
        return None
    ctx.em.add(
        "accounts",
        (
            _PLATFORM,
            uid,
            a.get("preferredUsername"),
            a.get("displayName"),
            a.get("summary"),
            a.get("postedTime"),
            _int(a.get("followersCount")),
            _int(a.get("friendsCount")),
            _int(a.get("statusesCount")),
            a.get("verified") if isinstance(a.get("verified"), bool) else None,
            None,
            None,
            None,
            observed,
            ctx.source,
        ),
    )
    return uid


def _gnip(a: Any, ctx: _Ctx, where: str) -> str | None:
    if not isinstance(a, dict):
        ctx.report.skip("activity is not an object", where=where, record=a)
        return None
    if "info" in a and "verb" not in a:
        ctx.report.skip("GNIP info message (no tweet)", where=where)
        return None
    tid = _tail_id(a.get("id"))
    if tid is None or not tid.isdigit():
        ctx.report.skip("activity without tweet id", where=where, record=_short(a))
        return None
    created = a.get("postedTime")
    author = _gnip_actor(a.get("actor"), ctx, created)
    if author is None:
        ctx.report.skip("activity without actor", where=where, record=_short(a))
        return None
    repost = quote = reply = None
    obj = a.get("object")
    if a.get("verb") == "share" and isinstance(obj, dict):
        repost = _gnip(obj, ctx, where)
    qt = a.get("twitter_quoted_status")
    if isinstance(qt, dict):
        quote = _gnip(qt, ctx, where)
    irt = a.get("inReplyTo")
    if isinstance(irt, dict):
        reply = _tail_id(irt.get("link"))
    long = a.get("long_object") if isinstance(a.get("long_object"), dict) else None
    raw = (long or {}).get("body") or a.get("body")
    ents = (long or {}).get("twitter_entities") or a.get("twitter_entities") or {}
    xents = (long or {}).get("twitter_extended_entities") or a.get("twitter_extended_entities")
    text, urls = _v1_links(raw, ents)
    text = cut_reply_mentions(
        text, (long or {}).get("display_text_range") or a.get("display_text_range")
    )
    hashtags = [
        h["text"].lower() for h in ents.get("hashtags") or () if isinstance(h.get("text"), str)
    ]
    mention_ids = [
        i
        for i in (
            _str_id(m.get("id_str")) or _str_id(m.get("id"))
            for m in ents.get("user_mentions") or ()
        )
        if i
    ]
    media = [
        {"type": m.get("type"), "url": m.get("media_url_https"), "alt": m.get("ext_alt_text")}
        for m in ((xents or {}).get("media") or ents.get("media") or ())
        if isinstance(m, dict)
    ]
    parent_author = None
    kind = "repost" if repost else "reply" if reply else "quote" if quote else "post"
    if tid in ctx.seen:
        return tid
    ctx.seen.add(tid)
    handle = (a.get("actor") or {}).get("preferredUsername")
    ctx.em.add(
        "posts",
        (
            _PLATFORM,
            tid,
            author,
            created,
            kind,
            text,
            raw if isinstance(raw, str) else None,
            None,
            a.get("twitter_lang"),
            reply,
            parent_author,
            tid if not reply else None,
            quote,
            None,
            repost,
            hashtags,
            mention_ids,
            urls,
            media,
            _int(a.get("favoritesCount")),
            _int(a.get("retweetCount")),
            None,
            None,
            None,
            None,
            False,
            _permalink(handle, tid),
            ctx.source,
        ),
    )
    add = ctx.em.add
    if repost:
        target = _tail_id((obj.get("actor") or {}).get("id")) if isinstance(obj, dict) else None
        add("interactions", (_PLATFORM, "repost", author, target, tid, repost, created, ctx.source))
        return tid
    if reply:
        add("interactions", (_PLATFORM, "reply", author, None, tid, reply, created, ctx.source))
    if quote:
        target = _tail_id((qt.get("actor") or {}).get("id")) if isinstance(qt, dict) else None
        add("interactions", (_PLATFORM, "quote", author, target, tid, quote, created, ctx.source))
    for mid in dict.fromkeys(mention_ids):
        add("interactions", (_PLATFORM, "mention", author, mid, tid, None, created, ctx.source))
    return tid


# --------------------------------------------------------------------------- dispatch


def _short(rec: Any) -> str:
    s = repr(rec)
    return s if len(s) <= 2000 else s[:2000] + "..."


def _shape(rec: Any) -> str | None:
    """Which X record shape ``rec`` has, or None."""
    if not isinstance(rec, dict):
        return None
    if "uri" in rec and "body" in rec and ("method" in rec or "status" in rec):
        return "x-api-responses"
    if "data" in rec or ("errors" in rec and "__twarc" in rec):
        return "twarc2"
    if ("verb" in rec and "actor" in rec) or rec.get("objectType") == "activity":
        return "gnip"
    if "id_str" in rec or ("ids" in rec and ("next_cursor" in rec or "next_cursor_str" in rec)):
        return "x-v1"
    if isinstance(rec.get("users"), list) or isinstance(rec.get("lists"), list):
        return "x-v1"
    if ("screen_name" in rec and "id" in rec) or ("slug" in rec and "member_count" in rec):
        return "x-v1"
    if isinstance(rec.get("statuses"), list):
        return "x-v1"
    if (
        "id" in rec
        and ("text" in rec or "edit_history_tweet_ids" in rec)
        and ("author_id" in rec or "__twarc" in rec or "edit_history_tweet_ids" in rec)
    ):
        return "twarc2-flat"
    if "id" in rec and "text" in rec and "user" in rec:
        return "x-v1"
    if "id" in rec and rec.get("action") in ("delete", "scrub_geo", "deactivate"):
        return "twarc2"
    return None


def _dispatch(rec: Any, ctx: _Ctx, where: str, options: dict[str, Any]) -> None:
    shape = _shape(rec)
    if shape == "twarc2":
        if "data" not in rec and "errors" not in rec:
            ctx.report.skip("compliance event (not canonical data)", where=where)
            return
        _v2_page(rec, None, ctx, where)
    elif shape == "twarc2-flat":
        _v2_flat(rec, ctx)
    elif shape == "x-v1":
        ctx.reset(None)
        ctx.report.records += max(1, v1_units(rec)) - 1  # the caller counted 1
        _v1_object(rec, ctx, where, None, options)
    elif shape == "gnip":
        ctx.reset(None)
        _gnip(rec, ctx, where)
    elif shape == "x-api-responses":
        _response(rec, ctx, where, options)
    else:
        ctx.report.skip("not an X/Twitter record", where=where, record=_short(rec))


def _response(rec: dict[str, Any], ctx: _Ctx, where: str, options: dict[str, Any]) -> None:
    method = str(rec.get("method") or "GET").upper()
    status = rec.get("status")
    code = status.get("code") if isinstance(status, dict) else status
    body = rec.get("body")
    uri: str = rec["uri"] if isinstance(rec.get("uri"), str) else ""
    if method != "GET" or (isinstance(code, int) and not 200 <= code < 300):
        ctx.report.skip("API response that is not a successful GET", where=where)
        return
    if not isinstance(body, dict | list) or not body:
        ctx.report.skip("API response without a JSON body", where=where)
        return
    if "/2/" in uri and isinstance(body, dict):
        _v2_page(body, uri, ctx, where)
    elif "/1.1/" in uri:
        ctx.reset(None)
        ctx.report.records += max(1, v1_units(body)) - 1  # the caller counted 1
        _v1_object(body, ctx, where, uri, options)
    else:
        ctx.report.skip("API response from an unknown endpoint", where=where)


_SPECIAL_RELS = frozenset(
    {
        "followers",
        "following",
        "retweeted_by",
        "liking_users",
        "liked_tweets",
        "members",
        "owned_lists",
        "followed_lists",
        "list_memberships",
        "pinned_lists",
    }
)


def _special_endpoint(url: str) -> bool:
    """Whether a v2 URL is an endpoint whose pages need the focal-aware dict path."""
    m = _V2_PATH.search(urlparse(url).path)
    return bool(m and m.group(3) in _SPECIAL_RELS) or "/2/lists/" in url


def _read(
    src: Source,
    report: ReadReport,
    chunk_rows: int,
    source: str,
    fast: bool = True,
    **options: Any,
) -> _Chunks:
    em = Emitter(report, chunk_rows)
    ctx = _Ctx(em, report, source)
    handler = None
    if fast and source == "twarc2":
        from mutuals.io.readers._x_fast import handle_page

        def handler(line: bytes) -> bool:
            try:
                return handle_page(line, ctx, _special_endpoint)
            except (AttributeError, TypeError, KeyError, IndexError, ValueError, RecursionError):
                return False  # let the dict path read it and count what it cannot

    for where, rec in iter_json_records(src, report, handler):
        if rec is not HANDLED:
            records0, skipped0 = report.records, report.n_skipped
            try:
                _dispatch(rec, ctx, where, options)
            except (
                AttributeError,
                TypeError,
                KeyError,
                IndexError,
                ValueError,
                RecursionError,
            ) as e:
                # a field of an unexpected type deep in a record: count the record as
                # skipped (rows already taken from it are kept) instead of crashing;
                # one already counted as skipped is not counted twice
                reason = f"unexpected structure in record ({e.__class__.__name__})"
                counted = report.records - records0
                if report.n_skipped - skipped0 < max(counted, 1):
                    report.skip(reason, where=where, record=_short(rec))
                else:
                    report.noted[f"{reason} (record already counted as skipped)"] += 1
        yield from em.ready()
    yield from em.close()


#: The head of a twarc2 / API v2 page whose first line does not parse (cut short):
#: it opens with ``data``, ``includes`` or ``errors`` and holds v2 tweet or user keys.
_V2_HEAD = re.compile(rb'^\s*\{\s*"(?:data|includes|errors)"\s*:\s*[\[{]')
_V2_KEYS = (b'"edit_history_tweet_ids"', b'"author_id"', b'"__twarc"', b'"public_metrics"')


def _sniff_shape(*shapes: str):
    def sniff(s: Sniff) -> bool:
        if s.first_record is not None:
            return _shape(s.first_record) in shapes
        if "twarc2" in shapes and s.problem is None and _V2_HEAD.match(s.head):  # cut page
            return any(k in s.head for k in _V2_KEYS)
        return False

    return sniff


_Chunks = Iterator[tuple[str, pa.Table]]


@register(
    "twarc2",
    sniff=_sniff_shape("twarc2"),
    description="X API v2 response pages as written by twarc2 (data/includes/errors/__twarc)",
    priority=10,
)
def read_twarc2(src: Source, report: ReadReport, chunk_rows: int, **options: Any) -> _Chunks:
    """Read X API v2 pages (one JSON page per line, as twarc2 writes them)."""
    return _read(src, report, chunk_rows, "twarc2", **options)


@register(
    "twarc2-flat",
    sniff=_sniff_shape("twarc2-flat"),
    description="X API v2 tweets flattened one per line (twarc2 flatten)",
    priority=11,
)
def read_twarc2_flat(src: Source, report: ReadReport, chunk_rows: int, **options: Any) -> _Chunks:
    """Read flattened X API v2 tweets (one tweet per line with inlined expansions)."""
    return _read(src, report, chunk_rows, "twarc2-flat", **options)


@register(
    "x-v1",
    sniff=_sniff_shape("x-v1"),
    description="X API v1.1 statuses, user pages and follower/friend id pages",
    priority=12,
)
def read_x_v1(src: Source, report: ReadReport, chunk_rows: int, **options: Any) -> _Chunks:
    """Read X API v1.1 statuses and cursor pages.

    Follower/friend id pages name no focal account: pass ``focal_id=`` (and
    ``relation="followers"`` or ``"friends"`` unless the file name says which).
    """
    return _read(src, report, chunk_rows, "x-v1", **options)


@register(
    "gnip",
    sniff=_sniff_shape("gnip"),
    description="GNIP Activity Streams tweets",
    priority=13,
)
def read_gnip(src: Source, report: ReadReport, chunk_rows: int, **options: Any) -> _Chunks:
    """Read GNIP Activity Streams tweets (one activity per line)."""
    return _read(src, report, chunk_rows, "gnip", **options)


@register(
    "x-api-responses",
    sniff=_sniff_shape("x-api-responses"),
    description="recorded X API responses, one {uri, method, status, body} per line",
    priority=14,
)
def read_x_api_responses(
    src: Source, report: ReadReport, chunk_rows: int, **options: Any
) -> _Chunks:
    """Read recorded X API responses (v2 and v1.1), dispatching on each ``uri``."""
    return _read(src, report, chunk_rows, "x-api", **options)
