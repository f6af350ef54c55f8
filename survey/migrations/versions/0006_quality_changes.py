"""quality: triggers count every write the quality figures read (quality_changes), so computed figures can be reused

Revision ID: 0006
Revises: 0005

Scopes: ``wave:<id>`` for the wave's invitations, responses and answers; ``clients`` when a client's
tier, branch, manager or manager name changes or a client is removed (new clients show in max(id));
``setup`` for waves, draws, tier schemes, tiers, questionnaires, questions, branches, settings and
staff names.  SQLite counts in one row per scope (it has one writer at a time); PostgreSQL in one
row per scope and connection (``pg_backend_pid() % 64``), so concurrent writers never wait on a
shared counter, and bulk statements are counted once per statement from their transition tables.
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

WAVE_ROWS = ("invitations", "responses")
SETUP = ("waves", "draws", "tier_schemes", "tiers", "questionnaires", "questions", "branches", "settings")
CLIENT_COLUMNS = ("tier_code", "branch_code", "manager_code", "manager_name")
STAFF_COLUMNS = ("username", "employee_code")
EVENTS = ("INSERT", "UPDATE", "DELETE")

SQLITE_BUMP = ("INSERT INTO quality_changes (scope, shard, n) {source} "
               "ON CONFLICT (scope, shard) DO UPDATE SET n = n + 1;")


def _sqlite_triggers() -> list[tuple[str, str]]:
    """(name, CREATE TRIGGER) pairs; one row-level trigger per table and event."""
    out = []
    for table in WAVE_ROWS:
        for event in EVENTS:
            rows = ("OLD", "NEW") if event == "UPDATE" else ("OLD",) if event == "DELETE" else ("NEW",)
            body = " ".join(SQLITE_BUMP.format(source=f"VALUES ('wave:' || {r}.wave_id, 0, 1)") for r in rows)
            out.append((f"quality_{table}_{event.lower()}",
                        f"CREATE TRIGGER quality_{table}_{event.lower()} AFTER {event} ON {table} BEGIN {body} END"))
    for event in EVENTS:
        rows = ("OLD", "NEW") if event == "UPDATE" else ("OLD",) if event == "DELETE" else ("NEW",)
        body = " ".join(SQLITE_BUMP.format(
            source=f"SELECT 'wave:' || wave_id, 0, 1 FROM responses WHERE id = {r}.response_id") for r in rows)
        out.append((f"quality_answers_{event.lower()}",
                    f"CREATE TRIGGER quality_answers_{event.lower()} AFTER {event} ON answers BEGIN {body} END"))
    bump = lambda scope: SQLITE_BUMP.format(source=f"VALUES ('{scope}', 0, 1)")  # noqa: E731
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in CLIENT_COLUMNS)
    out.append(("quality_clients_update", f"CREATE TRIGGER quality_clients_update AFTER UPDATE ON clients "
                                          f"WHEN {changed} BEGIN {bump('clients')} END"))
    out.append(("quality_clients_delete", f"CREATE TRIGGER quality_clients_delete AFTER DELETE ON clients "
                                          f"BEGIN {bump('clients')} END"))
    for table in SETUP:
        for event in EVENTS:
            out.append((f"quality_{table}_{event.lower()}", f"CREATE TRIGGER quality_{table}_{event.lower()} "
                                                            f"AFTER {event} ON {table} BEGIN {bump('setup')} END"))
    staff = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in STAFF_COLUMNS)
    out.append(("quality_staff_users_update", f"CREATE TRIGGER quality_staff_users_update AFTER UPDATE ON staff_users "
                                              f"WHEN {staff} BEGIN {bump('setup')} END"))
    for event in ("INSERT", "DELETE"):
        out.append((f"quality_staff_users_{event.lower()}", f"CREATE TRIGGER quality_staff_users_{event.lower()} "
                                                            f"AFTER {event} ON staff_users BEGIN {bump('setup')} END"))
    return out


PG_FUNCTIONS = (
    """CREATE FUNCTION quality_count(target text, rows bigint) RETURNS void LANGUAGE sql AS $$
    INSERT INTO quality_changes (scope, shard, n) VALUES (target, pg_backend_pid() % 64, rows)
    ON CONFLICT (scope, shard) DO UPDATE SET n = quality_changes.n + EXCLUDED.n
    $$""",
    """CREATE FUNCTION quality_scope_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM quality_count(TG_ARGV[0], 1);
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION quality_wave_rows_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            PERFORM quality_count('wave:' || wave_id, count(*)) FROM new_rows GROUP BY wave_id;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            PERFORM quality_count('wave:' || wave_id, count(*)) FROM old_rows GROUP BY wave_id;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION quality_answers_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            PERFORM quality_count('wave:' || r.wave_id, count(*))
            FROM new_rows a JOIN responses r ON r.id = a.response_id GROUP BY r.wave_id;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            PERFORM quality_count('wave:' || r.wave_id, count(*))
            FROM old_rows a JOIN responses r ON r.id = a.response_id GROUP BY r.wave_id;
        END IF;
        RETURN NULL;
    END $$""",
)


def _pg_triggers() -> list[tuple[str, str, str]]:
    """(name, table, CREATE TRIGGER) triples."""
    out = []
    for table, function in [*((t, "quality_wave_rows_changed") for t in WAVE_ROWS), ("answers", "quality_answers_changed")]:
        for event in EVENTS:
            tables = {"INSERT": "NEW TABLE AS new_rows", "DELETE": "OLD TABLE AS old_rows",
                      "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}[event]
            name = f"quality_{table}_{event.lower()}"
            out.append((name, table, f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {tables} "
                                     f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"))
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in CLIENT_COLUMNS)
    out.append(("quality_clients_update", "clients", "CREATE TRIGGER quality_clients_update AFTER UPDATE ON clients "
                f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION quality_scope_changed('clients')"))
    out.append(("quality_clients_delete", "clients", "CREATE TRIGGER quality_clients_delete AFTER DELETE ON clients "
                "FOR EACH STATEMENT EXECUTE FUNCTION quality_scope_changed('clients')"))
    for table in SETUP:
        out.append((f"quality_{table}_changed", table, f"CREATE TRIGGER quality_{table}_changed AFTER INSERT OR UPDATE "
                    f"OR DELETE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION quality_scope_changed('setup')"))
    staff = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in STAFF_COLUMNS)
    out.append(("quality_staff_users_update", "staff_users", "CREATE TRIGGER quality_staff_users_update AFTER UPDATE "
                f"ON staff_users FOR EACH ROW WHEN ({staff}) EXECUTE FUNCTION quality_scope_changed('setup')"))
    out.append(("quality_staff_users_added", "staff_users", "CREATE TRIGGER quality_staff_users_added AFTER INSERT OR "
                "DELETE ON staff_users FOR EACH STATEMENT EXECUTE FUNCTION quality_scope_changed('setup')"))
    return out


def upgrade() -> None:
    op.create_table(
        'quality_changes',
        sa.Column('scope', sa.String(length=40), nullable=False),
        sa.Column('shard', sa.Integer(), nullable=False),
        sa.Column('n', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('scope', 'shard', name=op.f('pk_quality_changes')),
    )
    if op.get_bind().dialect.name == "postgresql":
        for ddl in PG_FUNCTIONS:
            op.execute(ddl)
        for _name, _table, ddl in _pg_triggers():
            op.execute(ddl)
    else:
        for _name, ddl in _sqlite_triggers():
            op.execute(ddl)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, table, _ddl in _pg_triggers():
            op.execute(f"DROP TRIGGER {name} ON {table}")
        for fn in ("quality_answers_changed()", "quality_wave_rows_changed()", "quality_scope_changed()",
                   "quality_count(text, bigint)"):
            op.execute(f"DROP FUNCTION {fn}")
    else:
        for name, _ddl in _sqlite_triggers():
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table('quality_changes')
