"""Data protection (issue 11): tokens kept out of the access log, private outbox files, no bound values in
SQL errors, opt-out links that expire, calendar text escaped per RFC 5545, upload names never paths."""

from __future__ import annotations

import datetime as dt
import io
import os
import stat

import icalendar
import pytest
from gunicorn.config import Config
from itsdangerous import timed
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from survey.models import Client
from survey.serve import RedactingLogger, redact
from survey.services.fieldwork import calendar, mail, optout
from tests.factories import make_client
from tests.factories_fieldwork import IN_HOURS, field_case, field_wave, interviewer


@pytest.mark.parametrize("line,expected", [
    ("GET /s/Zx9_secret-Token?lang=en HTTP/1.1", "GET /s/<token>?lang=en HTTP/1.1"),
    ("POST /optout/eyJjIjoxfQ.abc.def HTTP/1.1", "POST /optout/<token> HTTP/1.1"),
    ("GET /cal/abcdef.ics HTTP/1.1", "GET /cal/<token>.ics HTTP/1.1"),
    ("https://survey.bank.example/s/abc", "https://survey.bank.example/s/<token>"),
    ("GET /s/thanks HTTP/1.1", "GET /s/thanks HTTP/1.1"),
    ("GET /staff/fieldwork/cases/12 HTTP/1.1", "GET /staff/fieldwork/cases/12 HTTP/1.1"),
])
def test_redact(line, expected):
    assert redact(line) == expected


@pytest.mark.parametrize("fmt", [None, '%(r)s %({raw_uri}e)s %({Referer}i)s %(U)s %(q)s %(f)s %({x-missing}i)s'])
def test_access_log_line_holds_the_route_not_the_token(fmt):
    class Req:
        method, path, query, uri, version = "GET", "/s/Zx9secretToken", "lang=en", "/s/Zx9secretToken?lang=en", (1, 1)
        headers = [("REFERER", "https://bank.example/s/Zx9secretToken")]

    class Resp:
        status, sent, response_length = "200 OK", 10, 10
        headers = []

    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/s/Zx9secretToken?lang=en", "PATH_INFO": "/s/Zx9secretToken",
               "QUERY_STRING": "lang=en", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.0.0.1",
               "HTTP_REFERER": "https://bank.example/s/Zx9secretToken"}
    config = Config()
    if fmt:
        config.set("access_log_format", fmt)
    logger = RedactingLogger(config)
    atoms = logger.atoms(Resp(), Req(), environ, dt.timedelta(milliseconds=5))
    line = logger.cfg.access_log_format % logger.atoms_wrapper_class(atoms)
    assert "Zx9secretToken" not in line and "/s/<token>" in line
    assert all("Zx9secretToken" not in str(v) for v in atoms.values())
    if fmt:  # each atom the format names is there (redacted), a header it names but the request lacks is "-"
        assert line.split() == ["GET", "/s/<token>?lang=en", "HTTP/1.1", "/s/<token>?lang=en",
                                "https://bank.example/s/<token>", "/s/<token>", "lang=en",
                                "https://bank.example/s/<token>", "-"]


def test_outbox_files_are_private(app, db):
    wave = field_wave(db)
    field_case(db, wave, mode="web", email="a@example.com")
    db.commit()
    os.umask(0o022)
    assert mail.send_invitations(db, wave, mail.Mailer.from_config(app.config), now=IN_HOURS).sent == 1
    folder = app.config["OUTBOX_DIR"]
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    files = os.listdir(folder)
    assert files and all(stat.S_IMODE(os.stat(os.path.join(folder, f)).st_mode) == 0o600 for f in files)


def test_sql_errors_carry_no_bound_values(app, db):
    make_client(db, client_no="DUP-1", name="秘密客户 Secret Name")
    db.commit()
    with pytest.raises(IntegrityError) as caught:
        db.execute(insert(Client), [dict(client_no="DUP-1", name="秘密客户 Secret Name", branch_code="BJ01",
                                         manager_code="RM1", contribution=1, tier_code="gold")])
    db.rollback()
    assert "Secret Name" not in str(caught.value) and "hidden" in str(caught.value)


def test_opt_out_links_expire(app, db, client, monkeypatch):
    c = make_client(db)
    db.commit()
    key = app.config["SECRET_KEY"]
    fresh = optout.optout_token(key, c.id)
    now = timed.TimestampSigner.get_timestamp
    monkeypatch.setattr(timed.TimestampSigner, "get_timestamp",
                        lambda self: now(self) - (app.config["OPTOUT_TTL_DAYS"] + 1) * 86400)
    old = optout.optout_token(key, c.id)
    monkeypatch.undo()
    assert client.get(f"/optout/{fresh}").status_code == 200
    assert client.get(f"/optout/{old}").status_code == 404
    app.config["OPTOUT_TTL_DAYS"] = 400
    assert client.get(f"/optout/{old}").status_code == 200


def test_calendar_text_escapes_every_line_end(app, db):
    wave = field_wave(db)
    me = interviewer(db)
    evil = "王\rDTSTART:19700101T000000Z\nATTENDEE:x\r\nEND:VEVENT,;\\\x07"
    inv = field_case(db, wave, assigned_to=me, name=evil)
    inv.appointment_at = IN_HOURS + dt.timedelta(days=1)
    db.commit()
    text = calendar.feed(db, me, base_url="http://x", now=IN_HOURS)
    lines = text.split("\r\n")
    assert "\r" not in text.replace("\r\n", "") and "\n" not in text.replace("\r\n", "")
    assert [ln for ln in lines if ln.startswith("DTSTART:1970")] == [] and sum(ln == "END:VEVENT" for ln in lines) == 1
    event = next(c for c in icalendar.Calendar.from_ical(text).walk() if c.name == "VEVENT")
    assert "DTSTART:19700101T000000Z\nATTENDEE:x\nEND:VEVENT,;\\" in str(event["summary"])


@pytest.mark.parametrize("name", ["..", "../../etc/passwd", "/tmp/x.csv", "a\x00b.csv", "....", "\\..\\x.csv"])
def test_upload_names_are_never_paths(client, as_role, name):
    as_role("admin")
    data = {"file": (io.BytesIO(b"client_no,name,branch,manager_code,contribution\n"), name)}
    r = client.post("/admin/import", data=data, content_type="multipart/form-data")
    assert r.status_code in (200, 422)
