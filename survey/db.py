"""Engine and session per application; the request owns the transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement


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


def distinct_values(session: Session, column: ColumnElement) -> list:
    """The distinct non-null values of an indexed ``column``, by a loose index scan.

    A recursive query jumps from each value to the next one in the index, so the cost grows with
    the number of distinct values, not with the rows (a plain DISTINCT reads every row).
    """
    first = select(func.min(column).label("v")).where(column.is_not(None)).cte("distinct_scan", recursive=True)
    following = select(
        select(func.min(column)).where(column > first.c.v).scalar_subquery()
    ).where(first.c.v.is_not(None))
    scan = first.union_all(following)
    return [v for (v,) in session.execute(select(scan.c.v).where(scan.c.v.is_not(None)))]


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["survey.engine"] = engine
    app.extensions["survey.sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    app.extensions["survey.writer_sessionmaker"] = sessionmaker(writer(engine), expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def get_engine() -> Engine:
    return current_app.extensions["survey.engine"]


def get_session(*, lock_at_first_write: bool = False) -> Session:
    """The request's session, created on first use and closed at teardown.

    A GET reads; any other request writes and, on SQLite, takes the write lock at BEGIN.  A view that
    reads first and writes only at the end asks for ``lock_at_first_write`` and calls ``begin_write``
    before its first write, so the lock is held for the writes only.
    """
    if "db_session" not in g:
        reads = lock_at_first_write or (has_request_context() and request.method in ("GET", "HEAD"))
        g.db_session = current_app.extensions["survey.sessionmaker" if reads else "survey.writer_sessionmaker"]()
    return g.db_session


def begin_write(session: Session) -> None:
    """Start the write transaction now: on SQLite end the read transaction and take the write lock
    (BEGIN IMMEDIATE), so writers queue for the lock instead of failing on a stale read snapshot.

    Nothing may have been written yet in ``session``.  On PostgreSQL the transaction goes on as it is.
    """
    if not is_sqlite(session):
        return
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("begin_write() after a write: the lock would come too late")
        session.commit()
    session.connection(execution_options={"sqlite_immediate": True})


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
