"""Quality methods on the demo (issue 12).

Scorecards, every filter view of every wave (must-show 1):
In no view does a group below the ranking minimum rank first (or rank at all), and no interval
(shrunken or direct) leaves the 1-5 scale or has zero width.  The between-group variance is the
same in every view of a wave (fitted once on all respondents, Paule-Mandel with an ICC floor of
0.01: Paule & Mandel 1982; Groves & Magilavy 1986), and the page names the mean it shrinks toward.
Changes between overlapping waves use Kish's (1965, 12.4) covariance; raked weights hit the client
file's margins; the report marks the wave in the field provisional (issue 10).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from sqlalchemy import select

import analysis
from survey.models import MODES, Client, Wave
from survey.services.quality import reports
from survey.services.quality import scorecards as quality_scorecards
from survey.services.quality import trends as quality_trends
from survey.services.quality import weights as quality_weights
from survey.services.quality.reports import Filters, load
from tests.test_demo_support import build_demo


@pytest.fixture(scope="module")
def demo(database_url, tmp_path_factory):
    yield from build_demo(database_url, tmp_path_factory)


def test_every_view_of_every_wave_ranks_only_groups_with_enough_respondents(demo):
    s = demo.session()
    try:
        waves = list(s.scalars(select(Wave).order_by(Wave.period_start)))
        branches = sorted(set(s.scalars(select(Client.branch_code).distinct())))
        views = ranked_views = 0
        small_groups_seen = 0
        for wave in waves:
            data = load(s, [wave.id], Filters())[wave.id]
            if data.n == 0:
                continue
            tiers = sorted(set(data.tier.tolist()))
            for group in quality_scorecards.GROUPINGS:
                tau2 = set()
                for tier, branch, mode in itertools.product([None, *tiers], [None, *branches], [None, *MODES]):
                    filters = Filters(tier, branch, mode)
                    for sort in ("rank", "estimate", "high", "direct"):
                        rep = quality_scorecards.build_scorecard(data, wave, group, filters, {}, sort, True)
                        if not rep.rows:
                            break
                        if sort == "rank":
                            views += 1
                            tau2.add(rep.prior.tau2)
                            small_groups_seen += sum(r.n < rep.min_n for r in rep.rows)
                        first = rep.rows[0]
                        assert first.rank == 0 or first.n >= rep.min_n, (wave.name, filters, sort)
                        if sort in ("rank", "estimate"):
                            assert first.rank in (0, 1)
                        if first.rank == 0:  # nothing in the view can be ranked
                            assert all(r.rank == 0 for r in rep.rows)
                        ranked_views += sort == "rank" and first.rank == 1
                        for r in rep.rows:
                            assert (r.rank > 0) == (r.n >= rep.min_n)
                            assert (r.band == "") == (r.rank == 0)
                            for low, high in ((r.low, r.high), (r.direct.low, r.direct.high)):
                                if np.isfinite(low):
                                    assert 1.0 <= low <= high <= 5.0, (wave.name, filters, r)
                            assert r.high - r.low > 0.01, (wave.name, filters, r)  # never [4.00, 4.00]
                            if r.band == "above":
                                assert r.low > rep.target
                            if r.band == "below":
                                assert r.high < rep.target
                assert len(tau2) == 1  # once per wave and kind of group, whatever the view
        assert views > 300 and ranked_views > 50 and small_groups_seen > 100, (views, ranked_views, small_groups_seen)
    finally:
        s.close()


def test_page_names_the_mean_and_marks_small_groups(demo):
    c = demo.client("quality")
    page = c.get("/quality/scorecards?tier=diamond").get_data(as_text=True)
    start = page.find('id="shrink-target"')
    assert "shrunk toward the mean of the respondents in this view" in page, page[start:start + 3000]
    assert "Too few to rank" in page and "Paule–Mandel" in page, page[start:start + 3000]
    whole = c.get("/quality/scorecards").get_data(as_text=True)
    assert "shrunk toward the bank mean" in whole
    assert 'class="notice provisional"' in whole  # the default wave is still in the field


def _wave(s, name):
    return s.scalar(select(Wave).where(Wave.name == name))


def test_overview_changes_use_the_clients_both_waves_share(demo):
    """Private is a census every wave, so its clients answer again; the change SE is Kish's
    sqrt(SE_a^2 + SE_b^2 - 2 Cov), Cov from the matched respondents (recomputed here from the arrays)."""
    s = demo.session()
    try:
        wave, prev = _wave(s, "2026-Q3"), _wave(s, "2026-Q2")
        ov = reports.overview(s, wave)
        data = load(s, [prev.id, wave.id], Filters())
        old, new = data[prev.id], data[wave.id]
        common = set(old.client_id.tolist()) & set(new.client_id.tolist())
        assert ov.in_common["all"] == len(common & set(new.client_id[~np.isnan(new.overall)].tolist())
                                          & set(old.client_id[~np.isnan(old.overall)].tolist()))
        assert ov.in_common["all"] > 0
        da, db = reports.design_of(old), reports.design_of(new)
        by_tier = analysis.overlap_covariance(da, old.client_id, old.overall, db, new.client_id, new.overall,
                                              domain_a=old.tier.astype(object), domain_b=new.tier.astype(object))
        before = da.by(old.tier).mean(old.overall, missing="omit")
        after = db.by(new.tier).mean(new.overall, missing="omit")
        checked = 0
        for k, tier in enumerate(by_tier.labels.tolist()):
            row = next((r for r in ov.rows if r.key == tier), None)
            if row is None or row.changes["mean"] is None or tier not in before or tier not in after:
                continue
            a, b = before[tier], after[tier]
            cov = float(np.clip(by_tier.covariance[k], -a.se * b.se, a.se * b.se))
            expected = np.sqrt(max(a.se**2 + b.se**2 - 2 * cov, 0.0))
            assert row.changes["mean"].se == pytest.approx(expected, rel=1e-9, abs=1e-12), tier
            checked += by_tier.matched[k] > 1 and cov != 0
        assert checked >= 1  # at least one tier with a real overlap covariance
    finally:
        s.close()
    page = demo.client("quality").get(f"/quality/?wave={wave.id}").get_data(as_text=True)
    assert 'id="in-common"' in page and "Respondents in both waves" in page
    assert "unadjusted 95% interval" in page


def test_raked_weights_hit_the_client_file_margins_and_the_pages_say_so(demo):
    s = demo.session()
    try:
        wave = _wave(s, "2026-Q3")
        data = load(s, [wave.id], Filters(weights="raked"))[wave.id]
        counts = quality_weights.file_counts(s)
        cells, targets = quality_weights.raking_margin(data.tier, data.branch, data.population, counts)
        w = data.raking.weights
        for cell, target in targets.items():
            assert abs(w[cells == cell].sum() / target - 1) < 1e-8, cell
        for tier, size in data.population.items():  # the tier totals of the design are kept
            if (data.tier == tier).any():
                assert w[data.tier == tier].sum() == pytest.approx(size, rel=1e-8)
        raked = reports.overview(s, wave, Filters(weights="raked"))
        plain = reports.overview(s, wave)
        assert raked.rows[0].figures["mean"].estimate != plain.rows[0].figures["mean"].estimate
    finally:
        s.close()
    c = demo.client("quality")
    assert "Weights: design weights, each tier" in c.get(f"/quality/?wave={wave.id}").get_data(as_text=True)
    page = c.get(f"/quality/drivers?wave={wave.id}&weights=raked").get_data(as_text=True)
    assert "Weights: design weights raked to the client file" in page
    assert 'value="raked" selected' in page


def test_the_report_marks_the_wave_in_the_field_provisional(demo, tmp_path):
    s = demo.session()
    try:
        in_field = s.scalar(select(Wave).where(Wave.status == "in_field"))
        name = in_field.name
    finally:
        s.close()
    out = tmp_path / "report.html"
    result = demo.app.test_cli_runner().invoke(args=["report", name, "--out", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert f"Provisional: {name} is still in the field" in html and "Response rate so far (RR1)" in html
    assert f"{name} (provisional)" in html and "provisional-all" in html


@pytest.mark.parametrize("measure", ["mean", "top2", "nps"])
def test_no_trend_interval_on_the_demo_is_narrower_than_the_known_variances_allow(demo, measure):
    s = demo.session()
    try:
        tr = quality_trends.trends(s, measure)
    finally:
        s.close()
    slopes = [x.slope for x in tr.series if x.slope is not None]
    assert len(slopes) >= 4  # a series with fewer than three waves of positive SE has no slope
    for sl in slopes:
        assert sl.high - sl.low >= 2 * 1.959963984540054 * sl.known_se * (1 - 1e-12)
        assert (sl.scale == "known") == (sl.se == sl.known_se)
    page = demo.client("quality").get(f"/quality/trends?measure={measure}").get_data(as_text=True)
    assert "Trend SE from" in page and ("sampling variances" in page or "residual scatter" in page)
