"""Behaviour: policies that turn the platform's state into actions.

Each policy declares the parameters it reads (names of
:class:`~mutuals.scenarios.platform.PlatformParams` fields; those in
:data:`mutuals.platform.state.PER_ACCOUNT` are read per account, so a scenario
event can change them for a group) and decides, from the state and the run's
random numbers, what accounts do this tick. Policies never change the state:
:mod:`mutuals.engine` applies what they return. A tick runs the phases of
:data:`PHASES` in order; a new mechanism is a new policy (and, where it needs
one, a scenario event), not a new branch in the step loop.

==============  ====================================================  =========================
policy          decides                                               kernel
==============  ====================================================  =========================
activity        who starts sessions (Poisson, not while away)         numpy
sessions        reading, engagement and posting, session by session   kernels.sessions (reading,
                                                                      engagement, posting)
dilution        each account's running feed repetition (1 - normalised    kernels.diversity
                entropy of topics and sources read)
clout           authors' heat drifts toward what earned engagement    numpy
leaving         who leaves for a while: after a session with nothing     numpy
                worth engaging with, or tired of a repetitive feed
unfollowing     who drops a random friend                             numpy
purity          who unfollows friends whose posts stray past a        numpy
                tolerance that may narrow day by day
following       follow requests from engagement, then follow-backs    numpy (budgets: engine)
disguise        which incognito infiltrators reveal themselves         numpy
campaign        a hashtag campaign: exposure (feed, the hashtag's     numpy
                page), adoption, follows under follower_cap
boosting        small accounts ask boosters to repost their new       numpy
                posts ("holler and I'll RT it"), within daily limits
moderation      reports of harmful posts read; hashtags or accounts   numpy
                suppressed past a threshold (their new posts hidden)
==============  ====================================================  =========================
"""

from __future__ import annotations

from mutuals.behaviour.activity import Activity
from mutuals.behaviour.boosting import Boosting
from mutuals.behaviour.campaign import Campaign, CampaignDecision
from mutuals.behaviour.clout import Clout
from mutuals.behaviour.dilution import Dilution
from mutuals.behaviour.disguise import Disguise
from mutuals.behaviour.following import Following
from mutuals.behaviour.leaving import Leaving
from mutuals.behaviour.moderation import Moderation, Reports
from mutuals.behaviour.purity import Purity
from mutuals.behaviour.sessions import SessionOutcome, Sessions
from mutuals.behaviour.unfollowing import Unfollowing

__all__ = [
    "PHASES",
    "Activity",
    "Boosting",
    "Campaign",
    "CampaignDecision",
    "Clout",
    "Dilution",
    "Disguise",
    "Following",
    "Leaving",
    "Moderation",
    "Purity",
    "Reports",
    "SessionOutcome",
    "Sessions",
    "Unfollowing",
]

#: The phases of a tick, in order (the order the run's random numbers are drawn in).
PHASES = (
    "activity", "sessions", "dilution", "clout", "leaving", "unfollowing", "purity", "following",
    "disguise", "campaign", "boosting", "moderation", "delivery",
)  # fmt: skip
