"""The survey form's layout: questions grouped into numbered blocks (a grid is one block), conditions in words."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _

from survey.services.conditions import NA
from survey.services.questionnaires import SATISFACTION5


@dataclass
class Block:
    """One numbered block of the form: a question, or a grid with its items (each a question of its own)."""

    number: int
    code: str
    questions: list = field(default_factory=list)
    grid: dict | None = None  # the grid's definition entry
    show_if: dict | None = None

    @property
    def question(self):
        return self.questions[0]


def blocks(questions, definition: dict) -> list[Block]:
    grids = {q["code"]: q for q in definition.get("questions", []) if q.get("type") == "grid"}
    out: list[Block] = []
    for q in questions:
        grid = getattr(q, "grid", None)
        if grid and out and out[-1].code == grid:
            out[-1].questions.append(q)
            continue
        out.append(Block(len(out) + 1, grid or q.code, [q], grids.get(grid), getattr(q, "show_if", None)))
    return out


def labels(layout: list[Block], lang: str, interview: bool = False) -> tuple[dict, dict, dict]:
    """``(numbers, texts, by_code)`` for every question of ``layout``: its block's number, its text as the form
    names it (a grid item after its grid's text; an interviewer's wording where there is one), itself."""
    numbers, texts, by_code = {}, {}, {}
    for b in layout:
        for q in b.questions:
            numbers[q.code], by_code[q.code] = b.number, q
            own = (interview and getattr(q, f"interview_text_{lang}", None)) or getattr(q, f"text_{lang}")
            texts[q.code] = f"{b.grid['text'][lang]}: {own}" if b.grid else own
    return numbers, texts, by_code


def _answer_words(q, value, lang: str) -> str:
    if value == NA:
        return _("not applicable")
    if q.type == "satisfaction5":
        return next((zh if lang == "zh" else en for v, zh, en in SATISFACTION5 if v == value), str(value))
    if q.type in ("single", "multiple"):
        return next((o["label"][lang] for o in q.options if o["code"] == value), str(value))
    return str(value)


def condition_words(cond: dict, questions, lang: str) -> str:
    """``cond`` as a sentence part in the reader's language, naming each question by number and text."""
    if "all" in cond or "any" in cond:
        joiner = _(" and ") if "all" in cond else _(" or ")
        parts = [condition_words(c, questions, lang) for c in cond.get("all") or cond.get("any")]
        return "(" + joiner.join(parts) + ")" if len(parts) > 1 else parts[0]
    numbers = {q.code: b.number for b in blocks(questions, {}) for q in b.questions}
    q = next(q for q in questions if q.code == cond["question"])
    text = q.text_zh if lang == "zh" else q.text_en
    name = _("question %(n)s (“%(text)s”)", n=numbers[q.code], text=text)
    if "answered" in cond:
        return _("%(question)s is answered", question=name) if cond["answered"] else \
            _("%(question)s is not answered", question=name)
    if "lte" in cond:
        return _("the answer to %(question)s is at most %(value)s", question=name, value=_answer_words(q, cond["lte"], lang))
    if "gte" in cond:
        return _("the answer to %(question)s is at least %(value)s", question=name, value=_answer_words(q, cond["gte"], lang))
    values = cond["in"] if "in" in cond else [cond["eq"]]
    words = _(" or ").join(f"“{_answer_words(q, v, lang)}”" for v in values)
    return _("the answer to %(question)s is %(values)s", question=name, values=words)


def answer_only_if(cond: dict, questions, lang: str) -> str:
    return _("Answer only if %(condition)s.", condition=condition_words(cond, questions, lang))
