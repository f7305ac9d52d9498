"""Timed interventions: what happens to a run, and when.

A scenario is base parameters plus events. Each ``[[events]]`` entry has one
timing key and one action::

    [[events]]
    day = 1                                  # or tick = 24, or when = {...}
    seed_hashtag = { group = "organisers", topic = 3, posts = 1 }

    [[events]]
    when = { stops_trending = 3 }            # fires once, the first tick it holds
    set_param = { group = "organisers", unfollow_rate = 0.05 }

Timing: ``tick = N`` (before the N-th tick runs, 0-based, so ``tick = 0`` is
the start), ``day = X`` (``tick = round(X * ticks_per_day)``), or ``when`` a
condition holds at the start of a tick: ``{ trending = T }`` (topic T is in the
trending list), ``{ stops_trending = T }`` (it was, and is no longer),
``{ used = T }`` (a post on topic T exists), ``{ count = "posts", at_least = N }``
(a run counter: posts, sessions, follows, unfollows, deliveries, ...). Any
condition takes ``delay = TICKS``: the event fires that many ticks after the
condition first held ("it took like 2 minutes ... to show up").

Actions (applied by :mod:`mutuals.engine.events`):

================  ==============================================================
action            arguments
================  ==============================================================
seed_hashtag      group; topic; posts (per account, default 1); harmful (default
                  false: true for a hijack's posts): the group posts on the topic now
set_param         group; one or more per-account parameters (p_post, engage_scale,
                  follow_on_engage, follow_back, unfollow_rate, list_read_prob,
                  leave_if_bored) = value: from then on, for that group
set_platform      platform-wide parameters = value (ranking, heat_weight, half_life,
                  interest_lr, w_like, w_repost, w_reply, w_quote, quality_lambda,
                  appeal_exponent, heat_spread, away_days; the campaign's and
                  moderation's: see PLATFORM_SWITCHES)
add_list          members (group); subscribers (group): a list the subscribers read;
                  size = N: each subscriber keeps a list of its own instead, N
                  accounts of the group drawn at random (never itself)
add_accounts      n (or share: of the accounts); community; role; position
                  (default the community's);
                  activity (sessions a day, default mean_activity); follow =
                  { group, n } (each new account follows n of the group);
                  hashtag (a topic they post under from arrival); disguise =
                  "none" | "open" (harmful from the start, at their own position)
                  | "incognito" (imitate = the community they pass as, until
                  reveal_followers followers: then harmful, at their own position)
================  ==============================================================

Every key is checked when the file is read, with the same one-line errors as
parameters (the key and what is allowed), and events are recorded in the
manifest as the plain tables they were given as.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mutuals.errors import ConfigError
from mutuals.platform.accounts import ROLES
from mutuals.platform.state import COUNTERS, PER_ACCOUNT
from mutuals.scenarios.groups import Group
from mutuals.scenarios.params import check_value

__all__ = ["ACTIONS", "DISGUISES", "PLATFORM_SWITCHES", "Event", "parse_events"]

#: How accounts an ``add_accounts`` event brings present themselves
#: (:mod:`mutuals.behaviour.disguise`).
DISGUISES = ("none", "open", "incognito")

#: Platform-wide parameters an event may switch during a run (read every tick).
PLATFORM_SWITCHES = (
    "ranking", "heat_weight", "half_life", "interest_lr", "w_like", "w_repost", "w_reply",
    "w_quote", "quality_lambda", "appeal_exponent", "heat_spread", "away_days",
    "moderation", "report_prob", "report_threshold", "suppress_ticks", "harm_quality",
    "harm_heat", "campaign_browse_prob", "campaign_trend_browse", "campaign_follow_prob",
    "follower_cap", "campaign_follow_tolerance", "campaign_follow_back", "campaign_inclusive",
    "inclusive_weight", "vet_tolerance", "adopt_position_scale", "campaign_post_share",
    "clout_lr", "purity_narrowing", "fatigue_engage", "fatigue_leave", "repetition_memory",
    "campaign_wide_share", "author_diversity_decay", "author_diversity_floor",
)  # fmt: skip
ACTIONS = ("seed_hashtag", "set_param", "set_platform", "add_list", "add_accounts")
_TIMING = ("tick", "day", "when")
_COUNTS = (*COUNTERS, "posts")


@dataclass(frozen=True)
class Event:
    """One intervention: its action and arguments, and when it fires."""

    action: str
    args: Mapping[str, Any]
    tick: int | None = None
    when: Mapping[str, Any] | None = None
    index: int = 0  # position in the file, for messages and the events table

    def describe(self) -> dict[str, Any]:
        d: dict[str, Any] = {"tick": self.tick} if self.when is None else {"when": dict(self.when)}
        d[self.action] = dict(self.args)
        return d


def _field_meta(params: Any, name: str) -> Mapping[str, Any]:
    for f in dataclasses.fields(params):
        if f.name == name:
            return f.metadata
    raise KeyError(name)


def _group(key: str, args: Mapping[str, Any], name: str, groups: Mapping[str, Group]) -> None:
    g = args.get(name)
    if not isinstance(g, str) or g not in groups:
        known = ", ".join(groups) or "none defined: add a [groups.NAME] table"
        raise ConfigError(f"got {g!r}; allowed: a group name ({known})", key=f"{key}.{name}")


def _int(key: str, v: Any, lo: int, hi: int | None = None) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < lo or (hi is not None and v > hi):
        rng = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
        raise ConfigError(f"got {v!r}; allowed: an integer {rng}", key=key)
    return v


def _only(key: str, args: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(args) - allowed)
    if unknown:
        raise ConfigError(
            f"unknown argument(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}",
            key=key,
        )


def _check_action(
    key: str, action: str, args: Any, params: Any, groups: Mapping[str, Group]
) -> dict[str, Any]:
    if not isinstance(args, Mapping):
        raise ConfigError("must be a table of arguments", key=key)
    args = dict(args)
    if action == "seed_hashtag":
        _only(key, args, {"group", "topic", "posts", "harmful"})
        _group(key, args, "group", groups)
        _int(f"{key}.topic", args.get("topic"), 0, params.n_topics - 1)
        args["posts"] = _int(f"{key}.posts", args.get("posts", 1), 1, 1000)
        if not isinstance(args.setdefault("harmful", False), bool):
            raise ConfigError(
                f"got {args['harmful']!r}; allowed: true or false", key=f"{key}.harmful"
            )
    elif action == "set_param":
        _only(key, args, {"group", *PER_ACCOUNT})
        _group(key, args, "group", groups)
        changed = [k for k in args if k != "group"]
        if not changed:
            raise ConfigError(f"name a parameter to set: {', '.join(PER_ACCOUNT)}", key=key)
        for k in changed:
            args[k] = check_value(f"{key}.{k}", args[k], _field_meta(params, k))
    elif action == "set_platform":
        _only(key, args, set(PLATFORM_SWITCHES))
        if not args:
            raise ConfigError(f"name a parameter to set: {', '.join(PLATFORM_SWITCHES)}", key=key)
        for k, v in args.items():
            args[k] = check_value(f"{key}.{k}", v, _field_meta(params, k))
    elif action == "add_list":
        _only(key, args, {"members", "subscribers", "size"})
        _group(key, args, "members", groups)
        _group(key, args, "subscribers", groups)
        if "size" in args:
            args["size"] = _int(f"{key}.size", args["size"], 1, 100_000)
    elif action == "add_accounts":
        _only(
            key,
            args,
            {"n", "share", "community", "role", "position", "activity", "follow", "disguise", "imitate",
             "reveal_followers", "hashtag"},
        )  # fmt: skip
        d = args.setdefault("disguise", "none")
        if d not in DISGUISES:
            raise ConfigError(
                f"got {d!r}; allowed: one of {', '.join(DISGUISES)}", key=f"{key}.disguise"
            )
        names_ = [c for c, _ in params.communities]
        if d == "incognito" and args.get("imitate") not in names_:
            raise ConfigError(
                f"got {args.get('imitate')!r}; allowed: the community an incognito account"
                f" passes as, one of {', '.join(names_)}",
                key=f"{key}.imitate",
            )
        if "imitate" in args and d != "incognito":
            raise ConfigError("only incognito accounts imitate a community", key=f"{key}.imitate")
        if "reveal_followers" in args:
            args["reveal_followers"] = _int(f"{key}.reveal_followers", args["reveal_followers"], 0)
        if "hashtag" in args:
            args["hashtag"] = _int(f"{key}.hashtag", args["hashtag"], 0, params.n_topics - 1)
        if "share" in args:  # a share of the population, so a file scales with accounts
            if "n" in args:
                raise ConfigError("give n or share, not both", key=key)
            sh = args.pop("share")
            if isinstance(sh, bool) or not isinstance(sh, int | float) or not 0 < sh <= 1:
                raise ConfigError(f"got {sh!r}; allowed: a number in (0, 1]", key=f"{key}.share")
            args["n"] = max(1, round(sh * params.accounts))
        args["n"] = _int(f"{key}.n", args.get("n"), 1, 10_000_000)
        names = [c for c, _ in params.communities]
        if args.get("community") not in names:
            raise ConfigError(
                f"got {args.get('community')!r}; allowed: one of {', '.join(names)}",
                key=f"{key}.community",
            )
        role = args.setdefault("role", "member")
        if role not in ROLES:
            raise ConfigError(
                f"got {role!r}; allowed: one of {', '.join(ROLES)}", key=f"{key}.role"
            )
        if "position" in args:
            v = args["position"]
            if isinstance(v, bool) or not isinstance(v, int | float) or not -1 <= v <= 1:
                raise ConfigError(f"got {v!r}; allowed: a number in [-1, 1]", key=f"{key}.position")
        if "activity" in args:
            v = args["activity"]
            if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= 1000:
                raise ConfigError(
                    f"got {v!r}; allowed: a number in [0, 1000]", key=f"{key}.activity"
                )
        if "follow" in args:
            f = args["follow"]
            if not isinstance(f, Mapping):
                raise ConfigError("must be a table {group, n}", key=f"{key}.follow")
            _only(f"{key}.follow", f, {"group", "n"})
            _group(f"{key}.follow", f, "group", groups)
            _int(f"{key}.follow.n", f.get("n"), 1, 100_000)
            args["follow"] = dict(f)
    return args


def _check_when(key: str, when: Any, params: Any) -> dict[str, Any]:
    if not isinstance(when, Mapping) or not when:
        raise ConfigError(
            "must be a table: {trending = T}, {stops_trending = T}, {used = T} or"
            " {count = NAME, at_least = N}, each with an optional delay = TICKS",
            key=key,
        )
    when = dict(when)
    if "delay" in when:
        when["delay"] = _int(f"{key}.delay", when["delay"], 0)
    if "trending" in when or "stops_trending" in when or "used" in when:
        k = next(x for x in ("trending", "stops_trending", "used") if x in when)
        _only(key, when, {k, "delay"})
        _int(f"{key}.{k}", when[k], 0, params.n_topics - 1)
    elif "count" in when:
        _only(key, when, {"count", "at_least", "delay"})
        if when["count"] not in _COUNTS:
            raise ConfigError(
                f"got {when['count']!r}; allowed: one of {', '.join(_COUNTS)}", key=f"{key}.count"
            )
        _int(f"{key}.at_least", when.get("at_least"), 0)
    else:
        raise ConfigError(
            f"unknown condition {', '.join(sorted(when))}; allowed: trending, stops_trending,"
            " used, count",
            key=key,
        )
    return when


def parse_events(data: Any, *, params: Any, groups: Mapping[str, Group]) -> tuple[Event, ...]:
    """Events from the ``[[events]]`` array of a scenario file, checked."""
    if not isinstance(data, list):
        raise ConfigError("must be an array of tables ([[events]])", key="events")
    out = []
    for i, ev in enumerate(data):
        key = f"events[{i}]"
        if not isinstance(ev, Mapping):
            raise ConfigError("must be a table", key=key)
        timing = [k for k in _TIMING if k in ev]
        actions = [k for k in ACTIONS if k in ev]
        unknown = sorted(set(ev) - set(_TIMING) - set(ACTIONS))
        if unknown:
            raise ConfigError(
                f"unknown key(s) {', '.join(unknown)}; an event has one of {', '.join(_TIMING)} "
                f"and one action of {', '.join(ACTIONS)}",
                key=key,
            )
        if len(timing) != 1:
            raise ConfigError(f"give exactly one of {', '.join(_TIMING)}", key=key)
        if len(actions) != 1:
            raise ConfigError(f"give exactly one action of {', '.join(ACTIONS)}", key=key)
        action = actions[0]
        args = _check_action(f"{key}.{action}", action, ev[action], params, groups)
        tick = when = None
        if timing[0] == "tick":
            tick = _int(f"{key}.tick", ev["tick"], 0)
        elif timing[0] == "day":
            d = ev["day"]
            if isinstance(d, bool) or not isinstance(d, int | float) or not 0 <= d <= 100_000:
                raise ConfigError(f"got {d!r}; allowed: a number of days >= 0", key=f"{key}.day")
            tick = round(d * params.ticks_per_day)
        else:
            when = _check_when(f"{key}.when", ev["when"], params)
        out.append(Event(action=action, args=args, tick=tick, when=when, index=i))
    return tuple(out)
