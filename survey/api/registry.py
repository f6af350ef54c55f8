"""The route registry: each operation declares its roles and schemas once; the same declaration
validates the request, runs the view, and writes the OpenAPI document (``survey.api.openapi``).

Reads carry an ETag (304 on a matching ``If-None-Match``); writes commit here, after the view, with
the first answer to an ``Idempotency-Key`` stored in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from flask import Response, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.exceptions import PreconditionFailed

from survey.api import idempotency
from survey.api.auth import current_actor
from survey.api.blueprint import bp
from survey.api.problems import from_pydantic, problem
from survey.db import get_session
from survey.security import AREA_ROLES
from survey.services.api_tokens import ApiActor

READ_ALL = ("interviewer", "supervisor", "quality", "admin", "branch_head")
SUPERVISE = AREA_ROLES["supervise"]
QUALITY = AREA_ROLES["quality"]
CASES = AREA_ROLES["cases"]
ADMIN = AREA_ROLES["admin"]
MAX_KEY = 128


@dataclass(frozen=True)
class Operation:
    method: str
    rule: str
    endpoint: str
    summary: object  # a lazy string
    tag: str
    roles: tuple[str, ...]
    query: type[BaseModel] | None
    body: type[BaseModel] | None
    response: type[BaseModel]
    status: int
    also: tuple[int, ...] = ()  # further success statuses (a complaint that joins an open case: 200)


@dataclass(frozen=True)
class Call:
    """What a view gets: the caller, the request's session and the validated query and body."""

    actor: ApiActor
    db: Session
    query: BaseModel | None
    body: BaseModel | None


OPERATIONS: list[Operation] = []


def operation(method: str, rule: str, *, summary: str, tag: str, roles, response: type[BaseModel],
              query: type[BaseModel] | None = None, body: type[BaseModel] | None = None, status: int = 200,
              also: tuple[int, ...] = ()):
    def decorate(fn: Callable) -> Callable:
        op = Operation(method, rule, fn.__name__, _l(summary), tag, tuple(roles), query, body, response, status, also)
        OPERATIONS.append(op)
        bp.add_url_rule(rule, endpoint=fn.__name__, view_func=_view(op, fn), methods=[method])
        return fn

    return decorate


def _dump(value: BaseModel) -> bytes:
    return json.dumps(value.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _body(model: type[BaseModel]) -> tuple[BaseModel, bytes]:
    raw = request.get_data(cache=True)
    if raw.strip() and request.mimetype != "application/json":
        raise _Refusal(problem(415, _("Send the body as application/json.")))
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant) if raw.strip() else {}
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _Refusal(problem(400, _("The body is not valid JSON (UTF-8, no NaN or Infinity)."))) from None
    return model.model_validate(data), raw


class _Refusal(Exception):
    def __init__(self, response: Response):
        super().__init__("refused")
        self.response = response


def etag_of(payload: bytes) -> str:
    return '"' + hashlib.sha256(payload).hexdigest()[:32] + '"'


def require_unchanged(current: BaseModel) -> None:
    """Honour ``If-Match``: a write sent with the ETag of a read that is no longer current is a 412."""
    wanted = request.headers.get("If-Match")
    if wanted is not None and not _matches(wanted, etag_of(_dump(current))):
        raise PreconditionFailed(_("The record changed since it was read (If-Match): read it again."))


def _matches(header: str, etag: str) -> bool:
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


def _json(payload: bytes, status: int) -> Response:
    return Response(payload, status=status, mimetype="application/json")


def _view(op: Operation, fn: Callable) -> Callable:
    def view(**path):
        actor = current_actor()
        if actor.role not in op.roles:
            return problem(403, _("A token with the role %(role)s may not use this operation.", role=actor.role))
        try:
            query = op.query.model_validate(request.args.to_dict()) if op.query else None
        except ValidationError as exc:
            return problem(400, _("The query parameters are not valid."), errors=from_pydantic(exc, "query"))
        if op.method == "GET":
            payload = _dump(fn(Call(actor, get_session(), query, None), **path))
            etag = etag_of(payload)
            if _matches(request.headers.get("If-None-Match", ""), etag):
                response = Response(status=304)
            else:
                response = _json(payload, op.status)
            response.headers["ETag"] = etag
            response.headers["Cache-Control"] = "private, no-cache"
            return response
        return _write(op, fn, actor, query, path)

    view.__name__ = op.endpoint
    return view


def _write(op: Operation, fn: Callable, actor: ApiActor, query, path) -> Response:
    try:
        body, raw = _body(op.body) if op.body else (None, b"")
    except _Refusal as refusal:
        return refusal.response
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (0 < len(key) <= MAX_KEY and key.isascii() and key.isprintable()):
        return problem(400, _("The Idempotency-Key must be 1 to %(n)s printable ASCII characters.", n=MAX_KEY))
    fingerprint = hashlib.sha256(b"%s %s\n%s" % (op.method.encode(), request.path.encode(), raw)).hexdigest()
    db = get_session()
    if key is not None:
        replay = idempotency.replay(db, actor, key, fingerprint)
        if replay is not None:
            return replay
    result = fn(Call(actor, db, query, body), **path)
    value, status = result if isinstance(result, tuple) else (result, op.status)
    payload = _dump(value)
    if key is not None:
        idempotency.remember(db, actor, key, fingerprint, status, value.model_dump(mode="json"))
    try:
        db.commit()
    except IntegrityError:  # the same key, sent twice at once: the other request's answer stands
        db.rollback()
        if key is not None and (replay := idempotency.replay(db, actor, key, fingerprint)) is not None:
            return replay
        raise
    return _json(payload, status)
