"""The pure core: analysis/ imports only the standard library, numpy and scipy (STYLE.md §6)."""

import ast
import pathlib
import sys

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "analysis"
FORBIDDEN = {"flask", "sqlalchemy", "survey", "pandas", "samplics", "statsmodels", "sampling"}
ALLOWED_THIRD_PARTY = {"numpy", "scipy"}
MODULES = sorted(PACKAGE.rglob("*.py"))


def _imported_roots(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_package_has_modules():
    assert len(MODULES) >= 5


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_forbidden_imports(path):
    bad = _imported_roots(path) & FORBIDDEN
    assert not bad, f"{path.name} imports {sorted(bad)}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_only_stdlib_numpy_scipy(path):
    others = _imported_roots(path) - ALLOWED_THIRD_PARTY - set(sys.stdlib_module_names)
    assert not others, f"{path.name} imports {sorted(others)}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_module_size(path):
    # STYLE.md §12: modules of 50-300 lines (split before ~400).
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 400
