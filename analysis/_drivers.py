"""Key-driver analysis: which service items move overall satisfaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations
from math import factorial

import numpy as np

from ._common import as_float_vector, check_choice, warn_degenerate

__all__ = ["DriverAnalysis", "drivers"]

MAX_ITEMS = 15


@dataclass(frozen=True, eq=False)
class DriverAnalysis:
    """Per-item data for an importance-performance grid.

    Attributes
    ----------
    names : tuple of str
    correlation : ndarray
        Weighted Pearson correlation of each item with overall satisfaction.
    importance : ndarray
        Shapley share of R^2 of each item; they add up to ``r2``.
    share : ndarray
        ``importance / r2`` (relative importance, sums to 1).
    mean : ndarray
        Weighted mean of each item (performance).
    n : ndarray
        Respondents behind each item's figures.
    r2 : float
        Weighted R^2 of overall satisfaction on all items.
    missing : str
        ``"listwise"`` or ``"pairwise"``.
    """

    names: tuple
    correlation: np.ndarray
    importance: np.ndarray
    share: np.ndarray
    mean: np.ndarray
    n: np.ndarray
    r2: float
    missing: str


def _correlations(z: np.ndarray, present: np.ndarray, w: np.ndarray):
    """Weighted pairwise-complete correlations, column means, and which columns vary."""
    m = present.astype(float)
    wm = m * w[:, None]
    col_w = wm.sum(0)
    shift = np.where(
        col_w > 0, (np.where(present, z, 0.0) * wm).sum(0) / np.maximum(col_w, 1e-300), 0.0
    )
    z0 = np.where(present, z - shift, 0.0)
    pair_w = wm.T @ m
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_jl = ((z0 * w[:, None]).T @ m) / pair_w
        var_jl = ((z0 * z0 * w[:, None]).T @ m) / pair_w - mean_jl**2
        cov = ((z0 * w[:, None]).T @ z0) / pair_w - mean_jl * mean_jl.T
        # relative SD below 1e-7 of the column's magnitude counts as no variance
        scale = np.abs(np.where(present, z, 0.0)).max(0)
        var_jl = np.where(var_jl > (1e-7 * scale[:, None]) ** 2, var_jl, np.nan)
        corr = cov / np.sqrt(var_jl * var_jl.T)
    varies = np.isfinite(np.diagonal(var_jl))
    np.fill_diagonal(corr, 1.0)
    return corr, shift + np.diagonal(mean_jl), varies


def _nearest_correlation(corr: np.ndarray) -> np.ndarray:
    """A pairwise-complete correlation matrix made positive semi-definite: negative eigenvalues set
    to 0 and the diagonal rescaled to 1 (one step of Higham 2002, *IMA J. Numer. Anal.* 22, 329-343)."""
    vals, vecs = np.linalg.eigh(corr)
    if vals.min() >= 0:
        return corr
    fixed = (vecs * np.maximum(vals, 0.0)) @ vecs.T
    d = np.sqrt(np.maximum(np.diagonal(fixed), 1e-300))
    return fixed / np.outer(d, d)


def _subset_r2(corr: np.ndarray) -> np.ndarray:
    """R^2 of every subset of predictors, indexed by bitmask: ``r' R^{-1} r``."""
    k = corr.shape[0] - 1
    rxx, rxy = corr[:k, :k], corr[:k, k]
    r2 = np.zeros(2**k)
    for size in range(1, k + 1):
        idx = np.array(list(combinations(range(k), size)))
        a = rxx[idx[:, :, None], idx[:, None, :]]
        b = rxy[idx]
        try:  # an LU solve per subset; the pseudo-inverse when a subset matrix is (nearly) singular
            with np.errstate(all="ignore"):
                fit = np.einsum("ms,ms->m", b, np.linalg.solve(a, b[:, :, None])[:, :, 0])
            if not (np.isfinite(fit).all() and (fit > -1e-9).all() and (fit < 1 + 1e-9).all()):
                raise np.linalg.LinAlgError("ill-conditioned")
        except np.linalg.LinAlgError:
            fit = np.einsum("ms,mst,mt->m", b, np.linalg.pinv(a, hermitian=True), b)
        r2[(1 << idx).sum(1)] = fit
    return r2


def _shapley(r2: np.ndarray, k: int) -> np.ndarray:
    """Exact Shapley values of the R^2 game over all 2^k coalitions."""
    masks = np.arange(2**k)
    size = np.array([bin(m).count("1") for m in masks])
    gamma = np.array(
        [factorial(s) * factorial(k - s - 1) / factorial(k) if s < k else 0.0 for s in range(k + 1)]
    )
    phi = np.empty(k)
    for j in range(k):
        without = masks[(masks >> j) & 1 == 0]
        phi[j] = (gamma[size[without]] * (r2[without | (1 << j)] - r2[without])).sum()
    return phi


def drivers(items, overall, weights, *, names=None, missing="listwise") -> DriverAnalysis:
    r"""Importance (Shapley share of R^2) and performance (mean) of each item.

    The importance of item j is its Shapley value in the R^2 of a weighted
    least-squares regression of ``overall`` on the items (Lipovetsky &
    Conklin 2001; Gromping 2007, "Estimators of relative importance"):

    .. math:: \phi_j = \sum_{S \subseteq K \setminus j}
              \frac{|S|!\,(k-|S|-1)!}{k!}\,[R^2(S \cup j) - R^2(S)],

    exact over all :math:`2^k` subsets, each :math:`R^2(S) = r_S' R_{SS}^{-1} r_S`
    from the weighted correlation matrix (one batched solve per subset size).
    The values add up to the full R^2.

    Parameters
    ----------
    items : array_like (n, k) or mapping name -> array
        Item scores, NaN where a client skipped the item; k <= 15.
    overall : array_like (n,)
        Overall satisfaction.
    weights : array_like (n,)
        Survey weights (e.g. ``design.weights``).
    names : sequence of str, optional
        Item names (taken from the mapping keys when ``items`` is a mapping).
    missing : {"listwise", "pairwise"}, keyword-only
        ``"listwise"`` (default) keeps rows with every item and ``overall``
        present, so R^2 is a real regression's.  ``"pairwise"`` computes each
        correlation on the rows where both values exist; more data is used; an
        indefinite matrix is made positive semi-definite (eigenvalues clipped at 0,
        diagonal rescaled; Higham 2002), so every R^2 lies in [0, 1].

    Examples
    --------
    >>> import numpy as np, analysis
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(500, 2))
    >>> y = 2 * x[:, 0] + x[:, 1] + rng.normal(size=500)
    >>> res = analysis.drivers(x, y, np.ones(500), names=["staff", "app"])
    >>> bool(res.importance[0] > res.importance[1])
    True
    """
    check_choice("missing", missing, ("listwise", "pairwise"))
    if isinstance(items, Mapping):
        names = tuple(items) if names is None else names
        items = np.column_stack([as_float_vector(f"items[{k!r}]", v) for k, v in items.items()])
    x = np.asarray(items, dtype=float)
    if x.ndim != 2:
        raise ValueError(
            f"items must be two-dimensional (respondents x items), but got shape {x.shape}"
        )
    n, k = x.shape
    if not 1 <= k <= MAX_ITEMS:
        raise ValueError(
            f"items must have 1 to {MAX_ITEMS} columns for exact Shapley values, but got {k}"
        )
    names = tuple(f"item{j}" for j in range(k)) if names is None else tuple(names)
    if len(names) != k:
        raise ValueError(f"names must have one name per item ({k}), but got {len(names)}")
    y = as_float_vector("overall", overall, n)
    w = as_float_vector("weights", weights, n)
    if np.isnan(w).any() or (w <= 0).any():
        raise ValueError(
            "weights must be positive numbers, but got a zero, negative or missing weight"
        )
    z = np.column_stack([x, y])
    present = ~np.isnan(z)
    if missing == "listwise":
        present &= present.all(axis=1, keepdims=True)
    corr, means, varies = _correlations(z, present, w)
    r_item = corr[:k, k].copy()
    n_item = (present[:, :k] & present[:, [k]]).sum(0)
    bad = np.isnan(corr)
    if not varies[k]:
        warn_degenerate(
            "overall satisfaction has no variance (or no usable rows); importance is nan"
        )
        nan = np.full(k, np.nan)
        return DriverAnalysis(names, r_item, nan, nan, means[:k], n_item, float("nan"), missing)
    if bad.any():
        warn_degenerate(
            f"items {[names[j] for j in np.flatnonzero(bad.any(0)[:k])]} have no variance; they get no importance"
        )
        corr = np.where(bad, 0.0, corr)
    if missing == "pairwise":
        corr = _nearest_correlation(corr)
    r2 = _subset_r2(corr)
    phi = _shapley(r2, k)
    full = float(r2[-1])
    with np.errstate(divide="ignore", invalid="ignore"):
        share = phi / full
    return DriverAnalysis(names, r_item, phi, share, means[:k], n_item, full, missing)
