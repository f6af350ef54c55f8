"""Called after a response is stored: opens or joins a follow-up case when a trigger is met.

Default triggers: overall satisfaction ≤ 2 (of 5), likelihood to recommend ≤ 6 (of 10), or "yes"
to the question whose definition has role ``contact_request``.  A wave overrides any of them in
``wave.settings["triggers"]``, e.g. ``{"overall_max": 3, "recommend_max": null}`` (null switches
one off, ``{"enabled": false}`` all of them).  A win-back answer never opens a case: it records
on its own case whether the client recovered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Answer, Client, Invitation, Question, Response, Wave, utcnow
from survey.services import waves
from survey.services.followup import winback as followup_winback
from survey.services.followup.cases import SURVEY_TOPIC, TOPICS, open_case

DEFAULT_TRIGGERS = {"enabled": True, "overall_max": 2, "recommend_max": 6, "contact_request": True,
                    "topic": SURVEY_TOPIC}


def triggers_for(wave: Wave | None) -> dict:
    """The triggers in force for ``wave`` (the defaults when there is no wave)."""
    return triggers_from(wave.settings if wave is not None else None)


def triggers_from(settings: dict | None) -> dict:
    """The default triggers with a wave's ``settings["triggers"]`` laid over them."""
    overrides = (settings or {}).get("triggers") or {}
    merged = {**DEFAULT_TRIGGERS, **overrides}
    if merged.get("topic") not in TOPICS:
        merged["topic"] = SURVEY_TOPIC
    return merged


def trigger_reasons(questions, values: Mapping[str, Any], triggers: dict) -> tuple[list[str], dict]:
    """Which triggers the answers meet, and the answers that met them (question code → value).

    ``questions`` in form order (``questionnaires.FormQuestion``), ``values`` by question code as
    parsed from the form (or as stored); evaluated in memory, without the database.
    """
    if not triggers.get("enabled", True):
        return [], {}
    reasons, met = [], {}
    nps_seen = False
    for question in questions:
        value = values.get(question.code)
        if value in (None, "", []):
            continue
        if question.is_overall and triggers.get("overall_max") is not None:
            if _number(value) is not None and _number(value) <= float(triggers["overall_max"]):
                reasons.append("overall")
                met[question.code] = _number(value)
        elif (question.type == "nps10" and not getattr(question, "grid", None) and not nps_seen
              and triggers.get("recommend_max") is not None):  # the NPS question, not an item of a 0-10 grid
            nps_seen = True
            if _number(value) is not None and _number(value) <= float(triggers["recommend_max"]):
                reasons.append("recommend")
                met[question.code] = _number(value)
        elif question.role == "contact_request" and triggers.get("contact_request") and value == "yes":
            reasons.append("contact_request")
            met[question.code] = "yes"
    return reasons, met


def _number(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def comment_of(questions, values: Mapping[str, Any]) -> str | None:
    """The free-text answers in question order, as the case summary."""
    texts = [str(values[q.code]) for q in questions if q.type == "text" and values.get(q.code) not in (None, "")]
    return "\n".join(t for t in texts if t.strip())[:2000] or None


def on_submitted(session: Session, inv, response: Response, questions, values: Mapping[str, Any],
                 settings: dict | None, now: dt.datetime | None = None) -> None:
    """Open (or join) the client's case when the answers just stored meet the wave's triggers.

    ``inv`` is the invitation (or the ``invitations.Link``) answered, ``settings`` its wave's settings;
    the database is read only when a case opens or a win-back answer is recorded.
    """
    if response.status == "in_progress":  # only answers actually submitted (complete or broken off) count
        return
    now = now or response.submitted_at or utcnow()
    if inv.kind == "winback":
        followup_winback.record_result(session, inv, response, now)
        return
    triggers = triggers_from(settings)
    reasons, met = trigger_reasons(questions, values, triggers)
    if not reasons:
        return
    client = session.get(Client, response.client_id)
    open_case(session, client=client, topic=triggers["topic"], channel="survey",
              actor="survey", now=now, summary=comment_of(questions, values), wave_id=response.wave_id,
              response_id=response.id, reasons=reasons, answers=met)


def on_response(session: Session, response: Response, now: dt.datetime | None = None) -> None:
    """``on_submitted`` for a response already stored: its answers are read back from the database."""
    inv = session.get(Invitation, response.invitation_id)
    wave = session.get(Wave, response.wave_id)
    questions = waves.questions_of(wave)
    values = {code: (num if num is not None else text) for code, num, text in session.execute(
        select(Question.code, Answer.value_num, Answer.value_text).join(Answer, Answer.question_id == Question.id)
        .where(Answer.response_id == response.id))}
    on_submitted(session, inv, response, questions, values, wave.settings, now)
