"""``survey`` commands for quality: the wave report as one HTML file, and the full wave export."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from survey.commands.common import wave_or_exit


@click.command("report")
@click.argument("wave")
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), default=None,
              help="HTML file to write (default: report-WAVE.html)")
@click.option("--lang", type=click.Choice(["zh_CN", "en"]), default="zh_CN", show_default=True)
@with_appcontext
def report_command(wave, out, lang):
    """Write WAVE's overview and trends, with inline SVG charts, as a self-contained HTML file."""
    from survey.db import session_scope
    from survey.services.quality.report import render_report

    with session_scope() as session, current_app.test_request_context(f"/?lang={lang}"):
        found = wave_or_exit(session, wave)
        html = render_report(session, found)
        name = found.name
    path = Path(out or f"report-{name}.html")
    path.write_text(html, encoding="utf-8")
    click.echo(f"report for {name} written to {path} ({len(html) // 1024} KiB)")


@click.command("export")
@click.argument("wave")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "sav"]), required=True)
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), required=True)
@click.option("--open-answers", is_flag=True,
              help="add the contact-request and comment columns (for the quality team only)")
@with_appcontext
def export_command(wave, fmt, out, open_answers):
    """Export every released case of WAVE with disposition, weight, scores and labels (CSV, XLSX or SPSS .sav)."""
    from survey.commands.common import progress_bar
    from survey.db import session_scope
    from survey.services.quality.export import export_wave

    bar = progress_bar()
    with session_scope() as session:
        found = wave_or_exit(session, wave)
        try:
            export_wave(session, found, fmt, out, progress=bar, open_answers=open_answers)
        finally:
            bar.close()
        name = found.name
    click.echo(f"{name}: {fmt} export written to {out}")


def register(group) -> None:
    """Add this area's commands to the app's CLI group."""
    for cmd in (report_command, export_command):
        group.add_command(cmd)
