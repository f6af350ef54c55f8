"""Tier schemes, questionnaires and waves: what a tracking round is made of."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Date, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.models.base import (
    Base,
    UTCDateTime,
    created,
    fk_id,
    intpk,
    jsondict,
    money,
    str16,
    str32,
    str64,
    str128,
)


class TierScheme(Base):
    """A versioned set of tiers; a wave keeps the version it used."""

    __tablename__ = "tier_schemes"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[intpk]
    name: Mapped[str64]
    version: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[created]
    created_by: Mapped[int | None] = fk_id("staff_users.id")
    tiers: Mapped[list[Tier]] = relationship(
        back_populates="scheme", order_by="Tier.position", cascade="all, delete-orphan"
    )


class Tier(Base):
    """One tier: clients whose contribution is at least ``min_contribution`` (position 0 is the top)."""

    __tablename__ = "tiers"
    __table_args__ = (UniqueConstraint("scheme_id", "code"), UniqueConstraint("scheme_id", "position"))

    id: Mapped[intpk]
    scheme_id: Mapped[int] = fk_id("tier_schemes.id", ondelete="CASCADE")
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str32]
    name_zh: Mapped[str64]
    name_en: Mapped[str64]
    min_contribution: Mapped[money]
    default_mode: Mapped[str16]
    # hours allowed per follow-up step for this tier's cases (tighter for higher tiers)
    followup_sla_hours: Mapped[int] = mapped_column(Integer, default=72)
    scheme: Mapped[TierScheme] = relationship(back_populates="tiers")


class Questionnaire(Base):
    __tablename__ = "questionnaires"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[intpk]
    code: Mapped[str64]
    version: Mapped[int] = mapped_column(Integer)
    title_zh: Mapped[str128]
    title_en: Mapped[str128]
    definition: Mapped[jsondict]
    created_at: Mapped[created]
    # who published this version from the editor, and when (None: loaded from a file by the CLI)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    published_by: Mapped[int | None] = fk_id("staff_users.id")
    questions: Mapped[list[Question]] = relationship(
        back_populates="questionnaire", order_by="Question.position", cascade="all, delete-orphan"
    )


QUESTION_TYPES = ("satisfaction5", "nps10", "single", "multiple", "text", "grid", "number")


class Question(Base):
    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("questionnaire_id", "code"),)

    id: Mapped[intpk]
    questionnaire_id: Mapped[int] = fk_id("questionnaires.id", ondelete="CASCADE")
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str64]
    type: Mapped[str16]
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    is_overall: Mapped[bool] = mapped_column(Boolean, default=False)
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    interview_text_zh: Mapped[str | None] = mapped_column(Text)
    interview_text_en: Mapped[str | None] = mapped_column(Text)
    options: Mapped[list] = mapped_column(JSON, default=list)
    questionnaire: Mapped[Questionnaire] = relationship(back_populates="questions")


WAVE_STATUSES = ("draft", "sampled", "in_field", "closed")


class Wave(Base):
    __tablename__ = "waves"

    id: Mapped[intpk]
    name: Mapped[str64] = mapped_column(unique=True)
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    questionnaire_id: Mapped[int] = fk_id("questionnaires.id")
    tier_scheme_id: Mapped[int] = fk_id("tier_schemes.id")
    status: Mapped[str16] = mapped_column(default="draft")
    # per-wave settings: cool-off days, modes enabled, attempts, calling hours, triggers ...
    settings: Mapped[jsondict]
    created_at: Mapped[created]
    created_by: Mapped[int | None] = fk_id("staff_users.id")
    questionnaire: Mapped[Questionnaire] = relationship()
    tier_scheme: Mapped[TierScheme] = relationship()


class Setting(Base):
    """Bank-wide settings an admin edits (costs per mode, root-cause list, ...)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict] = mapped_column(JSON)


class QuestionnaireDraft(Base):
    """A questionnaire being edited: a definition that may still be incomplete. Published versions live in
    ``questionnaires`` and never change; publishing a draft makes a new version there and ends the draft."""

    __tablename__ = "questionnaire_drafts"

    id: Mapped[intpk]
    code: Mapped[str64]
    definition: Mapped[jsondict]
    # the published version it was started from (None: a blank draft or an imported file)
    based_on_id: Mapped[int | None] = fk_id("questionnaires.id")
    created_at: Mapped[created]
    created_by: Mapped[int | None] = fk_id("staff_users.id")
    updated_at: Mapped[created]
    based_on: Mapped[Questionnaire | None] = relationship()
