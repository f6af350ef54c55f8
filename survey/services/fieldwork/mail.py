"""Web-mode messages: the survey link by e-mail or SMS, reminders, and the outboxes used without SMTP or gateway.

Each client gets the channel of ``sms.channel.channel_of`` (their preferred channel from the
client file, else e-mail when they have an address, else SMS to their mobile).  E-mail goes
out through SMTP with ``SMTP_HOST`` configured; without it (demo, tests) each is written to
``OUTBOX_DIR`` as an ``.eml`` file.  Every e-mail carries an opt-out link that works without
login, and is recorded in ``messages``.  A text message goes through the SMS gateway (or its
outbox) with a short link and a reply keyword to opt out (``services.sms``), and is recorded
in ``sms_messages`` and as a contact attempt.  Text messages go out within the wave's calling hours in
the client's branch zone only; outside them a case waits (``waiting``) for the next run.

Sending never invalidates a link already handed out.  Links are issued with the app's secret
key (``invitations.issue_token(key=...)``), so a reminder or a resend writes the *same* link
again.  A case with no live link gets a new one.  A case whose live link cannot be written
again (a random link handed out by hand, or one made under another secret key) is held back,
unless the sender asks to reissue it (``reissue=True``). Each reissue is audited with the cases.
"""

from __future__ import annotations

import datetime as dt
import smtplib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from survey.errors import Conflict
from survey.localtime import DEFAULT_TZ, hours_text, local_time, zone
from survey.models import Client, Invitation, Message, Wave, utcnow
from survey.services import audit, invitations, job_lock
from survey.services.fieldwork.optout import optout_token
from survey.services.fieldwork.queue import branch_zones, next_window, wave_settings
from survey.services.private_files import write_private
from survey.services.sms import send as sms_send
from survey.services.sms.channel import channel_of
from survey.services.sms.gateway import GatewayError
from survey.services.sms.outbox import OutboxGateway

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
    sms: sms_send.SmsSender | None = None

    @classmethod
    def from_config(cls, config: Mapping) -> Mailer:
        return cls(sender=config["SMTP_FROM"], base_url=config["PUBLIC_BASE_URL"].rstrip("/"),
                   secret_key=config["SECRET_KEY"], outbox=config.get("OUTBOX_DIR"),
                   smtp_host=config.get("SMTP_HOST"), smtp_port=int(config.get("SMTP_PORT") or 25),
                   smtp_user=config.get("SMTP_USER"), smtp_password=config.get("SMTP_PASSWORD"),
                   sms=sms_send.SmsSender.from_config(config))

    def sms_sender(self) -> sms_send.SmsSender:
        """The SMS gateway; a mailer made without one writes text messages to ``<outbox>/sms``."""
        if self.sms is not None:
            return self.sms
        return sms_send.SmsSender(OutboxGateway(Path(self.outbox or "outbox") / "sms"), self.base_url, self.secret_key)

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
        write_private(Path(self.outbox or "outbox") / f"{name}.eml", bytes(msg))


TEXT = {
    "invitation": ("客户满意度调查邀请 / Client satisfaction survey",
                   "尊敬的{name}：\n\n感谢您一直以来对我行的信任。请花几分钟时间回答我们的满意度调查：\n{link}\n"
                   "链接仅供您本人使用，有效期至 {expires}。\n\n"
                   "Dear {name},\n\nThank you for banking with us. Please take a few minutes to answer our "
                   "satisfaction survey:\n{link}\nThe link is for you only and works until {expires}.\n"),
    "reminder": ("提醒：客户满意度调查 / Reminder: client satisfaction survey",
                 "尊敬的{name}：\n\n我们尚未收到您的回答。您的意见对我们很重要：\n{link}\n"
                 "（链接有效期至 {expires}。）\n\n"
                 "Dear {name},\n\nWe have not yet received your answers, and your view matters to us:\n{link}\n"
                 "(The link works until {expires}.)\n"),
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


@dataclass(frozen=True)
class SendResult:
    """What a run of :func:`send_invitations` did: messages sent (``sms`` of them by text message),
    of which with a link reused or reissued; the cases held back because their handed-out link
    cannot be written again; the cases whose text message the gateway did not take (``failed``,
    with the gateway's last error), which the next run tries again."""

    sent: int = 0
    reused: int = 0
    reissued: list[int] = field(default_factory=list)
    held: list[int] = field(default_factory=list)
    sms: int = 0
    failed: list[int] = field(default_factory=list)
    sms_error: str | None = None
    waiting: list[int] = field(default_factory=list)  # text messages outside calling hours: the next run sends them


class _Sms:
    """The text messages of one run: counts, refusals, cases outside calling hours, and a gateway that is
    down stops the rest."""

    def __init__(self):
        self.sent, self.failed, self.error, self.down, self.waiting = 0, [], None, False, []
        self._zones: dict[str, str] | None = None

    def opens_at(self, session: Session, inv: Invitation, now: dt.datetime) -> tuple[dt.datetime, str]:
        """When the wave's calling hours next open in the client's branch zone (``now`` when open), and the zone."""
        if self._zones is None:
            self._zones = branch_zones(session)
        tz = self._zones.get(inv.client.branch_code) or DEFAULT_TZ
        return next_window(now, tz, wave_settings(inv.wave)["calling_hours"]), tz

    def deliver(self, session: Session, mailer: Mailer, inv: Invitation, kind: str, token: str, now) -> bool:
        if self.opens_at(session, inv, now)[0] > now:
            self.waiting.append(inv.id)
            return False
        if self.down:
            self.failed.append(inv.id)
            return False
        try:
            sms_send.deliver(session, mailer.sms_sender(), inv, kind, token, now)
        except GatewayError as exc:
            self.failed.append(inv.id)
            self.error, self.down = str(exc), exc.retryable
            return False
        self.sent += 1
        return True


def _link(inv: Invitation, mailer: Mailer, ttl_days: int, now: dt.datetime, *, reissue: bool) -> tuple[str | None, str]:
    """(token, how) for the message to ``inv``: how is new, reused, reissued, or held (token None)."""
    live = inv.token_hash is not None and (inv.expires_at is None or inv.expires_at > now)
    if not live:
        return invitations.issue_token(inv, ttl_days, now=now, key=mailer.secret_key), "new"
    token = invitations.derived_token(inv, mailer.secret_key)
    if token is not None:
        return token, "reused"
    if reissue:
        return invitations.issue_token(inv, ttl_days, now=now, key=mailer.secret_key), "reissued"
    return None, "held"


def _deliver(session: Session, mailer: Mailer, inv: Invitation, kind: str, token: str, now: dt.datetime,
             sms: _Sms) -> bool:
    """Send ``kind`` to ``inv`` by the client's channel; False when the SMS gateway did not take it."""
    if channel_of(inv.client) == "sms":
        return sms.deliver(session, mailer, inv, kind, token, now)
    msg = compose(mailer, inv, inv.client, kind, token)
    mailer.send(msg, f"{now:%Y%m%dT%H%M%S}-{inv.id}-{kind}-{uuid.uuid4().hex[:6]}")
    session.add(Message(invitation_id=inv.id, kind=kind, recipient=inv.client.email, subject=msg["Subject"],
                        sent_at=now, transport=mailer.transport))
    inv.last_message_at = now
    session.flush()
    return True


def _web_cases(wave_id: int | None):
    query = (select(Invitation).join(Client, Client.id == Invitation.client_id).join(Wave, Wave.id == Invitation.wave_id)
             .where(Invitation.kind == "sample", Invitation.mode == "web", Invitation.status == "open", Invitation.used_at.is_(None),
                    Client.opted_out.is_(False),
                    or_(Client.email != "", Client.phone != ""),  # NULL != "" is not true: no address at all
                    Wave.status == "in_field")
             .order_by(Invitation.id))
    return query.where(Invitation.wave_id == wave_id) if wave_id is not None else query


def send_invitations(session: Session, wave: Wave, mailer: Mailer, *, now: dt.datetime | None = None,
                     progress: Progress | None = None, reissue: bool = False,
                     actor: object = "mailer") -> SendResult:
    """Send the link (by each client's channel) to every web-mode case of ``wave`` (in field) not yet sent one.

    A link already handed out is reused when it can be written again, else the case is held
    back (``held``) unless ``reissue`` replaces its link, which is audited.
    """
    now = now or utcnow()
    job_lock.hold(session, "send-invitations")
    ttl = int(wave_settings(wave)["token_ttl_days"])
    cases = session.scalars(_web_cases(wave.id).where(Invitation.last_message_at.is_(None))).all()
    sent, reused, reissued, held, sms = 0, 0, [], [], _Sms()
    for i, inv in enumerate(cases, 1):
        # a client with a landline only has nothing to send a link to
        token, how = _link(inv, mailer, ttl, now, reissue=reissue) if channel_of(inv.client) else (None, "none")
        if how == "held":
            held.append(inv.id)
        elif token is not None and _deliver(session, mailer, inv, "invitation", token, now, sms):
            sent += 1
            reused += how == "reused"
            if how == "reissued":
                reissued.append(inv.id)
        if progress:
            progress("invitations", i, len(cases))
    audit.record(session, actor, "fieldwork.invitations_sent", "wave", wave.id, count=sent, reused=reused,
                 held=len(held), sms=sms.sent, sms_failed=len(sms.failed), sms_error=sms.error,
                 sms_waiting=len(sms.waiting))
    if reissued:
        audit.record(session, actor, "fieldwork.links_reissued", "wave", wave.id, count=len(reissued),
                     invitations=reissued[:500])
    return SendResult(sent, reused, reissued, held, sms.sent, sms.failed, sms.error, sms.waiting)


def resend(session: Session, inv: Invitation, mailer: Mailer, *, actor: object, reissue: bool = False,
           now: dt.datetime | None = None) -> str:
    """E-mail one web case its link again (the same link when it can be written again); returns how the
    link was got (new, reused, reissued) or "held"; a case that cannot be mailed is a Conflict."""
    now = now or utcnow()
    if session.scalar(_web_cases(inv.wave_id).where(Invitation.id == inv.id).with_only_columns(Invitation.id)) is None:
        raise Conflict(_l("invitation %(id)s is not an open web case with an e-mail address or a mobile number in a wave in field",
                          id=inv.id))
    token, how = _link(inv, mailer, int(wave_settings(inv.wave)["token_ttl_days"]), now, reissue=reissue)
    if token is not None:
        sms = _Sms()
        if not _deliver(session, mailer, inv, "invitation" if inv.last_message_at is None else "reminder", token, now,
                        sms):
            if sms.waiting:
                opens, tz = sms.opens_at(session, inv, now)
                raise Conflict(_l("text messages go out within calling hours (%(hours)s, %(zone)s): from %(when)s",
                                  hours=hours_text(wave_settings(inv.wave)["calling_hours"]), zone=zone(tz).key,
                                  when=local_time(opens, tz, named=False)))
            raise Conflict(_l("the SMS gateway did not take the message: %(error)s", error=sms.error or ""))
    audit.record(session, actor, "fieldwork.invitation_resent", "invitation", inv.id, how=how)
    return how


def send_reminders(session: Session, mailer: Mailer, *, wave: Wave | None = None, now: dt.datetime | None = None,
                   progress: Progress | None = None, report: dict | None = None) -> int:
    """Remind those who have not answered ``reminder_after_days`` after the last message, at most
    ``max_reminders`` times, never after an opt-out; a reminder carries the same link as before
    (a new one only when it has expired), and a link that cannot be written again is not replaced.

    Returns the number sent; ``report``, when given, is filled with ``sms`` (how many by text
    message), ``failed`` (cases whose text message the gateway did not take), ``sms_error`` and
    ``waiting`` (cases whose text message waits for calling hours)."""
    now = now or utcnow()
    job_lock.hold(session, "send-reminders")
    due = []
    for inv in session.scalars(_web_cases(wave.id if wave else None).where(Invitation.last_message_at.isnot(None))):
        s = wave_settings(inv.wave)
        if inv.reminders_sent >= int(s["max_reminders"]):
            continue
        if inv.last_message_at > now - dt.timedelta(days=float(s["reminder_after_days"])):
            continue
        due.append((inv, int(s["token_ttl_days"])))
    sent, sms = 0, _Sms()
    for i, (inv, ttl) in enumerate(due, 1):
        token = _link(inv, mailer, ttl, now, reissue=False)[0] if channel_of(inv.client) else None
        if token is not None and _deliver(session, mailer, inv, "reminder", token, now, sms):
            inv.reminders_sent += 1
            sent += 1
        if progress:
            progress("reminders", i, len(due))
    session.flush()
    audit.record(session, "mailer", "fieldwork.reminders_sent", "wave", wave.id if wave else "all", count=sent,
                 held=len(due) - sent, sms=sms.sent, sms_failed=len(sms.failed), sms_error=sms.error,
                 sms_waiting=len(sms.waiting))
    if report is not None:
        report.update(sms=sms.sent, failed=sms.failed, sms_error=sms.error, waiting=sms.waiting)
    return sent

