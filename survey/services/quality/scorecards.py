"""Key drivers (importance–performance) and fair scorecards for managers and branches."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

import analysis
from survey.models import Branch, Client, Response, Wave
from survey.services.quality import cache as quality_cache
from survey.services.quality import data as quality_data
from survey.services.quality.data import Item
from survey.services.quality.reports import Figure, Filters, design_of, load, quiet
from survey.services.waves import wave_settings

GROUPINGS = ("manager", "branch")
SORT_KEYS = ("rank", "label", "n", "estimate", "low", "high", "direct")
SCALE = (1.0, 5.0)  # overall satisfaction; intervals are clipped to it
MIN_RESPONDENTS = 10  # default of the wave setting scorecard_min_respondents
REPLICATES = 200  # bootstrap replicates of the driver importance intervals
SEED = 20261201  # their seed: the same data give the same intervals


@dataclass(frozen=True)
class DriverRow:
    item: Item
    performance: Figure | None  # design-based mean (1-5) of the item, with interval; .n its respondents
    importance: float  # Shapley share of R^2, in %
    low: float  # bootstrap 95% interval of the share, in %
    high: float
    correlation: float
    n: int  # respondents who rated the item and overall satisfaction (the importance's pairwise count)
    not_applicable: int = 0  # respondents who answered "not applicable" (left out of the mean)
    rated: int = 0  # respondents who rated the item on its scale

    @property
    def na_share(self) -> float:
        """Share of "not applicable" among those who answered the item (NaN when nobody did)."""
        asked = self.not_applicable + self.rated
        return self.not_applicable / asked if asked else float("nan")


@dataclass(frozen=True)
class DriverReport:
    wave: Wave
    rows: list[DriverRow]
    r2: float
    n_complete: int  # respondents with every item and the overall answer (for reference)
    n_overall: int = 0  # respondents in the view who rated overall satisfaction
    replicates: int = REPLICATES
    seed: int = SEED
    weights: str = "design"


def driver_report(session: Session, wave: Wave, filters: Filters = Filters()) -> DriverReport:
    """Each item's weighted mean (performance) against its share of R^2 in overall satisfaction (importance).

    Missing answers: pairwise (each correlation on the respondents who rated both; the matrix made
    positive semi-definite).  Importance intervals: ``REPLICATES`` bootstrap replicates resampled
    within tiers, seed ``SEED``.  Remembered while the wave's data are unchanged (see quality.cache).
    """
    rep = quality_cache.remembered(session, ("drivers", wave.id, filters), [wave.id],
                                   lambda: _driver_report(session, wave, filters))
    return replace(rep, wave=wave)


def _driver_report(session: Session, wave: Wave, filters: Filters) -> DriverReport:
    items = quality_data.items_of(session, [wave.id])
    data = load(session, [wave.id], filters, items)[wave.id]
    if data.n == 0 or not items:
        return DriverReport(wave, [], float("nan"), 0, 0, weights=filters.weights)
    design = design_of(data)
    inside = filters.mask(data)
    labels = np.where(inside, "in", None).astype(object)
    x = np.column_stack([data.items[i.code] for i in items])
    # items nobody in the domain rated (not asked in this questionnaire) stay out of the regression
    used = [j for j in range(len(items)) if (~np.isnan(x[inside, j])).any()]
    res = None
    with quiet():
        perf = {i.code: design.by(labels, missing="omit").mean(data.items[i.code], missing="omit") for i in items}
        if inside.sum() >= 3 and used:
            res = analysis.driver_intervals(x[inside][:, used], data.overall[inside], design.weights[inside],
                                            data.tier[inside].astype(str), names=[items[j].code for j in used],
                                            replicates=REPLICATES, seed=SEED, missing="pairwise")
            counts = ((~np.isnan(x[inside][:, used])) & ~np.isnan(data.overall[inside])[:, None]).sum(0)
            r2 = analysis.drivers(x[inside][:, used], data.overall[inside], design.weights[inside],
                                  missing="pairwise")
    pos = {j: k for k, j in enumerate(used)}
    na = quality_data.not_applicable(session, [wave.id])
    rows = []
    nan = float("nan")
    for j, item in enumerate(items):
        p = perf[item.code]
        fig = Figure.of(p["in"], 1.0) if "in" in p and p["in"].n > 0 else None
        k = pos.get(j)
        ok = res is not None and k is not None
        rows.append(DriverRow(item, fig, float(res.share[k] * 100) if ok else nan,
                              float(res.low[k] * 100) if ok else nan, float(res.high[k] * 100) if ok else nan,
                              float(r2.correlation[k]) if ok else nan, int(counts[k]) if ok else 0,
                              int((inside & np.isin(data.response_id, list(na.get(item.code, ())))).sum()),
                              int((inside & ~np.isnan(x[:, j])).sum())))
    z = np.column_stack([x[:, used], data.overall]) if used else data.overall[:, None]
    complete = int((~np.isnan(z)).all(1)[inside].sum())
    n_overall = int((inside & ~np.isnan(data.overall)).sum())
    return DriverReport(wave, rows, float(r2.r2) if res else nan, complete, n_overall, weights=filters.weights)


@dataclass(frozen=True)
class ScoreRow:
    label: str
    name: str
    n: int
    direct: Figure  # interval clipped to the scale
    estimate: float
    low: float
    high: float
    shrinkage: float
    rank: int  # 0: too few respondents to rank
    band: str  # "above", "within", "below" the target; "" when not ranked


@dataclass(frozen=True)
class ScorecardReport:
    wave: Wave
    group: str
    rows: list[ScoreRow]
    target: float  # the mean of the view's respondents, which every estimate is shrunk toward
    sort: str
    descending: bool
    min_n: int = MIN_RESPONDENTS
    prior: analysis.ScorecardPrior | None = None
    weights: str = "design"


def _names(session: Session, wave: Wave, group: str) -> dict[str, str]:
    """Branch names, or the names of the managers of the wave's respondents (not a scan of the client file)."""
    if group == "branch":
        return dict(session.execute(select(Branch.code, Branch.name)).all())
    rows = session.execute(select(Client.manager_code, Client.manager_name).distinct()
                           .join(Response, Response.client_id == Client.id)
                           .where(Response.wave_id == wave.id, Client.manager_name.is_not(None))).all()
    return {code: name for code, name in sorted(rows)}


def _clipped(f: Figure) -> Figure:
    return replace(f, low=float(np.clip(f.low, *SCALE)), high=float(np.clip(f.high, *SCALE)))


def _sorted(rows: list[ScoreRow], sort: str, descending: bool) -> list[ScoreRow]:
    """Rows by ``sort``; for rank and estimate columns the groups too small to rank always come last."""
    key = {"label": lambda r: r.label, "n": lambda r: r.n, "estimate": lambda r: r.estimate,
           "low": lambda r: r.low, "high": lambda r: r.high, "direct": lambda r: r.direct.estimate,
           "rank": lambda r: -r.rank}[sort]
    out = sorted(rows, key=lambda r: (np.nan_to_num(key(r), nan=-np.inf) if sort != "label" else key(r)),
                 reverse=descending)
    if sort in ("label", "n"):
        return out
    return [r for r in out if r.rank] + [r for r in out if not r.rank]


def scorecard_report(session: Session, wave: Wave, group: str = "manager", filters: Filters = Filters(),
                     sort: str = "rank", descending: bool = True) -> ScorecardReport:
    """Overall satisfaction per manager or branch, shrunk toward the view's mean, ranked from ``min_n`` respondents."""
    if group not in GROUPINGS:
        raise ValueError(f"group must be one of {GROUPINGS}, but got {group!r}")

    def compute() -> ScorecardReport:
        data = load(session, [wave.id], filters)[wave.id]
        return build_scorecard(data, wave, group, filters, _names(session, wave, group), sort, descending)

    rep = quality_cache.remembered(session, ("scorecard", wave.id, group, filters, sort, descending), [wave.id], compute)
    return replace(rep, wave=wave)


def build_scorecard(data, wave: Wave, group: str, filters: Filters, names: dict[str, str], sort: str = "rank",
                    descending: bool = True) -> ScorecardReport:
    """The scorecard of one view of a loaded wave.

    The between-group variance and the pooled within-group variance are fitted once per wave and kind
    of group on every respondent (``analysis.scorecard_prior``), never inside the filtered view.
    """
    sort = sort if sort in SORT_KEYS else "rank"
    min_n = int(wave_settings(wave).get("scorecard_min_respondents", MIN_RESPONDENTS))
    inside = filters.mask(data) & ~np.isnan(data.overall)
    if data.n == 0 or not inside.any():
        return ScorecardReport(wave, group, [], float("nan"), sort, descending, min_n, None, filters.weights)
    design = design_of(data)
    everyone = getattr(data, group).astype(object)
    # rows outside the filter (or without a manager/branch) belong to no group but stay in the design
    labels = np.where(inside, everyone, None).astype(object)
    y = np.where(inside, data.overall, np.nan)
    with quiet():
        prior = analysis.scorecard_prior(everyone, data.overall, design, missing="omit")
        card = analysis.scorecard(labels, y, design, missing="omit", prior=prior, bounds=SCALE, min_n=min_n)
        low, high = card.ci(0.95)
        bands = card.bands(0.95)
    rows = []
    for k, label in enumerate(card.labels.tolist()):
        if card.n[k] == 0:
            continue
        rows.append(ScoreRow(str(label), names.get(label, ""), int(card.n[k]), _clipped(Figure.of(card.direct[label], 1.0)),
                             float(card.estimate[k]), float(low[k]), float(high[k]), float(card.shrinkage[k]),
                             int(card.rank[k]), str(bands[k])))
    return ScorecardReport(wave, group, _sorted(rows, sort, descending), float(card.target), sort, descending, min_n,
                           prior, filters.weights)
