"""Survey links: unguessable single-use tokens with an expiry; only their hash is stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey.errors import NotFound, ValidationFailed
from survey.models import Client, Invitation, Response, StaffUser, Wave, utcnow
from survey.services import audit

TOKEN_BYTES = 24  # 192 bits from the OS's CSPRNG


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TokenState:
    """What a token opens: ``status`` is ok, unknown, used or expired."""

    status: str
    invitation: Invitation | None = None


def lookup(session: Session, token: str, now: dt.datetime | None = None) -> TokenState:
    if not token or len(token) > 128:
        return TokenState("unknown")
    inv = session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))
    if inv is None:
        return TokenState("unknown")
    if inv.used_at is not None:
        return TokenState("used", inv)
    if inv.expires_at is not None and inv.expires_at <= (now or utcnow()):
        return TokenState("expired", inv)
    return TokenState("ok", inv)


def issue_token(inv: Invitation, ttl_days: int, now: dt.datetime | None = None) -> str:
    """Give ``inv`` a fresh link (a reminder re-issues one); returns the token, shown only now."""
    now = now or utcnow()
    token = new_token()
    inv.token_hash = token_hash(token)
    inv.issued_at = now
    inv.expires_at = now + dt.timedelta(days=ttl_days)
    return token


HAND = "hand"  # Invitation.kind of clients invited by hand: outside the sample, never weighted


def invite_clients(
    session: Session,
    wave: Wave,
    client_nos: list[str],
    *,
    mode: str,
    ttl_days: int,
    actor: StaffUser | None,
) -> list[tuple[Invitation, str]]:
    """Invite the listed clients to ``wave`` by hand (a pilot, a courtesy call, a complaint follow-up).

    These invitations are of kind ``hand``: not sample cases, shown apart, never weighted into
    the estimates, and they do not change the wave's status.  Clients already invited to the
    wave (in its sample or by hand) are skipped; unknown client numbers are refused all together.
    """
    if wave.status == "closed":
        raise ValidationFailed(_l("wave %(wave)s is closed: nobody can be invited to it", wave=wave.name))
    client_nos = list(dict.fromkeys(c.strip() for c in client_nos if c.strip()))
    if not client_nos:
        raise ValidationFailed(_l("give at least one client number"))
    clients = {c.client_no: c for c in session.scalars(select(Client).where(Client.client_no.in_(client_nos)))}
    unknown = [c for c in client_nos if c not in clients]
    if unknown:
        raise ValidationFailed(_l("unknown client number(s): %(numbers)s", numbers=", ".join(unknown[:20])))
    already = set(session.scalars(
        select(Invitation.client_id).where(Invitation.wave_id == wave.id, Invitation.kind.in_(("sample", HAND)))
    ))
    out = []
    for no in client_nos:
        client = clients[no]
        if client.id in already:
            continue
        inv = Invitation(wave_id=wave.id, client_id=client.id, kind=HAND, tier_code=client.tier_code, mode=mode,
                         mode_reason="manual")
        token = issue_token(inv, ttl_days)
        session.add(inv)
        out.append((inv, token))
    session.flush()
    audit.record(session, actor, "invitations.issued", "wave", wave.id, count=len(out), mode=mode, kind=HAND,
                 client_nos=[no for no in client_nos if clients[no].id not in already][:200])
    return out


def hand_summary(session: Session, wave: Wave) -> dict[str, tuple[int, int]]:
    """Hand invitations of ``wave`` per tier: (invited, answered)."""
    rows = session.execute(
        select(Invitation.tier_code, func.count(Invitation.id), func.count(Response.id))
        .outerjoin(Response, Response.invitation_id == Invitation.id)
        .where(Invitation.wave_id == wave.id, Invitation.kind == HAND)
        .group_by(Invitation.tier_code)
    ).all()
    return {code: (int(n), int(r)) for code, n, r in rows}


def get_invitation(session: Session, invitation_id: int) -> Invitation:
    inv = session.get(Invitation, invitation_id)
    if inv is None:
        raise NotFound(_l("invitation %(id)s not found", id=invitation_id))
    return inv
