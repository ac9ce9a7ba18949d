"""The package's import graph: no cycles between mckd modules; ``mckd.config`` imports no
behaviour package (only ``mckd.core`` and itself).

Every ``import``/``from ... import`` of an mckd module counts, at module level or inside a
function (a function-level import is still a dependency a reader has to follow). Edges are
module to module (``from mckd.a import b`` depends on ``mckd.a.b`` when that is a module,
else on ``mckd.a``); a package's ``__init__`` counts as the package.
"""

from __future__ import annotations

import ast
from pathlib import Path

import mckd

ROOT = Path(mckd.__file__).parent


def _module_name(path: Path) -> str:
    parts = ("mckd", *path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """mckd module -> the mckd modules it imports."""
    files = {_module_name(p): p for p in ROOT.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative import
                    base = name.split(".")[: len(name.split(".")) - node.level + is_package]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in files else module
                           for a in node.names]
            else:
                continue
            for target in targets:
                while target and target not in files:  # "mckd.a.b.func" -> "mckd.a.b"
                    target = target.rpartition(".")[0]
                if target.startswith("mckd") and target != name:
                    deps.add(target)
        graph[name] = deps
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles_between_modules():
    assert _cycles(import_graph()) == []


def test_config_imports_only_core():
    graph = import_graph()
    bad = {m: sorted(d for d in deps
                     if not d.startswith(("mckd.config", "mckd.core")) and d != "mckd")
           for m, deps in graph.items() if m.startswith("mckd.config")}
    assert {m: d for m, d in bad.items() if d} == {}


def test_the_graph_sees_imports():
    """The walker finds real edges (so the two tests above could fail)."""
    graph = import_graph()
    assert "mckd.core.jsonl" in graph["mckd.pipeline.manifest"] or any(
        d.startswith("mckd.core") for d in graph["mckd.pipeline.manifest"])
    assert "mckd.config.schema" in graph["mckd.config.loading"]
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
