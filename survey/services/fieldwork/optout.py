"""Opting out: a signed link in every message; opting out stops every further reminder and call."""

from __future__ import annotations

import datetime as dt

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Client, Invitation, utcnow
from survey.services import audit

SALT = "survey.optout"
OPTOUT_CODE = "2.11"
DEFAULT_TTL_DAYS = 90


def optout_token(secret_key: str, client_id: int) -> str:
    """A token naming the client, signed and time-stamped with the app's secret key (nothing is stored)."""
    return URLSafeTimedSerializer(secret_key, salt=SALT).dumps({"c": int(client_id)})


def client_for_token(session: Session, secret_key: str, token: str, *,
                     ttl_days: int = DEFAULT_TTL_DAYS) -> Client | None:
    """The client a valid token names; None when forged, malformed or older than ``ttl_days``."""
    if not token or len(token) > 200:
        return None
    try:
        data = URLSafeTimedSerializer(secret_key, salt=SALT).loads(token, max_age=ttl_days * 86400)
    except BadSignature:  # SignatureExpired is a BadSignature
        return None
    if not isinstance(data, dict) or not isinstance(data.get("c"), int):
        return None
    return session.get(Client, data["c"])


def opt_out(session: Session, client: Client, *, via: str = "email_link", now: dt.datetime | None = None) -> int:
    """Mark ``client`` opted out and close their open invitations with disposition 2.11.

    Returns the number of invitations closed.  Opting out twice changes nothing more.
    """
    now = now or utcnow()
    first = not client.opted_out
    client.opted_out = True
    client.opted_out_at = client.opted_out_at or now
    client.updated_at = now
    closed = []
    for inv in session.scalars(select(Invitation).where(Invitation.client_id == client.id, Invitation.status == "open")):
        inv.status, inv.disposition = "done", OPTOUT_CODE
        inv.locked_by = inv.locked_until = inv.appointment_at = inv.next_try_at = None
        closed.append(inv.id)
    session.flush()
    audit.record(session, f"client:{client.client_no}", "client.opted_out", "client", client.id, via=via,
                 first_time=first, invitations_closed=sorted(closed))
    return len(closed)
