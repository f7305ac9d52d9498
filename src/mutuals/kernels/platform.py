"""Numba kernels of the platform engine: deliveries and feed measures
(sessions are in :mod:`mutuals.kernels.sessions`, re-exported here).

Feeds are rings: row ``r`` of ``item`` (post ids) and ``arrived`` (ticks) with
``head[r]`` the next slot to write and ``count[r]`` live entries; the newest
entry is at ``head - 1``. A session reads the top of the feed (newest first, or
ranked by predicted engagement), then may like, repost, reply to or quote what
it read and may write a new post. All randomness comes in as uniforms: one row
of ``u`` per session.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from mutuals.kernels.sessions import U_ITEMS, U_LIST, run_sessions  # re-exported

__all__ = ["U_ITEMS", "U_LIST", "deliver_ring", "feed_stats", "run_sessions"]


@nb.njit(cache=True)
def deliver_ring(first, last, author, kind, f_start, f_len, f_nbr, ring_item, ring_time, head, count, now, deliveries, root):  # fmt: skip  # pragma: no cover
    """Push posts ``first .. last-1`` (not replies) into their authors' followers' feeds.

    Returns the number of feed deliveries. Each delivery is counted on the
    row's root (``deliveries[root]``), so a cascade's reach is its root's count.
    """
    F = ring_item.shape[1]
    total = 0
    for p in range(first, last):
        if kind[p] == 2:
            continue
        a = author[p]
        s = f_start[a]
        rt = root[p]
        for t in range(s, s + f_len[a]):
            r = f_nbr[t]
            h = head[r]
            ring_item[r, h] = p
            ring_time[r, h] = now
            head[r] = (h + 1) % F
            if count[r] < F:
                count[r] += 1
            total += 1
        deliveries[rt] += f_len[a]
    return total


@nb.njit(cache=True, parallel=True)
def feed_stats(ring_item, count, topic, author, quality, root, n_topics, out_quality, out_topic_rep, out_source_rep):  # fmt: skip  # pragma: no cover
    """Per feed: mean quality, topic repetition and source repetition.

    Repetition is ``1 - H / ln K`` over the feed's live entries, ``H`` the
    Shannon entropy of their roots' topics (``K = min(n_topics, entries)``) or
    of their roots' authors, the original sources (``K = entries``); 1 when
    ``K = 1`` (every entry the same topic); NaN for feeds with fewer than two
    entries. The same definition as :mod:`mutuals.kernels.diversity` and
    :func:`mutuals.metrics.homefeed.grouped_repetition`.
    """
    n = ring_item.shape[0]
    for r in nb.prange(n):
        c = count[r]
        if c == 0:
            out_quality[r] = np.nan
            out_topic_rep[r] = np.nan
            out_source_rep[r] = np.nan
            continue
        tc = np.zeros(n_topics, np.int64)
        srcs = np.empty(c, np.int64)
        qs = 0.0
        for j in range(c):
            p = ring_item[r, j]  # slots 0..c-1 are live (rings fill from 0)
            rt = root[p]
            qs += quality[rt]
            tc[topic[rt]] += 1
            srcs[j] = author[rt]
        out_quality[r] = qs / c
        if c < 2:
            out_topic_rep[r] = np.nan
            out_source_rep[r] = np.nan
            continue
        h = 0.0
        for t in range(n_topics):
            if tc[t] > 0:
                pr = tc[t] / c
                h -= pr * np.log(pr)
        kt = min(n_topics, c)
        out_topic_rep[r] = 1.0 - h / np.log(kt) if kt > 1 else 1.0
        srcs.sort()
        h = 0.0
        run = 1
        for j in range(1, c + 1):
            if j < c and srcs[j] == srcs[j - 1]:
                run += 1
            else:
                pr = run / c
                h -= pr * np.log(pr)
                run = 1
        out_source_rep[r] = 1.0 - h / np.log(c)
