"""Bincount engine of the linearisation (Taylor) variance for stratified SRSWOR.

Every estimator of :mod:`analysis` reduces to per-domain weighted sums of a
score over (stratum, domain) cells.  Rows are coded once: ``codes`` gives the
stratum (0..H-1), ``dcodes`` the domain (0..D-1, with ``D`` for rows outside
every domain or with a missing value), ``pair = codes * (D + 1) + dcodes``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

__all__ = ["label_codes", "Partition", "make_partition", "linearised"]


def label_codes(name: str, labels: object, n: int | None = None):
    """Return ``(uniques, inverse, missing)`` of a 1-D label array.

    Small non-negative integer labels take an O(n) lookup-table path; other
    labels use :func:`numpy.unique`.  ``missing`` flags NaN or None labels
    (their ``inverse`` is 0 and must be ignored by the caller).
    """
    arr = np.asarray(labels)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, but got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} must have one label per respondent ({n}), but got {arr.shape[0]}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} must not be empty")
    if arr.dtype.kind in "iu":
        lo, hi = int(arr.min()), int(arr.max())
        if lo >= 0 and hi <= 4 * arr.shape[0] + 1024:
            present = np.flatnonzero(np.bincount(arr, minlength=hi + 1))
            lut = np.zeros(hi + 1, dtype=np.intp)
            lut[present] = np.arange(present.size)
            return present.astype(arr.dtype), lut[arr], np.zeros(arr.shape[0], dtype=bool)
    if arr.dtype.kind == "f":
        missing = np.isnan(arr)
    elif arr.dtype.kind == "O":
        missing = np.equal(arr, None) | (arr != arr)
        return _object_codes(name, arr, missing)
    else:
        missing = np.zeros(arr.shape[0], dtype=bool)
    try:
        if missing.any():
            uniques, inv = np.unique(arr[~missing], return_inverse=True)
            inverse = np.zeros(arr.shape[0], dtype=np.intp)
            inverse[~missing] = inv
        else:
            uniques, inverse = np.unique(arr, return_inverse=True)
    except TypeError:
        raise TypeError(
            f"{name} labels must be mutually comparable (all numbers or all strings)"
        ) from None
    return uniques, inverse.reshape(-1), missing


def _object_codes(name: str, arr: np.ndarray, missing: np.ndarray):
    """``label_codes`` of an object array (a few distinct labels, usually strings) by a dict of its sorted
    distinct values: what :func:`numpy.unique` gives, without sorting every row by Python comparisons."""
    values = arr.tolist()
    distinct = {v for v, m in zip(values, missing.tolist(), strict=True) if not m}
    try:
        ordered = sorted(distinct)
    except TypeError:
        raise TypeError(f"{name} labels must be mutually comparable (all numbers or all strings)") from None
    uniques = np.empty(len(ordered), dtype=object)
    for k, v in enumerate(ordered):
        uniques[k] = v
    index = {v: k for k, v in enumerate(ordered)}
    inverse = np.fromiter(map(index.get, values, itertools.repeat(0, len(values))), dtype=np.intp, count=len(values))
    return uniques, inverse, missing


@dataclass(frozen=True)
class Partition:
    """Rows split into D domains (code D = outside), crossed with the strata."""

    dcodes: np.ndarray
    D: int
    pair: np.ndarray
    n_hd: np.ndarray  # (H, D + 1) respondent counts
    w_d: np.ndarray  # (D + 1,) weight sums
    inv_n_hd: np.ndarray  # flat (H * (D + 1),) 1 / n_hd, 0 where empty
    adjust: np.ndarray  # flat 1 / n_hd - 1 / n_h, 0 where empty

    @property
    def n_d(self) -> np.ndarray:
        return self.n_hd[:, : self.D].sum(axis=0).astype(np.int64)


def make_partition(
    codes: np.ndarray, n_h: np.ndarray, w: np.ndarray, dcodes: np.ndarray, D: int
) -> Partition:
    """Count respondents per (stratum, domain) cell and domain weight sums."""
    H = n_h.shape[0]
    pair = codes * (D + 1) + dcodes
    n_hd = np.bincount(pair, minlength=H * (D + 1)).astype(float)
    w_d = np.bincount(dcodes, w, minlength=D + 1)
    with np.errstate(divide="ignore"):
        inv = np.where(n_hd > 0, 1.0 / np.maximum(n_hd, 1.0), 0.0)
    adjust = np.where(n_hd > 0, inv - np.repeat(1.0 / n_h, D + 1), 0.0)
    return Partition(dcodes, D, pair, n_hd.reshape(H, D + 1), w_d, inv, adjust)


def _between_strata(
    part: Partition, c_h: np.ndarray, score: np.ndarray, lonely: np.ndarray | None = None
) -> np.ndarray:
    """``sum_h c_h * sum_{i in h} (z_hi - zbar_h)^2`` per domain, with ``z = score * 1_d``.

    Two-pass and cancellation-free: inside each (h, d) cell the score is
    centred on its cell mean ``m``; the zeros of the other rows of stratum h
    add ``S^2 (1/n_hd - 1/n_h)`` with ``S`` the cell sum.  ``lonely`` (per
    stratum, 0 except single-respondent strata) adds
    ``lonely_h * (z_h1 - sum(z) / n)^2``: the lonely unit centred at the grand mean.
    """
    size = part.n_hd.size
    cell_sum = np.bincount(part.pair, score, minlength=size)
    dev = score - (cell_sum * part.inv_n_hd)[part.pair]
    within = np.bincount(part.pair, dev * dev, minlength=size)
    ss = (within + cell_sum * cell_sum * part.adjust).reshape(part.n_hd.shape)[:, : part.D]
    contrib = np.where(part.n_hd[:, : part.D] > 0, c_h[:, None] * ss, 0.0)
    if lonely is not None and lonely.any():
        center = np.bincount(part.dcodes, score, minlength=part.D + 1)[: part.D] / score.shape[0]
        own = cell_sum.reshape(part.n_hd.shape)[:, : part.D]  # 0 where the unit is outside d
        contrib = contrib + lonely[:, None] * (own - center) ** 2
    return contrib.sum(axis=0)


def linearised(
    part: Partition,
    c_h: np.ndarray,
    w: np.ndarray,
    y: np.ndarray,
    *,
    total: bool,
    n: int,
    lonely: np.ndarray | None = None,
):
    """Per-domain estimate, variance and design effect.

    ``c_h = (1 - r_h/N_h) r_h / (r_h - 1)``.  Rows with ``dcodes == D`` must
    have a finite ``y`` (any value; they are ignored).  ``lonely``: see
    :func:`_between_strata`.

    Returns ``(estimate, variance, deff)``, arrays of length D.
    """
    D = part.D
    w_d = part.w_d
    whole = D == 1 and w_d[1] == 0  # every row in the one domain: no gathers needed
    if whole:
        t_d = np.array([(w * y).sum(), 0.0])
    else:
        t_d = np.bincount(part.dcodes, w * y, minlength=D + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ybar = np.where(w_d > 0, t_d / np.where(w_d > 0, w_d, 1.0), 0.0)
        ybar[D] = 0.0
        centred = y - (ybar[0] if whole else ybar[part.dcodes])
        u = w * centred
        if whole:
            ss_w = np.array([(u * centred).sum()])
        else:
            ss_w = np.bincount(part.dcodes, u * centred, minlength=D + 1)[:D]
        n_d = part.n_d.astype(float)
        w_in, t_in, ybar_in = w_d[:D], t_d[:D], ybar[:D]
        if total:
            var = _between_strata(part, c_h, w * y, lonely)
            # SRS comparison: y * 1_d over all n respondents (as R ``survey`` does).
            w_all = w.sum()
            m = t_in / w_all
            ss_all = ss_w + w_in * (ybar_in - m) ** 2 + (w_all - w_in) * m * m
            s2 = ss_all / w_all * n / (n - 1.0)
            vsrs = w_all**2 * (1.0 - n / w_all) * s2 / n
            est = t_in
        else:
            var = _between_strata(part, c_h, u, lonely) / w_in**2
            s2 = ss_w / w_in * n_d / (n_d - 1.0)
            vsrs = (1.0 - n_d / w_in) * s2 / n_d
            est = np.where(w_in > 0, ybar_in, np.nan)
        deff = var / vsrs
    return est, var, deff
