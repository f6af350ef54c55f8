"""What clients see: the survey form behind their unique link."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from survey.public import fieldwork_routes, routes  # noqa: E402,F401  (routes register on bp)
