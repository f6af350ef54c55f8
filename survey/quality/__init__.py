"""Quality review: satisfaction over time with its uncertainty."""

from flask import Blueprint

from survey.security import AREA_ROLES, require_roles

bp = Blueprint("quality", __name__, url_prefix="/quality")
require_roles(bp, *AREA_ROLES["quality"])

from survey.quality import routes  # noqa: E402,F401
