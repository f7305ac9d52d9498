"""`mutuals plot` draws every figure a run allows."""

import pyarrow as pa
import pytest
from click.testing import CliRunner

from mutuals.cli.main import main
from mutuals.errors import InputError
from mutuals.report.plots import plot_run, steps_figure

PNG = b"\x89PNG\r\n\x1a\n"


def test_platform_and_simsom_runs_plot(tmp_path):
    r = CliRunner()
    args = [
        "simulate",
        "--accounts",
        "500",
        "--set",
        "mean_follows=10",
        "--days",
        "0.5",
        "--seed",
        "1",
        "--out",
        str(tmp_path / "p"),
        "--no-progress",
    ]
    assert r.invoke(main, args).exit_code == 0
    res = r.invoke(main, ["plot", str(tmp_path / "p")])
    assert res.exit_code == 0, res.output
    names = sorted(p.name for p in (tmp_path / "p" / "plots").glob("*.png"))
    assert names == ["exposures.png", "followers.png", "reach.png", "steps.png"]
    assert all((tmp_path / "p" / "plots" / n).read_bytes().startswith(PNG) for n in names)
    args = [
        "simulate",
        "simsom",
        "--accounts",
        "200",
        "--steps",
        "20",
        "--set",
        "mean_follows=10",
        "--set",
        "burn_in=2",
        "--set",
        "window=2",
        "--seed",
        "1",
        "--out",
        str(tmp_path / "s"),
        "--no-progress",
    ]
    assert r.invoke(main, args).exit_code == 0
    res = r.invoke(main, ["plot", str(tmp_path / "s"), "--out", str(tmp_path / "sp")])
    assert res.exit_code == 0 and (tmp_path / "sp" / "simsom.png").read_bytes().startswith(PNG)


def test_plot_errors_are_typed(tmp_path):
    with pytest.raises(InputError, match="empty"):
        steps_figure(pa.table({"day": pa.array([], pa.float64())}))
    with pytest.raises(InputError, match="nothing to plot"):
        plot_run({"other": pa.table({"a": [1]})}, tmp_path)
    res = CliRunner().invoke(main, ["plot", str(tmp_path)])
    assert res.exit_code != 0 and "not a run folder" in res.output
