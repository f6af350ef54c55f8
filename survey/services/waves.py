"""Waves: one tracking round with its questionnaire, tier scheme and settings."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey.errors import Conflict, NotFound, ValidationFailed
from survey.form_values import ascii_int
from survey.models import Answer, Invitation, Questionnaire, Response, StaffUser, Wave
from survey.services import audit, questionnaires, tiers

DEFAULT_SETTINGS = {
    "cool_off_days": 90,
    "web_enabled": False,
    "max_attempts": 6,
    "retry_wait_minutes": 120,
    "calling_hours": [9, 20],
    "token_ttl_days": 30,
    "reminder_after_days": 5,
    "max_reminders": 2,
    "expected_response_rate": 0.5,
    "exclude_open_complaints": True,
    "budget": None,  # fieldwork budget of the wave (cost units of fieldwork_costs); None = no limit
    "scorecard_min_respondents": 10,  # fewer respondents: shown on scorecards but not ranked
    "weighting": "design",  # quality figures: "design" (N_h / r_h) or "raked" to the client file's margins
}


def wave_settings(wave: Wave) -> dict:
    """The wave's settings over the defaults: the one place a missing setting gets its value."""
    return {**DEFAULT_SETTINGS, **(wave.settings or {})}


# kept with the wave but not copied to the next one: the plan is confirmed afresh for every wave
NOT_COPIED = ("plan",)


def modes_by_tier(wave: Wave) -> dict[str, str]:
    """Contact mode per tier: the wave's ``modes`` setting over the tier scheme's default modes."""
    chosen = wave_settings(wave).get("modes") or {}
    return {t.code: chosen.get(t.code) or t.default_mode for t in wave.tier_scheme.tiers}


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months, kept inside the target month (31 January + 1 month = 28/29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def next_period(session: Session, after: Wave | None = None) -> tuple[dt.date, dt.date]:
    """The default period of a new wave: the quarter after ``after`` (or after the latest wave),
    else the current calendar quarter."""
    after = after or latest_wave(session)
    if after is not None:
        start = after.period_end + dt.timedelta(days=1)
    else:
        today = dt.date.today()
        start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    return start, add_months(start, 3) - dt.timedelta(days=1)


def latest_wave(session: Session) -> Wave | None:
    return session.scalar(select(Wave).order_by(Wave.period_start.desc(), Wave.id.desc()).limit(1))


def create_wave(
    session: Session,
    *,
    name: str,
    period_start: dt.date,
    period_end: dt.date,
    actor: StaffUser | None,
    settings: dict | None = None,
    from_wave: Wave | None = None,
    questionnaire: Questionnaire | None = None,
) -> Wave:
    """A new draft wave; ``from_wave`` gives its settings (but not its plan), questionnaire version
    and tier scheme, else the current questionnaire, the active scheme and the default settings.
    ``settings`` override either; ``questionnaire`` (a published version) overrides the questionnaire."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_l("name is required"), [("name", "required")])
    if period_end < period_start:
        raise ValidationFailed(_l("the period ends before it starts"), [("period_end", "before start")])
    if session.scalar(select(Wave.id).where(Wave.name == name)):
        raise ValidationFailed(_l("a wave named %(name)r already exists", name=name), [("name", "taken")])
    if from_wave is not None:
        qn_id, scheme_id = from_wave.questionnaire_id, from_wave.tier_scheme_id
        base = {k: v for k, v in wave_settings(from_wave).items() if k not in NOT_COPIED}
    else:
        qn_id, scheme_id = questionnaires.current(session).id, tiers.ensure_default_scheme(session).id
        base = dict(DEFAULT_SETTINGS)
    if questionnaire is not None:
        qn_id = questionnaire.id
    wave = Wave(name=name, period_start=period_start, period_end=period_end, questionnaire_id=qn_id,
                tier_scheme_id=scheme_id, status="draft", settings={**base, **(settings or {})},
                created_by=actor.id if isinstance(actor, StaffUser) else None)
    session.add(wave)
    session.flush()
    audit.record(session, actor, "wave.created", "wave", wave.id, name=name,
                 from_wave=from_wave.name if from_wave is not None else None,
                 questionnaire=f"{wave.questionnaire.code}:{wave.questionnaire.version}")
    return wave


def set_questionnaire(session: Session, wave: Wave, qn: Questionnaire, actor: StaffUser | str) -> None:
    """Switch a draft wave to another published questionnaire version; from the draw on it is fixed."""
    if wave.status != "draft":
        raise Conflict(_l("Wave %(name)s is past its draft (%(status)s): only a draft wave can switch versions.",
                          name=wave.name, status=wave.status))
    if qn.id == wave.questionnaire_id:
        return
    if session.scalar(select(func.count(Response.id)).where(Response.wave_id == wave.id)):
        raise Conflict(_l("Wave %(name)s already has answers to its questionnaire version: it cannot switch.",
                          name=wave.name))
    old = wave.questionnaire
    wave.questionnaire = qn
    session.flush()
    audit.record(session, actor, "wave.questionnaire_changed", "wave", wave.id,
                 old=f"{old.code}:{old.version}", new=f"{qn.code}:{qn.version}")


def get_wave(session: Session, wave_id: int) -> Wave:
    wave = session.get(Wave, wave_id)
    if wave is None:
        raise NotFound(_l("wave %(id)s not found", id=wave_id))
    return wave


def find_wave(session: Session, name_or_id: str) -> Wave:
    wave = session.scalar(select(Wave).where(Wave.name == name_or_id))
    if wave is None and ascii_int(str(name_or_id)) is not None:
        wave = session.get(Wave, ascii_int(str(name_or_id)))
    if wave is None:
        raise NotFound(_l("no wave named %(name)r", name=name_or_id))
    return wave


@dataclass(frozen=True)
class TierSummary:
    tier_code: str
    invited: int
    responded: int
    mean_overall: float | None


def list_waves(session: Session) -> list[tuple[Wave, int, int]]:
    """Every wave, newest first, with its sample invitation count and its sample response count."""
    inv = (select(Invitation.wave_id, func.count().label("n")).where(Invitation.kind == "sample")
           .group_by(Invitation.wave_id).subquery())
    resp = (select(Response.wave_id, func.count().label("n"))
            .join(Invitation, Invitation.id == Response.invitation_id).where(Invitation.kind == "sample")
            .group_by(Response.wave_id).subquery())
    rows = session.execute(
        select(Wave, func.coalesce(inv.c.n, 0), func.coalesce(resp.c.n, 0))
        .outerjoin(inv, inv.c.wave_id == Wave.id)
        .outerjoin(resp, resp.c.wave_id == Wave.id)
        .order_by(Wave.period_start.desc(), Wave.id.desc())
    )
    return [tuple(r) for r in rows]


def tier_summary(session: Session, wave: Wave) -> list[TierSummary]:
    """Sample invitations, their responses and the mean overall satisfaction per tier.

    Within a tier every respondent has the same weight, so the plain mean is the tier's estimate;
    win-back invitations of follow-up cases are not part of the sample and are left out.
    """
    overall = questionnaires.overall_question(wave.questionnaire)
    invited = dict(session.execute(
        select(Invitation.tier_code, func.count())
        .where(Invitation.wave_id == wave.id, Invitation.kind == "sample").group_by(Invitation.tier_code)
    ).all())
    stats = {
        code: (n, mean)
        for code, n, mean in session.execute(
            select(Invitation.tier_code, func.count(Response.id), func.avg(Answer.value_num))
            .join(Response, Response.invitation_id == Invitation.id)
            .outerjoin(Answer, (Answer.response_id == Response.id) & (Answer.question_id == overall.id))
            .where(Invitation.wave_id == wave.id, Invitation.kind == "sample")
            .group_by(Invitation.tier_code)
        )
    }
    order = [t.code for t in wave.tier_scheme.tiers]
    return [
        TierSummary(code, invited.get(code, 0), stats.get(code, (0, None))[0],
                    float(stats[code][1]) if code in stats and stats[code][1] is not None else None)
        for code in order
    ]


def questions_of(wave: Wave) -> list[questionnaires.FormQuestion]:
    """The wave's questions in order, from the per-process cache of questionnaire versions."""
    return list(questionnaires.form_of_questionnaire(wave.questionnaire).questions)
