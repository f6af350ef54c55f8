"""Release to target: exactly the reserve the projection asks for, never more than the reserve holds,
in the recorded release order; audited; from the service, `survey release --to-target` and the wave page.

Controlled response rate, worked by hand.  Gold, N = 1000, target ±10 points: m = 88 completes
(0.9604 x 1000 / (0.01 x 999 + 0.9604) = 87.7).  The plan invites ceil(88 / 0.5) = 176 and draws as
many again as reserve.  Of the first 100 cases, 30 complete and 70 refuse: the rate is
(30 + 10 x 0.5) / (100 + 10) = 35/110 (the plan's 0.5 counts as 10 resolved cases), the 76 open cases
bring 30 + 76 x 35/110 = 54.18 completes at close, 33.82 short of 88, so ceil(33.82 x 110/35) =
ceil(106.29) = 107 reserve cases are released: ranks 176 to 282.
"""

from __future__ import annotations

import math
import re

import pytest
from sqlalchemy import func, select

from survey.db import session_scope
from survey.errors import Conflict
from survey.models import AuditEvent, Invitation, ReserveCase, Wave
from survey.services.samples import draw as sampling_draw
from survey.services.samples import responsive
from survey.services.samples.plan import PlanParams
from tests.factories import make_wave
from tests.factories_quality import make_clients

RATE = 35 / 110
EXPECTED = math.ceil((88 - (30 + 76 * RATE)) / RATE)


def _wave(app, reserve_share: float = 1.0) -> int:
    """A drawn wave put in the field (the lifecycle's own transition lives on another branch)."""
    with app.app_context(), session_scope(app) as s:
        make_clients(s, "gold", 1000)
        wave = make_wave(s, name="2027-Q1")
        sampling_draw.draw_sample(s, wave, "test", seed=11, confirm=True,
                                  params=PlanParams(margin=0.10, method="equal", minimum=0, reserve_share=reserve_share))
        wave.status = "in_field"
        return wave.id


def _resolve(app, wave_id: int, completes: int, refusals: int) -> None:
    """Final codes for the first cases in release order: a controlled response rate."""
    with app.app_context(), session_scope(app) as s:
        cases = s.scalars(select(Invitation).where(Invitation.wave_id == wave_id)
                          .order_by(Invitation.release_rank).limit(completes + refusals)).all()
        for k, inv in enumerate(cases):
            inv.status, inv.disposition = "done", ("1.1" if k < completes else "2.11")


@pytest.fixture
def wave_id(app):
    wave_id = _wave(app)
    _resolve(app, wave_id, 30, 70)
    return wave_id


def _ranks(db, model, wave_id) -> list[int]:
    db.rollback()
    return sorted(db.scalars(select(model.release_rank).where(model.wave_id == wave_id)))


def test_projection_by_hand(db, wave_id):
    assert EXPECTED == 107
    p = responsive.project_wave(db, db.get(Wave, wave_id))
    gold = next(t for t in p.tiers if t.code == "gold")
    assert (gold.released, gold.resolved, gold.completes, gold.reserve) == (176, 100, 30, 176)
    assert gold.rate == pytest.approx(RATE)
    assert gold.projected_completes == pytest.approx(30 + 76 * RATE)
    assert (gold.target_completes, gold.release) == (88, EXPECTED)
    assert [t.code for t in p.tiers] == ["gold"]  # empty tiers are left out


def test_release_to_target_releases_exactly_that_in_recorded_order(db, wave_id):
    before = _ranks(db, ReserveCase, wave_id)
    released = responsive.release_to_target(db, db.get(Wave, wave_id), "test")
    db.commit()
    assert released == {"gold": EXPECTED}
    assert _ranks(db, Invitation, wave_id) == list(range(176 + EXPECTED))
    assert _ranks(db, ReserveCase, wave_id) == before[EXPECTED:]
    audit = db.scalar(select(AuditEvent.details).where(AuditEvent.action == "sample.released_to_target"))
    assert audit["released"] == {"gold": EXPECTED}
    step = db.scalar(select(AuditEvent.details).where(AuditEvent.action == "sample.released"))
    assert step["ranks"] == [176, 176 + EXPECTED - 1]
    # the projection now reaches the target: a second call releases nothing
    assert responsive.release_to_target(db, db.get(Wave, wave_id), "test") == {}


def test_never_more_than_the_reserve_holds(app, db):
    wave_id = _wave(app, reserve_share=0.25)  # 44 in reserve, fewer than the 107 asked for
    _resolve(app, wave_id, 30, 70)
    released = responsive.release_to_target(db, db.get(Wave, wave_id), "test")
    db.commit()
    assert released == {"gold": 44}
    assert _ranks(db, Invitation, wave_id) == list(range(176 + 44))
    assert db.scalar(select(func.count()).select_from(ReserveCase)) == 0
    p = responsive.project_wave(db, db.get(Wave, wave_id))
    assert not p.tiers[0].reaches_target and p.tiers[0].release == 0


def test_only_in_the_field(app, db, wave_id):
    wave = db.get(Wave, wave_id)
    wave.status = "sampled"
    with pytest.raises(Conflict, match="not in the field"):
        responsive.release_to_target(db, wave, "test")


def test_cli_release_to_target(runner, db, wave_id):
    bad = runner.invoke(args=["release", "2027-Q1", "--to-target", "--tier", "gold"])
    assert bad.exit_code != 0 and "either --tier and --count, or --to-target" in bad.output
    out = runner.invoke(args=["release", "2027-Q1", "--to-target"])
    assert out.exit_code == 0, out.output
    assert re.search(rf"^gold\s+{176 + EXPECTED}\s+{EXPECTED}\s", out.output, re.M), out.output
    assert f"released {EXPECTED} reserve case(s)" in out.output
    assert _ranks(db, Invitation, wave_id) == list(range(176 + EXPECTED))
    again = runner.invoke(args=["release", "2027-Q1", "--to-target"])
    assert again.exit_code == 0 and "nothing released" in again.output


def test_wave_page_projects_and_releases_to_target(as_role, client, db, wave_id):
    as_role("supervisor")
    page = client.get(f"/staff/waves/{wave_id}?lang=en").get_data(as_text=True)
    table = re.search(r'<table id="fieldwork-projection">(.*?)</table>', page, re.S).group(1)
    cells = re.findall(r'<td class="num">([^<]*)</td>', re.search(r"Gold</th>(.*?)</tr>", table, re.S).group(1))
    assert cells == ["176", "100", "30", "32 %", f"{30 + 76 * RATE:.1f}",
                     cells[5], "±10.0", "176", str(EXPECTED)]
    assert 'id="release-to-target"' in page
    r = client.post(f"/staff/waves/{wave_id}/release-to-target?lang=en", follow_redirects=True)
    assert r.status_code == 200
    assert f"Reserve released to reach the target margins: Gold {EXPECTED}." in r.get_data(as_text=True)
    assert _ranks(db, Invitation, wave_id) == list(range(176 + EXPECTED))
    assert 'id="release-to-target"' not in r.get_data(as_text=True)  # nothing more to release


def test_interviewers_may_not_release_to_target(as_role, client, db, wave_id):
    as_role("interviewer")
    assert client.post(f"/staff/waves/{wave_id}/release-to-target").status_code == 403
    assert db.scalar(select(func.count()).select_from(Invitation)) == 176
