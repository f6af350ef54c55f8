"""Words for the case pages' codes, in the reader's language (steps, channels, topics, problems)."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _

from survey import localtime
from survey.services.followup.steps import LOCAL_TZ


def step_label(code: str) -> str:
    return {
        "recorded": _("Recorded"), "accepted": _("Accepted"), "analysed": _("Analysed"),
        "handled": _("Handled"), "fed_back": _("Fed back"), "closed": _("Closed"),
    }.get(code, code)


def step_action(code: str) -> str:
    """The button that takes the case into step ``code``."""
    return {
        "accepted": _("Accept the case"), "analysed": _("Record the analysis"), "handled": _("Record the handling"),
        "fed_back": _("Record the feedback to the client"), "closed": _("Close the case"),
    }.get(code, code)


def channel_label(code: str) -> str:
    return {
        "survey": _("Satisfaction survey"), "phone": _("By phone"), "branch": _("At a branch"),
        "letter": _("Letter"), "email": _("E-mail"), "regulator": _("Regulator"),
    }.get(code, code)


def topic_label(code: str) -> str:
    return {
        "satisfaction": _("Low satisfaction"), "service": _("Service"), "fees": _("Fees and charges"),
        "products": _("Products"), "digital": _("Mobile and online banking"),
        "relationship_manager": _("Relationship manager"), "other": _("Other topic"),
    }.get(code, code)


def feedback_how_label(code: str) -> str:
    return {
        "phone": _("By phone"), "visit": _("Visit"), "letter": _("Letter"), "email": _("E-mail"), "sms": _("Text message"),
    }.get(code, code)


def reaction_label(code: str) -> str:
    return {
        "satisfied": _("Satisfied with the outcome"), "accepted": _("Accepted, with reservations"),
        "dissatisfied": _("Still dissatisfied"),
    }.get(code, code)


def reason_label(code: str) -> str:
    return {
        "overall": _("Low overall satisfaction"), "recommend": _("Unlikely to recommend"),
        "contact_request": _("Asked to be contacted"),
    }.get(code, code)


def event_label(action: str) -> str:
    return {
        "opened": _("Case opened"), "joined": _("Another trigger joined the case"), "advanced": _("Step taken"),
        "reopened": _("Case reopened"), "overdue": _("Marked overdue"), "escalated": _("Escalated to the branch head"),
        "winback_sent": _("Win-back survey sent"), "winback_answered": _("Win-back survey answered"),
    }.get(action, action)


def field_label(name: str) -> str:
    return {
        "owner_id": _("Owner"), "owner_name": _("Owner"), "root_cause": _("Root cause"),
        "analysis": _("Analysis"), "actions": _("Actions taken"), "feedback_how": _("How the client was told"),
        "feedback_at": _("When the client was told"), "reaction": _("Client's reaction"),
        "reaction_note": _("Notes on the reaction"), "note": _("Closing note"), "reason": _("Reason"),
        "client_no": _("Client number"), "topic": _("Topic"), "channel": _("Channel"), "summary": _("Summary"),
        "root_causes": _("Root causes"), "escalation_delay_hours": _("Escalation delay (hours)"),
    }.get(name, name)


def problem_message(code: str) -> str:
    return {
        "required": _("This field is required."),
        "not_a_choice": _("Please choose one of the answers offered."),
        "too_long": _("Please shorten your answer to 2,000 characters."),
        "not_a_time": _("Enter a date and time."),
        "in_future": _("This time is in the future."),
        "before_opened": _("This time is before the case was opened."),
        "unknown_client": _("No client has this number."),
    }.get(code, code)


def problems_by_field(problems) -> dict[str, str]:
    return {f: problem_message(c) for f, c in problems}


def local_time(moment: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A follow-up time in the zone its forms are read in (the bank's default), the zone named on display."""
    return localtime.local_time(moment, LOCAL_TZ.key, fmt, named=fmt == localtime.FORMAT) if moment else "—"


def local_iso(value: str | None) -> str:
    """A stored ISO timestamp shown in Beijing time."""
    try:
        return local_time(dt.datetime.fromisoformat(value)) if value else "—"
    except ValueError:
        return value


def hours_left(deadline: dt.datetime | None, now: dt.datetime) -> float | None:
    return None if deadline is None else round((deadline - now).total_seconds() / 3600, 1)


HELPERS = {
    "step_label": step_label, "step_action": step_action, "channel_label": channel_label,
    "topic_label": topic_label, "feedback_how_label": feedback_how_label, "reaction_label": reaction_label,
    "reason_label": reason_label, "event_label": event_label, "field_label": field_label,
    "local_time": local_time, "local_iso": local_iso, "hours_left": hours_left,
}
