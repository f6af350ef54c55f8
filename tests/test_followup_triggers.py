"""Triggers: a low score opens exactly one case per client and topic, even under concurrency;
a further trigger joins it; a win-back answer records whether the client recovered."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from survey.models import Answer, CaseEvent, Client, FollowUpCase, Invitation, Response
from survey.services import responses, waves
from survey.services.followup import cases as followup_cases
from survey.services.followup import steps as followup_steps
from survey.services.followup import triggers as followup_triggers
from survey.services.followup import winback as followup_winback
from tests.factories import full_answers, make_client, make_invitation, make_user, make_wave
from tests.test_followup_cases import STEP_FORMS

T0 = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)


def answer(session, wave, client, *, kind="sample", now=T0, **overrides) -> Response:
    inv, _token = make_invitation(session, wave, client)
    inv.kind = kind
    questions = waves.questions_of(wave)
    values, problems = responses.parse_answers(questions, full_answers(wave, **overrides))
    assert problems == {}
    return responses.submit(session, inv, questions, values, mode="web", now=now)


def cases_of(session, client_id):
    return session.scalars(select(FollowUpCase).where(FollowUpCase.client_id == client_id)).all()


@pytest.mark.parametrize("overrides,reason", [
    ({"overall": "2"}, "overall"),
    ({"recommend": "6"}, "recommend"),
    ({"contact_request": "yes"}, "contact_request"),
])
def test_each_default_trigger_opens_a_case(db, overrides, reason):
    wave = make_wave(db)
    client = make_client(db)
    response = answer(db, wave, client, comment="柜台排队一个小时", **overrides)
    [case] = cases_of(db, client.id)
    assert (case.step, case.channel, case.topic, case.response_id, case.wave_id) == (
        "recorded", "survey", "satisfaction", response.id, wave.id)
    assert case.summary == "柜台排队一个小时"
    opened = db.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == "opened"))
    assert opened.fields["reasons"] == [reason]


def test_a_satisfied_client_opens_no_case(db):
    wave = make_wave(db)
    client = make_client(db)
    answer(db, wave, client, overall="3", recommend="7")
    assert cases_of(db, client.id) == []


def test_a_wave_can_override_the_triggers(db):
    strict = make_wave(db, settings={"triggers": {"overall_max": 3, "recommend_max": None}})
    off = make_wave(db, settings={"triggers": {"enabled": False}})
    a, b, c = make_client(db), make_client(db), make_client(db)
    answer(db, strict, a, overall="3")
    answer(db, strict, b, overall="4", recommend="0")  # NPS trigger switched off in this wave
    answer(db, off, c, overall="1", contact_request="yes")
    assert len(cases_of(db, a.id)) == 1
    assert cases_of(db, b.id) == [] and cases_of(db, c.id) == []


def test_a_second_trigger_from_the_same_client_joins_the_open_case(db):
    w1, w2 = make_wave(db), make_wave(db)
    client = make_client(db)
    first = answer(db, w1, client, overall="1")
    second = answer(db, w2, client, contact_request="yes", now=T0 + dt.timedelta(days=1))
    [case] = cases_of(db, client.id)
    assert case.response_id == first.id
    joined = db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == "joined")).all()
    assert [e.fields["response_id"] for e in joined] == [second.id]


def _run_concurrently(*jobs):
    barrier = threading.Barrier(len(jobs))
    errors = []

    def run(job):
        try:
            barrier.wait()
            job()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(j,)) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []


def test_two_concurrent_triggering_submissions_open_one_case(app, db):
    """Two requests store a triggering response for the same client (two waves) at the same moment."""
    w1, w2 = make_wave(db), make_wave(db)
    client = make_client(db)
    inv_ids = [make_invitation(db, w, client)[0].id for w in (w1, w2)]
    db.commit()
    writer = app.extensions["survey.writer_sessionmaker"]

    def submit(inv_id):
        def job():
            with writer() as s:
                inv = s.get(Invitation, inv_id)
                questions = waves.questions_of(inv.wave)
                values, _p = responses.parse_answers(questions, full_answers(inv.wave, overall="1"))
                responses.submit(s, inv, questions, values, mode="web", now=T0)
                s.commit()
        return job

    _run_concurrently(*(submit(i) for i in inv_ids))
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Response)) == 2
    [case] = cases_of(db, client.id)
    assert db.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.action == "joined")) == 1


def test_concurrent_on_response_calls_open_one_case(app, db):
    """on_response itself racing: the unique index decides and the loser joins."""
    w1, w2 = make_wave(db), make_wave(db)
    client = make_client(db)
    ids = []
    for w in (w1, w2):
        inv, _ = make_invitation(db, w, client)
        overall = next(q for q in w.questionnaire.questions if q.is_overall)
        r = Response(invitation_id=inv.id, wave_id=w.id, client_id=client.id, mode="web", submitted_at=T0)
        r.answers.append(Answer(question_id=overall.id, value_num=1.0))
        db.add(r)
        db.flush()
        ids.append(r.id)
    db.commit()
    writer = app.extensions["survey.writer_sessionmaker"]

    def trigger(response_id):
        def job():
            with writer() as s:
                followup_triggers.on_response(s, s.get(Response, response_id))
                s.commit()
        return job

    _run_concurrently(*(trigger(i) for i in ids))
    db.rollback()
    [case] = cases_of(db, client.id)
    events = db.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)).all()
    assert events == ["opened", "joined"]


def test_losing_the_race_at_the_unique_index_joins_the_winner(app, db, monkeypatch):
    """The SAVEPOINT path: the open case is not yet visible when looked for, so the insert hits the index."""
    client = make_client(db)
    winner, _ = followup_cases.open_case(db, client=client, topic="fees", channel="phone", actor="test", now=T0)
    db.commit()
    real_find = followup_cases.find_open
    calls = []

    def blind_once(session, client_id, topic):
        calls.append(topic)
        return None if len(calls) == 1 else real_find(session, client_id, topic)

    monkeypatch.setattr(followup_cases, "find_open", blind_once)
    with app.extensions["survey.writer_sessionmaker"]() as s:
        case, opened = followup_cases.open_case(s, client=s.get(Client, client.id), topic="fees", channel="letter",
                                                actor="test", now=T0)
        s.commit()
        assert not opened and case.id == winner.id and len(calls) == 2
    db.rollback()
    assert len(cases_of(db, client.id)) == 1


def test_a_winback_answer_records_recovery(app, db):
    sup = make_user(db, "supervisor")
    wave = make_wave(db)
    client = make_client(db, email="client@example.com")
    answer(db, wave, client, overall="1")
    [case] = cases_of(db, client.id)
    now = T0
    for step, form in STEP_FORMS.items():
        now += dt.timedelta(hours=5)
        followup_steps.advance(db, case, step, {**form, "owner_id": str(sup.id)}, actor=sup, now=now)
    inv, token = followup_winback.send_winback(db, case, actor=sup, now=now)
    assert (inv.kind, inv.followup_case_id, inv.wave_id) == ("winback", case.id, wave.id) and token
    assert followup_winback.email_link(db, app.config, inv, f"http://x/s/{token}", now=now)
    questions = waves.questions_of(wave)
    values, _p = responses.parse_answers(questions, full_answers(wave, overall="4", recommend="2"))
    responses.submit(db, inv, questions, values, mode="web", now=now + dt.timedelta(days=1))
    assert case.recovered is True
    assert len(cases_of(db, client.id)) == 1  # a win-back answer never opens a new case
    assert case.fields["winback"]["overall"] == 4
