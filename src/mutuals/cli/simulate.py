"""``mutuals simulate``: run a scenario and write its tables."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import Any

import click

from mutuals.errors import InputError, MutualsError

__all__ = ["simulate"]


def _parse_set(items: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--set")
        key, raw = item.split("=", 1)
        if not key.strip():
            raise click.BadParameter(f"{item!r} has an empty key", param_hint="--set")
        if key.strip() == "seed":
            raise click.BadParameter("the seed is not a parameter: use --seed", param_hint="--set")
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw  # a bare word: treat as a string
        out[key.strip()] = value
    return out


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1e5 else f"{v:,.0f}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    return str(v)


def _table(rows: list[tuple[str, Any]]) -> str:
    w = max(len(k) for k, _ in rows)
    return "\n".join(f"  {k:<{w}}  {_fmt(v)}" for k, v in rows)


@click.command(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.argument("scenario", required=False, metavar="[SCENARIO]")
@click.option(
    "--accounts", type=int, help="Accounts (platform) or humans (simsom); overrides the scenario."
)
@click.option("--days", type=float, help="Simulated days (platform).")
@click.option(
    "--steps", type=click.IntRange(min=1), help="Ticks to run (platform) or the step cap (simsom)."
)
@click.option(
    "--seed",
    type=int,
    help="The run's seed; default: the manifest's or scenario file's, else fresh entropy (recorded).",
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override any scenario parameter (repeatable).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder [default: runs/SCENARIO-SEED; with --from-manifest, RUN-rerun].",
)
@click.option(
    "--graph",
    "graph_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Run on a real follow graph: a SNAP edge list (.txt/.gz, 'follower friend' per line) or a Parquet follows table.",
)
@click.option(
    "--store",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also merge the run into a canonical store (platform 'sim') for `mutuals analyze`"
    " (platform scenarios); a store is merged into, never replaced.",
)
@click.option(
    "--canonical/--no-canonical",
    "canonical_tables",
    default=True,
    help="Also write the run as canonical tables (the schema of ingested data: accounts,"
    " follows at the end with the tick each was made, follows_start, posts, interactions)"
    " into OUT/store, which `mutuals analyze OUT` reads (platform scenarios; a resumed run"
    " always writes them).",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Write into an --out (or --store) folder that holds files mutuals did not write;"
    " they are left alone, and none of them is ever replaced.",
)
@click.option(
    "--from-manifest",
    "from_manifest",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Re-run a recorded run: its scenario, parameters, seed and graph from RUN/manifest.json"
    " (other options still override).",
)
@click.option(
    "--checkpoint-every",
    "checkpoint_every",
    type=click.IntRange(min=1),
    metavar="N",
    help="Save the whole state to OUT/checkpoint before the first tick and every N ticks"
    " (simsom: steps), so a killed run can continue with --resume OUT; the checkpoint is"
    " removed once OUT is written.",
)
@click.option(
    "--resume",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    metavar="RUN",
    help="Continue the run in RUN from its last checkpoint (everything else comes from it);"
    " the tables equal those of the run never interrupted, byte for byte.",
)
@click.option("--threads", type=int, help="Numba threads (results do not depend on it).")
@click.option("--progress/--no-progress", default=True, help="Show a progress bar on stderr.")
@click.option(
    "--show-params",
    is_flag=True,
    help="Print the scenario's parameters with their allowed ranges, then exit.",
)
def simulate(**options: Any) -> None:
    """Run SCENARIO on the simulated platform and write its tables.

    SCENARIO is a built-in name (default, ranked, simsom) or a scenario TOML
    file [default: default]. Outputs go to --out as Parquet tables plus
    manifest.json (parameters, seed, versions): the same seed gives
    byte-identical tables, and --from-manifest RUN/manifest.json re-runs a run.

    \b
    Examples:
      mutuals simulate                          # default platform, one day
      mutuals simulate ranked --accounts 100000 --days 2 --seed 1
      mutuals simulate simsom --set gamma=0.1 --seed 3
      mutuals simulate my-campaign.toml --set ranking='"ranked"'
      mutuals simulate --from-manifest runs/default-1/manifest.json --out runs/again
      mutuals simulate ranked --days 30 --checkpoint-every 24 --out runs/long
      mutuals simulate --resume runs/long        # after a kill: continue it
    """
    try:
        _simulate(**options)
    except MutualsError as e:
        raise click.ClickException(str(e)) from None
    except MemoryError as e:
        raise click.ClickException(
            f"out of memory ({e or 'allocation failed'}); run fewer --accounts,"
            " a smaller mean_follows, fewer --days or a smaller feed_capacity"
        ) from None


def _simulate(
    *,
    scenario: str | None,
    from_manifest: Path | None,
    accounts: int | None,
    days: float | None,
    steps: int | None,
    seed: int | None,
    sets: tuple[str, ...],
    out: Path | None,
    graph_path: Path | None,
    store: Path | None,
    overwrite: bool,
    threads: int | None,
    progress: bool,
    show_params: bool,
    checkpoint_every: int | None = None,
    resume: Path | None = None,
    canonical_tables: bool = True,
) -> None:
    if resume is not None:
        given = {
            "SCENARIO": scenario is not None,
            "--from-manifest": from_manifest is not None,
            "--accounts": accounts is not None,
            "--days": days is not None,
            "--steps": steps is not None,
            "--seed": seed is not None,
            "--set": bool(sets),
            "--out": out is not None,
            "--graph": graph_path is not None,
            "--store": store is not None,
            "--checkpoint-every": checkpoint_every is not None,
            "--show-params": show_params,
            "--no-canonical": not canonical_tables,
        }
        clash = [k for k, v in given.items() if v]
        if clash:
            raise click.UsageError(
                f"--resume takes the scenario, seed, options and folder from the run's"
                f" checkpoint; drop {', '.join(clash)}"
            )
        _resume(resume, overwrite=overwrite, threads=threads, progress=progress)
        return
    from mutuals._random import seed_entropy
    from mutuals.scenarios.load import load_scenario
    from mutuals.scenarios.params import describe

    if from_manifest is not None:
        from mutuals.scenarios.load import scenario_from_manifest

        if scenario is not None:
            raise click.UsageError("give either SCENARIO or --from-manifest, not both")
        sc, recorded = scenario_from_manifest(from_manifest)
        recorded_graph = recorded.get("graph")
        if graph_path is None and isinstance(recorded_graph, dict) and "path" in recorded_graph:
            graph_path = Path(recorded_graph["path"])
            if not graph_path.is_file():
                raise InputError(
                    f"{from_manifest}: the run's follow graph {str(graph_path)!r} is missing;"
                    " give it with --graph"
                )
    else:
        sc = load_scenario(scenario or "default")
    overrides = _parse_set(sets)
    if accounts is not None:
        overrides["accounts"] = accounts
    if days is not None:
        if sc.model != "platform":
            raise click.UsageError("--days applies to platform scenarios; use --steps for simsom")
        overrides["days"] = days
    if steps is not None and days is not None:
        raise click.UsageError("give --steps or --days, not both")
    if steps is not None and sc.model != "platform":
        overrides["max_steps"] = steps
    loaded = None
    if store is not None and sc.model != "platform":
        raise click.UsageError("--store applies to platform scenarios")
    if graph_path is not None:
        if sc.model != "platform":
            raise click.UsageError("--graph applies to platform scenarios")
        if accounts is not None or "accounts" in overrides:
            raise click.UsageError("--graph sets the accounts; drop --accounts / --set accounts")
        from mutuals.graphs.load import load_edgelist, load_parquet_edges

        loaded = (
            load_parquet_edges(graph_path)
            if graph_path.suffix == ".parquet"
            else load_edgelist(graph_path)
        )
        click.echo(
            f"loaded {graph_path}: {loaded.graph.n_accounts:,} accounts, {loaded.graph.n_follows:,} follows",
            err=True,
        )
        if loaded.graph.n_follows == 0:
            raise InputError(
                f"{graph_path}: no follows between distinct accounts"
                f" ({loaded.report.get('self_follows_dropped', 0)} self-follows dropped)"
            )
        overrides["accounts"] = loaded.graph.n_accounts
        # mean_follows only shapes generated graphs; record the loaded graph's own mean,
        # kept inside the parameter's range (the exact figure is in manifest["graph"])
        mean = loaded.graph.n_follows / max(loaded.graph.n_accounts, 1)
        overrides.setdefault("mean_follows", min(max(mean, 1.0), loaded.graph.n_accounts - 1))
    sc = sc.with_overrides(overrides)
    if steps is not None and sc.model == "platform":  # ticks, at the (checked) ticks_per_day
        sc = sc.with_overrides({"days": steps / sc.params.ticks_per_day})
    if show_params:
        for name, allowed, doc, _ in describe(type(sc.params)):
            click.echo(f"{name:<18} = {getattr(sc.params, name)!r:<16} {allowed}  {doc}")
        return
    if threads is not None:
        import numba

        most = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]
        if not 1 <= threads <= most:
            raise click.BadParameter(f"must be in [1, {most}]", param_hint="--threads")
        numba.set_num_threads(threads)
    run_seed = seed_entropy(seed if seed is not None else sc.seed)
    if from_manifest is not None:
        run_dir = from_manifest.resolve().parent
        if out is not None and out.resolve() == run_dir:
            raise click.UsageError("--out is the run being re-run; give another folder")
        out = out or run_dir.with_name(run_dir.name + "-rerun")
    out = out or Path("runs") / f"{sc.name}-{run_seed}"
    # what the library's manifest does not know: how the run was asked for
    cli_record: dict[str, Any] = {"command": sys.argv}
    if from_manifest is not None:
        cli_record["rerun_of"] = str(from_manifest.resolve())
    if sc.model == "platform":
        p = sc.params
        exact = p.days * p.ticks_per_day
        if abs(exact - p.ticks) > 1e-6 * max(1.0, exact):
            click.echo(
                f"note: {p.days:g} days is {exact:.3g} ticks; running {p.ticks:,}"
                f" tick{'s' if p.ticks != 1 else ''} ({p.ticks / p.ticks_per_day:g} days)",
                err=True,
            )
    if sc.model == "platform" and loaded is None:
        _check_memory(sc.params)
    from mutuals.api import CHECKPOINT_FOLDER
    from mutuals.io.folders import FolderWriter

    if (out / CHECKPOINT_FOLDER).exists():
        raise InputError(
            f"{str(out)!r} holds {CHECKPOINT_FOLDER}/, the checkpoint of an unfinished run:"
            f" continue it with `mutuals simulate --resume {out}`, or remove"
            f" {str(out / CHECKPOINT_FOLDER)!r} to start afresh"
        )

    # fail now, not after a long run: both folders are checked (and --out is
    # locked) before the first tick
    with FolderWriter(out, "run", overwrite=overwrite, what="--out") as writer:
        sim_source = None
        if store is not None:
            sim_source = _simulation_source(
                {
                    "scenario": sc.name,
                    "model": sc.model,
                    "params": sc.describe_params(),
                    "seed": run_seed,
                    "graph": None if graph_path is None else str(graph_path.resolve()),
                }
            )
            _check_store(store, sim_source, overwrite)
        click.echo(f"mutuals simulate: scenario {sc.name} ({sc.model}), seed {run_seed}", err=True)
        from mutuals.api import run

        if sc.model == "platform" and loaded is None:
            click.echo(
                f"generating {sc.params.accounts:,} accounts,"
                f" ~{sc.params.mean_follows:g} follows each ...",
                err=True,
            )
        total = sc.params.ticks if sc.model == "platform" else sc.params.max_steps
        label = "simulating" if sc.model == "platform" else "simsom steps (stops at convergence)"
        with _bar(total, progress, label) as bar:
            last = [0]

            def tick(done: int, _total: int) -> None:
                bar.update(done - last[0])
                last[0] = done

            result = run(
                sc,
                seed=run_seed,
                graph=loaded,
                progress=tick,
                checkpoint_every=checkpoint_every,
                checkpoint_dir=None if checkpoint_every is None else out / CHECKPOINT_FOLDER,
            )
        manifest = {**result.manifest, **cli_record}
        if sc.model == "simsom":
            rows = _simsom_rows(result)
        else:
            rows = _platform_rows(result, loaded)
            if store is not None and sim_source is not None:
                from mutuals.io.ingest import Tables, ingest

                ingest(
                    [Tables(result.canonical(), sim_source, format="simulation")],
                    store,
                    overwrite=overwrite,
                )
                click.echo(
                    f"merged the run into the canonical store {store} (try: mutuals analyze {store})",
                    err=True,
                )
        _write_final(out, result, manifest, writer, canonical_tables)
    for msg in writer.messages:
        click.echo(f"note: {msg}", err=True)
    click.echo(_table(rows))
    click.echo(_wrote(out, result, canonical_tables))


def _wrote(out: Path, result: Any, canonical_tables: bool) -> str:
    msg = f"wrote {', '.join(f'{k}.parquet' for k in result.tables)} and manifest.json to {out}"
    if canonical_tables and result.scenario.model == "platform":
        msg += f"\nwrote the canonical tables to {out / 'store'} (try: mutuals analyze {out})"
    return msg


def _write_final(
    out: Path, result: Any, manifest: dict[str, Any], writer: Any, canonical_tables: bool = True
) -> None:
    """Write the run folder, then drop the checkpoint it no longer needs (a
    kill between the two leaves a checkpoint that resumes to the same bytes)."""
    from mutuals.engine.checkpoint import scoped_failpoint
    from mutuals.io.runs import write_run

    platform = result.scenario.model == "platform"
    canonical = None
    if canonical_tables and platform:
        from mutuals.io.simstore import simulation_to_canonical

        canonical = simulation_to_canonical(result.model, start=True, chunked=True)
    with scoped_failpoint("final"):
        write_run(out, result.tables, manifest, writer=writer, canonical=canonical)
    result.discard_checkpoint()


def _resume(run_dir: Path, *, overwrite: bool, threads: int | None, progress: bool) -> None:
    """``--resume RUN``: continue RUN from its checkpoint, write its tables."""
    from mutuals.api import CHECKPOINT_FOLDER, checkpoint_info, resume
    from mutuals.io.folders import FolderWriter

    info = checkpoint_info(run_dir)  # no checkpoint, other versions: one line, before anything
    if threads is not None:
        import numba

        most = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]
        if not 1 <= threads <= most:
            raise click.BadParameter(f"must be in [1, {most}]", param_hint="--threads")
        numba.set_num_threads(threads)
    man = info["manifest"]
    unit = "tick" if man.get("model") == "platform" else "step"
    # the run folder has no marker until its tables are written: what a killed
    # first run left (its checkpoint alone) is ours to write beside
    only_ours = {c.name for c in run_dir.iterdir() if not c.name.startswith(".")} <= {
        CHECKPOINT_FOLDER
    }
    with FolderWriter(run_dir, "run", overwrite=overwrite or only_ours, what="RUN") as writer:
        click.echo(
            f"mutuals simulate: resuming {man.get('scenario')} ({man.get('model')}),"
            f" seed {man.get('seed')}, from {unit} {info['tick']:,} of {info['total']:,}",
            err=True,
        )
        label = "simulating" if unit == "tick" else "simsom steps (stops at convergence)"
        with _bar(info["total"], progress, label) as bar:
            bar.update(info["tick"])
            last = [info["tick"]]

            def tick(done: int, _total: int) -> None:
                bar.update(done - last[0])
                last[0] = done

            result = resume(run_dir, progress=tick)
        manifest = {**result.manifest, "command": sys.argv}
        if unit == "step":
            rows = _simsom_rows(result)
        else:
            rows = _platform_rows(result, result.manifest.get("graph"))
        _write_final(run_dir, result, manifest, writer)
    for msg in writer.messages:
        click.echo(f"note: {msg}", err=True)
    click.echo(_table(rows))
    click.echo(_wrote(run_dir, result, True))


def _simulation_source(manifest: dict[str, Any]) -> str:
    from mutuals.io.runs import simulation_source

    return simulation_source(manifest)


def _check_store(store: Path, source: str, overwrite: bool) -> None:
    """A store is only ever merged into: refuse up front one that cannot take
    this run (not writable, another kind of folder, or holding a different
    simulated run, whose account and post ids would collide with this one's)."""
    from mutuals.io.folders import FolderWriter
    from mutuals.io.store import Store

    with FolderWriter(store, "store", overwrite=overwrite, what="--store") as w:
        if not w.previous:
            return
        inputs = Store(store).metadata.get("inputs", [])
    for d in inputs if isinstance(inputs, list) else []:
        if isinstance(d, dict) and d.get("format") == "simulation" and d.get("source") != source:
            raise InputError(
                f"--store {str(store)!r} already holds another simulated run ({d.get('source')});"
                " simulated ids of two runs would collide: give a new --store"
            )


def _check_memory(params: Any) -> None:
    """Refuse a platform run whose state clearly cannot fit in this machine's memory.

    A rough lower bound from the measured footprint (about 2.7 GB for 1M
    accounts, 100 follows and 50 feed entries each): feeds take 12 bytes per
    entry, the follow graph about 20 bytes per follow (both directions plus
    slack), accounts about 200 bytes.
    """
    import psutil

    need = params.accounts * (params.feed_capacity * 12 + params.mean_follows * 20 + 200)
    have = psutil.virtual_memory().total
    if need > have:
        raise InputError(
            f"{params.accounts:,} accounts with ~{params.mean_follows:g} follows and"
            f" {params.feed_capacity} feed entries each needs about {need / 1e9:,.0f} GB;"
            f" this machine has {have / 1e9:,.0f} GB: run fewer --accounts or a smaller"
            " mean_follows / feed_capacity"
        )


def _bar(total: int, enabled: bool, label: str):
    return click.progressbar(
        length=total, label=label, file=sys.stderr, show_pos=True, hidden=not enabled
    )


def _platform_rows(result: Any, loaded: Any) -> list[tuple[str, Any]]:
    import numpy as np

    sim, s = result.model, result.summary
    params = result.scenario.params
    realised = sim.graph.n_follows / sim.accounts.n
    if loaded is None and realised < 0.8 * params.mean_follows:
        click.echo(
            f"note: the generated graph has {realised:.3g} follows per account, asked for"
            f" {params.mean_follows:g}: in a graph this small or dense, repeated draws of the"
            " same account are dropped",
            err=True,
        )
    steps = result.tables["steps"]
    last_row = (
        {k: steps.column(k)[-1].as_py() for k in steps.column_names} if steps.num_rows else {}
    )
    posts = result.tables["posts"]
    kinds = posts.column("kind").to_numpy(zero_copy_only=False)
    orig = kinds == "post"
    reach = posts.column("deliveries").to_numpy()[orig]
    return [
        ("accounts", s["accounts"]),
        ("follows (start -> end)", f"{s['follows_at_start']:,} -> {s['follows_at_end']:,}"),
        ("simulated days", s["days"]),
        ("sessions", s["sessions"]),
        (
            "posts / reposts / replies / quotes",
            " / ".join(
                f"{int((kinds == k).sum()):,}" for k in ("post", "repost", "reply", "quote")
            ),
        ),
        ("feed deliveries", s["deliveries"]),
        ("mean feed quality", last_row.get("feed_quality", float("nan"))),
        ("topic repetition", last_row.get("topic_repetition", float("nan"))),
        ("source repetition", last_row.get("source_repetition", float("nan"))),
        ("tau_b quality vs reposts", last_row.get("tau_b", float("nan"))),
        ("median reach per post", float(np.median(reach)) if reach.size else float("nan")),
        ("median followers", last_row.get("median_followers", float("nan"))),
        ("share under 1k followers", last_row.get("share_under_1k", float("nan"))),
        ("graph generation (s)", s["graph_seconds"]),
        ("simulation (s)", s["run_seconds"]),
        (
            "sessions per second",
            s["sessions"] / s["run_seconds"] if s["run_seconds"] else float("nan"),
        ),
    ]


def _simsom_rows(result: Any) -> list[tuple[str, Any]]:
    r, params = result.model, result.scenario.params
    realised = r.network["human_follows"] / params.accounts
    if realised < 0.8 * params.mean_follows:
        click.echo(
            f"note: the generated network has {realised:.3g} follows per human, asked for"
            f" {params.mean_follows:g}: in a network this small or dense, repeated draws of"
            " the same account are dropped",
            err=True,
        )
    return [
        ("humans / bots", f"{params.accounts:,} / {params.n_bots:,}"),
        ("follows", r.network["edges"]),
        ("steps (converged)", f"{r.steps} ({'yes' if r.converged else 'no: hit max_steps'})"),
        ("average quality", r.quality),
        ("smoothed quality", r.smoothed_quality),
        ("diversity (entropy)", r.diversity),
        ("discriminative power (tau-b)", r.tau),
        ("messages", r.messages.num_rows),
        ("seconds", r.seconds),
    ]
