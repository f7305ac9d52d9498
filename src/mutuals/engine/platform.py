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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
from numpy.typing import ArrayLike, NDArray

from mutuals._random import SeedLike, check_random_state
from mutuals.errors import InputError
from mutuals.graphs.generate import (
    generate_follow_graph,
    generate_population,
)
from mutuals.kernels import platform as kp
from mutuals.platform.accounts import Accounts
from mutuals.platform.graph import FollowGraph
from mutuals.platform.state import PlatformState
from mutuals.platform.trending import trending_table
from mutuals.scenarios.platform import PlatformParams
from mutuals.tables import STEPS_SCHEMA

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
        ``accounts.n``.

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
    ) -> None:
        self.params = p = params or PlatformParams()
        self.rng = check_random_state(seed)
        self.recorder = recorder
        t0 = _time.perf_counter()
        if accounts is None:
            accounts = generate_population(p.population_spec(), seed=self.rng)
        if graph is None:
            graph = generate_follow_graph(accounts, p.graph_spec(), seed=self.rng)
        if graph.n_accounts != accounts.n:
            raise InputError(
                f"graph has {graph.n_accounts} accounts but the population has {accounts.n}"
            )
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
        )
        # Interest: topic_focus of the mass on the community's home topics
        # (topic t is at home in community t % n_comm), the rest spread evenly.
        home = (np.arange(T)[None, :] % n_comm) == accounts.community[:, None].astype(np.int64)
        n_home = np.maximum(home.sum(1, keepdims=True), 1)
        has_home = home.any(1, keepdims=True)
        focus = np.where(has_home, p.topic_focus, 0.0)
        interest = (1 - focus) / T + focus * home / n_home
        st.interest = interest.astype(np.float32)
        st.topic_pref = np.cumsum(st.interest / st.interest.sum(1, keepdims=True), axis=1).astype(
            np.float64
        )
        st.heat_mean[:] = p.heat_mean
        self.state = st

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
        self.state.list_members = np.concatenate([self.list_members, m.astype(np.int32)])
        self.state.list_ptr = np.append(self.list_ptr, self.list_members.size)
        counts = np.diff(self.sub_ptr)
        owner = np.repeat(np.arange(n), counts)
        owner = np.concatenate([owner, s])
        lists = np.concatenate([self.sub_lists, np.full(s.size, idx, np.int32)])
        order = np.argsort(owner, kind="stable")
        self.state.sub_lists = lists[order]
        self.state.sub_ptr = np.concatenate(
            [[0], np.cumsum(np.bincount(owner, minlength=n))]
        ).astype(np.int64)
        return idx

    def follow(self, follower: ArrayLike, friend: ArrayLike) -> NDArray[np.bool_]:
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
        np.add.at(self.follows_today, src[applied], 1)
        self.counters["follows"] += int(applied.sum())
        return applied

    def unfollow(self, follower: ArrayLike, friend: ArrayLike) -> NDArray[np.bool_]:
        """Remove follows now; returns which existed."""
        done = self.graph.unfollow(follower, friend)
        self.counters["unfollows"] += int(done.sum())
        return done

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
        """Advance one tick."""
        p = self.params
        rng = self.rng
        acc = self.accounts
        n = acc.n
        if self.tick > 0 and self.tick % p.ticks_per_day == 0:
            self.follows_today[:] = 0
        rate = acc.activity.astype(np.float64) / p.ticks_per_day
        counts = rng.poisson(np.where(self.away_until > self.tick, 0.0, rate))
        sessions = np.repeat(np.arange(n, dtype=np.int32), counts)
        kmax = int(acc.attention.max())
        u = rng.random((sessions.size, kp.U_ITEMS + kmax))
        posts = self.posts
        posts.reserve(sessions.size * (1 + kmax))
        first = posts.n
        follow_src = np.empty(sessions.size * kmax, np.int64)
        follow_dst = np.empty(sessions.size * kmax, np.int64)
        engaged = np.zeros(sessions.size, np.int32)
        c = posts.cols
        n_posts, n_follow, n_reads, n_eng = kp.run_sessions(
            sessions, u, self.tick, p.ranking == "ranked",
            acc.community, acc.attention, acc.is_bot, self.interest, self.topic_pref,
            self.ring_item, self.ring_time, self.head, self.count,
            c["author"], c["time"], c["topic"], c["quality"], c["appeal"], c["heat"], c["kind"],
            c["parent"], c["root"], c["views"], c["reposts"], c["replies"], c["quotes"], c["likes"],
            first,
            p.p_post, p.w_like, p.w_repost, p.w_reply, p.w_quote, p.engage_scale, p.heat_weight,
            p.half_life, p.interest_lr, p.quality_lambda, p.appeal_exponent, self.heat_mean,
            p.heat_spread, p.follow_on_engage,
            self.exposures, follow_src, follow_dst, engaged,
            self.list_ptr, self.list_members, self.sub_ptr, self.sub_lists, self.recent, self.recent_head,
            p.list_read_prob,
        )  # fmt: skip
        posts.n = int(n_posts)
        # tuning out: a session with no engagement may make its account leave for a while
        if p.leave_if_bored > 0:
            bored = sessions[(engaged == 0) & (rng.random(sessions.size) < p.leave_if_bored)]
            bored = np.unique(bored)
            away = rng.exponential(p.away_days * p.ticks_per_day, bored.size)
            away = np.minimum(np.ceil(away), 2.0**62)  # huge away_days: gone for good, no overflow
            self.away_until[bored] = self.tick + 1 + away.astype(np.int64)
            self.counters["departures"] += int(bored.size)
        # unfollows: a share of sessions drops one random friend
        u_unf = rng.random(sessions.size)
        if p.unfollow_rate > 0:
            who = sessions[u_unf < p.unfollow_rate]
            start, length, nbr = self.graph.friend_rows
            who = who[length[who] > 0]
            pick = start[who] + (rng.random(who.size) * length[who]).astype(np.int64)
            self.unfollow(who, nbr[pick])
        # follows from discovery, then follow-backs
        src, dst = follow_src[:n_follow], follow_dst[:n_follow]
        self.counters["follow_requests"] += int(n_follow)
        applied = self.follow(src, dst)
        back = rng.random(int(applied.sum())) < p.follow_back
        if back.any():
            made = self.follow(dst[applied][back], src[applied][back])
            self.counters["follow_backs"] += int(made.sum())
        # deliveries of the tick's new rows
        f_start, f_len, f_nbr = self.graph.follower_rows
        self.counters["deliveries"] += int(
            kp.deliver_ring(
                first, posts.n, c["author"], c["kind"], f_start, f_len, f_nbr,
                self.ring_item, self.ring_time, self.head, self.count, self.tick,
                c["deliveries"], c["root"],
            )
        )  # fmt: skip
        self.counters["sessions"] += int(sessions.size)
        self.counters["reads"] += int(n_reads)
        self.counters["engagements"] += int(n_eng)
        new_kind = c["kind"][first : posts.n]
        new_topic = c["topic"][first : posts.n]
        self.state.topic_counts.append(
            np.bincount(new_topic[new_kind != 1], minlength=p.n_topics).astype(np.int64)
        )
        self.state.tick += 1
        if self.tick % p.measure_every == 0:
            self._measure()

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
            exposures = pa.table(
                {
                    "tick": pa.array([], pa.int32()),
                    "author_community": pa.array([], pa.string()),
                    "reader_community": pa.array([], pa.string()),
                    "exposures": pa.array([], pa.int64()),
                }
            )
        posts = self.posts.to_arrow()
        acc = self.accounts
        accounts = pa.table(
            {
                "account": np.arange(acc.n, dtype=np.int32),
                "community": pa.array(name_arr[acc.community.astype(np.int64)], pa.string()),
                "position": acc.position,
                "activity": acc.activity,
                "is_bot": acc.is_bot,
                "followers_start": self.followers_at_start,
                "followers": self.graph.followers_count,
                "friends": self.graph.friends_count,
            }
        )
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
        return RunResult(
            steps=steps,
            exposures=exposures,
            posts=posts,
            accounts=accounts,
            trending=trending,
            summary=summary,
        )
