"""Survey links: unguessable single-use tokens with an expiry; only their hash is stored.

A link issued with the application's secret key (``key=``) is *derived*: its token is an HMAC of
the invitation's wave, client, kind and issue time, so whoever holds the key can write the same
link again (a resend or a reminder reuses it) while the database alone never reveals it.  A link
issued without the key is random and can be shown only once.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from survey.errors import NotFound, ValidationFailed
from survey.models import Client, Invitation, Questionnaire, Response, StaffUser, Wave, utcnow
from survey.services import audit, questionnaires

TOKEN_BYTES = 24  # 192 bits from the OS's CSPRNG
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class FormWave:
    """What the form needs of a wave: its settings (read fresh) and its cached questionnaire version."""

    id: int
    name: str
    status: str
    settings: dict
    questionnaire: questionnaires.FormQuestionnaire


@dataclass(frozen=True)
class Link:
    """The invitation a survey link opens, read in one query."""

    id: int
    wave_id: int
    client_id: int
    kind: str
    followup_case_id: int | None
    used_at: dt.datetime | None
    expires_at: dt.datetime | None
    status: str
    wave: FormWave


@dataclass(frozen=True)
class TokenState:
    """What a token opens: ``status`` is ok, unknown, used, expired or closed (fieldwork over)."""

    status: str
    invitation: Link | None = None


_LINK = (select(Invitation.id, Invitation.wave_id, Invitation.client_id, Invitation.kind, Invitation.followup_case_id,
                Invitation.used_at, Invitation.expires_at, Invitation.status, Wave.name, Wave.status, Wave.settings, Questionnaire.id,
                Questionnaire.code,
                Questionnaire.version, Questionnaire.created_at)
         .join(Wave, Wave.id == Invitation.wave_id).join(Questionnaire, Questionnaire.id == Wave.questionnaire_id)
         .where(Invitation.token_hash == bindparam("token_hash")))  # built once: no statement or cache key per request


def lookup(session: Session, token: str, now: dt.datetime | None = None) -> TokenState:
    """The link's invitation, wave settings and questionnaire version in one query on the unique token hash."""
    if not token or len(token) > 128:
        return TokenState("unknown")
    row = session.execute(_LINK, {"token_hash": token_hash(token)}).first()
    if row is None:
        return TokenState("unknown")
    (inv_id, wave_id, client_id, kind, case_id, used_at, expires_at, inv_status, wave_name, wave_status, settings,
     *version) = row
    qn = questionnaires.form_of(session, questionnaires.version_key(session, *version))
    inv = Link(inv_id, wave_id, client_id, kind, case_id, used_at, expires_at, inv_status,
               FormWave(wave_id, wave_name, wave_status, settings or {}, qn))
    if used_at is not None:
        return TokenState("used", inv)
    if inv_status != "open" or (kind != "winback" and wave_status == "closed"):
        return TokenState("closed", inv)
    if expires_at is not None and expires_at <= (now or utcnow()):
        return TokenState("expired", inv)
    return TokenState("ok", inv)


def derived_token(inv: Invitation, key: str) -> str | None:
    """The token of ``inv``'s current link re-derived with ``key``, or None when its link was not
    issued with that key (a random link, another key, or no link)."""
    if not key or inv.token_hash is None or inv.issued_at is None:
        return None
    token = _derive(inv, key, inv.issued_at)
    return token if hmac.compare_digest(token_hash(token), inv.token_hash) else None


def _derive(inv: Invitation, key: str, issued_at: dt.datetime) -> str:
    micros = (issued_at.astimezone(dt.UTC) - _EPOCH) // dt.timedelta(microseconds=1)
    message = f"survey-link|{inv.wave_id}|{inv.client_id}|{inv.kind or 'sample'}|{micros}".encode()
    digest = hmac.new(key.encode("utf-8"), message, hashlib.sha256).digest()[:TOKEN_BYTES]
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def issue_token(inv: Invitation, ttl_days: int, now: dt.datetime | None = None, *, key: str | None = None) -> str:
    """Give ``inv`` a new link, replacing any earlier one; returns the token.

    With ``key`` (the app's secret key) the token is derived, so it can be written again later
    (:func:`derived_token`); without it the token is random and shown only now.
    """
    now = now or utcnow()
    token = _derive(inv, key, now) if key else new_token()
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
