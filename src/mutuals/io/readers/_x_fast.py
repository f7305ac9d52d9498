"""Fast path of the twarc2 reader for tweet pages (search, timelines, lookups).

msgspec decodes only the fields the canonical tables need into typed structs,
which is about twice as fast as parsing whole pages into dicts. A page that
does not fit the structs (other endpoints, users or lists, odd types) returns
``False`` and goes through the reference dict path in
:mod:`mutuals.io.readers.x`, which this module mirrors field for field
(``tests/twins/test_x_reader_twins.py`` compares the two on every real sample).
"""

from __future__ import annotations

from typing import Any

import msgspec

from mutuals.io.readers._common import (
    MEDIA_DISPLAY,
    cut_reply_mentions,
    reply_display_range,
    snowflake_time,
)

__all__ = ["handle_page"]


class _Ref(msgspec.Struct, gc=False):
    type: str | None = None
    id: str | None = None


class _Tag(msgspec.Struct, gc=False):
    tag: str | None = None


class _Mention(msgspec.Struct, gc=False):
    username: str | None = None
    id: str | None = None


class _Url(msgspec.Struct, gc=False):
    url: str | None = None
    expanded_url: str | None = None
    unwound_url: str | None = None
    media_key: str | None = None
    display_url: str | None = None


class _Entities(msgspec.Struct, gc=False):
    hashtags: tuple[_Tag, ...] = ()
    mentions: tuple[_Mention, ...] = ()
    urls: tuple[_Url, ...] = ()


class _Metrics(msgspec.Struct, gc=False):
    like_count: int | None = None
    retweet_count: int | None = None
    reply_count: int | None = None
    quote_count: int | None = None
    followers_count: int | None = None
    following_count: int | None = None
    tweet_count: int | None = None


class _Note(msgspec.Struct, gc=False):
    text: str | None = None
    entities: _Entities | None = None


class _Attachments(msgspec.Struct, gc=False):
    media_keys: tuple[str, ...] = ()


class _Tweet(msgspec.Struct, gc=False):
    id: str
    author_id: str | None = None
    text: str | None = None
    created_at: str | None = None
    lang: str | None = None
    conversation_id: str | None = None
    in_reply_to_user_id: str | None = None
    referenced_tweets: tuple[_Ref, ...] = ()
    entities: _Entities | None = None
    note_tweet: _Note | None = None
    attachments: _Attachments | None = None
    public_metrics: _Metrics | None = None
    edit_history_tweet_ids: tuple[str, ...] = ()
    display_text_range: tuple[int, ...] | None = None
    username: str | None = None  # set only when the item is a user, not a tweet


class _User(msgspec.Struct, gc=False):
    id: str
    username: str | None = None
    name: str | None = None
    description: str | None = None
    created_at: str | None = None
    public_metrics: _Metrics | None = None
    verified: bool | None = None
    protected: bool | None = None


class _Media(msgspec.Struct, gc=False):
    media_key: str | None = None
    type: str | None = None
    url: str | None = None
    preview_image_url: str | None = None
    alt_text: str | None = None


class _Error(msgspec.Struct, gc=False):
    resource_type: str | None = None
    title: str | None = None
    resource_id: Any = None
    value: Any = None


class _Includes(msgspec.Struct, gc=False):
    users: tuple[_User, ...] = ()
    tweets: tuple[_Tweet, ...] = ()
    media: tuple[_Media, ...] = ()


class _Twarc(msgspec.Struct, gc=False):
    url: str | None = None
    retrieved_at: str | None = None


class _Page(msgspec.Struct, gc=False):
    data: tuple[_Tweet, ...] | _Tweet  # a list, or one tweet (lookups, filtered stream)
    includes: _Includes | None = None
    errors: tuple[_Error, ...] = ()
    twarc: _Twarc | None = msgspec.field(default=None, name="__twarc")


_decode = msgspec.json.Decoder(_Page).decode
_NO_HANDLE = "mention without account id (kept as handle, no interaction)"
_NO_AUTHOR = "post without author id (no interactions)"


def handle_page(line: bytes, ctx: Any, special_path: Any) -> bool:
    """Emit the rows of one twarc2 tweet page; ``False`` if it is not one.

    Rows are collected per table and handed to the emitter only once the whole
    page has been read, so a page that fails half way adds nothing (the dict
    path then reads all of it).
    """
    try:
        page = _decode(line)
    except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return False  # the dict path reads (or counts) it
    tw = page.twarc
    url = tw.url if tw is not None else None
    if url and special_path(url):
        return False
    data = page.data if isinstance(page.data, tuple) else (page.data,)
    for t in data:
        if t.username is not None or (t.text is None and t.author_id is None):
            return False  # users, lists...: the dict path knows those endpoints
    inc = page.includes
    n = len(data) + len(page.errors) + (len(inc.users) + len(inc.tweets) if inc else 0)
    if n == 0:
        return False  # a page without data: the dict path counts the skip
    ctx.reset(tw.retrieved_at if tw is not None else None)
    src = ctx.source
    observed = ctx.observed
    names: dict[str, str | None] = {}
    by_name = ctx.by_name
    authors: dict[str, str | None] = {}
    media: dict[str, _Media] = {}
    accounts: list[tuple[Any, ...]] = []
    posts: list[tuple[Any, ...]] = []
    inter: list[tuple[Any, ...]] = []
    inc_tweets: tuple[_Tweet, ...] = ()
    if inc is not None:
        for m in inc.media:
            if m.media_key:
                media[m.media_key] = m
        acc = accounts.append
        for u in inc.users:
            uid = u.id
            uname = u.username
            names[uid] = uname
            if uname is not None:
                by_name[uname.lower()] = uid
            pm = u.public_metrics
            if pm is None:
                fol = fri = cnt = None
            else:
                fol, fri, cnt = pm.followers_count, pm.following_count, pm.tweet_count
            acc(
                (
                    "x",
                    uid,
                    uname,
                    u.name,
                    u.description,
                    u.created_at,
                    fol,
                    fri,
                    cnt,
                    u.verified,
                    u.protected,
                    None,
                    None,
                    observed,
                    src,
                )
            )
        inc_tweets = inc.tweets
        for t in inc_tweets:
            authors[t.id] = t.author_id
    for t in data:
        authors.setdefault(t.id, t.author_id)
    seen = ctx.seen
    counts = [0, 0]  # mentions kept as handles, posts without author
    _tweets(
        (*data, *inc_tweets) if inc_tweets else data,
        seen,
        src,
        names,
        by_name,
        authors,
        media,
        posts,
        inter,
        counts,
    )
    noted = ctx.report.noted
    for e in page.errors:
        v = e.resource_id or e.value
        rid = v if isinstance(v, str) and v else None
        if isinstance(v, int) and not isinstance(v, bool):
            rid = str(v)
        title = e.title or "error"
        if e.resource_type == "tweet" and rid and rid.isdigit():
            noted[f"unavailable tweet reported by the API ({title}): kept as deleted"] += 1
            if rid in seen:
                continue
            seen.add(rid)
            row: list[Any] = [None] * 28
            row[0], row[1], row[4], row[25], row[26], row[27] = (
                "x",
                rid,
                "post",
                True,
                f"https://x.com/i/web/status/{rid}",
                src,
            )
            posts.append(tuple(row))
        elif e.resource_type == "user":
            noted[f"unavailable user reported by the API ({title})"] += 1
        else:
            noted[f"API error entry ({title})"] += 1
    if counts[0]:
        noted[_NO_HANDLE] += counts[0]
    if counts[1]:
        noted[_NO_AUTHOR] += counts[1]
    # a page counts as the records it holds (as x.page_units); the caller counted 1
    ctx.report.records += n - 1
    em = ctx.em
    em.extend("accounts", accounts)
    em.extend("posts", posts)
    em.extend("interactions", inter)
    return True


_STATUS = "https://x.com/i/web/status/"
_URL_PREFIXES = ("http://", "https://")


def _tweets(
    tweets: tuple[_Tweet, ...],
    seen: set[str],
    src: str,
    names: dict[str, str | None],
    by_name: dict[str, str],
    authors: dict[str, str | None],
    media_map: dict[str, _Media],
    posts: list[tuple[Any, ...]],
    inter: list[tuple[Any, ...]],
    counts: list[int],
) -> None:
    """Rows of each tweet not seen before on this page (one call per page)."""
    post = posts.append
    act = inter.append
    for t in tweets:
        tid = t.id
        if tid in seen:
            continue
        seen.add(tid)
        author = t.author_id or None
        repost = reply = quote = None
        for r in t.referenced_tweets:
            typ = r.type
            if typ == "retweeted":
                repost = r.id or None
            elif typ == "replied_to":
                reply = r.id or None
            elif typ == "quoted":
                quote = r.id or None
        kind = "repost" if repost else "reply" if reply else "quote" if quote else "post"
        note = t.note_tweet
        raw: str | None
        if note is not None and note.text is not None:
            raw = note.text
            ents = note.entities or t.entities
        else:
            raw = t.text
            ents = t.entities
        text = raw
        urls: tuple[str, ...] = ()
        hashtags: tuple[str, ...] = ()
        mentions: tuple[str, ...] = ()
        mention_ids: list[str] = []
        if ents is not None:
            if ents.urls:
                ul = []
                cut = False
                for u in ents.urls:
                    exp = u.unwound_url or u.expanded_url
                    disp = u.display_url
                    if u.media_key is not None or (
                        disp is not None and disp.startswith(MEDIA_DISPLAY)
                    ):  # a media link: cut (the media are in `media`)
                        if text is not None and u.url:
                            text = text.replace(u.url, "")
                            cut = True
                    elif exp is not None:
                        if text is not None and u.url:
                            text = text.replace(u.url, exp)
                        if exp.startswith(_URL_PREFIXES):
                            ul.append(exp)
                if cut and text is not None:
                    text = text.rstrip()
                urls = tuple(ul)
            if ents.hashtags:
                hashtags = tuple([h.tag.lower() for h in ents.hashtags if h.tag is not None])
            if ents.mentions:
                ml = []
                for m in ents.mentions:
                    mid = m.id or None
                    if mid is None and m.username is not None:
                        mid = by_name.get(m.username.lower())
                    if mid is not None:
                        ml.append(mid)
                        mention_ids.append(mid)
                    elif m.username is not None:
                        ml.append(m.username)
                        if kind != "repost":
                            counts[0] += 1
                mentions = tuple(ml)
        if text is not None and "&" in text:
            text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        # the reply's leading auto-mentions are cut (display_text_range, else the
        # leading @-run of a reply); no call when neither can apply
        dtr: Any = t.display_text_range
        if dtr or (reply is not None and raw is not None and raw[:1] == "@"):
            dtr = reply_display_range(raw, list(dtr) if dtr else None, reply is not None)
            text = cut_reply_mentions(text, dtr)
        media: tuple[tuple[str | None, ...], ...] = ()
        att = t.attachments
        if att is not None and att.media_keys:
            mt = []
            for k in att.media_keys:
                md = media_map.get(k)
                if md is not None:
                    mt.append((md.type, md.url or md.preview_image_url, md.alt_text))
            media = tuple(mt)
        pm = t.public_metrics
        if pm is None:
            likes = rts = replies = quotes = None
        else:
            likes, rts, replies, quotes = (
                pm.like_count,
                pm.retweet_count,
                pm.reply_count,
                pm.quote_count,
            )
        created = when = t.created_at
        edit_of = edited_at = None
        hist = t.edit_history_tweet_ids
        if len(hist) > 1:
            edit_of = hist[0] or None
            if tid != edit_of:
                edited_at = created
                created = snowflake_time(edit_of) if edit_of else created
        handle = names.get(author) if author else None
        parent_author = t.in_reply_to_user_id or None
        post(
            (
                "x",
                tid,
                author,
                created,
                kind,
                text,
                raw,
                dtr[0] if dtr else None,
                t.lang,
                reply,
                parent_author,
                t.conversation_id or None,
                quote,
                _STATUS + quote if quote and quote not in authors else None,
                repost,
                hashtags,
                mentions,
                urls,
                media,
                likes,
                rts,
                replies,
                quotes,
                edit_of,
                edited_at,
                False,
                f"https://twitter.com/{handle}/status/{tid}" if handle else _STATUS + tid,
                src,
            )
        )
        if author is None:
            counts[1] += 1
            continue
        if repost:
            target = authors.get(repost)
            if target is None and mention_ids and raw is not None and raw.startswith("RT @"):
                target = mention_ids[0]
            act(("x", "repost", author, target, tid, repost, when, src, None))
            continue
        if reply:
            act(("x", "reply", author, parent_author, tid, reply, when, src, None))
        if quote:
            act(("x", "quote", author, authors.get(quote), tid, quote, when, src, None))
        if mention_ids:
            for mid in dict.fromkeys(mention_ids):
                act(("x", "mention", author, mid, tid, None, when, src, None))
