"""Idempotency keys: the first answer to a POST is kept (per token and key) and given back to a retry.

A retry with the same key and the same method, path and body gets the stored answer and changes
nothing; the same key with another request is refused (422).  Keys are kept for ``KEEP``.
"""

from __future__ import annotations

import datetime as dt
import json

from flask import Response
from flask_babel import gettext as _
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from survey.api.problems import problem
from survey.models import ApiIdempotencyKey, utcnow
from survey.services.api_tokens import ApiActor

KEEP = dt.timedelta(hours=24)


def replay(session: Session, actor: ApiActor, key: str, fingerprint: str) -> Response | None:
    """The stored answer for ``key`` (marked ``Idempotent-Replayed``), a 422 for another request, or None."""
    row = session.scalar(select(ApiIdempotencyKey).where(ApiIdempotencyKey.token_id == actor.token_id,
                                                         ApiIdempotencyKey.key == key,
                                                         ApiIdempotencyKey.created_at > utcnow() - KEEP))
    if row is None:
        return None
    if row.request_hash != fingerprint:
        return problem(422, _("This Idempotency-Key was used for another request; use a new key."))
    response = Response(json.dumps(row.body, ensure_ascii=False, separators=(",", ":")), status=row.status,
                        mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response


def remember(session: Session, actor: ApiActor, key: str, fingerprint: str, status: int, body: dict) -> None:
    """Keep the answer in the request's transaction (it lands with the change, or neither does)."""
    # this key's expired answer, and the token's other expired keys
    session.execute(delete(ApiIdempotencyKey).where(
        ApiIdempotencyKey.token_id == actor.token_id,
        or_(ApiIdempotencyKey.key == key, ApiIdempotencyKey.created_at <= utcnow() - KEEP)))
    session.add(ApiIdempotencyKey(token_id=actor.token_id, key=key, request_hash=fingerprint, status=status,
                                  body=body))
    session.flush()
