"""The tick's sessions, in order: read, engage, post.

Each session of account ``a`` reads (:mod:`.reading`: a list it reads, with
probability ``list_read_prob[a]``, else its home feed), decides on each item it
read (:mod:`.engagement`), appends its responses and maybe a new post
(:mod:`.posting`), and records follow requests for the authors it reposted or
quoted (``v < follow_on_engage[a]``) for the following phase to apply. All
randomness comes in as uniforms: one row of ``u`` per session. Parameters
that scenarios change per group are per-account arrays.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from mutuals.kernels.engagement import LIKE, NONE, REPLY, REPOST, engage
from mutuals.kernels.posting import respond, write_post
from mutuals.kernels.reading import read_home, read_list

__all__ = ["U_ITEMS", "U_LIST", "run_sessions"]

# columns of the per-session uniforms
U_POST, U_TOPIC, U_QUALITY, U_APPEAL, U_HEAT, U_LIST, U_ITEMS = range(7)


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
    read_log, diversity_decay, diversity_floor,
):  # fmt: skip  # pragma: no cover - jitted
    """Run the tick's sessions in order; append new rows to the post columns.

    ``p_post``, ``engage_scale``, ``follow_on_engage`` and ``list_read_prob``
    are per account. Counts each session's engagements in ``session_engaged``
    (zeroed by the caller) and records the items each session read in row ``s``
    of ``read_log`` (sessions x max attention, filled with -1 by the caller), in
    reading order, for the policies that act on what was seen. Returns
    ``(n_posts, n_follow_requests, n_reads, n_engagements)``. New rows are written from ``n_posts`` on; the caller
    has reserved room for ``len(sessions) * (1 + max attention)`` rows.
    """
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
        lp = list_read_prob[a]
        if n_sub > 0 and u[s, U_LIST] < lp:
            pick = int(u[s, U_LIST] / lp * n_sub)
            lst = sub_lists[sub_ptr[a] + min(pick, n_sub - 1)]
            got = read_list(lst, k, list_ptr, list_members, recent, recent_head, time, now, out)
        else:
            got = read_home(a, ring_item, ring_time, head, count, k, ranked, now, interest, topic,
                            appeal, heat, heat_weight, half_life, root, out, author,
                            diversity_decay, diversity_floor)  # fmt: skip
        n_reads += got
        for j in range(got):
            p = out[j]
            read_log[s, j] = p
            rt = root[p]
            views[rt] += 1
            exposures[community[author[rt]], community[a]] += 1
            if author[rt] == a:  # one's own post or a repost of it: read, not engaged with
                continue
            act, v = engage(a, rt, u[s, U_ITEMS + j], interest, topic, appeal, heat,
                            engage_scale[a], heat_weight, interest_lr,
                            w_like, w_repost, w_reply, w_quote)  # fmt: skip
            if act == NONE:
                continue
            n_eng += 1
            session_engaged[s] += 1
            if act == LIKE:
                likes[rt] += 1
                continue
            if act == REPOST:
                reposts[rt] += 1
            elif act == REPLY:
                replies[p] += 1
            else:
                quotes[rt] += 1
            q = n_posts
            n_posts += 1
            respond(q, a, now, act, p, rt, author, time, topic, quality, appeal, heat, kind,
                    parent, root)  # fmt: skip
            if act != REPLY:
                recent[a, recent_head[a] % R] = q
                recent_head[a] += 1
            # discovering an author through their post: maybe follow them
            if act != REPLY and v < follow_on_engage[a]:  # reposts and quotes
                follow_src[n_follow] = a
                follow_dst[n_follow] = author[rt]
                n_follow += 1
        # a new post
        if u[s, U_POST] < p_post[a]:
            q = n_posts
            n_posts += 1
            write_post(q, a, now, u[s, U_TOPIC], u[s, U_QUALITY], u[s, U_APPEAL], u[s, U_HEAT],
                       topic_pref, is_bot, quality_lambda, appeal_exponent, heat_mean,
                       heat_spread, author, time, topic, quality, appeal, heat, kind, parent,
                       root)  # fmt: skip
            recent[a, recent_head[a] % R] = q
            recent_head[a] += 1
    return n_posts, n_follow, n_reads, n_eng
