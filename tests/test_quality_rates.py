"""The response-rate page shows analysis.response_rates on the dispositions' counts; undefined is "—"."""

from __future__ import annotations

import datetime as dt
import math

import pytest

import analysis
from survey.services.quality import rates as quality_rates
from survey.services.quality.rates import RATES
from tests.factories import make_user
from tests.factories_quality import add_cases, make_clients, quality_wave, scores
from tests.test_quality_reports import table_rows

# final codes per tier; None = invitation still open (counted as 3.11)
CASES = {
    "private": ["2.11", "2.12", "3.13", "3.13", "4.32", None, None],
    "gold": ["4.10", "4.10"],  # nothing but not-eligible cases: every rate is undefined
    "standard": ["2.21", "2.36", "3.90"],
}
RESPONDED = {"private": 3, "gold": 0, "standard": 2}


@pytest.fixture
def wave(db):
    w = quality_wave(db, "2026-Q4", dt.date(2026, 10, 1))
    interviewer = make_user(db, "interviewer", employee_code="INT07")
    for tier, codes in CASES.items():
        n = RESPONDED[tier] + len(codes)
        mode = "web" if tier == "standard" else "phone"
        add_cases(db, w, make_clients(db, tier, n), tier, answers=scores({4: RESPONDED[tier]}), dispositions=codes,
                  mode=mode, assigned_to=interviewer.id if mode == "phone" else None)
    db.commit()
    return w


def expected_codes(tier: str) -> list[str]:
    return ["1.1"] * RESPONDED[tier] + [c or "3.11" for c in CASES[tier]]


def rates_for(codes, e):
    counts = analysis.disposition_counts(codes).as_dict()
    return counts, analysis.response_rates(**{k: v for k, v in counts.items() if k != "NE"}, NE=counts["NE"], e=e)


def test_page_rates_equal_analysis_on_the_disposition_counts(wave, client, as_role):
    every = [c for t in CASES for c in expected_codes(t)]
    _counts, whole = rates_for(every, None)
    e = whole.e  # estimated once for the wave, used in every row
    assert e == pytest.approx((5 + 2 + 1 + 1) / (5 + 2 + 1 + 1 + 3))  # (I+P+R+NC+O) / (... + NE)
    as_role("quality")
    page = client.get(f"/quality/response?wave={wave.id}&lang=en").get_data(as_text=True)
    rates = table_rows(page, "response-rates")
    counts_table = table_rows(page, "response-counts")
    for label, tier in (("Private banking", "private"), ("Standard", "standard"), ("Whole wave", None)):
        codes = every if tier is None else expected_codes(tier)
        counts, res = rates_for(codes, e)
        shown = [v for v, _ in rates[label]]
        assert shown == [quality_rates.fmt_rate(getattr(res, r)) for r in RATES], label
        assert [v for v, _ in counts_table[label][2:]] == [str(counts[g]) for g in quality_rates.GROUPS]
    # hand check of one figure: private RR1 = I / (I+P+R+NC+O+UH+UO) = 3 / (3 + 2 + 4) (open cases count as 3.11)
    assert rates["Private banking"][0][0] == f"{100 * 3 / 9:.1f}"
    assert counts_table["Private banking"][1][0] == "2"  # still open
    # a tier with only not-eligible cases: undefined rates show "—", never 0
    assert {v for v, _ in rates["Gold"]} == {"—"}


def test_rates_by_mode_and_interviewer(wave, client, as_role):
    as_role("supervisor")
    by_mode = table_rows(client.get(f"/quality/response?wave={wave.id}&by=mode&lang=en").get_data(as_text=True),
                         "response-rates")
    assert set(by_mode) == {"Whole wave", "Phone", "Web"}
    web = expected_codes("standard")
    counts = analysis.disposition_counts(web)
    assert by_mode["Web"][4][0] == quality_rates.fmt_rate(counts.I / (counts.I + counts.P + counts.R + counts.NC + counts.O))
    by_int = table_rows(client.get(f"/quality/response?wave={wave.id}&by=interviewer&lang=en").get_data(as_text=True),
                        "response-rates")
    assert set(by_int) == {"Whole wave", "INT07", "—"}


def test_rate_formatting_never_turns_undefined_into_zero():
    assert quality_rates.fmt_rate(float("nan")) == "—"
    assert quality_rates.fmt_rate(0.0) == "0.0"
    assert quality_rates.fmt_rate(1 / 3) == "33.3"
    with pytest.warns(analysis.DegenerateDataWarning):
        undefined = analysis.response_rates(0, 0, 0, 0, 0, 0, 0, NE=2)
    assert math.isnan(undefined.RR1) and quality_rates.fmt_rate(undefined.RR1) == "—"


def test_csv_download_of_the_rates(wave, client, as_role):
    as_role("quality")
    r = client.get(f"/quality/response?wave={wave.id}&format=csv&lang=en")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    text = r.get_data(as_text=True)
    assert "RR1" in text and "Gold" in text
    # an undefined rate is an empty cell in the CSV (one number per cell), never 0 and never "—"
    rates = text.split("\r\n\r\n")[1]
    assert "\r\nGold" + "," * len(quality_rates.RATES) + "\r\n" in rates and "—" not in rates


def test_the_in_field_line_equals_the_reports_whole_wave_row(wave, db):
    """field_progress counts cases per code in the database; the report reads every case: same row, same rates."""
    from survey.models import Invitation

    wave.status = "in_field"
    db.add(Invitation(wave_id=wave.id, client_id=make_clients(db, "gold", 1)[0], tier_code="gold", mode="web",
                      disposition=" 9.99 "))  # an invalid code is left out of both
    db.commit()
    with quality_rates.quality_cache.uncached():
        row = quality_rates.field_progress(db, wave)
        report = quality_rates.response_report(db, wave).rows[0]
    every = [c for t in CASES for c in expected_codes(t)]
    assert row.cases == len(every) and row.open == 2
    assert row.counts == report.counts and row.cases == report.cases and row.open == report.open
    assert row.rates.keys() == report.rates.keys()
    for name, value in row.rates.items():
        assert (math.isnan(value) and math.isnan(report.rates[name])) or value == report.rates[name], name
    _counts, expected = rates_for(every, None)
    assert row.rates["RR1"] == pytest.approx(expected.RR1)
