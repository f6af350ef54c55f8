"""`survey escalate` marks and escalates exactly the cases past their tier's deadline; `survey digest`."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from survey.models import CaseEvent, FollowUpCase, Message, Setting
from survey.services.followup import steps as followup_steps
from tests.factories import make_user
from tests.test_followup_cases import T0, make_case


def _state(db):
    db.rollback()
    db.expire_all()
    return {c.id: (c.overdue, c.escalated_at is not None) for c in db.scalars(select(FollowUpCase))}


def test_escalate_marks_and_escalates_exactly_the_cases_past_their_deadline(runner, db):
    head = make_user(db, "branch_head", branch_code="BJ01")
    private = make_case(db, contribution=8_000_000)   # 24 h per step
    platinum = make_case(db, contribution=800_000)    # 48 h
    standard = make_case(db, contribution=1000)       # 120 h
    elsewhere = make_case(db, contribution=8_000_000, branch_code="SH01")
    db.commit()

    def escalate(hours):
        result = runner.invoke(args=["escalate", "--now", (T0 + dt.timedelta(hours=hours)).isoformat()])
        assert result.exit_code == 0, result.output
        return result.output

    out = escalate(24)  # exactly at the deadline: not yet past it
    assert "0 case(s) marked overdue, 0 escalated" in out
    assert not any(o or e for o, e in _state(db).values())

    out = escalate(30)
    assert "2 case(s) marked overdue, 0 escalated" in out
    assert _state(db) == {private.id: (True, False), platinum.id: (False, False), standard.id: (False, False),
                          elsewhere.id: (True, False)}

    out = escalate(49)  # private: 24 h deadline + 24 h delay passed; platinum now overdue
    assert "1 case(s) marked overdue, 2 escalated" in out
    assert _state(db) == {private.id: (True, True), platinum.id: (True, False), standard.id: (False, False),
                          elsewhere.id: (True, True)}
    event = db.scalar(select(CaseEvent).where(CaseEvent.case_id == private.id, CaseEvent.action == "escalated"))
    assert event.fields["to"] == [head.id] and event.fields["branch"] == "BJ01"
    assert db.scalar(select(CaseEvent).where(CaseEvent.case_id == elsewhere.id, CaseEvent.action == "escalated")).fields["to"] == []

    out = escalate(50)  # nothing new: a sweep never marks or escalates twice
    assert "0 case(s) marked overdue, 0 escalated" in out


def test_the_escalation_delay_is_a_setting_and_a_new_step_resets_the_clock(runner, db):
    sup = make_user(db, "supervisor")
    db.add(Setting(key="escalation_delay_hours", value={"hours": 2}))
    case = make_case(db, contribution=8_000_000)
    db.commit()
    assert runner.invoke(args=["escalate", "--now", "2026-11-03T04:00:00+00:00"]).exit_code == 0  # deadline 01:00 + 2 h
    assert _state(db)[case.id] == (True, True)
    case = db.get(FollowUpCase, case.id)
    followup_steps.advance(db, case, "accepted", {"owner_id": str(sup.id)}, actor=sup, now=T0 + dt.timedelta(hours=28))
    db.commit()
    assert _state(db)[case.id] == (False, False)
    assert case.step_deadline == T0 + dt.timedelta(hours=52)


def test_escalate_rejects_a_bad_time(runner):
    result = runner.invoke(args=["escalate", "--now", "yesterday"])
    assert result.exit_code != 0 and "--now must be an ISO time" in result.output


def test_digest_writes_one_message_per_owner_to_the_outbox(app, runner, db):
    sup = make_user(db, "supervisor", username="sup1")
    owner = make_user(db, "quality", username="qa1")
    make_user(db, "quality", username="idle")  # nothing to do: no digest
    case = make_case(db, contribution=8_000_000)
    make_case(db)  # waiting to be accepted
    followup_steps.advance(db, case, "accepted", {"owner_id": str(owner.id)}, actor=sup, now=T0)
    db.commit()
    result = runner.invoke(args=["digest", "--now", "2026-11-04T00:00:00+00:00"])
    assert result.exit_code == 0, result.output
    assert "2 digest(s) sent" in result.output
    db.rollback()
    db.expire_all()
    recipients = sorted(m.recipient for m in db.scalars(select(Message).where(Message.kind == "case_digest")))
    assert recipients == ["qa1@bank.example", "sup1@bank.example"]
    files = list(Path(app.config["OUTBOX_DIR"]).glob("*.eml"))
    assert len(files) == 2
    bodies = {m["To"]: m.get_content() for m in (message_from_bytes(f.read_bytes(), policy=default) for f in files)}
    assert f"#{case.id}" in bodies["qa1@bank.example"] and "OVERDUE" in bodies["qa1@bank.example"]
    assert "Waiting to be accepted" in bodies["sup1@bank.example"]
    # times in the reader's zone (no branch: the bank's), named once; never UTC
    qa = bodies["qa1@bank.example"]
    assert "截至 2026-11-04 08:00 Asia/Shanghai" in qa and "times in Asia/Shanghai" in qa and "UTC" not in qa
    db.expire_all()
    due = db.get(FollowUpCase, case.id).step_deadline
    due = due if due.tzinfo else due.replace(tzinfo=dt.UTC)
    assert f"due {due.astimezone(ZoneInfo('Asia/Shanghai')):%Y-%m-%d %H:%M}" in qa


def test_a_digest_gives_times_in_the_readers_branch_zone(db):
    from survey.services.followup import escalation
    from tests.factories_fieldwork import branch

    branch(db, "UR01", "Asia/Urumqi")
    head = make_user(db, "quality", username="qa-urumqi", branch_code="UR01")
    case = make_case(db)
    followup_steps.advance(db, case, "accepted", {"owner_id": str(head.id)}, actor=make_user(db, "supervisor"), now=T0)
    db.flush()
    now = dt.datetime(2026, 11, 3, 18, 30, tzinfo=dt.UTC)  # 00:30 on the 4th in Urumqi, 02:30 in Shanghai
    digest = next(d for d in escalation.digests(db, now=now) if d.recipient.id == head.id)
    assert "截至 2026-11-04 00:30 Asia/Urumqi" in digest.body and "2026-11-04" in digest.subject
    db.rollback()
