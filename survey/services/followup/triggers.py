"""Called after a response is stored: opens or joins a follow-up case when a trigger is met.

Default triggers: overall satisfaction ≤ 2 (of 5), likelihood to recommend ≤ 6 (of 10), or "yes"
to the question whose definition has role ``contact_request``.  A wave overrides any of them in
``wave.settings["triggers"]``, e.g. ``{"overall_max": 3, "recommend_max": null}`` (null switches
one off, ``{"enabled": false}`` all of them).  A win-back answer never opens a case: it records
on its own case whether the client recovered.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Answer, Client, Invitation, Question, Response, Wave, utcnow
from survey.services.followup import winback as followup_winback
from survey.services.followup.cases import SURVEY_TOPIC, TOPICS, open_case

DEFAULT_TRIGGERS = {"enabled": True, "overall_max": 2, "recommend_max": 6, "contact_request": True,
                    "topic": SURVEY_TOPIC}


def triggers_for(wave: Wave | None) -> dict:
    overrides = ((wave.settings or {}) if wave is not None else {}).get("triggers") or {}
    merged = {**DEFAULT_TRIGGERS, **overrides}
    if merged.get("topic") not in TOPICS:
        merged["topic"] = SURVEY_TOPIC
    return merged


def trigger_reasons(session: Session, response: Response, triggers: dict) -> tuple[list[str], dict]:
    """Which triggers ``response`` meets, and the answers that met them (question code → value)."""
    if not triggers.get("enabled", True):
        return [], {}
    rows = session.execute(
        select(Question, Answer).join(Answer, Answer.question_id == Question.id).where(Answer.response_id == response.id)
    ).all()
    reasons, met = [], {}
    definition = {}
    if rows:
        qn = rows[0][0].questionnaire
        definition = {q["code"]: q for q in qn.definition.get("questions", [])}
    nps_seen = False
    for question, answer in rows:
        role = (definition.get(question.code) or {}).get("role")
        if question.is_overall and triggers.get("overall_max") is not None and answer.value_num is not None:
            if answer.value_num <= float(triggers["overall_max"]):
                reasons.append("overall")
                met[question.code] = answer.value_num
        elif question.type == "nps10" and not nps_seen and triggers.get("recommend_max") is not None:
            nps_seen = True
            if answer.value_num is not None and answer.value_num <= float(triggers["recommend_max"]):
                reasons.append("recommend")
                met[question.code] = answer.value_num
        elif role == "contact_request" and triggers.get("contact_request") and answer.value_text == "yes":
            reasons.append("contact_request")
            met[question.code] = "yes"
    return reasons, met


def _comment(session: Session, response: Response) -> str | None:
    texts = session.scalars(
        select(Answer.value_text).join(Question, Question.id == Answer.question_id)
        .where(Answer.response_id == response.id, Question.type == "text", Answer.value_text.is_not(None))
        .order_by(Question.position)
    ).all()
    return "\n".join(t for t in texts if t.strip())[:2000] or None


def on_response(session: Session, response: Response, now: dt.datetime | None = None) -> None:
    """Open (or join) the client's case when ``response`` meets its wave's triggers."""
    if response.status == "in_progress":  # only answers actually submitted (complete or broken off) count
        return
    now = now or response.submitted_at or utcnow()
    inv = session.get(Invitation, response.invitation_id)
    if inv is not None and inv.kind == "winback":
        followup_winback.record_result(session, inv, response, now)
        return
    wave = session.get(Wave, response.wave_id)
    triggers = triggers_for(wave)
    reasons, met = trigger_reasons(session, response, triggers)
    if not reasons:
        return
    client = session.get(Client, response.client_id)
    open_case(session, client=client, topic=triggers["topic"], channel="survey",
              actor="survey", now=now, summary=_comment(session, response), wave_id=response.wave_id,
              response_id=response.id, reasons=reasons, answers=met)
