"""Allocation of a stratified sample's total to the strata (tiers).

Cochran (1977), *Sampling Techniques*, 3rd ed., section 5.5 (optimum and
Neyman allocation) and 5.8 (allocation requiring more than 100 per cent
sampling); Lohr (2022), *Sampling: Design and Analysis*, 3rd ed., section 3.4.
"""

from __future__ import annotations

import numpy as np

from ._validate import check_choice, check_int, check_mapping, check_positive, per_stratum

__all__ = ["allocate", "allocation_shares"]

METHODS = ("proportional", "equal", "neyman", "optimal")


def _weights(keys, sizes, method, sd, cost) -> np.ndarray:
    """Unnormalised allocation weights ``w_h`` of the method."""
    if method == "proportional":
        return sizes.astype(float)
    if method == "equal":
        return np.ones(len(keys))
    if sd is None:
        raise ValueError(f"method={method!r} needs sd, a standard deviation per stratum")
    s = per_stratum(sd, "sd", keys, lambda v, n: check_positive(v, n, allow_zero=True))
    w = sizes * np.array([s[k] for k in keys])
    if method == "neyman":
        return w
    if cost is None:
        raise ValueError("method='optimal' needs cost, a cost per interview in each stratum")
    c = per_stratum(cost, "cost", keys, check_positive)
    return w / np.sqrt([c[k] for k in keys])


def _water_fill(w, lo, hi, budget) -> np.ndarray:
    """``x_h = clip(lam * w_h, lo_h, hi_h)`` with ``sum(x) = budget`` (exact).

    The sum is piecewise linear and increasing in ``lam``, with breakpoints at
    ``lo_h / w_h`` and ``hi_h / w_h``; the segment holding ``budget`` is found
    and solved linearly, which redistributes every capped stratum's excess in
    one step.  If the positive-weight strata are all full, the remainder is
    spread over the remaining room in proportion to it (e.g. Neyman with sd 0).
    """
    x = lo.astype(float)
    extra = budget - x.sum()
    if extra <= 0:
        return x
    if w.max() > 0:  # scale-free; weights below 1e-12 of the largest count as 0
        w = w / w.max()
        w = np.where(w < 1e-12, 0.0, w)
    act = (w > 0) & (hi > lo)
    if act.any():
        wp, lp, hp = w[act], lo[act], hi[act]
        room = (hp - lp).sum()
        if extra < room:
            bps = np.unique(np.concatenate([[0.0], lp / wp, hp / wp]))
            g = np.clip(np.outer(bps, wp), lp, hp).sum(axis=1) - lp.sum()
            k = int(np.searchsorted(g, extra, side="right")) - 1
            lam = bps[k] + (extra - g[k]) * (bps[k + 1] - bps[k]) / (g[k + 1] - g[k])
            x[act] = np.clip(lam * wp, lp, hp)
            return x
        x[act] = hp
        extra -= room
    room = hi - x
    if extra > 0 and room.sum() > 0:
        x = x + room * (extra / room.sum())
    return np.minimum(x, hi)


def _largest_remainder(x, budget, lo, hi) -> np.ndarray:
    """Integers within ``[lo, hi]`` summing to ``budget``, nearest to ``x``.

    Hamilton's method: floors, then one more unit to the largest fractional
    parts; ties go to the stratum listed first.
    """
    snapped = np.round(x)
    x = np.where(np.abs(x - snapped) < 1e-9, snapped, x)
    base = np.clip(np.floor(x), lo, hi).astype(np.int64)
    frac = x - base
    short = int(budget - base.sum())
    if short > 0:
        order = np.argsort(-frac, kind="stable")
        order = order[base[order] < hi[order]][:short]
        base[order] += 1
    elif short < 0:
        order = np.argsort(frac, kind="stable")
        order = order[base[order] > lo[order]][:-short]
        base[order] -= 1
    return base


def _plan(population_sizes, total, method, sd, cost, minimum, take_all):
    """Validate and return ``(keys, x, lo, hi, budget)`` for the allocation."""
    pops = check_mapping(population_sizes, "population_sizes")
    keys = list(pops)
    sizes = np.array([check_int(pops[k], f"population_sizes[{k!r}]") for k in keys], dtype=np.int64)
    total = check_int(total, "total")
    check_choice(method, "method", METHODS)
    w = _weights(keys, sizes, method, sd, cost)
    mins = per_stratum(minimum, "minimum", keys, check_int)
    if isinstance(take_all, str | bytes) or not hasattr(take_all, "__iter__"):
        raise TypeError(f"take_all must be a collection of strata but got {take_all!r}")
    take_all = list(take_all)
    for k in take_all:
        if k not in pops:
            raise ValueError(f"take_all names unknown stratum {k!r}")
    whole = np.array([k in take_all for k in keys])
    hi = sizes.astype(float)
    lo = np.where(whole, hi, np.minimum([mins[k] for k in keys], sizes).astype(float))
    budget = min(total, int(sizes.sum()))
    if lo.sum() > budget:
        raise ValueError(
            f"total={total} is less than the {int(lo.sum())} units that take_all "
            f"and minimum require"
        )
    x = _water_fill(np.where(whole, 0.0, w), lo, hi, budget)
    return keys, x, lo, hi, budget


def allocation_shares(
    population_sizes,
    total,
    method="proportional",
    *,
    sd=None,
    cost=None,
    minimum=0,
    take_all=(),
) -> dict:
    """Unrounded allocation targets, after caps, minimums and take-all strata.

    Same arguments as :func:`allocate`; returns ``{stratum: float}`` summing to
    ``min(total, sum(population_sizes.values()))``.

    Examples
    --------
    >>> allocation_shares({"gold": 600, "standard": 1800}, 100)
    {'gold': 25.0, 'standard': 75.0}
    """
    keys, x, _, _, _ = _plan(population_sizes, total, method, sd, cost, minimum, take_all)
    return {k: float(v) for k, v in zip(keys, x, strict=True)}


def allocate(
    population_sizes,
    total,
    method="proportional",
    *,
    sd=None,
    cost=None,
    minimum=0,
    take_all=(),
) -> dict:
    r"""Split a sample of ``total`` clients between strata.

    Parameters
    ----------
    population_sizes : mapping
        Stratum -> frame size ``N_h`` (int >= 0).  The result keeps its keys.
    total : int
        Sample size ``n``; a larger total than the frame gives a census.
    method : {"proportional", "equal", "neyman", "optimal"}
        ``n_h`` proportional to ``N_h``, to 1, to ``N_h S_h`` (Neyman), or to
        ``N_h S_h / sqrt(c_h)`` (cost-optimal).
    sd : float or mapping, optional
        Stratum standard deviations ``S_h`` (>= 0); needed by "neyman" and "optimal".
    cost : float or mapping, optional
        Cost per interview ``c_h`` (> 0); needed by "optimal".
    minimum : int or mapping
        Smallest sample per stratum, honoured as ``min(minimum, N_h)``.
    take_all : collection
        Strata taken whole (``n_h = N_h``), counted within ``total``.

    Returns
    -------
    dict
        Stratum -> ``n_h`` (int), with ``0 <= n_h <= N_h`` and
        ``sum(n_h) = min(total, sum(N_h))``.

    Notes
    -----
    The targets are ``n_h = lam * w_h`` clipped to ``[min(minimum, N_h), N_h]``
    with ``lam`` chosen so that they sum to the total: a stratum whose target
    exceeds ``N_h`` is taken whole and its excess goes to the others in the
    method's proportions, repeatedly (Cochran 1977, 5.8), solved exactly by
    :func:`allocation_shares`.  The targets are rounded by largest remainders.

    Examples
    --------
    Neyman allocation: the stratum with twice the spread gets twice the sample.

    >>> allocate({"a": 1000, "b": 1000}, 300, "neyman", sd={"a": 1.0, "b": 2.0})
    {'a': 100, 'b': 200}
    >>> allocate({"private": 40, "gold": 2000}, 400, take_all=["private"])
    {'private': 40, 'gold': 360}
    """
    keys, x, lo, hi, budget = _plan(population_sizes, total, method, sd, cost, minimum, take_all)
    n = _largest_remainder(x, budget, lo, hi)
    return {k: int(v) for k, v in zip(keys, n, strict=True)}
