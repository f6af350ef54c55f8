"""The survey form's database work: one lookup, cached questions, one executemany for the answers,
triggers checked without reading answers back, and on SQLite the write lock taken at the first write.

The statements are recorded on the app's engine while the test client GETs and POSTs a link.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

from sqlalchemy import event, func, select

from survey.models import Answer, FollowUpCase, Response
from survey.services import questionnaires
from survey.staff import fieldwork_routes
from tests.conftest import is_postgres
from tests.factories import full_answers, make_invitation
from tests.factories_fieldwork import field_case, field_wave


@contextmanager
def statements(app):
    """(SQL, executemany?) of every statement the engine sends, BEGIN included."""
    engine = app.extensions["survey.engine"]
    seen: list[tuple[str, bool]] = []

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        seen.append((" ".join(statement.split()), executemany))

    def on_begin(conn):
        seen.append(("BEGIN (SQLAlchemy)", False))

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "begin", on_begin)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "begin", on_begin)


def _sql(seen):
    return [s for s, _many in seen if not s.startswith("BEGIN (SQLAlchemy)")]


def test_the_form_reads_the_link_in_one_query_and_its_questions_from_the_cache(app, client, db):
    inv, token = make_invitation(db)
    db.commit()
    client.get(f"/s/{token}")  # the first view of a questionnaire version reads it once
    with statements(app) as seen:
        page = client.get(f"/s/{token}")
    assert page.status_code == 200 and "q_overall" in page.get_data(as_text=True)
    queries = [s for s in _sql(seen) if s.upper().startswith("SELECT")]
    assert len(queries) == 1 and "token_hash" in queries[0], queries
    assert not any(re.search(r"\bFROM questions\b", s) for s in _sql(seen))


def test_a_submission_writes_answers_in_one_executemany_and_reads_nothing_back(app, client, db):
    inv, token = make_invitation(db)
    db.commit()
    n_questions = len(questionnaires.form_of_questionnaire(inv.wave.questionnaire).questions)
    client.get(f"/s/{token}")
    with statements(app) as seen:
        response = client.post(f"/s/{token}", data=full_answers(inv.wave))
    assert response.status_code == 302
    sql = _sql(seen)
    answer_inserts = [(s, many) for s, many in seen if s.startswith("INSERT INTO answers")]
    assert answer_inserts == [(answer_inserts[0][0], True)]
    first_write = next(i for i, s in enumerate(sql) if s.startswith(("UPDATE", "INSERT")))
    assert not any(s.startswith("SELECT") for s in sql[first_write:]), sql[first_write:]  # no trigger read-back
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Answer)) == n_questions
    assert db.scalar(select(func.count()).select_from(FollowUpCase)) == 0


def test_a_low_score_still_opens_a_case_with_the_comment(client, db):
    inv, token = make_invitation(db)
    db.commit()
    client.post(f"/s/{token}", data=full_answers(inv.wave, overall="1", comment="排队太久"))
    db.rollback()
    case = db.scalar(select(FollowUpCase))
    response = db.scalar(select(Response))
    assert (case.client_id, case.response_id, case.summary) == (inv.client_id, response.id, "排队太久")


def test_on_sqlite_the_write_lock_is_taken_after_the_reads(app, client, db):
    inv, token = make_invitation(db)
    db.commit()
    with statements(app) as seen:
        client.post(f"/s/{token}", data=full_answers(inv.wave))
    sql = _sql(seen)
    lookup = next(i for i, s in enumerate(sql) if "token_hash" in s)
    claim = next(i for i, s in enumerate(sql) if s.startswith("UPDATE invitations"))
    if is_postgres():
        assert lookup < claim
        return
    begins = [i for i, s in enumerate(sql) if s.startswith("BEGIN")]
    immediate = [i for i in begins if sql[i] == "BEGIN IMMEDIATE"]
    assert sql[begins[0]] == "BEGIN" and begins[0] < lookup  # the reads: a deferred transaction
    assert len(immediate) == 1 and lookup < immediate[0] < claim  # the lock: right before the first write
    assert not any(s.startswith("SELECT") for s in sql[immediate[0]:claim])


def test_the_open_cases_list_comes_in_pages(app, client, db, as_role, monkeypatch):
    monkeypatch.setattr(fieldwork_routes, "CASES_PER_PAGE", 2)
    wave = field_wave(db)
    cases = [field_case(db, wave) for _ in range(3)]
    db.commit()
    as_role("supervisor")
    url = f"/staff/fieldwork/waves/{wave.id}/cases?show=all&lang=en"

    def listed(page_url):
        html = client.get(page_url).get_data(as_text=True)
        return [int(i) for i in re.findall(r'name="ids" value="(\d+)"', html)], html

    first, html = listed(url)
    assert len(first) == 2 and "3 open case(s)" in html and 'rel="next"' in html and 'rel="prev"' not in html
    second, html = listed(url + "&page=2")
    assert len(second) == 1 and 'rel="prev"' in html and 'rel="next"' not in html
    assert sorted(first + second) == sorted(c.id for c in cases)
    assert listed(url + "&page=abc")[0] == first and listed(url + "&page=99")[0] == second


def test_a_blank_forms_questions_are_rendered_once_and_equal_the_full_render(app, client, db):
    """The questions of a blank form come from the version's kept HTML, byte for byte what the template gives."""
    from flask import render_template

    from survey.public import blank as blank_module
    from survey.services.invitations import lookup

    inv, token = make_invitation(db)
    db.commit()
    calls = []
    real = blank_module.render_template
    blank_module.render_template = lambda *a, **kw: calls.append(a[0]) or real(*a, **kw)
    try:
        for lang in ("zh_CN", "en", "zh_CN", "en"):
            assert client.get(f"/s/{token}?lang={lang}").status_code == 200
    finally:
        blank_module.render_template = real
    assert calls == ["public/_questions.html"] * 2  # once per language, then kept with the version

    link = lookup(db, token).invitation
    questions = link.wave.questionnaire.questions
    for lang in ("zh_CN", "en"):
        with app.test_request_context(f"/s/{token}?lang={lang}"):
            kw = dict(wave=link.wave, questions=questions, values={}, problems={}, interview=False, action="/s/x")
            kept = blank_module.blank_questions(link.wave.questionnaire, questions, lang)
            full = render_template("public/form.html", **kw, blank_questions=None)
            pasted = render_template("public/form.html", **kw, blank_questions=kept)
        assert full == pasted and "q_overall" in full


def test_answers_and_problems_are_never_served_from_the_kept_blank_form(app, client, db):
    inv, token = make_invitation(db)
    db.commit()
    first = client.get(f"/s/{token}?lang=en").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', first).group(1)
    page = client.post(f"/s/{token}?lang=en", data={"csrf_token": csrf, "q_courtesy": "4"})
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert re.search(r'name="q_courtesy" value="4" checked', html)
    assert 'aria-invalid="true"' in html and 'id="q_overall-error"' in html
    again = client.get(f"/s/{token}?lang=en").get_data(as_text=True)
    assert "checked" not in again and "aria-invalid" not in again
