"""The claims `mutuals claims` runs: for each, its measures and the direction
the thread says each moves in (MODEL.md, C1-C13).

The direction is the thread's, fixed before anything is run: +1 when the claim
says the measure is higher in a treatment arm than in the baseline (or, for a
one-arm claim, that the statistic is above its null value), -1 when lower, 0
for a measure that is reported but is not what the claim is about.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CATALOGUE", "Measure"]


@dataclass(frozen=True)
class Measure:
    """One measured quantity of a claim.

    ``kind``: ``difference`` (treatment minus baseline, paired over common
    seeds; null 0), ``ratio`` (geometric-mean ratio, null 1), ``one_sample``
    (one arm's statistic against ``null``) or ``slope`` (a sweep: the
    within-replicate slope of the measure against the measure ``against``
    over the arms of each of the claim's series, null 0;
    :func:`mutuals.claims.stats.slope_effect`).
    """

    name: str
    unit: str
    direction: int
    kind: str = "difference"
    primary: bool = False
    null: float = 0.0
    against: str = ""


CATALOGUE: dict[str, tuple[Measure, ...]] = {
    "C1": (
        Measure("spearman_reach", "Spearman rho", +1, "one_sample", primary=True),
        Measure("slope_reach", "log-log slope", +1, "one_sample"),
        Measure("spearman_reposts", "Spearman rho", +1, "one_sample"),
    ),
    "C2": (
        Measure("reach_per_post", "ratio of feeds reached per post", +1, "ratio", True, 1.0),
        Measure("median_followers", "followers", +1),
    ),
    "C3": (
        Measure("share_viral", "share of members' posts", +1, primary=True),
        Measure("share_under_1k", "share of members", -1),
        Measure("median_followers", "followers", +1),
        Measure("follower_gain", "followers per member", +1),
        Measure("reach_per_post", "feeds reached per post", +1),
        Measure("campaign_share_of_follows", "share of all follows", 0),
        Measure("adopters", "accounts", 0),
    ),
    "C4": (
        Measure("follower_gap", "followers (median, others - marginalised)", -1, primary=True),
        Measure("gini", "Gini of members' followers", -1),
        Measure("marginalised_gain", "followers per marginalised member", +1),
    ),
    "C5": (
        Measure("member_followers", "members following each infiltrator", +1, primary=True),
        Measure("exposure_share", "share of members' reads", +1),
        Measure("feed_quality", "ratio of members' mean feed quality", -1, "ratio", null=1.0),
        Measure("reveals", "infiltrators revealed", 0),
    ),
    "C6": (
        Measure("reach_per_post", "feeds reached per member post", -1, primary=True),
        Measure("legit_hidden", "legitimate posts hidden", +1),
        Measure("member_posts_hidden", "members' posts hidden", +1),
        Measure("attacker_posts", "harmful posts", 0),
        Measure("attacker_accounts", "accounts", 0),
    ),
    "C7": (
        Measure(
            "repetition",
            "repetition per same-community follow",
            +1,
            "slope",
            True,
            against="same_community_follows",
        ),
        Measure(
            "engagement_per_session",
            "engagements a session per same-community follow",
            -1,
            "slope",
            against="same_community_follows",
        ),
        Measure(
            "share_away",
            "share of members who left, per same-community follow",
            +1,
            "slope",
            against="same_community_follows",
        ),
        Measure("same_community_follows", "members' friends in their community", 0, "one_sample"),
    ),
    "C8": (
        Measure("peak_share", "peak share of members' reads on the trend", +1, primary=True),
        Measure("amplification", "feed share / posting share of the trend, first day", +1),
        Measure("recovery_hours", "hours until below twice its share before", +1),
        Measure("baseline_share", "share of members' reads before the burst", 0),
    ),
    "C9": (
        Measure("outside_exposure", "share of members' reads from outside", -1, primary=True),
        Measure("ei_index", "E-I index of members' follows", -1),
        Measure("modularity", "modularity of the follow graph by community", +1),
        Measure("mainstream_topics_seen", "mainstream topics in members' feeds", -1),
        Measure("mainstream_share", "share of members' reads on mainstream topics", -1),
    ),
    "C10": (
        Measure("repetition", "members' feed repetition", -1, primary=True),
        Measure("engagement_per_session", "engagements per member session", +1),
        Measure("share_away", "share of members who left", -1),
        Measure("peak_share", "peak share of members' reads on the trend", -1),
        Measure("outside_exposure", "share of members' reads from outside", +1),
        Measure("ei_index", "E-I index of members' follows", +1),
        Measure("mainstream_topics_seen", "mainstream topics in members' feeds", +1),
        Measure("mainstream_share", "share of members' reads on mainstream topics", +1),
        Measure("reach_per_post", "feeds reached per member post", 0),
    ),
    "C11": (
        Measure("heat_last_day", "mean heat of the last day's posts", +1, primary=True),
        Measure("heat_change", "mean heat, last day - first day", +1),
        Measure("account_heat", "mean heat accounts post at, at the end", +1),
    ),
    "C12": (
        Measure("unfollow_rate", "unfollows per member per day", +1, primary=True),
        Measure("components", "components among members", +1),
        Measure("communities", "Louvain communities among members", +1),
        Measure("modularity", "modularity of members' Louvain partition", +1),
        Measure("reach_change", "reach per post, after - before", -1),
    ),
    "C13": (
        Measure(
            "log_boost_ratio",
            "log(reach boosted / asked, not boosted)",
            +1,
            "one_sample",
            primary=True,
        ),
        Measure("small_reach_per_post", "feeds reached per small account's post", +1),
        Measure("boosts", "boosts", 0),
    ),
}
