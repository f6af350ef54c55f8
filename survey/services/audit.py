"""The audit log: every change to a case, a sample or a client file is written here."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from survey.models import AuditEvent, StaffUser


def record(
    session: Session,
    actor: StaffUser | str | None,
    action: str,
    entity_type: str,
    entity_id: Any,
    **details: Any,
) -> AuditEvent:
    """Add one audit event to the session's transaction (it lands or not with the change)."""
    if isinstance(actor, StaffUser):
        actor_id, label = actor.id, actor.username
    elif hasattr(actor, "audit_label"):  # an API token: its name, no staff account
        actor_id, label = None, actor.audit_label
    else:
        actor_id, label = None, actor or "system"
    event = AuditEvent(
        actor_id=actor_id,
        actor_label=label,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        details=_jsonable(details),
    )
    session.add(event)
    return event


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)
