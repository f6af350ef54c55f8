"""Quality pages: roles, filters, CSV downloads, chart/table agreement, drivers and scorecards, one select per load."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sqlalchemy import event

import analysis
from survey.services.quality import data as quality_data
from survey.services.quality import scorecards as quality_scorecards
from tests.factories_quality import add_cases, make_clients, quality_wave, record_draw
from tests.test_quality_reports import table_rows

PAGES = ("/quality/", "/quality/trends", "/quality/response", "/quality/drivers", "/quality/scorecards")
TIERS = ("private", "gold", "standard")
SIZES = {"private": 50, "gold": 800, "standard": 6000}


@pytest.fixture
def data(db):
    """Two waves, three tiers, two managers in two branches; items vary with overall."""
    rng = np.random.default_rng(7)
    made = []
    for name, start in (("2026-Q2", dt.date(2026, 4, 1)), ("2026-Q3", dt.date(2026, 7, 1))):
        wave = quality_wave(db, name, start)
        record_draw(db, wave, SIZES)
        for k, tier in enumerate(TIERS):
            for branch, manager in (("BJ01", "RM001"), ("SH01", "RM002")):
                answers = []
                for _ in range(8 + 2 * k):
                    overall = int(rng.integers(2, 6))
                    answers.append({"overall": overall, "recommend": min(10, 2 * overall),
                                    "courtesy": int(np.clip(overall + rng.integers(-1, 2), 1, 5)),
                                    "speed": int(rng.integers(1, 6)), "knowledge": overall})
                add_cases(db, wave, make_clients(db, tier, len(answers) + 1, branch=branch, manager=manager), tier,
                          answers=answers, dispositions=["2.11"], mode="phone" if k < 2 else "in_person")
        made.append(wave)
    db.commit()
    return made


@pytest.mark.parametrize("url", PAGES)
def test_pages_work_without_any_wave(client, as_role, url):
    as_role("quality")
    r = client.get(url + "?lang=en")
    assert r.status_code == 200
    assert "Quality pages" in r.get_data(as_text=True)


@pytest.mark.parametrize("role,status", [("branch_head", 200), ("supervisor", 200), ("admin", 200), ("interviewer", 403)])
def test_roles(client, as_role, role, status):
    as_role(role)
    assert client.get("/quality/trends").status_code == status
    assert client.get("/quality/export/csv").status_code in ((404,) if status == 200 else (403,))


@pytest.mark.parametrize("url", PAGES)
def test_every_page_has_a_csv_of_what_it_shows(data, client, as_role, url):
    as_role("quality")
    page = client.get(url + "?lang=en").get_data(as_text=True)
    link = unescape(re.search(r'<a href="([^"]+format=csv[^"]*)" download>', page).group(1))
    r = client.get(link)
    assert r.status_code == 200 and r.mimetype == "text/csv"
    text = r.data.decode("utf-8-sig")
    first_table = re.search(r"<caption[^>]*>(.*?)</caption>", page).group(1)
    assert unescape(first_table) in text
    # a figure of the page's first data row is in the CSV
    value = unescape(re.search(r'<span class="value">([^<]+)</span>', page).group(1))
    assert value in text


def test_trend_chart_has_one_series_per_tier_with_the_table_figures(data, client, as_role):
    as_role("quality")
    page = client.get("/quality/trends?lang=en").get_data(as_text=True)
    ids = re.findall(r'<g id="series-([a-z_]+)" data-values="([^"]*)"', page)
    assert [k for k, _ in ids] == ["all", *TIERS]
    rows = table_rows(page, "trend-mean")
    for key, label in zip(["all", *TIERS], ["Bank (all tiers)", "Private banking", "Gold", "Standard"], strict=True):
        chart_values = dict(ids)[key].split(";")
        assert chart_values == [v for v, _ in rows[label][:2]]
    assert "<title" in page and "<desc" in page and 'role="img"' in page


def test_trend_filters_and_measures(data, client, as_role):
    as_role("quality")
    page = client.get("/quality/trends?measure=nps&tier=gold&lang=en").get_data(as_text=True)
    ids = re.findall(r'<g id="series-([a-z_]+)"', page)
    assert ids == ["all", "gold"]
    assert '<table id="trend-nps">' in page
    assert client.get("/quality/trends?measure=bogus").status_code == 404


def test_drivers_page_equals_analysis(data, db, client, as_role):
    wave = data[1]
    items = quality_data.items_of(db, [wave.id])
    wd = quality_data.load_responses(db, [wave.id], items=items)[wave.id]
    design = analysis.StratifiedDesign(wd.tier, SIZES)
    # only these items were asked in the fixture; the others have no answers and stay out
    used = ["courtesy", "knowledge", "speed"]
    expected = analysis.driver_intervals(np.column_stack([wd.items[c] for c in used]), wd.overall, design.weights,
                                         wd.tier.astype(str), replicates=quality_scorecards.REPLICATES,
                                         seed=quality_scorecards.SEED, missing="pairwise")
    as_role("quality")
    page = client.get(f"/quality/drivers?wave={wave.id}&lang=en").get_data(as_text=True)
    rows = table_rows(page, "drivers")
    text = {i.code: i.text_en for i in items}
    for k, code in enumerate(used):
        mean = design.mean(wd.items[code])
        lo, hi = mean.ci()
        assert rows[text[code]][0] == (f"{mean.estimate:.2f}", f"[{lo:.2f}, {hi:.2f}]")
        assert rows[text[code]][1][0] == str(int((~np.isnan(wd.items[code])).sum()))  # performance's count
        interval = f"[{100 * expected.low[k]:.1f}, {100 * expected.high[k]:.1f}]"
        assert rows[text[code]][2] == (f"{100 * expected.share[k]:.1f}", interval)
        rated = int((~np.isnan(wd.items[code]) & ~np.isnan(wd.overall)).sum())
        assert rows[text[code]][4][0] == str(rated)  # importance's (pairwise) count
    assert rows[text["digital"]][0][0] == "—" and rows[text["digital"]][2][0] == "—"
    assert 'id="item-speed"' in page and 'id="item-digital"' not in page


def test_scorecards_equal_analysis_and_sort_by_query(data, db, client, as_role):
    wave = data[1]
    wd = quality_data.load_responses(db, [wave.id], items=[])[wave.id]
    card = analysis.scorecard(wd.manager, wd.overall, analysis.StratifiedDesign(wd.tier, SIZES), bounds=(1, 5))
    low, high = card.ci()
    as_role("quality")
    page = client.get(f"/quality/scorecards?wave={wave.id}&sort=label&order=asc&lang=en").get_data(as_text=True)
    rows = table_rows(page, "scorecard-manager")
    assert list(rows) == ["RM001 经理RM001", "RM002 经理RM002"]
    for k, label in enumerate(card.labels):
        cells = rows[f"{label} 经理{label}"]
        assert [c for c, _ in cells[1:4]] == [f"{card.estimate[k]:.2f}", f"{low[k]:.2f}", f"{high[k]:.2f}"]
    desc = table_rows(client.get(f"/quality/scorecards?wave={wave.id}&sort=label&order=desc").get_data(as_text=True),
                      "scorecard-manager")
    assert list(desc) == ["RM002 经理RM002", "RM001 经理RM001"]
    branches = quality_scorecards.scorecard_report(db, wave, "branch", sort="n", descending=False)
    assert [r.n for r in branches.rows] == sorted(r.n for r in branches.rows)
    assert all(r.low <= r.estimate <= r.high for r in branches.rows)


def test_load_uses_one_select_for_all_waves(data, db, app):
    engine = app.extensions["survey.engine"]
    statements = []

    def count(conn, cursor, statement, *args):
        if "answers" in statement.lower():
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        loaded = quality_data.load_responses(db, [w.id for w in data], items=quality_data.items_of(db, [data[0].id]))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1
    assert sum(d.n for d in loaded.values()) == 2 * 2 * (8 + 10 + 12)
    assert_allclose(sum(loaded[data[0].id].weights()), sum(SIZES.values()))
