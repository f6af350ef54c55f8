"""Fair per-manager / per-branch scorecards: direct and shrunken estimates."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from ._common import check_choice, check_level, warn_degenerate
from ._design import StratifiedDesign
from ._linearise import label_codes
from ._results import DomainEstimates

__all__ = ["Scorecard", "scorecard"]


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
        ``B_g`` in [0, 1]: the weight put on the overall mean.
    sampling_var : ndarray
        Sampling variance ``v_g`` used for the shrinkage (see ``variance``).
    tau2 : float
        Between-group variance (DerSimonian-Laird, truncated at 0).
    target : float
        The overall design-based mean the groups shrink toward.
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

    def ci(self, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Normal interval ``estimate -/+ z * se`` of the shrunken estimates."""
        z = stats.norm.ppf(0.5 + check_level(level) / 2)
        return self.estimate - z * self.se, self.estimate + z * self.se


def _smoothed_variance(design: StratifiedDesign, dcodes, present, y, direct, D) -> np.ndarray:
    """``v_g = s_w^2 sum_g (1-f_h) w^2 / (sum_g w)^2``: pooled within-group variance.

    A Kish-type generalised variance function: unlike the direct SE it is
    never zero for a group of one or of identical answers.
    """
    w = design.weights
    present = present & (dcodes < D)  # a value and a group label
    codes = np.where(present, dcodes, D)
    w_g = np.bincount(codes, w, minlength=D + 1)[:D]
    fpc = design._fpc_h[design._codes]
    w2 = np.bincount(codes, fpc * w * w, minlength=D + 1)[:D]
    est = np.append(np.nan_to_num(direct.estimate), 0.0)
    dev = np.where(present, y - est[codes], 0.0)
    n_used = int(present.sum())
    s2 = (w * dev * dev).sum() / w[present].sum() * n_used / max(n_used - D, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return s2 * w2 / w_g**2


def scorecard(
    groups, y, design: StratifiedDesign, *, missing="raise", variance="smoothed"
) -> Scorecard:
    r"""Per relationship manager (or branch) satisfaction, shrunk toward the overall mean.

    Direct estimates :math:`\hat y_g` are domain means of ``design.by(groups)``.
    Each is shrunk toward the overall mean :math:`\bar y` by its precision
    (Fay & Herriot 1979; Rao & Molina 2015, *Small Area Estimation*, ch. 6):

    .. math:: \tilde\theta_g = B_g \bar y + (1 - B_g)\hat y_g,\qquad
              B_g = v_g / (v_g + \tau^2),

    with :math:`\tau^2` by the method of moments of DerSimonian & Laird
    (1986), truncated at 0:
    :math:`\tau^2 = \max\{0, (Q - (G-1)) / (\sum u - \sum u^2/\sum u)\}`,
    :math:`u_g = 1/v_g`, :math:`Q = \sum u_g (\hat y_g - \hat y_u)^2`.
    The SE is :math:`\sqrt{(1-B_g) v_g + B_g^2 SE(\bar y)^2}` (first-order;
    it ignores the uncertainty of :math:`\tau^2`).  A manager with six
    answers is pulled strongly to the mean and is not ranked on noise.

    Parameters
    ----------
    groups : array_like (n,)
        Manager or branch label of every respondent.
    y : array_like (n,)
        Satisfaction score.
    design : StratifiedDesign
    missing : {"raise", "omit"}, keyword-only
        NaN in ``y`` or a missing (NaN/None) group label.  ``"raise"``:
        ValueError naming ``groups`` or ``y``.  ``"omit"``: those rows are left
        out of every group and of the target (domain estimation: they stay in
        the design, so the strata keep their weights and variances); the
        target is then the mean over rows with a value and a group.
    variance : {"smoothed", "direct"}, keyword-only
        ``v_g`` used for shrinkage.  ``"smoothed"`` (default) pools the
        within-group variance over all groups (see ``_smoothed_variance``), so
        groups of one or with identical answers, whose linearised SE is 0, are
        still shrunk.  ``"direct"`` uses the design SE squared.

    Examples
    --------
    >>> import numpy as np, analysis
    >>> rng = np.random.default_rng(1)
    >>> manager = np.repeat(np.arange(20), [6] + [200] * 19)   # manager 0 has six answers
    >>> y = rng.normal(rng.normal(4, 0.3, 20)[manager], 1)
    >>> design = analysis.StratifiedDesign(np.zeros(manager.size, int), {0: 10_000})
    >>> card = analysis.scorecard(manager, y, design)
    >>> bool(card.shrinkage[0] > card.shrinkage[1:].max())
    True
    """
    check_choice("variance", variance, ("smoothed", "direct"))
    if not isinstance(design, StratifiedDesign):
        raise TypeError(f"design must be a StratifiedDesign, but got {type(design).__name__}")
    check_choice("missing", missing, ("raise", "omit"))
    _, _, no_group = label_codes("groups", groups, design.n)
    if missing == "raise" and no_group.any():
        raise ValueError(
            f"groups has {int(no_group.sum())} missing labels (None/NaN); "
            "pass missing='omit' to leave those rows out of every group"
        )
    domains = design.by(groups, missing="omit")
    direct = domains.mean(y, missing=missing)
    values = np.asarray(y, dtype=float)
    grouped = domains._part.dcodes < direct.labels.size
    overall = design.mean(np.where(grouped, values, np.nan), missing=missing)
    if variance == "direct":
        v = direct.se**2
    else:
        v = _smoothed_variance(
            design, domains._part.dcodes, ~np.isnan(values), values, direct, direct.labels.size
        )
    v = np.asarray(v, dtype=float)
    positive = np.isfinite(v) & (v > 0)
    if positive.any():  # rounding leaves ~1e-30 where a group's answers are all equal
        v = np.where(v <= 1e-12 * np.median(v[positive]), 0.0, v)
    ok = np.isfinite(direct.estimate) & np.isfinite(v) & (v > 0)
    u = 1.0 / v[ok]
    theta = direct.estimate[ok]
    tau2 = np.nan
    if ok.sum() >= 2:
        mean_u = (u * theta).sum() / u.sum()
        q = (u * (theta - mean_u) ** 2).sum()
        tau2 = max(0.0, (q - (ok.sum() - 1)) / (u.sum() - (u * u).sum() / u.sum()))
    else:
        warn_degenerate("fewer than two groups have a usable variance; tau2 is nan")
    with np.errstate(divide="ignore", invalid="ignore"):
        b = np.where(v == 0, 0.0, v / (v + tau2))
    est = b * overall.estimate + (1 - b) * direct.estimate
    se = np.sqrt((1 - b) * v + b * b * overall.se**2)
    for arr in (est, se, b, v):
        arr.flags.writeable = False
    return Scorecard(direct.labels, direct.n, direct, est, se, b, v, float(tau2), overall.estimate)
