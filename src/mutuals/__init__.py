"""mutuals: simulate and measure follow campaigns on Twitter-like platforms.

The entry points a notebook needs (imported on first use, so ``import mutuals``
stays fast)::

    import mutuals
    r = mutuals.run("default", seed=1)            # simulate: tables, summary, manifest
    sc = mutuals.load_scenario("campaign.toml")   # a scenario to change and run
    mutuals.ingest(["tweets.jsonl"], "store")     # real data into a canonical store
    store = mutuals.open_store("store")
    a = mutuals.analyze(store)                    # every measure of a store (or of r.canonical())
    mutuals.sweep(sc, grid={"gamma": [0.001, 0.01]}, seeds=5, out="sweep")
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "analyze",
    "ingest",
    "load_scenario",
    "open_store",
    "resume",
    "run",
    "sweep",
]

_ENTRY_POINTS = {
    "run": ("mutuals.api", "run"),
    "load_scenario": ("mutuals.scenarios.load", "load_scenario"),
    "ingest": ("mutuals.io.ingest", "ingest"),
    "open_store": ("mutuals.io.store", "open_store"),
    "analyze": ("mutuals.report.analyze", "analyze"),
    "sweep": ("mutuals.sweeps", "sweep"),
    "resume": ("mutuals.api", "resume"),
}


def __getattr__(name: str) -> Any:
    if name in _ENTRY_POINTS:
        import importlib

        module, attr = _ENTRY_POINTS[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'mutuals' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
