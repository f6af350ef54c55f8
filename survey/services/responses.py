"""Answers: checking a submitted form against the questionnaire, and storing it exactly once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from survey.errors import Conflict
from survey.models import Answer, Client, Invitation, Question, Response, StaffUser, utcnow
from survey.services.followup import triggers as followup_triggers

MAX_TEXT = 2000
# problem codes; the views turn them into sentences in the reader's language
REQUIRED, NOT_A_CHOICE, TOO_LONG, BAD_CHARACTER = "required", "not_a_choice", "too_long", "bad_character"


def is_score(raw: str, bottom: int, top: int) -> bool:
    """ASCII digits only (no ², no full-width digits) and within the scale; short, so never huge."""
    return raw.isascii() and raw.isdigit() and len(raw) <= 3 and bottom <= int(raw) <= top


def field_name(question: Question) -> str:
    return f"q_{question.code}"


def parse_answers(questions: list[Question], form: Mapping) -> tuple[dict[str, Any], dict[str, str]]:
    """Read each question's answer from ``form``; returns (values kept as given, problems by question code).

    Values are kept even when wrong, so the form can be shown again with every answer in place.
    """
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for q in questions:
        name = field_name(q)
        if q.type == "multiple":
            raw = [v for v in form.getlist(name) if v] if hasattr(form, "getlist") else list(form.get(name) or [])
            values[q.code] = raw
            allowed = {o["code"] for o in q.options}
            if any(v not in allowed for v in raw):
                problems[q.code] = NOT_A_CHOICE
            elif q.required and not raw:
                problems[q.code] = REQUIRED
            continue
        raw = (form.get(name) or "").strip()
        values[q.code] = raw
        if not raw:
            if q.required:
                problems[q.code] = REQUIRED
            continue
        if q.type == "text":
            if len(raw) > MAX_TEXT:
                problems[q.code] = TOO_LONG
            elif "\x00" in raw:
                problems[q.code] = BAD_CHARACTER
        elif q.type == "single":
            if raw not in {o["code"] for o in q.options}:
                problems[q.code] = NOT_A_CHOICE
        else:
            top = 5 if q.type == "satisfaction5" else 10
            bottom = 1 if q.type == "satisfaction5" else 0
            if not is_score(raw, bottom, top):
                problems[q.code] = NOT_A_CHOICE
    return values, problems


def _answer_rows(questions: list[Question], values: Mapping[str, Any]) -> list[Answer]:
    rows = []
    for q in questions:
        v = values.get(q.code)
        if v in (None, "", []):
            continue
        if q.type in ("satisfaction5", "nps10"):
            rows.append(Answer(question_id=q.id, value_num=float(v)))
        elif q.type == "multiple":
            rows.append(Answer(question_id=q.id, value_json=list(v), value_text=";".join(v)))
        else:
            rows.append(Answer(question_id=q.id, value_text=str(v)))
    return rows


def submit(
    session: Session,
    inv: Invitation,
    questions: list[Question],
    values: Mapping[str, Any],
    *,
    mode: str,
    locale: str | None = None,
    interviewer: StaffUser | None = None,
    status: str = "complete",
    started_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Response:
    """Store one response for ``inv``; a second submission (even a concurrent one) raises Conflict.

    The invitation is claimed by a conditional UPDATE (``used_at IS NULL``): of two concurrent
    submissions exactly one sees a row updated.  The unique ``responses.invitation_id`` backs it up.
    """
    now = now or utcnow()
    claimed = session.execute(
        update(Invitation)
        .where(Invitation.id == inv.id, Invitation.used_at.is_(None))
        .values(used_at=now, status="done", disposition="1.1" if status == "complete" else "1.2")
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise Conflict(_l("this survey has already been answered"))
    response = Response(
        invitation_id=inv.id, wave_id=inv.wave_id, client_id=inv.client_id, mode=mode,
        interviewer_id=interviewer.id if interviewer else None, status=status, locale=locale,
        started_at=started_at or now, submitted_at=now,
    )
    response.answers.extend(_answer_rows(questions, values))
    session.add(response)
    session.execute(update(Client).where(Client.id == inv.client_id).values(last_contacted_at=now))
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(_l("this survey has already been answered")) from exc
    session.refresh(inv)
    followup_triggers.on_response(session, response)
    return response
