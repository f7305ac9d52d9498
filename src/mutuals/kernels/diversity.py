"""Feed repetition of each session's reads: 1 - normalised entropy (claim C7).

For the ``n`` items a session read, with ``c_j`` items in category ``j``,
``H = -sum_j (c_j / n) ln(c_j / n)`` (Shannon 1948) and the normalised
entropy is ``H / ln(min(n, K))``, ``K`` the number of possible categories
(Pielou's evenness, 1966, with the most even spread ``n`` items allow):
``n_topics`` for topics, ``n`` for sources (the authors of what was read,
cascade roots). Repetition is one minus it: 0 when the items are as spread
as they can be, 1 when they all share one topic (or one source), and 1 when
``K = 1``. Undefined (NaN) for a session that read fewer than two items. The
same definition as :func:`mutuals.kernels.platform.feed_stats` (feeds as they
stand) and :func:`mutuals.metrics.homefeed.grouped_repetition` (reconstructed
feeds of real data).
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["fold_ema", "session_repetition"]


@nb.njit(cache=True)
def _norm_entropy_sorted(v, n, k_max):  # pragma: no cover - jitted
    """Normalised entropy of the sorted ``v[:n]``'s runs, over ``min(n, k_max)``."""
    k = min(n, k_max)
    if k <= 1:  # one possible category: every item in it
        return 0.0
    h = 0.0
    run = 1
    for j in range(1, n + 1):
        if j < n and v[j] == v[j - 1]:
            run += 1
            continue
        p = run / n
        h -= p * np.log(p)
        run = 1
    return h / np.log(k)


@nb.njit(cache=True)
def session_repetition(read_log, root, topic, author, n_topics):  # pragma: no cover - jitted
    """Per row of ``read_log`` (sessions x max attention, post ids, -1 padded):
    ``(topic repetition, source repetition)``, each ``1 - H / ln(min(n, K))`` of
    the items' roots (see module docstring); NaN where undefined."""
    s_n, width = read_log.shape
    rep_topic = np.full(s_n, np.nan)
    rep_source = np.full(s_n, np.nan)
    tv = np.empty(width, np.int64)
    sv = np.empty(width, np.int64)
    for s in range(s_n):
        n = 0
        for j in range(width):
            p = read_log[s, j]
            if p < 0:
                continue
            rt = root[p]
            tv[n] = topic[rt]
            sv[n] = author[rt]
            n += 1
        if n < 2:
            continue
        t = np.sort(tv[:n])
        a = np.sort(sv[:n])
        rep_topic[s] = 1.0 - _norm_entropy_sorted(t, n, n_topics)
        rep_source[s] = 1.0 - _norm_entropy_sorted(a, n, n)
    return rep_topic, rep_source


@nb.njit(cache=True)
def fold_ema(accounts, values, memory, current):  # pragma: no cover - jitted
    """Fold each account's new ``values`` (in order; NaN skipped) into its
    running mean ``current[a]`` (read only): ``x <- (1 - memory) x + memory v``,
    starting from ``v`` where ``x`` is NaN. Returns ``(accounts, new values)``
    for the accounts with at least one finite value, ascending."""
    order = np.argsort(accounts, kind="mergesort")
    out_a = np.empty(accounts.shape[0], np.int64)
    out_v = np.empty(accounts.shape[0], np.float64)
    m = 0
    i = 0
    while i < order.shape[0]:
        a = accounts[order[i]]
        x = current[a]
        touched = False
        while i < order.shape[0] and accounts[order[i]] == a:
            v = values[order[i]]
            if not np.isnan(v):
                x = v if np.isnan(x) else (1.0 - memory) * x + memory * v
                touched = True
            i += 1
        if touched:
            out_a[m] = a
            out_v[m] = x
            m += 1
    return out_a[:m], out_v[:m]
