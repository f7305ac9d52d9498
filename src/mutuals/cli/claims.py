"""``mutuals claims``: the thread's claims as experiments, with verdicts."""

from __future__ import annotations

import sys
from pathlib import Path

import click

__all__ = ["claims"]


@click.command("claims", context_settings={"show_default": True})
@click.option("--only", default=None, metavar="C3,C5", help="Run these claims only.")
@click.option(
    "--quick", is_flag=True, help="10,000 accounts and 3 replicates (default 100,000 and 10)."
)
@click.option("--accounts", type=click.IntRange(min=100), default=None, help="Accounts per run.")
@click.option("--seeds", type=click.IntRange(min=2), default=None, help="Replicates per arm.")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Root seed [default: the one OUT records when resuming, else fresh].")  # fmt: skip
@click.option("--scenario-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Claim files to run instead of the packaged ones (copy them with --list).")  # fmt: skip
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="A dask scheduler (tcp://host:8786), or 'serial'  [default: a LocalCluster]")  # fmt: skip
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes of the LocalCluster [default: one per core].")  # fmt: skip
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("claims"),
              help="Output folder (claims.parquet, values.parquet, figures/, claims.html, runs/).")  # fmt: skip
@click.option("--overwrite", is_flag=True,
              help="Write into an --out folder holding files mutuals did not write (left alone).")  # fmt: skip
@click.option("--progress/--no-progress", default=True, help="Show a progress bar on stderr.")
@click.option("--list", "list_only", is_flag=True, help="List the claim files and exit.")
def claims(
    only: str | None, quick: bool, accounts: int | None, seeds: int | None, seed: int | None,
    scenario_dir: Path | None, scheduler: str | None, workers: int | None, out: Path,
    overwrite: bool, progress: bool, list_only: bool,
) -> None:  # fmt: skip
    """Run the thread's claims (C1-C6, C9, C11-C13) as experiments and write their verdicts.

    Every claim is a baseline arm and treatment arms run on the same replicate
    seeds; each measure gets an effect, a 95% interval over replicates and a
    verdict (supported, contradicted, inconclusive), whatever the mechanics
    give. A killed run resumes where it stopped when started again with the
    same --out.

    \b
    Examples:
      mutuals claims --quick                     # all claims, about a minute per claim
      mutuals claims --only C3 --seeds 20 --out claims-c3
      mutuals claims --list                      # where the claim files are
      mutuals claims --scenario-dir my-claims    # your own copies of them
    """
    from mutuals.errors import MutualsError

    try:
        from mutuals.claims.run import load_claims, run_claims

        wanted = [c.strip() for c in only.split(",") if c.strip()] if only else None
        if list_only:
            for c in load_claims(wanted, scenario_dir):
                click.echo(f"{c.id:<4} {c.title}\n     {c.path}  arms: {', '.join(c.arms)}")
            return
        result = run_claims(
            wanted, out=out, quick=quick, accounts=accounts, seeds=seeds, seed=seed,
            scenario_dir=scenario_dir, scheduler=scheduler, workers=workers,
            overwrite=overwrite, progress=progress,
            on_message=lambda m: click.echo(f"note: {m}", err=True), command=sys.argv,
        )  # fmt: skip
    except MutualsError as e:
        raise click.ClickException(str(e)) from None
    lines = []
    for r in result.claims.to_pylist():
        vs = f"{r['arm']} vs {r['baseline']}" if r["baseline"] else f"{r['arm']} (vs {r['null']:g})"
        ratio = r["null"] == 1.0
        eff = (f"x{r['effect']:.4g}" if ratio else f"{r['effect']:+.4g}") + (
            f" [{r['low']:.4g}, {r['high']:.4g}]"
        )
        mark = "*" if r["primary"] else " "
        lines.append((r["claim"], mark + r["measure"], vs, eff, r["verdict"]))
    head = ("claim", " measure", "arm vs baseline", "effect [95% interval]", "verdict")
    widths = [max(len(x[i]) for x in [head, *lines]) + 1 for i in range(4)]
    for row in [head, *lines]:  # columns as wide as their longest entry
        click.echo("".join(f"{x:<{w}}" for x, w in zip(row[:4], widths, strict=True)) + row[4])
    click.echo(
        f"\n* the measure a claim's verdict is about\nwrote {result.out} (open {result.page})"
    )
