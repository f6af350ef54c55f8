"""Cursor paging: rows in id order, the cursor an opaque signed token holding the last id served."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Select
from sqlalchemy.orm import Session
from werkzeug.exceptions import BadRequest

from survey.api.schemas import PageQuery


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="api-cursor")


def after_id(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        value = _serializer().loads(cursor)
    except (BadSignature, ValueError, TypeError):
        raise BadRequest(_("cursor: not a cursor this API gave out")) from None
    if not isinstance(value, int) or value < 0:
        raise BadRequest(_("cursor: not a cursor this API gave out"))
    return value


def page(db: Session, stmt: Select, id_column, q: PageQuery, *, scalars: bool = True) -> tuple[list, str | None]:
    """One page of ``stmt`` after the cursor, in ``id_column`` order, and the next page's cursor (or None)."""
    stmt = stmt.where(id_column > after_id(q.cursor)).order_by(id_column).limit(q.limit + 1)
    rows = list(db.scalars(stmt) if scalars else db.execute(stmt))
    more = len(rows) > q.limit
    rows = rows[:q.limit]
    last = rows[-1] if rows else None
    last_id = getattr(last, "id", None) if scalars else (last[0].id if last is not None else None)
    return rows, (_serializer().dumps(last_id) if more and last_id is not None else None)
