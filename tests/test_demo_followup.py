"""Follow-up cases in the demo, read as the supervisor reads them: the board has cases in every step,
some overdue, and the reports page gives the median and 90th percentile of the time spent in each step
(computed here from the case histories: numpy's default linear interpolation, Hyndman & Fan type 7)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import numpy as np
import pytest
from sqlalchemy import select

from survey.models import CaseEvent, FollowUpCase, utcnow
from survey.services.followup.cases import OPEN_STEPS, STEPS
from tests.test_demo_support import build_demo, row_cells

STEP_LABELS = {"recorded": "Recorded", "accepted": "Accepted", "analysed": "Analysed", "handled": "Handled",
               "fed_back": "Fed back", "closed": "Closed"}


@pytest.fixture(scope="module")
def demo(database_url, tmp_path_factory):
    yield from build_demo(database_url, tmp_path_factory)


def case_ids(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'<a href="/cases/(\d+)">#\d+</a>', html)}


def overdue_now(demo) -> set[int]:
    s = demo.session()
    try:
        return set(s.scalars(select(FollowUpCase.id).where(FollowUpCase.step != "closed",
                                                          FollowUpCase.step_deadline < utcnow())))
    finally:
        s.close()


def test_board_has_cases_in_every_step_and_some_overdue(demo):
    s = demo.session()
    steps = dict(Counter(s.scalars(select(FollowUpCase.step))))
    s.close()
    assert set(steps) == set(STEPS) and all(steps[k] > 0 for k in STEPS), steps
    c = demo.client("supervisor")
    page = c.get("/cases/board").get_data(as_text=True)
    for step in OPEN_STEPS:
        shown = re.search(rf'<h2 id="col-{step}">[^<]*<span class="muted">\((\d+)\)</span>', page)
        assert shown and int(shown.group(1)) == steps[step], step
    closed = c.get("/cases/board?step=closed").get_data(as_text=True)
    assert len(case_ids(closed)) == steps["closed"]
    assert 'id="col-recorded"' not in closed

    before = overdue_now(demo)
    late = c.get("/cases/board?overdue=1").get_data(as_text=True)
    after = overdue_now(demo)
    assert before, "the demo should leave some cases overdue"
    assert before <= case_ids(late) <= after
    assert late.count('class="badge overdue">Overdue<') >= len(before)
    # and each step's case opens
    s = demo.session()
    one_per_step = [s.scalar(select(FollowUpCase.id).where(FollowUpCase.step == k).limit(1)) for k in STEPS]
    s.close()
    for case_id in one_per_step:
        r = c.get(f"/cases/{case_id}")
        assert r.status_code == 200 and f"#{case_id}" in r.get_data(as_text=True)


def hand_step_times(demo) -> dict[str, tuple[int, str, str]]:
    s = demo.session()
    events = s.execute(select(CaseEvent.case_id, CaseEvent.at, CaseEvent.to_step)
                       .where(CaseEvent.action.in_(("opened", "advanced", "reopened")))
                       .order_by(CaseEvent.case_id, CaseEvent.at, CaseEvent.id)).all()
    s.close()
    by_case = defaultdict(list)
    for case_id, at, step in events:
        by_case[case_id].append((at, step))
    hours = defaultdict(list)
    for history in by_case.values():
        for (at, step), (nxt, _) in zip(history, history[1:], strict=False):
            if step != "closed":
                hours[step].append((nxt - at).total_seconds() / 3600)
    return {step: (len(h), f"{round(float(np.median(h)), 1):.1f}", f"{round(float(np.percentile(h, 90)), 1):.1f}")
            for step, h in hours.items()}


def test_reports_page_shows_step_timings_median_and_90th_percentile(demo):
    c = demo.client("supervisor")
    r = c.get("/cases/reports")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    body = re.search(r'<table aria-labelledby="r-times">(.*?)</table>', page, re.S).group(1)
    assert "Median" in body and "90th percentile" in body
    shown = {head: cells for head, cells in row_cells(body)}
    expected = hand_step_times(demo)
    assert set(expected) == set(OPEN_STEPS)
    for step in OPEN_STEPS:
        n, median, p90 = shown[STEP_LABELS[step]]
        assert (int(n), median, p90) == expected[step], step
        assert float(median) <= float(p90)
    overdue = dict(row_cells(re.search(r'<table aria-labelledby="r-overdue">(.*?)</table>', page, re.S).group(1)))
    assert int(overdue["All tiers"][1]) > 0  # overdue now
    csv_text = c.get("/cases/reports/step_times.csv").data.decode("utf-8-sig")
    assert csv_text.splitlines()[0] == "step,steps_completed,median_hours,p90_hours"
    assert len(csv_text.splitlines()) == 1 + len(OPEN_STEPS)
