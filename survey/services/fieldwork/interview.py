"""Interviewer mode: the client's questionnaire read aloud, saved half-way and resumed, then stored.

A half-finished interview's answers are kept on the invitation (``interview_draft``) while the
case stays open, so a draft never counts as a response.  Finishing stores the response with
``responses.submit`` (the same single-use claim as the web form) with the case's mode
(phone / in_person) and the interviewer, and records the attempt: 1.1 for a complete
interview, 1.2 for one that ended early (a partial keeps the answers that were valid).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from survey.errors import Conflict
from survey.models import Invitation, Question, Response, StaffUser, utcnow
from survey.services import audit, responses
from survey.services.fieldwork.cases import record_attempt
from survey.services.fieldwork.queue import holds_lock


def draft_values(inv: Invitation) -> dict[str, Any]:
    return dict((inv.interview_draft or {}).get("values") or {})


def save_draft(session: Session, inv: Invitation, user: StaffUser, values: Mapping[str, Any], *,
               now: dt.datetime | None = None) -> None:
    """Keep the answers given so far; the interview can be resumed from the case screen."""
    now = now or utcnow()
    if not holds_lock(inv, user, now):
        raise Conflict(_l("take the case before interviewing"))
    started = (inv.interview_draft or {}).get("started_at") or now.isoformat()
    inv.interview_draft = {"values": {k: v for k, v in values.items() if v not in (None, "", [])},
                           "started_at": started, "saved_at": now.isoformat(), "interviewer_id": user.id}
    session.flush()
    audit.record(session, user, "fieldwork.interview_saved", "invitation", inv.id, answered=len(inv.interview_draft["values"]))


def finish(session: Session, inv: Invitation, user: StaffUser, questions: list[Question],
           values: Mapping[str, Any], problems: Mapping[str, str], *, partial: bool = False,
           locale: str | None = None, note: str | None = None, now: dt.datetime | None = None) -> Response:
    """Store the interview as a response (complete, or partial when it ended early) and close the case.

    ``problems`` come from ``responses.parse_answers``; a complete interview must have none,
    a partial one drops the answers that are wrong or missing.
    """
    now = now or utcnow()
    if not holds_lock(inv, user, now):
        raise Conflict(_l("take the case before interviewing"))
    if problems and not partial:
        raise Conflict(_l("the interview has unanswered questions"))
    kept = {k: v for k, v in values.items() if k not in problems and v not in (None, "", [])}
    started = (inv.interview_draft or {}).get("started_at")
    started_at = dt.datetime.fromisoformat(started) if started else now
    # the attempt first (it needs the lock), then the response: submit() claims the link and sets 1.1/1.2
    attempt_code = "1.2" if partial else "1.1"
    record_attempt(session, inv, user, attempt_code, note=note, now=now, interview=True)
    inv.interview_draft = None
    session.flush()
    response = responses.submit(session, inv, questions, kept, mode=inv.mode, locale=locale, interviewer=user,
                                status="partial" if partial else "complete", started_at=started_at, now=now)
    audit.record(session, user, "fieldwork.interview_finished", "invitation", inv.id, status=response.status)
    return response
