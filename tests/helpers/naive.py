"""Slow, obviously-correct reference twins of the fast kernels (pure Python)."""

from __future__ import annotations

import itertools
import math

import numpy as np

from helpers.posts import T0
from mutuals._random import check_random_state
from mutuals.io.ingest import KEYS
from mutuals.kernels.engagement import LIKE, NONE, QUOTE, REPLY, REPOST


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


def tau_b(x, y):
    nc = nd = tx = ty = 0
    for i, j in itertools.combinations(range(len(x)), 2):
        dx, dy = x[i] - x[j], y[i] - y[j]
        if dx == 0 and dy == 0:
            continue
        if dx == 0:
            tx += 1
        elif dy == 0:
            ty += 1
        elif dx * dy > 0:
            nc += 1
        else:
            nd += 1
    return (nc - nd) / math.sqrt((nc + nd + tx) * (nc + nd + ty))


def engage(x, appeal, interest, heat, scale, heat_weight, w):
    pe = min(1.0, scale * appeal * (0.5 + interest) * (1 + heat_weight * heat))
    if not x < pe:
        return NONE, 0.0
    y = x / pe * sum(w)
    edges = np.cumsum(w)
    kinds = (LIKE, REPOST, REPLY, QUOTE)
    i = int(np.searchsorted(edges, y, side="right"))
    i = min(i, 3)
    if kinds[i] == LIKE:
        return LIKE, 0.0
    if kinds[i] == REPLY:
        return REPLY, 1.0
    v = (y - (edges[i - 1] if i else 0.0)) / w[i]
    return kinds[i], min(1.0, v)


def coalesce(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """Obviously-correct twin of ingest._coalesce_table for interactions rows
    (already sorted by key then priority): last non-null value per column."""
    out: dict[tuple[object, ...], dict[str, object]] = {}
    for r in rows:
        k = tuple(r[c] for c in KEYS["interactions"])
        cur = out.setdefault(k, dict(r))
        for c, v in r.items():
            if v is not None:
                cur[c] = v
    return list(out.values())


def unroll_index(rows: list[dict], min_posts: int) -> dict[str, tuple]:
    """Thread shapes by the rule, written plainly (no edits: ids are unique here)."""
    rows = [r for r in rows if r["kind"] != "repost"]
    nodes = {
        r["post_id"]: (
            r["author_id"],
            r["created_at"],
            r["parent_id"],
            bool(r.get("deleted")),
            True,
        )
        for r in rows
    }
    for r in rows:
        if r["parent_id"] and r["parent_id"] not in nodes:
            nodes[r["parent_id"]] = (r["parent_author_id"], None, None, False, False)

    def kids(p, a):
        ks = [k for k, n in nodes.items() if n[2] == p and n[0] == a]
        return sorted(ks, key=lambda k: (nodes[k][1] is None, nodes[k][1] or T0, int(k)))

    def alive(p, a):
        n = nodes[p]
        return (n[4] and not n[3]) or any(alive(k, a) for k in kids(p, a))

    def shape(h):
        a = nodes[h][0]
        path, branches, cur = [], [], h
        while cur is not None:
            path.append(cur)
            ks = [k for k in kids(cur, a) if alive(k, a)]
            branches += ks[1:]
            cur = ks[0] if ks else None
        while path and not alive(path[-1], a):
            path.pop()
        subs = tuple(s for s in (shape(b) for b in branches) if s[0])
        return (tuple(path), subs)

    out = {}
    for h, n in nodes.items():
        par = nodes.get(n[2]) if n[2] else None
        if par is None or par[0] != n[0]:
            s = shape(h)
            real = sum(1 for p in s[0] if nodes[p][4] and not nodes[p][3])
            if s[0] and real >= min_posts:
                out[h] = s
    return out
