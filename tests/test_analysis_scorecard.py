"""Scorecards: empirical-Bayes shrinkage of manager/branch domain means.

References: Fay & Herriot (1979) shrinkage B_g = v_g / (v_g + tau^2); DerSimonian &
Laird (1986) moment estimator of tau^2, checked against statsmodels'
``combine_effects(method_re="dl")`` as an independent implementation.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

import analysis

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    meta = pytest.importorskip("statsmodels.stats.meta_analysis")


def _book(seed=0, groups=30, spread=0.3):
    """A wave: three tiers, managers of very different caseloads, true manager effects."""
    rng = np.random.default_rng(seed)
    sizes = np.r_[[1, 3, 6], rng.integers(20, 250, groups - 3)]
    manager = np.repeat(np.arange(groups), sizes)
    tier = rng.integers(0, 3, manager.size)
    effect = rng.normal(0, spread, groups)
    y = np.clip(np.round(4 + effect[manager] + rng.normal(0, 0.9, manager.size)), 1, 5)
    design = analysis.StratifiedDesign(tier, {0: 40_000, 1: 9_000, 2: 5_000})
    return manager, y, design, sizes


def test_direct_estimates_are_the_domain_means():
    manager, y, design, _ = _book()
    card = analysis.scorecard(manager, y, design)
    direct = design.by(manager).mean(y)
    assert_allclose(card.direct.estimate, direct.estimate)
    assert_allclose(card.direct.se, direct.se)
    assert card.target == pytest.approx(design.mean(y).estimate)


def test_tau2_matches_dersimonian_laird_and_formula():
    manager, y, design, _ = _book(1)
    card = analysis.scorecard(manager, y, design, method="dl", icc_floor=0.0)
    ref = meta.combine_effects(card.direct.estimate, card.sampling_var, method_re="dl")
    assert card.tau2 == pytest.approx(ref.tau2, rel=1e-10)
    b = card.sampling_var / (card.sampling_var + card.tau2)
    assert_allclose(card.shrinkage, b)
    assert_allclose(card.estimate, b * card.target + (1 - b) * card.direct.estimate)
    assert_allclose(card.se, np.sqrt((1 - b) * card.sampling_var + b**2 * design.mean(y).se ** 2))


def test_small_groups_shrink_more_than_big_ones():
    manager, y, design, sizes = _book(2)
    card = analysis.scorecard(manager, y, design)
    small, big = sizes <= 6, sizes >= 100
    assert card.shrinkage[small].min() > card.shrinkage[big].max()
    moved = np.abs(card.estimate - card.direct.estimate)
    assert moved[small].mean() > 3 * moved[big].mean()
    # groups of one or with identical answers still shrink under the smoothed variance
    assert card.shrinkage[0] > 0.5 and np.isfinite(card.se).all()
    low, high = card.ci()
    assert (low < card.estimate).all() and (card.estimate < high).all()


def test_no_between_group_variance_pools_completely_without_a_floor():
    """With no true manager effect, Q/(G-1) is about 1, so the DL tau^2 is 0 in about
    half the waves (positive-part estimator) and then, with no floor, every manager gets the mean;
    the default floor (intra-class correlation 0.01) keeps tau^2 positive and shrinkage below 1."""
    tau2 = []
    for seed in range(40):
        manager, y, design, _ = _book(seed, spread=0.0)
        card = analysis.scorecard(manager, y, design, method="dl", icc_floor=0.0)
        tau2.append(card.tau2)
        if card.tau2 == 0.0:
            assert_allclose(card.estimate, card.target)
            assert_allclose(card.shrinkage, 1.0)
            floored = analysis.scorecard(manager, y, design, method="dl")
            assert floored.tau2 == pytest.approx(0.01 / 0.99 * floored.prior.within_var)
            assert (floored.shrinkage < 1).all()
    assert np.mean(np.array(tau2) == 0.0) > 0.3 and np.mean(tau2) < 0.003


def test_scorecard_errors():
    manager, y, design, _ = _book(4)
    with pytest.raises(ValueError, match="variance must be one of"):
        analysis.scorecard(manager, y, design, variance="gvf")
    with pytest.raises(TypeError, match="design must be a StratifiedDesign"):
        analysis.scorecard(manager, y, None)


def test_missing_group_labels_and_values_are_omitted_not_dropped():
    manager, y, design, _ = _book(5)
    labels = manager.astype(object)
    labels[:40] = None  # clients without a manager on file
    y = y.copy()
    y[40:60] = np.nan  # skipped the question
    with pytest.raises(ValueError, match="groups has 40 missing labels"):
        analysis.scorecard(labels, y, design)
    card = analysis.scorecard(labels, y, design, missing="omit")
    assert None not in card.labels.tolist()
    assert card.n.sum() == manager.size - 60
    masked = np.where(np.arange(manager.size) >= 60, y, np.nan)
    assert card.target == pytest.approx(design.mean(masked, missing="omit").estimate)
    direct = design.by(labels, missing="omit").mean(y, missing="omit")
    assert_allclose(card.direct.estimate, direct.estimate)
