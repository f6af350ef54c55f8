"""Factories for fieldwork tests: a wave in field, phone and visit cases, interviewers."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy.orm import Session

from survey.models import Branch, Invitation, StaffUser, Wave
from tests.factories import make_client, make_user, make_wave

# 11:00 in Beijing / Shanghai on a Monday: inside the default calling hours 9–20
IN_HOURS = dt.datetime(2026, 11, 30, 3, 0, tzinfo=dt.UTC)
# 22:00 in Beijing: outside them
AFTER_HOURS = dt.datetime(2026, 11, 30, 14, 0, tzinfo=dt.UTC)

_seq = itertools.count(1)


def field_wave(session: Session, **settings) -> Wave:
    wave = make_wave(session, settings=settings or None)
    wave.status = "in_field"
    session.flush()
    return wave


def field_case(session: Session, wave: Wave, *, mode: str = "phone", assigned_to: StaffUser | None = None,
               **client_kw) -> Invitation:
    """An open case as the draw makes it: no survey link yet (a web link is issued when first sent)."""
    client = make_client(session, **client_kw)
    inv = Invitation(wave_id=wave.id, client_id=client.id, tier_code=client.tier_code, mode=mode)
    session.add(inv)
    session.flush()
    if assigned_to is not None:
        inv.assigned_to = assigned_to.id
    session.flush()
    return inv


def interviewer(session: Session, code: str | None = None, **kw) -> StaffUser:
    return make_user(session, "interviewer", employee_code=code or f"INT{next(_seq):03d}", **kw)


def branch(session: Session, code: str, timezone: str = "Asia/Shanghai") -> Branch:
    b = Branch(code=code, name=f"Branch {code}", timezone=timezone)
    session.add(b)
    session.flush()
    return b
