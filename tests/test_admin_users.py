"""Admins manage staff accounts in the browser: create, change, deactivate, reactivate, reset the password."""

from __future__ import annotations

import re

from sqlalchemy import select

from survey.models import AuditEvent, Branch, StaffUser
from tests.conftest import login

NEW = {"username": "int9", "display_name": "访员九 Nine", "password": "first-pass-9", "role": "interviewer",
       "branch": "", "employee_code": "INT09", "capacity": "12"}


def _admin(runner, client):
    """The first admin comes from the command line; everything after from the pages."""
    out = runner.invoke(args=["create-user", "boss", "--role", "admin"], input="chief-passphrase-1\n")
    assert out.exit_code == 0, out.output
    assert login(client, "boss", "chief-passphrase-1").status_code == 302


def _logout(client):
    assert client.post("/logout").status_code == 302


def _audits(db, action):
    db.rollback()
    return db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def test_admin_creates_an_interviewer_who_then_signs_in(runner, client, db):
    _admin(runner, client)
    page = client.get("/admin/users?lang=en").get_data(as_text=True)
    for name in ("username", "display_name", "password", "role", "branch", "employee_code", "capacity"):
        assert f'name="{name}"' in page
    assert 'id="create-user"' in page
    r = client.post("/admin/users", data=NEW)
    assert r.status_code == 302
    listing = client.get("/admin/users?lang=en").get_data(as_text=True)
    assert "int9" in listing and "INT09" in listing
    created = _audits(db, "user.created")[-1]
    assert created.actor_label == "boss" and created.details["role"] == "interviewer" and created.details["capacity"] == 12
    assert "first-pass-9" not in str(created.details)
    _logout(client)
    assert login(client, "int9", "first-pass-9").status_code == 302
    assert client.get("/staff/fieldwork/my").status_code == 200
    assert client.get("/admin/users").status_code == 403


def test_bad_new_account_is_refused_field_by_field_and_keeps_the_input(runner, client, db):
    _admin(runner, client)
    r = client.post("/admin/users?lang=en", data={**NEW, "username": "boss", "password": "short",
                                                     "role": "king", "capacity": "lots"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    for field in ("username", "password", "role", "capacity"):
        assert f'id="{field}-error"' in html, field
    assert "already exists" in html and "at least 8 characters" in html
    assert 'value="INT09"' in html and 'value="访员九 Nine"' in html
    assert 'value="short"' not in html
    db.rollback()
    assert db.scalar(select(StaffUser).where(StaffUser.employee_code == "INT09")) is None


def test_unknown_branch_is_refused_once_branches_are_known(runner, client, db):
    db.add(Branch(code="BJ01", name="北京分行"))
    db.commit()
    _admin(runner, client)
    r = client.post("/admin/users?lang=en", data={**NEW, "branch": "XX99"})
    assert r.status_code == 422 and 'id="branch-error"' in r.get_data(as_text=True)
    assert client.post("/admin/users", data={**NEW, "branch": "BJ01"}).status_code == 302
    db.rollback()
    assert db.scalar(select(StaffUser.branch_code).where(StaffUser.username == "int9")) == "BJ01"


def test_admin_changes_role_branch_code_capacity_and_it_is_audited(runner, client, db):
    db.add(Branch(code="SH01", name="上海分行"))
    db.commit()
    _admin(runner, client)
    client.post("/admin/users", data=NEW)
    uid = db.scalar(select(StaffUser.id).where(StaffUser.username == "int9"))
    form = client.get(f"/admin/users/{uid}?lang=en").get_data(as_text=True)
    assert 'value="INT09"' in form and re.search(r'<option value="interviewer" selected', form)
    r = client.post(f"/admin/users/{uid}", data={"display_name": "Nine", "role": "supervisor", "branch": "SH01",
                                                  "employee_code": "SUP09", "capacity": "0"})
    assert r.status_code == 302
    db.rollback()
    user = db.get(StaffUser, uid)
    assert (user.role, user.branch_code, user.employee_code, user.capacity_per_day) == ("supervisor", "SH01", "SUP09", 0)
    changes = _audits(db, "user.updated")[-1].details["changes"]
    assert changes["role"] == ["interviewer", "supervisor"] and changes["capacity_per_day"] == [12, 0]
    bad = client.post(f"/admin/users/{uid}?lang=en", data={"role": "supervisor", "capacity": "-3"})
    assert bad.status_code == 422 and 'id="capacity-error"' in bad.get_data(as_text=True)
    db.rollback()
    assert db.get(StaffUser, uid).capacity_per_day == 0


def test_deactivated_account_cannot_sign_in_and_its_session_ends(runner, app, client, db):
    _admin(runner, client)
    client.post("/admin/users", data=NEW)
    uid = db.scalar(select(StaffUser.id).where(StaffUser.username == "int9"))
    other = app.test_client()
    assert login(other, "int9", "first-pass-9").status_code == 302
    assert other.get("/staff/fieldwork/my").status_code == 200
    assert client.post(f"/admin/users/{uid}/active", data={"active": "0"}).status_code == 302
    assert other.get("/staff/fieldwork/my").status_code == 302  # back to the login page
    refused = login(other, "int9", "first-pass-9")
    assert refused.status_code == 401
    assert [e.details["username"] for e in _audits(db, "user.deactivated")] == ["int9"]
    client.post(f"/admin/users/{uid}/active", data={"active": "1"})
    assert login(other, "int9", "first-pass-9").status_code == 302
    assert len(_audits(db, "user.reactivated")) == 1


def test_admin_resets_a_password(runner, client, db):
    _admin(runner, client)
    client.post("/admin/users", data=NEW)
    uid = db.scalar(select(StaffUser.id).where(StaffUser.username == "int9"))
    short = client.post(f"/admin/users/{uid}/password?lang=en", data={"password": "x"})
    assert short.status_code == 422 and "at least 8 characters" in short.get_data(as_text=True)
    assert client.post(f"/admin/users/{uid}/password", data={"password": "second-pass-9"}).status_code == 302
    _logout(client)
    assert login(client, "int9", "first-pass-9").status_code == 401
    assert login(client, "int9", "second-pass-9").status_code == 302
    event = _audits(db, "user.password_reset")[-1]
    assert event.actor_label == "boss" and "second-pass-9" not in str(event.details)


def test_the_last_admin_can_neither_leave_the_role_nor_be_deactivated(runner, client, db):
    _admin(runner, client)
    uid = db.scalar(select(StaffUser.id).where(StaffUser.username == "boss"))
    demote = client.post(f"/admin/users/{uid}?lang=en", data={"role": "supervisor"})
    assert demote.status_code == 422 and "last active administrator" in demote.get_data(as_text=True)
    client.post(f"/admin/users/{uid}/active", data={"active": "0"})
    db.rollback()
    assert db.get(StaffUser, uid).active and db.get(StaffUser, uid).role == "admin"


def test_only_admins_reach_the_account_pages(as_role, client):
    as_role("supervisor")
    assert client.get("/admin/users").status_code == 403
    assert client.post("/admin/users", data=NEW).status_code == 403
