"""Odd input gets a clear answer, never a 500 (issue 11): ids past 64 bits, non-ASCII digits, dates out of
1900-2100, NUL bytes and over-long text on the public form."""

from __future__ import annotations

import pytest

from survey.form_values import ascii_int, iso_date, iso_datetime
from survey.services.responses import is_score
from tests.factories import full_answers, make_invitation, make_wave


@pytest.mark.parametrize("raw,expected", [
    ("12", 12), ("²", None), ("１２", None), ("٣", None), ("9" * 5000, None), ("9223372036854775807", 2**63 - 1),
    ("9223372036854775808", None), ("-1", None), ("", None), (" 7 ", 7), ("1e3", None), ("\x00", None),
])
def test_ascii_int(raw, expected):
    assert ascii_int(raw) == expected


def test_dates_outside_1900_to_2100_are_refused():
    assert iso_date("0001-01-01") is None and iso_date("2101-01-01") is None and iso_date("1899-12-31") is None
    assert iso_date("1900-01-01").year == 1900 and iso_date("2100-12-31").year == 2100
    assert iso_datetime("0001-01-01T00:00") is None and iso_datetime("２０２６-01-01T00:00") is None


def test_scores_are_ascii_digits_on_the_scale():
    assert is_score("5", 1, 5) and not is_score("²", 1, 5) and not is_score("５", 1, 5)
    assert not is_score("9" * 5000, 0, 10) and not is_score("0", 1, 5)


def test_ids_beyond_64_bits_are_404(as_role, client):
    as_role("admin")
    for url in ("/staff/waves/99999999999999999999999", "/staff/waves/9223372036854775808",
                "/cases/18446744073709551616", "/staff/fieldwork/cases/９"):
        assert client.get(url).status_code == 404, url
    assert client.get("/staff/waves/9223372036854775807").status_code == 404  # in range, no such wave


def test_wave_dates_out_of_range_are_a_problem_on_the_form(as_role, client):
    as_role("supervisor")
    r = client.post("/staff/waves/new", data={"name": "W", "period_start": "0001-01-01", "period_end": "2026-12-31"})
    assert r.status_code == 422 and "1900" in r.get_data(as_text=True)


@pytest.mark.parametrize("field,value", [
    ("q_overall", "²"), ("q_recommend", "²"), ("q_overall", "9" * 5000), ("q_recommend", "１０"),
    ("q_comment", "bad\x00byte"), ("q_comment", "x" * 2001),
])
def test_public_form_odd_values_are_problems_not_500(db, client, field, value):
    wave = make_wave(db)
    _inv, token = make_invitation(db, wave)
    db.commit()
    answers = {**full_answers(wave), field: value}
    r = client.post(f"/s/{token}", data=answers)
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "aria-invalid" in page or 'class="error"' in page or "problem" in page


def test_public_form_shows_the_length_limit(db, client):
    wave = make_wave(db)
    _inv, token = make_invitation(db, wave)
    db.commit()
    page = client.get(f"/s/{token}?lang=en").get_data(as_text=True)
    assert 'maxlength="2000"' in page and "Up to 2000 characters." in page


def test_nul_in_a_login_name_is_a_plain_refusal(client):
    assert client.post("/login", data={"username": "ad\x00min", "password": "x" * 12}).status_code == 401


def test_query_keys_never_break_the_language_links(client, as_role):
    assert client.get("/login?_external=1&_scheme=ftp&_anchor=x&lang=en").status_code == 200
    as_role("admin")
    assert client.get("/cases/reports/%C2%B2.csv?name=%C2%B2").status_code == 404
