"""The access matrix (issue 11): every endpoint x every role (and anonymous) x own or other record.

"Own" is a fieldwork case assigned to the interviewer, or a follow-up case of the branch head's branch;
"other" is a colleague's case or another branch's.  Denied means 403, 401 or a redirect to the login
page; anything else (200, 302 elsewhere, 404 of an unknown token, 409, 422) means the door was open.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from survey.db import session_scope
from survey.services.followup import cases as followup_cases
from tests.conftest import login
from tests.factories import make_client, make_user
from tests.factories_fieldwork import field_case, field_wave, interviewer

ROLES = ("anonymous", "interviewer", "supervisor", "quality", "admin", "branch_head")
ALL, NONE = set(ROLES), set()
STAFF = {"interviewer", "supervisor", "admin"}
SUPERVISE = {"supervisor", "admin"}
QUALITY = {"quality", "supervisor", "admin", "branch_head"}
QUESTIONNAIRES = {"quality", "admin"}
CASES = {"supervisor", "quality", "admin", "branch_head"}
ACT_ON_CASES = {"supervisor", "admin"}  # on any case; a branch head on their branch's ("own")
OWN = "own"  # allowed for one's own record only

# endpoint -> (roles allowed on any record, roles allowed on their own record only)
EXPECTED: dict[str, tuple[set, set]] = {
    "static": (ALL, NONE), "index": (ALL, NONE), "healthz": (ALL, NONE),
    "auth.login": (ALL, NONE), "auth.logout": (ALL, NONE),
    "public.survey_form": (ALL, NONE), "public.thanks": (ALL, NONE), "public.optout": (ALL, NONE),
    "public.optout_confirm": (ALL, NONE), "public.fieldwork_calendar_feed": (ALL, NONE),
    "public.sms_link": (ALL, NONE),
    # the SMS gateway's webhooks: no role opens them, only a call signed with the shared secret
    "hooks.sms_receipt": (NONE, NONE), "hooks.sms_inbound": (NONE, NONE),
    "staff.waves": (STAFF, NONE), "staff.wave_detail": (STAFF, NONE),
    "staff.fieldwork_my": (STAFF, NONE), "staff.fieldwork_next": (STAFF, NONE),
    "staff.fieldwork_calendar": (STAFF, NONE),
    **{f"staff.{e}": (SUPERVISE, NONE) for e in (
        "wave_new", "wave_invite", "wave_plan", "wave_plan_confirm", "wave_draw", "wave_draw_reset", "wave_release",
        "wave_release_to_target", "wave_open_fieldwork", "wave_send_invitations", "wave_close_fieldwork",
        "wave_settings_page", "wave_questionnaire",
        "fieldwork_waves", "fieldwork_dashboard", "fieldwork_cases", "fieldwork_assign", "fieldwork_reassign")},
    **{f"staff.{e}": (SUPERVISE, {"interviewer"}) for e in (
        "fieldwork_case", "fieldwork_hold", "fieldwork_release", "fieldwork_attempt", "fieldwork_appointment",
        "fieldwork_interview")},
    **{f"quality.{e}": (QUALITY, NONE) for e in (
        "overview", "trends", "response_rates", "drivers", "scorecards", "export")},
    "cases.mine": (CASES, NONE), "cases.board": (CASES, NONE), "cases.reports": (CASES, NONE),
    "cases.report_csv": (CASES, NONE),
    "cases.case_page": (CASES - {"branch_head"}, {"branch_head"}),
    "cases.take_step": (ACT_ON_CASES, {"branch_head"}),
    "cases.reopen": (ACT_ON_CASES, {"branch_head"}),
    "cases.winback": (ACT_ON_CASES, {"branch_head"}),
    "cases.new_complaint": ({"supervisor", "admin", "branch_head"}, NONE),
    "cases.settings": ({"admin"}, NONE),
    "cases.clients": ({"supervisor", "admin", "branch_head"}, NONE),
    "admin.index": ({"admin"}, NONE), "admin.import_clients": ({"admin"}, NONE), "admin.tier_scheme": ({"admin"}, NONE),
    "admin.users": ({"admin"}, NONE), "admin.user": ({"admin"}, NONE), "admin.user_password": ({"admin"}, NONE),
    "admin.user_active": ({"admin"}, NONE),
    "admin.api_tokens_page": ({"admin"}, NONE), "admin.api_token_revoke": ({"admin"}, NONE),
    # the API answers bearer tokens only: a signed-in session opens none of it (tests/test_api_access.py
    # checks it token by token); its document and docs page are public
    "api.openapi": (ALL, NONE), "api.docs": (ALL, NONE),
    **{f"api.{e}": (NONE, NONE) for e in (
        "clients_batch", "waves_list", "wave_get", "wave_plan", "wave_draw", "wave_open", "wave_close",
        "invitations_list", "dispositions_cases", "invitation_resend", "responses_list", "estimates", "dispositions",
        "cases_list", "case_get", "case_create", "case_step")},
    **{f"questionnaire_editor.{e}": (QUESTIONNAIRES, NONE) for e in (
        "index", "draft_new", "version_edit", "draft", "draft_meta", "draft_publish", "draft_discard", "import_file",
        "version_export", "version_diff", "question_new", "question_edit", "question_delete", "question_move",
        "version_preview", "draft_preview")},
}
RECORD_ARGS = {"inv_id", "case_id"}


@pytest.fixture
def records(app):
    """A wave in field; fieldwork cases of the interviewer ("own") and of a colleague ("other");
    follow-up cases in branch BJ01 ("own" for the branch head) and SH01 ("other")."""
    with app.app_context(), session_scope(app) as s:
        me = interviewer(s, username="m_iv")
        colleague = interviewer(s, username="m_colleague")
        for role in ("supervisor", "quality", "admin"):
            make_user(s, role, username=f"m_{role}")
        make_user(s, "branch_head", username="m_branch_head", branch_code="BJ01")
        wave = field_wave(s, calling_hours=[0, 24])
        mine, theirs = field_case(s, wave, assigned_to=me), field_case(s, wave, assigned_to=colleague)
        now = dt.datetime.now(dt.UTC)
        opened = {}
        for key, branch in (("own", "BJ01"), ("other", "SH01")):
            case, _ = followup_cases.open_case(s, client=make_client(s, branch_code=branch), topic="service",
                                               channel="phone", actor="test", now=now, summary="matrix")
            opened[key] = case.id
        return {"wave_id": wave.id, "inv_id": {"own": mine.id, "other": theirs.id}, "case_id": opened,
                "user_id": colleague.id}


def url(rule, records, which: str) -> str:
    out = rule.rule
    for arg in rule.arguments:
        if arg in RECORD_ARGS:
            value = records[arg][which]
        elif arg == "wave_id":
            value = records["wave_id"]
        elif arg == "user_id":
            value = records["user_id"]
        elif arg == "token_id":
            value = 1
        else:
            value = {"filename": "app.css", "fmt": "csv", "name": "overdue",
                     "draft_id": "999999", "version_id": "999999", "position": "0"}.get(arg, "not-a-real-token")
        out = re.sub(rf"<(?:[^:<>]+:)?{arg}>", str(value), out)
    return out


def denied(response, endpoint: str) -> bool:
    if response.status_code == 403:
        return True
    if endpoint.startswith(("public.", "auth.")) or endpoint in ("index", "healthz", "static"):
        return False  # a wrong password's 401 and logout's redirect are not refusals of access
    if response.status_code == 401:
        return True
    return response.status_code == 302 and response.headers["Location"].split("?")[0].endswith("/login")


def test_the_matrix_names_every_endpoint(app):
    assert {r.endpoint for r in app.url_map.iter_rules()} == set(EXPECTED)


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(app, client, records, role):
    if role != "anonymous":
        assert login(client, "m_iv" if role == "interviewer" else f"m_{role}").status_code == 302
    rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint == "auth.logout", r.rule))
    wrong, checked = [], 0
    for rule in rules:
        anywhere, own_only = EXPECTED[rule.endpoint]
        for which in ("own", "other") if RECORD_ARGS & set(rule.arguments) else ("own",):
            allowed = role in anywhere or (which == "own" and role in own_only)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                r = client.open(url(rule, records, which), method=method, data={})
                if denied(r, rule.endpoint) == allowed:
                    wrong.append((rule.endpoint, method, which, r.status_code, "allowed" if allowed else "denied"))
                r.close()
                checked += 1
    assert wrong == []
    assert checked >= len(EXPECTED)


def test_branch_head_sees_only_own_branch_on_board_and_export(app, client, records, db):
    login(client, "m_branch_head")
    board = client.get("/cases/board?branch=SH01").get_data(as_text=True)
    assert f"/cases/{records['case_id']['own']}" in board and f"/cases/{records['case_id']['other']}" not in board
    app.config["BRANCH_HEAD_SEES_ALL"] = True
    board = client.get("/cases/board").get_data(as_text=True)
    assert f"/cases/{records['case_id']['other']}" in board
    assert client.get(f"/cases/{records['case_id']['other']}").status_code == 200


def test_interviewer_cannot_claim_an_unassigned_case_by_appointment(app, client, records, db):
    from survey.models import Invitation
    with app.app_context(), session_scope(app) as s:
        from survey.models import Wave
        free = field_case(s, s.get(Wave, records["wave_id"]))
        free_id = free.id
    login(client, "m_iv")
    soon = (dt.datetime.now() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    assert client.get(f"/staff/fieldwork/cases/{free_id}").status_code == 403
    assert client.post(f"/staff/fieldwork/cases/{free_id}/appointment", data={"appointment_at": soon}).status_code == 403
    assert client.post(f"/staff/fieldwork/cases/{free_id}/hold").status_code == 403
    assert db.get(Invitation, free_id).assigned_to is None


def test_branch_head_export_holds_only_own_branch_rows(app, client, db):
    import csv
    import io

    from tests.factories_quality import add_cases, make_clients, quality_wave, record_draw, scores

    wave = quality_wave(db, "BH-W", dt.date(2026, 7, 1))
    record_draw(db, wave, {"gold": 100})
    add_cases(db, wave, make_clients(db, "gold", 3, branch="BJ01"), "gold", answers=scores({4: 3}))
    add_cases(db, wave, make_clients(db, "gold", 4, branch="SH01"), "gold", answers=scores({3: 4}))
    make_user(db, "branch_head", username="bh_export", branch_code="BJ01")
    db.commit()
    login(client, "bh_export")
    rows = list(csv.DictReader(io.StringIO(
        client.get(f"/quality/export/csv?wave={wave.id}&branch=SH01").data.decode("utf-8-sig"))))
    assert len(rows) == 3 and {r["branch"] for r in rows} == {"BJ01"}
    page = client.get(f"/quality/?wave={wave.id}&branch=SH01").get_data(as_text=True)
    assert 'value="SH01"' not in page
    app.config["BRANCH_HEAD_SEES_ALL"] = True
    rows = list(csv.DictReader(io.StringIO(client.get(f"/quality/export/csv?wave={wave.id}").data.decode("utf-8-sig"))))
    assert len(rows) == 7
