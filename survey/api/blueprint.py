"""The ``api`` blueprint (``/api/v1``): bearer tokens instead of cookies (so no CSRF), and every error
as problem details."""

from __future__ import annotations

from flask import Blueprint, request, session
from flask_babel import gettext as _
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from survey.api.auth import authenticate
from survey.api.problems import field_error, from_pydantic, problem
from survey.errors import (
    Conflict,
    ImportRejected,
    NotFound,
    PermissionDenied,
    PlanNeedsConfirmation,
    ValidationFailed,
)

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.before_request(authenticate)


@bp.after_request
def _no_cookies(response):
    """The API keeps no session: nothing a request touched in it is sent back as a cookie."""
    session.modified = False
    return response


def _rollback() -> None:
    from survey.db import get_session

    get_session().rollback()


def domain_problem(exc: Exception):
    """A domain error or an HTTP error as a problem; anything else is a 500 problem (rolled back)."""
    if isinstance(exc, HTTPException):
        return problem(exc.code or 500, exc.description if exc.code != 404 else _("There is nothing at this address."))
    _rollback()
    if isinstance(exc, ImportRejected):
        return problem(422, str(exc), errors=[field_error(f, why, row=line, pointer=f"/clients/{line}/{f}" if f else None)
                                              for _file, line, f, why in exc.problems])
    if isinstance(exc, ValidationFailed):
        return problem(422, str(exc), errors=[field_error(str(f), why) for f, why in exc.problems])
    if isinstance(exc, PlanNeedsConfirmation):
        return problem(409, str(exc), checks=[c.key for c in exc.checks])
    if isinstance(exc, Conflict):
        return problem(409, str(exc))
    if isinstance(exc, NotFound):
        return problem(404, str(exc))
    if isinstance(exc, PermissionDenied):
        return problem(403, str(exc))
    if isinstance(exc, ValidationError):
        return problem(422, _("The request body does not match its schema."), errors=from_pydantic(exc, "body"))
    from flask import current_app

    current_app.logger.exception("API request %s %s failed", request.method, request.path)
    return problem(500, _("Something went wrong on our side. Nothing was saved."))


bp.register_error_handler(Exception, domain_problem)
