"""A wave's life in the browser (test client, from the login page): new wave from the latest, settings,
draw, open fieldwork, close with a confirmation step; only supervisors, only with CSRF."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from survey.models import AuditEvent, Invitation, Wave
from survey.services import invitations
from tests.factories import make_user, make_wave
from tests.factories_fieldwork import field_case, field_wave
from tests.test_fieldwork_mail import outbox
from tests.test_lifecycle_cli import client_file


def _wave(db, name: str) -> Wave:
    db.rollback()
    return db.scalar(select(Wave).where(Wave.name == name))


def test_a_quarter_through_the_wave_pages(app, db, client, runner, as_role, tmp_path):
    assert runner.invoke(args=["import-clients", client_file(tmp_path)]).exit_code == 0
    as_role("supervisor")
    first = client.get("/staff/waves/new?lang=en").get_data(as_text=True)
    assert 'id="create-wave"' in first and "No wave: default settings" in first
    r = client.post("/staff/waves/new", data={"name": "2026-Q4", "period_start": "2026-10-01",
                                              "period_end": "2026-12-31", "copy_from": ""})
    assert r.status_code == 302
    q4 = _wave(db, "2026-Q4")

    page = client.get(f"/staff/waves/{q4.id}/settings?lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="save-settings"' in html and 'id="modes-gold"' in html
    assert 'id="triggers-overall_max"' in html and 'id="calling_hours"' in html and 'id="cool_off_days"' in html
    bad = client.post(f"/staff/waves/{q4.id}/settings?lang=en", data={"max_attempts": "lots", "calling_hours": "9-20"})
    assert bad.status_code == 422 and 'aria-invalid="true" aria-describedby="max_attempts-error"' in bad.get_data(as_text=True)
    form = {"calling_hours": "8-21", "max_attempts": "5", "retry_wait_minutes": "60", "reminder_after_days": "3",
            "max_reminders": "1", "token_ttl_days": "20", "triggers.enabled": ["false"], "triggers.overall_max": "3",
            "triggers.recommend_max": "off", "triggers.contact_request": "true", "triggers.topic": "service",
            "web_enabled": "true", "cool_off_days": "60", "exclude_open_complaints": "true",
            "expected_response_rate": "0.5", "modes.private": "phone", "modes.diamond": "phone",
            "modes.platinum": "phone", "modes.gold": "phone", "modes.standard": "in_person"}
    assert client.post(f"/staff/waves/{q4.id}/settings", data=form).status_code == 303
    q4 = _wave(db, "2026-Q4")
    assert q4.settings["calling_hours"] == [8, 21] and q4.settings["modes"]["gold"] == "phone"
    assert q4.settings["triggers"]["recommend_max"] is None and q4.settings["web_enabled"] is True
    assert q4.settings["triggers"]["enabled"] is False  # an unticked box sends only its hidden "false"

    new = client.get("/staff/waves/new").get_data(as_text=True)
    assert f'<option value="{q4.id}" selected>' in new and 'value="2027-01-01"' in new  # the latest, the next quarter
    r = client.post("/staff/waves/new", data={"name": "2027-Q1", "period_start": "2027-01-01",
                                              "period_end": "2027-03-31", "copy_from": str(q4.id)})
    assert r.status_code == 302
    q1 = _wave(db, "2027-Q1")
    assert q1.settings["calling_hours"] == [8, 21] and q1.settings["modes"]["gold"] == "phone"

    wave_page = client.get(f"/staff/waves/{q1.id}?lang=en").get_data(as_text=True)
    assert 'id="wave-settings"' in wave_page and 'id="open-fieldwork"' not in wave_page
    assert client.post(f"/staff/waves/{q1.id}/draw", data={"seed": "7", "confirm": "1"}).status_code == 303
    wave_page = client.get(f"/staff/waves/{q1.id}?lang=en").get_data(as_text=True)
    assert 'id="open-fieldwork"' in wave_page and 'id="close-fieldwork"' not in wave_page
    locked = client.get(f"/staff/waves/{q1.id}/settings?lang=en").get_data(as_text=True)
    assert re.search(r'id="cool_off_days"[^>]*disabled', locked) and "Can change only before the draw." in locked

    opened = client.post(f"/staff/waves/{q1.id}/open-fieldwork", data={"send_now": "1"}, follow_redirects=True)
    text = opened.get_data(as_text=True)
    assert "Fieldwork is open" in text or "实地访问已开始" in text
    assert _wave(db, "2027-Q1").status == "in_field" and len(outbox(app)) >= 1
    wave_page = client.get(f"/staff/waves/{q1.id}?lang=en").get_data(as_text=True)
    assert 'id="close-fieldwork"' in wave_page and 'id="open-fieldwork"' not in wave_page

    confirm = client.get(f"/staff/waves/{q1.id}/close-fieldwork?lang=en").get_data(as_text=True)
    assert 'id="confirm-close"' in confirm and "Cases still open" in confirm
    unticked = client.post(f"/staff/waves/{q1.id}/close-fieldwork?lang=en", data={})
    assert unticked.status_code == 422 and "Tick the box to confirm." in unticked.get_data(as_text=True)
    assert _wave(db, "2027-Q1").status == "in_field"
    assert client.post(f"/staff/waves/{q1.id}/close-fieldwork", data={"confirm": "1"}).status_code == 303
    q1 = _wave(db, "2027-Q1")
    assert q1.status == "closed"
    assert db.scalar(select(func.count()).where(Invitation.wave_id == q1.id, Invitation.status == "open")) == 0
    final = client.get(f"/staff/waves/{q1.id}/settings?lang=en").get_data(as_text=True)
    assert 'id="save-settings"' not in final
    again = client.post(f"/staff/waves/{q1.id}/open-fieldwork", data={}, follow_redirects=True)
    assert "cannot be reopened" in again.get_data(as_text=True)


def test_only_supervisors_reach_the_lifecycle_actions(app, db, client, as_role):
    as_role("interviewer")
    for method, path in (("post", "/staff/waves/1/open-fieldwork"), ("get", "/staff/waves/1/close-fieldwork"),
                         ("post", "/staff/waves/1/close-fieldwork"), ("get", "/staff/waves/1/settings"),
                         ("post", "/staff/waves/1/settings")):
        assert getattr(client, method)(path).status_code == 403, path


def test_lifecycle_posts_need_the_csrf_token(csrf_app, db):
    make_user(db, "supervisor", username="sup-csrf")
    wave = make_wave(db)
    db.commit()
    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"username": "sup-csrf", "password": "password-123",
                                       "csrf_token": token}).status_code == 302
    for path, data in (("open-fieldwork", {}), ("close-fieldwork", {"confirm": "1"}), ("settings", {"max_attempts": "3"})):
        assert client.post(f"/staff/waves/{wave.id}/{path}", data=data).status_code == 400, path
    settings_page = client.get(f"/staff/waves/{wave.id}/settings").get_data(as_text=True)
    with_token = re.search(r'name="csrf_token" value="([^"]+)"', settings_page).group(1)
    r = client.post(f"/staff/waves/{wave.id}/settings", data={"max_attempts": "3", "csrf_token": with_token})
    assert r.status_code == 303


def test_the_send_button_reuses_links_and_reissues_only_when_ticked(app, db, client, as_role):
    wave = field_wave(db)
    inv = field_case(db, wave, mode="web", email="f@example.com")
    handed_out = invitations.issue_token(inv, 30)
    db.commit()
    as_role("supervisor")
    assert 'id="send-invitations"' in client.get(f"/staff/waves/{wave.id}").get_data(as_text=True)
    held = client.post(f"/staff/waves/{wave.id}/send-invitations?lang=en", data={}, follow_redirects=True)
    assert "1 case(s) held back" in held.get_data(as_text=True) and outbox(app) == []
    assert client.get(f"/s/{handed_out}").status_code == 200
    client.post(f"/staff/waves/{wave.id}/send-invitations", data={"reissue": "1"})
    assert len(outbox(app)) == 1 and client.get(f"/s/{handed_out}").status_code == 404
    db.rollback()
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "fieldwork.links_reissued"))
    assert event.details["invitations"] == [inv.id] and event.actor_label.startswith("supervisor")
