"""Proportion and NPS intervals at the boundary: the Korn-Graubard (1998) "beta" interval.

R ``survey::svyciprop(method = "beta")`` computes, for an estimate p with variance v
on ``degf(design)`` degrees of freedom and ``n = nrow(design)`` rows::

    n.eff <- p * (1 - p) / v
    n.eff <- n.eff * (qt(alpha/2, n - 1) / qt(alpha/2, degf))^2
    c(qbeta(alpha/2, n.eff * p, n.eff * (1 - p) + 1),
      qbeta(1 - alpha/2, n.eff * p + 1, n.eff * (1 - p)))

Here n.eff is first capped at n (and is n where p is 0 or 1 or v is 0), as Korn &
Graubard propose.  The numbers below are worked by hand and checked with scipy's t
and beta quantiles (R's qt and qbeta).
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

import analysis

# Tier A: 4 respondents of N = 40 (w = 10), flags 1 1 1 0; tier B: 4 of N = 160 (w = 40), 1 0 0 0
STRATA = ["A"] * 4 + ["B"] * 4
POP = {"A": 40, "B": 160}
FLAG = [1, 1, 1, 0, 1, 0, 0, 0]
T7, T6 = stats.t.ppf(0.975, 7), stats.t.ppf(0.975, 6)  # n - 1 = 7, df = n - H = 6


def test_hand_worked_korn_graubard_matches_svyciprop_beta():
    # p = (10*3 + 40*1) / 200 = 0.35.  Scores z = w (y - p) / 200:
    #   A: 0.0325 x3, -0.0175 (mean 0.02): SS = 3 * 0.0125^2 + 0.0375^2 = 0.001875
    #   B: 0.13, -0.07 x3 (mean -0.02):     SS = 0.15^2 + 3 * 0.05^2     = 0.03
    # c_A = (1 - 4/40) 4/3 = 1.2, c_B = (1 - 4/160) 4/3 = 1.3
    # v = 1.2 * 0.001875 + 1.3 * 0.03 = 0.00225 + 0.039 = 0.04125
    # n_eff = 0.35 * 0.65 / 0.04125 = 5.5151..., below n = 8, so not capped
    res = analysis.StratifiedDesign(STRATA, POP).proportion(FLAG)
    assert res.estimate == pytest.approx(0.35)
    assert res.se**2 == pytest.approx(0.04125)
    n_star = 0.2275 / 0.04125 * (T7 / T6) ** 2
    assert n_star == pytest.approx(5.1504, abs=1e-4)
    x = 0.35 * n_star
    expected = (stats.beta.ppf(0.025, x, n_star - x + 1), stats.beta.ppf(0.975, x + 1, n_star - x))
    assert_allclose(res.ci(method="beta"), expected, rtol=1e-12)
    assert_allclose(expected, (0.0381, 0.8178), atol=5e-5)
    # inside (0, 1) with se > 0 the default stays the logit interval
    assert res.ci() == res.ci(method="logit") != res.ci(method="beta")


def test_estimate_at_one_gets_a_real_interval_not_a_point():
    """Everyone in the tier answered 4-5: was "100.0 [100.0, 100.0]"."""
    res = analysis.StratifiedDesign(STRATA, POP).proportion([1] * 8)
    assert res.estimate == 1.0 and res.se == 0.0
    # n_eff = n = 8; n* = 8 (t_7 / t_6)^2; Beta(a, 1) has quantile q^(1/a)
    n_star = 8 * (T7 / T6) ** 2
    low, high = res.ci()
    assert high == 1.0
    assert low == pytest.approx(0.025 ** (1 / n_star), rel=1e-10)
    assert low == pytest.approx(stats.beta.ppf(0.025, n_star, 1), rel=1e-10)
    assert 0.6 < low < 0.7
    assert res.ci(method="logit") == res.ci(method="beta") == (low, high)
    zero = analysis.StratifiedDesign(STRATA, POP).proportion([0] * 8)
    assert_allclose(zero.ci(), (0.0, 1 - low), rtol=1e-10)


def test_effective_size_is_capped_at_n():
    # one SRS stratum, n = 10 of N = 20, p = 0.8: v = (1 - 1/2) * 0.8 * 0.2 / 9, so
    # p (1 - p) / v = 9 / 0.5 = 18 > n: n_eff = 10, df = n - 1 = 9, ratio 1.
    res = analysis.StratifiedDesign([0] * 10, {0: 20}).proportion([1] * 8 + [0] * 2)
    assert 0.16 / res.se**2 == pytest.approx(18.0)
    expected = (stats.beta.ppf(0.025, 8, 3), stats.beta.ppf(0.975, 9, 2))  # exact Clopper-Pearson
    assert_allclose(res.ci(method="beta"), expected, rtol=1e-12)


def test_domains_decide_the_fallback_one_by_one():
    design = analysis.StratifiedDesign(STRATA, POP)
    dom = design.by(["x", "x", "x", "y", "y", "y", "y", "y"]).proportion(FLAG)
    assert dom["x"].estimate == 1.0 and 0 < dom["y"].estimate < 1
    for method in (None, "logit", "beta"):
        low, high = dom.ci(0.9, method=method)
        for i, label in enumerate(dom.labels.tolist()):
            assert (low[i], high[i]) == pytest.approx(dom[label].ci(0.9, method=method))
    low, high = dom.ci()
    assert low[0] < 1.0 == high[0]  # the all-yes domain is no longer a point
    assert (low[1], high[1]) == pytest.approx(dom["y"].ci(method="logit"))


def test_single_respondent_domain_and_undefined_se():
    design = analysis.StratifiedDesign(STRATA, POP)
    one = design.by(["x"] + ["y"] * 7).proportion(FLAG)["x"]
    assert one.n == 1
    # no t_{n-1} for n = 1: the df ratio is 1, Clopper-Pearson with n = 1
    assert one.ci() == pytest.approx((0.025, 1.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", analysis.DegenerateDataWarning)
        lonely = analysis.StratifiedDesign(["A", "A", "B"], {"A": 10, "B": 5}).proportion([1, 0, 1])
    assert np.isnan(lonely.se) and np.isnan(lonely.ci(method="beta")).all()


def test_degenerate_nps_gets_a_finite_interval():
    """All promoters: the rescaled score (NPS + 100) / 200 is 1, so Korn-Graubard with n_eff = n."""
    design = analysis.StratifiedDesign(STRATA, POP)
    res = design.nps([10, 9, 9, 10, 9, 10, 10, 9])
    assert res.estimate == 100.0 and res.se == 0.0
    n_star = 8 * (T7 / T6) ** 2
    low, high = res.ci()
    assert high == 100.0 and np.isfinite(low)
    assert low == pytest.approx(200 * 0.025 ** (1 / n_star) - 100, rel=1e-10)
    assert 20 < low < 40
    dom = design.by(["x"] * 4 + ["y"] * 4).nps([10, 9, 9, 10, 0, 3, 8, 10])
    dlow, dhigh = dom.ci()
    assert dhigh[0] == 100.0 and dlow[0] < 100.0
    assert (dlow[1], dhigh[1]) == pytest.approx(dom["y"].ci())  # ordinary t interval
    mixed = design.nps([10, 0, 9, 7, 10, 3, 8, 10])
    t = stats.t.ppf(0.975, 6)
    half = t * mixed.se
    assert mixed.ci() == pytest.approx((mixed.estimate - half, min(100.0, mixed.estimate + half)))


def test_method_errors():
    design = analysis.StratifiedDesign(STRATA, POP)
    with pytest.raises(ValueError, match="method must be one of 'logit', 'beta'"):
        design.proportion(FLAG).ci(method="exact")
    with pytest.raises(ValueError, match="method applies to proportions only"):
        design.mean(FLAG).ci(method="beta")


def test_census_gives_the_exact_figure_as_a_point():
    # Every client of both tiers answered (r_h = N_h): the fpc makes the variance 0 and the
    # proportion 3/5 is known exactly, so the interval is the point; a sample is not.
    strata = [1, 1, 1, 2, 2]
    flag = [1, 0, 1, 1, 0]
    census = analysis.StratifiedDesign(strata, {1: 3, 2: 2}).proportion(flag)
    assert census.se == 0.0
    assert census.ci() == (census.estimate, census.estimate) == (0.6, 0.6)
    sampled = analysis.StratifiedDesign(strata, {1: 30, 2: 20}).proportion(flag)
    low, high = sampled.ci()
    assert low < sampled.estimate < high
