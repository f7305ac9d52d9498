"""Generate populations and follow graphs that look like real ones.

The follow graph is a directed, community-aware Chung-Lu model with three
corrections that real follow graphs need (Kwak et al. 2010, "What is Twitter, a
social network or a news media?"; Myers et al. 2014, "Information network or
social network? The structure of the Twitter follow graph"):

1. heavy-tailed out-degree (log-normal) and in-degree (targets drawn with
   probability proportional to a Pareto attractiveness ``w_j``, so the
   expected in-degree is proportional to ``w_j``);
2. homophily: a follow stays in the follower's community with probability
   ``homophily``, otherwise goes to a community drawn by size (times the
   community's ``pull``, default 1: a community that draws more followers from
   outside);
3. clustering by triadic closure: a share ``triadic`` of follows go to a friend
   of a friend; and reciprocity: a share of follows are followed back, chosen so
   that the share of reciprocated edges is ``reciprocity`` (adding back-edges to
   a share ``x`` of edges gives ``2x / (1 + x)`` reciprocated).

Everything is vectorised NumPy; 1M accounts with 100 follows each take well
under two minutes on two cores (see ``benchmarks/``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from mutuals._random import SeedLike, check_random_state
from mutuals.errors import InputError
from mutuals.platform.accounts import Accounts
from mutuals.platform.graph import FollowGraph

__all__ = ["GraphSpec", "PopulationSpec", "generate_follow_graph", "generate_population"]


@dataclass(frozen=True, kw_only=True)
class PopulationSpec:
    """How accounts are drawn.

    Parameters
    ----------
    n_accounts : int
    communities : dict of name -> share
        Shares are normalised to sum to one.
    positions : dict of name -> mean left-right position
        Positions are ``N(mean, position_sd)`` clipped to [-1, 1].
    activity_sigma : float
        Log-normal sigma of sessions per day (mean fixed at ``mean_activity``).
    attention, follow_budget : int
    """

    n_accounts: int = 10_000
    communities: tuple[tuple[str, float], ...] = (
        ("organisers", 0.1),
        ("mainstream", 0.8),
        ("hostile", 0.1),
    )
    positions: tuple[float, ...] = (-0.6, 0.0, 0.7)
    position_sd: float = 0.25
    mean_activity: float = 1.0
    activity_sigma: float = 1.0
    attention: int = 15
    follow_budget: int = 400

    def __post_init__(self) -> None:
        if self.n_accounts < 2:
            raise InputError(f"n_accounts must be >= 2, got {self.n_accounts}")
        if not self.communities or any(s < 0 for _, s in self.communities):
            raise InputError("communities must be non-empty with non-negative shares")
        if sum(s for _, s in self.communities) <= 0:
            raise InputError("community shares must not all be zero")
        if len(self.positions) != len(self.communities):
            raise InputError("positions needs one mean per community")
        if self.attention < 1 or self.follow_budget < 0:
            raise InputError("attention must be >= 1 and follow_budget >= 0")
        if self.mean_activity < 0 or self.activity_sigma < 0:
            raise InputError("mean_activity and activity_sigma must be >= 0")


def generate_population(spec: PopulationSpec, *, seed: SeedLike = None) -> Accounts:
    """Draw accounts: community by share, position around the community mean,
    log-normal activity (heavy-tailed, mean ``spec.mean_activity``)."""
    rng = check_random_state(seed)
    n = spec.n_accounts
    shares = np.array([s for _, s in spec.communities], float)
    shares /= shares.sum()
    # Contiguous blocks sized by share (largest remainder), then shuffled ids.
    sizes = np.floor(shares * n).astype(np.int64)
    rem = n - sizes.sum()
    sizes[np.argsort(-(shares * n - sizes), kind="stable")[:rem]] += 1
    community = np.repeat(np.arange(len(sizes), dtype=np.int8), sizes)
    rng.shuffle(community)
    means = np.asarray(spec.positions, np.float64)[community]
    position = np.clip(rng.normal(means, spec.position_sd), -1, 1).astype(np.float32)
    s = spec.activity_sigma
    activity = (spec.mean_activity * rng.lognormal(-s * s / 2, s, n)).astype(np.float32)
    return Accounts(
        community=community,
        position=position,
        activity=activity,
        attention=np.full(n, spec.attention, np.int16),
        follow_budget=np.full(n, spec.follow_budget, np.int16),
        is_bot=np.zeros(n, np.bool_),
        community_names=[name for name, _ in spec.communities],
    )


@dataclass(frozen=True, kw_only=True)
class GraphSpec:
    """Parameters of :func:`generate_follow_graph` (see module docstring)."""

    mean_follows: float = 100.0
    out_sigma: float = 1.0
    in_exponent: float = 2.2
    homophily: float = 0.8
    reciprocity: float = 0.25
    triadic: float = 0.2
    #: relative pull of each community on follows from outside it (empty: all 1)
    pull: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if any(not x > 0 for x in self.pull):
            raise InputError(f"pull must hold numbers > 0, got {self.pull}")
        if self.mean_follows <= 0:
            raise InputError(f"mean_follows must be > 0, got {self.mean_follows}")
        if not self.in_exponent > 1.5:
            raise InputError(f"in_exponent must be > 1.5, got {self.in_exponent}")
        for name in ("homophily", "triadic"):
            if not 0 <= getattr(self, name) <= 1:
                raise InputError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if not 0 <= self.reciprocity < 1:
            raise InputError(f"reciprocity must be in [0, 1), got {self.reciprocity}")
        if self.out_sigma < 0:
            raise InputError(f"out_sigma must be >= 0, got {self.out_sigma}")


def _draw_targets(
    rng: np.random.Generator,
    src_comm: NDArray[np.int8],
    members: list[NDArray[np.int64]],
    cum: list[NDArray[np.float64]],
    homophily: float,
    comm_share: NDArray[np.float64],
) -> NDArray[np.int32]:
    m = src_comm.size
    target_comm = src_comm.astype(np.int8).copy()
    cross = rng.random(m) >= homophily
    target_comm[cross] = rng.choice(len(members), size=int(cross.sum()), p=comm_share).astype(
        np.int8
    )
    out = np.empty(m, np.int32)
    for c in range(len(members)):
        idx = np.flatnonzero(target_comm == c)
        if idx.size == 0:
            continue
        if members[c].size == 0:
            out[idx] = -1
            continue
        u = rng.random(idx.size) * cum[c][-1]
        out[idx] = members[c][np.searchsorted(cum[c], u, side="right").clip(0, members[c].size - 1)]
    return out


def generate_follow_graph(
    accounts: Accounts,
    spec: GraphSpec | None = None,
    *,
    seed: SeedLike = None,
    in_scale: NDArray[np.float64] | None = None,
) -> FollowGraph:
    """Draw a follow graph over ``accounts`` (see module docstring for the model).

    ``in_scale`` multiplies each account's attractiveness (its expected
    followers): below one for accounts that start with fewer followers, such
    as a marginalised group. It draws no random numbers of its own.

    Returns a :class:`~mutuals.platform.graph.FollowGraph` whose
    ``build_report`` also records the generator's own counts.
    """
    spec = spec or GraphSpec()
    rng = check_random_state(seed)
    n = accounts.n
    comm = accounts.community
    n_comm = len(accounts.community_names)
    sizes = np.bincount(comm, minlength=n_comm).astype(float)
    comm_share = sizes / sizes.sum()
    if spec.pull:
        if len(spec.pull) != n_comm:
            raise InputError(
                f"pull needs one number per community ({n_comm}), got {len(spec.pull)}"
            )
        cross = sizes * np.asarray(spec.pull, float)
        cross_share = cross / cross.sum()
    else:
        cross_share = comm_share

    # Out-degree: log-normal with the requested mean, before follow-backs.
    x = spec.reciprocity / (2 - spec.reciprocity)  # share of edges that get a back-edge
    base_mean = spec.mean_follows / (1 + x)
    s = spec.out_sigma
    draw = rng.lognormal(np.log(base_mean) - s * s / 2, s, n)
    deg = np.clip(np.rint(draw), 1, min(n - 1, 50 * spec.mean_follows)).astype(np.int64)

    # In-attractiveness: Pareto with tail exponent in_exponent, capped so that no
    # account expects more followers than half its community holds.
    a = spec.in_exponent - 1
    w = rng.pareto(a, n) + 1.0
    if in_scale is not None:
        w = w * in_scale
    members = [np.flatnonzero(comm == c) for c in range(n_comm)]
    cum = []
    for c in range(n_comm):
        wc = w[members[c]]
        total_edges = deg.sum() * comm_share[c]
        if wc.size:
            cap = 0.5 * wc.sum() * max(wc.size, 1) / max(total_edges, 1)
            wc = np.minimum(wc, max(cap, 1.0))
        cum.append(np.cumsum(wc))

    n_tri = np.rint(deg * spec.triadic).astype(np.int64)
    n_direct = deg - n_tri
    src = np.repeat(np.arange(n, dtype=np.int32), n_direct)
    dst = _draw_targets(rng, comm[src], members, cum, spec.homophily, cross_share)
    ok = dst >= 0
    src, dst = src[ok], dst[ok]

    # Triadic closure: i -> (random friend j of i) -> (random friend k of j).
    # ``src`` is sorted (np.repeat of 0..n-1, filtered), so rows are contiguous.
    out_deg = np.bincount(src, minlength=n)
    indptr = np.concatenate([[0], np.cumsum(out_deg)])
    t_src = np.repeat(np.arange(n, dtype=np.int32), n_tri)
    has = out_deg[t_src] > 0
    t_src = t_src[has]
    j = dst[indptr[t_src] + (rng.random(t_src.size) * out_deg[t_src]).astype(np.int64)]
    has = out_deg[j] > 0
    t_src, j = t_src[has], j[has]
    k = dst[indptr[j] + (rng.random(j.size) * out_deg[j]).astype(np.int64)]
    src = np.concatenate([src, t_src])
    dst = np.concatenate([dst, k])
    del t_src, j, k

    # Follow-backs on a share x of edges.
    back = rng.random(src.size) < x
    src, dst = np.concatenate([src, dst[back]]), np.concatenate([dst, src[back]])
    graph = FollowGraph.from_edges(src, dst, n_accounts=n)
    graph.build_report.update({"triadic_edges": int(n_tri.sum()), "follow_backs": int(back.sum())})
    return graph
