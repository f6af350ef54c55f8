"""Questionnaire files (YAML or JSON): validation with errors that name the question and field."""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from survey.errors import ValidationFailed
from survey.models import QUESTION_TYPES, Question, Questionnaire
from survey.services import conditions

DEFAULT_FILE = Path(__file__).parent.parent / "questionnaires" / "bank_satisfaction.yaml"
LANGS = ("zh", "en")
NA_TYPES = ("satisfaction5", "nps10", "single", "grid")
GRID_SCALES = ("satisfaction5", "nps10")
CODE_MAX = 64  # questions.code (a grid item's is "<grid>.<item>")

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


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _type_fields(q: dict, qtype: Any, entry: dict, where: str, problems: list[str]) -> None:
    """The fields only grids (scale, items) and numbers (min, max, decimals) have."""
    own = {"grid": ("scale", "items"), "number": ("min", "max", "decimals")}
    for other, fields in own.items():
        for f in fields:
            if f in q and qtype != other:
                problems.append(f"{where}: field '{f}' only applies to type {other}")
    if qtype == "grid":
        if q.get("scale") not in GRID_SCALES:
            problems.append(f"{where}: field 'scale' must be one of {', '.join(GRID_SCALES)}, not {q.get('scale')!r}")
        items, seen = q.get("items"), set()
        if not isinstance(items, list) or not items:
            problems.append(f"{where}: field 'items' must be a non-empty list")
            items = []
        entry["scale"], entry["items"] = q.get("scale"), []
        for j, item in enumerate(items, 1):
            icode = item.get("code") if isinstance(item, dict) else None
            if not isinstance(icode, str) or not icode.strip() or "." in icode or icode in seen:
                problems.append(f"{where}: item {j} needs a unique 'code' without '.'")
            elif len(f"{entry['code']}.{icode}") > CODE_MAX:
                problems.append(f"{where}: item {j} field 'code': '{entry['code']}.{icode}' is longer than {CODE_MAX} characters")
            seen.add(icode)
            text = _labels(item.get("text") if isinstance(item, dict) else None, f"{where}: item {j} field 'text'", problems)
            entry["items"].append({"code": icode, "text": text})
    elif qtype == "number":
        low, high, decimals = q.get("min"), q.get("max"), q.get("decimals", 0)
        if not isinstance(decimals, int) or isinstance(decimals, bool) or not 0 <= decimals <= 6:
            problems.append(f"{where}: field 'decimals' must be a whole number from 0 to 6")
            decimals = 0
        for f, v in (("min", low), ("max", high)):
            if not _number(v):
                problems.append(f"{where}: field '{f}' must be a number")
            elif decimals == 0 and v != int(v):
                problems.append(f"{where}: field '{f}' must be a whole number when 'decimals' is 0")
        if _number(low) and _number(high) and low >= high:
            problems.append(f"{where}: field 'min' must be below field 'max'")
        entry.update(min=low, max=high, decimals=decimals)


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
    out, codes, earlier = [], set(), {}
    all_codes = {q.get("code") for q in questions if isinstance(q, dict) and isinstance(q.get("code"), str)}
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
        if isinstance(qcode, str) and "." in qcode:
            problems.append(f"{where}: field 'code' cannot contain '.' (it names grid items)")
        if isinstance(qcode, str) and len(qcode) > CODE_MAX:
            problems.append(f"{where}: field 'code' is longer than {CODE_MAX} characters")
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
                elif ocode == conditions.NA and q.get("na"):
                    problems.append(f"{where}: option {j} cannot use the code 'na' beside 'na: true'")
                seen.add(ocode)
                label = _labels(opt.get("label") if isinstance(opt, dict) else None, f"{where}: option {j} field 'label'", problems)
                options.append({"code": ocode, "label": label})
        elif q.get("options") not in (None, []):  # an exported file says options: [] for every other type
            problems.append(f"{where}: field 'options' only applies to single and multiple choice")
        for flag in ("required", "overall", "na"):
            if flag in q and not isinstance(q[flag], bool):
                problems.append(f"{where}: field '{flag}' must be true or false")
        if q.get("overall") and qtype != "satisfaction5":
            problems.append(f"{where}: only a satisfaction5 question can be the overall satisfaction")
        if q.get("na") and qtype not in NA_TYPES:
            problems.append(f"{where}: field 'na' only applies to {', '.join(NA_TYPES)}")
        entry = {
            "code": qcode,
            "type": qtype,
            "required": q.get("required", True) is True,
            "overall": q.get("overall") is True,
            "role": q.get("role"),
            "text": _labels(q.get("text"), f"{where}: field 'text'", problems),
            "interview_text": _labels(q.get("interview_text"), f"{where}: field 'interview_text'", problems, required=False),
            "options": options,
        }
        if q.get("na") is True and qtype in NA_TYPES:
            entry["na"] = True
        _type_fields(q, qtype, entry, where, problems)
        if "show_if" in q:
            entry["show_if"] = conditions.check(q["show_if"], earlier, f"{where}: field 'show_if'", problems, later=all_codes)
        out.append(entry)
        earlier[qcode] = entry
        for item in entry.get("items", []):
            earlier[f"{qcode}.{item['code']}"] = {"code": f"{qcode}.{item['code']}", "type": entry["scale"],
                                                  "na": entry.get("na", False), "options": []}
    if sum(q["overall"] for q in out) != 1:
        problems.append(f"{source}: exactly one question must be marked 'overall: true'")
    if problems:
        raise ValidationFailed(f"{source}: {len(problems)} problem(s) in the questionnaire", problems)
    return {"code": code.strip(), "title": title, "intro": intro, "questions": out}


def answer_rows(definition: dict) -> list[dict]:
    """The definition's questions as stored rows: a grid becomes one satisfaction5/nps10 row per item.

    An item's code is ``<grid>.<item>``; it keeps the grid's required flag, ``na`` and ``show_if``,
    and records the grid's code as ``grid`` (its ``options`` hold ``[{"grid": <code>}]``).
    """
    rows = []
    for q in definition["questions"]:
        if q["type"] != "grid":
            rows.append(q)
            continue
        for item in q["items"]:
            rows.append({**{k: v for k, v in q.items() if k not in ("items", "scale")},
                         "code": f"{q['code']}.{item['code']}", "type": q["scale"], "text": item["text"],
                         "interview_text": None, "options": [{"grid": q["code"]}], "grid": q["code"]})
    return rows


def latest_version(session: Session, code: str, version: int | None = None) -> Questionnaire | None:
    """Version ``version`` of questionnaire ``code`` (the latest when None), or None."""
    stmt = select(Questionnaire).where(Questionnaire.code == code)
    if version is not None:
        stmt = stmt.where(Questionnaire.version == version)
    return session.scalar(stmt.order_by(Questionnaire.version.desc()).limit(1))


def dump(definition: dict, fmt: str = "yaml") -> str:
    """A stored definition as file text; loading it back gives the same definition (and so the same version)."""
    if fmt == "json":
        return json.dumps(definition, ensure_ascii=False, indent=2) + "\n"
    return yaml.safe_dump(definition, allow_unicode=True, sort_keys=False, default_flow_style=False, width=1000)


def save(session: Session, definition: dict) -> Questionnaire:
    """Store a validated definition as a new version (or return the latest if identical)."""
    latest = latest_version(session, definition["code"])
    if latest is not None and latest.definition == definition:
        return latest
    version = (session.scalar(select(func.max(Questionnaire.version)).where(Questionnaire.code == definition["code"])) or 0) + 1
    qn = Questionnaire(
        code=definition["code"], version=version,
        title_zh=definition["title"]["zh"], title_en=definition["title"]["en"], definition=definition,
    )
    for pos, q in enumerate(answer_rows(definition)):
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
    na: bool = False
    grid: str | None = None  # the grid's code, for a grid item
    min: float | None = None  # number: bounds and decimals allowed
    max: float | None = None
    decimals: int = 0
    show_if: dict | None = None


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
    # HTML rendered from this version and kept with it (survey.public.blank: a blank form's questions per language)
    rendered: dict = field(default_factory=dict, compare=False, repr=False)


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
    spec = {q["code"]: q for q in answer_rows(qn.definition)}
    form = FormQuestionnaire(
        id=qn.id, code=qn.code, version=qn.version, title_zh=qn.title_zh, title_en=qn.title_en,
        definition=qn.definition,
        questions=tuple(FormQuestion(
            id=q.id, position=q.position, code=q.code, type=q.type, required=q.required, is_overall=q.is_overall,
            role=spec.get(q.code, {}).get("role"), text_zh=q.text_zh, text_en=q.text_en, interview_text_zh=q.interview_text_zh,
            interview_text_en=q.interview_text_en, options=list(q.options or []),
            **{k: spec.get(q.code, {})[k] for k in ("na", "grid", "min", "max", "decimals", "show_if") if k in spec.get(q.code, {})},
        ) for q in qn.questions),
    )
    with _forms_lock:
        _forms.setdefault(key, form)
    return _forms[key]


def form_of_questionnaire(qn: Questionnaire, session: Session | None = None) -> FormQuestionnaire:
    """``form_of`` for a questionnaire already loaded (in ``session``, else in its own)."""
    session = session or object_session(qn)
    return form_of(session, version_key(session, qn.id, qn.code, qn.version, qn.created_at))
