"""The package's shape, checked: one-way imports, small modules, no reaching into privates.

docs/architecture.md states these rules; this file is what keeps them true.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "codemode_kernel"
MAX_LINES = 450
#: Private names of third-party classes that a module of ours overrides and
#: another calls (IPython routes every error display through this one).
THIRD_PARTY_HOOKS = {"_showtraceback", "_repr_html_", "_repr_mimebundle_"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def trees() -> dict[str, ast.Module]:
    return {name: ast.parse(path.read_text("utf-8")) for name, path in MODULES.items()}


def imports_of(name: str, tree: ast.Module) -> set[str]:
    """The package's modules ``name`` imports: top-level, lazy (inside
    functions) and ``TYPE_CHECKING`` imports alike."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                full = f"{target}.{alias.name}"
                if full in MODULES:
                    found.add(full)
                elif target in MODULES:
                    found.add(target)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in MODULES)
    found.discard(name)
    return found


def import_graph() -> dict[str, set[str]]:
    return {name: imports_of(name, tree) for name, tree in trees().items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
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
                out.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_imports_go_one_way():
    graph = import_graph()
    two_way = sorted((a, b) for a in graph for b in graph[a] if a < b and a in graph[b])
    assert two_way == [], f"modules that import each other: {two_way}"
    assert cycles(graph) == [], f"import cycles: {cycles(graph)}"


def test_the_cycle_finder_finds_cycles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_is_too_long():
    long = {
        name: n
        for name, path in MODULES.items()
        if (n := len(path.read_text("utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}, f"modules over {MAX_LINES} lines: {long}"


def private_definitions(tree: ast.Module) -> set[str]:
    """Private names a module defines: module-level, in classes, and ``self._x = ...``."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name):
                    names.add(t.id)
                elif isinstance(t, ast.Attribute):
                    names.add(t.attr)
    return {n for n in names if n.startswith("_") and not n.endswith("__")}


def private_uses(parsed: dict[str, ast.Module]) -> list[str]:
    """``x._name`` (x not ``self``/``cls``) or ``from m import _name``, where
    ``_name`` is defined in another module of ``parsed`` and not in this one.
    Private *modules* (``from . import _state``) are the package's internal
    API and allowed."""
    defined = {name: private_definitions(tree) for name, tree in parsed.items()}
    bad = []
    for name, tree in parsed.items():
        elsewhere = set().union(*(d for m, d in defined.items() if m != name)) - defined[name]
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in elsewhere:
                base = node.value
                if isinstance(base, ast.Name) and base.id in ("self", "cls"):
                    continue
                if node.attr not in THIRD_PARTY_HOOKS:
                    bad.append(f"{name}:{node.lineno}: {ast.unparse(node)}")
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    is_module = any(m.endswith("." + alias.name) for m in parsed)
                    if alias.name in elsewhere and not is_module:
                        bad.append(f"{name}:{node.lineno}: imports {alias.name}")
    return bad


def test_no_module_uses_another_modules_private_members():
    assert private_uses(trees()) == []


def test_the_private_member_check_sees_violations():
    parsed = {
        "pkg.a": ast.parse("class Db:\n    def _row_counts(self):\n        self._n = 1\n"),
        "pkg.b": ast.parse(
            "from pkg.a import _helper\ndef f(db):\n    return db._row_counts(), db._n\n"
        ),
        "pkg.c": ast.parse("def _helper():\n    pass\n"),
    }
    assert sorted(private_uses(parsed)) == [
        "pkg.b:1: imports _helper",
        "pkg.b:3: db._n",
        "pkg.b:3: db._row_counts",
    ]
