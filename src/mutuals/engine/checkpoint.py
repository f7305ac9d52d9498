"""Checkpoints: the whole state of a model, saved so that a run can resume.

A checkpoint is two files in a folder:

``state.npz``
    every array of the model (NumPy ``.npz``, uncompressed; read back with
    ``allow_pickle=False``, so it holds data only, never code);
``checkpoint.json``
    the format and the versions that wrote it, what the caller records about
    the run (scenario, parameters, seed, tick, interval), and the tree of the
    model's objects: for each object its class and its attributes, each either
    a JSON value or the name of an array in ``state.npz``.

Saving walks the model generically (:func:`encode`): a dataclass by its fields
(all of them, so a field added to :class:`~mutuals.platform.state.PlatformState`
or :class:`~mutuals.platform.accounts.Accounts` is saved without a change
here), any other object of a ``mutuals`` class by its attributes, or by its own
``export_state()`` / ``restore_state()`` when it defines them (the recorders);
dicts (and read-only mappings, restored as dicts), lists, tuples, sets,
scalars, arrays and :class:`numpy.random.Generator` (its bit generator's
state) as themselves. An object reached twice (SimSoM's state
holds the network the model holds) is saved once and restored as one object.
Something else (a function, a file) is refused, naming where it was found.
Loading (:func:`load`) rebuilds the objects without calling their constructors,
so the model continues exactly where it stopped: a resumed run gives the same
bytes as one never interrupted.

A checkpoint resumes only under the versions that wrote it: the format
version, the package version and the NumPy and Numba versions are recorded,
and :func:`load` refuses in one line a checkpoint written by others, or one
whose files are damaged. A digest of the package's source
(:func:`code_digest`) is recorded too; a resume under changed source (an
edited working copy) goes on, and :func:`mutuals.api.resume` notes it in the
run's manifest, since its tables may then differ from an uninterrupted run's.

This module reads and writes the two files only; the folder, its atomic
commits and recovery after a kill are :class:`mutuals.io.folders.FolderWriter`'s
(see :func:`mutuals.api.run`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import importlib
import json
import os
import secrets
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from mutuals.errors import InputError

__all__ = [
    "FORMAT",
    "META_FILE",
    "STATE_FILE",
    "Checkpoint",
    "code_digest",
    "decode",
    "dump",
    "encode",
    "load",
    "read_meta",
    "scoped_failpoint",
]

#: Version of the checkpoint layout; a reader refuses any other.
FORMAT = 1
META_FILE = "checkpoint.json"
STATE_FILE = "state.npz"
_FORMAT_NAME = "mutuals-checkpoint"
#: Lists this long of one scalar type are stored as one array, not as JSON.
_LIST_AS_ARRAY = 16
#: Bit generators a checkpoint may restore.
_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "Philox", "SFC64", "MT19937")
#: Parts of the package that cannot change a run's state (left out of the digest).
_NOT_IN_DIGEST = ("cli", "report", "sweeps")


@functools.cache
def code_digest() -> str:
    """SHA-256 (first 16 hex digits) of the package's Python source, except
    the command line, reports and sweeps (recorded in a checkpoint, so that a
    resume under edited source is known)."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for f in sorted(root.rglob("*.py")):
        rel = f.relative_to(root)
        if rel.parts[0] in _NOT_IN_DIGEST:
            continue
        h.update(rel.as_posix().encode())
        h.update(b"\0")
        h.update(f.read_bytes())
        h.update(b"\0")
    return h.hexdigest()[:16]


def _environment() -> dict[str, str]:
    import numba

    from mutuals import __version__

    return {
        "mutuals": __version__,
        "code": code_digest(),
        "numpy": np.__version__,
        "numba": numba.__version__,
    }


# -- encoding -------------------------------------------------------------------


def _class_name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _child(path: str, key: str) -> str:
    """The path of ``path[key]``: unique, whatever the key holds."""
    return f"{path}.{key}" if key.isidentifier() else f"{path}[{json.dumps(key)}]"


def _scalar_type(x: Any) -> str | None:
    """The name of a scalar's exact type, for lists stored as one array."""
    if isinstance(x, np.generic):
        return f"np.{x.dtype.str}" if x.dtype.kind in "biuf" else None
    if type(x) in (bool, int, float):
        return type(x).__name__
    return None


class _Encoder:
    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self._seen: dict[int, str] = {}  # id(object) -> path of its first occurrence
        self._alive: list[Any] = []  # keeps ids unique while encoding

    def _array(self, a: np.ndarray, path: str) -> dict[str, Any]:
        if a.dtype.hasobject:
            if all(isinstance(x, str) for x in a.flat):
                self.arrays[path] = np.asarray(a, dtype=str)
                return {"array": path, "strings": True}
            raise TypeError(f"{path}: an array of Python objects cannot be checkpointed")
        self.arrays[path] = a
        return {"array": path}

    def encode(self, x: Any, path: str) -> Any:
        if x is None or type(x) in (bool, str):
            return x
        if type(x) in (int, float):
            return x
        if isinstance(x, np.generic):
            if x.dtype.kind not in "biuf":
                raise TypeError(f"{path}: a NumPy {x.dtype} scalar cannot be checkpointed")
            return {"np": x.dtype.str, "value": self.encode(x.item(), path)}
        ref = id(x)
        if ref in self._seen:
            return {"ref": self._seen[ref]}
        if isinstance(x, (np.ndarray, dict, list)) or not isinstance(x, (tuple, str)):
            self._seen[ref] = path
            self._alive.append(x)
        if isinstance(x, np.ndarray):
            return self._array(x, path)
        if isinstance(x, np.random.Generator):
            return {"generator": self.encode(x.bit_generator.state, f"{path}.state")}
        if type(x) is dict or (isinstance(x, Mapping) and type(x).__module__ == "types"):
            # a dict, or a read-only view of one (MappingProxyType): restored as a dict
            if not all(isinstance(k, str) for k in x):
                raise TypeError(f"{path}: a dict with keys that are not strings")
            return {"dict": {k: self.encode(v, _child(path, k)) for k, v in x.items()}}
        if type(x) in (set, frozenset):
            tag = type(x).__name__
            return {tag: [self.encode(v, f"{path}{{{i}}}") for i, v in enumerate(sorted(x))]}
        if type(x) in (list, tuple):
            tag = "list" if type(x) is list else "tuple"
            if len(x) >= _LIST_AS_ARRAY:
                packed = self._pack(list(x), path)
                if packed is not None:
                    return {tag: packed}
            return {tag: [self.encode(v, f"{path}[{i}]") for i, v in enumerate(x)]}
        cls = type(x)
        if not cls.__module__.startswith("mutuals."):
            raise TypeError(f"{path}: a {_class_name(cls)} cannot be checkpointed")
        if hasattr(cls, "export_state") and hasattr(cls, "restore_state"):
            return {"object": _class_name(cls), "exported": self.encode(x.export_state(), path)}
        if dataclasses.is_dataclass(x):
            attrs = {f.name: getattr(x, f.name) for f in dataclasses.fields(x)}
            extra = set(getattr(x, "__dict__", {})) - set(attrs)
            if extra:
                raise TypeError(
                    f"{path}: attributes outside the dataclass's fields: {sorted(extra)}"
                )
            kind = "dataclass"
        elif hasattr(x, "__dict__") and not hasattr(cls, "__slots__"):
            attrs = dict(vars(x))
            kind = "object"
        else:
            raise TypeError(f"{path}: a {_class_name(cls)} cannot be checkpointed")
        return {
            kind: _class_name(cls),
            "attrs": {k: self.encode(v, _child(path, k)) for k, v in attrs.items()},
        }

    def _pack(self, xs: list[Any], path: str) -> dict[str, Any] | None:
        """A long list of arrays of one shape and dtype, or of scalars of one
        type, as one array (None when it is neither)."""
        first = xs[0]
        if type(first) is np.ndarray and not first.dtype.hasobject:
            if all(
                type(a) is np.ndarray
                and a.shape == first.shape
                and a.dtype == first.dtype
                and id(a) not in self._seen
                for a in xs
            ):
                self.arrays[path] = np.stack(xs)
                return {"stacked": path}
            return None
        kind = _scalar_type(first)
        if kind is None or any(_scalar_type(v) != kind for v in xs):
            return None
        if kind == "int":
            if not all(-(2**63) <= v < 2**63 for v in xs):
                return None
            arr = np.asarray(xs, np.int64)
        elif kind in ("float", "bool"):
            arr = np.asarray(xs, float if kind == "float" else np.bool_)
        else:
            arr = np.asarray(xs, np.dtype(kind[3:]))
        self.arrays[path] = arr
        return {"scalars": path, "type": kind}


def encode(objects: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The JSON tree of ``objects`` and the arrays it names (see the module
    docstring). Raises :class:`TypeError` naming the first thing that cannot
    be saved."""
    enc = _Encoder()
    tree = {name: enc.encode(obj, name) for name, obj in objects.items()}
    return tree, enc.arrays


# -- decoding -------------------------------------------------------------------


def _resolve(name: str) -> type:
    module, _, qual = name.partition(":")
    if not module.startswith("mutuals.") or not qual:
        raise ValueError(f"class {name!r} is not a mutuals class")
    obj: Any = importlib.import_module(module)
    for part in qual.split("."):
        obj = getattr(obj, part)
    if not isinstance(obj, type):
        raise ValueError(f"{name!r} is not a class")
    return obj


class _Decoder:
    def __init__(self, arrays: Mapping[str, np.ndarray]) -> None:
        self.arrays = arrays
        self.built: dict[str, Any] = {}

    def _get(self, key: Any) -> np.ndarray:
        if not isinstance(key, str) or key not in self.arrays:
            raise ValueError(f"array {key!r} is missing")
        return self.arrays[key]

    def decode(self, node: Any, path: str) -> Any:
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if not isinstance(node, dict) or not node:
            raise ValueError(f"{path}: unexpected {type(node).__name__}")
        if "ref" in node:
            if node["ref"] not in self.built:
                raise ValueError(f"{path}: a reference to {node['ref']!r}, not yet restored")
            return self.built[node["ref"]]
        if "np" in node:
            return np.dtype(node["np"]).type(node["value"])
        if "array" in node:
            a = self._get(node["array"])
            out = a.astype(object) if node.get("strings") else a
            self.built[path] = out
            return out
        if "generator" in node:
            state = self.decode(node["generator"], f"{path}.state")
            name = state.get("bit_generator") if isinstance(state, dict) else None
            if name not in _BIT_GENERATORS:
                raise ValueError(f"{path}: unknown bit generator {name!r}")
            bg = getattr(np.random, name)()
            bg.state = state
            gen = np.random.Generator(bg)
            self.built[path] = gen
            return gen
        if "dict" in node:
            d: dict[str, Any] = {}
            self.built[path] = d
            for k, v in node["dict"].items():
                d[k] = self.decode(v, _child(path, k))
            return d
        for tag in ("set", "frozenset"):
            if tag in node:
                items = self._items(node[tag], path)
                return set(items) if tag == "set" else frozenset(items)
        for tag in ("list", "tuple"):
            if tag in node:
                items = self._items(node[tag], path)
                if tag == "tuple":
                    return tuple(items)
                self.built[path] = items
                return items
        if "exported" in node:
            cls = _resolve(node["object"])
            obj = cls.restore_state(self.decode(node["exported"], path))  # type: ignore[attr-defined]
            self.built[path] = obj
            return obj
        for kind in ("dataclass", "object"):
            if kind in node:
                cls = _resolve(node[kind])
                obj = object.__new__(cls)
                self.built[path] = obj
                for k, v in node["attrs"].items():
                    object.__setattr__(obj, k, self.decode(v, _child(path, k)))
                if kind == "dataclass":
                    names = {f.name for f in dataclasses.fields(cls)}
                    missing = names - set(node["attrs"])
                    if missing:
                        raise ValueError(
                            f"{path}: fields {sorted(missing)} of {node[kind]} are not saved"
                        )
                return obj
        raise ValueError(f"{path}: unknown entry {sorted(node)}")

    def _items(self, body: Any, path: str) -> list[Any]:
        if isinstance(body, list):
            return [self.decode(v, f"{path}[{i}]") for i, v in enumerate(body)]
        if isinstance(body, dict) and "stacked" in body:
            return list(self._get(body["stacked"]))
        if isinstance(body, dict) and "scalars" in body:
            a = self._get(body["scalars"])
            return a.tolist() if not str(body.get("type", "")).startswith("np.") else list(a)
        raise ValueError(f"{path}: unknown list entry")


def decode(tree: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """The objects :func:`encode` saved. Raises :class:`ValueError` (or
    another error of a damaged tree) when the tree and the arrays do not fit."""
    dec = _Decoder(arrays)
    return {name: dec.decode(node, name) for name, node in tree.items()}


# -- files ------------------------------------------------------------------------


@dataclass
class Checkpoint:
    """A checkpoint read back: the caller's record of the run, the objects,
    and the digest of the source that wrote it (:func:`code_digest`)."""

    meta: dict[str, Any]
    objects: dict[str, Any]
    code: str = ""


def dump(
    objects: Mapping[str, Any], meta: Mapping[str, Any], state_file: IO[bytes], meta_file: IO[str]
) -> None:
    """Write ``objects`` to ``state_file`` (``.npz``) and ``meta`` with the
    object tree to ``meta_file`` (JSON). ``meta`` is the caller's record
    (scenario, parameters, seed, tick...); it must be JSON."""
    tree, arrays = encode(objects)
    token = secrets.token_hex(8)
    arrays = {**arrays, "__checkpoint_id__": np.frombuffer(bytes.fromhex(token), np.uint8)}
    np.savez(state_file, allow_pickle=False, **arrays)
    doc = {
        "format": _FORMAT_NAME,
        "version": FORMAT,
        **_environment(),
        "id": token,
        "meta": dict(meta),
        "objects": tree,
    }
    json.dump(doc, meta_file, indent=1, allow_nan=True)
    meta_file.write("\n")


def _damaged(folder: Path, what: str, why: object) -> InputError:
    return InputError(
        f"{folder}: the checkpoint is damaged ({what}: {why}); it cannot be resumed:"
        " start the run again"
    )


def read_meta(folder: str | Path) -> dict[str, Any]:
    """The checkpoint's JSON document (checked: format, versions); raises
    :class:`~mutuals.errors.InputError` in one line otherwise."""
    p = Path(folder)
    f = p / META_FILE
    if not f.is_file():
        raise InputError(f"{p}: no {META_FILE}: not a checkpoint")
    try:
        doc = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise _damaged(p, META_FILE, e) from None
    if not isinstance(doc, dict) or doc.get("format") != _FORMAT_NAME:
        raise _damaged(p, META_FILE, "not a mutuals checkpoint")
    if doc.get("version") != FORMAT:
        raise InputError(
            f"{p}: checkpoint format {doc.get('version')!r}; this mutuals reads format {FORMAT}:"
            " start the run again"
        )
    env = _environment()
    del env["code"]  # recorded; a resume under edited source is noted by the caller
    theirs = {k: doc.get(k) for k in env}
    if theirs != env:

        def show(e: Mapping[str, Any]) -> str:
            return f"mutuals {e['mutuals']} (numpy {e['numpy']}, numba {e['numba']})"

        raise InputError(
            f"{p}: the checkpoint was written by {show(theirs)}, this is {show(env)};"
            " a run resumed under other versions would not match an uninterrupted one:"
            " start the run again (or resume it with the versions that wrote it)"
        )
    if not isinstance(doc.get("meta"), dict) or not isinstance(doc.get("objects"), dict):
        raise _damaged(p, META_FILE, "no meta or objects")
    return doc


def load(folder: str | Path) -> Checkpoint:
    """Read the checkpoint in ``folder`` (see :func:`read_meta` for the checks)."""
    p = Path(folder)
    doc = read_meta(p)
    try:
        with np.load(p / STATE_FILE, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise _damaged(p, STATE_FILE, "missing") from None
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as e:
        raise _damaged(p, STATE_FILE, e) from None
    token = arrays.pop("__checkpoint_id__", None)
    if token is None or token.tobytes().hex() != doc.get("id"):
        raise _damaged(p, STATE_FILE, f"it does not belong with {META_FILE}")
    try:
        objects = decode(doc["objects"], arrays)
    except (ValueError, TypeError, KeyError, AttributeError, ImportError) as e:
        raise _damaged(p, META_FILE, e) from None
    return Checkpoint(meta=doc["meta"], objects=objects, code=str(doc.get("code", "")))


@contextlib.contextmanager
def scoped_failpoint(scope: str) -> Iterator[None]:
    """Crash tests: inside this block, ``MUTUALS_FAILPOINT=<scope>/<name>``
    acts as ``MUTUALS_FAILPOINT=<name>`` (see :func:`mutuals.io.folders._failpoint`),
    so that a kill can aim at one write among several (``checkpoint-8/after-journal``,
    ``final/rename-0``). A no-op unless that variable names this scope."""
    key = "MUTUALS_FAILPOINT"
    value = os.environ.get(key, "")
    if not value.startswith(scope + "/"):
        yield
        return
    os.environ[key] = value[len(scope) + 1 :]
    try:
        yield
    finally:
        os.environ[key] = value
