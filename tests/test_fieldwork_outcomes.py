"""Outcome codes: the catalogue, recording attempts, closing cases, and the disposition rule."""

import datetime as dt

import pytest

from survey.errors import Conflict, ValidationFailed
from survey.models import AuditEvent, ContactAttempt
from survey.services.fieldwork import cases, outcomes, queue
from tests.factories_fieldwork import IN_HOURS, field_case, field_wave, interviewer

HOUR = dt.timedelta(hours=1)

# the AAPOR final codes for calls and visits listed in DOMAIN.md
DOMAIN_CODES = ("1.1 1.2 2.11 2.12 2.21 2.22 2.23 2.24 2.25 2.31 2.32 2.33 2.36 3.11 3.12 3.13 3.14 3.16 "
                "3.18 3.90 4.10 4.32 4.41 4.90").split()
SMS_CODES = ["2.20", "3.30"]  # web links by SMS, given at the close (docs/sms.md)


def test_catalogue_holds_every_final_code_and_the_interim_outcomes():
    finals = {o.code for o in outcomes.FINAL}
    assert finals == set(DOMAIN_CODES + SMS_CODES)
    assert {o.code for o in outcomes.INTERIM} >= {"no_answer", "busy", "answer_machine", "callback", "soft_refusal"}
    assert outcomes.get("soft_refusal").group == "R" and outcomes.get("soft_refusal").contact
    assert outcomes.get("no_answer").group == "U" and not outcomes.get("no_answer").contact
    assert all(not o.final and o.retry_minutes >= 0 for o in outcomes.INTERIM)
    width = ContactAttempt.__table__.c.outcome.type.length
    assert all(len(code) <= width for code in outcomes.OUTCOMES)  # every code fits its column
    interim, final = outcomes.choices("phone")
    assert "1.1" not in {o.code for o in final}  # completes come from the interview only
    assert "nobody_home" not in {o.code for o in interim}


@pytest.mark.parametrize("history,retired,expected", [
    (["no_answer", "1.2", "1.1"], False, "1.1"),       # a complete wins
    (["soft_refusal", "1.2"], False, "1.2"),            # then a partial
    (["no_answer", "2.11", "4.32"], False, "4.32"),     # else the last final code
    (["no_answer", "soft_refusal", "busy"], True, "2.11"),  # contact, last contact a soft refusal
    (["callback", "no_answer"], True, "2.36"),          # other contact
    (["no_answer", "busy"], True, "3.90"),              # never any contact, retired at the limit
    ([], False, "3.11"),                                # never tried
    (["no_answer", "busy"], False, "3.12"),             # still open: the last interim outcome's code
])
def test_final_disposition_rule(history, retired, expected):
    assert outcomes.final_disposition(history, retired=retired) == expected


def test_interim_outcome_keeps_the_case_open_and_a_final_code_closes_it(db):
    wave = field_wave(db)
    inv = field_case(db, wave)
    user = interviewer(db)
    db.commit()
    queue.take_next(db, user, now=IN_HOURS)
    cases.record_attempt(db, inv, user, "no_answer", note="rang 10 times", now=IN_HOURS)
    db.commit()
    assert (inv.status, inv.attempts, inv.locked_by, inv.assigned_to) == ("open", 1, None, user.id)
    assert inv.next_try_at == IN_HOURS + dt.timedelta(minutes=120)
    later = IN_HOURS + 3 * HOUR
    assert queue.take_next(db, user, now=later).id == inv.id
    cases.record_attempt(db, inv, user, "2.11", now=later)
    db.commit()
    assert (inv.status, inv.disposition, inv.attempts) == ("done", "2.11", 2)
    assert [a.outcome for a in db.query(ContactAttempt).filter_by(invitation_id=inv.id).order_by(ContactAttempt.id)] == ["no_answer", "2.11"]
    assert db.query(AuditEvent).filter_by(action="fieldwork.attempt", entity_id=str(inv.id)).count() == 2


def test_max_attempts_without_contact_closes_with_3_90(db):
    wave = field_wave(db, max_attempts=2, retry_wait_minutes=60)
    inv = field_case(db, wave)
    user = interviewer(db)
    db.commit()
    for k, code in enumerate(["no_answer", "busy"]):
        now = IN_HOURS + k * 3 * HOUR
        assert queue.take_next(db, user, now=now).id == inv.id
        cases.record_attempt(db, inv, user, code, now=now)
        db.commit()
    assert (inv.status, inv.disposition) == ("done", "3.90")


def test_callback_needs_a_future_time_and_sets_the_appointment(db):
    wave = field_wave(db)
    inv = field_case(db, wave)
    user = interviewer(db)
    db.commit()
    queue.take_next(db, user, now=IN_HOURS)
    with pytest.raises(ValidationFailed):
        cases.record_attempt(db, inv, user, "callback", now=IN_HOURS)
    with pytest.raises(ValidationFailed):
        cases.record_attempt(db, inv, user, "callback", appointment_at=IN_HOURS - HOUR, now=IN_HOURS)
    cases.record_attempt(db, inv, user, "callback", appointment_at=IN_HOURS + 2 * HOUR, now=IN_HOURS)
    db.commit()
    assert inv.appointment_at == IN_HOURS + 2 * HOUR and inv.status == "open"
    assert queue.take_next(db, user, now=IN_HOURS + HOUR) is None  # not due yet
    assert queue.take_next(db, user, now=IN_HOURS + 2 * HOUR).id == inv.id


def test_recording_needs_the_lock_and_a_known_code(db):
    wave = field_wave(db)
    inv = field_case(db, wave)
    user, other = interviewer(db), interviewer(db)
    db.commit()
    with pytest.raises(Conflict):
        cases.record_attempt(db, inv, user, "no_answer", now=IN_HOURS)
    queue.take_next(db, user, now=IN_HOURS)
    with pytest.raises(Conflict):
        cases.record_attempt(db, inv, other, "no_answer", now=IN_HOURS)
    with pytest.raises(ValidationFailed):
        cases.record_attempt(db, inv, user, "9.99", now=IN_HOURS)
    with pytest.raises(ValidationFailed):  # a complete needs the interview's answers
        cases.record_attempt(db, inv, user, "1.1", now=IN_HOURS)


def test_callback_on_the_last_allowed_attempt_is_refused_and_changes_nothing(db):
    wave = field_wave(db, max_attempts=2, retry_wait_minutes=60)
    inv = field_case(db, wave)
    user = interviewer(db)
    db.commit()
    queue.take_next(db, user, now=IN_HOURS)
    cases.record_attempt(db, inv, user, "no_answer", now=IN_HOURS)
    db.commit()
    later = IN_HOURS + 3 * HOUR
    assert queue.take_next(db, user, now=later).id == inv.id
    db.commit()
    with pytest.raises(ValidationFailed, match="last allowed attempt"):
        cases.record_attempt(db, inv, user, "callback", appointment_at=later + HOUR, now=later)
    db.rollback()
    db.refresh(inv)
    assert (inv.status, inv.attempts, inv.appointment_at) == ("open", 1, None)
    cases.record_attempt(db, inv, user, "2.11", now=later)  # a final outcome is still accepted
    assert (inv.status, inv.disposition) == ("done", "2.11")
