"""Publishing a draft: every label in both languages, the file loader's checker, then a new version."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from survey.errors import Conflict, ValidationFailed
from survey.models import Questionnaire, QuestionnaireDraft, StaffUser, utcnow
from survey.services import audit, questionnaires
from survey.services.questionnaire_editor.drafts import problems as checker_problems


def _labels(value: Any, path: str):
    """Every label ({zh, en} mapping) inside ``value``, with where it is (``options 2 label``)."""
    if isinstance(value, dict):
        if value and set(value) <= set(questionnaires.LANGS):
            yield path, value
            return
        for key, inner in value.items():
            if key not in ("code", "type", "show_if"):
                yield from _labels(inner, f"{path} {key}".strip())
    elif isinstance(value, list):
        for i, inner in enumerate(value, 1):
            yield from _labels(inner, f"{path} {i}")


def missing_translations(definition: dict) -> list[str]:
    """A line per label given in one language only: the question (or the questionnaire) and the field."""
    out = []
    for field in ("title", "intro"):
        for path, label in _labels({field: definition.get(field)}, ""):
            out += _missing(label, f"questionnaire: field '{path}'")
    for i, q in enumerate(definition.get("questions") or [], 1):
        if not isinstance(q, dict):
            continue
        name = f"question '{q['code']}'" if isinstance(q.get("code"), str) and q["code"] else f"question {i}"
        for path, label in _labels({k: v for k, v in q.items()}, ""):
            out += _missing(label, f"{name}: field '{path}'")
    return out


def _missing(label: dict, where: str) -> list[str]:
    filled = {k for k in questionnaires.LANGS if isinstance(label.get(k), str) and label[k].strip()}
    if not filled or filled == set(questionnaires.LANGS):
        return []  # both empty is the checker's business (a required label, or an optional one left out)
    return [f"{where} has no {lang} label" for lang in questionnaires.LANGS if lang not in filled]


def publish(session, draft: QuestionnaireDraft, actor: StaffUser | str) -> Questionnaire:
    """The draft as a new published version (the next number of its code); the draft ends.

    Refused (ValidationFailed, each problem naming the question and field) when a label is missing in one
    language or the checker finds a problem; refused (Conflict) when it equals the code's latest version."""
    definition = draft.definition
    found = missing_translations(definition)
    found += [p for p in checker_problems(definition) if p not in found]
    if found:
        raise ValidationFailed(_l("The draft cannot be published: %(n)s problem(s).", n=len(found)), found)
    normalised = questionnaires.validate(definition, source=str(definition.get("code")))
    latest = session.scalar(select(Questionnaire).where(Questionnaire.code == normalised["code"])
                            .order_by(Questionnaire.version.desc()).limit(1))
    if latest is not None and latest.definition == normalised:
        raise Conflict(_l("This draft is the same as version %(v)s of %(code)s: there is nothing new to publish.",
                          v=latest.version, code=latest.code))
    qn = questionnaires.save(session, normalised)
    qn.published_at = utcnow()
    qn.published_by = actor.id if isinstance(actor, StaffUser) else None
    audit.record(session, actor, "questionnaire.published", "questionnaire", qn.id, code=qn.code,
                 version=qn.version, draft=draft.id,
                 based_on=draft.based_on_id)
    session.delete(draft)
    session.flush()
    return qn
