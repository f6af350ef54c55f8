"""Remembered quality figures (quality.cache): the same as computed afresh, and never older than the data.

Runs on SQLite and on PostgreSQL (``SURVEY_DATABASE_URL``): the write counts come from each
database's own triggers (migration 0006).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sqlalchemy import delete, event, func, select, text, update

from survey.models import Client, Invitation, Response, StaffUser, Wave
from survey.services import responses, waves
from survey.services.quality import cache as quality_cache
from survey.services.quality import rates as quality_rates
from survey.services.quality import reports as quality_reports
from survey.services.quality import scorecards as quality_scorecards
from survey.services.quality import trends as quality_trends
from survey.services.quality.reports import Filters
from tests.factories import make_user
from tests.factories_quality import add_cases, make_clients, quality_wave, record_draw

TIERS = ("private", "gold", "standard")
SIZES = {"private": 50, "gold": 800, "standard": 6000}
PAGES = ("/quality/", "/quality/trends", "/quality/trends?measure=nps", "/quality/response",
         "/quality/response?by=interviewer", "/quality/scorecards", "/quality/scorecards?group=branch",
         "/quality/drivers")
VIEWS = (Filters(), Filters(tier="gold"), Filters(branch="SH01"), Filters(mode="phone"), Filters(weights="raked"))


@pytest.fixture
def waves3(db):
    """Two closed waves and one in the field with open cases; clients recur across waves."""
    rng = np.random.default_rng(16)
    interviewer = make_user(db, role="interviewer", employee_code="E-OLD")
    made = []
    shared = {(tier, branch): make_clients(db, tier, 12, branch=branch, manager=f"RM{b + 1:03d}")
              for tier in TIERS for b, branch in enumerate(("BJ01", "SH01"))}
    for w, (name, start) in enumerate((("2026-Q2", dt.date(2026, 4, 1)), ("2026-Q3", dt.date(2026, 7, 1)),
                                       ("2026-Q4", dt.date(2026, 10, 1)))):
        wave = quality_wave(db, name, start)
        record_draw(db, wave, SIZES)
        for k, tier in enumerate(TIERS):
            for branch in ("BJ01", "SH01"):
                answers = []
                for _ in range(6 + 2 * k):
                    overall = int(rng.integers(2, 6))
                    answers.append({"overall": overall, "recommend": min(10, 2 * overall),
                                    "courtesy": int(np.clip(overall + rng.integers(-1, 2), 1, 5)),
                                    "speed": int(rng.integers(1, 6)), "knowledge": overall})
                fresh = make_clients(db, tier, 8, branch=branch, manager="RM001" if branch == "BJ01" else "RM002")
                clients = shared[(tier, branch)][:4] + fresh + shared[(tier, branch)][4 + w:]
                add_cases(db, wave, clients, tier, answers=answers,
                          dispositions=[None, None, "2.11", "3.21"] if w == 2 else ["2.11", "2.12"],
                          mode="phone" if k < 2 else "in_person", interviewer_id=interviewer.id if k < 2 else None)
        wave.status = "in_field" if w == 2 else "closed"
        made.append(wave)
    db.commit()
    return made


def reports(session, wave: Wave, view: Filters) -> list:
    """Every remembered report of one view, as plain text (full precision; nan prints as nan)."""
    out = [quality_reports.overview(session, wave, view)]
    out += [quality_trends.trends(session, m, view) for m in quality_reports.MEASURES]
    out += [quality_rates.response_report(session, wave, by, view) for by in quality_rates.BREAKDOWNS]
    out += [quality_scorecards.scorecard_report(session, wave, g, view) for g in quality_scorecards.GROUPINGS]
    out.append(quality_scorecards.driver_report(session, wave, view))
    return [repr(r) for r in out]


def fresh(session, wave: Wave, view: Filters) -> list:
    with quality_cache.uncached():
        return reports(session, wave, view)


def pages(client, wave: Wave) -> dict[str, str]:
    sep = lambda url: "&" if "?" in url else "?"  # noqa: E731
    return {url: client.get(f"{url}{sep(url)}wave={wave.id}&format=csv&lang=en").get_data(as_text=True)
            for url in PAGES}


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: repr(v.as_args()))
def test_remembered_figures_are_the_figures_computed_afresh(db, waves3, view):
    quality_cache.clear()
    for wave in waves3:
        first = reports(db, wave, view)  # computed and remembered
        again = reports(db, wave, view)  # read back
        assert again == first == fresh(db, wave, view)


def test_a_second_view_reads_the_stamp_only(app, db, waves3):
    quality_cache.clear()
    wave = waves3[-1]
    reports(db, wave, Filters())
    seen = []
    engine = app.extensions["survey.engine"]

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        reports(db, wave, Filters())
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert any("quality_changes" in s for s in seen)
    assert not any("answers" in s.lower() or "group by" in s.lower() and "quality_changes" not in s
                   for s in seen), seen


def submit_one(db, wave: Wave, overall: int) -> Response:
    inv = db.scalars(select(Invitation).where(Invitation.wave_id == wave.id, Invitation.status == "open")
                     .order_by(Invitation.id)).first()
    values = {"overall": overall, "recommend": 2 * overall, "courtesy": overall, "speed": overall,
              "knowledge": overall}
    resp = responses.submit(db, inv, waves.questions_of(wave), values, mode="web", locale="zh_CN")
    db.commit()
    return resp


def test_pages_follow_a_response_submitted_through_the_service(client, as_role, db, waves3):
    as_role("quality")
    quality_cache.clear()
    current = waves3[-1]
    before = pages(client, current)
    assert pages(client, current) == before  # remembered
    submit_one(db, current, 1)
    after = pages(client, current)
    for url in PAGES:
        assert after[url] != before[url], url  # counts, rates, means and scorecards all move
    with quality_cache.uncached():
        assert pages(client, current) == after


def changes(db, waves3):
    """Writes of every kind the figures read, each through the ORM, Core or plain SQL."""
    closed, current = waves3[1], waves3[-1]
    yield "disposition (ORM)", lambda: setattr(
        db.scalars(select(Invitation).where(Invitation.wave_id == current.id, Invitation.status == "open")).first(),
        "disposition", "2.11")
    yield "disposition (Core)", lambda: db.execute(
        update(Invitation).where(Invitation.wave_id == closed.id, Invitation.disposition == "2.12")
        .values(disposition="3.21"))
    yield "answer changed (SQL)", lambda: db.execute(text(
        "UPDATE answers SET value_num = 1 WHERE id = (SELECT min(a.id) FROM answers a JOIN responses r"
        " ON r.id = a.response_id WHERE r.wave_id = :w AND a.value_num = 5)"), {"w": closed.id})
    yield "response removed", lambda: db.execute(delete(Response).where(
        Response.id == db.scalar(select(func.max(Response.id)).where(Response.wave_id == closed.id))))
    yield "wave closed", lambda: setattr(current, "status", "closed")
    yield "weighting setting", lambda: setattr(current, "settings", {**(current.settings or {}), "weighting": "raked"})
    yield "client moved to another manager", lambda: db.execute(
        update(Client).where(Client.id == db.scalar(select(Response.client_id).where(Response.wave_id == current.id)
                                                    .order_by(Response.id).limit(1))).values(manager_code="RM009"))
    yield "interviewer renamed", lambda: db.execute(update(StaffUser).where(StaffUser.employee_code == "E-OLD")
                                                    .values(employee_code="E-NEW"))
    yield "tier names", lambda: setattr(current.tier_scheme.tiers[0], "name_en", "Private banking (renamed)")


@pytest.mark.parametrize("what", ["disposition (ORM)", "disposition (Core)", "answer changed (SQL)", "response removed",
                                  "wave closed", "weighting setting", "client moved to another manager",
                                  "interviewer renamed", "tier names"])
def test_every_kind_of_write_gives_a_new_stamp_and_fresh_figures(db, waves3, what):
    quality_cache.clear()
    ids = [w.id for w in waves3]
    for wave in waves3:
        reports(db, wave, Filters())
    before = quality_cache.stamp(db, ids)
    dict(changes(db, waves3))[what]()
    db.commit()
    assert quality_cache.stamp(db, ids) != before
    for wave in waves3:
        assert reports(db, wave, Filters()) == fresh(db, wave, Filters())


def test_a_write_to_one_wave_leaves_the_other_waves_stamps(db, waves3):
    first, current = waves3[0], waves3[-1]
    before = quality_cache.stamps(db, [first.id, current.id])
    submit_one(db, current, 5)
    after = quality_cache.stamps(db, [first.id, current.id])
    assert after[first.id] == before[first.id]
    assert after[current.id] != before[current.id]


def test_a_new_client_gives_a_new_stamp(db, waves3):
    before = quality_cache.stamp(db, [])
    make_clients(db, "gold", 1)
    db.commit()
    assert quality_cache.stamp(db, []) != before


def test_remembered_arrays_are_read_only(db, waves3):
    data = quality_reports.load(db, [waves3[0].id], Filters())[waves3[0].id]
    with pytest.raises(ValueError):
        data.overall[0] = 1.0
    assert not any(a.flags.writeable for a in data.items.values())


def test_previous_wave_skips_waves_without_sample_respondents(db, waves3):
    quality_wave(db, "2026-Q3b", dt.date(2026, 8, 1))  # drawn later than Q3, no respondents
    db.commit()
    assert quality_reports.previous_wave(db, waves3[-1]).id == waves3[1].id
    assert quality_reports.previous_wave(db, waves3[0]) is None
