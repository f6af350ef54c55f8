"""A wave's responses and cases as numpy arrays, read with one Core select.

The meeting point between the database and the pure :mod:`analysis` package:
one row per respondent (or per released case), answers pivoted into columns by
conditional aggregation, never ORM objects per response.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from survey.models import Answer, Client, Draw, Invitation, Question, Response, StaffUser, Wave
from survey.services.conditions import NA

# responses that count as respondents of the design (AAPOR 1.1 and 1.2)
RESPONDENT_STATUSES = ("complete", "partial")
# an invitation without a final code is counted as 3.11 "not attempted" (see docs/quality-analyst.md)
OPEN_CODE = "3.11"


@dataclass(frozen=True)
class Item:
    """A satisfaction item (1-5) other than the overall question."""

    code: str
    text_zh: str
    text_en: str


@dataclass(frozen=True, eq=False)
class WaveData:
    """One row per respondent of one wave; strings as object arrays, scores as floats (NaN = no answer)."""

    wave_id: int
    response_id: np.ndarray
    client_id: np.ndarray  # matches a client's answers across waves (overlap covariance)
    tier: np.ndarray
    branch: np.ndarray
    manager: np.ndarray
    mode: np.ndarray
    interviewer: np.ndarray
    overall: np.ndarray
    nps: np.ndarray
    items: dict[str, np.ndarray]
    population: dict[str, float]
    population_source: str
    raking: object | None = None  # analysis.Raking when the figures use raked weights (see quality.weights)

    @property
    def n(self) -> int:
        return int(self.response_id.shape[0])

    def respondents_per_tier(self) -> dict[str, int]:
        labels, counts = np.unique(self.tier.astype(str), return_counts=True) if self.n else ([], [])
        return {str(k): int(c) for k, c in zip(labels, counts, strict=True)}

    def weights(self) -> np.ndarray:
        """The design's default weight ``N_h / r_h`` of every respondent."""
        r = self.respondents_per_tier()
        return np.array([self.population[t] / r[t] for t in self.tier], dtype=float)


def items_of(session: Session, wave_ids: Sequence[int]) -> list[Item]:
    """The satisfaction items of the waves' questionnaires, in questionnaire order (codes unique)."""
    rows = session.execute(
        select(Question.code, Question.text_zh, Question.text_en)
        .join(Wave, Wave.questionnaire_id == Question.questionnaire_id)
        .where(Wave.id.in_(list(wave_ids)), Question.type == "satisfaction5", Question.is_overall.is_(False))
        .order_by(Wave.period_start.desc(), Question.position)
    ).all()
    seen: dict[str, Item] = {}
    for code, zh, en in rows:
        seen.setdefault(code, Item(code, zh, en))
    return list(seen.values())


def _answer_columns(item_codes: Sequence[str]) -> list:
    """Conditional aggregates that pivot answers (joined with their question) into columns."""
    value = Answer.value_num
    cols = [
        func.max(case((Question.is_overall.is_(True), value))).label("overall"),
        # the NPS question itself, not an item of a grid on the 0-10 scale (item codes are "<grid>.<item>")
        func.max(case((and_(Question.type == "nps10", ~Question.code.contains(".")), value))).label("nps"),
    ]
    for i, code in enumerate(item_codes):
        cond = and_(Question.code == code, Question.type.in_(("satisfaction5", "nps10")), Question.is_overall.is_(False))
        cols.append(func.max(case((cond, value))).label(f"item_{i}"))
    return cols


def not_applicable(session: Session, wave_ids: Sequence[int]) -> dict[str, set[int]]:
    """``{question code: response ids}`` of the scale answers given as "not applicable" (value_text "na").

    Those answers have no value, so means leave them out; this counts them apart.
    """
    rows = session.execute(
        select(Question.code, Answer.response_id)
        .join(Answer, Answer.question_id == Question.id).join(Response, Response.id == Answer.response_id)
        .where(Response.wave_id.in_(list(wave_ids)), Answer.value_text == NA, Answer.value_num.is_(None),
               Question.type.in_(("satisfaction5", "nps10")))
    ).all()
    out: dict[str, set[int]] = {}
    for code, response_id in rows:
        out.setdefault(code, set()).add(int(response_id))
    return out


def _floats(values) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


def _objects(values) -> np.ndarray:
    """Strings as an object array; equal strings share one object (a wave repeats a few dozen labels)."""
    out = np.empty(len(values), dtype=object)
    out[:] = [None if v in (None, "") else sys.intern(str(v)) for v in values]
    return out


def frame_sizes(raw: Mapping) -> dict[str, float]:
    """``{tier: N_h}`` from a draw's ``frame_counts`` ({tier: N} or {tier: {"N"|"frame"|...: N}})."""
    raw = raw.get("tiers", raw) if isinstance(raw.get("tiers"), Mapping) else raw
    sizes = {}
    for tier, value in raw.items():
        if isinstance(value, Mapping):
            value = next((value[k] for k in ("N", "N_h", "frame", "size", "count", "eligible") if k in value), None)
        if isinstance(value, int | float) and not isinstance(value, bool):
            sizes[str(tier)] = float(value)
    return sizes


def population_sizes(session: Session, wave_ids: Sequence[int]) -> dict[int, tuple[dict[str, float], str]]:
    """N_h per tier for each wave: the draw's frame counts, else today's clients per tier."""
    draws = dict(session.execute(select(Draw.wave_id, Draw.frame_counts).where(Draw.wave_id.in_(list(wave_ids)))).all())
    clients = None
    out = {}
    for wave_id in wave_ids:
        sizes = frame_sizes(draws[wave_id]) if draws.get(wave_id) else {}
        if sizes:
            out[wave_id] = (sizes, "draw")
            continue
        if clients is None:
            clients = {t: float(n) for t, n in session.execute(select(Client.tier_code, func.count()).group_by(Client.tier_code))}
        out[wave_id] = (dict(clients), "clients")
    return out


def load_responses(session: Session, wave_ids: Sequence[int], items: Sequence[Item] | None = None) -> dict[int, WaveData]:
    """Respondents of every wave in ``wave_ids`` with one select (sample invitations, complete or partial)."""
    wave_ids = [int(w) for w in wave_ids]
    items = list(items_of(session, wave_ids) if items is None else items)
    interviewer = func.coalesce(StaffUser.employee_code, StaffUser.username)
    keys = (Response.id, Response.wave_id, Invitation.tier_code, Client.branch_code, Client.manager_code,
            Response.mode, StaffUser.employee_code, StaffUser.username, Response.client_id)
    stmt = (
        select(Response.id, Response.wave_id, Invitation.tier_code, Client.branch_code, Client.manager_code,
               Response.mode, interviewer.label("interviewer"), *_answer_columns([i.code for i in items]),
               Response.client_id)
        .select_from(Response)
        .join(Invitation, Invitation.id == Response.invitation_id)
        .join(Client, Client.id == Response.client_id)
        .outerjoin(StaffUser, StaffUser.id == Response.interviewer_id)
        .outerjoin(Answer, Answer.response_id == Response.id)
        .outerjoin(Question, Question.id == Answer.question_id)
        .where(Response.wave_id.in_(wave_ids), Invitation.wave_id.in_(wave_ids),  # the second lets the wave's index
               Invitation.kind == "sample", Response.status.in_(RESPONDENT_STATUSES))  # narrow the invitations too
        .group_by(*keys)
        .order_by(Response.wave_id, Response.id)
    )
    rows = session.execute(stmt).all()
    sizes = population_sizes(session, wave_ids)
    width = 7 + 2 + len(items) + 1
    cols = [_objects(c) for c in zip(*rows, strict=True)] if rows else [np.empty(0, dtype=object)] * width
    for k in [7, 8, *range(9, width - 1)]:  # scores as floats, NaN where there is no answer
        cols[k] = _floats(cols[k])
    wave_col = cols[1].astype(np.int64) if rows else np.empty(0, dtype=np.int64)
    out = {}
    for wave_id in wave_ids:
        sel = wave_col == wave_id
        tier = cols[2][sel]
        population, source = sizes[wave_id]
        population = dict(population)
        for t, r in zip(*np.unique(tier.astype(str), return_counts=True), strict=True) if sel.any() else ():
            # a client re-tiered since the draw can leave N_h below r_h; never let N_h < r_h
            population[str(t)] = max(population.get(str(t), 0.0), float(r))
        out[wave_id] = WaveData(
            wave_id=wave_id,
            response_id=cols[0][sel].astype(np.int64),
            client_id=cols[-1][sel].astype(np.int64),
            tier=tier,
            branch=cols[3][sel],
            manager=cols[4][sel],
            mode=cols[5][sel],
            interviewer=cols[6][sel],
            overall=cols[7][sel],
            nps=cols[8][sel],
            items={it.code: cols[9 + k][sel] for k, it in enumerate(items)},
            population=population,
            population_source=source,
        )
    return out


def read_only(data: WaveData) -> WaveData:
    """``data`` with every array made read-only, so that figures remembered across requests cannot be
    changed in place by whoever reads them."""
    for value in vars(data).values():
        for arr in value.values() if isinstance(value, dict) else (value,):
            if isinstance(arr, np.ndarray):
                arr.flags.writeable = False
    return data


@dataclass(frozen=True, eq=False)
class Cases:
    """One row per released sample case (invitation) of a wave, with its final code."""

    invitation_id: np.ndarray
    client_id: np.ndarray
    tier: np.ndarray
    branch: np.ndarray
    manager: np.ndarray
    mode: np.ndarray
    interviewer: np.ndarray
    status: np.ndarray
    disposition: np.ndarray
    is_open: np.ndarray
    response_status: np.ndarray
    overall: np.ndarray
    nps: np.ndarray
    items: dict[str, np.ndarray]

    @property
    def n(self) -> int:
        return int(self.invitation_id.shape[0])


def final_codes(dispositions) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, is_open)``: each case's final code (blanks trimmed), ``OPEN_CODE`` where there is none yet."""
    codes = np.array([d.strip() if d else "" for d in dispositions], dtype=object)
    is_open = np.array([not d for d in codes], dtype=bool)
    codes[is_open] = OPEN_CODE
    return codes, is_open


def disposition_counts(session: Session, wave_id: int) -> dict[str | None, int]:
    """``{disposition as stored: sample cases}`` of the wave (None: no final code yet); one grouped query."""
    return dict(session.execute(
        select(Invitation.disposition, func.count()).where(Invitation.wave_id == wave_id, Invitation.kind == "sample")
        .group_by(Invitation.disposition)).all())


def load_cases(session: Session, wave_id: int, items: Sequence[Item] = (), *, scores: bool = True) -> Cases:
    """Every sample invitation of the wave with its disposition and (when answered) its scores; one select.

    The interviewer of a case is the one who entered the response, else the one it is assigned to.
    Open invitations (no final code yet) get ``OPEN_CODE`` and ``is_open``.  With ``scores=False`` the
    answers are not read (one row per invitation, no pivot): ``overall`` and ``nps`` are NaN, ``items`` empty.
    """
    items = list(items) if scores else []
    assigned = StaffUser.__table__.alias("assigned")
    entered = StaffUser.__table__.alias("entered")
    interviewer = func.coalesce(entered.c.employee_code, entered.c.username, assigned.c.employee_code, assigned.c.username)
    keys = (Invitation.id, Invitation.client_id, Invitation.tier_code, Client.branch_code, Client.manager_code,
            Invitation.mode, entered.c.employee_code, entered.c.username, assigned.c.employee_code,
            assigned.c.username, Invitation.status, Invitation.disposition, Response.status)
    stmt = (
        select(Invitation.id, Invitation.client_id, Invitation.tier_code, Client.branch_code, Client.manager_code,
               Invitation.mode, interviewer.label("interviewer"), Invitation.status, Invitation.disposition,
               Response.status.label("response_status"),
               *(_answer_columns([i.code for i in items]) if scores else ()))
        .select_from(Invitation)
        .join(Client, Client.id == Invitation.client_id)
        # one response per invitation at most, of the invitation's wave (the wave's index narrows the join)
        .outerjoin(Response, and_(Response.invitation_id == Invitation.id, Response.wave_id == wave_id))
        .outerjoin(entered, entered.c.id == Response.interviewer_id)
        .outerjoin(assigned, assigned.c.id == Invitation.assigned_to)
        .where(Invitation.wave_id == wave_id, Invitation.kind == "sample")
        .order_by(Invitation.id)
    )
    if scores:
        stmt = (stmt.outerjoin(Answer, Answer.response_id == Response.id)
                .outerjoin(Question, Question.id == Answer.question_id).group_by(*keys))
    rows = session.execute(stmt).all()
    cols = list(zip(*rows, strict=True)) if rows else [()] * (12 + len(items))
    if not scores:
        cols += [(None,) * len(rows)] * 2
    disposition, is_open = final_codes(cols[8])
    return Cases(
        invitation_id=np.array(cols[0], dtype=np.int64),
        client_id=np.array(cols[1], dtype=np.int64),
        tier=_objects(cols[2]),
        branch=_objects(cols[3]),
        manager=_objects(cols[4]),
        mode=_objects(cols[5]),
        interviewer=_objects(cols[6]),
        status=_objects(cols[7]),
        disposition=disposition,
        is_open=is_open,
        response_status=_objects(cols[9]),
        overall=_floats(cols[10]),
        nps=_floats(cols[11]),
        items={it.code: _floats(cols[12 + k]) for k, it in enumerate(items)},
    )
