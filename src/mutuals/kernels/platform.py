"""Numba kernels of the platform engine: sessions, deliveries, feed measures.

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

__all__ = ["deliver_ring", "feed_stats", "run_sessions"]

# columns of the per-session uniforms
U_POST, U_TOPIC, U_QUALITY, U_APPEAL, U_HEAT, U_LIST, U_ITEMS = range(7)


@nb.njit(cache=True)
def _score(reader, root, age, interest, topic, appeal, heat, heat_weight, half_life):
    """Predicted engagement of ``reader`` with post ``root`` seen ``age`` ticks ago."""
    t = topic[root]
    like = appeal[root] * (0.5 + interest[reader, t]) * (1.0 + heat_weight * heat[root])
    return like * 0.5 ** (age / half_life)


@nb.njit(cache=True)
def _read_feed(r, ring_item, ring_time, head, count, k, ranked, now, interest, topic, appeal,
               heat, heat_weight, half_life, root, out):  # fmt: skip
    """Fill ``out`` with up to ``k`` items of feed ``r`` with distinct roots:
    newest first, or (ranked) by predicted engagement, ties newest first.
    Returns how many."""
    F = ring_item.shape[1]
    n = count[r]
    order = np.arange(n)  # position j = j-th newest entry
    if ranked:
        scores = np.empty(n)
        for j in range(n):
            slot = (head[r] - 1 - j) % F
            p = ring_item[r, slot]
            age = now - ring_time[r, slot]
            scores[j] = _score(
                r, root[p], age, interest, topic, appeal, heat, heat_weight, half_life
            )
        order = np.argsort(-scores, kind="mergesort")
    got = 0
    for jj in range(n):
        p = ring_item[r, (head[r] - 1 - order[jj]) % F]
        rt = root[p]
        dup = False
        for q in range(got):
            if root[out[q]] == rt:
                dup = True
                break
        if dup:
            continue
        out[got] = p
        got += 1
        if got == k:
            break
    return got


@nb.njit(cache=True)
def run_sessions(
    sessions, u, now, ranked,
    community, attention, is_bot, interest, topic_pref,
    ring_item, ring_time, head, count,
    author, time, topic, quality, appeal, heat, kind, parent, root,
    views, reposts, replies, quotes, likes, n_posts,
    p_post, w_like, w_repost, w_reply, w_quote, engage_scale, heat_weight, half_life,
    interest_lr, quality_lambda, appeal_exponent, heat_mean, heat_spread, follow_on_engage,
    exposures, follow_src, follow_dst, session_engaged,
    list_ptr, list_members, sub_ptr, sub_lists, recent, recent_head, list_read_prob,
):  # fmt: skip  # pragma: no cover - jitted
    """Run the tick's sessions in order; append new rows to the post columns.

    Counts each session's engagements in ``session_engaged`` (zeroed by the
    caller). Returns ``(n_posts, n_follow_requests, n_reads, n_engagements)``. New rows
    are written from ``n_posts`` on; the caller has reserved room for
    ``len(sessions) * (1 + max attention)`` rows.
    """
    T = interest.shape[1]
    kmax = 0
    for i in range(attention.shape[0]):
        if attention[i] > kmax:
            kmax = attention[i]
    out = np.empty(kmax, np.int64)
    n_follow = 0
    n_reads = 0
    n_eng = 0
    R = recent.shape[1]
    for s in range(sessions.shape[0]):
        a = sessions[s]
        k = attention[a]
        # list reading replaces the home feed for this session; the same
        # uniform picks which of the account's lists (evenly)
        n_sub = sub_ptr[a + 1] - sub_ptr[a]
        got = 0
        if n_sub > 0 and u[s, U_LIST] < list_read_prob:
            pick = int(u[s, U_LIST] / list_read_prob * n_sub)
            lst = sub_lists[sub_ptr[a] + min(pick, n_sub - 1)]
            # newest posts by the list's members, from each member's recent ring
            cand = 0
            for m_i in range(list_ptr[lst], list_ptr[lst + 1]):
                cand += min(R, recent_head[list_members[m_i]])
            tmp = np.empty(cand, np.int64)
            c = 0
            for m_i in range(list_ptr[lst], list_ptr[lst + 1]):
                m = list_members[m_i]
                for j in range(min(R, recent_head[m])):
                    tmp[c] = recent[m, (recent_head[m] - 1 - j) % R]
                    c += 1
            tmp = np.sort(tmp)[::-1]  # newest ids first
            for j in range(tmp.shape[0]):
                if got == k:
                    break
                if tmp[j] >= 0:
                    out[got] = tmp[j]
                    got += 1
        else:
            got = _read_feed(a, ring_item, ring_time, head, count, k, ranked, now, interest, topic,
                             appeal, heat, heat_weight, half_life, root, out)  # fmt: skip
        n_reads += got
        w_total = w_like + w_repost + w_reply + w_quote
        for j in range(got):
            p = out[j]
            rt = root[p]
            views[rt] += 1
            exposures[community[author[rt]], community[a]] += 1
            if author[rt] == a:  # one's own post or a repost of it: read, not engaged with
                continue
            t = topic[rt]
            pe = engage_scale * appeal[rt] * (0.5 + interest[a, t]) * (1.0 + heat_weight * heat[rt])
            if pe > 1.0:
                pe = 1.0
            x = u[s, U_ITEMS + j]
            engaged = x < pe
            if interest_lr > 0.0:
                target = 1.0 if engaged else 0.0
                interest[a, t] += interest_lr * (target - interest[a, t])
            if not engaged:
                continue
            n_eng += 1
            session_engaged[s] += 1
            # x / pe is uniform on [0, 1): its segment picks the action, and the
            # position inside the segment is a fresh uniform for the follow decision
            x = x / pe * w_total
            if x < w_like:
                likes[rt] += 1
                continue
            if x < w_like + w_repost:
                kd = 1
                reposts[rt] += 1
                v = (x - w_like) / w_repost
            elif x < w_like + w_repost + w_reply:
                kd = 2
                replies[p] += 1
                v = 1.0
            else:
                kd = 3
                quotes[rt] += 1
                v = min(1.0, (x - w_like - w_repost - w_reply) / w_quote) if w_quote > 0 else 1.0
            q = n_posts
            n_posts += 1
            author[q] = a
            time[q] = now
            kind[q] = kd
            parent[q] = p if kd == 2 else rt
            root[q] = rt if kd == 1 else q
            topic[q] = topic[rt]
            quality[q] = quality[rt]  # responses carry their root's attributes
            appeal[q] = appeal[rt]
            heat[q] = heat[rt]
            if kd != 2:
                recent[a, recent_head[a] % R] = q
                recent_head[a] += 1
            # discovering an author through their post: maybe follow them
            if kd != 2 and v < follow_on_engage:
                follow_src[n_follow] = a
                follow_dst[n_follow] = author[rt]
                n_follow += 1
        # a new post
        if u[s, U_POST] < p_post:
            q = n_posts
            n_posts += 1
            # topic drawn from the account's topic preference (cumulative row)
            x = u[s, U_TOPIC]
            tp = T - 1
            for t in range(T):
                if x < topic_pref[a, t]:
                    tp = t
                    break
            author[q] = a
            time[q] = now
            kind[q] = 0
            parent[q] = -1
            root[q] = q
            topic[q] = tp
            if is_bot[a]:
                quality[q] = 0.0
            elif quality_lambda == 0.0:
                quality[q] = u[s, U_QUALITY]
            elif quality_lambda > 700.0:  # exp(lambda) overflows: the same inverse CDF, from 1
                x = u[s, U_QUALITY] + (1.0 - u[s, U_QUALITY]) * np.exp(-quality_lambda)
                quality[q] = max(0.0, 1.0 + np.log(x) / quality_lambda) if x > 0.0 else 0.0
            else:
                quality[q] = np.log1p(u[s, U_QUALITY] * np.expm1(quality_lambda)) / quality_lambda
            appeal[q] = 1.0 - (1.0 - u[s, U_APPEAL]) ** (1.0 / (1.0 + appeal_exponent))
            h = heat_mean[a] + heat_spread * (u[s, U_HEAT] - 0.5)
            heat[q] = min(1.0, max(0.0, h))
            recent[a, recent_head[a] % R] = q
            recent_head[a] += 1
    return n_posts, n_follow, n_reads, n_eng


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
    Shannon entropy of topics (``K = min(n_topics, entries)``) or of authors
    (``K = entries``); NaN for feeds with fewer than two entries.
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
            srcs[j] = author[p]
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
        out_topic_rep[r] = 1.0 - h / np.log(kt) if kt > 1 else 0.0
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
