"""Moving a follow-up case through its steps: in order, with each step's required fields.

Each step records who took it, when, and its fields in ``case.fields["steps"][step]``; the case
gets a fresh deadline from the client's tier service level.  Refusals leave the case untouched:
:class:`PermissionDenied` (role), :class:`Conflict` (a step skipped or repeated) and
:class:`ValidationFailed` (missing or wrong fields, ``problems`` = [(field, code)]).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from survey.errors import Conflict, PermissionDenied, ValidationFailed
from survey.form_values import ascii_int, iso_datetime
from survey.models import FollowUpCase, StaffUser
from survey.security import AREA_ROLES
from survey.services.followup.cases import (
    MAX_TEXT,
    NEXT_STEP,
    add_event,
    can_act,
    deadline_after,
    form_values,
    iso,
    root_causes,
)

# what the client was told through, and how they took it
FEEDBACK_HOW = ("phone", "visit", "letter", "email", "sms")
REACTIONS = ("satisfied", "accepted", "dissatisfied")
# the fields each step needs (closing needs none; its note is optional)
REQUIRED_FIELDS = {
    "accepted": ("owner_id",),
    "analysed": ("root_cause", "analysis"),
    "handled": ("actions",),
    "fed_back": ("feedback_how", "feedback_at", "reaction"),
    "closed": (),
}
OPTIONAL_FIELDS = {"fed_back": ("reaction_note",), "closed": ("note",)}
REOPEN_TO = "accepted"
LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def parse_local_time(value: str) -> dt.datetime | None:
    """``2026-11-28T14:30`` (a datetime-local field, read as Beijing time) → aware UTC, or None."""
    moment = iso_datetime(value)
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return moment.astimezone(dt.UTC)


def _text(values: dict, name: str, problems: list, required: bool = True) -> None:
    if not values.get(name):
        if required:
            problems.append((name, "required"))
    elif len(values[name]) > MAX_TEXT:
        problems.append((name, "too_long"))


def check_step(session: Session, case: FollowUpCase, step: str, form: Mapping,
               now: dt.datetime) -> tuple[dict, list[tuple[str, str]]]:
    """The step's fields read from ``form``: (values to store, problems as (field, code))."""
    values = form_values(form, REQUIRED_FIELDS[step] + OPTIONAL_FIELDS.get(step, ()))
    problems: list[tuple[str, str]] = []
    if step == "accepted":
        owner_id = ascii_int(values["owner_id"])
        owner = session.get(StaffUser, owner_id) if owner_id is not None else None
        if not values["owner_id"]:
            problems.append(("owner_id", "required"))
        elif owner is None or not owner.active or owner.role not in AREA_ROLES["cases"]:
            problems.append(("owner_id", "not_a_choice"))
        else:
            values["owner_id"] = owner.id
            values["owner_name"] = owner.display_name
    elif step == "analysed":
        codes = {c["code"] for c in root_causes(session)}
        if not values["root_cause"]:
            problems.append(("root_cause", "required"))
        elif values["root_cause"] not in codes:
            problems.append(("root_cause", "not_a_choice"))
        _text(values, "analysis", problems)
    elif step == "handled":
        _text(values, "actions", problems)
    elif step == "fed_back":
        if not values["feedback_how"]:
            problems.append(("feedback_how", "required"))
        elif values["feedback_how"] not in FEEDBACK_HOW:
            problems.append(("feedback_how", "not_a_choice"))
        told = parse_local_time(values["feedback_at"]) if values["feedback_at"] else None
        if not values["feedback_at"]:
            problems.append(("feedback_at", "required"))
        elif told is None:
            problems.append(("feedback_at", "not_a_time"))
        elif told > now + dt.timedelta(minutes=5):
            problems.append(("feedback_at", "in_future"))
        elif told < case.opened_at - dt.timedelta(minutes=1):
            problems.append(("feedback_at", "before_opened"))
        else:
            values["feedback_at"] = iso(told)
        if not values["reaction"]:
            problems.append(("reaction", "required"))
        elif values["reaction"] not in REACTIONS:
            problems.append(("reaction", "not_a_choice"))
        _text(values, "reaction_note", problems, required=False)
    elif step == "closed":
        _text(values, "note", problems, required=False)
    return values, problems


def advance(session: Session, case: FollowUpCase, to_step: str, form: Mapping, *,
            actor: StaffUser, now: dt.datetime) -> FollowUpCase:
    """Take the case's next step; anything else is refused and the case is left as it was."""
    if not can_act(session, actor, case):
        raise PermissionDenied(f"{actor.username} ({actor.role}) may view case {case.id} but not act on it; "
                               "only its owner, a supervisor or the client's branch head may")
    expected = NEXT_STEP.get(case.step)
    if to_step != expected:
        raise Conflict(f"case {case.id} is at step {case.step!r}: the next step is {expected!r}, "
                       f"not {to_step!r}; steps cannot be skipped or repeated")
    values, problems = check_step(session, case, to_step, form, now)
    if problems:
        raise ValidationFailed(f"step {to_step!r} needs: " + ", ".join(f"{f} ({c})" for f, c in problems), problems)
    from_step = case.step
    deadline = None if to_step == "closed" else deadline_after(session, case, now)
    late = case.step_deadline is not None and now > case.step_deadline
    fields = copy.deepcopy(case.fields or {})
    fields.setdefault("steps", {})[to_step] = {"by": actor.id, "by_name": actor.display_name, "at": iso(now),
                                                "late": late, **{k: v for k, v in values.items() if v != ""}}
    if to_step == "analysed":
        fields["root_cause"] = values["root_cause"]
    case.fields = fields
    case.step = to_step
    case.step_started_at = now
    case.overdue = False
    case.escalated_at = None
    if to_step == "accepted":
        case.owner_id = values["owner_id"]
    case.step_deadline = deadline
    if to_step == "closed":
        case.closed_at = now
    session.flush()
    add_event(session, case, "advanced", actor, now, from_step=from_step, to_step=to_step, late=late,
              **{k: v for k, v in values.items() if v != ""})
    return case


def reopen(session: Session, case: FollowUpCase, reason: str, *, actor: StaffUser, now: dt.datetime) -> FollowUpCase:
    """A closed case back to work (to be analysed again), with the reason; refused if another is open."""
    if not can_act(session, actor, case):
        raise PermissionDenied(f"{actor.username} ({actor.role}) may not reopen case {case.id}")
    if case.step != "closed":
        raise Conflict(f"case {case.id} is not closed (it is at step {case.step!r})")
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_TEXT:
        raise ValidationFailed("give the reason for reopening", [("reason", "required" if not reason else "too_long")])
    deadline = deadline_after(session, case, now)
    try:
        with session.begin_nested():
            case.step, case.closed_at, case.step_started_at, case.step_deadline = REOPEN_TO, None, now, deadline
            session.flush()
    except IntegrityError:
        # the savepoint's rollback expires the case: it reads back as it was, closed
        raise Conflict(f"the client already has an open case on topic {case.topic!r}; work on that one") from None
    add_event(session, case, "reopened", actor, now, from_step="closed", to_step=REOPEN_TO, reason=reason)
    return case
