"""Failed log-ins counted in the database, per account and per client address.

The counters live in the ``login_throttle`` table, so every worker of every app server sees the
same count: an attacker gains nothing by spreading guesses over processes or machines.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from survey.models import LoginThrottle, utcnow

DEFAULT_LIMITS = {"account": 5, "address": 30}
DEFAULT_WINDOW_MINUTES = 15


def keys_for(username: str, address: str | None) -> dict[str, str]:
    """The counter keys of one attempt: the (normalised) account name and the client address."""
    return {"account": f"user:{username.casefold()[:150]}", "address": f"addr:{(address or '-')[:150]}"}


def is_blocked(session: Session, keys: Mapping[str, str], *, limits: Mapping[str, int] = DEFAULT_LIMITS,
               window_minutes: int = DEFAULT_WINDOW_MINUTES, now: dt.datetime | None = None) -> bool:
    """Whether any of ``keys`` has reached its limit of failures within the window."""
    now = now or utcnow()
    since = now - dt.timedelta(minutes=window_minutes)
    rows = session.execute(
        select(LoginThrottle.key, LoginThrottle.failures)
        .where(LoginThrottle.key.in_(keys.values()), LoginThrottle.window_start > since)
    ).all()
    counts = dict(rows)
    return any(counts.get(key, 0) >= limits[kind] for kind, key in keys.items())


def record_failure(session: Session, keys: Mapping[str, str], *, window_minutes: int = DEFAULT_WINDOW_MINUTES,
                   now: dt.datetime | None = None) -> None:
    """Count one failure against every key; a counter whose window has passed starts again at one."""
    now = now or utcnow()
    since = now - dt.timedelta(minutes=window_minutes)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for key in keys.values():
        session.execute(insert(LoginThrottle).values(key=key, failures=0, window_start=now)
                        .on_conflict_do_nothing(index_elements=["key"]))
        row = session.scalars(select(LoginThrottle).where(LoginThrottle.key == key).with_for_update()).one()
        if row.window_start <= since:
            row.failures, row.window_start = 0, now
        row.failures += 1
    session.flush()


def clear_account(session: Session, keys: Mapping[str, str]) -> None:
    """A successful log-in forgives the account's failures (not the address's)."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == keys["account"]))
