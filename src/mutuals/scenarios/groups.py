"""Groups of accounts, named by rule, that scenario events refer to.

A group is a conjunction of rules, evaluated on the run's state when an event
that names it fires (so "accounts under 1,000 followers" means under 1,000
then)::

    [groups.small_organisers]
    community = "organisers"      # one name or a list
    followers_below = 1000

    [groups.top]
    most_followed = 200           # the 200 most-followed (of those the other rules keep)

    [groups.sample]
    role = ["member", "mainstream"]
    share = 0.1                   # a random share (drawn from the run's generator)

    [groups.burst]
    hashtag = 3                   # accounts that wrote a post, reply or quote on topic 3

    [groups.right_of_centre]
    position_at_least = 0.3       # left-right position (position_below: strictly below)

Accounts that have not arrived yet (see the ``add_accounts`` event) are never
in a group.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

from mutuals.errors import ConfigError
from mutuals.platform.accounts import ROLES
from mutuals.platform.state import PlatformState

__all__ = ["Group", "parse_groups"]


@dataclass(frozen=True)
class Group:
    """Rules that select accounts (see the module docstring); empty rules select all."""

    name: str
    community: tuple[str, ...] = ()
    role: tuple[str, ...] = ()
    followers_below: int | None = None
    followers_at_least: int | None = None
    position_at_least: float | None = None
    position_below: float | None = None
    hashtag: int | None = None
    most_followed: int | None = None
    share: float | None = None

    def select(
        self, state: PlatformState, community_names: list[str], rng: np.random.Generator
    ) -> NDArray[np.int64]:
        """Ids of the accounts the rules keep now, ascending."""
        acc = state.accounts
        keep = state.arrival <= state.tick
        if self.community:
            codes = [community_names.index(c) for c in self.community]
            keep &= np.isin(acc.community, codes)
        if self.role:
            keep &= np.isin(acc.role, [ROLES.index(r) for r in self.role])
        if self.followers_below is not None or self.followers_at_least is not None:
            fc = state.graph.followers_count
            if self.followers_below is not None:
                keep &= fc < self.followers_below
            if self.followers_at_least is not None:
                keep &= fc >= self.followers_at_least
        if self.position_at_least is not None:
            keep &= acc.position >= self.position_at_least
        if self.position_below is not None:
            keep &= acc.position < self.position_below
        if self.hashtag is not None:
            c = state.posts.cols
            m = state.posts.n
            wrote = (c["topic"][:m] == self.hashtag) & (c["kind"][:m] != 1)
            used = np.zeros(acc.n, bool)
            used[c["author"][:m][wrote]] = True
            keep &= used
        ids = np.flatnonzero(keep)
        if self.most_followed is not None and ids.size > self.most_followed:
            fc = state.graph.followers_count[ids]
            order = np.argsort(-fc, kind="stable")  # ties: lower id first
            ids = np.sort(ids[order[: self.most_followed]])
        if self.share is not None:
            ids = ids[rng.random(ids.size) < self.share]
        return ids.astype(np.int64)

    def describe(self) -> dict[str, Any]:
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name != "name" and getattr(self, f.name) not in ((), None)
        }


def _names(key: str, v: Any) -> tuple[str, ...]:
    if isinstance(v, str):
        return (v,)
    if isinstance(v, list | tuple) and all(isinstance(x, str) for x in v):
        return tuple(v)
    raise ConfigError(f"got {v!r}; allowed: a name or a list of names", key=key)


def _int(key: str, v: Any, lo: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < lo:
        raise ConfigError(f"got {v!r}; allowed: an integer >= {lo}", key=key)
    return v


def parse_groups(
    data: Mapping[str, Any], *, communities: list[str], n_topics: int
) -> dict[str, Group]:
    """Groups from the ``[groups]`` table of a scenario file, checked (the bad key
    and what is allowed, in one line)."""
    if not isinstance(data, Mapping):
        raise ConfigError("must be a table of named groups", key="groups")
    allowed = {f.name for f in fields(Group)} - {"name"}
    out: dict[str, Group] = {}
    for name, rules in data.items():
        key = f"groups.{name}"
        if not isinstance(rules, Mapping):
            raise ConfigError("must be a table of rules", key=key)
        unknown = sorted(set(rules) - allowed)
        if unknown:
            raise ConfigError(
                f"unknown rule(s) {', '.join(unknown)}; rules: {', '.join(sorted(allowed))}",
                key=key,
            )
        kw: dict[str, Any] = {}
        if "community" in rules:
            kw["community"] = _names(f"{key}.community", rules["community"])
            bad = [c for c in kw["community"] if c not in communities]
            if bad:
                raise ConfigError(
                    f"unknown community {bad[0]!r}; communities: {', '.join(communities)}",
                    key=f"{key}.community",
                )
        if "role" in rules:
            kw["role"] = _names(f"{key}.role", rules["role"])
            bad = [r for r in kw["role"] if r not in ROLES]
            if bad:
                raise ConfigError(
                    f"unknown role {bad[0]!r}; roles: {', '.join(ROLES)}", key=f"{key}.role"
                )
        for k in ("followers_below", "followers_at_least"):
            if k in rules:
                kw[k] = _int(f"{key}.{k}", rules[k], 0)
        for k in ("position_at_least", "position_below"):
            if k in rules:
                v = rules[k]
                if isinstance(v, bool) or not isinstance(v, int | float) or not -1 <= v <= 1:
                    raise ConfigError(f"got {v!r}; allowed: a number in [-1, 1]", key=f"{key}.{k}")
                kw[k] = float(v)
        if "most_followed" in rules:
            kw["most_followed"] = _int(f"{key}.most_followed", rules["most_followed"], 1)
        if "hashtag" in rules:
            kw["hashtag"] = _int(f"{key}.hashtag", rules["hashtag"], 0)
            if kw["hashtag"] >= n_topics:
                raise ConfigError(
                    f"got {kw['hashtag']}; allowed: a topic in [0, {n_topics})",
                    key=f"{key}.hashtag",
                )
        if "share" in rules:
            v = rules["share"]
            if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= 1:
                raise ConfigError(f"got {v!r}; allowed: a number in [0, 1]", key=f"{key}.share")
            kw["share"] = float(v)
        out[str(name)] = Group(name=str(name), **kw)
    return out
