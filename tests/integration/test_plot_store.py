"""`mutuals plot` on a store (and on a run's store): degree CCDFs, reach
against followers, hashtag adoption."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from click.testing import CliRunner

from mutuals.cli.main import main
from mutuals.errors import InputError
from mutuals.io.store import write_store
from mutuals.report.plots import adoption_figure, degree_ccdf_figure, plot_store

PNG = b"\x89PNG\r\n\x1a\n"
TS = pa.timestamp("us", tz="UTC")
T0 = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)


def _tables(posts: bool = True) -> dict[str, pa.Table]:
    rng = np.random.default_rng(0)
    n = 300
    src = rng.integers(0, n, 3000)
    dst = np.minimum((rng.pareto(1.5, 3000) * 3).astype(int), n - 1)
    t: dict[str, pa.Table] = {
        "follows": pa.table({"platform": ["x"] * 3000, "follower_id": [f"u{i}" for i in src],
                             "friend_id": [f"u{i}" for i in dst]}),
    }  # fmt: skip
    if posts:
        m = 400
        author = rng.integers(0, n, m)
        t["posts"] = pa.table({
            "platform": ["x"] * m,
            "post_id": [str(i) for i in range(m)],
            "author_id": [f"u{i}" for i in author],
            "created_at": pa.array([T0 + dt.timedelta(hours=int(h)) for h in
                                    rng.integers(0, 24 * 6, m)], TS),
            "kind": ["post"] * m,
            "hashtags": [["camp"] if i % 3 == 0 else ["other"] for i in range(m)],
        })  # fmt: skip
        t["interactions"] = pa.table({
            "platform": ["x"] * 200, "kind": ["repost"] * 200,
            "source_id": [f"u{i}" for i in rng.integers(0, n, 200)],
            "target_id": [f"u{author[i]}" for i in range(200)],
            "post_id": [f"r{i}" for i in range(200)],
            "target_post_id": [str(i) for i in range(200)],
        })  # fmt: skip
    return t


def _pngs(folder: Path) -> list[str]:
    names = sorted(p.name for p in folder.glob("*.png"))
    assert all((folder / n).read_bytes().startswith(PNG) for n in names)
    return names


def test_plot_a_store(tmp_path: Path) -> None:
    write_store(tmp_path / "s", _tables())
    res = CliRunner().invoke(main, ["plot", str(tmp_path / "s"), "--hashtag", "#Camp"])
    assert res.exit_code == 0, res.output
    assert _pngs(tmp_path / "s" / "plots") == ["adoption.png", "degrees.png", "reach.png"]
    marker = json.loads((tmp_path / "s" / "plots" / ".mutuals.json").read_text())
    assert marker["kind"] == "plots"
    # without --hashtag, the most used hashtags; into --out
    res = CliRunner().invoke(main, ["plot", str(tmp_path / "s"), "--out", str(tmp_path / "p")])
    assert res.exit_code == 0, res.output
    assert _pngs(tmp_path / "p") == ["adoption.png", "degrees.png", "reach.png"]


def test_a_store_of_follows_only_draws_degrees(tmp_path: Path) -> None:
    write_store(tmp_path / "s", _tables(posts=False))
    res = CliRunner().invoke(main, ["plot", str(tmp_path / "s")])
    assert res.exit_code == 0, res.output
    assert _pngs(tmp_path / "s" / "plots") == ["degrees.png"]


def test_errors_are_one_line(tmp_path: Path) -> None:
    write_store(tmp_path / "s", _tables())
    res = CliRunner().invoke(main, ["plot", str(tmp_path / "s"), "--hashtag", "nope"])
    assert res.exit_code != 0 and "no post or quote with a time uses it" in res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "s" / "plots").exists()  # nothing written
    write_store(tmp_path / "e", {})
    res = CliRunner().invoke(main, ["plot", str(tmp_path / "e")])
    assert res.exit_code != 0 and "nothing to plot" in res.output
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    res = CliRunner().invoke(main, ["plot", str(tmp_path / "mine")])
    assert res.exit_code != 0 and "not a run folder, nor a store" in res.output
    with pytest.raises(InputError, match="nothing to plot"):
        plot_store({}, tmp_path / "x")


def test_a_run_folder_with_store(tmp_path: Path) -> None:
    r = CliRunner()
    args = ["simulate", "--accounts", "400", "--set", "mean_follows=10", "--days", "0.5",
            "--seed", "1", "--out", str(tmp_path / "run"), "--no-progress"]  # fmt: skip
    assert r.invoke(main, args).exit_code == 0
    res = r.invoke(main, ["plot", str(tmp_path / "run"), "--store", "--out", str(tmp_path / "a")])
    assert res.exit_code == 0, res.output
    assert _pngs(tmp_path / "a") == ["adoption.png", "degrees.png", "reach.png"]
    # the run's own store folder, given directly, is a store too
    res = r.invoke(main, ["plot", str(tmp_path / "run" / "store"), "--out", str(tmp_path / "b")])
    assert res.exit_code == 0, res.output
    assert _pngs(tmp_path / "b") == _pngs(tmp_path / "a")
    # the run itself still draws the run's figures
    res = r.invoke(main, ["plot", str(tmp_path / "run"), "--out", str(tmp_path / "c")])
    assert res.exit_code == 0, res.output
    assert _pngs(tmp_path / "c") == ["exposures.png", "followers.png", "reach.png", "steps.png"]
    res = r.invoke(main, ["plot", str(tmp_path / "run"), "--hashtag", "x"])
    assert res.exit_code != 0 and "--hashtag applies to a store" in res.output


def test_figures_draw_what_they_are_given() -> None:
    deg = np.random.default_rng(1).zipf(2.3, 2000)
    fig = degree_ccdf_figure(deg, deg)
    a = fig.axes[0]
    assert a.get_xscale() == "log" and a.get_yscale() == "log"
    labels = [line.get_label() for line in a.get_lines()]
    assert labels[0] == "data" and labels[1].startswith("power law, alpha 2.")
    _, y = a.get_lines()[0].get_data()
    assert y[0] == pytest.approx(1.0) and np.all(np.diff(y) < 0)  # P(X >= x), falling
    days = np.array(["2024-05-01", "2024-05-03"], dtype="datetime64[D]")
    fig = adoption_figure({"camp": (days, np.array([2, 5]))})
    xs, ys = fig.axes[0].get_lines()[0].get_data()
    assert list(ys) == [2, 5, 5] and len(xs) == 3  # the last day held for a day
