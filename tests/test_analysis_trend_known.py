"""Trend slopes: never narrower than the known sampling variances allow (issue 12, must-show 3).

Reference: generalised least squares with a known covariance V, SE(slope) from (X'V^-1 X)^-1
(fixed-effect meta-regression; Borenstein et al. 2009, ch. 20); with V diagonal it is the WLS
slope with weights 1/SE^2, whose known-variance SE is statsmodels' bse / sqrt(scale).
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

import analysis

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    sm = pytest.importorskip("statsmodels.api")


def _est(v, s):
    return analysis.Estimate(float(v), float(s), 100, 120, 1.0, "mean")


def test_larger_never_narrower_than_known_over_random_series():
    rng = np.random.default_rng(12)
    residual = 0
    for _ in range(300):
        k = int(rng.integers(3, 8))
        se = rng.uniform(0.02, 0.2, k)
        y = 4 + rng.normal(0, 1, k) * se * rng.uniform(0.2, 3)
        rho = rng.uniform(0, 0.6)
        cov = rho * np.outer(se, se) * (np.abs(np.subtract.outer(range(k), range(k))) == 1)
        res = [_est(v, s) for v, s in zip(y, se, strict=True)]
        known = analysis.trend(res, variance="known", covariance=cov)
        used = analysis.trend(res, variance="larger", covariance=cov)
        kl, kh = known.ci()
        ul, uh = used.ci()
        assert uh - ul >= kh - kl - 1e-12
        assert used.estimate == pytest.approx(known.estimate)
        residual += used.scale == "residual"
    assert 30 < residual < 270  # both branches were exercised


def test_independent_waves_give_weighted_least_squares():
    y, se = np.array([3.9, 3.85, 3.7, 3.72, 3.6]), np.array([0.05, 0.06, 0.05, 0.07, 0.04])
    x = sm.add_constant(np.arange(5.0))
    fit = sm.WLS(y, x, weights=1 / se**2).fit()
    res = analysis.trend([_est(v, s) for v, s in zip(y, se, strict=True)], variance="known")
    assert_allclose(res.estimate, fit.params[1], rtol=1e-12)
    assert_allclose(res.se, fit.bse[1] / np.sqrt(fit.scale), rtol=1e-12)


def test_positive_overlap_covariance_matches_gls_by_hand():
    """Three waves, SE 0.1 each, adjacent waves correlated 0.5: V = 0.01 [[1, .5, 0], [.5, 1, .5], [0, .5, 1]].

    With x = (0, 1, 2), (X'V^-1 X)^-1 [1, 1] = 0.01 * 1 / 4 (hand: the slope is (y3 - y1) / 2 by symmetry,
    Var = (Var y1 + Var y3 - 2 Cov13) / 4 = (0.01 + 0.01 - 0) / 4 = 0.005): SE 0.0707.
    """
    res = [_est(4.0, 0.1), _est(4.1, 0.1), _est(4.3, 0.1)]
    cov = 0.005 * np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]])
    t = analysis.trend(res, variance="known", covariance=cov)
    assert_allclose(t.se, np.sqrt(0.005), rtol=1e-12)
    assert_allclose(t.estimate, 0.15, rtol=1e-12)
    independent = analysis.trend(res, variance="known")
    assert independent.se == pytest.approx(0.1 / np.sqrt(2))  # 1 / sqrt(S_xx), S_xx = 2 / 0.01
