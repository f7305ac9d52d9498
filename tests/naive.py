"""Slow, obviously-correct reference twins of the fast kernels (pure Python)."""

from __future__ import annotations

import numpy as np

from mutuals._random import check_random_state


def triangles(adj_sets: list[set[int]]) -> list[int]:
    """Triangles through each node, by checking every pair of neighbours."""
    out = []
    for u, nb in enumerate(adj_sets):
        nbl = sorted(nb - {u})
        t = 0
        for a in range(len(nbl)):
            for b in range(a + 1, len(nbl)):
                if nbl[b] in adj_sets[nbl[a]]:
                    t += 1
        out.append(t)
    return out


def louvain(
    weights: dict[tuple[int, int], float],
    n: int,
    seed: int,
    resolution: float = 1.0,
    tol: float = 1e-7,
) -> list[int]:
    """Louvain with the same node orders and rules as mutuals.metrics.graph.louvain.

    ``weights`` holds each undirected edge once as ``(i, j): w`` with ``i <= j``.
    Returns the community of each node before relabelling by size.
    """
    rng = check_random_state(seed)
    # adjacency as dict of dicts, symmetric; a loop (i, i) holds A_ii
    adj: list[dict[int, float]] = [dict() for _ in range(n)]
    for (i, j), w in weights.items():
        if i == j:
            adj[i][i] = adj[i].get(i, 0.0) + w
        else:
            adj[i][j] = adj[i].get(j, 0.0) + w
            adj[j][i] = adj[j].get(i, 0.0) + w
    m2 = sum(sum(row.values()) for row in adj)
    membership = list(range(n))
    if m2 == 0:
        return membership
    while True:
        nl = len(adj)
        k = [sum(row.values()) for row in adj]
        labels = list(range(nl))
        tot = [0.0] * nl
        for i in range(nl):
            tot[labels[i]] += k[i]
        order = [int(x) for x in rng.permutation(nl)]
        level_gain = 0.0
        while True:
            moves = 0
            sweep = 0.0
            for i in order:
                ci = labels[i]
                w_to: dict[int, float] = {}
                seen: list[int] = []
                for j, w in sorted(adj[i].items()):
                    if j == i:
                        continue
                    c = labels[j]
                    if c not in w_to:
                        w_to[c] = 0.0
                        seen.append(c)
                    w_to[c] += w
                tot[ci] -= k[i]
                g_ci = w_to.get(ci, 0.0) - resolution * tot[ci] * k[i] / m2
                best, best_gain = ci, g_ci
                for c in seen:
                    g = w_to[c] - resolution * tot[c] * k[i] / m2
                    if g > best_gain:
                        best, best_gain = c, g
                tot[best] += k[i]
                if best != ci:
                    labels[i] = best
                    moves += 1
                    sweep += 2 * (best_gain - g_ci)
            sweep /= m2
            level_gain += sweep
            if moves == 0 or sweep < tol:
                break
        uniq = sorted(set(labels))
        new = {c: x for x, c in enumerate(uniq)}
        if len(uniq) == nl:
            break
        membership = [new[labels[c]] for c in membership]
        if level_gain < tol:
            break
        agg: list[dict[int, float]] = [dict() for _ in uniq]
        for i in range(nl):
            for j, w in adj[i].items():
                a, b = new[labels[i]], new[labels[j]]
                agg[a][b] = agg[a].get(b, 0.0) + w
        adj = agg
    return membership


def same_partition(a: np.ndarray | list[int], b: np.ndarray | list[int]) -> bool:
    """Whether two label vectors define the same partition (up to renaming)."""
    a = np.asarray(a)
    b = np.asarray(b)
    if a.shape != b.shape:
        return False
    pairs = set(zip(a.tolist(), b.tolist(), strict=True))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))
