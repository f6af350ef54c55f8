"""Finding a client for the complaints desk: by client number, by name, or by the last four phone digits.

Who may search (docs/admin.md): supervisors and admins over the whole client file, branch
heads over their own branch's clients.  Interviewers may not: they work the cases they are
given, and a name search would show them clients outside their list (and their own clients,
which the independence rule keeps from them).  Numbers are shown masked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from survey.models import Client, FollowUpCase, Invitation, StaffUser, Wave

SEARCH_ROLES = ("supervisor", "admin", "branch_head")
LIMIT = 50
MIN_NAME = 1
_LAST_FOUR = re.compile(r"^\d{4}$")


@dataclass
class Found:
    client: Client
    followups: list[FollowUpCase] = field(default_factory=list)
    invitations: list[tuple[Invitation, Wave]] = field(default_factory=list)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(session: Session, query: str, user: StaffUser, *, limit: int = LIMIT) -> tuple[list[Found], bool]:
    """Clients matching ``query`` that ``user`` may see, with their follow-up and survey cases.

    Four digits match the phone's last four digits (and client numbers containing them); other
    text matches the client number exactly or by its start, or the name by any part.
    Returns (results, more) where ``more`` says the list was cut at ``limit``.
    """
    text = (query or "").strip()[:64]
    if len(text) < MIN_NAME:
        return [], False
    like = _escape(text)
    conds = [Client.client_no == text, Client.client_no.like(f"{like}%", escape="\\"),
             Client.name.like(f"%{like}%", escape="\\")]
    if _LAST_FOUR.match(text):
        conds.append(Client.phone.like(f"%{like}", escape="\\"))
    stmt = select(Client).where(or_(*conds))
    if user.role == "branch_head":  # a branch head without a branch finds nobody
        stmt = stmt.where(Client.branch_code == (user.branch_code or ""))
    clients = list(session.scalars(stmt.order_by(Client.client_no).limit(limit + 1)))
    more = len(clients) > limit
    clients = clients[:limit]
    found = {c.id: Found(c) for c in clients}
    if found:
        for case in session.scalars(select(FollowUpCase).where(FollowUpCase.client_id.in_(found))
                                    .order_by(FollowUpCase.opened_at.desc())):
            found[case.client_id].followups.append(case)
        for inv, wave in session.execute(select(Invitation, Wave).join(Wave, Wave.id == Invitation.wave_id)
                                         .where(Invitation.client_id.in_(found))
                                         .order_by(Wave.period_start.desc(), Invitation.id)):
            found[inv.client_id].invitations.append((inv, wave))
    return list(found.values()), more
