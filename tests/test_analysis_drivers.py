"""Key-driver analysis against brute force: Shapley values over all orderings of the
items, each R^2 from a statsmodels weighted least-squares fit (Lipovetsky & Conklin
2001: the Shapley value of R^2 averages an item's R^2 increment over all orderings)."""

import itertools
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

import analysis

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    sm = pytest.importorskip("statsmodels.api")
    DescrStatsW = pytest.importorskip("statsmodels.stats.weightstats").DescrStatsW


def _data(seed=0, n=300, k=4):
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 1))
    x = latent + rng.normal(size=(n, k))  # correlated items
    y = x @ np.linspace(1.0, 0.2, k) + rng.normal(size=n)
    w = rng.uniform(0.5, 4.0, n)
    return x, y, w


def _wls_r2(x, y, w, subset):
    if not subset:
        return 0.0
    return sm.WLS(y, sm.add_constant(x[:, list(subset)]), weights=w).fit().rsquared


def _brute_force_shapley(x, y, w):
    k = x.shape[1]
    phi = np.zeros(k)
    orders = list(itertools.permutations(range(k)))
    for order in orders:
        before = []
        for j in order:
            phi[j] += _wls_r2(x, y, w, before + [j]) - _wls_r2(x, y, w, before)
            before.append(j)
    return phi / len(orders)


@pytest.mark.parametrize("seed", [0, 1])
def test_shapley_against_brute_force_wls(seed):
    x, y, w = _data(seed)
    res = analysis.drivers(x, y, w, names=["staff", "speed", "app", "fees"])
    assert_allclose(res.importance, _brute_force_shapley(x, y, w), rtol=1e-9)
    assert_allclose(res.r2, _wls_r2(x, y, w, range(4)), rtol=1e-10)
    assert_allclose(res.importance.sum(), res.r2, rtol=1e-12)
    assert_allclose(res.share.sum(), 1.0)
    assert res.names == ("staff", "speed", "app", "fees")


def test_correlations_and_means_against_statsmodels():
    x, y, w = _data(2)
    res = analysis.drivers({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2]}, y, w)
    corr = DescrStatsW(np.column_stack([x[:, :3], y]), weights=w).corrcoef[:3, 3]
    assert_allclose(res.correlation, corr, rtol=1e-10)
    assert_allclose(res.mean, np.average(x[:, :3], axis=0, weights=w), rtol=1e-12)
    assert res.names == ("a", "b", "c") and res.n.tolist() == [300] * 3


def test_listwise_and_pairwise_missing():
    x, y, w = _data(3)
    x[np.random.default_rng(3).random(x.shape) < 0.15] = np.nan
    listwise = analysis.drivers(x, y, w)
    complete = ~np.isnan(x).any(axis=1)
    assert_allclose(
        listwise.importance, _brute_force_shapley(x[complete], y[complete], w[complete]), rtol=1e-9
    )
    pairwise = analysis.drivers(x, y, w, missing="pairwise")
    for j in range(x.shape[1]):
        ok = ~np.isnan(x[:, j])
        ref = DescrStatsW(np.column_stack([x[ok, j], y[ok]]), weights=w[ok]).corrcoef[0, 1]
        assert_allclose(pairwise.correlation[j], ref, rtol=1e-10)
        assert pairwise.n[j] == ok.sum()
    assert pairwise.n.min() > listwise.n.max()


def test_constant_item_gets_no_importance():
    x, y, w = _data(4, k=3)
    x[:, 1] = 3.0
    with pytest.warns(analysis.DegenerateDataWarning, match="no variance"):
        res = analysis.drivers(x, y, w)
    assert np.isnan(res.correlation[1]) and res.importance[1] == 0.0
    assert_allclose(res.importance[[0, 2]], _brute_force_shapley(x[:, [0, 2]], y, w), rtol=1e-9)


def test_driver_errors_name_argument():
    x, y, w = _data(5, k=3)
    with pytest.raises(ValueError, match="items must have 1 to 15 columns"):
        analysis.drivers(np.zeros((10, 16)), np.zeros(10), np.ones(10))
    with pytest.raises(ValueError, match="names must have one name per item"):
        analysis.drivers(x, y, w, names=["a"])
    with pytest.raises(ValueError, match="missing must be one of"):
        analysis.drivers(x, y, w, missing="mean")
    with pytest.raises(ValueError, match="overall must have one value per respondent"):
        analysis.drivers(x, y[:5], w)


def test_constant_overall_gives_nan_importance():
    x, _, w = _data(6, k=2)
    with pytest.warns(analysis.DegenerateDataWarning, match="overall satisfaction has no variance"):
        res = analysis.drivers(x, np.full(x.shape[0], 4.0), w)
    assert np.isnan(res.importance).all() and np.isnan(res.r2)
