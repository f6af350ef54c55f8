"""A plan that takes more than half of a tier's frame, or goes over the wave's budget, is not drawn
without an explicit confirmation: in the service, on the plan and wave pages, and on the command line.

Hand check of the tier sizes (margin with the finite population correction, p = 0.5, z = 1.96):
±8 points in Standard, N = 2000: m = 0.9604 x 2000 / (0.0064 x 1999 + 0.9604) = 139.7 -> 140 completes.
Equal allocation gives every tier those 140 (capped at N_h), so at the expected rate 0.5 it invites
280 of the 400 clients of Gold (70 %, more than half) and all 20 of Private banking (a census), and
280 of Standard's 2000 (14 %).
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import func, select

from survey.db import session_scope
from survey.errors import PlanNeedsConfirmation
from survey.models import AuditEvent, Draw, Invitation, ReserveCase, Wave
from survey.services.samples import checks as sampling_checks
from survey.services.samples import draw as sampling_draw
from survey.services.samples import plan as sampling_plan
from survey.services.samples.plan import PlanParams
from survey.services.waves import DEFAULT_SETTINGS
from tests.factories import make_wave
from tests.factories_quality import make_clients

SIZES = {"private": 20, "gold": 400, "standard": 2000}


def _frame(s) -> Wave:
    for tier, n in SIZES.items():
        make_clients(s, tier, n)
    return make_wave(s, name="2027-Q1")


@pytest.fixture
def wave_id(app):
    with app.app_context(), session_scope(app) as s:
        return _frame(s).id


def _count(db, model) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(model))


def _checks(app, db, wave_id, params, **settings):
    wave = db.get(Wave, wave_id)
    wave.settings = {**wave.settings, **settings}
    with app.test_request_context("/?lang=en"):
        plan = sampling_plan.compute_plan(db, wave, params)
        return [(c.key, c.tier, str(c.message)) for c in sampling_checks.plan_checks(plan, wave)]


def test_checks_name_the_tier_and_the_reason(app, db, wave_id):
    assert DEFAULT_SETTINGS["budget"] is None
    got = _checks(app, db, wave_id, PlanParams(margin=0.08, method="equal"))
    assert [(k, t) for k, t, _m in got] == [("census:private", "private"), ("over_half:gold", "gold")]
    assert got[0][2] == "equal allocation with ±8 points in every tier needs a census of Private banking"
    assert got[1][2] == ("equal allocation with ±8 points in every tier invites 280 of the 400 clients of Gold, "
                         "more than half")
    got = _checks(app, db, wave_id, PlanParams(margin=0.05, method="proportional"))
    assert got == [
        ("census:private", "private", "proportional allocation with ±5 points in every tier needs a census of Private banking"),
        ("over_half:gold", "gold", "proportional allocation with ±5 points in every tier invites 394 of the 400 clients of Gold, more than half"),
        ("over_half:standard", "standard", "proportional allocation with ±5 points in every tier invites 1964 of the 2000 clients of Standard, more than half"),
    ]
    # a tier chosen to be taken whole is no surprise; a plan within half of every frame needs nothing
    assert _checks(app, db, wave_id, PlanParams(margin=0.08, take_all=("private", "gold"))) == []
    assert _checks(app, db, wave_id, PlanParams(total=15, minimum=0)) == []  # 10 of Private banking's 20: half
    assert [k for k, _t, _m in _checks(app, db, wave_id, PlanParams(total=30, minimum=0))] == ["census:private"]


def test_a_plan_over_the_budget_needs_confirmation(app, db, wave_id):
    params = PlanParams(total=15, minimum=0)
    assert _checks(app, db, wave_id, params, budget=10**9) == []
    got = _checks(app, db, wave_id, params, budget=100)
    assert [(k, t) for k, t, _m in got] == [("budget", "gold")]  # 10 visits in Gold and in Standard: the first
    assert got[0][2].startswith("the plan costs ") and "over the wave's budget of 100" in got[0][2]
    assert "the costliest tier is Gold (2,000)" in got[0][2]


def test_the_draw_is_refused_without_confirmation_and_nothing_is_written(db, wave_id):
    wave = db.get(Wave, wave_id)
    with pytest.raises(PlanNeedsConfirmation) as err:
        sampling_draw.draw_sample(db, wave, "test", seed=1, params=PlanParams(margin=0.08))
    assert [c.key for c in err.value.checks] == ["census:private", "over_half:gold"]
    db.rollback()
    assert _count(db, Draw) == 0 and _count(db, Invitation) == 0 and _count(db, ReserveCase) == 0
    wave = db.get(Wave, wave_id)
    sampling_draw.draw_sample(db, wave, "test", seed=1, params=PlanParams(margin=0.08), confirm=True)
    db.commit()
    assert _count(db, Draw) == 1
    details = db.scalar(select(AuditEvent.details).where(AuditEvent.action == "sample.drawn"))
    assert details["confirmed_checks"] == ["census:private", "over_half:gold"]


def test_a_plan_stored_with_its_checks_confirmed_is_drawn_for_that_wave_only(db, wave_id):
    wave = db.get(Wave, wave_id)
    params = PlanParams(margin=0.08)
    with pytest.raises(PlanNeedsConfirmation):
        sampling_checks.store_plan(db, wave, params, "test", confirm=False)
    assert "plan" not in wave.settings
    sampling_checks.store_plan(db, wave, params, "test", confirm=True)
    assert wave.settings["plan"]["acknowledged"] == {"wave_id": wave.id,
                                                     "keys": ["census:private", "over_half:gold"]}
    # another wave with a copy of these settings still needs its own confirmation
    copy = make_wave(db, name="2027-Q2", settings=dict(wave.settings))
    with pytest.raises(PlanNeedsConfirmation):
        sampling_draw.draw_sample(db, copy, "test", seed=2)
    # a different plan passed at the draw is not covered by the stored confirmation
    with pytest.raises(PlanNeedsConfirmation):
        sampling_draw.draw_sample(db, wave, "test", seed=2, params=PlanParams(margin=0.07))
    result = sampling_draw.draw_sample(db, wave, "test", seed=2)
    assert result.released["private"] == 20 and result.released["gold"] == 280


def _flashes(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", html))


def test_pages_show_the_census_beside_the_plan_and_refuse_the_draw_without_the_checkbox(as_role, client, db,
                                                                                         wave_id):
    as_role("supervisor")
    page = client.get(f"/staff/waves/{wave_id}/plan?lang=en&method=proportional&margin=0.05&minimum=30"
                      "&confidence=0.95&reserve_share=0.5").get_data(as_text=True)
    assert "The plan beside a census of each tier" in page
    assert ("proportional allocation with ±5 points in every tier invites 1964 of the 2000 clients of Standard, "
            "more than half") in _flashes(page)
    assert "proportional allocation with ±5 points in every tier needs a census of Private banking" in _flashes(page)
    assert 'id="confirm-plan" name="confirm"' in page
    census = re.search(r'<table id="plan-census">(.*?)</table>', page, re.S).group(1)
    gold = re.search(r"<th scope=\"row\">Gold</th>(.*?)</tr>", census, re.S).group(1)
    cells = re.findall(r'<td class="num">([^<]*)</td>', gold)
    assert cells[:3] == ["98 %", "394", "400"]  # share of the frame, invitations: plan and census

    # storing the plan without ticking the box is refused and names the tier; ticking it stores it
    form = {"method": "proportional", "margin": "0.05", "minimum": "30", "confidence": "0.95"}
    r = client.post(f"/staff/waves/{wave_id}/plan?lang=en", data=form, follow_redirects=True)
    assert "needs a census of Private banking" in _flashes(r.get_data(as_text=True))
    db.rollback()
    assert "plan" not in db.get(Wave, wave_id).settings

    # the wave page's draw form shows the default plan's checks; without the box nothing is drawn
    wave_page = client.get(f"/staff/waves/{wave_id}?lang=en").get_data(as_text=True)
    assert "equal allocation with ±5 points in every tier needs a census of Private banking" in _flashes(wave_page)
    assert 'id="confirm-plan"' in wave_page
    r = client.post(f"/staff/waves/{wave_id}/draw?lang=en", data={"seed": "3"}, follow_redirects=True)
    assert "needs a census of Private banking" in _flashes(r.get_data(as_text=True))
    assert _count(db, Draw) == 0 and _count(db, Invitation) == 0
    zh = client.post(f"/staff/waves/{wave_id}/draw?lang=zh_CN", data={"seed": "3"}, follow_redirects=True)
    assert "等量分配且每个层级误差 ±5 个百分点，需对私人银行全部客户进行普查" in _flashes(zh.get_data(as_text=True))
    r = client.post(f"/staff/waves/{wave_id}/draw", data={"seed": "3", "confirm": "1"})
    assert r.status_code == 303 and _count(db, Draw) == 1


def test_the_plan_form_stores_the_confirmation_and_the_draw_then_needs_no_box(as_role, client, db, wave_id):
    as_role("supervisor")
    form = {"method": "equal", "margin": "0.08", "minimum": "30", "confidence": "0.95", "confirm": "1"}
    assert client.post(f"/staff/waves/{wave_id}/plan", data=form).status_code == 303
    wave_page = client.get(f"/staff/waves/{wave_id}?lang=en").get_data(as_text=True)
    assert 'id="confirm-plan"' not in wave_page
    r = client.post(f"/staff/waves/{wave_id}/draw", data={"seed": "4"})
    assert r.status_code == 303 and _count(db, Draw) == 1


def test_cli_plan_shows_the_census_and_draw_needs_confirm(runner, db, wave_id):
    out = runner.invoke(args=["plan", "2027-Q1", "--method", "proportional", "--margin", "0.05"])
    assert out.exit_code == 0, out.output
    assert "plan beside a census" in out.output
    assert "needs confirmation: proportional allocation with ±5 points in every tier needs a census of Private banking" \
        in out.output
    assert "invites 1964 of the 2000 clients of Standard, more than half" in out.output
    assert "survey draw --confirm" in out.output
    out = runner.invoke(args=["draw", "2027-Q1", "--seed", "7"])
    assert out.exit_code != 0
    assert "equal allocation with ±5 points in every tier needs a census of Private banking" in out.output
    assert "--confirm" in out.output and _count(db, Draw) == 0
    out = runner.invoke(args=["draw", "2027-Q1", "--seed", "7", "--confirm"])
    assert out.exit_code == 0, out.output
    assert _count(db, Draw) == 1
