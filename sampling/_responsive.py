"""Responsive fieldwork: project each tier's completes at close and the reserve to release.

While fieldwork runs, each tier ``h`` has ``released_h`` cases, of which ``resolved_h``
have a final code and ``completes_h`` are complete interviews.  The open cases
``released_h - resolved_h`` are projected to complete at the tier's response rate so far,
and extra reserve cases are released, in the recorded random order, just enough for the
projected completes to meet the tier's target margin of error.

Groves and Heeringa (2006), "Responsive design for household surveys", *JRSS A* 169(3);
the margin and its inverse are Cochran's (1977, ch. 3), as in :mod:`._size`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._size import margin_of_error, required_sample_size
from ._validate import check_open_unit

__all__ = ["FieldProjection", "project_fieldwork"]


@dataclass(frozen=True)
class FieldProjection:
    """Result of :func:`project_fieldwork`; every field is an array with one entry per tier.

    Attributes
    ----------
    response_rate : ndarray of float
        Rate used for the open and the new cases.
    projected_completes : ndarray of float
        ``completes + rate * (released - resolved)``: completes at close without a release.
    projected_margin : ndarray of float
        Margin of error (p = 0.5) at ``floor(projected_completes)``; 0 for a census, ``inf``
        when fewer than one complete is projected.
    target_completes : ndarray of int
        Fewest completes whose margin meets the target (``N_h`` when the target is 0).
    release_needed : ndarray of int
        Fewest new cases for the projection to reach ``target_completes``, ignoring the
        reserve; -1 when no number of cases can (a rate of 0).
    release : ndarray of int
        ``release_needed`` capped by the reserve (the whole reserve when the target cannot
        be reached with it; none when the rate is 0).
    completes_after : ndarray of float
        Projected completes at close after releasing ``release``.
    reaches_target : ndarray of bool
        Whether ``completes_after`` meets ``target_completes``.
    """

    response_rate: np.ndarray
    projected_completes: np.ndarray
    projected_margin: np.ndarray
    target_completes: np.ndarray
    release_needed: np.ndarray
    release: np.ndarray
    completes_after: np.ndarray
    reaches_target: np.ndarray


def _counts(value, name: str, size: int | None) -> np.ndarray:
    arr = np.asarray(value)
    if arr.ndim != 1 or (size is not None and arr.shape[0] != size):
        raise ValueError(f"{name} must be a 1-d array with one entry per tier but got shape {arr.shape}")
    if arr.size and (not np.issubdtype(arr.dtype, np.integer) or (arr < 0).any()):
        raise ValueError(f"{name} must hold whole numbers >= 0 but got {value!r}")
    return arr.astype(np.int64)


def project_fieldwork(released, resolved, completes, population, target_margin, reserve, *,
                      expected_rate: float, prior_weight: float = 10.0, confidence: float = 0.95
                      ) -> FieldProjection:
    r"""Project completes and margins at close, and the reserve release that reaches the target.

    Parameters
    ----------
    released, resolved, completes : array_like of int
        Per tier: cases released so far, those with a final code, and the complete ones
        (``completes <= resolved <= released``).
    population : array_like of int
        Frame size ``N_h`` of each tier.
    target_margin : array_like of float
        Target margin of error (proportion, p = 0.5) per tier, in [0, 0.5]; 0 asks for a census.
    reserve : array_like of int
        Reserve cases left per tier: the release never exceeds it.
    expected_rate : float
        The plan's expected response rate, in (0, 1]: the prior for tiers with few resolved cases.
    prior_weight : float
        Weight ``w`` of the prior, in cases: the rate is
        ``r_h = (completes_h + w * expected_rate) / (resolved_h + w)``; 0 uses the observed
        rate alone (and the prior only while nothing is resolved).
    confidence : float
        Confidence level of the margins.

    Returns
    -------
    FieldProjection

    Notes
    -----
    With ``m_h`` the fewest completes meeting the target (the inverse of the margin with the
    finite population correction) and ``c_h = completes_h + r_h (released_h - resolved_h)``,
    the release is ``k_h = max(0, ceil((m_h - c_h) / r_h))``, capped by the reserve.

    Examples
    --------
    N = 1000 and a target of ±10 points need m = 88 completes (margin 0.0998; 87 give 0.1004).
    With 100 released, 60 resolved and 30 complete, the rate is 0.5 and 30 + 0.5 x 40 = 50
    completes are projected: 38 short, so 76 cases are released (all 50 if the reserve holds 50).

    >>> p = project_fieldwork([100], [60], [30], [1000], [0.10], [500], expected_rate=0.5,
    ...                       prior_weight=0)
    >>> int(p.target_completes[0]), float(p.projected_completes[0]), int(p.release[0])
    (88, 50.0, 76)
    """
    released = _counts(released, "released", None)
    size = released.shape[0]
    resolved = _counts(resolved, "resolved", size)
    completes = _counts(completes, "completes", size)
    population = _counts(population, "population", size)
    reserve = _counts(reserve, "reserve", size)
    target = np.asarray(target_margin, dtype=float)
    if target.shape != (size,) or np.isnan(target).any() or (target < 0).any() or (target > 0.5).any():
        raise ValueError(f"target_margin must hold one number in [0, 0.5] per tier but got {target_margin!r}")
    if (resolved > released).any() or (completes > resolved).any():
        raise ValueError("completes <= resolved <= released must hold in every tier but got "
                         f"released={released.tolist()}, resolved={resolved.tolist()}, completes={completes.tolist()}")
    prior = check_open_unit(expected_rate, "expected_rate") if expected_rate != 1 else 1.0
    if not math.isfinite(prior_weight) or prior_weight < 0:
        raise ValueError(f"prior_weight must be a number >= 0 but got {prior_weight!r}")

    weight = np.where(resolved + prior_weight > 0, prior_weight, 1.0)
    rate = (completes + weight * prior) / (resolved + weight)
    projected = completes + rate * (released - resolved)
    margin = np.array([_margin(c, n, confidence) for c, n in zip(projected, population, strict=True)])
    needed = np.array([n if t == 0 else (required_sample_size(int(n), float(t), confidence) if n else 0)
                       for t, n in zip(target, population, strict=True)], dtype=np.int64)
    needed = np.minimum(needed, population)
    short = needed - projected
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.where(short <= 1e-9, 0.0, np.ceil(short / rate - 1e-9))
    k = np.where((short > 1e-9) & (rate <= 0), -1, k).astype(np.int64)
    release = np.where(k < 0, 0, np.minimum(k, reserve))
    after = projected + rate * release
    return FieldProjection(rate, projected, margin, needed, k, release, after, after >= needed - 1e-9)


def _margin(completes: float, population: int, confidence: float) -> float:
    n = math.floor(completes + 1e-9)
    if population and n >= population:
        return 0.0
    if n < 1:
        return math.inf
    return margin_of_error(n, int(population), confidence)
