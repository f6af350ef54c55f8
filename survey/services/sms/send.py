"""Sending one survey message by SMS: compose it, hand it to the gateway, and record it as a contact attempt.

Each message is a ``contact_attempts`` row (mode ``sms``, outcome ``sent``; a delivery receipt later
makes it ``delivered`` or ``not_delivered``) and an ``sms_messages`` row with the gateway's id.
An SMS does not count toward the wave's maximum of calls (``invitations.attempts``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import ContactAttempt, Invitation, SmsMessage
from survey.services.sms import compose, gateway, links
from survey.services.sms.channel import mobile_e164
from survey.services.sms.outbox import OutboxGateway

SMS_MODE = "sms"
SENT, DELIVERED, NOT_DELIVERED = "sent", "delivered", "not_delivered"


def gateway_from_config(config: Mapping) -> gateway.Gateway:
    """The HTTP/JSON gateway when ``SMS_URL`` is set, else the outbox folder (``SMS_OUTBOX_DIR``)."""
    url = config.get("SMS_URL")
    if not url:
        return OutboxGateway(Path(config.get("SMS_OUTBOX_DIR") or Path(config.get("OUTBOX_DIR") or "outbox") / "sms"))
    return gateway.HttpJsonGateway(url, user=config.get("SMS_USER"), key=config.get("SMS_KEY"),
                                   token=config.get("SMS_TOKEN"), sender=config.get("SMS_SENDER"),
                                   timeout=float(config.get("SMS_TIMEOUT") or gateway.DEFAULT_TIMEOUT))


@dataclass(frozen=True)
class SmsSender:
    """The gateway (or outbox) and what the short link is made of."""

    gateway: gateway.Gateway
    base_url: str
    secret_key: str

    @classmethod
    def from_config(cls, config: Mapping) -> SmsSender:
        return cls(gateway_from_config(config), config["PUBLIC_BASE_URL"].rstrip("/"), config["SECRET_KEY"])


def deliver(session: Session, sender: SmsSender, inv: Invitation, kind: str, token: str,
            now: dt.datetime) -> SmsMessage:
    """Send ``kind`` (invitation or reminder) to ``inv``'s client by SMS; raises ``gateway.GatewayError``
    (nothing recorded) when the gateway does not take it."""
    client = inv.client
    to = mobile_e164(client.phone)
    if to is None:
        raise gateway.GatewayError("the client has no mobile number", retryable=False)
    code = links.short_code(token, sender.secret_key)
    text = compose.compose(kind, client.language, links.short_url(sender.base_url, code))
    gid = sender.gateway.send(gateway.Outgoing(to, text.text, reference=f"inv{inv.id}-{kind}"))
    reason = None
    if session.scalar(select(SmsMessage.id).where(SmsMessage.gateway_id == gid)) is not None:
        gid, reason = None, "the gateway gave an id it had given before"
    attempt = ContactAttempt(invitation_id=inv.id, interviewer_id=None, at=now, mode=SMS_MODE, outcome=SENT,
                             is_final=False)
    session.add(attempt)
    session.flush()
    msg = SmsMessage(invitation_id=inv.id, client_id=client.id, attempt_id=attempt.id, kind=kind, recipient=to,
                     language=text.language, encoding=text.encoding, segments=text.segments,
                     transport=sender.gateway.transport, gateway_id=gid, status=SENT, reason=reason,
                     link_hash=links.code_hash(code), sent_at=now)
    session.add(msg)
    inv.last_message_at = now
    session.flush()
    return msg
