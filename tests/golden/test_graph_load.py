"""Loading real follow graphs."""

import gzip

import networkx as nx
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mutuals.errors import DataFormatError, InputError
from mutuals.graphs.load import load_edgelist, load_parquet_edges


def test_snap_ego_file_matches_networkx(shared_data):
    path = shared_data / "graph-snap-ego-twitter" / "sample_egos" / "18988524.edges"
    loaded = load_edgelist(path)
    G = nx.read_edgelist(path, create_using=nx.DiGraph, nodetype=int)
    G.remove_edges_from(nx.selfloop_edges(G))
    assert loaded.graph.n_accounts == G.number_of_nodes()
    assert loaded.graph.n_follows == G.number_of_edges()
    f, t = loaded.graph.edges()
    got = set(zip(loaded.labels[f].tolist(), loaded.labels[t].tolist(), strict=True))
    assert got == set(G.edges())
    indeg = dict(G.in_degree())
    assert [
        indeg[label] for label in loaded.labels.tolist()
    ] == loaded.graph.followers_count.tolist()


def test_combined_snap_graph_size(shared_data):
    loaded = load_edgelist(shared_data / "graph-snap-ego-twitter" / "twitter_combined.txt.gz")
    # SNAP publishes 81,306 nodes and 1,768,149 edges, 14 of them self-loops
    assert loaded.graph.n_accounts == 81_306
    assert loaded.report["edges_in"] == 1_768_149
    assert (
        loaded.graph.n_follows
        + loaded.report["self_follows_dropped"]
        + loaded.report["duplicates_dropped"]
        == 1_768_149
    )


def test_comments_gzip_strings_and_reverse(tmp_path):
    p = tmp_path / "g.txt.gz"
    with gzip.open(p, "wt") as fh:
        fh.write(
            "# a comment\n\nalice bob 3\nbob alice\ncarol alice\n% other comment\ncarol carol\n"
        )
    loaded = load_edgelist(p)
    assert loaded.labels.tolist() == ["alice", "bob", "carol"]
    assert loaded.report["lines_skipped_as_comments"] == 3
    assert loaded.report["self_follows_dropped"] == 1
    assert loaded.report["lines_with_extra_columns"] == 1
    assert loaded.graph.followers_count.tolist() == [2, 1, 0]
    rev = load_edgelist(p, reverse=True)
    assert rev.graph.followers_count.tolist() == [1, 1, 1]


def test_bad_edge_lists(tmp_path):
    p = tmp_path / "bad.txt"
    p.write_text("1 2\n3\n")
    with pytest.raises(DataFormatError, match=":2: expected two ids"):
        load_edgelist(p)
    p.write_text("# nothing\n")
    with pytest.raises(DataFormatError, match="no edges"):
        load_edgelist(p)
    p.write_bytes(b"\x1f\x8bnot really gzip")
    with pytest.raises(DataFormatError, match="cannot read"):
        load_edgelist(p)
    p.write_bytes(b"1 2\n\xff\xfe 3\n")
    with pytest.raises(DataFormatError):
        load_edgelist(p)
    with pytest.raises(InputError):
        load_edgelist(tmp_path / "missing.txt")


def test_parquet_edges_count_nulls(tmp_path):
    t = pa.table({"follower_id": ["a", "b", None, "c"], "friend_id": ["b", "a", "a", None]})
    pq.write_table(t, tmp_path / "f.parquet")
    loaded = load_parquet_edges(tmp_path / "f.parquet")
    assert loaded.report["null_rows_dropped"] == 2
    assert loaded.graph.n_follows == 2
    with pytest.raises(InputError, match="needs columns"):
        load_parquet_edges(tmp_path / "f.parquet", follower="src")
    assert np.array_equal(loaded.labels, np.array(["a", "b"], dtype=object))


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (pa.table({"follower_id": pa.array([], pa.string()), "friend_id": pa.array([], pa.string())}), "no follows"),
        (pa.table({"follower_id": pa.array([None], pa.string()), "friend_id": ["a"]}), "no follows"),
        (pa.table({"follower_id": [1.0, 2.0], "friend_id": [2.0, 1.0]}), "integer or string"),
        (pa.table({"follower_id": [[1], [2]], "friend_id": [[2], [1]]}), "integer or string"),
    ],
)  # fmt: skip
def test_parquet_follows_that_cannot_make_a_graph_are_one_clear_error(tmp_path, table, message):
    p = tmp_path / "f.parquet"
    pq.write_table(table, p)
    with pytest.raises(DataFormatError, match=message):
        load_parquet_edges(p)


def test_a_file_that_is_not_parquet_is_a_data_format_error(tmp_path):
    p = tmp_path / "f.parquet"
    p.write_bytes(b"\x00\x01 not parquet at all" * 10)
    with pytest.raises(DataFormatError, match="not a Parquet file"):
        load_parquet_edges(p)


def test_parquet_follows_with_integer_and_dictionary_ids_load(tmp_path):
    p = tmp_path / "f.parquet"
    pq.write_table(pa.table({"follower_id": [10, 20], "friend_id": [20, 30]}), p)
    assert load_parquet_edges(p).labels.tolist() == [10, 20, 30]
    ids = pa.array(["a", "b"]).dictionary_encode()
    pq.write_table(pa.table({"follower_id": ids, "friend_id": pa.array(["b", "c"])}), p)
    assert load_parquet_edges(p).graph.n_follows == 2


def test_edge_list_ids_beyond_int64_stay_distinct_strings(tmp_path):
    p = tmp_path / "g.txt"
    p.write_text("99999999999999999999 1\n1 2\n")
    loaded = load_edgelist(p)
    assert loaded.graph.n_follows == 2
    assert sorted(loaded.labels.tolist()) == sorted(["99999999999999999999", "1", "2"])


def test_edge_list_ids_that_differ_as_text_are_never_merged(tmp_path):
    p = tmp_path / "g.txt"
    p.write_text("007 7\n7 8\n+8 9\n")
    loaded = load_edgelist(p)
    assert loaded.graph.n_accounts == 5 and loaded.graph.n_follows == 3


def test_combined_snap_graph_triangles_equal_snaps_published_count(shared_data):
    """SNAP publishes 13,082,506 triangles for ego-Twitter (undirected, the
    graph's stats table); the oriented parallel count finds exactly that, at one
    and at two threads."""
    import numba
    from pyarrow import csv

    from mutuals.io.store import conform
    from mutuals.metrics import graph as mg

    path = shared_data / "graph-snap-ego-twitter" / "twitter_combined.txt.gz"
    t = csv.read_csv(
        path,
        read_options=csv.ReadOptions(column_names=["follower_id", "friend_id"]),
        parse_options=csv.ParseOptions(delimiter=" "),
        convert_options=csv.ConvertOptions(
            column_types={"follower_id": pa.string(), "friend_id": pa.string()}
        ),
    )
    follows = conform("follows", t.append_column("platform", pa.array(["x"] * t.num_rows)))
    g = mg.follow_graph(conform("accounts", pa.table({"platform": pa.array([], pa.string()),
                                                      "account_id": pa.array([], pa.string())})),
                        follows)  # fmt: skip
    before = numba.get_num_threads()
    try:
        counts = []
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(threads)
            counts.append(mg.clustering(g).triangles)
    finally:
        numba.set_num_threads(before)
    assert counts == [13_082_506, 13_082_506]
