"""Wave comparisons, Holm adjustment and trends; a simulated tier drop is flagged.

References: difference of independent estimates, Var = Var_a + Var_b (Cochran 1977,
ch. 5; Lohr 2022, ch. 4); Holm (1979); statsmodels ``multipletests`` and ``WLS`` as
independent implementations.
"""

import math
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

import analysis

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    sm = pytest.importorskip("statsmodels.api")
    multitest = pytest.importorskip("statsmodels.stats.multitest")


def _est(value, se, df=100, kind="mean"):
    return analysis.Estimate(estimate=value, se=se, df=df, n=df + 1, deff=1.0, kind=kind)


def test_compare_hand_worked():
    # diff = 3.7 - 4.0 = -0.3; se = sqrt(0.1^2 + 0.12^2) = sqrt(0.0244) = 0.156205
    # z = -1.920553; two-sided normal p = 2 * Phi(-1.920553) = 0.054788 (normal table: 0.05486 at z = 1.92)
    res = analysis.compare(_est(4.0, 0.1), _est(3.7, 0.12))
    assert_allclose([res.estimate, res.se], [-0.3, math.sqrt(0.0244)], rtol=1e-12)
    assert_allclose(res.statistic, -0.3 / math.sqrt(0.0244), rtol=1e-12)
    assert res.pvalue == pytest.approx(0.054788, abs=1e-6)
    assert_allclose(
        res.ci(0.95),
        (-0.3 - 1.959964 * math.sqrt(0.0244), -0.3 + 1.959964 * math.sqrt(0.0244)),
        rtol=1e-6,
    )
    # Welch-Satterthwaite df = 0.0244^2 / (0.1^4/20 + 0.12^4/30) = 0.00059536 / 1.19120e-5 = 49.98
    t = analysis.compare(_est(4.0, 0.1, df=20), _est(3.7, 0.12, df=30), dist="t")
    assert t.df == pytest.approx(0.0244**2 / (0.1**4 / 20 + 0.12**4 / 30))
    assert t.pvalue == pytest.approx(2 * stats.t.sf(0.3 / math.sqrt(0.0244), t.df))


def test_compare_domains_aligns_labels_and_checks_kind():
    design = analysis.StratifiedDesign([0, 0, 0, 0, 1, 1], {0: 50, 1: 40})
    a = design.by(["x", "y", "x", "y", "x", "y"]).mean([1, 2, 3, 4, 5, 6])
    b = design.by(["x", "x", "z", "z", "x", "z"]).mean([2, 2, 3, 3, 4, 4])
    with pytest.warns(analysis.DegenerateDataWarning):
        res = analysis.compare(a, b)
    assert res.labels.tolist() == ["x", "y", "z"]
    assert res.estimate[0] == pytest.approx(b["x"].estimate - a["x"].estimate)
    assert np.isnan(res.estimate[1]) and np.isnan(res.pvalue[2])
    with pytest.raises(ValueError, match="same kind"):
        analysis.compare(_est(1, 1), _est(0.5, 0.1, kind="proportion"))
    with pytest.raises(TypeError, match="same kind of result"):
        analysis.compare(_est(1, 1), a)


def test_holm_hand_worked_and_against_statsmodels():
    # Holm: sorted p times (m, m-1, ...), running max, cap 1 -> 0.05 0.08 0.09 0.09 0.09
    assert_allclose(
        analysis.adjust_pvalues([0.01, 0.02, 0.03, 0.04, 0.05]), [0.05, 0.08, 0.09, 0.09, 0.09]
    )
    rng = np.random.default_rng(5)
    p = rng.uniform(0, 0.2, 12) ** 2
    for ours, theirs in [
        ("holm", "holm"),
        ("bonferroni", "bonferroni"),
        ("hochberg", "simes-hochberg"),
        ("bh", "fdr_bh"),
    ]:
        assert_allclose(
            analysis.adjust_pvalues(p, method=ours),
            multitest.multipletests(p, method=theirs)[1],
            rtol=1e-12,
        )


def test_adjust_keeps_nan_and_shape():
    out = analysis.adjust_pvalues(np.array([[0.01, np.nan], [0.04, 0.5]]))
    assert out.shape == (2, 2) and np.isnan(out[0, 1])
    assert_allclose(out[~np.isnan(out)], [0.03, 0.08, 0.5])  # m = 3 non-missing
    with pytest.raises(ValueError, match="p must lie in"):
        analysis.adjust_pvalues([0.1, 1.2])


@pytest.mark.parametrize("variance", ["known", "estimated"])
def test_trend_against_statsmodels_wls(variance):
    rng = np.random.default_rng(8)
    waves = np.array([1.0, 2.0, 3.0, 5.0, 6.0, 8.0])
    se = rng.uniform(0.05, 0.2, waves.size)
    y = 4.0 - 0.03 * waves + rng.normal(0, se)
    res = analysis.trend([_est(v, s) for v, s in zip(y, se, strict=True)], waves, variance=variance)
    model = sm.WLS(y, sm.add_constant(waves), weights=1 / se**2)
    fit = model.fit(cov_type="fixed scale") if variance == "known" else model.fit()
    assert_allclose([res.estimate, res.intercept], fit.params[::-1], rtol=1e-10)
    assert_allclose(res.se, fit.bse[1], rtol=1e-10)
    assert_allclose(res.pvalue, fit.pvalues[1], rtol=1e-8)


def test_trend_per_domain_skips_missing_waves():
    results = [
        analysis.DomainEstimates(
            np.array(["a", "b"]),
            np.array([1.0, 2.0]),
            np.array([0.1, 0.1]),
            np.array([5, 5]),
            np.ones(2),
            10,
            "mean",
        ),
        analysis.DomainEstimates(
            np.array(["a"]), np.array([1.5]), np.array([0.1]), np.array([5]), np.ones(1), 10, "mean"
        ),
        analysis.DomainEstimates(
            np.array(["a", "b"]),
            np.array([2.0, 1.0]),
            np.array([0.1, 0.1]),
            np.array([5, 5]),
            np.ones(2),
            10,
            "mean",
        ),
    ]
    res = analysis.trend(results)
    assert_allclose(res.estimate, [0.5, -0.5])
    assert res.n_waves.tolist() == [3, 2]


# --- simulation ---------------------------------------------------------------
TIER_N = np.array([400, 1500, 5000, 20000, 60000])  # clients per tier
TIER_R = np.array([120, 200, 250, 250, 300])  # respondents per tier and wave
STEADY = np.array([0.03, 0.05, 0.12, 0.40, 0.40])  # P(score = 1..5), mean 4.09
DROPPED = np.array([0.10, 0.15, 0.25, 0.30, 0.20])  # mean 3.35: a clear drop of 0.74
STRATA = np.repeat(np.arange(5), TIER_R)
POP = dict(enumerate(TIER_N.tolist()))


def _population(rng, probs_by_tier):
    return [rng.choice(np.arange(1, 6), n, p=p) for n, p in zip(TIER_N, probs_by_tier, strict=True)]


def _wave(rng, population):
    """One stratified SRSWOR wave drawn from a finite population; per-tier means."""
    y = np.concatenate(
        [
            pop[rng.choice(pop.size, r, replace=False)]
            for pop, r in zip(population, TIER_R, strict=True)
        ]
    )
    return analysis.StratifiedDesign(STRATA, POP).by(STRATA).mean(y)


def _flags(rng, before, after):
    res = analysis.compare(_wave(rng, before), _wave(rng, after))
    return analysis.adjust_pvalues(res.pvalue, method="holm") < 0.05


def test_simulated_drop_in_one_tier_is_flagged():
    """Tier 3's mean falls 4.09 -> 3.35 (z about 7): flagged in every repeat."""
    rng = np.random.default_rng(20260101)
    flagged = np.array(
        [
            _flags(
                rng,
                _population(rng, [STEADY] * 5),
                _population(rng, [STEADY] * 3 + [DROPPED] + [STEADY]),
            )
            for _ in range(200)
        ]
    )
    assert flagged[:, 3].all()
    assert flagged[:, [0, 1, 2, 4]].any(axis=1).mean() <= 0.05  # Holm keeps the others quiet


def test_no_change_flags_nothing_at_family_level():
    """Same finite population in both waves, 200 repeats.  Holm controls the family-wise
    error at 5% (Holm 1979), so about 95% of repeats flag nothing; with 5 independent
    tiers the exact rate is 1 - 0.99^5 = 4.9%.  The observed count of repeats with a
    false flag must be consistent with FWER <= 5%: at most the binomial(200, 0.05)
    0.99-quantile (17), i.e. an exact one-sided test at the 1% level."""
    rng = np.random.default_rng(77)
    any_flag = 0
    for _ in range(200):
        population = _population(rng, [STEADY] * 5)
        any_flag += _flags(rng, population, population).any()
    assert any_flag <= stats.binom.ppf(0.99, 200, 0.05)
    print(f"no-change repeats with nothing flagged: {1 - any_flag / 200:.1%}")


def test_degenerate_comparisons_and_trends_warn():
    with pytest.warns(analysis.DegenerateDataWarning):
        res = analysis.compare(_est(4.0, 0.0), _est(4.0, 0.0))
    assert np.isnan(res.pvalue)
    with pytest.warns(analysis.DegenerateDataWarning):
        two = analysis.trend([_est(4.0, 0.1), _est(4.2, 0.1)], variance="estimated")
    assert two.estimate == pytest.approx(0.2) and np.isnan(two.se)
    with pytest.raises(ValueError, match="at least two waves"):
        analysis.trend([_est(4.0, 0.1)])
    with pytest.raises(ValueError, match="dist must be one of"):
        analysis.compare(_est(4.0, 0.1), _est(4.0, 0.1), dist="z")
