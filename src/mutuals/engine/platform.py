"""The platform engine: the only place that applies actions to state.

A run is a sequence of ticks (``ticks_per_day`` per simulated day). In a tick
each account starts ``Poisson(activity * dt)`` sessions; every session reads
the feed as it stood at the start of the tick (a synchronous update), may
like, repost, reply, quote and post; at the end of the tick follows and
unfollows are applied (within each account's daily budget) and the tick's new
posts, reposts and quotes are delivered to the authors' followers.

Randomness: the run's :class:`numpy.random.Generator` draws, per tick and in a
fixed order, the session counts, one row of uniforms per session, and the
uniforms of follow-backs and unfollows; kernels receive arrays only. The same
seed gives the same tables whatever the number of threads.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
from numpy.typing import ArrayLike, NDArray

from mutuals._random import SeedLike, check_random_state
from mutuals.behaviour import (
    Activity,
    Boosting,
    Campaign,
    Clout,
    Dilution,
    Disguise,
    Following,
    Leaving,
    Moderation,
    Purity,
    Sessions,
    Unfollowing,
)
from mutuals.engine.events import EventRunner, init_reserved, reserved_accounts
from mutuals.errors import InputError
from mutuals.graphs.generate import (
    generate_follow_graph,
    generate_population,
)
from mutuals.kernels import platform as kp
from mutuals.kernels.posting import respond, write_post
from mutuals.platform.accounts import ROLES, Accounts, role_codes
from mutuals.platform.graph import FollowGraph
from mutuals.platform.state import FOLLOW_CAUSES, NEVER, PER_ACCOUNT, PlatformState
from mutuals.platform.trending import trending_table
from mutuals.scenarios.events import Event
from mutuals.scenarios.groups import Group
from mutuals.scenarios.platform import PlatformParams
from mutuals.tables import EXPOSURES_SCHEMA, STEPS_SCHEMA

__all__ = ["STEPS_SCHEMA", "Recorder", "RunResult", "Simulation", "trending_table"]


class Recorder(Protocol):
    """What the engine calls to measure a run (see
    :class:`mutuals.metrics.recorder.PlatformRecorder`); it reads the state
    and never changes it."""

    @property
    def last_tick(self) -> int | None: ...

    def measure(self, state: PlatformState, *, n_topics: int, ticks_per_day: int) -> None: ...

    def steps(self) -> pa.Table: ...

    def exposures(self, community_names: list[str]) -> pa.Table: ...


@dataclass
class RunResult:
    """Tables a run produced (all Arrow) plus its summary."""

    steps: pa.Table
    exposures: pa.Table
    posts: pa.Table
    accounts: pa.Table
    trending: pa.Table
    summary: dict[str, Any]
    tables: dict[str, pa.Table] = field(init=False)

    def __post_init__(self) -> None:
        self.tables = {
            "steps": self.steps,
            "exposures": self.exposures,
            "posts": self.posts,
            "accounts": self.accounts,
            "trending": self.trending,
        }


CAUSE = {name: i for i, name in enumerate(FOLLOW_CAUSES)}

#: Keys of the independent streams a run derives (never drawn from the main one).
_RESERVED_STREAM, _MARGINALISED_STREAM = 2**31 - 1, 2**31 - 2


def _child_seed(rng: np.random.Generator, key: int = _RESERVED_STREAM) -> np.random.SeedSequence:
    """An independent stream derived from the run's generator without drawing from it."""
    ss = getattr(rng.bit_generator, "seed_seq", None)
    if isinstance(ss, np.random.SeedSequence):
        return np.random.SeedSequence(ss.entropy, spawn_key=(*ss.spawn_key, key))
    return np.random.SeedSequence(key)


def _visible_runs(hidden: NDArray[np.int8], first: int, last: int) -> list[tuple[int, int]]:
    """The runs ``[lo, hi)`` of rows ``first .. last-1`` that are not hidden."""
    h = hidden[first:last]
    if not h.any():
        return [(first, last)] if last > first else []
    vis = np.r_[False, h == 0, False].astype(np.int8)
    d = np.diff(vis)
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    return [(first + int(a), first + int(b)) for a, b in zip(starts, ends, strict=True)]


def _marginalise(accounts: Accounts, p: PlatformParams, rng: np.random.Generator) -> None:
    """Mark a share ``marginalised_share`` of ``marginalised_community`` as marginalised
    (from a stream of their own, so the rest of the run draws the same numbers)."""
    if p.marginalised_share <= 0:
        return
    c = accounts.community_names.index(p.marginalised_community)
    members = np.flatnonzero(accounts.community == c)
    u = np.random.default_rng(_child_seed(rng, _MARGINALISED_STREAM)).random(members.size)
    accounts.marginalised[members[u < p.marginalised_share]] = True


class Simulation:
    """A platform run: state as arrays and the step loop.

    Parameters
    ----------
    params : PlatformParams
    seed : int, SeedSequence or Generator
        The run's only source of randomness.
    accounts, graph : optional
        Use a given population and follow graph (for example one loaded from
        real data) instead of generating them; ``graph.n_accounts`` must equal
        ``accounts.n``. The run takes them over: they change as it goes (follows,
        unfollows, accounts that events add), so pass a copy to keep the original.
    recorder : Recorder, optional
        Measures the run every ``measure_every`` ticks (the ``steps`` and
        ``exposures`` tables); :func:`mutuals.run` attaches
        :class:`mutuals.metrics.recorder.PlatformRecorder`.
    events, groups : optional
        A scenario's timed events and the groups they name
        (:mod:`mutuals.scenarios.events`); fired by :mod:`mutuals.engine.events`.

    Examples
    --------
    >>> from mutuals.scenarios.platform import PlatformParams
    >>> sim = Simulation(PlatformParams(accounts=300, mean_follows=10, days=0.25), seed=1)
    >>> result = sim.run()
    >>> result.summary["ticks"]
    6
    """

    def __init__(
        self,
        params: PlatformParams | None = None,
        *,
        seed: SeedLike = None,
        accounts: Accounts | None = None,
        graph: FollowGraph | None = None,
        recorder: Recorder | None = None,
        events: tuple[Event, ...] = (),
        groups: Mapping[str, Group] | None = None,
    ) -> None:
        self.params = p = params or PlatformParams()
        self.rng = check_random_state(seed)
        self.recorder = recorder
        self.events = EventRunner(events, groups or {}) if events else None
        t0 = _time.perf_counter()
        if accounts is None:
            accounts = generate_population(p.population_spec(), seed=self.rng)
            roles = role_codes(p.community_roles())
            accounts.role = np.where(accounts.is_bot, ROLES.index("bot"), roles[accounts.community])
            accounts.role = accounts.role.astype(np.int8)
            _marginalise(accounts, p, self.rng)
        if graph is None:
            scale = None
            if accounts.marginalised.any():
                scale = np.where(accounts.marginalised, p.marginalised_follower_factor, 1.0)
            graph = generate_follow_graph(accounts, p.graph_spec(), seed=self.rng, in_scale=scale)
        if graph.n_accounts != accounts.n:
            raise InputError(
                f"graph has {graph.n_accounts} accounts but the population has {accounts.n}"
            )
        base = accounts.n
        reserved = reserved_accounts(events)
        if reserved:  # accounts that add_accounts events bring, absent until then
            accounts = accounts.extended(reserved)
            graph.add_accounts(reserved)
        self.graph_seconds = _time.perf_counter() - t0
        n = accounts.n
        n_comm = len(accounts.community_names)
        T = p.n_topics
        st = PlatformState.empty(
            accounts,
            graph,
            n_topics=T,
            feed_capacity=p.feed_capacity,
            post_capacity=max(1024, int(n * p.mean_activity * (1 + p.p_post))),
            tag_window=p.campaign_window,
        )
        # Interest: topic_focus of the mass on the community's home topics
        # (topic t is at home in community t % n_comm), the rest spread evenly.
        home = (np.arange(T)[None, :] % n_comm) == accounts.community[:, None].astype(np.int64)
        n_home = np.maximum(home.sum(1, keepdims=True), 1)
        has_home = home.any(1, keepdims=True)
        focus = np.where(has_home, p.topic_focus, 0.0)
        interest = (1 - focus) / T + focus * home / n_home
        st.interest = interest.astype(np.float32)
        pref = st.interest.astype(np.float64)
        if p.campaign_topic >= 0:  # the campaign's hashtag: nobody uses it until it is seeded
            pref[:, p.campaign_topic] = 0.0
        st.topic_pref = np.cumsum(pref / pref.sum(1, keepdims=True), axis=1).astype(np.float64)
        st.heat_mean[:] = p.heat_mean
        for name in PER_ACCOUNT:
            getattr(st, name)[:] = getattr(p, name)
        self.state = st
        if self.events is not None and reserved:
            self.events.reserve(base)
            # a stream of their own, so the rest of the run draws the same numbers
            init_reserved(self, self.events, np.random.default_rng(_child_seed(self.rng)))
        self.activity = Activity()
        self.sessions = Sessions()
        self.leaving = Leaving()
        self.unfollowing = Unfollowing()
        self.following = Following()
        self.campaign = Campaign()
        self.disguise = Disguise()
        self.moderation = Moderation()
        self.boosting = Boosting()
        self.purity = Purity()
        self.clout = Clout()
        self.dilution = Dilution()

    def __getattr__(self, name: str) -> Any:
        """Read access to the state's arrays (``sim.graph``, ``sim.posts``...)."""
        state = self.__dict__.get("state")
        if state is not None and hasattr(state, name):
            return getattr(state, name)
        raise AttributeError(name)

    # -- interventions ---------------------------------------------------------
    def add_list(self, members: ArrayLike, subscribers: ArrayLike) -> int:
        """Create a list of ``members`` that ``subscribers`` read.

        In a session, an account with lists reads one of them (each equally
        likely) instead of its home feed with probability ``list_read_prob``:
        the newest posts of the list's members. Returns the list's index.
        """
        n = self.accounts.n
        m = np.unique(np.asarray(members, dtype=np.int64))
        s = np.unique(np.asarray(subscribers, dtype=np.int64))
        for name, a in (("members", m), ("subscribers", s)):
            if a.size and (a.min() < 0 or a.max() >= n):
                raise InputError(f"list {name} hold ids outside [0, {n})")
        if m.size == 0:
            raise InputError("a list needs at least one member")
        idx = self.list_ptr.size - 1
        self._append_lists([m], [s])
        return idx

    def add_personal_lists(self, pool: ArrayLike, subscribers: ArrayLike, size: int) -> int:
        """Give each of ``subscribers`` a list of its own: ``size`` accounts of
        ``pool`` drawn at random without replacement (itself left out; fewer
        when the pool is smaller), from the run's generator, in subscriber
        order. Read like any list (:meth:`add_list`). Returns how many lists."""
        n = self.accounts.n
        pool_ids = np.unique(np.asarray(pool, dtype=np.int64))
        subs = np.unique(np.asarray(subscribers, dtype=np.int64))
        for name, a in (("members", pool_ids), ("subscribers", subs)):
            if a.size and (a.min() < 0 or a.max() >= n):
                raise InputError(f"list {name} hold ids outside [0, {n})")
        lists, owners = [], []
        in_pool = np.zeros(n, bool)
        in_pool[pool_ids] = True
        for a in subs.tolist():
            k = min(size, pool_ids.size - int(in_pool[a]))
            if k <= 0:
                continue
            pick = self.rng.choice(pool_ids.size, size=k + int(in_pool[a]), replace=False)
            got = pool_ids[pick]
            got = got[got != a][:k]
            lists.append(np.sort(got))
            owners.append(np.array([a], np.int64))
        if lists:
            self._append_lists(lists, owners)
        return len(lists)

    def _append_lists(
        self, members: list[NDArray[np.int64]], owners: list[NDArray[np.int64]]
    ) -> None:
        """Append lists (CSR) and subscribe ``owners[i]`` to list ``i``."""
        st = self.state
        n = self.accounts.n
        first = st.list_ptr.size - 1
        sizes = np.array([m.size for m in members], np.int64)
        st.list_members = np.concatenate([st.list_members, *[m.astype(np.int32) for m in members]])
        st.list_ptr = np.concatenate([st.list_ptr, st.list_ptr[-1] + np.cumsum(sizes)])
        counts = np.diff(st.sub_ptr)
        owner = np.concatenate([np.repeat(np.arange(n), counts), *owners])
        new_lists = np.concatenate(
            [np.full(o.size, first + i, np.int32) for i, o in enumerate(owners)]
        )
        lists = np.concatenate([st.sub_lists, new_lists])
        order = np.argsort(owner, kind="stable")
        st.sub_lists = lists[order].astype(np.int32)
        st.sub_ptr = np.concatenate([[0], np.cumsum(np.bincount(owner, minlength=n))]).astype(
            np.int64
        )

    def write_topic_posts(
        self, authors: NDArray[np.int64], topic: int, *, harmful: bool = False
    ) -> int:
        """Each of ``authors`` (repeats allowed) writes a post on ``topic`` now
        (delivered at the end of this tick; ``harmful``: a hijack's posts);
        returns the first new row."""
        st, p = self.state, self.params
        first = st.posts.n
        if authors.size == 0:
            return first
        u = self.rng.random((authors.size, 3))
        st.posts.reserve(authors.size)
        c = st.posts.cols
        pref = np.zeros((1, p.n_topics))
        pref[0, topic:] = 1.0  # a cumulative preference that always picks the topic
        R = st.recent.shape[1]
        for j, a in enumerate(authors.tolist()):
            q = st.posts.n
            st.posts.n += 1
            write_post(
                q, 0, st.tick, 0.0, u[j, 0], u[j, 1], u[j, 2], pref, st.accounts.is_bot[a : a + 1],
                p.quality_lambda, p.appeal_exponent, st.heat_mean[a : a + 1], p.heat_spread,
                c["author"], c["time"], c["topic"], c["quality"], c["appeal"], c["heat"],
                c["kind"], c["parent"], c["root"],
            )  # fmt: skip
            c["author"][q] = a
            st.recent[a, st.recent_head[a] % R] = q
            st.recent_head[a] += 1
        if harmful:
            c["harmful"][first : st.posts.n] = 1
        return first

    def _repost(self, who: NDArray[np.int64], posts: NDArray[np.int64]) -> None:
        """``who[k]`` reposts ``posts[k]`` now (delivered at the end of this tick)."""
        st = self.state
        st.posts.reserve(who.size)
        c = st.posts.cols
        R = st.recent.shape[1]
        for a, q0 in zip(who.tolist(), posts.tolist(), strict=True):
            q = st.posts.n
            st.posts.n += 1
            rt = int(c["root"][q0])
            respond(
                q, a, st.tick, 1, q0, rt, c["author"], c["time"], c["topic"], c["quality"],
                c["appeal"], c["heat"], c["kind"], c["parent"], c["root"],
            )  # fmt: skip
            c["reposts"][rt] += 1
            st.recent[a, st.recent_head[a] % R] = q
            st.recent_head[a] += 1

    def adopt(self, accounts: NDArray[np.int64]) -> None:
        """``accounts`` adopt the campaign's hashtag now (:mod:`mutuals.behaviour.campaign`):
        a share ``campaign_post_share`` of their posts carry it from now on and
        they follow back with ``campaign_follow_back``."""
        st, p = self.state, self.params
        a = accounts[st.adopted_at[accounts] < 0]
        if a.size == 0:
            return
        st.adopted_at[a] = st.tick
        st.follow_back[a] = p.campaign_follow_back
        t = p.campaign_topic
        dens = np.diff(st.topic_pref[a], axis=1, prepend=0.0)
        dens *= 1 - p.campaign_post_share
        dens[:, t] += p.campaign_post_share
        st.topic_pref[a] = np.cumsum(dens, axis=1)
        st.topic_pref[a, -1] = 1.0
        st.counters["adoptions"] += int(a.size)

    def follow(
        self, follower: ArrayLike, friend: ArrayLike, *, cause: int = 0
    ) -> NDArray[np.bool_]:
        """Request follows now; each follower's daily budget applies.

        Returns which follows were made (False: over budget, existing, or a
        self-follow). Later scenarios decide *who* follows whom; this decides
        whether the platform allows it.
        """
        src, dst = np.asarray(follower), np.asarray(friend)
        for name, a in (("follower", src), ("friend", dst)):
            if a.size and (a.dtype.kind not in "iu"):
                raise InputError(f"{name} must hold integer account ids, got dtype {a.dtype}")
        src, dst = src.astype(np.int64), dst.astype(np.int64)
        if src.shape != dst.shape or src.ndim != 1:
            raise InputError("follower and friend must be 1-d arrays of equal length")
        n = self.accounts.n
        if src.size and (min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= n):
            raise InputError(f"account ids must be in [0, {n})")
        ok = self._within_budget(src)
        self.counters["follows_over_budget"] += int((~ok).sum())
        applied = np.zeros(src.size, bool)
        applied[ok] = self.graph.follow(src[ok], dst[ok])
        self.log_follows(src[applied], dst[applied], +1, cause)
        np.add.at(self.follows_today, src[applied], 1)
        self.counters["follows"] += int(applied.sum())
        return applied

    def unfollow(self, follower: ArrayLike, friend: ArrayLike) -> NDArray[np.bool_]:
        """Remove follows now; returns which existed."""
        done = self.graph.unfollow(follower, friend)
        self.log_follows(np.asarray(follower)[done], np.asarray(friend)[done], -1)
        self.counters["unfollows"] += int(done.sum())
        return done

    def log_follows(
        self, follower: NDArray[Any], friend: NDArray[Any], sign: int, cause: int = 0
    ) -> None:
        """Record follows (``sign`` +1) or unfollows (-1) made now, and why
        (:data:`mutuals.platform.state.FOLLOW_CAUSES`), for the run's canonical
        follow tables (start and end, with each edge's tick) and for measures
        of what a campaign did."""
        if follower.size:
            block = np.empty((follower.size, 5), np.int64)
            block[:, 0] = self.state.tick
            block[:, 1] = follower
            block[:, 2] = friend
            block[:, 3] = sign
            block[:, 4] = cause
            self.state.follow_log.append(block)

    def _within_budget(self, src: NDArray[np.int64]) -> NDArray[np.bool_]:
        """True for requests that fit the requester's remaining daily budget, in order."""
        if src.size == 0:
            return np.zeros(0, bool)
        order = np.argsort(src, kind="stable")
        s = src[order]
        starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
        rank = np.arange(s.size) - np.repeat(starts, np.diff(np.r_[starts, s.size]))
        ok_sorted = self.follows_today[s] + rank < self.accounts.follow_budget[s]
        ok = np.empty(src.size, bool)
        ok[order] = ok_sorted
        return ok

    # -- the step ------------------------------------------------------------------
    def step(self) -> None:
        """Advance one tick: the phases of :data:`mutuals.behaviour.PHASES`, in order.

        Policies decide; this method applies what they return (follows within
        budgets, unfollows, departures, deliveries) and counts it.
        """
        st = self.state
        if st.tick > 0 and st.tick % self.params.ticks_per_day == 0:
            st.follows_today[:] = 0
            st.boosts_today[:] = 0
            if self.params.purity_narrowing > 0:  # ever-stricter purity tests
                checks = st.purity_prob > 0
                st.purity_tolerance[checks] *= 1 - self.params.purity_narrowing
        first = st.posts.n  # rows from here on are this tick's: delivered at its end
        if self.events is not None:
            self.events.fire_due(self)  # may switch a platform parameter: read p after
        p = self.params
        rng = self.rng
        sessions = self.activity.sessions(st, p, rng)
        engaged_before = self.clout.snapshot(st, p)
        out = self.sessions.run(st, p, sessions, rng)
        # each account's running feed repetition (its chance to engage and to leave),
        # and the tick's reads by community and topic, from one pass over the read log
        dil = self.dilution.decide(st, p, sessions, out.read)
        self._count_reads(sessions, out.engaged, dil.topic_reads)
        if dil.accounts.size:
            st.repetition[dil.accounts] = dil.repetition
        # authors drift toward the heat that earned them engagement this tick
        rewarded, heat = self.clout.decide(st, p, engaged_before)
        if rewarded.size:
            st.heat_mean[rewarded] = heat
        away, until = self.leaving.decide(st, p, sessions, out.engaged, rng)
        if away.size:
            st.away_until[away] = until
            st.departure_count[away] += 1
            st.counters["departures"] += int(away.size)
        who, whom = self.unfollowing.decide(st, p, sessions, rng)
        if who.size:
            self.unfollow(who, whom)
        p_who, p_whom = self.purity.decide(st, p, sessions, rng)
        if p_who.size:
            st.counters["purity_unfollows"] += int(self.unfollow(p_who, p_whom).sum())
        # follows from discovery, then follow-backs
        src, dst = out.follow_src, out.follow_dst
        st.counters["follow_requests"] += int(src.size)
        applied = self.follow(src, dst)
        back_src, back_dst = self.following.follow_backs(st, p, src[applied], dst[applied], rng)
        if back_src.size:
            made = self.follow(back_src, back_dst, cause=CAUSE["follow_back"])
            st.counters["follow_backs"] += int(made.sum())
        # what this tick's rows show so far (the campaign's vetting reads it)
        rows = slice(first, st.posts.n)
        st.posts.cols["stance"][rows] = st.stance[st.posts.cols["author"][rows]]
        # infiltrators with enough followers drop their disguise
        turned = self.disguise.reveals(st, p)
        if turned.size:
            st.revealed_at[turned] = st.tick
            st.stance[turned] = st.accounts.position[turned]
            st.harm[turned] = 1
            st.counters["reveals"] += int(turned.size)
        # the campaign: views of the hashtag's page, adoptions, follows, follow-backs
        camp = self.campaign.decide(st, p, sessions, out.read, rng)
        if camp.browsed.size:
            np.add.at(st.posts.cols["views"], camp.browsed, 1)
            comm = st.accounts.community
            np.add.at(
                st.exposures, (comm[st.posts.cols["author"][camp.browsed]], comm[camp.browsers]), 1
            )
        if camp.adopters.size:
            self.adopt(camp.adopters)
            self.write_topic_posts(camp.adopters, p.campaign_topic)  # "drop your handle"
        if camp.follow_src.size:
            st.counters["campaign_follow_requests"] += int(camp.follow_src.size)
            made = self.follow(camp.follow_src, camp.follow_dst, cause=CAUSE["campaign"])
            st.counters["campaign_follows"] += int(made.sum())
            back_src, back_dst = self.following.follow_backs(
                st, p, camp.follow_src[made], camp.follow_dst[made], rng
            )
            if back_src.size:
                made = self.follow(back_src, back_dst, cause=CAUSE["campaign_follow_back"])
                st.counters["follow_backs"] += int(made.sum())
                st.counters["campaign_follow_backs"] += int(made.sum())
        # boosts on request: granted ones are reposts made now
        asked, boosters, granted = self.boosting.decide(st, p, first, rng)
        if asked.size:
            c = st.posts.cols
            c["boost"][asked] = 1
            st.counters["boost_requests"] += int(asked.size)
            ok = granted == 1
            if ok.any():
                self._repost(boosters[ok], asked[ok])
                c["boost"][asked[ok]] = 2
                np.add.at(st.boosts_today, boosters[ok], 1)
                st.counters["boosts"] += int(ok.sum())
        # reports of harmful posts read, and the platform's suppressions
        rep = self.moderation.reports(st, p, sessions, out.read, rng)
        if rep.topic.size:
            np.add.at(st.topic_reports, rep.topic, 1)
            np.add.at(st.author_reports, rep.author, 1)
            st.counters["reports"] += int(rep.topic.size)
        topics, authors = self.moderation.suppress(st, p)
        if topics.size or authors.size:
            st.topic_hidden_until[topics] = st.tick + p.suppress_ticks
            st.topic_reports[topics] = 0
            st.author_hidden_until[authors] = st.tick + p.suppress_ticks
            st.author_reports[authors] = 0
            st.counters["suppressions"] += int(topics.size + authors.size)
        self._stamp(first)
        # deliveries of the tick's new rows (hidden ones go nowhere)
        c = st.posts.cols
        f_start, f_len, f_nbr = st.graph.follower_rows
        for lo, hi in _visible_runs(c["hidden"], first, st.posts.n):
            st.counters["deliveries"] += int(
                kp.deliver_ring(
                    lo, hi, c["author"], c["kind"], f_start, f_len, f_nbr,
                    st.ring_item, st.ring_time, st.head, st.count, st.tick,
                    c["deliveries"], c["root"],
                )
            )  # fmt: skip
        st.counters["sessions"] += int(sessions.size)
        st.counters["reads"] += out.reads
        st.counters["engagements"] += out.engagements
        new_kind = c["kind"][first : st.posts.n]
        new_topic = c["topic"][first : st.posts.n]
        st.topic_counts.append(
            np.bincount(new_topic[new_kind != 1], minlength=p.n_topics).astype(np.int64)
        )
        st.tick += 1
        if st.tick % p.measure_every == 0:
            self._measure()

    def _count_reads(
        self,
        sessions: NDArray[np.int32],
        engaged: NDArray[np.int32],
        topic_reads: NDArray[np.int64],
    ) -> None:
        """Per-account sessions and engagements, and the tick's feed reads by
        reader community and topic (``topic_reads``, counted by the dilution's
        pass over the read log)."""
        st = self.state
        np.add.at(st.session_count, sessions, 1)
        np.add.at(st.engagement_count, sessions, engaged)
        st.topic_reads.append(topic_reads)

    def _stamp(self, first: int) -> None:
        """The tick's new rows carry the position their author shows; campaign
        posts among them enter the hashtag's page, and their authors adopt."""
        st, p = self.state, self.params
        c = st.posts.cols
        rows = np.arange(first, st.posts.n)
        if rows.size == 0:
            return
        author = c["author"][rows]
        c["stance"][rows] = st.stance[author]
        c["harmful"][rows] |= st.harm[author]
        hidden = (st.topic_hidden_until[c["topic"][rows]] > st.tick) | (
            st.author_hidden_until[author] > st.tick
        )
        if hidden.any():
            h = rows[hidden]
            c["hidden"][h] = 1
            st.counters["hidden_posts"] += int(h.size)
            # nor do list feeds show them: out of their authors' recent posts
            ring = st.recent[author[hidden]]
            r_i, r_j = np.nonzero(ring == h[:, None])
            st.recent[author[hidden][r_i], r_j] = -1
        bad = rows[c["harmful"][rows] == 1]
        if bad.size:  # low quality, high heat
            c["quality"][bad] = np.minimum(c["quality"][bad], p.harm_quality)
            c["heat"][bad] = np.maximum(c["heat"][bad], p.harm_heat)
        if p.campaign_topic < 0:
            return
        k = c["kind"][rows]
        used = (c["topic"][rows] == p.campaign_topic) & ((k == 0) | (k == 3))
        if used.any():  # whoever posts under it has adopted it, hidden or not
            self.adopt(np.unique(c["author"][rows[used]]).astype(np.int64))
        tag = rows[used & ~hidden]  # the hashtag's page shows what is not hidden
        if tag.size:
            w = st.tag_ring.size
            keep = tag[-w:]
            slots = (st.tag_head[0] + np.arange(keep.size)) % w
            st.tag_ring[slots] = keep
            st.tag_head[0] += keep.size

    def _topic_reads_table(self, names: list[str]) -> pa.Table:
        """Feed reads per tick, reader community and topic read (non-zero cells)."""
        tr = self.state.topic_reads
        k, n_topics = self.state.exposures.shape[0], self.state.interest.shape[1]
        cube = np.asarray(tr) if tr else np.zeros((0, k, n_topics), np.int64)
        tick, comm, topic = np.nonzero(cube)
        return pa.table(
            {
                "tick": pa.array(tick.astype(np.int32)),
                "community": pa.array(np.asarray(names, dtype=object)[comm], pa.string()),
                "topic": pa.array(topic.astype(np.int32)),
                "reads": pa.array(cube[tick, comm, topic].astype(np.int64)),
            }
        )

    def _measure(self) -> None:
        if self.recorder is not None:
            p = self.params
            self.recorder.measure(self.state, n_topics=p.n_topics, ticks_per_day=p.ticks_per_day)

    # -- the loop -------------------------------------------------------------
    def run(self, *, progress: Callable[[int, int], None] | None = None) -> RunResult:
        """Run ``params.ticks`` ticks and return the tables (the last tick is always measured)."""
        total = self.params.ticks
        t0 = _time.perf_counter()
        while self.tick < total:
            self.step()
            if progress is not None:
                progress(self.tick, total)
        if self.tick and self.recorder is not None and self.recorder.last_tick != self.tick:
            self._measure()  # the last tick is always measured
        seconds = _time.perf_counter() - t0
        return self.result(seconds)

    def result(self, seconds: float = float("nan")) -> RunResult:
        """The run's tables so far; ``steps`` and ``exposures`` are the
        recorder's (empty without one)."""
        names = self.accounts.community_names
        name_arr = np.asarray(names, dtype=object)
        if self.recorder is not None:
            steps, exposures = self.recorder.steps(), self.recorder.exposures(list(names))
        else:
            steps = STEPS_SCHEMA.empty_table()
            exposures = EXPOSURES_SCHEMA.empty_table()
        posts = self.posts.to_arrow()
        acc = self.accounts
        accounts = pa.table(
            {
                "account": np.arange(acc.n, dtype=np.int32),
                "community": pa.array(name_arr[acc.community.astype(np.int64)], pa.string()),
                "position": acc.position,
                "activity": acc.activity,
                "is_bot": acc.is_bot,
                "role": pa.array(np.asarray(ROLES, dtype=object)[acc.role], pa.string()),
                "followers_start": self.followers_at_start,
                "followers": self.graph.followers_count,
                "friends": self.graph.friends_count,
            }
        )
        if acc.marginalised.any():
            accounts = accounts.append_column("marginalised", pa.array(acc.marginalised))
        if self.state.arrival.any():  # accounts events brought: the tick each arrived
            arrived = np.where(self.state.arrival >= NEVER, -1, self.state.arrival)
            accounts = accounts.append_column("arrival", pa.array(arrived.astype(np.int32)))
        tc = (
            np.asarray(self.state.topic_counts)
            if self.state.topic_counts
            else np.zeros((0, self.params.n_topics), np.int64)
        )
        trending = trending_table(tc, window=max(1, self.params.ticks_per_day // 4))
        summary = {
            "accounts": acc.n,
            "follows_at_start": int(self.followers_at_start.sum()),
            "follows_at_end": self.graph.n_follows,
            "ticks": self.tick,
            "days": self.tick / self.params.ticks_per_day,
            **self.counters,
            "posts_table_rows": self.posts.n,
            "graph_seconds": self.graph_seconds,
            "run_seconds": seconds,
            "graph_build": self.graph.build_report,
        }
        result = RunResult(
            steps=steps,
            exposures=exposures,
            posts=posts,
            accounts=accounts,
            trending=trending,
            summary=summary,
        )
        result.tables["topic_reads"] = self._topic_reads_table(list(names))
        if self.events is not None:
            log = self.events.log
            result.tables["events"] = pa.table(
                {
                    "tick": pa.array(log["tick"], pa.int32()),
                    "event": pa.array(log["event"], pa.int32()),
                    "action": pa.array(log["action"], pa.string()),
                    "accounts": pa.array(log["accounts"], pa.int64()),
                }
            )
        return result
