"""Per-step measures of a simulated run, recorded as the run goes.

The engine calls a recorder every ``measure_every`` ticks (and after the last);
the recorder reads the state (it never changes it) and keeps one row per
measurement. Measures are computed here, with the functions that also serve
real data, not inside the engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from mutuals.kernels import platform as kp
from mutuals.metrics.feeds import kendall_tau_b, shannon_entropy
from mutuals.tables import EXPOSURES_SCHEMA, STEPS_SCHEMA

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from mutuals.platform.state import PlatformState

__all__ = ["PlatformRecorder", "SimSoMRecorder"]


class PlatformRecorder:
    """The ``steps`` and ``exposures`` tables of a platform run.

    ``steps`` (schema :data:`mutuals.tables.STEPS_SCHEMA`): running totals of
    sessions, posts-table rows, deliveries, follows and unfollows; the mean
    over feeds of quality and of topic and source repetition
    (``1 - H / ln K``, :func:`mutuals.kernels.platform.feed_stats`); Kendall's
    tau-b of quality against reposts + quotes over the last day's originals
    (SimSoM's discriminative power, Pilati et al. 2024); the share of accounts
    away; median followers and the share under 1,000. ``exposures``: the
    cumulative author-community x reader-community read counts at each
    measurement.
    """

    def __init__(self) -> None:
        self.rows: dict[str, list[Any]] = {f.name: [] for f in STEPS_SCHEMA}
        self.exposure_rows: list[np.ndarray] = []

    def export_state(self) -> dict[str, Any]:
        """The rows recorded so far, for a checkpoint (:mod:`mutuals.engine.checkpoint`)."""
        return {"rows": self.rows, "exposure_rows": self.exposure_rows}

    @classmethod
    def restore_state(cls, state: dict[str, Any]) -> PlatformRecorder:
        """A recorder holding the rows of :meth:`export_state`."""
        rec = cls()
        rec.rows = {name: list(state["rows"][name]) for name in rec.rows}
        rec.exposure_rows = list(state["exposure_rows"])
        return rec

    @property
    def last_tick(self) -> int | None:
        ticks = self.rows["tick"]
        return int(ticks[-1]) if ticks else None

    def measure(self, state: PlatformState, *, n_topics: int, ticks_per_day: int) -> None:
        n = state.accounts.n
        c = state.posts.cols
        q = np.empty(n)
        trep = np.empty(n)
        srep = np.empty(n)
        kp.feed_stats(
            state.ring_item, state.count, c["topic"], c["author"], c["quality"], c["root"],
            n_topics, q, trep, srep,
        )  # fmt: skip
        fc = state.graph.followers_count
        away = state.away_until > state.tick
        if state.arrival.any():  # accounts a scenario brings later: measured once they arrive
            here = state.arrival <= state.tick
            fc, away = fc[here], away[here]
        m = state.posts.n
        lo = 0
        day_ago = state.tick - ticks_per_day
        if m:
            lo = int(np.searchsorted(c["time"][:m], day_ago, side="right"))
        orig = np.flatnonzero(c["kind"][lo:m] == 0) + lo
        tau = (
            kendall_tau_b(c["quality"][orig], c["reposts"][orig] + c["quotes"][orig])[0]
            if orig.size > 1
            else np.nan
        )
        row = {
            "tick": state.tick,
            "day": state.tick / ticks_per_day,
            "sessions": state.counters["sessions"],
            "posts": m,
            "deliveries": state.counters["deliveries"],
            "feed_quality": float(np.nanmean(q)) if np.isfinite(q).any() else np.nan,
            "topic_repetition": float(np.nanmean(trep)) if np.isfinite(trep).any() else np.nan,
            "source_repetition": float(np.nanmean(srep)) if np.isfinite(srep).any() else np.nan,
            "tau_b": tau,
            "follows": state.counters["follows"],
            "unfollows": state.counters["unfollows"],
            "share_away": float(away.mean()) if away.size else np.nan,
            "median_followers": float(np.median(fc)) if fc.size else np.nan,
            "share_under_1k": float((fc < 1000).mean()) if fc.size else np.nan,
        }
        for k, v in row.items():
            self.rows[k].append(v)
        self.exposure_rows.append(state.exposures.copy())

    def steps(self) -> pa.Table:
        return pa.table(
            {f.name: np.asarray(self.rows[f.name], f.type.to_pandas_dtype()) for f in STEPS_SCHEMA},
            schema=STEPS_SCHEMA,
        )

    def exposures(self, community_names: list[str]) -> pa.Table:
        k = len(community_names)
        ex_tick, ex_a, ex_r, ex_n = [], [], [], []
        for t, mat in zip(self.rows["tick"], self.exposure_rows, strict=True):
            ex_tick.append(np.full(k * k, t, np.int32))
            ex_a.append(np.repeat(np.arange(k), k))
            ex_r.append(np.tile(np.arange(k), k))
            ex_n.append(mat.ravel())

        def cat(xs: list[np.ndarray], dt: Any) -> np.ndarray:
            return np.concatenate(xs).astype(dt) if xs else np.zeros(0, dt)

        name_arr = np.asarray(community_names, dtype=object)
        return pa.table(
            {
                "tick": cat(ex_tick, np.int32),
                "author_community": pa.array(name_arr[cat(ex_a, np.int64)], pa.string()),
                "reader_community": pa.array(name_arr[cat(ex_r, np.int64)], pa.string()),
                "exposures": cat(ex_n, np.int64),
            },
            schema=EXPOSURES_SCHEMA,
        )


class SimSoMRecorder:
    """Per-step measures of a SimSoM run (the timeline's last two columns).

    ``diversity``: Shannon entropy of the messages in human feeds (SimSoM's
    diversity, Pilati et al. 2024); ``tau_b``: Kendall's tau-b of quality
    against human shares over the messages now in human feeds, every
    ``tau_every`` steps (NaN between). At the end, the diversity and the tau-b
    (with its p-value) over every message created.
    """

    def __init__(self) -> None:
        self.diversity: list[float] = []
        self.tau: list[float] = []

    def export_state(self) -> dict[str, Any]:
        """The rows recorded so far, for a checkpoint (:mod:`mutuals.engine.checkpoint`)."""
        return {"diversity": self.diversity, "tau": self.tau}

    @classmethod
    def restore_state(cls, state: dict[str, Any]) -> SimSoMRecorder:
        """A recorder holding the rows of :meth:`export_state`."""
        rec = cls()
        rec.diversity = list(state["diversity"])
        rec.tau = list(state["tau"])
        return rec

    @staticmethod
    def _live(state: Any, humans: NDArray[np.bool_]) -> NDArray[np.int64]:
        msgs = state.feed_msg[humans]
        live = np.arange(state.feed_msg.shape[1])[None, :] < state.feed_len[humans][:, None]
        return np.asarray(msgs[live])

    def measure(self, state: Any, humans: NDArray[np.bool_], *, tau: bool) -> None:
        live = self._live(state, humans)
        _, counts = np.unique(live, return_counts=True)
        self.diversity.append(shannon_entropy(counts))
        if tau:
            ids = np.unique(live)
            self.tau.append(kendall_tau_b(state.quality[ids], state.human_shares[ids])[0])
        else:
            self.tau.append(np.nan)

    def columns(self) -> dict[str, NDArray[Any]]:
        return {
            "diversity": np.asarray(self.diversity, np.float64),
            "tau_b": np.asarray(self.tau, np.float64),
        }

    def final(self, state: Any, humans: NDArray[np.bool_]) -> dict[str, float]:
        _, counts = np.unique(self._live(state, humans), return_counts=True)
        m = state.n_messages
        tau, p = kendall_tau_b(state.quality[:m], state.human_shares[:m])
        return {"diversity": shannon_entropy(counts), "tau_b": tau, "tau_pvalue": p}
