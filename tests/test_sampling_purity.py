"""The sampling core imports only the standard library, numpy and scipy."""

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "sampling"
FORBIDDEN = {"flask", "sqlalchemy", "survey", "pandas", "analysis"}
ALLOWED = set(sys.stdlib_module_names) | {"numpy", "scipy", "sampling"}
MODULES = sorted(PACKAGE.rglob("*.py"))


def _imports(path):
    """Top-level names of every absolute import in the module (at any depth)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]
        elif (  # importlib.import_module("...") / __import__("...") with a literal
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None))
            in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value.split(".")[0]


def test_package_found():
    assert PACKAGE.joinpath("__init__.py") in MODULES
    assert len(MODULES) >= 5


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_forbidden_imports(path):
    bad = [(line, name) for line, name in _imports(path) if name in FORBIDDEN]
    assert not bad, f"{path.name} imports {bad}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_only_stdlib_numpy_scipy(path):
    bad = [(line, name) for line, name in _imports(path) if name not in ALLOWED]
    assert not bad, f"{path.name} imports {bad}"


def test_checker_catches_forbidden_imports(tmp_path):
    sample = tmp_path / "bad.py"
    sample.write_text(
        "import os\nimport pandas as pd\nfrom flask import g\n"
        "def f():\n    from survey.models import Wave\n"
        "    import importlib\n    importlib.import_module('sqlalchemy.orm')\n"
        "from . import _size\n"
    )
    names = {name for _, name in _imports(sample)}
    assert names & FORBIDDEN == {"pandas", "flask", "survey", "sqlalchemy"}
    assert "os" in names and "_size" not in names
