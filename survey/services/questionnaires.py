"""Questionnaire files (YAML or JSON): validation with errors that name the question and field."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from survey.errors import ValidationFailed
from survey.models import QUESTION_TYPES, Question, Questionnaire

DEFAULT_FILE = Path(__file__).parent.parent / "questionnaires" / "bank_satisfaction.yaml"
LANGS = ("zh", "en")

# the fixed scales: value -> labels
SATISFACTION5 = (
    (5, "非常满意", "Very satisfied"),
    (4, "比较满意", "Satisfied"),
    (3, "一般", "Neutral"),
    (2, "不满意", "Dissatisfied"),
    (1, "很不满意", "Very dissatisfied"),
)


def load_file(path: str | Path) -> dict:
    """Read and validate a questionnaire file; raise ValidationFailed naming each problem."""
    path = Path(path)
    text = path.read_text(encoding="utf-8-sig")
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ValidationFailed(f"{path.name}: not valid {path.suffix[1:].upper()}: {exc}") from exc
    return validate(data, source=path.name)


def _labels(value: Any, where: str, problems: list[str], required: bool = True) -> dict | None:
    if value is None and not required:
        return None
    if not isinstance(value, dict) or any(not isinstance(value.get(k), str) or not value[k].strip() for k in LANGS):
        problems.append(f"{where}: needs a non-empty label in each of zh and en")
        return None
    return {k: value[k].strip() for k in LANGS}


def validate(data: Any, source: str = "questionnaire") -> dict:
    """Normalise a questionnaire definition; every problem names the question and the field."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise ValidationFailed(f"{source}: the top level must be a mapping")
    code = data.get("code")
    if not isinstance(code, str) or not code.strip():
        problems.append(f"{source}: field 'code' is required")
    title = _labels(data.get("title"), f"{source}: field 'title'", problems)
    intro = _labels(data.get("intro"), f"{source}: field 'intro'", problems, required=False)
    questions = data.get("questions")
    if not isinstance(questions, list) or not questions:
        problems.append(f"{source}: field 'questions' must be a non-empty list")
        questions = []
    out, codes = [], set()
    for i, q in enumerate(questions, 1):
        where = f"{source}: question {i}"
        if not isinstance(q, dict):
            problems.append(f"{where}: must be a mapping")
            continue
        qcode = q.get("code")
        if not isinstance(qcode, str) or not qcode.strip():
            problems.append(f"{where}: field 'code' is required")
            qcode = f"#{i}"
        where = f"{source}: question '{qcode}'"
        if qcode in codes:
            problems.append(f"{where}: code is used twice")
        codes.add(qcode)
        qtype = q.get("type")
        if qtype not in QUESTION_TYPES:
            problems.append(f"{where}: field 'type' must be one of {', '.join(QUESTION_TYPES)}, not {qtype!r}")
        options = []
        if qtype in ("single", "multiple"):
            raw = q.get("options")
            if not isinstance(raw, list) or len(raw) < 2:
                problems.append(f"{where}: field 'options' needs at least two options")
                raw = []
            seen = set()
            for j, opt in enumerate(raw, 1):
                ocode = opt.get("code") if isinstance(opt, dict) else None
                if not isinstance(ocode, str) or not ocode or ocode in seen:
                    problems.append(f"{where}: option {j} needs a unique 'code'")
                seen.add(ocode)
                label = _labels(opt.get("label") if isinstance(opt, dict) else None, f"{where}: option {j} field 'label'", problems)
                options.append({"code": ocode, "label": label})
        elif "options" in q:
            problems.append(f"{where}: field 'options' only applies to single and multiple choice")
        for flag in ("required", "overall"):
            if flag in q and not isinstance(q[flag], bool):
                problems.append(f"{where}: field '{flag}' must be true or false")
        if q.get("overall") and qtype != "satisfaction5":
            problems.append(f"{where}: only a satisfaction5 question can be the overall satisfaction")
        out.append({
            "code": qcode,
            "type": qtype,
            "required": q.get("required", True) is True,
            "overall": q.get("overall") is True,
            "role": q.get("role"),
            "text": _labels(q.get("text"), f"{where}: field 'text'", problems),
            "interview_text": _labels(q.get("interview_text"), f"{where}: field 'interview_text'", problems, required=False),
            "options": options,
        })
    if sum(q["overall"] for q in out) != 1:
        problems.append(f"{source}: exactly one question must be marked 'overall: true'")
    if problems:
        raise ValidationFailed(f"{source}: {len(problems)} problem(s) in the questionnaire", problems)
    return {"code": code.strip(), "title": title, "intro": intro, "questions": out}


def save(session: Session, definition: dict) -> Questionnaire:
    """Store a validated definition as a new version (or return the latest if identical)."""
    latest = session.scalar(
        select(Questionnaire).where(Questionnaire.code == definition["code"]).order_by(Questionnaire.version.desc())
    )
    if latest is not None and latest.definition == definition:
        return latest
    version = (session.scalar(select(func.max(Questionnaire.version)).where(Questionnaire.code == definition["code"])) or 0) + 1
    qn = Questionnaire(
        code=definition["code"], version=version,
        title_zh=definition["title"]["zh"], title_en=definition["title"]["en"], definition=definition,
    )
    for pos, q in enumerate(definition["questions"]):
        qn.questions.append(Question(
            position=pos, code=q["code"], type=q["type"], required=q["required"], is_overall=q["overall"],
            text_zh=q["text"]["zh"], text_en=q["text"]["en"],
            interview_text_zh=(q["interview_text"] or {}).get("zh"),
            interview_text_en=(q["interview_text"] or {}).get("en"),
            options=q["options"],
        ))
    session.add(qn)
    session.flush()
    return qn


def ensure_default(session: Session) -> Questionnaire:
    return save(session, load_file(DEFAULT_FILE))


def current(session: Session) -> Questionnaire:
    """The questionnaire new waves use: the one loaded last, else the shipped default."""
    latest = session.scalar(select(Questionnaire).order_by(Questionnaire.created_at.desc(), Questionnaire.id.desc()))
    return latest or ensure_default(session)


def overall_question(qn: Questionnaire) -> Question:
    return next(q for q in qn.questions if q.is_overall)


def question_by_role(qn: Questionnaire, role: str) -> Question | None:
    codes = {q["code"] for q in qn.definition["questions"] if q.get("role") == role}
    return next((q for q in qn.questions if q.code in codes), None)


# --- published versions, cached per process --------------------------------------------------

@dataclass(frozen=True)
class FormQuestion:
    """A question as the form and the triggers read it: plain data, safe to share between requests."""

    id: int
    position: int
    code: str
    type: str
    required: bool
    is_overall: bool
    role: str | None
    text_zh: str
    text_en: str
    interview_text_zh: str | None
    interview_text_en: str | None
    options: list


@dataclass(frozen=True)
class FormQuestionnaire:
    """A stored questionnaire version with its questions in order; a stored version never changes."""

    id: int
    code: str
    version: int
    title_zh: str
    title_en: str
    definition: dict
    questions: tuple[FormQuestion, ...]


_forms: dict[tuple, FormQuestionnaire] = {}
_forms_lock = threading.Lock()


def version_key(session: Session, qn_id: int, code: str, version: int, created_at) -> tuple:
    """What names one stored version in one database (ids alone repeat across databases)."""
    return (str(session.get_bind().url), qn_id, code, version, created_at)


def form_of(session: Session, key: tuple) -> FormQuestionnaire:
    """The questionnaire version ``key`` (from ``version_key``), read from the database once per process."""
    cached = _forms.get(key)
    if cached is not None:
        return cached
    qn = session.get(Questionnaire, key[1])
    roles = {q["code"]: q.get("role") for q in qn.definition.get("questions", [])}
    form = FormQuestionnaire(
        id=qn.id, code=qn.code, version=qn.version, title_zh=qn.title_zh, title_en=qn.title_en,
        definition=qn.definition,
        questions=tuple(FormQuestion(
            id=q.id, position=q.position, code=q.code, type=q.type, required=q.required, is_overall=q.is_overall,
            role=roles.get(q.code), text_zh=q.text_zh, text_en=q.text_en, interview_text_zh=q.interview_text_zh,
            interview_text_en=q.interview_text_en, options=list(q.options or []),
        ) for q in qn.questions),
    )
    with _forms_lock:
        _forms.setdefault(key, form)
    return _forms[key]


def form_of_questionnaire(qn: Questionnaire, session: Session | None = None) -> FormQuestionnaire:
    """``form_of`` for a questionnaire already loaded (in ``session``, else in its own)."""
    session = session or object_session(qn)
    return form_of(session, version_key(session, qn.id, qn.code, qn.version, qn.created_at))
