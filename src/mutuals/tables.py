"""The canonical tables every reader writes and every measure reads.

Readers of real data (X API v2/v1.1/GNIP, the X archive, Bluesky, Mastodon,
edge lists) and the simulator's run output all land in these Arrow schemas, so
one implementation of each measure in :mod:`mutuals.metrics` serves both.

Identifiers are the platform's own, as strings (X snowflakes, Bluesky DIDs and
AT-URIs, Mastodon ids), qualified by the ``platform`` column: the key of a row is
``(platform, id)``. Times are UTC microseconds. Counts that the platform
reported (``followers_count``) are kept apart from counts measured in the data.

Tables
------
accounts       one row per account seen (author, follower, mentioned, list member)
follows        directed follow edges, follower -> friend (a post flows friend -> follower)
posts          every post: original, repost, reply, quote; text cleaned for reading
interactions   account-to-account edges: repost, reply, quote, mention, like
lists          curated lists, Bluesky starter packs and feeds of accounts
list_members   membership of accounts in lists
tombstones     deleted records (a Bluesky follow, like or repost delete): a row of
               follows or interactions whose ``record_id`` is here is dropped by
               every merge, in the same ingest and in later ones
"""

from __future__ import annotations

import pyarrow as pa

__all__ = [
    "ACCOUNTS",
    "EXPOSURES_SCHEMA",
    "FOLLOWS",
    "INTERACTIONS",
    "INTERACTION_KINDS",
    "LISTS",
    "LIST_MEMBERS",
    "POSTS",
    "POST_KINDS",
    "SCHEMAS",
    "STEPS_SCHEMA",
    "TOMBSTONES",
    "empty_table",
]

_TS = pa.timestamp("us", tz="UTC")

#: Values of ``posts.kind``.
POST_KINDS = ("post", "repost", "reply", "quote")
#: Values of ``interactions.kind``.
INTERACTION_KINDS = ("repost", "reply", "quote", "mention", "like")

ACCOUNTS = pa.schema(
    [
        pa.field(
            "platform", pa.string(), nullable=False
        ),  # "x", "bluesky", "mastodon", "sim", "graph"
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("handle", pa.string()),  # screen name / handle / acct, without "@"
        pa.field("display_name", pa.string()),
        pa.field("description", pa.string()),
        pa.field("created_at", _TS),
        pa.field("followers_count", pa.int64()),  # as reported by the platform
        pa.field("following_count", pa.int64()),
        pa.field("posts_count", pa.int64()),
        pa.field("verified", pa.bool_()),
        pa.field("protected", pa.bool_()),
        pa.field("community", pa.string()),  # a label the data carries, if any
        pa.field("leaning", pa.float64()),  # left-right position if known (<0 left)
        pa.field("observed_at", _TS),  # when the reported counts were true
        pa.field("source", pa.string()),  # reader name that produced the row
        # added later: readers that emit rows as tuples leave trailing columns out
        pa.field("role", pa.string()),  # what the account is, if known: member, news, thinker, ...
    ]
)

FOLLOWS = pa.schema(
    [
        pa.field("platform", pa.string(), nullable=False),
        pa.field("follower_id", pa.string(), nullable=False),
        pa.field("friend_id", pa.string(), nullable=False),  # the account being followed
        pa.field("created_at", _TS),  # known on Bluesky; null where the platform hides it
        pa.field("source", pa.string()),
        # the platform's id of the record that made the edge (Bluesky AT-URI), so
        # that a later delete of that record (a tombstone) removes it
        pa.field("record_id", pa.string()),
    ]
)

_MEDIA = pa.struct(
    [
        pa.field("type", pa.string()),  # photo, video, animated_gif, image, external
        pa.field("url", pa.string()),
        pa.field("alt", pa.string()),
    ]
)

POSTS = pa.schema(
    [
        pa.field("platform", pa.string(), nullable=False),
        pa.field("post_id", pa.string(), nullable=False),
        pa.field("author_id", pa.string()),
        pa.field("created_at", _TS),
        pa.field("kind", pa.string(), nullable=False),  # one of POST_KINDS
        pa.field(
            "text", pa.string()
        ),  # readable: links expanded, entities unescaped, HTML stripped
        pa.field("text_raw", pa.string()),  # as the platform delivered it
        pa.field("display_start", pa.int32()),  # X display_text_range (code points); null = 0
        pa.field("lang", pa.string()),
        pa.field("parent_id", pa.string()),  # replied-to post
        pa.field("parent_author_id", pa.string()),
        pa.field("root_id", pa.string()),  # conversation / thread root
        pa.field("quote_id", pa.string()),  # quoted post
        pa.field("quote_url", pa.string()),  # link to the quoted post when it is not in the data
        pa.field("repost_of_id", pa.string()),  # reposted post
        pa.field("hashtags", pa.list_(pa.string())),  # lower-cased, without "#"
        pa.field("mentions", pa.list_(pa.string())),  # account ids where known, else handles
        pa.field("urls", pa.list_(pa.string())),  # expanded http(s) links
        pa.field("media", pa.list_(_MEDIA)),
        pa.field("like_count", pa.int64()),
        pa.field("repost_count", pa.int64()),
        pa.field("reply_count", pa.int64()),
        pa.field("quote_count", pa.int64()),
        pa.field("edit_of_id", pa.string()),  # first version's id when this is an edit
        pa.field("edited_at", _TS),
        pa.field("deleted", pa.bool_()),  # known deleted / withheld / unavailable
        pa.field("url", pa.string()),  # permalink
        pa.field("source", pa.string()),
        # added later: readers that emit rows as tuples leave trailing columns out
        pa.field("stance", pa.float64()),  # position the post shows, if known (<0 left)
    ]
)

INTERACTIONS = pa.schema(
    [
        pa.field("platform", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),  # one of INTERACTION_KINDS
        pa.field("source_id", pa.string(), nullable=False),  # the account acting
        pa.field("target_id", pa.string()),  # the account acted upon (author of target post)
        pa.field("post_id", pa.string()),  # the acting post (null for likes)
        pa.field("target_post_id", pa.string()),
        pa.field("created_at", _TS),
        pa.field("source", pa.string()),
        pa.field("record_id", pa.string()),  # as in follows (a like's or repost's AT-URI)
    ]
)

LISTS = pa.schema(
    [
        pa.field("platform", pa.string(), nullable=False),
        pa.field("list_id", pa.string(), nullable=False),
        pa.field("owner_id", pa.string()),
        pa.field("name", pa.string()),
        pa.field("description", pa.string()),
        pa.field("kind", pa.string()),  # "list", "starter_pack", "curatelist", "modlist"
        pa.field("created_at", _TS),
        pa.field("source", pa.string()),
    ]
)

LIST_MEMBERS = pa.schema(
    [
        pa.field("platform", pa.string(), nullable=False),
        pa.field("list_id", pa.string(), nullable=False),
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("added_at", _TS),
        pa.field("source", pa.string()),
    ]
)

TOMBSTONES = pa.schema(
    [
        pa.field("platform", pa.string(), nullable=False),
        pa.field("record_id", pa.string(), nullable=False),  # the deleted record (AT-URI)
        pa.field("collection", pa.string()),  # e.g. "app.bsky.graph.follow"
        pa.field("deleted_at", _TS),
        pa.field("source", pa.string()),
    ]
)

#: Table name -> schema, in the order a store writes them.
SCHEMAS: dict[str, pa.Schema] = {
    "accounts": ACCOUNTS,
    "follows": FOLLOWS,
    "posts": POSTS,
    "interactions": INTERACTIONS,
    "lists": LISTS,
    "list_members": LIST_MEMBERS,
    "tombstones": TOMBSTONES,
}


# --------------------------------------------------------------------------- runs
#: Columns of a simulated run's ``steps`` table (one row per measurement).
STEPS_SCHEMA = pa.schema(
    [
        ("tick", pa.int32()),
        ("day", pa.float64()),
        ("sessions", pa.int64()),
        ("posts", pa.int64()),
        ("deliveries", pa.int64()),
        ("feed_quality", pa.float64()),
        ("topic_repetition", pa.float64()),
        ("source_repetition", pa.float64()),
        ("tau_b", pa.float64()),
        ("follows", pa.int64()),
        ("unfollows", pa.int64()),
        ("share_away", pa.float64()),
        ("median_followers", pa.float64()),
        ("share_under_1k", pa.float64()),
    ]
)


#: Columns of a simulated run's ``exposures`` table: cumulative reads of posts by
#: authors of one community by readers of another, at each measured tick. Real
#: data holds no exposures; the isolation measures of :mod:`mutuals.metrics`
#: read this table on runs and the follow and interaction tables on both.
EXPOSURES_SCHEMA = pa.schema(
    [
        ("tick", pa.int32()),
        ("author_community", pa.string()),
        ("reader_community", pa.string()),
        ("exposures", pa.int64()),
    ]
)


def empty_table(name: str) -> pa.Table:
    """An empty table with the canonical schema ``name``."""
    return SCHEMAS[name].empty_table()
