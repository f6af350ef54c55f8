"""Staff: waves, invitations and (later) fieldwork. Interviewers, supervisors and admins."""

from flask import Blueprint

from survey.security import AREA_ROLES, require_roles

bp = Blueprint("staff", __name__, url_prefix="/staff")
require_roles(bp, *AREA_ROLES["staff"])

from survey.staff import fieldwork_routes, routes, sampling_routes  # noqa: E402,F401  (routes register on bp)
