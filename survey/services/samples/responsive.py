"""Responsive fieldwork: each tier's projected completes and margin at close, and release to target.

The counts come from the wave's sample invitations (hand and win-back invitations are not
sample cases): released, resolved (a final code) and complete (1.1) per tier.  The target is
the plan's margin per tier; with a fixed total it is the margin of the tier's planned
completes.  ``sampling.project_fieldwork`` does the arithmetic; ``release_to_target`` then
releases, per tier, the reserve it asks for, in the recorded random order
(``draw.release_reserve``), and audits the whole.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

import sampling
from survey.errors import Conflict
from survey.models import Invitation, StaffUser, Wave
from survey.services import audit
from survey.services.samples.draw import get_draw, lock_wave, release_reserve, reserve_left
from survey.services.waves import wave_settings

PRIOR_WEIGHT = 10.0  # the plan's expected rate counts as this many resolved cases


@dataclass(frozen=True)
class TierProjection:
    code: str
    population: int
    released: int
    resolved: int
    completes: int
    reserve: int
    rate: float
    projected_completes: float
    projected_margin: float
    target_margin: float
    target_completes: int
    release: int
    reaches_target: bool


@dataclass(frozen=True)
class WaveProjection:
    tiers: list[TierProjection]
    confidence: float
    expected_rate: float
    prior_weight: float = PRIOR_WEIGHT

    def releases(self) -> dict[str, int]:
        return {t.code: t.release for t in self.tiers if t.release > 0}


def _counts(session: Session, wave: Wave) -> dict[str, tuple[int, int, int]]:
    rows = session.execute(
        select(Invitation.tier_code, func.count(),
               func.sum(case((Invitation.disposition.is_not(None), 1), else_=0)),
               func.sum(case((Invitation.disposition == "1.1", 1), else_=0)))
        .where(Invitation.wave_id == wave.id, Invitation.kind == "sample")
        .group_by(Invitation.tier_code)
    ).all()
    return {code: (int(n), int(done or 0), int(ok or 0)) for code, n, done, ok in rows}


def project_wave(session: Session, wave: Wave) -> WaveProjection | None:
    """The projection at close of every tier of a drawn wave (None before the draw)."""
    draw = get_draw(session, wave)
    if draw is None:
        return None
    params = (draw.allocation or {}).get("params") or {}
    confidence = float(params.get("confidence") or 0.95)
    planned = (draw.allocation or {}).get("tiers") or {}
    expected = float((draw.allocation or {}).get("response_rate")
                     or wave_settings(wave)["expected_response_rate"] or 1.0)
    codes = [c for c in draw.frame_counts if draw.frame_counts[c]]
    counts, left = _counts(session, wave), reserve_left(session, wave)
    pops = np.array([int(draw.frame_counts[c]) for c in codes], dtype=np.int64)
    targets = np.array([_target(params.get("margin"), planned.get(c, {}).get("allocated"), int(n), confidence)
                        for c, n in zip(codes, pops.tolist(), strict=True)], dtype=float)
    col = np.array([counts.get(c, (0, 0, 0)) for c in codes], dtype=np.int64).reshape(len(codes), 3)
    reserve = np.array([left.get(c, 0) for c in codes], dtype=np.int64)
    p = sampling.project_fieldwork(col[:, 0], col[:, 1], col[:, 2], pops, targets, reserve,
                                   expected_rate=min(max(expected, 1e-6), 1.0), prior_weight=PRIOR_WEIGHT,
                                   confidence=confidence)
    tiers = [TierProjection(c, int(pops[i]), int(col[i, 0]), int(col[i, 1]), int(col[i, 2]), int(reserve[i]),
                            float(p.response_rate[i]), float(p.projected_completes[i]),
                            float(p.projected_margin[i]), float(targets[i]), int(p.target_completes[i]),
                            int(p.release[i]), bool(p.reaches_target[i]))
             for i, c in enumerate(codes)]
    return WaveProjection(tiers, confidence, expected)


def _target(margin, allocated, population: int, confidence: float) -> float:
    """The plan's margin; with a fixed total, the margin of the planned completes (0 = census)."""
    if margin:
        return min(float(margin), 0.5)
    if not allocated or allocated >= population:
        return 0.0
    return min(sampling.margin_of_error(int(allocated), population, confidence), 0.5)


def release_to_target(session: Session, wave: Wave, actor: StaffUser | str | None) -> dict[str, int]:
    """Release, per tier, the reserve the projection asks for (never more than it holds); audited.

    Only while the wave is in the field.  Returns the cases released per tier (empty when every
    tier is projected to reach its target, or has no reserve left).
    """
    lock_wave(session, wave)
    if wave.status != "in_field":
        raise Conflict(_l("wave %(wave)s is not in the field: reserve is released to target only during fieldwork",
                          wave=wave.name))
    projection = project_wave(session, wave)
    if projection is None:
        raise Conflict(_l("wave %(wave)s has not been drawn", wave=wave.name))
    wanted = projection.releases()
    for code, count in wanted.items():
        release_reserve(session, wave, code, count, actor)
    if wanted:
        audit.record(session, actor, "sample.released_to_target", "wave", wave.id, released=wanted,
                     projection={t.code: {"rate": round(t.rate, 4), "projected": round(t.projected_completes, 2),
                                          "target_completes": t.target_completes, "reserve": t.reserve}
                                 for t in projection.tiers})
    return wanted
