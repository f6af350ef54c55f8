"""Sampling pages and commands: plan preview, confirm, draw, release, reset; supervisors only."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from survey.db import session_scope
from survey.models import AuditEvent, ContactAttempt, Draw, Invitation, ReserveCase, Wave
from tests.factories import make_client, make_wave

CONTRIBUTION = {"private": 7e6, "diamond": 3e6, "platinum": 6e5, "gold": 1e5, "standard": 1e4}


@pytest.fixture
def wave_id(app):
    with app.app_context(), session_scope(app) as s:
        for i in range(10):
            for tier, amount in CONTRIBUTION.items():
                make_client(s, client_no=f"G{i:02d}{tier[:2]}", contribution=amount)
        return make_wave(s, name="2026-Q4").id


def _count(db, model) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(model))


def test_plan_page_previews_and_confirms(as_role, client, db, wave_id):
    as_role("supervisor")
    page = client.get(f"/staff/waves/{wave_id}/plan?lang=en")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Sample per tier" in html and "Frame (N)" in html and 'name="margin"' in html
    page = client.get(f"/staff/waves/{wave_id}/plan?method=neyman&margin=0.2&minimum=2&confidence=0.9")
    assert "proportional allocation is used instead" in page.get_data(as_text=True)
    bad = client.get(f"/staff/waves/{wave_id}/plan?method=equal&margin=2")
    assert bad.status_code == 422
    assert 'aria-invalid="true" aria-describedby="margin-error"' in bad.get_data(as_text=True)
    r = client.post(f"/staff/waves/{wave_id}/plan", data={"method": "equal", "total": "10", "minimum": "0",
                                                         "take_all": ["private"], "confidence": "0.95"})
    assert r.status_code == 303
    db.rollback()
    plan = db.get(Wave, wave_id).settings["plan"]
    assert plan["total"] == 10 and plan["take_all"] == ["private"] and plan["method"] == "equal"
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "sample.plan_confirmed")) is not None


def test_draw_release_and_reset_through_the_wave_page(as_role, client, db, wave_id):
    as_role("supervisor")
    client.post(f"/staff/waves/{wave_id}/plan", data={"method": "equal", "total": "10", "minimum": "0"})
    r = client.post(f"/staff/waves/{wave_id}/draw", data={"seed": "42"}, follow_redirects=True)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "42" in html
    assert _count(db, Invitation) == 20 and _count(db, ReserveCase) == 10
    assert "Release reserve cases" in client.get(f"/staff/waves/{wave_id}?lang=en").get_data(as_text=True)

    again = client.post(f"/staff/waves/{wave_id}/draw", data={}, follow_redirects=True)
    assert "already been drawn" in again.get_data(as_text=True)
    assert _count(db, Draw) == 1

    r = client.post(f"/staff/waves/{wave_id}/release", data={"tier": "gold", "count": "2"}, follow_redirects=True)
    assert r.status_code == 200 and _count(db, Invitation) == 22 and _count(db, ReserveCase) == 8
    r = client.post(f"/staff/waves/{wave_id}/release", data={"tier": "gold", "count": "5"}, follow_redirects=True)
    assert "only 0 reserve case(s) left in tier gold" in r.get_data(as_text=True)
    assert _count(db, Invitation) == 22

    r = client.post(f"/staff/waves/{wave_id}/draw/reset", follow_redirects=True)
    assert r.status_code == 200 and _count(db, Invitation) == 0 and _count(db, Draw) == 0


def test_reset_is_refused_on_the_page_after_a_call(as_role, client, db, wave_id):
    as_role("admin")
    client.post(f"/staff/waves/{wave_id}/draw", data={"seed": "1", "confirm": "1"})  # the default plan: a census
    db.rollback()
    inv = db.scalars(select(Invitation)).first()
    db.add(ContactAttempt(invitation_id=inv.id, mode=inv.mode, outcome="3.13"))
    db.commit()
    r = client.post(f"/staff/waves/{wave_id}/draw/reset?lang=en", follow_redirects=True)
    assert "calls or visits have been logged" in r.get_data(as_text=True)
    assert _count(db, Draw) == 1


@pytest.mark.parametrize("method,path", [
    ("get", "/plan"), ("post", "/plan"), ("post", "/draw"), ("post", "/draw/reset"), ("post", "/release"),
])
def test_interviewers_may_not_plan_draw_or_release(as_role, client, db, wave_id, method, path):
    as_role("interviewer")
    r = getattr(client, method)(f"/staff/waves/{wave_id}{path}", data={"tier": "gold", "count": "1"})
    assert r.status_code == 403
    assert _count(db, Draw) == 0


def test_interviewer_sees_the_wave_page_without_sampling_controls(as_role, client, wave_id):
    as_role("interviewer")
    html = client.get(f"/staff/waves/{wave_id}?lang=en").get_data(as_text=True)
    assert "Draw the sample" not in html and "Sampling plan" not in html


def test_commands_plan_draw_release(app, runner, db, wave_id):
    out = runner.invoke(args=["plan", "2026-Q4", "--total", "10", "--minimum", "0", "--confirm"])
    assert out.exit_code == 0, out.output
    assert "plan stored" in out.output and "gold" in out.output
    out = runner.invoke(args=["draw", "2026-Q4", "--seed", "7"])
    assert out.exit_code == 0, out.output
    assert "seed 7" in out.output and _count(db, Invitation) == 20
    out = runner.invoke(args=["draw", "2026-Q4"])
    assert out.exit_code != 0 and "already been drawn" in out.output
    out = runner.invoke(args=["release", "2026-Q4", "--tier", "gold", "--count", "99"])
    assert out.exit_code != 0 and "cannot release 99" in out.output
    out = runner.invoke(args=["release", "2026-Q4", "--tier", "gold", "--count", "1"])
    assert out.exit_code == 0 and "1 left in reserve" in out.output
    out = runner.invoke(args=["draw", "2026-Q4", "--reset"])
    assert out.exit_code == 0 and _count(db, Draw) == 0
