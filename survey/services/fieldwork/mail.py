"""Web-mode messages: the survey link by e-mail, reminders, and the outbox used without SMTP.

With ``SMTP_HOST`` configured the messages go out through SMTP; without it (demo, tests) each
is written to ``OUTBOX_DIR`` as an ``.eml`` file.  Every message carries an opt-out link that
works without login, and is recorded in ``messages``.  Only the hash of a survey token is
stored, so each message (a reminder too) issues a fresh token to put in its link.
"""

from __future__ import annotations

import datetime as dt
import smtplib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Client, Invitation, Message, Wave, utcnow
from survey.services import audit, invitations
from survey.services.fieldwork.optout import optout_token
from survey.services.fieldwork.queue import wave_settings

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Mailer:
    """Where messages go: SMTP when ``smtp_host`` is set, else ``.eml`` files in ``outbox``."""

    sender: str
    base_url: str
    secret_key: str
    outbox: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None

    @classmethod
    def from_config(cls, config: Mapping) -> Mailer:
        return cls(sender=config["SMTP_FROM"], base_url=config["PUBLIC_BASE_URL"].rstrip("/"),
                   secret_key=config["SECRET_KEY"], outbox=config.get("OUTBOX_DIR"),
                   smtp_host=config.get("SMTP_HOST"), smtp_port=int(config.get("SMTP_PORT") or 25),
                   smtp_user=config.get("SMTP_USER"), smtp_password=config.get("SMTP_PASSWORD"))

    @property
    def transport(self) -> str:
        return "smtp" if self.smtp_host else "outbox"

    def send(self, msg: EmailMessage, name: str) -> None:
        if self.smtp_host:
            with smtplib.SMTP(self.smtp_host, self.smtp_port, timeout=30) as smtp:
                if self.smtp_user:
                    smtp.starttls()
                    smtp.login(self.smtp_user, self.smtp_password or "")
                smtp.send_message(msg)
            return
        folder = Path(self.outbox or "outbox")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.eml").write_bytes(bytes(msg))


TEXT = {
    "invitation": ("客户满意度调查邀请 / Client satisfaction survey",
                   "尊敬的{name}：\n\n感谢您一直以来对我行的信任。请花几分钟时间回答我们的满意度调查：\n{link}\n"
                   "链接仅供您本人使用，有效期至 {expires}。\n\n"
                   "Dear {name},\n\nThank you for banking with us. Please take a few minutes to answer our "
                   "satisfaction survey:\n{link}\nThe link is for you only and works until {expires}.\n"),
    "reminder": ("提醒：客户满意度调查 / Reminder: client satisfaction survey",
                 "尊敬的{name}：\n\n我们尚未收到您的回答。您的意见对我们很重要：\n{link}\n"
                 "（此前的链接已失效，请使用本链接。有效期至 {expires}。）\n\n"
                 "Dear {name},\n\nWe have not yet received your answers, and your view matters to us:\n{link}\n"
                 "(Earlier links no longer work; please use this one. It works until {expires}.)\n"),
}
FOOTER = ("\n--\n如不希望再收到调查邀请或电话，请点击 / To receive no more survey messages or calls:\n{optout}\n")


def compose(mailer: Mailer, inv: Invitation, client: Client, kind: str, token: str) -> EmailMessage:
    subject, body = TEXT[kind]
    link = f"{mailer.base_url}/s/{token}"
    optout = f"{mailer.base_url}/optout/{optout_token(mailer.secret_key, client.id)}"
    expires = inv.expires_at.strftime("%Y-%m-%d") if inv.expires_at else ""
    msg = EmailMessage()
    msg["From"] = mailer.sender
    msg["To"] = client.email
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@survey>"
    msg["List-Unsubscribe"] = f"<{optout}>"
    msg.set_content(body.format(name=client.name, link=link, expires=expires) + FOOTER.format(optout=optout))
    return msg


def _deliver(session: Session, mailer: Mailer, inv: Invitation, kind: str, ttl_days: int, now: dt.datetime) -> None:
    token = invitations.issue_token(inv, ttl_days, now=now)
    msg = compose(mailer, inv, inv.client, kind, token)
    mailer.send(msg, f"{now:%Y%m%dT%H%M%S}-{inv.id}-{kind}-{uuid.uuid4().hex[:6]}")
    session.add(Message(invitation_id=inv.id, kind=kind, recipient=inv.client.email, subject=msg["Subject"],
                        sent_at=now, transport=mailer.transport))
    inv.last_message_at = now
    session.flush()


def _web_cases(wave_id: int | None):
    query = (select(Invitation).join(Client, Client.id == Invitation.client_id).join(Wave, Wave.id == Invitation.wave_id)
             .where(Invitation.kind == "sample", Invitation.mode == "web", Invitation.status == "open", Invitation.used_at.is_(None),
                    Client.opted_out.is_(False), Client.email.isnot(None), Client.email != "",
                    Wave.status == "in_field")
             .order_by(Invitation.id))
    return query.where(Invitation.wave_id == wave_id) if wave_id is not None else query


def send_invitations(session: Session, wave: Wave, mailer: Mailer, *, now: dt.datetime | None = None,
                     progress: Progress | None = None) -> int:
    """E-mail the link to every web-mode case of ``wave`` not yet sent one; returns the count."""
    now = now or utcnow()
    ttl = int(wave_settings(wave)["token_ttl_days"])
    cases = session.scalars(_web_cases(wave.id).where(Invitation.last_message_at.is_(None))).all()
    for i, inv in enumerate(cases, 1):
        _deliver(session, mailer, inv, "invitation", ttl, now)
        if progress:
            progress("invitations", i, len(cases))
    audit.record(session, "mailer", "fieldwork.invitations_sent", "wave", wave.id, count=len(cases))
    return len(cases)


def send_reminders(session: Session, mailer: Mailer, *, wave: Wave | None = None, now: dt.datetime | None = None,
                   progress: Progress | None = None) -> int:
    """Remind those who have not answered ``reminder_after_days`` after the last message, at most
    ``max_reminders`` times, never after an opt-out; each reminder carries a fresh link."""
    now = now or utcnow()
    due = []
    for inv in session.scalars(_web_cases(wave.id if wave else None).where(Invitation.last_message_at.isnot(None))):
        s = wave_settings(inv.wave)
        if inv.reminders_sent >= int(s["max_reminders"]):
            continue
        if inv.last_message_at > now - dt.timedelta(days=float(s["reminder_after_days"])):
            continue
        due.append((inv, int(s["token_ttl_days"])))
    for i, (inv, ttl) in enumerate(due, 1):
        _deliver(session, mailer, inv, "reminder", ttl, now)
        inv.reminders_sent += 1
        if progress:
            progress("reminders", i, len(due))
    session.flush()
    audit.record(session, "mailer", "fieldwork.reminders_sent", "wave", wave.id if wave else "all", count=len(due))
    return len(due)

