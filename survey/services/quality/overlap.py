"""Waves that share clients: the covariance of their estimates, for changes and trends.

Private banking is a census every wave and a third of Diamond recurs, so two waves' estimates are
correlated.  ``analysis.overlap_covariance`` estimates the covariance from the clients who answer in
both waves (Kish 1965, sec. 12.4); this module feeds it a pair of waves' arrays, per tier and for
the bank, for each measure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import analysis
from survey.services.quality.data import WaveData

ALL = "all"


def scored(values: np.ndarray, kind: str) -> np.ndarray:
    """The variable whose weighted mean the estimator is: an NPS is the mean of -100/0/100."""
    if kind != "nps":
        return values
    return np.where(np.isnan(values), np.nan, np.where(values >= 9, 100.0, np.where(values >= 7, 0.0, -100.0)))


@dataclass(frozen=True)
class Shared:
    """Covariance of two waves' estimates per key (``ALL`` and tiers) and the respondents both have."""

    covariance: dict[str, float]
    matched: dict[str, int]


def shared(old: WaveData, new: WaveData, designs: tuple, values: tuple, masks: tuple, kind: str) -> Shared:
    """Covariances of ``old`` and ``new`` estimates of the bank and of each tier inside the masks.

    ``designs``, ``values`` (the measure's variable), ``masks`` (the filters) are (old, new) pairs.
    """
    cov: dict[str, float] = {}
    matched: dict[str, int] = {}
    if old.n == 0 or new.n == 0:
        return Shared(cov, matched)
    ya, yb = scored(values[0], kind), scored(values[1], kind)
    with np.errstate(all="ignore"):
        bank = analysis.overlap_covariance(
            designs[0], old.client_id, ya, designs[1], new.client_id, yb,
            domain_a=np.where(masks[0], ALL, None).astype(object),
            domain_b=np.where(masks[1], ALL, None).astype(object), labels=[ALL])
        tiers = analysis.overlap_covariance(
            designs[0], old.client_id, ya, designs[1], new.client_id, yb,
            domain_a=np.where(masks[0], old.tier, None).astype(object),
            domain_b=np.where(masks[1], new.tier, None).astype(object))
    for res in (bank, tiers):
        for label, c, m in zip(res.labels.tolist(), res.covariance, res.matched, strict=True):
            cov[str(label)] = float(c)
            matched[str(label)] = int(m)
    return Shared(cov, matched)
