"""``survey create-wave``, ``wave-settings``, ``open-fieldwork`` and ``close-fieldwork``: a wave's life."""

from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import with_appcontext

from survey.commands.common import wave_or_exit
from survey.commands.fieldwork import echo_mail
from survey.db import session_scope


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{option} must be a date as YYYY-MM-DD, not {value!r}") from None


@click.command("create-wave")
@click.argument("name")
@click.option("--from", "from_name", default=None, help="copy this wave's settings, questionnaire and tier scheme")
@click.option("--start", default=None, help="first day (YYYY-MM-DD); default: the day after the previous wave")
@click.option("--end", default=None, help="last day (YYYY-MM-DD); default: three months after the start")
@click.option("--questionnaire", "questionnaire_spec", default=None, metavar="CODE[:VERSION]",
              help="the published questionnaire version to use (default: --from's, else the current one)")
@with_appcontext
def create_wave_command(name, from_name, start, end, questionnaire_spec):
    """Create the draft wave NAME, by default for the quarter after the previous (or latest) wave."""
    from survey.errors import NotFound, ValidationFailed
    from survey.services import waves
    from survey.services.questionnaire_editor.drafts import find_version

    start_day, end_day = _date(start, "--start"), _date(end, "--end")
    if end_day is not None and start_day is None:
        raise click.UsageError("give --start with --end")
    try:
        with session_scope() as session:
            source = wave_or_exit(session, from_name) if from_name else None
            chosen = find_version(session, questionnaire_spec) if questionnaire_spec else None
            default_start, default_end = waves.next_period(session, source)
            if start_day is None:
                start_day, end_day = default_start, default_end
            elif end_day is None:
                end_day = waves.add_months(start_day, 3) - dt.timedelta(days=1)
            wave = waves.create_wave(session, name=name, period_start=start_day, period_end=end_day,
                                     actor="cli", from_wave=source, questionnaire=chosen)
            line = (f"wave {wave.name} created (draft, {wave.period_start} to {wave.period_end}, "
                    f"questionnaire {wave.questionnaire.code} v{wave.questionnaire.version}, tier scheme v{wave.tier_scheme.version}"
                    + (f", settings from {source.name})" if source else ", default settings)"))
    except (ValidationFailed, NotFound) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(line)


@click.command("wave-settings")
@click.argument("wave")
@click.option("--set", "pairs", multiple=True, metavar="KEY=VALUE", help="change one setting (repeat for several)")
@with_appcontext
def wave_settings_command(wave, pairs):
    """Print WAVE's settings, or change them with --set key=value (all or nothing)."""
    from survey.errors import ValidationFailed
    from survey.services.lifecycle import settings as lifecycle_settings

    changes = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.UsageError(f"--set takes KEY=VALUE, not {pair!r}")
        changes[key.strip()] = value
    try:
        with session_scope() as session:
            w = wave_or_exit(session, wave)
            changed = lifecycle_settings.change_settings(session, w, changes, "cli") if changes else {}
            rows = [(s, lifecycle_settings.editable(w, s)) for s in lifecycle_settings.specs(w)]
            values, status, name = lifecycle_settings.current(w), w.status, w.name
    except ValidationFailed as exc:
        for _key, why in exc.problems:
            click.echo(f"error: {why}", err=True)
        raise SystemExit(1) from None
    for key, (before, after) in changed.items():
        click.echo(f"{key}: {lifecycle_settings.show(before)} -> {lifecycle_settings.show(after)}")
    if not changes:
        click.echo(f"wave {name} ({status}); * = can change now")
        for spec, can in rows:
            click.echo(f"{'*' if can else ' '} {spec.key:<26} {lifecycle_settings.show(values[spec.key])}")


@click.command("open-fieldwork")
@click.argument("wave")
@click.option("--send", is_flag=True, help="e-mail the web links now (default: queued for send-invitations)")
@with_appcontext
def open_fieldwork_command(wave, send):
    """Put the drawn WAVE in field: calls and visits enter the queue; web links are queued for
    `survey send-invitations WAVE` (or e-mailed now with --send)."""
    from survey.errors import Conflict
    from survey.services.fieldwork.mail import Mailer
    from survey.services.lifecycle import transitions

    try:
        with session_scope() as session:
            w = wave_or_exit(session, wave)
            mailer = Mailer.from_config(current_app.config) if send else None
            opened = transitions.open_fieldwork(session, w, "cli", mailer=mailer)
            name = w.name
    except Conflict as exc:
        raise click.ClickException(str(exc)) from None
    c = opened.cases
    click.echo(f"wave {name} is in field: {c.get('phone', 0)} phone, {c.get('in_person', 0)} visit, "
               f"{c.get('web', 0)} web case(s) open")
    if opened.mail is None:
        click.echo(f"web links not sent yet: run survey send-invitations {name}")
    else:
        echo_mail(opened.mail)


@click.command("close-fieldwork")
@click.argument("wave")
@with_appcontext
def close_fieldwork_command(wave):
    """Close WAVE's fieldwork for good: every open case gets its final disposition, and the results are final."""
    from survey.errors import Conflict
    from survey.services.lifecycle import transitions

    try:
        with session_scope() as session:
            w = wave_or_exit(session, wave)
            closed = transitions.close_fieldwork(session, w, "cli")
            name = w.name
    except Conflict as exc:
        raise click.ClickException(str(exc)) from None
    codes = ", ".join(f"{code}: {n}" for code, n in closed.dispositions.items()) or "none"
    click.echo(f"wave {name} closed; {closed.finalised} open case(s) finalised ({codes})")


def register(group) -> None:
    """Add this area's commands to the app's CLI group."""
    for cmd in (create_wave_command, wave_settings_command, open_fieldwork_command, close_fieldwork_command):
        group.add_command(cmd)
