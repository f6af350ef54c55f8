"""The question form: a question dict (file format) shown as form values, and posted values read back.

Options and grid items are numbered rows (``opt_code_0``, ``opt_zh_0`` ...); a blank row is ignored and a
ticked "remove" drops its row.  ``show_if`` is either the simple form (question, operator, values) or the
YAML/JSON of any condition in the advanced box, which wins when filled in.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from flask_babel import gettext as _

LANGS = ("zh", "en")
OPERATORS = ("in", "eq", "lte", "gte")
CHOICE_TYPES = ("single", "multiple")
NA_TYPES = ("satisfaction5", "nps10", "single", "grid")
SCALES = ("satisfaction5", "nps10")
BLANK_ROWS = 2


def _label(q: dict, field: str, lang: str) -> str:
    value = q.get(field)
    return value.get(lang, "") if isinstance(value, dict) and isinstance(value.get(lang, ""), str) else ""


def _number_text(value: Any) -> str:
    return "" if value is None else str(value)


def _rows(entries: Any, label_field: str) -> list[dict]:
    out = []
    for e in entries if isinstance(entries, list) else []:
        e = e if isinstance(e, dict) else {}
        out.append({"code": str(e.get("code") or ""), "zh": _label(e, label_field, "zh"),
                    "en": _label(e, label_field, "en")})
    return out


def _simple(cond: Any) -> dict | None:
    """The simple form's values of ``cond`` when it is one comparison, else None."""
    if not isinstance(cond, dict) or "question" not in cond:
        return None
    ops = [op for op in OPERATORS if op in cond]
    if len(ops) != 1 or set(cond) != {"question", ops[0]}:
        return None
    value = cond[ops[0]]
    shown = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return {"cond_question": str(cond["question"]), "cond_op": ops[0], "cond_values": shown}


def values_of(q: dict) -> dict:
    """What the form shows for question ``q`` (a dict in the file format)."""
    v = {
        "code": str(q.get("code") or ""), "type": q.get("type") or "satisfaction5",
        "required": q.get("required", True) is not False, "overall": q.get("overall") is True,
        "na": q.get("na") is True, "scale": q.get("scale") or "satisfaction5",
        "min": _number_text(q.get("min")), "max": _number_text(q.get("max")),
        "decimals": _number_text(q.get("decimals")),
        "options": _rows(q.get("options"), "label"), "items": _rows(q.get("items"), "text"),
        "cond_question": "", "cond_op": "in", "cond_values": "", "show_if_text": "",
    }
    for field in ("text", "interview_text"):
        for lang in LANGS:
            v[f"{field}_{lang}"] = _label(q, field, lang)
    cond = q.get("show_if")
    simple = _simple(cond)
    if simple:
        v.update(simple)
    elif cond is not None:
        v["show_if_text"] = yaml.safe_dump(cond, allow_unicode=True, sort_keys=False).strip()
    return v


def _posted_rows(form, prefix: str) -> list[dict]:
    rows, n = [], 0
    while f"{prefix}_code_{n}" in form and n < 200:
        row = {"code": form.get(f"{prefix}_code_{n}", "").strip(), "zh": form.get(f"{prefix}_zh_{n}", "").strip(),
               "en": form.get(f"{prefix}_en_{n}", "").strip(), "remove": bool(form.get(f"{prefix}_remove_{n}"))}
        if not row["remove"] and (row["code"] or row["zh"] or row["en"]):
            rows.append(row)
        n += 1
    return rows


def _scalar(token: str) -> Any:
    token = token.strip()
    for kind in (int, float):
        try:
            return kind(token)
        except ValueError:
            pass
    return token


def _number(raw: str) -> int | float | None:
    value = _scalar(raw) if raw.strip() else None
    return value if isinstance(value, int | float) and value == value and abs(value) != float("inf") else None


def read(form, code_taken) -> tuple[dict, dict, dict]:
    """``(fields, errors, values)``: the question's fields for the definition, the form errors by field name
    (each naming the question and the field), and the posted values to show again.  ``code_taken(code)``
    says whether another question already has ``code``."""
    values = {k: form.get(k, "").strip() for k in (
        "code", "type", "scale", "min", "max", "decimals", "cond_question", "cond_op", "cond_values", "show_if_text",
        *(f"{f}_{lang}" for f in ("text", "interview_text") for lang in LANGS))}
    values.update(required=bool(form.get("required")), overall=bool(form.get("overall")), na=bool(form.get("na")),
                  options=_posted_rows(form, "opt"), items=_posted_rows(form, "item"))
    errors: dict[str, str] = {}
    code, qtype = values["code"], values["type"]
    name = code or "?"
    if not code:
        errors["code"] = _("Question ?: field 'code' is required.")
    elif code_taken(code):
        errors["code"] = _("Question '%(q)s': field 'code' is already used by another question.", q=name)
    fields: dict[str, Any] = {"code": code, "type": qtype, "required": values["required"]}
    if values["overall"]:
        fields["overall"] = True
    if values["na"]:
        fields["na"] = True
    fields["text"] = {lang: values[f"text_{lang}"] for lang in LANGS}
    if any(values[f"interview_text_{lang}"] for lang in LANGS):
        fields["interview_text"] = {lang: values[f"interview_text_{lang}"] for lang in LANGS}
    _type_sections(values, fields, errors, name)
    _condition(values, fields, errors, name)
    return fields, errors, values


def _type_sections(values: dict, fields: dict, errors: dict, name: str) -> None:
    qtype = values["type"]
    if qtype in CHOICE_TYPES:
        fields["options"] = [{"code": r["code"], "label": {"zh": r["zh"], "en": r["en"]}} for r in values["options"]]
    elif values["options"]:
        errors["options"] = _("Question '%(q)s': field 'options' is only for single or multiple choice.", q=name)
    if qtype == "grid":
        fields["scale"] = values["scale"]
        fields["items"] = [{"code": r["code"], "text": {"zh": r["zh"], "en": r["en"]}} for r in values["items"]]
    elif values["items"]:
        errors["items"] = _("Question '%(q)s': field 'items' is only for grids.", q=name)
    if qtype == "number":
        for bound in ("min", "max"):
            number = _number(values[bound])
            if number is None:
                errors[bound] = _("Question '%(q)s': field '%(f)s' must be a number.", q=name, f=bound)
            fields[bound] = number
        if values["decimals"]:
            decimals = _scalar(values["decimals"])
            if not isinstance(decimals, int) or not 0 <= decimals <= 6:
                errors["decimals"] = _("Question '%(q)s': field 'decimals' must be a whole number from 0 to 6.",
                                       q=name)
            fields["decimals"] = decimals
    elif values["min"] or values["max"] or values["decimals"]:
        errors["min"] = _("Question '%(q)s': fields 'min', 'max' and 'decimals' are only for numbers.", q=name)


def _condition(values: dict, fields: dict, errors: dict, name: str) -> None:
    if values["show_if_text"]:
        try:
            cond = yaml.safe_load(values["show_if_text"])
        except yaml.YAMLError as exc:
            errors["show_if_text"] = _("Question '%(q)s': field 'show_if' is not valid YAML or JSON: %(why)s",
                                       q=name, why=str(exc).splitlines()[0])
            return
        if not isinstance(cond, dict):
            errors["show_if_text"] = _("Question '%(q)s': field 'show_if' must be a mapping.", q=name)
            return
        fields["show_if"] = json.loads(json.dumps(cond))  # plain JSON types only (YAML dates become text)
        return
    if not values["cond_question"]:
        return
    op = values["cond_op"] if values["cond_op"] in OPERATORS else "in"
    tokens = [t for t in values["cond_values"].split(",") if t.strip()]
    if not tokens:
        errors["cond_values"] = _("Question '%(q)s': field 'show_if' needs at least one value to compare with.",
                                  q=name)
        return
    if op == "in":
        fields["show_if"] = {"question": values["cond_question"], "in": [_scalar(t) for t in tokens]}
        return
    if len(tokens) > 1:
        errors["cond_values"] = _("Question '%(q)s': field 'show_if' takes one value with this operator.", q=name)
        return
    value = _scalar(tokens[0])
    if op in ("lte", "gte") and not isinstance(value, int | float):
        errors["cond_values"] = _("Question '%(q)s': field 'show_if' needs a number with this operator.", q=name)
        return
    fields["show_if"] = {"question": values["cond_question"], op: value}


def blank_rows(rows: list[dict]) -> list[dict]:
    """The rows to show: the given ones, then empty ones to add to."""
    return list(rows) + [{"code": "", "zh": "", "en": ""} for _ in range(BLANK_ROWS)]
