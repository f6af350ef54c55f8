"""Each interviewer's private iCalendar feed of their appointments (RFC 5545, written by hand).

The feed's address holds a random token; only its sha256 is stored
(``staff_users.calendar_token_hash``), so a revoked or replaced address stops working at once.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from survey.models import Client, Invitation, StaffUser, utcnow
from survey.services import audit
from survey.services.invitations import new_token, token_hash

DURATION = {"phone": dt.timedelta(minutes=30), "in_person": dt.timedelta(hours=1)}
PRODID = "-//Bank client satisfaction//Fieldwork calendar//EN"


def create_token(session: Session, user: StaffUser) -> str:
    """A new secret feed address for ``user`` (any older one stops working); shown only now."""
    token = new_token()
    user.calendar_token_hash = token_hash(token)
    session.flush()
    audit.record(session, user, "fieldwork.calendar_created", "staff_user", user.id)
    return token


def revoke(session: Session, user: StaffUser) -> None:
    user.calendar_token_hash = None
    session.flush()
    audit.record(session, user, "fieldwork.calendar_revoked", "staff_user", user.id)


def user_for_token(session: Session, token: str) -> StaffUser | None:
    if not token or len(token) > 128:
        return None
    user = session.scalar(select(StaffUser).where(StaffUser.calendar_token_hash == token_hash(token)))
    return user if user is not None and user.active else None


def appointments(session: Session, user: StaffUser, now: dt.datetime) -> list[tuple[Invitation, Client]]:
    """``user``'s future appointments on open cases."""
    return [(inv, client) for inv, client in session.execute(
        select(Invitation, Client).join(Client, Client.id == Invitation.client_id)
        .where(Invitation.status == "open", Invitation.appointment_at > now,
               or_(Invitation.assigned_to == user.id,
                   (Invitation.assigned_to.is_(None)) & (Invitation.locked_by == user.id)))
        .order_by(Invitation.appointment_at)
    )]


def _text(value: str) -> str:
    """RFC 5545 TEXT (3.3.11): backslash, ``;`` and ``,`` escaped; any line end (CRLF, a lone CR or LF)
    becomes ``\\n``; other control characters, which TEXT may not hold, are dropped."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return CONTROL.sub("", LINE_END.sub(r"\\n", value))


LINE_END = re.compile(r"\r\n|\r|\n")
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _fold(line: str) -> str:
    """Fold a content line at 75 octets without splitting a UTF-8 character (RFC 5545 §3.1)."""
    out, current, size = [], "", 0
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > (75 if not out else 74):
            out.append(current)
            current, size = "", 0
        current += ch
        size += n
    out.append(current)
    return "\r\n ".join(out)


def _stamp(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def feed(session: Session, user: StaffUser, *, base_url: str, now: dt.datetime | None = None) -> str:
    """The iCalendar text of ``user``'s future appointments."""
    now = now or utcnow()
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{_text('访问预约 Fieldwork ' + user.display_name)}"]
    for inv, client in appointments(session, user, now):
        kind = "回访电话 Callback" if inv.mode == "phone" else "上门面访 Visit"
        start = inv.appointment_at
        lines += [
            "BEGIN:VEVENT",
            f"UID:case-{inv.id}-{_stamp(start)}@survey",
            f"DTSTAMP:{_stamp(now)}",
            f"DTSTART:{_stamp(start)}",
            f"DTEND:{_stamp(start + DURATION.get(inv.mode, DURATION['phone']))}",
            f"SUMMARY:{_text(f'{kind}: {client.name}')}",
            f"DESCRIPTION:{_text(f'{client.client_no} · {client.branch_code}')}",
            f"URL:{base_url.rstrip('/')}/staff/fieldwork/cases/{inv.id}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)
