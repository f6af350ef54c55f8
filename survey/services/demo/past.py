"""Demo fieldwork before today: a past wave's cases worked to their final codes at dates inside the wave,
and the wave in field's first weeks of interviews.

Phone and visit cases are shared among the interviewers (``fieldwork.assign``) and every call or
visit is recorded with ``fieldwork.cases.record_attempt`` at its date, so past waves carry contact
dates (the next wave's cool-off rule sees them) and each interview carries the interviewer who
took it.  Web links answered are stored as web responses; links never answered are closed with
the code the fieldwork rules give a case nobody could reach (``final_disposition``).  Interviews in
the wave in field go through ``fieldwork.interview.finish`` (the interviewer's own form's service).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from survey.models import Answer, Client, Invitation, Response, StaffUser, Wave
from survey.services.fieldwork import assign as fieldwork_assign
from survey.services.fieldwork import cases as fieldwork_cases
from survey.services.fieldwork import interview as fieldwork_interview
from survey.services.fieldwork import outcomes
from survey.services.fieldwork import queue as fieldwork_queue
from survey.services.fieldwork.queue import FIELD_MODES

# final codes of the cases that did not answer, by mode, and how often each occurs
NONRESPONSE = {
    "phone": (("2.11", "2.21", "2.22", "2.32", "3.13", "3.12", "4.32"), (0.3, 0.2, 0.1, 0.03, 0.25, 0.07, 0.05)),
    "in_person": (("2.11", "2.24", "2.25", "2.32", "3.18", "2.23", "4.10"), (0.3, 0.25, 0.15, 0.03, 0.12, 0.1, 0.05)),
}
INTERIM = {"phone": ("no_answer", "busy", "answer_machine"), "in_person": ("nobody_home",)}


CHUNK = 150


def assign(session: Session, rng: np.random.Generator, wave: Wave) -> None:
    """Share the wave's phone and visit cases among the interviewers."""
    if fieldwork_assign.interviewers(session):
        fieldwork_assign.auto_assign(session, wave, "demo", seed=int(rng.integers(0, 2**31)))


def in_chunks(session: Session, invitation_ids: list[int]) -> Iterator[tuple[list[Invitation], dict[int, StaffUser]]]:
    """The invitations a few at a time, with the interviewers by id; the session is flushed and emptied
    between chunks, so each bulk update of a client (``last_contacted_at``) checks a small identity map."""
    for start in range(0, len(invitation_ids), CHUNK):
        session.flush()
        session.expunge_all()
        ids = invitation_ids[start:start + CHUNK]
        rows = {inv.id: inv for inv in session.scalars(select(Invitation).where(Invitation.id.in_(ids)))}
        yield [rows[i] for i in ids], {u.id: u for u in fieldwork_assign.interviewers(session)}
    session.flush()
    session.expunge_all()


def _tries(session: Session, rng, inv: Invitation, who: StaffUser, start: dt.datetime, n: int) -> dt.datetime:
    at = start
    for _ in range(n):
        fieldwork_cases.record_attempt(session, inv, who, str(rng.choice(INTERIM[inv.mode])), now=at,
                                       require_lock=False)
        at += dt.timedelta(hours=float(rng.uniform(20, 60)))
    return at


def work_case(session: Session, rng, inv: Invitation, staff: dict[int, StaffUser], answered: bool,
              start: dt.datetime) -> tuple[StaffUser | None, dt.datetime]:
    """Work one case to its end; returns the interviewer (None for web) and when it ended."""
    if inv.mode not in FIELD_MODES or not staff:
        if not answered:
            fieldwork_cases.close(session, inv, outcomes.final_disposition([], retired=True))
        return None, start
    who = staff.get(inv.assigned_to) or staff[sorted(staff)[int(rng.integers(len(staff)))]]
    at = _tries(session, rng, inv, who, start, int(rng.random() < 0.4))
    if answered:
        fieldwork_cases.record_attempt(session, inv, who, "1.1", now=at, require_lock=False, interview=True)
    else:
        codes, p = NONRESPONSE[inv.mode]
        fieldwork_cases.record_attempt(session, inv, who, str(rng.choice(codes, p=p)), now=at, require_lock=False)
    return who, at


def interview(session: Session, rng, inv: Invitation, values: dict, start: dt.datetime) -> None:
    """A case of the wave in field tried, then interviewed through the interview service by its interviewer."""
    staff = {u.id: u for u in fieldwork_assign.interviewers(session)}
    who = staff.get(inv.assigned_to) or staff[sorted(staff)[int(rng.integers(len(staff)))]]
    at = _tries(session, rng, inv, who, start, int(rng.random() < 0.4))
    fieldwork_queue.hold(session, inv, who, now=at, check_hours=False)
    fieldwork_interview.finish(session, inv, who, list(inv.wave.questionnaire.questions), values, {},
                               locale="zh_CN", now=at)


def store_response(session: Session, inv: Invitation, values: dict, by_code: dict[str, int],
                   interviewer: StaffUser | None, at: dt.datetime) -> None:
    """The answers of a past wave's respondent, as the survey form or the interview left them."""
    inv.used_at, inv.status, inv.disposition = at, "done", "1.1"
    resp = Response(invitation_id=inv.id, wave_id=inv.wave_id, client_id=inv.client_id, mode=inv.mode,
                    interviewer_id=interviewer.id if interviewer else None, status="complete", locale="zh_CN",
                    started_at=at, submitted_at=at)
    for qcode, v in values.items():
        if isinstance(v, float):
            resp.answers.append(Answer(question_id=by_code[qcode], value_num=v))
        else:
            resp.answers.append(Answer(question_id=by_code[qcode], value_text=str(v)))
    session.add(resp)
    session.execute(update(Client).where(Client.id == inv.client_id).values(last_contacted_at=at)
                    .execution_options(synchronize_session=False))
