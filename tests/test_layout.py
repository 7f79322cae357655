"""The library's layout: a handful of packages along the data flow, imports pointing one way,
and no import cycle between modules (imports under TYPE_CHECKING and inside functions count)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

LIBRARY = Path(__file__).resolve().parent.parent / "policycheck"

# Along the data flow: a module may import its own package and the ones before it, never after.
LAYERS = [
    "calendar",  # legal time
    "language",  # rule text -> checked AST
    "evaluation",  # AST -> closures; facts -> decision
    "analysis",  # what a compiled policy can and cannot decide
    "policy",  # the loader: text -> Policy
    "",  # policycheck/__init__.py: the public surface
    "store",  # the decision log, chains, seals
    "service",  # keys and the published rule files
    "review",  # exceptions and their review
    "toolkit",  # the legal team's tools: render, amendments (their replay reads both logs)
    "cli",  # the command
]


def _modules() -> dict[str, Path]:
    found = {}
    for path in LIBRARY.rglob("*.py"):
        parts = path.relative_to(LIBRARY.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imports(name: str) -> Iterator[str]:
    """Every library module `name` imports, anywhere in its text."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name in MODULES)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from package import module` depends on the module, not on the package's __init__
            submodules = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES]
            if len(submodules) < len(node.names) and base in MODULES:
                yield base
            yield from submodules


GRAPH = {name: {t for t in _imports(name) if t != name} for name in MODULES}


def _layer(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_library_has_a_handful_of_entries() -> None:
    entries = [p.name for p in LIBRARY.iterdir() if p.name != "__pycache__"]
    assert len(entries) <= 12, sorted(entries)
    assert {_layer(name) for name in MODULES} == set(LAYERS)


@pytest.mark.parametrize("package", [p for p in sorted(LIBRARY.iterdir()) if p.is_dir()])
def test_each_package_says_its_job_in_a_line(package: Path) -> None:
    if package.name == "__pycache__":
        pytest.skip("not a package")
    doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8")))
    assert doc, f"{package.name}/__init__.py has no docstring"
    assert len(doc.splitlines()[0]) <= 96


def _backwards(graph: dict[str, set[str]]) -> list[str]:
    """Imports of a package later in the flow than the importer's."""
    rank = {layer: i for i, layer in enumerate(LAYERS)}
    return [
        f"{name} imports {target}"
        for name, targets in sorted(graph.items())
        for target in sorted(targets)
        if rank[_layer(target)] > rank[_layer(name)]
    ]


def test_no_import_cycles() -> None:
    assert _cycles(GRAPH) == []


def test_imports_point_one_way_along_the_flow() -> None:
    assert _backwards(GRAPH) == []


def test_render_does_not_parse_the_text_a_second_time() -> None:
    # The loaded policy keeps its checked AST (CompiledPolicy.rule_file) for render to show.
    assert not GRAPH["policycheck.toolkit.render"] & {
        "policycheck.language.syntax",
        "policycheck.language.build",
    }


def test_the_checks_find_what_they_look_for() -> None:
    # The checks above would pass by finding nothing: show that they find cycles and back-imports.
    assert "policycheck.evaluation.decision" in GRAPH["policycheck.evaluation.evaluate"]
    assert "policycheck.calendar" in GRAPH["policycheck.language.symbols"]
    calendar, cli = "policycheck.calendar.units", "policycheck.cli.main"
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _backwards({calendar: {cli}, cli: {calendar}}) == [f"{calendar} imports {cli}"]
