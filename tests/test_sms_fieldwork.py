"""Web links by SMS, end to end from the command line through a fake gateway (a real HTTP server):
the client file says who prefers SMS; send-invitations texts them and e-mails the others; the
short link opens the survey; receipts and replies come back through the signed webhooks."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from survey.models import AuditEvent, Client, ContactAttempt, Invitation, SmsMessage, Wave, utcnow
from survey.services.fieldwork import mail
from survey.services.sms.compose import measure
from tests.fake_sms_gateway import FakeGateway, signed
from tests.test_fieldwork_mail import outbox

SECRET = "webhook-secret"
HEADER = "客户号,姓名,手机,邮箱,网点,客户经理工号,贡献度,偏好方式,首选渠道,语言\n"
ROWS = [  # client, mobile, e-mail, preferred channel, language
    ("S001", "13800000001", "s1@example.com", "短信", ""),     # prefers SMS: texted in Chinese
    ("S002", "86 13800000002", "s2@example.com", "", ""),     # no preference, has an address: e-mail
    ("S003", "13800000003", "", "", ""),                       # no address: SMS by the default rule
    ("S004", "86-13800000004", "s4@example.com", "sms", "英文"),  # prefers SMS, in English
    ("S005", "13800000005", "s5@example.com", "邮件", ""),     # prefers e-mail
]


def client_file(tmp_path, rows=ROWS) -> str:
    lines = [f"{no},客户{no},{mobile},{mail},BJ01,RM001,{5e6:.0f},web,{channel},{lang}\n"
             for no, mobile, mail, channel, lang in rows]
    path = tmp_path / "clients.csv"
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return str(path)


def ok(runner, *args) -> str:
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def gateway(app):
    with FakeGateway() as gw:
        app.config.update(SMS_URL=gw.url, SMS_USER="bank", SMS_KEY="k3y", SMS_SENDER="BANK",
                          SMS_WEBHOOK_SECRET=SECRET, PUBLIC_BASE_URL="https://s.bank.cn")
        yield gw


def wave_in_field(runner, tmp_path, name="2026-Q4") -> str:
    ok(runner, "import-clients", client_file(tmp_path))
    ok(runner, "create-wave", name, "--start", "2026-10-01")
    # text messages around the clock: these journeys run at whatever hour the suite does (the calling-hours
    # rule for text messages has its own tests, on a fixed clock, in test_sms_hours.py)
    ok(runner, "wave-settings", name, "--set", "web_enabled=true", "--set", "reminder_after_days=1",
       "--set", "calling_hours=0-24")
    ok(runner, "plan", name, "--take-all", "diamond", "--confirm")  # every client of the file is in the sample
    ok(runner, "draw", name, "--seed", "7", "--confirm")
    return ok(runner, "open-fieldwork", name)


def remind(app, db) -> tuple[int, dict]:
    """The daily ``survey send-reminders`` run two days later (the command itself runs at the clock's time)."""
    report: dict = {}
    n = mail.send_reminders(db, mail.Mailer.from_config(app.config), now=utcnow() + dt.timedelta(days=2), report=report)
    db.commit()
    return n, report


def post(client, path: str, payload, secret: str = SECRET):
    body, headers = signed(secret, payload)
    return client.post(path, data=body, headers=headers)


def test_web_links_go_by_sms_to_those_who_prefer_it_and_by_email_to_the_others(app, db, runner, client, tmp_path,
                                                                               gateway):
    wave_in_field(runner, tmp_path)
    out = ok(runner, "send-invitations", "2026-Q4")
    assert "5 invitation(s) sent" in out and "2 by e-mail, 3 by SMS" in out
    assert sorted(m["to"] for m in gateway.received) == ["+8613800000001", "+8613800000003", "+8613800000004"]
    assert {m["_auth"] for m in gateway.received} == {"Basic YmFuazprM3k="}  # bank:k3y
    assert {m["sender"] for m in gateway.received} == {"BANK"}
    assert sorted(m["To"] for m in outbox(app)) == ["s2@example.com", "s5@example.com"]
    for m in gateway.received:
        encoding, length, segments = measure(m["text"])
        assert segments == 1, (m["text"], length)
        english = m["to"] == "+8613800000004"
        assert encoding == ("gsm7" if english else "ucs2")
        assert ("Reply STOP" in m["text"]) == english and ("回T退订" in m["text"]) != english
        assert "/s/" not in m["text"]  # the long link stays out of the message
    # the short link opens the client's own survey
    link = re.search(r"https://s\.bank\.cn(/m/[\w-]{22})\b", gateway.sent_to("+8613800000001")[0]["text"]).group(1)
    opened = client.get(link)
    assert opened.status_code == 303 and urlsplit(opened.headers["Location"]).path.startswith("/s/")
    assert opened.headers["Referrer-Policy"] == "no-referrer"
    form = client.get(urlsplit(opened.headers["Location"]).path)
    assert form.status_code == 200 and "<form" in form.get_data(as_text=True)
    assert client.get(link[:-2] + "zz").status_code == 404
    # each text is a contact attempt with the gateway's message id
    rows = db.scalars(select(SmsMessage).order_by(SmsMessage.id)).all()
    assert sorted(r.gateway_id for r in rows) == ["gw-1", "gw-2", "gw-3"]
    attempts = db.scalars(select(ContactAttempt).where(ContactAttempt.mode == "sms")).all()
    assert sorted(a.id for a in attempts) == sorted(r.attempt_id for r in rows)
    assert {(a.outcome, a.interviewer_id) for a in attempts} == {("sent", None)}
    assert ok(runner, "send-invitations", "2026-Q4").startswith("0 invitation(s) sent")  # never twice
    assert len(gateway.received) == 3


def test_reminders_go_by_the_same_channel_with_the_same_short_link(app, db, runner, tmp_path, gateway):
    wave_in_field(runner, tmp_path)
    ok(runner, "send-invitations", "2026-Q4")
    first = {m["to"]: m["text"] for m in gateway.received}
    assert "0 reminder(s) sent (0 by e-mail, 0 by SMS)" in ok(runner, "send-reminders")  # not due yet
    assert remind(app, db) == (5, {"sms": 3, "failed": [], "sms_error": None, "waiting": []})
    reminders = gateway.received[3:]
    assert len(reminders) == 3
    for m in reminders:
        assert re.search(r"/m/[\w-]{22}", m["text"]).group() == re.search(r"/m/[\w-]{22}", first[m["to"]]).group()
        assert measure(m["text"])[2] == 1
    assert [r.kind for r in db.scalars(select(SmsMessage).order_by(SmsMessage.id))].count("reminder") == 3


def test_delivery_receipts_become_attempt_outcomes(app, db, runner, client, tmp_path, gateway):
    wave_in_field(runner, tmp_path)
    ok(runner, "send-invitations", "2026-Q4")
    r = post(client, "/hooks/sms/receipt", {"message_id": "gw-1", "status": "DELIVRD"})
    assert r.status_code == 200 and r.json == {"status": "delivered", "changed": True}
    r = post(client, "/hooks/sms/receipt", {"message_id": "gw-2", "status": "undelivered", "reason": "空号 unknown number"})
    assert r.status_code == 200 and r.json["status"] == "not_delivered"
    # the same receipt again, or a contrary one later, changes nothing
    assert post(client, "/hooks/sms/receipt", {"message_id": "gw-1", "status": "delivered"}).json["changed"] is False
    assert post(client, "/hooks/sms/receipt", {"message_id": "gw-2", "status": "delivered"}).json == {
        "status": "not_delivered", "changed": False}
    db.expire_all()
    by_gid = {m.gateway_id: m for m in db.scalars(select(SmsMessage))}
    assert (by_gid["gw-1"].status, by_gid["gw-2"].status, by_gid["gw-3"].status) == ("delivered", "not_delivered", "sent")
    attempt = db.get(ContactAttempt, by_gid["gw-2"].attempt_id)
    assert (attempt.outcome, attempt.note) == ("not_delivered", "空号 unknown number")
    assert db.get(ContactAttempt, by_gid["gw-1"].attempt_id).outcome == "delivered"
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "sms.receipt")).all()
    assert len(events) == 2 and all(e.actor_label == "sms-gateway" for e in events)


def test_webhooks_refuse_unsigned_forged_and_odd_calls(app, db, runner, client, tmp_path, gateway):
    wave_in_field(runner, tmp_path)
    ok(runner, "send-invitations", "2026-Q4")
    good = {"message_id": "gw-1", "status": "delivered"}
    for path in ("/hooks/sms/receipt", "/hooks/sms/inbound"):
        assert client.post(path, json=good).status_code == 401  # no signature
        assert post(client, path, good, secret="not-the-secret").status_code == 401
        body, headers = signed(SECRET, good)
        assert client.post(path, data=body + b" ", headers=headers).status_code == 401  # body changed after signing
        assert post(client, path, b"{not json").status_code == 400
        assert post(client, path, b"\xff\xfe").status_code == 400
        assert post(client, path, [good]).status_code == 400
        assert post(client, path, {"message_id": ["gw-1"], "from": {"a": 1}, "status": 3}).status_code == 400
        assert post(client, path, b'{"a":' * 5000).status_code == 400
    assert post(client, "/hooks/sms/receipt", {"message_id": "gw-1"}).status_code == 400
    assert post(client, "/hooks/sms/receipt", {"message_id": "gw-1", "status": "lost"}).status_code == 400
    assert post(client, "/hooks/sms/receipt", {"message_id": "gw-999", "status": "delivered"}).status_code == 404
    assert post(client, "/hooks/sms/receipt", {"message_id": "x" * 500, "status": "delivered"}).status_code == 400
    assert post(client, "/hooks/sms/inbound", {"from": "not a number", "text": "STOP"}).status_code == 400
    app.config["SMS_WEBHOOK_SECRET"] = None
    assert post(client, "/hooks/sms/receipt", good).status_code == 403  # webhooks off without a secret
    db.expire_all()
    assert {m.status for m in db.scalars(select(SmsMessage))} == {"sent"}


@pytest.mark.parametrize("reply", [" stop ", "TD", "退订", "t", "取消", "ＳＴＯＰ"])
def test_a_stop_reply_opts_the_client_out_and_reminders_skip_them(app, db, runner, client, tmp_path, gateway, reply):
    wave_in_field(runner, tmp_path)
    ok(runner, "send-invitations", "2026-Q4")
    r = post(client, "/hooks/sms/inbound", {"from": "+8613800000001", "text": reply})
    assert r.status_code == 200 and r.json == {"opt_out": True, "clients": 1, "opted_out": 1}
    assert post(client, "/hooks/sms/inbound", {"from": "8613800000001", "text": reply}).json["opted_out"] == 0
    db.expire_all()
    c = db.scalar(select(Client).where(Client.client_no == "S001"))
    assert c.opted_out and c.opted_out_at is not None
    inv = db.scalar(select(Invitation).where(Invitation.client_id == c.id))
    assert (inv.status, inv.disposition) == ("done", "2.11")
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "client.opted_out", AuditEvent.entity_id == str(c.id)))
    assert event.details["via"] == "sms_reply" and event.details["invitations_closed"] == [inv.id]
    before = len(gateway.received)
    assert remind(app, db) == (4, {"sms": 2, "failed": [], "sms_error": None, "waiting": []})
    assert len(gateway.received) == before + 2
    assert len(gateway.sent_to("+8613800000001")) == 1  # the invitation only, no reminder


def test_other_replies_opt_nobody_out(app, db, runner, client, tmp_path, gateway):
    wave_in_field(runner, tmp_path)
    ok(runner, "send-invitations", "2026-Q4")
    for text in ("谢谢", "stop please", "", "STOPP"):
        r = post(client, "/hooks/sms/inbound", {"from": "+8613800000003", "text": text})
        assert r.status_code == 200 and r.json["opt_out"] is False
    r = post(client, "/hooks/sms/inbound", {"from": "+8613900000009", "text": "TD"})  # a number we do not know
    assert r.status_code == 200 and r.json == {"opt_out": True, "clients": 0, "opted_out": 0}
    db.expire_all()
    assert not any(db.scalars(select(Client.opted_out)))


def test_a_gateway_that_is_down_loses_nothing(app, db, runner, tmp_path, gateway):
    wave_in_field(runner, tmp_path)
    gateway.answer = 503
    result = runner.invoke(args=["send-invitations", "2026-Q4"])
    assert result.exit_code == 0, result.output
    assert "2 invitation(s) sent" in result.output and "0 by SMS" in result.output
    assert "3 text message(s) not taken by the SMS gateway (SMS gateway 127.0.0.1" in result.output
    assert "answered 503" in result.output
    assert db.scalars(select(SmsMessage)).all() == []
    gateway.answer = "ok"
    assert "3 invitation(s) sent" in ok(runner, "send-invitations", "2026-Q4")  # the next run sends them
    assert len(gateway.received) == 3


def test_without_a_gateway_text_messages_go_to_the_outbox(app, db, runner, client, tmp_path):
    import json
    import stat
    from pathlib import Path

    app.config["PUBLIC_BASE_URL"] = "https://s.bank.cn"
    assert not app.config["SMS_URL"]
    wave_in_field(runner, tmp_path)
    assert "3 by SMS" in ok(runner, "send-invitations", "2026-Q4")
    folder = Path(app.config["OUTBOX_DIR"]) / "sms"
    files = sorted(folder.glob("*.json"))
    assert len(files) == 3
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {stat.S_IMODE(f.stat().st_mode) for f in files} == {0o600}
    messages = [json.loads(f.read_text(encoding="utf-8")) for f in files]
    assert sorted(m["to"] for m in messages) == ["+8613800000001", "+8613800000003", "+8613800000004"]
    link = re.search(r"https://s\.bank\.cn(/m/[\w-]{22})", messages[0]["text"]).group(1)
    assert client.get(link).status_code == 303
    assert {m.transport for m in db.scalars(select(SmsMessage))} == {"outbox"}
    assert {m.gateway_id for m in db.scalars(select(SmsMessage))} == {m["id"] for m in messages}
    assert len(outbox(app)) == 2  # the e-mails, as before


def test_opted_out_clients_get_nothing(app, db, runner, tmp_path, gateway):
    path = tmp_path / "clients.csv"
    path.write_text(HEADER.replace("\n", ",拒绝访问\n")
                    + "S001,客户S001,13800000001,,BJ01,RM001,5000000,web,短信,,否\n"
                    + "S009,客户S009,13800000009,,BJ01,RM001,5000000,web,短信,,否\n", encoding="utf-8")
    ok(runner, "import-clients", str(path))
    ok(runner, "create-wave", "W", "--start", "2026-10-01")
    ok(runner, "wave-settings", "W", "--set", "web_enabled=true", "--set", "reminder_after_days=1",
       "--set", "calling_hours=0-24")
    ok(runner, "plan", "W", "--take-all", "diamond", "--confirm")
    ok(runner, "draw", "W", "--seed", "7", "--confirm")
    ok(runner, "open-fieldwork", "W")
    # S009 opts out by replying to another message before the links go out
    r = post(app.test_client(), "/hooks/sms/inbound", {"from": "13800000009", "text": "TD"})
    assert r.json == {"opt_out": True, "clients": 1, "opted_out": 1}
    assert "1 invitation(s) sent" in ok(runner, "send-invitations", "W")
    assert [m["to"] for m in gateway.received] == ["+8613800000001"]
    assert remind(app, db) == (1, {"sms": 1, "failed": [], "sms_error": None, "waiting": []})
    assert gateway.sent_to("+8613800000009") == []


def test_the_wave_page_button_sends_by_each_clients_channel(app, db, runner, client, tmp_path, gateway):
    from tests.conftest import login
    from tests.factories import make_user

    wave_in_field(runner, tmp_path)
    make_user(db, "supervisor", username="sup")
    db.commit()
    assert login(client, "sup").status_code == 302
    wave_id = db.scalar(select(Wave.id).where(Wave.name == "2026-Q4"))
    page = client.post(f"/staff/waves/{wave_id}/send-invitations?lang=en", data={}, follow_redirects=True)
    assert page.status_code == 200
    assert "5 web invitation(s) sent: 2 by e-mail, 3 by text message." in page.get_data(as_text=True)
    assert len(gateway.received) == 3
    # the client page shows the channel the client file gave
    found = client.get("/cases/clients?q=S004&lang=en").get_data(as_text=True)
    assert "Text message (client file) · English" in found
    assert "Default: e-mail, else text message" in client.get("/cases/clients?q=S002").get_data(as_text=True)
    assert "默认：电子邮件，无邮箱则短信" in client.get("/cases/clients?q=S002&lang=zh_CN").get_data(as_text=True)


def test_a_reply_finds_its_clients_through_indexes_not_by_reading_the_client_file(app, db):
    """clients_of looks clients up by phone (ix_clients_phone, migration 0010) and texted numbers; the plan of
    its query reads no table in full (PostgreSQL is told to avoid sequential scans where it can, as it would
    with a big file)."""
    from sqlalchemy import event, text

    from survey.services.sms.receipts import clients_of
    from tests.conftest import is_postgres
    from tests.factories import make_client

    for i in range(30):
        make_client(db, phone=f"1380000{i:04d}")
    db.commit()
    seen = []
    engine = db.get_bind()

    def grab(conn, cursor, statement, parameters, context, executemany):
        if "FROM clients" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        found = clients_of(db, "+8613800000007")
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    assert [c.phone for c in found] == ["13800000007"]
    statement, parameters = seen[-1]
    conn = db.connection()
    if is_postgres():
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, parameters))
        assert "Seq Scan on clients" not in plan and "ix_clients_phone" in plan, plan
    else:
        plan = "\n".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
        assert "SCAN clients" not in plan and "ix_clients_phone" in plan, plan
    db.rollback()
