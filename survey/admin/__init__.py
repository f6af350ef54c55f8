"""Administration: client files, tier schemes and staff accounts."""

from flask import Blueprint

from survey.security import AREA_ROLES, require_roles

bp = Blueprint("admin", __name__, url_prefix="/admin")
require_roles(bp, *AREA_ROLES["admin"])

from survey.admin import routes  # noqa: E402,F401
