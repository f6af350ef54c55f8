"""Answers: checking a submitted form against the questionnaire, and storing it exactly once."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from survey.errors import Conflict
from survey.models import Answer, Client, Invitation, Question, Response, StaffUser, Wave, utcnow
from survey.services import conditions, questionnaires
from survey.services.followup import triggers as followup_triggers
from survey.services.invitations import Link

MAX_TEXT = 2000
# problem codes; the views turn them into sentences in the reader's language
REQUIRED, NOT_A_CHOICE, TOO_LONG, BAD_CHARACTER = "required", "not_a_choice", "too_long", "bad_character"
NOT_A_NUMBER, OUT_OF_RANGE = "not_a_number", "out_of_range"
NUMBER = re.compile(r"-?[0-9]{1,12}(?:\.([0-9]{1,12}))?")


def is_score(raw: str, bottom: int, top: int) -> bool:
    """ASCII digits only (no ², no full-width digits) and within the scale; short, so never huge."""
    return raw.isascii() and raw.isdigit() and len(raw) <= 3 and bottom <= int(raw) <= top


def field_name(question: Question) -> str:
    return f"q_{question.code}"


def form_questions(session: Session | None, questions) -> list:
    """ORM questions as the version's cached form questions (which know na, grids, bounds and conditions)."""
    questions = list(questions)
    if questions and isinstance(questions[0], Question):
        qn = questions[0].questionnaire
        return list(questionnaires.form_of_questionnaire(qn, session).questions)
    return questions


def _number_problem(q, raw: str) -> str | None:
    match = NUMBER.fullmatch(raw)
    if match is None or len(match.group(1) or "") > (q.decimals or 0):
        return NOT_A_NUMBER
    return None if q.min <= float(raw) <= q.max else OUT_OF_RANGE


def _problem(q, raw: str) -> str | None:
    """What is wrong with a non-empty answer ``raw`` to a one-value question ``q`` (None when it is fine)."""
    if raw == conditions.NA and q.na:
        return None
    if q.type == "text":
        return TOO_LONG if len(raw) > MAX_TEXT else BAD_CHARACTER if "\x00" in raw else None
    if q.type == "single":
        return None if raw in {o["code"] for o in q.options} else NOT_A_CHOICE
    if q.type == "number":
        return _number_problem(q, raw)
    bottom, top = conditions.SCALES[q.type]
    return None if is_score(raw, bottom, top) else NOT_A_CHOICE


def parse_answers(questions, form: Mapping) -> tuple[dict[str, Any], dict[str, str]]:
    """Read each shown question's answer from ``form``; returns (values kept as given, problems by question code).

    Values are kept even when wrong, so the form can be shown again with every answer in place.  A question
    whose ``show_if`` does not hold (on the answers before it) is hidden: never required, its answer dropped.
    """
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    valid: dict[str, Any] = {}  # what later conditions read: the valid answers of shown questions
    for q in form_questions(None, questions):
        if q.show_if is not None and not conditions.evaluate(q.show_if, valid):
            continue
        name = field_name(q)
        if q.type == "multiple":
            raw = [v for v in form.getlist(name) if v] if hasattr(form, "getlist") else list(form.get(name) or [])
            values[q.code] = raw
            allowed = {o["code"] for o in q.options}
            if any(v not in allowed for v in raw):
                problems[q.code] = NOT_A_CHOICE
            elif q.required and not raw:
                problems[q.code] = REQUIRED
            else:
                valid[q.code] = raw
            continue
        raw = form.get(name) or ""
        raw = (raw if isinstance(raw, str) else str(raw)).strip()
        values[q.code] = raw
        problem = (REQUIRED if q.required else None) if not raw else _problem(q, raw)
        if problem:
            problems[q.code] = problem
        else:
            valid[q.code] = raw
    return values, problems


def _answer_rows(response_id: int, questions: list[Question], values: Mapping[str, Any]) -> list[dict]:
    rows = []
    for q in questions:
        v = values.get(q.code)
        if v in (None, "", []):
            continue
        row = {"response_id": response_id, "question_id": q.id, "value_num": None, "value_text": None, "value_json": None}
        if v == conditions.NA and q.na:
            row["value_text"] = conditions.NA
        elif q.type in ("satisfaction5", "nps10", "number"):
            row["value_num"] = float(v)
        elif q.type == "multiple":
            row["value_json"], row["value_text"] = list(v), ";".join(v)
        else:
            row["value_text"] = str(v)
        rows.append(row)
    return rows


# the statements of every submission, built once (no statement or cache key per request)
_CLAIM = (update(Invitation)
          .where(Invitation.id == bindparam("invitation_id"), Invitation.used_at.is_(None))
          .values(used_at=bindparam("now"), status="done", disposition=bindparam("disposition"))
          .execution_options(synchronize_session=False))
_CONTACTED = (update(Client).where(Client.id == bindparam("client_id")).values(last_contacted_at=bindparam("now"))
              .execution_options(synchronize_session=False))
_ANSWERS = insert(Answer.__table__)


def submit(
    session: Session,
    inv: Invitation | Link,
    questions: list[Question],
    values: Mapping[str, Any],
    *,
    mode: str,
    locale: str | None = None,
    interviewer: StaffUser | None = None,
    status: str = "complete",
    started_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
    settings: dict | None = None,
) -> Response:
    """Store one response for ``inv``; a second submission (even a concurrent one) raises Conflict.

    The invitation is claimed by a conditional UPDATE (``used_at IS NULL``): of two concurrent
    submissions exactly one sees a row updated.  The unique ``responses.invitation_id`` backs it up.
    The answers go in one executemany; the follow-up triggers are checked on ``values`` in memory.
    ``settings`` are the wave's (read from the database when not given).
    """
    now = now or utcnow()
    questions = form_questions(session, questions)
    shown = conditions.visible(questions, values)
    values = {k: v for k, v in values.items() if k in shown}  # an answer to a hidden question is never stored
    disposition = "1.1" if status == "complete" else "1.2"
    claimed = session.execute(_CLAIM, {"invitation_id": inv.id, "now": now, "disposition": disposition}).rowcount
    if claimed != 1:
        raise Conflict(_l("this survey has already been answered"))
    if isinstance(inv, Invitation):  # the caller's object shows the claim without reading it back
        for key, value in (("used_at", now), ("status", "done"), ("disposition", disposition)):
            set_committed_value(inv, key, value)
    response = Response(
        invitation_id=inv.id, wave_id=inv.wave_id, client_id=inv.client_id, mode=mode,
        interviewer_id=interviewer.id if interviewer else None, status=status, locale=locale,
        started_at=started_at or now, submitted_at=now,
    )
    session.add(response)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(_l("this survey has already been answered")) from exc
    rows = _answer_rows(response.id, questions, values)
    if rows:
        session.execute(_ANSWERS, rows)
    session.execute(_CONTACTED, {"client_id": inv.client_id, "now": now})
    if settings is None:
        settings = session.scalar(select(Wave.settings).where(Wave.id == inv.wave_id))
    followup_triggers.on_submitted(session, inv, response, questions, values, settings, now)
    return response
