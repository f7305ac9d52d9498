"""Scenario files (TOML) and built-in scenarios.

A scenario file names its model and gives parameters in a section of the same
name; every key is checked against its declared range::

    scenario = "platform"        # or "simsom"
    seed = 42                    # optional; the command line's --seed wins

    [platform]
    accounts = 20000
    ranking = "ranked"
    communities = { organisers = 0.1, mainstream = 0.8, hostile = 0.1 }
    positions = [-0.6, 0.0, 0.7]
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mutuals.errors import ConfigError
from mutuals.scenarios.events import Event, parse_events
from mutuals.scenarios.groups import Group, parse_groups
from mutuals.scenarios.platform import PlatformParams
from mutuals.scenarios.simsom import SimSoMParams

__all__ = [
    "BUILTIN",
    "EXAMPLES",
    "Scenario",
    "examples",
    "load_scenario",
    "scenario_from_manifest",
    "scenario_from_mapping",
]

MODELS: dict[str, type] = {"platform": PlatformParams, "simsom": SimSoMParams}

#: Scenario files shipped with the package, found by name (``hashtag-burst``).
EXAMPLES = Path(__file__).resolve().parent / "examples"


def examples() -> list[str]:
    """Names of the packaged example scenarios."""
    return sorted(p.stem for p in EXAMPLES.glob("*.toml"))


#: Built-in scenarios: name -> (model, parameter overrides, description).
BUILTIN: dict[str, tuple[str, dict[str, Any], str]] = {
    "default": ("platform", {}, "10k accounts in three communities, chronological feeds, one day"),
    "ranked": ("platform", {"ranking": "ranked"}, "the default with engagement-ranked feeds"),
    "simsom": ("simsom", {}, "SimSoM as published: 10k humans, 500 bots, gamma 0.01"),
}


@dataclass(frozen=True)
class Scenario:
    """A model name, its checked parameters, an optional seed from the file, and
    (platform scenarios) named groups of accounts and timed events.

    ``groups_spec`` and ``events_spec`` are the file's ``[groups]`` and
    ``[[events]]`` tables as given (recorded in the manifest);
    :attr:`groups` and :attr:`events` are them checked against the parameters.
    """

    name: str
    model: str
    params: Any
    seed: int | None = None
    groups_spec: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    events_spec: tuple[Mapping[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if (self.groups_spec or self.events_spec) and self.model != "platform":
            raise ConfigError("groups and events apply to platform scenarios", key="events")
        self.groups  # noqa: B018 - check them now, not at the first event
        self.events  # noqa: B018

    @property
    def groups(self) -> dict[str, Group]:
        if not self.groups_spec:
            return {}
        return parse_groups(
            self.groups_spec,
            communities=[c for c, _ in self.params.communities],
            n_topics=self.params.n_topics,
        )

    @property
    def events(self) -> tuple[Event, ...]:
        if not self.events_spec:
            return ()
        return parse_events(list(self.events_spec), params=self.params, groups=self.groups)

    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """A copy with some parameters replaced (checked like the file's; groups
        and events are checked again against the new parameters)."""
        if not overrides:
            return self
        values = {**_as_mapping(self.params), **overrides}
        return dataclasses.replace(self, params=_build(self.model, values))

    def describe_params(self) -> dict[str, Any]:
        return _as_mapping(self.params)

    def describe(self) -> dict[str, Any]:
        """Groups and events as plain data, for the manifest (empty when none)."""
        out: dict[str, Any] = {}
        if self.groups_spec:
            out["groups"] = _plain(self.groups_spec)
        if self.events_spec:
            out["events"] = [_plain(e) for e in self.events_spec]
        return out


def _plain(v: Any) -> Any:
    if isinstance(v, Mapping):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    return v


def _as_mapping(params: Any) -> dict[str, Any]:
    return {f.name: getattr(params, f.name) for f in dataclasses.fields(params)}


#: Older names of a parameter, still read (one name per idea across models).
ALIASES: dict[str, dict[str, str]] = {
    "simsom": {"n_humans": "accounts", "feed_size": "feed_capacity"},
}


def _build(model: str, values: Mapping[str, Any]) -> Any:
    cls = MODELS[model]
    values = dict(values)
    for old, new in ALIASES.get(model, {}).items():
        if old in values:
            if new in values:
                raise ConfigError(f"give {new} or its older name {old}, not both", key=model)
            values[new] = values.pop(old)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(
            f"unknown key(s) {', '.join(unknown)}; known keys: {', '.join(sorted(known))}",
            key=model,
        )
    values = dict(values)
    if model == "platform":
        comm = values.get("communities")
        if isinstance(comm, Mapping):
            values["communities"] = tuple((str(k), v) for k, v in comm.items())
        elif isinstance(
            comm, list
        ):  # [[name, share], ...]; other shapes are rejected by the params
            values["communities"] = tuple(tuple(x) if isinstance(x, list) else x for x in comm)
        for key in ("positions", "roles", "follower_pull"):
            if isinstance(values.get(key), list):
                values[key] = tuple(values[key])
    try:
        return cls(**values)
    except ConfigError as e:
        msg = str(e)
        if e.key and msg.startswith(f"{e.key}: "):
            msg = msg[len(e.key) + 2 :]
        raise ConfigError(msg, key=f"{model}.{e.key}" if e.key else model) from None
    except TypeError as e:  # wrong structure, e.g. a table where a number was expected
        raise ConfigError(str(e), key=model) from None


def scenario_from_mapping(data: Mapping[str, Any], *, name: str = "<mapping>") -> Scenario:
    """Build a scenario from a parsed TOML document."""
    model = data.get("scenario", "platform")
    if model not in MODELS:
        raise ConfigError(
            f"got {model!r}; allowed: {', '.join(repr(m) for m in MODELS)}", key="scenario"
        )
    extra = sorted(set(data) - {"scenario", "seed", model, "groups", "events"})
    if extra:
        raise ConfigError(
            f"unknown top-level key(s) {', '.join(extra)}; allowed: scenario, seed, [{model}],"
            " [groups], [[events]]",
            key=extra[0],
        )
    seed = data.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ConfigError(f"got {seed!r}; allowed: a non-negative integer", key="seed")
    section = data.get(model, {})
    if not isinstance(section, Mapping):
        raise ConfigError("must be a table of parameters", key=model)
    groups = data.get("groups", {})
    if not isinstance(groups, Mapping):
        raise ConfigError("must be a table of named groups ([groups.NAME])", key="groups")
    events = data.get("events", [])
    if not isinstance(events, list):
        raise ConfigError("must be an array of tables ([[events]])", key="events")
    return Scenario(
        name=name,
        model=model,
        params=_build(model, section),
        seed=seed,
        groups_spec=dict(groups),
        events_spec=tuple(events),
    )


def load_scenario(spec: str | Path) -> Scenario:
    """A built-in scenario by name, or a TOML file by path."""
    s = str(spec)
    if s in BUILTIN:
        model, overrides, _ = BUILTIN[s]
        return Scenario(name=s, model=model, params=_build(model, overrides))
    path = Path(s)
    if not path.is_file() and (EXAMPLES / f"{s}.toml").is_file():  # a packaged example
        path = EXAMPLES / f"{s}.toml"
    if not path.is_file():
        raise ConfigError(
            f"{s!r} is neither a built-in scenario ({', '.join([*BUILTIN, *examples()])})"
            " nor a TOML file",
            key="scenario",
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    if not data:
        raise ConfigError(
            f"{path}: the scenario file is empty; give at least one parameter "
            "(`mutuals simulate --show-params` lists them), or run the built-in `default`"
        )
    return scenario_from_mapping(data, name=path.stem)


def scenario_from_manifest(path: str | Path) -> tuple[Scenario, dict[str, Any]]:
    """The scenario and seed recorded in a run's ``manifest.json``, to re-run it.

    Returns the scenario (its ``seed`` is the run's seed) and the whole
    manifest (for example its ``"graph"`` entry, the follow graph the run was
    given). Raises :class:`~mutuals.errors.ConfigError` naming what is missing.
    """
    import json

    p = Path(path)
    try:
        manifest = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ConfigError(f"{p}: not a JSON run manifest ({e})") from None
    if not isinstance(manifest, dict):
        raise ConfigError(f"{p}: not a run manifest (a JSON object)")
    missing = [k for k in ("model", "params", "seed") if k not in manifest]
    if missing:
        raise ConfigError(f"{p}: not a run manifest of `mutuals simulate`: no {', '.join(missing)}")
    model, params = manifest["model"], manifest["params"]
    if not isinstance(params, Mapping):
        raise ConfigError(f"{p}: 'params' must be an object")
    try:
        doc: dict[str, Any] = (
            {"scenario": model, model: params, "seed": manifest["seed"]}
            if isinstance(model, str)
            else {"scenario": model}
        )
        for key in ("groups", "events"):  # a scenario's groups and timed events
            if key in manifest:
                doc[key] = manifest[key]
        sc = scenario_from_mapping(
            doc,
            name=str(manifest.get("scenario", p.parent.name)),
        )
    except (ConfigError, TypeError) as e:
        raise ConfigError(f"{p}: {e}") from None
    return sc, manifest
