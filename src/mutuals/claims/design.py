"""A claim as an experiment: its arms (scenarios) and its measures.

A claim file is a scenario TOML file (``[platform]``, ``[groups.NAME]``,
``[[events]]``: the base every arm shares) plus::

    [claim]
    id = "C3"
    title = "A mutual-follow habit builds machinery for viral posts"
    says = "..."           # the thread's words
    design = "..."         # what differs between the arms
    mechanism = "..."      # how the model produces the effect
    baseline = "none"      # the arm the others are compared with
    community = "organisers"   # whose accounts are "members" (default organisers)
    series = { mild = ["none", "light", "full"] }   # sweeps (slope measures): arms in order

    [arms.none]            # an arm: overrides of the base
    [arms.campaign]
    platform = { campaign_topic = 19 }
    events = [ { day = 1, seed_hashtag = { group = "seeders", topic = 19 } } ]
    groups = { seeders = { community = "organisers", share = 0.01 } }

An arm's ``platform`` table overrides base parameters, its ``groups`` are
added to (or replace) the base's, and its ``events`` follow the base's. Every
arm is checked as a whole scenario when the file is read (the same errors as
``mutuals simulate``: the key and the allowed range). What is measured, and in
which direction the thread says it moves, is code (:mod:`mutuals.claims.catalogue`);
what is simulated is data a user can copy, change and rerun
(``mutuals claims --scenario-dir DIR``).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mutuals.errors import ConfigError
from mutuals.scenarios.load import Scenario, scenario_from_mapping

__all__ = ["SCENARIOS", "ClaimFile", "load_claim_file"]

#: The claim files that ship with mutuals.
SCENARIOS = Path(__file__).resolve().parent / "scenarios"

_TEXT = ("title", "says", "design", "mechanism")


@dataclass(frozen=True)
class ClaimFile:
    """A claim file, read and checked (see the module docstring)."""

    id: str
    title: str
    says: str
    design: str
    mechanism: str
    baseline: str
    base: dict[str, Any]  # the scenario mapping every arm shares
    arms: dict[str, dict[str, Any]]  # arm name -> its full scenario mapping
    community: str = "organisers"
    path: Path | None = None
    changes: dict[str, dict[str, Any]] | None = None  # arm name -> its own table (what differs)
    series: dict[str, tuple[str, ...]] | None = None  # sweep name -> its arms

    def sweeps(self) -> dict[str, tuple[str, ...]]:
        """The claim's series of arms for slope measures (default: every arm, as ``sweep``)."""
        return dict(self.series) if self.series else {"sweep": tuple(self.arms)}

    def scenario(self, arm: str, overrides: Mapping[str, Any] | None = None) -> Scenario:
        """The arm's scenario, with ``overrides`` (``accounts``...) applied."""
        sc = scenario_from_mapping(self.arms[arm], name=f"{self.id}-{arm}")
        return sc.with_overrides(dict(overrides)) if overrides else sc

    @property
    def treatments(self) -> list[str]:
        return [a for a in self.arms if a != self.baseline]


def _merge(base: Mapping[str, Any], arm: Mapping[str, Any], where: str) -> dict[str, Any]:
    extra = set(arm) - {"platform", "groups", "events"}
    if extra:
        raise ConfigError(
            f"unknown key(s) {', '.join(sorted(extra))}; an arm holds platform, groups, events",
            key=f"{where}.{sorted(extra)[0]}",
        )
    out = {k: v for k, v in base.items()}
    model = out.get("scenario", "platform")
    for key, kind in (("platform", Mapping), ("groups", Mapping), ("events", list)):
        if key in arm and not isinstance(arm[key], kind):
            raise ConfigError(
                f"must be a {'table' if kind is Mapping else 'list'}", key=f"{where}.{key}"
            )
    if "platform" in arm:
        out[model] = {**out.get(model, {}), **arm["platform"]}
    if "groups" in arm:
        out["groups"] = {**out.get("groups", {}), **arm["groups"]}
    if "events" in arm:
        out["events"] = [*out.get("events", []), *arm["events"]]
    return out


def claim_from_mapping(data: Mapping[str, Any], *, path: Path | None = None) -> ClaimFile:
    """Check a claim file's content (see the module docstring)."""
    where = str(path) if path else "claim"
    claim = data.get("claim")
    if not isinstance(claim, Mapping):
        raise ConfigError(
            f"{where}: needs a [claim] table (id, title, says, baseline)", key="claim"
        )
    arms = data.get("arms")
    if not isinstance(arms, Mapping) or len(arms) < 1:
        raise ConfigError(f"{where}: needs at least one [arms.NAME] table", key="arms")
    known = {"id", "baseline", "community", "series", *_TEXT}
    extra = sorted(set(claim) - known)
    if extra:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(extra)}; allowed: {', '.join(sorted(known))}",
            key=f"claim.{extra[0]}",
        )
    for key in ("id", "baseline", *_TEXT):
        if key in ("id", "baseline") and not isinstance(claim.get(key), str):
            raise ConfigError(f"{where}: must be a string", key=f"claim.{key}")
        if key in _TEXT and not isinstance(claim.get(key, ""), str):
            raise ConfigError(f"{where}: must be a string", key=f"claim.{key}")
    if claim["baseline"] not in arms:
        raise ConfigError(
            f"{where}: got {claim['baseline']!r}; allowed: one of the arms ({', '.join(arms)})",
            key="claim.baseline",
        )
    series = _series(claim.get("series"), arms, where)
    base = {k: v for k, v in data.items() if k not in ("claim", "arms")}
    full: dict[str, dict[str, Any]] = {}
    for name, arm in arms.items():
        if not isinstance(arm, Mapping):
            raise ConfigError(f"{where}: must be a table", key=f"arms.{name}")
        try:
            full[name] = _merge(base, arm, f"arms.{name}")
            scenario_from_mapping(full[name], name=f"{claim['id']}-{name}")
        except ConfigError as e:
            msg = str(e)
            if e.key and msg.startswith(f"{e.key}: "):
                msg = msg[len(e.key) + 2 :]
            inner = e.key or ""
            full_key = inner if inner.startswith("arms.") else f"arms.{name}.{inner}".rstrip(".")
            raise ConfigError(f"{where}: arm {name!r}: {msg}", key=full_key) from None
    return ClaimFile(
        id=claim["id"],
        baseline=claim["baseline"],
        base=base,
        arms=full,
        community=str(claim.get("community", "organisers")),
        path=path,
        changes={name: dict(arm) for name, arm in arms.items()},
        series=series,
        **{k: str(claim.get(k, "")).strip() for k in _TEXT},
    )


def _series(value: Any, arms: Mapping[str, Any], where: str) -> dict[str, tuple[str, ...]] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or not value:
        raise ConfigError(f"{where}: must be a table of named lists of arms", key="claim.series")
    out = {}
    for name, members in value.items():
        key = f"claim.series.{name}"
        if not isinstance(members, list) or not all(isinstance(a, str) for a in members):
            raise ConfigError(f"{where}: must be a list of arm names", key=key)
        if len(set(members)) < 2:
            raise ConfigError(f"{where}: a series needs at least two arms", key=key)
        bad = [a for a in members if a not in arms]
        if bad:
            raise ConfigError(f"{where}: unknown arm {bad[0]!r}; arms: {', '.join(arms)}", key=key)
        out[str(name)] = tuple(members)
    return out


def load_claim_file(path: str | Path) -> ClaimFile:
    """Read and check one claim file."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{p}: cannot read it ({e})") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{p}: not valid TOML: {e}") from None
    return claim_from_mapping(data, path=p)
