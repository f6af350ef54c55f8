"""Win-back: after a case closes, a short survey link for the client; its answer says if they recovered."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.errors import Conflict, PermissionDenied
from survey.models import (
    Answer,
    Client,
    FollowUpCase,
    Invitation,
    Message,
    Question,
    Response,
    StaffUser,
    Wave,
)
from survey.services import invitations
from survey.services.followup.cases import add_event, can_act

RECOVERED_AT_LEAST = 4  # overall satisfaction (1–5) at or above this counts as recovered


def _wave_for(session: Session, case: FollowUpCase) -> Wave:
    wave = session.get(Wave, case.wave_id) if case.wave_id else None
    if wave is None:
        wave = session.scalar(select(Wave).order_by(Wave.period_start.desc(), Wave.id.desc()))
    if wave is None:
        raise Conflict("there is no wave to attach a win-back survey to; create a wave first")
    return wave


def send_winback(session: Session, case: FollowUpCase, *, actor: StaffUser | str, now: dt.datetime,
                 ttl_days: int = 30) -> tuple[Invitation, str]:
    """Issue the client's win-back link for a closed case; returns (invitation, token shown once).

    One win-back invitation per client and wave (the invitations' unique key): an unanswered one is
    re-pointed at this case with a fresh link; an answered one is refused.
    """
    if isinstance(actor, StaffUser) and not can_act(session, actor, case):
        raise PermissionDenied(f"{actor.username} may not send a win-back survey for case {case.id}")
    if case.step != "closed":
        raise Conflict(f"case {case.id} is not closed yet; the win-back survey follows the feedback")
    wave = _wave_for(session, case)
    client = session.get(Client, case.client_id)
    inv = session.scalar(select(Invitation).where(
        Invitation.wave_id == wave.id, Invitation.client_id == client.id, Invitation.kind == "winback"))
    if inv is not None and inv.used_at is not None:
        raise Conflict(f"the client already answered a win-back survey in wave {wave.name}")
    if inv is None:
        inv = Invitation(wave_id=wave.id, client_id=client.id, kind="winback", tier_code=client.tier_code,
                         mode="web", mode_reason="winback", created_at=now)
        session.add(inv)
    inv.followup_case_id = case.id
    token = invitations.issue_token(inv, ttl_days, now=now)
    session.flush()
    fields = dict(case.fields or {})
    fields["winback"] = {"invitation_id": inv.id, "sent_at": now.isoformat(timespec="seconds")}
    case.fields = fields
    add_event(session, case, "winback_sent", actor, now, invitation_id=inv.id, wave_id=wave.id)
    return inv, token


def record_result(session: Session, inv: Invitation, response: Response, now: dt.datetime) -> FollowUpCase | None:
    """A win-back answer arrived: the case records whether the client's satisfaction recovered."""
    case = session.get(FollowUpCase, inv.followup_case_id) if inv.followup_case_id else None
    if case is None:
        return None
    overall = session.scalar(
        select(Answer.value_num).join(Question, Question.id == Answer.question_id)
        .where(Answer.response_id == response.id, Question.is_overall.is_(True))
    )
    if overall is None:
        return case
    case.recovered = overall >= RECOVERED_AT_LEAST
    fields = dict(case.fields or {})
    fields["winback"] = {**fields.get("winback", {}), "response_id": response.id, "overall": overall,
                         "answered_at": now.isoformat(timespec="seconds")}
    case.fields = fields
    add_event(session, case, "winback_answered", "survey", now, response_id=response.id, overall=overall,
              recovered=case.recovered)
    return case


def email_link(session: Session, config, inv: Invitation, link: str, *, now: dt.datetime) -> bool:
    """E-mail the win-back link to the client when the file has an address (SMTP or outbox)."""
    client = session.get(Client, inv.client_id)
    if not client.email:
        return False
    subject = "感谢您的反馈 / Thank you for your feedback"
    body = (f"尊敬的{client.name}：\n\n感谢您向我们反映问题。我们已经处理完毕，想再请您用一分钟告诉我们现在是否满意：\n{link}\n\n"
            f"Dear client,\n\nThank you for telling us about your problem. We have dealt with it and would like to know, "
            f"in one minute, whether you are satisfied now:\n{link}\n")
    from survey.services.followup.escalation import send_mail

    transport = send_mail(config, to=client.email, subject=subject, body=body, kind=f"winback-{inv.id}")
    session.add(Message(invitation_id=inv.id, kind="winback", recipient=client.email, subject=subject,
                        sent_at=now, transport=transport))
    inv.last_message_at = now
    return True
