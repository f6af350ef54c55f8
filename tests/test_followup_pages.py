"""The case pages: roles, the step form (refusals leave the case unchanged), board filters, complaints."""

from __future__ import annotations

import datetime as dt

import pytest

from survey.models import FollowUpCase, utcnow
from survey.services.followup import steps as followup_steps
from tests.factories import make_client, make_user
from tests.test_followup_cases import STEP_FORMS, make_case, snapshot

NOW = utcnow()


def _case(db, **kw):
    case = make_case(db, now=NOW - dt.timedelta(hours=1), **kw)
    db.commit()
    return case


def test_an_interviewer_has_no_access(as_role, client, db):
    case = _case(db)
    as_role("interviewer")
    assert client.get("/cases/").status_code == 403
    assert client.get(f"/cases/{case.id}").status_code == 403
    assert client.post(f"/cases/{case.id}/step", data={"step": "accepted"}).status_code == 403


def test_drive_a_case_through_the_five_steps_by_the_pages(as_role, client, db):
    case = _case(db)
    sup = as_role("supervisor")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'name="owner_id"' in page and 'name="root_cause"' not in page  # only the next step's fields
    assert "138****8000" in page and "13800138000" not in page
    told = (NOW - dt.timedelta(minutes=30)).astimezone(followup_steps.LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")
    forms = {**STEP_FORMS, "accepted": {"owner_id": str(sup.id)},
             "fed_back": {**STEP_FORMS["fed_back"], "feedback_at": told}, "closed": {"note": "done"}}
    for step, form in forms.items():
        r = client.post(f"/cases/{case.id}/step", data={"step": step, **form})
        assert r.status_code == 302, (step, r.get_data(as_text=True)[:2000])
    db.rollback()
    db.expire_all()
    done = db.get(FollowUpCase, case.id)
    assert done.step == "closed" and done.owner_id == sup.id
    page = client.get(f"/cases/{case.id}?lang=en").get_data(as_text=True)
    assert "Waiting time too long" in page and "Reopen the case" in page


def test_skipping_a_step_by_the_page_is_refused_with_a_message(as_role, client, db):
    case = _case(db)
    as_role("supervisor")
    before = snapshot(db, case.id)
    r = client.post(f"/cases/{case.id}/step?lang=en", data={"step": "handled", "actions": "called"})
    assert r.status_code == 409
    assert "the next step is “Accepted”" in r.get_data(as_text=True)
    db.rollback()
    db.expire_all()
    assert snapshot(db, case.id) == before


def test_a_missing_field_reshows_the_form_with_the_values_kept(as_role, client, db):
    sup = make_user(db, "supervisor")
    case = make_case(db, now=NOW - dt.timedelta(hours=1))
    followup_steps.advance(db, case, "accepted", {"owner_id": str(sup.id)}, actor=sup, now=NOW)
    db.commit()
    as_role("supervisor")
    before = snapshot(db, case.id)
    r = client.post(f"/cases/{case.id}/step?lang=en", data={"step": "analysed", "analysis": "排队超过一小时"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "This field is required." in html and 'id="root_cause-error"' in html
    assert "排队超过一小时</textarea>" in html
    db.rollback()
    db.expire_all()
    assert snapshot(db, case.id) == before


def test_a_quality_analyst_views_but_acts_only_on_cases_they_own(as_role, client, db):
    case = _case(db)
    quality = as_role("quality")
    assert client.get(f"/cases/{case.id}").status_code == 200
    assert 'name="owner_id"' not in client.get(f"/cases/{case.id}").get_data(as_text=True)
    before = snapshot(db, case.id)
    r = client.post(f"/cases/{case.id}/step", data={"step": "accepted", "owner_id": str(quality.id)})
    assert r.status_code == 403
    db.rollback()
    db.expire_all()
    assert snapshot(db, case.id) == before
    assert client.get("/cases/new").status_code == 403
    # once a supervisor makes them the owner, they take the next step
    sup = make_user(db, "supervisor")
    case = db.get(FollowUpCase, case.id)
    followup_steps.advance(db, case, "accepted", {"owner_id": str(quality.id)}, actor=sup, now=NOW)
    db.commit()
    r = client.post(f"/cases/{case.id}/step", data={"step": "analysed", **STEP_FORMS["analysed"]})
    assert r.status_code == 302


def test_a_branch_head_acts_only_on_their_branch(as_role, client, db):
    mine, theirs = _case(db, branch_code="BJ01"), _case(db, branch_code="SH01")
    head = as_role("branch_head", branch_code="BJ01")
    assert client.post(f"/cases/{theirs.id}/step", data={"step": "accepted", "owner_id": str(head.id)}).status_code == 403
    assert client.post(f"/cases/{mine.id}/step", data={"step": "accepted", "owner_id": str(head.id)}).status_code == 302


def test_board_filters(as_role, client, db):
    a = _case(db, contribution=8_000_000, branch_code="BJ01")
    b = _case(db, contribution=1000, branch_code="SH01")
    late = make_case(db, now=NOW - dt.timedelta(days=10), branch_code="GZ01")
    db.commit()
    as_role("quality")

    def shown(query):
        html = client.get(f"/cases/board?{query}").get_data(as_text=True)
        return {c.id for c in (a, b, late) if f'href="/cases/{c.id}"' in html}

    assert shown("") == {a.id, b.id, late.id}
    assert shown("tier=private") == {a.id}
    assert shown("branch=SH01") == {b.id}
    assert shown("overdue=1") == {late.id}
    assert shown("owner=none&step=recorded") == {a.id, b.id, late.id}
    assert shown("step=closed") == set()


def test_the_board_comes_in_pages_that_keep_the_filters(as_role, client, db, monkeypatch):
    from survey.services.followup import board as followup_board

    monkeypatch.setattr(followup_board, "BOARD_PAGE", 2)
    cases = [_case(db, branch_code="BJ01") for _ in range(3)]
    other = _case(db, branch_code="SH01")
    as_role("quality")

    def shown(query):
        html = client.get(f"/cases/board?lang=en&{query}").get_data(as_text=True)
        return {c.id for c in (*cases, other) if f'href="/cases/{c.id}"' in html}, html

    first, html = shown("branch=BJ01")
    assert len(first) == 2 and "3 cases" in html and "page 1 of 2" in html
    assert 'rel="next"' in html and "branch=BJ01" in html.split('rel="next"')[0].rsplit("<a", 1)[1]
    second, html = shown("branch=BJ01&page=2")
    assert first | second == {c.id for c in cases} and len(second) == 1 and 'rel="prev"' in html
    assert shown("branch=BJ01&page=x")[0] == first and shown("branch=BJ01&page=9")[0] == second


def test_my_cases_lists_what_is_mine_and_what_waits(as_role, client, db):
    case = _case(db)
    sup = as_role("supervisor")
    html = client.get("/cases/?lang=en").get_data(as_text=True)
    assert "Waiting to be accepted" in html and f'href="/cases/{case.id}"' in html
    client.post(f"/cases/{case.id}/step", data={"step": "accepted", "owner_id": str(sup.id)})
    html = client.get("/cases/?lang=en").get_data(as_text=True)
    assert "Cases I own (1)" in html


def test_record_a_complaint(as_role, client, db):
    c = make_client(db)
    db.commit()
    as_role("branch_head", branch_code="BJ01")
    r = client.post("/cases/new?lang=en", data={"client_no": "NOPE", "topic": "fees", "channel": "letter", "summary": "x"})
    assert r.status_code == 422 and "No client has this number." in r.get_data(as_text=True)
    assert 'value="NOPE"' in r.get_data(as_text=True)
    r = client.post("/cases/new", data={"client_no": c.client_no, "topic": "fees", "channel": "regulator",
                                        "summary": "收费未告知"})
    assert r.status_code == 302
    db.rollback()
    db.expire_all()
    case = db.query(FollowUpCase).one()
    assert (case.client_id, case.channel, case.topic, case.step) == (c.id, "regulator", "fees", "recorded")


def test_close_with_winback_then_reopen(as_role, client, db, app):
    from tests.factories import make_wave

    make_wave(db)
    case = _case(db)
    sup = make_user(db, "supervisor")
    case = db.get(FollowUpCase, case.id)
    for step in ("accepted", "analysed", "handled"):
        followup_steps.advance(db, case, step, {**STEP_FORMS[step], "owner_id": str(sup.id)}, actor=sup, now=NOW)
    told = NOW.astimezone(followup_steps.LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")
    followup_steps.advance(db, case, "fed_back", {**STEP_FORMS["fed_back"], "feedback_at": told}, actor=sup, now=NOW)
    db.commit()
    as_role("supervisor")
    r = client.post(f"/cases/{case.id}/step", data={"step": "closed", "send_winback": "1"}, follow_redirects=True)
    assert "/s/" in r.get_data(as_text=True)
    db.rollback()
    db.expire_all()
    assert "winback" in db.get(FollowUpCase, case.id).fields
    r = client.post(f"/cases/{case.id}/reopen?lang=en", data={"reason": ""})
    assert r.status_code == 422
    assert client.post(f"/cases/{case.id}/reopen", data={"reason": "client called back"}).status_code == 302
    db.rollback()
    db.expire_all()
    assert db.get(FollowUpCase, case.id).step == "accepted"


@pytest.mark.parametrize("role,status", [("admin", 200), ("supervisor", 403)])
def test_settings_page_is_for_admins(as_role, client, role, status):
    as_role(role)
    assert client.get("/cases/settings").status_code == status
    if status == 200:
        r = client.post("/cases/settings", data={"root_causes": "queue | 排队 | Queue", "escalation_delay_hours": "6"})
        assert r.status_code == 302
        assert "queue | 排队 | Queue" in client.get("/cases/settings").get_data(as_text=True)
