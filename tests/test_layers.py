"""The layers of DESIGN.md section 2 import one way, and nothing imports in a cycle.

Every ``import`` of every module counts, also those inside functions (lazy imports are still
dependencies); only imports under ``if TYPE_CHECKING:`` are left out.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "datacheck"

# layer -> layers it must not import
FORBIDDEN = {
    "spec": {"checks", "smoke", "gx", "scan", "data", "models", "api", "cli"},
    "report": {"checks", "smoke", "scan", "data", "models", "api", "gx", "cli"},
    "smoke": {"checks", "scan", "data", "models", "gx", "api", "cli"},
    "checks": {"api", "gx", "smoke", "cli"},
    "scan": {"checks", "report", "models", "smoke", "gx", "api", "cli"},
    "data": {"checks", "scan", "report", "models", "smoke", "gx", "api", "cli"},
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    rel = Path(*name.split("."))
    return (PACKAGE.parent / rel).with_suffix(".py").exists() or (PACKAGE.parent / rel / "__init__.py").exists()


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return skipped


def import_graph() -> dict[str, set[str]]:
    """Module -> the datacheck modules it imports (``from pkg import module`` counts as ``pkg.module``)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        name = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skipped = _type_checking_nodes(tree)
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets = [f"{node.module}.{a.name}" if _is_module(f"{node.module}.{a.name}") else node.module
                           for a in node.names]
            else:
                continue
            graph[name].update(t for t in targets if t.split(".")[0] == "datacheck" and t != name)
    return graph


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1].removesuffix("_gx") if len(parts) > 1 else "datacheck"


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_layers_import_one_way():
    graph = import_graph()
    assert len(graph) > 50, "the import graph was not read"
    leaks = sorted(f"{module} -> {target}" for module, targets in graph.items() for target in targets
                   if _layer(target) in FORBIDDEN.get(_layer(module), ()))
    assert not leaks, "imports against the layers:\n" + "\n".join(leaks)


def test_no_import_cycles():
    assert not _cycles(import_graph())


def test_the_cycle_finder_finds_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_importing_the_smoke_trainer_loads_no_check_scan_or_loader_module():
    code = ("import sys, datacheck.smoke;"
            "bad = sorted(m for m in sys.modules if m.startswith(('datacheck.checks', 'datacheck.scan', "
            "'datacheck.data', 'datacheck.models')));"
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_checks_read_the_scan_side_only():
    # Checks read the scan (SplitScan fields, CheckContext.rows/batches/source and the dataset
    # facts), never the Dataset: only context.py, which is handed it, may name ``.dataset``.
    reads = []
    for path in sorted([*(PACKAGE / "checks").rglob("*.py"), *(PACKAGE / "models").rglob("*.py")]):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel == "checks/context.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        reads += [f"{rel}:{node.lineno}" for node in ast.walk(tree)
                  if isinstance(node, ast.Attribute) and node.attr == "dataset"]
    assert not reads, "checks reading the Dataset:\n" + "\n".join(reads)
