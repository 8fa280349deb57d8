"""No module in `rnntui/` imports itself in a cycle, counting imports anywhere in a file.

A function-level import is still an edge: it only defers the cycle to the first call. Imports under
`if TYPE_CHECKING:` are not (they never run). Importing `a.b.c` runs `a`, `a.b` and `a.b.c`, so the
packages above a target count too, except those the importer is already inside.
"""

from __future__ import annotations

import ast
from pathlib import Path

import rnntui

ROOT = Path(rnntui.__file__).resolve().parent


def module_names() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_names(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """Every absolute module name an import statement in `tree` may load (outside TYPE_CHECKING)."""
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".") if is_package else module.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # a submodule, when it is one
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return names


def import_graph() -> dict[str, set[str]]:
    modules = module_names()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        inside = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
        for target in imported_names(ast.parse(path.read_text()), name, path.name == "__init__.py"):
            parts = target.split(".")
            for i in range(1, len(parts) + 1):  # the target and the packages it runs on the way
                candidate = ".".join(parts[:i])
                if candidate in modules and candidate != name and candidate not in inside:
                    targets.add(candidate)
        graph[name] = targets
    return graph


def test_the_graph_sees_function_level_imports_and_skips_type_checking():
    graph = import_graph()
    assert "rnntui.core.trainer" in graph and "rnntui.core.tasks.base" in graph
    tree = ast.parse(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import rnntui.core.model\n"
        "def f():\n    from rnntui.core import spec\n"
    )
    names = imported_names(tree, "rnntui.x", False)
    assert "rnntui.core.spec" in names and "rnntui.core.model" not in names


def test_no_import_cycles():
    assert cycles(import_graph()) == [], "modules that import each other, directly or through others"


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every group of modules that import one another (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out
