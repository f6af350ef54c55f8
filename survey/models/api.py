"""API tokens, their rate-limit window and the idempotency keys of API creates."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from survey.models.base import Base, created, fk_id, intpk, str32, str64


class ApiToken(Base):
    """One integration's bearer token: only the sha256 of the token is kept (it is 256 random bits)."""

    __tablename__ = "api_tokens"

    id: Mapped[intpk]
    name: Mapped[str64] = mapped_column(unique=True)
    role: Mapped[str32]
    branch_code: Mapped[str | None] = mapped_column(String(32))
    token_hash: Mapped[str64] = mapped_column(unique=True)
    created_at: Mapped[created]
    created_by: Mapped[int | None] = fk_id("staff_users.id")
    revoked_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]
    # fixed-window rate limit, counted in the database so every worker shares it
    window_start: Mapped[dt.datetime | None]
    window_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ApiIdempotencyKey(Base):
    """The first answer to a POST sent with an ``Idempotency-Key``: a retry gets it back, nothing is redone."""

    __tablename__ = "api_idempotency_keys"
    __table_args__ = (UniqueConstraint("token_id", "key"),)

    id: Mapped[intpk]
    token_id: Mapped[int] = fk_id("api_tokens.id", ondelete="CASCADE")
    key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str64]
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[created]
