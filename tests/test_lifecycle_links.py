"""Sending mail never invalidates a link already handed out: reuse, hold back, or reissue explicitly."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from survey.models import AuditEvent, Message
from survey.services import invitations
from survey.services.fieldwork import mail
from tests.factories_fieldwork import IN_HOURS, field_case, field_wave
from tests.test_fieldwork_mail import body, outbox


def _mailer(app):
    return mail.Mailer.from_config(app.config)


def _links(app) -> list[str]:
    return [re.search(r"http://[^/]+/s/([\w-]+)", body(m)).group(1) for m in outbox(app)]


def test_a_link_issued_with_the_key_is_mailed_as_it_is(app, db, client):
    wave = field_wave(db)
    inv = field_case(db, wave, mode="web", email="a@example.com")
    handed_out = invitations.issue_token(inv, 30, now=IN_HOURS, key=app.config["SECRET_KEY"])
    db.commit()
    result = mail.send_invitations(db, wave, _mailer(app), now=IN_HOURS + dt.timedelta(hours=1))
    db.commit()
    assert (result.sent, result.reused, result.held) == (1, 1, [])
    assert _links(app) == [handed_out]
    assert client.get(f"/s/{handed_out}").status_code == 200


def test_a_random_link_handed_out_is_held_back_not_replaced(app, db, client):
    wave = field_wave(db)
    inv = field_case(db, wave, mode="web", email="b@example.com")
    handed_out = invitations.issue_token(inv, 30, now=IN_HOURS)  # shown once on the page, not re-creatable
    db.commit()
    result = mail.send_invitations(db, wave, _mailer(app), now=IN_HOURS)
    db.commit()
    assert (result.sent, result.held) == (0, [inv.id]) and outbox(app) == []
    assert client.get(f"/s/{handed_out}").status_code == 200
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "fieldwork.invitations_sent"))
    assert event.details["held"] == 1


def test_reissuing_is_explicit_and_audited(app, db, client):
    wave = field_wave(db)
    inv = field_case(db, wave, mode="web", email="c@example.com")
    old = invitations.issue_token(inv, 30, now=IN_HOURS)
    db.commit()
    result = mail.send_invitations(db, wave, _mailer(app), now=IN_HOURS, reissue=True, actor="test")
    db.commit()
    assert result.reissued == [inv.id] and result.sent == 1
    new = _links(app)[0]
    assert new != old and client.get(f"/s/{new}").status_code == 200 and client.get(f"/s/{old}").status_code == 404
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "fieldwork.links_reissued"))
    assert event.details["invitations"] == [inv.id] and event.actor_label == "test"


def test_an_expired_link_is_replaced_by_a_fresh_one(app, db):
    wave = field_wave(db)
    inv = field_case(db, wave, mode="web", email="d@example.com")
    invitations.issue_token(inv, 1, now=IN_HOURS - dt.timedelta(days=5))
    db.commit()
    result = mail.send_invitations(db, wave, _mailer(app), now=IN_HOURS)
    assert (result.sent, result.reused, result.held) == (1, 0, [])
    assert invitations.derived_token(inv, app.config["SECRET_KEY"]) == _links(app)[0]


def test_a_derived_link_is_not_derivable_with_another_key(db):
    wave = field_wave(db)
    inv = field_case(db, wave, mode="web")
    token = invitations.issue_token(inv, 30, key="one key")
    assert invitations.derived_token(inv, "one key") == token
    assert invitations.derived_token(inv, "another key") is None
    assert len(token) >= 32 and invitations.token_hash(token) == inv.token_hash


def test_cli_reissue_flag_and_refusal_outside_fieldwork(app, db, runner):
    wave = field_wave(db)
    inv = field_case(db, wave, mode="web", email="e@example.com")
    invitations.issue_token(inv, 30)
    draft = field_wave(db)
    draft.status = "sampled"
    db.commit()
    held = runner.invoke(args=["send-invitations", wave.name])
    assert held.exit_code == 0 and "0 invitation(s) sent" in held.output and "1 case(s) held back" in held.output
    again = runner.invoke(args=["send-invitations", wave.name, "--reissue"])
    assert again.exit_code == 0 and "1 with a reissued link" in again.output
    assert db.scalar(select(Message.invitation_id)) == inv.id
    refused = runner.invoke(args=["send-invitations", draft.name])
    assert refused.exit_code == 1 and "open-fieldwork" in refused.output
