"""Small graphs as the metrics tests build them."""

from __future__ import annotations

import networkx as nx
import scipy.sparse as sp


def _adj_and_weights(u: nx.Graph, n: int, weighted: bool = False):
    w = {
        (min(a, b), max(a, b)): float(d.get("weight", 1.0) if weighted else 1.0)
        for a, b, d in u.edges(data=True)
    }
    rows = [a for a, b in w] + [b for a, b in w]
    cols = [b for a, b in w] + [a for a, b in w]
    data = list(w.values()) * 2
    return sp.csr_matrix((data, (rows, cols)), shape=(n, n)), w
