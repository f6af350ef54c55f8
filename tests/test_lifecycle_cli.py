"""A wave's life on the command line: create-wave, wave-settings, draw, open-fieldwork, close-fieldwork."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from survey.models import AuditEvent, Invitation, Wave
from tests.test_fieldwork_mail import outbox

HEADER = "client_no,name,phone,email,branch,manager_code,manager_name,contribution,preferred_mode\n"


def client_file(tmp_path, n: int = 6) -> str:
    rows = [f"K{k:03d},客户{k},1380013{k:04d},k{k}@example.com,BJ01,RM001,经理,{7e6 if k % 2 else 1e5:.0f},"
            f"{'web' if k % 3 == 0 else ''}\n" for k in range(n)]
    path = tmp_path / "clients.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return str(path)


def ok(runner, *args):
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def fails(runner, *args):
    result = runner.invoke(args=list(args))
    assert result.exit_code != 0, result.output
    return result.output


def test_a_quarter_from_the_command_line(app, db, runner, tmp_path):
    ok(runner, "import-clients", client_file(tmp_path))
    out = ok(runner, "create-wave", "2026-Q4", "--start", "2026-10-01")
    assert "2026-10-01 to 2026-12-31" in out and "default settings" in out
    ok(runner, "wave-settings", "2026-Q4", "--set", "web_enabled=true", "--set", "max_attempts=4")
    assert "has not been drawn" in fails(runner, "open-fieldwork", "2026-Q4")
    assert "next: survey open-fieldwork 2026-Q4" in ok(runner, "draw", "2026-Q4", "--seed", "7", "--confirm")
    assert "web_enabled can only change before the draw" in fails(runner, "wave-settings", "2026-Q4", "--set",
                                                                  "web_enabled=false")
    assert "has not been opened" in fails(runner, "close-fieldwork", "2026-Q4")
    out = ok(runner, "open-fieldwork", "2026-Q4", "--send")
    assert "is in field" in out and "invitation(s) sent" in out
    sent = len(outbox(app))
    assert sent >= 1
    assert "already open" in fails(runner, "open-fieldwork", "2026-Q4")
    assert "0 invitation(s) sent" in ok(runner, "send-invitations", "2026-Q4")  # nothing twice
    out = ok(runner, "close-fieldwork", "2026-Q4")
    assert "closed;" in out and "open case(s) finalised" in out
    assert "already closed" in fails(runner, "close-fieldwork", "2026-Q4")
    assert "cannot be reopened" in fails(runner, "open-fieldwork", "2026-Q4")
    db.rollback()
    wave = db.scalar(select(Wave).where(Wave.name == "2026-Q4"))
    assert wave.status == "closed"
    assert db.scalar(select(func.count()).where(Invitation.wave_id == wave.id, Invitation.status == "open")) == 0
    actions = set(db.scalars(select(AuditEvent.action).where(AuditEvent.entity_id == str(wave.id))))
    assert {"wave.created", "wave.settings_changed", "sample.drawn", "wave.fieldwork_opened", "wave.closed"} <= actions

    out = ok(runner, "create-wave", "2027-Q1", "--from", "2026-Q4")
    assert "2027-01-01 to 2027-03-31" in out and "settings from 2026-Q4" in out
    listing = ok(runner, "wave-settings", "2027-Q1")
    assert re.search(r"\* max_attempts +4\n", listing) and re.search(r"\* web_enabled +true\n", listing)


def test_open_fieldwork_can_leave_the_mail_queued(app, db, runner, tmp_path):
    ok(runner, "import-clients", client_file(tmp_path))
    ok(runner, "create-wave", "W1", "--start", "2026-10-01", "--end", "2026-12-31")
    ok(runner, "wave-settings", "W1", "--set", "web_enabled=true")
    ok(runner, "draw", "W1", "--seed", "3", "--confirm")
    out = ok(runner, "open-fieldwork", "W1")  # the web links wait for send-invitations
    assert "run survey send-invitations W1" in out and outbox(app) == []
    assert "invitation(s) sent" in ok(runner, "send-invitations", "W1") and outbox(app)


def test_wave_settings_errors_name_the_problem(app, db, runner):
    ok(runner, "create-wave", "W2", "--start", "2026-10-01")
    out = fails(runner, "wave-settings", "W2", "--set", "colour=blue", "--set", "max_attempts=zero")
    assert "unknown setting 'colour'" in out and "calling_hours" in out and "max_attempts must be a whole number" in out
    assert "KEY=VALUE" in fails(runner, "wave-settings", "W2", "--set", "max_attempts")
    assert "no wave named" in fails(runner, "wave-settings", "nope")
    listing = ok(runner, "wave-settings", "W2")
    assert "* calling_hours" in listing and "9-20" in listing and "* modes.gold" in listing


def test_create_wave_refuses_bad_input(app, db, runner):
    assert "--start with --end" in fails(runner, "create-wave", "W3", "--end", "2026-12-31")
    assert "YYYY-MM-DD" in fails(runner, "create-wave", "W3", "--start", "1 Oct")
    assert "ends before it starts" in fails(runner, "create-wave", "W3", "--start", "2026-10-01", "--end", "2026-09-01")
    ok(runner, "create-wave", "W3")
    assert "already exists" in fails(runner, "create-wave", "W3")
    assert "no wave named" in fails(runner, "create-wave", "W4", "--from", "nope")
