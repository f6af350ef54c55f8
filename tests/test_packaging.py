"""A non-editable install ships every template, static file, catalogue, questionnaire and migration."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_contains_templates_and_package_data(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True)
    wheel = next(tmp_path.glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = {f"survey/_templates/{p.relative_to(ROOT / 'templates').as_posix()}"
                 for p in (ROOT / "templates").rglob("*.html")}
    assert templates and templates <= names, sorted(templates - names)[:5]
    data = {p.relative_to(ROOT).as_posix() for pattern in ("survey/static/*", "survey/i18n/*/*.po",
            "survey/questionnaires/*.yaml", "survey/questionnaires/examples/*.yaml", "survey/migrations/versions/*.py",
            "survey/migrations/script.py.mako")
            for p in ROOT.glob(pattern)}
    assert data <= names, sorted(data - names)[:5]
    packages = {p.parent.relative_to(ROOT).as_posix() for top in ("survey", "sampling", "analysis")
                for p in (ROOT / top).rglob("__init__.py")}
    assert {f"{p}/__init__.py" for p in packages} <= names
