"""Follow-up cases: a complaint from the hotline, read, and the next step with its required fields."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from survey.api.paging import page
from survey.api.registry import CASES, operation, require_unchanged
from survey.api.schemas import CaseIn, CaseOut, CasesQuery, StepIn, page_of
from survey.errors import PermissionDenied
from survey.models import Client, FollowUpCase, utcnow
from survey.security import branch_scope
from survey.services.followup import cases as followup_cases
from survey.services.followup import steps as followup_steps
from survey.services.followup.cases import NEXT_STEP, RECORDING_ROLES


def case_out(case: FollowUpCase, client_no: str, branch: str | None, *, joined: bool = False) -> CaseOut:
    return CaseOut(id=case.id, client_no=client_no, branch=branch, topic=case.topic, channel=case.channel,
                   tier=case.tier_code, step=case.step, next_step=NEXT_STEP.get(case.step), owner_id=case.owner_id,
                   opened_at=case.opened_at, step_deadline=case.step_deadline, overdue=bool(case.overdue),
                   closed_at=case.closed_at, summary=case.summary, steps=(case.fields or {}).get("steps", {}),
                   joined=joined)


def _visible(call, case_id: int) -> tuple[FollowUpCase, Client]:
    case = followup_cases.get_case(call.db, case_id)
    scope = branch_scope(call.actor)
    if scope is not None and not followup_cases.in_scope(call.db, case_id, scope, -1):
        raise PermissionDenied(_("This token sees the cases of branch %(b)s only.", b=scope))
    return case, call.db.get(Client, case.client_id)


@operation("GET", "/cases", summary="List follow-up cases", tag="cases", roles=CASES, query=CasesQuery,
           response=page_of(CaseOut))
def cases_list(call):
    stmt = select(FollowUpCase, Client.client_no, Client.branch_code).join(Client, Client.id == FollowUpCase.client_id)
    if call.query.step:
        stmt = stmt.where(FollowUpCase.step == call.query.step)
    if (scope := branch_scope(call.actor)) is not None:
        stmt = stmt.where(Client.branch_code == scope)
    rows, cursor = page(call.db, stmt, FollowUpCase.id, call.query, scalars=False)
    return page_of(CaseOut)(items=[case_out(c, no, b) for c, no, b in rows], next_cursor=cursor)


@operation("GET", "/cases/<int:case_id>", summary="One follow-up case", tag="cases", roles=CASES, response=CaseOut)
def case_get(call, case_id: int):
    case, client = _visible(call, case_id)
    return case_out(case, client.client_no, client.branch_code)


@operation("POST", "/cases", summary="Record a complaint (opens or joins a case)", tag="cases",
           roles=RECORDING_ROLES, body=CaseIn, response=CaseOut, status=201, also=(200,))
def case_create(call):
    b = call.body
    client = call.db.scalar(select(Client).where(Client.client_no == b.client_no.strip()))
    scope = branch_scope(call.actor)
    if client is not None and scope is not None and client.branch_code != scope:
        raise PermissionDenied(_("This token records complaints of branch %(b)s only.", b=scope))
    case, opened = followup_cases.record_complaint(call.db, client_no=b.client_no, topic=b.topic, channel=b.channel,
                                                   summary=b.summary, actor=call.actor, now=utcnow())
    out = case_out(case, client.client_no, client.branch_code, joined=not opened)
    return out, (201 if opened else 200)


@operation("POST", "/cases/<int:case_id>/steps", summary="Take a case's next step", tag="cases", roles=CASES,
           body=StepIn, response=CaseOut)
def case_step(call, case_id: int):
    case, client = _visible(call, case_id)
    require_unchanged(case_out(case, client.client_no, client.branch_code))
    form = {k: (v.isoformat() if hasattr(v, "isoformat") else str(v))
            for k, v in call.body.model_dump(exclude={"step"}, exclude_none=True).items()}
    followup_steps.advance(call.db, case, call.body.step, form, actor=call.actor, now=utcnow())
    return case_out(case, client.client_no, client.branch_code)
