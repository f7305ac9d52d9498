from __future__ import annotations

import datetime as dt

import networkx as nx
import numpy as np
import pyarrow as pa
import pytest

from mutuals.errors import InputError
from mutuals.io.schema import empty_table
from mutuals.io.store import conform
from mutuals.metrics.hashtags import (
    adopter_network,
    hashtag_adopters,
    hashtag_usage_by_day,
    hashtag_uses,
    top_hashtags,
)

UTC = dt.UTC


def _t(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2024, 5, day, hour, tzinfo=UTC)


def _posts() -> pa.Table:
    return conform(
        "posts",
        pa.table(
            {
                "platform": ["x"] * 6,
                "post_id": ["1", "2", "3", "4", "5", "6"],
                "author_id": ["a", "b", "a", "c", "b", "d"],
                "created_at": pa.array(
                    [_t(1, 23), _t(2, 1), _t(2, 3), _t(3), _t(1, 1), None],
                    pa.timestamp("us", tz="UTC"),
                ),
                "kind": ["post", "post", "repost", "post", "post", "post"],
                "hashtags": [["BLM", "blm", "vote"], ["blm"], ["blm"], ["vote"], [], None],
            }
        ),
    )


def test_uses_dedupe_and_lowercase():
    u = hashtag_uses(_posts())
    pairs = sorted(zip(u["post_id"].to_pylist(), u["hashtag"].to_pylist(), strict=True))
    assert pairs == [("1", "blm"), ("1", "vote"), ("2", "blm"), ("3", "blm"), ("4", "vote")]
    only_posts = hashtag_uses(_posts(), kinds=["post"])
    assert "3" not in only_posts["post_id"].to_pylist()
    with pytest.raises(InputError, match="unknown post kinds"):
        hashtag_uses(_posts(), kinds=["tweet"])


def test_usage_by_day_top_and_adopters():
    u = hashtag_uses(_posts())
    by_day = hashtag_usage_by_day(u).to_pylist()
    assert by_day == [
        {"hashtag": "blm", "day": dt.date(2024, 5, 1), "posts": 1, "accounts": 1},
        {"hashtag": "blm", "day": dt.date(2024, 5, 2), "posts": 2, "accounts": 2},
        {"hashtag": "vote", "day": dt.date(2024, 5, 1), "posts": 1, "accounts": 1},
        {"hashtag": "vote", "day": dt.date(2024, 5, 3), "posts": 1, "accounts": 1},
    ]
    top = top_hashtags(u).to_pylist()
    assert [(r["hashtag"], r["posts"], r["accounts"]) for r in top] == [
        ("blm", 3, 2),
        ("vote", 2, 2),
    ]
    assert top[0]["first_used"] == _t(1, 23) and top[0]["last_used"] == _t(2, 3)
    ad = hashtag_adopters(u, "#BLM").to_pylist()
    assert [(r["account_id"], r["adopted_at"], r["posts"]) for r in ad] == [
        ("a", _t(1, 23), 2),
        ("b", _t(2, 1), 1),
    ]
    with pytest.raises(InputError, match="non-empty"):
        hashtag_adopters(u, "#")


def test_empty_posts():
    u = hashtag_uses(empty_table("posts"))
    assert u.num_rows == 0
    assert top_hashtags(u).num_rows == 0
    assert hashtag_usage_by_day(u).num_rows == 0
    net = adopter_network(u, empty_table("interactions"), "blm")
    assert (net.adopters, net.edges, net.components) == (0, 0, 0)


def test_adopter_network_matches_networkx():
    rng = np.random.default_rng(2)
    n = 40
    ids = [f"u{i}" for i in range(n)]
    adopters = set(ids[:25])
    posts = conform(
        "posts",
        pa.table(
            {
                "platform": ["x"] * n,
                "post_id": [f"p{i}" for i in range(n)],
                "author_id": ids,
                "created_at": pa.array([_t(1)] * n, pa.timestamp("us", tz="UTC")),
                "kind": ["post"] * n,
                "hashtags": [["tag"] if i in adopters else ["other"] for i in ids],
            }
        ),
    )
    m = 150
    src = [ids[i] for i in rng.integers(0, n, m)]
    dst = [ids[i] for i in rng.integers(0, n, m)]
    kinds = [["repost", "reply", "mention", "like"][i] for i in rng.integers(0, 4, m)]
    inter = conform(
        "interactions",
        pa.table({"platform": ["x"] * m, "kind": kinds, "source_id": src, "target_id": dst}),
    )
    net = adopter_network(hashtag_uses(posts), inter, "Tag")
    d = nx.DiGraph()
    d.add_nodes_from(adopters)
    rows = [(s, t) for s, t in zip(src, dst, strict=True) if s in adopters and t in adopters]
    rows = [(s, t) for s, t in rows if s != t]
    d.add_edges_from(rows)
    assert net.adopters == 25
    assert net.interactions == len(rows)
    assert net.edges == d.number_of_edges()
    assert net.reciprocity == pytest.approx(nx.overall_reciprocity(d))
    assert net.components == nx.number_weakly_connected_components(d)
    assert net.largest_component == max(len(c) for c in nx.weakly_connected_components(d))
    assert net.active == sum(1 for v in d if d.degree(v) > 0)
    assert sum(net.edge_table["interactions"].to_pylist()) == len(rows)


def test_blm_sample_runs_on_real_posts(shared_data):
    # the reader is another module's job; here only the hashtag lists of the real sample
    import json

    path = shared_data / "twarc2-blm-twarc2sql"
    files = sorted(path.rglob("*.jsonl"))
    if not files:
        pytest.skip("no twarc2 JSONL in twarc2-blm-twarc2sql")
    ids, authors, tags = [], [], []
    for line in files[0].read_text().splitlines():
        page = json.loads(line)
        for tw in page.get("data", []) if isinstance(page, dict) else []:
            ids.append(tw["id"])
            authors.append(tw.get("author_id"))
            ents = tw.get("entities", {}).get("hashtags", [])
            tags.append([h["tag"].lower() for h in ents])
    posts = conform(
        "posts",
        pa.table(
            {
                "platform": ["x"] * len(ids),
                "post_id": ids,
                "author_id": authors,
                "kind": ["post"] * len(ids),
                "hashtags": pa.array(tags, pa.list_(pa.string())),
            }
        ),
    )
    u = hashtag_uses(posts)
    top = top_hashtags(u, 5).to_pylist()
    assert top and top[0]["hashtag"] == "blacklivesmatter"
    expected = sum(1 for t in tags if "blacklivesmatter" in t)
    assert top[0]["posts"] == expected
