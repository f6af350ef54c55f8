"""Wave overview: design-based estimates with intervals, and tested changes (trends are in quality.trends).

Every figure comes from :mod:`analysis` on arrays loaded by :mod:`quality_data`:
a stratified design per wave (strata = tiers, weights N_h/r_h), filters applied
as domains inside the design, changes between waves by ``analysis.compare`` and
Holm-adjusted across tiers.
"""

from __future__ import annotations

import threading
import warnings
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

import analysis
from survey.models import Invitation, Response, Wave
from survey.services.quality import cache as quality_cache
from survey.services.quality import data as quality_data
from survey.services.quality import overlap as quality_overlap
from survey.services.quality import weights as quality_weights
from survey.services.quality.data import WaveData

ALL = "all"  # the key of the bank-wide row
ALPHA = 0.05
# measure -> (analysis estimator, display scale, decimals)
MEASURES = {"mean": ("mean", 1.0, 2), "top2": ("proportion", 100.0, 1), "nps": ("nps", 1.0, 1)}


@contextmanager
def quiet() -> Iterator[None]:
    """Thin data (a tier of one, an empty domain) gives nan, shown as "—"; its warning is not news here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", analysis.DegenerateDataWarning)
        with np.errstate(all="ignore"):
            yield


def fmt(measure: str, value: float | None) -> str:
    """A figure as the pages, the charts and the CSV files print it; undefined is "—"."""
    if value is None or not np.isfinite(value):
        return "—"
    return f"{value:.{MEASURES[measure][2]}f}"


@dataclass(frozen=True)
class Filters:
    """GET filters; ``tier``, ``branch`` and ``mode`` restrict the domain, never the design.

    ``weights`` chooses the weights: ``"design"`` (N_h / r_h) or ``"raked"`` (see quality.weights).
    """

    tier: str | None = None
    branch: str | None = None
    mode: str | None = None
    weights: str = "design"

    @classmethod
    def from_args(cls, args, default_weights: str = "design") -> Filters:
        weights = (args.get("weights") or "").strip() or default_weights
        return cls(*((args.get(k) or "").strip() or None for k in ("tier", "branch", "mode")),
                   weights=weights if weights in quality_weights.WEIGHTINGS else "design")

    def mask(self, data) -> np.ndarray:
        keep = np.ones(data.tier.shape[0], dtype=bool)
        for name in ("tier", "branch", "mode"):
            value = getattr(self, name)
            if value is not None:
                keep &= getattr(data, name) == value
        return keep

    def as_args(self) -> dict[str, str]:
        args = {k: v for k, v in (("tier", self.tier), ("branch", self.branch), ("mode", self.mode)) if v}
        return {**args, "weights": self.weights} if self.weights != "design" else args

    @property
    def restricts(self) -> bool:
        """Whether the view is a domain smaller than the whole wave."""
        return any((self.tier, self.branch, self.mode))


def load(session: Session, wave_ids, filters: Filters, items=(), wave_stamps: dict | None = None) -> dict[int, WaveData]:
    """The waves' respondents with the weights ``filters.weights`` asks for (raked: one more select).

    Each wave's arrays are remembered while its data are unchanged (see quality.cache); ``wave_stamps``
    (from ``quality_cache.stamps``) saves reading the stamps again.
    """
    wave_ids, items = [int(w) for w in wave_ids], tuple(items)
    if not wave_ids:
        return {}
    wave_stamps = wave_stamps or quality_cache.stamps(session, wave_ids)
    return {w: quality_cache.remember(session, ("wave_data", w, filters.weights, items), wave_stamps[w],
                                      lambda w=w: _load_one(session, w, filters.weights, items))
            for w in wave_ids}


def _load_one(session: Session, wave_id: int, weights: str, items: tuple) -> WaveData:
    data = quality_data.load_responses(session, [wave_id], items=list(items))[wave_id]
    if weights == "raked" and data.n:
        counts = quality_cache.remembered(session, ("file_counts",), (), lambda: quality_weights.file_counts(session))
        data = replace(data, raking=quality_weights.raked(data, counts))
    return quality_data.read_only(data)


@dataclass(frozen=True)
class Figure:
    """One estimate on the display scale (top-two-box in %), its 95% interval and respondents."""

    estimate: float
    se: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, est: analysis.Estimate, scale: float) -> Figure:
        low, high = est.ci(0.95)
        return cls(est.estimate * scale, est.se * scale, low * scale, high * scale, est.n)


@dataclass(frozen=True)
class Change:
    """Latest minus previous wave; ``significant`` uses the Holm-adjusted p for tiers, p for the bank."""

    diff: float
    se: float
    low: float
    high: float
    pvalue: float
    p_adjusted: float
    significant: bool

    @property
    def drop(self) -> bool:
        return self.significant and self.diff < 0


_designs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # WaveData -> {single_unit_stratum: design}
_designs_lock = threading.Lock()


def design_of(data: WaveData, single_unit_stratum: str = "nan") -> analysis.StratifiedDesign:
    """The wave's stratified design: strata = tiers, N_h from the draw (or the client file), weights N_h/r_h,
    or the raked weights with their calibration variables when the data carry a raking.

    Built once per ``data`` object (kept while it lives): the trends pair one wave with every other."""
    with _designs_lock:
        found = _designs.get(data, {}).get(single_unit_stratum)
    if found is None:
        found = _design_of(data, single_unit_stratum)
        with _designs_lock:
            found = _designs.setdefault(data, {}).setdefault(single_unit_stratum, found)
    return found


def _design_of(data: WaveData, single_unit_stratum: str) -> analysis.StratifiedDesign:
    present = set(data.tier.tolist())
    sizes = {t: n for t, n in data.population.items() if t in present}
    if data.raking is not None:
        return analysis.StratifiedDesign(data.tier, sizes, data.raking.weights, calibration=data.raking.matrix,
                                         single_unit_stratum=single_unit_stratum)
    return analysis.StratifiedDesign(data.tier, sizes, single_unit_stratum=single_unit_stratum)


def measure_values(data, measure: str) -> np.ndarray:
    """The variable a measure averages: overall 1-5, top-two-box flag (4 or 5), or the 0-10 score."""
    if measure == "mean":
        return data.overall
    if measure == "top2":
        return np.where(np.isnan(data.overall), np.nan, (data.overall >= 4).astype(float))
    return data.nps


def domain_estimates(data: WaveData, filters: Filters, measure: str) -> dict[str, analysis.Estimate]:
    """``{"all": bank, tier: ...}`` for the filtered domain, estimated inside the wave's design."""
    if data.n == 0:
        return {}
    kind = MEASURES[measure][0]
    design = design_of(data)
    # the bank row approximates a single-respondent tier's variance (R's lonely.psu "adjust"); the
    # tier itself has none, so its row (and a bank row filtered to it) keeps "—"
    bank = design_of(data, "adjust") if filters.tier is None else design
    inside = filters.mask(data)
    y = measure_values(data, measure)
    out = {}
    with quiet():
        for d, labels in ((bank, np.where(inside, ALL, None)), (design, np.where(inside, data.tier, None))):
            if not inside.any():
                break
            res = getattr(d.by(labels.astype(object), missing="omit"), kind)(y, missing="omit")
            out.update({str(k): res[k] for k in res if res[k].n > 0})
    return out


def changes(before: dict, after: dict, keys: list[str], scale: float,
            covariance: dict[str, float] | None = None) -> dict[str, Change]:
    """Tested differences per key; tier p-values Holm-adjusted together, the bank row on its own.

    ``covariance`` (per key) comes from the respondents both waves share (see quality.overlap);
    without it the waves are treated as independent.
    """
    raw = {}
    with quiet():
        for key in keys:
            if key in before and key in after:
                raw[key] = analysis.compare(before[key], after[key], covariance=(covariance or {}).get(key))
        tiers = [k for k in raw if k != ALL]
        adjusted = dict(zip(tiers, analysis.adjust_pvalues([raw[k].pvalue for k in tiers]), strict=True)) if tiers else {}
    out = {}
    for key, c in raw.items():
        p_adj = float(adjusted.get(key, c.pvalue))
        low, high = c.ci(0.95)
        out[key] = Change(c.estimate * scale, c.se * scale, low * scale, high * scale, float(c.pvalue), p_adj,
                          bool(np.isfinite(p_adj) and p_adj < ALPHA))
    return out


def shared_with(old: WaveData | None, new: WaveData, filters: Filters, measure: str) -> quality_overlap.Shared:
    """Covariances of two waves' estimates of ``measure`` from the clients both have (empty without ``old``)."""
    if old is None or old.n == 0 or new.n == 0:
        return quality_overlap.Shared({}, {})
    return quality_overlap.shared(old, new, (design_of(old), design_of(new)),
                                  (measure_values(old, measure), measure_values(new, measure)),
                                  (filters.mask(old), filters.mask(new)), MEASURES[measure][0])


@dataclass(frozen=True)
class TierInfo:
    code: str
    name_zh: str
    name_en: str


def tiers_of(wave: Wave) -> list[TierInfo]:
    return [TierInfo(t.code, t.name_zh, t.name_en) for t in wave.tier_scheme.tiers]


@dataclass(frozen=True)
class OverviewRow:
    key: str
    respondents: int
    population: float | None
    figures: dict[str, Figure | None]
    changes: dict[str, Change | None]


@dataclass(frozen=True)
class Overview:
    wave: Wave
    previous: Wave | None
    tiers: list[TierInfo]
    rows: list[OverviewRow]
    population_source: str
    lonely: list[str] = field(default_factory=list)  # single-respondent tiers: no SE; approximated in the bank row
    in_common: dict[str, int] = field(default_factory=dict)  # respondents of both waves, per key (mean measure)
    weights: str = "design"

    @property
    def provisional(self) -> bool:
        """The wave is still in the field: its figures will change."""
        return self.wave.status == "in_field"


def waves_in_order(session: Session) -> list[Wave]:
    """Every wave, oldest first."""
    return list(session.scalars(select(Wave).order_by(Wave.period_start, Wave.id)))


def previous_wave(session: Session, wave: Wave) -> Wave | None:
    """The latest earlier wave that has respondents (a draft or unsampled wave is skipped).

    One indexed probe per earlier wave, newest first, until one has a sample response.
    """
    earlier = [w for w in waves_in_order(session) if (w.period_start, w.id) < (wave.period_start, wave.id)]
    for w in reversed(earlier):
        probe = (select(Response.id).join(Invitation, Invitation.id == Response.invitation_id)
                 .where(Response.wave_id == w.id, Invitation.kind == "sample").limit(1))
        if session.scalar(probe) is not None:
            return w
    return None


def overview(session: Session, wave: Wave, filters: Filters = Filters()) -> Overview:
    """Mean, top-two-box and NPS for the bank and each tier, with the change from the previous wave.

    Remembered while the two waves' data are unchanged (see quality.cache).
    """
    prev = previous_wave(session, wave)
    ids = [wave.id] + ([prev.id] if prev else [])
    ov = quality_cache.remembered(session, ("overview", wave.id, prev.id if prev else None, filters), ids,
                                  lambda: _overview(session, wave, prev, filters))
    return replace(ov, wave=wave, previous=prev)


def _overview(session: Session, wave: Wave, prev: Wave | None, filters: Filters) -> Overview:
    data = load(session, [wave.id] + ([prev.id] if prev else []), filters)
    cur, old = data[wave.id], data.get(prev.id) if prev else None
    tiers = tiers_of(wave)
    keys = [ALL] + [t.code for t in tiers]
    keys += sorted(set(cur.tier.tolist()) - set(keys))
    est_now = {m: domain_estimates(cur, filters, m) for m in MEASURES}
    est_then = {m: domain_estimates(old, filters, m) for m in MEASURES} if old is not None else {m: {} for m in MEASURES}
    shared = {m: shared_with(old, cur, filters, m) for m in MEASURES}
    diffs = {m: changes(est_then[m], est_now[m], keys, MEASURES[m][1], shared[m].covariance) for m in MEASURES}
    inside = filters.mask(cur)
    rows = []
    for key in keys:
        if all(key not in est_now[m] and key not in est_then[m] for m in MEASURES):
            continue
        in_key = inside if key == ALL else inside & (cur.tier == key)
        population = sum(cur.population.values()) if key == ALL else cur.population.get(key)
        rows.append(OverviewRow(
            key, int(in_key.sum()), population if not filters.as_args() or key != ALL else None,
            {m: Figure.of(est_now[m][key], MEASURES[m][1]) if key in est_now[m] else None for m in MEASURES},
            {m: diffs[m].get(key) for m in MEASURES},
        ))
    lonely = [t for t, r in cur.respondents_per_tier().items() if r == 1 and cur.population.get(t, 0) > 1]
    return Overview(wave, prev, tiers, rows, cur.population_source, lonely, shared["mean"].matched, filters.weights)
