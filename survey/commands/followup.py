"""``survey escalate`` (for cron) and ``survey digest``: the follow-up deadlines and the daily digest."""

from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import with_appcontext


def _parse_now(value: str | None) -> dt.datetime:
    from survey.models import utcnow

    if not value:
        return utcnow()
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"--now must be an ISO time such as 2026-11-28T09:00+08:00, not {value!r}") from None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


@click.command("escalate")
@click.option("--now", "now_text", default=None, help="pretend it is this ISO time (UTC unless an offset is given)")
@with_appcontext
def escalate_command(now_text):
    """Mark follow-up cases past their step's deadline overdue; escalate them to the branch head
    once the escalation delay has passed too.  Safe to run as often as cron likes."""
    from survey.db import session_scope
    from survey.services.followup import escalation as followup_escalation

    now = _parse_now(now_text)
    with session_scope() as session:
        result = followup_escalation.sweep(session, now=now, actor="cli")
    click.echo(f"{len(result.marked)} case(s) marked overdue, {len(result.escalated)} escalated "
               f"(as of {now.isoformat(timespec='minutes')})")
    for case_id in result.escalated:
        heads = result.escalated_to.get(case_id) or []
        click.echo(f"  case {case_id} escalated to {len(heads)} branch head(s)")


@click.command("digest")
@click.option("--now", "now_text", default=None, help="pretend it is this ISO time (UTC unless an offset is given)")
@with_appcontext
def digest_command(now_text):
    """Send each case owner (and supervisors, branch heads) a digest of their open follow-up cases,
    by SMTP when SURVEY_SMTP_HOST is set, else as .eml files in the outbox folder."""
    from survey.db import session_scope
    from survey.services.followup import escalation as followup_escalation

    now = _parse_now(now_text)
    with session_scope() as session:
        sent = followup_escalation.send_digests(session, current_app.config, now=now)
    where = current_app.config["SMTP_HOST"] or current_app.config["OUTBOX_DIR"]
    click.echo(f"{len(sent)} digest(s) sent via {where}")


def register(group) -> None:
    """Add this area's commands to the app's CLI group."""
    group.add_command(escalate_command)
    group.add_command(digest_command)
