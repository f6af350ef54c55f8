"""The interviewer's queue: the rules for what may be offered, priorities, locks, and concurrency."""

import datetime as dt
import threading

import pytest

from survey.services.fieldwork import cases, queue
from tests.conftest import is_postgres
from tests.factories_fieldwork import (
    AFTER_HOURS,
    IN_HOURS,
    branch,
    field_case,
    field_wave,
    interviewer,
)

MIN = dt.timedelta(minutes=1)


def test_concurrent_interviewers_never_get_the_same_case(app, db):
    """Eight interviewers press "next" at once until the queue is empty: each case goes out exactly once."""
    wave = field_wave(db)
    ids = {field_case(db, wave, manager_code="RM009").id for _ in range(40)}
    staff = [interviewer(db) for _ in range(8)]
    db.commit()
    writer = app.extensions["survey.writer_sessionmaker"]
    taken: dict[int, list[int]] = {u.id: [] for u in staff}
    errors: list[BaseException] = []
    start = threading.Barrier(len(staff))

    def work(user):
        try:
            start.wait()
            while True:
                with writer() as session:
                    inv = queue.take_next(session, user, now=IN_HOURS)
                    session.commit()
                    if inv is None:
                        return
                    taken[user.id].append(inv.id)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(u,)) for u in staff]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    handed_out = [i for got in taken.values() for i in got]
    assert sorted(handed_out) == sorted(ids)  # none lost, none twice
    assert len(set(handed_out)) == len(handed_out)
    db.rollback()
    db.expire_all()
    from survey.models import Invitation

    locks = {inv.id: inv.locked_by for inv in db.query(Invitation).filter(Invitation.id.in_(ids))}
    owner = {i: uid for uid, got in taken.items() for i in got}
    assert locks == owner
    if is_postgres():
        assert sum(1 for got in taken.values() if got) >= 2  # really concurrent, not one thread taking all


def test_calling_hours_in_the_branch_time_zone(db):
    wave = field_wave(db, calling_hours=[9, 20])
    branch(db, "LD01", "Europe/London")
    beijing = field_case(db, wave, branch_code="BJ01")
    london = field_case(db, wave, branch_code="LD01")
    user = interviewer(db)
    db.commit()
    # 23:00 UTC is 07:00 in Beijing and 23:00 in London: nobody may be called
    assert queue.take_next(db, user, now=IN_HOURS - dt.timedelta(hours=4)) is None
    # 03:00 UTC is 11:00 in Beijing but 03:00 in London: only the Beijing client may be called
    first = queue.take_next(db, user, now=IN_HOURS)
    assert first.id == beijing.id
    assert queue.take_next(db, user, now=IN_HOURS) is None
    cases.record_attempt(db, first, user, "4.32", now=IN_HOURS)  # closed: out of the way
    # at 10:00 UTC (18:00 Beijing, 10:00 London) the London client is offered
    assert queue.take_next(db, user, now=IN_HOURS + dt.timedelta(hours=7)).id == london.id


def test_after_hours_is_lifted_by_wider_calling_hours(db):
    wave = field_wave(db, calling_hours=[9, 20])
    inv = field_case(db, wave)
    user = interviewer(db)
    db.commit()
    assert queue.take_next(db, user, now=AFTER_HOURS) is None
    wave.settings = {**wave.settings, "calling_hours": [8, 23]}
    db.commit()
    assert queue.take_next(db, user, now=AFTER_HOURS).id == inv.id


def test_retry_waits_since_the_last_attempt(db):
    wave = field_wave(db, retry_wait_minutes=120)
    inv = field_case(db, wave)
    user = interviewer(db)
    db.commit()
    assert queue.take_next(db, user, now=IN_HOURS).id == inv.id
    cases.record_attempt(db, inv, user, "busy", now=IN_HOURS)  # busy's own delay (30) is shorter
    db.commit()
    assert queue.take_next(db, user, now=IN_HOURS + 119 * MIN) is None
    assert queue.take_next(db, user, now=IN_HOURS + 120 * MIN).id == inv.id


def test_case_at_its_attempt_limit_is_never_offered(db):
    wave = field_wave(db, max_attempts=3)
    inv = field_case(db, wave)
    inv.attempts = 3
    inv.last_attempt_at = IN_HOURS - dt.timedelta(days=1)
    user = interviewer(db)
    db.commit()
    assert queue.take_next(db, user, now=IN_HOURS) is None
    wave.settings = {**wave.settings, "max_attempts": 4}
    db.commit()
    assert queue.take_next(db, user, now=IN_HOURS).id == inv.id


def test_never_offered_to_the_clients_own_relationship_manager(db):
    wave = field_wave(db)
    inv = field_case(db, wave, manager_code="RM007")
    own_manager = interviewer(db, code="RM007")
    other = interviewer(db, code="INT777")
    db.commit()
    assert queue.take_next(db, own_manager, now=IN_HOURS) is None
    assert queue.take_next(db, other, now=IN_HOURS).id == inv.id


def test_opted_out_and_other_interviewers_cases_are_never_offered(db):
    wave = field_wave(db)
    me, colleague = interviewer(db), interviewer(db)
    opted = field_case(db, wave, opted_out=True)
    theirs = field_case(db, wave, assigned_to=colleague)
    db.commit()
    assert queue.take_next(db, me, now=IN_HOURS) is None
    assert queue.take_next(db, colleague, now=IN_HOURS).id == theirs.id
    opted.client.opted_out = False
    db.commit()
    assert queue.take_next(db, me, now=IN_HOURS).id == opted.id


def test_due_appointments_first_then_new_cases_then_retries(db):
    wave = field_wave(db, retry_wait_minutes=60)
    user = interviewer(db)
    retry = field_case(db, wave)
    retry.attempts, retry.last_attempt_at = 1, IN_HOURS - dt.timedelta(hours=3)
    fresh = field_case(db, wave)
    later = field_case(db, wave)
    later.appointment_at = IN_HOURS + dt.timedelta(hours=1)  # not due yet: not offered
    due = field_case(db, wave)
    due.attempts, due.last_attempt_at = 1, IN_HOURS - 5 * MIN  # the appointment overrides the retry wait
    due.appointment_at = IN_HOURS - MIN
    db.commit()
    order = [queue.take_next(db, user, now=IN_HOURS) for _ in range(4)]
    assert [o.id if o else None for o in order] == [due.id, fresh.id, retry.id, None]


def test_an_expired_lock_returns_the_case_to_the_pool(db):
    wave = field_wave(db)
    inv = field_case(db, wave)
    first, second = interviewer(db), interviewer(db)
    db.commit()
    assert queue.take_next(db, first, now=IN_HOURS).id == inv.id
    db.commit()
    assert queue.take_next(db, second, now=IN_HOURS + 19 * MIN) is None
    got = queue.take_next(db, second, now=IN_HOURS + 21 * MIN)
    assert got.id == inv.id and got.locked_by == second.id


def test_hold_refuses_a_case_locked_by_someone_else(db):
    from survey.errors import Conflict

    wave = field_wave(db)
    inv = field_case(db, wave)
    first, second = interviewer(db), interviewer(db)
    db.commit()
    queue.take_next(db, first, now=IN_HOURS)
    db.commit()
    with pytest.raises(Conflict):
        queue.hold(db, inv, second, now=IN_HOURS + MIN)
    db.rollback()
    with pytest.raises(Conflict):  # outside calling hours an explicit hold is refused too
        queue.hold(db, inv, first, now=AFTER_HOURS)


def test_a_client_invited_by_hand_for_a_call_is_offered_and_a_winback_is_not(db):
    """Hand invitations (outside the sample) by phone can be worked; win-back surveys have their own flow."""
    from survey.services import invitations
    from tests.factories import make_client

    wave = field_wave(db)
    hand_client = make_client(db, manager_code="RM009")
    (inv, _token), = invitations.invite_clients(db, wave, [hand_client.client_no], mode="phone", ttl_days=30,
                                                actor=None)
    winback = field_case(db, wave, manager_code="RM009")
    winback.kind = "winback"
    user = interviewer(db)
    db.flush()
    assert inv.kind == "hand" and wave.status == "in_field"
    assert queue.take_next(db, user, now=IN_HOURS).id == inv.id
    assert queue.take_next(db, interviewer(db), now=IN_HOURS) is None
