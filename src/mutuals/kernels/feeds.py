"""Numba kernels for bounded feeds of (message, shares, age) entries.

A feed is row ``i`` of three ``(n, capacity)`` arrays (``msg``, ``shares``,
``age``) with ``flen[i]`` live entries, newest first. Arrivals follow the SimSoM
rule (Truong et al. 2024): a message already in the feed gains shares and keeps
its place; a new message enters at the front with age 0; the feed keeps its
``capacity`` youngest entries.

Two ageing rules exist (see :func:`deliver`):

``clean`` (default)
    every entry of every feed ages by one per step, whether or not the feed
    received anything, so an entry's age is the number of steps since it
    entered the feed.
``reference``
    the osome-iu/SimSoM code: a feed ages only in a step in which it receives
    messages; if none of them is already in the feed every existing entry's age
    is *set* to 1, otherwise existing ages grow by 1.
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["bucket_deliveries", "deliver", "reshare_pick"]


@nb.njit(cache=True)
def bucket_deliveries(order, act_msg, act_copies, f_start, f_len, f_nbr, n):  # pragma: no cover
    """Group the step's deliveries by receiving feed.

    Agent ``order[k]`` acted ``k``-th and produced message ``act_msg[a]`` with
    ``act_copies[a]`` copies (``act_msg[a] < 0``: no message). Each follower of
    the author receives it. Returns CSR ``(ptr, msg, copies)`` over receivers,
    each receiver's items in acting order.
    """
    cnt = np.zeros(n + 1, np.int64)
    for k in range(order.shape[0]):
        a = order[k]
        if act_msg[a] < 0:
            continue
        s = f_start[a]
        for t in range(s, s + f_len[a]):
            cnt[f_nbr[t] + 1] += 1
    for i in range(n):
        cnt[i + 1] += cnt[i]
    total = cnt[n]
    msg = np.empty(total, np.int64)
    cop = np.empty(total, np.int32)
    fill = cnt[:n].copy()
    for k in range(order.shape[0]):
        a = order[k]
        m = act_msg[a]
        if m < 0:
            continue
        c = act_copies[a]
        s = f_start[a]
        for t in range(s, s + f_len[a]):
            r = f_nbr[t]
            msg[fill[r]] = m
            cop[fill[r]] = c
            fill[r] += 1
    return cnt, msg, cop


@nb.njit(cache=True, inline="always")
def _deliver_one(r, lo, hi, in_msg, in_cop, fmsg, fsh, fage, flen, new_m, new_s, compat):
    cap = fmsg.shape[1]
    L = flen[r]
    n_new = 0
    overlap = False
    for t in range(lo, hi):
        m = in_msg[t]
        c = in_cop[t]
        found = False
        for e in range(L):
            if fmsg[r, e] == m:
                fsh[r, e] += c
                overlap = True
                found = True
                break
        if found:
            continue
        for e in range(n_new):
            if new_m[e] == m:
                new_s[e] += c
                found = True
                break
        if not found and n_new < cap:
            new_m[n_new] = m
            new_s[n_new] = c
            n_new += 1
    # age existing entries
    if compat:
        if hi > lo and L > 0:
            if overlap:
                for e in range(L):
                    fage[r, e] += 1
            else:
                for e in range(L):
                    fage[r, e] = 1
    else:
        for e in range(L):
            fage[r, e] += 1
    if n_new == 0:
        return
    keep_old = min(L, cap - n_new)
    # shift kept old entries back by n_new (from the back to avoid overwrite)
    for e in range(keep_old - 1, -1, -1):
        fmsg[r, e + n_new] = fmsg[r, e]
        fsh[r, e + n_new] = fsh[r, e]
        fage[r, e + n_new] = fage[r, e]
    for e in range(n_new):
        fmsg[r, e] = new_m[e]
        fsh[r, e] = new_s[e]
        fage[r, e] = 0
    flen[r] = n_new + keep_old


@nb.njit(cache=True, parallel=True)
def deliver(ptr, in_msg, in_cop, fmsg, fsh, fage, flen, compat):  # pragma: no cover - jitted
    """Apply one step's grouped deliveries to every feed (see module docstring).

    Feeds are independent, so blocks of feeds run in parallel; each feed's
    result depends only on its own items, in their given order, so the outcome
    is the same for any number of threads.
    """
    n = flen.shape[0]
    cap = fmsg.shape[1]
    block = 1024
    n_blocks = (n + block - 1) // block
    for b in nb.prange(n_blocks):
        new_m = np.empty(cap, np.int64)
        new_s = np.empty(cap, np.int32)
        for r in range(b * block, min(n, (b + 1) * block)):
            _deliver_one(
                r, ptr[r], ptr[r + 1], in_msg, in_cop, fmsg, fsh, fage, flen, new_m, new_s, compat
            )


@nb.njit(cache=True)
def reshare_pick(fmsg, fsh, fage, flen, r, appeal, u):  # pragma: no cover - jitted
    """Pick an entry of feed ``r`` with probability proportional to
    ``appeal * shares * exp(-0.4 * age ** 0.4)`` (SimSoM; the recency term is the
    stretched exponential of Wu & Huberman 2007). ``u`` is uniform in [0, 1).
    Returns the message id, or -1 if every weight is zero."""
    total = 0.0
    L = flen[r]
    for e in range(L):
        total += appeal[fmsg[r, e]] * fsh[r, e] * np.exp(-0.4 * fage[r, e] ** 0.4)
    if total <= 0.0:
        return -1
    x = u * total
    acc = 0.0
    for e in range(L):
        acc += appeal[fmsg[r, e]] * fsh[r, e] * np.exp(-0.4 * fage[r, e] ** 0.4)
        if x < acc:
            return fmsg[r, e]
    return fmsg[r, L - 1]
