"""Follow-up cases: opening (or joining) one case per client and topic, settings and permissions.

The bank's five steps are record → accept → analyse → handle → feed back, then close; moving
between them is in ``followup_steps``.  Every function takes ``now`` so callers control time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from survey.errors import NotFound, ValidationFailed
from survey.models import CaseEvent, Client, FollowUpCase, Setting, StaffUser, utcnow
from survey.security import AREA_ROLES
from survey.services import audit, tiers

STEPS = ("recorded", "accepted", "analysed", "handled", "fed_back", "closed")
OPEN_STEPS = STEPS[:-1]
NEXT_STEP = dict(zip(STEPS[:-1], STEPS[1:], strict=True))
# how a case came in: "survey" for a triggered response, the rest for complaints received otherwise
CHANNELS = ("survey", "phone", "branch", "letter", "email", "regulator")
COMPLAINT_CHANNELS = CHANNELS[1:]
TOPICS = ("satisfaction", "service", "fees", "products", "digital", "relationship_manager", "other")
SURVEY_TOPIC = "satisfaction"
DEFAULT_SLA_HOURS = 72
DEFAULT_ESCALATION_DELAY_HOURS = 24
MAX_TEXT = 2000
# the bank's default list of root causes (settings key "root_causes" overrides it)
DEFAULT_ROOT_CAUSES = (
    {"code": "staff_attitude", "zh": "员工服务态度", "en": "Staff attitude"},
    {"code": "staff_skill", "zh": "员工专业能力不足", "en": "Staff knowledge or skill"},
    {"code": "waiting_time", "zh": "等候时间过长", "en": "Waiting time too long"},
    {"code": "process", "zh": "业务流程繁琐", "en": "Cumbersome procedure"},
    {"code": "fees", "zh": "收费不透明或过高", "en": "Fees unclear or too high"},
    {"code": "product", "zh": "产品不符合需求", "en": "Product does not fit the client's needs"},
    {"code": "system", "zh": "系统或手机银行故障", "en": "System or mobile banking failure"},
    {"code": "manager_contact", "zh": "客户经理联系不足", "en": "Too little contact from the relationship manager"},
    {"code": "communication", "zh": "信息告知不充分", "en": "Information not given or unclear"},
    {"code": "external", "zh": "外部原因（非我行责任）", "en": "External cause (not the bank's fault)"},
    {"code": "other", "zh": "其他", "en": "Other"},
)
# roles that may act on any case; a branch head acts on the cases of their branch; an owner on their own
SUPERVISING_ROLES = ("supervisor", "admin")
RECORDING_ROLES = ("supervisor", "admin", "branch_head")


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


# --- settings -------------------------------------------------------------------------------

def setting(session: Session, key: str, default=None):
    row = session.get(Setting, key)
    return default if row is None else row.value


def root_causes(session: Session) -> list[dict]:
    """The configured root-cause list, each ``{"code", "zh", "en"}`` (the bank default if unset)."""
    value = setting(session, "root_causes")
    items = value.get("items") if isinstance(value, dict) else value
    if isinstance(items, list) and items and all(isinstance(i, dict) and i.get("code") for i in items):
        return [{"code": str(i["code"]), "zh": str(i.get("zh") or i["code"]), "en": str(i.get("en") or i["code"])}
                for i in items]
    return [dict(i) for i in DEFAULT_ROOT_CAUSES]


def escalation_delay_hours(session: Session) -> float:
    value = setting(session, "escalation_delay_hours")
    if isinstance(value, dict):
        value = value.get("hours")
    try:
        hours = float(value)
    except (TypeError, ValueError):
        return float(DEFAULT_ESCALATION_DELAY_HOURS)
    return hours if hours >= 0 else float(DEFAULT_ESCALATION_DELAY_HOURS)


def parse_root_causes(text: str) -> list[dict]:
    """Lines ``code | 中文 | English`` → items; raises ValidationFailed naming the bad line."""
    items, problems, seen = [], [], set()
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3 or not all(parts):
            problems.append(("root_causes", f"line {n}: write code | 中文 | English"))
            continue
        if parts[0] in seen:
            problems.append(("root_causes", f"line {n}: code {parts[0]!r} is used twice"))
        seen.add(parts[0])
        items.append({"code": parts[0][:32], "zh": parts[1], "en": parts[2]})
    if not items and not problems:
        problems.append(("root_causes", "give at least one root cause"))
    if problems:
        raise ValidationFailed("; ".join(p for _f, p in problems), problems)
    return items


def save_settings(session: Session, *, root_causes_text: str, delay_hours: str, actor: StaffUser) -> None:
    """Store the root-cause list and the escalation delay (both audited)."""
    problems = []
    try:
        items = parse_root_causes(root_causes_text)
    except ValidationFailed as exc:
        items, problems = None, list(exc.problems)
    try:
        hours = float(delay_hours)
        if not 0 <= hours <= 24 * 30:
            raise ValueError
    except (TypeError, ValueError):
        problems.append(("escalation_delay_hours", "enter a number of hours between 0 and 720"))
    if problems:
        raise ValidationFailed("; ".join(p for _f, p in problems), problems)
    for key, value in (("root_causes", {"items": items}), ("escalation_delay_hours", {"hours": hours})):
        row = session.get(Setting, key)
        if row is None:
            session.add(Setting(key=key, value=value))
        else:
            row.value = value
    audit.record(session, actor, "settings.followup_saved", "setting", "root_causes",
                 root_causes=[i["code"] for i in items], escalation_delay_hours=hours)


def sla_hours(session: Session, tier_code: str) -> int:
    """Hours allowed per step for a client of ``tier_code`` (the active tier scheme's service level)."""
    scheme = tiers.active_scheme(session)
    tier = tiers.tiers_by_code(scheme).get(tier_code) if scheme is not None else None
    return int(tier.followup_sla_hours) if tier is not None and tier.followup_sla_hours else DEFAULT_SLA_HOURS


def deadline_after(session: Session, case: FollowUpCase, start: dt.datetime) -> dt.datetime:
    return start + dt.timedelta(hours=sla_hours(session, case.tier_code))


# --- permissions ----------------------------------------------------------------------------

def case_branch(session: Session, case: FollowUpCase) -> str | None:
    return session.scalar(select(Client.branch_code).where(Client.id == case.client_id))


def can_act(session: Session, user, case: FollowUpCase) -> bool:
    """Supervisors and admins act on any case; a branch head on their branch's; anyone on a case they own."""
    if user is None or not getattr(user, "is_authenticated", False) or user.role not in AREA_ROLES["cases"]:
        return False
    if user.role in SUPERVISING_ROLES:
        return True
    if user.role == "branch_head" and user.branch_code and user.branch_code == case_branch(session, case):
        return True
    return case.owner_id is not None and case.owner_id == user.id


def can_record(user) -> bool:
    return user is not None and getattr(user, "role", None) in RECORDING_ROLES


def owner_candidates(session: Session) -> list[StaffUser]:
    """Active staff who may own a case: the roles of the cases area."""
    return list(session.scalars(
        select(StaffUser).where(StaffUser.active.is_(True), StaffUser.role.in_(AREA_ROLES["cases"]))
        .order_by(StaffUser.role, StaffUser.display_name)
    ))


# --- opening and joining --------------------------------------------------------------------

def get_case(session: Session, case_id: int, *, for_update: bool = False) -> FollowUpCase:
    stmt = select(FollowUpCase).where(FollowUpCase.id == case_id)
    case = session.scalar(stmt.with_for_update() if for_update else stmt)
    if case is None:
        raise NotFound(f"case {case_id} not found")
    return case


def in_scope(session: Session, case_id: int, branch: str, user_id: int) -> bool:
    """Whether a user limited to ``branch`` may open the case: one of that branch's, or one they own."""
    row = session.execute(select(Client.branch_code, FollowUpCase.owner_id)
                          .join(FollowUpCase, FollowUpCase.client_id == Client.id)
                          .where(FollowUpCase.id == case_id)).first()
    return row is None or row.branch_code == branch or row.owner_id == user_id


def find_open(session: Session, client_id: int, topic: str) -> FollowUpCase | None:
    return session.scalar(select(FollowUpCase).where(
        FollowUpCase.client_id == client_id, FollowUpCase.topic == topic, FollowUpCase.step != "closed"))


def add_event(session: Session, case: FollowUpCase, action: str, actor, now: dt.datetime, *,
              from_step: str | None = None, to_step: str | None = None, **fields) -> CaseEvent:
    """One line of the case's history and the matching audit event, both stamped ``now``."""
    actor_id = actor.id if isinstance(actor, StaffUser) else None
    event = CaseEvent(case_id=case.id, at=now, actor_id=actor_id, action=action, from_step=from_step,
                      to_step=to_step, fields=audit._jsonable(fields))
    session.add(event)
    audit.record(session, actor, f"case.{action}", "followup_case", case.id,
                 from_step=from_step, to_step=to_step, **fields).at = now
    return event


def join_case(session: Session, case: FollowUpCase, *, actor, now: dt.datetime,
              response_id: int | None = None, **details) -> CaseEvent:
    """A further trigger for an open case: recorded on it instead of opening another."""
    return add_event(session, case, "joined", actor, now, response_id=response_id, **details)


def open_case(
    session: Session,
    *,
    client: Client,
    topic: str,
    channel: str,
    actor,
    now: dt.datetime | None = None,
    summary: str | None = None,
    wave_id: int | None = None,
    response_id: int | None = None,
    **details,
) -> tuple[FollowUpCase, bool]:
    """Open a case for ``client`` on ``topic``, or join the open one; returns (case, opened).

    The partial unique index (one open case per client and topic) settles races: the insert runs
    in a SAVEPOINT, and if a concurrent transaction got there first the existing case is joined.
    """
    now = now or utcnow()
    problems = []
    if topic not in TOPICS:
        problems.append(("topic", "not_a_choice"))
    if channel not in CHANNELS:
        problems.append(("channel", "not_a_choice"))
    if summary and len(summary) > MAX_TEXT:
        problems.append(("summary", "too_long"))
    if problems:
        raise ValidationFailed(f"case refused: {problems}", problems)
    existing = find_open(session, client.id, topic)
    if existing is None:
        case = FollowUpCase(
            client_id=client.id, topic=topic, channel=channel, tier_code=client.tier_code, wave_id=wave_id,
            response_id=response_id, step="recorded", opened_at=now, step_started_at=now,
            step_deadline=now + dt.timedelta(hours=sla_hours(session, client.tier_code)), summary=summary,
            fields={"steps": {"recorded": {"by": actor.id if isinstance(actor, StaffUser) else None,
                                           "at": iso(now), "channel": channel}}},
        )
        try:
            with session.begin_nested():
                session.add(case)
                session.flush()
        except IntegrityError:
            existing = find_open(session, client.id, topic)
            if existing is None:
                raise
        else:
            add_event(session, case, "opened", actor, now, to_step="recorded", channel=channel, topic=topic,
                      response_id=response_id, wave_id=wave_id, **details)
            return case, True
    join_case(session, existing, actor=actor, now=now, response_id=response_id, channel=channel, **details)
    return existing, False


def record_complaint(session: Session, *, client_no: str, topic: str, channel: str, summary: str,
                     actor: StaffUser, now: dt.datetime | None = None) -> tuple[FollowUpCase, bool]:
    """A complaint received by phone, at a branch, by letter or from the regulator."""
    problems = []
    client = session.scalar(select(Client).where(Client.client_no == (client_no or "").strip()))
    if not (client_no or "").strip():
        problems.append(("client_no", "required"))
    elif client is None:
        problems.append(("client_no", "unknown_client"))
    if channel not in COMPLAINT_CHANNELS:
        problems.append(("channel", "not_a_choice"))
    if topic not in TOPICS:
        problems.append(("topic", "not_a_choice"))
    summary = (summary or "").strip()
    if not summary:
        problems.append(("summary", "required"))
    elif len(summary) > MAX_TEXT:
        problems.append(("summary", "too_long"))
    if problems:
        raise ValidationFailed("the complaint was not recorded", problems)
    return open_case(session, client=client, topic=topic, channel=channel, actor=actor, now=now, summary=summary)


def form_values(form: Mapping, names) -> dict[str, str]:
    return {n: (form.get(n) or "").strip() for n in names}
