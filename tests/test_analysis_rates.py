"""AAPOR outcome rates, worked by hand from the Standard Definitions formulas.

Formulas: AAPOR, *Standard Definitions: Final Dispositions of Case Codes and Outcome
Rates for Surveys* (10th ed., 2023), "Response rates", "Cooperation rates", "Refusal
rates", "Contact rates"; restated in /work/shared/DOMAIN.md.  Every expected value
below is computed as an exact fraction from those formulas.
"""

from fractions import Fraction as F

import numpy as np
import pytest
from numpy.testing import assert_allclose

import analysis

# A wave's final dispositions (chosen for the example).
I, P, R, NC, O, UH, UO, NE = 400, 50, 150, 100, 20, 200, 80, 100  # noqa: E741  (AAPOR names)
E_KNOWN = (I + P) + (R + NC + O)  # 720 known eligible
U = UH + UO  # 280 unknown eligibility
e = F(E_KNOWN, E_KNOWN + NE)  # 720/820 = 36/41, the proportional basis
ALL = F(E_KNOWN + U)  # 1000
WITH_E = E_KNOWN + e * U  # 720 + 10080/41 = 39600/41
CONTACTED = (I + P) + R + O  # 620

EXPECTED = {
    "RR1": F(I) / ALL,  # 400/1000 = 2/5
    "RR2": F(I + P) / ALL,  # 450/1000 = 9/20
    "RR3": F(I) / WITH_E,  # 400*41/39600 = 41/99
    "RR4": F(I + P) / WITH_E,  # 450*41/39600 = 41/88
    "RR5": F(I, E_KNOWN),  # 400/720 = 5/9
    "RR6": F(I + P, E_KNOWN),  # 450/720 = 5/8
    "COOP1": F(I, (I + P) + R + O),  # 400/620 = 20/31
    "COOP2": F(I + P, (I + P) + R + O),  # 450/620 = 45/62
    "COOP3": F(I, (I + P) + R),  # 400/600 = 2/3
    "COOP4": F(I + P, (I + P) + R),  # 450/600 = 3/4
    "REF1": F(R) / ALL,  # 150/1000 = 3/20
    "REF2": F(R) / WITH_E,  # 150*41/39600 = 41/264
    "REF3": F(R, E_KNOWN),  # 150/720 = 5/24
    "CON1": F(CONTACTED) / ALL,  # 620/1000 = 31/50
    "CON2": F(CONTACTED) / WITH_E,  # 620*41/39600 = 1271/1980
    "CON3": F(CONTACTED, E_KNOWN),  # 620/720 = 31/36
}


def test_worked_example_every_rate():
    assert EXPECTED["RR3"] == F(41, 99) and EXPECTED["CON2"] == F(
        1271, 1980
    )  # the arithmetic above
    rates = analysis.response_rates(I, P, R, NC, O, UH, UO, NE=NE)
    for name, value in EXPECTED.items():
        assert getattr(rates, name) == pytest.approx(float(value), rel=1e-14), name
    assert rates.e == pytest.approx(36 / 41, rel=1e-14)
    assert rates.e_basis.startswith("proportional") and "720 / 820" in rates.e_basis


def test_given_e_is_used_and_recorded():
    rates = analysis.response_rates(I, P, R, NC, O, UH, UO, e=0.5, e_basis="screening study 2025")
    assert rates.RR3 == pytest.approx(float(F(I) / (E_KNOWN + F(1, 2) * U)))
    assert rates.e == 0.5 and rates.e_basis == "screening study 2025"
    assert analysis.response_rates(I, P, R, NC, O, UH, UO, e=0.5).e_basis == "given"


def test_rate_ordering_implied_by_definitions():
    r = analysis.response_rates(I, P, R, NC, O, UH, UO, NE=NE)
    assert r.RR1 <= r.RR3 <= r.RR5 and r.RR2 <= r.RR4 <= r.RR6
    assert r.COOP1 <= r.COOP3 and r.COOP2 <= r.COOP4


def test_zero_denominator_is_nan_not_zero():
    with pytest.warns(analysis.DegenerateDataWarning, match="undefined"):
        nothing = analysis.response_rates(0, 0, 0, 0, 0, 0, 0, NE=5)
    assert all(np.isnan(getattr(nothing, k)) for k in EXPECTED)
    # no contact at all: response rates are 0 (defined), cooperation rates undefined
    with pytest.warns(analysis.DegenerateDataWarning):
        no_contact = analysis.response_rates(0, 0, 0, 12, 0, 3, 0, NE=0)
    assert no_contact.RR1 == 0.0 and no_contact.CON1 == 0.0
    assert np.isnan(no_contact.COOP1) and np.isnan(no_contact.COOP4)


def test_vectorised_per_tier():
    rates = analysis.response_rates(
        I=np.array([I, 10]),
        P=np.array([P, 0]),
        R=np.array([R, 5]),
        NC=np.array([NC, 5]),
        O=np.array([O, 0]),
        UH=np.array([UH, 0]),
        UO=np.array([UO, 0]),
        NE=np.array([NE, 0]),
    )
    assert_allclose(rates.RR3, [float(EXPECTED["RR3"]), 0.5])
    assert_allclose(rates.e, [36 / 41, 1.0])


def test_rates_reject_bad_counts():
    with pytest.raises(ValueError, match="R must be a non-negative count"):
        analysis.response_rates(1, 0, -1, 0, 0, 0, 0)
    with pytest.raises(ValueError, match=r"e must lie in \[0, 1\]"):
        analysis.response_rates(1, 0, 1, 0, 0, 1, 0, e=1.5)


def test_disposition_counts_mapping():
    codes = (
        ["1.1"] * 5
        + ["1.2"] * 2
        + ["2.11", "2.12"]
        + ["2.21", "2.22", "2.25"]
        + ["2.31", "2.33", "2.36"]
        + ["3.11", "3.13", "3.18"]
        + ["3.21", "3.90"]
        + ["4.10", "4.32", "4.90"]
    )
    counts = analysis.disposition_counts(np.array(codes))
    assert counts.as_dict() == {"I": 5, "P": 2, "R": 2, "NC": 3, "O": 3, "UH": 3, "UO": 2, "NE": 3}
    rates = analysis.response_rates(**counts.as_dict())
    assert rates.RR1 == pytest.approx(5 / (7 + 8 + 5))  # I / ((I+P) + (R+NC+O) + (UH+UO))


def test_disposition_counts_rejects_unknown_and_numeric_codes():
    with pytest.raises(ValueError, match="'5.1'"):
        analysis.disposition_counts(["1.1", "5.1"])
    with pytest.raises(TypeError, match="codes must be strings"):
        analysis.disposition_counts(np.array([1.1, 2.1]))
    assert analysis.disposition_counts([]).as_dict()["I"] == 0
