"""What the real form needs to show a draft that is not stored: a questionnaire version built in memory."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

from survey.services import questionnaires

_FIELDS = {f.name for f in dataclasses.fields(questionnaires.FormQuestion)}


def form_of_definition(definition: dict, *, code: str, version: int = 0) -> questionnaires.FormQuestionnaire:
    """``definition`` (already validated) as the form reads a stored version; ids are negative (never stored)."""
    questions = []
    for pos, q in enumerate(questionnaires.answer_rows(definition)):  # a grid: one row per item
        row = {
            "id": -(pos + 1), "position": pos, "code": q["code"], "type": q["type"], "required": q["required"],
            "is_overall": q.get("overall", False), "role": q.get("role"), "text_zh": q["text"]["zh"],
            "text_en": q["text"]["en"], "interview_text_zh": (q.get("interview_text") or {}).get("zh"),
            "interview_text_en": (q.get("interview_text") or {}).get("en"), "options": list(q.get("options") or []),
        }
        row.update({k: v for k, v in q.items() if k in _FIELDS and k not in row and k != "overall"})
        questions.append(questionnaires.FormQuestion(**row))
    return questionnaires.FormQuestionnaire(
        id=0, code=code, version=version, title_zh=definition["title"]["zh"], title_en=definition["title"]["en"],
        definition=definition, questions=tuple(questions))


def preview_wave(form: questionnaires.FormQuestionnaire) -> SimpleNamespace:
    """The little of a wave the form template reads."""
    return SimpleNamespace(id=0, name="preview", status="draft", settings={}, questionnaire=form)
