"""``show_if`` conditions: a small declarative evaluator (no eval) shared by the form, the server and the checker.

A condition is one of::

    {question: CODE, in: [v, ...]}      the answer is one of the values (multiple choice: any chosen code is)
    {question: CODE, eq: v}             the answer is v
    {question: CODE, lte: x} / gte: x   a scale or number answer at most / at least x ("na" never matches)
    {question: CODE, answered: true}    the question has an answer (false: it has none)
    {all: [condition, ...]}             every condition holds
    {any: [condition, ...]}             at least one holds

An unanswered question satisfies nothing but ``answered: false``.  Answers are the raw form values
(strings, lists for multiple choice); questions that are hidden count as unanswered.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

OPERATORS = ("in", "eq", "lte", "gte", "answered")
NA = "na"


def _number(value: Any) -> Decimal | None:
    try:
        out = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return out if out.is_finite() else None


def _same(answer: Any, wanted: Any) -> bool:
    if str(answer) == str(wanted):
        return True
    a, b = _number(answer), _number(wanted)
    return a is not None and b is not None and not isinstance(wanted, bool) and a == b


def evaluate(cond: Mapping, answers: Mapping[str, Any]) -> bool:
    """Does ``cond`` hold for ``answers`` ({question code: raw value})?  ``cond`` is assumed checked."""
    if "all" in cond:
        return all(evaluate(c, answers) for c in cond["all"])
    if "any" in cond:
        return any(evaluate(c, answers) for c in cond["any"])
    value = answers.get(cond["question"])
    answered = value not in (None, "", [])
    if "answered" in cond:
        return answered is bool(cond["answered"])
    if not answered:
        return False
    chosen = list(value) if isinstance(value, list | tuple) else [value]
    if "in" in cond:
        return any(_same(v, w) for v in chosen for w in cond["in"])
    if "eq" in cond:
        return any(_same(v, cond["eq"]) for v in chosen)
    number = _number(chosen[0]) if len(chosen) == 1 and chosen[0] != NA else None
    if number is None:
        return False
    bound = Decimal(str(cond["lte"] if "lte" in cond else cond["gte"]))
    return number <= bound if "lte" in cond else number >= bound


def referenced(cond: Mapping) -> list[str]:
    """The question codes a condition reads, in order."""
    if "all" in cond or "any" in cond:
        return [code for c in cond.get("all", cond.get("any")) for code in referenced(c)]
    return [cond["question"]]


def visible(questions, answers: Mapping[str, Any]) -> set[str]:
    """Codes of the questions shown, in questionnaire order: a hidden question's answer counts as none.

    ``questions`` carry ``code`` and ``show_if`` (None when always shown).
    """
    seen: dict[str, Any] = {}
    shown = set()
    for q in questions:
        cond = getattr(q, "show_if", None)
        if cond is None or evaluate(cond, seen):
            shown.add(q.code)
            seen[q.code] = answers.get(q.code)
    return shown


# --- checking a condition in a questionnaire file ---------------------------------------------

SCALES = {"satisfaction5": (1, 5), "nps10": (0, 10)}


def _allowed(q: Mapping, value: Any) -> bool:
    """Is ``value`` an answer question ``q`` (a normalised definition entry) can have?"""
    if q.get("na") and value == NA:
        return True
    if q["type"] in SCALES:
        low, high = SCALES[q["type"]]
        return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
    if q["type"] == "number":
        return isinstance(value, int | float) and not isinstance(value, bool) and q["min"] <= value <= q["max"]
    if q["type"] in ("single", "multiple"):
        return value in {o["code"] for o in q["options"]}
    return False


def check(cond: Any, earlier: Mapping[str, Mapping], where: str, problems: list[str], later: set[str] = frozenset(),
          depth: int = 0) -> Any:
    """Check one ``show_if`` against the questions before it (``earlier``: code -> definition entry).

    Appends a problem naming ``where`` (question and field) for each fault; returns the condition as stored.
    """
    if depth > 8:
        problems.append(f"{where}: conditions are nested too deeply (at most 8 levels)")
        return None
    if not isinstance(cond, dict):
        problems.append(f"{where}: must be a mapping such as {{question: overall, in: [1, 2]}}")
        return None
    for combiner in ("all", "any"):
        if combiner in cond:
            parts = cond[combiner]
            if len(cond) != 1 or not isinstance(parts, list) or not parts:
                problems.append(f"{where}: '{combiner}' takes a non-empty list of conditions and nothing beside it")
                return None
            return {combiner: [check(c, earlier, f"{where}.{combiner}[{i}]", problems, later, depth + 1)
                               for i, c in enumerate(parts, 1)]}
    code = cond.get("question")
    ops = [k for k in cond if k != "question"]
    if not isinstance(code, str) or not code:
        problems.append(f"{where}: field 'question' is required (or 'all' / 'any')")
        return None
    unknown = [k for k in ops if k not in OPERATORS]
    if unknown or len(ops) != 1:
        problems.append(f"{where}: needs exactly one operator of {', '.join(OPERATORS)}"
                        + (f", not {', '.join(map(repr, unknown))}" if unknown else ""))
        return None
    op, value = ops[0], cond[ops[0]]
    q = earlier.get(code)
    if q is None:
        why = "comes later in the questionnaire (or is this question)" if code in later else "is not a question of this questionnaire"
        problems.append(f"{where}: question '{code}' {why}")
        return None
    if q["type"] == "grid":
        problems.append(f"{where}: '{code}' is a grid; name one of its items, such as '{code}.{q['items'][0]['code']}'")
        return None
    if op == "answered":
        if not isinstance(value, bool):
            problems.append(f"{where}: 'answered' must be true or false")
        return {"question": code, op: value}
    if q["type"] == "text":
        problems.append(f"{where}: a text question '{code}' can only be tested with 'answered'")
        return None
    if op in ("lte", "gte"):
        if q["type"] not in (*SCALES, "number") or value == NA or not _allowed(q, value):
            problems.append(f"{where}: '{op}' needs a number on the scale of '{code}', not {value!r}")
        return {"question": code, op: value}
    values = value if op == "in" else [value]
    if op == "in" and (not isinstance(value, list) or not value):
        problems.append(f"{where}: 'in' takes a non-empty list of answers")
        return None
    bad = [v for v in values if not _allowed(q, v)]
    if bad:
        problems.append(f"{where}: {', '.join(map(repr, bad))} is not an answer of '{code}' ({q['type']})")
    return {"question": code, op: value}
