"""Fair per-manager / per-branch scorecards: direct and shrunken estimates, ranks and bands."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._common import check_choice, check_level, warn_degenerate
from ._design import StratifiedDesign
from ._linearise import label_codes
from ._results import DomainEstimates
from ._tau2 import between_variance

__all__ = ["Scorecard", "ScorecardPrior", "scorecard", "scorecard_prior"]

# the variance of rounding a continuous score to whole scale points (Sheppard's correction, 1/12 of a step^2)
ROUNDING_VARIANCE = 1.0 / 12.0


@dataclass(frozen=True)
class ScorecardPrior:
    """Between- and within-group variances of one wave and one kind of group, fitted once on all respondents.

    Attributes
    ----------
    tau2 : float
        Between-group variance after the floor.
    tau2_raw : float
        The estimator's value before the floor (``method``).
    tau2_floor : float
        ``icc_floor / (1 - icc_floor) * within_var``: tau2 never falls below the between-group
        variance of an intra-class correlation of ``icc_floor``.
    within_var : float
        Pooled within-group variance ``s_w^2`` of a respondent, at least ``1/12`` (the rounding
        variance of a whole-point scale), so a group of one never has a zero variance.
    method : str
        ``"pm"`` (Paule-Mandel), ``"reml"`` or ``"dl"`` (DerSimonian-Laird).
    n_groups, n : int
        Groups and respondents it was fitted on.
    """

    tau2: float
    tau2_raw: float
    tau2_floor: float
    within_var: float
    method: str
    n_groups: int
    n: int


@dataclass(frozen=True, eq=False)
class Scorecard:
    """Direct and empirical-Bayes estimates per group (arrays aligned on ``labels``).

    Attributes
    ----------
    labels, n : ndarray
        Group labels and respondents per group.
    direct : DomainEstimates
        Design-based domain means (with their own SEs and intervals).
    estimate, se : ndarray
        Shrunken estimate and its approximate posterior SE.
    shrinkage : ndarray
        ``B_g`` in [0, 1]: the weight put on the target mean.
    sampling_var : ndarray
        Sampling variance ``v_g`` used for the shrinkage (see ``variance``).
    tau2 : float
        Between-group variance used (from ``prior``).
    target : float
        The design-based mean of the groups given, which they shrink toward.
    prior : ScorecardPrior
    bounds : tuple of float or None
        The scale; intervals are clipped to it.
    min_n : int
        Groups with fewer respondents are shown but not ranked.
    rank : ndarray of int
        1 for the highest shrunken estimate among groups with at least ``min_n``
        respondents; 0 for groups too small to rank.
    """

    labels: np.ndarray
    n: np.ndarray
    direct: DomainEstimates
    estimate: np.ndarray
    se: np.ndarray
    shrinkage: np.ndarray
    sampling_var: np.ndarray
    tau2: float
    target: float
    prior: ScorecardPrior | None = None
    bounds: tuple[float, float] | None = None
    min_n: int = 0
    rank: np.ndarray | None = None

    @property
    def rankable(self) -> np.ndarray:
        """Groups with at least ``min_n`` respondents."""
        return self.n >= self.min_n

    def ci(self, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Normal interval ``estimate -/+ z * se`` of the shrunken estimates, clipped to ``bounds``."""
        from scipy import stats  # on first use (package docstring)
        z = stats.norm.ppf(0.5 + check_level(level) / 2)
        low, high = self.estimate - z * self.se, self.estimate + z * self.se
        if self.bounds is not None:
            low, high = np.clip(low, *self.bounds), np.clip(high, *self.bounds)
        return low, high

    def bands(self, level: float = 0.95) -> np.ndarray:
        """``"above"``, ``"below"`` or ``"within"`` the target, by whether the interval excludes it.

        Groups too small to rank get ``""``.
        """
        low, high = self.ci(level)
        band = np.where(low > self.target, "above", np.where(high < self.target, "below", "within"))
        return np.where(self.rankable, band, "").astype(object)


def _design_checks(groups, design, missing):
    if not isinstance(design, StratifiedDesign):
        raise TypeError(f"design must be a StratifiedDesign, but got {type(design).__name__}")
    check_choice("missing", missing, ("raise", "omit"))
    _, _, no_group = label_codes("groups", groups, design.n)
    if missing == "raise" and no_group.any():
        raise ValueError(
            f"groups has {int(no_group.sum())} missing labels (None/NaN); "
            "pass missing='omit' to leave those rows out of every group"
        )


def _within(design: StratifiedDesign, direct: DomainEstimates, dcodes, y):
    """Pooled within-group variance ``s_w^2 = sum w (y - ybar_g)^2 / sum w * n/(n-G)`` and
    Kish's ``sum_g w^2 / (sum_g w)^2`` (1 / effective respondents) of every group (no fpc)."""
    D = direct.labels.size
    present = ~np.isnan(y) & (dcodes < D)
    codes = np.where(present, dcodes, D)
    w = design.weights
    w_g = np.bincount(codes, w, minlength=D + 1)[:D]
    w2 = np.bincount(codes, w * w, minlength=D + 1)[:D]
    est = np.append(np.nan_to_num(direct.estimate), 0.0)
    dev = np.where(present, y - est[codes], 0.0)
    n_used = int(present.sum())
    groups = int((w_g > 0).sum())
    s2 = (w * dev * dev).sum() / max(w[present].sum(), 1e-300) * n_used / max(n_used - groups, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(s2), w2 / w_g**2


def scorecard_prior(groups, y, design: StratifiedDesign, *, method="pm", icc_floor=0.01,
                    missing="raise") -> ScorecardPrior:
    r"""Fit the between-group variance :math:`\tau^2` and the within-group variance once.

    Fitted on every respondent of a wave for one kind of group (managers or branches), so a
    filtered view never re-estimates :math:`\tau^2` from a handful of groups.  The sampling
    variance of group g's mean is :math:`v_g = s_w^2 \sum_g w^2 / (\sum_g w)^2` (Kish 1965,
    effective sample size), with no finite population correction: a manager's score is a
    model quantity (their service), not the finite mean of their current clients
    (Rao & Molina 2015, *Small Area Estimation*, 2nd ed., sec. 6.1).

    :math:`\tau^2` is the Paule-Mandel (1982) estimator by default (``method="pm"``,
    the root of :math:`\sum u_g (\hat y_g - \hat\mu)^2 = G - 1`), else REML or
    DerSimonian-Laird (see :func:`analysis.between_variance`), then floored:
    :math:`\tau^2 \ge \rho_0 /(1-\rho_0)\, s_w^2` with :math:`\rho_0` = ``icc_floor``
    (0.01 by default, the low end of intra-interviewer and intra-area correlations in
    surveys; Groves & Magilavy 1986, *POQ* 50, 251-266), so shrinkage is never complete.
    :math:`s_w^2` is floored at 1/12, the variance of rounding to whole scale points.

    Examples
    --------
    >>> import numpy as np, analysis
    >>> rng = np.random.default_rng(3)
    >>> manager = rng.integers(0, 30, 3000)
    >>> y = np.clip(np.round(4 + rng.normal(0, 0.3, 30)[manager] + rng.normal(0, 0.8, 3000)), 1, 5)
    >>> design = analysis.StratifiedDesign(np.zeros(3000, int), {0: 50_000})
    >>> prior = analysis.scorecard_prior(manager, y, design)
    >>> bool(prior.tau2 >= prior.tau2_floor > 0)
    True
    """
    check_choice("method", method, ("pm", "reml", "dl"))
    if not 0.0 <= float(icc_floor) < 1.0:
        raise ValueError(f"icc_floor must be in [0, 1), but got {icc_floor!r}")
    _design_checks(groups, design, missing)
    domains = design.by(groups, missing="omit")
    direct = domains.mean(y, missing=missing)
    values = np.asarray(y, dtype=float)
    s2, kish = _within(design, direct, domains._part.dcodes, values)
    s2 = max(s2, ROUNDING_VARIANCE)
    v = s2 * kish
    ok = np.isfinite(direct.estimate) & np.isfinite(v) & (direct.n > 0)
    raw = between_variance(direct.estimate[ok], v[ok], method=method) if ok.sum() >= 2 else np.nan
    if ok.sum() < 2:
        warn_degenerate("fewer than two groups have answers; tau2 is the floor")
    floor = icc_floor / (1.0 - icc_floor) * s2
    tau2 = floor if not np.isfinite(raw) else max(float(raw), floor)
    return ScorecardPrior(float(tau2), float(raw), float(floor), s2, method, int(ok.sum()),
                          int(direct.n[ok].sum()))


def scorecard(
    groups, y, design: StratifiedDesign, *, missing="raise", variance="smoothed", prior=None,
    bounds=None, min_n=0, method="pm", icc_floor=0.01,
) -> Scorecard:
    r"""Per relationship manager (or branch) satisfaction, shrunk toward the mean of the groups.

    Direct estimates :math:`\hat y_g` are domain means of ``design.by(groups)``.
    Each is shrunk toward the design-based mean :math:`\bar y` of the rows that have a
    group by its precision (Fay & Herriot 1979; Rao & Molina 2015, ch. 6):

    .. math:: \tilde\theta_g = B_g \bar y + (1 - B_g)\hat y_g,\qquad
              B_g = v_g / (v_g + \tau^2),

    with :math:`\tau^2` and the within-group variance from ``prior`` (see
    :func:`scorecard_prior`; fitted on these rows when ``prior`` is None).
    The SE is :math:`\sqrt{(1-B_g) v_g + B_g^2 SE(\bar y)^2}` (first-order;
    it ignores the uncertainty of :math:`\tau^2`).  Intervals are normal and clipped to
    ``bounds``.  Groups with fewer than ``min_n`` respondents get rank 0 ("too few to
    rank"); the others are ranked 1, 2, ... by the shrunken estimate.

    Parameters
    ----------
    groups : array_like (n,)
        Manager or branch label of every respondent (None outside the view).
    y : array_like (n,)
        Satisfaction score.
    design : StratifiedDesign
    missing : {"raise", "omit"}, keyword-only
        NaN in ``y`` or a missing group label: ``"raise"`` a ValueError, or ``"omit"``
        those rows from every group and from the target (they stay in the design).
    variance : {"smoothed", "direct"}, keyword-only
        ``v_g``: ``"smoothed"`` (default) is ``s_w^2 sum w^2 / (sum w)^2`` with the
        prior's pooled (and floored) ``s_w^2``, never zero; ``"direct"`` is the design SE
        squared.
    prior : ScorecardPrior, optional
        Fitted once per wave and kind of group on all respondents.
    bounds : (low, high), optional
        The scale, e.g. ``(1, 5)``.
    min_n : int
        Ranking minimum (respondents).
    method, icc_floor
        Passed to :func:`scorecard_prior` when ``prior`` is None.

    Examples
    --------
    >>> import numpy as np, analysis
    >>> rng = np.random.default_rng(1)
    >>> manager = np.repeat(np.arange(20), [6] + [200] * 19)   # manager 0 has six answers
    >>> y = rng.normal(rng.normal(4, 0.3, 20)[manager], 1)
    >>> design = analysis.StratifiedDesign(np.zeros(manager.size, int), {0: 10_000})
    >>> card = analysis.scorecard(manager, y, design, min_n=10)
    >>> bool(card.shrinkage[0] > card.shrinkage[1:].max()), int(card.rank[0])
    (True, 0)
    """
    check_choice("variance", variance, ("smoothed", "direct"))
    _design_checks(groups, design, missing)
    if prior is None:
        prior = scorecard_prior(groups, y, design, method=method, icc_floor=icc_floor, missing=missing)
    if not isinstance(prior, ScorecardPrior):
        raise TypeError(f"prior must be a ScorecardPrior, but got {type(prior).__name__}")
    domains = design.by(groups, missing="omit")
    direct = domains.mean(y, missing=missing)
    values = np.asarray(y, dtype=float)
    grouped = domains._part.dcodes < direct.labels.size
    overall = design.mean(np.where(grouped, values, np.nan), missing=missing)
    if variance == "direct":
        v = np.asarray(direct.se**2, dtype=float)
    else:
        v = prior.within_var * _within(design, direct, domains._part.dcodes, values)[1]
    tau2 = prior.tau2
    with np.errstate(divide="ignore", invalid="ignore"):
        b = np.where(v == 0, 0.0, v / (v + tau2))
    est = b * overall.estimate + (1 - b) * direct.estimate
    se = np.sqrt((1 - b) * v + b * b * overall.se**2)
    n = np.asarray(direct.n)
    rankable = n >= min_n
    order = np.argsort(np.where(rankable & np.isfinite(est), -est, np.inf), kind="stable")
    rank = np.zeros(n.size, dtype=int)
    usable = (rankable & np.isfinite(est))[order]
    rank[order[usable]] = np.arange(1, usable.sum() + 1)
    for arr in (est, se, b, v, rank):
        arr.flags.writeable = False
    if bounds is not None:
        bounds = (float(bounds[0]), float(bounds[1]))
    return Scorecard(direct.labels, n, direct, est, se, b, v, float(tau2), overall.estimate, prior,
                     bounds, int(min_n), rank)
