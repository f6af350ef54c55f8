"""Sample size and margin of error (sampling._size)."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from sampling import (
    SampleSizeWarning,
    critical_value,
    margin_of_error,
    required_sample_size,
)

# Krejcie, R. V. & Morgan, D. W. (1970). Determining sample size for research
# activities. Educational and Psychological Measurement, 30, 607-610, Table 1
# ("Table for determining sample size from a given population"), all 90 rows:
# (N = population size, S = sample size) for 95 % confidence, P = .50, d = .05,
# computed from s = X^2 N P (1 - P) / (d^2 (N - 1) + X^2 P (1 - P)), X^2 = 3.841.
KREJCIE_MORGAN_1970 = [
    (10, 10),
    (15, 14),
    (20, 19),
    (25, 24),
    (30, 28),
    (35, 32),
    (40, 36),
    (45, 40),
    (50, 44),
    (55, 48),
    (60, 52),
    (65, 56),
    (70, 59),
    (75, 63),
    (80, 66),
    (85, 70),
    (90, 73),
    (95, 76),
    (100, 80),
    (110, 86),
    (120, 92),
    (130, 97),
    (140, 103),
    (150, 108),
    (160, 113),
    (170, 118),
    (180, 123),
    (190, 127),
    (200, 132),
    (210, 136),
    (220, 140),
    (230, 144),
    (240, 148),
    (250, 152),
    (260, 155),
    (270, 159),
    (280, 162),
    (290, 165),
    (300, 169),
    (320, 175),
    (340, 181),
    (360, 186),
    (380, 191),
    (400, 196),
    (420, 201),
    (440, 205),
    (460, 210),
    (480, 214),
    (500, 217),
    (550, 226),
    (600, 234),
    (650, 242),
    (700, 248),
    (750, 254),
    (800, 260),
    (850, 265),
    (900, 269),
    (950, 274),
    (1000, 278),
    (1100, 285),
    (1200, 291),
    (1300, 297),
    (1400, 302),
    (1500, 306),
    (1600, 310),
    (1700, 313),
    (1800, 317),
    (1900, 320),
    (2000, 322),
    (2200, 327),
    (2400, 331),
    (2600, 335),
    (2800, 338),
    (3000, 341),
    (3500, 346),
    (4000, 351),
    (4500, 354),
    (5000, 357),
    (6000, 361),
    (7000, 364),
    (8000, 367),
    (9000, 368),
    (10000, 370),
    (15000, 375),
    (20000, 377),
    (30000, 379),
    (40000, 380),
    (50000, 381),
    (75000, 382),
    (1000000, 384),
]
# K&M's formula is Cochran's n0 / (1 + (n0 - 1) / N) with n0 = X^2 P (1 - P) / d^2.
KM_Z = math.sqrt(3.841)


def test_table_has_every_published_row():
    assert len(KREJCIE_MORGAN_1970) == 90
    assert KREJCIE_MORGAN_1970[0] == (10, 10)
    assert KREJCIE_MORGAN_1970[-1] == (1_000_000, 384)


@pytest.mark.parametrize(("population", "published"), KREJCIE_MORGAN_1970)
def test_krejcie_morgan_every_row_with_their_chi_square(population, published):
    # With the critical value the table was computed from (X^2 = 3.841 exactly)
    # and rounding to the nearest integer, every one of the 90 rows matches.
    assert required_sample_size(population, rounding="nearest", z=KM_Z) == published


def test_krejcie_morgan_with_confidence_derived_z_differs_only_at_40000():
    # The default derives z = 1.959964 from confidence=0.95, so z^2 = 3.841459
    # instead of the table's 3.841.  That moves exactly one row across a
    # rounding boundary: N = 40,000 gives s = 380.456 with 3.841 (table: 380)
    # but 380.501 with z^2 = 3.841459, which rounds to 381.  Not a misprint:
    # the table's rounded chi-square, documented here rather than hidden.
    got = {n: required_sample_size(n, rounding="nearest") for n, _ in KREJCIE_MORGAN_1970}
    differ = {n: (got[n], s) for n, s in KREJCIE_MORGAN_1970 if got[n] != s}
    assert differ == {40000: (381, 380)}


@pytest.mark.parametrize("z", [None, KM_Z])
def test_rounding_up_never_below_nearest_and_meets_the_margin(z):
    for population, published in KREJCIE_MORGAN_1970:
        up = required_sample_size(population, z=z)
        assert up >= required_sample_size(population, rounding="nearest", z=z)
        assert up >= published
        assert margin_of_error(up, population, z=z) <= 0.05 + 1e-12


def test_infinite_population_is_cochran_n0():
    # n0 = 1.959964^2 * 0.25 / 0.05^2 = 384.146 -> 385 up, 384 nearest
    assert required_sample_size(None) == 385
    assert required_sample_size(None, rounding="nearest") == 384
    # 3 points: 1.959964^2 * 0.25 / 0.0009 = 1067.07 -> 1068
    assert required_sample_size(None, margin=0.03) == 1068


def test_sd_based_size_by_hand():
    # Mean of a 5-point item with sd 1.1, within +-0.2 at z = 1.96 (Cochran 1977, ch. 4):
    # n0 = 1.96^2 * 1.1^2 / 0.2^2 = 3.8416 * 1.21 / 0.04 = 116.2084 -> 117
    assert required_sample_size(None, margin=0.2, sd=1.1, z=1.96) == 117
    # N = 2000: n = 116.2084 / (1 + 115.2084 / 2000) = 109.878 -> 110
    assert required_sample_size(2000, margin=0.2, sd=1.1, z=1.96) == 110
    assert required_sample_size(2000, margin=0.2, sd=1.1, z=1.96, rounding="nearest") == 110
    # the proportion is ignored when sd is given
    assert required_sample_size(2000, margin=0.2, sd=1.1, z=1.96, proportion=0.1) == 110


def test_margin_of_error_by_hand():
    # 1.96 * sqrt(0.25 / 400) = 1.96 * 0.025 = 0.049
    assert_allclose(margin_of_error(400, None, z=1.96), 0.049)
    # with N = 2000: 0.049 * sqrt((2000 - 400) / 1999) = 0.049 * 0.894651 = 0.043838
    assert_allclose(margin_of_error(400, 2000, z=1.96), 0.049 * math.sqrt(1600 / 1999))
    assert_allclose(margin_of_error(400, 2000, z=1.96), 0.0438379, atol=5e-7)
    # mean: 1.96 * 2 / sqrt(100) = 0.392
    assert_allclose(margin_of_error(100, None, sd=2.0, z=1.96), 0.392)
    # p = 0.2: 1.96 * sqrt(0.16 / 100) = 0.0784
    assert_allclose(margin_of_error(100, None, proportion=0.2, z=1.96), 0.0784)


def test_census_has_no_margin():
    assert margin_of_error(10, 10) == 0.0
    assert margin_of_error(11, 10) == 0.0
    assert margin_of_error(1, 1) == 0.0


@given(
    population=st.one_of(st.none(), st.integers(1, 2_000_000)),
    margin=st.floats(0.01, 0.3),
    proportion=st.floats(0.02, 0.98),
    confidence=st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
def test_round_trip_proportion(population, margin, proportion, confidence):
    n = required_sample_size(population, margin, confidence, proportion)
    assert 1 <= n <= (population or n)
    kw = {"confidence": confidence, "proportion": proportion}
    assert margin_of_error(n, population, **kw) <= margin * (1 + 1e-9)
    if n > 1:  # and it is the smallest such n
        assert margin_of_error(n - 1, population, **kw) > margin * (1 - 1e-9)


@given(
    population=st.one_of(st.none(), st.integers(1, 2_000_000)),
    margin=st.floats(0.02, 2.0),
    sd=st.floats(0.1, 5.0),
)
def test_round_trip_mean(population, margin, sd):
    n = required_sample_size(population, margin, sd=sd)
    assert margin_of_error(n, population, sd=sd) <= margin * (1 + 1e-9)
    if n > 1:
        assert margin_of_error(n - 1, population, sd=sd) > margin * (1 - 1e-9)


def test_design_effect_and_response_rate():
    # 2 * 384.146 = 768.29 -> 769;  384.146 / 0.4 = 960.36 -> 961
    assert required_sample_size(None, design_effect=2.0) == 769
    assert required_sample_size(None, response_rate=0.4) == 961
    # N = 1000: n1 = 277.73; / 0.5 = 555.47 -> 556 invitations
    assert required_sample_size(1000, response_rate=0.5) == 556
    # deff < 1 (an efficient stratified design) is legal
    assert required_sample_size(None, design_effect=0.8) == 308


def test_never_more_than_the_population():
    # deff 3 at N = 500: 3 * 217.49 = 652 completes needed, capped at 500
    assert required_sample_size(500, design_effect=3.0) == 500
    for population in [1, 2, 5, 10, 50]:
        assert required_sample_size(population, margin=0.01, design_effect=5.0) == population


def test_census_short_of_the_margin_warns():
    # N = 300: 168.7 completes needed; / 0.5 = 337.4 invitations > 300
    with pytest.warns(SampleSizeWarning, match="census of population=300"):
        assert required_sample_size(300, response_rate=0.5) == 300


def test_critical_value():
    assert_allclose(critical_value(0.95), 1.959963984540054)
    assert_allclose(critical_value(0.90), 1.6448536269514722)
    assert critical_value(0.5, z=2.0) == 2.0


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"margin": 1.5}, ValueError, r"margin must be in \(0, 1\) but got 1.5"),
        ({"margin": 0}, ValueError, r"margin must be in \(0, 1\) but got 0"),
        ({"margin": -1.0, "sd": 1.0}, ValueError, "margin must be > 0 but got -1.0"),
        ({"confidence": 1.0}, ValueError, r"confidence must be in \(0, 1\) but got 1.0"),
        ({"proportion": 0.0}, ValueError, r"proportion must be in \(0, 1\) but got 0.0"),
        ({"design_effect": 0}, ValueError, "design_effect must be > 0 but got 0"),
        ({"response_rate": 1.2}, ValueError, r"response_rate must be in \(0, 1\] but got 1.2"),
        ({"rounding": "down"}, ValueError, "rounding must be one of .* but got 'down'"),
        ({"sd": -2.0}, ValueError, "sd must be > 0 but got -2.0"),
        ({"margin": float("nan")}, ValueError, "margin must be finite but got nan"),
        ({"margin": "5%"}, TypeError, "margin must be a real number but got '5%'"),
    ],
)
def test_required_sample_size_rejects(kwargs, error, message):
    with pytest.raises(error, match=message):
        required_sample_size(1000, **kwargs)


@pytest.mark.parametrize(
    ("population", "error", "message"),
    [
        (0, ValueError, "population must be >= 1 but got 0"),
        (-5, ValueError, "population must be >= 1 but got -5"),
        (10.5, TypeError, "population must be an integer but got 10.5"),
        (True, TypeError, "population must be an integer but got True"),
    ],
)
def test_bad_population(population, error, message):
    with pytest.raises(error, match=message):
        required_sample_size(population)
    with pytest.raises(error, match=message):
        margin_of_error(5, population)


def test_numpy_integers_accepted():
    assert required_sample_size(np.int64(10_000)) == 370
    assert margin_of_error(np.int32(370), np.int64(10_000)) <= 0.05


def test_margin_of_error_rejects_empty_sample():
    with pytest.raises(ValueError, match="n must be >= 1 but got 0"):
        margin_of_error(0, 100)
