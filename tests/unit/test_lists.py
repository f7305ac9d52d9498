"""Suggested lists (mutuals.metrics.lists) on planted stores: who lands on which
list and why, who is left out (already followed, inactive, hostile), and the
change in outside exposure against a hand computation on the home feed."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pyarrow as pa
import pytest

from mutuals.errors import InputError
from mutuals.io.store import conform
from mutuals.metrics.graph import follow_graph
from mutuals.metrics.homefeed import feed_posts
from mutuals.metrics.lists import (
    ListRules,
    analyze_communities,
    exposure_change,
    find_account,
    suggest_lists,
)
from mutuals.report.lists import (
    DID_PLACEHOLDER,
    bluesky_records,
    lists_for_tables,
    mastodon_csv,
    tid,
)

T0 = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
TS = pa.timestamp("us", tz="UTC")

# Communities A (a1..a4), B (b1..b3), C (t1), news (n1). a1 is the account.
COMMUNITY = {
    "a1": "A", "a2": "A", "a3": "A", "a4": "A",
    "b1": "B", "b2": "B", "b3": "B",
    "t1": "C", "n1": "news",
}  # fmt: skip
# a1 reads a2 and a3; t1 is followed by three of A and two of B (spread 2, the most
# followers); everyone else has at most one follower.
FOLLOWS = [("a1", "a2"), ("a1", "a3"), ("a2", "t1"), ("a3", "t1"), ("a4", "t1")]
FOLLOWS += [("b1", "t1"), ("b2", "t1")]


def _post(pid, author, hour, kind="post", repost_of=None, parent=None, urls=None):
    return {
        "post_id": pid,
        "author_id": author,
        "created_at": T0 + dt.timedelta(hours=hour),
        "kind": kind,
        "repost_of_id": repost_of,
        "parent_id": parent,
        "urls": urls,
    }


# a3 reposts b1's p4 at hour 6: its source is b1, from outside A.
POSTS = [
    _post("p1", "a2", 1),
    _post("p2", "a3", 2),
    _post("p3", "a2", 3),
    _post("p4", "b1", 4),
    _post("p5", "b2", 5),
    _post("p6", "a3", 6, "repost", repost_of="p4"),
    _post("p7", "a4", 7),
    _post("t", "t1", 0.5),
    _post("n", "n1", 0.2, urls=["https://news.example/1"]),
]
# b3 replies four times to a2 and a3 and nobody of A answers: hostile
POSTS += [_post(f"r{i}", "b3", 8 + i, "reply", parent="p1") for i in range(4)]


def _interactions(posts: list[dict], extra: list[tuple[str, str, str]] = ()) -> pa.Table:
    by_id = {p["post_id"]: p for p in posts}
    rows = []
    for p in posts:
        if p["kind"] == "repost":
            target = by_id[p["repost_of_id"]]["author_id"]
            rows.append(("repost", p["author_id"], target, p["post_id"]))
        if p["kind"] == "reply":
            target = by_id[p["parent_id"]]["author_id"]
            rows.append(("reply", p["author_id"], target, p["post_id"]))
    rows += [(k, s, t, None) for k, s, t in extra]
    return conform(
        "interactions",
        pa.table(
            {
                "platform": ["x"] * len(rows),
                "kind": [r[0] for r in rows],
                "source_id": [r[1] for r in rows],
                "target_id": [r[2] for r in rows],
                "post_id": pa.array([r[3] for r in rows], pa.string()),
            }
        ),
    )


def _tables(
    community: dict[str, str | None] | None = None,
    leaning: dict[str, float] | None = None,
    follows: list[tuple[str, str]] | None = None,
    posts: list[dict] | None = None,
    extra: list[tuple[str, str, str]] = (),
) -> dict[str, pa.Table]:
    community = COMMUNITY if community is None else community
    ids = list(COMMUNITY)
    posts = POSTS if posts is None else posts
    follows = FOLLOWS if follows is None else follows
    acc = {
        "platform": ["x"] * len(ids),
        "account_id": ids,
        "handle": [f"h_{i}" for i in ids],
        "community": pa.array([community.get(i) for i in ids], pa.string()),
        "leaning": pa.array([(leaning or {}).get(i) for i in ids], pa.float64()),
    }
    cols = {k: [p[k] for p in posts] for k in posts[0]}
    cols["created_at"] = pa.array(cols["created_at"], TS)
    cols["urls"] = pa.array(cols["urls"], pa.list_(pa.string()))
    return {
        "accounts": conform("accounts", pa.table(acc)),
        "follows": conform(
            "follows",
            pa.table(
                {
                    "platform": ["x"] * len(follows),
                    "follower_id": [u for u, _ in follows],
                    "friend_id": [v for _, v in follows],
                }
            ),
        ),
        "posts": conform("posts", pa.table({"platform": ["x"] * len(posts), **cols})),
        "interactions": _interactions(posts, extra),
    }


def _suggest(t: dict[str, pa.Table], who: str = "a1", **rules):
    g = follow_graph(t["accounts"], t["follows"])
    comm = analyze_communities(g, t["accounts"])
    node = find_account(g, t["accounts"], who)
    rules.setdefault("k", 3)
    res = suggest_lists(
        g, t["accounts"], t["posts"], t["interactions"], comm, node, rules=ListRules(**rules)
    )
    return g, res


def _ids(res, kind: str) -> list[str]:
    return res.list(kind).members.column("account_id").to_pylist()


def test_disagree_list_takes_other_communities_never_the_accounts_own() -> None:
    _, res = _suggest(_tables())
    disagree = _ids(res, "disagree")
    assert set(disagree) == {"b1", "b2"}  # b3 is hostile, t1 is a thinker, n1 news
    assert all(COMMUNITY[i] != "A" for i in disagree)
    assert "a4" not in disagree  # active, not followed, but in A with no leaning
    # ranked by followers in the data, then posts: b1 and b2 have none, one post each
    assert disagree == ["b1", "b2"]
    rows = res.list("disagree").members.to_pylist()
    assert rows[0]["reason"].startswith("in community 'B' (yours: 'A')")
    assert rows[0]["community"] == "B" and rows[0]["posts"] == 1


def test_hostile_accounts_are_excluded_until_the_community_engages_back() -> None:
    _, res = _suggest(_tables())
    assert "b3" not in _ids(res, "disagree")
    assert res.excluded["hostile"] == 1
    # one like from A on b3: 1 >= 0.1 * 4 replies, no longer hostile
    _, res = _suggest(_tables(extra=[("like", "a2", "b3")]))
    assert "b3" in _ids(res, "disagree")
    row = next(r for r in res.list("disagree").members.to_pylist() if r["account_id"] == "b3")
    assert row["toward_your_community"] == 4 and row["back_from_your_community"] == 1
    assert res.excluded["hostile"] == 0
    # a stricter ratio makes it hostile again
    _, res = _suggest(_tables(extra=[("like", "a2", "b3")]), hostile_back_ratio=0.5)
    assert "b3" not in _ids(res, "disagree")


def test_far_leaning_counts_inside_the_community() -> None:
    lean = {"a1": -0.8, "a4": 0.5, "b1": -0.7}
    _, res = _suggest(_tables(leaning=lean))
    disagree = _ids(res, "disagree")
    assert "a4" in disagree  # 1.3 apart, in A
    row = next(r for r in res.list("disagree").members.to_pylist() if r["account_id"] == "a4")
    assert row["leaning_distance"] == pytest.approx(1.3)
    assert "leaning +0.50 (yours: -0.80, 1.30 apart)" in row["reason"]
    _, res = _suggest(_tables(leaning=lean), leaning_gap=1.5)
    assert "a4" not in _ids(res, "disagree")


def test_news_list_uses_the_news_label() -> None:
    _, res = _suggest(_tables())
    assert _ids(res, "news") == ["n1"]
    assert (
        res.list("news").members.column("reason")[0].as_py().startswith("labelled news in the data")
    )
    assert "n1" not in _ids(res, "disagree") + _ids(res, "thinkers")


def test_news_list_uses_the_role_where_the_community_says_nothing() -> None:
    """A simulated store labels outlets by ``accounts.role``; its communities are
    the simulator's groups. n1 sits in community C with the role ``news``."""
    t = _tables(community={**COMMUNITY, "n1": "C"})
    role = ["news" if i == "n1" else "member" for i in t["accounts"]["account_id"].to_pylist()]
    acc = t["accounts"]
    t["accounts"] = acc.set_column(
        acc.schema.get_field_index("role"), "role", pa.array(role, pa.string())
    )
    _, res = _suggest(t)
    assert _ids(res, "news") == ["n1"]
    assert "accounts.role" in res.list("news").rule
    # without the role, n1 is a widely read account of C, not news
    _, res = _suggest(_tables(community={**COMMUNITY, "n1": "C"}))
    assert "n1" not in _ids(res, "news")


def test_news_list_without_labels_takes_widely_followed_link_posters() -> None:
    community = {**COMMUNITY, "n1": "C", "b3": "B"}
    # o = n1 here: followed by two of A and two of B, 3 of its 4 posts carry links
    posts = [p for p in POSTS if p["author_id"] != "n1"]
    posts += [
        _post(f"n{i}", "n1", 0.1 * i, urls=["https://x.example"] if i < 3 else None)
        for i in range(4)
    ]
    follows = [*FOLLOWS, ("a2", "n1"), ("a4", "n1"), ("b1", "n1"), ("b2", "n1")]
    _, res = _suggest(_tables(community=community, posts=posts, follows=follows))
    assert _ids(res, "news") == ["n1"]
    row = res.list("news").members.to_pylist()[0]
    assert row["link_posts"] == 3 and row["own_posts"] == 4 and row["spread"] == 2
    assert "3 of its 4 own posts carry a link (75%)" in row["reason"]
    assert res.list("news").rule.startswith("no account is labelled news")
    # 75% of posts with links is below a bar of 80%
    _, res = _suggest(_tables(community=community, posts=posts, follows=follows), link_share=0.8)
    assert _ids(res, "news") == []
    # followed from one community only: not news
    follows_a = [*FOLLOWS, ("a2", "n1"), ("a4", "n1")]
    _, res = _suggest(_tables(community=community, posts=posts, follows=follows_a))
    assert _ids(res, "news") == []


def test_thinkers_are_widely_followed_from_several_communities_outside() -> None:
    _, res = _suggest(_tables())
    assert _ids(res, "thinkers") == ["t1"]
    row = res.list("thinkers").members.to_pylist()[0]
    assert row["followers"] == 5 and row["spread"] == 2
    assert row["followers_from_your_community"] == 3
    assert "t1" not in _ids(res, "disagree")  # the lists are disjoint
    # followed from A only: not widely read across communities
    follows = [e for e in FOLLOWS if not e[0].startswith("b")]
    _, res = _suggest(_tables(follows=follows))
    assert _ids(res, "thinkers") == []
    assert "t1" in _ids(res, "disagree")
    # a thinker in the account's own community is not "outside"
    _, res = _suggest(_tables(community={**COMMUNITY, "t1": "A"}))
    assert _ids(res, "thinkers") == []


def test_already_followed_and_inactive_accounts_are_left_out() -> None:
    follows = [*FOLLOWS, ("a1", "b1")]
    _, res = _suggest(_tables(follows=follows))
    every = [i for k in ("news", "thinkers", "disagree") for i in _ids(res, k)]
    assert "b1" not in every and "a2" not in every and "a1" not in every
    assert res.excluded["already_followed"] == 3
    posts = [p for p in POSTS if p["author_id"] != "b2"]
    _, res = _suggest(_tables(posts=posts))
    assert "b2" not in _ids(res, "disagree")
    assert res.excluded["inactive"] == 1


def test_outside_exposure_change_equals_the_hand_computation() -> None:
    # a1's home feed at k=3 as of the latest post (hour 11): p6 (a3's repost of b1:
    # outside), p3 (a2), p2 (a3): 1 of 3 from outside A. With b1 and b2 merged in:
    # p6, p5 (b2), p4 (b1): 3 of 3 outside, 2 of them written by the list.
    _g, res = _suggest(_tables())
    e = res.list("disagree").exposure
    assert (e.items_before, e.outside_before, e.labelled_before) == (3, 1, 3)
    assert (e.items_after, e.outside_after, e.labelled_after) == (3, 3, 3)
    assert e.member_items == 2
    assert e.share_before == pytest.approx(1 / 3) and e.share_after == 1.0
    assert e.change == pytest.approx(2 / 3)
    assert res.list("disagree").members.column("feed_items").to_pylist() == [1, 1]
    # t1 posted at hour 0.5 and n1 at 0.2: too old for a feed of 3; nothing changes
    for kind in ("news", "thinkers"):
        x = res.list(kind).exposure
        assert x.change == 0.0 and x.member_items == 0
    # at k=6 the thinker's post enters: before, p6 p3 p2 p1 (4 items, 1 outside);
    # with t1, p6 p3 p2 p1 t (5 items, 2 outside: p6 and t1's post from C)
    _, res6 = _suggest(_tables(), k=6)
    x = res6.list("thinkers").exposure
    assert (x.items_before, x.outside_before, x.items_after, x.outside_after) == (4, 1, 5, 2)
    assert x.change == pytest.approx(2 / 5 - 1 / 4)
    # the combined feed at k=3 is the disagree one (the others are older)
    assert res.combined.share_after == 1.0


def test_exposure_change_at_an_earlier_time() -> None:
    t = _tables()
    g = follow_graph(t["accounts"], t["follows"])
    fp = feed_posts(t["posts"], g, t["interactions"])
    comm = analyze_communities(g, t["accounts"])
    node = find_account(g, t["accounts"], "a1")
    b = g.index.lookup(pa.array(["x"] * 2), pa.array(["b1", "b2"]))
    at = int((T0 + dt.timedelta(hours=4.5)).timestamp() * 1e6)
    # as of 4:30, k=3: before p3 p2 p1 (0 outside); with b1, b2: p4 p3 p2 (1 outside)
    e = exposure_change(g, fp, comm.labels, node, b, k=3, at=at)
    assert (e.outside_before, e.items_before, e.outside_after, e.items_after) == (0, 3, 1, 3)
    assert e.share_before == 0.0 and e.share_after == pytest.approx(1 / 3)


def test_unknown_community_gives_no_share_and_no_outside_rule() -> None:
    community = {**COMMUNITY, "a1": None}
    _, res = _suggest(_tables(community=community))
    e = res.list("disagree").exposure
    assert math.isnan(e.share_before) and math.isnan(e.share_after)
    assert res.list("disagree").nodes.size == 0  # no community and no leaning to be far from
    assert "unknown" in res.list("thinkers").rule or "unknown" in res.list("thinkers").note


def test_louvain_singletons_are_not_another_community() -> None:
    # no labels: two cliques; z posts but follows nobody and nobody follows it
    a = [f"a{i}" for i in range(5)]
    b = [f"b{i}" for i in range(5)]
    edges = [(u, v) for grp in (a, b) for u in grp for v in grp if u != v]
    edges += [("a0", "b0")]
    ids = a + b + ["z"]
    acc = conform("accounts", pa.table({"platform": ["x"] * len(ids), "account_id": ids}))
    posts = [_post(f"q{i}", u, i) for i, u in enumerate(["a1", "b1", "b2", "z"])]
    cols = {k: [p[k] for p in posts] for k in posts[0]}
    cols["created_at"] = pa.array(cols["created_at"], TS)
    cols["urls"] = pa.array(cols["urls"], pa.list_(pa.string()))
    t = {
        "accounts": acc,
        "follows": conform(
            "follows",
            pa.table(
                {
                    "platform": ["x"] * len(edges),
                    "follower_id": [u for u, _ in edges],
                    "friend_id": [v for _, v in edges],
                }
            ),
        ),
        "posts": conform("posts", pa.table({"platform": ["x"] * len(posts), **cols})),
        "interactions": conform("interactions", _interactions([])),
    }
    _g, res = _suggest(t, who="a0")
    assert res.communities_from == "louvain"
    assert set(_ids(res, "disagree")) == {"b1", "b2"}  # not z, alone in its community


def test_find_account_by_id_handle_and_platform() -> None:
    t = _tables()
    g = follow_graph(t["accounts"], t["follows"])
    assert find_account(g, t["accounts"], "b2") == find_account(g, t["accounts"], "@H_b2")
    assert find_account(g, t["accounts"], "x:b2") == find_account(g, t["accounts"], "b2")
    with pytest.raises(InputError, match=r"'nobody' is not an account id or handle in the data"):
        find_account(g, t["accounts"], "nobody")


def test_rules_are_checked_at_one_boundary() -> None:
    with pytest.raises(InputError, match="size"):
        ListRules(size=0).check()
    with pytest.raises(InputError, match="link_share"):
        ListRules(link_share=1.5).check()
    with pytest.raises(InputError, match="min_communities"):
        ListRules(min_communities=1).check()


# ----------------------------------------------------------------------------- exports


def test_tid_is_sortable_and_valid() -> None:
    a, b = tid(1_700_000_000_000_000, 0), tid(1_700_000_000_000_001, 0)
    assert len(a) == 13 and a < b and a[0] in "234567abcdefghij"
    assert set(a) <= set("234567abcdefghijklmnopqrstuvwxyz")
    assert tid(0, 0) == "2222222222222"
    with pytest.raises(InputError):
        tid(-1)


def _bsky_tables() -> dict[str, pa.Table]:
    t = _tables()
    dids = {i: f"did:plc:{i}aaaaaaaaaaaaaaaaaaaaaa"[:32] for i in COMMUNITY}

    def swap(tab: pa.Table, cols: list[str]) -> pa.Table:
        for c in cols:
            vals = [dids.get(v, v) for v in tab.column(c).to_pylist()]
            tab = tab.set_column(tab.schema.get_field_index(c), c, pa.array(vals, pa.string()))
        plat = pa.array(["bluesky"] * tab.num_rows, pa.string())
        return tab.set_column(tab.schema.get_field_index("platform"), "platform", plat)

    return {
        "accounts": swap(t["accounts"], ["account_id"]),
        "follows": swap(t["follows"], ["follower_id", "friend_id"]),
        "posts": swap(t["posts"], ["author_id"]),
        "interactions": swap(t["interactions"], ["source_id", "target_id"]),
    }


def test_bluesky_records_follow_the_lexicon() -> None:
    when = dt.datetime(2026, 1, 2, 3, 4, 5, 678_000, tzinfo=dt.UTC)
    r = lists_for_tables(_bsky_tables(), "h_a1", rules=ListRules(k=3))
    rec = bluesky_records(r, when)
    me = r.account["account_id"]
    d = rec["disagree"]
    assert d["repo"] == me and not d["repo_is_placeholder"]
    lst = d["list"]["record"]
    assert lst["$type"] == "app.bsky.graph.list"
    assert lst["purpose"] == "app.bsky.graph.defs#curatelist"
    assert 1 <= len(lst["name"]) <= 64 and len(lst["description"]) <= 300
    assert lst["createdAt"] == "2026-01-02T03:04:05.678Z"
    assert d["list"]["uri"] == f"at://{me}/app.bsky.graph.list/{d['list']['rkey']}"
    subjects = [i["record"]["subject"] for i in d["items"]]
    assert subjects == r.suggestions.list("disagree").members.column("account_id").to_pylist()
    for i in d["items"]:
        assert i["record"]["$type"] == "app.bsky.graph.listitem"
        assert i["record"]["list"] == d["list"]["uri"]
    keys = [x["list"]["rkey"] for x in rec.values()] + [
        i["rkey"] for x in rec.values() for i in x["items"]
    ]
    assert len(set(keys)) == len(keys)  # no two records share a key
    json.dumps(rec)


def test_bluesky_placeholder_and_left_out_members_off_bluesky() -> None:
    r = lists_for_tables(_tables(), "a1", rules=ListRules(k=3))
    d = bluesky_records(r, T0)["disagree"]
    assert d["repo"] == DID_PLACEHOLDER and d["repo_is_placeholder"]
    assert d["list"]["uri"].startswith(f"at://{DID_PLACEHOLDER}/app.bsky.graph.list/")
    assert d["items"] == [] and [x["account_id"] for x in d["left_out"]] == ["b1", "b2"]


def test_mastodon_csv_rows_are_list_name_and_address() -> None:
    t = _tables()
    # b1 is remote (acct names its domain); b2 is local: its domain is its posts' host
    tabs = {}
    for name, tab in t.items():
        p = pa.array(["mastodon"] * tab.num_rows, pa.string())
        tabs[name] = tab.set_column(tab.schema.get_field_index("platform"), "platform", p)
    handles = [
        "b1@remote.example" if i == "b1" else ("b2" if i == "b2" else f"h_{i}")
        for i in tabs["accounts"].column("account_id").to_pylist()
    ]
    acc = tabs["accounts"]
    tabs["accounts"] = acc.set_column(
        acc.schema.get_field_index("handle"), "handle", pa.array(handles, pa.string())
    )
    posts = tabs["posts"]
    urls = [
        f"https://home.example/@b2/{pid}" if a == "b2" else None
        for a, pid in zip(
            posts.column("author_id").to_pylist(), posts.column("post_id").to_pylist(), strict=True
        )
    ]
    tabs["posts"] = posts.set_column(
        posts.schema.get_field_index("url"), "url", pa.array(urls, pa.string())
    )
    r = lists_for_tables(tabs, "a1", rules=ListRules(k=3))
    text, left = mastodon_csv(r)
    lines = text.splitlines()
    assert lines[0] == "List name,Account address"
    assert "People I disagree with,b1@remote.example" in lines
    assert "People I disagree with,b2@home.example" in lines
    # t1 and n1 have no domain anywhere: left out
    assert left == 2 and len(lines) == 3


def test_leaning_in_members_table_is_null_where_unknown() -> None:
    _, res = _suggest(_tables(leaning={"a1": 0.0, "b1": 0.9}))
    m = res.list("disagree").members.to_pylist()
    by = {r["account_id"]: r for r in m}
    assert by["b1"]["leaning"] == 0.9 and by["b2"]["leaning"] is None
    assert by["b2"]["leaning_distance"] is None
    assert np.isclose(by["b1"]["leaning_distance"], 0.9)


def test_docstring_examples_run() -> None:
    import doctest

    import mutuals.metrics.lists as mod

    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
