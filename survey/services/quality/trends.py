"""Trends over waves: every wave's estimate per tier and for the bank, the latest change, and a slope.

The slope is the generalised least-squares line through the wave estimates with their sampling
variances and the covariances of waves that share clients (``analysis.trend``, ``variance="larger"``):
its SE comes from those known variances, and from the residual scatter only when that is larger.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from sqlalchemy.orm import Session

import analysis
from survey.models import Wave
from survey.services.quality import cache as quality_cache
from survey.services.quality.reports import (
    ALL,
    MEASURES,
    Change,
    Figure,
    Filters,
    TierInfo,
    changes,
    domain_estimates,
    load,
    shared_with,
    tiers_of,
    waves_in_order,
)


@dataclass(frozen=True)
class Series:
    """One line of a trend chart: a figure (or None) per wave."""

    key: str
    points: list[Figure | None]
    change: Change | None  # latest wave vs the one before
    slope: Slope | None = None  # linear trend per wave over the waves shown (three or more)


@dataclass(frozen=True)
class Slope:
    """Generalised least-squares change per wave; ``scale`` says which SE applied.

    ``"known"``: the waves' sampling variances and their overlap covariances, normal interval;
    ``"residual"``: that SE times the residual scale (larger than 1 only when the waves vary
    more than their sampling errors allow), t on K-2 df.
    """

    estimate: float
    se: float
    low: float
    high: float
    pvalue: float
    scale: str = "known"
    known_se: float = float("nan")  # the SE from the known sampling variances alone


def slope_of(estimates: list, positions: list[int], scale: float, covariance=None) -> Slope | None:
    """The trend of one series, or None with fewer than three waves or an undefined SE.

    ``covariance`` is the (K, K) matrix of covariances between the waves' estimates (overlap).
    """
    usable = [k for k, e in enumerate(estimates) if np.isfinite(e.se) and e.se > 0]
    if len(usable) < 3:
        return None
    cov = None if covariance is None else np.asarray(covariance)[np.ix_(usable, usable)]
    series, waves = [estimates[k] for k in usable], [positions[k] for k in usable]
    tr = analysis.trend(series, waves=waves, variance="larger", covariance=cov)
    known = analysis.trend(series, waves=waves, variance="known", covariance=cov)
    low, high = tr.ci(0.95)
    return Slope(float(tr.estimate) * scale, float(tr.se) * scale, float(low) * scale, float(high) * scale,
                 float(tr.pvalue), str(tr.scale), float(known.se) * scale)


@dataclass(frozen=True)
class Trends:
    measure: str
    waves: list[Wave]
    tiers: list[TierInfo]
    series: list[Series]
    weights: str = "design"

    @property
    def provisional(self) -> list[Wave]:
        """Waves still in the field (their points are provisional)."""
        return [w for w in self.waves if w.status == "in_field"]

    @property
    def dropped(self) -> list[str]:
        return [s.key for s in self.series if s.key != ALL and s.change is not None and s.change.drop]


def trends(session: Session, measure: str, filters: Filters = Filters(), wave_ids=None) -> Trends:
    """Every wave's (or those in ``wave_ids``) estimate of ``measure`` per tier and for the bank.

    Remembered while no wave's data change; when one does (the wave in the field), only its
    estimates and its covariances with the other waves are computed again (see quality.cache).
    """
    ordered = [w for w in waves_in_order(session) if wave_ids is None or w.id in wave_ids]
    ids = [w.id for w in ordered]
    stamps = quality_cache.stamps(session, ids)
    tr = quality_cache.remember(session, ("trends", measure, filters, tuple(ids)), tuple(stamps[w] for w in ids),
                                lambda: _trends(session, measure, filters, ordered, stamps))
    live = {w.id: w for w in ordered}
    return replace(tr, waves=[live[w.id] for w in tr.waves])


def _trends(session: Session, measure: str, filters: Filters, ordered: list[Wave], stamps: dict) -> Trends:
    data = load(session, [w.id for w in ordered], filters, wave_stamps=stamps) if ordered else {}
    ordered = [w for w in ordered if data[w.id].n > 0]
    tiers = tiers_of(ordered[-1]) if ordered else []
    scale = MEASURES[measure][1]
    per_wave = [quality_cache.remember(session, ("estimates", w.id, filters, measure), stamps[w.id],
                                       lambda w=w: domain_estimates(data[w.id], filters, measure)) for w in ordered]
    keys = [ALL] + [t.code for t in tiers]
    keys += sorted({k for e in per_wave for k in e} - set(keys))
    pairs = {}
    for j in range(len(ordered)):
        for i in range(j):
            a, b = ordered[i].id, ordered[j].id
            pairs[(i, j)] = quality_cache.remember(
                session, ("shared", a, b, filters, measure), (stamps[a], stamps[b]),
                lambda a=a, b=b: shared_with(data[a], data[b], filters, measure).covariance)
    last = changes(per_wave[-2], per_wave[-1], keys, scale, pairs[(len(ordered) - 2, len(ordered) - 1)]) \
        if len(per_wave) >= 2 else {}
    series = []
    for key in keys:
        points = [Figure.of(e[key], scale) if key in e else None for e in per_wave]
        if any(p is not None for p in points):
            present = [i for i, e in enumerate(per_wave) if key in e]
            cov = np.array([[pairs.get((min(a, b), max(a, b)), {}).get(key, 0.0) if a != b else 0.0
                             for b in present] for a in present])
            slope = slope_of([per_wave[i][key] for i in present], present, scale, cov)
            series.append(Series(key, points, last.get(key), slope))
    return Trends(measure, ordered, tiers, series, filters.weights)
