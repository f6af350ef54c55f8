"""A plain ``pip install .`` has everything the runtime code imports: every third-party module imported
anywhere in survey/, sampling/ and analysis/ comes from a distribution named in install_requires."""

from __future__ import annotations

import ast
import configparser
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_PARTY = {"survey", "sampling", "analysis"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def install_requires() -> set[str]:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    lines = [ln.strip() for ln in cfg["options"]["install_requires"].splitlines() if ln.strip()]
    return {_norm(re.match(r"[A-Za-z0-9_.-]+", ln).group(0)) for ln in lines}


def imported_modules() -> dict[str, str]:
    """Top-level module → one file importing it, for every absolute import in the runtime packages."""
    found: dict[str, str] = {}
    for top in sorted(FIRST_PARTY):
        for path in sorted((ROOT / top).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.split(".")[0], path.relative_to(ROOT).as_posix())
    return found


def test_every_runtime_import_comes_from_install_requires():
    required = install_requires()
    providers = packages_distributions()
    third_party = {m: f for m, f in imported_modules().items()
                   if m not in FIRST_PARTY and m not in sys.stdlib_module_names}
    # the scan sees the imports the issue names (the SPSS export imports pandas and pyreadstat)
    assert {"flask", "sqlalchemy", "numpy", "scipy", "pandas", "pyreadstat"} <= set(third_party)
    missing = {m: (f, providers.get(m)) for m, f in third_party.items()
               if not required & {_norm(d) for d in providers.get(m, [])}}
    assert not missing, f"imported but not provided by install_requires (module: (file, distributions)): {missing}"


def test_install_requires_pins_a_current_gunicorn():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    assert "gunicorn>=23" in cfg["options"]["install_requires"].split()


