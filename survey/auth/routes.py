from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from survey.auth.blueprint import bp
from survey.db import get_session
from survey.services import audit, users
from survey.views_common import home_for


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and target.startswith("/") else None


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    error = None
    if request.method == "POST":
        db = get_session()
        user = users.authenticate(db, request.form.get("username", "").strip(), request.form.get("password", ""))
        if user is None:
            error = _("Unknown user name or wrong password.")
        else:
            lang = session.get("lang")
            session.clear()
            if lang:
                session["lang"] = lang
            login_user(user)
            audit.record(db, user, "user.login", "staff_user", user.id)
            db.commit()
            return redirect(_safe_next(request.args.get("next")) or home_for(user))
    return render_template("auth/login.html", error=error, username=request.form.get("username", "")), (401 if error else 200)


@bp.post("/logout")
def logout():
    logout_user()
    flash(_("You are signed out."))
    return redirect(url_for("auth.login"))
