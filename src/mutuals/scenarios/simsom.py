"""The SimSoM model as a scenario (Truong, Menczer et al., "Quantifying the
vulnerabilities of the online public square to adversarial manipulation
tactics", PNAS Nexus 3(7), 2024; reference code osome-iu/SimSoM).

Model
-----
Humans follow each other on a network with hubs and two partisan communities
(the paper's empirical 10,006-account Twitter network is not public here; a
generated graph of the same size stands in). ``int(beta * accounts)`` bots
follow only each other; each human follows each bot with probability
``gamma`` (*infiltration*), the humans chosen by a *targeting* strategy.

Each step every agent, in random order, reads its feed of at most
``feed_capacity`` entries and either posts a new message (feed empty, or with
probability ``mu``) or reshares one chosen with probability proportional to
``appeal * shares * exp(-0.4 age^0.4)``. Human message quality has density
``∝ exp(quality_lambda * q)`` on [0, 1]; appeal has density
``(1 + a)(1 - x)^a`` with ``a = appeal_exponent``. Bot messages have quality 0
and appeal 1 with probability ``phi`` (*deception*); a bot's message reaches
each follower as ``theta`` copies (*flooding*). Deliveries are applied after
all agents acted (synchronous update).

The measure is ``Q_t``, the mean quality over every (human feed, entry) pair,
smoothed as ``q <- rho q + (1 - rho) Q_t`` from ``q = 1``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from mutuals.errors import InputError
from mutuals.graphs.generate import (
    GraphSpec,
    PopulationSpec,
    generate_follow_graph,
    generate_population,
)
from mutuals.platform.accounts import Accounts
from mutuals.platform.graph import FollowGraph
from mutuals.scenarios.params import choice, rng, validate

__all__ = ["SimSoMNetwork", "SimSoMParams", "build_network", "draw_appeal", "draw_quality"]

TARGETING = ("none", "hubs", "partisanship", "misinformation", "conservative", "liberal")
SHUFFLES = ("none", "degree", "community", "random")


@dataclass(frozen=True, kw_only=True)
class SimSoMParams:
    """Parameters of the SimSoM scenario; defaults are the paper's published runs."""

    accounts: int = field(
        default=10_000,
        metadata=rng(
            2, 10_000_000, integer=True, doc="human accounts (the paper's n_humans; bots on top)"
        ),
    )
    mean_follows: float = field(default=181.0, metadata=rng(1, None, doc="mean friends per human"))
    homophily: float = field(
        default=0.9, metadata=rng(0, 1, doc="share of follows inside one's partisan side")
    )
    reciprocity: float = field(
        default=0.25, metadata=rng(0, 0.99, doc="share of reciprocated follows")
    )
    beta: float = field(default=0.05, metadata=rng(0, 1, doc="bots per human"))
    gamma: float = field(
        default=0.01, metadata=rng(0, 1, doc="infiltration: P(a human follows a given bot)")
    )
    phi: float = field(default=0.0, metadata=rng(0, 1, doc="deception: P(bot message appeal = 1)"))
    theta: int = field(
        default=1, metadata=rng(1, 10_000, integer=True, doc="flooding: copies per bot message")
    )
    mu: float = field(
        default=0.5, metadata=rng(0, 1, doc="P(post new message) when the feed is not empty")
    )
    feed_capacity: int = field(
        default=15, metadata=rng(1, 1024, integer=True, doc="feed capacity (alpha/sigma)")
    )
    quality_lambda: float = field(
        default=10.0, metadata=rng(None, None, doc="quality density ∝ exp(lambda q)")
    )
    appeal_exponent: float = field(
        default=4.0, metadata=rng(0, None, doc="appeal density (1+a)(1-x)^a")
    )
    bot_follows: int = field(
        default=3, metadata=rng(0, 1000, integer=True, doc="friends of each bot among bots")
    )
    targeting: str = field(
        default="none", metadata=choice(*TARGETING, doc="who the bots infiltrate")
    )
    shuffle: str = field(
        default="none", metadata=choice(*SHUFFLES, doc="rewiring of the human network")
    )
    ageing: str = field(
        default="clean", metadata=choice("clean", "reference", doc="feed ageing rule")
    )
    rho: float = field(
        default=0.8, metadata=rng(0, 1, lo_open=False, doc="smoothing weight of the past")
    )
    epsilon: float = field(
        default=1e-4, metadata=rng(0, 1, lo_open=True, doc="reference stop: relative change of q")
    )
    tolerance: float = field(
        default=0.005,
        metadata=rng(0, 1, lo_open=True, doc="window stop: relative gap of window means"),
    )
    stop: str = field(default="window", metadata=choice("window", "reference", doc="stopping rule"))
    burn_in: int = field(
        default=100, metadata=rng(0, None, integer=True, doc="steps before checking convergence")
    )
    window: int = field(
        default=50, metadata=rng(1, None, integer=True, doc="steps per convergence window")
    )
    max_steps: int = field(
        default=2000, metadata=rng(1, None, integer=True, doc="hard cap on steps")
    )
    tau_every: int = field(
        default=10,
        metadata=rng(0, None, integer=True, doc="steps between tau measures (0: end only)"),
    )

    def __post_init__(self) -> None:
        validate(self)

    @property
    def n_bots(self) -> int:
        return int(self.beta * self.accounts)


@dataclass
class SimSoMNetwork:
    """Agents ``0 .. accounts-1`` are humans, the rest bots."""

    accounts: Accounts
    graph: FollowGraph
    misinformation: NDArray[np.float32]
    report: dict[str, int | float]


def draw_quality(u: NDArray[np.float64], lam: float) -> NDArray[np.float64]:
    """Inverse CDF of density ``∝ exp(lam q)`` on [0, 1] (uniform when lam = 0)."""
    if lam == 0:
        return u
    if lam > 700:  # exp(lam) overflows; the same inverse CDF written from q = 1
        x = u + (1.0 - u) * np.exp(-lam)
        with np.errstate(divide="ignore"):
            return np.maximum(0.0, 1.0 + np.log(x) / lam)
    return np.log1p(u * np.expm1(lam)) / lam


def draw_appeal(u: NDArray[np.float64], a: float) -> NDArray[np.float64]:
    """Inverse CDF of density ``(1 + a)(1 - x)^a`` on [0, 1]."""
    return 1.0 - (1.0 - u) ** (1.0 / (1.0 + a))


def _shuffle(
    src: NDArray[np.int32],
    dst: NDArray[np.int32],
    comm: NDArray[np.int8],
    how: str,
    rng_: np.random.Generator,
) -> tuple[NDArray[np.int32], NDArray[np.int32]]:
    if how == "none":
        return src, dst
    if how == "degree":  # keeps every in- and out-degree (up to dropped duplicates)
        return src, dst[rng_.permutation(dst.size)]
    if how == "community":  # also keeps the number of edges between each pair of communities
        out = dst.copy()
        block = comm[src].astype(np.int64) * 256 + comm[dst]
        for b in np.unique(block):
            idx = np.flatnonzero(block == b)
            out[idx] = dst[idx[rng_.permutation(idx.size)]]
        return src, out
    n = comm.size  # random: same number of edges, endpoints uniform
    return (
        rng_.integers(0, n, src.size).astype(np.int32),
        rng_.integers(0, n, src.size).astype(np.int32),
    )


def _infiltration_weights(
    how: str, graph: FollowGraph, position: NDArray[np.float32], misinfo: NDArray[np.float32]
) -> NDArray[np.float64]:
    n = position.size
    if how == "none":
        return np.ones(n)
    if how == "hubs":
        return graph.followers_count.astype(float)
    if how == "partisanship":
        return np.abs(position).astype(float)
    if how == "misinformation":
        return misinfo.astype(float)
    if how == "conservative":
        return (position > 0).astype(float)
    return (position < 0).astype(float)


def build_network(params: SimSoMParams, rng_: np.random.Generator) -> SimSoMNetwork:
    """Humans' follow graph (optionally shuffled), bots' own network and infiltration."""
    nh, nb = params.accounts, params.n_bots
    pop = generate_population(
        PopulationSpec(
            n_accounts=nh,
            communities=(("liberal", 0.5), ("conservative", 0.5)),
            positions=(-0.5, 0.5),
            position_sd=0.3,
            attention=params.feed_capacity,
        ),
        seed=rng_,
    )
    human = generate_follow_graph(
        pop,
        GraphSpec(
            mean_follows=min(params.mean_follows, nh - 1),
            homophily=params.homophily,
            reciprocity=params.reciprocity,
        ),
        seed=rng_,
    )
    # Stand-in misinformation score (the paper's came from the accounts' shared
    # links): higher on the right, noisy, in [0, 1].
    misinfo = np.clip(0.35 + 0.4 * pop.position + rng_.normal(0, 0.15, nh), 0, 1).astype(np.float32)
    src, dst = human.edges()
    src, dst = _shuffle(src, dst, pop.community, params.shuffle, rng_)

    # Bots: a small preferential growth network among themselves.
    bsrc: list[int] = []
    bdst: list[int] = []
    indeg = np.ones(nb)
    for b in range(1, nb):
        k = min(b, params.bot_follows)
        if k == 0:
            continue
        w = indeg[:b] / indeg[:b].sum()
        targets = rng_.choice(b, size=k, replace=False, p=w)
        indeg[targets] += 1
        bsrc.extend([nh + b] * k)
        bdst.extend((nh + targets).tolist())

    # Infiltration: each bot gets Binomial(nh, gamma) human followers, drawn
    # without replacement with weights set by the targeting strategy.
    w = _infiltration_weights(params.targeting, human, pop.position, misinfo)
    eligible = int((w > 0).sum())
    isrc: list[NDArray[np.int64]] = []
    idst: list[NDArray[np.int64]] = []
    capped = 0
    if nb and params.gamma > 0:
        counts = rng_.binomial(nh, params.gamma, nb)
        capped = int(np.maximum(counts - eligible, 0).sum())
        p = w / w.sum() if w.sum() > 0 else None
        for b in range(nb):
            k = min(int(counts[b]), eligible)
            if k == 0:
                continue
            followers = rng_.choice(nh, size=k, replace=False, p=p)
            isrc.append(followers)
            idst.append(np.full(k, nh + b))
    all_src = np.concatenate([src, np.asarray(bsrc, np.int64), *isrc]).astype(np.int64)
    all_dst = np.concatenate([dst, np.asarray(bdst, np.int64), *idst]).astype(np.int64)
    graph = FollowGraph.from_edges(all_src, all_dst, n_accounts=nh + nb)
    n = nh + nb
    accounts = Accounts(
        community=np.concatenate([pop.community, np.full(nb, 2, np.int8)]),
        position=np.concatenate([pop.position, np.zeros(nb, np.float32)]),
        activity=np.ones(n, np.float32),
        attention=np.full(n, params.feed_capacity, np.int16),
        follow_budget=np.zeros(n, np.int16),
        is_bot=np.concatenate([np.zeros(nh, bool), np.ones(nb, bool)]),
        community_names=["liberal", "conservative", "bots"],
    )
    if graph.n_accounts != n:
        raise InputError("internal: network size mismatch")  # pragma: no cover
    report: dict[str, int | float] = dict(graph.build_report)
    report.update(
        {
            "humans": nh,
            "bots": nb,
            "human_follows": int(src.size),
            "bot_follows": len(bsrc),
            "infiltration_follows": int(sum(a.size for a in isrc)),
            "infiltration_capped": capped,
        }
    )
    return SimSoMNetwork(accounts=accounts, graph=graph, misinformation=misinfo, report=report)
