"""Staff accounts in the browser: list and create, change, deactivate or reactivate, reset the password."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from survey.admin.blueprint import bp
from survey.db import get_session
from survey.errors import ValidationFailed
from survey.models import ROLES, Branch, StaffUser
from survey.services import users

# form field -> service field
FORM_FIELDS = {"display_name": "display_name", "role": "role", "branch": "branch_code",
               "employee_code": "employee_code", "capacity": "capacity_per_day"}


def _problems(exc: ValidationFailed) -> dict[str, str]:
    return {name: str(why) for name, why in exc.problems}


def _choices(db):
    return {"roles": ROLES, "branches": db.scalars(select(Branch).order_by(Branch.code)).all()}


def _values(user: StaffUser | None, form) -> dict[str, str]:
    """What the form fields show: the posted values, else the account's, else the defaults."""
    if user is None:
        base = {"role": "interviewer", "capacity": "20"}
    else:
        base = {name: "" if getattr(user, key) is None else str(getattr(user, key)) for name, key in FORM_FIELDS.items()}
    return {**base, **{k: v for k, v in form.items() if k != "password"}}


def _user(db, user_id: int) -> StaffUser:
    user = db.get(StaffUser, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users", methods=["GET", "POST"], endpoint="users")
def users_page():
    db = get_session()
    problems, form = {}, {}
    if request.method == "POST":
        form = request.form
        try:
            user = users.create_user(db, form.get("username", ""), form.get("password", ""), form.get("role", ""),
                                     display_name=form.get("display_name"), employee_code=form.get("employee_code"),
                                     branch_code=form.get("branch"), capacity_per_day=form.get("capacity", "20"),
                                     actor=current_user)
            db.commit()
        except ValidationFailed as exc:
            db.rollback()
            problems = _problems(exc)
        else:
            flash(_("Account %(name)s created.", name=user.username))
            return redirect(url_for("admin.users"))
    return render_template("admin/users.html", rows=users.list_users(db), values=_values(None, form), problems=problems,
                           **_choices(db)), (422 if problems else 200)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"], endpoint="user")
def user_page(user_id: int):
    db = get_session()
    user = _user(db, user_id)
    problems = {}
    if request.method == "POST":
        try:
            fields = {key: request.form.get(name, "") for name, key in FORM_FIELDS.items() if name in request.form}
            changed = users.update_user(db, user, fields, actor=current_user)
            db.commit()
        except ValidationFailed as exc:
            db.rollback()
            problems = _problems(exc)
            user = _user(db, user_id)
        else:
            flash(_("Account %(name)s saved.", name=user.username) if changed else _("Nothing was changed."))
            return redirect(url_for("admin.user", user_id=user_id))
    return render_template("admin/user.html", user=user, values=_values(user, request.form if problems else {}),
                           problems=problems,
                           **_choices(db)), (422 if problems else 200)


@bp.post("/users/<int:user_id>/active", endpoint="user_active")
def user_active(user_id: int):
    db = get_session()
    user = _user(db, user_id)
    active = request.form.get("active") == "1"
    try:
        users.set_active(db, user, active, actor=current_user)
        db.commit()
        flash(_("Account %(name)s reactivated.", name=user.username) if active
              else _("Account %(name)s deactivated: it can no longer sign in.", name=user.username))
    except ValidationFailed as exc:
        db.rollback()
        flash(str(exc))
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/password", endpoint="user_password")
def user_password(user_id: int):
    db = get_session()
    user = _user(db, user_id)
    try:
        users.reset_password(db, user, request.form.get("password", ""), actor=current_user)
        db.commit()
    except ValidationFailed as exc:
        db.rollback()
        user = _user(db, user_id)
        return render_template("admin/user.html", user=user, values=_values(user, {}), problems=_problems(exc),
                               **_choices(db)), 422
    flash(_("New password set for %(name)s.", name=user.username))
    return redirect(url_for("admin.user", user_id=user_id))
