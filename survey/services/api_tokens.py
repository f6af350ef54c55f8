"""API tokens: made by admins (shown once), kept as a sha256 hash, revocable, counted per fixed window.

A token is 256 bits from the OS's CSPRNG.  Such a secret cannot be guessed or brute-forced from its
hash, so a plain sha256 (no salt, no slow hash) is enough to keep it out of the database while a
lookup stays one indexed equality.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import Engine, case, select, update
from sqlalchemy.orm import Session

from survey.db import writer
from survey.errors import NotFound, ValidationFailed
from survey.models import ROLES, ApiToken, StaffUser, utcnow
from survey.services import audit
from survey.services.invitations import token_hash  # the one sha256 of a high-entropy secret

PREFIX = "svy_"
NAME = re.compile(r"[A-Za-z0-9_.-]{1,40}")
BRANCH = re.compile(r"[A-Za-z0-9_-]{1,32}")


@dataclass(frozen=True)
class ApiActor:
    """The caller of an API request, shaped like a staff user where services ask (role, branch, name)."""

    token_id: int
    name: str
    role: str
    branch_code: str | None
    id: None = None  # never a staff user's id: owns no case, has no account
    is_authenticated: bool = True

    @property
    def username(self) -> str:
        return f"api:{self.name}"

    display_name = username
    audit_label = username


def create_token(session: Session, name: str, role: str, *, branch_code: str | None = None,
                 actor: StaffUser | str | None) -> tuple[ApiToken, str]:
    """A new token for one integration: (row, the secret) — the secret is not kept anywhere."""
    name, branch_code = (name or "").strip(), (branch_code or "").strip() or None
    problems = []
    if not NAME.fullmatch(name):
        problems.append(("name", _l("1 to 40 letters, digits, '.', '_' or '-'")))
    elif session.scalar(select(ApiToken.id).where(ApiToken.name == name)):
        problems.append(("name", _l("a token named %(name)r exists already", name=name)))
    if role not in ROLES:
        problems.append(("role", _l("%(value)r is not a role", value=role)))
    if branch_code is not None and not BRANCH.fullmatch(branch_code):
        problems.append(("branch", _l("%(value)r is not a branch code", value=branch_code)))
    if problems:
        raise ValidationFailed(_l("the token was not created: %(why)s", why=problems[0][1]), problems)
    secret = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name, role=role, branch_code=branch_code, token_hash=token_hash(secret),
                   created_by=actor.id if isinstance(actor, StaffUser) else None)
    session.add(row)
    session.flush()
    audit.record(session, actor, "api_token.created", "api_token", row.id, name=name, role=role, branch=branch_code)
    return row, secret


def revoke_token(session: Session, token_id: int, *, actor: StaffUser | str | None) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(_l("token %(id)s not found", id=token_id))
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(session, actor, "api_token.revoked", "api_token", row.id, name=row.name)
    return row


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.name)))


@dataclass(frozen=True)
class Admission:
    """The token's caller (None: unknown or revoked) and, when over the limit, seconds until the next window."""

    actor: ApiActor | None
    retry_after: int | None = None


def admit(engine: Engine, secret: str, *, limit: int, window_seconds: int, now: dt.datetime | None = None) -> Admission:
    """Find a live token by its hash and count this call in its fixed window, in one atomic UPDATE.

    The counter lives in the token's row, so every worker and machine shares it; ``limit`` 0 counts
    nothing against a limit.  The UPDATE commits at once, so refused and failed calls count too.
    """
    now = now or utcnow()
    fresh = (ApiToken.window_start.is_(None)) | (ApiToken.window_start <= now - dt.timedelta(seconds=window_seconds))
    stmt = (
        update(ApiToken)
        .where(ApiToken.token_hash == token_hash(secret), ApiToken.revoked_at.is_(None))
        .values(window_count=case((fresh, 1), else_=ApiToken.window_count + 1),
                window_start=case((fresh, now), else_=ApiToken.window_start), last_used_at=now)
        .returning(ApiToken.id, ApiToken.name, ApiToken.role, ApiToken.branch_code, ApiToken.window_count,
                   ApiToken.window_start)
    )
    with writer(engine).begin() as conn:
        row = conn.execute(stmt).first()
    if row is None:
        return Admission(None)
    actor = ApiActor(row.id, row.name, row.role, row.branch_code)
    if limit and row.window_count > limit:
        start = row.window_start if row.window_start.tzinfo else row.window_start.replace(tzinfo=dt.UTC)
        left = (start + dt.timedelta(seconds=window_seconds) - now).total_seconds()
        return Admission(actor, max(1, int(left + 0.999)))
    return Admission(actor)
