"""The ``survey`` command: the group, ``serve`` and ``demo``; the other commands come from ``survey.commands``.

The commands are registered on the group itself, so ``survey --help`` and ``survey CMD --help``
never build the application (and create no data folder, key or database).  A command that needs
the app builds it with the same configuration as the server (``create_app()``: the data folder's
``config.py``, then ``SURVEY_*``), and stops with one line when the database has no schema yet.
"""

from __future__ import annotations

import click
from flask.cli import FlaskGroup

from survey.commands import register_all
from survey.demo import demo_command

# commands that work on a database without the (current) schema
SCHEMA_FREE = {"init-db", "demo"}


def _cli_app():
    from survey import create_app, migrate
    from survey.config import ConfigError

    try:
        app = create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    ctx = click.get_current_context(silent=True)
    if ctx is None or ctx.info_name not in SCHEMA_FREE:
        problem = migrate.schema_problem(app.extensions["survey.engine"])
        if problem:
            raise click.ClickException(problem)
    return app


class SurveyGroup(FlaskGroup):
    """Flask's group without loading the app to list or find commands (they are all on the group)."""

    def list_commands(self, ctx):
        return sorted(self.commands)

    def get_command(self, ctx, name):
        return self.commands.get(name)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
def serve_command(host, port, workers):
    """Run the production server (gunicorn) on the data folder's configuration (see README: settings)."""
    from survey import create_app
    from survey.serve import run

    _cli_app()  # fail fast, in the foreground, on a bad configuration
    run(create_app, host=host, port=port, workers=workers)


cli = SurveyGroup(create_app=_cli_app, add_default_commands=False, add_version_option=False,
                  load_dotenv=False, set_debug_flag=False, help="Client satisfaction tracking service.")
# the factory is fixed, so Flask's --app/--env-file/--debug options would only confuse
cli.params = [p for p in cli.params if p.name not in ("app", "env_file", "debug")]
cli.add_command(serve_command)
cli.add_command(demo_command)
register_all(cli)


def main() -> None:
    cli.main(prog_name="survey")
