"""Nonresponse calibration: raking weights to known margins, and the variance that follows it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ._common import as_float_vector
from ._linearise import label_codes

__all__ = ["Raking", "rake"]


@dataclass(frozen=True, eq=False)
class Raking:
    """Raked weights and the calibration variables behind them.

    Attributes
    ----------
    weights : ndarray (n,)
        Calibrated weights; their sums over every margin's categories equal the targets.
    matrix : ndarray (n, p)
        One indicator column per category of every margin (the calibration variables);
        pass it to ``StratifiedDesign(..., calibration=matrix)`` so the variance uses the
        raking residuals.
    iterations : int
        Passes over the margins.
    max_error : float
        Largest absolute difference between a margin's weighted count and its target,
        relative to the target.
    """

    weights: np.ndarray
    matrix: np.ndarray
    iterations: int
    max_error: float


def rake(weights, margins: Sequence[tuple[object, Mapping]], *, tol=1e-12, max_iter=1000) -> Raking:
    r"""Rake ``weights`` so that their sums over each margin's categories hit the targets.

    Iterative proportional fitting (Deming & Stephan 1940, *Ann. Math. Stat.* 11, 427-444):
    margin by margin, every weight of category c is multiplied by
    :math:`T_c / \sum_{i \in c} w_i`, until each margin is within ``tol`` (relative) of its
    targets.  The result is the raking-ratio member of the calibration estimators of
    Deville & Sarndal (1992, *JASA* 87, 376-382); its variance is linearised with the
    residuals of the weighted regression of the score on the margin indicators (Deville,
    Sarndal & Sautory 1993, *JASA* 88, 1013-1020), which
    ``StratifiedDesign(..., calibration=raking.matrix)`` applies.

    Parameters
    ----------
    weights : array_like (n,)
        Starting (design) weights, positive.
    margins : sequence of (labels, targets)
        ``labels`` gives every respondent's category of the margin (e.g. "gold|SH01"),
        ``targets`` maps every category to its population count.  Every margin must add
        up to the same total, and every category with a positive target needs a respondent.
    tol, max_iter
        Convergence: the largest relative margin error, and the passes allowed.

    Examples
    --------
    >>> import analysis
    >>> r = analysis.rake([1, 1, 1, 1], [(["a", "a", "b", "b"], {"a": 30, "b": 10}),
    ...                                  (["x", "y", "x", "y"], {"x": 20, "y": 20})])
    >>> r.weights.round(3).tolist()
    [15.0, 15.0, 5.0, 5.0]
    """
    w = as_float_vector("weights", weights).copy()
    if np.isnan(w).any() or (w <= 0).any():
        raise ValueError("weights must be positive numbers, but got a zero, negative or missing weight")
    n = w.size
    if not margins:
        raise ValueError("margins must hold at least one (labels, targets) pair")
    coded, columns, total = [], [], None
    for k, (labels, targets) in enumerate(margins):
        if not isinstance(targets, Mapping):
            raise TypeError(f"margins[{k}] targets must be a mapping category -> count, but got {type(targets).__name__}")
        uniques, codes, missing = label_codes(f"margins[{k}] labels", labels, n)
        if missing.any():
            raise ValueError(f"margins[{k}] labels has {int(missing.sum())} missing categories")
        known = uniques.tolist()
        absent = [c for c in known if c not in targets]
        if absent:
            raise ValueError(f"margins[{k}] targets has no count for categories {absent[:5]}")
        empty = [c for c, t in targets.items() if t > 0 and c not in known]
        if empty:
            raise ValueError(f"margins[{k}] categories {empty[:5]} have a target but no respondent; merge them")
        t = np.array([float(targets[c]) for c in known])
        if (t <= 0).any():
            raise ValueError(f"margins[{k}] targets must be positive for categories with respondents")
        sum_t = float(sum(float(v) for v in targets.values()))
        if total is None:
            total = sum_t
        elif abs(sum_t - total) > 1e-9 * total:
            raise ValueError(f"margins[{k}] adds up to {sum_t:g}, but margins[0] to {total:g}; margins must agree")
        coded.append((codes, t))
        block = np.zeros((n, uniques.size))
        block[np.arange(n), codes] = 1.0
        columns.append(block)
    err = np.inf
    it = 0
    while it < max_iter:
        it += 1
        for codes, t in coded:
            sums = np.bincount(codes, w, minlength=t.size)
            w *= (t / sums)[codes]
        err = max(float(np.abs(np.bincount(c, w, minlength=t.size) / t - 1.0).max()) for c, t in coded)
        if err <= tol:
            break
    w.flags.writeable = False
    return Raking(w, np.hstack(columns), it, err)


def residualise(scores: np.ndarray, w: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Residuals ``u - x B`` of the ``w``-weighted regression of each column of ``scores`` on ``x``."""
    xw = x * w[:, None]
    beta = np.linalg.lstsq(xw.T @ x, xw.T @ scores, rcond=None)[0]
    return scores - x @ beta


def calibrated_variance(codes, c_h, w, dcodes, D, y, x, *, total: bool) -> np.ndarray:
    r"""Linearised variance of domain means (or totals) under calibrated weights.

    The score of domain d is :math:`u_i = 1_d(i)(y_i - \bar y_d)` (a mean) or
    :math:`1_d(i) y_i` (a total), replaced by its residual :math:`e_i` on the calibration
    variables; then :math:`\hat V = \sum_h c_h \sum_{i\in h}(z_i - \bar z_h)^2` with
    :math:`z_i = w_i e_i / \sum_d w` (or :math:`w_i e_i` for a total).
    """
    inside = dcodes[:, None] == np.arange(D)[None, :]
    y0 = np.where(inside, y[:, None], 0.0)
    w_d = (w[:, None] * inside).sum(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ybar = (w[:, None] * y0).sum(0) / w_d
        u = y0 if total else np.where(inside, y[:, None] - ybar[None, :], 0.0)
        z = w[:, None] * residualise(u, w, x) / (1.0 if total else w_d[None, :])
    H = c_h.size
    n_h = np.bincount(codes, minlength=H).astype(float)
    mean_h = np.vstack([np.bincount(codes, z[:, d], minlength=H) for d in range(D)]).T / np.maximum(n_h, 1)[:, None]
    dev = z - mean_h[codes]
    ss = np.vstack([np.bincount(codes, dev[:, d] ** 2, minlength=H) for d in range(D)]).T
    return (np.where(n_h[:, None] > 0, c_h[:, None] * ss, 0.0)).sum(0)
