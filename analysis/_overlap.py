"""Covariance of two waves' means over the clients who answer in both (partially overlapping samples)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from ._common import as_float_vector
from ._design import StratifiedDesign
from ._linearise import label_codes

__all__ = ["Overlap", "overlap_covariance"]


@dataclass(frozen=True, eq=False)
class Overlap:
    """Covariance of the mean of wave a and the mean of wave b, per domain label.

    Attributes
    ----------
    labels : ndarray or None
        Domain labels (None for the whole population: the fields are then floats).
    covariance : float or ndarray
        Estimated ``Cov(ybar_a, ybar_b)``; 0 where fewer than two clients match.
    matched : int or ndarray
        Respondents of the domain in both waves.
    """

    labels: np.ndarray | None
    covariance: float | np.ndarray
    matched: int | np.ndarray


def _scores(design: StratifiedDesign, y, codes, D):
    """Linearised scores ``w (y - ybar_d) / W_d`` of each row for its domain (0 outside), and a presence mask."""
    present = ~np.isnan(y) & (codes < D)
    c = np.where(present, codes, D)
    w = design.weights
    w_d = np.bincount(c, w, minlength=D + 1)[:D]
    with np.errstate(divide="ignore", invalid="ignore"):
        ybar = np.bincount(c, w * np.where(present, y, 0.0), minlength=D + 1)[:D] / w_d
        z = np.where(present, w * (y - np.append(ybar, 0.0)[c]) / np.append(w_d, 1.0)[c], 0.0)
    return z, present


def _codes_for(domain, n, union):
    if domain is None:
        return np.zeros(n, dtype=np.intp)
    values = np.asarray(domain, dtype=object).tolist()
    index = {lab: k for k, lab in enumerate(union.tolist())}
    return np.fromiter(map(index.get, values, itertools.repeat(union.size, n)), dtype=np.intp, count=n)


def overlap_covariance(design_a: StratifiedDesign, ids_a, y_a, design_b: StratifiedDesign, ids_b, y_b, *,
                       domain_a=None, domain_b=None, labels=None) -> Overlap:
    r"""Covariance of two waves' (domain) means from the respondents they have in common.

    For simple random samples of :math:`n_a` and :math:`n_b` with :math:`m` units in
    common, Kish (1965, *Survey Sampling*, sec. 12.4) gives

    .. math:: \mathrm{Var}(\bar y_b - \bar y_a) = \frac{S_a^2}{n_a} + \frac{S_b^2}{n_b}
              - 2\,\frac{m\,S_{ab}}{n_a n_b},

    :math:`S_{ab}` the covariance of a unit's two answers, estimated on the matched
    respondents.  For weighted (stratified) means the same is done on linearised scores
    :math:`z_i = w_i (y_i - \bar y_d)/\sum_d w` of each wave (0 outside the domain):

    .. math:: \widehat{\mathrm{Cov}} = \sum_h \sqrt{(1-f_{ah})(1-f_{bh})}\,\frac{m_h}{m_h-1}
              \sum_{i \in M_h} (z_{ai} - \bar z_{a,M_h})(z_{bi} - \bar z_{b,M_h}),

    :math:`M_h` the matched respondents of stratum h (their tier in wave b), each with
    the fpc of the tier in each wave (a census tier has no sampling covariance, as it has
    no variance).  With equal weights and one stratum this is exactly Kish's term.
    With no client in common it is 0, and :func:`analysis.compare` then gives the
    independent-samples SE.  :func:`analysis.compare`, which knows both SEs, clips the
    covariance so the correlation stays in [-1, 1].

    Parameters
    ----------
    design_a, design_b : StratifiedDesign
        The two waves' designs (respondents in rows).
    ids_a, ids_b : array_like
        Client identifier of every respondent, unique within a wave.
    y_a, y_b : array_like
        The variable whose mean is compared (a 0/1 flag for a proportion, -100/0/100
        for an NPS), NaN where not answered.
    domain_a, domain_b : array_like, optional
        Domain label of every respondent (None outside every domain).
    labels : sequence, optional
        The labels to report (default: union of both waves').

    Examples
    --------
    >>> import numpy as np, analysis
    >>> d = analysis.StratifiedDesign(np.zeros(4, int), {0: 10_000})
    >>> ov = analysis.overlap_covariance(d, [1, 2, 3, 4], [3, 4, 5, 4], d, [3, 4, 5, 6], [5, 4, 4, 3])
    >>> ov.matched, round(ov.covariance, 6)   # Kish: m s_ab / (n_a n_b) = 2 * 0.5 / 16, times fpc 0.9996
    (2, 0.062475)
    """
    for name, d in (("design_a", design_a), ("design_b", design_b)):
        if not isinstance(d, StratifiedDesign):
            raise TypeError(f"{name} must be a StratifiedDesign, but got {type(d).__name__}")
    ya = as_float_vector("y_a", y_a, design_a.n)
    yb = as_float_vector("y_b", y_b, design_b.n)
    ia, ib = np.asarray(ids_a), np.asarray(ids_b)
    for name, ids, n in (("ids_a", ia, design_a.n), ("ids_b", ib, design_b.n)):
        if ids.shape != (n,):
            raise ValueError(f"{name} must have one id per respondent ({n}), but got shape {ids.shape}")
        if np.unique(ids).size != n:
            raise ValueError(f"{name} must be unique within a wave")
    single = domain_a is None and domain_b is None
    if single:
        union = np.array([None], dtype=object)
    elif labels is not None:
        union = np.asarray(list(labels), dtype=object)
    else:
        found = set()
        for dom in (domain_a, domain_b):
            if dom is not None:
                found |= {v for v in np.asarray(dom, dtype=object).tolist() if v is not None}
        union = np.array(sorted(found, key=repr), dtype=object)
    D = union.size
    ca = _codes_for(domain_a, design_a.n, union)
    cb = _codes_for(domain_b, design_b.n, union)
    za, pa = _scores(design_a, ya, ca, D)
    zb, pb = _scores(design_b, yb, cb, D)
    _, pos_a, pos_b = np.intersect1d(ia, ib, assume_unique=True, return_indices=True)
    cov = np.zeros(D)
    matched = np.zeros(D, dtype=int)
    if pos_a.size:
        h_b = design_b._codes[pos_b]
        fpc = np.sqrt(np.clip(design_a._fpc_h[design_a._codes[pos_a]], 0, 1)
                      * np.clip(design_b._fpc_h[h_b], 0, 1))
        _, strat, _ = label_codes("strata", h_b)
        H = int(strat.max()) + 1
        m_h = np.bincount(strat, minlength=H).astype(float)
        factor = np.where(m_h > 1, m_h / np.maximum(m_h - 1, 1), 0.0)
        ka, kb = ca[pos_a], cb[pos_b]  # D where the pair is outside every domain in that wave
        a, b = za[pos_a], zb[pos_b]

        def cells(k, values):  # per (stratum, domain) sums, H x D
            return np.bincount(strat * (D + 1) + k, values, minlength=H * (D + 1)).reshape(H, D + 1)[:, :D]

        same = ka == kb
        k_same = np.where(same, ka, D)
        sum_ab = cells(k_same, fpc * a * b)  # a_pk b_pk is nonzero only where both waves put p in k
        a_bar, b_bar = cells(ka, a) / np.maximum(m_h, 1)[:, None], cells(kb, b) / np.maximum(m_h, 1)[:, None]
        fa, fb, f = cells(ka, fpc * a), cells(kb, fpc * b), np.bincount(strat, fpc, minlength=H)[:, None]
        s_hk = sum_ab - b_bar * fa - a_bar * fb + a_bar * b_bar * f
        cov = (factor[:, None] * s_hk).sum(0)
        both = same & (ka < D) & pa[pos_a] & pb[pos_b]
        matched = np.bincount(np.where(both, ka, D), minlength=D + 1)[:D]
        cov = np.where(matched >= 2, cov, 0.0)
    if single:
        return Overlap(None, float(cov[0]), int(matched[0]))
    cov.flags.writeable = False
    matched.flags.writeable = False
    return Overlap(union, cov, matched)
