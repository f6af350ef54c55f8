"""Two app servers on one database (issue 11): each runs the cron jobs at the same moment, and still
each message goes out once and each follow-up case is escalated once.

Each "server" is its own process with its own data folder (so its own outbox), sharing the suite's
database (a SQLite file, or PostgreSQL with SURVEY_DATABASE_URL)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from survey.db import session_scope
from survey.models import CaseEvent, Invitation, Message
from survey.services.followup import cases as followup_cases
from tests.factories import make_client, make_user
from tests.factories_fieldwork import field_case, field_wave

N_WEB, N_CASES = 120, 30
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def run_on_two_servers(app, tmp_path: Path, *args: str) -> list[str]:
    """Start ``survey <args>`` on both servers at once; both must succeed."""
    procs = []
    for n in (1, 2):
        env = {**os.environ, "SURVEY_DATABASE_URL": app.config["DATABASE_URL"], "SURVEY_SECRET_KEY": "k" * 40,
               "SURVEY_DATA_DIR": str(tmp_path / f"server{n}"), "SURVEY_ENV_MODE": "production"}
        procs.append(subprocess.Popen([sys.executable, "-c", "from survey.cli import main; main()", *args], env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    return outputs


def test_two_servers_send_each_message_once_and_escalate_each_case_once(app, db, tmp_path):
    with app.app_context(), session_scope(app) as s:
        make_user(s, "branch_head", username="so_head", branch_code="BJ01")
        make_user(s, "supervisor", username="so_sup")
        wave = field_wave(s)
        web = [field_case(s, wave, mode="web", email=f"c{i}@example.com") for i in range(N_WEB)]
        for inv in web[: N_WEB // 2]:  # messaged ten days ago: a reminder is due
            inv.last_message_at = NOW - dt.timedelta(days=10)
        long_ago = NOW - dt.timedelta(days=30)
        for _ in range(N_CASES):
            followup_cases.open_case(s, client=make_client(s, branch_code="BJ01"), topic="service",
                                     channel="phone", actor="test", now=long_ago, summary="late")
        wave_name = wave.name

    run_on_two_servers(app, tmp_path, "send-invitations", wave_name)
    run_on_two_servers(app, tmp_path, "send-reminders")
    run_on_two_servers(app, tmp_path, "escalate", "--now", NOW.isoformat())
    run_on_two_servers(app, tmp_path, "digest", "--now", NOW.isoformat())

    db.rollback()
    messages = db.execute(select(Message.invitation_id, Message.kind, Message.recipient)).all()
    per_invitation = Counter((m.invitation_id, m.kind) for m in messages if m.invitation_id)
    assert sum(1 for _i, k in per_invitation if k == "invitation") == N_WEB // 2
    assert sum(1 for _i, k in per_invitation if k == "reminder") == N_WEB // 2
    assert set(per_invitation.values()) == {1}
    digests = Counter(m.recipient for m in messages if m.kind == "case_digest")
    assert digests and set(digests.values()) == {1}
    assert set(db.scalars(select(Invitation.reminders_sent).where(Invitation.mode == "web"))) <= {0, 1}
    escalated = Counter(db.scalars(select(CaseEvent.case_id).where(CaseEvent.action == "escalated")))
    assert len(escalated) == N_CASES and set(escalated.values()) == {1}
    # what left the two servers' outboxes matches the messages recorded, one file each
    files = [f for n in (1, 2) for f in (tmp_path / f"server{n}" / "outbox").glob("*.eml")]
    assert len(files) == len(messages)
