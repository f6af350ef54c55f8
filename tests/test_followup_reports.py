"""Follow-up reports (hand-worked numbers), their CSV downloads, and the demo's cases."""

from __future__ import annotations

import csv
import datetime as dt
import io

import numpy as np
from sqlalchemy import select

from survey.models import Answer, FollowUpCase, Response
from survey.services import responses, waves
from survey.services.demo import followup as demo_followup
from survey.services.followup import reports as followup_reports
from survey.services.followup import steps as followup_steps
from survey.services.followup import winback as followup_winback
from tests.factories import full_answers, make_client, make_invitation, make_user, make_wave
from tests.test_followup_cases import STEP_FORMS, T0, make_case


def _walk(db, case, actor, hours, upto):
    """Take ``case`` through the steps up to ``upto``, spending ``hours[i]`` in each."""
    at = case.opened_at
    for step, h in zip(("accepted", "analysed", "handled", "fed_back", "closed"), hours, strict=False):
        at += dt.timedelta(hours=h)
        form = {**STEP_FORMS[step], "owner_id": str(actor.id),
                "feedback_at": (at - dt.timedelta(hours=1)).astimezone(followup_steps.LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")}
        followup_steps.advance(db, case, step, form, actor=actor, now=at)
        if step == upto:
            break
    return at


def test_reports_by_hand(db):
    sup = make_user(db, "supervisor")
    a = make_case(db, contribution=8_000_000)  # private: 24 h per step
    b = make_case(db, contribution=8_000_000)
    make_case(db, contribution=1000)           # standard: 120 h
    _walk(db, a, sup, [10, 20, 30, 5, 1], "closed")   # the analysed step (30 h) was late
    _walk(db, b, sup, [30, 10], "analysed")           # accepting (30 h) was late; now in "analysed"
    now = T0 + dt.timedelta(hours=100)

    times = {row[0]: row[1:] for row in followup_reports.step_times(db).rows}
    # recorded: a 10 h, b 30 h (c has not left it) → median 20, p90 = 10 + 0.9 × 20 = 28
    assert times["recorded"] == (2, 20.0, 28.0)
    assert times["accepted"] == (2, 15.0, 19.0)  # 20 and 10
    assert times["fed_back"] == (1, 1.0, 1.0)

    overdue = {row[0]: row[1:] for row in followup_reports.overdue_share(db, now).rows}
    # open: b (deadline T0+40+24 = 64 h < 100 h, overdue) and c (deadline 120 h, not yet)
    assert overdue["all"][:3] == (2, 1, 0.5)
    # steps taken: 5 by a (one late: analysed after 30 h) and 2 by b (one late: accepted after 30 h)
    assert overdue["all"][4:] == (7, 2, round(2 / 7, 4))
    assert overdue["private"][:3] == (1, 1, 1.0) and overdue["standard"][:3] == (1, 0, 0.0)

    causes = followup_reports.root_causes_ranked(db).rows
    assert causes == [("waiting_time", "等候时间过长", "Waiting time too long", 2, 1.0)]

    opened = followup_reports.opened_per_wave_tier(db).rows
    assert opened == [("", "private", 2, 1, 1), ("", "standard", 1, 1, 0)]
    # no win-back answer yet: the recovery rate is undefined, not 0
    assert followup_reports.recovery(db).rows[-1] == ("all", 1, 0, 0, 0, None)


def test_recovery_rate_and_csv(client, as_role, db):
    sup = make_user(db, "supervisor")
    wave = make_wave(db)
    for overall in ("5", "2"):
        case = make_case(db, contribution=8_000_000)
        case.wave_id = wave.id
        at = _walk(db, case, sup, [1, 1, 1, 1, 1], "closed")
        inv, _ = followup_winback.send_winback(db, case, actor=sup, now=at)
        qs = waves.questions_of(wave)
        values, _p = responses.parse_answers(qs, full_answers(wave, overall=overall))
        responses.submit(db, inv, qs, values, mode="web", now=at + dt.timedelta(hours=3))
    db.commit()
    assert followup_reports.recovery(db).rows == [("private", 2, 2, 2, 1, 0.5), ("all", 2, 2, 2, 1, 0.5)]
    as_role("quality")
    r = client.get("/cases/reports/recovery.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["tier", "closed", "winback_sent", "answered", "recovered", "recovery_rate"]
    assert rows[-1] == ["all", "2", "2", "2", "1", "0.5"]
    assert client.get("/cases/reports/nonsense.csv").status_code == 404
    page = client.get("/cases/reports?lang=en").get_data(as_text=True)
    assert "Win-back: recovery rate" in page and "50.0%" in page


def test_the_demo_shows_cases_in_every_step_some_overdue_with_timings(db):
    """demo_followup.build on a small demo-like database (the demo's users, low scores in a past wave)."""
    for username, role, branch in (("supervisor", "supervisor", "BJ01"), ("quality", "quality", None),
                                   ("branchhead", "branch_head", "BJ01"), ("admin", "admin", None)):
        make_user(db, role, username=username, branch_code=branch)
    wave = make_wave(db)
    overall = next(q for q in wave.questionnaire.questions if q.is_overall)
    now = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.UTC)
    for i in range(12):
        client = make_client(db, contribution=[8_000_000, 800_000, 80_000, 1000][i % 4])
        inv, _ = make_invitation(db, wave, client)
        resp = Response(invitation_id=inv.id, wave_id=wave.id, client_id=client.id, mode="phone",
                        submitted_at=now - dt.timedelta(days=20 + i))
        resp.answers.append(Answer(question_id=overall.id, value_num=float(1 + i % 2)))
        db.add(resp)
    db.flush()
    demo_followup.build(db, np.random.default_rng(7), now=now)
    cases = db.scalars(select(FollowUpCase)).all()
    steps = {c.step for c in cases}
    assert steps == {"recorded", "accepted", "analysed", "handled", "fed_back", "closed"}
    assert any(c.overdue for c in cases) and not all(c.overdue for c in cases if c.step != "closed")
    assert {c.channel for c in cases} >= {"survey", "phone", "regulator"}
    times = followup_reports.step_times(db).rows
    assert all(n > 0 and median > 0 and p90 >= median for _step, n, median, p90 in times)


def test_a_branch_head_sees_the_reports_of_their_own_branch_only(app, db, as_role, client):
    sup = make_user(db, "supervisor")
    ours = [make_case(db, contribution=8_000_000, branch_code="BJ01") for _ in range(2)]
    theirs = make_case(db, contribution=1000, branch_code="SH01")
    _walk(db, ours[0], sup, [10, 20, 30], "handled")
    _walk(db, theirs, sup, [50, 40], "analysed")
    db.commit()
    now = T0 + dt.timedelta(hours=200)
    everything = {name: followup_reports.report(db, name, now) for name in followup_reports.REPORTS}
    scoped = {name: followup_reports.report(db, name, now, "BJ01") for name in followup_reports.REPORTS}
    assert sum(r[2] for r in everything["opened"].rows) == 3 and sum(r[2] for r in scoped["opened"].rows) == 2
    assert {r[0] for r in scoped["opened"].rows} == {""} and {r[1] for r in scoped["opened"].rows} == {"private"}
    steps = {r[0]: r[1] for r in scoped["step_times"].rows}
    assert steps["recorded"] == 1 and steps["accepted"] == 1  # only ours[0]'s steps; theirs took 2 more
    assert dict((r[0], r[1]) for r in everything["step_times"].rows)["recorded"] == 2
    assert "standard" not in {r[0] for r in scoped["overdue"].rows}

    as_role("branch_head", branch_code="BJ01")
    page = client.get("/cases/reports/opened.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(page.lstrip("\ufeff"))))
    assert sum(int(r[2]) for r in rows[1:]) == 2  # the SH01 case is not in the branch head's download
