"""Fieldwork attempts, outgoing messages and follow-up cases (second migration)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from survey.models.base import Base, created, fk_id, intpk, str16, str32, str64


class ContactAttempt(Base):
    """One call or visit and its AAPOR outcome code."""

    __tablename__ = "contact_attempts"

    id: Mapped[intpk]
    invitation_id: Mapped[int] = fk_id("invitations.id", ondelete="CASCADE", index=True)
    interviewer_id: Mapped[int | None] = fk_id("staff_users.id")
    at: Mapped[created]
    mode: Mapped[str16]
    outcome: Mapped[str16]
    is_final: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    appointment_at: Mapped[dt.datetime | None]


class Message(Base):
    """An e-mail sent (or written to the outbox) for an invitation or a case."""

    __tablename__ = "messages"

    id: Mapped[intpk]
    invitation_id: Mapped[int | None] = fk_id("invitations.id", ondelete="CASCADE", index=True)
    kind: Mapped[str32]
    recipient: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    sent_at: Mapped[created]
    transport: Mapped[str16]


FOLLOWUP_STEPS = ("recorded", "accepted", "analysed", "handled", "fed_back", "closed")


class FollowUpCase(Base):
    """A complaint or low score followed through record → accept → analyse → handle → feed back."""

    __tablename__ = "followup_cases"
    __table_args__ = (
        # one open case per client and topic, even under concurrent triggers
        Index(
            "uq_followup_cases_open_client_topic",
            "client_id",
            "topic",
            unique=True,
            sqlite_where=text("step != 'closed'"),
            postgresql_where=text("step != 'closed'"),
        ),
    )

    id: Mapped[intpk]
    client_id: Mapped[int] = fk_id("clients.id", index=True)
    topic: Mapped[str64]
    channel: Mapped[str32]
    tier_code: Mapped[str32]
    wave_id: Mapped[int | None] = fk_id("waves.id")
    response_id: Mapped[int | None] = fk_id("responses.id")
    step: Mapped[str16] = mapped_column(default="recorded")
    owner_id: Mapped[int | None] = fk_id("staff_users.id")
    opened_at: Mapped[created]
    step_started_at: Mapped[created]
    step_deadline: Mapped[dt.datetime | None]
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    escalated_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    summary: Mapped[str | None] = mapped_column(Text)
    fields: Mapped[dict] = mapped_column(JSON, default=dict)
    recovered: Mapped[bool | None] = mapped_column(Boolean)


class CaseEvent(Base):
    """A step taken, a reopen, a trigger joining the case: the case's history."""

    __tablename__ = "case_events"

    id: Mapped[intpk]
    case_id: Mapped[int] = fk_id("followup_cases.id", ondelete="CASCADE", index=True)
    at: Mapped[created]
    actor_id: Mapped[int | None] = fk_id("staff_users.id")
    action: Mapped[str32]
    from_step: Mapped[str | None] = mapped_column(String(16))
    to_step: Mapped[str | None] = mapped_column(String(16))
    fields: Mapped[dict] = mapped_column(JSON, default=dict)
