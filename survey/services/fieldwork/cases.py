"""One case at a time: recording attempts with their outcome codes, and appointments."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from survey.errors import Conflict, PermissionDenied, ValidationFailed
from survey.models import Branch, Client, ContactAttempt, Invitation, StaffUser, utcnow
from survey.services import audit
from survey.services.fieldwork import outcomes
from survey.services.fieldwork.queue import check_appointment_hours, holds_lock, wave_settings

SUPERVISING = ("supervisor", "admin")


def check_may_view(inv: Invitation, user: StaffUser) -> None:
    """Supervisors see every case; an interviewer sees only the cases assigned to them or handed to them
    by the queue (locked to them), never their own clients'.  An unassigned case is not theirs to open."""
    if user.role in SUPERVISING:
        return
    if user.employee_code and inv.client.manager_code == user.employee_code:
        raise PermissionDenied(_l("you manage this client"))
    if inv.assigned_to != user.id and inv.locked_by != user.id:
        raise PermissionDenied(_l("this case is not on your list"))


def history(session: Session, inv: Invitation) -> list[ContactAttempt]:
    return list(session.scalars(
        select(ContactAttempt).where(ContactAttempt.invitation_id == inv.id)
        .order_by(ContactAttempt.at, ContactAttempt.id)
    ))


def branch_of(session: Session, inv: Invitation) -> Branch | None:
    return session.scalar(select(Branch).where(Branch.code == inv.client.branch_code))


def close(session: Session, inv: Invitation, disposition: str) -> None:
    inv.status = "done"
    inv.disposition = disposition
    inv.locked_by = inv.locked_until = None
    inv.appointment_at = inv.next_try_at = None


def record_attempt(
    session: Session,
    inv: Invitation,
    interviewer: StaffUser,
    outcome: str,
    *,
    note: str | None = None,
    appointment_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
    require_lock: bool = True,
    interview: bool = False,
) -> ContactAttempt:
    """Record one call or visit and its outcome; a final code (or the last allowed attempt) closes the case.

    Interim outcomes keep the case open with its next try no sooner than the outcome's retry
    delay and the wave's retry wait; a callback needs an appointment time, and is refused on
    the last allowed attempt (an appointment that could never be kept).  When the attempt is
    the wave's ``max_attempts``-th and not final, the case is closed with the disposition
    derived by :func:`fieldwork_outcomes.final_disposition`.
    """
    now = now or utcnow()
    try:
        spec = outcomes.get(outcome)
    except ValueError:
        raise ValidationFailed(_l("outcome must be one of %(codes)s but got %(code)r",
                                  codes=", ".join(outcomes.OUTCOMES), code=outcome), [("outcome", "unknown")]) from None
    if outcome in outcomes.INTERVIEW_CODES and not interview:
        raise ValidationFailed(_l("a complete or partial is recorded by the interview itself"),
                               [("outcome", "interview")])
    if inv.status != "open":
        raise Conflict(_l("this case is already closed"))
    if require_lock and not holds_lock(inv, interviewer, now):
        raise Conflict(_l("take the case before recording an attempt"))
    if outcome == "callback" and appointment_at is None:
        raise ValidationFailed(_l("a callback needs a date and time"), [("appointment_at", "required")])
    if appointment_at is not None and appointment_at <= now:
        raise ValidationFailed(_l("the appointment must be in the future"), [("appointment_at", "past")])
    settings = wave_settings(inv.wave)
    if appointment_at is not None and not spec.final and (inv.attempts or 0) + 1 >= int(settings["max_attempts"]):
        # the case would be retired by this very attempt, so the appointment could never be kept
        why = _l("this is the case's last allowed attempt, so a callback could not be kept: record the outcome of this call instead")
        raise ValidationFailed(why, [("appointment_at", "last_attempt")])
    check_appointment_hours(session, inv, appointment_at)
    attempt = ContactAttempt(invitation_id=inv.id, interviewer_id=interviewer.id, at=now, mode=inv.mode,
                             outcome=outcome, is_final=spec.final, note=(note or "").strip()[:2000] or None,
                             appointment_at=appointment_at)
    session.add(attempt)
    inv.attempts = (inv.attempts or 0) + 1
    inv.last_attempt_at = now
    if inv.assigned_to is None:
        inv.assigned_to = interviewer.id
    inv.locked_by = inv.locked_until = None
    if spec.contact:
        session.execute(update(Client).where(Client.id == inv.client_id).values(last_contacted_at=now))
    if spec.final:
        close(session, inv, spec.aapor)
    elif inv.attempts >= int(settings["max_attempts"]):
        session.flush()
        close(session, inv, outcomes.final_disposition(
            [a.outcome for a in history(session, inv)], retired=True))
    else:
        wait = max(spec.retry_minutes, int(settings["retry_wait_minutes"]))
        inv.next_try_at = now + dt.timedelta(minutes=wait)
        inv.appointment_at = appointment_at
    session.flush()
    audit.record(session, interviewer, "fieldwork.attempt", "invitation", inv.id, outcome=outcome,
                 attempt=inv.attempts, status=inv.status, disposition=inv.disposition,
                 appointment_at=appointment_at.isoformat() if appointment_at else None)
    return attempt


def set_appointment(session: Session, inv: Invitation, user: StaffUser, when: dt.datetime | None, *,
                    now: dt.datetime | None = None) -> None:
    """Set, move or (with ``when=None``) cancel a case's callback or visit time."""
    now = now or utcnow()
    if inv.status != "open":
        raise Conflict(_l("this case is already closed"))
    check_may_view(inv, user)
    if when is not None and when <= now:
        raise ValidationFailed(_l("the appointment must be in the future"), [("appointment_at", "past")])
    check_appointment_hours(session, inv, when)
    before = inv.appointment_at
    inv.appointment_at = when
    if inv.assigned_to is None and user.role == "interviewer":
        inv.assigned_to = user.id
    session.flush()
    audit.record(session, user, "fieldwork.appointment", "invitation", inv.id,
                 before=before.isoformat() if before else None, after=when.isoformat() if when else None)
