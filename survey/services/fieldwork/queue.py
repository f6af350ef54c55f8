"""The interviewer's queue: which case to work next, and the short lock that makes it theirs.

A case may be offered to an interviewer only if it is an open phone or visit case of a wave
in field, not assigned to someone else, not locked by anyone (or the lock has expired), its
client has not opted out and is not managed by the interviewer (independence), it has not
reached the wave's maximum number of attempts, and the local time in the client's branch is
within the wave's calling hours.  Among those, due appointments come first, then cases never
tried, then retries whose wait since the last attempt has passed.

Taking a case is a guarded conditional UPDATE (``... WHERE locked_by IS NULL OR
locked_until < now``) whose row count says who won; on PostgreSQL the candidate is first
selected ``FOR UPDATE SKIP LOCKED`` so concurrent interviewers do not even queue on the
same row.  Two interviewers pressing "next" at once never receive the same case.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, false, or_, select, true, update
from sqlalchemy.orm import Session

from survey.db import is_sqlite
from survey.errors import Conflict, ValidationFailed
from survey.localtime import DEFAULT_TZ, hours_text, local_time, zone
from survey.models import Branch, Client, Invitation, StaffUser, Wave, utcnow
from survey.services import audit
from survey.services.waves import wave_settings

LOCK_MINUTES = 20
FIELD_MODES = ("phone", "in_person")
WORKED_KINDS = ("sample", "hand")  # win-back invitations have their own flow


def within_hours(now: dt.datetime, timezone: str | None, hours) -> bool:
    """Is ``now`` inside ``[start_hour, end_hour)`` local time in ``timezone``?"""
    start, end = int(hours[0]), int(hours[1])
    return start <= now.astimezone(zone(timezone)).hour < end


def next_window(now: dt.datetime, timezone: str | None, hours) -> dt.datetime:
    """When calling hours next open in ``timezone`` (``now`` itself when they are open)."""
    if within_hours(now, timezone, hours):
        return now
    start, end = int(hours[0]), int(hours[1])
    local = now.astimezone(zone(timezone))
    day = local.date() if local.hour < start and start < end else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(start), tzinfo=zone(timezone))


def check_appointment_hours(session: Session, inv: Invitation, when: dt.datetime | None) -> None:
    """Refuse an appointment outside the wave's calling hours in the client's branch zone, naming the hours."""
    if when is None:
        return
    hours = wave_settings(inv.wave)["calling_hours"]
    tz = branch_timezone(session, inv.client.branch_code)
    if not within_hours(when, tz, hours):
        why = _l("%(when)s is outside calling hours: appointments can be made from %(hours)s (%(zone)s)",
                 when=local_time(when, tz), hours=hours_text(hours), zone=zone(tz).key)
        raise ValidationFailed(why, [("appointment_at", "calling_hours")])


def branch_timezone(session: Session, branch_code: str) -> str:
    return session.scalar(select(Branch.timezone).where(Branch.code == branch_code)) or DEFAULT_TZ


def branch_zones(session: Session) -> dict[str, str]:
    """``{branch code: time zone}``; pages look clients' branches up here (unknown: the default zone)."""
    return dict(session.execute(select(Branch.code, Branch.timezone)).all())


def _hours_condition(session: Session, now: dt.datetime, hours):
    """SQL condition: the client's branch is inside calling hours now (unknown branches: default zone)."""
    zones = session.execute(select(Branch.code, Branch.timezone)).all()
    allowed = [code for code, tz in zones if within_hours(now, tz, hours)]
    known = [code for code, _tz in zones]
    cond = Client.branch_code.in_(allowed) if allowed else false()
    if within_hours(now, DEFAULT_TZ, hours):
        cond = or_(cond, Client.branch_code.not_in(known)) if known else or_(cond, Client.branch_code.isnot(None))
    return cond


def _who_may_work(user: StaffUser, now: dt.datetime, *, free_only: bool = True) -> list:
    """Conditions that do not depend on the clock of the case: open, free, independent, not opted out."""
    conds = [
        Invitation.status == "open",
        Invitation.kind.in_(WORKED_KINDS),  # sample cases and clients invited by hand for a call or visit
        Invitation.mode.in_(FIELD_MODES),
        Client.opted_out.is_(False),
        or_(Invitation.assigned_to.is_(None), Invitation.assigned_to == user.id),
    ]
    if free_only:
        conds.append(or_(Invitation.locked_by.is_(None), Invitation.locked_until < now))
    if user.employee_code:
        conds.append(Client.manager_code != user.employee_code)
    return conds


def queue_query(session: Session, user: StaffUser, now: dt.datetime, *, wave_id: int | None = None,
                any_hour: bool = False):
    """A SELECT of the ids of the cases ``user`` may take now, most urgent first.

    ``any_hour`` leaves calling hours out (the cases that wait only for the clock).
    """
    due = and_(Invitation.appointment_at.isnot(None), Invitation.appointment_at <= now)
    per_wave = []
    field_waves = select(Wave).where(Wave.status == "in_field")
    if wave_id is not None:
        field_waves = field_waves.where(Wave.id == wave_id)
    for wave in session.scalars(field_waves):
        s = wave_settings(wave)
        waited = now - dt.timedelta(minutes=int(s["retry_wait_minutes"]))
        fresh = and_(Invitation.attempts == 0, Invitation.appointment_at.is_(None))
        retry = and_(
            Invitation.attempts > 0,
            Invitation.appointment_at.is_(None),
            or_(Invitation.last_attempt_at.is_(None), Invitation.last_attempt_at <= waited),
            or_(Invitation.next_try_at.is_(None), Invitation.next_try_at <= now),
        )
        per_wave.append(and_(
            Invitation.wave_id == wave.id,
            Invitation.attempts < int(s["max_attempts"]),
            true() if any_hour else _hours_condition(session, now, s["calling_hours"]),
            or_(due, fresh, retry),
        ))
    priority = case((due, 0), (Invitation.attempts == 0, 1), else_=2)
    return (
        select(Invitation.id)
        .join(Client, Client.id == Invitation.client_id)
        .where(*_who_may_work(user, now), or_(*per_wave) if per_wave else false())
        .order_by(priority, Invitation.appointment_at, Invitation.last_attempt_at,
                  Invitation.release_rank, Invitation.id)
    )


def next_opening(session: Session, user: StaffUser, *, now: dt.datetime | None = None):
    """For an empty queue: (when, zone, hours) at which calling hours next open for a case ``user``
    could otherwise work now, or None when no case waits only for the clock."""
    now = now or utcnow()
    waiting = queue_query(session, user, now, any_hour=True).with_only_columns(Invitation.wave_id, Client.branch_code)
    pairs = session.execute(waiting.order_by(None).distinct().limit(200)).all()
    best = None
    for wave_id, branch_code in pairs:
        hours = wave_settings(session.get(Wave, wave_id))["calling_hours"]
        tz = branch_timezone(session, branch_code)
        opens = next_window(now, tz, hours)
        if opens > now and (best is None or opens < best[0]):
            best = (opens, zone(tz).key, hours_text(hours))
    return best


def _claim(session: Session, inv_id: int, user: StaffUser, now: dt.datetime, minutes: int,
           *, own_lock_ok: bool = False) -> bool:
    free = or_(Invitation.locked_by.is_(None), Invitation.locked_until < now)
    if own_lock_ok:
        free = or_(free, Invitation.locked_by == user.id)
    won = session.execute(
        update(Invitation)
        .where(Invitation.id == inv_id, Invitation.status == "open", free)
        .values(locked_by=user.id, locked_until=now + dt.timedelta(minutes=minutes))
        .execution_options(synchronize_session=False)
    ).rowcount
    return won == 1


def take_next(session: Session, user: StaffUser, *, now: dt.datetime | None = None,
              wave_id: int | None = None, lock_minutes: int = LOCK_MINUTES) -> Invitation | None:
    """Lock the most urgent case ``user`` may work now and return it, or None when the queue is empty."""
    now = now or utcnow()
    query = queue_query(session, user, now, wave_id=wave_id)
    sqlite = is_sqlite(session)
    for _round in range(20):
        if sqlite:
            candidates = session.scalars(query.limit(10)).all()
        else:
            candidates = session.scalars(
                query.limit(1).with_for_update(skip_locked=True, of=Invitation)
            ).all()
        if not candidates:
            return None
        for inv_id in candidates:
            if _claim(session, inv_id, user, now, lock_minutes):
                inv = session.get(Invitation, inv_id, populate_existing=True)
                audit.record(session, user, "fieldwork.case_taken", "invitation", inv_id,
                             locked_until=inv.locked_until.isoformat())
                return inv
    return None


def holds_lock(inv: Invitation, user: StaffUser, now: dt.datetime | None = None) -> bool:
    now = now or utcnow()
    return inv.locked_by == user.id and inv.locked_until is not None and inv.locked_until > now


def hold(session: Session, inv: Invitation, user: StaffUser, *, now: dt.datetime | None = None,
         check_hours: bool = True, lock_minutes: int = LOCK_MINUTES) -> Invitation:
    """Lock (or keep locked) one chosen case for ``user``; Conflict says why it cannot be worked."""
    now = now or utcnow()
    # only a case assigned to the user or already handed to them by the queue: never a free pick
    mine = or_(Invitation.assigned_to == user.id, Invitation.locked_by == user.id)
    row = session.execute(
        select(Invitation.id).join(Client, Client.id == Invitation.client_id)
        .where(Invitation.id == inv.id, mine, *_who_may_work(user, now, free_only=False))
    ).first()
    if row is None:
        raise Conflict(_l("this case cannot be worked by you"))
    if check_hours:
        s = wave_settings(inv.wave)
        if inv.attempts >= int(s["max_attempts"]):
            raise Conflict(_l("this case has reached its maximum number of attempts"))
        tz = branch_timezone(session, inv.client.branch_code)
        if not within_hours(now, tz, s["calling_hours"]):
            raise Conflict(_l("it is outside calling hours for this client (%(hours)s, %(zone)s); they open again at %(when)s",
                              hours=hours_text(s["calling_hours"]), zone=zone(tz).key,
                              when=local_time(next_window(now, tz, s["calling_hours"]), tz)))
    if not _claim(session, inv.id, user, now, lock_minutes, own_lock_ok=True):
        raise Conflict(_l("another interviewer is working on this case"))
    session.refresh(inv)
    return inv


def release(session: Session, inv: Invitation, user: StaffUser) -> None:
    """Give a case back to the pool (only its holder can)."""
    session.execute(
        update(Invitation).where(Invitation.id == inv.id, Invitation.locked_by == user.id)
        .values(locked_by=None, locked_until=None).execution_options(synchronize_session=False)
    )
    session.refresh(inv)


def my_cases(session: Session, user: StaffUser) -> list[Invitation]:
    """The open phone and visit cases on ``user``'s list (assigned or locked to them), appointments first."""
    return list(session.scalars(
        select(Invitation).join(Wave, Wave.id == Invitation.wave_id)
        .where(Wave.status == "in_field", Invitation.status == "open", Invitation.mode.in_(FIELD_MODES),
               or_(Invitation.assigned_to == user.id, Invitation.locked_by == user.id))
        .order_by(Invitation.appointment_at.is_(None), Invitation.appointment_at, Invitation.id)
    ))
