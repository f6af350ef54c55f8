"""Shared helpers: the warning class, argument checks and intervals."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import special, stats

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
    df = np.asarray(df, dtype=float)
    q = 0.5 + level / 2.0
    with np.errstate(invalid="ignore"):
        out = np.where(
            np.isinf(df), stats.norm.ppf(q), stats.t.ppf(q, np.where(df > 0, df, np.nan))
        )
    return out


def interval(kind: str, estimate, se, df, level: float):
    """Confidence interval for one or many estimates (vectorised).

    ``kind == "proportion"`` gives the logit interval
    ``expit(logit(p) +/- t * se / (p (1 - p)))`` (the log-odds interval of R
    ``survey::svyciprop(method = "logit")``), which stays inside [0, 1] and is
    ``(p, p)`` at p = 0 or 1.  ``kind == "nps"`` is the symmetric t interval
    clipped to [-100, 100].  Every other kind is ``estimate +/- t * se``.
    """
    level = check_level(level)
    est = np.asarray(estimate, dtype=float)
    se = np.asarray(se, dtype=float)
    t = t_quantile(level, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "proportion":
            inside = (est > 0.0) & (est < 1.0)
            p = np.where(inside, est, 0.5)
            half = t * se / (p * (1.0 - p))
            # min/max: with se = 0, expit(logit(p)) may miss p by one rounding step
            low = np.where(inside, np.minimum(special.expit(special.logit(p) - half), est), est)
            high = np.where(inside, np.maximum(special.expit(special.logit(p) + half), est), est)
        else:
            low, high = est - t * se, est + t * se
            if kind == "nps":
                low, high = np.clip(low, -100.0, 100.0), np.clip(high, -100.0, 100.0)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high
