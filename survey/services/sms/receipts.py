"""What the SMS gateway posts back: delivery receipts (attempt outcomes) and replies (opt-out keywords).

Both are idempotent: a receipt repeated, or one arriving after the message's first final
receipt, changes nothing; a second STOP from a client already opted out changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import unicodedata
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, union
from sqlalchemy.orm import Session

from survey.errors import NotFound, ValidationFailed
from survey.models import Client, ContactAttempt, SmsMessage, utcnow
from survey.services import audit
from survey.services.fieldwork import optout
from survey.services.sms.channel import mobile_e164, phone_spellings
from survey.services.sms.send import DELIVERED, NOT_DELIVERED, SENT

SIGNATURE_HEADER = "X-Survey-Signature"
OPT_OUT_KEYWORDS = frozenset({"stop", "td", "退订", "t", "取消"})
# receipt statuses as gateways spell them (SMPP's DELIVRD/UNDELIV/..., or words)
DELIVERED_WORDS = frozenset({"delivered", "delivrd", "success", "succeeded"})
NOT_DELIVERED_WORDS = frozenset({"not_delivered", "undelivered", "undeliv", "failed", "rejected", "rejectd",
                                 "expired", "deleted", "unknown", "invalid_number"})
ACTOR = "sms-gateway"


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: the HMAC-SHA256 of the raw request body with the shared secret."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    if not header or len(header) > 200:
        return False
    given = header.strip()
    given = given if given.startswith("sha256=") else "sha256=" + given
    return hmac.compare_digest(given.encode("ascii", "replace"), signature(secret, body).encode("ascii"))


def _text(payload: dict, name: str, limit: int, *, required: bool = True) -> str | None:
    value = payload.get(name)
    if value is None or value == "":
        if required:
            raise ValidationFailed(_l("field %(field)s is required", field=name), [(name, "required")])
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ValidationFailed(_l("field %(field)s must be text", field=name), [(name, "type")])
    value = str(value).strip()
    if len(value) > limit or "\x00" in value:
        raise ValidationFailed(_l("field %(field)s is longer than %(n)s characters", field=name, n=limit),
                               [(name, "length")])
    return value


@dataclass(frozen=True)
class Receipt:
    message_id: int
    invitation_id: int
    status: str
    changed: bool


def record_receipt(session: Session, payload: dict, *, now: dt.datetime | None = None) -> Receipt:
    """Record a delivery receipt ``{"message_id", "status", "reason"?}``: the message's status and its
    attempt's outcome become ``delivered`` or ``not_delivered`` (with the gateway's reason)."""
    gid = _text(payload, "message_id", 128)
    word = _text(payload, "status", 32).lower()
    reason = _text(payload, "reason", 255, required=False)
    if word in DELIVERED_WORDS:
        status = DELIVERED
    elif word in NOT_DELIVERED_WORDS:
        status = NOT_DELIVERED
    else:
        raise ValidationFailed(_l("status %(value)r is not a delivery status", value=word[:32]), [("status", "value")])
    # locked: two deliveries of the same receipt at once record it once
    msg = session.scalar(select(SmsMessage).where(SmsMessage.gateway_id == gid).with_for_update())
    if msg is None:
        raise NotFound(_l("no text message has the id %(id)r", id=gid))
    if msg.status != SENT:  # the first final receipt stands; a repeat changes nothing
        return Receipt(msg.id, msg.invitation_id, msg.status, False)
    now = now or utcnow()
    msg.status, msg.reason, msg.status_at = status, reason, now
    attempt = session.get(ContactAttempt, msg.attempt_id) if msg.attempt_id else None
    if attempt is not None:
        attempt.outcome, attempt.note = status, reason
    session.flush()
    audit.record(session, ACTOR, "sms.receipt", "invitation", msg.invitation_id, message=msg.id, status=status,
                 reason=reason)
    return Receipt(msg.id, msg.invitation_id, status, True)


def is_opt_out(text: str) -> bool:
    """A reply that is only an opt-out keyword (STOP, TD, 退订, T, 取消), in any case, full- or half-width, trimmed."""
    return unicodedata.normalize("NFKC", text).strip().casefold() in OPT_OUT_KEYWORDS


@dataclass(frozen=True)
class Reply:
    keyword: bool
    opted_out: list[int] = field(default_factory=list)  # clients opted out by this reply (not before)
    matched: int = 0


def clients_of(session: Session, e164: str) -> list[Client]:
    """The clients a reply from ``e164`` comes from: those we texted at that number, and those whose file holds it."""
    texted = select(SmsMessage.client_id).where(SmsMessage.recipient == e164)
    on_file = select(Client.id).where(Client.phone.in_(phone_spellings(e164)))
    # a UNION of two index lookups (sms_messages.recipient, clients.phone), not an OR over the client file
    return list(session.scalars(select(Client).where(Client.id.in_(union(texted, on_file))).order_by(Client.id)))


def record_reply(session: Session, payload: dict, *, now: dt.datetime | None = None) -> Reply:
    """Act on a reply ``{"from", "text"}``: an opt-out keyword opts out every client at that number,
    as the opt-out link does (``optout.opt_out``, audited, open cases closed); other text is ignored."""
    sender = _text(payload, "from", 32)
    text = _text(payload, "text", 1600, required=False) or ""
    e164 = mobile_e164(sender)
    if e164 is None:
        raise ValidationFailed(_l("%(value)r is not a mobile number", value=sender), [("from", "value")])
    if not is_opt_out(text):
        return Reply(False)
    clients = clients_of(session, e164)
    done = []
    for client in clients:
        if not client.opted_out:
            optout.opt_out(session, client, via="sms_reply", now=now)
            done.append(client.id)
    return Reply(True, done, len(clients))
