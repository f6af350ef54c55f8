"""``survey create-api-token``: a bearer token for one integration, printed once."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from survey.db import session_scope
from survey.models import ROLES


@click.command("create-api-token")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--branch", default=None, help="the branch a branch_head token is limited to")
@with_appcontext
def create_api_token_command(name, role, branch):
    """Make an API token NAME with ROLE; it is printed once and only its hash is kept."""
    from survey.errors import ValidationFailed
    from survey.services.api_tokens import create_token

    try:
        with session_scope() as session:
            _row, secret = create_token(session, name, role, branch_code=branch, actor="cli")
    except ValidationFailed as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"API token {name} ({role}{', branch ' + branch if branch else ''}); shown only now:", err=True)
    click.echo(secret)


def register(group) -> None:
    group.add_command(create_api_token_command)
