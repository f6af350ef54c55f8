"""Drafts: a questionnaire definition (the file format, as a dict) edited question by question.

A draft may be incomplete; ``problems`` runs the file loader's own checker on it.  Published versions
live in ``questionnaires`` and never change: editing one starts a new draft from a copy of it.
"""

from __future__ import annotations

import copy
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.errors import NotFound, ValidationFailed
from survey.form_values import ascii_int
from survey.models import Questionnaire, QuestionnaireDraft, StaffUser, utcnow
from survey.services import audit, questionnaires

# the question fields the editor's form owns; any other field (such as ``role``) is kept as it was
EDITED_FIELDS = ("code", "type", "required", "overall", "na", "text", "interview_text", "options", "items",
                 "scale", "min", "max", "decimals", "show_if")


def blank_definition(code: str = "new_questionnaire") -> dict:
    return {"code": code, "title": {"zh": "", "en": ""}, "questions": []}


def file_form(definition: dict) -> dict:
    """A stored (normalised) definition back in the file format: no empty or default-only fields."""
    out: dict[str, Any] = {"code": definition["code"], "title": dict(definition["title"])}
    if definition.get("intro"):
        out["intro"] = dict(definition["intro"])
    out["questions"] = []
    for q in definition["questions"]:
        row = {k: copy.deepcopy(v) for k, v in q.items() if v is not None}
        if not row.get("options"):
            row.pop("options", None)
        if row.get("overall") is False:
            row.pop("overall")
        if row.get("na") is False:
            row.pop("na")
        out["questions"].append(row)
    return out


def get_draft(session: Session, draft_id: int) -> QuestionnaireDraft:
    draft = session.get(QuestionnaireDraft, draft_id)
    if draft is None:
        raise NotFound(_l("draft %(id)s not found", id=draft_id))
    return draft


def get_version(session: Session, version_id: int) -> Questionnaire:
    qn = session.get(Questionnaire, version_id)
    if qn is None:
        raise NotFound(_l("questionnaire version %(id)s not found", id=version_id))
    return qn


def find_version(session: Session, spec: str) -> Questionnaire:
    """``CODE`` (its latest version) or ``CODE:VERSION``."""
    code, _sep, number = (spec or "").partition(":")
    version = ascii_int(number) if number else None
    if number and version is None:
        raise ValidationFailed(_l("the version in %(spec)r must be a number", spec=spec))
    qn = questionnaires.latest_version(session, code.strip(), version)
    if qn is None:
        raise NotFound(_l("no questionnaire version %(spec)r", spec=spec))
    return qn


def versions(session: Session) -> list[Questionnaire]:
    return list(session.scalars(select(Questionnaire).order_by(Questionnaire.code, Questionnaire.version.desc())))


def drafts(session: Session) -> list[QuestionnaireDraft]:
    return list(session.scalars(select(QuestionnaireDraft).order_by(QuestionnaireDraft.updated_at.desc(),
                                                                    QuestionnaireDraft.id.desc())))


def new_draft(session: Session, actor: StaffUser | str, *, from_version: Questionnaire | None = None,
              definition: dict | None = None, source: str | None = None) -> QuestionnaireDraft:
    """A draft: blank, a copy of a published version, or an imported definition (kept as given)."""
    if from_version is not None:
        definition = file_form(from_version.definition)
    definition = copy.deepcopy(definition) if definition is not None else blank_definition()
    code = definition.get("code") if isinstance(definition.get("code"), str) else ""
    draft = QuestionnaireDraft(code=code[:64], definition=definition,
                               based_on_id=from_version.id if from_version is not None else None,
                               created_by=actor.id if isinstance(actor, StaffUser) else None)
    session.add(draft)
    session.flush()
    audit.record(session, actor, "questionnaire.draft_created", "questionnaire_draft", draft.id, code=code,
                 from_version=f"{from_version.code}:{from_version.version}" if from_version is not None else None,
                 source=source)
    return draft


def _store(session: Session, draft: QuestionnaireDraft, definition: dict, actor, action: str, **details) -> None:
    draft.definition = definition  # a new dict, so the JSON column sees the change
    draft.code = str(definition.get("code") or "")[:64]
    draft.updated_at = utcnow()
    audit.record(session, actor, action, "questionnaire_draft", draft.id, **details)


def questions_of(draft: QuestionnaireDraft) -> list[dict]:
    qs = draft.definition.get("questions")
    return qs if isinstance(qs, list) else []


def set_meta(session: Session, draft: QuestionnaireDraft, actor, *, code: str, title: dict, intro: dict) -> None:
    definition = copy.deepcopy(draft.definition)
    definition["code"] = code.strip()
    definition["title"] = {k: title.get(k, "").strip() for k in questionnaires.LANGS}
    if any(intro.get(k, "").strip() for k in questionnaires.LANGS):
        definition["intro"] = {k: intro.get(k, "").strip() for k in questionnaires.LANGS}
    else:
        definition.pop("intro", None)
    _store(session, draft, definition, actor, "questionnaire.draft_meta", code=definition["code"])


def save_question(session: Session, draft: QuestionnaireDraft, actor, position: int | None, fields: dict) -> int:
    """Put the question ``fields`` (the editor's fields) at ``position`` (None: add at the end).

    Fields the editor does not own (``role``) are kept from the question it replaces.  Returns the position.
    """
    definition = copy.deepcopy(draft.definition)
    qs = definition.setdefault("questions", [])
    if not isinstance(qs, list):
        qs = definition["questions"] = []
    if position is None:
        qs.append(dict(fields))
        position = len(qs) - 1
        action = "questionnaire.question_added"
    else:
        if not 0 <= position < len(qs):
            raise NotFound(_l("question %(n)s not found", n=position + 1))
        kept = {k: v for k, v in (qs[position] if isinstance(qs[position], dict) else {}).items()
                if k not in EDITED_FIELDS}
        qs[position] = {**kept, **fields}
        action = "questionnaire.question_changed"
    _store(session, draft, definition, actor, action, position=position + 1, question=fields.get("code"))
    return position


def delete_question(session: Session, draft: QuestionnaireDraft, actor, position: int) -> None:
    definition = copy.deepcopy(draft.definition)
    qs = definition.get("questions") or []
    if not 0 <= position < len(qs):
        raise NotFound(_l("question %(n)s not found", n=position + 1))
    gone = qs.pop(position)
    _store(session, draft, definition, actor, "questionnaire.question_deleted", position=position + 1,
           question=gone.get("code") if isinstance(gone, dict) else None)


def move_question(session: Session, draft: QuestionnaireDraft, actor, position: int, step: int) -> int:
    """Move the question one place up (step -1) or down (+1); at either end it stays. Returns its position."""
    definition = copy.deepcopy(draft.definition)
    qs = definition.get("questions") or []
    if not 0 <= position < len(qs):
        raise NotFound(_l("question %(n)s not found", n=position + 1))
    target = position + (1 if step > 0 else -1)
    if not 0 <= target < len(qs):
        return position
    qs[position], qs[target] = qs[target], qs[position]
    code = qs[target].get("code") if isinstance(qs[target], dict) else None
    _store(session, draft, definition, actor, "questionnaire.question_moved", question=code,
           from_position=position + 1, to_position=target + 1)
    return target


def discard(session: Session, draft: QuestionnaireDraft, actor) -> None:
    audit.record(session, actor, "questionnaire.draft_discarded", "questionnaire_draft", draft.id, code=draft.code)
    session.delete(draft)


def problems(definition: dict) -> list[str]:
    """What the file loader's checker says of ``definition`` (empty: it would load)."""
    try:
        questionnaires.validate(definition, source=str(definition.get("code") or "questionnaire"))
    except ValidationFailed as exc:
        return [str(p) for p in exc.problems] or [str(exc)]
    return []


def problems_of_question(all_problems: list[str], definition: dict, position: int) -> list[str]:
    """The problems that name the question at ``position`` (by its code, or by its number when it has none)."""
    qs = definition.get("questions") or []
    q = qs[position] if 0 <= position < len(qs) and isinstance(qs[position], dict) else {}
    marks = [f"question {position + 1}:"]
    if isinstance(q.get("code"), str) and q["code"].strip():
        marks.append(f"question '{q['code']}'")
    return [p for p in all_problems if any(m in p for m in marks)]
