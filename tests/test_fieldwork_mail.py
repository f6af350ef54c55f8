"""Web mode: links by e-mail to the outbox, reminders, and opting out through the message's link."""

import datetime as dt
import email
import re
from email import policy
from pathlib import Path

from survey.models import AuditEvent, Client, Invitation, Message
from survey.services.fieldwork import mail, queue
from tests.factories_fieldwork import IN_HOURS, field_case, field_wave, interviewer

DAY = dt.timedelta(days=1)


def outbox(app) -> list[email.message.EmailMessage]:
    folder = Path(app.config["OUTBOX_DIR"])
    files = sorted(folder.glob("*.eml")) if folder.is_dir() else []
    return [email.message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]


def body(msg) -> str:
    return msg.get_body(("plain",)).get_content()


def mailer(app):
    assert not app.config["SMTP_HOST"]
    return mail.Mailer.from_config(app.config)


def test_invitations_go_to_the_outbox_with_a_working_link(app, db, client):
    wave = field_wave(db)
    web = field_case(db, wave, mode="web", email="a@example.com", name="王芳")
    field_case(db, wave, mode="web", email=None, phone="010-12345678")  # no address, no mobile: nothing to send
    field_case(db, wave, mode="phone", email="p@example.com")  # a phone case is called, not mailed
    db.commit()
    assert mail.send_invitations(db, wave, mailer(app), now=IN_HOURS).sent == 1
    db.commit()
    assert mail.send_invitations(db, wave, mailer(app), now=IN_HOURS).sent == 0  # not twice
    msgs = outbox(app)
    assert len(msgs) == 1 and msgs[0]["To"] == "a@example.com"
    text = body(msgs[0])
    assert "王芳" in text and "/optout/" in text and msgs[0]["List-Unsubscribe"]
    link = re.search(r"http://[^/]+(/s/[\w-]+)", text).group(1)
    assert client.get(link).status_code == 200
    row = db.query(Message).one()
    assert (row.invitation_id, row.kind, row.transport) == (web.id, "invitation", "outbox")


def test_reminders_after_n_days_at_most_m_times_with_the_same_link(app, db, client):
    wave = field_wave(db, reminder_after_days=3, max_reminders=2)
    inv = field_case(db, wave, mode="web", email="b@example.com")
    db.commit()
    mail.send_invitations(db, wave, mailer(app), now=IN_HOURS)
    db.commit()
    first_link = re.search(r"http://[^/]+(/s/[\w-]+)", body(outbox(app)[0])).group(1)
    assert mail.send_reminders(db, mailer(app), now=IN_HOURS + 2 * DAY) == 0  # too early
    assert mail.send_reminders(db, mailer(app), now=IN_HOURS + 3 * DAY) == 1
    db.commit()
    assert mail.send_reminders(db, mailer(app), now=IN_HOURS + 4 * DAY) == 0  # 3 days since the reminder
    assert mail.send_reminders(db, mailer(app), now=IN_HOURS + 6 * DAY) == 1
    db.commit()
    assert mail.send_reminders(db, mailer(app), now=IN_HOURS + 30 * DAY) == 0  # at most two
    assert inv.reminders_sent == 2
    kinds = [m.kind for m in db.query(Message).order_by(Message.id)]
    assert kinds == ["invitation", "reminder", "reminder"]
    last_link = re.search(r"http://[^/]+(/s/[\w-]+)", body(outbox(app)[-1])).group(1)
    assert last_link == first_link  # a reminder never invalidates the link the client already has
    assert client.get(first_link).status_code == 200


def test_reminders_skip_those_who_answered(app, db):
    wave = field_wave(db, reminder_after_days=1)
    inv = field_case(db, wave, mode="web", email="c@example.com")
    db.commit()
    mail.send_invitations(db, wave, mailer(app), now=IN_HOURS)
    inv.used_at, inv.status, inv.disposition = IN_HOURS, "done", "1.1"
    db.commit()
    assert mail.send_reminders(db, mailer(app), now=IN_HOURS + 5 * DAY) == 0


def test_opt_out_through_the_email_link_stops_reminders_and_calls(app, db, client):
    wave = field_wave(db, reminder_after_days=1, max_reminders=5)
    web = field_case(db, wave, mode="web", email="d@example.com")
    other_wave = field_wave(db)
    phone = field_case(db, other_wave, mode="phone")
    phone.client_id = web.client_id  # the same client is also due a call in another wave
    user = interviewer(db)
    db.commit()
    mail.send_invitations(db, wave, mailer(app), now=IN_HOURS)
    db.commit()
    optout_path = re.search(r"http://[^/]+(/optout/[\w.\-]+)", body(outbox(app)[0])).group(1)

    page = client.get(optout_path)
    assert page.status_code == 200 and "<form" in page.get_data(as_text=True)
    assert client.post(optout_path).status_code == 200  # no login needed
    db.rollback()
    db.expire_all()
    c = db.get(Client, web.client_id)
    assert c.opted_out and c.opted_out_at is not None
    for inv in (db.get(Invitation, web.id), db.get(Invitation, phone.id)):
        assert (inv.status, inv.disposition) == ("done", "2.11")
    event = db.query(AuditEvent).filter_by(action="client.opted_out", entity_id=str(c.id)).one()
    assert event.details["invitations_closed"] == sorted([web.id, phone.id])
    # no more reminders, and no more calls even if an invitation were still open
    assert mail.send_reminders(db, mailer(app), now=IN_HOURS + 10 * DAY) == 0
    db.get(Invitation, phone.id).status = "open"
    db.commit()
    assert queue.take_next(db, user, now=IN_HOURS) is None
    assert len(outbox(app)) == 1
    assert client.get("/optout/forged-token").status_code == 404


def test_opt_out_token_is_signed(app, db):
    from survey.services.fieldwork import optout

    wave = field_wave(db)
    inv = field_case(db, wave)
    db.commit()
    token = optout.optout_token(app.config["SECRET_KEY"], inv.client_id)
    assert optout.client_for_token(db, app.config["SECRET_KEY"], token).id == inv.client_id
    assert optout.client_for_token(db, "another-key", token) is None
    assert optout.client_for_token(db, app.config["SECRET_KEY"], token[:-2] + "xx") is None


def test_cli_send_invitations_and_reminders(app, db, runner):
    wave = field_wave(db, reminder_after_days=0)
    field_case(db, wave, mode="web", email="e@example.com")
    db.commit()
    result = runner.invoke(args=["send-invitations", wave.name])
    assert result.exit_code == 0, result.output
    assert "1 invitation(s) sent" in result.output
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0 and "1 reminder(s) sent" in result.output
    assert runner.invoke(args=["send-invitations", "no-such-wave"]).exit_code != 0
    assert len(outbox(app)) == 2
