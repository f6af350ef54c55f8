"""``survey`` commands for fieldwork: sending survey links and reminders (e-mail or SMS), assigning cases."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from survey.commands.common import wave_or_exit


def echo_mail(result) -> None:
    """One line on a mailing (``fieldwork.mail.SendResult``), and one on the cases held back."""
    click.echo(f"{result.sent} invitation(s) sent ({result.reused} with the link already issued"
               + (f", {len(result.reissued)} with a reissued link" if result.reissued else "")
               + f"; {result.sent - result.sms} by e-mail, {result.sms} by SMS)")
    echo_sms_failures(result.failed, result.sms_error, result.waiting)
    if result.held:
        click.echo(f"{len(result.held)} case(s) held back: their link was handed out and cannot be written "
                   "again; --reissue replaces it (the old link stops working)")


def echo_sms_failures(failed: list, error: str | None, waiting: list = ()) -> None:
    if failed:
        click.echo(f"{len(failed)} text message(s) not taken by the SMS gateway ({error}); "
                   "the next run tries them again", err=True)
    if waiting:
        click.echo(f"{len(waiting)} text message(s) wait for the wave's calling hours in the client's branch zone; "
                   "a run within them sends them")


@click.command("send-invitations")
@click.argument("wave")
@click.option("--reissue", is_flag=True, help="replace handed-out links that cannot be written again (audited)")
@with_appcontext
def send_invitations_command(wave, reissue):
    """Send the survey link to every web-mode case of WAVE (in field) not yet sent one, by e-mail or SMS
    as each client prefers (docs/sms.md).

    A link already handed out is reused; none is replaced without --reissue."""
    from survey.commands.common import progress_bar
    from survey.db import session_scope
    from survey.services.fieldwork.mail import Mailer, send_invitations

    bar = progress_bar()
    with session_scope() as session:
        w = wave_or_exit(session, wave)
        if w.status != "in_field":
            bar.close()
            raise click.ClickException(f"wave {w.name} is not in field ({w.status}): "
                                       f"run survey open-fieldwork {w.name} first")
        result = send_invitations(session, w, Mailer.from_config(current_app.config), progress=bar,
                                  reissue=reissue, actor="cli")
    bar.close()
    echo_mail(result)


@click.command("send-reminders")
@click.argument("wave", required=False)
@with_appcontext
def send_reminders_command(wave):
    """Remind web-mode clients who have not answered (all waves in field, or WAVE); run it daily from cron."""
    from survey.commands.common import progress_bar
    from survey.db import session_scope
    from survey.services.fieldwork.mail import Mailer, send_reminders

    bar = progress_bar()
    with session_scope() as session:
        target = wave_or_exit(session, wave) if wave else None
        report: dict = {}
        n = send_reminders(session, Mailer.from_config(current_app.config), wave=target, progress=bar, report=report)
    bar.close()
    click.echo(f"{n} reminder(s) sent ({n - report['sms']} by e-mail, {report['sms']} by SMS)")
    echo_sms_failures(report["failed"], report["sms_error"], report["waiting"])


@click.command("assign-cases")
@click.argument("wave")
@click.option("--seed", type=int, default=None, help="breaks ties between equally placed interviewers")
@with_appcontext
def assign_cases_command(wave, seed):
    """Share WAVE's unassigned phone and visit cases among the active interviewers."""
    from survey.db import session_scope
    from survey.errors import ValidationFailed
    from survey.services.fieldwork.assign import auto_assign

    try:
        with session_scope() as session:
            result = auto_assign(session, wave_or_exit(session, wave), "cli", seed=seed)
    except ValidationFailed as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{result.assigned} case(s) assigned, {result.unassigned} left unassigned")


def register(group) -> None:
    """Add this area's commands to the app's CLI group."""
    for cmd in (send_invitations_command, send_reminders_command, assign_cases_command):
        group.add_command(cmd)
