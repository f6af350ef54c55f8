"""Handing out a wave's phone and visit cases to interviewers (automatic balancing or by hand)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager

import sampling
from survey.errors import ValidationFailed
from survey.models import Client, Invitation, StaffUser, Wave
from survey.services import audit
from survey.services.fieldwork.queue import FIELD_MODES, WORKED_KINDS


@dataclass(frozen=True)
class AssignResult:
    assigned: int
    unassigned: int
    by_interviewer: dict[int, int]


def interviewers(session: Session) -> list[StaffUser]:
    return list(session.scalars(
        select(StaffUser).where(StaffUser.role == "interviewer", StaffUser.active.is_(True)).order_by(StaffUser.id)
    ))


def open_load(session: Session, user_ids: Sequence[int]) -> dict[int, int]:
    """Open phone and visit cases already on each interviewer's list (all waves)."""
    rows = session.execute(
        select(Invitation.assigned_to, func.count())
        .where(Invitation.assigned_to.in_(list(user_ids)), Invitation.status == "open",
               Invitation.mode.in_(FIELD_MODES))
        .group_by(Invitation.assigned_to)
    ).all()
    return {uid: n for uid, n in rows}


def _open_cases_query(wave: Wave, unassigned_only: bool):
    query = (
        select(Invitation).join(Client, Client.id == Invitation.client_id)
        .where(Invitation.wave_id == wave.id, Invitation.kind.in_(WORKED_KINDS), Invitation.status == "open",
               Invitation.mode.in_(FIELD_MODES), Client.opted_out.is_(False))
    )
    return query.where(Invitation.assigned_to.is_(None)) if unassigned_only else query


def open_cases(session: Session, wave: Wave, *, unassigned_only: bool = False, offset: int = 0,
               limit: int | None = None) -> list[Invitation]:
    """The wave's open phone and visit cases (sample cases and clients invited by hand; of clients not
    opted out), by mode and branch;
    ``offset``/``limit`` give one page of them."""
    query = (_open_cases_query(wave, unassigned_only).options(contains_eager(Invitation.client))
             .order_by(Invitation.mode, Client.branch_code, Invitation.id).offset(offset).limit(limit))
    return list(session.scalars(query))


def count_open_cases(session: Session, wave: Wave, *, unassigned_only: bool = False) -> int:
    """How many cases ``open_cases`` lists in all its pages."""
    return session.scalar(_open_cases_query(wave, unassigned_only).with_only_columns(func.count(Invitation.id)))


def unassigned_cases(session: Session, wave: Wave) -> list[Invitation]:
    return open_cases(session, wave, unassigned_only=True)


def auto_assign(session: Session, wave: Wave, actor: StaffUser | str | None, *,
                seed: int | None = None) -> AssignResult:
    """Give every unassigned open phone and visit case of ``wave`` an interviewer.

    Work is balanced against each interviewer's ``capacity_per_day`` counting the open cases
    already on their list; a case never goes to the client's own relationship manager; visits
    of one branch stay together where possible (``sampling.assign_cases``).  Cases nobody
    independent can take stay unassigned and are listed for the supervisor.
    """
    staff = interviewers(session)
    if not staff:
        raise ValidationFailed(_l("there are no active interviewers to assign cases to"))
    ids = [u.id for u in staff]
    load = open_load(session, ids)
    existing = [load.get(i, 0) for i in ids]
    per_user: dict[int, int] = {}
    left = 0
    cases = unassigned_cases(session, wave)
    for mode in ("in_person", "phone"):  # visits first: they are the ones grouped by branch
        batch = [inv for inv in cases if inv.mode == mode]
        if not batch:
            continue
        result = sampling.assign_cases(
            [inv.client.branch_code for inv in batch], [inv.client.manager_code for inv in batch],
            ids, [u.employee_code or "" for u in staff], [float(u.capacity_per_day or 0) for u in staff],
            interviewer_branches=[u.branch_code or "" for u in staff], existing_load=existing,
            group_by_branch=(mode == "in_person"), seed=seed,
        )
        for inv, j in zip(batch, result.interviewer.tolist(), strict=True):
            if j < 0:
                left += 1
                continue
            inv.assigned_to = ids[j]
            per_user[ids[j]] = per_user.get(ids[j], 0) + 1
        existing = [e + int(n) for e, n in zip(existing, result.load.tolist(), strict=True)]
    session.flush()
    total = sum(per_user.values())
    audit.record(session, actor, "fieldwork.auto_assigned", "wave", wave.id, assigned=total, unassigned=left,
                 by_interviewer={str(k): v for k, v in per_user.items()}, seed=seed)
    return AssignResult(total, left, per_user)


def reassign(session: Session, wave: Wave, invitation_ids: Sequence[int], to_user: StaffUser | None,
             actor: StaffUser | str | None) -> tuple[int, list[int]]:
    """Move the chosen cases to ``to_user`` (or back to unassigned with None).

    Returns (moved, refused): cases whose client ``to_user`` manages are refused (independence).
    A lock held on a moved case is released.
    """
    if to_user is not None and (to_user.role != "interviewer" or not to_user.active):
        raise ValidationFailed(_l("cases can only be assigned to an active interviewer"), [("to", "not interviewer")])
    ids = sorted({int(i) for i in invitation_ids})
    if not ids:
        raise ValidationFailed(_l("choose at least one case"), [("ids", "required")])
    rows = session.scalars(
        select(Invitation).where(Invitation.id.in_(ids), Invitation.wave_id == wave.id, Invitation.status == "open")
    ).all()
    moved, refused = [], []
    for inv in rows:
        if to_user is not None and to_user.employee_code and inv.client.manager_code == to_user.employee_code:
            refused.append(inv.id)
            continue
        inv.assigned_to = to_user.id if to_user else None
        inv.locked_by = inv.locked_until = None
        moved.append(inv.id)
    session.flush()
    audit.record(session, actor, "fieldwork.reassigned", "wave", wave.id, to=to_user.id if to_user else None,
                 invitations=moved, refused=refused)
    return len(moved), refused
