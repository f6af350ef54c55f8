"""Bearer tokens on every API call: who calls (an :class:`ApiActor`), within their rate, in their role."""

from __future__ import annotations

from flask import current_app, g, request
from flask_babel import gettext as _

from survey.api.problems import problem
from survey.db import get_engine
from survey.services.api_tokens import ApiActor, admit

OPEN_ENDPOINTS = frozenset({"api.openapi", "api.docs"})  # the document and the docs page need no token


def bearer_token() -> str | None:
    scheme, _sp, value = request.headers.get("Authorization", "").partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or len(value) > 200 or not value.isascii():
        return None
    return value


def authenticate():
    """``before_request`` of the API: a 401 or 429 problem, or None with ``g.api_actor`` set."""
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    challenge = {"WWW-Authenticate": 'Bearer realm="survey-api"'}
    secret = bearer_token()
    if secret is None:
        return problem(401, _("Send the API token as 'Authorization: Bearer <token>'."), headers=challenge)
    config = current_app.config
    admission = admit(get_engine(), secret, limit=int(config["API_RATE_LIMIT"]),
                      window_seconds=int(config["API_RATE_WINDOW_SECONDS"]))
    if admission.actor is None:
        return problem(401, _("The API token is unknown or has been revoked."),
                       headers={"WWW-Authenticate": 'Bearer realm="survey-api", error="invalid_token"'})
    if admission.retry_after is not None:
        return problem(429, _("This token's calls are over the limit of %(n)s per %(s)s seconds.",
                              n=config["API_RATE_LIMIT"], s=config["API_RATE_WINDOW_SECONDS"]),
                       headers={"Retry-After": str(admission.retry_after)}, retry_after=admission.retry_after)
    g.api_actor = admission.actor
    return None


def current_actor() -> ApiActor:
    return g.api_actor
