"""Bootstrap intervals of driver importance (issue 12, must-show 4).

The known importance of a simulated population is the Shapley share of its population R^2, computed
exactly from the population correlation matrix (Lipovetsky & Conklin 2001; Gromping 2007).  Percentile
intervals: Efron & Tibshirani (1993), ch. 13; resampling within strata: Rao & Wu (1988).
"""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import analysis
from analysis._drivers import _shapley, _subset_r2

BETA = np.array([0.6, 0.4, 0.2])
SIGMA_X = np.array([[1.0, 0.7, 0.5], [0.7, 1.0, 0.6], [0.5, 0.6, 1.0]])  # correlated items
NOISE = 0.8


def true_share():
    cxy = SIGMA_X @ BETA
    vy = BETA @ SIGMA_X @ BETA + NOISE**2
    cov = np.block([[SIGMA_X, cxy[:, None]], [cxy[None, :], np.array([[vy]])]])
    sd = np.sqrt(np.diagonal(cov))
    r2 = _subset_r2(cov / np.outer(sd, sd))
    phi = _shapley(r2, 3)
    return phi / r2[-1]


def sample(rng, n):
    x = rng.multivariate_normal(np.zeros(3), SIGMA_X, n)
    y = x @ BETA + NOISE * rng.standard_normal(n)
    tier = rng.integers(0, 3, n)
    return x, y, np.where(tier == 0, 3.0, 1.0), tier


def test_same_seed_same_intervals_other_seed_other_intervals():
    x, y, w, tier = sample(np.random.default_rng(5), 300)
    x[::7, 1] = np.nan  # skipped answers, handled pairwise
    one = analysis.driver_intervals(x, y, w, tier, seed=42)
    two = analysis.driver_intervals(x, y, w, tier, seed=42)
    assert_array_equal(one.replicates, two.replicates)
    assert_array_equal(one.low, two.low) and one.replicates.shape == (200, 3)
    other = analysis.driver_intervals(x, y, w, tier, seed=43)
    assert not np.array_equal(one.replicates, other.replicates)
    assert (one.low <= one.share).all() and (one.share <= one.high).all()
    with pytest.raises(ValueError, match="at least 200"):
        analysis.driver_intervals(x, y, w, tier, replicates=100)


def test_resampling_keeps_every_tier_size():
    from analysis._driver_boot import _resample

    codes = np.array([0, 0, 1, 1, 1, 2, 0, 2])
    idx = _resample(codes, np.random.default_rng(0))
    assert_array_equal(np.bincount(codes[idx]), np.bincount(codes))


def test_coverage_of_a_known_importance_roughly():
    """30 samples of 300 (seeded): the 95% intervals cover the true share in most of them.

    A rough check with a time bound; benchmarks/driver_coverage.py runs 400 samples for the figure
    reported in the closing note."""
    truth = true_share()
    rng = np.random.default_rng(2026)
    hits = np.zeros(3)
    sims = 30
    for s in range(sims):
        x, y, w, tier = sample(rng, 300)
        ci = analysis.driver_intervals(x, y, w, tier, seed=s)
        hits += (ci.low <= truth) & (truth <= ci.high)
    coverage = hits / sims
    assert (coverage >= 0.8).all(), coverage
