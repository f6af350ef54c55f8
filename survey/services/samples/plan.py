"""The sampling plan of a wave: sizes per tier, expected completes, margins, modes and cost.

Rules of the plan (shown on the plan page too):

- ``n_h`` (allocated) is the number of *completes* the design aims at.  With a target
  margin, the total is the smallest whose allocation gives every tier a margin of error
  (for a proportion, p = 0.5) at most the target; otherwise a fixed total is allocated.
- The initial release is ``ceil(n_h / r)`` invitations, at most N_h, where r is
  ``wave.settings["expected_response_rate"]``; the expected completes are ``release x r``.
- The draw selects ``release + ceil(release x reserve_share)`` clients per tier (at most
  N_h); the cases beyond the release are kept as reserve, in release order.
- Neyman and cost-optimal allocation use the per-tier standard deviation of overall
  satisfaction in the most recent earlier wave with responses; without one, the plan
  falls back to proportional allocation and says so.
- The default method is equal allocation: with a margin required in *every* tier and a
  top tier holding well under 1 % of the clients, proportional allocation would need a
  sample of nearly the whole lower tiers.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import sampling
from survey.errors import Conflict, ValidationFailed, joined
from survey.models import Answer, Invitation, Response, Setting, StaffUser, Wave
from survey.services import audit, questionnaires
from survey.services.samples.frame import Frame, load_frame
from survey.services.waves import modes_by_tier, wave_settings

METHODS = ("proportional", "equal", "neyman", "optimal")
DEFAULT_COSTS = {"phone": 30.0, "in_person": 200.0, "web": 2.0}


@dataclass(frozen=True)
class PlanParams:
    """What the supervisor chooses; ``total`` (completes) overrides ``margin`` when given."""

    margin: float | None = 0.05
    total: int | None = None
    confidence: float = 0.95
    method: str = "equal"
    minimum: int = 30
    take_all: tuple[str, ...] = ()
    reserve_share: float = 0.5

    def to_dict(self) -> dict:
        return {**asdict(self), "take_all": list(self.take_all)}

    @classmethod
    def from_mapping(cls, data: dict, tier_codes=None) -> PlanParams:
        """Parse form, CLI or stored values; raises ValidationFailed naming each bad field."""
        problems: list[tuple[str, str]] = []

        def number(name, kind, default, low, high, *, open_low=False, blank_none=False):
            raw = data.get(name)
            if raw is None or str(raw).strip() == "":
                return None if blank_none else default
            try:
                value = kind(str(raw).strip()) if isinstance(raw, str) else kind(raw)
            except (TypeError, ValueError):
                problems.append((name, _l("%(name)s must be a number but got %(raw)r", name=name, raw=raw)))
                return default
            if value < low or value > high or (open_low and value == low):
                problems.append((name, _l("%(name)s must be between %(low)s and %(high)s but got %(raw)r",
                                          name=name, low=low, high=high, raw=raw)))
                return default
            return value

        total = number("total", int, None, 1, 10**9, blank_none=True)
        margin = number("margin", float, 0.05, 0.0, 0.5, open_low=True, blank_none=total is not None)
        if total is None and margin is None:
            problems.append(("margin", _l("give a target margin or a fixed total")))
        method = data.get("method") or "equal"
        if method not in METHODS:
            problems.append(("method", _l("method must be one of %(methods)s but got %(method)r",
                                          methods=", ".join(METHODS), method=method)))
        take_all = data.get("take_all") or ()
        take_all = (take_all,) if isinstance(take_all, str) else tuple(take_all)
        unknown = [t for t in take_all if tier_codes is not None and t not in tier_codes]
        if unknown:
            problems.append(("take_all", _l("unknown tier %(tier)r", tier=unknown[0])))
        params = cls(
            margin=None if total is not None else margin,
            total=total,
            confidence=number("confidence", float, 0.95, 0.5, 0.999),
            method=method,
            minimum=number("minimum", int, 30, 0, 10**6),
            take_all=tuple(dict.fromkeys(take_all)),
            reserve_share=number("reserve_share", float, 0.5, 0.0, 5.0),
        )
        if problems:
            raise ValidationFailed(joined(why for _f, why in problems), problems)
        return params


@dataclass(frozen=True)
class TierPlan:
    code: str
    population: int
    excluded: dict[str, int]
    allocated: int
    release: int
    drawn: int
    expected_completes: float
    margin: float | None
    modes: dict[str, int]
    cost: float
    census_modes: dict[str, int] = field(default_factory=dict)  # what inviting the whole tier would take
    census_cost: float = 0.0

    @property
    def share_of_frame(self) -> float:
        """Invitations as a share of the tier's frame (0 for an empty tier)."""
        return self.release / self.population if self.population else 0.0


@dataclass(frozen=True)
class Plan:
    params: PlanParams
    method_used: str
    response_rate: float
    costs: dict[str, float]
    tiers: list[TierPlan]
    overall_margin: float | None
    sd: dict[str, float] | None = None
    sd_source: str | None = None
    notes: list[str] = field(default_factory=list)
    unknown_tier: int = 0

    def total(self, attr: str) -> float:
        return sum(getattr(t, attr) for t in self.tiers)

    def sizes(self, attr: str) -> dict[str, int]:
        return {t.code: getattr(t, attr) for t in self.tiers}


def fieldwork_costs(session: Session) -> dict[str, float]:
    """Cost per case by mode: the ``fieldwork_costs`` setting ("call"/"visit" accepted) over the defaults."""
    row = session.get(Setting, "fieldwork_costs")
    value = dict(row.value) if row is not None and isinstance(row.value, dict) else {}
    aliases = {"phone": "call", "in_person": "visit", "web": "web"}
    return {m: float(value.get(m, value.get(aliases[m], d))) for m, d in DEFAULT_COSTS.items()}


def previous_sd(session: Session, wave: Wave) -> tuple[str, dict[str, float]] | None:
    """Per-tier SD of overall satisfaction in the latest earlier wave with responses.

    Tiers with fewer than two answers get the mean SD of the other tiers.
    """
    earlier = session.scalars(
        select(Wave).where((Wave.period_start < wave.period_start)
                           | ((Wave.period_start == wave.period_start) & (Wave.id < wave.id)))
        .order_by(Wave.period_start.desc(), Wave.id.desc())
    )
    codes = [t.code for t in wave.tier_scheme.tiers]
    for prev in earlier:
        overall = questionnaires.overall_question(prev.questionnaire)
        x = Answer.value_num
        rows = session.execute(
            select(Invitation.tier_code, func.count(x), func.avg(x), func.avg(x * x))
            .join(Response, Response.invitation_id == Invitation.id)
            .join(Answer, (Answer.response_id == Response.id) & (Answer.question_id == overall.id))
            .where(Response.wave_id == prev.id, Invitation.kind == "sample", x.is_not(None))
            .group_by(Invitation.tier_code)
        ).all()
        sds = {code: math.sqrt(max(float(m2) - float(m) ** 2, 0.0) * n / (n - 1))
               for code, n, m, m2 in rows if n >= 2}
        if sds:
            fill = sum(sds.values()) / len(sds)
            return prev.name, {code: sds.get(code, fill) for code in codes}
    return None


def _feasible(sizes, pops, margin, confidence) -> bool:
    for code, n in sizes.items():
        if pops[code] == 0 or n >= pops[code]:
            continue
        if n == 0 or sampling.margin_of_error(n, pops[code], confidence) > margin * (1 + 1e-12):
            return False
    return True


def sizes_for_margin(pops: dict, margin: float, method: str, *, confidence: float, sd=None, cost=None,
                     minimum: int = 0, take_all=()) -> dict[str, int]:
    """Completes per tier: the smallest total whose allocation meets ``margin`` in every tier.

    Proportional and equal allocation use ``sampling.total_for_margin``; Neyman and optimal,
    whose weights come from satisfaction SDs while the margin is for a proportion, bisect the
    total with ``sampling.allocate`` and ``sampling.margin_of_error``.
    """
    if method in ("proportional", "equal"):
        return sampling.total_for_margin(pops, margin, method, confidence=confidence, minimum=minimum,
                                         take_all=take_all).sizes
    kw = dict(sd=sd, cost=cost if method == "optimal" else None, minimum=minimum, take_all=take_all)
    low = int(sum(min(minimum, n) if c not in take_all else n for c, n in pops.items()))
    high = int(sum(pops.values()))
    smallest = sampling.allocate(pops, low, method, **kw)
    if _feasible(smallest, pops, margin, confidence):
        return smallest
    best = sampling.allocate(pops, high, method, **kw)
    while high - low > 1:  # low infeasible, high feasible
        mid = (low + high) // 2
        trial = sampling.allocate(pops, mid, method, **kw)
        if _feasible(trial, pops, margin, confidence):
            high, best = mid, trial
        else:
            low = mid
    return best


def compute_plan(session: Session, wave: Wave, params: PlanParams, frame: Frame | None = None) -> Plan:
    """The plan of ``wave`` for ``params`` over ``frame`` (loaded now when not given)."""
    frame = frame if frame is not None else load_frame(session, wave)
    rate = float(wave_settings(wave)["expected_response_rate"]) or 1.0
    pops = frame.population
    mode_by_tier = modes_by_tier(wave)
    mix = frame.mode_mix(mode_by_tier)
    costs = fieldwork_costs(session)
    fallback_cost = costs.get(mode_by_tier.get(next(iter(pops), ""), "phone"), 1.0)
    case_cost = {c: (sum(share * costs[m] for m, share in mix[c].items()) if pops[c] else
                     costs.get(mode_by_tier[c], fallback_cost)) or 1.0 for c in pops}
    notes, method, sd, source = [], params.method, None, None
    if method in ("neyman", "optimal"):
        prev = previous_sd(session, wave)
        if prev is None:
            notes.append("no_previous_sd")
            method = "proportional"
        else:
            source, sd = prev
    take_all = tuple(t for t in params.take_all if t in pops)
    try:
        if params.total is not None:
            sizes = sampling.allocate(pops, params.total, method, sd=sd, minimum=params.minimum, take_all=take_all,
                                      cost=case_cost if method == "optimal" else None)
        else:
            sizes = sizes_for_margin(pops, params.margin, method, confidence=params.confidence, sd=sd,
                                     cost=case_cost, minimum=params.minimum, take_all=take_all)
    except ValueError as exc:  # e.g. a total below what the minimum per tier and take_all need
        field = "total" if params.total is not None else "margin"
        raise ValidationFailed(_l("no plan fits these figures: %(why)s", why=str(exc)), [(field, str(exc))]) from None
    big_n = sum(pops.values())
    tiers, variance = [], (0.0 if big_n else None)
    for code, n_h in sizes.items():
        big = pops[code]
        release = min(big, math.ceil(n_h / rate - 1e-9))
        drawn = min(big, release + math.ceil(release * params.reserve_share - 1e-9))
        completes = release * rate
        k = math.floor(completes + 1e-9)
        margin = sampling.margin_of_error(k, big, params.confidence) if big and k >= 1 else None
        if big and variance is not None:
            variance = None if margin is None else variance + (big / big_n) ** 2 * margin ** 2
        modes = {m: round(release * share) for m, share in mix[code].items()}
        census = {m: round(big * share) for m, share in mix[code].items()}
        tiers.append(TierPlan(code, big, frame.excluded[code], n_h, release, drawn, completes, margin, modes,
                              release * case_cost[code], census, big * case_cost[code]))
    if frame.unknown_tier:
        notes.append("unknown_tier")
    return Plan(params, method, rate, costs, tiers, None if variance is None else math.sqrt(variance),
                sd, source, notes, frame.unknown_tier)


def confirm_plan(session: Session, wave: Wave, params: PlanParams, actor: StaffUser | str | None,
                 *, acknowledged: dict | None = None) -> None:
    """Store ``params`` as the wave's plan (used by the draw); refused once the wave is drawn.

    ``acknowledged`` records the plan checks the supervisor confirmed with it (see ``checks``).
    """
    if wave.status != "draft":
        raise Conflict(_l("wave %(wave)s is %(status)s: the plan can only change before the draw",
                          wave=wave.name, status=wave.status))
    stored = params.to_dict()
    if acknowledged and acknowledged.get("keys"):
        stored["acknowledged"] = acknowledged
    wave.settings = {**(wave.settings or {}), "plan": stored}
    audit.record(session, actor, "sample.plan_confirmed", "wave", wave.id, **stored)


def stored_params(wave: Wave) -> PlanParams:
    """The confirmed plan of ``wave``, or the defaults."""
    stored = (wave.settings or {}).get("plan")
    return PlanParams.from_mapping(stored) if stored else PlanParams()
