"""Allocation to strata and total sample for a per-stratum margin (sampling._allocation)."""

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from sampling import (
    allocate,
    allocation_shares,
    margin_of_error,
    required_sample_size,
    total_for_margin,
)

NAMES = ["private", "diamond", "platinum", "gold", "standard", "youth"]


@st.composite
def designs(draw):
    k = draw(st.integers(1, len(NAMES)))
    keys = NAMES[:k]
    pops = {h: draw(st.integers(0, 400)) for h in keys}
    method = draw(st.sampled_from(["proportional", "equal", "neyman", "optimal"]))
    sd = {h: draw(st.floats(0.0, 5.0)) for h in keys}
    cost = {h: draw(st.floats(0.5, 10.0)) for h in keys}
    minimum = draw(st.integers(0, 30))
    take_all = [h for h in keys if draw(st.booleans()) and draw(st.booleans())]
    total = draw(st.integers(0, 2500))
    return pops, total, method, {"sd": sd, "cost": cost, "minimum": minimum, "take_all": take_all}


def _forced(pops, minimum, take_all):
    return sum(n if h in take_all else min(minimum, n) for h, n in pops.items())


@settings(max_examples=300, deadline=None)
@given(designs())
def test_allocation_invariants(design):
    pops, total, method, kw = design
    budget = min(total, sum(pops.values()))
    assume(_forced(pops, kw["minimum"], kw["take_all"]) <= budget)
    n = allocate(pops, total, method, **kw)
    assert list(n) == list(pops)
    assert all(type(v) is int for v in n.values())
    assert sum(n.values()) == budget
    for h, n_h in n.items():
        assert 0 <= n_h <= pops[h]
        assert n_h >= min(kw["minimum"], pops[h])
        if h in kw["take_all"]:
            assert n_h == pops[h]
    shares = allocation_shares(pops, total, method, **kw)
    assert_allclose(sum(shares.values()), budget)
    for h in pops:  # rounding moves no stratum by a whole unit
        assert abs(n[h] - shares[h]) < 1


@settings(max_examples=200, deadline=None)
@given(
    pops=st.lists(st.integers(200, 5000), min_size=1, max_size=6),
    sds=st.lists(st.floats(0.1, 3.0), min_size=6, max_size=6),
    costs=st.lists(st.floats(1.0, 16.0), min_size=6, max_size=6),
    method=st.sampled_from(["proportional", "equal", "neyman", "optimal"]),
    total=st.integers(0, 1000),
)
def test_unconstrained_allocation_follows_its_formula(pops, sds, costs, method, total):
    keys = NAMES[: len(pops)]
    N = np.array(pops, dtype=float)
    S, c = np.array(sds[: len(pops)]), np.array(costs[: len(pops)])
    w = {
        "proportional": N,
        "equal": np.ones_like(N),
        "neyman": N * S,
        "optimal": N * S / np.sqrt(c),
    }[method]
    target = total * w / w.sum()  # Cochran (1977) 5.5: n_h = n w_h / sum(w)
    assume(np.all(target <= N))  # no cap binds
    kw = {"sd": dict(zip(keys, S, strict=True)), "cost": dict(zip(keys, c, strict=True))}
    pop_map = dict(zip(keys, pops, strict=True))
    shares = allocation_shares(pop_map, total, method, **kw)
    assert_allclose([shares[h] for h in keys], target, rtol=1e-9, atol=1e-9)
    n = allocate(pop_map, total, method, **kw)
    assert np.all(np.abs(np.array([n[h] for h in keys]) - target) < 1)


def test_neyman_hand_worked():
    # Neyman allocation n_h = n N_h S_h / sum(N_k S_k) (Cochran 1977, section 5.5;
    # Lohr 2022, section 3.4.2).  Worked by hand:
    #   N = 1000, 2000, 500; S = 4, 1, 2  ->  N S = 4000, 2000, 1000 (sum 7000)
    #   n = 350: 350 * 4/7 = 200, 350 * 2/7 = 100, 350 * 1/7 = 50.
    pops = {"platinum": 1000, "gold": 2000, "standard": 500}
    sd = {"platinum": 4.0, "gold": 1.0, "standard": 2.0}
    assert allocate(pops, 350, "neyman", sd=sd) == {"platinum": 200, "gold": 100, "standard": 50}
    # proportional for the same frame: 350 * (2, 4, 1) / 7 = 100, 200, 50
    assert allocate(pops, 350) == {"platinum": 100, "gold": 200, "standard": 50}


def test_optimal_with_costs_hand_worked():
    # n_h proportional to N_h S_h / sqrt(c_h) (Cochran 1977, section 5.5; Lohr 2022, 3.4.2):
    # a visit costing 4 calls gets half the sample of an equally variable phone tier.
    pops = {"phone_tier": 1000, "visit_tier": 1000}
    got = allocate(pops, 300, "optimal", sd=1.0, cost={"phone_tier": 1.0, "visit_tier": 4.0})
    assert got == {"phone_tier": 200, "visit_tier": 100}


def test_neyman_over_100_percent_is_capped_and_redistributed():
    # Cochran (1977) section 5.8: a stratum whose Neyman n_h exceeds N_h is
    # taken whole and the rest re-allocated among the others.  By hand:
    #   N = 50, 1000, 1000; S = 40, 1, 3 -> N S = 2000, 1000, 3000 (sum 6000);
    #   n = 300 -> a: 300 * 2/6 = 100 > 50, so a = 50; the other 250 split
    #   1:3 between b and c -> 62.5, 187.5; the tied remainder goes to b.
    pops = {"a": 50, "b": 1000, "c": 1000}
    sd = {"a": 40.0, "b": 1.0, "c": 3.0}
    shares = allocation_shares(pops, 300, "neyman", sd=sd)
    assert_allclose(list(shares.values()), [50.0, 62.5, 187.5])
    assert allocate(pops, 300, "neyman", sd=sd) == {"a": 50, "b": 63, "c": 187}


def test_cascading_caps():
    # capping one stratum pushes another over its population, which is capped too
    pops = {"a": 10, "b": 20, "c": 1000}
    shares = allocation_shares(pops, 200, "equal")
    assert_allclose(list(shares.values()), [10, 20, 170])


def test_minimum_and_take_all():
    pops = {"private": 40, "diamond": 3, "gold": 5000, "standard": 20000}
    got = allocate(pops, 400, minimum=30, take_all=["private"])
    assert got["private"] == 40 and got["diamond"] == 3 and got["gold"] >= 30
    assert sum(got.values()) == 400
    # proportional share of gold would be 400 * 5000 / 25043 = 79.9: no minimum binds
    assert abs(got["gold"] - (400 - 43) * 5000 / 25000) < 1


def test_total_beyond_the_frame_is_a_census():
    pops = {"a": 10, "b": 20}
    assert allocate(pops, 1000) == pops
    assert allocate(pops, 0) == {"a": 0, "b": 0}


def test_zero_sd_strata_still_fill_the_total():
    # Neyman gives a stratum with S = 0 nothing beyond its minimum, but when the
    # variable strata are exhausted the remainder still has to go somewhere.
    got = allocate({"a": 10, "b": 100}, 50, "neyman", sd={"a": 1.0, "b": 0.0})
    assert got == {"a": 10, "b": 40}


def test_ties_go_to_the_first_listed_stratum():
    assert allocate({"x": 5, "y": 5, "z": 5}, 4, "equal") == {"x": 2, "y": 1, "z": 1}
    assert allocate({"z": 5, "y": 5, "x": 5}, 4, "equal") == {"z": 2, "y": 1, "x": 1}


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        (({"a": 10}, 5, "neyman"), {}, ValueError, "method='neyman' needs sd"),
        (({"a": 10}, 5, "optimal"), {"sd": 1.0}, ValueError, "method='optimal' needs cost"),
        (({"a": 10}, 5, "random"), {}, ValueError, "method must be one of .* 'random'"),
        (({"a": -1}, 5), {}, ValueError, r"population_sizes\['a'\] must be >= 0 but got -1"),
        (({"a": 10}, -5), {}, ValueError, "total must be >= 0 but got -5"),
        (({"a": 10}, 5), {"minimum": -1}, ValueError, "minimum must be >= 0 but got -1"),
        (
            ({"a": 10}, 5, "neyman"),
            {"sd": {"a": -1.0}},
            ValueError,
            r"sd\['a'\] must be >= 0 but got -1.0",
        ),
        (
            ({"a": 10, "b": 5}, 5, "neyman"),
            {"sd": {"a": 1.0}},
            ValueError,
            "sd has no value for stratum 'b'",
        ),
        (
            ({"a": 10}, 5, "optimal"),
            {"sd": 1.0, "cost": 0.0},
            ValueError,
            "cost must be > 0 but got 0.0",
        ),
        (({"a": 10}, 5), {"take_all": ["zz"]}, ValueError, "take_all names unknown stratum 'zz'"),
        (({"a": 10}, 5), {"take_all": "a"}, TypeError, "take_all must be a collection"),
        (
            ({"a": 10, "b": 10}, 5),
            {"take_all": ["a"]},
            ValueError,
            "total=5 is less than the 10 units that take_all and minimum require",
        ),
        (({}, 5), {}, ValueError, "population_sizes must not be empty"),
        (([10, 20], 5), {}, TypeError, "population_sizes must be a mapping"),
    ],
)
def test_allocate_rejects(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        allocate(*args, **kwargs)


# --- total_for_margin ------------------------------------------------------------


@pytest.mark.parametrize("population", [50, 500, 10_000, 1_000_000])
@pytest.mark.parametrize("margin", [0.03, 0.05, 0.1])
def test_one_stratum_matches_required_sample_size(population, margin):
    res = total_for_margin({"all": population}, margin)
    assert res.total == required_sample_size(population, margin)
    assert res.worst_margin <= margin


def test_equal_allocation_two_equal_strata():
    # each stratum needs required_sample_size(3000, 0.1) = 94 (n0 = 96.04, /1.03168)
    res = total_for_margin({"platinum": 3000, "gold": 3000}, 0.10, "equal")
    assert res.sizes == {"platinum": 94, "gold": 94} and res.total == 188


@settings(max_examples=60, deadline=None)
@given(
    pops=st.lists(st.integers(1, 3000), min_size=1, max_size=4),
    margin=st.floats(0.03, 0.3),
    method=st.sampled_from(["proportional", "equal", "neyman"]),
    use_sd=st.booleans(),
)
def test_total_for_margin_is_feasible_and_minimal(pops, margin, method, use_sd):
    keys = NAMES[: len(pops)]
    pop_map = dict(zip(keys, pops, strict=True))
    sd = {h: 0.5 + i for i, h in enumerate(keys)} if (use_sd or method == "neyman") else None
    target = margin * 4 if sd else margin  # margins for a mean are in item units
    res = total_for_margin(pop_map, target, method, sd=sd)
    assert res.sizes == allocate(pop_map, res.total, method, sd=sd)
    for h in keys:
        kw = {"sd": sd[h]} if sd else {}
        n_h = res.sizes[h]
        assert n_h >= 1
        assert_allclose(res.margins[h], margin_of_error(n_h, pop_map[h], **kw))
        assert res.margins[h] <= target * (1 + 1e-12)
    if res.total > 0:
        smaller = allocate(pop_map, res.total - 1, method, sd=sd)
        worst = max(
            math.inf
            if smaller[h] == 0
            else margin_of_error(smaller[h], pop_map[h], **({"sd": sd[h]} if sd else {}))
            for h in keys
        )
        assert worst > target


def test_total_for_margin_with_take_all_and_minimum():
    pops = {"private": 60, "gold": 4000, "standard": 20000}
    res = total_for_margin(pops, 0.08, take_all=["private"], minimum=20)
    assert res.sizes["private"] == 60 and res.margins["private"] == 0.0
    assert res.worst_margin <= 0.08


def test_total_for_margin_neyman_weights_with_a_proportion_margin():
    # allocate by the score's SDs, but require the margin of a proportion
    pops = {"platinum": 300, "gold": 3000}
    sd = {"platinum": 1.2, "gold": 0.9}
    res = total_for_margin(pops, 0.10, "neyman", sd=sd, measure="proportion")
    assert res.sizes == allocate(pops, res.total, "neyman", sd=sd)
    for h in pops:
        assert_allclose(res.margins[h], margin_of_error(res.sizes[h], pops[h]))
    assert res.worst_margin <= 0.10
    smaller = allocate(pops, res.total - 1, "neyman", sd=sd)
    assert max(margin_of_error(smaller[h], pops[h]) for h in pops) > 0.10
    # the same margin for a mean is in score units, a different question
    as_mean = total_for_margin(pops, 0.10, "neyman", sd=sd, measure="mean")
    assert as_mean.total != res.total
    assert as_mean.total == total_for_margin(pops, 0.10, "neyman", sd=sd).total


def test_total_for_margin_rejects():
    with pytest.raises(ValueError, match="measure='mean' needs sd"):
        total_for_margin({"a": 100}, 0.1, measure="mean")
    with pytest.raises(ValueError, match="measure must be one of .* but got 'median'"):
        total_for_margin({"a": 100}, 0.1, measure="median")
    with pytest.raises(ValueError, match=r"margin must be in \(0, 1\) but got 2"):
        total_for_margin({"a": 100}, 2)
    with pytest.raises(ValueError, match="method='neyman' needs sd"):
        total_for_margin({"a": 100}, 0.1, "neyman")
    with pytest.raises(TypeError, match="population_sizes must be a mapping"):
        total_for_margin([100], 0.1)
