"""The sampling service: frame exclusions, plan numbers, draw, reset, release, reproducibility."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from sqlalchemy import func, select

import sampling
from survey.errors import Conflict, ValidationFailed
from survey.models import (
    Answer,
    AuditEvent,
    Client,
    ContactAttempt,
    Draw,
    FollowUpCase,
    Invitation,
    ReserveCase,
    Response,
    utcnow,
)
from survey.services import questionnaires
from survey.services.samples import draw as sampling_draw
from survey.services.samples import frame as sampling_frame
from survey.services.samples import plan as sampling_plan
from survey.services.samples.plan import PlanParams
from tests.factories import make_client, make_invitation, make_wave

CONTRIBUTION = {"private": 7e6, "diamond": 3e6, "platinum": 6e5, "gold": 1e5, "standard": 1e4}
TIERS = tuple(CONTRIBUTION)


def clients_per_tier(db, n: int, prefix: str = "P", **kw) -> list[Client]:
    """``n`` clients in every tier, created tier by tier round-robin so ids interleave."""
    out = []
    for i in range(n):
        for j, tier in enumerate(TIERS):
            out.append(make_client(db, client_no=f"{prefix}{i:03d}{j}", contribution=CONTRIBUTION[tier], **kw))
    return out


def test_frame_removes_each_rule_and_counts_the_first(db):
    now = utcnow()
    gold = CONTRIBUTION["gold"]
    keep = make_client(db, contribution=gold)
    make_client(db, contribution=gold, opted_out=True)
    make_client(db, contribution=gold, opted_out=True, account_closed=True)  # counted as opted out only
    make_client(db, contribution=gold, last_contacted_at=now - dt.timedelta(days=10))
    make_client(db, contribution=gold, last_contacted_at=now - dt.timedelta(days=200))  # outside the cool-off
    called = make_client(db, contribution=gold)
    complaint = make_client(db, contribution=gold)
    closed_case = make_client(db, contribution=gold)
    make_client(db, contribution=gold, account_closed=True)
    make_client(db, contribution=gold, phone=None, branch_code="", email=None)
    other = make_wave(db)
    inv, _ = make_invitation(db, other, called, mode="phone")
    db.add(ContactAttempt(invitation_id=inv.id, mode="phone", outcome="3.13", at=now - dt.timedelta(days=3)))
    db.add(FollowUpCase(client_id=complaint.id, topic="fees", channel="survey", tier_code="gold", step="accepted"))
    db.add(FollowUpCase(client_id=closed_case.id, topic="fees", channel="survey", tier_code="gold", step="closed"))
    wave = make_wave(db)
    db.flush()

    frame = sampling_frame.load_frame(db, wave, now=now)
    assert frame.excluded["gold"] == {"opted_out": 2, "cool_off": 2, "open_followup": 1, "account_closed": 1,
                                      "unreachable": 1}
    assert frame.population["gold"] == 3  # keep, the old contact, the closed case
    assert keep.id in frame.client_ids.tolist() and closed_case.id in frame.client_ids.tolist()
    assert frame.client_ids.tolist() == sorted(frame.client_ids.tolist())

    relaxed = make_wave(db, settings={"exclude_open_complaints": False, "cool_off_days": 5})
    frame = sampling_frame.load_frame(db, relaxed, now=now)
    assert frame.excluded["gold"]["open_followup"] == 0
    assert frame.excluded["gold"]["cool_off"] == 1  # only the call three days ago
    assert frame.population["gold"] == 5


def test_plan_numbers_follow_the_sampling_core(db):
    clients_per_tier(db, 40)
    wave = make_wave(db, settings={"expected_response_rate": 0.6})
    params = PlanParams(margin=0.15, method="equal", minimum=5, confidence=0.9)
    plan = sampling_plan.compute_plan(db, wave, params)
    pops = {t.code: t.population for t in plan.tiers}
    assert pops == dict.fromkeys(TIERS, 40)
    expected = sampling.total_for_margin(pops, 0.15, "equal", confidence=0.9, minimum=5)
    assert plan.sizes("allocated") == expected.sizes
    assert plan.total("allocated") == expected.total
    variance = 0.0
    for t in plan.tiers:
        assert t.release == min(40, math.ceil(t.allocated / 0.6 - 1e-9))
        assert t.expected_completes == pytest.approx(t.release * 0.6)
        assert t.margin == pytest.approx(sampling.margin_of_error(math.floor(t.release * 0.6 + 1e-9), 40, 0.9))
        assert t.drawn == min(40, t.release + math.ceil(t.release * 0.5))
        assert sum(t.modes.values()) == t.release
        variance += (1 / 5) ** 2 * t.margin ** 2
    assert plan.overall_margin == pytest.approx(math.sqrt(variance))
    # phone for the top tiers, visits below; cost from the default costs per case
    assert plan.tiers[0].modes["phone"] == plan.tiers[0].release
    assert plan.tiers[-1].modes["in_person"] == plan.tiers[-1].release
    assert plan.tiers[-1].cost == pytest.approx(plan.tiers[-1].release * 200)

    fixed = sampling_plan.compute_plan(db, wave, PlanParams(total=50, method="proportional", minimum=0))
    assert fixed.total("allocated") == 50
    assert fixed.sizes("allocated") == sampling.allocate(pops, 50, "proportional")


def test_neyman_falls_back_without_an_earlier_wave_and_uses_its_sd_when_there_is_one(db):
    clients = clients_per_tier(db, 12)
    wave = make_wave(db, period_start=dt.date(2026, 10, 1))
    plan = sampling_plan.compute_plan(db, wave, PlanParams(margin=0.3, method="neyman", minimum=1))
    assert plan.method_used == "proportional" and "no_previous_sd" in plan.notes

    before = make_wave(db, period_start=dt.date(2026, 7, 1))
    overall = questionnaires.overall_question(before.questionnaire)
    scores = {}
    for k, client in enumerate(clients[:30]):
        inv, _ = make_invitation(db, before, client, mode="phone")
        value = float(1 + (k * 7) % 5)
        scores.setdefault(client.tier_code, []).append(value)
        resp = Response(invitation_id=inv.id, wave_id=before.id, client_id=client.id, mode="phone")
        resp.answers.append(Answer(question_id=overall.id, value_num=value))
        db.add(resp)
    db.flush()
    plan = sampling_plan.compute_plan(db, wave, PlanParams(margin=0.3, method="neyman", minimum=1))
    assert plan.method_used == "neyman" and plan.sd_source == before.name
    for code, values in scores.items():
        assert plan.sd[code] == pytest.approx(np.std(values, ddof=1))


def _draw(db, wave, seed=11, **kw):
    params = PlanParams(total=10, method="equal", minimum=0, reserve_share=0.5)
    return sampling_draw.draw_sample(db, wave, "test", seed=seed, params=params, **{"confirm": True, **kw})


def test_draw_creates_invitations_reserve_record_and_audit(db):
    clients_per_tier(db, 8)
    make_client(db, contribution=CONTRIBUTION["gold"])
    wave = make_wave(db, settings={"expected_response_rate": 0.5})
    result = _draw(db, wave)
    # equal allocation of 10 completes: 2 per tier, 4 invitations at 50 % response, 2 in reserve
    assert result.released == dict.fromkeys(TIERS, 4) and result.reserve == dict.fromkeys(TIERS, 2)
    invs = db.scalars(select(Invitation).where(Invitation.wave_id == wave.id)).all()
    assert len(invs) == 20
    for inv in invs:
        assert inv.mode == ("phone" if inv.tier_code in ("private", "diamond", "platinum") else "in_person")
        assert inv.mode_reason == "tier_default" and inv.token_hash is None
        assert inv.release_rank in range(4) and inv.status == "open"
    gold = [i.inclusion_prob for i in invs if i.tier_code == "gold"]
    assert gold == [pytest.approx(4 / 9)] * 4
    reserve = db.scalars(select(ReserveCase).where(ReserveCase.wave_id == wave.id)).all()
    assert len(reserve) == 10 and {r.release_rank for r in reserve} == {4, 5}
    assert not {r.client_id for r in reserve} & {i.client_id for i in invs}
    draw = db.scalar(select(Draw).where(Draw.wave_id == wave.id))
    assert draw.seed == "11" and draw.algorithm == sampling.ALGORITHM and draw.numpy_version == np.__version__
    assert draw.frame_counts["gold"] == 9 and draw.allocation["tiers"]["gold"]["released"] == 4
    assert draw.exclusions["by_tier"]["gold"]["opted_out"] == 0
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "sample.drawn"))
    assert event.details["seed"] == "11" and event.details["frame_counts"]["private"] == 8
    assert event.details["algorithm"] == sampling.ALGORITHM and event.actor_label == "test"
    assert wave.status == "sampled"


def test_draw_modes_follow_the_contact_rules_and_no_link_before_it_is_sent(db):
    gold, private = CONTRIBUTION["gold"], CONTRIBUTION["private"]
    cases = {
        "no_phone": (make_client(db, contribution=private, phone=None), "in_person", "no_phone_fallback"),
        "web_fan": (make_client(db, contribution=gold, email="a@example.com", preferred_mode="web"), "web",
                    "preference"),
        # no e-mail and a landline only: no web link reaches them
        "no_email": (make_client(db, contribution=gold, preferred_mode="web", phone="010-12345678"), "in_person",
                     "tier_default"),
        # no e-mail but a mobile: the link goes by SMS
        "sms_fan": (make_client(db, contribution=gold, preferred_mode="web"), "web", "preference"),
        "no_branch": (make_client(db, contribution=gold, branch_code=""), "phone", "no_branch_fallback"),
    }
    wave = make_wave(db, settings={"web_enabled": True})
    result = sampling_draw.draw_sample(db, wave, "test", seed=3, params=PlanParams(total=100, minimum=0), confirm=True)
    for client, mode, reason in cases.values():
        inv = db.scalar(select(Invitation).where(Invitation.client_id == client.id))
        assert (inv.mode, inv.mode_reason) == (mode, reason)
        assert inv.token_hash is None  # a web link is issued when it is first sent
    assert result.web == 2


def test_second_draw_is_refused_and_a_random_seed_is_recorded(db):
    clients_per_tier(db, 3)
    wave = make_wave(db)
    result = sampling_draw.draw_sample(db, wave, "test", params=PlanParams(total=5, minimum=0), confirm=True)
    assert 0 <= int(result.draw.seed) < 2**63
    with pytest.raises(Conflict, match="already been drawn"):
        _draw(db, wave)
    assert db.scalar(select(func.count()).select_from(Draw)) == 1


@pytest.mark.parametrize("fielded", ["attempt", "response", "used"])
def test_reset_is_refused_once_fieldwork_started(db, fielded):
    clients_per_tier(db, 4)
    wave = make_wave(db)
    _draw(db, wave)
    inv = db.scalars(select(Invitation).where(Invitation.wave_id == wave.id)).first()
    if fielded == "attempt":
        db.add(ContactAttempt(invitation_id=inv.id, mode=inv.mode, outcome="3.13"))
    elif fielded == "response":
        db.add(Response(invitation_id=inv.id, wave_id=wave.id, client_id=inv.client_id, mode=inv.mode))
    else:
        inv.used_at = utcnow()
    db.flush()
    with pytest.raises(Conflict, match="cannot be reset"):
        sampling_draw.reset_draw(db, wave, "test")
    assert db.scalar(select(func.count()).select_from(Draw)) == 1


def test_reset_before_fieldwork_removes_the_sample_and_allows_a_new_draw(db):
    clients_per_tier(db, 4)
    wave = make_wave(db)
    _draw(db, wave, seed=1)
    sampling_draw.reset_draw(db, wave, "test")
    assert wave.status == "draft"
    assert db.scalar(select(func.count()).select_from(Invitation)) == 0
    assert db.scalar(select(func.count()).select_from(ReserveCase)) == 0
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "sample.reset")).details["seed"] == "1"
    _draw(db, wave, seed=2)
    assert db.scalar(select(Draw.seed)) == "2"


def test_release_takes_the_lowest_ranks_and_is_audited(db):
    clients_per_tier(db, 8)
    wave = make_wave(db)
    _draw(db, wave)
    ranks = dict(db.execute(select(ReserveCase.client_id, ReserveCase.release_rank)
                            .where(ReserveCase.tier_code == "gold")).all())
    first = min(ranks, key=ranks.get)
    sampling_draw.release_reserve(db, wave, "gold", 1, "test")
    new = db.scalar(select(Invitation).where(Invitation.client_id == first, Invitation.wave_id == wave.id))
    assert new.release_rank == 4 and new.mode == "in_person"
    assert sampling_draw.reserve_left(db, wave)["gold"] == 1
    gold_probs = db.scalars(select(Invitation.inclusion_prob).where(Invitation.tier_code == "gold")).all()
    assert gold_probs == [pytest.approx(5 / 8)] * 5
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "sample.released"))
    assert event.details["tier"] == "gold" and event.details["count"] == 1
    with pytest.raises(ValidationFailed, match="only 1 reserve case"):
        sampling_draw.release_reserve(db, wave, "gold", 2, "test")


def test_release_of_a_client_who_opted_out_since_the_draw_is_closed_as_refusal(db):
    clients_per_tier(db, 8)
    wave = make_wave(db)
    _draw(db, wave)
    case = db.scalars(select(ReserveCase).where(ReserveCase.tier_code == "diamond")
                      .order_by(ReserveCase.release_rank)).first()
    db.get(Client, case.client_id).opted_out = True
    db.flush()
    sampling_draw.release_reserve(db, wave, "diamond", 1, "test")
    inv = db.scalar(select(Invitation).where(Invitation.client_id == case.client_id))
    assert (inv.status, inv.disposition) == ("done", "2.11")


# Pinned with seed 20261128 and sampling.ALGORITHM "stratified-srswor-randomkeys-v1": the frame is
# 12 clients per tier (client_no P<i><tier position>, created in that order) minus P0003 (opted out)
# and P0114 (account closed); 3 completes per tier at 50 % response -> 6 invited, 3 in reserve.
PINNED = {
    "private": ({"P0010", "P0030", "P0040", "P0070", "P0080", "P0090"}, ["P0100", "P0060", "P0110"]),
    "gold": ({"P0013", "P0023", "P0033", "P0063", "P0083", "P0093"}, ["P0113", "P0073", "P0103"]),
}


def test_same_seed_gives_the_same_invitations(db):
    clients_per_tier(db, 12)
    for no, field in (("P0003", "opted_out"), ("P0114", "account_closed")):
        setattr(db.scalar(select(Client).where(Client.client_no == no)), field, True)
    wave = make_wave(db)
    db.flush()
    sampling_draw.draw_sample(db, wave, "test", seed=20261128,
                              params=PlanParams(total=15, method="equal", minimum=0, reserve_share=0.5), confirm=True)
    frame = db.execute(select(Client.client_no, Client.tier_code)
                       .where(Client.opted_out.is_(False), Client.account_closed.is_(False)).order_by(Client.id)).all()
    numbers = np.array([r[0] for r in frame])
    expected = sampling.draw_stratified(np.array([r[1] for r in frame]), dict.fromkeys(TIERS, 9), seed=20261128)
    for code in TIERS:
        invited = set(db.scalars(select(Client.client_no).join(Invitation, Invitation.client_id == Client.id)
                                 .where(Invitation.tier_code == code)))
        reserve = db.scalars(select(Client.client_no).join(ReserveCase, ReserveCase.client_id == Client.id)
                             .where(ReserveCase.tier_code == code).order_by(ReserveCase.release_rank)).all()
        in_tier = expected.strata == code
        order = np.argsort(expected.release_order[in_tier])
        ranked = numbers[expected.indices[in_tier][order]].tolist()
        assert invited == set(ranked[:6]) and reserve == ranked[6:]
        if code in PINNED:
            assert (invited, reserve) == PINNED[code]
