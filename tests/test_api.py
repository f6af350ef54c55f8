"""The JSON API (issue 14): tokens, problem details, client batches, roles and branch scope, idempotency,
ETags and cursor paging, on the database of the run (SQLite or PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text

from survey.db import session_scope
from survey.models import ApiIdempotencyKey, AuditEvent, Client, FollowUpCase
from tests.factories import make_client
from tests.factories_quality import add_cases, make_clients, quality_wave, record_draw, scores

GOOD = [
    {"client_no": f"API{n:04d}", "name": f"客户{n}", "branch": "BJ01", "manager_code": "RM001",
     "contribution": 1000 * n, "phone": "13800138000", "email": f"c{n}@example.com"}
    for n in range(1, 6)
]


def make_token(runner, name: str, role: str, branch: str | None = None) -> str:
    args = ["create-api-token", name, "--role", role] + (["--branch", branch] if branch else [])
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]


def bearer(token: str, **extra) -> dict:
    return {"Authorization": f"Bearer {token}", **extra}


@pytest.fixture
def admin_token(runner):
    return make_token(runner, "crm", "admin")


def test_client_batch_with_one_bad_row_changes_nothing_and_names_row_and_field(client, admin_token, db):
    bad = [dict(r) for r in GOOD]
    bad[3]["phone"] = "12345"
    r = client.post("/api/v1/clients/batch", json={"clients": bad}, headers=bearer(admin_token))
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    problem = r.get_json()
    assert problem["status"] == 422 and problem["type"].endswith("#problem-validation")
    assert {"row": 3, "field": "phone", "pointer": "/clients/3/phone"}.items() <= problem["errors"][0].items()
    assert db.scalar(select(func.count()).select_from(Client)) == 0

    del bad[3]
    r = client.post("/api/v1/clients/batch", json={"clients": bad}, headers=bearer(admin_token))
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json() == {"rows": 4, "inserted": 4, "updated": 0}
    db.rollback()  # a fresh snapshot
    assert set(db.scalars(select(Client.client_no))) == {"API0001", "API0002", "API0003", "API0005"}
    audit = db.scalars(select(AuditEvent).where(AuditEvent.action == "clients.imported")).one()
    assert audit.actor_label == "api:crm" and audit.actor_id is None


def test_schema_refusal_names_the_row_and_field(client, admin_token, db):
    rows = [dict(GOOD[0]), {**GOOD[1], "colour": "red"}]
    r = client.post("/api/v1/clients/batch", json={"clients": rows}, headers=bearer(admin_token))
    assert r.status_code == 422
    assert {(e["row"], e["field"]) for e in r.get_json()["errors"]} == {(1, "colour")}
    assert db.scalar(select(func.count()).select_from(Client)) == 0


def test_interviewer_token_cannot_read_estimates_or_responses(app, client, runner):
    with app.app_context(), session_scope(app) as s:
        wave_id = quality_wave(s, "2026-Q4", dt.date(2026, 10, 1)).id
    token = make_token(runner, "iv", "interviewer")
    for url in (f"/api/v1/waves/{wave_id}/estimates", "/api/v1/responses"):
        r = client.get(url, headers=bearer(token))
        assert r.status_code == 403 and r.mimetype == "application/problem+json", url
        assert r.get_json()["title"]
    assert client.get("/api/v1/waves", headers=bearer(token)).status_code == 200


def test_revoked_token_gets_401_and_tokens_are_stored_hashed(app, client, runner, db):
    token = make_token(runner, "bi", "quality")
    assert client.get("/api/v1/responses", headers=bearer(token)).status_code == 200
    stored = db.execute(text("SELECT * FROM api_tokens")).mappings().all()
    assert len(stored) == 1 and all(token not in str(v) for v in stored[0].values())
    assert len(token) >= 4 + 43  # 32 random bytes: 256 bits
    from survey.services.api_tokens import revoke_token
    with app.app_context(), session_scope(app) as s:
        revoke_token(s, stored[0]["id"], actor="test")
    r = client.get("/api/v1/responses", headers=bearer(token))
    assert r.status_code == 401 and r.mimetype == "application/problem+json"
    assert "invalid_token" in r.headers["WWW-Authenticate"]
    assert client.get("/api/v1/responses").status_code == 401
    assert client.get("/api/v1/responses", headers=bearer("svy_not-a-token")).status_code == 401


def test_retried_create_with_same_idempotency_key_returns_first_result(app, client, runner, db):
    with app.app_context(), session_scope(app) as s:
        make_client(s, client_no="C100", branch_code="BJ01")
    token = make_token(runner, "hotline", "supervisor")
    body = {"client_no": "C100", "topic": "fees", "channel": "phone", "summary": "扣费有误"}
    first = client.post("/api/v1/cases", json=body, headers=bearer(token, **{"Idempotency-Key": "k-1"}))
    assert first.status_code == 201, first.get_data(as_text=True)
    again = client.post("/api/v1/cases", json=body, headers=bearer(token, **{"Idempotency-Key": "k-1"}))
    assert again.status_code == 201 and again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    db.rollback()
    assert db.scalar(select(func.count()).select_from(FollowUpCase)) == 1
    events = db.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "followup_case")).all()
    assert events == ["case.opened"]
    other = client.post("/api/v1/cases", json={**body, "topic": "service"},
                        headers=bearer(token, **{"Idempotency-Key": "k-1"}))
    assert other.status_code == 422 and other.mimetype == "application/problem+json"
    db.rollback()
    assert db.scalar(select(func.count()).select_from(FollowUpCase)) == 1
    assert db.scalar(select(func.count()).select_from(ApiIdempotencyKey)) == 1


def test_case_moves_through_its_steps_with_required_fields(app, client, runner, db):
    with app.app_context(), session_scope(app) as s:
        make_client(s, client_no="C200", branch_code="BJ01")
        from tests.factories import make_user
        owner_id = make_user(s, "supervisor", username="owner1").id
    token = make_token(runner, "hotline", "supervisor")
    case = client.post("/api/v1/cases", json={"client_no": "C200", "topic": "service", "summary": "排队太久"},
                       headers=bearer(token)).get_json()
    url = f"/api/v1/cases/{case['id']}/steps"
    missing = client.post(url, json={"step": "accepted"}, headers=bearer(token))
    assert missing.status_code == 422 and missing.get_json()["errors"][0]["field"] == "owner_id"
    skipped = client.post(url, json={"step": "handled", "actions": "x"}, headers=bearer(token))
    assert skipped.status_code == 409
    moved = client.post(url, json={"step": "accepted", "owner_id": owner_id}, headers=bearer(token))
    assert moved.status_code == 200 and moved.get_json()["step"] == "accepted"
    assert moved.get_json()["steps"]["accepted"]["by_name"] == "api:hotline"


def test_etag_gives_304_and_cursor_paging_walks_every_row_once(app, client, runner):
    with app.app_context(), session_scope(app) as s:
        wave = quality_wave(s, "2026-Q4", dt.date(2026, 10, 1))
        ids = make_clients(s, "gold", 23)
        record_draw(s, wave, {"gold": 1000})
        add_cases(s, wave, ids, "gold", answers=scores({4: 12, 5: 11}))
    token = make_token(runner, "bi", "quality")
    first = client.get("/api/v1/responses?limit=5", headers=bearer(token))
    etag = first.headers["ETag"]
    again = client.get("/api/v1/responses?limit=5", headers=bearer(token, **{"If-None-Match": etag}))
    assert again.status_code == 304 and again.headers["ETag"] == etag and not again.data
    seen, cursor, pages = [], None, 0
    while True:
        page = client.get("/api/v1/responses", query_string={"limit": 5, **({"cursor": cursor} if cursor else {})},
                          headers=bearer(token)).get_json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 5 and len(seen) == 23 and len(set(seen)) == 23 and seen == sorted(seen)
    bad = client.get("/api/v1/responses?cursor=forged", headers=bearer(token))
    assert bad.status_code == 400 and bad.mimetype == "application/problem+json"


def test_branch_head_token_sees_only_its_branch(app, client, runner):
    with app.app_context(), session_scope(app) as s:
        wave = quality_wave(s, "2026-Q4", dt.date(2026, 10, 1))
        record_draw(s, wave, {"gold": 1000})
        add_cases(s, wave, make_clients(s, "gold", 3, branch="BJ01"), "gold", answers=scores({4: 3}))
        add_cases(s, wave, make_clients(s, "gold", 2, branch="SH01"), "gold", answers=scores({5: 2}))
    token = make_token(runner, "bj", "branch_head", branch="BJ01")
    items = client.get("/api/v1/responses", headers=bearer(token)).get_json()["items"]
    assert len(items) == 3 and {i["branch"] for i in items} == {"BJ01"}
    est = client.get(f"/api/v1/waves/{wave.id}/estimates?branch=SH01", headers=bearer(token)).get_json()
    assert est["filters"]["branch"] == "BJ01"


def test_rate_limit_answers_429_with_retry_after(app, client, runner):
    app.config["API_RATE_LIMIT"] = 3
    token = make_token(runner, "busy", "admin")
    codes = [client.get("/api/v1/waves", headers=bearer(token)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = client.get("/api/v1/waves", headers=bearer(token))
    assert r.mimetype == "application/problem+json" and int(r.headers["Retry-After"]) >= 1


def test_odd_input_gets_problem_details_and_no_cookie(client, admin_token):
    cases = [
        ("POST", "/api/v1/clients/batch", {"data": "{not json", "content_type": "application/json"}, 400),
        ("POST", "/api/v1/clients/batch", {"data": '{"clients": [NaN]}', "content_type": "application/json"}, 400),
        ("POST", "/api/v1/clients/batch", {"data": "clients=1", "content_type": "text/plain"}, 415),
        ("POST", "/api/v1/clients/batch", {"json": [1, 2]}, 422),
        ("GET", "/api/v1/waves?limit=0", {}, 400),
        ("GET", "/api/v1/waves/99999", {}, 404),
        ("DELETE", "/api/v1/waves", {}, 405),
        ("GET", "/api/v1/nothing-here", {}, 404),
        ("GET", "/api/v1/responses?since=0001-01-01T00:00:00%2B05:00", {}, 400),
    ]
    for method, url, kw, status in cases:
        r = client.open(url, method=method, headers=bearer(admin_token), **kw)
        assert (r.status_code, r.mimetype) == (status, "application/problem+json"), (url, r.get_data(as_text=True))
        assert r.get_json()["status"] == status
        assert "Set-Cookie" not in r.headers
    assert "Set-Cookie" not in client.get("/api/v1/waves?lang=en", headers=bearer(admin_token)).headers


def test_admin_page_creates_shows_once_and_revokes(app, client, as_role, db):
    as_role("admin")
    page = client.post("/admin/api-tokens", data={"name": "crm-page", "role": "quality"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    secret = html.split('id="secret" type="text" value="')[1].split('"')[0]
    assert secret.startswith("svy_")
    assert secret not in client.get("/admin/api-tokens").get_data(as_text=True)
    api = app.test_client()
    assert api.get("/api/v1/responses", headers=bearer(secret)).status_code == 200
    token_id = db.execute(text("SELECT id FROM api_tokens WHERE name = 'crm-page'")).scalar()
    assert client.post(f"/admin/api-tokens/{token_id}/revoke").status_code == 303
    assert api.get("/api/v1/responses", headers=bearer(secret)).status_code == 401
    db.rollback()
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "api_token")).all()
    assert sorted(actions) == ["api_token.created", "api_token.revoked"]


def test_if_match_refuses_a_step_on_a_case_changed_since_read(app, client, runner):
    with app.app_context(), session_scope(app) as s:
        make_client(s, client_no="C300", branch_code="BJ01")
        from tests.factories import make_user
        owner_id = make_user(s, "supervisor", username="owner3").id
    token = make_token(runner, "hotline", "supervisor")
    case_id = client.post("/api/v1/cases", json={"client_no": "C300", "topic": "fees", "summary": "x"},
                          headers=bearer(token)).get_json()["id"]
    etag = client.get(f"/api/v1/cases/{case_id}", headers=bearer(token)).headers["ETag"]
    step = {"step": "accepted", "owner_id": owner_id}
    ok = client.post(f"/api/v1/cases/{case_id}/steps", json=step, headers=bearer(token, **{"If-Match": etag}))
    assert ok.status_code == 200
    stale = client.post(f"/api/v1/cases/{case_id}/steps", json={"step": "analysed", "root_cause": "fees",
                                                                "analysis": "y"}, headers=bearer(token, **{"If-Match": etag}))
    assert stale.status_code == 412 and stale.mimetype == "application/problem+json"


def test_responses_since_a_time(app, client, runner):
    with app.app_context(), session_scope(app) as s:
        wave = quality_wave(s, "2026-Q4", dt.date(2026, 10, 1))
        record_draw(s, wave, {"gold": 1000})
        add_cases(s, wave, make_clients(s, "gold", 4), "gold", answers=scores({4: 4}))
    token = make_token(runner, "bi", "quality")

    def count(since):
        return len(client.get("/api/v1/responses", query_string={"since": since}, headers=bearer(token)).get_json()["items"])

    assert count("2000-01-01T00:00:00Z") == 4
    assert count("2199-01-01T00:00:00+08:00") == 0


def test_resend_mails_a_web_case_again_and_refuses_a_phone_case(app, client, runner, db):
    from survey.models import Message
    from tests.factories_fieldwork import field_case, field_wave

    with app.app_context(), session_scope(app) as s:
        wave = field_wave(s, web_enabled=True)
        web = field_case(s, wave, mode="web")
        s.get(Client, web.client_id).email = "c@example.com"
        phone = field_case(s, wave, mode="phone")
        web_id, phone_id = web.id, phone.id
    token = make_token(runner, "ops", "supervisor")
    r = client.post(f"/api/v1/invitations/{web_id}/resend", json={}, headers=bearer(token))
    assert r.status_code == 200 and r.get_json()["sent"] is True, r.get_data(as_text=True)
    assert client.post(f"/api/v1/invitations/{phone_id}/resend", json={}, headers=bearer(token)).status_code == 409
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Message).where(Message.invitation_id == web_id)) == 1


def test_api_needs_no_csrf_token(csrf_app, runner):
    with csrf_app.app_context(), session_scope(csrf_app) as s:
        make_client(s, client_no="C400", branch_code="BJ01")
    token = make_token(runner, "hotline", "supervisor")
    r = csrf_app.test_client().post("/api/v1/cases", json={"client_no": "C400", "topic": "fees", "summary": "x"},
                                    headers=bearer(token))
    assert r.status_code == 201
