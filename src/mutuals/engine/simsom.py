"""The SimSoM step loop: state as arrays, every step in Numba kernels.

See :mod:`mutuals.scenarios.simsom` for the model. One run draws everything
from one :class:`numpy.random.Generator`: the network first, then per step the
acting order and the uniforms each agent needs, so the same seed gives the
same run whatever the number of threads.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from mutuals._random import SeedLike, check_random_state
from mutuals.kernels import feeds as kf
from mutuals.kernels import simsom as ks
from mutuals.scenarios.simsom import (
    SimSoMNetwork,
    SimSoMParams,
    build_network,
    draw_appeal,
    draw_quality,
)

__all__ = ["SimSoMModel", "SimSoMRecorder", "SimSoMResult", "SimSoMState", "run_simsom"]


class SimSoMRecorder(Protocol):
    """What the SimSoM loop calls to measure a run (see
    :class:`mutuals.metrics.recorder.SimSoMRecorder`): once per step, and once
    at the end; it reads the state and never changes it."""

    def measure(self, state: SimSoMState, humans: NDArray[np.bool_], *, tau: bool) -> None: ...

    def columns(self) -> dict[str, NDArray[Any]]: ...

    def final(self, state: SimSoMState, humans: NDArray[np.bool_]) -> dict[str, float]: ...


@dataclass
class SimSoMState:
    """Everything that changes during a SimSoM run."""

    net: SimSoMNetwork
    feed_msg: NDArray[np.int64]
    feed_shares: NDArray[np.int32]
    feed_age: NDArray[np.int32]
    feed_len: NDArray[np.int32]
    quality: NDArray[np.float32]
    appeal: NDArray[np.float32]
    author: NDArray[np.int32]
    created: NDArray[np.int32]
    human_shares: NDArray[np.int64]
    bot_shares: NDArray[np.int64]
    n_messages: int = 0
    step: int = 0

    @classmethod
    def empty(cls, net: SimSoMNetwork, feed_capacity: int) -> SimSoMState:
        n = net.graph.n_accounts
        cap = max(1024, 4 * n)
        return cls(
            net=net,
            feed_msg=np.full((n, feed_capacity), -1, np.int64),
            feed_shares=np.zeros((n, feed_capacity), np.int32),
            feed_age=np.zeros((n, feed_capacity), np.int32),
            feed_len=np.zeros(n, np.int32),
            quality=np.zeros(cap, np.float32),
            appeal=np.zeros(cap, np.float32),
            author=np.full(cap, -1, np.int32),
            created=np.full(cap, -1, np.int32),
            human_shares=np.zeros(cap, np.int64),
            bot_shares=np.zeros(cap, np.int64),
        )

    def reserve(self, extra: int) -> None:
        need = self.n_messages + extra
        if need <= self.quality.size:
            return
        cap = max(need, int(self.quality.size * 1.5))
        for name in ("quality", "appeal", "author", "created", "human_shares", "bot_shares"):
            old = getattr(self, name)
            fill = -1 if name in ("author", "created") else 0
            new = np.full(cap, fill, old.dtype)
            new[: old.size] = old
            setattr(self, name, new)


@dataclass
class SimSoMResult:
    """What a SimSoM run measured.

    Attributes
    ----------
    quality : float
        Mean of ``Q_t`` over the last ``window`` steps (``stop="window"``) or
        the smoothed ``q`` at the stop (``stop="reference"``).
    steps : int
        Steps taken. ``converged`` is False when ``max_steps`` was hit.
    timeline : pyarrow.Table
        One row per step: step, Q_t, smoothed q, relative change, share of
        bot entries in human feeds, messages created, diversity, tau.
    messages : pyarrow.Table
        One row per message: id, author, by_bot, quality, appeal, created step,
        human and bot shares.
    """

    params: SimSoMParams
    quality: float
    smoothed_quality: float
    steps: int
    converged: bool
    diversity: float
    tau: float
    tau_pvalue: float
    timeline: pa.Table
    messages: pa.Table
    network: dict[str, Any]
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "quality": self.quality,
            "smoothed_quality": self.smoothed_quality,
            "steps": self.steps,
            "converged": self.converged,
            "diversity": self.diversity,
            "discriminative_power_tau_b": self.tau,
            "tau_pvalue": self.tau_pvalue,
            "messages": self.messages.num_rows,
            "seconds": self.seconds,
        }


def step(state: SimSoMState, params: SimSoMParams, rng: np.random.Generator) -> None:
    """Advance ``state`` by one synchronous step."""
    net = state.net
    n = net.graph.n_accounts
    order = rng.permutation(n).astype(np.int32)
    u_act = rng.random(n)
    u_pick = rng.random(n)
    u_q = rng.random(n)
    u_a = rng.random(n)
    u_phi = rng.random(n)
    state.reserve(n)
    act_msg = np.empty(n, np.int64)
    act_copies = np.empty(n, np.int32)
    is_new = np.zeros(n, np.bool_)
    first = state.n_messages
    state.n_messages = ks.act(
        order, net.accounts.is_bot, state.feed_msg, state.feed_shares, state.feed_age,
        state.feed_len, state.appeal, params.mu, u_act, u_pick, first, params.theta,
        act_msg, act_copies, is_new,
    )  # fmt: skip
    # Attributes of the new messages (indexed by author).
    authors = np.flatnonzero(is_new)
    ids = act_msg[authors]
    bots = net.accounts.is_bot[authors]
    q = draw_quality(u_q[authors], params.quality_lambda)
    a = draw_appeal(u_a[authors], params.appeal_exponent)
    q[bots] = 0.0
    a[bots & (u_phi[authors] < params.phi)] = 1.0
    state.quality[ids] = q
    state.appeal[ids] = a
    state.author[ids] = authors
    state.created[ids] = state.step
    # Popularity: every post or reshare counts one share of its message.
    is_bot = net.accounts.is_bot
    np.add.at(state.human_shares, act_msg[~is_bot], 1)
    np.add.at(state.bot_shares, act_msg[is_bot], 1)
    f_start, f_len, f_nbr = net.graph.follower_rows
    ptr, in_msg, in_cop = kf.bucket_deliveries(order, act_msg, act_copies, f_start, f_len, f_nbr, n)
    kf.deliver(
        ptr, in_msg, in_cop, state.feed_msg, state.feed_shares, state.feed_age, state.feed_len,
        params.ageing == "reference",
    )  # fmt: skip
    state.step += 1


class SimSoMModel:
    """A SimSoM run that can be stepped, saved and resumed.

    Holds everything a run changes: the state, the generator, the smoothed
    quality ``q``, the timeline's rows, the recorder and whether the run has
    converged; :meth:`advance` takes one step (and decides whether the run
    stops), :meth:`run` steps to the end, :meth:`result` gives the tables. A
    checkpoint (:mod:`mutuals.engine.checkpoint`) saves the object whole, so a
    run resumed from one continues exactly. :func:`run_simsom` is
    ``SimSoMModel(...).run()``.

    Parameters
    ----------
    params, seed, network, recorder
        As for :func:`run_simsom`.
    """

    def __init__(
        self,
        params: SimSoMParams | None = None,
        *,
        seed: SeedLike = None,
        network: SimSoMNetwork | None = None,
        recorder: SimSoMRecorder | None = None,
    ) -> None:
        t0 = time.perf_counter()
        self.params = p = params or SimSoMParams()
        self.rng = check_random_state(seed)
        self.network = net = network if network is not None else build_network(p, self.rng)
        self.state = SimSoMState.empty(net, p.feed_capacity)
        self.humans = ~net.accounts.is_bot
        self.recorder = recorder
        self.smoothed_quality = 1.0
        self.rows: dict[str, list[float]] = {
            k: [] for k in ("step", "Q", "q", "change", "bot_share", "messages")
        }
        self.converged = False
        #: seconds spent so far (network and steps, over every resumed part)
        self.seconds = time.perf_counter() - t0

    @property
    def finished(self) -> bool:
        """True once the run converged or took ``max_steps`` steps."""
        return self.converged or self.state.step >= self.params.max_steps

    def advance(self) -> None:
        """Take one step, record it and apply the stopping rule."""
        t0 = time.perf_counter()
        params, state, rows = self.params, self.state, self.rows
        step(state, params, self.rng)
        Q, bot_share, _ = ks.feed_quality(
            state.feed_msg, state.feed_len, state.quality, self.humans
        )
        q = self.smoothed_quality
        new_q = params.rho * q + (1 - params.rho) * Q
        change = abs(new_q - q) / q if q > 0 else 0.0
        self.smoothed_quality = q = new_q
        for k, v in zip(rows, (state.step, Q, q, change, bot_share, state.n_messages), strict=True):
            rows[k].append(v)
        if self.recorder is not None:
            self.recorder.measure(
                state,
                self.humans,
                tau=bool(params.tau_every and state.step % params.tau_every == 0),
            )
        if params.stop == "reference":
            self.converged = bool(change < params.epsilon)
        elif state.step >= params.burn_in + 2 * params.window:
            w = params.window
            last = float(np.mean(rows["Q"][-w:]))
            prev = float(np.mean(rows["Q"][-2 * w : -w]))
            self.converged = bool(abs(last - prev) <= params.tolerance * abs(prev))
        self.seconds += time.perf_counter() - t0

    def run(self, *, progress: Callable[[int, float], None] | None = None) -> SimSoMResult:
        """Step until the run stops; ``progress(step, q)`` after every step."""
        while not self.finished:
            self.advance()
            if progress is not None:
                progress(self.state.step, self.smoothed_quality)
        return self.result()

    def result(self) -> SimSoMResult:
        """The run's measures and tables so far."""
        t0 = time.perf_counter()
        params, state, rows, net = self.params, self.state, self.rows, self.network
        recorder, humans = self.recorder, self.humans
        if params.stop == "reference":
            quality = self.smoothed_quality
        else:
            w = min(params.window, len(rows["Q"]))
            quality = float(np.mean(rows["Q"][-w:]))
        final = recorder.final(state, humans) if recorder is not None else {}
        m = state.n_messages
        messages = pa.table(
            {
                "message_id": np.arange(m, dtype=np.int64),
                "author": state.author[:m],
                "by_bot": net.accounts.is_bot[state.author[:m]],
                "quality": state.quality[:m],
                "appeal": state.appeal[:m],
                "created_step": state.created[:m],
                "human_shares": state.human_shares[:m],
                "bot_shares": state.bot_shares[:m],
            }
        )
        timeline = pa.table(
            {
                "step": np.asarray(rows["step"], np.int32),
                "quality": np.asarray(rows["Q"], np.float64),
                "smoothed_quality": np.asarray(rows["q"], np.float64),
                "relative_change": np.asarray(rows["change"], np.float64),
                "bot_share_in_human_feeds": np.asarray(rows["bot_share"], np.float64),
                "messages": np.asarray(rows["messages"], np.int64),
                **(recorder.columns() if recorder is not None else {}),
            }
        )
        return SimSoMResult(
            params=params,
            quality=quality,
            smoothed_quality=self.smoothed_quality,
            steps=state.step,
            converged=self.converged,
            diversity=final.get("diversity", float("nan")),
            tau=final.get("tau_b", float("nan")),
            tau_pvalue=final.get("tau_pvalue", float("nan")),
            timeline=timeline,
            messages=messages,
            network=net.report,
            seconds=self.seconds + time.perf_counter() - t0,
        )


def run_simsom(
    params: SimSoMParams | None = None,
    *,
    seed: SeedLike = None,
    progress: Callable[[int, float], None] | None = None,
    network: SimSoMNetwork | None = None,
    recorder: SimSoMRecorder | None = None,
) -> SimSoMResult:
    """Run SimSoM to convergence.

    Parameters
    ----------
    params : SimSoMParams
    seed : int or Generator
        The run's only source of randomness.
    progress : callable(step, smoothed_quality), optional
        Called after every step.
    network : SimSoMNetwork, optional
        Reuse a network built by :func:`~mutuals.scenarios.simsom.build_network`
        (its randomness is then not drawn from ``seed``).
    recorder : SimSoMRecorder, optional
        Measures each step (the timeline's diversity and tau-b columns) and
        the run's final diversity and tau-b; without one those are left out
        (NaN in the result). :func:`mutuals.run` always passes one.

    Stopping
    --------
    ``stop="window"``: after ``burn_in`` steps, stop once the mean ``Q_t`` of
    the last ``window`` steps differs from that of the ``window`` steps before
    by at most ``tolerance`` (relative); the result is the mean ``Q_t`` of the
    last window. This replaces the reference rule, which stops at the first
    small change and so often inside the transient. ``stop="reference"``:
    the osome-iu/SimSoM rule, stop the first time the relative change is below
    ``epsilon`` (no burn-in); the result is the smoothed q.

    See :class:`SimSoMModel` for a run that can be stepped and checkpointed.
    """
    model = SimSoMModel(params, seed=seed, network=network, recorder=recorder)
    return model.run(progress=progress)
