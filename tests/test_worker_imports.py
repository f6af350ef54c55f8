"""A worker that serves survey forms does not load what only staff pages need (issue 16: worker memory).

scipy alone is some 70 MB of a worker's RSS, matplotlib 35 MB, pandas 50 MB.  The app is built and warmed
as ``survey serve`` does in the gunicorn master, then a survey page is served; none of them may be loaded.
The same check in reverse shows it can fail: the estimates behind a staff page load scipy when they run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = {"scipy", "matplotlib", "pandas", "pyreadstat", "openpyxl", "PIL", "statsmodels"}
ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import json, sys
from survey import create_app, migrate
from survey.db import get_engine
from survey.serve import warm_master
app = create_app({"ENV_MODE": "testing", "SECRET_KEY": "x", "DATABASE_URL": sys.argv[1]})
with app.app_context():
    migrate.upgrade(get_engine())
warm_master(app)
assert app.test_client().get("/s/thanks").status_code == 200
assert app.test_client().get("/s/no-such-link").status_code == 404
loaded = sorted({m.split(".")[0] for m in sys.modules})
if sys.argv[2] == "estimate":
    import analysis
    analysis.between_variance([3.8, 4.1, 4.4], [0.01, 0.02, 0.01])
    loaded = sorted({m.split(".")[0] for m in sys.modules})
print(json.dumps(loaded))
"""


def loaded_after(tmp_path, then: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", SCRIPT, f"sqlite:///{tmp_path}/w.sqlite", then], cwd=ROOT,
                         capture_output=True, text=True, timeout=300, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_a_loaded_and_warmed_app_serving_forms_has_no_heavy_library(tmp_path):
    loaded = loaded_after(tmp_path, "forms")
    assert "flask" in loaded and "analysis" in loaded  # the staff pages' code is loaded, their libraries are not
    assert not loaded & HEAVY, sorted(loaded & HEAVY)


def test_the_estimates_load_scipy_when_they_run(tmp_path):
    assert "scipy" in loaded_after(tmp_path, "estimate")


QUALITY = """
import gc, json, sys
from survey import create_app, migrate
from survey.db import get_engine, session_scope
from survey.serve import warm_master
from tests.factories import make_user
app = create_app({"ENV_MODE": "testing", "SECRET_KEY": "x", "DATABASE_URL": sys.argv[1], "WTF_CSRF_ENABLED": False})
with app.app_context():
    migrate.upgrade(get_engine())
    with session_scope() as s:
        make_user(s, "quality", username="analyst", password="review-pass-7731")
warm_master(app)
frozen_by_master = gc.get_freeze_count()
freezes, real_freeze = [], gc.freeze
gc.freeze = lambda: freezes.append(1) or real_freeze()
client = app.test_client()
assert client.post("/login", data={"username": "analyst", "password": "review-pass-7731"}).status_code == 302
before = "scipy" in sys.modules
assert client.get("/quality/").status_code == 200
after_first = gc.get_freeze_count()
assert client.get("/quality/trends").status_code == 200
print(json.dumps([before, "scipy" in sys.modules, frozen_by_master, after_first, len(freezes)]))
"""


def test_a_workers_first_quality_page_loads_scipy_once_and_freezes_it_out_of_the_collector(tmp_path):
    out = subprocess.run([sys.executable, "-c", QUALITY, f"sqlite:///{tmp_path}/q.sqlite"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    scipy_before, scipy_after, by_master, after_first, freezes = json.loads(out.stdout.strip().splitlines()[-1])
    assert not scipy_before and scipy_after
    assert after_first > by_master  # scipy's objects and the rest joined the frozen generation
    assert freezes == 1  # once per process, not on the second page
