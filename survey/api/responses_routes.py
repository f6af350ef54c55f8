"""``GET /responses``: answered questionnaires for BI, cursor-paged, ``since`` a time, with their answers.

Free-text answers and contact requests can name people: like the exports, only a quality token gets
them; other roles see them as ``withheld``.
"""

from __future__ import annotations

from sqlalchemy import func, select

from survey.api.paging import page
from survey.api.registry import QUALITY, operation
from survey.api.schemas import AnswerOut, ResponseOut, ResponsesQuery, page_of
from survey.models import Answer, Client, Invitation, Question, Response, Wave
from survey.security import branch_scope
from survey.services import questionnaires


def _withheld(db, wave_ids) -> set[int]:
    """The question ids whose answers may name people: text questions and the contact request."""
    out = set()
    for wave in db.scalars(select(Wave).where(Wave.id.in_(wave_ids))):
        qn = wave.questionnaire
        request_q = questionnaires.question_by_role(qn, "contact_request")
        out |= {q.id for q in qn.questions if q.type == "text" or (request_q is not None and q.id == request_q.id)}
    return out


def _answers(db, response_ids, open_answers: bool, withheld: set[int]) -> dict[int, list[AnswerOut]]:
    out: dict[int, list[AnswerOut]] = {}
    rows = db.execute(select(Answer.response_id, Answer.question_id, Question.code, Answer.value_num, Answer.value_text,
                             Answer.value_json).join(Question, Question.id == Answer.question_id)
                      .where(Answer.response_id.in_(response_ids)).order_by(Answer.response_id, Question.position))
    for rid, qid, code, num, text, many in rows:
        hide = qid in withheld and not open_answers
        value = None if hide else (many if many is not None else num if num is not None else text)
        out.setdefault(rid, []).append(AnswerOut(question=code, value=value, withheld=hide))
    return out


@operation("GET", "/responses", summary="Read responses (paged, since a time)", tag="responses", roles=QUALITY,
           query=ResponsesQuery, response=page_of(ResponseOut))
def responses_list(call):
    q = call.query
    stmt = (select(Response, Client.client_no, Client.branch_code, Invitation.tier_code)
            .join(Invitation, Invitation.id == Response.invitation_id).join(Client, Client.id == Response.client_id)
            .where(Invitation.kind == "sample"))
    if q.wave_id is not None:
        stmt = stmt.where(Response.wave_id == q.wave_id)
    if q.since is not None:
        stmt = stmt.where(func.coalesce(Response.submitted_at, Response.started_at, Response.created_at) >= q.since)
    if (scope := branch_scope(call.actor)) is not None:
        stmt = stmt.where(Client.branch_code == scope)
    rows, cursor = page(call.db, stmt, Response.id, q, scalars=False)
    withheld = _withheld(call.db, {r.wave_id for r, *_ in rows}) if rows else set()
    answers = _answers(call.db, [r.id for r, *_ in rows], call.actor.role == "quality", withheld) if rows else {}
    items = [ResponseOut(id=r.id, wave_id=r.wave_id, invitation_id=r.invitation_id, client_no=no, branch=branch,
                         tier=tier, mode=r.mode, status=r.status, locale=r.locale, submitted_at=r.submitted_at,
                         created_at=r.created_at, answers=answers.get(r.id, [])) for r, no, branch, tier in rows]
    return page_of(ResponseOut)(items=items, next_cursor=cursor)
