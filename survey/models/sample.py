"""Draws, reserve cases, invitations, responses and answers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.models.base import Base, created, fk_id, intpk, jsondict, str16, str32, str64

MODES = ("phone", "in_person", "web")


class Draw(Base):
    """The record that makes a wave's sample reproducible and auditable."""

    __tablename__ = "draws"

    id: Mapped[intpk]
    wave_id: Mapped[int] = fk_id("waves.id", ondelete="CASCADE", unique=True)
    seed: Mapped[str] = mapped_column(String(40))
    algorithm: Mapped[str64]
    numpy_version: Mapped[str32]
    frame_counts: Mapped[jsondict]
    exclusions: Mapped[jsondict]
    allocation: Mapped[jsondict]
    created_at: Mapped[created]
    created_by: Mapped[int | None] = fk_id("staff_users.id")


class ReserveCase(Base):
    """A drawn but not yet released case, kept in its stratum's release order."""

    __tablename__ = "reserve_cases"
    __table_args__ = (
        UniqueConstraint("wave_id", "client_id"),
        Index("ix_reserve_cases_wave_tier_rank", "wave_id", "tier_code", "release_rank"),
    )

    id: Mapped[intpk]
    wave_id: Mapped[int] = fk_id("waves.id", ondelete="CASCADE")
    client_id: Mapped[int] = fk_id("clients.id")
    tier_code: Mapped[str32]
    release_rank: Mapped[int] = mapped_column(Integer)
    inclusion_prob: Mapped[float] = mapped_column(Float)


class Invitation(Base):
    """One released case: a client asked to answer a wave, by one mode."""

    __tablename__ = "invitations"
    __table_args__ = (
        UniqueConstraint("wave_id", "client_id", "kind"),
        Index("ix_invitations_wave_status", "wave_id", "status"),
    )

    id: Mapped[intpk]
    wave_id: Mapped[int] = fk_id("waves.id", ondelete="CASCADE")
    client_id: Mapped[int] = fk_id("clients.id")
    # "sample" for the wave's sample, "winback" for a follow-up case's short survey
    kind: Mapped[str16] = mapped_column(default="sample")
    tier_code: Mapped[str32]
    mode: Mapped[str16]
    mode_reason: Mapped[str | None] = mapped_column(String(32))
    release_rank: Mapped[int | None] = mapped_column(Integer)
    inclusion_prob: Mapped[float | None] = mapped_column(Float)
    # sha256 of the survey token: the token itself is only ever in the link
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    issued_at: Mapped[dt.datetime | None]
    expires_at: Mapped[dt.datetime | None]
    used_at: Mapped[dt.datetime | None]
    # open | done ; final AAPOR code once known
    status: Mapped[str16] = mapped_column(default="open")
    disposition: Mapped[str | None] = mapped_column(String(8))
    # fieldwork
    assigned_to: Mapped[int | None] = fk_id("staff_users.id", index=True)
    locked_by: Mapped[int | None] = fk_id("staff_users.id")
    locked_until: Mapped[dt.datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[dt.datetime | None]
    next_try_at: Mapped[dt.datetime | None]
    appointment_at: Mapped[dt.datetime | None]
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    last_message_at: Mapped[dt.datetime | None]
    followup_case_id: Mapped[int | None] = mapped_column(Integer)
    # answers of a half-finished interview (saved to resume later); cleared when it ends
    interview_draft: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[created]

    client = relationship("Client")
    wave = relationship("Wave")


class Response(Base):
    """At most one per invitation: the unique constraint is what stops double submissions."""

    __tablename__ = "responses"

    id: Mapped[intpk]
    invitation_id: Mapped[int] = fk_id("invitations.id", ondelete="CASCADE", unique=True)
    wave_id: Mapped[int] = fk_id("waves.id", index=True)
    client_id: Mapped[int] = fk_id("clients.id", index=True)
    mode: Mapped[str16]
    interviewer_id: Mapped[int | None] = fk_id("staff_users.id")
    # complete | partial | in_progress
    status: Mapped[str16] = mapped_column(default="complete")
    locale: Mapped[str | None] = mapped_column(String(16))
    started_at: Mapped[dt.datetime | None]
    submitted_at: Mapped[dt.datetime | None]
    created_at: Mapped[created]
    answers: Mapped[list[Answer]] = relationship(cascade="all, delete-orphan")


class Answer(Base):
    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("response_id", "question_id"),)

    id: Mapped[intpk]
    response_id: Mapped[int] = fk_id("responses.id", ondelete="CASCADE")
    question_id: Mapped[int] = fk_id("questions.id")
    # scales and single-choice positions; text and multiple choice in value_text / value_json
    value_num: Mapped[float | None] = mapped_column(Float)
    value_text: Mapped[str | None] = mapped_column(Text)
    value_json: Mapped[list | None] = mapped_column(JSON)


class AuditEvent(Base):
    """Who did what to which record, when."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_entity", "entity_type", "entity_id"),)

    id: Mapped[intpk]
    at: Mapped[created]
    actor_id: Mapped[int | None] = fk_id("staff_users.id")
    actor_label: Mapped[str64]
    action: Mapped[str64]
    entity_type: Mapped[str32]
    entity_id: Mapped[str64]
    details: Mapped[dict] = mapped_column(JSON, default=dict)
