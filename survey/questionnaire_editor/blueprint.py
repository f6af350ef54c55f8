"""The ``questionnaire_editor`` blueprint object, apart from its routes so that they can import it without a circle."""

from flask import Blueprint

from survey.security import AREA_ROLES, require_roles

bp = Blueprint("questionnaire_editor", __name__, url_prefix="/questionnaires")
require_roles(bp, *AREA_ROLES["questionnaires"])
