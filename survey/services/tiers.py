"""Tier schemes: the bank's standard for tiering clients by contribution, versioned."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from survey.errors import ValidationFailed, joined
from survey.form_values import ascii_int
from survey.models import Client, StaffUser, Tier, TierScheme
from survey.services import audit

# The playbook's default: the top tiers are kept by phone, the lower tiers visited in person;
# follow-up deadlines are tighter the higher the tier.
MAX_THRESHOLD = Decimal("1e13")  # yuan, as for an imported contribution
MAX_SLA_HOURS = 24 * 365
DEFAULT_TIERS = (
    dict(code="private", name_zh="私人银行", name_en="Private banking", min_contribution=Decimal("6000000"), default_mode="phone", followup_sla_hours=24),
    dict(code="diamond", name_zh="钻石", name_en="Diamond", min_contribution=Decimal("2000000"), default_mode="phone", followup_sla_hours=24),
    dict(code="platinum", name_zh="白金", name_en="Platinum", min_contribution=Decimal("500000"), default_mode="phone", followup_sla_hours=48),
    dict(code="gold", name_zh="金卡", name_en="Gold", min_contribution=Decimal("50000"), default_mode="in_person", followup_sla_hours=72),
    dict(code="standard", name_zh="普通", name_en="Standard", min_contribution=Decimal("0"), default_mode="in_person", followup_sla_hours=120),
)


def active_scheme(session: Session) -> TierScheme | None:
    return session.scalar(select(TierScheme).where(TierScheme.active.is_(True)))


def ensure_default_scheme(session: Session) -> TierScheme:
    """The active scheme, creating the playbook's default when there is none."""
    scheme = active_scheme(session)
    if scheme is None:
        scheme = save_scheme(session, "default", [dict(t) for t in DEFAULT_TIERS], actor=None)
    return scheme


def validate_tiers(tiers: list[dict]) -> list[dict]:
    """Check a tier list (top first): unique codes, thresholds strictly falling, last one 0."""
    problems = []
    if not tiers:
        raise ValidationFailed(_l("a tier scheme needs at least one tier"))
    seen = set()
    for i, t in enumerate(tiers, 1):
        code = (t.get("code") or "").strip()
        if not code or code in seen:
            problems.append(_l("tier %(i)s: code %(code)r is empty or repeated", i=i, code=code))
        seen.add(code)
        if t.get("default_mode") not in ("phone", "in_person", "web"):
            problems.append(_l("tier %(code)s: default mode must be phone, in_person or web", code=code))
        raw = str(t.get("min_contribution"))
        try:
            value = Decimal(raw) if raw.isascii() and len(raw) <= 40 else None
        except ArithmeticError:
            value = None
        if value is None or not value.is_finite() or not 0 <= value <= MAX_THRESHOLD:
            problems.append(_l("tier %(code)s: threshold %(value)r is not a number", code=code, value=raw[:40]))
        else:
            t["min_contribution"] = value
        sla = t.get("followup_sla_hours")
        if sla is not None and not isinstance(sla, int):
            if ascii_int(str(sla), low=1, high=MAX_SLA_HOURS) is None:
                problems.append(_l("tier %(code)s: the follow-up hours must be a whole number from 1 to %(n)s",
                                   code=code, n=MAX_SLA_HOURS))
            else:
                t["followup_sla_hours"] = int(str(sla))
    thresholds = [t["min_contribution"] for t in tiers if isinstance(t.get("min_contribution"), Decimal)]
    if len(thresholds) == len(tiers):
        if any(a <= b for a, b in zip(thresholds, thresholds[1:], strict=False)):
            problems.append(_l("thresholds must fall strictly from the top tier to the bottom tier"))
        if thresholds[-1] != 0:
            problems.append(_l("the bottom tier's threshold must be 0 so that every client has a tier"))
    if problems:
        raise ValidationFailed(joined(problems), problems)
    return tiers


def save_scheme(session: Session, name: str, tiers: list[dict], actor: StaffUser | None) -> TierScheme:
    """Store ``tiers`` as the next version of ``name`` and make it the active scheme."""
    validate_tiers(tiers)
    version = (session.scalar(select(func.max(TierScheme.version)).where(TierScheme.name == name)) or 0) + 1
    session.execute(update(TierScheme).values(active=False))
    scheme = TierScheme(name=name, version=version, active=True, created_by=actor.id if actor else None)
    for pos, t in enumerate(tiers):
        scheme.tiers.append(
            Tier(
                position=pos,
                code=t["code"].strip(),
                name_zh=t["name_zh"],
                name_en=t["name_en"],
                min_contribution=t["min_contribution"],
                default_mode=t["default_mode"],
                followup_sla_hours=int(t.get("followup_sla_hours") or 72),
            )
        )
    session.add(scheme)
    session.flush()
    audit.record(session, actor, "tier_scheme.saved", "tier_scheme", scheme.id, name=name, version=version,
                 tiers=[{"code": t.code, "min": str(t.min_contribution), "mode": t.default_mode} for t in scheme.tiers])
    return scheme


def tier_codes(contribution: np.ndarray, scheme: TierScheme) -> np.ndarray:
    """Each contribution's tier code under ``scheme`` (vectorised: one searchsorted)."""
    tiers = list(scheme.tiers)
    ascending = np.array([float(t.min_contribution) for t in reversed(tiers)])
    codes = np.array([t.code for t in reversed(tiers)], dtype=object)
    idx = np.searchsorted(ascending, np.asarray(contribution, dtype=float), side="right") - 1
    return codes[np.clip(idx, 0, len(codes) - 1)]


def retier_all(session: Session, scheme: TierScheme) -> None:
    """Re-derive every client's tier from their contribution in one statement."""
    whens = [(Client.contribution >= t.min_contribution, t.code) for t in scheme.tiers]
    session.execute(update(Client).values(tier_code=case(*whens, else_=scheme.tiers[-1].code)))


def tiers_by_code(scheme: TierScheme) -> dict[str, Tier]:
    return {t.code: t for t in scheme.tiers}
