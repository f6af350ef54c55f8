"""API tokens in the browser: create (the token shown once), list, revoke; each audited."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from survey.admin.blueprint import bp
from survey.db import get_session
from survey.errors import ValidationFailed
from survey.models import ROLES
from survey.services import api_tokens


@bp.route("/api-tokens", methods=["GET", "POST"])
def api_tokens_page():
    db = get_session()
    problems, form, secret = {}, {}, None
    if request.method == "POST":
        form = request.form
        try:
            row, secret = api_tokens.create_token(db, form.get("name", ""), form.get("role", ""),
                                                  branch_code=form.get("branch"), actor=current_user)
            db.commit()
            flash(_("API token %(name)s created. Copy it now: it is not shown again.", name=row.name))
            form = {}
        except ValidationFailed as exc:
            db.rollback()
            problems = {name: str(why) for name, why in exc.problems}
    return render_template("admin/api_tokens.html", tokens=api_tokens.list_tokens(db), roles=ROLES, form=form,
                           problems=problems, secret=secret), (422 if problems else 200)


@bp.post("/api-tokens/<int:token_id>/revoke")
def api_token_revoke(token_id: int):
    db = get_session()
    row = api_tokens.revoke_token(db, token_id, actor=current_user)
    db.commit()
    flash(_("API token %(name)s revoked: calls with it now get 401.", name=row.name))
    return redirect(url_for("admin.api_tokens_page"), code=303)
