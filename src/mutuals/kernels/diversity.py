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

:func:`session_repetition_reads` scores the sessions and, in the same pass over
the read log, counts what they read by reader group (community) and topic, the
engine's ``topic_reads``.
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["fold_ema", "session_repetition", "session_repetition_reads"]


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
def _sort_small(v, n):  # pragma: no cover - jitted
    """Sort ``v[:n]`` in place (insertion sort: a session reads a handful of
    items, and this allocates nothing, unlike ``np.sort``)."""
    for i in range(1, n):
        x = v[i]
        j = i - 1
        while j >= 0 and v[j] > x:
            v[j + 1] = v[j]
            j -= 1
        v[j + 1] = x


@nb.njit(cache=True)
def _scan(read_log, root, topic, author, n_topics, group, counts, count):  # pragma: no cover
    """One pass over ``read_log``: each row's ``(topic, source)`` repetition, and,
    when ``count``, ``counts[group[s], topic of the root] += 1`` for every item row
    ``s`` read."""
    s_n, width = read_log.shape
    rep_topic = np.full(s_n, np.nan)
    rep_source = np.full(s_n, np.nan)
    tv = np.empty(width, np.int64)
    sv = np.empty(width, np.int64)
    for s in range(s_n):
        g = group[s] if count else 0
        if count and (g < 0 or g >= counts.shape[0]):
            raise ValueError("session_repetition_reads: a group outside [0, n_groups)")
        n = 0
        for j in range(width):
            p = read_log[s, j]
            if p < 0:
                continue
            rt = root[p]
            t = topic[rt]
            tv[n] = t
            sv[n] = author[rt]
            if count:
                if t < 0 or t >= counts.shape[1]:
                    raise ValueError("session_repetition_reads: a topic outside [0, n_topics)")
                counts[g, t] += 1
            n += 1
        if n < 2:
            continue
        _sort_small(tv, n)
        _sort_small(sv, n)
        rep_topic[s] = 1.0 - _norm_entropy_sorted(tv, n, n_topics)
        rep_source[s] = 1.0 - _norm_entropy_sorted(sv, n, n)
    return rep_topic, rep_source


@nb.njit(cache=True)
def session_repetition(read_log, root, topic, author, n_topics):  # pragma: no cover - jitted
    """Per row of ``read_log`` (sessions x max attention, post ids, -1 padded):
    ``(topic repetition, source repetition)``, each ``1 - H / ln(min(n, K))`` of
    the items' roots (see module docstring); NaN where undefined."""
    none = np.zeros(0, np.int64)
    return _scan(read_log, root, topic, author, n_topics, none, np.zeros((0, 0), np.int64), False)


@nb.njit(cache=True)
def session_repetition_reads(
    read_log, root, topic, author, n_topics, group, n_groups
):  # pragma: no cover - jitted
    """:func:`session_repetition` and, from the same pass, the items read by
    group and topic: ``(topic repetition, source repetition, counts)``, with
    ``counts[g, t]`` (``n_groups x n_topics``, int64) the items whose root has
    topic ``t`` read by the rows ``s`` with ``group[s] == g``. A group outside
    ``[0, n_groups)`` or a topic read outside ``[0, n_topics)`` is a ValueError."""
    counts = np.zeros((n_groups, n_topics), np.int64)
    rt, rs = _scan(read_log, root, topic, author, n_topics, group, counts, True)
    return rt, rs, counts


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
