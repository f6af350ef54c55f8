"""Text messages go out within the wave's calling hours in the client's branch zone; outside them they wait.

E-mail goes at any hour.  The clock is fixed: 01:30 UTC is 09:30 in Shanghai (inside 9–20) and 07:30 in
Urumqi (outside); two hours later both are inside.
"""

from __future__ import annotations

import datetime as dt

import pytest

from survey.errors import Conflict
from survey.models import Invitation
from survey.services.fieldwork import mail
from tests.factories_fieldwork import branch, field_case, field_wave
from tests.fake_sms_gateway import FakeGateway

EARLY = dt.datetime(2026, 11, 30, 1, 30, tzinfo=dt.UTC)
LATER = EARLY + dt.timedelta(hours=2)


@pytest.fixture
def gateway(app):
    with FakeGateway() as gw:
        app.config.update(SMS_URL=gw.url, SMS_USER="bank", SMS_KEY="k3y", SMS_SENDER="BANK",
                          PUBLIC_BASE_URL="https://s.bank.cn")
        yield gw


@pytest.fixture
def cases(db):
    branch(db, "SH01")
    branch(db, "UR01", "Asia/Urumqi")
    wave = field_wave(db, web_enabled=True, reminder_after_days=1)
    shanghai = field_case(db, wave, mode="web", phone="13800000001", email=None, branch_code="SH01")
    urumqi = field_case(db, wave, mode="web", phone="13800000002", email=None, branch_code="UR01")
    mailed = field_case(db, wave, mode="web", phone="", email="u@example.com", branch_code="UR01")
    db.commit()
    return wave, shanghai, urumqi, mailed


def test_a_text_message_outside_the_clients_calling_hours_waits_for_the_next_run(app, db, gateway, cases):
    wave, shanghai, urumqi, mailed = cases
    mailer = mail.Mailer.from_config(app.config)
    first = mail.send_invitations(db, wave, mailer, now=EARLY)
    db.commit()
    assert (first.sent, first.sms, first.waiting, first.failed) == (2, 1, [urumqi.id], [])
    assert [m["to"] for m in gateway.received] == ["+8613800000001"]
    assert db.get(Invitation, urumqi.id).last_message_at is None  # not sent: the next run takes it
    assert db.get(Invitation, mailed.id).last_message_at is not None  # e-mail goes at any hour

    second = mail.send_invitations(db, wave, mailer, now=LATER)
    db.commit()
    assert (second.sent, second.sms, second.waiting) == (1, 1, [])
    assert sorted(m["to"] for m in gateway.received) == ["+8613800000001", "+8613800000002"]


def test_a_resend_outside_calling_hours_is_refused_with_the_hours_and_when_they_open(app, db, gateway, cases):
    wave, shanghai, urumqi, mailed = cases
    mailer = mail.Mailer.from_config(app.config)
    with app.test_request_context("/?lang=en"), pytest.raises(Conflict) as refused:
        mail.resend(db, db.get(Invitation, urumqi.id), mailer, actor="test", now=EARLY)
    assert str(refused.value) == ("text messages go out within calling hours (09:00–20:00, Asia/Urumqi): "
                                  "from 2026-11-30 09:00")
    assert gateway.received == []
    assert mail.resend(db, db.get(Invitation, shanghai.id), mailer, actor="test", now=EARLY) == "new"
    assert [m["to"] for m in gateway.received] == ["+8613800000001"]


def test_reminders_by_text_message_wait_too(app, db, gateway, cases):
    wave, shanghai, urumqi, mailed = cases
    mailer = mail.Mailer.from_config(app.config)
    mail.send_invitations(db, wave, mailer, now=LATER)  # all three sent within hours
    db.commit()
    report: dict = {}
    night = LATER + dt.timedelta(days=2, hours=12)  # 23:30 in Shanghai, 21:30 in Urumqi
    assert mail.send_reminders(db, mailer, wave=wave, now=night, report=report) == 1  # the e-mail
    assert sorted(report["waiting"]) == sorted([shanghai.id, urumqi.id]) and report["sms"] == 0
    early = night + dt.timedelta(hours=10)  # 09:30 in Shanghai, 07:30 in Urumqi
    assert mail.send_reminders(db, mailer, wave=wave, now=early, report=report) == 1
    assert report["waiting"] == [urumqi.id] and report["sms"] == 1
    assert mail.send_reminders(db, mailer, wave=wave, now=early + dt.timedelta(hours=2), report=report) == 1
    assert report["waiting"] == [] and report["sms"] == 1
