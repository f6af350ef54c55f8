"""The ``hooks`` blueprint object: no cookies, no CSRF token; each call is signed (HMAC-SHA256 of its body)."""

from flask import Blueprint

from survey.security import csrf

bp = Blueprint("hooks", __name__, url_prefix="/hooks")
csrf.exempt(bp)
