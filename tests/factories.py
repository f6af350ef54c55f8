"""Test data factories: each test makes what it needs."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from sqlalchemy.orm import Session

from survey.models import Client, Invitation, StaffUser, Wave
from survey.services import invitations, tiers, users, waves

_seq = itertools.count(1)


def make_user(session: Session, role: str = "supervisor", *, username: str | None = None,
              password: str = "password-123", **kw) -> StaffUser:
    username = username or f"{role}{next(_seq)}"
    return users.create_user(session, username, password, role, **kw)


def make_client(session: Session, **kw) -> Client:
    n = next(_seq)
    scheme = tiers.ensure_default_scheme(session)
    contribution = Decimal(str(kw.pop("contribution", 10000)))
    fields = dict(client_no=f"T{n:07d}", name=f"客户{n}", phone="13800138000", email=None,
                  branch_code="BJ01", manager_code="RM001", contribution=contribution)
    fields.update(kw)
    fields.setdefault("tier_code", str(tiers.tier_codes([float(contribution)], scheme)[0]))
    client = Client(**fields)
    session.add(client)
    session.flush()
    return client


def make_wave(session: Session, name: str | None = None, **kw) -> Wave:
    start = kw.pop("period_start", dt.date(2026, 10, 1))
    return waves.create_wave(session, name=name or f"W{next(_seq)}", period_start=start,
                             period_end=kw.pop("period_end", start + dt.timedelta(days=90)),
                             actor=kw.pop("actor", None), settings=kw.pop("settings", None))


def make_invitation(session: Session, wave: Wave | None = None, client: Client | None = None,
                    ttl_days: int = 30, mode: str = "web", now: dt.datetime | None = None) -> tuple[Invitation, str]:
    wave = wave or make_wave(session)
    client = client or make_client(session)
    inv = Invitation(wave_id=wave.id, client_id=client.id, tier_code=client.tier_code, mode=mode)
    token = invitations.issue_token(inv, ttl_days, now=now)
    session.add(inv)
    session.flush()
    return inv, token


def full_answers(wave: Wave, **overrides) -> dict[str, str]:
    """A valid form submission for every question of ``wave``."""
    form = {}
    for q in wave.questionnaire.questions:
        if q.type == "satisfaction5":
            form[f"q_{q.code}"] = "4"
        elif q.type == "nps10":
            form[f"q_{q.code}"] = "9"
        elif q.type == "single":
            form[f"q_{q.code}"] = q.options[-1]["code"]
        elif q.type == "text":
            form[f"q_{q.code}"] = "很好 good"
    form.update({f"q_{k}": v for k, v in overrides.items()})
    return form
