"""A working day as a new user lives it: through the test client, from "Next case" to the dashboard."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

from survey.models import ContactAttempt, Invitation, Response, utcnow
from survey.services.fieldwork import dashboard, queue
from tests.conftest import login
from tests.factories import full_answers, make_user
from tests.factories_fieldwork import IN_HOURS, branch, field_case, field_wave, interviewer


def demo_like(db):
    """Three branches, three interviewers (INT01–03), a supervisor, twelve phone clients of RM001–RM012."""
    for code in ("BJ01", "SH01", "GZ01"):
        branch(db, code)
    staff = [interviewer(db, code=f"INT0{k}", username=f"interviewer{k}", branch_code=b,
                         capacity_per_day=40 if k == 1 else 5)
             for k, b in ((1, "BJ01"), (2, "SH01"), (3, "GZ01"))]
    make_user(db, "supervisor", username="sup", employee_code="SUP01")
    # the real clock drives the pages: calling hours open all day so the test passes at any hour
    wave = field_wave(db, calling_hours=[0, 24])
    cases = [field_case(db, wave, phone=f"1390000{k:04d}", branch_code=("BJ01", "SH01", "GZ01")[k % 3],
                        manager_code=f"RM{k + 1:03d}", contribution=3_000_000) for k in range(12)]
    db.commit()
    return wave, staff, cases


def cells(page: str, row_id: str) -> list[str]:
    row = re.search(rf'<tr id="{row_id}">(.*?)</tr>', page, re.S).group(1)
    return re.findall(r'<td class="num">([^<]*)</td>', row)


def test_interviewer_day_through_the_pages(app, client, db):
    wave, (me, *_others), cases = demo_like(db)
    phones = {inv.id: inv.client.phone for inv in cases}

    login(client, "sup")
    r = client.post(f"/staff/fieldwork/waves/{wave.id}/assign")
    assert r.status_code == 302
    client.post("/logout")
    db.rollback()
    db.expire_all()
    mine = db.query(Invitation).filter_by(wave_id=wave.id, assigned_to=me.id).count()
    assert mine >= 3

    assert login(client, "interviewer1").status_code == 302
    nav = client.get("/staff/fieldwork/my").get_data(as_text=True)
    assert "/staff/fieldwork/next" in nav  # "Next case" in the navigation

    # 1. the first case: no answer
    r = client.post("/staff/fieldwork/next")
    first = int(r.headers["Location"].rsplit("/", 1)[1])
    page = client.get(f"/staff/fieldwork/cases/{first}").get_data(as_text=True)
    assert phones[first] in page  # locked to me: the full number
    r = client.post(f"/staff/fieldwork/cases/{first}/attempt", data={"outcome": "no_answer", "note": "响铃无人接"})
    assert r.status_code == 302

    # 2. another case: a callback tomorrow at 10:00 client local time
    second = int(client.post("/staff/fieldwork/next").headers["Location"].rsplit("/", 1)[1])
    assert second != first
    tomorrow = (utcnow().astimezone(ZoneInfo("Asia/Shanghai")) + dt.timedelta(days=1)).strftime("%Y-%m-%dT10:00")
    r = client.post(f"/staff/fieldwork/cases/{second}/attempt",
                    data={"outcome": "callback", "appointment_at": tomorrow, "note": "明天上午再打"})
    assert r.status_code == 302

    # 3. a third case: interview, saved half-way, resumed, completed
    third = int(client.post("/staff/fieldwork/next").headers["Location"].rsplit("/", 1)[1])
    assert third not in (first, second)
    form_page = client.get(f"/staff/fieldwork/cases/{third}/interview").get_data(as_text=True)
    db.rollback()
    db.expire_all()
    questions = db.get(Invitation, third).wave.questionnaire.questions
    overall = next(q for q in questions if q.is_overall)
    assert overall.interview_text_zh and overall.interview_text_zh in form_page  # worded to be read aloud
    answers = full_answers(wave)
    half = {f"q_{overall.code}": "5", "action": "save"}
    assert client.post(f"/staff/fieldwork/cases/{third}/interview", data=half).status_code == 302
    resumed = client.get(f"/staff/fieldwork/cases/{third}/interview").get_data(as_text=True)
    assert re.search(rf'name="q_{overall.code}" value="5" checked', resumed)
    r = client.post(f"/staff/fieldwork/cases/{third}/interview", data={**answers, "action": "finish"})
    assert r.status_code == 302
    client.post("/logout")

    db.rollback()
    db.expire_all()
    resp = db.query(Response).filter_by(invitation_id=third).one()
    assert (resp.mode, resp.interviewer_id, resp.status) == ("phone", me.id, "complete")
    done = db.get(Invitation, third)
    assert (done.status, done.disposition, done.interview_draft) == ("done", "1.1", None)
    assert db.get(Invitation, second).appointment_at is not None
    assert [a.outcome for a in db.query(ContactAttempt).order_by(ContactAttempt.id)] == ["no_answer", "callback", "1.1"]

    # the supervisor's dashboard counts all three
    login(client, "sup")
    page = client.get(f"/staff/fieldwork/waves/{wave.id}").get_data(as_text=True)
    sampled, assigned, attempted, completed, partial, refused, noncontact, remaining, per = cells(page, f"interviewer-{me.id}")
    assert (int(sampled), int(assigned), int(attempted), int(completed)) == (mine, mine, 3, 1)
    assert (int(partial), int(refused), int(noncontact), int(remaining)) == (0, 0, 0, mine - 1)
    assert per == "3.0"
    total = cells(page, "total")
    assert (int(total[0]), int(total[2]), int(total[3]), int(total[7])) == (12, 3, 1, 11)
    # the supervisor sees the case, but not the full number: it is not locked to them
    case_page = client.get(f"/staff/fieldwork/cases/{first}").get_data(as_text=True)
    assert phones[first] not in case_page and phones[first][-4:] in case_page


def test_interview_ended_early_is_a_partial(app, client, db):
    wave = field_wave(db, calling_hours=[0, 24])
    inv = field_case(db, wave)
    interviewer(db, username="iv_partial")
    db.commit()
    login(client, "iv_partial")
    client.post("/staff/fieldwork/next")
    overall = next(q for q in wave.questionnaire.questions if q.is_overall)
    r = client.post(f"/staff/fieldwork/cases/{inv.id}/interview", data={f"q_{overall.code}": "2", "action": "finish"})
    assert r.status_code == 422  # a complete interview needs every required answer
    r = client.post(f"/staff/fieldwork/cases/{inv.id}/interview", data={f"q_{overall.code}": "2", "action": "partial"})
    assert r.status_code == 302
    db.rollback()
    db.expire_all()
    resp = db.query(Response).filter_by(invitation_id=inv.id).one()
    assert resp.status == "partial" and len(resp.answers) == 1
    assert db.get(Invitation, inv.id).disposition == "1.2"


def test_phone_is_masked_unless_the_case_is_locked_to_the_viewer(app, client, db):
    wave = field_wave(db, calling_hours=[0, 24])
    me = interviewer(db, username="iv_mask")
    inv = field_case(db, wave, phone="13912345678", assigned_to=me)
    db.commit()
    login(client, "iv_mask")
    page = client.get(f"/staff/fieldwork/cases/{inv.id}").get_data(as_text=True)
    assert "13912345678" not in page and "139****5678" in page
    client.post(f"/staff/fieldwork/cases/{inv.id}/hold")
    assert "13912345678" in client.get(f"/staff/fieldwork/cases/{inv.id}").get_data(as_text=True)
    client.post(f"/staff/fieldwork/cases/{inv.id}/release")
    assert "13912345678" not in client.get(f"/staff/fieldwork/cases/{inv.id}").get_data(as_text=True)
    db.rollback()
    db.expire_all()
    assert db.get(Invitation, inv.id).locked_by is None and me.id


def test_interviewer_cannot_open_a_colleagues_or_own_clients_case(app, client, db):
    wave = field_wave(db)
    me = interviewer(db, username="iv_403", code="RM050")
    colleague = interviewer(db)
    theirs = field_case(db, wave, assigned_to=colleague)
    own_client = field_case(db, wave, manager_code="RM050")
    db.commit()
    login(client, "iv_403")
    assert client.get(f"/staff/fieldwork/cases/{theirs.id}").status_code == 403
    assert client.get(f"/staff/fieldwork/cases/{own_client.id}").status_code == 403
    assert client.get("/staff/fieldwork/").status_code == 403  # the supervisor's desk
    assert me.id


def test_dashboard_counts_by_tier_and_flags_near_limit_and_overdue(db):
    wave = field_wave(db, max_attempts=3)
    user = interviewer(db)
    a = field_case(db, wave, assigned_to=user, contribution=3_000_000)  # diamond
    a.attempts = 2
    b = field_case(db, wave, assigned_to=user, contribution=100)  # standard
    b.appointment_at = IN_HOURS - dt.timedelta(hours=1)
    c = field_case(db, wave, contribution=100)
    c.status, c.disposition, c.attempts = "done", "2.11", 1
    d = field_case(db, wave, mode="web", contribution=100)
    d.status, d.disposition = "done", "1.1"
    db.commit()
    board = dashboard.build(db, wave, now=IN_HOURS)
    tiers = {p.key: p for p in board.by_tier}
    assert (tiers["diamond"].sampled, tiers["diamond"].remaining) == (1, 1)
    std = tiers["standard"]
    assert (std.sampled, std.assigned, std.attempted, std.completed, std.refused, std.remaining) == (3, 1, 1, 1, 1, 1)
    assert [i.id for i in board.near_limit] == [a.id]
    assert [i.id for i in board.overdue] == [b.id]
    assert board.total.attempts_per_complete == 3.0
    assert queue.FIELD_MODES == ("phone", "in_person")


def test_an_interview_outliving_its_lock_can_still_be_finished(app, client, db):
    wave = field_wave(db, calling_hours=[0, 24])
    inv = field_case(db, wave)
    interviewer(db, username="iv_long")
    db.commit()
    login(client, "iv_long")
    client.post("/staff/fieldwork/next")
    db.rollback()
    db.expire_all()
    db.get(Invitation, inv.id).locked_until = utcnow() - dt.timedelta(minutes=10)  # a 30-minute interview
    db.commit()
    r = client.post(f"/staff/fieldwork/cases/{inv.id}/interview", data={**full_answers(wave), "action": "finish"})
    assert r.status_code == 302
    db.rollback()
    db.expire_all()
    assert db.get(Invitation, inv.id).disposition == "1.1"
