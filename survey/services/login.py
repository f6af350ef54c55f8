"""One log-in attempt: throttled per account and address, checked, and audited when it fails."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from survey.models import StaffUser
from survey.services import audit, login_throttle, users


@dataclass(frozen=True)
class Attempt:
    user: StaffUser | None
    throttled: bool = False


def attempt(session: Session, username: str, password: str, address: str | None, *,
            limits: Mapping[str, int] = login_throttle.DEFAULT_LIMITS,
            window_minutes: int = login_throttle.DEFAULT_WINDOW_MINUTES) -> Attempt:
    """Check one log-in; the caller commits (the failure counters and the audit must land)."""
    name = (username or "").strip()
    keys = login_throttle.keys_for(name if users.USERNAME.fullmatch(name) else "-invalid-", address)
    if login_throttle.is_blocked(session, keys, limits=limits, window_minutes=window_minutes):
        return Attempt(None, throttled=True)
    user = users.authenticate(session, name, password)
    if user is None:
        login_throttle.record_failure(session, keys, window_minutes=window_minutes)
        valid = bool(users.USERNAME.fullmatch(name))
        audit.record(session, None, "user.login_failed", "staff_user", name if valid else "(invalid name)",
                     username=name if valid else repr(name[:64]), address=address)
        return Attempt(None)
    login_throttle.clear_account(session, keys)
    audit.record(session, user, "user.login", "staff_user", user.id, address=address)
    return Attempt(user)
