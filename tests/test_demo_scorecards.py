"""Scorecards on the demo, every filter view of every wave (issue 12, must-show 1).

In no view does a group below the ranking minimum rank first (or rank at all), and no interval
(shrunken or direct) leaves the 1-5 scale or has zero width.  The between-group variance is the
same in every view of a wave (fitted once on all respondents, Paule-Mandel with an ICC floor of
0.01: Paule & Mandel 1982; Groves & Magilavy 1986), and the page names the mean it shrinks toward.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from sqlalchemy import select

from survey.models import MODES, Client, Wave
from survey.services.quality import scorecards as quality_scorecards
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
