"""Demo data for fieldwork: the wave in field's cases assigned, attempt histories and appointments.

Everything goes through the fieldwork services (assignment, attempts, appointments), so the
demo shows exactly what a working day leaves behind: cases tried once or twice, callbacks
later today and tomorrow, visits booked, a few refusals and dead numbers, a few cases near
their attempt limit and an overdue appointment or two for the supervisor's dashboard.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Invitation, StaffUser, Wave, utcnow
from survey.services import waves
from survey.services.fieldwork import assign as fieldwork_assign
from survey.services.fieldwork import cases as fieldwork_cases
from survey.services.fieldwork import interview as fieldwork_interview
from survey.services.fieldwork.queue import FIELD_MODES, branch_timezone, next_window, wave_settings

INTERIM_PHONE = np.array(["no_answer", "busy", "answer_machine"])
FINAL_PHONE = np.array(["2.11", "4.32", "2.32", "4.41"])


def build(session: Session, rng: np.random.Generator, wave: Wave, *, now: dt.datetime | None = None) -> None:
    """Add a working day's fieldwork to the demo's wave in field."""
    now = (now or utcnow()).replace(microsecond=0)
    if not fieldwork_assign.interviewers(session):
        return
    fieldwork_assign.auto_assign(session, wave, "demo", seed=int(rng.integers(0, 2**31)))
    staff = {u.id: u for u in session.scalars(select(StaffUser).where(StaffUser.role == "interviewer"))}
    max_attempts = int(wave_settings(wave)["max_attempts"])
    cases = session.scalars(
        select(Invitation).where(Invitation.wave_id == wave.id, Invitation.status == "open",
                                 Invitation.mode.in_(FIELD_MODES), Invitation.assigned_to.isnot(None))
        .order_by(Invitation.id)
    ).all()
    for inv in cases:
        who = staff[inv.assigned_to]
        roll = rng.random()
        if roll < 0.45:
            continue  # not tried yet: today's queue
        tries = int(rng.integers(1, 3)) if roll < 0.9 else max_attempts - 1  # a few near their limit
        start = now - dt.timedelta(hours=float(rng.uniform(20, 48)))
        times = sorted(start + dt.timedelta(hours=float(h)) for h in rng.uniform(0, 18, size=tries))
        for t in times:
            outcome = str(rng.choice(INTERIM_PHONE)) if inv.mode == "phone" else "nobody_home"
            fieldwork_cases.record_attempt(session, inv, who, outcome, now=t, require_lock=False,
                                           note="演示 demo")
        last = now - dt.timedelta(minutes=int(rng.integers(10, 120)))
        fate = rng.random()
        if fate < 0.25 and inv.attempts + 1 < max_attempts:  # a callback or a booked visit, later today or tomorrow
            when = (now + dt.timedelta(hours=float(rng.uniform(1, 30)))).replace(minute=0, second=0)
            # appointments are made within calling hours only
            when = next_window(when, branch_timezone(session, inv.client.branch_code), wave_settings(wave)["calling_hours"])
            fieldwork_cases.record_attempt(session, inv, who, "callback", appointment_at=when, now=last,
                                           require_lock=False, note="客户约定时间 client asked for a later time")
        elif fate < 0.32 and inv.mode == "phone":
            fieldwork_cases.record_attempt(session, inv, who, str(rng.choice(FINAL_PHONE)), now=last,
                                           require_lock=False)
        elif fate < 0.37:
            fieldwork_cases.record_attempt(session, inv, who, "soft_refusal", now=last, require_lock=False,
                                           note="现在不方便 not a good time")
        elif fate < 0.40 and inv.status == "open":  # an appointment nobody kept: overdue on the dashboard
            inv.appointment_at = now - dt.timedelta(hours=float(rng.uniform(1, 5)))
        elif fate < 0.55 and inv.status == "open":  # reached at last: a complete interview
            _interview(session, rng, inv, who, last)
    session.flush()


def _interview(session: Session, rng: np.random.Generator, inv: Invitation, who: StaffUser, at: dt.datetime) -> None:
    questions = waves.questions_of(inv.wave)
    mood = float(rng.normal(4.0, 0.7))
    values: dict[str, str] = {}
    for q in questions:
        if q.type == "satisfaction5":
            values[q.code] = str(int(np.clip(np.rint(mood + rng.normal(0, 0.5)), 1, 5)))
        elif q.type == "nps10":
            values[q.code] = str(int(np.clip(np.rint((mood - 1) * 2.5 + rng.normal(0.5, 1.2)), 0, 10)))
        elif q.type == "single" and q.options:
            values[q.code] = q.options[-1]["code"]
    inv.locked_by, inv.locked_until = who.id, at + dt.timedelta(minutes=20)
    fieldwork_interview.finish(session, inv, who, questions, values, {}, locale="zh_CN", now=at)
