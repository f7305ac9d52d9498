"""Applying a scenario's timed events to a run.

:class:`EventRunner` checks, at the start of every tick, which events are due
(their tick has come, or their condition holds for the first time) and applies
each with the function registered for its action in :data:`APPLY`. A new kind
of intervention is one function here and its checks in
:mod:`mutuals.scenarios.events`, not a branch in the step loop.

Accounts that an ``add_accounts`` event brings are allocated when the run
starts (:func:`reserved_accounts`) and exist from the tick the event fires:
they start no session before, belong to no group and are left out of the
per-step measures.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from mutuals.platform.accounts import ROLES
from mutuals.platform.state import FOLLOW_CAUSES, NEVER
from mutuals.platform.trending import trending_now
from mutuals.scenarios.events import DISGUISES, Event
from mutuals.scenarios.groups import Group

if TYPE_CHECKING:
    from mutuals.engine.platform import Simulation

__all__ = ["APPLY", "NEVER", "EventRunner", "reserved_accounts"]


def reserved_accounts(events: tuple[Event, ...]) -> int:
    """Accounts to allocate at the start for the ``add_accounts`` events."""
    return sum(int(e.args["n"]) for e in events if e.action == "add_accounts")


class EventRunner:
    """Fires the scenario's events (see module docstring) and logs each firing."""

    def __init__(self, events: tuple[Event, ...], groups: Mapping[str, Group]) -> None:
        self.events = events
        self.groups = dict(groups)
        self.fired = np.zeros(len(events), bool)
        self.was_trending = np.zeros(len(events), bool)
        self.held_at = np.full(len(events), -1, np.int64)  # tick a condition first held
        self.log: dict[str, list[Any]] = {"tick": [], "event": [], "action": [], "accounts": []}
        # reserved accounts: the block of each add_accounts event, in file order
        self.blocks: dict[int, tuple[int, int]] = {}

    def reserve(self, first: int) -> None:
        """Assign each ``add_accounts`` event its block of ids from ``first`` on."""
        for e in self.events:
            if e.action == "add_accounts":
                n = int(e.args["n"])
                self.blocks[e.index] = (first, first + n)
                first += n

    def due(self, sim: Simulation) -> list[Event]:
        st = sim.state
        out = []
        trending: NDArray[np.int64] | None = None
        for i, e in enumerate(self.events):
            if self.fired[i]:
                continue
            if e.when is None:
                if e.tick is not None and st.tick >= e.tick:
                    out.append(e)
                continue
            w = e.when
            if self.held_at[i] < 0:
                if "count" in w:
                    n = st.posts.n if w["count"] == "posts" else st.counters[w["count"]]
                    holds = n >= w["at_least"]
                elif "used" in w:  # checked every tick, so the last tick's uses suffice
                    holds = bool(st.topic_counts) and int(st.topic_counts[-1][w["used"]]) > 0
                else:
                    if trending is None:
                        p = sim.params
                        window = max(1, p.ticks_per_day // 4)
                        trending = trending_now(st.topic_counts, window=window)
                    topic = w.get("trending", w.get("stops_trending"))
                    now = bool(np.isin(topic, trending))
                    holds = now if "trending" in w else bool(self.was_trending[i] and not now)
                    self.was_trending[i] |= now
                if holds:
                    self.held_at[i] = st.tick
            if self.held_at[i] >= 0 and st.tick >= self.held_at[i] + w.get("delay", 0):
                out.append(e)
        return out

    def fire_due(self, sim: Simulation) -> None:
        """Apply every event due at the start of this tick, in file order."""
        for e in self.due(sim):
            n = APPLY[e.action](sim, self, e)
            self.fired[e.index] = True
            self.log["tick"].append(sim.state.tick)
            self.log["event"].append(e.index)
            self.log["action"].append(e.action)
            self.log["accounts"].append(int(n))

    def select(self, sim: Simulation, name: str) -> NDArray[np.int64]:
        return self.groups[name].select(sim.state, sim.accounts.community_names, sim.rng)


# --------------------------------------------------------------------------- actions


def _seed_hashtag(sim: Simulation, runner: EventRunner, e: Event) -> int:
    """The group posts ``posts`` times each on ``topic`` now (delivered this tick)."""
    who = np.repeat(runner.select(sim, e.args["group"]), int(e.args["posts"]))
    sim.write_topic_posts(
        who.astype(np.int64), int(e.args["topic"]), harmful=bool(e.args.get("harmful"))
    )
    return int(np.unique(who).size)


def _set_param(sim: Simulation, runner: EventRunner, e: Event) -> int:
    who = runner.select(sim, e.args["group"])
    for k, v in e.args.items():
        if k != "group":
            getattr(sim.state, k)[who] = v
    return int(who.size)


def _set_platform(sim: Simulation, runner: EventRunner, e: Event) -> int:
    sim.params = dataclasses.replace(sim.params, **dict(e.args))
    return 0


def _add_list(sim: Simulation, runner: EventRunner, e: Event) -> int:
    members = runner.select(sim, e.args["members"])
    subs = runner.select(sim, e.args["subscribers"])
    if members.size == 0:
        return 0
    size = e.args.get("size")
    if size is not None:
        return sim.add_personal_lists(members, subs, int(size))
    sim.add_list(members, subs)
    return int(subs.size)


def _add_accounts(sim: Simulation, runner: EventRunner, e: Event) -> int:
    """The event's reserved accounts arrive now; each follows ``follow.n`` of the group."""
    st, p = sim.state, sim.params
    lo, hi = runner.blocks[e.index]
    ids = np.arange(lo, hi)
    st.arrival[ids] = st.tick
    tag = e.args.get("hashtag")
    if tag is not None:  # they use the hashtag from the start: "drop your handle"
        if tag == p.campaign_topic:
            sim.adopt(ids.astype(np.int64))
        sim.write_topic_posts(ids.astype(np.int64), int(tag))
    f = e.args.get("follow")
    if f:
        targets = runner.select(sim, f["group"])
        targets = targets[(targets < lo) | (targets >= hi)]
        k = min(int(f["n"]), targets.size)
        if k:
            src = np.repeat(ids, k)
            dst = np.concatenate(
                [sim.rng.choice(targets, size=k, replace=False) for _ in range(ids.size)]
            )
            # arriving accounts make their own follows at once (no daily budget); the
            # accounts they follow may follow back, as after any new follow
            made = st.graph.follow(src, dst)
            sim.log_follows(src[made], dst[made], +1, FOLLOW_CAUSES.index("arrival"))
            st.counters["follows"] += int(made.sum())
            back_src, back_dst = sim.following.follow_backs(st, p, src[made], dst[made], sim.rng)
            if back_src.size:
                back = sim.follow(back_src, back_dst, cause=FOLLOW_CAUSES.index("follow_back"))
                st.counters["follow_backs"] += int(back.sum())
    return int(ids.size)


def init_reserved(sim: Simulation, runner: EventRunner, rng: np.random.Generator) -> None:
    """Give the reserved accounts their community, role, position and activity
    (drawn from ``rng``, a stream of their own, so the rest of the run's
    numbers do not move) and mark them absent until their event fires."""
    st, p = sim.state, sim.params
    acc = st.accounts
    positions = dict(zip([c for c, _ in p.communities], p.positions, strict=True))
    names = acc.community_names
    s = p.activity_sigma
    for e in runner.events:
        if e.action != "add_accounts":
            continue
        lo, hi = runner.blocks[e.index]
        n = hi - lo
        a = e.args
        acc.community[lo:hi] = names.index(a["community"])
        acc.role[lo:hi] = ROLES.index(a["role"])
        acc.is_bot[lo:hi] = a["role"] == "bot"
        sd = 0.0 if "position" in a else p.population_spec().position_sd
        mean = a.get("position", positions[a["community"]])
        acc.position[lo:hi] = np.clip(rng.normal(mean, sd, n), -1, 1)
        st.stance[lo:hi] = acc.position[lo:hi]
        disguise = a.get("disguise", "none")
        st.disguise[lo:hi] = DISGUISES.index(disguise)
        if disguise == "open":  # harmful from the start, at their own position
            st.harm[lo:hi] = 1
        elif disguise == "incognito":  # pass as the community they imitate until revealed
            st.stance[lo:hi] = positions[a["imitate"]]
            st.reveal_followers[lo:hi] = a.get("reveal_followers", 0)
        mean_act = a.get("activity", p.mean_activity)
        acc.activity[lo:hi] = mean_act * rng.lognormal(-s * s / 2, s, n)
        st.arrival[lo:hi] = NEVER


#: Action name -> the function that applies it; returns how many accounts it touched.
APPLY: dict[str, Callable[[Simulation, EventRunner, Event], int]] = {
    "seed_hashtag": _seed_hashtag,
    "set_param": _set_param,
    "set_platform": _set_platform,
    "add_list": _add_list,
    "add_accounts": _add_accounts,
}
