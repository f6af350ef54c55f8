"""The import graph of survey/, sampling/ and analysis/ has no cycle, and the pure core never imports survey/.

Every import counts, at any depth (a lazy import inside a function still ties two modules together).
``from a.b import c`` is an edge to ``a.b.c`` when that is a module of ours, else to ``a.b``; importing a
module does not add an edge to its parent packages (Python runs them first, but that is not a dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("survey", "sampling", "analysis")


def module_files(root: Path = ROOT, packages=PACKAGES) -> dict[str, Path]:
    found = {}
    for pkg in packages:
        for path in sorted((root / pkg).rglob("*.py")):
            rel = path.relative_to(root).with_suffix("")
            parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
            if "versions" in parts:  # Alembic revisions are loaded by Alembic, not imported
                continue
            found[".".join(parts)] = path
    return found


def _resolve(name: str, modules) -> str | None:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for mod, path in modules.items():
        is_pkg = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = mod.split(".") if is_pkg else mod.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                targets = [f"{module}.{alias.name}" for alias in node.names]
            for target in targets:
                hit = _resolve(target, modules)
                if hit and hit != mod:
                    graph[mod].add(hit)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a list of modules (first == last), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def test_graph_is_built_from_the_real_tree():
    modules = module_files()
    graph = import_graph(modules)
    assert {"survey", "survey.cli", "survey.commands.common", "sampling", "analysis"} <= set(modules)
    assert "survey.commands.common" in graph["survey.commands.sampling"]
    assert "survey.services.quality.report" in graph["survey.commands.quality"]
    assert len(modules) > 100


def test_no_import_cycle():
    cycle = find_cycle(import_graph(module_files()))
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_pure_core_imports_nothing_from_survey():
    graph = import_graph(module_files())
    bad = {m: sorted(t for t in targets if t.split(".")[0] == "survey")
           for m, targets in graph.items() if m.split(".")[0] in ("sampling", "analysis")}
    assert not any(bad.values()), bad


def test_checker_finds_a_cycle_and_a_lazy_one(tmp_path):
    pkg = tmp_path / "survey"
    (pkg / "commands").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "cli.py").write_text("from survey.commands import sampling\n")
    (pkg / "commands" / "__init__.py").write_text("")
    (pkg / "commands" / "sampling.py").write_text("def f():\n    from survey.cli import helper\n")
    (pkg / "plain.py").write_text("from . import cli\n")
    modules = module_files(tmp_path, ("survey",))
    graph = import_graph(modules)
    assert graph["survey.plain"] == {"survey.cli"}
    cycle = find_cycle(graph)
    assert cycle is not None and set(cycle) == {"survey.cli", "survey.commands.sampling"}
    (pkg / "commands" / "sampling.py").write_text("def f():\n    from survey.plain import helper\n")
    assert find_cycle(import_graph(module_files(tmp_path, ("survey",)))) is not None  # plain -> cli -> sampling -> plain
    (pkg / "plain.py").write_text("import os\n")
    assert find_cycle(import_graph(module_files(tmp_path, ("survey",)))) is None
