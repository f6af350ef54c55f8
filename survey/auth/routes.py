from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from survey.auth.blueprint import bp
from survey.db import get_session
from survey.security import SESSION_VERSION_KEY
from survey.services import audit, login, users
from survey.views_common import home_for


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and target.startswith("/") else None


@bp.route("/login", methods=["GET", "POST"], endpoint="login")
def login_page():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    error, status = None, 200
    if request.method == "POST":
        db = get_session()
        cfg = current_app.config
        result = login.attempt(db, request.form.get("username", ""), request.form.get("password", ""),
                               request.remote_addr, window_minutes=cfg["LOGIN_THROTTLE_MINUTES"],
                               limits={"account": cfg["LOGIN_MAX_FAILURES"],
                                       "address": cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"]})
        db.commit()
        if result.throttled:
            error, status = _("Too many failed sign-ins. Wait %(n)d minutes and try again.",
                              n=cfg["LOGIN_THROTTLE_MINUTES"]), 429
        elif result.user is None:
            error, status = _("Unknown user name or wrong password."), 401
        else:
            lang = session.get("lang")
            session.clear()
            if lang:
                session["lang"] = lang
            login_user(result.user)
            session[SESSION_VERSION_KEY] = result.user.session_version
            return redirect(_safe_next(request.args.get("next")) or home_for(result.user))
    username = request.form.get("username", "")[:64]
    return render_template("auth/login.html", error=error, username=username), status


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        db = get_session()
        user = current_user._get_current_object()
        users.end_sessions(db, user)
        audit.record(db, user, "user.logout", "staff_user", user.id)
        db.commit()
    logout_user()
    session.clear()
    flash(_("You are signed out."))
    return redirect(url_for("auth.login"))
