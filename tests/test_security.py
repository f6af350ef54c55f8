"""Every staff URL needs login and the right role; every POST needs a CSRF token."""

import re

import pytest

from survey.security import mask_phone

PUBLIC_ENDPOINTS = {"static", "index", "healthz", "auth.login", "auth.logout", "public.survey_form", "public.thanks",
                    "api.openapi", "api.docs"}
PUBLIC_PREFIXES = ("public.",)
# the SMS gateway's webhooks use no cookies: each call is signed instead of carrying a CSRF token
SIGNED_ENDPOINTS = {"hooks.sms_receipt", "hooks.sms_inbound"}


def concrete(rule) -> str:
    url = rule.rule
    for arg in rule.arguments:
        url = re.sub(rf"<(?:[^:<>]+:)?{arg}>", "1", url)
    return url


def staff_rules(app):
    return [r for r in app.url_map.iter_rules()
            if r.endpoint not in PUBLIC_ENDPOINTS and not r.endpoint.startswith(PUBLIC_PREFIXES)]


def test_there_are_staff_rules_to_check(app):
    endpoints = {r.endpoint.split(".")[0] for r in staff_rules(app)}
    assert {"staff", "quality", "admin"} <= endpoints


def test_every_staff_url_without_login_redirects_to_login(app, client):
    for rule in staff_rules(app):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            r = client.open(concrete(rule), method=method)
            assert r.status_code in (302, 401, 403), (rule.rule, method, r.status_code)
            if r.status_code == 302:
                assert "/login" in r.headers["Location"], (rule.rule, r.headers["Location"])


def test_every_post_without_csrf_token_is_refused(csrf_app):
    client = csrf_app.test_client()
    posts = [r for r in csrf_app.url_map.iter_rules() if "POST" in r.methods]
    assert len(posts) >= 4
    for rule in posts:
        r = client.post(concrete(rule), data={"anything": "1"})
        if rule.endpoint in SIGNED_ENDPOINTS:  # refused for want of a signature (403 while no secret is set)
            assert r.status_code in (401, 403), (rule.rule, r.status_code)
            csrf_app.config["SMS_WEBHOOK_SECRET"] = "s3cret"
            assert client.post(concrete(rule), data={"anything": "1"}).status_code == 401
            csrf_app.config["SMS_WEBHOOK_SECRET"] = None
        else:
            # the JSON API takes no cookie, only a bearer token (so no CSRF token): without one it is a 401
            assert r.status_code == (401 if rule.endpoint.startswith("api.") else 400), (rule.rule, r.status_code)


def test_login_with_csrf_token_works_and_wrong_password_does_not(csrf_app, db):
    from tests.factories import make_user

    make_user(db, "admin", username="boss")
    db.commit()
    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    bad = client.post("/login", data={"username": "boss", "password": "nope-nope", "csrf_token": token})
    assert bad.status_code == 401
    good = client.post("/login", data={"username": "boss", "password": "password-123", "csrf_token": token})
    assert good.status_code == 302 and good.headers["Location"].endswith("/staff/")


@pytest.mark.parametrize("role,url,expected", [
    ("interviewer", "/admin/", 403),
    ("interviewer", "/staff/waves/new", 403),
    ("interviewer", "/staff/", 200),
    ("quality", "/staff/", 403),
    ("quality", "/quality/", 200),
    ("supervisor", "/admin/import", 403),
    ("supervisor", "/staff/waves/new", 200),
    ("admin", "/admin/import", 200),
])
def test_roles(as_role, client, role, url, expected):
    as_role(role)
    assert client.get(url).status_code == expected


def test_open_redirect_after_login_is_ignored(client, db):
    from tests.factories import make_user

    make_user(db, "admin", username="boss2")
    db.commit()
    r = client.post("/login?next=https://evil.example/", data={"username": "boss2", "password": "password-123"})
    assert r.headers["Location"] == "/staff/"


def test_phone_masking():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("010-12345678") == "010*****5678"
    assert mask_phone("") == ""
    assert "12345678" not in mask_phone("13812345678")
