"""``mutuals lists``: suggested lists for one account, written in forms users import.

:func:`lists_for_store` runs :func:`mutuals.metrics.lists.suggest_lists` on a
canonical store (communities assigned as ``mutuals analyze`` assigns them);
:func:`write_lists` writes a lists folder (:class:`~mutuals.io.folders.FolderWriter`,
kind ``"lists"``), ``lists.json`` last:

- ``lists.json``: the account, the rules, every list with its members, the
  reason each is on it and the numbers behind it, and the change to the
  account's exposure from outside its community;
- ``lists.parquet``: one row per member (``list``, ``list_name`` and
  :data:`~mutuals.metrics.lists.MEMBER_COLUMNS`);
- ``bluesky/<kind>.json``: the list as ``app.bsky.graph.list`` and
  ``app.bsky.graph.listitem`` records (below);
- ``mastodon/lists.csv``: every list in the CSV that Mastodon's
  *Import and export > Import > Lists* reads (below);
- ``handles/<kind>.txt``: one handle per line (the account id where the
  data has no handle; a Mastodon account's full address where known).

Bluesky
-------
Each ``bluesky/<kind>.json`` holds ``repo`` (the owner's DID), ``list`` and
``items``: each of those has the ``collection``, ``rkey`` and ``record`` of one
``com.atproto.repo.createRecord`` call, and the ``uri`` the record will have.
The list record is ``{"$type": "app.bsky.graph.list", "purpose":
"app.bsky.graph.defs#curatelist", "name", "description", "createdAt"}``
(name at most 64 characters, description at most 300, as the lexicon
allows); each item is ``{"$type": "app.bsky.graph.listitem", "subject": DID,
"list": AT-URI, "createdAt"}``. Record keys are TIDs made from ``createdAt``
(the list's; an item's is one microsecond later per item) with the list's
position as clock id, so they sort in creation order and never collide.
The list's AT-URI is ``at://{repo}/app.bsky.graph.list/{rkey}``. ``repo`` is the
account's DID when it is a Bluesky account of the store; otherwise it is the
placeholder :data:`DID_PLACEHOLDER` (``repo_is_placeholder`` says which):
replace every occurrence of it with your DID before creating the records.
Members without a DID (accounts of other platforms) cannot be list items and
are named in ``left_out``.

Mastodon
--------
Mastodon reads a lists CSV with the header ``List name,Account address`` (or
without a header, in that order), one row per member; an address is
``user@domain`` (a leading ``@`` is dropped). The import *follows* every
account it adds, since a Mastodon list holds only accounts one follows. The
address of a Mastodon account is its ``acct`` when it names a domain; else
``acct@host`` with the host of one of its posts' permalinks
(``https://host/@acct/...``). Other members have no Mastodon address and are
left out (counted in ``lists.json``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from mutuals.errors import InputError
from mutuals.io.folders import FolderWriter
from mutuals.io.store import Store, conform, open_store
from mutuals.metrics.lists import (
    ListRules,
    ListSuggestions,
    SuggestedList,
    analyze_communities,
    find_account,
    suggest_lists,
)
from mutuals.report._json import json_safe
from mutuals.report.page import line

__all__ = [
    "DID_PLACEHOLDER",
    "LIST_NAMES",
    "AccountLists",
    "bluesky_records",
    "format_lists",
    "lists_for_store",
    "lists_for_tables",
    "lists_summary",
    "mastodon_addresses",
    "mastodon_csv",
    "members_table",
    "tid",
    "write_lists",
]

#: The repo of the Bluesky records when the account has no DID in the store
#: (``did:example`` is the DID specification's own example method).
DID_PLACEHOLDER = "did:example:replace-with-your-did"

#: Name of each list (at most 64 characters: the Bluesky lexicon's limit).
LIST_NAMES = {
    "news": "News outlets",
    "thinkers": "Widely read thinkers outside my community",
    "disagree": "People I disagree with",
}

_ABOUT = {
    "news": "news outlets",
    "thinkers": "widely read accounts outside your community",
    "disagree": "active accounts far from you in community or leaning who do not pile on",
}

#: Columns the lists read; post text and media stay on disk.
_COLUMNS: dict[str, tuple[str, ...]] = {
    "accounts": ("platform", "account_id", "handle", "community", "leaning", "role"),
    "follows": ("platform", "follower_id", "friend_id"),
    "posts": (
        "platform", "post_id", "author_id", "created_at", "kind", "repost_of_id", "hashtags",
        "urls", "url",
    ),
    "interactions": ("platform", "kind", "source_id", "target_id", "post_id"),
}  # fmt: skip


@dataclass(frozen=True)
class AccountLists:
    """Suggested lists for one account of a store (:func:`lists_for_store`).

    Attributes
    ----------
    suggestions : ListSuggestions
        The lists, their members and exposure changes.
    account : dict
        ``node, platform, account_id, handle, community, leaning``.
    addresses : dict of int to str
        Mastodon address of each member that has one (:func:`mastodon_addresses`).
    settings : dict
        ``seed``, ``resolution``, the rules, the store.
    """

    suggestions: ListSuggestions
    account: dict[str, Any]
    addresses: dict[int, str]
    settings: dict[str, Any]


def lists_for_tables(
    tables: Mapping[str, pa.Table],
    account: str,
    *,
    rules: ListRules | None = None,
    seed: int = 0,
    resolution: float = 1.0,
    at: int | None = None,
    source: str | None = None,
) -> AccountLists:
    """Suggested lists for ``account`` (an id, a handle or ``PLATFORM:ID``) of
    canonical tables (absent tables are empty). Communities are those of
    ``mutuals analyze`` with the same ``seed`` and ``resolution``."""
    from mutuals.metrics.graph import follow_graph

    rules = (rules or ListRules()).check()
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}")
    t: dict[str, pa.Table] = {}
    for name, cols in _COLUMNS.items():
        tab = tables.get(name)
        t[name] = (conform(name, tab) if tab is not None else _empty(name)).select(list(cols))
    g = follow_graph(t["accounts"], t["follows"])
    where = f"the store {source!r}" if source else "the tables"
    try:
        node = find_account(g, t["accounts"], account, where=where)
    except InputError as e:
        if source is None:
            raise
        hint = f"; list its ids and handles with mutuals.open_store({source!r}).table('accounts')"
        raise InputError(f"{e}{hint}") from None
    comm = analyze_communities(g, t["accounts"], seed=seed, resolution=resolution)
    sug = suggest_lists(
        g, t["accounts"], t["posts"], t["interactions"], comm, node, rules=rules, at=at
    )
    s = sug.signals
    li = float(s.leaning[node])
    who = {
        "node": node,
        "platform": g.index.platform[node].as_py(),
        "account_id": g.index.account_id[node].as_py(),
        "handle": s.handle[node],
        "community": s.community_name(node),
        "leaning": li if math.isfinite(li) else None,
        "follows": int(s.friends.size),
        "followers": int(s.followers[node]),
        "posts": int(s.posts[node]),
    }
    members = np.concatenate([lst.nodes for lst in sug.lists])
    addresses = mastodon_addresses(t["posts"], g.index.platform, s.handle, members, g)
    settings = {
        "store": source,
        "seed": seed,
        "resolution": resolution,
        "communities_from": sug.communities_from,
        "communities": len(s.names),
        "rules": rules.as_dict(),
    }
    return AccountLists(sug, who, addresses, settings)


def _empty(name: str) -> pa.Table:
    from mutuals.tables import SCHEMAS

    return SCHEMAS[name].empty_table()


def lists_for_store(store: str | Path | Store, account: str, **options: Any) -> AccountLists:
    """Open a store and run :func:`lists_for_tables` on it (see it for ``options``)."""
    s = store if isinstance(store, Store) else open_store(store)
    tables = {name: s.table(name, columns=list(cols)) for name, cols in _COLUMNS.items()}
    return lists_for_tables(tables, account, source=str(s.path), **options)


def mastodon_addresses(
    posts: pa.Table,
    platform: pa.Array,
    handle: list[str | None],
    members: np.ndarray,
    graph: Any,
) -> dict[int, str]:
    """``user@domain`` of each Mastodon member (module docstring); others absent."""
    out: dict[int, str] = {}
    need: dict[int, str] = {}
    for j in np.asarray(members, dtype=np.int64).tolist():
        if platform[j].as_py() != "mastodon" or not handle[j]:
            continue
        acct = line(handle[j]).strip().removeprefix("@")
        if "@" in acct:
            out[j] = acct
        elif acct:
            need[j] = acct
    if need and posts.num_rows and "url" in posts.column_names:
        author = graph.index.lookup(posts.column("platform"), posts.column("author_id"))
        rows = np.flatnonzero(np.isin(author, list(need)))
        urls = posts.column("url").take(pa.array(rows)).to_pylist()
        for r, url in zip(rows.tolist(), urls, strict=True):
            j = int(author[r])
            if j in out or not isinstance(url, str):
                continue
            parts = urlsplit(url)
            if (
                parts.scheme == "https"
                and parts.hostname
                and parts.path.startswith(f"/@{need[j]}/")
            ):
                out[j] = f"{need[j]}@{parts.hostname}"
    return out


# ----------------------------------------------------------------------------- exports


_B32 = "234567abcdefghijklmnopqrstuvwxyz"


def tid(us: int, clock: int = 0) -> str:
    """An AT Protocol TID: 13 base32-sortable characters of ``us << 10 | clock``
    (microseconds since the Unix epoch, a clock id 0..1023; top bit 0)."""
    if not 0 <= us < 2**53 or not 0 <= clock < 1024:
        raise InputError(f"a TID needs 0 <= microseconds < 2^53 and clock 0..1023: {us}, {clock}")
    v = (us << 10) | clock
    return "".join(_B32[(v >> (5 * (12 - i))) & 31] for i in range(13))


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def _us(t: dt.datetime) -> int:
    return int(t.timestamp()) * 1_000_000 + t.microsecond


def _who(result: AccountLists) -> str:
    a = result.account
    return line(f"@{a['handle']}" if a["handle"] else f"account {a['account_id']}")


def _description(result: AccountLists, lst: SuggestedList) -> str:
    text = (
        f"Suggested by mutuals for {_who(result)} to widen its view: {_ABOUT[lst.kind]}. "
        f"{lst.nodes.size} accounts; why each is here: lists.json."
    )
    return text if len(text) <= 300 else text[:299] + "…"


def bluesky_records(result: AccountLists, created_at: dt.datetime) -> dict[str, dict[str, Any]]:
    """Per list kind, the ``app.bsky.graph.list`` and ``listitem`` records (module docstring)."""
    a = result.account
    own = a["platform"] == "bluesky" and str(a["account_id"]).startswith("did:")
    repo = str(a["account_id"]) if own else DID_PLACEHOLDER
    when = _iso(created_at)
    base = _us(created_at)
    out: dict[str, dict[str, Any]] = {}
    for i, lst in enumerate(result.suggestions.lists):
        rkey = tid(base, i)
        uri = f"at://{repo}/app.bsky.graph.list/{rkey}"
        record = {
            "$type": "app.bsky.graph.list",
            "purpose": "app.bsky.graph.defs#curatelist",
            "name": LIST_NAMES[lst.kind],
            "description": _description(result, lst),
            "createdAt": when,
        }
        items, left_out = [], []
        m = lst.members.to_pylist()
        for j, row in enumerate(m):
            if row["platform"] == "bluesky" and str(row["account_id"]).startswith("did:"):
                t = created_at + dt.timedelta(microseconds=j + 1)
                key = tid(base + j + 1, i)
                items.append(
                    {
                        "collection": "app.bsky.graph.listitem",
                        "rkey": key,
                        "uri": f"at://{repo}/app.bsky.graph.listitem/{key}",
                        "record": {
                            "$type": "app.bsky.graph.listitem",
                            "subject": row["account_id"],
                            "list": uri,
                            "createdAt": _iso(t),
                        },
                    }
                )
            else:
                left_out.append(
                    {
                        "platform": row["platform"],
                        "account_id": row["account_id"],
                        "handle": row["handle"],
                        "why": "not a Bluesky account: a list item needs a DID",
                    }
                )
        out[lst.kind] = {
            "repo": repo,
            "repo_is_placeholder": not own,
            "how_to_import": (
                "create the list record, then each item, with com.atproto.repo.createRecord "
                "(repo, collection, rkey, record)"
                + (f"; first replace {DID_PLACEHOLDER} with your DID" if not own else "")
            ),
            "list": {
                "collection": "app.bsky.graph.list",
                "rkey": rkey,
                "uri": uri,
                "record": record,
            },
            "items": items,
            "left_out": left_out,
        }
    return out


def mastodon_csv(result: AccountLists) -> tuple[str, int]:
    """The Mastodon lists CSV (module docstring) and the members left out."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["List name", "Account address"])
    left = 0
    for lst in result.suggestions.lists:
        for j in lst.nodes.tolist():
            addr = result.addresses.get(int(j))
            if addr is None:
                left += 1
            else:
                w.writerow([LIST_NAMES[lst.kind], addr])
    return buf.getvalue(), left


def _handle_lines(result: AccountLists, lst: SuggestedList) -> str:
    rows = lst.members.select(["node", "handle", "account_id"]).to_pylist()
    out = []
    for r in rows:
        h = result.addresses.get(int(r["node"])) or r["handle"] or r["account_id"]
        out.append(line(h).strip())
    return "".join(f"{h}\n" for h in out)


def members_table(result: AccountLists) -> pa.Table:
    """One row per member of every list: ``list``, ``list_name``, then
    :data:`~mutuals.metrics.lists.MEMBER_COLUMNS`."""
    parts = []
    for lst in result.suggestions.lists:
        m = lst.members
        n = m.num_rows
        parts.append(
            m.add_column(
                0, "list_name", pa.array([LIST_NAMES[lst.kind]] * n, pa.string())
            ).add_column(0, "list", pa.array([lst.kind] * n, pa.string()))
        )
    return pa.concat_tables(parts)


def _exposure(e: Any) -> dict[str, Any]:
    d = e.as_dict()
    d["as_of"] = (
        dt.datetime.fromtimestamp(d["at"] / 1e6, dt.UTC).isoformat()
        if d["at"] is not None
        else None
    )
    return dict(d)


def lists_summary(
    result: AccountLists, created_at: dt.datetime, *, exports: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The JSON-able content of ``lists.json``."""
    sug = result.suggestions
    lists = []
    for lst in sug.lists:
        lists.append(
            {
                "kind": lst.kind,
                "name": LIST_NAMES[lst.kind],
                "description": _description(result, lst),
                "rule": lst.rule,
                "eligible": lst.eligible,
                "size": int(lst.nodes.size),
                "note": lst.note,
                "exposure": _exposure(lst.exposure),
                "members": lst.members.drop_columns(["node"]).to_pylist(),
            }
        )
    return json_safe(
        {
            "format": "mutuals-lists",
            "created_at": _iso(created_at),
            "account": {k: v for k, v in result.account.items() if k != "node"},
            "settings": result.settings,
            "excluded": sug.excluded,
            "lists": lists,
            "all_lists": _exposure(sug.combined),
            "exports": exports or {},
        }
    )


def write_lists(
    result: AccountLists,
    out: str | Path,
    *,
    overwrite: bool = False,
    writer: FolderWriter | None = None,
    created_at: dt.datetime | None = None,
) -> list[Path]:
    """Write the lists folder (module docstring) as one transaction.

    ``created_at`` (default now, UTC) is the ``createdAt`` of the Bluesky
    records and the time in ``lists.json``; give it for reproducible files.
    """
    when = created_at or dt.datetime.now(dt.UTC)
    if when.tzinfo is None:
        raise InputError("created_at needs a time zone (UTC)")
    if writer is None:
        with FolderWriter(out, "lists", overwrite=overwrite, what="--out") as w:
            return _write(w, result, when)
    return _write(writer, result, when)


def _write(w: FolderWriter, result: AccountLists, when: dt.datetime) -> list[Path]:
    bsky = bluesky_records(result, when)
    csv_text, left = mastodon_csv(result)
    exports = {
        "bluesky": {
            kind: {
                "file": f"bluesky/{kind}.json",
                "items": len(b["items"]),
                "left_out": len(b["left_out"]),
                "repo_is_placeholder": b["repo_is_placeholder"],
            }
            for kind, b in bsky.items()
        },
        "mastodon": {
            "file": "mastodon/lists.csv",
            "rows": sum(lst.nodes.size for lst in result.suggestions.lists) - left,
            "left_out": left,
            "note": "Mastodon's list import also follows every account it adds",
        },
        "handles": {kind: f"handles/{kind}.txt" for kind in bsky},
    }
    summary = lists_summary(result, when, exports=exports)
    try:
        for kind, b in bsky.items():
            w.write_text(f"bluesky/{kind}.json", json.dumps(b, indent=2) + "\n")
        for lst in result.suggestions.lists:
            w.write_text(f"handles/{lst.kind}.txt", _handle_lines(result, lst))
        w.write_text("mastodon/lists.csv", csv_text)
        tmp = w.temp_file("lists.parquet")
        pq.write_table(members_table(result), tmp)
        w.stage("lists.parquet", tmp)
        w.write_text("lists.json", json.dumps(summary, indent=2, allow_nan=False) + "\n")
        return w.commit(last="lists.json")
    except OSError as e:
        raise InputError(f"cannot write the lists to {str(w.path)!r}: {e.strerror or e}") from None


def _pct(x: float | None) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x:.1%}"


def _change(e: Any) -> str:
    return (
        f"{e.outside_before} of {e.labelled_before} items ({_pct(e.share_before)}) -> "
        f"{e.outside_after} of {e.labelled_after} ({_pct(e.share_after)})"
    )


def format_lists(result: AccountLists) -> str:
    """The lists as text, for the command line."""
    sug = result.suggestions
    a = result.account
    comm = a["community"] if a["community"] is not None else "unknown"
    out = [
        f"lists for {_who(result)} ({a['platform']}:{line(a['account_id'])}), community "
        f"{line(comm)} (from {result.settings['communities_from'] or 'nowhere'}); follows "
        f"{a['follows']:,}, {a['posts']:,} posts in the data",
        f"left out before the rules: {sug.excluded['already_followed']:,} already followed, "
        f"{sug.excluded['inactive']:,} without posts, {sug.excluded['hostile']:,} hostile",
    ]
    for lst in sug.lists:
        e = lst.exposure
        out.append("")
        out.append(
            f"{LIST_NAMES[lst.kind]}: {lst.nodes.size} of {lst.eligible:,} eligible"
            + (f" ({lst.note})" if lst.note else "")
        )
        out.append(f"  outside your community in your home feed (k={e.k}): {_change(e)}")
        out.append(f"  {e.member_items} of the {e.items_after} items come from the list")
        for r in lst.members.select(["rank", "handle", "account_id", "reason"]).to_pylist()[:5]:
            who = line(r["handle"] or r["account_id"])
            out.append(f"  {r['rank']:>2}. {who}: {line(r['reason'])}")
        if lst.nodes.size > 5:
            out.append(f"  ... {lst.nodes.size - 5} more in lists.json")
    out.append("")
    out.append(f"all lists together, outside your community: {_change(sug.combined)}")
    return "\n".join(out)
