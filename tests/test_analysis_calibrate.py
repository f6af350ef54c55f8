"""Raking and the variance that follows it (issue 12, must-show 5).

References: Deming & Stephan (1940) iterative proportional fitting; Deville & Sarndal (1992) and
Deville, Sarndal & Sautory (1993): linearised variance from the residuals of the score on the
calibration variables.  Independent implementation: samplics 0.6 ``SampleWeight.rake`` on the
NHANES II extract shipped with samplics (the published data of Stata's svy examples).
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

import analysis


def test_raked_weights_hit_every_margin_to_1e8():
    rng = np.random.default_rng(3)
    n = 2000
    a, b, c = rng.integers(0, 4, n), rng.integers(0, 6, n), rng.integers(0, 2, n)
    w = rng.uniform(5, 50, n)
    total = 100_000.0
    margins = []
    for labels, k in ((a, 4), (b, 6), (c, 2)):
        share = rng.dirichlet(np.ones(k) * 5)
        margins.append((labels, {j: total * share[j] for j in range(k)}))
    r = analysis.rake(w, margins)
    for labels, targets in margins:
        sums = np.bincount(labels, r.weights)
        assert_allclose(sums, [targets[j] for j in range(sums.size)], rtol=1e-8)
    assert r.max_error <= 1e-12 and r.matrix.shape == (n, 12)


def test_rake_errors_name_the_problem():
    with pytest.raises(ValueError, match="margins must agree"):
        analysis.rake([1, 1], [(["a", "b"], {"a": 1, "b": 1}), (["x", "x"], {"x": 3})])
    with pytest.raises(ValueError, match="have a target but no respondent"):
        analysis.rake([1, 1], [(["a", "a"], {"a": 1, "b": 1})])
    with pytest.raises(ValueError, match="has no count"):
        analysis.rake([1, 1], [(["a", "c"], {"a": 2})])


def test_poststratified_mean_and_se_hand_worked():
    """SRS of 6 from N = 60; post-strata A (4 respondents: 4, 5, 3, 4) and B (2: 2, 4), N_A = N_B = 30.

    Raked weights 7.5 and 15; mean (30 * 4 + 30 * 3) / 60 = 3.5.  Residuals e = y - ybar_g:
    (0, 1, -1, 0, -1, 1); z = w e / N = (0, .125, -.125, 0, -.25, .25); sum z^2 = 0.15625;
    V = (1 - 6/60) * 6/5 * 0.15625 = 0.16875, SE = 0.410792.
    """
    y = np.array([4, 5, 3, 4, 2, 4.0])
    post = ["A"] * 4 + ["B"] * 2
    r = analysis.rake(np.full(6, 10.0), [(post, {"A": 30, "B": 30})])
    assert_allclose(r.weights, [7.5] * 4 + [15] * 2)
    design = analysis.StratifiedDesign(np.zeros(6, int), {0: 60}, r.weights, calibration=r.matrix)
    est = design.mean(y)
    assert_allclose(est.estimate, 3.5)
    assert_allclose(est.se, np.sqrt(0.16875), rtol=1e-12)
    # the calibrated total of the post-stratum indicator is exact: no variance
    assert design.total((np.array(post) == "A").astype(float)).se == pytest.approx(0.0, abs=1e-9)
    # without the calibration variables the same weights give the larger, uncalibrated SE
    assert analysis.StratifiedDesign(np.zeros(6, int), {0: 60}, r.weights).mean(y).se > est.se


def test_calibrated_domain_means_use_the_residuals():
    """Domain means: the score 1_d (y - ybar_d) residualised on the margins (Deville & Sarndal 1992)."""
    rng = np.random.default_rng(8)
    n = 400
    strata = rng.integers(0, 2, n)
    post = rng.integers(0, 3, n)
    dom = rng.integers(0, 2, n)
    y = rng.normal(4 + 0.5 * post, 1)
    base = analysis.StratifiedDesign(strata, {0: 5000, 1: 3000})
    r = analysis.rake(base.weights, [(post, {0: 3000, 1: 3000, 2: 2000}), (strata, {0: 5000, 1: 3000})])
    design = analysis.StratifiedDesign(strata, {0: 5000, 1: 3000}, r.weights, calibration=r.matrix)
    got = design.by(dom).mean(y)
    w, x = r.weights, r.matrix
    for d in (0, 1):
        inside = dom == d
        ybar = (w * y)[inside].sum() / w[inside].sum()
        u = np.where(inside, y - ybar, 0.0)
        beta = np.linalg.lstsq((x * w[:, None]).T @ x, (x * w[:, None]).T @ u, rcond=None)[0]
        z = w * (u - x @ beta) / w[inside].sum()
        var = 0.0
        for h, big_n in ((0, 5000), (1, 3000)):
            zh = z[strata == h]
            var += (1 - zh.size / big_n) * zh.size / (zh.size - 1) * ((zh - zh.mean()) ** 2).sum()
        assert_allclose(got[d].estimate, ybar)
        assert_allclose(got[d].se, np.sqrt(var), rtol=1e-10)


def test_raking_matches_samplics_on_nhanes2():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        samplics = pytest.importorskip("samplics")
        from samplics.datasets import load_nhanes2
    df = load_nhanes2()["data"]
    w0 = df["finalwgt"].to_numpy(float)
    race = df["race"].to_numpy(int)
    strat = df["stratid"].to_numpy(int)
    total = w0.sum()
    race_t = {k: total * s for k, s in zip((1, 2, 3), (0.84, 0.12, 0.04), strict=True)}
    strat_t = {int(k): float(w0[strat == k].sum()) for k in np.unique(strat)}
    ours = analysis.rake(w0, [(race, race_t), (strat, strat_t)])
    for labels, targets in ((race, race_t), (strat, strat_t)):
        for k, t in targets.items():
            assert abs(ours.weights[labels == k].sum() / t - 1) < 1e-8
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = samplics.SampleWeight().rake(
            w0, {"race": race, "strat": strat},
            control={"race": race_t, "strat": strat_t}, tol=1e-14, ctrl_tol=1e-14, max_iter=1000)
    assert_allclose(ours.weights, ref, rtol=1e-6)
    zinc = df["zinc"].to_numpy(float)
    ok = ~np.isnan(zinc)
    for y, mask in ((zinc, ok), (df["highbp"].to_numpy(float), np.ones(len(df), bool))):
        mine = (ours.weights * np.nan_to_num(y))[mask].sum() / ours.weights[mask].sum()
        theirs = (ref * np.nan_to_num(y))[mask].sum() / ref[mask].sum()
        assert abs(mine - theirs) < 1e-6
