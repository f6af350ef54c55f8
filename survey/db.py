"""Engine and session per application; the request owns the transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str) -> Engine:
    """An engine for ``url``: SQLite in WAL mode with foreign keys on, or PostgreSQL via psycopg 3."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        # let SQLAlchemy emit BEGIN so that "BEGIN IMMEDIATE" can be used where needed
        @event.listens_for(engine, "connect")
        def _no_pysqlite_autobegin(dbapi_conn, _record):
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(conn):
            immediate = conn.get_execution_options().get("sqlite_immediate")
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    # hide_parameters: an error logged or shown never carries the bound values (names, phones, tokens)
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True)


def is_sqlite(session_or_engine) -> bool:
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine
    return bind.dialect.name == "sqlite"


def writer(engine: Engine) -> Engine:
    """The same engine whose transactions take SQLite's write lock at BEGIN.

    A deferred SQLite transaction that reads and then writes fails at once with
    "database is locked" when another writer got there first; taking the lock at
    BEGIN makes writers queue instead.  PostgreSQL ignores the option.
    """
    return engine.execution_options(sqlite_immediate=True)


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["survey.engine"] = engine
    app.extensions["survey.sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    app.extensions["survey.writer_sessionmaker"] = sessionmaker(writer(engine), expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def get_engine() -> Engine:
    return current_app.extensions["survey.engine"]


def get_session() -> Session:
    """The request's session, created on first use and closed at teardown."""
    if "db_session" not in g:
        kind = "survey.sessionmaker" if has_request_context() and request.method in ("GET", "HEAD") else "survey.writer_sessionmaker"
        g.db_session = current_app.extensions[kind]()
    return g.db_session


def _close_session(exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        if exc is not None:
            session.rollback()
        session.close()


@contextmanager
def session_scope(app: Flask | None = None) -> Iterator[Session]:
    """A session for CLI commands and jobs: commits on success, rolls back on error."""
    app = app or current_app
    session = app.extensions["survey.writer_sessionmaker"]()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
