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


# ------------------------------------------------------------- follows, start and end
def _naive_history(start_edges, changes):
    """Replay ``changes`` (tick, follower, friend, +1/-1) on a set: the end graph
    and, for each end edge, the tick it was last made (-1: from the start)."""
    live = {e: -1 for e in start_edges}
    for tick, f, t, sign in changes:
        if sign > 0:
            assert (f, t) not in live
            live[(f, t)] = tick
        else:
            del live[(f, t)]
    return live


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_follow_history_matches_a_replay_on_a_set(seed):
    import numpy as np

    from mutuals.io.simstore import follow_history

    rng = np.random.default_rng(seed)
    s = Simulation(PlatformParams(accounts=60, mean_follows=6, days=0.25), seed=seed)
    f0, t0 = s.graph.edges()
    start = set(zip(f0.tolist(), t0.tolist(), strict=True))
    changes = []
    for tick in range(6):  # follows, unfollows and re-follows of the same edges
        s.state.tick = tick
        s.state.follows_today[:] = 0
        a, b = rng.integers(0, 60, 40), rng.integers(0, 60, 40)
        made = s.follow(a, b)
        changes += [(tick, x, y, 1) for x, y in zip(a[made], b[made], strict=True)]
        f, t = s.graph.edges()
        pick = rng.choice(f.size, 25, replace=False)
        gone = s.unfollow(f[pick], t[pick])
        changes += [(tick, x, y, -1) for x, y in zip(f[pick][gone], t[pick][gone], strict=True)]
    assert any(c[3] < 0 for c in changes) and any(c[3] > 0 for c in changes)
    want = _naive_history(start, changes)
    h = follow_history(s.state)
    end = dict(
        zip(
            zip(h.end_follower.tolist(), h.end_friend.tolist(), strict=True),
            h.end_tick.tolist(),
            strict=True,
        )
    )
    assert end == want
    assert set(zip(h.start_follower.tolist(), h.start_friend.tolist(), strict=True)) == start
    assert h.start_follower.size == len(start)  # no duplicates


def test_run_tables_hold_both_follow_graphs():
    import numpy as np

    sim = Simulation(
        PlatformParams(accounts=600, mean_follows=12, days=1, engage_scale=2.0, unfollow_rate=0.05),
        seed=3,
    )
    sim.run()
    assert sim.counters["follows"] > 0 and sim.counters["unfollows"] > 0
    t = simulation_to_canonical(sim, start=True)
    start, end = t["follows_start"], t["follows"]
    assert start.schema == SCHEMAS["follows"]
    assert start.num_rows == int(sim.followers_at_start.sum())
    # an end edge has a time exactly when the run made it
    log = np.concatenate(sim.state.follow_log)
    n = sim.accounts.n
    made = set((log[log[:, 3] > 0, 1] * n + log[log[:, 3] > 0, 2]).tolist())
    ef = np.asarray(end.column("follower_id").to_pylist(), np.int64)
    et = np.asarray(end.column("friend_id").to_pylist(), np.int64)
    has_time = np.asarray(end.column("created_at").is_valid().to_pylist())
    assert has_time.tolist() == [k in made for k in (ef * n + et).tolist()]
    assert has_time.any()
    # the accounts' follower counts at the start are the in-degrees of follows_start
    counts = pc.value_counts(start.column("friend_id")).to_pylist()
    indeg = {int(d["values"]): d["counts"] for d in counts}
    fs = sim.followers_at_start
    assert all(indeg.get(i, 0) == int(fs[i]) for i in range(fs.size))


def test_posts_carry_their_stance_and_accounts_their_role(sim):
    """The simulator's ground truth lands in the canonical columns measures read
    (drift reads ``posts.stance``; lists read ``accounts.role``)."""
    import numpy as np

    from mutuals.platform.accounts import ROLES

    t = simulation_to_canonical(sim)
    m = sim.posts.n
    stance = t["posts"].column("stance").to_numpy()
    assert np.array_equal(stance, sim.posts.cols["stance"][:m].astype(np.float64))
    assert np.unique(stance).size > 1  # positions vary, not a constant
    roles = t["accounts"].column("role").to_pylist()
    assert roles == [ROLES[r] for r in sim.accounts.role.tolist()]
