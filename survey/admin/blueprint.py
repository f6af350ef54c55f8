"""The ``admin`` blueprint object, apart from its routes so that they can import it without a circle."""

from flask import Blueprint

from survey.security import AREA_ROLES, require_roles

bp = Blueprint("admin", __name__, url_prefix="/admin")
require_roles(bp, *AREA_ROLES["admin"])
