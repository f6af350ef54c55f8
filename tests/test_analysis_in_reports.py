"""The quality services' use of the analysis options: lonely tiers in the bank row, top-two-box at 100%,
and scorecards whose out-of-filter rows have no group (missing="omit")."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import analysis
from survey.services.quality import data as quality_data
from survey.services.quality import reports as quality_reports
from survey.services.quality import scorecards as quality_scorecards
from survey.services.quality.reports import Filters
from tests.factories_quality import add_cases, make_clients, quality_wave, record_draw, scores


def _wave_with_lonely_tier(db):
    wave = quality_wave(db, "2026-Q1", dt.date(2026, 1, 1))
    record_draw(db, wave, {"private": 30, "gold": 900})
    add_cases(db, wave, make_clients(db, "gold", 6), "gold", answers=scores({4: 3, 5: 3}))
    add_cases(db, wave, make_clients(db, "private", 1), "private", answers=scores({5: 1}))
    db.commit()
    return wave


def test_bank_row_approximates_the_lonely_tier_and_the_note_says_so(db, client, as_role):
    wave = _wave_with_lonely_tier(db)
    ov = quality_reports.overview(db, wave)
    rows = {r.key: r for r in ov.rows}
    assert ov.lonely == ["private"]
    bank = rows[quality_reports.ALL].figures["mean"]
    assert np.isfinite(bank.se) and bank.low < bank.estimate < bank.high
    assert np.isnan(rows["private"].figures["mean"].se)  # the tier itself has no variance estimate
    data = quality_data.load_responses(db, [wave.id], items=[])[wave.id]
    design = analysis.StratifiedDesign(
        data.tier, {"gold": 900, "private": 30}, single_unit_stratum="adjust"
    )
    assert bank.se == pytest.approx(design.mean(data.overall).se)
    # filtered to the lonely tier, the bank row is that tier: no interval
    only = quality_reports.domain_estimates(data, Filters(tier="private"), "mean")
    assert np.isnan(only[quality_reports.ALL].se)
    as_role("quality")
    page = client.get(f"/quality/?wave={wave.id}&lang=en").get_data(as_text=True)
    assert "in the bank-wide figures their variance is approximated" in page


def test_top_two_box_of_everyone_is_not_a_point_interval(db):
    """Every gold respondent answered 4-5: was "100.0 [100.0, 100.0]"."""
    wave = _wave_with_lonely_tier(db)
    data = quality_data.load_responses(db, [wave.id], items=[])[wave.id]
    est = quality_reports.domain_estimates(data, Filters(), "top2")
    fig = quality_reports.Figure.of(est["gold"], 100.0)
    assert fig.estimate == 100.0 and fig.high == 100.0 and 50.0 < fig.low < 100.0
    assert quality_reports.fmt("top2", fig.low) != "100.0"


def test_scorecard_rows_outside_the_filter_are_in_no_group(db):
    wave = quality_wave(db, "2026-Q1", dt.date(2026, 1, 1))
    record_draw(db, wave, {"gold": 900})
    add_cases(
        db,
        wave,
        make_clients(db, "gold", 4, branch="BJ01", manager="RM001"),
        "gold",
        answers=scores({4: 2, 5: 2}),
    )
    add_cases(
        db,
        wave,
        make_clients(db, "gold", 4, branch="SH01", manager="RM002"),
        "gold",
        answers=scores({2: 2, 3: 2}),
    )
    db.commit()
    rep = quality_scorecards.scorecard_report(db, wave, "manager", Filters(branch="BJ01"))
    assert [r.label for r in rep.rows] == ["RM001"]
    assert rep.rows[0].n == 4 and rep.target == pytest.approx(4.5)
