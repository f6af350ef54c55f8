"""Wave-to-wave comparisons, multiple-testing adjustment and trends."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._common import check_choice, check_level, t_quantile, warn_degenerate
from ._results import DomainEstimates, Estimate

__all__ = ["Comparison", "Trend", "compare", "adjust_pvalues", "trend"]


@dataclass(frozen=True, eq=False)
class Comparison:
    """Difference ``b - a`` of two independent estimates.

    Fields are floats for two :class:`Estimate` and arrays aligned on
    ``labels`` for two :class:`DomainEstimates` (``labels`` is None otherwise).
    """

    estimate: float | np.ndarray
    se: float | np.ndarray
    statistic: float | np.ndarray
    pvalue: float | np.ndarray
    df: float | np.ndarray
    labels: np.ndarray | None = None

    def ci(self, level: float = 0.95):
        """``(low, high)`` = ``estimate -/+ q * se`` with q normal or t on ``df``."""
        q = t_quantile(check_level(level), self.df)
        low, high = self.estimate - q * self.se, self.estimate + q * self.se
        return (float(low), float(high)) if self.labels is None else (low, high)


@dataclass(frozen=True, eq=False)
class Trend:
    """Weighted least-squares slope per wave of a series of estimates."""

    estimate: float | np.ndarray
    se: float | np.ndarray
    statistic: float | np.ndarray
    pvalue: float | np.ndarray
    df: float | np.ndarray
    intercept: float | np.ndarray
    n_waves: int | np.ndarray
    labels: np.ndarray | None = None
    scale: str | np.ndarray = "known"  # "known" or "residual": which SE applied

    def ci(self, level: float = 0.95):
        """``(low, high)`` interval of the slope."""
        return Comparison.ci(self, level)  # same arithmetic


def _columns(results: Sequence, name: str):
    """Stack estimates, SEs and df of Estimates or DomainEstimates on the union of labels."""
    if all(isinstance(r, Estimate) for r in results):
        cols = [(np.array([r.estimate]), np.array([r.se]), float(r.df)) for r in results]
        return (
            None,
            np.vstack([c[0] for c in cols]),
            np.vstack([c[1] for c in cols]),
            np.array([c[2] for c in cols]),
        )
    if not all(isinstance(r, DomainEstimates) for r in results):
        raise TypeError(f"{name} must be all Estimate or all DomainEstimates results")
    labels = results[0].labels
    for r in results[1:]:
        labels = np.union1d(labels, r.labels)
    est = np.full((len(results), labels.size), np.nan)
    se = np.full_like(est, np.nan)
    for k, r in enumerate(results):
        pos = np.searchsorted(labels, r.labels)
        est[k, pos], se[k, pos] = r.estimate, r.se
    return labels, est, se, np.array([float(r.df) for r in results])


def _shape(labels, *arrays):
    return tuple(float(a[0]) for a in arrays) if labels is None else arrays


def compare(a, b, *, dist="normal", covariance=None) -> Comparison:
    r"""Test the change ``b - a`` between two waves.

    .. math:: \hat\Delta = \hat\theta_b - \hat\theta_a,\quad
              SE = \sqrt{SE_a^2 + SE_b^2 - 2\,\widehat{\mathrm{Cov}}},\quad z = \hat\Delta / SE

    Samples drawn independently in two waves have zero covariance, so the
    variances add: Var(b - a) = Var(a) + Var(b) (each variance is the
    design-based one of its own wave).  When the waves share clients, pass
    ``covariance`` (a float, or an array aligned on the labels of the union;
    e.g. ``analysis.overlap_covariance(...).covariance``, Kish 1965, sec. 12.4);
    it is clipped to ``[-SE_a SE_b, SE_a SE_b]`` so the correlation stays in
    [-1, 1].  ``dist="normal"`` (default) gives a
    two-sided normal p-value; ``dist="t"`` uses t on the Welch-Satterthwaite
    df ``SE^4 / (SE_a^4/df_a + SE_b^4/df_b)`` (Satterthwaite 1946,
    *Biometrics Bulletin* 2, 110-114).  Domain results are compared
    label by label (a label missing in one wave gives nan).

    Examples
    --------
    >>> import analysis
    >>> d = analysis.StratifiedDesign([0] * 4, {0: 100})
    >>> c = analysis.compare(d.mean([4, 5, 4, 5]), d.mean([3, 4, 3, 4]))
    >>> c.estimate
    -1.0
    """
    from scipy import stats  # on first use (package docstring)
    check_choice("dist", dist, ("normal", "t"))
    if type(a) is not type(b):
        raise TypeError(
            f"a and b must be the same kind of result, but got {type(a).__name__} and {type(b).__name__}"
        )
    if a.kind != b.kind:
        raise ValueError(f"a and b must estimate the same kind, but got {a.kind!r} and {b.kind!r}")
    labels, est, se, df = _columns([a, b], "a and b")
    diff = est[1] - est[0]
    cov = 0.0 if covariance is None else np.asarray(covariance, dtype=float)
    if np.shape(cov) not in ((), diff.shape):
        raise ValueError(f"covariance must be a number or one per label ({diff.size}), but got shape {np.shape(cov)}")
    bound = np.nan_to_num(se[0] * se[1])
    cov = np.clip(np.nan_to_num(cov), -bound, bound)
    se_d = np.sqrt(np.maximum(se[0] ** 2 + se[1] ** 2 - 2.0 * cov, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = diff / se_d
        if dist == "normal":
            dof = np.full_like(diff, np.inf)
        else:
            dof = se_d**4 / (se[0] ** 4 / df[0] + se[1] ** 4 / df[1])
        p = 2.0 * np.where(
            np.isinf(dof), stats.norm.sf(np.abs(stat)), stats.t.sf(np.abs(stat), dof)
        )
    if np.isnan(p).any():
        warn_degenerate("some differences have no p-value (missing estimate or zero SE)")
    return Comparison(*_shape(labels, diff, se_d, stat, p, dof), labels=labels)


def adjust_pvalues(p, *, method="holm") -> np.ndarray:
    """Adjust p-values for multiple comparisons (e.g. one test per tier).

    ``"holm"`` (default): step-down, controls the family-wise error rate
    (Holm 1979).  ``"bonferroni"``: ``min(1, m p)``.  ``"hochberg"``: step-up,
    FWER under independence (Hochberg 1988).  ``"bh"``: Benjamini-Hochberg
    false discovery rate (1995).  NaN p-values are kept and not counted in m
    (as R ``p.adjust``).

    >>> import analysis
    >>> analysis.adjust_pvalues([0.01, 0.04, 0.03]).tolist()
    [0.03, 0.06, 0.06]
    """
    check_choice("method", method, ("holm", "bonferroni", "hochberg", "bh"))
    arr = np.asarray(p, dtype=float)
    flat = arr.reshape(-1)
    ok = ~np.isnan(flat)
    if ((flat[ok] < 0) | (flat[ok] > 1)).any():
        raise ValueError(
            f"p must lie in [0, 1], but got {flat[ok][(flat[ok] < 0) | (flat[ok] > 1)][0]!r}"
        )
    vals = flat[ok]
    m = vals.size
    order = np.argsort(vals, kind="stable")
    ranked = vals[order]
    i = np.arange(1, m + 1)
    if method == "bonferroni":
        adj = np.minimum(1.0, m * ranked)
    elif method == "holm":
        adj = np.minimum(1.0, np.maximum.accumulate((m - i + 1) * ranked))
    elif method == "hochberg":
        adj = np.minimum(1.0, np.minimum.accumulate(((m - i + 1) * ranked)[::-1])[::-1])
    else:
        adj = np.minimum(1.0, np.minimum.accumulate((m / i * ranked)[::-1])[::-1])
    out = np.full(flat.shape, np.nan)
    fill = np.empty(m)
    fill[order] = adj
    out[ok] = fill
    return out.reshape(arr.shape)


def _gls(y, x, cov):
    """GLS line through ``y`` at ``x`` with covariance ``cov``: slope, intercept, SE(slope), e' V^-1 e."""
    X = np.column_stack([np.ones_like(x), x])
    vinv = np.linalg.pinv(cov, hermitian=True)
    info = X.T @ vinv @ X
    cov_b = np.linalg.inv(info)
    beta = cov_b @ X.T @ vinv @ y
    e = y - X @ beta
    return beta[1], beta[0], float(np.sqrt(cov_b[1, 1])), float(e @ vinv @ e)


def _psd(cov: np.ndarray) -> np.ndarray:
    """``cov`` with correlations clipped to [-1, 1] and negative eigenvalues set to 0."""
    sd = np.sqrt(np.diagonal(cov))
    bound = np.outer(sd, sd)
    cov = np.clip(cov, -bound, bound)
    vals, vecs = np.linalg.eigh(cov)
    if vals.min() >= 0:
        return cov
    return (vecs * np.maximum(vals, 0.0)) @ vecs.T


def trend(results, waves=None, *, variance="known", covariance=None) -> Trend:
    r"""Generalised least-squares slope of a series of wave estimates.

    With :math:`V` the covariance matrix of the K wave estimates (their squared SEs on
    the diagonal; off the diagonal the covariances of waves that share respondents, see
    :func:`analysis.overlap_covariance`, or 0 for independent waves) and
    :math:`X = [1, x]`, :math:`\hat\beta = (X'V^{-1}X)^{-1}X'V^{-1}y`.  With independent
    waves this is weighted least squares with weights :math:`1/SE_k^2`.

    ``variance="known"`` treats V as known: :math:`SE(\hat\beta)` from
    :math:`(X'V^{-1}X)^{-1}`, normal p-value (fixed-effect meta-regression; Borenstein et
    al. 2009, *Introduction to Meta-Analysis*, ch. 20).  ``"estimated"`` multiplies it by
    :math:`s = \sqrt{e'V^{-1}e/(K-2)}` and uses t on K-2 df (ordinary WLS).
    ``"larger"`` uses the residual scale only when it is larger (:math:`s > 1`: the waves
    vary more than their sampling errors allow), else the known SE; so the interval is
    never narrower than the known-variance one (a t quantile on K-2 df exceeds the normal
    one).  ``Trend.scale`` says which applied (``"known"`` or ``"residual"``).
    Waves with a nan estimate or SE are left out.

    Parameters
    ----------
    results : sequence of Estimate or of DomainEstimates
        One result per wave; domain results give one slope per label.
    waves : array_like, optional
        Wave positions (e.g. 0, 1, 2 or quarter numbers); default ``0..K-1``.
    covariance : array_like (K, K) or (K, K, L), optional
        Covariances between waves (the diagonal is ignored: it is the SEs squared);
        for domain results one matrix per label of the union of labels.

    >>> import analysis
    >>> d = analysis.StratifiedDesign([0] * 4, {0: 100})
    >>> t = analysis.trend([d.mean([3, 4, 4, 5]), d.mean([4, 4, 5, 5]), d.mean([4, 5, 5, 5])])
    >>> round(t.estimate, 3)    # weighted by 1 / se**2, so not the OLS 0.375
    0.352
    """
    from scipy import stats  # on first use (package docstring)
    check_choice("variance", variance, ("known", "estimated", "larger"))
    results = list(results)
    if len(results) < 2:
        raise ValueError(f"results must hold at least two waves, but got {len(results)}")
    labels, y, se, _ = _columns(results, "results")
    K, L = y.shape
    x = np.arange(K, dtype=float) if waves is None else np.asarray(waves, dtype=float)
    if x.shape != (K,):
        raise ValueError(f"waves must have one position per result ({K}), but got shape {x.shape}")
    cov = np.zeros((K, K, L)) if covariance is None else np.asarray(covariance, dtype=float)
    if cov.ndim == 2:
        cov = cov[:, :, None]
    if cov.shape != (K, K, L):
        raise ValueError(f"covariance must have shape ({K}, {K}) or ({K}, {K}, {L}), but got {cov.shape}")
    out = np.full((6, L), np.nan)
    k_used = np.zeros(L, dtype=int)
    scale = np.full(L, "known", dtype=object)
    for j in range(L):
        ok = np.isfinite(y[:, j]) & np.isfinite(se[:, j]) & (se[:, j] > 0)
        k_used[j] = k = int(ok.sum())
        if k < 2:
            continue
        c = np.nan_to_num(cov[np.ix_(ok, ok)][:, :, j])
        np.fill_diagonal(c, se[ok, j] ** 2)
        slope, intercept, se_b, resid = _gls(y[ok, j], x[ok], _psd(c))
        dof = np.inf
        s2 = resid / (k - 2) if k > 2 else np.nan
        if variance == "estimated" or (variance == "larger" and s2 > 1.0):
            se_b, dof, scale[j] = se_b * np.sqrt(s2), float(k - 2) if k > 2 else np.nan, "residual"
        out[:, j] = slope, se_b, slope / se_b, np.nan, dof, intercept
    slope, se_b, stat, p, dof, intercept = out
    with np.errstate(invalid="ignore"):
        p = 2.0 * np.where(np.isinf(dof), stats.norm.sf(np.abs(stat)),
                           stats.t.sf(np.abs(stat), np.where(dof > 0, dof, np.nan)))
    if np.isnan(p).any():
        warn_degenerate("some trends are undefined (fewer than enough waves, or a zero SE)")
    if labels is None:
        return Trend(*_shape(None, slope, se_b, stat, p, dof, intercept), n_waves=int(k_used[0]),
                     scale=str(scale[0]))
    return Trend(slope, se_b, stat, p, dof, intercept, k_used, labels, scale)
