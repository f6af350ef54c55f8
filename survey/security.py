"""Login, roles, CSRF and password hashing."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Blueprint, Flask, abort, current_app, session
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.security import check_password_hash, generate_password_hash

from survey.models import StaffUser

login_manager = LoginManager()
csrf = CSRFProtect()
# the user's session_version when the session was made; logout raises the user's, ending every copy
SESSION_VERSION_KEY = "_sv"

# which roles may use each staff area
AREA_ROLES = {
    "staff": ("interviewer", "supervisor", "admin"),
    "supervise": ("supervisor", "admin"),
    "quality": ("quality", "supervisor", "admin", "branch_head"),
    "admin": ("admin",),
    "cases": ("supervisor", "quality", "admin", "branch_head"),
    "questionnaires": ("quality", "admin"),
}


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def verify_password(hashed: str, password: str) -> bool:
    return check_password_hash(hashed, password)


def init_app(app: Flask) -> None:
    from survey.db import get_session

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    # Flask-Login's own protection hashes X-Forwarded-For as sent by anyone; the session version
    # below ends sessions on the server instead, and ProxyFix (if configured) sets the address.
    login_manager.session_protection = None
    csrf.init_app(app)

    @login_manager.user_loader
    def load_user(user_id: str):
        if not user_id.isascii() or not user_id.isdigit() or len(user_id) > 18:
            return None
        user = get_session().get(StaffUser, int(user_id))
        if user is None or not user.active or session.get(SESSION_VERSION_KEY) != user.session_version:
            return None
        return user


def branch_scope(user) -> str | None:
    """The one branch whose records ``user`` may see, or None for all.

    A branch head sees their own branch only, unless ``BRANCH_HEAD_SEES_ALL`` widens it (a regional head).
    """
    if getattr(user, "role", None) != "branch_head" or current_app.config.get("BRANCH_HEAD_SEES_ALL"):
        return None
    return user.branch_code or "-"  # a branch head without a branch sees nothing


def has_role(*roles: str) -> bool:
    return current_user.is_authenticated and current_user.role in roles


def require_roles(bp: Blueprint, *roles: str) -> None:
    """Every view of ``bp`` needs a logged-in user with one of ``roles``."""

    @bp.before_request
    def _guard():
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.role not in roles:
            abort(403)


def roles_required(*roles: str) -> Callable:
    """A tighter rule for one view inside a guarded blueprint."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


def mask_phone(phone: str | None) -> str:
    """``138****5678``: enough to recognise, not enough to dial."""
    if not phone:
        return ""
    digits = phone.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    keep_head = 3 if len(digits) >= 8 else 0
    return digits[:keep_head] + "*" * (len(digits) - keep_head - 4) + digits[-4:]
