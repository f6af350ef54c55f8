"""Bootstrap intervals of key-driver importance, respondents resampled within tiers."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ._common import DegenerateDataWarning, check_level
from ._drivers import drivers
from ._linearise import label_codes

__all__ = ["DriverIntervals", "driver_intervals"]

MIN_REPLICATES = 200


@dataclass(frozen=True, eq=False)
class DriverIntervals:
    """Percentile bootstrap intervals of each item's share of R^2 (aligned on ``names``).

    Attributes
    ----------
    names : tuple of str
    share : ndarray
        The full-sample share (``drivers(...).share``).
    low, high : ndarray
        Percentile interval of the share at ``level``.
    replicates : ndarray (B, k)
        The share in every bootstrap replicate (nan where a replicate had no variance).
    level : float
    seed : int
    missing : str
    """

    names: tuple
    share: np.ndarray
    low: np.ndarray
    high: np.ndarray
    replicates: np.ndarray
    level: float
    seed: int
    missing: str


def _resample(codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Row indices drawn with replacement inside each stratum, as many as the stratum holds."""
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    size = counts[codes[order]]
    start = starts[codes[order]]
    return order[start + (rng.random(codes.size) * size).astype(np.intp)]


def driver_intervals(items, overall, weights, strata, *, names=None, replicates=MIN_REPLICATES, seed=0,
                     level=0.95, missing="pairwise") -> DriverIntervals:
    r"""Bootstrap percentile intervals of the Shapley importance shares of :func:`analysis.drivers`.

    Each replicate draws, inside every stratum (tier) h, :math:`r_h` respondents with
    replacement out of its :math:`r_h` (the stratified bootstrap of Rao & Wu 1988, *JASA* 83,
    231-241, without their rescaling, which matters little for tiers of dozens or more),
    keeps their weights, and recomputes the shares.  The interval is the
    :math:`(1\pm\text{level})/2` percentiles of the replicates (Efron & Tibshirani 1993,
    *An Introduction to the Bootstrap*, ch. 13).  The same ``seed`` gives the same
    intervals.

    Parameters
    ----------
    items, overall, weights, names, missing
        As :func:`analysis.drivers`.
    strata : array_like (n,)
        Tier of every respondent.
    replicates : int
        At least 200.
    seed : int
        Seed of ``numpy.random.default_rng``.

    Examples
    --------
    >>> import numpy as np, analysis
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(300, 2))
    >>> y = 2 * x[:, 0] + x[:, 1] + rng.normal(size=300)
    >>> ci = analysis.driver_intervals(x, y, np.ones(300), np.zeros(300, int), seed=1)
    >>> bool(ci.low[0] < ci.share[0] < ci.high[0]), ci.replicates.shape
    (True, (200, 2))
    """
    level = check_level(level)
    if int(replicates) < MIN_REPLICATES:
        raise ValueError(f"replicates must be at least {MIN_REPLICATES}, but got {replicates!r}")
    x = np.asarray(items, dtype=float)
    y = np.asarray(overall, dtype=float)
    w = np.asarray(weights, dtype=float)
    _, codes, missing_stratum = label_codes("strata", strata, x.shape[0] if x.ndim == 2 else None)
    if missing_stratum.any():
        raise ValueError(f"strata has {int(missing_stratum.sum())} missing labels")
    full = drivers(x, y, w, names=names, missing=missing)
    rng = np.random.default_rng(seed)
    reps = np.full((int(replicates), full.share.size), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        with np.errstate(all="ignore"):
            for b in range(int(replicates)):
                idx = _resample(codes, rng)
                reps[b] = drivers(x[idx], y[idx], w[idx], names=full.names, missing=missing).share
    alpha = 1.0 - level
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        low = np.nanquantile(reps, alpha / 2, axis=0)
        high = np.nanquantile(reps, 1 - alpha / 2, axis=0)
    for arr in (low, high, reps):
        arr.flags.writeable = False
    return DriverIntervals(full.names, full.share, low, high, reps, level, int(seed), missing)
