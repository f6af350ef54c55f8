"""Clients, branches and staff users."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from survey.models.base import Base, created, intpk, money, str32, str64, str128, timestamp


class Branch(Base):
    __tablename__ = "branches"

    id: Mapped[intpk]
    code: Mapped[str32] = mapped_column(unique=True)
    name: Mapped[str128]
    timezone: Mapped[str64] = mapped_column(default="Asia/Shanghai")
    has_address: Mapped[bool] = mapped_column(Boolean, default=True)


class Client(Base):
    __tablename__ = "clients"

    id: Mapped[intpk]
    client_no: Mapped[str32] = mapped_column(unique=True)
    name: Mapped[str128]
    phone: Mapped[str | None] = mapped_column(String(32), index=True)  # SMS replies find their clients by it
    email: Mapped[str | None] = mapped_column(String(255))
    address: Mapped[str | None] = mapped_column(String(255))
    branch_code: Mapped[str32] = mapped_column(index=True)
    manager_code: Mapped[str32] = mapped_column(index=True)
    manager_name: Mapped[str | None] = mapped_column(String(128))
    contribution: Mapped[money]
    tier_code: Mapped[str32] = mapped_column(index=True)
    preferred_mode: Mapped[str | None] = mapped_column(String(16))
    # email | sms for web-mode messages; None: e-mail when there is an address, else SMS to a mobile
    preferred_channel: Mapped[str | None] = mapped_column(String(8))
    # the language of messages to the client: zh_CN | en; None: zh_CN
    language: Mapped[str | None] = mapped_column(String(16))
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    opted_out_at: Mapped[dt.datetime | None]
    account_closed: Mapped[bool] = mapped_column(Boolean, default=False)
    last_contacted_at: Mapped[dt.datetime | None]
    created_at: Mapped[created]
    updated_at: Mapped[timestamp | None]


ROLES = ("interviewer", "supervisor", "quality", "admin", "branch_head")


class StaffUser(Base):
    __tablename__ = "staff_users"
    __table_args__ = (UniqueConstraint("username"),)

    id: Mapped[intpk]
    username: Mapped[str64]
    display_name: Mapped[str128]
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str32]
    employee_code: Mapped[str | None] = mapped_column(String(32))
    branch_code: Mapped[str | None] = mapped_column(String(32))
    locale: Mapped[str | None] = mapped_column(String(16))
    capacity_per_day: Mapped[int] = mapped_column(Integer, default=20)
    calendar_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # raised at logout: every session cookie signed before then stops working
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[created]

    # Flask-Login protocol, kept to plain attributes
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class LoginThrottle(Base):
    """Failed log-ins counted per key (``user:<name>`` or ``addr:<ip>``) in a window: shared by every worker."""

    __tablename__ = "login_throttle"

    id: Mapped[intpk]
    key: Mapped[str] = mapped_column(String(160), unique=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[timestamp]
