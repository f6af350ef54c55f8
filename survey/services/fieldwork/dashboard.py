"""The supervisor's view of a wave's fieldwork: progress per tier and per interviewer, and what needs care."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Invitation, StaffUser, Wave, utcnow
from survey.services.fieldwork import outcomes
from survey.services.fieldwork.queue import FIELD_MODES, wave_settings


@dataclass
class Progress:
    """Counts for one row of the dashboard (a tier, an interviewer, or the whole wave).

    sampled: cases released to the wave; assigned: with an interviewer; attempted: at least
    one call or visit; completed / partial: dispositions 1.1 / 1.2; refused: 2.11, 2.12;
    non_contact: closed with a 2.2x code; remaining: still open.
    """

    key: str
    sampled: int = 0
    assigned: int = 0
    attempted: int = 0
    completed: int = 0
    partial: int = 0
    refused: int = 0
    non_contact: int = 0
    remaining: int = 0
    attempts: int = 0

    @property
    def attempts_per_complete(self) -> float | None:
        return self.attempts / self.completed if self.completed else None

    def add(self, inv: Invitation) -> None:
        self.sampled += 1
        self.assigned += inv.assigned_to is not None
        self.attempted += (inv.attempts or 0) > 0
        self.attempts += inv.attempts or 0
        if inv.status == "open":
            self.remaining += 1
            return
        group = outcomes.aapor_group(inv.disposition)
        self.completed += group == "I"
        self.partial += group == "P"
        self.refused += group == "R"
        self.non_contact += group == "NC"


@dataclass
class Dashboard:
    total: Progress
    by_tier: list[Progress]
    by_interviewer: list[Progress]
    names: dict[str, str]
    web: Progress = field(default_factory=lambda: Progress("web"))  # web links: no interviewer, never "unassigned"
    near_limit: list[Invitation] = field(default_factory=list)
    overdue: list[Invitation] = field(default_factory=list)


def build(session: Session, wave: Wave, *, now: dt.datetime | None = None) -> Dashboard:
    now = now or utcnow()
    max_attempts = int(wave_settings(wave)["max_attempts"])
    cases = session.scalars(
        select(Invitation).where(Invitation.wave_id == wave.id, Invitation.kind == "sample").order_by(Invitation.id)
    ).all()
    total = Progress("all")
    tiers: dict[str, Progress] = {t.code: Progress(t.code) for t in wave.tier_scheme.tiers}
    people: dict[str, Progress] = defaultdict(lambda: Progress(""))
    web = Progress("web")
    near, overdue = [], []
    for inv in cases:
        total.add(inv)
        tiers.setdefault(inv.tier_code, Progress(inv.tier_code)).add(inv)
        if inv.mode in FIELD_MODES:
            key = str(inv.assigned_to) if inv.assigned_to else ""
            people[key].key = key
            people[key].add(inv)
        else:
            web.add(inv)
        if inv.status == "open":
            if inv.mode in FIELD_MODES and inv.attempts >= max_attempts - 1:
                near.append(inv)
            if inv.appointment_at is not None and inv.appointment_at < now:
                overdue.append(inv)
    ids = [int(k) for k in people if k]
    names = {str(u.id): u.display_name for u in session.scalars(select(StaffUser).where(StaffUser.id.in_(ids)))}
    by_person = sorted(people.values(), key=lambda p: (p.key == "", names.get(p.key, "")))
    return Dashboard(total, list(tiers.values()), by_person, names, web, near,
                     sorted(overdue, key=lambda i: i.appointment_at))


def field_waves(session: Session) -> list[Wave]:
    return list(session.scalars(select(Wave).where(Wave.status.in_(("in_field", "sampled"))).order_by(Wave.id.desc())))
