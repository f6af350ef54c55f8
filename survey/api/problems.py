"""RFC 9457 problem details: every API error, of any status, as ``application/problem+json``."""

from __future__ import annotations

import json

from flask import Response, has_request_context, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

MEDIA_TYPE = "application/problem+json"
DOCS = "/api/v1/docs#problem-"
# status -> (type slug, title); the title is the same for every problem of that type (RFC 9457 3.1.3)
KINDS = {
    400: ("bad-request", _l("Bad request")),
    401: ("unauthorized", _l("Not authenticated")),
    403: ("forbidden", _l("Not allowed for this token's role")),
    404: ("not-found", _l("Not found")),
    405: ("method-not-allowed", _l("Method not allowed")),
    409: ("conflict", _l("Conflict with the record's state")),
    412: ("precondition-failed", _l("Precondition failed")),
    413: ("too-large", _l("Request body too large")),
    415: ("unsupported-media-type", _l("Unsupported media type")),
    422: ("validation", _l("The request was not accepted")),
    429: ("rate-limited", _l("Too many requests")),
    500: ("server-error", _l("Server error")),
}


def problem(status: int, detail: str | None = None, *, errors: list[dict] | None = None,
            headers: dict | None = None, **extra) -> Response:
    """A problem response; ``errors`` names each bad field (and row) of a validation problem."""
    slug, title = KINDS.get(status, KINDS[500] if status >= 500 else KINDS[400])
    body = {"type": DOCS + slug, "title": str(title), "status": status, "detail": str(detail or title)}
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    response = Response(json.dumps(body, ensure_ascii=False, default=str), status=status, mimetype=MEDIA_TYPE)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def field_error(field: str, message, *, row: int | None = None, pointer: str | None = None) -> dict:
    """One entry of ``errors``: the field, the row of a batch (0-based) and a JSON Pointer into the body."""
    out = {"field": field, "message": str(message)}
    if row is not None:
        out["row"] = row
    if pointer is not None:
        out["pointer"] = pointer
    return out


def from_pydantic(exc, where: str) -> list[dict]:
    """pydantic's errors as ``errors`` entries; ``where`` is ``body`` or ``query``."""
    out = []
    for err in exc.errors(include_url=False, include_context=False, include_input=False):
        loc = [str(p) for p in err.get("loc", ())]
        row = next((int(p) for p in loc if p.isdigit()), None)
        field = next((p for p in reversed(loc) if not p.isdigit()), where)
        pointer = ("/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in loc)) if where == "body" else None
        out.append(field_error(field, err.get("msg", _("invalid")), row=row, pointer=pointer))
    return out


def is_api_request() -> bool:
    """Errors met before any view (an unknown address, a wrong method, a body too large) are problems
    under the API's prefix too."""
    return has_request_context() and request.path.startswith("/api/")
