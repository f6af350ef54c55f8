"""The ``staff`` blueprint object, apart from its routes so that they can import it without a circle."""

from flask import Blueprint

from survey.security import AREA_ROLES, require_roles

bp = Blueprint("staff", __name__, url_prefix="/staff")
require_roles(bp, *AREA_ROLES["staff"])
