"""Staff accounts: create, change, deactivate, reset the password, check a log-in; every change is audited.

Password rules live in :func:`check_password` alone: at least 12 characters, not containing the user
name, not on the common-password list shipped in ``survey/data``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey.errors import ValidationFailed, joined
from survey.form_values import ascii_int
from survey.models import ROLES, Branch, StaffUser
from survey.security import hash_password, verify_password
from survey.services import audit

MIN_PASSWORD = 12
MAX_PASSWORD = 256
USERNAME = re.compile(r"[\w.@-]{1,64}")
COMMON_PASSWORDS = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"
MAX_CAPACITY = 500
# the account fields an admin may change, in the order the audit line lists them
EDITABLE = ("display_name", "role", "branch_code", "employee_code", "capacity_per_day")


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, case-folded."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines if line.strip() and not line.startswith("#"))


@cache
def _dummy_hash() -> str:
    """A hash to check unknown names against, so that they take as long as known ones."""
    return hash_password("not-a-real-password: only here to spend the same time")


def check_password(password: str, *, username: str | None = None) -> None:
    """Refuse a password that breaks the policy (ValidationFailed on the ``password`` field): shorter
    than 12 characters, containing the user name, or on the common-password list."""
    password = password or ""
    why = None
    if len(password) < MIN_PASSWORD:
        why = _l("the password must have at least %(n)d characters", n=MIN_PASSWORD)
    elif len(password) > MAX_PASSWORD or "\x00" in password:
        why = _l("the password must have at most %(n)d characters and no NUL", n=MAX_PASSWORD)
    elif username and username.casefold() in password.casefold():
        why = _l("the password must not contain the user name")
    elif password.casefold() in common_passwords():
        why = _l("this password is on the list of common passwords; choose another")
    if why is not None:
        raise ValidationFailed(why, [("password", why)])


def _fail(problems: list) -> None:
    if problems:
        raise ValidationFailed(joined(why for _f, why in problems), problems)


def _branches_known(session: Session) -> bool:
    """Once the client file has brought branches, a staff branch must be one of them."""
    return session.scalar(select(Branch.id).limit(1)) is not None


def _clean(session: Session, fields: Mapping[str, object]) -> tuple[dict, list]:
    """Account fields read from strings or values; (cleaned, problems as (field, message))."""
    out, problems = {}, []
    if "display_name" in fields:
        out["display_name"] = str(fields["display_name"] or "").strip()[:128]
    if "role" in fields:
        role = str(fields["role"] or "")
        if role not in ROLES:
            problems.append(("role", _l("role must be one of %(roles)s, not %(role)r", roles=", ".join(ROLES), role=role)))
        out["role"] = role
    if "branch_code" in fields:
        code = str(fields["branch_code"] or "").strip() or None
        if code and _branches_known(session) and not session.scalar(select(Branch.id).where(Branch.code == code)):
            problems.append(("branch", _l("no branch has the code %(code)r", code=code)))
        out["branch_code"] = code
    if "employee_code" in fields:
        code = str(fields["employee_code"] or "").strip()[:32] or None
        out["employee_code"] = code
    if "capacity_per_day" in fields:
        capacity = ascii_int(str(fields["capacity_per_day"]), high=MAX_CAPACITY)
        if capacity is None:
            problems.append(("capacity", _l("the capacity must be a whole number from 0 to %(max)s", max=MAX_CAPACITY)))
        else:
            out["capacity_per_day"] = capacity
    return out, problems


def _taken_code(session: Session, code: str | None, user_id: int | None) -> bool:
    if not code:
        return False
    query = select(StaffUser.id).where(StaffUser.employee_code == code)
    if user_id is not None:
        query = query.where(StaffUser.id != user_id)
    return session.scalar(query) is not None


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    *,
    display_name: str | None = None,
    employee_code: str | None = None,
    branch_code: str | None = None,
    capacity_per_day: int | str = 20,
    actor: StaffUser | str | None = None,
) -> StaffUser:
    """A new active account; ValidationFailed lists every field that is wrong."""
    username = (username or "").strip()
    fields, problems = _clean(session, dict(role=role, display_name=display_name, employee_code=employee_code,
                                            branch_code=branch_code, capacity_per_day=capacity_per_day))
    if not USERNAME.fullmatch(username):
        problems.insert(0, ("username", _l("a user name has 1 to 64 letters, digits or . _ @ -, without spaces")))
    elif session.scalar(select(StaffUser.id).where(func.lower(StaffUser.username) == username.lower())):
        problems.insert(0, ("username", _l("user %(name)r already exists", name=username)))
    try:
        check_password(password, username=username)
    except ValidationFailed as exc:
        problems += exc.problems
    if _taken_code(session, fields.get("employee_code"), None):
        problems.append(("employee_code", _l("another account has the employee code %(code)r", code=fields["employee_code"])))
    _fail(problems)
    user = StaffUser(username=username, password_hash=hash_password(password), active=True,
                     **{**fields, "display_name": fields["display_name"] or username})
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.created", "staff_user", user.id, username=username, role=user.role,
                 branch=user.branch_code, employee_code=user.employee_code, capacity=user.capacity_per_day)
    return user


def _active_admins(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(StaffUser)
                          .where(StaffUser.role == "admin", StaffUser.active.is_(True))) or 0


def _keeps_an_admin(session: Session, user: StaffUser, *, role: str, active: bool) -> bool:
    """False when the change would leave no active administrator."""
    losing = user.role == "admin" and user.active and (role != "admin" or not active)
    return not losing or _active_admins(session) > 1


def update_user(session: Session, user: StaffUser, fields: Mapping[str, object], *,
                actor: StaffUser | str | None = None) -> dict[str, list]:
    """Change the role, name, branch, employee code or capacity; returns {field: [before, after]}."""
    cleaned, problems = _clean(session, {k: v for k, v in fields.items() if k in EDITABLE})
    if not cleaned.get("display_name", "x"):
        cleaned.pop("display_name")
    if _taken_code(session, cleaned.get("employee_code"), user.id):
        problems.append(("employee_code", _l("another account has the employee code %(code)r", code=cleaned["employee_code"])))
    if "role" in cleaned and not problems and not _keeps_an_admin(session, user, role=cleaned["role"], active=user.active):
        problems.append(("role", _l("the last active administrator keeps the admin role")))
    _fail(problems)
    changes = {k: [getattr(user, k), v] for k, v in cleaned.items() if getattr(user, k) != v}
    for key, (_before, after) in changes.items():
        setattr(user, key, after)
    if changes:
        session.flush()
        audit.record(session, actor, "user.updated", "staff_user", user.id, username=user.username, changes=changes)
    return changes


def set_active(session: Session, user: StaffUser, active: bool, *, actor: StaffUser | str | None = None) -> None:
    """Deactivate (no sign-in, open sessions end) or reactivate an account."""
    if user.active == active:
        return
    if isinstance(actor, StaffUser) and actor.id == user.id and not active:
        raise ValidationFailed(_l("you cannot deactivate your own account"), [("active", _l("you cannot deactivate your own account"))])
    if not _keeps_an_admin(session, user, role=user.role, active=active):
        raise ValidationFailed(_l("the last active administrator cannot be deactivated"),
                               [("active", _l("the last active administrator cannot be deactivated"))])
    user.active = active
    session.flush()
    audit.record(session, actor, "user.reactivated" if active else "user.deactivated", "staff_user", user.id,
                 username=user.username)


def reset_password(session: Session, user: StaffUser, password: str, *, actor: StaffUser | str | None = None) -> None:
    """Give ``user`` a new password (the audit line never holds it)."""
    check_password(password, username=user.username)
    user.password_hash = hash_password(password)
    end_sessions(session, user)  # a new password ends every open session of the account
    session.flush()
    audit.record(session, actor, "user.password_reset", "staff_user", user.id, username=user.username)


def list_users(session: Session) -> list[StaffUser]:
    return list(session.scalars(select(StaffUser).order_by(StaffUser.active.desc(), StaffUser.role, StaffUser.username)))


def authenticate(session: Session, username: str, password: str) -> StaffUser | None:
    """The active user with this name and password, or None.

    An unknown or malformed name still costs one hash check (against a dummy hash), so the answer
    time does not tell which names exist.
    """
    user = None
    if USERNAME.fullmatch(username or "") and len(password) <= MAX_PASSWORD:
        user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None or not user.active:
        verify_password(_dummy_hash(), password[:MAX_PASSWORD])
        return None
    return user if verify_password(user.password_hash, password) else None


def end_sessions(session: Session, user: StaffUser) -> None:
    """Every session cookie of ``user`` stops working (logout, password change)."""
    user.session_version = (user.session_version or 0) + 1
