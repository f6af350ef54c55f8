"""What the case pages show: the board by step with filters, my cases, and one case's history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from survey.form_values import ascii_int
from survey.models import (
    Answer,
    Branch,
    CaseEvent,
    Client,
    FollowUpCase,
    Question,
    Response,
    StaffUser,
)
from survey.services.followup.cases import OPEN_STEPS, STEPS


@dataclass(frozen=True)
class CaseRow:
    case: FollowUpCase
    client: Client
    owner_name: str | None
    overdue: bool


@dataclass(frozen=True)
class Filters:
    """The board's GET filters; empty strings mean "any"."""

    step: str = ""
    tier: str = ""
    branch: str = ""
    owner: str = ""
    overdue: bool = False

    @classmethod
    def from_args(cls, args, *, branch: str | None = None) -> Filters:
        """Filters from the query; ``branch`` (a branch head's scope) overrides the branch asked for."""
        step = args.get("step", "")
        owner = args.get("owner", "")
        return cls(step=step if step in STEPS else "", tier=args.get("tier", "")[:32],
                   branch=branch if branch is not None else args.get("branch", "")[:32], owner=owner if ascii_int(owner) is not None or owner == "none" else "",
                   overdue=args.get("overdue") in ("1", "on", "true"))


def _is_late(now: dt.datetime):
    return and_(FollowUpCase.step != "closed", FollowUpCase.step_deadline.is_not(None), FollowUpCase.step_deadline < now)


def _cases_query(*, now: dt.datetime, filters: Filters, where=None):
    owner = aliased(StaffUser)
    stmt = (select(FollowUpCase, Client, owner.display_name)
            .join(Client, Client.id == FollowUpCase.client_id)
            .outerjoin(owner, owner.id == FollowUpCase.owner_id))
    if filters.step:
        stmt = stmt.where(FollowUpCase.step == filters.step)
    else:
        stmt = stmt.where(FollowUpCase.step != "closed")
    if filters.tier:
        stmt = stmt.where(FollowUpCase.tier_code == filters.tier)
    if filters.branch:
        stmt = stmt.where(Client.branch_code == filters.branch)
    if filters.owner == "none":
        stmt = stmt.where(FollowUpCase.owner_id.is_(None))
    elif filters.owner:
        stmt = stmt.where(FollowUpCase.owner_id == int(filters.owner))
    if filters.overdue:
        stmt = stmt.where(_is_late(now))
    if where is not None:
        stmt = stmt.where(where)
    return stmt


def list_cases(session: Session, *, now: dt.datetime, filters: Filters = Filters(), where=None,
               limit: int = 500, offset: int = 0) -> list[CaseRow]:
    stmt = (_cases_query(now=now, filters=filters, where=where)
            .order_by(FollowUpCase.step_deadline.is_(None), FollowUpCase.step_deadline, FollowUpCase.id)
            .offset(offset).limit(limit))
    return [CaseRow(c, cl, name, c.step != "closed" and c.step_deadline is not None and c.step_deadline < now)
            for c, cl, name in session.execute(stmt).all()]


BOARD_PAGE = 200  # cases per page of the board, across its columns


@dataclass(frozen=True)
class Board:
    columns: dict[str, list[CaseRow]]
    total: int  # cases matching the filters, on every page
    page: int
    pages: int


def board(session: Session, *, now: dt.datetime, filters: Filters, page: int = 1) -> Board:
    """One page of cases (earliest deadline first) grouped by step: the open steps, or only the step asked for."""
    total = session.scalar(_cases_query(now=now, filters=filters).with_only_columns(func.count(FollowUpCase.id)))
    pages = max(1, -(-total // BOARD_PAGE))
    page = min(max(page, 1), pages)
    rows = list_cases(session, now=now, filters=filters, limit=BOARD_PAGE, offset=(page - 1) * BOARD_PAGE)
    steps = (filters.step,) if filters.step else OPEN_STEPS
    return Board({s: [r for r in rows if r.case.step == s] for s in steps}, total, page, pages)


def my_cases(session: Session, user: StaffUser, *, now: dt.datetime) -> dict[str, list[CaseRow]]:
    """Sections of the "My cases" page: owned; and by role, waiting, overdue or escalated to me."""
    sections = {"owned": list_cases(session, now=now, where=FollowUpCase.owner_id == user.id)}
    if user.role in ("supervisor", "admin", "branch_head"):
        mine = Client.branch_code == user.branch_code if user.role == "branch_head" else None
        waiting = FollowUpCase.step == "recorded"
        sections["waiting"] = list_cases(session, now=now, where=waiting if mine is None else and_(waiting, mine))
        late = _is_late(now)
        sections["overdue"] = list_cases(session, now=now, where=late if mine is None else and_(late, mine))
    if user.role == "branch_head":
        sections["escalated"] = list_cases(session, now=now, where=and_(
            FollowUpCase.escalated_at.is_not(None), Client.branch_code == user.branch_code))
    return sections


def filter_choices(session: Session) -> dict:
    branches = sorted(set(session.scalars(select(Branch.code))) | set(session.scalars(
        select(Client.branch_code).join(FollowUpCase, FollowUpCase.client_id == Client.id).distinct())))
    owners = session.execute(
        select(StaffUser.id, StaffUser.display_name).where(
            or_(StaffUser.id.in_(select(FollowUpCase.owner_id)), StaffUser.role.in_(("supervisor", "branch_head"))))
        .order_by(StaffUser.display_name)).all()
    return {"branches": branches, "owners": owners}


@dataclass(frozen=True)
class AnswerShown:
    question: Question
    num: float | None
    text: str | None
    option: dict | None


def response_answers(session: Session, response_id: int) -> list[AnswerShown]:
    rows = session.execute(
        select(Question, Answer).join(Answer, Answer.question_id == Question.id)
        .where(Answer.response_id == response_id).order_by(Question.position)
    ).all()
    out = []
    for q, a in rows:
        option = next((o["label"] for o in q.options if o["code"] == a.value_text), None) if q.options else None
        out.append(AnswerShown(q, a.value_num, a.value_text, option))
    return out


@dataclass(frozen=True)
class CaseDetail:
    case: FollowUpCase
    client: Client
    owner: StaffUser | None
    events: list[tuple[CaseEvent, str | None]]
    responses: list[tuple[Response, list[AnswerShown]]]


def case_detail(session: Session, case: FollowUpCase) -> CaseDetail:
    """The case with its client, owner, history (with actor names) and the answers that triggered it."""
    client = session.get(Client, case.client_id)
    owner = session.get(StaffUser, case.owner_id) if case.owner_id else None
    events = session.execute(
        select(CaseEvent, StaffUser.display_name).outerjoin(StaffUser, StaffUser.id == CaseEvent.actor_id)
        .where(CaseEvent.case_id == case.id).order_by(CaseEvent.at, CaseEvent.id)
    ).all()
    ids = [case.response_id] if case.response_id else []
    for e, _n in events:
        rid = (e.fields or {}).get("response_id")
        if e.action == "joined" and rid and rid not in ids:
            ids.append(rid)
    responses = [(r, response_answers(session, r.id)) for r in
                 session.scalars(select(Response).where(Response.id.in_(ids)).order_by(Response.id))] if ids else []
    return CaseDetail(case, client, owner, [(e, n) for e, n in events], responses)
