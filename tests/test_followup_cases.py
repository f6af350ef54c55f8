"""Follow-up cases at the service level: opening, joining, the five steps in order, reopening."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from survey.errors import Conflict, PermissionDenied, ValidationFailed
from survey.models import AuditEvent, CaseEvent, Client, FollowUpCase
from survey.services.followup import cases as followup_cases
from survey.services.followup import steps as followup_steps
from tests.factories import make_client, make_user

T0 = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)  # 09:00 in Beijing

# the required fields of each step, filled in (the owner is added by the test)
STEP_FORMS = {
    "accepted": {},
    "analysed": {"root_cause": "waiting_time", "analysis": "两次来网点都排队超过一小时。"},
    "handled": {"actions": "Manager called the client; a priority number was arranged."},
    "fed_back": {"feedback_how": "phone", "feedback_at": "2026-11-02T20:00", "reaction": "satisfied"},
    "closed": {},
}


def make_case(session, *, contribution=10000, topic="service", channel="phone", now=T0, branch_code="BJ01"):
    client = make_client(session, contribution=contribution, branch_code=branch_code)
    case, opened = followup_cases.open_case(session, client=client, topic=topic, channel=channel, actor="test",
                                            now=now, summary="排队太久 waited too long")
    assert opened
    return case


def snapshot(session, case_id: int) -> dict:
    """Every column of the case row plus how many events and audit rows it has."""
    session.expire_all()
    row = session.get(FollowUpCase, case_id)
    cols = {c.key: getattr(row, c.key) for c in FollowUpCase.__table__.columns}
    cols["_events"] = session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id))
    cols["_audit"] = session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity_type == "followup_case", AuditEvent.entity_id == str(case_id)))
    return cols


def test_a_case_goes_through_the_five_steps_in_order(db):
    sup = make_user(db, "supervisor")
    case = make_case(db)
    assert case.step == "recorded" and case.step_deadline == T0 + dt.timedelta(hours=120)  # standard tier
    now = T0
    for step, form in STEP_FORMS.items():
        now += dt.timedelta(hours=5)
        form = {**form, "owner_id": str(sup.id)} if step == "accepted" else form
        followup_steps.advance(db, case, step, form, actor=sup, now=now)
        assert case.step == step and case.step_started_at == now
    assert case.owner_id == sup.id and case.closed_at == now and case.step_deadline is None
    assert case.fields["root_cause"] == "waiting_time"
    assert case.fields["steps"]["fed_back"]["feedback_at"] == "2026-11-02T12:00:00+00:00"  # 20:00 Beijing
    assert case.fields["steps"]["handled"]["by"] == sup.id
    actions = db.scalars(select(CaseEvent.to_step).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)).all()
    assert actions == ["recorded", "accepted", "analysed", "handled", "fed_back", "closed"]
    audited = db.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "followup_case")).all()
    assert audited.count("case.advanced") == 5 and "case.opened" in audited


def test_a_higher_tier_gets_a_tighter_deadline(db):
    private = make_case(db, contribution=8_000_000)
    standard = make_case(db, contribution=1000)
    assert private.step_deadline - private.opened_at == dt.timedelta(hours=24)
    assert standard.step_deadline - standard.opened_at == dt.timedelta(hours=120)


@pytest.mark.parametrize("to_step", ["analysed", "closed", "recorded", "nonsense"])
def test_skipping_a_step_is_refused_and_changes_nothing(db, to_step):
    sup = make_user(db, "supervisor")
    case = make_case(db)
    db.commit()
    before = snapshot(db, case.id)
    case = db.get(FollowUpCase, case.id)
    with pytest.raises(Conflict, match="steps cannot be skipped"):
        followup_steps.advance(db, case, to_step, {**STEP_FORMS.get(to_step, {}), "owner_id": str(sup.id)},
                               actor=sup, now=T0 + dt.timedelta(hours=1))
    db.rollback()
    assert snapshot(db, case.id) == before


@pytest.mark.parametrize("step,form,field", [
    ("analysed", {"analysis": "why"}, "root_cause"),
    ("analysed", {"root_cause": "not-in-the-list", "analysis": "why"}, "root_cause"),
    ("analysed", {"root_cause": "fees", "analysis": "  "}, "analysis"),
    ("handled", {}, "actions"),
    ("fed_back", {"feedback_how": "phone", "reaction": "satisfied"}, "feedback_at"),
    ("fed_back", {"feedback_how": "phone", "feedback_at": "2099-01-01T10:00", "reaction": "satisfied"}, "feedback_at"),
    ("fed_back", {"feedback_how": "pigeon", "feedback_at": "2026-11-02T20:00", "reaction": "satisfied"}, "feedback_how"),
    ("fed_back", {"feedback_how": "phone", "feedback_at": "2026-11-02T20:00"}, "reaction"),
])
def test_a_step_without_its_required_field_is_refused(db, step, form, field):
    sup = make_user(db, "supervisor")
    case = make_case(db)
    now = T0 + dt.timedelta(hours=30)
    for s in followup_cases.STEPS[1:followup_cases.STEPS.index(step)]:
        followup_steps.advance(db, case, s, {**STEP_FORMS[s], "owner_id": str(sup.id)}, actor=sup, now=now)
    db.commit()
    before = snapshot(db, case.id)
    case = db.get(FollowUpCase, case.id)
    with pytest.raises(ValidationFailed) as info:
        followup_steps.advance(db, case, step, form, actor=sup, now=now)
    assert field in dict(info.value.problems)
    db.rollback()
    assert snapshot(db, case.id) == before


def test_accepting_needs_an_owner_of_a_cases_role(db):
    sup = make_user(db, "supervisor")
    interviewer = make_user(db, "interviewer")
    case = make_case(db)
    for owner, code in (("", "required"), (str(interviewer.id), "not_a_choice"), ("99999", "not_a_choice")):
        with pytest.raises(ValidationFailed) as info:
            followup_steps.advance(db, case, "accepted", {"owner_id": owner}, actor=sup, now=T0)
        assert info.value.problems == [("owner_id", code)]
    assert case.step == "recorded" and case.owner_id is None


def test_who_may_act(db):
    """Supervisors and admins on any case, a branch head on their branch's, the owner on their own;
    a quality analyst who does not own the case may not."""
    quality = make_user(db, "quality")
    head_bj = make_user(db, "branch_head", branch_code="BJ01")
    head_sh = make_user(db, "branch_head", branch_code="SH01")
    case = make_case(db, branch_code="BJ01")
    assert followup_cases.can_act(db, make_user(db, "supervisor"), case)
    assert followup_cases.can_act(db, make_user(db, "admin"), case)
    assert followup_cases.can_act(db, head_bj, case)
    assert not followup_cases.can_act(db, head_sh, case)
    assert not followup_cases.can_act(db, quality, case)
    assert not followup_cases.can_act(db, make_user(db, "interviewer"), case)
    with pytest.raises(PermissionDenied):
        followup_steps.advance(db, case, "accepted", {"owner_id": str(quality.id)}, actor=quality, now=T0)
    followup_steps.advance(db, case, "accepted", {"owner_id": str(quality.id)}, actor=head_bj, now=T0)
    assert followup_cases.can_act(db, quality, case)  # now the owner


def test_a_closed_case_reopens_with_a_reason_unless_another_is_open(db):
    sup = make_user(db, "supervisor")
    case = make_case(db)
    now = T0
    for step, form in STEP_FORMS.items():
        now += dt.timedelta(hours=5)
        followup_steps.advance(db, case, step, {**form, "owner_id": str(sup.id)}, actor=sup, now=now)
    with pytest.raises(ValidationFailed):
        followup_steps.reopen(db, case, "  ", actor=sup, now=now)
    followup_steps.reopen(db, case, "Client called again: still waiting.", actor=sup, now=now + dt.timedelta(hours=1))
    assert case.step == "accepted" and case.closed_at is None and case.step_deadline is not None
    with pytest.raises(Conflict):
        followup_steps.reopen(db, case, "again", actor=sup, now=now)
    # close it, open another case on the same topic: the first cannot be reopened now
    for step in ("analysed", "handled", "fed_back", "closed"):
        followup_steps.advance(db, case, step, STEP_FORMS[step], actor=sup, now=now + dt.timedelta(hours=2))
    other, opened = followup_cases.open_case(db, client=db.get(Client, case.client_id), topic=case.topic,
                                             channel="letter", actor=sup, now=now + dt.timedelta(hours=3))
    assert opened and other.id != case.id
    db.commit()
    case = db.get(FollowUpCase, case.id)
    with pytest.raises(Conflict, match="already has an open case"):
        followup_steps.reopen(db, case, "once more", actor=sup, now=now + dt.timedelta(hours=4))
    db.rollback()
    assert db.get(FollowUpCase, case.id).step == "closed"


def test_a_complaint_from_another_channel_and_a_second_one_joining(db):
    sup = make_user(db, "supervisor")
    client = make_client(db)
    with pytest.raises(ValidationFailed) as info:
        followup_cases.record_complaint(db, client_no="NOPE", topic="fees", channel="pigeon", summary="",
                                        actor=sup, now=T0)
    assert dict(info.value.problems) == {"client_no": "unknown_client", "channel": "not_a_choice", "summary": "required"}
    case, opened = followup_cases.record_complaint(db, client_no=client.client_no, topic="fees", channel="regulator",
                                                   summary="银保监转来投诉", actor=sup, now=T0)
    again, opened_again = followup_cases.record_complaint(db, client_no=client.client_no, topic="fees", channel="phone",
                                                          summary="called too", actor=sup, now=T0)
    other, opened_other = followup_cases.record_complaint(db, client_no=client.client_no, topic="digital",
                                                          channel="phone", summary="app", actor=sup, now=T0)
    assert opened and not opened_again and again.id == case.id and case.channel == "regulator"
    assert opened_other and other.id != case.id
    joined = db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == "joined")).all()
    assert len(joined) == 1 and joined[0].fields["channel"] == "phone"


def test_settings_root_causes_and_delay(db):
    admin = make_user(db, "admin")
    assert followup_cases.escalation_delay_hours(db) == 24
    assert any(c["code"] == "waiting_time" for c in followup_cases.root_causes(db))
    with pytest.raises(ValidationFailed):
        followup_cases.save_settings(db, root_causes_text="only-a-code", delay_hours="x", actor=admin)
    followup_cases.save_settings(db, root_causes_text="queue | 排队 | Queue\nrude | 态度差 | Rude staff\n",
                                 delay_hours="12", actor=admin)
    assert [c["code"] for c in followup_cases.root_causes(db)] == ["queue", "rude"]
    assert followup_cases.escalation_delay_hours(db) == 12
