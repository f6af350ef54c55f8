"""Smallest stratified sample whose every stratum meets a margin of error.

Lohr (2022), *Sampling: Design and Analysis*, 3rd ed., section 3.4.3
(allocation for specified precision within strata); Cochran (1977),
*Sampling Techniques*, 3rd ed., section 5.9.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ._allocation import _plan, allocate
from ._size import critical_value
from ._validate import check_choice, check_open_unit, check_positive, per_stratum

__all__ = ["MarginAllocation", "total_for_margin"]


@dataclass(frozen=True)
class MarginAllocation:
    """Result of :func:`total_for_margin`.

    Attributes
    ----------
    total : int
        Smallest total sample meeting the target in every stratum.
    sizes : dict
        Stratum -> ``n_h``, the allocation of ``total`` (as :func:`allocate`).
    margins : dict
        Stratum -> margin of error achieved with ``n_h`` (0 for a census).
    target : float
        The requested margin.
    """

    total: int
    sizes: dict
    margins: dict
    target: float

    @property
    def worst_margin(self) -> float:
        """The largest stratum margin, ``<= target``."""
        return max(self.margins.values())


def _census(population_sizes) -> int:
    try:
        return int(sum(population_sizes.values()))
    except (AttributeError, TypeError):
        return 0  # _plan() then reports the bad argument


def _margins(sizes, pops, variances, z) -> dict:
    """Stratum margins ``z sqrt(v_h / n_h (N_h - n_h) / (N_h - 1))``."""
    out = {}
    for k, n in sizes.items():
        big_n = pops[k]
        if n >= big_n:
            out[k] = 0.0
        elif n == 0:
            out[k] = math.inf
        else:
            out[k] = z * math.sqrt(variances[k] / n * (big_n - n) / (big_n - 1))
    return out


def total_for_margin(
    population_sizes,
    margin,
    method="proportional",
    *,
    confidence=0.95,
    proportion=0.5,
    sd=None,
    cost=None,
    minimum=0,
    take_all=(),
    z=None,
    measure="auto",
) -> MarginAllocation:
    r"""Smallest total whose allocation gives every stratum margin <= ``margin``.

    Parameters
    ----------
    population_sizes, method, cost, minimum, take_all
        As in :func:`allocate`.
    margin : float
        Target margin of error in each stratum: a proportion in (0, 1), or,
        for a mean, a positive number in the item's units.
    confidence, z
        Confidence level, or a critical value overriding it.
    proportion : float or mapping
        Expected proportion per stratum (for ``measure="proportion"``).
    sd : float or mapping, optional
        Stratum standard deviations: they drive "neyman" and "optimal"
        allocation and, for ``measure="mean"``, the margins.
    measure : {"auto", "proportion", "mean"}
        What the margin is for.  ``"auto"``: a mean when ``sd`` is given, else
        a proportion.  ``"proportion"`` with ``sd`` allocates by the standard
        deviations of one item (say the 5-point score) while requiring the
        margin for a proportion (say top-two-box).

    Returns
    -------
    MarginAllocation

    Notes
    -----
    The stratum margin is :func:`margin_of_error`'s
    ``z sqrt(v_h / n_h * (N_h - n_h) / (N_h - 1))`` with ``n_h <= N_h`` from
    :func:`allocate`.  The total is found by bisection on
    ``[sum of forced units, sum(N_h)]`` (a census always qualifies).  Because
    largest-remainder rounding may, rarely, move a unit between strata as the
    total grows, the result is the smallest total ``T`` found with ``T``
    feasible and ``T - 1`` not.

    Examples
    --------
    >>> res = total_for_margin({"platinum": 300, "gold": 3_000}, 0.10, "equal")
    >>> res.total, res.sizes
    (188, {'platinum': 94, 'gold': 94})
    >>> res = total_for_margin({"platinum": 300, "gold": 3_000}, 0.10, "neyman",
    ...                        sd={"platinum": 1.2, "gold": 0.9}, measure="proportion")
    >>> res.total, res.sizes
    (617, {'platinum': 73, 'gold': 544})
    """
    # validate the allocation arguments once, with a census as the total
    keys, _, lo, hi, _ = _plan(
        population_sizes, _census(population_sizes), method, sd, cost, minimum, take_all
    )
    pops = {k: int(v) for k, v in zip(keys, hi, strict=True)}
    forced = int(lo.sum())
    check_choice(measure, "measure", ("auto", "proportion", "mean"))
    if measure == "mean" and sd is None:
        raise ValueError("measure='mean' needs sd, a standard deviation per stratum")
    if measure == "proportion" or (measure == "auto" and sd is None):
        margin = check_open_unit(margin, "margin")
        props = per_stratum(proportion, "proportion", list(pops), check_open_unit)
        variances = {k: p * (1.0 - p) for k, p in props.items()}
    else:
        margin = check_positive(margin, "margin")
        sds = per_stratum(sd, "sd", list(pops), lambda v, n: check_positive(v, n, allow_zero=True))
        variances = {k: s * s for k, s in sds.items()}
    z_val = critical_value(confidence, z=z)
    tol = margin * (1.0 + 1e-12)

    def attempt(total):
        sizes = allocate(pops, total, method, sd=sd, cost=cost, minimum=minimum, take_all=take_all)
        margins = _margins(sizes, pops, variances, z_val)
        return sizes, margins, max(margins.values()) <= tol

    low, high = forced, sum(pops.values())
    found = attempt(low)
    if not found[2]:
        found = attempt(high)
        while high - low > 1:  # invariant: low infeasible, high feasible
            mid = (low + high) // 2
            trial = attempt(mid)
            if trial[2]:
                high, found = mid, trial
            else:
                low = mid
        low = high
    return MarginAllocation(total=low, sizes=found[0], margins=found[1], target=margin)
