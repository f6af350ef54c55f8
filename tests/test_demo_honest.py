"""The demo tells the truth (issue 10, item 9), checked on the demo built by the product's own code:

- the links it prints are open (unanswered, unexpired) and show the questionnaire;
- the fieldwork dashboard's rows add up: every phone or visit complete was tried and carries the
  interviewer who took it, web completes count as web (their own row), none is "not yet assigned";
- response rates by interviewer are defined for every interviewer of a past wave;
- past waves carry contact dates, so the wave in field's draw left recently contacted clients out.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from survey.models import ContactAttempt, Draw, Invitation, Response, Wave, utcnow
from survey.services import invitations
from survey.services.fieldwork.queue import FIELD_MODES
from survey.services.quality.rates import NONE_LABEL, response_report
from tests.test_demo_support import build_demo, num_cells

FIELDS = ("sampled", "assigned", "attempted", "completed", "partial", "refused", "non_contact", "remaining")


@pytest.fixture(scope="module")
def demo(database_url, tmp_path_factory):
    yield from build_demo(database_url, tmp_path_factory)


def test_printed_links_are_open_and_show_the_questionnaire(demo):
    assert len(demo.result.links) == 6
    s = demo.session()
    for token in demo.result.links:
        state = invitations.lookup(s, token)
        assert state.status == "ok", state.status
        assert state.invitation.used_at is None and state.invitation.expires_at > utcnow() + dt.timedelta(days=7)
        assert state.invitation.wave.status == "in_field"
    s.close()
    client = demo.app.test_client()
    for token in demo.result.links:
        page = client.get(f"/s/{token}?lang=en")
        assert page.status_code == 200
        assert 'name="q_overall"' in page.get_data(as_text=True)


def test_every_field_complete_was_tried_and_carries_its_interviewer(demo):
    s = demo.session()
    rows = s.execute(
        select(Invitation.id, Invitation.mode, Invitation.attempts, Response.mode, Response.interviewer_id)
        .join(Response, Response.invitation_id == Invitation.id).where(Invitation.kind == "sample")
    ).all()
    field = [r for r in rows if r[1] in FIELD_MODES]
    web = [r for r in rows if r[1] == "web"]
    assert field and web
    for inv_id, mode, attempts, resp_mode, interviewer in field:
        took = s.scalar(select(ContactAttempt.interviewer_id).where(
            ContactAttempt.invitation_id == inv_id, ContactAttempt.outcome.in_(("1.1", "1.2"))))
        assert attempts > 0 and resp_mode == mode and interviewer is not None and interviewer == took, inv_id
    assert all(r[3] == "web" and r[4] is None for r in web)
    s.close()


def test_dashboard_rows_add_up_and_web_completes_count_as_web(demo):
    s = demo.session()
    wave = s.scalar(select(Wave).where(Wave.status == "in_field"))
    web_done = s.scalar(select(func.count()).select_from(Response).join(Invitation).where(
        Invitation.wave_id == wave.id, Invitation.mode == "web", Invitation.kind == "sample"))
    wave_id = wave.id
    s.close()
    html = demo.client("supervisor").get(f"/staff/fieldwork/waves/{wave_id}").get_data(as_text=True)
    total = dict(zip(FIELDS, map(int, num_cells(html, "total")), strict=False))
    ids = [row for row in __import__("re").findall(r'<tr id="(interviewer-[^"]+)">', html)]
    assert "interviewer-web" in ids
    rows = {r: dict(zip(FIELDS, map(int, num_cells(html, r)), strict=False)) for r in ids}
    for name in FIELDS:
        assert sum(row[name] for row in rows.values()) == total[name], name
    assert rows["interviewer-web"]["completed"] == web_done > 0
    assert rows["interviewer-web"]["assigned"] == 0
    unassigned = rows.get("interviewer-none", dict.fromkeys(FIELDS, 0))
    assert unassigned["completed"] == 0 and unassigned["attempted"] == 0
    people = [r for k, r in rows.items() if k not in ("interviewer-web", "interviewer-none")]
    assert sum(r["completed"] for r in people) > 0
    assert all(r["completed"] <= r["attempted"] for r in people)


def test_response_rates_by_interviewer_are_defined_for_past_waves(demo):
    s = demo.session()
    for wave in s.scalars(select(Wave).where(Wave.status == "closed")):
        report = response_report(s, wave, by="interviewer")
        named = [row for row in report.rows[1:] if row.key != NONE_LABEL]
        assert len(named) == 3, [row.key for row in report.rows]  # the demo's three interviewers
        for row in named:
            assert row.counts["I"] > 0 and 0 < row.rates["RR1"] < 1, (wave.name, row.key, row.counts)
        web_cases = s.scalar(select(func.count()).where(Invitation.wave_id == wave.id, Invitation.kind == "sample",
                                                        Invitation.mode == "web"))
        nobody = [row for row in report.rows[1:] if row.key == NONE_LABEL]
        assert (nobody[0].cases if nobody else 0) == web_cases  # only web links have no interviewer
    s.close()


def test_past_waves_carry_contact_dates_and_the_cool_off_rule_takes_effect(demo):
    s = demo.session()
    current = s.scalar(select(Wave).where(Wave.status == "in_field"))
    for wave in s.scalars(select(Wave).where(Wave.status == "closed")):
        field_cases = s.scalar(select(func.count()).where(
            Invitation.wave_id == wave.id, Invitation.mode.in_(FIELD_MODES)))
        tried = s.scalar(select(func.count(func.distinct(ContactAttempt.invitation_id))).join(Invitation).where(
            Invitation.wave_id == wave.id))
        assert tried == field_cases > 0, wave.name
        first, last = s.execute(select(func.min(ContactAttempt.at), func.max(ContactAttempt.at)).join(Invitation)
                                .where(Invitation.wave_id == wave.id)).one()
        assert wave.period_start <= first.date() and last.date() <= wave.period_end, wave.name
    draw = s.scalar(select(Draw).where(Draw.wave_id == current.id))
    cut = dt.datetime.fromisoformat(draw.exclusions["cool_off_since"])
    cooled = sum(by_rule["cool_off"] for by_rule in draw.exclusions["by_tier"].values())
    assert cooled > 0
    sampled = select(Invitation.client_id).where(Invitation.wave_id == current.id)
    recent = s.scalar(select(func.count()).select_from(ContactAttempt).join(Invitation).where(
        Invitation.client_id.in_(sampled), Invitation.wave_id != current.id, ContactAttempt.at >= cut))
    assert recent == 0  # nobody contacted within the cool-off period was drawn again
    s.close()
