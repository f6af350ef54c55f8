"""Changes between waves that share respondents (issue 12, must-show 2).

Reference: Kish, *Survey Sampling* (1965), sec. 12.4, partially overlapping samples:
Var(ybar_b - ybar_a) = S_a^2/n_a + S_b^2/n_b - 2 m S_ab / (n_a n_b), S_ab the covariance of a
unit's two answers (estimated on the m matched units).
"""


import numpy as np
import pytest
from numpy.testing import assert_allclose

import analysis

BIG = 10**9  # a population so large that the fpc is 1 to 1e-7


def _srs(n):
    return analysis.StratifiedDesign(np.zeros(n, int), {0: BIG})


def test_no_shared_client_gives_the_independent_se():
    rng = np.random.default_rng(1)
    ya, yb = rng.integers(1, 6, 40).astype(float), rng.integers(1, 6, 50).astype(float)
    da, db = _srs(40), _srs(50)
    ov = analysis.overlap_covariance(da, np.arange(40), ya, db, np.arange(100, 150), yb)
    assert ov.matched == 0 and ov.covariance == 0.0
    a, b = da.mean(ya), db.mean(yb)
    with_overlap = analysis.compare(a, b, covariance=ov.covariance)
    assert with_overlap.se == analysis.compare(a, b).se == pytest.approx(np.hypot(a.se, b.se), rel=1e-15)


def test_hand_worked_overlap_matches_kish():
    """Wave a: clients 1-5 answer 3,4,5,4,4; wave b: clients 3-7 answer 5,3,4,2,4 (SRS, fpc 1).

    Matched: clients 3, 4, 5 with (a, b) = (5, 5), (4, 3), (4, 4).
    ybar_a = 4, s_a^2 = (1 + 0 + 1 + 0 + 0)/4 = 0.5; ybar_b = 3.6, s_b^2 = (1.96 + .36 + .16 + 2.56 + .16)/4 = 1.3.
    Matched means 13/3 and 4; s_ab = [(2/3)(1) + (-1/3)(-1) + (-1/3)(0)] / 2 = 0.5.
    Var = 0.5/5 + 1.3/5 - 2 * 3 * 0.5 / 25 = 0.1 + 0.26 - 0.12 = 0.24, SE = 0.4899.
    """
    da, db = _srs(5), _srs(5)
    ya, yb = np.array([3, 4, 5, 4, 4.0]), np.array([5, 3, 4, 2, 4.0])
    ov = analysis.overlap_covariance(da, [1, 2, 3, 4, 5], ya, db, [3, 4, 5, 6, 7], yb)
    assert ov.matched == 3
    assert_allclose(ov.covariance, 3 * 0.5 / 25, rtol=1e-6)
    c = analysis.compare(da.mean(ya), db.mean(yb), covariance=ov.covariance)
    assert_allclose(c.estimate, -0.4)
    assert_allclose(c.se, np.sqrt(0.24), rtol=1e-6)
    # the same by domains: both waves one domain "x", plus rows outside it
    ov_d = analysis.overlap_covariance(da, [1, 2, 3, 4, 5], ya, db, [3, 4, 5, 6, 7], yb,
                                       domain_a=["x"] * 5, domain_b=["x"] * 5)
    assert ov_d.labels.tolist() == ["x"]
    assert_allclose(ov_d.covariance[0], ov.covariance, rtol=1e-12)


def test_census_tier_has_no_covariance():
    d = analysis.StratifiedDesign(np.zeros(5, int), {0: 5})  # every client answered
    ov = analysis.overlap_covariance(d, np.arange(5), [3, 4, 5, 4, 4.0], d, np.arange(5), [5, 3, 4, 2, 4.0])
    assert ov.matched == 5 and ov.covariance == 0.0


def test_correlation_is_kept_within_minus_one_and_one():
    a = analysis.Estimate(4.0, 0.1, 50, 60, 1.0, "mean")
    b = analysis.Estimate(4.2, 0.1, 50, 60, 1.0, "mean")
    assert analysis.compare(a, b, covariance=1.0).se == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="covariance must be"):
        analysis.compare(a, b, covariance=[0.1, 0.2])


def _panel(rng, reps, n, m, rho):
    """``reps`` repeats of two waves of n respondents, m of them in both, answers correlated rho."""
    za = rng.standard_normal((reps, n))
    fresh = rng.standard_normal((reps, n))
    zb = fresh.copy()
    zb[:, :m] = rho * za[:, :m] + np.sqrt(1 - rho**2) * fresh[:, :m]
    return 4 + 0.8 * za, 4 + 0.8 * zb


def simulate_panel(rng, reps, n, m, rho):
    """The simulated SD of the change over ``reps`` panels, and each repeat's SE of the change with the
    overlap covariance and as if the waves were independent (also used by the simulation benchmark)."""
    ya, yb = _panel(rng, reps, n, m, rho)
    ids_a, ids_b = np.arange(n), np.r_[np.arange(m), np.arange(10**6, 10**6 + n - m)]
    d = _srs(n)
    se_overlap, se_indep = np.empty(reps), np.empty(reps)
    for r in range(reps):
        a, b = d.mean(ya[r]), d.mean(yb[r])
        cov = analysis.overlap_covariance(d, ids_a, ya[r], d, ids_b, yb[r]).covariance
        se_overlap[r] = analysis.compare(a, b, covariance=cov).se
        se_indep[r] = analysis.compare(a, b).se
    return float(np.std(yb.mean(1) - ya.mean(1), ddof=1)), se_overlap, se_indep


def test_simulated_panel_overlap_se_is_within_ten_percent_of_the_true_sd():
    """2,000 repeats of a panel (n = 120 per wave, 60 in both, correlation 0.6; seeded).

    True Var(change) = 2 sigma^2/n (1 - rho m/n) = 0.7 of the independent one, so the independent
    formula overstates the SD by about 1/sqrt(0.7) - 1 = 20%.
    """
    rng = np.random.default_rng(20261201)
    reps, n, m, rho = 2000, 120, 60, 0.6
    sd, se_overlap, se_indep = simulate_panel(rng, reps, n, m, rho)
    overlap_error = abs(np.sqrt(np.mean(se_overlap**2)) / sd - 1)
    indep_error = abs(np.sqrt(np.mean(se_indep**2)) / sd - 1)
    assert overlap_error < 0.10
    assert indep_error > overlap_error and indep_error > 0.12
