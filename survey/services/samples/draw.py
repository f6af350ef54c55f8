"""The draw of a wave's sample, its reset, and the release of reserve cases.

The draw computes the frame (``sampling_frame``) and the plan (``sampling_plan``),
selects ``release + reserve`` clients per tier with ``sampling.draw_stratified``,
turns the first ``release`` of each tier's release order into invitations and keeps
the rest as reserve cases.  Invitations and reserve are bulk-inserted with Core
``insert()`` in chunks.  No invitation gets a survey link here: a web invitation's link is
issued when it is first sent (``fieldwork.mail``), so a link exists only once it is handed out.
The draw moves a draft wave to "sampled"; only opening fieldwork (``lifecycle``) puts it in field.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import numpy as np
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, exists, func, insert, select, update
from sqlalchemy.orm import Session

import sampling
from survey.errors import Conflict, ValidationFailed
from survey.models import (
    ContactAttempt,
    Draw,
    Invitation,
    Message,
    ReserveCase,
    Response,
    StaffUser,
    Wave,
    utcnow,
)
from survey.services import audit
from survey.services.samples.checks import require_confirmation
from survey.services.samples.frame import (
    CLOSED,
    OPTED_OUT,
    RULES,
    client_bits,
    contact_modes,
    load_frame,
)
from survey.services.samples.plan import PlanParams, compute_plan, stored_params
from survey.services.waves import modes_by_tier, wave_settings

CHUNK = 5_000
RELEASE_RULE = "initial release = ceil(n_h / expected response rate), at most N_h; reserve = the rest of the draw"


@dataclass(frozen=True)
class DrawResult:
    draw: Draw
    released: dict[str, int]
    reserve: dict[str, int]
    web: int = 0  # web invitations, e-mailed their link when fieldwork opens


def lock_wave(session: Session, wave: Wave) -> None:
    """Serialise changes to one wave's sample (a row lock on PostgreSQL)."""
    session.execute(select(Wave.id).where(Wave.id == wave.id).with_for_update())


def get_draw(session: Session, wave: Wave) -> Draw | None:
    return session.scalar(select(Draw).where(Draw.wave_id == wave.id))


def _invitation_rows(wave: Wave, client_ids, strata, bits, ranks, prob: dict[str, float],
                     now: dt.datetime) -> list[dict]:
    """Invitation rows with their contact modes (the wave's mode per tier, then the contact rules)."""
    mode_by_tier = modes_by_tier(wave)
    assigned = contact_modes(bits, strata, mode_by_tier, wave_settings(wave)["web_enabled"])
    rows = []
    for cid, code, flags, rank, mode, reason in zip(client_ids.tolist(), strata.tolist(), bits.tolist(),
                                                    ranks.tolist(), assigned.mode.tolist(),
                                                    assigned.reason.tolist(), strict=True):
        if mode == sampling.NO_MODE:  # only when contact details vanished after the draw
            mode = mode_by_tier[code]
        row = dict(wave_id=wave.id, client_id=cid, kind="sample", tier_code=code, mode=mode, mode_reason=reason,
                   release_rank=rank, inclusion_prob=prob[code], status="open", attempts=0, reminders_sent=0,
                   created_at=now)
        if flags & (OPTED_OUT | CLOSED):  # opted out or closed since the draw: kept in the design, final code
            row.update(status="done", disposition="2.11" if flags & OPTED_OUT else "4.10")
        rows.append(row)
    return rows


def _insert(session: Session, table, rows: list[dict], progress, done: int, total: int) -> int:
    """Core ``insert()`` executemany in chunks; rows with the same columns go together
    (most invitations carry no token, so they bind no token or expiry columns)."""
    conn = session.connection()
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(row), []).append(row)
    for group in groups.values():
        for start in range(0, len(group), CHUNK):
            chunk = group[start:start + CHUNK]
            conn.execute(insert(table), chunk)
            done += len(chunk)
            if progress:
                progress("inserting", done, total)
    return done


def draw_sample(session: Session, wave: Wave, actor: StaffUser | str | None, *, seed: int | None = None,
                params: PlanParams | None = None, now: dt.datetime | None = None, progress=None,
                confirm: bool = False) -> DrawResult:
    """Draw ``wave``'s sample by its plan; refused (Conflict) if already drawn, and
    (PlanNeedsConfirmation) if the plan fails a check (``checks``) neither ``confirm``-ed
    nor confirmed with the stored plan."""
    lock_wave(session, wave)
    if get_draw(session, wave) is not None:
        raise Conflict(_l("wave %(wave)s has already been drawn; reset the draw first to draw again", wave=wave.name))
    if wave.status != "draft":
        raise Conflict(_l("wave %(wave)s is %(status)s: only a draft wave can be drawn", wave=wave.name, status=wave.status))
    if session.scalar(select(func.count()).where(Invitation.wave_id == wave.id, Invitation.kind == "sample")):
        raise Conflict(_l("wave %(wave)s already has invitations issued by hand; it cannot be drawn", wave=wave.name))
    params = params or stored_params(wave)
    now = now or utcnow()
    seed = secrets.randbits(63) if seed is None else int(seed)
    frame = load_frame(session, wave, now=now, progress=progress)
    plan = compute_plan(session, wave, params, frame)
    checks = require_confirmation(plan, wave, confirm=confirm, stored=params == stored_params(wave))
    result = sampling.draw_stratified(frame.strata, plan.sizes("drawn"), seed)

    release = plan.sizes("release")
    codes = list(frame.tier_codes)
    limit = np.array([release[c] for c in codes], dtype=np.int64)[frame.tier_index[result.indices]]
    out = result.release_order < limit
    ids, bits = frame.client_ids[result.indices], frame.bits[result.indices]
    prob = {c: release[c] / frame.population[c] if frame.population[c] else 0.0 for c in codes}
    rows = _invitation_rows(wave, ids[out], result.strata[out], bits[out], result.release_order[out], prob, now)
    back = ~out
    reserve = [dict(wave_id=wave.id, client_id=cid, tier_code=code, release_rank=rank, inclusion_prob=p)
               for cid, code, rank, p in zip(ids[back].tolist(), result.strata[back].tolist(),
                                             result.release_order[back].tolist(),
                                             result.inclusion_prob[back].tolist(), strict=True)]
    total = len(rows) + len(reserve)
    done = _insert(session, Invitation.__table__, rows, progress, 0, total)
    _insert(session, ReserveCase.__table__, reserve, progress, done, total)

    kept = {c: int(n) for c, n in zip(codes, np.bincount(frame.tier_index[result.indices][back],
                                                         minlength=len(codes)).tolist(), strict=True)}
    exclusions = {"rules": list(RULES), "by_tier": frame.excluded, "unknown_tier": frame.unknown_tier,
                  "cool_off_since": frame.cutoff.isoformat(),
                  "note": "a client removed by several rules is counted under the first rule"}
    allocation = {"params": params.to_dict(), "method_used": plan.method_used, "notes": plan.notes,
                  "response_rate": plan.response_rate, "sd_source": plan.sd_source, "release_rule": RELEASE_RULE,
                  "tiers": {t.code: {"allocated": t.allocated, "released": t.release, "drawn": t.drawn}
                            for t in plan.tiers}}
    draw = Draw(wave_id=wave.id, seed=str(seed), algorithm=result.algorithm, numpy_version=result.numpy_version,
                frame_counts=dict(frame.population), exclusions=exclusions, allocation=allocation,
                created_at=now, created_by=actor.id if isinstance(actor, StaffUser) else None)
    session.add(draw)
    wave.status = "sampled"
    session.flush()
    audit.record(session, actor, "sample.drawn", "wave", wave.id, draw_id=draw.id, seed=str(seed),
                 algorithm=result.algorithm, numpy_version=result.numpy_version, frame_counts=frame.population,
                 exclusions=frame.excluded, unknown_tier=frame.unknown_tier, allocation=allocation["tiers"],
                 invitations=len(rows), reserve=len(reserve), confirmed_checks=[c.key for c in checks])
    return DrawResult(draw, release, kept, sum(1 for r in rows if r["mode"] == "web" and r["status"] == "open"))


def fieldwork_started(session: Session, wave: Wave) -> str | None:
    """Why the wave's sample can no longer be reset, or None."""
    inv = select(Invitation.id).where(Invitation.wave_id == wave.id)
    checks = (
        (_l("responses have been received"), exists().where(Response.wave_id == wave.id)),
        (_l("calls or visits have been logged"), exists().where(ContactAttempt.invitation_id.in_(inv))),
        (_l("survey links have been used"), exists().where(Invitation.wave_id == wave.id, Invitation.used_at.is_not(None))),
        (_l("messages have been sent"), exists().where(Message.invitation_id.in_(inv))),
    )
    for why, clause in checks:
        if session.scalar(select(clause)):
            return why
    return None


def reset_draw(session: Session, wave: Wave, actor: StaffUser | str | None) -> None:
    """Undo the draw (invitations, reserve, record) while nothing has been fielded; audited."""
    lock_wave(session, wave)
    draw = get_draw(session, wave)
    if draw is None:
        raise Conflict(_l("wave %(wave)s has not been drawn", wave=wave.name))
    why = fieldwork_started(session, wave)
    if why is None and wave.status != "sampled":
        why = _l("the wave is closed") if wave.status == "closed" else _l("fieldwork has been opened")
    if why:
        raise Conflict(_l("the draw of wave %(wave)s cannot be reset: %(why)s", wave=wave.name, why=why))
    removed = session.execute(delete(Invitation.__table__).where(
        Invitation.wave_id == wave.id, Invitation.kind == "sample")).rowcount
    reserve = session.execute(delete(ReserveCase.__table__).where(ReserveCase.wave_id == wave.id)).rowcount
    audit.record(session, actor, "sample.reset", "wave", wave.id, seed=draw.seed, algorithm=draw.algorithm,
                 invitations_removed=removed, reserve_removed=reserve)
    session.delete(draw)
    wave.status = "draft"
    session.flush()


def reserve_left(session: Session, wave: Wave) -> dict[str, int]:
    rows = session.execute(select(ReserveCase.tier_code, func.count()).where(ReserveCase.wave_id == wave.id)
                           .group_by(ReserveCase.tier_code)).all()
    return {code: int(n) for code, n in rows}


def release_reserve(session: Session, wave: Wave, tier_code: str, count: int, actor: StaffUser | str | None,
                    *, now: dt.datetime | None = None) -> int:
    """Release the next ``count`` reserve cases of a tier (lowest release rank first) as invitations.

    The tier's invitations then carry the inclusion probability released / N_h.  Returns the
    number released.  Refuses more than the reserve holds.
    """
    lock_wave(session, wave)
    draw = get_draw(session, wave)
    if draw is None or wave.status not in ("sampled", "in_field"):
        raise Conflict(_l("wave %(wave)s has no open sample to release cases into", wave=wave.name))
    if tier_code not in draw.frame_counts:
        raise ValidationFailed(_l("unknown tier %(tier)r", tier=tier_code), [("tier", "unknown")])
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValidationFailed(_l("count must be a whole number of at least 1 but got %(count)r", count=count),
                               [("count", "bad")])
    cases = session.execute(
        select(ReserveCase.id, ReserveCase.client_id, ReserveCase.release_rank)
        .where(ReserveCase.wave_id == wave.id, ReserveCase.tier_code == tier_code)
        .order_by(ReserveCase.release_rank).limit(count).with_for_update()
    ).all()
    if len(cases) < count:
        raise ValidationFailed(_l("only %(left)s reserve case(s) left in tier %(tier)s; cannot release %(count)s",
                                  left=len(cases), tier=tier_code, count=count),
                               [("count", "more than the reserve")])
    now = now or utcnow()
    ids = np.array([c.client_id for c in cases], dtype=np.int64)
    current = client_bits(session, wave, ids.tolist(), now=now)
    bits = np.array([current.get(int(i), 0) for i in ids], dtype=np.int64)
    released = session.scalar(select(func.count()).where(
        Invitation.wave_id == wave.id, Invitation.tier_code == tier_code, Invitation.release_rank.is_not(None)))
    big_n = int(draw.frame_counts[tier_code])
    prob = (released + count) / big_n
    rows = _invitation_rows(wave, ids, np.array([tier_code] * count),
                                    bits, np.array([c.release_rank for c in cases]), {tier_code: prob}, now)
    _insert(session, Invitation.__table__, rows, None, 0, len(rows))
    session.execute(delete(ReserveCase.__table__).where(ReserveCase.id.in_([c.id for c in cases])))
    session.execute(update(Invitation.__table__).where(
        Invitation.wave_id == wave.id, Invitation.tier_code == tier_code, Invitation.release_rank.is_not(None)
    ).values(inclusion_prob=prob))
    audit.record(session, actor, "sample.released", "wave", wave.id, tier=tier_code, count=count,
                 ranks=[cases[0].release_rank, cases[-1].release_rank], released_total=released + count,
                 inclusion_prob=prob)
    return count
