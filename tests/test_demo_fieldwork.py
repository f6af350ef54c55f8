"""A working day in the demo: interviewer1 takes three cases through "Next case" (no answer, callback,
complete interview) and the supervisor's dashboard for the wave in field counts exactly these three.

Expectations are derived from each case's state before the day and the dashboard's definitions
(survey/services/fieldwork_dashboard.Progress): sampled = every sample case; assigned = with an
interviewer; attempted = at least one attempt; completed = AAPOR group I; partial P; refused R;
non_contact NC (closed cases only); remaining = still open; attempts per complete = attempts / completed.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from survey.models import ContactAttempt, Invitation, Response, StaffUser, Wave, utcnow
from survey.services.fieldwork import outcomes
from survey.services.fieldwork.queue import wave_settings
from tests.test_demo_support import build_demo, num_cells, table_body

FIELDS = ("sampled", "assigned", "attempted", "completed", "partial", "refused", "non_contact", "remaining")


@pytest.fixture(scope="module")
def demo(database_url, tmp_path_factory):
    yield from build_demo(database_url, tmp_path_factory)


def contribution(status: str, disposition: str | None, attempts: int, assigned: bool) -> dict[str, int]:
    """One case's contribution to a dashboard row, by the dashboard's definitions."""
    group = None if status == "open" else outcomes.aapor_group(disposition)
    return {"sampled": 1, "assigned": int(assigned), "attempted": int(attempts > 0), "completed": int(group == "I"),
            "partial": int(group == "P"), "refused": int(group == "R"), "non_contact": int(group == "NC"),
            "remaining": int(status == "open"), "attempts": attempts}


def board(client, wave_id: int, rows: list[str]) -> dict[str, dict[str, str]]:
    page = client.get(f"/staff/fieldwork/waves/{wave_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    out = {}
    for row in rows:  # a row absent from the page (no unassigned cases) counts zero everywhere
        cells = num_cells(html, row) if f'<tr id="{row}">' in html else ["0"] * len(FIELDS) + ["—"]
        out[row] = dict(zip((*FIELDS, "per_complete"), cells, strict=True))
    out["_overdue"] = table_body(html, "Overdue appointments")  # type: ignore[assignment]
    return out


def case_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    m = re.search(r"/staff/fieldwork/cases/(\d+)$", response.headers["Location"])
    assert m, f"'Next case' gave no case: {response.headers['Location']}"
    return int(m.group(1))


def test_interviewer_working_day_is_counted_on_the_supervisors_dashboard(demo):
    s = demo.session()
    wave = s.scalar(select(Wave).where(Wave.status == "in_field"))
    assert wave is not None and wave.name == "2026-Q4"
    # the real clock drives the pages: open the calling hours all day so the test passes at any hour;
    # and lift the attempt limit so the callback can be kept on whichever case the queue serves
    # (a callback on a case's last allowed attempt is refused: test_fieldwork_outcomes covers that)
    wave.settings = {**wave.settings, "calling_hours": [0, 24], "max_attempts": 20}
    s.commit()
    me = s.scalar(select(StaffUser).where(StaffUser.username == "interviewer1"))
    max_attempts = int(wave_settings(wave)["max_attempts"])
    wave_id, me_id = wave.id, me.id
    tier_codes = [t.code for t in wave.tier_scheme.tiers]
    attempts_before = sum(s.scalars(select(Invitation.attempts).where(Invitation.wave_id == wave_id,
                                                                      Invitation.kind == "sample")))
    s.close()

    sup = demo.client("supervisor")
    rows = ["total", f"interviewer-{me_id}", "interviewer-none", *(f"tier-{c}" for c in tier_codes)]
    before = board(sup, wave_id, rows)
    completed_before = int(before["total"]["completed"])
    assert before["total"]["per_complete"] == f"{attempts_before / completed_before:.1f}"
    assert int(before["total"]["sampled"]) > 0 and int(before["total"]["attempted"]) > 0  # the demo's own day

    iv = demo.client("interviewer1")
    assert "/staff/fieldwork/next" in iv.get("/staff/fieldwork/my").get_data(as_text=True)
    taken, states = [], {}

    def take() -> int:
        inv_id = case_id(iv.post("/staff/fieldwork/next"))
        assert inv_id not in taken
        taken.append(inv_id)
        s = demo.session()
        inv = s.get(Invitation, inv_id)
        assert (inv.wave_id, inv.status, inv.locked_by) == (wave_id, "open", me_id)
        states[inv_id] = dict(tier=inv.tier_code, attempts=inv.attempts or 0, assigned_to=inv.assigned_to,
                              overdue=inv.appointment_at is not None and inv.appointment_at < utcnow())
        s.close()
        assert iv.get(f"/staff/fieldwork/cases/{inv_id}").status_code == 200
        return inv_id

    # 1. no answer
    first = take()
    r = iv.post(f"/staff/fieldwork/cases/{first}/attempt", data={"outcome": "no_answer", "note": "响铃无人接"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/staff/fieldwork/my")
    # 2. a callback tomorrow 10:00 client local time (the demo branches are in Asia/Shanghai)
    second = take()
    tomorrow = (utcnow().astimezone(ZoneInfo("Asia/Shanghai")) + dt.timedelta(days=1)).strftime("%Y-%m-%dT10:00")
    r = iv.post(f"/staff/fieldwork/cases/{second}/attempt",
                data={"outcome": "callback", "appointment_at": tomorrow, "note": "明天上午再打"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/staff/fieldwork/my")
    # 3. a complete interview: every required question answered through the form
    third = take()
    form_page = iv.get(f"/staff/fieldwork/cases/{third}/interview")
    assert form_page.status_code == 200
    html = form_page.get_data(as_text=True)
    s = demo.session()
    questions = list(s.get(Invitation, third).wave.questionnaire.questions)
    form = {"action": "finish"}
    for q in (q for q in questions if q.required):
        name = f"q_{q.code}"
        choices = re.findall(rf'name="{name}"[^>]*value="([^"]*)"', html)
        assert choices or f'name="{name}"' in html, f"required question {q.code} is not on the form"
        form[name] = ("4" if "4" in choices else choices[-1]) if choices else "很好 good"
    s.close()
    assert iv.post(f"/staff/fieldwork/cases/{third}/interview", data={"action": "finish"}).status_code == 422
    r = iv.post(f"/staff/fieldwork/cases/{third}/interview", data=form)
    assert r.status_code == 302, r.get_data(as_text=True)[:500]

    # appointments that are due are honoured first, then the rest of the queue
    due = [states[i]["overdue"] for i in taken]
    assert due == sorted(due, reverse=True)

    # what the three cases became, as the domain says
    s = demo.session()
    after = {i: s.get(Invitation, i) for i in taken}
    last = {i: s.scalars(select(ContactAttempt.outcome).where(ContactAttempt.invitation_id == i)
                         .order_by(ContactAttempt.id.desc())).first() for i in taken}
    assert [last[i] for i in taken] == ["no_answer", "callback", "1.1"]
    for i in taken:
        assert after[i].attempts == states[i]["attempts"] + 1 and after[i].assigned_to == me_id
    for i in (first, second):
        if states[i]["attempts"] + 1 < max_attempts:
            assert after[i].status == "open" and after[i].next_try_at is not None
        else:  # the wave's last allowed attempt retires the case with a final code (no callback kept)
            assert after[i].status == "done" and outcomes.aapor_group(after[i].disposition) in ("NC", "O", "U")
    if after[second].status == "open":
        assert after[second].appointment_at > utcnow()
    assert (after[third].status, after[third].disposition) == ("done", "1.1")
    resp = s.scalar(select(Response).where(Response.invitation_id == third))
    assert (resp.status, resp.interviewer_id, resp.mode) == ("complete", me_id, after[third].mode)
    expected: dict[str, dict[str, int]] = {row: dict.fromkeys((*FIELDS, "attempts"), 0) for row in rows}
    for i in taken:
        was = contribution("open", None, states[i]["attempts"], states[i]["assigned_to"] is not None)
        now = contribution(after[i].status, after[i].disposition, after[i].attempts, True)
        affected = {"total": (was, now), f"tier-{states[i]['tier']}": (was, now)}
        old_row = f"interviewer-{states[i]['assigned_to'] or 'none'}"
        for row, sign, c in ((old_row, -1, was), (f"interviewer-{me_id}", 1, now)):
            for k in expected[row]:
                expected[row][k] += sign * c[k]
        for row, (a, b) in affected.items():
            for k in expected[row]:
                expected[row][k] += b[k] - a[k]
    s.close()

    after_board = board(sup, wave_id, rows)
    for row in rows:
        got = {k: int(after_board[row][k]) - int(before[row][k]) for k in FIELDS}
        assert got == {k: expected[row][k] for k in FIELDS}, row
    total = expected["total"]
    assert (total["attempted"], total["completed"], total["remaining"], total["attempts"]) == (
        sum(states[i]["attempts"] == 0 for i in taken), 1, -sum(after[i].status == "done" for i in taken), 3)
    assert after_board["total"]["per_complete"] == f"{(attempts_before + 3) / (completed_before + 1):.1f}"
    # none of the three is an overdue appointment now
    for i in taken:
        assert f"/staff/fieldwork/cases/{i}\"" not in after_board["_overdue"]
