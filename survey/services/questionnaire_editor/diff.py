"""The differences between two questionnaire versions, question by question and field by field."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Change:
    question: str  # the question's code; "" for the questionnaire's own fields
    kind: str  # added, removed, changed
    field: str
    old: str
    new: str


def _show(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """``{'text': {'zh': ..}}`` as ``{'text.zh': ..}``; lists of coded entries by code (``options[yes].label.en``)."""
    out: dict[str, str] = {}
    if isinstance(value, dict) and prefix.split(".")[-1] != "show_if":
        for key, inner in value.items():
            out.update(flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
    elif (isinstance(value, list) and value and all(isinstance(v, dict) and "code" in v for v in value)):
        for v in value:
            out.update(flatten({k: x for k, x in v.items() if k != "code"}, f"{prefix}[{v['code']}]"))
    elif value not in (None, [], {}):
        out[prefix] = _show(value)
    return out


def _compare(question: str, old: dict, new: dict) -> list[Change]:
    a, b = flatten(old), flatten(new)
    return [Change(question, "changed", key, a.get(key, ""), b.get(key, ""))
            for key in sorted(set(a) | set(b)) if a.get(key) != b.get(key)]


def compare(old: dict, new: dict) -> list[Change]:
    """Changes from definition ``old`` to ``new``: the questionnaire's fields, then questions in order."""
    changes = _compare("", {k: v for k, v in old.items() if k != "questions"},
                       {k: v for k, v in new.items() if k != "questions"})
    old_qs = {q["code"]: (i, q) for i, q in enumerate(old.get("questions", []))}
    new_qs = {q["code"]: (i, q) for i, q in enumerate(new.get("questions", []))}
    for code, (i, q) in new_qs.items():
        if code not in old_qs:
            changes.append(Change(code, "added", "", "", _show(q.get("text"))))
            continue
        j, before = old_qs[code]
        if i != j:
            changes.append(Change(code, "changed", "position", str(j + 1), str(i + 1)))
        changes += _compare(code, before, q)
    changes += [Change(code, "removed", "", _show(q.get("text")), "")
                for code, (_i, q) in old_qs.items() if code not in new_qs]
    return changes
