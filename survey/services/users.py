"""Staff accounts."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.errors import ValidationFailed
from survey.models import ROLES, StaffUser
from survey.security import hash_password, verify_password
from survey.services import audit


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    *,
    display_name: str | None = None,
    employee_code: str | None = None,
    branch_code: str | None = None,
    capacity_per_day: int = 20,
    actor: StaffUser | str | None = None,
) -> StaffUser:
    if role not in ROLES:
        raise ValidationFailed(_l("role must be one of %(roles)s, not %(role)r", roles=", ".join(ROLES), role=role))
    if len(password) < 8:
        raise ValidationFailed(_l("the password must have at least 8 characters"))
    if session.scalar(select(StaffUser.id).where(StaffUser.username == username)):
        raise ValidationFailed(_l("user %(name)r already exists", name=username))
    user = StaffUser(username=username, display_name=display_name or username, role=role,
                     password_hash=hash_password(password), employee_code=employee_code,
                     branch_code=branch_code, capacity_per_day=capacity_per_day)
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.created", "staff_user", user.id, username=username, role=role)
    return user


def authenticate(session: Session, username: str, password: str) -> StaffUser | None:
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None or not user.active or not verify_password(user.password_hash, password):
        return None
    return user
