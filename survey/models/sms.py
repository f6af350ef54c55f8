"""Text messages sent for an invitation through the SMS gateway (or its outbox), with their receipts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from survey.models.base import Base, created, fk_id, intpk, str16, str32


class SmsMessage(Base):
    """One text message: the gateway's id, its delivery status and reason, and the attempt it records.

    ``link_hash`` is the sha256 of the short link's code (the code itself is only in the message).
    """

    __tablename__ = "sms_messages"

    id: Mapped[intpk]
    invitation_id: Mapped[int] = fk_id("invitations.id", ondelete="CASCADE", index=True)
    client_id: Mapped[int] = fk_id("clients.id", index=True)
    attempt_id: Mapped[int | None] = fk_id("contact_attempts.id", ondelete="SET NULL")
    kind: Mapped[str32]
    recipient: Mapped[str32] = mapped_column(index=True)
    language: Mapped[str16]
    encoding: Mapped[str16]
    segments: Mapped[int] = mapped_column(Integer)
    transport: Mapped[str16]
    gateway_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    # sent | delivered | not_delivered
    status: Mapped[str16] = mapped_column(default="sent")
    reason: Mapped[str | None] = mapped_column(String(255))
    link_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    sent_at: Mapped[created]
    status_at: Mapped[dt.datetime | None]
