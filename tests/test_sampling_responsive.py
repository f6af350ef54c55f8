"""sampling.project_fieldwork: completes and margins at close, and the reserve release that reaches the target.

Hand-worked reference (Cochran 1977, ch. 3, margin with the finite population correction):
N = 1000, p = 0.5, 95 % (z = 1.959964): m = z^2 p q N / (e^2 (N - 1) + z^2 p q)
= 960.365 / (0.01 x 999 + 0.960365) = 87.70, so m = 88 completes for e = 0.10;
margin(88) = 1.959964 sqrt(0.25 / 88 x 912 / 999) = 0.09981 and margin(87) = 0.10044.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import sampling


def test_hand_worked_case():
    # 100 released, 60 resolved, 30 complete: rate 0.5, 30 + 0.5 x 40 = 50 at close, 38 short -> 76 cases
    p = sampling.project_fieldwork([100], [60], [30], [1000], [0.10], [500], expected_rate=0.5, prior_weight=0)
    assert_allclose(p.response_rate, [0.5])
    assert_allclose(p.projected_completes, [50.0])
    assert_allclose(p.projected_margin, [1.959964 * math.sqrt(0.25 / 50 * 950 / 999)], rtol=1e-6)
    assert_array_equal(p.target_completes, [88])
    assert_array_equal(p.release_needed, [76])
    assert_array_equal(p.release, [76])
    assert_allclose(p.completes_after, [88.0])
    assert p.reaches_target.tolist() == [True]


def test_release_never_exceeds_the_reserve():
    p = sampling.project_fieldwork([100, 100], [60, 60], [30, 30], [1000, 1000], [0.10, 0.10], [50, 0],
                                   expected_rate=0.5, prior_weight=0)
    assert_array_equal(p.release_needed, [76, 76])
    assert_array_equal(p.release, [50, 0])
    assert p.reaches_target.tolist() == [False, False]
    assert_allclose(p.completes_after, [75.0, 50.0])


def test_the_prior_rate_weighs_in_as_resolved_cases():
    # nothing resolved yet: the plan's rate; then (completes + w r0) / (resolved + w)
    p = sampling.project_fieldwork([40, 40], [0, 20], [0, 4], [500, 500], [0.2, 0.2], [100, 100],
                                   expected_rate=0.6, prior_weight=10)
    assert_allclose(p.response_rate, [0.6, (4 + 6) / 30])
    assert_allclose(p.projected_completes, [24.0, 4 + 20 / 3])


def test_no_release_when_the_target_is_already_met_and_none_at_rate_zero():
    p = sampling.project_fieldwork([200, 50], [200, 50], [150, 0], [1000, 1000], [0.10, 0.10], [30, 30],
                                   expected_rate=0.5, prior_weight=0)
    assert_array_equal(p.release, [0, 0])
    assert p.release_needed[1] == -1  # no number of cases reaches the target at a rate of 0
    assert p.reaches_target.tolist() == [True, False]
    assert math.isinf(p.projected_margin[1])


def test_a_zero_target_asks_for_a_census_and_small_tiers_are_capped():
    p = sampling.project_fieldwork([10], [10], [5], [20], [0.0], [10], expected_rate=0.5, prior_weight=0)
    assert_array_equal(p.target_completes, [20])
    assert_array_equal(p.release_needed, [30])
    assert_array_equal(p.release, [10])
    assert p.projected_margin[0] > 0


def test_the_release_is_the_smallest_that_reaches_the_target():
    rng = np.random.default_rng(5)
    for _ in range(50):
        big = int(rng.integers(200, 5000))
        released = int(rng.integers(20, 150))
        resolved = int(rng.integers(1, released + 1))
        completes = int(rng.integers(1, resolved + 1))
        p = sampling.project_fieldwork([released], [resolved], [completes], [big], [0.08], [10_000],
                                       expected_rate=0.5, prior_weight=0)
        k, r = int(p.release_needed[0]), completes / resolved
        at = completes + r * (released - resolved)
        assert at + r * k >= p.target_completes[0] - 1e-9
        if k:
            assert at + r * (k - 1) < p.target_completes[0]
        assert p.release[0] == min(k, 10_000)
        assert sampling.margin_of_error(int(p.target_completes[0]), big) <= 0.08


@pytest.mark.parametrize("kw,word", [
    (dict(resolved=[70]), "completes <= resolved <= released"),
    (dict(completes=[61]), "completes <= resolved <= released"),
    (dict(target_margin=[0.7]), "target_margin"),
    (dict(population=[1.5]), "population"),
    (dict(reserve=[-1]), "reserve"),
    (dict(released=[[1]]), "released"),
    (dict(expected_rate=0.0), "expected_rate"),
    (dict(prior_weight=-1.0), "prior_weight"),
])
def test_bad_arguments_name_themselves(kw, word):
    args = dict(released=[60], resolved=[60], completes=[30], population=[1000], target_margin=[0.1],
                reserve=[10], expected_rate=0.5, prior_weight=0)
    args.update(kw)
    with pytest.raises(ValueError, match=word):
        sampling.project_fieldwork(**args)


def test_docstring_example_runs():
    import doctest

    from sampling import _responsive

    assert doctest.testmod(_responsive).failed == 0
