"""Log-in hardening (issue 11): throttling, equal work for unknown names, audit, password policy,
create-user without a password argument, logout that ends the session, proxy headers and demo keys."""

import os

import pytest
from sqlalchemy import select

from survey.config import finalize_config
from survey.errors import ValidationFailed
from survey.models import AuditEvent, LoginThrottle
from survey.services import users
from tests.conftest import login
from tests.factories import make_user


def test_sixty_wrong_passwords_are_throttled_before_the_eleventh(client, db):
    make_user(db, "admin", username="target")
    db.commit()
    codes = [login(client, "target", f"wrong-guess-{i:03d}").status_code for i in range(60)]
    assert 429 in codes[:10]
    first = codes.index(429)
    assert set(codes[:first]) == {401} and set(codes[first:]) == {429}
    # while throttled even the right password is refused, without being checked
    assert login(client, "target").status_code == 429


def test_throttle_counts_live_in_the_database_and_a_success_clears_the_account(app, client, db):
    make_user(db, "admin", username="slowly")
    db.commit()
    for i in range(3):
        login(client, "slowly", f"wrong-{i}-password")
    row = db.scalar(select(LoginThrottle).where(LoginThrottle.key == "user:slowly"))
    assert row.failures == 3
    # a success forgives the account's failures
    assert login(client, "slowly").status_code == 302
    db.commit()  # end the read snapshot
    assert db.scalar(select(LoginThrottle).where(LoginThrottle.key == "user:slowly")) is None


def test_address_is_throttled_across_user_names_and_forwarded_for_is_not_trusted(app, client, db):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 8
    codes = [client.post("/login", data={"username": f"nobody{i}", "password": "x" * 12},
                         headers={"X-Forwarded-For": f"10.0.0.{i}"}).status_code for i in range(12)]
    assert codes[:8] == [401] * 8 and set(codes[8:]) == {429}


def test_unknown_user_is_checked_against_a_dummy_hash(client, db, monkeypatch):
    checked = []
    real = users.verify_password
    monkeypatch.setattr(users, "verify_password", lambda h, p: checked.append(h) or real(h, p))
    make_user(db, "admin", username="known")
    db.commit()
    login(client, "known", "wrong-password-1")
    login(client, "unknown-name", "wrong-password-1")
    login(client, " spaced \x00", "wrong-password-1")
    assert len(checked) == 3
    assert checked[1] == checked[2] == users._dummy_hash() != checked[0]


def test_failed_log_ins_are_audited(client, db):
    make_user(db, "admin", username="audited")
    db.commit()
    login(client, "audited", "wrong-password-1")
    login(client, "nul\x00name", "wrong-password-1")
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "user.login_failed")
                        .order_by(AuditEvent.id)).all()
    assert [e.entity_id for e in events] == ["audited", "(invalid name)"]
    assert events[0].details["address"] == "127.0.0.1"


@pytest.mark.parametrize("name,password", [
    ("x", "password"), ("x", "12345678"), ("longname", "longname-longname"), ("bob", "Password1234"),
    ("bob", "qwerty123456"), ("bob", "short-pw"),
])
def test_password_policy(db, name, password):
    with pytest.raises(ValidationFailed):
        users.create_user(db, name, password, "admin")


@pytest.mark.parametrize("name", ["", "   ", " spaced out ", "a" * 65, "nul\x00", "tab\tname", "semi;colon"])
def test_user_names_are_validated(db, name):
    with pytest.raises(ValidationFailed):
        users.create_user(db, name, "a-long-fine-passphrase", "admin")


def test_user_names_are_trimmed(db):
    assert users.create_user(db, "  trimmed ", "a-long-fine-passphrase", "admin").username == "trimmed"


def test_create_user_reads_the_password_from_stdin_and_takes_no_password_option(runner, db):
    bad = runner.invoke(args=["create-user", "cliuser", "--role", "admin", "--password", "x"], input="")
    assert bad.exit_code != 0 and "No such option" in bad.output
    weak = runner.invoke(args=["create-user", "cliuser", "--role", "admin"], input="password\n")
    assert weak.exit_code != 0
    ok = runner.invoke(args=["create-user", "cliuser", "--role", "admin"], input="a-long-fine-passphrase\n")
    assert ok.exit_code == 0, ok.output
    assert users.authenticate(db, "cliuser", "a-long-fine-passphrase") is not None


def test_saved_cookie_stops_working_after_logout(app, client, db):
    make_user(db, "supervisor", username="leaver")
    db.commit()
    assert login(client, "leaver").status_code == 302
    saved = client.get_cookie("session").value
    assert client.get("/staff/").status_code == 200
    assert client.post("/logout").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", saved)
    r = thief.get("/staff/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    # logging in again works, with a new session
    assert login(client, "leaver").status_code == 302 and client.get("/staff/").status_code == 200


def test_demo_mode_key_is_made_once_per_data_folder(tmp_path):
    def demo_config(folder):
        cfg = {"ENV_MODE": "demo", "SECRET_KEY": None, "DATA_DIR": str(folder), "DATABASE_URL": "sqlite://",
               "OUTBOX_DIR": None, "SQLITE_FILENAME": "x.sqlite", "SECURE_COOKIES": None}
        finalize_config(cfg, environ={})
        return cfg["SECRET_KEY"]

    first, again, other = demo_config(tmp_path / "a"), demo_config(tmp_path / "a"), demo_config(tmp_path / "b")
    assert first == again != other and len(first) >= 64
    assert "demo-only-not-secret" not in (first, other)
    assert os.stat(tmp_path / "a" / "secret_key").st_mode & 0o777 == 0o600


def test_proxy_fix_only_when_configured(tmp_path):
    from survey import create_app

    base = {"ENV_MODE": "testing", "SECRET_KEY": "k", "DATA_DIR": str(tmp_path), "DATABASE_URL": "sqlite://"}
    plain = create_app(base)
    proxied = create_app({**base, "PROXY_COUNT": 1})

    @plain.get("/_addr")
    def addr():
        from flask import request
        return request.remote_addr

    proxied.add_url_rule("/_addr", view_func=addr)
    h = {"X-Forwarded-For": "203.0.113.9"}
    assert plain.test_client().get("/_addr", headers=h).get_data(as_text=True) == "127.0.0.1"
    assert proxied.test_client().get("/_addr", headers=h).get_data(as_text=True) == "203.0.113.9"


def test_throttle_window_passes(db):
    import datetime as dt

    from survey.services import login_throttle

    keys = login_throttle.keys_for("someone", "10.0.0.9")
    t0 = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)
    for i in range(5):
        login_throttle.record_failure(db, keys, now=t0 + dt.timedelta(minutes=i))
    assert login_throttle.is_blocked(db, keys, now=t0 + dt.timedelta(minutes=5))
    assert not login_throttle.is_blocked(db, keys, now=t0 + dt.timedelta(minutes=16))
    login_throttle.record_failure(db, keys, now=t0 + dt.timedelta(minutes=30))  # a new window starts at one
    row = db.get(LoginThrottle, db.scalar(select(LoginThrottle.id).where(LoginThrottle.key == keys["account"])))
    assert row.failures == 1
