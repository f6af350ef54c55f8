"""A wave's stages, draft → sampled → in field → closed, and the two transitions of fieldwork.

- **draft → sampled** is the draw (``samples.draw.draw_sample``); before fieldwork opens the
  draw can be reset (sampled → draft), audited, while nothing has been fielded.
- **sampled → in field** is :func:`open_fieldwork`: the phone and visit cases enter the
  interviewers' queue ("Next case" serves only waves in field), and the web links are
  e-mailed now (with a mailer) or by the next ``survey send-invitations``.
- **in field → closed** is :func:`close_fieldwork`: every case still open gets its final
  disposition (``fieldwork.outcomes.closing_disposition``); open links answer with the closed
  page, the queue no longer offers the wave, and the wave's results are final.

Nothing else moves a wave: inviting clients by hand does not put a wave in field, and a closed
wave is never reopened.  Each transition is refused with a :class:`~survey.errors.Conflict`
that says why, and audited.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey.errors import Conflict
from survey.models import ContactAttempt, Invitation, Message, StaffUser, Wave, utcnow
from survey.services import audit
from survey.services.fieldwork import cases as fieldwork_cases
from survey.services.fieldwork import outcomes
from survey.services.fieldwork.mail import Mailer, SendResult, send_invitations
from survey.services.waves import wave_settings

STAGES = ("draft", "sampled", "in_field", "closed")
Actor = StaffUser | str | None


@dataclass(frozen=True)
class Opened:
    """Open cases by mode when fieldwork opened, and the mailing (None when it was left queued)."""

    cases: dict[str, int]
    mail: SendResult | None


@dataclass(frozen=True)
class Closed:
    """How many open cases the close finalised, by the disposition each got."""

    finalised: int
    dispositions: dict[str, int]


def allowed(wave: Wave) -> dict[str, bool]:
    """Which lifecycle actions the wave's stage allows now (the pages show only these)."""
    return {"draw": wave.status == "draft", "open_fieldwork": wave.status == "sampled",
            "close_fieldwork": wave.status == "in_field", "settings": wave.status != "closed"}


def _lock(session: Session, wave: Wave) -> None:
    session.execute(select(Wave.id).where(Wave.id == wave.id).with_for_update())
    session.refresh(wave, ["status"])


def open_cases_by_mode(session: Session, wave: Wave) -> dict[str, int]:
    rows = session.execute(
        select(Invitation.mode, func.count())
        .where(Invitation.wave_id == wave.id, Invitation.kind != "winback", Invitation.status == "open")
        .group_by(Invitation.mode)
    ).all()
    return {mode: int(n) for mode, n in rows}


def open_fieldwork(session: Session, wave: Wave, actor: Actor, *, mailer: Mailer | None = None,
                   now: dt.datetime | None = None) -> Opened:
    """Put a drawn wave in field: its calls and visits become workable; web links are sent (e-mail or SMS)
    now when ``mailer`` is given, else they wait for ``send_invitations``."""
    _lock(session, wave)
    if wave.status == "draft":
        raise Conflict(_l("wave %(wave)s has not been drawn yet: draw its sample before opening fieldwork",
                          wave=wave.name))
    if wave.status == "in_field":
        raise Conflict(_l("fieldwork of wave %(wave)s is already open", wave=wave.name))
    if wave.status == "closed":
        raise Conflict(_l("wave %(wave)s is closed: a closed wave cannot be reopened", wave=wave.name))
    counts = open_cases_by_mode(session, wave)
    if not counts:
        raise Conflict(_l("wave %(wave)s has no open case to work", wave=wave.name))
    wave.status = "in_field"
    session.flush()
    audit.record(session, actor, "wave.fieldwork_opened", "wave", wave.id, cases=counts,
                 mail="now" if mailer else "queued")
    sent = send_invitations(session, wave, mailer, now=now, actor=actor) if mailer else None
    return Opened(counts, sent)


def _histories(session: Session, ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for start in range(0, len(ids), 5000):
        rows = session.execute(
            select(ContactAttempt.invitation_id, ContactAttempt.outcome)
            .where(ContactAttempt.invitation_id.in_(ids[start:start + 5000]))
            .order_by(ContactAttempt.invitation_id, ContactAttempt.at, ContactAttempt.id)
        ).all()
        for inv_id, outcome in rows:
            out.setdefault(inv_id, []).append(outcome)
    return out


def _emailed(session: Session, ids: list[int]) -> set[int]:
    out: set[int] = set()
    for start in range(0, len(ids), 5000):
        out.update(session.scalars(select(Message.invitation_id).where(
            Message.invitation_id.in_(ids[start:start + 5000])).distinct()))
    return out


def close_fieldwork(session: Session, wave: Wave, actor: Actor, *, now: dt.datetime | None = None) -> Closed:
    """End a wave's fieldwork: every case still open gets its final disposition and the wave is final."""
    _lock(session, wave)
    if wave.status in ("draft", "sampled"):
        raise Conflict(_l("fieldwork of wave %(wave)s has not been opened, so it cannot be closed",
                          wave=wave.name))
    if wave.status == "closed":
        raise Conflict(_l("wave %(wave)s is already closed", wave=wave.name))
    now = now or utcnow()
    max_attempts = int(wave_settings(wave)["max_attempts"])
    still_open = session.scalars(
        select(Invitation).where(Invitation.wave_id == wave.id, Invitation.kind != "winback",
                                 Invitation.status == "open").order_by(Invitation.id)
    ).all()
    histories = _histories(session, [inv.id for inv in still_open])
    emailed = _emailed(session, [inv.id for inv in still_open if inv.mode == "web"])
    given: Counter[str] = Counter()
    for inv in still_open:
        code = outcomes.closing_disposition(inv.mode, histories.get(inv.id, ()), attempts=inv.attempts or 0,
                                            max_attempts=max_attempts, mailed=inv.last_message_at is not None,
                                            emailed=inv.id in emailed)
        fieldwork_cases.close(session, inv, code)
        given[code] += 1
    wave.status = "closed"
    session.flush()
    audit.record(session, actor, "wave.closed", "wave", wave.id, finalised=len(still_open),
                 dispositions=dict(sorted(given.items())), at=now.isoformat(timespec="seconds"))
    return Closed(len(still_open), dict(sorted(given.items())))
