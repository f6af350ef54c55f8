"""StratifiedDesign behaviour: validation, missing values, domains, degenerate input."""

import dataclasses
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import analysis

STRATA = ["A", "A", "A", "B", "B"]
POP = {"A": 10, "B": 20}
Y = [2.0, 4.0, 6.0, 1.0, 3.0]


def test_default_weights_are_population_over_respondents():
    design = analysis.StratifiedDesign(STRATA, POP)
    assert_allclose(design.weights, [10 / 3] * 3 + [10] * 2)
    assert design.n == 5 and design.df == 3
    with pytest.raises(ValueError):
        design.weights[0] = 1.0


def test_results_are_frozen():
    res = analysis.StratifiedDesign(STRATA, POP).mean(Y)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.estimate = 0.0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"population_sizes": {"A": 10}}, "no entry for stratum 'B'"),
        (
            {"population_sizes": {"A": 2, "B": 20}},
            r"population_sizes\['A'\] must be at least the 3",
        ),
        ({"population_sizes": [10, 20]}, "must be a mapping"),
        ({"weights": [1, 1, 1, 1]}, "weights must have one value per respondent"),
        ({"weights": [1, 1, 0, 1, 1]}, "weights must be positive"),
        ({"single_unit_stratum": "drop"}, "single_unit_stratum must be one of"),
    ],
)
def test_design_errors_name_argument(kwargs, match):
    args = {"strata": STRATA, "population_sizes": POP} | kwargs
    with pytest.raises((ValueError, TypeError), match=match):
        analysis.StratifiedDesign(**args)


def test_estimator_errors_name_argument():
    design = analysis.StratifiedDesign(STRATA, POP)
    with pytest.raises(ValueError, match="y has 1 missing values"):
        design.mean([1, 2, np.nan, 4, 5])
    with pytest.raises(ValueError, match="flag must hold only 0/1"):
        design.proportion([0, 1, 2, 0, 1])
    with pytest.raises(ValueError, match="score_0_10 must hold whole scores 0..10"):
        design.nps([0, 1, 11, 5, 5])
    with pytest.raises(ValueError, match="missing must be one of"):
        design.mean(Y, missing="drop")
    with pytest.raises(ValueError, match="y must have one value per respondent"):
        design.mean([1, 2])
    with pytest.raises(TypeError, match="y must hold numbers"):
        design.mean(["a", "b", "c", "d", "e"])
    with pytest.raises(ValueError, match="level must be strictly between 0 and 1"):
        design.mean(Y).ci(95)
    with pytest.raises(ValueError, match="domain has 1 missing labels"):
        design.by(["x", None, "y", "x", "y"])


def test_missing_omit_is_domain_estimation_not_dropping_rows():
    """NaN rows stay in the design: the SE differs from re-running on fewer rows."""
    design = analysis.StratifiedDesign(STRATA, POP)
    y = np.array([2.0, np.nan, 6.0, 1.0, 3.0])
    omit = design.mean(y, missing="omit")
    domain = design.by(~np.isnan(y)).mean(np.nan_to_num(y))[True]
    assert_allclose([omit.estimate, omit.se], [domain.estimate, domain.se], rtol=1e-12)
    # ratio over answered rows with the design weights: (10/3 (2+6) + 10 (1+3)) / (20/3 + 20) = 2.5
    assert_allclose(omit.estimate, 2.5, rtol=1e-12)
    assert omit.n == 4
    # dropping the row instead re-weights tier A to 10/2 and gives (10*4 + 20*2)/30 = 8/3
    dropped = analysis.StratifiedDesign(np.array(STRATA)[[0, 2, 3, 4]], POP).mean(y[[0, 2, 3, 4]])
    assert_allclose(dropped.estimate, 8 / 3, rtol=1e-12)


def test_domain_estimates_mapping_and_arrays():
    design = analysis.StratifiedDesign(STRATA, POP)
    res = design.by(["n", "s", "n", "s", "s"]).mean(Y)
    assert list(res) == ["n", "s"] and len(res) == 2
    assert res["n"].estimate == res.estimate[0]
    assert res[np.str_("s")].n == 3
    low, high = res.ci()
    assert low.shape == (2,) and (low < res.estimate).all() and (high > res.estimate).all()
    assert "DomainEstimates" in repr(res)


def test_single_domain_equals_overall_and_integer_labels_equal_strings():
    rng = np.random.default_rng(3)
    strata = rng.integers(0, 4, 300)
    pop = {0: 1000, 1: 500, 2: 2000, 3: 400}
    y = rng.normal(size=300)
    design = analysis.StratifiedDesign(strata, pop)
    whole = design.mean(y)
    one = design.by(np.zeros(300, int)).mean(y)[0]
    assert_allclose(
        [one.estimate, one.se, one.deff], [whole.estimate, whole.se, whole.deff], rtol=1e-12
    )
    as_text = analysis.StratifiedDesign(
        strata.astype(str), {str(k): v for k, v in pop.items()}
    ).mean(y)
    big_ints = analysis.StratifiedDesign(
        strata * 10**9, {k * 10**9: v for k, v in pop.items()}
    ).mean(y)
    for other in (as_text, big_ints):
        assert_allclose([other.estimate, other.se], [whole.estimate, whole.se], rtol=1e-12)


def test_domain_missing_labels_omitted():
    design = analysis.StratifiedDesign(STRATA, POP)
    res = design.by([1.0, np.nan, 1.0, 2.0, 2.0], missing="omit").mean(Y)
    assert list(res) == [1.0, 2.0] and res[1.0].n == 2


def test_census_tier_has_no_sampling_variance():
    """A tier taken whole (r_h = N_h) has fpc 0 (Cochran 1977, eq. 5.6)."""
    design = analysis.StratifiedDesign(["P", "P", "G", "G", "G"], {"P": 2, "G": 30})
    res = design.by(["P", "P", "G", "G", "G"]).mean([5, 4, 3, 4, 5])
    assert res["P"].se == 0.0 and res["G"].se > 0


def test_single_unit_stratum_policies():
    strata, pop, y = ["A", "A", "B"], {"A": 10, "B": 5}, [1.0, 2.0, 3.0]
    with pytest.warns(analysis.DegenerateDataWarning, match="single respondent"):
        assert np.isnan(analysis.StratifiedDesign(strata, pop).mean(y).se)
    # a domain that does not touch the lonely stratum keeps its SE
    with pytest.warns(analysis.DegenerateDataWarning):
        res = analysis.StratifiedDesign(strata, pop).by(["x", "x", "z"]).mean(y)
    assert np.isfinite(res.se[0]) and np.isnan(res.se[1])
    skip = analysis.StratifiedDesign(strata, pop, single_unit_stratum="skip").mean(y)
    assert np.isfinite(skip.se)
    with pytest.raises(ValueError, match=r"strata \['B'\] have a single respondent"):
        analysis.StratifiedDesign(strata, pop, single_unit_stratum="raise")


def test_single_unit_stratum_adjust_hand_worked():
    """R options(survey.lonely.psu = "adjust"): the lonely unit is centred at the grand mean.

    Tier A: y = 1, 2, 3 of N = 10 (w = 10/3); tier B: y = 5 alone of N = 4 (w = 4); W = 14.
    Mean 40/14.  A: z = (10/3)(y - 40/14)/14, centred SS = (10/42)^2 * 2 = 200/1764,
    c_A = (1 - 3/10) 3/2 = 1.05, so V_A = 210/1764.  B: z = 4 (5 - 40/14) / 14 = 120/196,
    grand mean of z = 0, f_B = 1 - 1/4, so V_B = 0.75 (120/196)^2.
    Total 40: scores w y = 10/3, 20/3, 10 (V_A = 1.05 * 200/9) and 20, centred at
    40 / 4 respondents = 10: V_B = 0.75 * (20 - 10)^2 = 75.
    """
    strata, pop, y = ["A", "A", "A", "B"], {"A": 10, "B": 4}, [1.0, 2.0, 3.0, 5.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an explicit policy: no warning
        design = analysis.StratifiedDesign(strata, pop, single_unit_stratum="adjust")
        mean, total = design.mean(y), design.total(y)
    assert mean.estimate == pytest.approx(40 / 14)
    assert mean.se**2 == pytest.approx(210 / 1764 + 0.75 * (120 / 196) ** 2, rel=1e-12)
    assert total.estimate == pytest.approx(40.0)
    assert total.se**2 == pytest.approx(1.05 * 200 / 9 + 75, rel=1e-12)
    skip = analysis.StratifiedDesign(strata, pop, single_unit_stratum="skip")
    assert skip.mean(y).se ** 2 == pytest.approx(210 / 1764, rel=1e-12)
    # a domain mean that leaves the lonely unit out: its score is 0 there, as is the grand mean
    by_adjust = design.by(["x", "x", "x", "z"]).mean(y)
    by_skip = skip.by(["x", "x", "x", "z"]).mean(y)
    assert by_adjust["x"].se == pytest.approx(by_skip["x"].se)
    assert np.isfinite(by_adjust["z"].se)


def test_degenerate_inputs_warn_and_give_nan():
    with pytest.warns(analysis.DegenerateDataWarning, match="no respondents"):
        analysis.StratifiedDesign(STRATA, POP | {"C": 100})
    design = analysis.StratifiedDesign(STRATA, POP)
    with pytest.warns(analysis.DegenerateDataWarning, match="no respondents with a value"):
        res = design.mean([np.nan] * 5, missing="omit")
    assert np.isnan(res.estimate) and res.n == 0


def test_nps_counts_promoters_minus_detractors():
    """NPS (Reichheld 2003) = %(9-10) - %(0-6), here on an unweighted single stratum."""
    scores = np.array([10, 9, 9, 8, 7, 6, 0, 3, 10, 5])  # 4 promoters, 4 detractors
    design = analysis.StratifiedDesign(np.zeros(10, int), {0: 10_000})
    assert design.nps(scores).estimate == pytest.approx(100 * (4 - 4) / 10)
    assert design.nps(np.r_[scores[:6], [9, 9, 9, 9]]).estimate == pytest.approx(100 * (7 - 1) / 10)


def _finite_population(rng, sizes, means):
    return [rng.normal(m, 1.0, n) for n, m in zip(sizes, means, strict=True)]


def test_deff_of_proportional_allocation_at_most_one():
    """Proportional allocation is never less precise than SRS apart from O(1/N_h) terms
    (Cochran 1977, §5.6), so the design effect is about 1 with equal stratum means and
    below 1 when the strata differ."""
    rng = np.random.default_rng(11)
    sizes, r_h = np.array([4000, 2000, 1000]), np.array([80, 40, 20])
    strata = np.repeat([0, 1, 2], r_h)
    design = analysis.StratifiedDesign(strata, dict(enumerate(sizes.tolist())))
    equal, differ = [], []
    for _ in range(200):
        y0 = rng.normal(0, 1, r_h.sum())
        equal.append(design.mean(y0).deff)
        differ.append(design.mean(y0 + np.repeat([0.0, 1.0, 2.0], r_h)).deff)
    assert 0.95 < np.mean(equal) < 1.02
    assert np.mean(differ) < 0.75 and max(differ) < 1.0


def test_confidence_interval_coverage():
    """95% intervals cover the finite-population value in 93-97% of 1000 stratified
    SRSWOR samples (binomial sd 0.7%), for a mean and for a logit-interval proportion."""
    rng = np.random.default_rng(2024)
    sizes, r_h = [3000, 1200, 300], [50, 30, 25]
    pop = _finite_population(rng, sizes, [3.5, 4.0, 4.4])
    flags = [p > 4.2 for p in pop]
    true_mean = np.concatenate(pop).mean()
    true_prop = np.concatenate(flags).mean()
    strata = np.repeat([0, 1, 2], r_h)
    design_pop = dict(enumerate(sizes))
    hits_mean = hits_prop = 0
    reps = 1000
    for _ in range(reps):
        idx = [rng.choice(n, r, replace=False) for n, r in zip(sizes, r_h, strict=True)]
        y = np.concatenate([p[i] for p, i in zip(pop, idx, strict=True)])
        f = np.concatenate([p[i] for p, i in zip(flags, idx, strict=True)])
        design = analysis.StratifiedDesign(strata, design_pop)
        low, high = design.mean(y).ci()
        hits_mean += low <= true_mean <= high
        low, high = design.proportion(f).ci()
        hits_prop += low <= true_prop <= high
    assert 0.93 <= hits_mean / reps <= 0.97
    assert 0.93 <= hits_prop / reps <= 0.97


@settings(max_examples=60, deadline=None, database=None)
@given(
    data=st.lists(
        st.tuples(st.integers(0, 2), st.booleans(), st.floats(0.2, 5.0)), min_size=4, max_size=40
    ),
    level=st.sampled_from([0.8, 0.9, 0.95, 0.99, 0.999]),
)
def test_logit_interval_stays_inside_unit_interval(data, level):
    strata = np.array([d[0] for d in data])
    flag = np.array([d[1] for d in data])
    weights = np.array([d[2] for d in data])
    pop = {h: 10_000 for h in np.unique(strata).tolist()}
    design = analysis.StratifiedDesign(strata, pop, weights, single_unit_stratum="skip")
    res = design.proportion(flag)
    low, high = res.ci(level)
    assert 0.0 <= low <= res.estimate <= high <= 1.0
    dom = design.by(strata).proportion(flag)
    low, high = dom.ci(level)
    assert (low >= 0).all() and (high <= 1).all() and (low <= dom.estimate).all()


@settings(max_examples=40, deadline=None, database=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 10), st.integers(0, 2)), min_size=6, max_size=60
    )
)
def test_domain_equals_omit_on_masked_values(rows):
    """design.by(d).nps(s)[k] is design.nps(s where d == k else NaN, missing="omit")."""
    strata = np.array([r[0] for r in rows])
    score = np.array([r[1] for r in rows], dtype=float)
    dom = np.array([r[2] for r in rows])
    pop = {h: 50 for h in np.unique(strata).tolist()}
    design = analysis.StratifiedDesign(strata, pop, single_unit_stratum="skip")
    by = design.by(dom).nps(score)
    for k in by:
        single = design.nps(np.where(dom == k, score, np.nan), missing="omit")
        assert_allclose(
            [by[k].estimate, by[k].se], [single.estimate, single.se], rtol=1e-9, atol=1e-12
        )


def test_constant_answers_give_zero_se_and_nan_deff_without_numpy_warnings():
    design = analysis.StratifiedDesign(STRATA, POP)
    res = design.by(["a", "a", "b", "b", "b"]).mean([4.0, 4.0, 5.0, 5.0, 5.0])
    assert_allclose(res.se, 0.0, atol=1e-12)
    one = design.by(["a", "b", "b", "b", "b"]).mean(Y)["a"]  # a domain of one respondent
    assert one.n == 1 and np.isnan(one.deff)
