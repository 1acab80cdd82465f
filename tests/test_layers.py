"""The package's import graph: no cycle, and no stage importing one that comes after it.

Every `import` of a scanner module counts, at the top of a file or inside a function:
a lazy import is still a dependency. The stages follow the data (sources -> engine ->
findings -> report -> actions); a lower layer never imports a higher one.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "scanner"

# Modules (or packages) that the engine and the sources must never import.
ABOVE_ENGINE_AND_SOURCES = (
    "scanner.findings",
    "scanner.baseline",
    "scanner.report",
    "scanner.cli",
    "scanner.run",
    "scanner.scan",
    "scanner.actions",
)
# What the lowest layers may import: nothing of scanner's but these.
BOTTOM = {
    "scanner.model": set(),
    "scanner.errors": set(),
    "scanner.patterns": set(),
    "scanner.backtrack": set(),
}


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, module: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:
                base = ".".join(module.split(".")[: -node.level] + [node.module])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("scanner")}


def graph() -> dict[str, set[str]]:
    modules = {_module(path): path for path in PACKAGE.rglob("*.py") if "__pycache__" not in path.parts}
    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = {t for t in _imports(path, name) if t in modules and t != name}
        edges[name] = targets
    return edges


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                return stack[stack.index(target) :] + [target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle() -> None:
    # A package's __init__ re-exporting its modules is not a cycle of the modules.
    edges = {m: {t for t in ts if not m.startswith(t + ".")} for m, ts in graph().items()}
    assert _cycle(edges) is None


def test_engine_and_sources_import_nothing_above_them() -> None:
    upward = [
        f"{module} imports {target}"
        for module, targets in graph().items()
        if module.startswith(("scanner.engine", "scanner.sources"))
        for target in targets
        if target.startswith(ABOVE_ENGINE_AND_SOURCES)
    ]
    assert upward == []


def test_the_bottom_layer_imports_nothing_of_scanners() -> None:
    edges = graph()
    assert {module: edges[module] - allowed for module, allowed in BOTTOM.items()} == {m: set() for m in BOTTOM}


def test_python_m_scanner_imports_cleanly() -> None:
    proc = subprocess.run([sys.executable, "-m", "scanner", "--help"], cwd=ROOT, capture_output=True, check=False)
    assert proc.returncode == 0 and b"Usage" in proc.stdout, proc.stderr
