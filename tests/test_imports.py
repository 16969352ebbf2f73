"""autolab's import graph has no cycle, function-level imports included.

The graph is read from the source with `ast`, so an import hidden inside a function (which Python
only runs later, and which is how a cycle usually hides) counts like one at the top of a module.
Imports under `if TYPE_CHECKING:` never run and are left out; so are `importlib` calls.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "autolab"

Graph = dict[str, set[str]]


def module_names(root: Path = PACKAGE) -> dict[str, Path]:
    """Every module of the package by dotted name; a package is named by its __init__.py."""
    names = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import that can run: at module level, in functions, classes, try and if blocks."""
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
        return
    runs = node.orelse if isinstance(node, ast.If) and _is_type_checking(node) else ast.iter_child_nodes(node)
    for child in runs:
        yield from _import_nodes(child)


def imported_modules(name: str, path: Path, modules: set[str]) -> set[str]:
    """The package's modules that `name` imports (relative imports resolved, `from . import x` to x)."""
    is_package = path.name == "__init__.py"
    targets: set[str] = set()
    for node in _import_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
            continue
        if node.level:
            # a package's own name is its anchor for `.`; a module's anchor is its package
            anchor = name.split(".") if is_package else name.split(".")[:-1]
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join(anchor + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        targets.add(base)
        # `from pkg import sub` imports the submodule pkg.sub; `from mod import name` only mod
        targets.update(f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in modules)
    edges = set()
    own_packages = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
    for target in targets:
        # importing a.b.c runs a and a.b first; a module's own parents are already running
        # when it runs (the implicit child -> parent edge), so those are not edges
        parts = target.split(".")
        for i in range(1, len(parts) + 1):
            prefix = ".".join(parts[:i])
            if prefix in modules and prefix not in own_packages and prefix != name:
                edges.add(prefix)
    return edges


def import_graph(root: Path = PACKAGE) -> Graph:
    names = module_names(root)
    return {name: imported_modules(name, path, set(names)) for name, path in names.items()}


def cyclic_groups(graph: Graph) -> list[set[str]]:
    """The strongly connected groups of modules (Tarjan): each module of one reaches every other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def find_cycles(graph: Graph) -> list[list[str]]:
    """One shortest cycle through each cyclic group, as [a, b, ..., a]."""
    return [_cycle_in(graph, group) for group in cyclic_groups(graph)]


def _cycle_in(graph: Graph, group: set[str]) -> list[str]:
    """A shortest path from the group's first module back to itself, inside the group."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for succ in sorted(graph[node] & group):
                if succ == start:
                    return paths[node] + [start]
                if succ not in paths:
                    paths[succ] = paths[node] + [succ]
                    following.append(succ)
        frontier = following
    raise AssertionError(f"{sorted(group)} is not strongly connected")


def test_autolab_has_no_import_cycle() -> None:
    graph = import_graph()
    assert "autolab.store" in graph["autolab.manager"]  # the graph was read, not empty
    groups = cyclic_groups(graph)
    report = [f"{' -> '.join(_cycle_in(graph, g))}  (group: {', '.join(sorted(g))})" for g in groups]
    assert not groups, "import cycles:\n" + "\n".join(report)


def write_package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "pkg"


def test_the_graph_resolves_relative_function_level_and_submodule_imports(tmp_path: Path) -> None:
    package = write_package(
        tmp_path,
        {
            "pkg/__init__.py": "from .a import f\n",
            "pkg/a.py": "def f():\n    from .sub import b\n    from . import c\n",
            "pkg/c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n",
            "pkg/sub/__init__.py": "from .. import c\nimport json\n",
            "pkg/sub/b.py": "from pkg.a import f\nfrom . import helper\nimport pkg.sub\n",
            "pkg/sub/helper.py": "",
        },
    )
    assert import_graph(package) == {
        "pkg": {"pkg.a"},
        "pkg.a": {"pkg.sub", "pkg.sub.b", "pkg.c"},
        "pkg.c": set(),
        "pkg.sub": {"pkg.c"},
        "pkg.sub.b": {"pkg.a", "pkg.sub.helper"},
        "pkg.sub.helper": set(),
    }
    assert find_cycles(import_graph(package)) == [["pkg.a", "pkg.sub.b", "pkg.a"]]


def test_a_cycle_hidden_in_a_function_is_found(tmp_path: Path) -> None:
    package = write_package(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/x.py": "import pkg.y\n",
            "pkg/y.py": "def later():\n    from .z import g\n",
            "pkg/z.py": "from pkg import x\n",
        },
    )
    assert find_cycles(import_graph(package)) == [["pkg.x", "pkg.y", "pkg.z", "pkg.x"]]


def function_level_imports(path: Path) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports inside a function body (those under `if TYPE_CHECKING:` never run: left out)."""
    tree = ast.parse(path.read_text(), str(path))
    for func in ast.walk(tree):
        if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            for statement in func.body:
                yield from _import_nodes(statement)


def has_reason(lines: list[str], lineno: int) -> bool:
    """A comment on the import's line, or on the line above it or above its block of imports."""
    if "#" in lines[lineno - 1]:
        return True
    i = lineno - 2
    while i >= 0 and (lines[i].strip().startswith(("import ", "from ")) or not lines[i].strip()):
        i -= 1
    return i >= 0 and lines[i].strip().startswith("#")


def test_every_function_level_import_says_why() -> None:
    """Imports belong at the top; one inside a function is there only to keep `import autolab` or
    the CLI's start light, and a comment beside or above it says so."""
    unexplained = []
    for name, path in module_names().items():
        lines = path.read_text().splitlines()
        for node in function_level_imports(path):
            if not has_reason(lines, node.lineno):
                unexplained.append(f"{name}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    assert unexplained == [], "function-level imports without a reason:\n" + "\n".join(unexplained)
