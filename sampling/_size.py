"""Sample size for a target margin of error, and the margin a sample gives.

Both functions use one formula, so they invert each other exactly
(Cochran 1977, *Sampling Techniques*, 3rd ed., sections 4.4 and 4.6;
Lohr 2022, *Sampling: Design and Analysis*, 3rd ed., section 2.8).
"""

from __future__ import annotations

import math
import warnings

from ._validate import (
    SampleSizeWarning,
    check_choice,
    check_int,
    check_open_unit,
    check_population,
    check_positive,
)

__all__ = ["critical_value", "margin_of_error", "required_sample_size"]

_ROUNDING = ("up", "nearest")
# ceil() tolerance: a requirement of 384.0000000000001 is 384, not 385.
_CEIL_RTOL = 1e-12


def critical_value(confidence: float = 0.95, *, z: float | None = None) -> float:
    """Two-sided normal critical value ``z = Phi^-1((1 + confidence) / 2)``.

    ``z`` overrides the value derived from ``confidence`` (e.g. ``z=1.96``,
    or ``z=math.sqrt(3.841)`` to reproduce Krejcie & Morgan's table).

    Examples
    --------
    >>> round(critical_value(0.95), 6)
    1.959964
    """
    from scipy import stats  # on first use (package docstring)
    if z is not None:
        return check_positive(z, "z")
    confidence = check_open_unit(confidence, "confidence")
    return float(stats.norm.ppf(0.5 + confidence / 2.0))


def _variance(margin, proportion, sd) -> tuple[float, float]:
    """Return ``(margin, unit variance)`` for a proportion or, with ``sd``, a mean."""
    if sd is None:
        margin = check_open_unit(margin, "margin")
        p = check_open_unit(proportion, "proportion")
        return margin, p * (1.0 - p)
    margin = check_positive(margin, "margin")
    return margin, check_positive(sd, "sd") ** 2


def required_sample_size(
    population: int | None,
    margin: float = 0.05,
    confidence: float = 0.95,
    proportion: float = 0.5,
    design_effect: float = 1.0,
    response_rate: float = 1.0,
    rounding: str = "up",
    *,
    sd: float | None = None,
    z: float | None = None,
) -> int:
    r"""Number of clients to invite so that the margin of error meets ``margin``.

    Parameters
    ----------
    population : int or None
        Frame size ``N``; ``None`` for an infinite population.
    margin : float
        Half-width ``e`` of the confidence interval: a proportion in (0, 1),
        or, when ``sd`` is given, a positive number in the item's units.
    confidence : float
        Confidence level in (0, 1), giving ``z`` (ignored if ``z`` is given).
    proportion : float
        Expected proportion ``p`` in (0, 1); 0.5 is the conservative choice.
    design_effect : float
        Multiplier ``deff > 0`` for a design less (or more) efficient than SRS.
    response_rate : float
        Expected response rate ``r`` in (0, 1]: the completes are divided by it.
    rounding : {"up", "nearest"}
        ``"up"`` (ceiling) guarantees the margin; ``"nearest"`` (half up)
        reproduces published tables such as Krejcie & Morgan (1970).
    sd : float, optional
        Standard deviation of the item: size for a *mean* instead of a proportion.
    z : float, optional
        Critical value overriding ``confidence``.

    Returns
    -------
    int
        Clients to invite, at least 1.

    Notes
    -----
    Cochran (1977), chapter 4::

        n0 = z^2 p (1 - p) / e^2         (or  z^2 sd^2 / e^2  for a mean)
        n1 = n0 / (1 + (n0 - 1) / N)     (finite population correction)
        n  = min(N, deff * n1) / r

    ``n1`` is the exact inverse of :func:`margin_of_error`, whose variance
    carries the factor ``(N - n) / (N - 1)``; ``n1 <= N`` always.  The cap at
    ``N`` applies to the *completes* ``deff * n1``, before the response-rate
    inflation, because a design cannot need more respondents than the
    population holds.  The inflated invitations ``min(N, deff * n1) / r`` can
    still exceed ``N``: then even a census is expected to fall short of the
    margin, a :class:`SampleSizeWarning` says so and ``N`` is returned, the
    largest sample that can be drawn.  Rounding is applied once, at the end.

    Examples
    --------
    >>> required_sample_size(10_000)  # 95 %, p = 0.5, 5 points: Krejcie & Morgan give 370
    370
    >>> required_sample_size(None, margin=0.03)
    1068
    >>> required_sample_size(2_000, margin=0.2, sd=1.1)  # 5-point item, mean within 0.2
    110
    """
    n_pop = check_population(population)
    margin, variance = _variance(margin, proportion, sd)
    z_val = critical_value(confidence, z=z)
    deff = check_positive(design_effect, "design_effect")
    rate = check_positive(response_rate, "response_rate")
    if rate > 1.0:
        raise ValueError(f"response_rate must be in (0, 1] but got {response_rate!r}")
    check_choice(rounding, "rounding", _ROUNDING)

    n0 = z_val**2 * variance / margin**2
    n = n0 if n_pop is None else n0 / (1.0 + (n0 - 1.0) / n_pop)
    n *= deff
    if n_pop is not None:
        n = min(n, float(n_pop))
    n /= rate
    if rounding == "up":
        result = math.ceil(n * (1.0 - _CEIL_RTOL))
    else:
        result = math.floor(n + 0.5)
    if n_pop is not None and result > n_pop:
        warnings.warn(
            f"a census of population={n_pop} is expected to yield "
            f"{n_pop * rate:.1f} completes at response_rate={response_rate!r}, fewer "
            f"than the {n * rate:.1f} needed; returning the population size",
            SampleSizeWarning,
            stacklevel=2,
        )
        result = n_pop
    return max(int(result), 1)


def margin_of_error(
    n: int,
    population: int | None,
    confidence: float = 0.95,
    proportion: float = 0.5,
    sd: float | None = None,
    *,
    z: float | None = None,
) -> float:
    r"""Margin of error of a simple random sample of ``n`` from ``population``.

    Parameters
    ----------
    n : int
        Completed interviews, >= 1.
    population : int or None
        Frame size ``N``; ``None`` for an infinite population.
    confidence, proportion, sd, z
        As in :func:`required_sample_size`.

    Returns
    -------
    float
        ``e = z * sqrt(v / n * (N - n) / (N - 1))`` with ``v = p (1 - p)`` or
        ``v = sd^2``; the factor is 1 when ``N`` is ``None`` and ``e = 0`` when
        ``n >= N`` (a census).

    Notes
    -----
    The finite population correction ``(N - n) / (N - 1)`` is Cochran's
    (1977, chapter 3) for a proportion; for a mean, with ``sd`` the
    population standard deviation (divisor ``N``),
    ``sd^2 (N - n) / (N - 1) = S^2 (1 - n/N)`` with ``S^2 = N sd^2 / (N - 1)``,
    the textbook variance of a sample mean.  So :func:`required_sample_size`
    (with ``design_effect=1`` and ``response_rate=1``) is its exact inverse:
    ``margin_of_error(required_sample_size(N, e), N) <= e``.

    Examples
    --------
    >>> margin_of_error(370, 10_000) <= 0.05 < margin_of_error(369, 10_000)
    True
    >>> margin_of_error(10, 10)
    0.0
    """
    n = check_int(n, "n", minimum=1)
    n_pop = check_population(population)
    if sd is None:
        variance = check_open_unit(proportion, "proportion")
        variance *= 1.0 - variance
    else:
        variance = check_positive(sd, "sd") ** 2
    z_val = critical_value(confidence, z=z)
    if n_pop is None:
        return z_val * math.sqrt(variance / n)
    if n >= n_pop:
        return 0.0
    return z_val * math.sqrt(variance / n * (n_pop - n) / (n_pop - 1))
