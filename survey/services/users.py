"""Staff accounts: create, change, deactivate, reset the password; every change is audited.

Password rules live in :func:`check_password` alone, so a stricter policy slots in there.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey.errors import ValidationFailed, joined
from survey.models import ROLES, Branch, StaffUser
from survey.security import hash_password, verify_password
from survey.services import audit

MIN_PASSWORD = 8
MAX_CAPACITY = 500
# the account fields an admin may change, in the order the audit line lists them
EDITABLE = ("display_name", "role", "branch_code", "employee_code", "capacity_per_day")


def check_password(password: str, *, username: str | None = None) -> None:
    """Refuse a password that breaks the policy (ValidationFailed on the ``password`` field)."""
    if len(password or "") < MIN_PASSWORD:
        raise ValidationFailed(_l("the password must have at least 8 characters"),
                               [("password", _l("the password must have at least 8 characters"))])


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
        raw = str(fields["capacity_per_day"]).strip()
        if not raw.isdigit() or not 0 <= int(raw) <= MAX_CAPACITY:
            problems.append(("capacity", _l("the capacity must be a whole number from 0 to %(max)s", max=MAX_CAPACITY)))
        else:
            out["capacity_per_day"] = int(raw)
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
    if not username or len(username) > 64 or any(ch.isspace() for ch in username):
        problems.insert(0, ("username", _l("the user name must be 1 to 64 characters without spaces")))
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
    session.flush()
    audit.record(session, actor, "user.password_reset", "staff_user", user.id, username=user.username)


def list_users(session: Session) -> list[StaffUser]:
    return list(session.scalars(select(StaffUser).order_by(StaffUser.active.desc(), StaffUser.role, StaffUser.username)))


def authenticate(session: Session, username: str, password: str) -> StaffUser | None:
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None or not user.active or not verify_password(user.password_hash, password):
        return None
    return user
