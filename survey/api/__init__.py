"""The JSON API (``/api/v1``): bearer tokens, problem details, cursor paging, ETags, idempotency keys
and an OpenAPI 3.1 document built from the same pydantic models that check the requests."""

from flask import Flask

from survey.api import (  # noqa: F401  (each routes module adds its operations to the registry)
    cases_routes,
    clients_routes,
    estimates_routes,
    invitations_routes,
    openapi,
    responses_routes,
    waves_routes,
)
from survey.api.blueprint import bp


def init_app(app: Flask) -> None:
    from survey.security import csrf

    csrf.exempt(bp)  # no cookies are read or set: a bearer token cannot be sent by another site's form
    app.register_blueprint(bp)


__all__ = ["bp", "init_app"]
