"""Create or upgrade the schema with Alembic; the revision files live in survey/migrations."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection=None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision``; rows already there are kept."""
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def schema_problem(engine: Engine) -> str | None:
    """Why ``engine``'s database cannot serve this version (one line naming ``survey init-db``), or None.

    A SQLite file that does not exist is reported without connecting, so no empty file is left behind.
    """
    url = engine.url.render_as_string(hide_password=True)
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:" and not Path(database).exists():
        return f"the database {url} does not exist yet: run `survey init-db` to create it"
    try:
        current = current_revision(engine)
    except OperationalError as exc:
        return f"cannot open the database {url}: {str(exc.orig).strip().splitlines()[0]}"
    if current is None:
        return f"the database {url} has no schema: run `survey init-db` to create it"
    head = head_revision()
    if current != head:
        return f"the database {url} is at schema {current}, this version needs {head}: run `survey init-db`"
    return None


def revision(engine: Engine, message: str, rev_id: str) -> None:
    """Autogenerate a new revision against ``engine`` (a developer tool)."""
    with engine.begin() as conn:
        command.revision(alembic_config(conn), message=message, autogenerate=True, rev_id=rev_id)
