"""The layers of docs/architecture.md, checked from every module's imports
(top-level, inside functions and under TYPE_CHECKING alike): no import runs upward."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "mutuals"

#: Rank of each top-level part of the package: a module may import its own part
#: and any part of a lower rank, never a higher one.
RANK = {
    "errors": 0,
    "_random": 0,
    "tables": 0,
    "kernels": 1,
    "platform": 2,
    "graphs": 3,  # generators of populations and follow graphs (platform data)
    "behaviour": 4,
    "scenarios": 5,
    "engine": 6,
    "metrics": 7,
    "io": 7,
    "api": 8,
    "report": 8,
    "sweeps": 9,
    "claims": 10,  # the thread's claims as experiments: runs through sweeps, pages from report
    "cli": 11,
    "__main__": 12,
}
#: Parts of one rank that must not import each other (metrics and io are peers).
PEERS_APART = {("metrics", "io"), ("io", "metrics")}


def _part(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "mutuals" or len(parts) < 2:
        return None
    return parts[1]


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
    return out


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if p.name != "__init__.py" or p.parent != SRC)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_no_import_runs_upward(path: Path) -> None:
    rel = path.relative_to(SRC)
    own = rel.parts[0].removesuffix(".py")
    assert own in RANK, f"{rel}: a part of the package with no layer; add it to RANK"
    for line, module in _imports(path):
        target = _part(module)
        if target is None or target == own:
            continue
        assert target in RANK, f"{rel}:{line} imports {module}, a part with no layer"
        assert RANK[target] <= RANK[own], (
            f"{rel}:{line} imports {module}: {target} (layer {RANK[target]}) is above "
            f"{own} (layer {RANK[own]})"
        )
        assert (own, target) not in PEERS_APART, f"{rel}:{line}: {own} imports its peer {target}"


def test_kernels_import_only_numba_numpy_and_kernels() -> None:
    for path in sorted((SRC / "kernels").glob("*.py")):
        for line, module in _imports(path):
            root = module.split(".")[0]
            # llvmlite is Numba's own code generator (kernels/memory.py's prefetch)
            ok = root in {"numba", "llvmlite", "numpy", "__future__", "math"} or module.startswith(
                "mutuals.kernels"
            )
            assert ok, f"kernels/{path.name}:{line} imports {module}"
