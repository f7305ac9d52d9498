"""Simulated runs as canonical tables: the analyzer measures them like real data."""

import networkx as nx
import pyarrow.compute as pc
import pytest
from click.testing import CliRunner

from mutuals.cli.main import main
from mutuals.engine.platform import Simulation
from mutuals.io.schema import SCHEMAS
from mutuals.io.simstore import simulation_to_canonical
from mutuals.report.analyze import analyze_tables
from mutuals.scenarios.platform import PlatformParams


@pytest.fixture(scope="module")
def sim():
    s = Simulation(PlatformParams(accounts=800, mean_follows=15, days=1, engage_scale=2.0), seed=6)
    s.run()
    return s


def test_tables_are_canonical_and_complete(sim):
    t = simulation_to_canonical(sim)
    for name, table in t.items():
        assert table.schema == SCHEMAS[name]
    assert t["accounts"].num_rows == 800
    assert t["follows"].num_rows == sim.graph.n_follows
    assert t["posts"].num_rows == sim.posts.n
    kinds = sim.posts.cols["kind"][: sim.posts.n]
    assert t["interactions"].num_rows == int((kinds != 0).sum())
    reposts = t["posts"].filter(pc.equal(t["posts"].column("kind"), "repost"))
    assert reposts.num_rows == int((kinds == 1).sum()) > 0
    assert pc.all(pc.is_valid(reposts.column("repost_of_id"))).as_py()
    assert t["accounts"].column("followers_count").to_pylist() == sim.graph.followers_count.tolist()


def test_analyzer_on_simulated_data_matches_networkx(sim):
    a = analyze_tables(simulation_to_canonical(sim), seed=0, n_boot=20)
    f, t = sim.graph.edges()
    G = nx.DiGraph(list(zip(f.tolist(), t.tolist(), strict=True)))
    assert a.summary["graph"]["reciprocity"]["reciprocity"] == pytest.approx(nx.reciprocity(G))


def test_cli_store_option(tmp_path):
    res = CliRunner().invoke(
        main,
        [
            "simulate",
            "--accounts",
            "400",
            "--set",
            "mean_follows=10",
            "--days",
            "0.25",
            "--seed",
            "2",
            "--out",
            str(tmp_path / "r"),
            "--store",
            str(tmp_path / "s"),
            "--no-progress",
        ],
    )
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(main, ["analyze", str(tmp_path / "s"), "--out", str(tmp_path / "a")])
    assert res.exit_code == 0, res.output
    assert "reciprocity" in res.output
