"""The platform engine as the tests drive it: measured as mutuals.run does, and its state laid out
for the session kernel (also used by benchmarks/bench_engine.py)."""

import numpy as np

from mutuals.engine.platform import Simulation as _Simulation
from mutuals.kernels import platform as kp
from mutuals.metrics.recorder import PlatformRecorder


def Simulation(*args, **kwargs):  # the engine's class, measured as mutuals.run does
    kwargs.setdefault("recorder", PlatformRecorder())
    return _Simulation(*args, **kwargs)


SMALL = {"accounts": 300, "mean_follows": 12, "ticks_per_day": 8}


def _state(sim: Simulation) -> dict:
    p = sim.params
    c = sim.posts.cols
    s = {k: c[k] for k in c}
    s.update(
        ring_item=sim.ring_item, ring_time=sim.ring_time, head=sim.head, count=sim.count,
        interest=sim.interest, topic_pref=sim.topic_pref, heat_mean=sim.heat_mean,
        recent=sim.recent, recent_head=sim.recent_head, exposures=sim.exposures,
        list_ptr=sim.list_ptr, list_members=sim.list_members, sub_ptr=sim.sub_ptr, sub_lists=sim.sub_lists,
        community=sim.accounts.community, attention=sim.accounts.attention, is_bot=sim.accounts.is_bot,
        n_posts=sim.posts.n, ranked=p.ranking == "ranked",
    )  # fmt: skip
    for k in ("w_like", "w_repost", "w_reply", "w_quote", "heat_weight", "half_life",
              "interest_lr", "quality_lambda", "appeal_exponent", "heat_spread",
              "author_diversity_decay", "author_diversity_floor"):  # fmt: skip
        s[k] = getattr(p, k)
    for k in ("p_post", "engage_scale", "follow_on_engage", "list_read_prob"):  # per account
        s[k] = getattr(sim.state, k)
    return s


def _kernel(s: dict, sessions, u, now):
    n = sessions.size
    s.setdefault("session_engaged", np.zeros(n, np.int32))
    kmax = int(s["attention"].max())
    fs = np.empty(n * kmax, np.int64)
    fd = np.empty(n * kmax, np.int64)
    s["read_log"] = np.full((n, kmax), -1, np.int64)
    out = kp.run_sessions(
        sessions, u, now, s["ranked"], s["community"], s["attention"], s["is_bot"], s["interest"], s["topic_pref"],
        s["ring_item"], s["ring_time"], s["head"], s["count"],
        s["author"], s["time"], s["topic"], s["quality"], s["appeal"], s["heat"], s["kind"], s["parent"], s["root"],
        s["views"], s["reposts"], s["replies"], s["quotes"], s["likes"], s["n_posts"],
        s["p_post"], s["w_like"], s["w_repost"], s["w_reply"], s["w_quote"], s["engage_scale"], s["heat_weight"],
        s["half_life"], s["interest_lr"], s["quality_lambda"], s["appeal_exponent"], s["heat_mean"], s["heat_spread"],
        s["follow_on_engage"], s["exposures"], fs, fd, s["session_engaged"],
        s["list_ptr"], s["list_members"], s["sub_ptr"], s["sub_lists"], s["recent"], s["recent_head"], s["list_read_prob"],
        s["read_log"], s["author_diversity_decay"], s["author_diversity_floor"],
    )  # fmt: skip
    return out, list(zip(fs[: out[1]].tolist(), fd[: out[1]].tolist(), strict=True))
