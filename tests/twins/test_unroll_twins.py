"""The unroll index against an obviously-correct reference (helpers/naive.py) on random forests of
posts."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import naive
from helpers.posts import P, ids, table
from mutuals.report.unroll import unroll_all


def _shape_of(th) -> tuple:
    return (tuple(ids(th)), tuple(_shape_of(b) for b in th.branches))


@st.composite
def forests(draw):
    n = draw(st.integers(1, 14))
    rows = []
    authors = ["a", "b", "c"]
    ghosts = {f"9{g}": draw(st.sampled_from(authors)) for g in range(3)}
    for i in range(n):
        author = draw(st.sampled_from(authors))
        choice = draw(st.integers(0, 3))
        parent = parent_author = None
        if choice in (1, 2) and i > 0:
            j = draw(st.integers(0, i - 1))
            parent, parent_author = rows[j]["post_id"], rows[j]["author_id"]
        elif choice == 3:
            parent = draw(st.sampled_from(sorted(ghosts)))
            parent_author = ghosts[parent]
        rows.append(
            P(
                str(100 + i),
                author,
                draw(st.integers(0, 5)),
                parent=parent,
                parent_author=parent_author,
                deleted=draw(st.booleans()) and i % 3 == 0,
                kind="repost" if draw(st.integers(0, 9)) == 0 else ("reply" if parent else "post"),
            )
        )
    return rows


@settings(max_examples=300, deadline=None)
@given(forests(), st.integers(1, 3))
def test_index_matches_reference(rows: list[dict], min_posts: int) -> None:
    got = {
        th.posts[0].post_id: _shape_of(th) for th in unroll_all(table(rows), min_posts=min_posts)
    }
    assert got == naive.unroll_index(rows, min_posts)
