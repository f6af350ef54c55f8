"""Sampling in the demo: every wave's draw record is on its wave page, and the supervisor releases five
reserve cases of a tier of the wave in field from that page (exactly five invitations, lowest release
ranks first, an audit event)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from survey.models import AuditEvent, Draw, Invitation, ReserveCase, StaffUser, Wave
from tests.test_demo_support import build_demo, row_cells, table_body

TIER_LABELS = {"private": "Private banking", "diamond": "Diamond", "platinum": "Platinum", "gold": "Gold",
               "standard": "Standard"}


@pytest.fixture(scope="module")
def demo(database_url, tmp_path_factory):
    yield from build_demo(database_url, tmp_path_factory)


def draw_table(page: str) -> dict[str, list[str]]:
    return dict(row_cells(table_body(page, "Draw record and reserve per tier")))


def test_every_demo_wave_shows_its_draw_record(demo):
    s = demo.session()
    waves = s.scalars(select(Wave).order_by(Wave.period_start)).all()
    assert [w.name for w in waves] == ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    c = demo.client("supervisor")
    seeds = set()
    for wave in waves:
        draw = s.scalar(select(Draw).where(Draw.wave_id == wave.id))
        assert draw is not None, wave.name
        reserve = dict(s.execute(select(ReserveCase.tier_code, func.count()).where(ReserveCase.wave_id == wave.id)
                                 .group_by(ReserveCase.tier_code)).all())
        page = c.get(f"/staff/waves/{wave.id}").get_data(as_text=True)
        assert f"with seed {draw.seed}, algorithm {draw.algorithm}, NumPy {draw.numpy_version}." in page
        assert draw.algorithm and re.fullmatch(r"\d+\.\d+.*", draw.numpy_version)
        table = draw_table(page)
        assert set(table) == set(TIER_LABELS.values())
        for code, label in TIER_LABELS.items():
            frame, drawn, released, left = table[label]
            alloc = draw.allocation["tiers"][code]
            assert (int(frame), int(drawn), int(released), int(left)) == (
                int(draw.frame_counts[code]), alloc["drawn"], alloc["released"], reserve.get(code, 0))
            assert int(drawn) == int(released) + int(left)  # nothing released from the reserve yet
        assert (f'action="/staff/waves/{wave.id}/release"' in page) == (wave.status == "in_field")
        seeds.add(draw.seed)
    assert len(seeds) == 5  # each wave drawn with its own recorded seed
    s.close()


def test_supervisor_releases_five_reserve_cases_of_a_tier_from_the_wave_page(demo):
    s = demo.session()
    wave = s.scalar(select(Wave).where(Wave.status == "in_field"))
    wave_id, tier = wave.id, "gold"
    sup_id = s.scalar(select(StaffUser.id).where(StaffUser.username == "supervisor"))
    invited = s.scalar(select(func.count()).where(Invitation.wave_id == wave_id, Invitation.tier_code == tier))
    next_ranks = list(s.scalars(select(ReserveCase.release_rank).where(
        ReserveCase.wave_id == wave_id, ReserveCase.tier_code == tier).order_by(ReserveCase.release_rank).limit(5)))
    others = dict(s.execute(select(Invitation.tier_code, func.count()).where(Invitation.wave_id == wave_id)
                            .group_by(Invitation.tier_code)).all())
    audits = s.scalar(select(func.count()).where(AuditEvent.action == "sample.released"))
    s.close()
    assert len(next_ranks) == 5

    c = demo.client("supervisor")
    page = c.get(f"/staff/waves/{wave_id}").get_data(as_text=True)
    left_before = int(draw_table(page)[TIER_LABELS[tier]][3])
    assert re.search(rf'<option value="{tier}">[^<]*\({left_before}\)</option>', page)
    r = c.post(f"/staff/waves/{wave_id}/release", data={"tier": tier, "count": "5"})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/staff/waves/{wave_id}#sampling")
    page = c.get(f"/staff/waves/{wave_id}").get_data(as_text=True)
    assert "5 reserve case(s) released in tier gold." in page
    assert int(draw_table(page)[TIER_LABELS[tier]][3]) == left_before - 5

    s = demo.session()
    after = dict(s.execute(select(Invitation.tier_code, func.count()).where(Invitation.wave_id == wave_id)
                           .group_by(Invitation.tier_code)).all())
    assert after == {**others, tier: invited + 5}  # exactly five more, all of that tier
    new = s.scalars(select(Invitation).where(Invitation.wave_id == wave_id, Invitation.tier_code == tier)
                    .order_by(Invitation.id.desc()).limit(5)).all()
    assert sorted(i.release_rank for i in new) == next_ranks and all(i.status == "open" for i in new)
    events = s.scalars(select(AuditEvent).where(AuditEvent.action == "sample.released").order_by(AuditEvent.id)).all()
    assert len(events) == audits + 1
    event = events[-1]
    assert (event.actor_id, event.entity_type, event.entity_id) == (sup_id, "wave", str(wave_id))
    assert (event.details["tier"], event.details["count"]) == (tier, 5)
    s.close()
    # more than the reserve holds is refused and changes nothing
    r = c.post(f"/staff/waves/{wave_id}/release", data={"tier": tier, "count": str(left_before)}, follow_redirects=True)
    assert "cannot release" in r.get_data(as_text=True)
    s = demo.session()
    assert s.scalar(select(func.count()).where(Invitation.wave_id == wave_id, Invitation.tier_code == tier)) == invited + 5
    s.close()
