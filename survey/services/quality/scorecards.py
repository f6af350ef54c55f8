"""Key drivers (importance–performance) and fair scorecards for managers and branches."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

import analysis
from survey.models import Branch, Client, Wave
from survey.services.quality import data as quality_data
from survey.services.quality.data import Item
from survey.services.quality.reports import Figure, Filters, design_of, quiet

GROUPINGS = ("manager", "branch")
SORT_KEYS = ("label", "n", "estimate", "low", "high", "direct")


@dataclass(frozen=True)
class DriverRow:
    item: Item
    performance: Figure | None  # design-based mean (1-5) of the item, with interval
    importance: float  # Shapley share of R^2, in %
    correlation: float
    n: int


@dataclass(frozen=True)
class DriverReport:
    wave: Wave
    rows: list[DriverRow]
    r2: float
    n_complete: int  # respondents with every item and the overall answer (listwise)


def driver_report(session: Session, wave: Wave, filters: Filters = Filters()) -> DriverReport:
    """Each item's weighted mean (performance) against its share of R^2 in overall satisfaction (importance)."""
    items = quality_data.items_of(session, [wave.id])
    data = quality_data.load_responses(session, [wave.id], items=items)[wave.id]
    if data.n == 0 or not items:
        return DriverReport(wave, [], float("nan"), 0)
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
            res = analysis.drivers(x[inside][:, used], data.overall[inside], design.weights[inside],
                                   names=[items[j].code for j in used])
    pos = {j: k for k, j in enumerate(used)}
    rows = []
    for j, item in enumerate(items):
        p = perf[item.code]
        fig = Figure.of(p["in"], 1.0) if "in" in p and p["in"].n > 0 else None
        k = pos.get(j)
        ok = res is not None and k is not None
        rows.append(DriverRow(item, fig, float(res.share[k] * 100) if ok else float("nan"),
                              float(res.correlation[k]) if ok else float("nan"), int(res.n[k]) if ok else 0))
    z = np.column_stack([x[:, used], data.overall]) if used else data.overall[:, None]
    complete = int((~np.isnan(z)).all(1)[inside].sum())
    return DriverReport(wave, rows, float(res.r2) if res else float("nan"), complete)


@dataclass(frozen=True)
class ScoreRow:
    label: str
    name: str
    n: int
    direct: Figure
    estimate: float
    low: float
    high: float
    shrinkage: float


@dataclass(frozen=True)
class ScorecardReport:
    wave: Wave
    group: str
    rows: list[ScoreRow]
    target: float
    sort: str
    descending: bool


def _names(session: Session, group: str) -> dict[str, str]:
    if group == "branch":
        return dict(session.execute(select(Branch.code, Branch.name)).all())
    rows = session.execute(select(Client.manager_code, Client.manager_name).where(Client.manager_name.is_not(None))
                           .group_by(Client.manager_code, Client.manager_name)).all()
    return {code: name for code, name in rows}


def scorecard_report(session: Session, wave: Wave, group: str = "manager", filters: Filters = Filters(),
                     sort: str = "estimate", descending: bool = True) -> ScorecardReport:
    """Overall satisfaction per manager or branch: direct domain means and estimates shrunk toward the mean."""
    if group not in GROUPINGS:
        raise ValueError(f"group must be one of {GROUPINGS}, but got {group!r}")
    sort = sort if sort in SORT_KEYS else "estimate"
    data = quality_data.load_responses(session, [wave.id], items=[])[wave.id]
    inside = filters.mask(data) & ~np.isnan(data.overall)
    if data.n == 0 or not inside.any():
        return ScorecardReport(wave, group, [], float("nan"), sort, descending)
    # rows outside the filter (or without a manager/branch) belong to no group but stay in the design
    labels = np.where(inside, getattr(data, group), None).astype(object)
    y = np.where(inside, data.overall, np.nan)
    with quiet():
        card = analysis.scorecard(labels, y, design_of(data), missing="omit")
        low, high = card.ci(0.95)
    names = _names(session, group)
    rows = []
    for k, label in enumerate(card.labels.tolist()):
        if card.n[k] == 0:
            continue
        rows.append(ScoreRow(str(label), names.get(label, ""), int(card.n[k]), Figure.of(card.direct[label], 1.0),
                             float(card.estimate[k]), float(low[k]), float(high[k]), float(card.shrinkage[k])))
    key = {"label": lambda r: r.label, "n": lambda r: r.n, "estimate": lambda r: r.estimate,
           "low": lambda r: r.low, "high": lambda r: r.high, "direct": lambda r: r.direct.estimate}[sort]
    rows.sort(key=lambda r: (np.nan_to_num(key(r), nan=-np.inf) if sort != "label" else key(r)), reverse=descending)
    return ScorecardReport(wave, group, rows, float(card.target), sort, descending)
