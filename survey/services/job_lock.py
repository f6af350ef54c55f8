"""One runner at a time for the cron jobs (send-invitations, send-reminders, escalate, digest).

Every app server runs the same cron lines against one database.  Each job first takes a lock
named for it, held until its transaction ends: on PostgreSQL a transaction-level advisory lock,
on SQLite the database write lock that a writer session takes at BEGIN.  The second runner
waits, then sees the first one's committed work (messages sent, cases escalated) and finds
nothing left to do, so each message goes out once and each case is escalated once.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlalchemy.orm import Session


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``name`` (advisory locks are keyed by bigint)."""
    return int.from_bytes(hashlib.sha256(f"survey.job:{name}".encode()).digest()[:8], "big", signed=True)


def hold(session: Session, name: str) -> None:
    """Wait for and take the job lock ``name`` until the session's transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})
    # SQLite: the jobs run in writer sessions (BEGIN IMMEDIATE), which already hold the one database
    # write lock from their first statement to the commit, so a second runner waits there.
