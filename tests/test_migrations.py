"""Schema changes go through Alembic; upgrading a populated database keeps its rows."""

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from survey import migrate
from survey.db import make_engine
from survey.models import Base
from tests.conftest import PG_URL, is_postgres


@pytest.fixture
def scratch_engine(tmp_path):
    """An empty database of the suite's kind: a SQLite file or a fresh PostgreSQL schema."""
    if is_postgres():
        schema = f"mig_{uuid.uuid4().hex[:10]}"
        admin = make_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        sep = "&" if "?" in PG_URL else "?"
        engine = make_engine(f"{PG_URL}{sep}options=-csearch_path%3D{schema}")
        yield engine
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
    else:
        engine = make_engine(f"sqlite:///{tmp_path / 'mig.sqlite'}")
        yield engine
        engine.dispose()


def test_models_and_migrations_agree(scratch_engine):
    migrate.upgrade(scratch_engine)
    with scratch_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_upgrade_of_populated_database_keeps_rows(scratch_engine):
    migrate.upgrade(scratch_engine, "0001")
    assert migrate.current_revision(scratch_engine) == "0001"
    assert "followup_cases" not in inspect(scratch_engine).get_table_names()
    with scratch_engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO clients (client_no, name, branch_code, manager_code, contribution, tier_code,"
            " opted_out, account_closed, created_at) VALUES"
            " ('C1', '张三', 'BJ01', 'RM001', 1234567, 'gold', false, false, CURRENT_TIMESTAMP),"
            " ('C2', 'Li Si', 'SH01', 'RM002', 99, 'standard', true, false, CURRENT_TIMESTAMP)"
        ))
    migrate.upgrade(scratch_engine)
    assert migrate.current_revision(scratch_engine) == migrate.head_revision()
    assert "followup_cases" in inspect(scratch_engine).get_table_names()
    with scratch_engine.connect() as conn:
        rows = conn.execute(text("SELECT client_no, name, contribution, opted_out FROM clients ORDER BY client_no")).all()
    assert [(r[0], r[1], int(r[2]), bool(r[3])) for r in rows] == [("C1", "张三", 1234567, False), ("C2", "Li Si", 99, True)]


def test_init_db_command_upgrades_in_place(app, runner, db):
    from tests.factories import make_client

    make_client(db, client_no="KEEP1")
    db.commit()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert f"-> {migrate.head_revision()}" in result.output
    from sqlalchemy import select

    from survey.models import Client

    assert db.scalar(select(Client.client_no).where(Client.client_no == "KEEP1")) == "KEEP1"
