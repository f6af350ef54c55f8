"""Shared pieces of the demo tests (no tests here): the real demo on a small client file, built once per
module, and a few readers of the rendered pages.

The ``app`` fixture of conftest is function-scoped and empties the database before every test,
so the demo tests use this module-scoped app on the same migrated database (``database_url``),
emptied before the build and after the module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape

from flask import Flask

from survey import create_app
from survey.db import session_scope
from survey.services.demo import data as demo_data
from tests.conftest import _empty

N_CLIENTS = 2000
SEED = 20261128


@dataclass
class Demo:
    app: Flask
    result: demo_data.DemoResult

    def session(self):
        """A fresh ORM session for reading (close it after use)."""
        return self.app.extensions["survey.sessionmaker"]()

    def client(self, username: str, lang: str = "en"):
        """A test client signed in as a demo user through POST /login, pages in ``lang``."""
        c = self.app.test_client()
        r = c.post("/login", data={"username": username, "password": self.result.passwords[username]})
        assert r.status_code == 302, r.get_data(as_text=True)[:500]
        assert c.get(f"/?lang={lang}", follow_redirects=True).status_code == 200
        return c


def build_demo(database_url: str, tmp_path_factory, n_clients: int = N_CLIENTS):
    """Yield a :class:`Demo`: the demo builder run on an emptied database (for module-scoped fixtures)."""
    app = create_app({
        "ENV_MODE": "testing",
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": database_url,
        "DATA_DIR": str(tmp_path_factory.mktemp("demo-data")),
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": None,
    })
    engine = app.extensions["survey.engine"]
    _empty(engine)
    with app.app_context(), session_scope(app) as session:
        result = demo_data.build(session, n_clients=n_clients, seed=SEED)
    try:
        yield Demo(app, result)
    finally:
        _empty(engine)
        engine.dispose()


def table_body(page: str, pattern: str) -> str:
    """The inner HTML of the first ``<table ...>`` whose opening tag or caption matches ``pattern``."""
    for m in re.finditer(r"<table([^>]*)>(.*?)</table>", page, re.S):
        if re.search(pattern, m.group(1)) or re.search(pattern, m.group(2)[:400]):
            return m.group(2)
    raise AssertionError(f"no table matching {pattern!r}")


def num_cells(page: str, row_id: str) -> list[str]:
    """The ``<td class="num">`` texts of the row ``<tr id="row_id">``."""
    row = re.search(rf'<tr id="{re.escape(row_id)}">(.*?)</tr>', page, re.S)
    assert row, f"no row {row_id!r}"
    return [unescape(v).strip() for v in re.findall(r'<td class="num">([^<]*)</td>', row.group(1))]


def row_cells(body: str) -> list[tuple[str, list[str]]]:
    """``[(row header text, [cell texts])]`` of a table body, tags stripped."""
    out = []
    for head, rest in re.findall(r'<th scope="row">(.*?)</th>(.*?)</tr>', body, re.S):
        cells = [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", rest, re.S)]
        out.append((unescape(re.sub(r"<[^>]+>", "", head)).strip(), cells))
    return out
