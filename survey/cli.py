"""The ``survey`` command: the group, ``serve`` and ``demo``; the other commands come from ``survey.commands``."""

from __future__ import annotations

import os

import click
from flask.cli import FlaskGroup

from survey.demo import demo_command


def _cli_app():
    from survey import create_app

    return create_app({"ENV_MODE": os.environ.get("SURVEY_ENV_MODE", "development")})


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


cli = FlaskGroup(create_app=_cli_app, add_default_commands=False, add_version_option=False,
                 load_dotenv=False, set_debug_flag=False, help="Client satisfaction tracking service.")
# the factory is fixed, so Flask's --app/--env-file/--debug options would only confuse
cli.params = [p for p in cli.params if p.name not in ("app", "env_file", "debug")]
cli.add_command(serve_command)
cli.add_command(demo_command)


def main() -> None:
    cli.main(prog_name="survey")
