"""Output hardening (issue 11): security headers on every response, formula-free exports, plain-text
chart labels, CR/LF in names, and request bodies refused by size before they are read."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile

import pytest
from openpyxl import load_workbook

from survey.response_headers import TOKEN_ENDPOINTS
from survey.services.followup.reports import Table, to_csv
from survey.services.spreadsheet import neutral
from tests.factories_quality import add_cases, make_clients, quality_wave, record_draw, scores
from tests.test_security import concrete


def check_headers(response, endpoint: str, where: str) -> None:
    h = response.headers
    csp = h.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, where
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0], where
    assert "style-src 'self';" in csp, where  # no inline style either (the charts use presentation attributes)
    assert h.get("X-Content-Type-Options") == "nosniff", where
    assert h.get("X-Frame-Options") == "DENY", where
    if endpoint != "static":
        assert h.get("Cache-Control") == "no-store", where
    if endpoint in TOKEN_ENDPOINTS:
        assert h.get("Referrer-Policy") == "no-referrer", where
    else:
        assert h.get("Referrer-Policy") in ("no-referrer", "same-origin"), where


def test_every_url_answers_with_the_security_headers(app, client, as_role):
    rules = list(app.url_map.iter_rules())
    seen = set()
    for who in (None, "admin"):
        if who:
            as_role(who)
        for rule in rules:
            url = concrete(rule).replace("<path:filename>", "app.css")
            if rule.endpoint == "static":
                url = "/static/app.css"
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                r = client.open(url, method=method, data={})
                check_headers(r, rule.endpoint, f"{method} {url} as {who}: {r.status_code}")
                r.close()
                seen.add(rule.endpoint)
    # error pages too (404 outside the map, 413 over the body limit)
    check_headers(client.get("/no/such/page"), "", "404")
    check_headers(client.post("/login", data={"x": "y" * 400_000}), "auth.login", "413")
    assert seen == {r.endpoint for r in rules}


def test_templates_have_no_inline_script_or_event_handlers():
    from survey import TEMPLATES

    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
        assert not re.search(r"\son[a-z]+\s*=", text), path


def test_token_pages_send_no_referrer_and_are_not_cached(client):
    r = client.get("/s/not-a-real-token")
    assert r.headers["Referrer-Policy"] == "no-referrer" and r.headers["Cache-Control"] == "no-store"


@pytest.fixture
def formula_wave(db):
    wave = quality_wave(db, "W\r\n=cmd|' /C calc'!A0", dt.date(2026, 7, 1))
    record_draw(db, wave, {"gold": 100})
    add_cases(db, wave, make_clients(db, "gold", 3, branch="=1+2", manager="@SUM(A1)"), "gold",
              answers=scores({4: 2}), dispositions=[None])
    db.commit()
    return wave


def test_csv_export_cells_never_start_a_formula(formula_wave, client, as_role):
    as_role("quality")
    r = client.get(f"/quality/export/csv?wave={formula_wave.id}")
    assert r.status_code == 200
    assert "\r" not in r.headers["Content-Disposition"] and "\n" not in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert {row["branch"] for row in rows} == {"'=1+2"}
    assert {row["manager"] for row in rows} == {"'@SUM(A1)"}
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "@", "\t", "\r")), value


def test_xlsx_export_holds_no_formula(formula_wave, client, as_role):
    as_role("quality")
    r = client.get(f"/quality/export/xlsx?wave={formula_wave.id}")
    assert r.status_code == 200
    with zipfile.ZipFile(io.BytesIO(r.data)) as z:
        for name in z.namelist():
            assert "<f>" not in z.read(name).decode("utf-8", "replace"), name
    book = load_workbook(io.BytesIO(r.data), read_only=True)
    rows = list(book["responses"].iter_rows(values_only=True))
    col = rows[0].index("branch")
    assert {row[col] for row in rows[1:]} == {"'=1+2"}
    book.close()


def test_sav_export_survives_the_names(formula_wave, client, as_role):
    as_role("quality")
    assert client.get(f"/quality/export/sav?wave={formula_wave.id}").status_code == 200


def test_followup_csv_and_neutral_rules():
    table = Table(name="t", headers=("cause", "n"), rows=[["@SUM(A1)", 3], ["=1+2", -1], ["-0.25", "+3.5%"]])
    rows = list(csv.reader(io.StringIO(to_csv(table))))
    assert rows[1] == ["'@SUM(A1)", "3"] and rows[2] == ["'=1+2", "-1"] and rows[3] == ["-0.25", "+3.5%"]
    assert neutral("\tx") == "'\tx" and neutral("\rx") == "'\rx" and neutral("-x") == "'-x" and neutral(5) == 5


def test_a_wave_named_like_mathtext_renders_trends_and_report(db, client, as_role, runner, tmp_path):
    name = r"W7 $\frac{$ math"
    first = quality_wave(db, "W6", dt.date(2026, 4, 1))
    wave = quality_wave(db, name, dt.date(2026, 7, 1))
    for w in (first, wave):
        record_draw(db, w, {"gold": 100})
        add_cases(db, w, make_clients(db, "gold", 4), "gold", answers=scores({4: 2, 3: 2}))
    db.commit()
    as_role("quality")
    page = client.get("/quality/trends?lang=en")
    assert page.status_code == 200 and "<svg" in page.get_data(as_text=True)
    assert r"W7 $\frac{$ math" in page.get_data(as_text=True)
    out = tmp_path / "report.html"
    result = runner.invoke(args=["report", name, "--out", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert r"W7 $\frac{$ math" in out.read_text(encoding="utf-8")


def test_ten_megabyte_login_post_is_refused_before_csrf_reads_it(csrf_app):
    client = csrf_app.test_client()
    body = b"username=" + b"a" * (10 * 1024 * 1024)
    r = client.post("/login", data=body, content_type="application/x-www-form-urlencoded")
    assert r.status_code == 413
    assert len(r.data) < 20_000


def test_form_body_limit_is_per_route(app, client, as_role):
    as_role("admin")
    big = "x" * (app.config["FORM_MAX_BYTES"] + 1)
    assert client.post("/admin/tiers", data={"name_zh_0": big}).status_code == 413
    # the upload route takes files up to MAX_CONTENT_LENGTH
    upload = (io.BytesIO(b"client_no,name\n" + b"x" * 300_000), "clients.csv")
    assert client.post("/admin/import", data={"file": upload}, content_type="multipart/form-data").status_code == 422
