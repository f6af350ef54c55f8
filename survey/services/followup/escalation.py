"""Deadlines: marking overdue cases, escalating them to the branch head, and the daily digest.

``sweep`` is what ``survey escalate`` runs from cron: a case whose current step is past its
deadline (set from the client's tier service level when the step began) is marked overdue and
listed for supervisors; once it is ``escalation_delay_hours`` (setting, default 24) past the
deadline it is escalated to the branch heads of the client's branch.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.localtime import DEFAULT_TZ, local_time, zone
from survey.models import Client, FollowUpCase, Message, StaffUser
from survey.services import job_lock
from survey.services.fieldwork.mail import Mailer
from survey.services.fieldwork.queue import branch_zones
from survey.services.followup.cases import add_event, escalation_delay_hours

STEP_WORDS = {"recorded": "已记录 recorded", "accepted": "已受理 accepted", "analysed": "已分析 analysed",
              "handled": "已处理 handled", "fed_back": "已反馈 fed back", "closed": "已结案 closed"}


@dataclass(frozen=True)
class SweepResult:
    marked: list[int]
    escalated: list[int]
    # case id -> the branch heads it went to
    escalated_to: dict[int, list[int]] = field(default_factory=dict)


def sweep(session: Session, *, now: dt.datetime, actor="escalation") -> SweepResult:
    """Mark overdue and escalate, exactly the open cases past their step's deadline (+ delay)."""
    job_lock.hold(session, "escalate")
    delay = dt.timedelta(hours=escalation_delay_hours(session))
    rows = session.execute(
        select(FollowUpCase, Client.branch_code).join(Client, Client.id == FollowUpCase.client_id)
        .where(FollowUpCase.step != "closed", FollowUpCase.step_deadline.is_not(None),
               FollowUpCase.step_deadline < now,
               (FollowUpCase.overdue.is_(False)) | (FollowUpCase.escalated_at.is_(None)))
        .order_by(FollowUpCase.id).with_for_update(of=FollowUpCase)
    ).all()
    heads_by_branch: dict[str, list[int]] = defaultdict(list)
    for user in session.scalars(select(StaffUser).where(StaffUser.role == "branch_head", StaffUser.active.is_(True))):
        heads_by_branch[user.branch_code or ""].append(user.id)
    marked, escalated, escalated_to = [], [], {}
    for case, branch in rows:
        if not case.overdue:
            case.overdue = True
            add_event(session, case, "overdue", actor, now, step=case.step, deadline=case.step_deadline)
            marked.append(case.id)
        if case.escalated_at is None and now >= case.step_deadline + delay:
            case.escalated_at = now
            heads = heads_by_branch.get(branch or "", [])
            add_event(session, case, "escalated", actor, now, step=case.step, branch=branch, to=heads)
            escalated.append(case.id)
            escalated_to[case.id] = heads
    session.flush()
    return SweepResult(marked, escalated, escalated_to)


@dataclass(frozen=True)
class Digest:
    recipient: StaffUser
    subject: str
    body: str
    case_ids: list[int]


def _line(case: FollowUpCase, client: Client, now: dt.datetime, tz: str) -> str:
    due = case.step_deadline
    if due is not None and due.tzinfo is None:
        due = due.replace(tzinfo=dt.UTC)
    late = " 已逾期 OVERDUE" if due is not None and due < now else ""
    due_text = local_time(due, tz, named=False) if due else "-"
    return f"  #{case.id} {client.client_no} {case.tier_code} {STEP_WORDS[case.step]} · 期限 due {due_text}{late}"


def digests(session: Session, *, now: dt.datetime) -> list[Digest]:
    """One digest per staff member with something to do: their own cases; for supervisors the
    unaccepted and overdue cases; for branch heads the cases escalated from their branch.

    Times are in the recipient's branch zone (staff without a branch: the bank's zone), named once."""
    rows = session.execute(
        select(FollowUpCase, Client).join(Client, Client.id == FollowUpCase.client_id)
        .where(FollowUpCase.step != "closed").order_by(FollowUpCase.step_deadline, FollowUpCase.id)
    ).all()
    staff = list(session.scalars(select(StaffUser).where(StaffUser.active.is_(True)).order_by(StaffUser.id)))
    zones = branch_zones(session)
    out = []
    for user in staff:
        sections = []
        own = [(c, cl) for c, cl in rows if c.owner_id == user.id]
        if own:
            sections.append(("我负责的案件 Cases you own", own))
        if user.role == "supervisor":
            waiting = [(c, cl) for c, cl in rows if c.step == "recorded"]
            late = [(c, cl) for c, cl in rows if c.step_deadline is not None and c.step_deadline < now]
            if waiting:
                sections.append(("待受理 Waiting to be accepted", waiting))
            if late:
                sections.append(("已逾期 Overdue", late))
        if user.role == "branch_head":
            up = [(c, cl) for c, cl in rows if c.escalated_at is not None and cl.branch_code == user.branch_code]
            if up:
                sections.append(("升级至您的案件 Escalated to you", up))
        if not sections:
            continue
        ids = sorted({c.id for _t, items in sections for c, _cl in items})
        tz = zone(zones.get(user.branch_code or "") or DEFAULT_TZ).key
        lines = [f"{user.display_name}:", "", f"截至 {local_time(now, tz)} 的跟进案件 / Follow-up cases as of then "
                                              f"(时间均为 {tz} / times in {tz})", ""]
        for title, items in sections:
            lines += [f"{title} ({len(items)})", *(_line(c, cl, now, tz) for c, cl in items), ""]
        day = local_time(now, tz, "%Y-%m-%d", named=False)
        out.append(Digest(user, f"跟进案件日报 Follow-up digest {day}: {len(ids)}", "\n".join(lines), ids))
    return out


def staff_address(username: str, config: Mapping) -> str:
    """Staff accounts carry no e-mail column: ``username@<domain of SMTP_FROM>`` unless it is one already."""
    if "@" in username:
        return username
    domain = str(config.get("SMTP_FROM") or "survey@bank.example").rpartition("@")[2] or "bank.example"
    return f"{username}@{domain}"


def send_mail(config: Mapping, *, to: str, subject: str, body: str, kind: str) -> str:
    """One plain-text message through the fieldwork mailer (SMTP, or an .eml in the outbox); returns the transport."""
    mailer = Mailer.from_config(config)
    msg = EmailMessage()
    msg["From"] = mailer.sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@survey>"
    msg.set_content(body)
    mailer.send(msg, f"{kind}-{uuid.uuid4().hex[:12]}")
    return mailer.transport


def send_digests(session: Session, config: Mapping, *, now: dt.datetime) -> list[Digest]:
    """Send each digest (SMTP or outbox) and keep a Message row for it; once a day per person, however
    many servers run the job."""
    job_lock.hold(session, "digest")
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    done = set(session.scalars(select(Message.recipient).where(
        Message.kind == "case_digest", Message.sent_at >= day, Message.sent_at < day + dt.timedelta(days=1))))
    sent = [d for d in digests(session, now=now) if staff_address(d.recipient.username, config) not in done]
    for d in sent:
        to = staff_address(d.recipient.username, config)
        transport = send_mail(config, to=to, subject=d.subject, body=d.body, kind=f"digest-{now:%Y%m%d}")
        session.add(Message(kind="case_digest", recipient=to, subject=d.subject[:255], sent_at=now, transport=transport))
    session.flush()
    return sent
