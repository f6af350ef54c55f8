"""The ``survey`` command: database, imports, demo and serving."""

from __future__ import annotations

import os
import sys

import click
from flask.cli import FlaskGroup, with_appcontext

from survey.db import get_engine, session_scope
from survey.demo import demo_command


def _cli_app():
    from survey import create_app

    return create_app({"ENV_MODE": os.environ.get("SURVEY_ENV_MODE", "development")})


class _Progress:
    """A click progress bar driven by (stage, done, total) callbacks."""

    def __init__(self):
        self.bar = None
        self.stage = None
        self.done = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.close()
            self.stage, self.done = stage, 0
            self.bar = click.progressbar(length=max(total, 1), label=f"{stage:<10}", file=sys.stderr, show_pos=False)
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def progress_bar() -> _Progress:
    return _Progress()


def wave_or_exit(session, name_or_id: str):
    """The wave named (or numbered) ``name_or_id``, or a clean command-line error."""
    from survey.errors import NotFound
    from survey.services import waves

    try:
        return waves.find_wave(session, name_or_id)
    except NotFound as exc:
        raise click.ClickException(str(exc)) from None


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
            qn = questionnaires.save(session, questionnaires.load_file(path))
            audit.record(session, "cli", "questionnaire.loaded", "questionnaire", qn.id, code=qn.code, version=qn.version)
            code, version = qn.code, qn.version
    except ValidationFailed as exc:
        click.echo(f"error: {exc}", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        raise SystemExit(1) from None
    click.echo(f"questionnaire {code} version {version}: new waves use it")


@click.command("create-user")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["interviewer", "supervisor", "quality", "admin", "branch_head"]))
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--employee-code", default=None)
@click.option("--display-name", default=None)
@with_appcontext
def create_user_command(username, role, password, employee_code, display_name):
    """Create a staff account."""
    from survey.errors import ValidationFailed
    from survey.services.users import create_user

    try:
        with session_scope() as session:
            create_user(session, username, password, role, employee_code=employee_code,
                        display_name=display_name, actor="cli")
    except ValidationFailed as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"user {username} ({role}) created")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
def serve_command(host, port, workers):
    """Run the production server (gunicorn). Needs SURVEY_SECRET_KEY; SURVEY_DATABASE_URL for PostgreSQL."""
    from survey import create_app
    from survey.config import ConfigError
    from survey.serve import run

    try:
        create_app()  # fail fast, in the foreground, on a bad configuration
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    run(create_app, host=host, port=port, workers=workers)


def init_app(app) -> None:
    from survey.commands import register_all

    for cmd in (init_db_command, import_clients_command, create_user_command, load_questionnaire_command):
        app.cli.add_command(cmd)
    register_all(app.cli)


cli = FlaskGroup(create_app=_cli_app, add_default_commands=False, add_version_option=False,
                 load_dotenv=False, set_debug_flag=False, help="Client satisfaction tracking service.")
# the factory is fixed, so Flask's --app/--env-file/--debug options would only confuse
cli.params = [p for p in cli.params if p.name not in ("app", "env_file", "debug")]
cli.add_command(serve_command)
cli.add_command(demo_command)


def main() -> None:
    cli.main(prog_name="survey")
