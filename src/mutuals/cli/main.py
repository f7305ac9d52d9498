"""The ``mutuals`` command line. Subcommands are imported only when invoked, so
``mutuals --help`` starts fast and heavy libraries load only when needed.

To add a subcommand, write ``mutuals/cli/<name>.py`` exposing a click command
and list it in :data:`COMMANDS`.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from mutuals import __version__

__all__ = ["COMMANDS", "main"]

#: name -> (module, attribute, one-line help shown by ``mutuals --help``)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "analyze": ("mutuals.cli.analyze", "analyze", "Measure graph, reach, isolation and hashtags."),
    "simulate": ("mutuals.cli.simulate", "simulate", "Run a scenario on the simulated platform."),
    "ingest": ("mutuals.cli.ingest", "ingest", "Read data files into a canonical store."),
    "plot": ("mutuals.cli.plot", "plot", "Draw the figures of a simulation run."),
    "unroll": ("mutuals.cli.unroll", "unroll", "Unroll a thread into one readable page."),
    "claims": (
        "mutuals.cli.claims",
        "claims",
        "Run the thread's claims as experiments: effects, intervals, verdicts.",
    ),
    "detect": (
        "mutuals.cli.detect",
        "detect",
        "Find likely infiltrators and coordinated follow trains, with evidence.",
    ),
    "lists": (
        "mutuals.cli.lists",
        "lists",
        "Suggest lists that widen one account's view, in importable formats.",
    ),
    "sweep": (
        "mutuals.cli.sweep",
        "sweep",
        "Run a scenario over a grid of values times seeds, on Dask.",
    ),
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[cmd_name]
        cmd: click.Command = getattr(importlib.import_module(module), attr)
        return cmd

    def format_commands(self, ctx: click.Context, formatter: Any) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mutuals")
def main() -> None:
    """mutuals: simulate and measure follow campaigns on Twitter-like platforms."""
