"""Reader of saved Bluesky AppView (XRPC API) responses.

Input: one JSON response per file, or JSON lines of responses. Recognised
responses (by their shape; the request is not saved with them):

- ``app.bsky.feed.getPostThread`` (``thread``, also the v2 list form):
  ``posts`` of every post view, recursing into ``parent`` and ``replies``;
- ``getAuthorFeed`` / ``getTimeline`` / ``getFeed`` / ``getActorLikes`` /
  ``getListFeed`` (``feed``): ``posts`` of each post and of its reply root and
  parent; a ``reasonRepost`` is a repost;
- ``getPosts`` / ``searchPosts`` / ``getQuotes`` (``posts``): ``posts``;
- ``getLikes`` (``uri`` + ``likes``): ``interactions`` (like);
- ``getRepostedBy`` (``uri`` + ``repostedBy``): ``interactions`` (repost);
- ``app.bsky.graph.getFollows`` / ``getFollowers`` / ``getKnownFollowers``:
  ``follows`` (subject -> each follow; each follower -> subject);
- ``getList`` / ``getLists``: ``lists`` and ``list_members``;
- ``getStarterPack`` / ``getStarterPacks`` / ``getActorStarterPacks``: ``lists``
  (kind ``starter_pack``), its list and the sample of its members it carries;
- ``getProfile(s)`` / ``searchActors(Typeahead)`` / ``getSuggestions`` /
  ``getSuggestedFollowsByActor``: ``accounts``;
- ``com.atproto.repo.getRecord`` / ``listRecords``: the record, read as from a
  repository (the AT-URI names its author);
- ``com.atproto.repo.describeRepo``: ``accounts`` (DID and handle).

Every profile view met (authors, followers, list creators) gives an
``accounts`` row with its handle, display name, description, creation time and
the counts it reports (``followersCount``, ``followsCount``, ``postsCount``).

Ids and values match :mod:`.bluesky` (repository CAR and Jetstream), so the
same post read from both merges into one row in ``mutuals ingest``: a post's
id is its AT-URI ``at://DID/app.bsky.feed.post/RKEY``, an account's id its DID,
the permalink ``https://bsky.app/profile/DID/post/RKEY``. Post records are
turned into rows by the very code that reads them from a repository (facets
applied by UTF-8 byte offsets, reply parent/root, quotes, images); the post
view adds ``like_count``, ``repost_count``, ``reply_count`` and
``quote_count``. A quoted post embedded with its record is read as a post too.

Not mappable, and so counted (``skipped`` or ``noted``) rather than read:

- ``notFoundPost`` / ``blockedPost`` (and unavailable quoted posts) give a
  placeholder ``posts`` row (``deleted`` true: unavailable, no text) that keeps
  its place in a thread (parent and root where the thread tells them); their
  content is not in the response. A blocked post is unavailable to the viewer,
  not necessarily deleted.
- A repost seen only as a ``reasonRepost`` without its ``uri`` (older AppView
  versions), and every ``getRepostedBy`` entry, give a ``repost`` interaction
  without the repost's own id: the same repost read from a repository has that
  id, so the two do not merge into one row.
- Follow and list-item times are not in the views (``created_at`` / ``added_at``
  null); list and profile ``indexedAt`` is the AppView's indexing time, not kept;
  the request time is not saved, so profile counts have no ``observed_at``.
- Viewer state (``viewer.following``, mutes, blocks), labels, feed generators
  and threadgates are not canonical data and are ignored.
- A record without its AT-URI (a bare ``app.bsky.feed.post`` or ``like`` value)
  names no author and is skipped; ``resolveHandle`` (a DID without the handle
  asked for) is skipped; a ``getRecord`` whose ``$type`` contradicts its
  collection is skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pyarrow as pa

from mutuals.io.readers import Sniff, Source, register
from mutuals.io.readers import bluesky as _bsky
from mutuals.io.readers._common import iter_json_records
from mutuals.io.readers._rows import RowSink, parse_iso
from mutuals.io.readers.atproto import is_did, is_handle, parse_at_uri
from mutuals.io.readreport import ReadReport

__all__ = ["read_bluesky_api", "response_kind"]

_PLATFORM = "bluesky"
_SOURCE = "bluesky-api"
_POST = "app.bsky.feed.post"
_REPOST = "app.bsky.feed.repost"
_STARTER = "app.bsky.graph.starterpack"
#: Keys of responses listing profile views (searchActors, getProfiles, getSuggestions...).
_PROFILE_LISTS = ("actors", "profiles", "suggestions")
#: Keys of paged list responses; a page with an empty list is recognised and read as nothing.
_PAGES = ("feed", "posts", "lists", "starterPacks", "records", *_PROFILE_LISTS)


# ----------------------------------------------------------------------------- detection


def _at(v: Any) -> bool:
    return isinstance(v, str) and v.startswith("at://")


def _first(v: Any) -> Any:
    return v[0] if isinstance(v, list) and v else None


def _is_post_view(v: Any) -> bool:
    return isinstance(v, dict) and _at(v.get("uri")) and isinstance(v.get("author"), dict)


def _is_profile(v: Any) -> bool:
    return isinstance(v, dict) and is_did(v.get("did")) and isinstance(v.get("handle"), str)


def _list_of(v: Any, test: Any) -> bool:
    """A list whose first element passes ``test`` (an empty list does not count)."""
    return isinstance(v, list) and bool(v) and test(v[0])


def response_kind(r: Any) -> str | None:
    """Which AppView response ``r`` is (see the module docstring), or None.

    Parameters
    ----------
    r : Any
        A parsed JSON value.

    Returns
    -------
    str or None
        One of ``"thread"``, ``"feed"``, ``"posts"``, ``"likes"``,
        ``"reposted_by"``, ``"follows"``, ``"followers"``, ``"list"``, ``"lists"``,
        ``"starter_pack"``, ``"starter_packs"``, ``"profiles"``, ``"empty_page"``,
        ``"record"``, ``"records"``, ``"describe_repo"``, ``"profile"``,
        ``"post_view"``, ``"resolve_handle"``, ``"bare_record"``; None if ``r`` is
        not a response this reader knows (Jetstream events included: they
        belong to the ``bluesky`` reader).
    """
    if not isinstance(r, dict):
        return None
    if "time_us" in r or ("kind" in r and "commit" in r):
        return None  # Jetstream events belong to the "bluesky" reader
    th = r.get("thread")
    if isinstance(th, dict) and (
        str(th.get("$type", "")).startswith("app.bsky.feed.defs#") or _is_post_view(th.get("post"))
    ):
        return "thread"
    if _list_of(th, lambda x: isinstance(x, dict) and _at(x.get("uri")) and "value" in x):
        return "thread"
    feed = r.get("feed")
    if _list_of(feed, lambda x: isinstance(x, dict) and _is_post_view(x.get("post"))):
        return "feed"
    if _list_of(r.get("posts"), _is_post_view):
        return "posts"
    if _at(r.get("uri")) and isinstance(r.get("likes"), list):
        return "likes"
    if _at(r.get("uri")) and isinstance(r.get("repostedBy"), list):
        return "reposted_by"
    if _is_profile(r.get("subject")):
        if isinstance(r.get("follows"), list):
            return "follows"
        if isinstance(r.get("followers"), list):
            return "followers"
    lst = r.get("list")
    if isinstance(lst, dict) and _at(lst.get("uri")) and isinstance(r.get("items"), list):
        return "list"
    if _list_of(r.get("lists"), lambda x: isinstance(x, dict) and _at(x.get("uri"))):
        return "lists"
    sp = r.get("starterPack")
    if isinstance(sp, dict) and _at(sp.get("uri")):
        return "starter_pack"
    if _list_of(r.get("starterPacks"), lambda x: isinstance(x, dict) and _at(x.get("uri"))):
        return "starter_packs"
    for key in _PROFILE_LISTS:
        if _list_of(r.get(key), _is_profile):
            return "profiles"
    for key in _PAGES:
        if r.get(key) == [] and set(r) <= {key, "cursor", "hitsTotal"}:
            return "empty_page"
    if _list_of(r.get("records"), lambda x: isinstance(x, dict) and _at(x.get("uri"))):
        return "records"
    if _at(r.get("uri")) and isinstance(r.get("value"), dict):
        return "record"
    if _is_post_view(r) and isinstance(r.get("record"), dict):
        return "post_view"
    if _is_profile(r):
        return "describe_repo" if ("didDoc" in r or "collections" in r) else "profile"
    if set(r) == {"did"} and is_did(r["did"]):
        return "resolve_handle"
    t = r.get("$type")
    if isinstance(t, str) and t.startswith(("app.bsky.feed.", "app.bsky.graph.")):
        return "bare_record"
    return None


def _sniff(s: Sniff) -> bool:
    return not s.is_dir and response_kind(s.first_record) is not None


# ----------------------------------------------------------------------------- reading


class _Reader:
    def __init__(self, sink: RowSink, report: ReadReport) -> None:
        self.sink = sink
        self.report = report
        self._profiles: dict[str, set[str]] = {}  # DID -> fields already emitted

    # -- accounts

    def profile(self, p: Any) -> str | None:
        """Emit an ``accounts`` row for a profile view; its DID (or None)."""
        if not isinstance(p, dict) or not is_did(p.get("did")):
            return None
        did: str = p["did"]
        handle = p.get("handle")
        ver = p.get("verification")
        status = ver.get("verifiedStatus") if isinstance(ver, dict) else None
        row = {
            "platform": _PLATFORM,
            "account_id": did,
            "handle": handle if is_handle(handle) and handle != "handle.invalid" else None,
            "display_name": p.get("displayName") or None,
            "description": p.get("description") or None,
            "created_at": parse_iso(p.get("createdAt")),
            "followers_count": _int(p.get("followersCount")),
            "following_count": _int(p.get("followsCount")),
            "posts_count": _int(p.get("postsCount")),
            "verified": (status == "valid") if isinstance(status, str) else None,
            "source": _SOURCE,
        }
        known = {k for k, v in row.items() if v is not None}
        seen = self._profiles.get(did)
        if seen is None or not known <= seen:  # only views that tell something new
            self._profiles[did] = known | (seen or set())
            self.sink.account(row, full=True)
        return did

    # -- posts

    def post_view(self, pv: dict[str, Any], where: str) -> None:
        """A ``postView`` (or an embedded ``viewRecord``, whose record is ``value``)."""
        uri = pv.get("uri")
        parsed = parse_at_uri(uri)
        if parsed is None or not is_did(parsed[0]) or parsed[1] != _POST or not parsed[2]:
            self.report.skip("post view with an invalid post AT-URI", where=where, record=uri)
            return
        did, _, rkey = parsed
        author = pv.get("author")
        if isinstance(author, dict) and author.get("did") != did:
            self.report.skip(
                "post view whose author is not the repository of its AT-URI",
                where=where,
                record=uri,
            )
            return
        rec = pv.get("record", pv.get("value"))
        if not isinstance(rec, dict):
            self.report.skip("post view without its record", where=where, record=uri)
            return
        if rec.get("$type", _POST) != _POST:
            self.report.skip(
                f"post view whose record is a {rec.get('$type')}", where=where, record=uri
            )
            return
        self.profile(author)
        extra = {
            "like_count": _int(pv.get("likeCount")),
            "repost_count": _int(pv.get("repostCount")),
            "reply_count": _int(pv.get("replyCount")),
            "quote_count": _int(pv.get("quoteCount")),
        }
        _bsky._record(
            did,
            _POST,
            rkey,
            "create",
            rec,
            parse_iso(pv.get("indexedAt")),
            self.sink,
            self.report,
            where,
            source=_SOURCE,
            extra=extra,
        )
        embeds = pv.get("embeds") if "embeds" in pv else [pv.get("embed")]
        for emb in embeds if isinstance(embeds, list) else []:
            self.embed_view(emb, where)

    def embed_view(self, emb: Any, where: str) -> None:
        """Quoted records embedded in a post view (``embed.record#view`` /
        ``recordWithMedia#view``): read the quoted post, list or starter pack."""
        if not isinstance(emb, dict):
            return
        t = str(emb.get("$type", ""))
        if t.startswith("app.bsky.embed.recordWithMedia"):
            emb = emb.get("record")
        elif not t.startswith("app.bsky.embed.record"):
            return
        view = emb.get("record") if isinstance(emb, dict) else None
        if not isinstance(view, dict):
            return
        vt = str(view.get("$type", ""))
        self.report.records += 1
        if vt.endswith("#viewRecord") or (_is_post_view(view) and "value" in view):
            self.post_view(view, where)
        elif vt.endswith(("#viewNotFound", "#viewBlocked")):
            self.unavailable(view, where, "quoted post")
        elif vt.endswith("#viewDetached"):
            self.report.skip("quoted post detached by its author (not shown)", where=where)
        elif vt.endswith("#listView") or vt.endswith("#listViewBasic"):
            self.list_view(view, where)
        elif vt.endswith(("#starterPackViewBasic", "#starterPackView")):
            self.starter_pack(view, where)
        else:
            self.report.skip(f"embedded record view not read: {vt or 'untyped'}", where=where)

    def unavailable(
        self,
        node: dict[str, Any],
        where: str,
        what: str,
        place: tuple[str | None, str | None] | None = None,
    ) -> None:
        """A ``notFoundPost`` / ``blockedPost`` (or quoted ``viewNotFound`` /
        ``viewBlocked``): a placeholder row keeping the post's place.

        ``place`` is ``(parent_uri, root_uri)`` where the thread tells them: a
        reply listed under a post has that post as parent; an ancestor shares
        its thread's root (and is the root when its AT-URI is the root's).
        """
        uri = node.get("uri")
        parsed = parse_at_uri(uri)
        reason = "blocked" if node.get("blocked") else "not found"
        if parsed is None or not is_did(parsed[0]) or parsed[1] != _POST or not parsed[2]:
            self.report.skip(f"{what} {reason}, without a valid AT-URI", where=where, record=uri)
            return
        did, _, rkey = parsed
        assert rkey is not None
        parent, root = place if place is not None else (None, None)
        kind = "reply" if parent is not None or (root is not None and root != uri) else "post"
        self.report.noted[f"{what} {reason}: placeholder row (deleted, no text)"] += 1
        self.sink.add(
            "posts",
            {
                "platform": _PLATFORM,
                "post_id": uri,
                "author_id": did,
                "kind": kind,
                "parent_id": parent,
                "parent_author_id": _bsky._uri_did(parent),
                "root_id": root,
                "deleted": True,
                "url": _bsky._web_url(did, rkey),
                "source": _SOURCE,
            },
        )
        self.sink.account({"platform": _PLATFORM, "account_id": did, "source": _SOURCE})

    def any_post(
        self,
        node: Any,
        where: str,
        what: str = "post",
        place: tuple[str | None, str | None] | None = None,
    ) -> None:
        """A post view or an unavailable-post marker (thread nodes, feed reply refs)."""
        self.report.records += 1
        if not isinstance(node, dict):
            self.report.skip(f"{what} is not a JSON object", where=where)
            return
        t = str(node.get("$type", ""))
        marker = t.endswith(("#notFoundPost", "#blockedPost")) or node.get("notFound") is True
        if marker or (node.get("blocked") is True and "record" not in node):
            self.unavailable(node, where, what, place)
        elif _is_post_view(node):
            self.post_view(node, where)
        else:
            self.report.skip(f"{what}: unknown view {t or 'untyped'}", where=where)

    def thread(self, th: Any, where: str) -> None:
        """A ``threadViewPost`` tree: the post, its ``parent`` chain, its ``replies``."""
        Place = tuple[str | None, str | None] | None
        stack: list[tuple[Any, Place]] = [(th, None)]
        while stack:  # iterative: deep reply trees must not exhaust the call stack
            node, place = stack.pop()
            post = node.get("post") if isinstance(node, dict) else None
            if not isinstance(post, dict):
                self.any_post(node, where, "thread post", place)
                continue
            self.any_post(post, where, "thread post")
            uri = post.get("uri") if isinstance(post.get("uri"), str) else None
            rec = post.get("record")
            reply = rec.get("reply") if isinstance(rec, dict) else None
            root_ref = reply.get("root") if isinstance(reply, dict) else None
            root = root_ref.get("uri") if isinstance(root_ref, dict) else uri
            root = root if isinstance(root, str) else None
            if node.get("parent") is not None:
                stack.append((node["parent"], (None, root)))
            replies = node.get("replies")
            if isinstance(replies, list):
                stack.extend((r, (uri, root)) for r in reversed(replies))

    def thread_v2(self, items: list[Any], where: str) -> None:
        """``getPostThreadV2``: a flat list of ``{uri, depth, value}`` items."""
        for it in items:
            v = it.get("value") if isinstance(it, dict) else None
            t = str(v.get("$type", "")) if isinstance(v, dict) else ""
            if t.endswith("#threadItemPost") and isinstance(v, dict):
                self.any_post(v.get("post"), where, "thread post")
            elif t.endswith(("#threadItemNotFound", "#threadItemBlocked")):
                self.report.records += 1
                node = {"uri": it.get("uri"), "blocked": t.endswith("Blocked")}
                self.unavailable(node, where, "thread post")
            else:
                self.report.records += 1
                self.report.skip(f"thread item not read: {t or 'untyped'}", where=where)

    def feed_item(self, item: Any, where: str) -> None:
        if not isinstance(item, dict) or not isinstance(item.get("post"), dict):
            self.report.records += 1
            self.report.skip("feed item without a post", where=where)
            return
        post = item["post"]
        self.any_post(post, where, "feed post")
        reply = item.get("reply")
        if isinstance(reply, dict):
            root = reply.get("root")
            root_uri = root.get("uri") if isinstance(root, dict) else None
            place = (None, root_uri if isinstance(root_uri, str) else None)
            for key in ("root", "parent"):
                node = reply.get(key)
                if key == "parent" and isinstance(node, dict) and node.get("uri") == root_uri:
                    continue  # a reply to the root: the same post twice
                if isinstance(node, dict) and node.get("uri") != post.get("uri"):
                    self.any_post(node, where, f"reply {key}", place)
        reason = item.get("reason")
        if isinstance(reason, dict):
            self.reason(reason, post, where)

    def reason(self, reason: dict[str, Any], post: dict[str, Any], where: str) -> None:
        t = str(reason.get("$type", ""))
        if not t.endswith("#reasonRepost"):
            self.report.noted[f"feed reason not read: {t or 'untyped'}"] += 1
            return
        self.report.records += 1
        by = self.profile(reason.get("by"))
        target = post.get("uri")
        tparsed = parse_at_uri(target)
        if by is None or tparsed is None or not is_did(tparsed[0]) or not isinstance(target, str):
            self.report.skip("repost reason without a valid reposter or post", where=where)
            return
        at = parse_iso(reason.get("indexedAt"))
        rp = parse_at_uri(reason.get("uri"))
        if rp is not None and rp[0] == by and rp[1] == _REPOST and rp[2]:
            rec = {"subject": {"uri": target, "cid": post.get("cid")}}
            _bsky._record(
                by, _REPOST, rp[2], "create", rec, at, self.sink, self.report, where, source=_SOURCE
            )
            return
        self.report.noted["repost reason without the repost's AT-URI (no repost post id)"] += 1
        self._repost_interaction(by, target, tparsed[0], at)

    def _repost_interaction(self, by: str, target: str, tdid: str, at: datetime | None) -> None:
        self.sink.add(
            "interactions",
            {
                "platform": _PLATFORM,
                "kind": "repost",
                "source_id": by,
                "target_id": tdid,
                "post_id": None,
                "target_post_id": target,
                "created_at": at,
                "source": _SOURCE,
            },
        )
        self.sink.account({"platform": _PLATFORM, "account_id": tdid, "source": _SOURCE})

    # -- likes, reposts, follows

    def likes(self, r: dict[str, Any], where: str, key: str) -> None:
        target = r["uri"]
        tp = parse_at_uri(target)
        ok = tp is not None and is_did(tp[0]) and tp[1] == _POST and bool(tp[2])
        for it in r[key]:
            self.report.records += 1
            if not ok or tp is None:
                self.report.skip(f"{key} of an invalid post AT-URI", where=where, record=target)
                continue
            actor = it.get("actor") if key == "likes" and isinstance(it, dict) else it
            by = self.profile(actor)
            if by is None:
                self.report.skip(f"{key} entry without a valid account", where=where)
                continue
            if key == "likes":
                self.sink.add(
                    "interactions",
                    {
                        "platform": _PLATFORM,
                        "kind": "like",
                        "source_id": by,
                        "target_id": tp[0],
                        "post_id": None,
                        "target_post_id": target,
                        "created_at": parse_iso(it.get("createdAt")),
                        "source": _SOURCE,
                    },
                )
                self.sink.account({"platform": _PLATFORM, "account_id": tp[0], "source": _SOURCE})
            else:
                self.report.noted["getRepostedBy entry (no repost post id or time)"] += 1
                self._repost_interaction(by, target, tp[0], None)

    def follows(self, r: dict[str, Any], where: str, key: str) -> None:
        subject = self.profile(r["subject"])
        assert subject is not None  # response_kind checked it
        for it in r[key]:
            self.report.records += 1
            other = self.profile(it)
            if other is None:
                self.report.skip(f"{key} entry without a valid DID", where=where)
                continue
            follower, friend = (subject, other) if key == "follows" else (other, subject)
            self.sink.add(
                "follows",
                {
                    "platform": _PLATFORM,
                    "follower_id": follower,
                    "friend_id": friend,
                    "source": _SOURCE,
                },
            )

    # -- lists and starter packs

    def list_view(self, lv: Any, where: str) -> str | None:
        uri = lv.get("uri") if isinstance(lv, dict) else None
        parsed = parse_at_uri(uri)
        if parsed is None or not is_did(parsed[0]) or not parsed[2]:
            self.report.skip("list view with an invalid AT-URI", where=where, record=uri)
            return None
        assert isinstance(lv, dict) and isinstance(uri, str)
        owner = self.profile(lv.get("creator")) or parsed[0]
        purpose = str(lv.get("purpose") or "")
        self.sink.add(
            "lists",
            {
                "platform": _PLATFORM,
                "list_id": uri,
                "owner_id": owner,
                "name": lv.get("name"),
                "description": lv.get("description"),
                "kind": purpose.rsplit("#", 1)[-1] or "list",
                "source": _SOURCE,
            },
        )
        return uri

    def members(self, list_id: str, items: list[Any], where: str) -> None:
        for it in items:
            self.report.records += 1
            did = self.profile(it.get("subject") if isinstance(it, dict) else None)
            if did is None:
                self.report.skip("list item without a valid subject", where=where)
                continue
            self.sink.add(
                "list_members",
                {"platform": _PLATFORM, "list_id": list_id, "account_id": did, "source": _SOURCE},
            )

    def starter_pack(self, sp: dict[str, Any], where: str) -> None:
        uri = sp.get("uri")
        parsed = parse_at_uri(uri)
        rec = sp.get("record")
        if parsed is None or not is_did(parsed[0]) or parsed[1] != _STARTER or not parsed[2]:
            self.report.skip("starter pack with an invalid AT-URI", where=where, record=uri)
            return
        self.profile(sp.get("creator"))
        if isinstance(rec, dict):
            _bsky._record(
                parsed[0],
                _STARTER,
                parsed[2],
                "create",
                rec,
                None,
                self.sink,
                self.report,
                where,
                source=_SOURCE,
            )
        else:
            self.report.skip("starter pack view without its record", where=where, record=uri)
        lst = sp.get("list")
        list_id = self.list_view(lst, where) if isinstance(lst, dict) else None
        sample = sp.get("listItemsSample")
        if list_id is not None and isinstance(sample, list) and sample:
            self.report.noted["starter pack members: only the sample the view carries"] += 1
            self.members(list_id, sample, where)

    # -- records

    def record(self, r: dict[str, Any], where: str) -> None:
        """A ``getRecord`` value ``{uri, cid, value}``: read as from a repository."""
        uri = r.get("uri")
        parsed = parse_at_uri(uri)
        if parsed is None or not is_did(parsed[0]) or not parsed[1] or not parsed[2]:
            self.report.skip("record with an invalid AT-URI", where=where, record=uri)
            return
        did, coll, rkey = parsed
        value = r.get("value")
        t = value.get("$type") if isinstance(value, dict) else None
        if t is not None and t != coll:
            self.report.skip(
                "record whose $type is not its collection", where=where, record=f"{t} in {coll}"
            )
            return
        _bsky._record(
            did, coll, rkey, "create", value, None, self.sink, self.report, where, source=_SOURCE
        )

    # -- dispatch

    def response(self, r: Any, where: str) -> None:
        kind = response_kind(r)
        rep = self.report
        if kind is None:
            rep.skip("not a Bluesky AppView response", where=where, record=str(r)[:200])
            return
        assert isinstance(r, dict)
        many = kind in {
            "thread",
            "feed",
            "posts",
            "likes",
            "reposted_by",
            "follows",
            "followers",
            "list",
            "lists",
            "starter_packs",
            "profiles",
            "records",
        }
        if many:
            rep.records -= 1  # the response is a container; its items are the records
        if kind == "thread":
            if isinstance(r["thread"], list):
                self.thread_v2(r["thread"], where)
            else:
                self.thread(r["thread"], where)
        elif kind == "feed":
            for it in r["feed"]:
                self.feed_item(it, where)
        elif kind == "posts":
            for pv in r["posts"]:
                self.any_post(pv, where)
        elif kind == "post_view":
            rep.records -= 1
            self.any_post(r, where)
        elif kind in ("likes", "reposted_by"):
            self.likes(r, where, "likes" if kind == "likes" else "repostedBy")
        elif kind in ("follows", "followers"):
            self.follows(r, where, kind)
        elif kind == "list":
            list_id = self.list_view(r["list"], where)
            if list_id is not None:
                self.members(list_id, r["items"], where)
        elif kind == "lists":
            for lv in r["lists"]:
                rep.records += 1
                self.list_view(lv, where)
        elif kind == "starter_pack":
            self.starter_pack(r["starterPack"], where)
        elif kind == "starter_packs":
            for sp in r["starterPacks"]:
                rep.records += 1
                if isinstance(sp, dict):
                    self.starter_pack(sp, where)
                else:
                    rep.skip("starter pack is not a JSON object", where=where)
        elif kind == "profiles":
            for p in next(r[k] for k in _PROFILE_LISTS if isinstance(r.get(k), list)):
                rep.records += 1
                if self.profile(p) is None:
                    rep.skip("profile view without a valid DID", where=where)
        elif kind == "profile":
            self.profile(r)
        elif kind == "describe_repo":
            did = r["did"]
            ok = r.get("handleIsCorrect") is not False and is_handle(r.get("handle"))
            self.sink.account(
                {
                    "platform": _PLATFORM,
                    "account_id": did,
                    "handle": r["handle"] if ok else None,
                    "source": _SOURCE,
                },
                full=True,
            )
        elif kind == "records":
            for rec in r["records"]:
                rep.records += 1
                if isinstance(rec, dict):
                    self.record(rec, where)
                else:
                    rep.skip("record is not a JSON object", where=where)
        elif kind == "record":
            self.record(r, where)
        elif kind == "empty_page":
            rep.records -= 1
            rep.noted["empty response page"] += 1
        elif kind == "resolve_handle":
            rep.skip("resolveHandle response: a DID without the handle it resolves", where=where)
        elif kind == "bare_record":
            rep.skip(
                f"bare {r.get('$type')} record without its AT-URI: the author is unknown",
                where=where,
                record=str(r)[:200],
            )


def _int(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


@register(
    "bluesky-api",
    sniff=_sniff,
    description="Bluesky AppView API responses (getPostThread, getFollows, feeds, lists, ...)",
    priority=6,
)
def read_bluesky_api(
    src: Source, report: ReadReport, chunk_rows: int, **_options: Any
) -> Iterator[tuple[str, pa.Table]]:
    """Read saved Bluesky AppView responses into canonical tables (see the module docstring).

    Parameters
    ----------
    src : Source
        A JSON document or JSON lines of responses.
    report : ReadReport
        Counts records read, rows kept and records skipped (with the reason).
    chunk_rows : int
        Maximum rows per yielded chunk.

    Yields
    ------
    (str, pyarrow.Table)
        Canonical table name and a chunk conforming to its schema.
    """
    report.format = "bluesky-api"
    sink = RowSink(report, chunk_rows)
    reader = _Reader(sink, report)
    for where, value in iter_json_records(src, report):
        reader.response(value, f"{src.name}:{where}")
        yield from _sliced(sink.ready(), chunk_rows)
    yield from _sliced(sink.flush(), chunk_rows)


def _sliced(
    chunks: Iterator[tuple[str, pa.Table]], chunk_rows: int
) -> Iterator[tuple[str, pa.Table]]:
    """At most ``chunk_rows`` rows per chunk (one response can add more rows than that)."""
    for name, table in chunks:
        for start in range(0, table.num_rows, max(chunk_rows, 1)):
            yield name, table.slice(start, chunk_rows)
