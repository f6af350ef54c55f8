"""One rule for text on both databases: a NUL byte or a value longer than its column is refused at flush.

PostgreSQL rejects both (with a DataError, a 500), SQLite stores both; this check runs first on
either, so the same input gets the same answer: a ValidationFailed naming the field.
"""

from __future__ import annotations

from itertools import chain

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, event, inspect
from sqlalchemy.orm import Session

from survey.errors import ValidationFailed


def check_strings(session: Session, _flush_context=None, _instances=None) -> None:
    problems = []
    for obj in chain(session.new, session.dirty):
        mapper = inspect(obj).mapper
        for prop in mapper.column_attrs:
            value = getattr(obj, prop.key, None)
            column = prop.columns[0]
            if not isinstance(value, str) or not isinstance(column.type, String):
                continue
            if "\x00" in value:
                problems.append((prop.key, "nul"))
            elif column.type.length and len(value) > column.type.length:
                problems.append((prop.key, "too_long"))
    if problems:
        raise ValidationFailed(
            _l("%(fields)s: too long or holding a NUL character", fields=", ".join(sorted({f for f, _ in problems}))),
            problems)


def install() -> None:
    """Check every session's flush (idempotent)."""
    if not event.contains(Session, "before_flush", check_strings):
        event.listen(Session, "before_flush", check_strings)
