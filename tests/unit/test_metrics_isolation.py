from __future__ import annotations

import networkx as nx
import numpy as np
import pyarrow as pa
import pytest

from helpers.tables import follows_table
from mutuals.errors import InputError
from mutuals.io.schema import empty_table
from mutuals.io.store import conform
from mutuals.metrics.graph import assign_communities, detect_communities, follow_graph
from mutuals.metrics.isolation import (
    account_leaning,
    ei_index,
    leaning_homophily,
    outside_exposure,
    posts_per_account,
)

_follows = follows_table


def _small():
    # communities: L = {a, b, c}, R = {d, e}; u has no label
    accounts = conform(
        "accounts",
        pa.table(
            {
                "platform": ["x"] * 6,
                "account_id": ["a", "b", "c", "d", "e", "u"],
                "community": ["L", "L", "L", "R", "R", None],
                "leaning": [-1.0, -0.5, -0.8, 0.9, None, 0.1],
            }
        ),
    )
    edges = [("a", "b"), ("b", "a"), ("c", "a"), ("a", "d"), ("d", "e"), ("e", "d"), ("e", "b")]
    edges += [("u", "a"), ("a", "u")]
    g = follow_graph(accounts, _follows(edges))
    return accounts, g


def test_ei_index_hand_computed():
    accounts, g = _small()
    comm = assign_communities(g, accounts)
    ei = ei_index(g, comm.labels, comm.names)
    # internal: a->b, b->a, c->a, d->e, e->d = 5; external: a->d, e->b = 2; 2 with u
    assert (ei.internal, ei.external, ei.unlabelled) == (5, 2, 2)
    assert ei.ei == pytest.approx((2 - 5) / 7)
    per = {r["community"]: r for r in ei.per_community.to_pylist()}
    assert (per["L"]["internal"], per["L"]["external"]) == (3, 2)
    assert per["L"]["ei"] == pytest.approx(-1 / 5)
    assert (per["R"]["internal"], per["R"]["external"], per["R"]["members"]) == (2, 2, 2)
    assert per["R"]["ei"] == pytest.approx(0.0)


def test_outside_exposure_hand_computed():
    accounts, g = _small()
    comm = assign_communities(g, accounts)
    ex = outside_exposure(g, comm.labels, names=comm.names)
    ids = g.index.account_id.to_pylist()
    s = dict(zip(ids, ex.account_share.tolist(), strict=True))
    assert s["a"] == pytest.approx(0.5)  # follows b (L) and d (R); u unlabelled
    assert s["e"] == pytest.approx(0.5)  # follows d (R), b (L)
    assert s["b"] == 0.0 and s["c"] == 0.0 and s["d"] == 0.0
    assert np.isnan(s["u"])
    assert ex.share == pytest.approx(2 / 7)
    assert ex.mean_account_share == pytest.approx(1 / 5)
    # weighted by posts: d posted 3 times, b once
    posts = conform(
        "posts",
        pa.table(
            {
                "platform": ["x"] * 4,
                "post_id": ["1", "2", "3", "4"],
                "author_id": ["d", "d", "d", "b"],
                "kind": ["post"] * 4,
            }
        ),
    )
    w = posts_per_account(posts, g)
    exw = outside_exposure(g, comm.labels, w, names=comm.names)
    sw = dict(zip(ids, exw.account_share.tolist(), strict=True))
    assert exw.weighting == "posts"
    assert sw["a"] == pytest.approx(3 / 4)
    assert sw["e"] == pytest.approx(1 / 4)  # d (R, 3 posts) in; b (L, 1 post) out


def test_leaning_homophily():
    accounts, g = _small()
    x = account_leaning(accounts, g)
    h = leaning_homophily(g, x, bins=4)
    assert h.available
    # neighbours' mean leaning over friends with a leaning
    ids = g.index.account_id.to_pylist()
    xi = dict(zip(ids, x.tolist(), strict=True))
    xn = {"a": (-0.5 + 0.9 + 0.1) / 3, "b": -1.0, "c": -1.0, "d": np.nan, "u": -1.0}
    pairs = [(xi[k], v) for k, v in xn.items() if not np.isnan(v) and not np.isnan(xi[k])]
    a, b = np.array(pairs).T
    assert h.accounts == len(pairs)
    assert h.pearson == pytest.approx(np.corrcoef(a, b)[0, 1])
    assert sum(h.joint.column("accounts").to_pylist()) == len(pairs)


def test_correlations_equal_scipy_with_ties():
    from scipy.stats import pearsonr, rankdata, spearmanr

    from mutuals.metrics.isolation import _average_ranks, _pearson

    rng = np.random.default_rng(3)
    for _ in range(20):
        n = int(rng.integers(3, 200))
        a = rng.integers(0, 6, n).astype(float)  # many ties
        b = a * rng.normal(1, 0.5) + rng.normal(0, 2, n)
        assert _pearson(a, b) == pytest.approx(pearsonr(a, b)[0], rel=1e-12, abs=1e-12)
        rho = _pearson(_average_ranks(a), _average_ranks(b))
        assert rho == pytest.approx(spearmanr(a, b)[0], rel=1e-12, abs=1e-12)
        assert np.array_equal(_average_ranks(a), rankdata(a))


def test_leaning_not_available_is_reported_not_invented():
    _, g = _small()
    h = leaning_homophily(g, account_leaning(empty_table("accounts"), g))
    assert not h.available
    assert "no account has a leaning" in h.reason
    assert np.isnan(h.pearson) and h.joint.num_rows == 0


def test_label_shape_checked():
    _, g = _small()
    with pytest.raises(InputError, match="one community label per account"):
        ei_index(g, np.zeros(2))
    with pytest.raises(InputError, match="one leaning per account"):
        leaning_homophily(g, np.zeros(2))


def test_finnish_retweet_network_ei_matches_networkx(shared_data):
    path = (
        shared_data
        / "graph-finnish-election-2019-hashtag-retweet-networks"
        / "multiple_hashtag_networks"
        / "CLIMATE_p1.edgelist"
    )
    edges = [tuple(line.split()[:2]) for line in path.read_text().splitlines() if line.strip()]
    g = follow_graph(empty_table("accounts"), _follows(edges))
    comm = detect_communities(g, seed=3)
    assert comm.modularity > 0.3
    ei = ei_index(g, comm.labels)
    ids = g.index.account_id.to_pylist()
    lab = dict(zip(ids, comm.labels.tolist(), strict=True))
    d = nx.DiGraph()
    d.add_nodes_from(ids)  # accounts with only a self-loop are still accounts
    d.add_edges_from((a, b) for a, b in edges if a != b)
    internal = sum(1 for a, b in d.edges() if lab[a] == lab[b])
    assert ei.internal == internal
    assert ei.external == d.number_of_edges() - internal
    comms = [set(np.asarray(ids)[comm.labels == c].tolist()) for c in range(comm.n_communities)]
    q = nx.community.modularity(d.to_undirected(), comms)
    assert comm.modularity == pytest.approx(q)


def test_labelled_follower_graph_ei_matches_networkx_mixing(shared_data):
    import json

    path = shared_data / "graph-twitter-follower-egos-anwar2021" / "hersheycareers.json"
    data = json.loads(path.read_text())
    labels = data["labels"]
    edges = [(str(a), str(b)) for a, b in data["edges"]]
    accounts = conform(
        "accounts",
        pa.table(
            {
                "platform": ["x"] * len(labels),
                "account_id": list(labels),
                "community": list(labels.values()),
            }
        ),
    )
    g = follow_graph(accounts, _follows(edges))
    comm = assign_communities(g, accounts)
    assert comm.source == "accounts.community"
    ei = ei_index(g, comm.labels, comm.names)
    d = nx.DiGraph()
    d.add_nodes_from((n, {"label": lab}) for n, lab in labels.items())
    d.add_edges_from((a, b) for a, b in edges if a != b)
    labelled = [n for n in d if "label" in d.nodes[n]]
    mix = nx.attribute_mixing_matrix(d, "label", nodes=labelled, normalized=False)
    inside = float(np.trace(mix))
    across = float(mix.sum() - inside)
    assert (ei.internal, ei.external) == (inside, across)
    assert ei.ei == pytest.approx((across - inside) / (across + inside))
    assert ei.unlabelled == d.number_of_edges() - mix.sum()


def _reference_counts(g, lab, w_acc):
    """Twin of the one-pass kernels: the gathers, masks and bincounts they replaced."""
    from mutuals.metrics.isolation import ei_counts

    n = g.n_accounts
    lf, lr = lab[g.follower], lab[g.friend]
    known = (lf >= 0) & (lr >= 0)
    k = int(lab.max()) + 1 if lab.size and lab.max() >= 0 else 0
    internal, external = ei_counts(lf[known], lr[known], k)
    w = w_acc[g.friend[known]]
    out = (lf[known] != lr[known]).astype(np.float64) * w
    tot_i = np.bincount(g.follower[known], weights=w, minlength=n)
    out_i = np.bincount(g.follower[known], weights=out, minlength=n)
    return internal, external, int((~known).sum()), tot_i, out_i


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_pass_kernels_equal_the_array_reference_exactly(seed):
    """Random graph with hubs, unlabelled accounts and heavy-tailed post weights:
    the kernels' counts and float sums equal the bincount reference bit for bit."""
    from mutuals.kernels.graph import ei_edge_counts, exposure_sums

    rng = np.random.default_rng(seed)
    n = 400
    hubs = rng.integers(0, 10, 3000)
    src = rng.integers(0, n, 6000)
    dst = np.concatenate([hubs, rng.integers(0, n, 3000)])
    edges = [(str(a), str(b)) for a, b in zip(src.tolist(), dst.tolist(), strict=True)]
    g = follow_graph(empty_table("accounts"), _follows(edges))
    lab = rng.integers(-1, 5, g.n_accounts).astype(np.int64)
    w_acc = np.floor(rng.pareto(1.2, g.n_accounts) * 7.3) + rng.random(g.n_accounts)
    internal, external, unknown, tot_i, out_i = _reference_counts(g, lab, w_acc)
    ki, ke, ku = ei_edge_counts(g.follower, g.friend, lab, 5)
    kt, ko = exposure_sums(g.follower, g.friend, lab, w_acc, g.n_accounts)
    assert ki.tolist() == internal.tolist() and ke.tolist() == external.tolist()
    assert ku == unknown > 0
    assert np.array_equal(kt, tot_i) and np.array_equal(ko, out_i)
    # and through the public functions
    ei = ei_index(g, lab)
    assert (ei.internal, ei.external, ei.unlabelled) == (
        int(internal.sum()),
        int(external.sum()) // 2,
        unknown,
    )
    ex = outside_exposure(g, lab, w_acc)
    ref_share = np.divide(out_i, tot_i, out=np.full(g.n_accounts, np.nan), where=tot_i > 0)
    assert np.array_equal(ex.account_share, ref_share, equal_nan=True)


@pytest.mark.parametrize("seed", [0, 1])
def test_leaning_and_group_pair_kernels_equal_the_bincount_reference_exactly(seed):
    """Leaning sums over friends (NaN and inf leanings skipped) and follows between
    groups (with and without post weights): bit for bit the bincount reference."""
    from mutuals.kernels.graph import group_pair_sums, neighbour_sums

    rng = np.random.default_rng(seed)
    n = 300
    src = rng.integers(0, n, 5000)
    dst = np.concatenate([rng.integers(0, 8, 2500), rng.integers(0, n, 2500)])
    edges = [(str(a), str(b)) for a, b in zip(src.tolist(), dst.tolist(), strict=True)]
    g = follow_graph(empty_table("accounts"), _follows(edges))
    x = rng.normal(size=g.n_accounts) * 1.7
    x[rng.random(g.n_accounts) < 0.2] = np.nan
    x[:2] = np.inf
    xf = x[g.friend]
    ok = np.isfinite(xf)
    want_c = np.bincount(g.follower[ok], minlength=g.n_accounts)
    want_s = np.bincount(g.follower[ok], weights=xf[ok], minlength=g.n_accounts)
    got_c, got_s = neighbour_sums(g.follower, g.friend, x, g.n_accounts)
    assert np.array_equal(got_c, want_c) and np.array_equal(got_s, want_s)
    m = 6
    code = rng.integers(0, m, g.n_accounts).astype(np.int64)
    pair = code[g.follower] * m + code[g.friend]
    weight = np.floor(rng.pareto(1.2, g.n_accounts) * 7.3) + rng.random(g.n_accounts)
    for w, w_edge in ((weight, weight[g.friend]), (np.zeros(0), np.ones(g.n_follows))):
        cnt, tot = group_pair_sums(g.follower, g.friend, code, w, m)
        assert np.array_equal(cnt, np.bincount(pair, minlength=m * m).reshape(m, m))
        want = np.bincount(pair, weights=w_edge, minlength=m * m).reshape(m, m)
        assert np.array_equal(tot, want)
