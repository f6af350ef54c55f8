"""The interviewer's private calendar feed: valid iCalendar, only their own future appointments, revocable."""

import datetime as dt
import re

import icalendar

from survey.models import StaffUser, utcnow
from survey.services.fieldwork import calendar
from tests.conftest import login
from tests.factories_fieldwork import field_case, field_wave, interviewer


def test_feed_parses_and_holds_exactly_my_future_appointments(app, client, db):
    wave = field_wave(db)
    me, colleague = interviewer(db, username="cal_me", display_name="访员 Me"), interviewer(db)
    now = utcnow()
    soon = (now + dt.timedelta(days=1)).replace(microsecond=0)
    mine = field_case(db, wave, assigned_to=me, name="张三, Zhang; \"San\"")
    mine.appointment_at = soon
    visit = field_case(db, wave, mode="in_person", assigned_to=me)
    visit.appointment_at = soon + dt.timedelta(hours=3)
    past = field_case(db, wave, assigned_to=me)
    past.appointment_at = now - dt.timedelta(hours=2)
    closed = field_case(db, wave, assigned_to=me)
    closed.appointment_at, closed.status = soon, "done"
    theirs = field_case(db, wave, assigned_to=colleague)
    theirs.appointment_at = soon
    field_case(db, wave, assigned_to=me)  # no appointment
    db.commit()

    login(client, "cal_me")
    page = client.post("/staff/fieldwork/calendar", data={"action": "create"}).get_data(as_text=True)
    url = re.search(r"<code>(http[^<]+\.ics)</code>", page).group(1)
    path = url.split("://", 1)[1].split("/", 1)[1]
    token = path.removeprefix("cal/").removesuffix(".ics")
    db.rollback()
    db.expire_all()  # objects committed earlier are not expired by a rollback with no transaction open
    stored = db.get(StaffUser, me.id).calendar_token_hash
    assert stored and token not in stored and len(stored) == 64  # only the hash is kept

    client.post("/logout")
    feed = client.get("/" + path)  # no login needed: the secret address is the key
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    cal = icalendar.Calendar.from_ical(feed.data)
    events = [c for c in cal.walk() if c.name == "VEVENT"]
    assert sorted(e.decoded("dtstart") for e in events) == [soon, soon + dt.timedelta(hours=3)]
    uids = {str(e["uid"]) for e in events}
    assert any(f"case-{mine.id}-" in u for u in uids) and any(f"case-{visit.id}-" in u for u in uids)
    assert any("张三, Zhang; \"San\"" in str(e["summary"]) for e in events)
    assert all(e.decoded("dtend") > e.decoded("dtstart") for e in events)
    assert b"\r\n" in feed.data and all(len(line) <= 75 for line in feed.data.split(b"\r\n"))

    login(client, "cal_me")
    client.post("/staff/fieldwork/calendar", data={"action": "revoke"})
    client.post("/logout")
    assert client.get("/" + path).status_code == 404


def test_a_new_address_replaces_the_old_one_and_unknown_tokens_are_404(db, client):
    user = interviewer(db)
    old = calendar.create_token(db, user)
    new = calendar.create_token(db, user)
    db.commit()
    assert client.get(f"/cal/{old}.ics").status_code == 404
    assert client.get(f"/cal/{new}.ics").status_code == 200
    assert client.get("/cal/not-a-token.ics").status_code == 404
