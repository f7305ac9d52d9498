"""`mutuals simulate` end to end."""

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from mutuals.cli.main import main


@pytest.fixture
def runner():
    return CliRunner()


def test_default_scenario_end_to_end(runner, tmp_path):
    out = tmp_path / "run"
    res = runner.invoke(
        main,
        [
            "simulate",
            "--accounts",
            "600",
            "--days",
            "0.5",
            "--seed",
            "4",
            "--out",
            str(out),
            "--no-progress",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "mean feed quality" in res.output and "sessions per second" in res.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 4 and manifest["params"]["accounts"] == 600
    assert manifest["environment"]["mutuals"]
    steps = pq.read_table(out / "steps.parquet")
    assert steps.num_rows == 12  # 0.5 day x 24 ticks
    posts = pq.read_table(out / "posts.parquet")
    assert posts.num_rows == manifest["tables"]["posts"] > 0
    accounts = pq.read_table(out / "accounts.parquet")
    assert accounts.num_rows == 600


def test_same_seed_gives_byte_identical_tables(runner, tmp_path):
    for name in ("a", "b"):
        args = [
            "simulate",
            "ranked",
            "--accounts",
            "500",
            "--days",
            "0.25",
            "--seed",
            "8",
            "--out",
            str(tmp_path / name),
            "--no-progress",
        ]
        assert runner.invoke(main, args).exit_code == 0
    for table in ("steps", "posts", "accounts", "exposures", "trending"):
        assert (tmp_path / "a" / f"{table}.parquet").read_bytes() == (
            tmp_path / "b" / f"{table}.parquet"
        ).read_bytes()


def test_simsom_scenario(runner, tmp_path):
    out = tmp_path / "s"
    args = [
        "simulate",
        "simsom",
        "--accounts",
        "300",
        "--steps",
        "60",
        "--set",
        "mean_follows=15",
        "--set",
        "burn_in=10",
        "--set",
        "window=10",
        "--seed",
        "1",
        "--out",
        str(out),
        "--no-progress",
    ]
    res = runner.invoke(main, args)
    assert res.exit_code == 0, res.output
    assert "average quality" in res.output
    assert pq.read_table(out / "timeline.parquet").num_rows >= 30


def test_scenario_file_and_errors_name_the_key(runner, tmp_path):
    good = tmp_path / "camp.toml"
    good.write_text(
        'scenario = "platform"\nseed = 5\n[platform]\naccounts = 400\nmean_follows = 10\ndays = 0.25\nranking = "ranked"\ncommunities = { a = 0.5, b = 0.5 }\npositions = [-0.5, 0.5]\n'
    )
    res = runner.invoke(
        main, ["simulate", str(good), "--out", str(tmp_path / "o"), "--no-progress"]
    )
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "o" / "manifest.json").read_text())["seed"] == 5

    bad = tmp_path / "bad.toml"
    bad.write_text("[platform]\nhomophily = 2.0\n")
    res = runner.invoke(main, ["simulate", str(bad), "--no-progress"])
    assert res.exit_code != 0
    assert "platform.homophily" in res.output and "[0, 1]" in res.output

    bad.write_text("[platform]\nhomophilly = 0.5\n")
    res = runner.invoke(main, ["simulate", str(bad)])
    assert "unknown key(s) homophilly" in res.output and "homophily" in res.output

    bad.write_text("[platform\n")
    assert "not valid TOML" in runner.invoke(main, ["simulate", str(bad)]).output
    assert "neither a built-in" in runner.invoke(main, ["simulate", "nope"]).output
    res = runner.invoke(main, ["simulate", "--set", "ranking=sideways", "--accounts", "100"])
    assert "platform.ranking" in res.output and "chronological" in res.output


def test_help_documents_every_option(runner):
    res = runner.invoke(main, ["simulate", "--help"])
    assert res.exit_code == 0
    for opt in (
        "--accounts",
        "--days",
        "--steps",
        "--seed",
        "--set",
        "--out",
        "--graph",
        "--threads",
        "--show-params",
    ):
        assert opt in res.output
    res = runner.invoke(main, ["simulate", "simsom", "--show-params"])
    assert "gamma" in res.output and "[0, 1]" in res.output


def test_simulate_on_a_real_graph(runner, tmp_path, shared_data):
    ego = shared_data / "graph-snap-ego-twitter" / "sample_egos" / "18988524.edges"
    res = runner.invoke(
        main,
        [
            "simulate",
            "--graph",
            str(ego),
            "--days",
            "0.25",
            "--seed",
            "1",
            "--out",
            str(tmp_path / "g"),
            "--no-progress",
        ],
    )
    assert res.exit_code == 0, res.output
    manifest = json.loads((tmp_path / "g" / "manifest.json").read_text())
    assert manifest["graph"]["edges"] > 0
    assert (
        manifest["params"]["accounts"]
        == pq.read_table(tmp_path / "g" / "accounts.parquet").num_rows
    )


def test_thread_count_does_not_change_the_tables(runner, tmp_path):
    import numba

    most = numba.config.NUMBA_NUM_THREADS
    try:
        for threads in ("1", str(most)):
            args = [
                "simulate",
                "ranked",
                "--accounts",
                "800",
                "--days",
                "0.25",
                "--seed",
                "3",
                "--threads",
                threads,
                "--out",
                str(tmp_path / threads),
                "--no-progress",
            ]
            assert runner.invoke(main, args).exit_code == 0
    finally:
        numba.set_num_threads(most)
    for table in ("steps", "posts", "accounts", "exposures", "trending"):
        assert (tmp_path / "1" / f"{table}.parquet").read_bytes() == (
            tmp_path / str(most) / f"{table}.parquet"
        ).read_bytes()


@pytest.mark.parametrize(
    ("toml", "key", "hint"),
    [
        ("communities = [1, 2]", "communities", "name"),
        ("communities = 5", "communities", "table"),
        ('communities = "abc"', "communities", "table"),
        ('communities = [["a", 0.5, 3], ["b"]]', "communities", "name"),
        ('communities = { a = "x", b = 1, c = 1 }', "communities", "share"),
        ("positions = 3", "positions", "list"),
        ('positions = "left"', "positions", "list"),
        ('positions = [0, "x", 1]', "positions", "number"),
        ("positions = [[1], 0, 0]", "positions", "number"),
    ],
)
def test_wrong_structure_of_communities_or_positions_is_one_clear_line(
    runner, tmp_path, toml, key, hint
):
    f = tmp_path / "s.toml"
    f.write_text(f"[platform]\naccounts = 100\nmean_follows = 5\n{toml}\n")
    res = runner.invoke(main, ["simulate", str(f), "--out", str(tmp_path / "o"), "--no-progress"])
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit), res.output
    assert "Traceback" not in res.output
    last = res.output.strip().splitlines()[-1]
    assert last.startswith(f"Error: platform.{key}:") and hint in last, last


def test_set_with_an_empty_key_names_the_problem(runner, tmp_path):
    res = runner.invoke(main, ["simulate", "--set", "=3", "--no-progress"])
    assert res.exit_code == 2 and "empty key" in res.output


def test_simulate_on_a_small_graph_with_under_one_follow_per_account(runner, tmp_path):
    g = tmp_path / "g.txt"
    g.write_text("a b\nb c\nd e\n")  # 5 accounts, 3 follows
    out = tmp_path / "run"
    res = runner.invoke(
        main,
        ["simulate", "--graph", str(g), "--days", "0.5", "--seed", "1", "--out", str(out), "--no-progress"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["params"]["accounts"] == 5
    assert manifest["graph"]["edges"] == 3


def _parquet_bytes(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.parquet"))}


@pytest.mark.parametrize(
    "args",
    [
        ["--accounts", "300", "--days", "0.5", "--seed", "11", "--set", "unfollow_rate=0.2",
         "--set", "communities={a=1, b=0}", "--set", "positions=[-0.5, 0.5]", "--set", "mean_follows=9"],
        ["simsom", "--accounts", "200", "--steps", "30", "--seed", "5", "--set", "gamma=0.1",
         "--set", "mean_follows=20"],
    ],
)  # fmt: skip
def test_rerun_from_manifest_reproduces_the_tables(runner, tmp_path, args):
    first, again = tmp_path / "first", tmp_path / "again"
    res = runner.invoke(main, ["simulate", *args, "--out", str(first), "--no-progress"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        main,
        ["simulate", "--from-manifest", str(first / "manifest.json"), "--out", str(again), "--no-progress"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert _parquet_bytes(first) == _parquet_bytes(again) and _parquet_bytes(first)
    m1 = json.loads((first / "manifest.json").read_text())
    m2 = json.loads((again / "manifest.json").read_text())
    assert m1["params"] == m2["params"] and m1["seed"] == m2["seed"]
    assert m2["scenario"] == m1["scenario"]
    assert m2["rerun_of"] == str((first / "manifest.json").resolve()) and "rerun_of" not in m1


def test_rerun_from_manifest_of_a_graph_run_reloads_the_graph(runner, tmp_path):
    g = tmp_path / "g.txt"
    g.write_text("".join(f"{i} {(i * 7 + 3) % 40}\n{i} {(i + 1) % 40}\n" for i in range(40)))
    first, again = tmp_path / "first", tmp_path / "again"
    res = runner.invoke(
        main,
        ["simulate", "--graph", str(g), "--days", "0.5", "--seed", "2", "--out", str(first), "--no-progress"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    man = first / "manifest.json"
    res = runner.invoke(
        main, ["simulate", "--from-manifest", str(man), "--out", str(again), "--no-progress"]
    )
    assert res.exit_code == 0, res.output
    assert _parquet_bytes(first) == _parquet_bytes(again)
    g.unlink()
    res = runner.invoke(
        main,
        ["simulate", "--from-manifest", str(man), "--out", str(tmp_path / "x"), "--no-progress"],
    )
    assert res.exit_code == 1 and "g.txt" in res.output and "Traceback" not in res.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not a JSON"),
        ('{"model": "platform"}', "params"),
        ('{"model": "nope", "params": {}, "seed": 1}', "'nope'"),
        ('{"model": "platform", "params": {"accounts": "x"}, "seed": 1}', "platform.accounts"),
    ],
)
def test_a_bad_manifest_is_one_clear_line(runner, tmp_path, content, message):
    man = tmp_path / "manifest.json"
    man.write_text(content)
    res = runner.invoke(main, ["simulate", "--from-manifest", str(man), "--no-progress"])
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit), res.output
    assert message in res.output.strip().splitlines()[-1]


def test_from_manifest_and_a_scenario_exclude_each_other(runner, tmp_path):
    man = tmp_path / "manifest.json"
    man.write_text("{}")
    res = runner.invoke(main, ["simulate", "simsom", "--from-manifest", str(man)])
    assert res.exit_code == 2 and "--from-manifest" in res.output


def test_a_graph_run_keeps_the_files_account_ids(runner, tmp_path):
    g = tmp_path / "g.txt"
    g.write_text("alice bob\ncarol bob\nbob alice\ndave carol\n")
    out = tmp_path / "run"
    res = runner.invoke(
        main,
        ["simulate", "--graph", str(g), "--days", "0.25", "--seed", "1", "--out", str(out), "--no-progress"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    acc = pq.read_table(out / "accounts.parquet").to_pylist()
    by_id = {r["source_id"]: r for r in acc}
    assert set(by_id) == {"alice", "bob", "carol", "dave"}
    assert by_id["bob"]["followers_start"] == 2 and by_id["dave"]["friends"] >= 0
    assert by_id["dave"]["followers_start"] == 0 and by_id["alice"]["followers_start"] == 1


def test_running_out_of_memory_is_one_clear_line(runner, tmp_path, monkeypatch):
    from mutuals.engine import platform

    def too_big(*args, **kwargs):
        raise MemoryError("Unable to allocate 334. MiB")

    monkeypatch.setattr(platform.Simulation, "__init__", too_big)
    res = runner.invoke(
        main,
        ["simulate", "--accounts", "300", "--set", "mean_follows=5", "--out", str(tmp_path / "o")],
    )
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit), res.output
    last = res.output.strip().splitlines()[-1]
    assert last.startswith("Error: out of memory") and "--accounts" in last


def test_a_dense_generated_graph_that_falls_short_of_mean_follows_says_so(runner, tmp_path):
    args = ["simulate", "--accounts", "100", "--days", "0.125", "--seed", "1", "--no-progress"]
    res = runner.invoke(main, [*args, "--set", "mean_follows=90", "--out", str(tmp_path / "a")])
    assert res.exit_code == 0, res.output
    assert "note: the generated graph has" in res.output and "asked for 90" in res.output
    args[2] = "1000"  # --accounts
    res = runner.invoke(main, [*args, "--set", "mean_follows=5", "--out", str(tmp_path / "b")])
    assert res.exit_code == 0 and "note:" not in res.output


def test_simsom_says_when_its_network_falls_short_of_mean_follows(runner, tmp_path):
    args = [
        "simulate",
        "simsom",
        "--accounts",
        "30",
        "--steps",
        "3",
        "--seed",
        "1",
        "--no-progress",
    ]
    res = runner.invoke(main, [*args, "--set", "mean_follows=500", "--out", str(tmp_path / "a")])
    assert res.exit_code == 0, res.output
    assert "note: the generated network has" in res.output and "asked for 500" in res.output


def test_set_seed_points_at_the_seed_option(runner):
    res = runner.invoke(main, ["simulate", "--set", "seed=3", "--no-progress"])
    assert res.exit_code == 2 and "--seed" in res.output.strip().splitlines()[-1]


def test_too_few_accounts_for_the_default_mean_follows_says_how_to_fix_it(runner):
    res = runner.invoke(main, ["simulate", "--accounts", "50", "--no-progress"])
    last = res.output.strip().splitlines()[-1]
    assert res.exit_code == 1 and "mean_follows" in last and "--set mean_follows=" in last


def test_rerun_from_manifest_never_overwrites_the_run_it_reads(runner, tmp_path):
    first = tmp_path / "first"
    args = ["--accounts", "200", "--set", "mean_follows=5", "--days", "0.25", "--no-progress"]
    res = runner.invoke(main, ["simulate", *args, "--seed", "1", "--out", str(first)])
    assert res.exit_code == 0, res.output
    man = first / "manifest.json"
    before = man.read_text()
    res = runner.invoke(main, ["simulate", "--from-manifest", str(man), "--out", str(first)])
    assert res.exit_code == 2 and "--out" in res.output and man.read_text() == before
    res = runner.invoke(main, ["simulate", "--from-manifest", str(man), "--no-progress"])
    assert res.exit_code == 0, res.output
    assert man.read_text() == before
    assert (tmp_path / "first-rerun" / "manifest.json").is_file()


def test_a_graph_of_only_self_follows_is_one_clear_line(runner, tmp_path):
    g = tmp_path / "g.txt"
    g.write_text("a a\nb b\n")
    res = runner.invoke(
        main, ["simulate", "--graph", str(g), "--no-progress", "--out", str(tmp_path / "o")]
    )
    last = res.output.strip().splitlines()[-1]
    assert res.exit_code == 1 and "no follows between distinct accounts" in last, res.output


@pytest.mark.parametrize("tpd", ["abc", "0", "[1]", "2.5"])
def test_steps_with_a_bad_ticks_per_day_names_the_key(runner, tmp_path, tpd):
    res = runner.invoke(
        main, ["simulate", "--set", f"ticks_per_day={tpd}", "--steps", "5", "--out", str(tmp_path)]
    )
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit), res.output
    assert "platform.ticks_per_day" in res.output.strip().splitlines()[-1]


def test_steps_counts_ticks_with_the_overridden_ticks_per_day(runner, tmp_path):
    out = tmp_path / "o"
    args = ["--accounts", "200", "--set", "mean_follows=5", "--set", "ticks_per_day=7"]
    res = runner.invoke(
        main, ["simulate", *args, "--steps", "5", "--out", str(out), "--no-progress"]
    )
    assert res.exit_code == 0, res.output
    assert pq.read_table(out / "steps.parquet").column("tick").to_pylist() == [1, 2, 3, 4, 5]
    res = runner.invoke(main, ["simulate", *args, "--steps", "5", "--days", "1", "--out", str(out)])
    assert res.exit_code == 2 and "--steps" in res.output and "--days" in res.output


def test_accounts_and_graph_exclude_each_other(runner, tmp_path):
    g = tmp_path / "g.txt"
    g.write_text("1 2\n2 3\n3 1\n")
    res = runner.invoke(
        main, ["simulate", "--graph", str(g), "--accounts", "500", "--out", str(tmp_path / "o")]
    )
    assert res.exit_code == 2 and "--accounts" in res.output and "--graph" in res.output


@pytest.mark.parametrize("where", ["out", "store"])
def test_an_unwritable_output_is_one_clear_line_before_the_run(
    runner, tmp_path, where, monkeypatch
):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    args = [
        "simulate",
        "--accounts",
        "50",
        "--set",
        "mean_follows=5",
        "--days",
        "0.1",
        "--no-progress",
    ]
    out = ["--out", str(blocker / "sub")] if where == "out" else ["--out", str(tmp_path / "o")]
    store = ["--store", str(blocker / "sub")] if where == "store" else []
    from mutuals.engine import platform

    def must_not_run(*a, **k):
        raise AssertionError("the simulation ran before the output was checked")

    monkeypatch.setattr(platform.Simulation, "run", must_not_run)
    res = runner.invoke(main, [*args, *out, *store])
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit), res.output
    last = res.output.strip().splitlines()[-1]
    assert "cannot write" in last and "sub" in last


def test_days_that_are_not_a_whole_number_of_ticks_are_noted(runner, tmp_path):
    args = [
        "simulate",
        "--accounts",
        "50",
        "--set",
        "mean_follows=5",
        "--no-progress",
        "--seed",
        "1",
    ]
    res = runner.invoke(main, [*args, "--days", "0.001", "--out", str(tmp_path / "a")])
    assert res.exit_code == 0, res.output
    assert "note: 0.001 days is 0.024 ticks; running 1 tick" in res.output
    res = runner.invoke(main, [*args, "--days", "0.5", "--out", str(tmp_path / "b")])
    assert res.exit_code == 0 and "ticks; running" not in res.output


def test_a_run_that_cannot_fit_in_memory_is_refused_up_front(runner, tmp_path):
    res = runner.invoke(
        main,
        ["simulate", "--accounts", "50000000", "--set", "mean_follows=10000", "--out", str(tmp_path / "o")],
    )  # fmt: skip
    last = res.output.strip().splitlines()[-1]
    assert res.exit_code == 1 and "needs about" in last and "GB" in last and "--accounts" in last
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("setting", "allowed"),
    [
        ("quality_lambda=inf", "allowed: a finite number"),
        ("quality_lambda=-inf", "allowed: a finite number"),
        ("half_life=inf", "allowed: a finite number > 0"),
    ],
)
def test_an_infinity_is_refused_by_a_message_that_does_not_allow_it(
    setting: str, allowed: str
) -> None:
    res = CliRunner().invoke(main, ["simulate", "--set", setting, "--no-progress"])
    assert res.exit_code != 0
    assert allowed in res.output
    assert "inf]" not in res.output and "[-inf" not in res.output  # no contradiction


def test_an_empty_scenario_file_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.toml"
    empty.write_text("# nothing here\n")
    res = CliRunner().invoke(main, ["simulate", str(empty), "--out", str(tmp_path / "r")])
    assert res.exit_code == 1 and "scenario file is empty" in res.output
    assert not (tmp_path / "r").exists()
