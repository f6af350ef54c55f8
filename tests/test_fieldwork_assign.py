"""Assigning cases: workload by capacity, independence from the relationship manager, reassignment."""

import pytest

from survey.errors import ValidationFailed
from survey.models import AuditEvent, Invitation
from survey.services.fieldwork import assign
from tests.factories import make_client
from tests.factories_fieldwork import branch, field_case, field_wave, interviewer


def test_auto_assign_respects_independence_and_capacity(db):
    wave = field_wave(db)
    for code in ("BJ01", "SH01"):
        branch(db, code)
    big = interviewer(db, code="RM001", capacity_per_day=30, branch_code="BJ01")
    small = interviewer(db, code="INT002", capacity_per_day=10, branch_code="SH01")
    own = [field_case(db, wave, manager_code="RM001", branch_code="BJ01") for _ in range(6)]
    others = [field_case(db, wave, mode=m, manager_code="RM002", branch_code=b)
              for m, b in [("phone", "BJ01")] * 14 + [("in_person", "SH01")] * 10 + [("in_person", "BJ01")] * 10]
    web = field_case(db, wave, mode="web")
    db.commit()
    result = assign.auto_assign(db, wave, "test", seed=1)
    db.commit()
    assert result.assigned == 40 and result.unassigned == 0
    # never to the client's own relationship manager
    assert all(inv.assigned_to == small.id for inv in own)
    # shared 3:1 by capacity (40 cases: 30 and 10, within one case)
    counts = {uid: n for uid, n in result.by_interviewer.items()}
    assert abs(counts[big.id] - 30) <= 1 and abs(counts[small.id] - 10) <= 1
    assert web.assigned_to is None  # web cases are not fieldwork
    assert assign.unassigned_cases(db, wave) == []
    event = db.query(AuditEvent).filter_by(action="fieldwork.auto_assigned").one()
    assert event.details["assigned"] == 40
    # independence holds however the load falls
    assert len(others) == 34


def test_case_nobody_independent_can_take_stays_unassigned(db):
    wave = field_wave(db)
    only = interviewer(db, code="RM005")
    inv = field_case(db, wave, manager_code="RM005")
    db.commit()
    result = assign.auto_assign(db, wave, "test")
    db.commit()
    assert result.unassigned == 1 and inv.assigned_to is None
    assert [c.id for c in assign.unassigned_cases(db, wave)] == [inv.id]
    assert only.id not in result.by_interviewer


def test_existing_load_counts(db):
    wave = field_wave(db)
    a, b = interviewer(db, capacity_per_day=10), interviewer(db, capacity_per_day=10)
    for _ in range(4):
        field_case(db, wave, assigned_to=a)
    fresh = [field_case(db, wave) for _ in range(4)]
    db.commit()
    assign.auto_assign(db, wave, "test")
    db.commit()
    loads = assign.open_load(db, [a.id, b.id])
    assert loads == {a.id: 4, b.id: 4} and all(inv.assigned_to == b.id for inv in fresh)


def test_manual_reassignment_refuses_the_own_manager_and_is_audited(db):
    wave = field_wave(db)
    a = interviewer(db, code="RM003")
    b = interviewer(db)
    mine = field_case(db, wave, manager_code="RM003", assigned_to=b)
    other = field_case(db, wave, manager_code="RM004", assigned_to=b)
    other.locked_by = b.id
    db.commit()
    moved, refused = assign.reassign(db, wave, [mine.id, other.id], a, "supervisor")
    db.commit()
    assert (moved, refused) == (1, [mine.id])
    assert (mine.assigned_to, other.assigned_to, other.locked_by) == (b.id, a.id, None)
    moved, _ = assign.reassign(db, wave, [other.id], None, "supervisor")
    db.commit()
    assert moved == 1 and db.get(Invitation, other.id).assigned_to is None
    assert db.query(AuditEvent).filter_by(action="fieldwork.reassigned").count() == 2
    with pytest.raises(ValidationFailed):
        assign.reassign(db, wave, [], a, "supervisor")


def test_clients_invited_by_hand_for_a_call_or_visit_are_assigned_like_sample_cases(db):
    from survey.services import invitations

    wave = field_wave(db)
    branch(db, "BJ01")
    worker = interviewer(db, code="INT031", branch_code="BJ01")
    sampled = field_case(db, wave, manager_code="RM002")
    extra = make_client(db, manager_code="RM002")  # a client of the file outside the sample
    (hand, _token), = invitations.invite_clients(db, wave, [extra.client_no], mode="phone", ttl_days=30, actor=None)
    db.commit()
    assert hand.kind == "hand"
    assert sorted(c.id for c in assign.unassigned_cases(db, wave)) == sorted([sampled.id, hand.id])
    result = assign.auto_assign(db, wave, "test")
    db.commit()
    assert result.assigned == 2 and {sampled.assigned_to, db.get(Invitation, hand.id).assigned_to} == {worker.id}
