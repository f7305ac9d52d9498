"""Output folders: the rules of what mutuals may write, replace or remove, and
the transaction that keeps a killed write from leaving a half-made output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mutuals.errors import InputError
from mutuals.io.folders import JOURNAL, MARKER, FolderWriter, folder_kind, recover


def _write(path: Path, kind: str, files: dict[str, str], **kw: object) -> list[Path]:
    with FolderWriter(path, kind, **kw) as w:  # type: ignore[arg-type]
        for name, text in files.items():
            w.write_text(name, text)
        return w.commit(last="manifest.json" if "manifest.json" in files else None)


def _visible(path: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(path.iterdir()) if not p.name.startswith(".")}


def test_new_folder_becomes_ours_and_rewrites_replace_only_our_files(tmp_path: Path) -> None:
    out = tmp_path / "run"
    _write(out, "run", {"a.parquet": "1", "b.parquet": "2", "manifest.json": "{}"})
    assert folder_kind(out) == ("run", {"a.parquet", "b.parquet", "manifest.json"})
    (out / "notes.txt").write_text("mine")  # the user adds a file beside the run
    _write(out, "run", {"a.parquet": "3", "manifest.json": "{}"})
    # b.parquet (ours, not rewritten) is gone; the user's file is untouched
    assert _visible(out) == {"a.parquet": "3", "manifest.json": "{}", "notes.txt": "mine"}


def test_a_folder_of_user_files_is_refused_and_left_untouched(tmp_path: Path) -> None:
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "thesis.parquet").write_text("years of work")
    (out / "posts.parquet").write_text("their posts")
    with pytest.raises(InputError, match=r"not written by mutuals.*--overwrite"):
        _write(out, "run", {"posts.parquet": "sim", "manifest.json": "{}"})
    assert sorted(p.name for p in out.iterdir()) == ["posts.parquet", "thesis.parquet"]
    # --overwrite writes beside them, but never replaces one of them
    with pytest.raises(InputError, match=r"posts\.parquet.*never replaced"):
        _write(out, "run", {"posts.parquet": "sim", "manifest.json": "{}"}, overwrite=True)
    assert _visible(out) == {"posts.parquet": "their posts", "thesis.parquet": "years of work"}
    _write(out, "run", {"steps.parquet": "s", "manifest.json": "{}"}, overwrite=True)
    assert _visible(out)["thesis.parquet"] == "years of work"
    assert _visible(out)["posts.parquet"] == "their posts"


def test_another_kind_of_mutuals_output_is_refused(tmp_path: Path) -> None:
    _write(tmp_path / "s", "store", {"store.json": "{}"})
    for kind in ("run", "analysis", "plots"):
        with pytest.raises(InputError, match="holds a mutuals canonical store"):
            _write(tmp_path / "s", kind, {"x": "1"}, overwrite=True)


def test_a_failed_write_leaves_the_previous_output_and_no_temporary_files(tmp_path: Path) -> None:
    out = tmp_path / "run"
    _write(out, "run", {"a.parquet": "old", "manifest.json": "{}"})
    before = {p.name for p in out.iterdir()}
    with pytest.raises(RuntimeError), FolderWriter(out, "run") as w:
        w.write_text("a.parquet", "new")
        raise RuntimeError("the run crashed")
    assert {p.name for p in out.iterdir()} == before
    assert _visible(out)["a.parquet"] == "old"


def test_a_refused_or_failed_first_write_leaves_no_folder(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), FolderWriter(tmp_path / "new", "analysis"):
        raise RuntimeError
    assert not (tmp_path / "new").exists()


def test_an_unwritable_folder_fails_on_entry(tmp_path: Path) -> None:
    blocker = tmp_path / "f"
    blocker.write_text("x")
    with pytest.raises(InputError, match="cannot write"):
        FolderWriter(blocker / "sub", "run").__enter__()
    with pytest.raises(InputError, match="not a folder"):
        FolderWriter(blocker, "run").__enter__()


def test_two_writers_of_one_folder_exclude_each_other(tmp_path: Path) -> None:
    with (
        FolderWriter(tmp_path / "o", "run"),
        pytest.raises(InputError, match="being written by another"),
    ):
        FolderWriter(tmp_path / "o", "run").__enter__()


def test_legacy_outputs_are_recognised(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "steps.parquet").write_text("s")
    (run / "manifest.json").write_text(
        json.dumps({"tables": {"steps": 1}, "environment": {"mutuals": "0.1.0"}})
    )
    assert folder_kind(run) == ("run", {"steps.parquet", "manifest.json"})
    store = tmp_path / "store"
    store.mkdir()
    (store / "store.json").write_text(json.dumps({"format": "mutuals-store"}))
    (store / "posts.parquet").write_text("p")
    assert folder_kind(store) == ("store", {"posts.parquet", "store.json"})
    other = tmp_path / "other"
    other.mkdir()
    (other / "manifest.json").write_text(json.dumps({"tables": {"x": 1}}))  # another tool's
    assert folder_kind(other) is None


_KILL = """
import sys
from pathlib import Path
from mutuals.io.folders import FolderWriter
out = Path(sys.argv[1])
with FolderWriter(out, "run") as w:
    w.write_text("a.parquet", "new a")
    w.write_text("b.parquet", "new b")
    w.write_text("manifest.json", "new manifest")
    w.commit(last="manifest.json")
"""


@pytest.mark.parametrize(
    ("point", "state"),
    [
        ("before-journal", "old"),
        ("after-journal", "new"),
        ("rename-0", "new"),
        ("rename-1", "new"),
        ("rename-2", "new"),
    ],
)
def test_sigkill_during_commit_leaves_old_or_new_state_whole(
    tmp_path: Path, point: str, state: str
) -> None:
    out = tmp_path / "run"
    _write(out, "run", {"a.parquet": "old a", "c.parquet": "old c", "manifest.json": "old"})
    env = {**os.environ, "MUTUALS_FAILPOINT": point}
    proc = subprocess.run([sys.executable, "-c", _KILL, str(out)], env=env, check=False)
    assert proc.returncode == -9  # it really was killed there
    done = recover(out)
    if state == "old":
        assert _visible(out) == {"a.parquet": "old a", "c.parquet": "old c", "manifest.json": "old"}
        assert done and "temporary" in done[0]
    else:
        want = {"a.parquet": "new a", "b.parquet": "new b", "manifest.json": "new manifest"}
        assert _visible(out) == want
        assert "finished the interrupted write" in done[0]
        assert folder_kind(out) == ("run", set(want))
    assert not (out / JOURNAL).exists()
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [
        ".mutuals.json",
        ".mutuals.lock",
    ]
    assert recover(out) == []  # idempotent


def test_recover_leaves_a_running_writer_alone(tmp_path: Path) -> None:
    with FolderWriter(tmp_path / "o", "run") as w:
        w.write_text("a.parquet", "x")
        assert recover(tmp_path / "o") == []  # its temporary file is not stale
        w.commit()
    assert _visible(tmp_path / "o") == {"a.parquet": "x"}
    assert (tmp_path / "o" / MARKER).exists()


def test_one_writer_commits_several_times(tmp_path: Path) -> None:
    """Checkpoints commit through one writer, each commit whole."""
    out = tmp_path / "ck"
    with FolderWriter(out, "checkpoint") as w:
        w.write_text("state-1.npz", "one")
        w.commit()
        w.write_text("state-2.npz", "two")
        w.commit()  # the first file is the previous output's, not staged again: removed
        assert _visible(out) == {"state-2.npz": "two"}
        w.write_text("state-3.npz", "three")
        w.commit(keep=["state-2.npz"])
    assert _visible(out) == {"state-2.npz": "two", "state-3.npz": "three"}
    assert folder_kind(out) == ("checkpoint", {"state-2.npz", "state-3.npz"})


# ------------------------------------------------------- files one subfolder down
def _tree(path: Path) -> dict[str, str]:
    return {
        str(p.relative_to(path)): p.read_text()
        for p in sorted(path.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def test_files_in_a_subfolder_are_part_of_the_output(tmp_path: Path) -> None:
    out = tmp_path / "run"
    _write(out, "run", {"a.parquet": "1", "store/p.parquet": "2", "manifest.json": "{}"})
    assert folder_kind(out) == ("run", {"a.parquet", "store/p.parquet", "manifest.json"})
    (out / "store" / "mine.txt").write_text("mine")  # a user's file in our subfolder
    _write(out, "run", {"a.parquet": "3", "manifest.json": "{}"})
    # our file in the subfolder is gone; the folder stays for the user's file
    assert _tree(out) == {"a.parquet": "3", "manifest.json": "{}", "store/mine.txt": "mine"}
    (out / "store" / "mine.txt").unlink()
    _write(out, "run", {"a.parquet": "4", "store/q.parquet": "5", "manifest.json": "{}"})
    _write(out, "run", {"a.parquet": "6", "manifest.json": "{}"})
    assert not (out / "store").exists()  # an emptied subfolder of ours is removed


@pytest.mark.parametrize("name", ["../x", "a/b/c", "/abs", "store/", "./x", ".mutuals.json"])
def test_names_outside_the_folder_are_refused(tmp_path: Path, name: str) -> None:
    with FolderWriter(tmp_path / "o", "run") as w, pytest.raises(ValueError):
        w.write_text(name, "x")


def test_a_subfolder_file_never_replaces_a_users_file(tmp_path: Path) -> None:
    out = tmp_path / "run"
    (out / "store").mkdir(parents=True)
    (out / "store" / "p.parquet").write_text("the user's")
    with pytest.raises(InputError, match="did not write"):
        _write(out, "run", {"store/p.parquet": "ours", "manifest.json": "{}"}, overwrite=True)
    assert (out / "store" / "p.parquet").read_text() == "the user's"
    (out / "x").write_text("a file where a subfolder should be")
    with pytest.raises(InputError, match="did not write"):
        _write(out, "run", {"x/p.parquet": "ours", "manifest.json": "{}"}, overwrite=True)


_KILL_NESTED = """
import sys
from pathlib import Path
from mutuals.io.folders import FolderWriter
out = Path(sys.argv[1])
with FolderWriter(out, "run") as w:
    w.write_text("a.parquet", "new a")
    w.write_text("store/p.parquet", "new p")
    w.write_text("manifest.json", "new manifest")
    w.commit(last="manifest.json")
"""


@pytest.mark.parametrize("point", ["before-journal", "after-journal", "rename-0", "rename-1"])
def test_sigkill_while_writing_a_subfolder_leaves_old_or_new_state_whole(
    tmp_path: Path, point: str
) -> None:
    out = tmp_path / "run"
    old = {"a.parquet": "old a", "store/p.parquet": "old p", "store/q.parquet": "old q"}
    _write(out, "run", {**old, "manifest.json": "old"})
    env = {**os.environ, "MUTUALS_FAILPOINT": point}
    proc = subprocess.run([sys.executable, "-c", _KILL_NESTED, str(out)], env=env, check=False)
    assert proc.returncode == -9
    recover(out)
    new = {"a.parquet": "new a", "store/p.parquet": "new p", "manifest.json": "new manifest"}
    assert _tree(out) == (new if point != "before-journal" else {**old, "manifest.json": "old"})
    assert not list(out.rglob(".*tmp*"))
