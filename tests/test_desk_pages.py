"""The desk through the pages: calling-hours messages, local times with the zone named, the last attempt,
and the visit address.  Waves in field come from the fieldwork factories (as in test_fieldwork_flow); every
step after that goes through the pages."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from zoneinfo import ZoneInfo

from survey.models import Invitation, utcnow
from tests.conftest import login
from tests.factories_fieldwork import branch, field_case, field_wave, interviewer


def _flash(page: str) -> str:
    return unescape(" ".join(re.findall(r'<p class="flash" role="status">(.*?)</p>', page, re.S)))


def _signed_in_with_a_case(client, db, username: str, *, branch_code: str = "BJ01", **settings) -> Invitation:
    """A wave in field with one phone case of ``branch_code`` assigned to an interviewer ``username``, signed in."""
    me = interviewer(db, username=username)
    inv = field_case(db, field_wave(db, **settings), branch_code=branch_code, assigned_to=me)
    db.commit()
    login(client, username)
    return inv


def _hours_away_from_now(tz: str) -> list[int]:
    """Calling hours of two hours starting six hours from now in ``tz``: closed for the next five hours."""
    start = (utcnow().astimezone(ZoneInfo(tz)).hour + 6) % 24
    return [start, min(start + 2, 24)]


def test_next_case_outside_calling_hours_says_when_the_window_opens(client, db):
    branch(db, "TK01", "Asia/Tokyo")
    hours = _hours_away_from_now("Asia/Tokyo")
    inv = _signed_in_with_a_case(client, db, "iv_hours", branch_code="TK01", calling_hours=hours)
    page = client.post("/staff/fieldwork/next?lang=en", follow_redirects=True).get_data(as_text=True)
    local_now = utcnow().astimezone(ZoneInfo("Asia/Tokyo"))
    day = local_now.date() if local_now.hour < hours[0] else local_now.date() + dt.timedelta(days=1)
    opens = f"{day:%Y-%m-%d} {hours[0]:02d}:00 Asia/Tokyo"
    message = _flash(page)
    assert f"({hours[0]:02d}:00–{hours[1]:02d}:00)" in message
    assert f"The next window opens at {opens}." in message
    # choosing the case by hand says the same
    held = client.post(f"/staff/fieldwork/cases/{inv.id}/hold?lang=en", follow_redirects=True).get_data(as_text=True)
    assert f"Asia/Tokyo); they open again at {opens}" in _flash(held)


def test_an_empty_queue_inside_hours_keeps_the_plain_message(client, db):
    field_wave(db, calling_hours=[0, 24])
    interviewer(db, username="iv_empty")
    db.commit()
    login(client, "iv_empty")
    page = client.post("/staff/fieldwork/next?lang=en", follow_redirects=True).get_data(as_text=True)
    assert "No case can be worked now" in page and "next window" not in page


def test_appointment_outside_calling_hours_is_refused_naming_the_hours(client, db):
    branch(db, "BJ01")
    inv = _signed_in_with_a_case(client, db, "iv_appt", calling_hours=[9, 20])
    tomorrow = (utcnow().astimezone(ZoneInfo("Asia/Shanghai")) + dt.timedelta(days=1)).date()
    late = client.post(f"/staff/fieldwork/cases/{inv.id}/appointment?lang=en",
                       data={"appointment_at": f"{tomorrow}T23:30"}, follow_redirects=True).get_data(as_text=True)
    assert "09:00–20:00" in _flash(late) and "Asia/Shanghai" in _flash(late)
    db.rollback()
    assert db.get(Invitation, inv.id).appointment_at is None
    ok = client.post(f"/staff/fieldwork/cases/{inv.id}/appointment?lang=en",
                     data={"appointment_at": f"{tomorrow}T10:00"}, follow_redirects=True).get_data(as_text=True)
    assert "Appointment saved." in _flash(ok)
    db.rollback()
    db.expire_all()
    stored = db.get(Invitation, inv.id).appointment_at
    assert stored.astimezone(ZoneInfo("Asia/Shanghai")).hour == 10


def test_my_cases_and_the_case_page_show_the_same_local_time_with_the_zone(client, db):
    branch(db, "TK01", "Asia/Tokyo")
    inv = _signed_in_with_a_case(client, db, "iv_tz", branch_code="TK01", calling_hours=[0, 24])
    tomorrow = (utcnow().astimezone(ZoneInfo("Asia/Tokyo")) + dt.timedelta(days=1)).date()
    client.post(f"/staff/fieldwork/cases/{inv.id}/appointment", data={"appointment_at": f"{tomorrow}T10:00"})
    shown = f"{tomorrow} 10:00 Asia/Tokyo"
    utc_hour = f"{tomorrow} 01:00"
    mine = client.get("/staff/fieldwork/my?lang=en").get_data(as_text=True)
    case = client.get(f"/staff/fieldwork/cases/{inv.id}?lang=en").get_data(as_text=True)
    assert shown in mine and shown in case
    assert utc_hour not in mine and "(UTC)" not in mine


def test_last_allowed_attempt_says_it_closed_the_case_and_with_which_code(client, db):
    inv = _signed_in_with_a_case(client, db, "iv_last", calling_hours=[0, 24], max_attempts=2)
    client.post("/staff/fieldwork/next")
    first = client.post(f"/staff/fieldwork/cases/{inv.id}/attempt?lang=en", data={"outcome": "no_answer"},
                        follow_redirects=True).get_data(as_text=True)
    assert "the case stays open (1 of 2 attempts made)" in _flash(first)
    client.post(f"/staff/fieldwork/cases/{inv.id}/hold")
    last = client.post(f"/staff/fieldwork/cases/{inv.id}/attempt?lang=en", data={"outcome": "busy"},
                       follow_redirects=True).get_data(as_text=True)
    assert ("This was the last allowed attempt (2 of 2): it closed the case with code "
            "3.90 Other, eligibility unknown.") in _flash(last)
    db.rollback()
    db.expire_all()
    assert (db.get(Invitation, inv.id).status, db.get(Invitation, inv.id).disposition) == ("done", "3.90")


def test_final_code_says_the_case_is_closed_with_it(client, db):
    inv = _signed_in_with_a_case(client, db, "iv_final", calling_hours=[0, 24])
    client.post("/staff/fieldwork/next")
    page = client.post(f"/staff/fieldwork/cases/{inv.id}/attempt?lang=en", data={"outcome": "4.32"},
                       follow_redirects=True).get_data(as_text=True)
    assert "the case is closed with code 4.32 Disconnected number." in _flash(page)


def test_visit_case_shows_branch_and_address(client, db, runner, tmp_path):
    branch(db, "BJ01")
    wave = field_wave(db, calling_hours=[0, 24])
    me = interviewer(db, username="iv_visit")  # interviewers open only the cases assigned to them
    visit = field_case(db, wave, mode="in_person", branch_code="BJ01", client_no="V0000001", assigned_to=me)
    phone = field_case(db, wave, mode="phone", branch_code="BJ01", client_no="V0000002", assigned_to=me)
    db.commit()
    # the address arrives with the client file, as it would in the bank
    path = tmp_path / "clients.csv"
    path.write_text("客户号,姓名,手机,网点,客户经理工号,贡献度,地址\n"
                    "V0000001,王先生,13800138000,BJ01,RM001,10000,北京市东城区东长安街1号\n"
                    "V0000002,李女士,13800138001,BJ01,RM001,10000,北京市西城区金融街2号\n", encoding="utf-8")
    assert runner.invoke(args=["import-clients", str(path)]).exit_code == 0
    login(client, "iv_visit")
    page = client.get(f"/staff/fieldwork/cases/{visit.id}?lang=en").get_data(as_text=True)
    assert "北京市东城区东长安街1号" in page and "Branch BJ01" in page and "Asia/Shanghai" in page
    phone_page = client.get(f"/staff/fieldwork/cases/{phone.id}?lang=en").get_data(as_text=True)
    assert "金融街" not in phone_page  # a phone case needs no address
