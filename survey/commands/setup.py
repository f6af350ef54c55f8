"""``survey init-db``, ``import-clients``, ``load-questionnaire``, ``export-questionnaire`` and ``create-user``: setting up a database."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from survey.commands.common import progress_bar
from survey.db import get_engine, session_scope


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create the schema, or upgrade it to the newest migration, keeping every row."""
    from survey import migrate

    engine = get_engine()
    before = migrate.current_revision(engine)
    migrate.upgrade(engine)
    after = migrate.current_revision(engine)
    url = engine.url.render_as_string(hide_password=True)
    click.echo(f"database {url}: {before or 'empty'} -> {after}")


@click.command("import-clients")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--encoding", default=None, help="utf-8-sig or gb18030; detected when omitted")
@with_appcontext
def import_clients_command(csv_file, encoding):
    """Import or update clients from CSV_FILE; a file with any bad row imports nothing."""
    from survey.errors import ImportRejected
    from survey.services.client_import import import_clients

    bar = progress_bar()
    try:
        with session_scope() as session:
            result = import_clients(session, csv_file, actor="cli", encoding=encoding, progress=bar)
    except ImportRejected as exc:
        bar.close()
        click.echo(f"error: {exc}", err=True)
        for file, line, field, why in exc.problems:
            click.echo(f"  {file}:{line}: {field}: {why}", err=True)
        raise SystemExit(1) from None
    bar.close()
    click.echo(f"{result.file}: {result.rows} rows ({result.inserted} new, {result.updated} updated), encoding {result.encoding}")


@click.command("load-questionnaire")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def load_questionnaire_command(path):
    """Check a questionnaire file (YAML or JSON) and store it as the version new waves use."""
    from survey.errors import ValidationFailed
    from survey.services import audit, questionnaires

    try:
        with session_scope() as session:
            definition = questionnaires.load_file(path)
            before = questionnaires.latest_version(session, definition["code"])
            qn = questionnaires.save(session, definition)
            unchanged = before is not None and qn.id == before.id
            if not unchanged:
                audit.record(session, "cli", "questionnaire.loaded", "questionnaire", qn.id, code=qn.code, version=qn.version)
            code, version = qn.code, qn.version
    except ValidationFailed as exc:
        click.echo(f"error: {exc}", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        raise SystemExit(1) from None
    if unchanged:
        click.echo(f"questionnaire {code} version {version}: unchanged (the file equals the latest version), nothing created")
    else:
        click.echo(f"questionnaire {code} version {version}: new waves use it")


@click.command("export-questionnaire")
@click.argument("code")
@click.option("--version", "version", type=click.IntRange(min=1), default=None, help="a stored version (default: the latest)")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None, help="file to write (default: stdout)")
@with_appcontext
def export_questionnaire_command(code, version, fmt, output):
    """Write a stored questionnaire version as a file that loads back as the same version."""
    from survey.services import questionnaires

    with session_scope() as session:
        qn = questionnaires.latest_version(session, code, version)
        if qn is None:
            which = f"version {version} of " if version else ""
            raise click.ClickException(f"no {which}questionnaire with code {code!r}")
        text, version = questionnaires.dump(qn.definition, fmt), qn.version
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"questionnaire {code} version {version} written to {output}", err=True)
    else:
        click.echo(text, nl=False)


def read_password() -> str:
    """From a prompt (typed twice, hidden) on a terminal, else the first line of stdin: never an argument."""
    if sys.stdin is not None and sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@click.command("create-user")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["interviewer", "supervisor", "quality", "admin", "branch_head"]))
@click.option("--employee-code", default=None)
@click.option("--display-name", default=None)
@with_appcontext
def create_user_command(username, role, employee_code, display_name):
    """Create a staff account; the password is prompted for, or read from stdin (one line) in scripts."""
    from survey.errors import ValidationFailed
    from survey.services.users import create_user

    password = read_password()
    try:
        with session_scope() as session:
            user = create_user(session, username, password, role, employee_code=employee_code,
                               display_name=display_name, actor="cli")
            username = user.username
    except ValidationFailed as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"user {username} ({role}) created")


def register(group) -> None:
    for cmd in (init_db_command, import_clients_command, create_user_command, load_questionnaire_command,
                export_questionnaire_command):
        group.add_command(cmd)
