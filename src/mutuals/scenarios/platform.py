"""Parameters of the platform scenario (MODEL.md, "The platform").

Every mechanism is a parameter with a declared range; :class:`PlatformParams`
is checked once, at construction, and a TOML file maps onto it section by
section (see :func:`mutuals.scenarios.load.load_scenario`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mutuals.errors import ConfigError
from mutuals.graphs.generate import GraphSpec, PopulationSpec
from mutuals.platform.accounts import ROLES
from mutuals.scenarios.params import choice, rng, validate

__all__ = ["PlatformParams"]


def _f(default, meta):
    return field(default=default, metadata=meta)


@dataclass(frozen=True, kw_only=True)
class PlatformParams:
    """One run of the platform: population, follow graph, behaviour, time."""

    # population
    accounts: int = _f(10_000, rng(2, 50_000_000, integer=True, doc="number of accounts"))
    communities: tuple[tuple[str, float], ...] = (
        ("organisers", 0.1),
        ("mainstream", 0.8),
        ("hostile", 0.1),
    )
    positions: tuple[float, ...] = (-0.6, 0.0, 0.7)
    #: one role per community (mutuals.platform.accounts.ROLES); empty: a
    #: community named like a role has that role, any other is "member"
    roles: tuple[str, ...] = ()
    activity_sigma: float = _f(1.0, rng(0, 5, doc="log-normal sigma of sessions per day"))
    mean_activity: float = _f(1.0, rng(0, 1000, doc="mean sessions per account per day"))
    attention: int = _f(15, rng(1, 200, integer=True, doc="feed items read per session"))
    follow_budget: int = _f(
        400, rng(0, 10_000, integer=True, doc="follows allowed per account per day")
    )
    # follow graph
    mean_follows: float = _f(
        100.0,
        rng(
            1,
            10_000,
            doc="mean accounts followed (small or dense graphs fall short: repeats are dropped)",
        ),
    )
    out_sigma: float = _f(1.0, rng(0, 5, doc="log-normal sigma of accounts followed"))
    in_exponent: float = _f(2.2, rng(1.5, 10, lo_open=True, doc="tail exponent of followers"))
    homophily: float = _f(0.8, rng(0, 1, doc="share of follows inside one's community"))
    reciprocity: float = _f(0.25, rng(0, 0.99, doc="share of reciprocated follows"))
    triadic: float = _f(0.2, rng(0, 1, doc="share of follows to friends of friends"))
    #: one number > 0 per community: how strongly it draws follows from outside
    #: (a follow that leaves its community picks one by size x pull); empty: all 1
    follower_pull: tuple[float, ...] = ()
    # feeds
    feed_capacity: int = _f(50, rng(1, 10_000, integer=True, doc="entries a feed keeps"))
    ranking: str = _f("chronological", choice("chronological", "ranked", doc="feed order"))
    half_life: float = _f(
        6.0, rng(0, None, lo_open=True, doc="ticks for a ranked item's score to halve")
    )
    heat_weight: float = _f(0.0, rng(0, 100, doc="how much heat raises engagement and rank"))
    # X's home-mixer author diversity (2026 open-source release; values unpublished)
    author_diversity_decay: float = _f(
        1.0, rng(0, 1, lo_open=True, doc="ranked: an author's i-th item scores x decay^i (1: off)")
    )
    author_diversity_floor: float = _f(
        0.0, rng(0, 1, doc="ranked: the author diversity multiplier never falls below this")
    )
    interest_lr: float = _f(0.05, rng(0, 1, doc="learning rate of the reader's topic interest"))
    # content
    n_topics: int = _f(20, rng(1, 32_000, integer=True, doc="topics / hashtags"))
    topic_focus: float = _f(
        0.6, rng(0, 1, doc="share of interest on one's community's home topics")
    )
    quality_lambda: float = _f(10.0, rng(None, None, doc="quality density ∝ exp(lambda q)"))
    appeal_exponent: float = _f(4.0, rng(0, None, doc="appeal density (1+a)(1-x)^a"))
    heat_mean: float = _f(0.2, rng(0, 1, doc="mean heat of posts"))
    heat_spread: float = _f(0.4, rng(0, 2, doc="width of the uniform heat noise"))
    # session behaviour
    p_post: float = _f(0.5, rng(0, 1, doc="P(write a new post) per session"))
    engage_scale: float = _f(0.5, rng(0, 100, doc="scales P(engage) = appeal x interest x heat"))
    w_like: float = _f(0.6, rng(0, None, doc="relative weight of likes among engagements"))
    w_repost: float = _f(0.25, rng(0, None, doc="relative weight of reposts"))
    w_reply: float = _f(0.1, rng(0, None, doc="relative weight of replies"))
    w_quote: float = _f(0.05, rng(0, None, doc="relative weight of quotes"))
    follow_on_engage: float = _f(
        0.02, rng(0, 1, doc="P(follow the author after reposting/quoting)")
    )
    follow_back: float = _f(0.3, rng(0, 1, doc="P(follow back a new follower)"))
    unfollow_rate: float = _f(0.0, rng(0, 1, doc="P(unfollow a random friend) per session"))
    list_read_prob: float = _f(
        0.0, rng(0, 1, doc="P(a list subscriber reads its list instead of home)")
    )
    leave_if_bored: float = _f(
        0.0, rng(0, 1, doc="P(leave for a while after a session with no engagement)")
    )
    away_days: float = _f(3.0, rng(0, None, lo_open=True, doc="mean days away after leaving"))
    # dilution (C7; behaviour.dilution): feed repetition lowers engagement, raises leaving
    repetition_memory: float = _f(
        0.3, rng(0, 1, lo_open=True, doc="weight of the latest session in feed repetition")
    )
    fatigue_engage: float = _f(
        0.0, rng(0, 1, doc="P(engage) is multiplied by 1 - fatigue_engage x repetition")
    )
    fatigue_leave: float = _f(
        0.0, rng(0, 1, doc="P(leave for a while) per session, per unit of repetition")
    )
    # a marginalised group inside one community (C4): starts with fewer followers
    marginalised_community: str = "organisers"
    marginalised_share: float = _f(
        0.0, rng(0, 1, doc="share of marginalised_community's accounts that are marginalised")
    )
    marginalised_follower_factor: float = _f(
        0.5, rng(0, 1, lo_open=True, doc="their expected followers relative to the others")
    )
    # the follow campaign (C3, C4; behaviour.campaign): off while campaign_topic < 0
    campaign_topic: int = _f(
        -1, rng(-1, 32_000, integer=True, doc="the campaign hashtag's topic (-1: no campaign)")
    )
    adopt_prob: float = _f(
        0.0, rng(0, 1, doc="P(adopt the hashtag) per campaign post seen, at equal positions")
    )
    adopt_position_scale: float = _f(
        0.3, rng(0, None, lo_open=True, doc="adoption falls as exp(-|position gap| / scale)")
    )
    campaign_browse_prob: float = _f(
        0.5, rng(0, 1, doc="P(an adopter's session also browses the hashtag)")
    )
    campaign_trend_browse: float = _f(
        0.02, rng(0, 1, doc="P(a session looks at the hashtag while it trends)")
    )
    campaign_window: int = _f(
        300, rng(1, 1_000_000, integer=True, doc="newest hashtag posts a browse draws from")
    )
    campaign_post_share: float = _f(
        0.3, rng(0, 1, doc="share of an adopter's new posts under the hashtag")
    )
    campaign_follow_prob: float = _f(
        0.5, rng(0, 1, doc="P(an adopter follows a qualifying account it saw under the hashtag)")
    )
    follower_cap: int = _f(
        1000, rng(1, None, integer=True, doc="adopters follow accounts with fewer followers")
    )
    campaign_follow_tolerance: float = _f(
        0.5, rng(0, 2, doc="adopters follow accounts at most this far from their position")
    )
    campaign_follow_back: float = _f(
        0.5, rng(0, 1, doc="an adopter's P(follow back a new follower)")
    )
    campaign_inclusive: str = _f(
        "off", choice("off", "on", doc="adopters put marginalised accounts first")
    )
    inclusive_weight: float = _f(
        2.0, rng(1, None, doc="with inclusive on: marginalised accounts' follow odds multiplier")
    )
    vet_prob: float = _f(0.0, rng(0, 1, doc="P(an adopter vets a candidate before following)"))
    campaign_wide_share: float = _f(
        0.0, rng(0, 1, doc="share of campaign follows sent outside the community (follow widely)")
    )
    vet_tolerance: float = _f(
        0.4, rng(0, 2, doc="vetting passes if the candidate's recent posts are this close")
    )
    # harmful posts (infiltrators once revealed, hijackers: behaviour.disguise)
    harm_quality: float = _f(0.05, rng(0, 1, doc="harmful posts' quality is at most this"))
    harm_heat: float = _f(0.9, rng(0, 1, doc="harmful posts' heat is at least this"))
    # boosts on request (C13; behaviour.boosting)
    boost_ask_prob: float = _f(
        0.0, rng(0, 1, doc="P(a small account asks a booster to repost its new post)")
    )
    boost_small_cap: int = _f(
        1000, rng(1, None, integer=True, doc="accounts below this many followers ask")
    )
    boost_share: float = _f(0.5, rng(0, 1, doc="P(a booster grants a request)"))
    boost_limit: float = _f(
        0.0, rng(0, 10_000, doc="boosts an account grants a day (0: not a booster)")
    )
    # clout learning (C11; behaviour.clout)
    clout_lr: float = _f(
        0.0, rng(0, 1, doc="rate at which heat drifts toward what earned engagement")
    )
    # purity tests (C12; behaviour.purity)
    purity_prob: float = _f(0.0, rng(0, 1, doc="P(a session unfollows friends who stray)"))
    purity_tolerance: float = _f(
        2.0, rng(0, 2, doc="how far a friend's recent posts may sit from one's position")
    )
    purity_narrowing: float = _f(
        0.0, rng(0, 1, doc="share by which the tolerance narrows each day (0: stays wide)")
    )
    # reports and moderation (C6; behaviour.moderation)
    moderation: str = _f(
        "off", choice("off", "hashtag", "account", doc="what reports get suppressed")
    )
    report_prob: float = _f(0.0, rng(0, 1, doc="P(a reader reports a harmful post it read)"))
    report_threshold: int = _f(
        50, rng(1, None, integer=True, doc="reports that trigger a suppression")
    )
    suppress_ticks: int = _f(
        24, rng(1, None, integer=True, doc="how long a suppression lasts (ticks)")
    )
    # time and measures
    days: float = _f(1.0, rng(0, 100_000, lo_open=True, doc="simulated days"))
    ticks_per_day: int = _f(24, rng(1, 1440, integer=True, doc="steps per day"))
    measure_every: int = _f(
        1,
        rng(
            1,
            None,
            integer=True,
            doc="ticks between measurements (the last tick is always measured)",
        ),
    )

    def __post_init__(self) -> None:
        validate(self)
        if not isinstance(self.communities, tuple | list):
            raise ConfigError(
                f"got {self.communities!r}; allowed: a table {{name = share, ...}} "
                "or a list of [name, share] pairs",
                key="communities",
            )
        if len(self.communities) == 0 or len(self.communities) > 127:
            raise ConfigError("need 1 to 127 communities", key="communities")
        for c in self.communities:
            if not isinstance(c, tuple | list) or len(c) != 2:
                raise ConfigError(
                    f"each community is a [name, share] pair, got {c!r}", key="communities"
                )
        for name, share in self.communities:
            if (
                not isinstance(name, str)
                or isinstance(share, bool)
                or not isinstance(share, int | float)
                or not share >= 0
                or share == float("inf")
            ):
                raise ConfigError(
                    f"each community is (name, share >= 0), got ({name!r}, {share!r})",
                    key="communities",
                )
        if sum(s for _, s in self.communities) <= 0:
            raise ConfigError("community shares must not all be zero", key="communities")
        if not isinstance(self.positions, tuple | list) or any(
            isinstance(p, bool) or not isinstance(p, int | float) for p in self.positions
        ):
            raise ConfigError(
                f"got {self.positions!r}; allowed: a list of numbers in [-1, 1], one per community",
                key="positions",
            )
        if len(self.positions) != len(self.communities):
            raise ConfigError(
                f"one position per community: {len(self.communities)} communities, {len(self.positions)} positions",
                key="positions",
            )
        if any(not -1 <= p <= 1 for p in self.positions):
            raise ConfigError("positions must be in [-1, 1]", key="positions")
        if not isinstance(self.roles, tuple | list) or any(r not in ROLES for r in self.roles):
            raise ConfigError(
                f"got {self.roles!r}; allowed: a list of roles ({', '.join(ROLES)}), "
                "one per community",
                key="roles",
            )
        if self.roles and len(self.roles) != len(self.communities):
            raise ConfigError(
                f"one role per community: {len(self.communities)} communities, "
                f"{len(self.roles)} roles",
                key="roles",
            )
        if not isinstance(self.follower_pull, tuple | list) or any(
            isinstance(x, bool) or not isinstance(x, int | float) or not 0 < x < float("inf")
            for x in self.follower_pull
        ):
            raise ConfigError(
                f"got {self.follower_pull!r}; allowed: a list of numbers > 0, one per community",
                key="follower_pull",
            )
        if self.follower_pull and len(self.follower_pull) != len(self.communities):
            raise ConfigError(
                f"one number per community: {len(self.communities)} communities, "
                f"{len(self.follower_pull)} values",
                key="follower_pull",
            )
        if self.w_like + self.w_repost + self.w_reply + self.w_quote <= 0:
            raise ConfigError("at least one engagement weight must be > 0", key="w_like")
        names = [c for c, _ in self.communities]
        if self.marginalised_share > 0 and self.marginalised_community not in names:
            raise ConfigError(
                f"got {self.marginalised_community!r}; allowed: one of {', '.join(names)}",
                key="marginalised_community",
            )
        if self.campaign_topic >= self.n_topics:
            raise ConfigError(
                f"got {self.campaign_topic}; allowed: -1 (none) or a topic below n_topics"
                f" ({self.n_topics})",
                key="campaign_topic",
            )
        if self.mean_follows >= self.accounts:
            raise ConfigError(
                f"{self.mean_follows:g} must be below accounts ({self.accounts}); give a smaller"
                f" one, e.g. --set mean_follows={max(1, self.accounts // 5)}",
                key="mean_follows",
            )

    def community_roles(self) -> tuple[str, ...]:
        """The role of each community's accounts."""
        if self.roles:
            return tuple(self.roles)
        return tuple(name if name in ROLES else "member" for name, _ in self.communities)

    def population_spec(self) -> PopulationSpec:
        """The population part of these parameters."""
        return PopulationSpec(
            n_accounts=self.accounts,
            communities=self.communities,
            positions=self.positions,
            mean_activity=self.mean_activity,
            activity_sigma=self.activity_sigma,
            attention=self.attention,
            follow_budget=self.follow_budget,
        )

    def graph_spec(self) -> GraphSpec:
        """The follow-graph part of these parameters."""
        return GraphSpec(
            mean_follows=self.mean_follows,
            out_sigma=self.out_sigma,
            in_exponent=self.in_exponent,
            homophily=self.homophily,
            reciprocity=self.reciprocity,
            triadic=self.triadic,
            pull=tuple(float(x) for x in self.follower_pull),
        )

    @property
    def ticks(self) -> int:
        return max(1, round(self.days * self.ticks_per_day))
