"""The wave lifecycle: each transition's rules, the close's dispositions, and what a closed wave refuses."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from survey.errors import Conflict, ValidationFailed
from survey.models import AuditEvent, Invitation
from survey.services import invitations
from survey.services.fieldwork import cases as fieldwork_cases
from survey.services.fieldwork import mail, queue
from survey.services.lifecycle import settings as lifecycle_settings
from survey.services.lifecycle import transitions
from survey.services.samples import draw as sampling_draw
from survey.services.samples.plan import PlanParams
from tests.factories import make_client, make_invitation, make_wave
from tests.factories_fieldwork import IN_HOURS, interviewer

GOLD, PRIVATE = 1e5, 7e6


def drawn_wave(db, *, phone: int = 2, web: int = 2, **settings):
    """A wave drawn by the sampling service: ``phone`` private-tier phone cases and ``web`` gold-tier
    clients who prefer the web (and have an address); everyone in the frame is taken."""
    for _ in range(phone):
        make_client(db, contribution=PRIVATE)
    for k in range(web):
        make_client(db, contribution=GOLD, email=f"w{k}@example.com", preferred_mode="web")
    wave = make_wave(db, settings={"web_enabled": True, "calling_hours": [0, 24], **settings})
    sampling_draw.draw_sample(db, wave, "test", seed=5,
                              params=PlanParams(total=phone + web, method="proportional", minimum=0, reserve_share=0),
                              confirm=True)
    db.flush()
    return wave


def cases_of(db, wave, mode=None) -> list[Invitation]:
    query = select(Invitation).where(Invitation.wave_id == wave.id).order_by(Invitation.id)
    return list(db.scalars(query.where(Invitation.mode == mode) if mode else query))


def mailer(app):
    return mail.Mailer.from_config(app.config)


def outbox(app) -> list[Path]:
    folder = Path(app.config["OUTBOX_DIR"])
    return sorted(folder.glob("*.eml")) if folder.is_dir() else []


def test_the_draw_samples_but_does_not_put_the_wave_in_field(app, db):
    wave = drawn_wave(db)
    user = interviewer(db)
    assert wave.status == "sampled"
    assert queue.take_next(db, user, now=IN_HOURS) is None  # "Next case" ignores a wave not in field


def test_open_fieldwork_is_refused_before_the_draw(app, db):
    wave = make_wave(db)
    with pytest.raises(Conflict, match="has not been drawn"):
        transitions.open_fieldwork(db, wave, "test")
    assert wave.status == "draft"


def test_open_fieldwork_makes_calls_workable_and_is_audited(app, db):
    wave = drawn_wave(db)
    user = interviewer(db)
    opened = transitions.open_fieldwork(db, wave, "test")
    assert wave.status == "in_field"
    assert opened.cases == {"phone": 2, "web": 2} and opened.mail is None
    taken = queue.take_next(db, user, now=IN_HOURS)
    assert taken is not None and taken.wave_id == wave.id and taken.mode == "phone"
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "wave.fieldwork_opened"))
    assert event.entity_id == str(wave.id) and event.details["cases"] == {"phone": 2, "web": 2}


def test_open_fieldwork_with_a_mailer_sends_the_web_links(app, db, client):
    wave = drawn_wave(db)
    opened = transitions.open_fieldwork(db, wave, "test", mailer=mailer(app), now=IN_HOURS)
    db.commit()
    assert opened.mail.sent == 2 and len(outbox(app)) == 2
    assert all(inv.token_hash and inv.last_message_at for inv in cases_of(db, wave, "web"))


def test_open_fieldwork_is_refused_twice_and_after_the_close(app, db):
    wave = drawn_wave(db)
    transitions.open_fieldwork(db, wave, "test")
    with pytest.raises(Conflict, match="already open"):
        transitions.open_fieldwork(db, wave, "test")
    transitions.close_fieldwork(db, wave, "test")
    with pytest.raises(Conflict, match="cannot be reopened"):
        transitions.open_fieldwork(db, wave, "test")
    assert wave.status == "closed"


def test_open_fieldwork_is_refused_with_no_open_case(app, db):
    wave = drawn_wave(db, phone=1, web=0)
    for inv in cases_of(db, wave):
        fieldwork_cases.close(db, inv, "4.10")
    with pytest.raises(Conflict, match="no open case"):
        transitions.open_fieldwork(db, wave, "test")


def test_close_fieldwork_is_refused_before_fieldwork_opens(app, db):
    draft = make_wave(db)
    with pytest.raises(Conflict, match="has not been opened"):
        transitions.close_fieldwork(db, draft, "test")
    sampled = drawn_wave(db)
    with pytest.raises(Conflict, match="has not been opened"):
        transitions.close_fieldwork(db, sampled, "test")
    assert (draft.status, sampled.status) == ("draft", "sampled")


def test_close_fieldwork_is_refused_twice(app, db):
    wave = drawn_wave(db)
    transitions.open_fieldwork(db, wave, "test")
    transitions.close_fieldwork(db, wave, "test")
    with pytest.raises(Conflict, match="already closed"):
        transitions.close_fieldwork(db, wave, "test")


def test_close_gives_every_open_case_its_disposition_by_the_rule(app, db):
    wave = drawn_wave(db, phone=5, web=2, max_attempts=6)
    user = interviewer(db)
    transitions.open_fieldwork(db, wave, "test")
    untried, no_answer, soft, retired, done = cases_of(db, wave, "phone")
    mailed, unsent = cases_of(db, wave, "web")
    t = IN_HOURS
    fieldwork_cases.record_attempt(db, no_answer, user, "no_answer", now=t, require_lock=False)
    fieldwork_cases.record_attempt(db, no_answer, user, "busy", now=t + dt.timedelta(hours=3), require_lock=False)
    fieldwork_cases.record_attempt(db, soft, user, "soft_refusal", now=t, require_lock=False)
    for k in range(3):
        fieldwork_cases.record_attempt(db, retired, user, "no_answer", now=t + dt.timedelta(hours=3 * k),
                                       require_lock=False)
    fieldwork_cases.record_attempt(db, done, user, "4.32", now=t, require_lock=False)
    lifecycle_settings.change_settings(db, wave, {"max_attempts": "3"}, "test")  # 'retired' is at the limit
    mail.send_invitations(db, wave, mailer(app), now=t)
    unsent.last_message_at = None  # as if its message had never gone out (e.g. no address at the time)
    retired.locked_by, retired.locked_until = user.id, t + dt.timedelta(hours=1)

    closed = transitions.close_fieldwork(db, wave, "test", now=t + dt.timedelta(days=1))
    got = {inv.id: inv.disposition for inv in cases_of(db, wave)}
    assert got == {untried.id: "3.11", no_answer.id: "3.12", soft.id: "2.11", retired.id: "3.90",
                   done.id: "4.32", mailed.id: "3.90", unsent.id: "3.11"}
    assert all(inv.status == "done" and inv.locked_by is None for inv in cases_of(db, wave))
    assert closed.finalised == 6 and closed.dispositions == {"2.11": 1, "3.11": 2, "3.12": 1, "3.90": 2}
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "wave.closed"))
    assert event.details["dispositions"] == closed.dispositions


def test_a_closed_wave_takes_no_answer_no_call_no_change(app, db, client):
    wave = drawn_wave(db, web=1)
    user = interviewer(db)
    transitions.open_fieldwork(db, wave, "test")
    web = cases_of(db, wave, "web")[0]
    token = invitations.issue_token(web, 30, key=app.config["SECRET_KEY"])
    winback, winback_token = make_invitation(db, wave, make_client(db))
    winback.kind = "winback"
    db.commit()
    assert client.get(f"/s/{token}").status_code == 200
    transitions.close_fieldwork(db, wave, "test")
    db.commit()
    page = client.get(f"/s/{token}?lang=en")
    assert page.status_code == 410 and "This survey is closed" in page.get_data(as_text=True)
    assert client.post(f"/s/{token}", data={}).status_code == 410
    assert client.get(f"/s/{winback_token}").status_code == 200  # a win-back link follows its case, not the wave
    assert queue.take_next(db, user, now=IN_HOURS) is None
    with pytest.raises(ValidationFailed, match="settings are final"):
        lifecycle_settings.change_settings(db, wave, {"max_attempts": "9"}, "test")
    with pytest.raises(ValidationFailed, match="is closed"):
        invitations.invite_clients(db, wave, [make_client(db).client_no], mode="web", ttl_days=30, actor="test")
    with pytest.raises(Conflict):
        sampling_draw.reset_draw(db, wave, "test")


def test_inviting_by_hand_never_moves_the_wave(app, db):
    wave = drawn_wave(db)
    invitations.invite_clients(db, wave, [make_client(db).client_no], mode="web", ttl_days=30, actor="test")
    assert wave.status == "sampled"
    draft = make_wave(db)
    invitations.invite_clients(db, draft, [make_client(db).client_no], mode="web", ttl_days=30, actor="test")
    assert draft.status == "draft"


def test_the_draw_cannot_be_reset_once_fieldwork_is_open(app, db):
    wave = drawn_wave(db)
    transitions.open_fieldwork(db, wave, "test")
    with pytest.raises(Conflict, match="fieldwork has been opened"):
        sampling_draw.reset_draw(db, wave, "test")
    assert wave.status == "in_field"


def test_allowed_actions_follow_the_stage(app, db):
    wave = make_wave(db)
    seen = []
    for step in (None, "draw", "open", "close"):
        if step == "draw":
            wave = drawn_wave(db)
        elif step == "open":
            transitions.open_fieldwork(db, wave, "test")
        elif step == "close":
            transitions.close_fieldwork(db, wave, "test")
        seen.append(sorted(k for k, v in transitions.allowed(wave).items() if v))
    assert seen == [["draw", "settings"], ["open_fieldwork", "settings"], ["close_fieldwork", "settings"], []]
