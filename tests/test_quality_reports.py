"""The overview and trend pages show the analysis package's design-based figures, and mark real drops only."""

from __future__ import annotations

import datetime as dt
import math
import re
from html import unescape

import numpy as np
from numpy.testing import assert_allclose
from scipy import stats

import analysis
from survey.services.quality import data as quality_data
from survey.services.quality import reports as quality_reports
from survey.services.quality.reports import Filters
from tests.factories_quality import add_cases, make_clients, quality_wave, record_draw, scores


def table_rows(html: str, table_id: str) -> dict[str, list[tuple[str, str | None]]]:
    """``{row header: [(value, interval), ...]}`` of the table with ``table_id`` on a page."""
    body = re.search(rf'<table id="{table_id}">(.*?)</table>', html, re.S).group(1)
    out = {}
    for head, cells in re.findall(r'<th scope="row">(.*?)</th>(.*?)</tr>', body, re.S):
        found = re.findall(r'<span class="value">(.*?)</span>(?:<br><span class="muted interval"[^>]*>(.*?)</span>)?', cells)
        out[unescape(head)] = [(unescape(v), unescape(i) if i else None) for v, i in found]
    return out


def test_hand_worked_stratified_mean_with_weights_n_over_r(db, client, as_role):
    # private: N=20, 3 respondents scoring 5, 4, 3 (mean 4, s^2 = 1); standard: N=300, scores 2, 3, 4 (mean 3, s^2 = 1)
    wave = quality_wave(db, "2026-Q1", dt.date(2026, 1, 1))
    record_draw(db, wave, {"private": 20, "standard": 300})
    add_cases(db, wave, make_clients(db, "private", 4), "private", answers=scores({5: 1, 4: 1, 3: 1}), dispositions=["2.11"])
    add_cases(db, wave, make_clients(db, "standard", 3), "standard", answers=scores({2: 1, 3: 1, 4: 1}))
    db.commit()
    # weights N_h / r_h: 20/3 for each private respondent, 300/3 = 100 for each standard one
    weights = [20 / 3] * 3 + [100.0] * 3
    y = [5, 4, 3, 2, 3, 4]
    mean = sum(w * v for w, v in zip(weights, y, strict=True)) / sum(weights)
    assert mean == (20 * 4 + 300 * 3) / 320 == 3.0625
    # Cochran (1977) eq. 5.6 with fpc: V = sum (N_h/N)^2 (1 - r_h/N_h) s_h^2 / r_h
    var = (20 / 320) ** 2 * (1 - 3 / 20) * 1 / 3 + (300 / 320) ** 2 * (1 - 3 / 300) * 1 / 3
    half = stats.t.ppf(0.975, 6 - 2) * math.sqrt(var)  # df = n - H
    as_role("quality")
    page = client.get(f"/quality/?wave={wave.id}").get_data(as_text=True)
    rows = table_rows(page, "overview-mean")
    assert rows["全行（所有层级）"][2] == ("3.06", f"[{mean - half:.2f}, {mean + half:.2f}]")
    assert rows["全行（所有层级）"][2][1] == "[1.56, 4.56]"
    assert [rows["全行（所有层级）"][1][0], rows["私人银行"][1][0], rows["普通"][1][0]] == ["320", "20", "300"]
    assert rows["私人银行"][2] == ("4.00", f"[{4 - stats.t.ppf(0.975, 4) * math.sqrt(0.85 / 3):.2f}, "
                                          f"{4 + stats.t.ppf(0.975, 4) * math.sqrt(0.85 / 3):.2f}]")


def _two_waves(db, drop_tier: str | None):
    """Two waves, 120 respondents in each of three tiers; ``drop_tier`` falls from mean 4.1 to 3.2."""
    before = {5: 40, 4: 52, 3: 20, 2: 8}
    after = {5: 10, 4: 35, 3: 45, 2: 20, 1: 10}
    w1 = quality_wave(db, "2026-Q2", dt.date(2026, 4, 1))
    w2 = quality_wave(db, "2026-Q3", dt.date(2026, 7, 1))
    sizes = {"diamond": 400, "gold": 3000, "standard": 9000}
    for w in (w1, w2):
        record_draw(db, w, sizes)
    for tier in sizes:
        for w, dist in ((w1, before), (w2, after if tier == drop_tier else before)):
            add_cases(db, w, make_clients(db, tier, 125), tier, answers=scores(dist), dispositions=["2.11"] * 5)
    db.commit()
    return w1, w2


def test_overview_figures_equal_analysis_on_the_same_arrays(db, client, as_role):
    w1, w2 = _two_waves(db, "gold")
    # build the arrays independently of the service: tier and overall score per respondent
    dist_b = {5: 40, 4: 52, 3: 20, 2: 8}
    dist_a = {5: 10, 4: 35, 3: 45, 2: 20, 1: 10}
    tier, y = [], []
    for t in ("diamond", "gold", "standard"):
        for score, count in (dist_a if t == "gold" else dist_b).items():
            tier += [t] * count
            y += [score] * count
    y = np.array(y, dtype=float)
    design = analysis.StratifiedDesign(np.array(tier), {"diamond": 400, "gold": 3000, "standard": 9000})
    mean, top2, nps = design.mean(y), design.proportion((y >= 4).astype(float)), design.nps(np.minimum(10, 2 * y))
    gold_mean = design.by(np.array(tier)).mean(y)["gold"]
    as_role("quality")
    page = client.get(f"/quality/?wave={w2.id}&lang=en").get_data(as_text=True)
    bank = "Bank (all tiers)"
    lo, hi = mean.ci()
    assert table_rows(page, "overview-mean")[bank][2] == (f"{mean.estimate:.2f}", f"[{lo:.2f}, {hi:.2f}]")
    lo, hi = top2.ci()
    assert table_rows(page, "overview-top2")[bank][2] == (f"{100 * top2.estimate:.1f}", f"[{100 * lo:.1f}, {100 * hi:.1f}]")
    lo, hi = nps.ci()
    assert table_rows(page, "overview-nps")[bank][2] == (f"{nps.estimate:.1f}", f"[{lo:.1f}, {hi:.1f}]")
    lo, hi = gold_mean.ci()
    assert table_rows(page, "overview-mean")["Gold"][2] == (f"{gold_mean.estimate:.2f}", f"[{lo:.2f}, {hi:.2f}]")
    # the service's own numbers, unrounded
    with db.no_autoflush:
        ov = quality_reports.overview(db, w2)
    row = next(r for r in ov.rows if r.key == "all")
    assert_allclose([row.figures["mean"].estimate, row.figures["mean"].se], [mean.estimate, mean.se], rtol=1e-12)
    assert row.respondents == 360


def test_only_the_tier_that_truly_dropped_is_marked(db, client, as_role):
    w1, w2 = _two_waves(db, "gold")
    as_role("quality")
    page = client.get(f"/quality/?wave={w2.id}&lang=en").get_data(as_text=True)
    for table in ("overview-mean", "overview-top2", "overview-nps"):
        rows = table_rows(page, table)
        marked = {head for head, cells in rows.items() if "Significant drop" in cells[-1][0]}
        # among the tiers only gold is marked (the bank as a whole really fell too, by gold's share)
        assert marked - {"Bank (all tiers)"} == {"Gold"}, (table, marked)
    # the p-value shown is Holm-adjusted across the three tiers
    data = quality_data.load_responses(db, [w1.id, w2.id], items=[])
    before = quality_reports.domain_estimates(data[w1.id], Filters(), "mean")
    after = quality_reports.domain_estimates(data[w2.id], Filters(), "mean")
    raw = [analysis.compare(before[t], after[t]).pvalue for t in ("diamond", "gold", "standard")]
    holm = analysis.adjust_pvalues(raw)
    shown = table_rows(page, "overview-mean")["Gold"][4][0]
    assert shown == ("<0.001" if holm[1] < 0.001 else f"{holm[1]:.3f}")
    trend = client.get("/quality/trends?lang=en").get_data(as_text=True)
    assert re.findall(r'data-tier="([^"]+)"', trend) == ["gold"]


def test_no_mark_when_nothing_changed(db, client, as_role):
    _w1, w2 = _two_waves(db, None)
    as_role("quality")
    page = client.get(f"/quality/?wave={w2.id}&lang=en").get_data(as_text=True)
    assert "Significant drop" not in page and "data-tier=" not in client.get("/quality/trends").get_data(as_text=True)


def test_filters_are_domains_inside_the_design(db, client, as_role):
    wave = quality_wave(db, "2026-Q1", dt.date(2026, 1, 1))
    record_draw(db, wave, {"gold": 500, "standard": 5000})
    add_cases(db, wave, make_clients(db, "gold", 6, branch="SH01"), "gold", answers=scores({5: 3, 3: 3}))
    add_cases(db, wave, make_clients(db, "gold", 4, branch="BJ01"), "gold", answers=scores({2: 4}))
    add_cases(db, wave, make_clients(db, "standard", 5, branch="SH01"), "standard", answers=scores({4: 2, 2: 3}))
    db.commit()
    tier = np.array(["gold"] * 10 + ["standard"] * 5)
    branch = np.array(["SH01"] * 6 + ["BJ01"] * 4 + ["SH01"] * 5)
    y = np.array([5, 5, 5, 3, 3, 3, 2, 2, 2, 2, 4, 4, 2, 2, 2], dtype=float)
    design = analysis.StratifiedDesign(tier, {"gold": 500, "standard": 5000})
    expected = design.by(branch).mean(y)["SH01"]  # domain estimate: the SE uses the whole design
    as_role("branch_head", branch_code="SH01")  # a branch head sees their own branch only
    page = client.get(f"/quality/?wave={wave.id}&branch=SH01&lang=en").get_data(as_text=True)
    lo, hi = expected.ci()
    assert table_rows(page, "overview-mean")["Bank (all tiers)"][2] == (f"{expected.estimate:.2f}", f"[{lo:.2f}, {hi:.2f}]")
    assert table_rows(page, "overview-mean")["Bank (all tiers)"][0][0] == "11"
    assert table_rows(page, "overview-mean")["Bank (all tiers)"][1][0] == "—"  # N of a domain is not known


def test_previous_wave_skips_waves_without_answers_and_thin_tiers_show_a_dash(db, client, as_role):
    w1 = quality_wave(db, "2026-Q1", dt.date(2026, 1, 1))
    quality_wave(db, "2026-Q2", dt.date(2026, 4, 1))  # drafted, never fielded
    w3 = quality_wave(db, "2026-Q3", dt.date(2026, 7, 1))
    for w in (w1, w3):
        record_draw(db, w, {"private": 30, "gold": 900})
        add_cases(db, w, make_clients(db, "gold", 6), "gold", answers=scores({4: 3, 3: 3}))
    add_cases(db, w3, make_clients(db, "private", 1), "private", answers=scores({5: 1}))  # one respondent: no SE
    db.commit()
    as_role("quality")
    page = client.get(f"/quality/?wave={w3.id}&lang=en").get_data(as_text=True)
    assert "Changes are from 2026-Q1." in page
    private = table_rows(page, "overview-mean")["Private banking"]
    assert private[2] == ("5.00", "—") and private[3][0] == "—"  # no interval, no change to test
    assert "have a single respondent" in page


def test_trend_slope_matches_weighted_least_squares_of_the_wave_estimates():
    """The trends table's slope is the WLS slope (weights 1/SE^2) of the shown estimates, as statsmodels gives it.

    Its SE is the known-variance one (statsmodels' bse / sqrt(scale)) unless the residual scale is larger
    (issue 12: a residual SE on K-2 df with no floor was narrower than sampling error allows)."""
    import numpy as np
    import statsmodels.api as sm
    from scipy import stats

    import analysis
    from survey.services.quality.trends import slope_of

    ests = [analysis.Estimate(estimate=v, se=s, df=50, n=60, deff=1.0, kind="mean")
            for v, s in ((3.9, 0.05), (3.85, 0.06), (3.7, 0.05), (3.72, 0.07))]
    got = slope_of(ests, [0, 1, 2, 3], scale=1.0)
    x = sm.add_constant(np.arange(4.0))
    fit = sm.WLS([e.estimate for e in ests], x, weights=[1 / e.se**2 for e in ests]).fit()
    assert abs(got.estimate - fit.params[1]) < 1e-12
    known = fit.bse[1] / np.sqrt(fit.scale)
    assert fit.scale < 1 and got.scale == "known"  # these waves vary less than their SEs
    assert abs(got.se - known) < 1e-12
    assert abs(got.pvalue - 2 * stats.norm.sf(abs(fit.params[1] / known))) < 1e-9
    assert got.low < got.estimate < got.high
    noisy = [analysis.Estimate(estimate=v, se=s, df=50, n=60, deff=1.0, kind="mean")
             for v, s in ((3.9, 0.02), (3.6, 0.02), (3.95, 0.02), (3.5, 0.02))]
    got = slope_of(noisy, [0, 1, 2, 3], scale=1.0)
    fit = sm.WLS([e.estimate for e in noisy], x, weights=[1 / e.se**2 for e in noisy]).fit()
    assert fit.scale > 1 and got.scale == "residual"
    assert abs(got.se - fit.bse[1]) < 1e-12 and abs(got.pvalue - fit.pvalues[1]) < 1e-9
    assert slope_of(ests[:2], [0, 1], scale=1.0) is None
