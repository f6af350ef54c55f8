"""Shared helpers: the warning class, argument checks and intervals."""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["DegenerateDataWarning"]


class DegenerateDataWarning(RuntimeWarning):
    """Input is legal but too thin to estimate something; the result holds ``nan``.

    Raised, for example, for a domain without respondents, a stratum with a
    single respondent (its variance contribution is undefined), or an AAPOR
    rate whose denominator is zero.
    """


def warn_degenerate(message: str, depth: int = 2) -> None:
    """Emit a :class:`DegenerateDataWarning` attributed ``depth`` frames above the caller."""
    warnings.warn(message, DegenerateDataWarning, stacklevel=depth + 1)


def check_choice(name: str, value: object, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices``; otherwise raise ValueError."""
    if not isinstance(value, str) or value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {options}, but got {value!r}")
    return value


def check_level(level: float) -> float:
    """Return a confidence level strictly between 0 and 1."""
    try:
        lev = float(level)
    except (TypeError, ValueError):
        raise TypeError(f"level must be a number, but got {level!r}") from None
    if not 0.0 < lev < 1.0:
        raise ValueError(f"level must be strictly between 0 and 1, but got {level!r}")
    return lev


def as_float_vector(name: str, values: object, n: int | None = None) -> np.ndarray:
    """Convert ``values`` to a 1-D float array (NaN kept), checking its length."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must hold numbers, but got {_describe(values)}") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, but got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} must have one value per respondent ({n}), but got {arr.shape[0]}")
    if not np.isfinite(arr).all() and np.isinf(arr).any():
        raise ValueError(
            f"{name} must be finite, but got {int(np.isinf(arr).sum())} infinite values"
        )
    return arr


def _describe(values: object) -> str:
    text = repr(values)
    return text if len(text) <= 60 else text[:57] + "..."


def t_quantile(level: float, df: np.ndarray | float) -> np.ndarray:
    """Two-sided quantile ``t_{(1+level)/2, df}``; normal where ``df`` is inf, nan where df <= 0."""
    from scipy import stats  # on first use (package docstring)
    df = np.asarray(df, dtype=float)
    q = 0.5 + level / 2.0
    with np.errstate(invalid="ignore"):
        out = np.where(
            np.isinf(df), stats.norm.ppf(q), stats.t.ppf(q, np.where(df > 0, df, np.nan))
        )
    return out


def _beta_bounds(p, v, n, df, level: float):
    """Korn-Graubard (1998) interval of a proportion ``p`` with variance ``v`` (vectorised).

    Clopper-Pearson with the effective sample size ``n_eff = p (1 - p) / v``,
    capped at ``n`` and set to ``n`` where ``p`` is 0 or 1 or ``v`` is 0; then
    ``n* = n_eff (t_{n-1} / t_{df})**2`` with the ratio capped at 1 (for a
    domain ``n`` is its respondents while ``df`` is the design's, so the
    ratio could exceed 1; where ``n < 2`` there is no ``t_{n-1}`` and the
    ratio is 1).  With ``x = n* p``::

        low  = Beta(alpha/2;     x,     n* - x + 1)   (0 where p = 0)
        high = Beta(1 - alpha/2; x + 1, n* - x)       (1 where p = 1)

    as R ``survey::svyciprop(method = "beta")``.
    """
    from scipy import stats  # on first use (package docstring)
    n = np.asarray(n, dtype=float)
    alpha = 1.0 - level
    edge = (p <= 0.0) | (p >= 1.0) | (v == 0.0)
    n_eff = np.where(edge, n, np.minimum(n, p * (1.0 - p) / v))
    t_n = np.where(n >= 2, t_quantile(level, n - 1.0), np.inf)
    ratio = np.minimum(1.0, t_n / t_quantile(level, df))
    n_star = n_eff * ratio**2
    x = n_star * p
    low = np.where(p <= 0.0, 0.0, stats.beta.ppf(alpha / 2, x, n_star - x + 1.0))
    high = np.where(p >= 1.0, 1.0, stats.beta.ppf(1.0 - alpha / 2, x + 1.0, n_star - x))
    bad = np.isnan(n_star) | np.isnan(p)
    low, high = np.where(bad, np.nan, low), np.where(bad, np.nan, high)
    return np.minimum(low, p), np.maximum(high, p)


def interval(kind: str, estimate, se, df, level: float, n=None, method: str | None = None):
    """Confidence interval for one or many estimates (vectorised).

    ``kind == "proportion"``: ``method="logit"`` (the default) gives the logit
    interval ``expit(logit(p) +/- t * se / (p (1 - p)))`` (the log-odds
    interval of R ``survey::svyciprop(method = "logit")``), which stays inside
    [0, 1]; it is undefined where p is 0 or 1, and there it falls
    back to the Korn-Graubard interval of ``method="beta"`` (see
    :func:`_beta_bounds`), which is used everywhere with ``method="beta"``.
    A zero se strictly inside (0, 1) only arises when every unit of the
    domain's strata answered (a census): the estimate is exact and the
    interval is the point.
    ``kind == "nps"``: the symmetric t interval clipped to [-100, 100]; where
    the NPS is -100 or 100 (everyone a promoter, say) that
    interval would be a point, so the rescaled score ``(NPS + 100) / 200``, a
    mean of 0, 1/2 and 1 inside [0, 1], gets the Korn-Graubard interval with
    ``n_eff = n`` instead.  Every other kind is ``estimate +/- t * se``.
    ``n`` (respondents) is needed by the Korn-Graubard interval.
    """
    from scipy import special  # on first use (package docstring)
    level = check_level(level)
    if method is not None:
        check_choice("method", method, ("logit", "beta"))
        if kind != "proportion":
            raise ValueError(f"method applies to proportions only, but this estimate is a {kind}")
    est = np.asarray(estimate, dtype=float)
    se = np.asarray(se, dtype=float)
    t = t_quantile(level, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "proportion":
            low, high = _beta_bounds(est, se * se, n, df, level)
            if method != "beta":
                # a zero SE strictly inside (0, 1) means every unit was observed (a census):
                # the figure is exact and the logit interval is rightly a point
                inside = (est > 0.0) & (est < 1.0)
                p = np.where(inside, est, 0.5)
                half = t * se / (p * (1.0 - p))
                low = np.where(inside, np.minimum(special.expit(special.logit(p) - half), est), low)
                high = np.where(
                    inside, np.maximum(special.expit(special.logit(p) + half), est), high
                )
        else:
            low, high = est - t * se, est + t * se
            if kind == "nps":
                low, high = np.clip(low, -100.0, 100.0), np.clip(high, -100.0, 100.0)
                flat = np.abs(est) >= 100.0
                if flat.any():
                    p = np.clip((est + 100.0) / 200.0, 0.0, 1.0)
                    b_low, b_high = _beta_bounds(p, np.zeros_like(p), n, df, level)
                    low = np.where(flat, 200.0 * b_low - 100.0, low)
                    high = np.where(flat, 200.0 * b_high - 100.0, high)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high
