"""Domain exceptions (raised by services) and the HTTP error handlers."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel.speaklater import LazyString
from flask_wtf.csrf import CSRFError


def joined(parts, sep: str = "; ") -> LazyString:
    """Several (possibly lazy) messages as one, joined when read: in the reader's language."""
    parts = list(parts)
    return LazyString(lambda: sep.join(str(p) for p in parts))


class SurveyError(Exception):
    """Base of the domain errors; ``str(e)`` is a message fit for the user."""


class NotFound(SurveyError):
    pass


class Conflict(SurveyError):
    """The request is valid but clashes with the record's state (already drawn, already submitted...)."""


class PlanNeedsConfirmation(Conflict):
    """The plan takes more than half of a tier's frame or goes over the budget; ``checks`` says where."""

    def __init__(self, message, checks: list):
        super().__init__(message)
        self.checks = checks


class ValidationFailed(SurveyError):
    """Input was refused; ``problems`` lists what and where."""

    def __init__(self, message: str, problems: list | None = None):
        super().__init__(message)
        self.problems = problems or []


class ImportRejected(ValidationFailed):
    """A file import refused whole: ``problems`` holds (file, line, field, reason) rows."""


class PermissionDenied(SurveyError):
    pass


def init_app(app: Flask) -> None:
    from survey.db import get_session

    def page(code: int, title: str, message: str):
        from survey.api.problems import is_api_request, problem

        if is_api_request():  # an address under /api/ that no view answered: a problem, never a page
            return problem(code, message)
        return render_template("errors/error.html", code=code, title=title, message=message), code

    @app.errorhandler(400)
    def bad_request(e):
        return page(400, "Bad request", getattr(e, "description", ""))

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return page(400, "Form expired", "The form was too old or not sent from this site. Go back, reload and try again.")

    @app.errorhandler(403)
    def forbidden(e):
        return page(403, "Not allowed", "Your role does not allow this page.")

    @app.errorhandler(404)
    def not_found(e):
        return page(404, "Not found", "There is nothing at this address.")

    @app.errorhandler(413)
    def too_large(e):
        return page(413, "Too large", "The request is larger than this page accepts.")

    @app.errorhandler(405)
    def method_not_allowed(e):
        return page(405, "Method not allowed", "This address does not accept that kind of request.")

    @app.errorhandler(NotFound)
    def domain_not_found(e):
        get_session().rollback()
        return page(404, "Not found", str(e))

    @app.errorhandler(Conflict)
    def domain_conflict(e):
        get_session().rollback()
        return page(409, "Conflict", str(e))

    @app.errorhandler(ValidationFailed)
    def domain_invalid(e):
        """A refusal no view caught (an over-long or NUL value met at flush): a 422, never a 500."""
        get_session().rollback()
        return page(422, "Not accepted", str(e))

    @app.errorhandler(500)
    def server_error(e):
        get_session().rollback()
        return page(500, "Server error", "Something went wrong on our side. Nothing was saved.")
