"""Output folders that never lose a user's data.

Every folder a command writes (a run, a store, an analysis, a set of figures)
carries a marker, ``.mutuals.json``: the kind of output and the files mutuals
wrote there. A writer (:class:`FolderWriter`) follows these rules:

- a folder that does not exist, or holds nothing, is created and becomes ours;
- a folder whose marker names the same kind is ours: the files the marker
  lists may be replaced or removed, and no other file is touched;
- a folder holding another kind of mutuals output is refused;
- any other folder that is not empty is refused, unless ``overwrite=True``: the
  files are then written beside what is there, and a file mutuals did not write
  is still never replaced (the write is refused, naming it).

Folders written before markers existed are recognised by their own metadata (a
run's ``manifest.json`` that records a mutuals version, a store's ``store.json``).

Writes are transactions. Each new file is written to a temporary sibling
(:meth:`FolderWriter.temp_file`); :meth:`FolderWriter.commit` then writes a
journal (``.mutuals-journal.json``, itself written to a temporary file and
renamed, so it is whole or absent), renames every file into place with the
folder's metadata file (``manifest.json``, ``store.json``) last, removes the
files of the previous output that the new one does not have, updates the marker
and removes the journal. A command killed before the journal exists leaves the
previous output whole; killed after, the renames are finished by the next
command (:func:`recover`, which every reader and writer of such a folder calls
first) and the new output is whole. Temporary files a killed command left
behind are removed by the next command. A lock (``.mutuals.lock``, an advisory
``flock``) keeps two commands from writing one folder at once and keeps
:func:`recover` away from the temporary files of a command still running.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import shutil
import signal
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from mutuals.errors import InputError

__all__ = [
    "JOURNAL",
    "KINDS",
    "LOCK",
    "MARKER",
    "FolderWriter",
    "folder_kind",
    "recover",
]

MARKER = ".mutuals.json"
JOURNAL = ".mutuals-journal.json"
LOCK = ".mutuals.lock"
_TMP_TAG = ".mutuals-tmp"
#: Temporary folders of ingests made before this module existed.
_LEGACY_TMP_PREFIX = ".ingest-"
#: What each kind of output is called in messages.
KINDS = {
    "run": "simulation run",
    "store": "canonical store",
    "analysis": "analysis",
    "plots": "folder of figures",
    "checkpoint": "checkpoint of a run",
    "sweep": "sweep",
    "claims": "set of claim experiments",
    "detection": "detection of infiltrators and coordination",
    "lists": "set of suggested lists",
}
_OWN = {MARKER, JOURNAL, LOCK}


def _failpoint(name: str) -> None:
    """Crash-consistency tests set ``MUTUALS_FAILPOINT`` to stop the process here
    with SIGKILL, as a kill or a power cut would; a no-op otherwise."""
    if os.environ.get("MUTUALS_FAILPOINT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def _legacy(path: Path) -> tuple[str, set[str]] | None:
    """Kind and files of a mutuals output written before markers existed."""
    man = _read_json(path / "manifest.json")
    env = man.get("environment") if isinstance(man, dict) else None
    if isinstance(env, dict) and "mutuals" in env and isinstance(man.get("tables"), dict):
        files = {f"{t}.parquet" for t in man["tables"] if isinstance(t, str)}
        return "run", files | {"manifest.json"}
    meta = _read_json(path / "store.json")
    if isinstance(meta, dict) and meta.get("format") == "mutuals-store":
        from mutuals.tables import SCHEMAS

        files = {f"{t}.parquet" for t in SCHEMAS if (path / f"{t}.parquet").exists()}
        return "store", files | {"store.json"}
    return None


def _output_name(name: str) -> bool:
    """An output file's name: ``file`` or ``folder/file`` (one level down, as a
    run's ``store/posts.parquet``), never a temporary, ``..`` or mutuals' own."""
    parts = name.split("/")
    return (
        0 < len(parts) <= 2
        and all(x and x not in (".", "..") and "\\" not in x for x in parts)
        and not any(x in _OWN or _is_temp(x) for x in parts)
    )


def _marker(path: Path) -> tuple[str, set[str]] | None:
    m = _read_json(path / MARKER)
    if isinstance(m, dict) and m.get("kind") in KINDS and isinstance(m.get("files"), list):
        return m["kind"], {f for f in m["files"] if isinstance(f, str) and _output_name(f)}
    return None


def _remove_output(path: Path, name: str) -> None:
    """Remove the output file ``name``, and its folder once that is empty."""
    (path / name).unlink(missing_ok=True)
    if "/" in name:
        with contextlib.suppress(OSError):
            (path / name).parent.rmdir()  # only when empty: a user's file there stays


def folder_kind(path: str | Path) -> tuple[str, set[str]] | None:
    """``(kind, files mutuals wrote)`` of a mutuals output folder, else None."""
    p = Path(path)
    if not p.is_dir():
        return None
    return _marker(p) or _legacy(p)


def _is_temp(name: str, *, legacy: bool = False) -> bool:
    return (_TMP_TAG in name and name.startswith(".")) or (
        legacy and name.startswith(_LEGACY_TMP_PREFIX)
    )


@contextlib.contextmanager
def _locked(path: Path, *, create: bool) -> Iterator[bool]:
    """Hold the folder's lock; yields False when another process holds it (or,
    with ``create`` false, when there is no lock file to take)."""
    import fcntl

    lock = path / LOCK
    if not create and not lock.exists():
        yield True  # nobody ever wrote here with a lock: nothing is running
        return
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        if create:
            raise InputError(f"cannot write to {str(path)!r}: {e.strerror or e}") from None
        yield True  # a read-only folder: nobody can be writing it through us
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            if e.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                yield False
                return
            raise
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _fsync(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}{_TMP_TAG}-{secrets.token_hex(4)}")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


def _roll_forward(path: Path) -> str | None:
    """Finish the renames of an interrupted commit; None when there is no journal."""
    journal = path / JOURNAL
    if not journal.exists():
        return None
    j = _read_json(journal)
    if not isinstance(j, dict) or not isinstance(j.get("renames"), list):
        # a journal is renamed into place whole, so this is not ours to repair
        raise InputError(f"{journal}: damaged write journal; move it away if nothing else wrote it")
    for src, dst in j["renames"]:
        s, d = path / src, path / dst
        if s.exists():
            d.parent.mkdir(exist_ok=True)
            s.replace(d)
    for name in j.get("remove", []):
        if isinstance(name, str) and _output_name(name):
            _remove_output(path, name)
    if isinstance(j.get("marker"), dict):
        _write_atomic(path / MARKER, json.dumps(j["marker"], indent=2) + "\n")
    journal.unlink()
    return f"finished the interrupted write of {str(path)!r}"


def _clean_temps(path: Path, *, legacy: bool) -> int:
    n = 0
    for child in path.iterdir():
        if _is_temp(child.name, legacy=legacy):
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)
            n += 1
    return n


def recover(path: str | Path) -> list[str]:
    """Repair what a killed command left in the output folder ``path``.

    Finishes an interrupted commit (its journal is complete, so the new output
    is whole) and removes temporary files of writes that never committed.
    Returns what was done, one message each (empty when nothing was to do).
    Raises :class:`~mutuals.errors.InputError` when another command is writing
    the folder right now and it cannot be read whole.
    """
    p = Path(path)
    if not p.is_dir():
        return []
    needs_journal = (p / JOURNAL).exists()
    found = folder_kind(p)
    legacy = found is not None and found[0] == "store"  # ingests used to leave .ingest-*
    try:
        temps = any(_is_temp(c.name, legacy=legacy) for c in p.iterdir())
    except OSError:
        return []
    if not needs_journal and not temps:
        return []
    done: list[str] = []
    with _locked(p, create=False) as free:
        if not free:
            if needs_journal:
                raise InputError(
                    f"{str(p)!r} is being written by another mutuals command; "
                    "try again when it has finished"
                )
            return []  # a running writer's temporary files: not ours to touch
        try:
            msg = _roll_forward(p)
            if msg:
                done.append(msg)
            n = _clean_temps(p, legacy=legacy)
        except OSError as e:
            raise InputError(
                f"{str(p)!r} holds an interrupted write that cannot be repaired: {e.strerror or e}"
            ) from None
        if n:
            done.append(
                f"removed {n} temporary file(s) left in {str(p)!r} by an interrupted command"
            )
    return done


class FolderWriter:
    """Write the files of one output into a folder as one transaction.

    Use as a context manager: entering checks the folder against the rules in
    the module docstring, repairs what a killed command left (:func:`recover`),
    takes the lock and fails in one line if the folder cannot be written, all
    before any work is done. Write each file to :meth:`temp_file` (or into
    :meth:`temp_dir`), then :meth:`commit`. Leaving the block without a commit
    (an error) removes the temporary files and leaves the folder as it was.

    Parameters
    ----------
    path : path
        The output folder.
    kind : str
        One of :data:`KINDS`.
    overwrite : bool
        Write into a folder that holds files mutuals did not write (they are
        left alone; replacing one of them is still refused).
    what : str
        How the folder is named in messages (``"--out"``, ``"the store"``).
    """

    def __init__(
        self, path: str | Path, kind: str, *, overwrite: bool = False, what: str = "output"
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown output kind {kind!r}")
        self.path = Path(path)
        self.kind = kind
        self.overwrite = overwrite
        self.what = what
        self.token = secrets.token_hex(4)
        self.messages: list[str] = []
        self.previous: set[str] = set()  # files of the previous output of this kind
        self._staged: dict[str, Path] = {}
        self._temps: list[Path] = []
        self._lock_cm: Any = None
        self._committed = False
        self._created = False

    # ------------------------------------------------------------------ checks
    def __enter__(self) -> FolderWriter:
        p = self.path
        if p.exists() and not p.is_dir():
            raise InputError(f"{self.what} {str(p)!r} exists and is not a folder")
        self._created = not p.exists()
        try:
            p.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise InputError(f"cannot write {self.what} {str(p)!r}: {e.strerror or e}") from None
        self.messages += recover(p)
        self._check()  # before the lock file is made: a refused folder is left untouched
        self._lock_cm = _locked(p, create=True)
        if not self._lock_cm.__enter__():
            self._lock_cm.__exit__(None, None, None)
            self._lock_cm = None
            raise InputError(
                f"{self.what} {str(p)!r} is being written by another mutuals command; "
                "wait for it, or choose another folder"
            )
        try:
            self._check()  # again, now that no other writer can change the folder
            probe = self.temp_file("probe")
            probe.write_bytes(b"")  # writable? fail now, not after a long run
            probe.unlink()
            self._temps.remove(probe)
        except OSError as e:
            self.__exit__(None, None, None)
            raise InputError(f"cannot write to {str(p)!r}: {e.strerror or e}") from None
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _check(self) -> None:
        p = self.path
        found = folder_kind(p)
        others = sorted(c.name for c in p.iterdir() if c.name not in _OWN and not _is_temp(c.name))
        if found is not None:
            kind, files = found
            if kind != self.kind:
                raise InputError(
                    f"{self.what} {str(p)!r} holds a mutuals {KINDS[kind]}, not a "
                    f"{KINDS[self.kind]}; choose another folder"
                )
            self.previous = files
            return
        if others and not self.overwrite:
            shown = ", ".join(others[:5]) + (
                f" and {len(others) - 5} more" if len(others) > 5 else ""
            )
            raise InputError(
                f"{self.what} {str(p)!r} is not empty and was not written by mutuals "
                f"(it holds {shown}); choose a new folder, or pass --overwrite to write "
                "beside those files (mutuals never replaces a file it did not write)"
            )

    # ----------------------------------------------------------------- writing
    def temp_file(self, name: str) -> Path:
        """A temporary path in the folder for the file that will become ``name``
        (in the folder itself even when ``name`` lies in a subfolder, so that a
        killed write's temporaries are found and removed)."""
        t = self.path / f".{name.replace('/', '__')}{_TMP_TAG}-{self.token}"
        self._temps.append(t)
        return t

    def temp_dir(self) -> Path:
        """A temporary folder inside the output folder (removed at the end)."""
        t = self.path / f".work{_TMP_TAG}-{self.token}"
        t.mkdir()
        self._temps.append(t)
        return t

    def stage(self, name: str, tmp: Path) -> None:
        """``tmp`` (in the folder) becomes ``name`` at :meth:`commit`; ``name``
        may lie one subfolder down (``store/posts.parquet``)."""
        if not _output_name(name):
            raise ValueError(f"not an output file name: {name!r}")
        self._staged[name] = tmp

    def write_text(self, name: str, text: str) -> None:
        """Stage a small text file."""
        t = self.temp_file(name)
        t.write_text(text, encoding="utf-8")
        self.stage(name, t)

    def commit(self, *, last: str | None = None, keep: Iterable[str] = ()) -> list[Path]:
        """Move every staged file into place (``last`` after all others), remove
        the previous output's files that are neither staged nor in ``keep``,
        and record the new set of files in the marker. Returns the final paths."""
        p = self.path
        names = sorted(self._staged, key=lambda n: (n == last, n))
        foreign = [
            n
            for n in names
            if n not in self.previous
            and ((p / n).exists() or ((p / n).parent.exists() and not (p / n).parent.is_dir()))
        ]
        if foreign:
            raise InputError(
                f"{self.what} {str(p)!r} already holds {', '.join(foreign)}, which mutuals "
                "did not write; it is never replaced: move it, or choose another folder"
            )
        keep = set(keep) & self.previous
        remove = sorted(self.previous - set(names) - keep)
        files = sorted(set(names) | keep)
        for n in names:
            _fsync(self._staged[n])
        journal = {
            "token": self.token,
            "renames": [[str(self._staged[n].relative_to(p)), n] for n in names],
            "remove": remove,
            "marker": {"kind": self.kind, "files": files, "format": "mutuals-output", "version": 1},
        }
        _failpoint("before-journal")
        _write_atomic(p / JOURNAL, json.dumps(journal, indent=2) + "\n")
        _failpoint("after-journal")
        for i, n in enumerate(names):
            (p / n).parent.mkdir(exist_ok=True)
            self._staged[n].replace(p / n)
            _failpoint(f"rename-{i}")
        for n in remove:
            _remove_output(p, n)
        _write_atomic(p / MARKER, json.dumps(journal["marker"], indent=2) + "\n")
        _fsync(p)
        (p / JOURNAL).unlink()
        self._committed = True
        self.previous = set(files)
        moved = [p / n for n in names]
        # a later commit (the next checkpoint) starts afresh
        renamed = {self._staged[n] for n in names}
        self._temps = [t for t in self._temps if t not in renamed]
        self._staged.clear()
        return moved

    def __exit__(self, *exc: Any) -> None:
        try:
            for t in self._temps:
                if t.is_dir():
                    shutil.rmtree(t, ignore_errors=True)
                else:
                    t.unlink(missing_ok=True)
        finally:
            if self._lock_cm is not None:
                self._lock_cm.__exit__(None, None, None)
                self._lock_cm = None
        if self._created and not self._committed:  # a failed first write leaves no folder
            with contextlib.suppress(OSError):
                (self.path / LOCK).unlink(missing_ok=True)
                self.path.rmdir()
