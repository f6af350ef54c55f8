"""Follow-up reports: cases opened per wave and tier, time in each step, overdue share, root causes,
win-back recovery; each as a table of plain values that the page shows and the CSV download writes."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select, true
from sqlalchemy.orm import Session

from survey.models import CaseEvent, Client, FollowUpCase, Wave
from survey.services import tiers
from survey.services.followup.cases import OPEN_STEPS, root_causes
from survey.services.spreadsheet import neutral_row


@dataclass(frozen=True)
class Table:
    """A report table: ``headers`` are stable English column names (also the CSV header)."""

    name: str
    headers: tuple[str, ...]
    rows: list[tuple]


def _cases_in(branch: str | None):
    """A WHERE clause keeping the cases of ``branch``'s clients (a branch head's scope); None: every case."""
    if branch is None:
        return true()
    return FollowUpCase.client_id.in_(select(Client.id).where(Client.branch_code == branch))


def _tier_order(session: Session) -> dict[str, int]:
    scheme = tiers.active_scheme(session)
    return {t.code: t.position for t in scheme.tiers} if scheme is not None else {}


def opened_per_wave_tier(session: Session, branch: str | None = None) -> Table:
    """Cases opened, still open and closed, per wave (blank: complaints outside any wave) and tier."""
    rows = session.execute(
        select(Wave.name, Wave.period_start, FollowUpCase.tier_code, FollowUpCase.step)
        .select_from(FollowUpCase).outerjoin(Wave, Wave.id == FollowUpCase.wave_id).where(_cases_in(branch))
    ).all()
    counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    starts = {}
    for wave, start, tier, step in rows:
        counts[(wave or "", tier)][step == "closed"] += 1
        starts[wave or ""] = start or dt.date.max
    order = _tier_order(session)
    keys = sorted(counts, key=lambda k: (starts[k[0]], k[0], order.get(k[1], 99), k[1]))
    return Table("opened", ("wave", "tier", "opened", "open", "closed"),
                 [(w, t, sum(counts[(w, t)]), counts[(w, t)][0], counts[(w, t)][1]) for w, t in keys])


def step_durations(session: Session, branch: str | None = None) -> dict[str, list[float]]:
    """Hours each case spent in each step it has left (from the case history)."""
    events = session.execute(
        select(CaseEvent.case_id, CaseEvent.at, CaseEvent.to_step)
        .where(CaseEvent.action.in_(("opened", "advanced", "reopened")),
               CaseEvent.case_id.in_(select(FollowUpCase.id).where(_cases_in(branch))))
        .order_by(CaseEvent.case_id, CaseEvent.at, CaseEvent.id)
    ).all()
    out: dict[str, list[float]] = defaultdict(list)
    for (case_id, at, step), nxt in zip(events, events[1:], strict=False):
        if nxt.case_id == case_id and step in OPEN_STEPS:
            out[step].append((nxt.at - at).total_seconds() / 3600)
    return out


def step_times(session: Session, branch: str | None = None) -> Table:
    """Median and 90th percentile (linear interpolation) of the hours spent in each step."""
    durations = step_durations(session, branch)
    rows = []
    for step in OPEN_STEPS:
        hours = np.array(durations.get(step, []), dtype=float)
        if hours.size:
            rows.append((step, int(hours.size), round(float(np.median(hours)), 1), round(float(np.percentile(hours, 90)), 1)))
        else:
            rows.append((step, 0, None, None))
    return Table("step_times", ("step", "steps_completed", "median_hours", "p90_hours"), rows)


def overdue_share(session: Session, now: dt.datetime, branch: str | None = None) -> Table:
    """Open cases past their deadline now, and steps completed after their deadline, by tier."""
    open_rows = session.execute(
        select(FollowUpCase.tier_code, FollowUpCase.step_deadline, FollowUpCase.escalated_at)
        .where(FollowUpCase.step != "closed", _cases_in(branch))).all()
    late_events = session.execute(
        select(FollowUpCase.tier_code, CaseEvent.fields).join(FollowUpCase, FollowUpCase.id == CaseEvent.case_id)
        .where(CaseEvent.action == "advanced", _cases_in(branch))).all()
    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for tier, deadline, escalated in open_rows:
        for key in (tier, "all"):
            stats[key][0] += 1
            stats[key][1] += deadline is not None and deadline < now
            stats[key][2] += escalated is not None
    for tier, fields in late_events:
        for key in (tier, "all"):
            stats[key][3] += 1
            stats[key][4] += bool((fields or {}).get("late"))
    order = _tier_order(session)
    keys = sorted((k for k in stats if k != "all"), key=lambda k: (order.get(k, 99), k)) + ["all"]
    rows = [(k, s[0], s[1], _share(s[1], s[0]), s[2], s[3], s[4], _share(s[4], s[3]))
            for k in keys for s in [stats[k]]]
    return Table("overdue", ("tier", "open", "overdue_now", "overdue_share", "escalated", "steps_completed",
                             "steps_late", "late_share"), rows)


def root_causes_ranked(session: Session, branch: str | None = None) -> Table:
    """Root causes of analysed cases, most frequent first."""
    labels = {c["code"]: c for c in root_causes(session)}
    counts = Counter((f or {}).get("root_cause") for f in session.scalars(
        select(FollowUpCase.fields).where(FollowUpCase.step.in_(("analysed", "handled", "fed_back", "closed")),
                                          _cases_in(branch))))
    counts.pop(None, None)
    total = sum(counts.values())
    rows = [(code, labels.get(code, {}).get("zh", code), labels.get(code, {}).get("en", code), n, _share(n, total))
            for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    return Table("root_causes", ("root_cause", "label_zh", "label_en", "cases", "share"), rows)


def recovery(session: Session, branch: str | None = None) -> Table:
    """Win-back surveys sent and answered after closed cases, and the share whose satisfaction recovered."""
    rows = session.execute(select(FollowUpCase.tier_code, FollowUpCase.fields, FollowUpCase.recovered)
                           .where(FollowUpCase.step == "closed", _cases_in(branch))).all()
    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for tier, fields, recovered in rows:
        for key in (tier, "all"):
            stats[key][0] += 1
            stats[key][1] += "winback" in (fields or {})
            stats[key][2] += recovered is not None
            stats[key][3] += recovered is True
    order = _tier_order(session)
    keys = sorted((k for k in stats if k != "all"), key=lambda k: (order.get(k, 99), k)) + (["all"] if stats else [])
    return Table("recovery", ("tier", "closed", "winback_sent", "answered", "recovered", "recovery_rate"),
                 [(k, *stats[k], _share(stats[k][3], stats[k][2])) for k in keys])


def _share(part: int, whole: int) -> float | None:
    """A proportion, or None (shown as undefined, never 0) when the denominator is zero."""
    return round(part / whole, 4) if whole else None


REPORTS = {"opened": opened_per_wave_tier, "step_times": step_times, "overdue": overdue_share,
           "root_causes": root_causes_ranked, "recovery": recovery}


def report(session: Session, name: str, now: dt.datetime, branch: str | None = None) -> Table:
    """Report ``name``, over every case or only those of ``branch``'s clients (a branch head's scope)."""
    fn = REPORTS[name]
    return fn(session, now, branch) if name == "overdue" else fn(session, branch)


def to_csv(table: Table) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(neutral_row(table.headers))
    writer.writerows(neutral_row("" if v is None else v for v in row) for row in table.rows)
    return buf.getvalue()
