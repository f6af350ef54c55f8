"""Fixtures: one migrated database per test session (SQLite file, or PostgreSQL when
SURVEY_DATABASE_URL is set), emptied before every test; an app, a client and a CLI runner."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from werkzeug.serving import make_server

from survey import create_app, migrate
from survey.db import make_engine, session_scope
from survey.models import Base

PG_URL = os.environ.get("SURVEY_DATABASE_URL")


def is_postgres() -> bool:
    return bool(PG_URL) and PG_URL.startswith("postgresql")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    if PG_URL:
        engine = make_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        migrate.upgrade(engine)
        engine.dispose()
        return PG_URL
    path = tmp_path_factory.mktemp("db") / "test.sqlite"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


def _empty(engine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app({
        "ENV_MODE": "testing",
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": database_url,
        "DATA_DIR": str(tmp_path / "data"),
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": None,
    })
    engine = app.extensions["survey.engine"]
    _empty(engine)
    yield app
    engine.dispose()


@pytest.fixture
def csrf_app(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    """A session for arranging and checking data (no app context is pushed, so requests get their own)."""
    session = app.extensions["survey.sessionmaker"]()
    try:
        yield session
        session.commit()
    finally:
        session.close()


@pytest.fixture
def live_server(app):
    """The app on a real threaded HTTP server on a free loopback port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def login(client, username: str, password: str = "password-123"):
    return client.post("/login", data={"username": username, "password": password})


@pytest.fixture
def as_role(app, client):
    """Log the test client in as a fresh user of ``role``; returns the user."""
    from tests.factories import make_user

    def _as(role: str, **kw):
        with app.app_context(), session_scope(app) as s:
            user = make_user(s, role=role, **kw)
            username = user.username
        response = login(client, username)
        assert response.status_code == 302, response.data[:500]
        return user

    return _as


TESTS = Path(__file__).parent
