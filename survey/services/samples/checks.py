"""What a plan must not do without the supervisor's explicit confirmation.

A plan is drawn only after an explicit confirmation when, in any tier not chosen to be
taken whole, it invites more than half of the tier's frame (a census when it invites the
whole tier), or when its estimated cost goes over the wave's ``budget`` setting.  The plan
page, the wave page and ``survey plan``/``survey draw`` all show these checks, and the draw
refuses (``PlanNeedsConfirmation``) until they are confirmed: by the checkbox on the page or
the plan form (stored with the plan, for this wave only), or by ``survey draw --confirm``.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy.orm import Session

from survey.errors import PlanNeedsConfirmation, joined
from survey.i18n import localized
from survey.models import StaffUser, Wave
from survey.services.samples.plan import Plan, PlanParams, compute_plan, confirm_plan
from survey.services.waves import wave_settings

HALF = 0.5


@dataclass(frozen=True)
class PlanCheck:
    """One reason to confirm: ``key`` is ``census:<tier>``, ``over_half:<tier>`` or ``budget``."""

    key: str
    tier: str | None
    message: LazyString


def wave_budget(wave: Wave) -> float | None:
    """The wave's ``budget`` setting as a number, or None when unset (or not a number)."""
    raw = wave_settings(wave).get("budget")
    if raw is None or isinstance(raw, bool) or str(raw).strip() == "":
        return None
    try:
        value = float(str(raw).replace(",", ""))
    except ValueError:
        return None
    return value if value >= 0 else None


def _money(value: float) -> str:
    return f"{value:,.0f}"


def plan_checks(plan: Plan, wave: Wave) -> list[PlanCheck]:
    """The checks ``plan`` fails for ``wave``, in tier order, the budget last."""
    tiers = {t.code: {"name_zh": t.name_zh, "name_en": t.name_en} for t in wave.tier_scheme.tiers}  # outlive the session

    def name(code: str) -> LazyString:
        return LazyString(lambda: localized(tiers[code], "name") if code in tiers else code)

    method = LazyString(lambda: str(_l(plan.method_used)))
    p = plan.params
    out = []
    for t in plan.tiers:
        if not t.population or t.code in p.take_all or t.share_of_frame <= HALF:
            continue
        census = t.release >= t.population
        if p.total is not None and census:
            msg = _l("%(method)s allocation of %(total)s completes needs a census of %(tier)s",
                     method=method, total=p.total, tier=name(t.code))
        elif p.total is not None:
            msg = _l("%(method)s allocation of %(total)s completes invites %(n)s of the %(big)s clients of %(tier)s, more than half",
                     method=method, total=p.total, n=t.release, big=t.population, tier=name(t.code))
        elif census:
            msg = _l("%(method)s allocation with ±%(margin)s points in every tier needs a census of %(tier)s",
                     method=method, margin=f"{p.margin * 100:g}", tier=name(t.code))
        else:
            msg = _l("%(method)s allocation with ±%(margin)s points in every tier invites %(n)s of the %(big)s clients of %(tier)s, more than half",
                     method=method, margin=f"{p.margin * 100:g}", n=t.release, big=t.population, tier=name(t.code))
        out.append(PlanCheck(f"{'census' if census else 'over_half'}:{t.code}", t.code, msg))
    budget = wave_budget(wave)
    cost = plan.total("cost")
    if budget is not None and cost > budget and plan.tiers:
        top = max(plan.tiers, key=lambda t: t.cost)
        out.append(PlanCheck("budget", top.code, _l(
            "the plan costs %(cost)s, over the wave's budget of %(budget)s; the costliest tier is %(tier)s (%(tier_cost)s)",
            cost=_money(cost), budget=_money(budget), tier=name(top.code), tier_cost=_money(top.cost))))
    return out


def acknowledged(wave: Wave) -> set[str]:
    """Check keys confirmed with the wave's stored plan (only if stored for this very wave)."""
    stored = (wave.settings or {}).get("plan") or {}
    ack = stored.get("acknowledged") or {}
    return set(ack.get("keys") or ()) if ack.get("wave_id") == wave.id else set()


def acknowledgement(wave: Wave, checks: list[PlanCheck]) -> dict:
    """What ``confirm_plan`` stores with the plan when the supervisor confirms its checks."""
    return {"wave_id": wave.id, "keys": [c.key for c in checks]}


def require_confirmation(plan: Plan, wave: Wave, *, confirm: bool, stored: bool = True) -> list[PlanCheck]:
    """The plan's checks; raises PlanNeedsConfirmation naming each one not yet confirmed
    (by ``confirm`` or, when ``stored``, with the wave's stored plan)."""
    checks = plan_checks(plan, wave)
    done = acknowledged(wave) if stored else set()
    pending = [c for c in checks if c.key not in done]
    if pending and not confirm:
        raise PlanNeedsConfirmation(
            _l("This plan needs an explicit confirmation before it is drawn: %(reasons)s.",
               reasons=joined(c.message for c in pending)), pending)
    return checks


def store_plan(session: Session, wave: Wave, params: PlanParams, actor: StaffUser | str | None,
               *, confirm: bool) -> list[PlanCheck]:
    """Store ``params`` as the wave's plan; a plan failing a check needs ``confirm``, which is stored too."""
    plan = compute_plan(session, wave, params)
    checks = require_confirmation(plan, wave, confirm=confirm, stored=False)
    confirm_plan(session, wave, params, actor, acknowledged=acknowledgement(wave, checks))
    return checks
