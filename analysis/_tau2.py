"""Between-group variance of a random-effects model from group estimates and their variances."""

from __future__ import annotations

import numpy as np

from ._common import as_float_vector, check_choice

__all__ = ["between_variance"]


def _q(tau2, y, v):
    u = 1.0 / (v + tau2)
    mu = (u * y).sum() / u.sum()
    return (u * (y - mu) ** 2).sum()


def between_variance(estimates, variances, *, method="pm", tol=1e-10, max_iter=500) -> float:
    r"""Between-group variance :math:`\tau^2` of :math:`\hat y_g = \theta_g + e_g`, :math:`e_g \sim (0, v_g)`.

    ``method="pm"`` (Paule & Mandel 1982, *J. Res. NBS* 87, 377-385): the root in
    :math:`\tau^2 \ge 0` of the generalised Q statistic
    :math:`\sum_g (\hat y_g - \hat\mu)^2 / (v_g + \tau^2) = G - 1`, 0 when Q(0) < G - 1.
    ``"reml"``: the fixed point of Viechtbauer (2005, *J. Educ. Behav. Stat.* 30, 261-293, eq. 12),
    :math:`\tau^2 = \sum u^2 ((\hat y - \hat\mu)^2 - v) / \sum u^2 + 1/\sum u`, truncated at 0.
    ``"dl"``: DerSimonian & Laird (1986) moments, truncated at 0.  The caller applies any floor.

    Examples
    --------
    >>> import analysis
    >>> round(analysis.between_variance([3.8, 4.1, 4.4, 4.0], [0.01, 0.02, 0.01, 0.04]), 4)
    0.0518
    """
    from scipy import optimize  # on first use (package docstring)
    check_choice("method", method, ("pm", "reml", "dl"))
    y = as_float_vector("estimates", estimates)
    v = as_float_vector("variances", variances, y.size)
    if y.size < 2:
        raise ValueError(f"estimates must hold at least two groups, but got {y.size}")
    if np.isnan(y).any() or np.isnan(v).any() or (v <= 0).any():
        raise ValueError("variances must be positive and estimates finite")
    k = y.size
    if method == "dl":
        u = 1.0 / v
        return max(0.0, (_q(0.0, y, v) - (k - 1)) / (u.sum() - (u * u).sum() / u.sum()))
    if method == "pm":
        if _q(0.0, y, v) <= k - 1:
            return 0.0
        hi = max(np.var(y, ddof=1), 1e-12)
        while _q(hi, y, v) > k - 1:
            hi *= 2.0
        return float(optimize.brentq(lambda t: _q(t, y, v) - (k - 1), 0.0, hi, xtol=tol))
    tau2 = max(0.0, float(np.var(y, ddof=1) - v.mean()))
    for _ in range(max_iter):
        u = 1.0 / (v + tau2)
        mu = (u * y).sum() / u.sum()
        new = max(0.0, float((u * u * ((y - mu) ** 2 - v)).sum() / (u * u).sum() + 1.0 / u.sum()))
        if abs(new - tau2) <= tol * max(1.0, tau2):
            return new
        tau2 = new
    return tau2
