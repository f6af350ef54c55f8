"""Estimators against an independent implementation and against hand-worked numbers.

Reference implementation: samplics 0.6.1 ``TaylorEstimator`` (Taylor linearisation,
stratified, ``fpc`` = 1 - n_h/N_h per stratum, ``domain=`` for domain estimation, t on
n - H df, logit interval for proportions).  Hand-worked cases follow the stratified
SRSWOR formulas of Cochran (1977) ch. 5 and Lohr (2022) ch. 3, with domains by
linearisation (Lohr 2022, ch. 4 and 9); every step is written out below.
"""

import math
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

import analysis

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # samplics warns that it is archived
    samplics = pytest.importorskip("samplics")

RTOL = 1e-9
T_975_3 = 3.182446305284263  # Student t, 0.975 quantile, 3 df (any t table)


def _samplics(param, y, w, strata, fpc, domain=None):
    est = samplics.TaylorEstimator(param)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.estimate(y, w, stratum=strata, fpc=fpc, domain=domain)
    return est


@pytest.fixture(params=[0, 1, 2], ids=["seed0", "seed1", "seed2"])
def sample(request):
    """Random stratified sample: string tiers, unequal N_h and r_h, a domain, scores."""
    rng = np.random.default_rng(request.param)
    tiers = np.array(["diamond", "gold", "platinum", "private", "standard"])
    r_h = rng.integers(5, 60, tiers.size)
    big_n = r_h + rng.integers(0, 2000, tiers.size)
    strata = np.repeat(tiers, r_h)
    rng.shuffle(strata)
    n = strata.size
    y = rng.integers(1, 6, n) + rng.normal(0, 0.1, n)
    pop = dict(zip(tiers.tolist(), big_n.tolist(), strict=True))
    fpc = {t: 1 - r / N for t, r, N in zip(tiers, r_h, big_n, strict=True)}
    w = np.array([pop[s] for s in strata]) / np.array(
        [dict(zip(tiers, r_h, strict=True))[s] for s in strata]
    )
    domain = rng.choice(["north", "south", "west"], n)
    return {"strata": strata, "pop": pop, "fpc": fpc, "w": w, "y": y, "domain": domain, "rng": rng}


@pytest.mark.parametrize("weights", ["default", "custom"])
def test_mean_total_against_samplics(sample, weights):
    w = (
        sample["w"]
        if weights == "default"
        else sample["w"] * sample["rng"].uniform(0.5, 1.5, sample["w"].size)
    )
    design = analysis.StratifiedDesign(
        sample["strata"], sample["pop"], None if weights == "default" else w
    )
    for param, ours in [
        (samplics.PopParam.mean, design.mean(sample["y"])),
        (samplics.PopParam.total, design.total(sample["y"])),
    ]:
        ref = _samplics(param, sample["y"], w, sample["strata"], sample["fpc"])
        assert_allclose(ours.estimate, ref.point_est, rtol=RTOL)
        assert_allclose(ours.se, ref.stderror, rtol=RTOL)
        assert_allclose(ours.ci(0.95), (ref.lower_ci, ref.upper_ci), rtol=RTOL)
        assert ours.df == ref.degree_of_freedom


def test_proportion_and_logit_interval_against_samplics(sample):
    design = analysis.StratifiedDesign(sample["strata"], sample["pop"])
    flag = (sample["y"] >= 3.5).astype(int)  # top-two-box
    ours = design.proportion(flag)
    ref = _samplics(samplics.PopParam.prop, flag, sample["w"], sample["strata"], sample["fpc"])
    assert_allclose(ours.estimate, ref.point_est[1], rtol=RTOL)
    assert_allclose(ours.se, ref.stderror[1], rtol=RTOL)
    assert_allclose(ours.ci(), (ref.lower_ci[1], ref.upper_ci[1]), rtol=RTOL)


def test_domain_means_totals_proportions_against_samplics(sample):
    design = analysis.StratifiedDesign(sample["strata"], sample["pop"])
    domains = design.by(sample["domain"])
    args = (sample["w"], sample["strata"], sample["fpc"], sample["domain"])
    for ours, param in [
        (domains.mean(sample["y"]), samplics.PopParam.mean),
        (domains.total(sample["y"]), samplics.PopParam.total),
    ]:
        ref = _samplics(param, sample["y"], *args)
        for label in ours:
            assert_allclose(ours[label].estimate, ref.point_est[label], rtol=RTOL)
            assert_allclose(ours[label].se, ref.stderror[label], rtol=RTOL)
    flag = (sample["y"] >= 3.5).astype(int)
    ours = domains.proportion(flag)
    ref = _samplics(samplics.PopParam.prop, flag, *args)
    for label in ours:
        assert_allclose(ours[label].estimate, ref.point_est[label][1], rtol=RTOL)
        assert_allclose(ours[label].se, ref.stderror[label][1], rtol=RTOL)
        assert_allclose(
            ours[label].ci(), (ref.lower_ci[label][1], ref.upper_ci[label][1]), rtol=RTOL
        )


def test_nps_and_missing_omit_against_samplics(sample):
    """NPS = mean of +100/0/-100; missing="omit" = domain of the answered rows."""
    design = analysis.StratifiedDesign(sample["strata"], sample["pop"])
    rng = sample["rng"]
    score = rng.integers(0, 11, sample["y"].size).astype(float)
    coded = np.select([score >= 9, score >= 7], [100.0, 0.0], -100.0)
    ref = _samplics(samplics.PopParam.mean, coded, sample["w"], sample["strata"], sample["fpc"])
    ours = design.nps(score)
    assert_allclose([ours.estimate, ours.se], [ref.point_est, ref.stderror], rtol=RTOL)
    score[rng.random(score.size) < 0.2] = np.nan
    answered = ~np.isnan(score)
    # fill 1.0 outside: samplics divides by the other domain's mean for its CV
    ref = _samplics(
        samplics.PopParam.mean,
        np.where(answered, coded, 1.0),
        sample["w"],
        sample["strata"],
        sample["fpc"],
        answered,
    )
    ours = design.nps(score, missing="omit")
    assert_allclose([ours.estimate, ours.se], [ref.point_est[True], ref.stderror[True]], rtol=RTOL)
    assert ours.n == answered.sum()


# --- hand-worked small case -------------------------------------------------
# Stratum A: N_A = 10, sample y = 2, 4, 6  (r_A = 3, mean 4, s_A^2 = 4)
# Stratum B: N_B = 20, sample y = 1, 3     (r_B = 2, mean 2, s_B^2 = 2)
STRATA = ["A", "A", "A", "B", "B"]
POP = {"A": 10, "B": 20}
Y = [2.0, 4.0, 6.0, 1.0, 3.0]


def test_hand_worked_stratified_mean_and_total():
    design = analysis.StratifiedDesign(STRATA, POP)
    # ybar_str = (10*4 + 20*2) / 30 = 8/3                    (Cochran eq. 5.1)
    # V = (10/30)^2 (1-3/10) 4/3 + (20/30)^2 (1-2/20) 2/2 = 13.6/27  (Cochran 5.6)
    mean = design.mean(Y)
    assert_allclose(mean.estimate, 8 / 3, rtol=1e-12)
    assert_allclose(mean.se, math.sqrt(13.6 / 27), rtol=1e-12)
    assert mean.df == 3
    assert_allclose(
        mean.ci(),
        (8 / 3 - T_975_3 * math.sqrt(13.6 / 27), 8 / 3 + T_975_3 * math.sqrt(13.6 / 27)),
        rtol=1e-12,
    )
    # t = N ybar = 80,  V(t) = N^2 V(ybar) = 900 * 13.6 / 27
    total = design.total(Y)
    assert_allclose([total.estimate, total.se], [80.0, math.sqrt(900 * 13.6 / 27)], rtol=1e-12)
    # deff: s^2 = [sum w (y - ybar)^2 / sum w] n/(n-1) = (1980/27 / 30) * 5/4 = 55/18
    #       V_srs = (1 - 5/30) s^2 / 5 = 55/108,  deff = (13.6/27) / (55/108) = 54.4/55
    assert_allclose(mean.deff, 54.4 / 55, rtol=1e-12)


def test_hand_worked_proportion_and_nps():
    design = analysis.StratifiedDesign(STRATA, POP)
    # flag y >= 4: A -> 0,1,1 (p_A = 2/3, s_A^2 = (2/3)(1/3)(3/2) = 1/3); B -> 0,0
    # p = (10 * 2/3) / 30 = 2/9;  V = (1/3)^2 (0.7) (1/3) / 3 = 0.7/81
    prop = design.proportion(np.array(Y) >= 4)
    assert_allclose([prop.estimate, prop.se], [2 / 9, math.sqrt(0.7 / 81)], rtol=1e-12)
    # logit interval: expit(logit(2/9) +/- t_3 se / (p (1-p)))   (R svyciprop "logit")
    half = T_975_3 * math.sqrt(0.7 / 81) / ((2 / 9) * (7 / 9))
    expected = [1 / (1 + math.exp(-(math.log(2 / 7) + s * half))) for s in (-1, 1)]
    assert_allclose(prop.ci(), expected, rtol=1e-12)
    # NPS scores: A -> 10, 8, 3 = +100, 0, -100 (mean 0, s^2 = 10000); B -> 9, 9 (mean 100)
    # NPS = (10*0 + 20*100)/30 = 200/3 = %promoters 7/9 - %detractors 1/9
    # V = (1/3)^2 (0.7) 10000/3 = 7000/27
    nps = design.nps([10, 8, 3, 9, 9])
    assert_allclose([nps.estimate, nps.se], [200 / 3, math.sqrt(7000 / 27)], rtol=1e-12)


def test_hand_worked_domain_mean():
    # Domain d = rows 1, 3 of A and row 1 of B.  w_A = 10/3, w_B = 10.
    # ybar_d = (10/3 (2 + 6) + 10 * 1) / (20/3 + 10) = (110/3) / (50/3) = 2.2
    # z = w 1_d (y - 2.2) / (50/3):  A -> -0.04, 0, 0.76;   B -> -0.72, 0
    # A: sum (z - 0.24)^2 = 0.4064, times (1 - 3/10) 3/2 = 0.42672
    # B: sum (z + 0.36)^2 = 0.2592, times (1 - 2/20) 2/1 = 0.46656      V = 0.89328
    design = analysis.StratifiedDesign(STRATA, POP)
    res = design.by([1, 0, 1, 1, 0]).mean(Y)
    assert_allclose([res[1].estimate, res[1].se], [2.2, math.sqrt(0.89328)], rtol=1e-12)
    assert res[1].n == 3
