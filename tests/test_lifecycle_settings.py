"""Wave settings: typed values, unknown keys, which stage allows which change; a new wave from an earlier one."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from survey.errors import ValidationFailed
from survey.models import AuditEvent, Invitation
from survey.services import waves
from survey.services.followup.triggers import triggers_for
from survey.services.lifecycle import settings as lifecycle_settings
from survey.services.lifecycle import transitions
from survey.services.samples import draw as sampling_draw
from survey.services.samples import plan as sampling_plan
from tests.factories import make_client, make_wave
from tests.test_lifecycle_transitions import GOLD, drawn_wave


def change(db, wave, **pairs):
    return lifecycle_settings.change_settings(db, wave, {k.replace("__", "."): v for k, v in pairs.items()}, "test")


def test_values_are_typed(db):
    wave = make_wave(db)
    change(db, wave, max_attempts="8", calling_hours="10–18", web_enabled="yes", expected_response_rate="40%",
           modes__gold="phone", triggers__overall_max="3", triggers__recommend_max="off", triggers__topic="service")
    s = waves.wave_settings(wave)
    assert s["max_attempts"] == 8 and s["calling_hours"] == [10, 18] and s["web_enabled"] is True
    assert s["expected_response_rate"] == pytest.approx(0.4)
    assert waves.modes_by_tier(wave)["gold"] == "phone" and waves.modes_by_tier(wave)["standard"] == "in_person"
    trig = triggers_for(wave)
    assert trig["overall_max"] == 3 and trig["recommend_max"] is None and trig["topic"] == "service"
    assert trig["contact_request"] is True  # untouched keys keep their value
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "wave.settings_changed"))
    assert event.details["changes"]["max_attempts"] == [6, 8]


@pytest.mark.parametrize("key, value, why", [
    ("max_attempts", "0", "whole number from 1 to 30"),
    ("max_attempts", "six", "whole number"),
    ("calling_hours", "20-9", "start before end"),
    ("calling_hours", "9", "two hours"),
    ("web_enabled", "maybe", "true or false"),
    ("expected_response_rate", "1.5", "share from 0.01 to 1"),
    ("modes.gold", "fax", "one of phone, in_person, web"),
    ("triggers.overall_max", "7", "from 1 to 5"),
    ("triggers.topic", "weather", "one of satisfaction"),
])
def test_bad_values_are_refused_and_nothing_changes(db, key, value, why):
    wave = make_wave(db)
    before = dict(wave.settings)
    with pytest.raises(ValidationFailed, match=why) as info:
        lifecycle_settings.change_settings(db, wave, {"max_reminders": "4", key: value}, "test")
    assert [k for k, _why in info.value.problems] == [key]
    assert wave.settings == before  # all or nothing: max_reminders did not change either


def test_unknown_keys_are_refused_with_the_known_ones(db):
    wave = make_wave(db)
    with pytest.raises(ValidationFailed) as info:
        change(db, wave, colour="blue")
    message = str(info.value)
    assert "unknown setting 'colour'" in message
    assert "calling_hours" in message and "modes.gold" in message and "triggers.overall_max" in message


def test_sample_settings_change_only_before_the_draw(db):
    wave = drawn_wave(db)
    for key, value in (("cool_off_days", "30"), ("modes.gold", "phone"), ("web_enabled", "false"),
                       ("exclude_open_complaints", "false"), ("expected_response_rate", "0.3")):
        with pytest.raises(ValidationFailed, match="only change before the draw"):
            lifecycle_settings.change_settings(db, wave, {key: value}, "test")
    change(db, wave, cool_off_days="90")  # the value it has: accepted, nothing changes
    changed = change(db, wave, max_attempts="4", reminder_after_days="2", token_ttl_days="10")
    assert set(changed) == {"max_attempts", "reminder_after_days", "token_ttl_days"}
    transitions.open_fieldwork(db, wave, "test")
    assert change(db, wave, calling_hours="8-21", triggers__enabled="false")  # still allowed in field


def test_contact_mode_per_tier_is_used_by_the_plan_and_the_draw(db):
    for _ in range(3):
        make_client(db, contribution=GOLD)
    wave = make_wave(db)
    change(db, wave, modes__gold="phone")
    plan = sampling_plan.compute_plan(db, wave, sampling_plan.PlanParams(total=3, minimum=0))
    gold = next(t for t in plan.tiers if t.code == "gold")
    assert gold.modes["phone"] == gold.release and gold.modes["in_person"] == 0
    sampling_draw.draw_sample(db, wave, "test", seed=1, params=sampling_plan.PlanParams(total=3, minimum=0),
                              confirm=True)
    assert {inv.mode for inv in db.scalars(select(Invitation).where(Invitation.wave_id == wave.id))} == {"phone"}


def test_current_and_show_give_every_key_as_typed(db):
    wave = make_wave(db)
    values = {k: lifecycle_settings.show(v) for k, v in lifecycle_settings.current(wave).items()}
    assert values["calling_hours"] == "9-20" and values["web_enabled"] == "false"
    assert values["modes.private"] == "phone" and values["triggers.overall_max"] == "2"
    assert set(values) == {s.key for s in lifecycle_settings.specs(wave)}


def test_a_new_wave_copies_the_earlier_one_but_not_its_plan(db):
    before = make_wave(db, name="2026-Q4", period_start=dt.date(2026, 10, 1), period_end=dt.date(2026, 12, 31))
    change(db, before, max_attempts="9", modes__gold="phone", triggers__overall_max="3")
    sampling_plan.confirm_plan(db, before, sampling_plan.PlanParams(total=50), "test")
    start, end = waves.next_period(db, before)
    assert (start, end) == (dt.date(2027, 1, 1), dt.date(2027, 3, 31))
    new = waves.create_wave(db, name="2027-Q1", period_start=start, period_end=end, actor="test", from_wave=before)
    assert new.status == "draft" and "plan" not in new.settings
    assert waves.wave_settings(new)["max_attempts"] == 9 and waves.modes_by_tier(new)["gold"] == "phone"
    assert triggers_for(new)["overall_max"] == 3
    assert (new.questionnaire_id, new.tier_scheme_id) == (before.questionnaire_id, before.tier_scheme_id)
    fresh = waves.create_wave(db, name="other", period_start=start, period_end=end, actor="test")
    assert waves.wave_settings(fresh)["max_attempts"] == 6


def test_periods_move_by_whole_months():
    assert waves.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert waves.add_months(dt.date(2026, 11, 15), 3) == dt.date(2027, 2, 15)


def test_budget_weighting_and_ranking_minimum_are_settings(db):
    from survey.services.samples.checks import wave_budget

    wave = make_wave(db)
    change(db, wave, budget="250,000", weighting="raked", scorecard_min_respondents="15")
    s = waves.wave_settings(wave)
    assert wave_budget(wave) == 250000 and s["weighting"] == "raked" and s["scorecard_min_respondents"] == 15
    change(db, wave, budget="off")
    assert wave_budget(wave) is None
    for key, bad in (("budget", "-5"), ("budget", "nan"), ("budget", "１００"), ("weighting", "post"),
                     ("scorecard_min_respondents", "0")):
        with pytest.raises(ValidationFailed) as exc:
            change(db, wave, **{key: bad})
        assert exc.value.problems[0][0] == key
    assert waves.wave_settings(wave)["weighting"] == "raked"  # a refused change leaves the old value
