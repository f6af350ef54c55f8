"""The ``quality`` blueprint object, apart from its routes so that they can import it without a circle."""

from flask import Blueprint

from survey.security import AREA_ROLES, require_roles

bp = Blueprint("quality", __name__, url_prefix="/quality")
require_roles(bp, *AREA_ROLES["quality"])


@bp.before_request
def _warm():
    from survey.quality.warm import warm_worker

    warm_worker()
