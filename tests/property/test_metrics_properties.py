"""Invariants of the graph measures on any follow table."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.tables import follows_table
from mutuals.io.schema import empty_table
from mutuals.metrics.graph import (
    follow_graph,
    reciprocity,
)

_follows = follows_table


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), max_size=120))
def test_degrees_and_reciprocity_invariants(pairs):
    edges = [(str(a), str(b)) for a, b in pairs]
    g = follow_graph(empty_table("accounts"), _follows(edges))
    distinct = {(a, b) for a, b in edges if a != b}
    assert g.n_follows == len(distinct)
    assert g.in_degree.sum() == g.out_degree.sum() == len(distinct)
    assert g.n_rows == g.n_follows + g.n_duplicates + g.n_self_follows
    r = reciprocity(g)
    assert r.reciprocated == sum(1 for a, b in distinct if (b, a) in distinct)
