"""The quality pages' tables, built once and used for the HTML page, the CSV download and the report.

A table holds the figures already formatted, so the page, the chart's
``data-values`` and the CSV all print the same rounding.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from flask_babel import gettext as _

from survey.i18n import localized
from survey.labels import mode_label
from survey.services.quality.rates import GROUPS, RATES, ResponseReport, fmt_rate
from survey.services.quality.reports import ALL, MEASURES, Change, Figure, Overview, fmt
from survey.services.quality.scorecards import DriverReport, ScorecardReport
from survey.services.quality.trends import Trends
from survey.services.spreadsheet import neutral, neutral_row


@dataclass(frozen=True)
class Cell:
    text: str
    sub: str | None = None  # a second line: the 95% interval
    cls: str = ""
    # the CSV's plain numbers: (value,) or (estimate, low, high); None: the text as it is ("—" becomes empty)
    csv: tuple[str, ...] | None = None


def plain(measure: str, value: float | None) -> str:
    """A figure at the page's rounding, for the CSV: no sign, no separator, empty when undefined."""
    text = fmt(measure, value)
    return "" if text == "—" else text


def figure_cell(measure: str, f: Figure | Change | None, text: str | None = None) -> Cell:
    """An estimate (or a change) with its interval below; the CSV gets estimate, low and high apart."""
    if f is None:
        return Cell("—", cls="num")
    value = f.estimate if isinstance(f, Figure) else f.diff
    return Cell(text or fmt(measure, value), interval(measure, f), "num",
                (plain(measure, value), plain(measure, f.low), plain(measure, f.high)))


@dataclass
class Table:
    key: str
    caption: str
    columns: list[tuple[str, bool]]  # (label, numeric); the first column is the row header
    rows: list[list[Cell]] = field(default_factory=list)
    sort_links: dict[int, str] = field(default_factory=dict)  # column index -> sort URL
    sorted: tuple[int, str] | None = None  # (column index, "ascending" | "descending")


def measure_title(measure: str) -> str:
    return {"mean": _("Overall satisfaction (mean, 1–5)"), "top2": _("Top-two-box share (4 or 5), %"),
            "nps": _("Net Promoter Score")}[measure]


def tier_label(tiers, key: str) -> str:
    if key == ALL:
        return _("Bank (all tiers)")
    info = next((t for t in tiers if t.code == key), None)
    return localized(info, "name") if info else key


def interval(measure: str, f: Figure | Change | None) -> str | None:
    if f is None:
        return None
    if f.low != f.low and f.high != f.high:  # no SE (e.g. a tier with one respondent)
        return "—"
    return f"[{fmt(measure, f.low)}, {fmt(measure, f.high)}]"


def p_text(p: float) -> str:
    return "—" if p != p else ("<0.001" if p < 0.001 else f"{p:.3f}")


def change_cells(measure: str, ch: Change | None) -> list[Cell]:
    if ch is None:
        return [Cell("—", cls="num"), Cell("—", cls="num"), Cell("")]
    sign = "+" if ch.diff > 0 else ""
    mark = ""
    if ch.significant:
        mark = ("▼ " + _("Significant drop")) if ch.diff < 0 else ("▲ " + _("Significant rise"))
    p = ch.p_adjusted
    return [figure_cell(measure, ch, sign + fmt(measure, ch.diff)),
            Cell(p_text(p), cls="num", csv=("" if p != p else f"{p:.4g}",)),
            Cell(mark, cls="sig" if mark else "")]


def overview_tables(ov: Overview) -> list[Table]:
    tables = []
    for m in MEASURES:
        t = Table(f"overview-{m}", measure_title(m), [
            (_("Tier"), False), (_("Respondents"), True), (_("Clients (N_h)"), True), (_("Estimate"), True),
            (_("Change from previous wave (unadjusted 95% interval)"), True), (_("p-value (tiers: Holm-adjusted)"), True),
            (_("Significant change"), False)])
        for row in ov.rows:
            pop = row.population
            clients = Cell("—", cls="num") if pop is None else Cell(f"{pop:,.0f}", cls="num", csv=(f"{pop:.0f}",))
            t.rows.append([Cell(tier_label(ov.tiers, row.key)), Cell(str(row.respondents), cls="num"),
                           clients, figure_cell(m, row.figures[m]),
                           *change_cells(m, row.changes[m])])
        tables.append(t)
    return tables


def trend_table(tr: Trends) -> Table:
    m = tr.measure
    waves = [(wave_heading(w), True) for w in tr.waves]
    t = Table(f"trend-{m}", measure_title(m), [(_("Tier"), False)] + waves
              + [(_("Change in the latest wave (unadjusted 95% interval)"), True), (_("p-value (tiers: Holm-adjusted)"), True),
                 (_("Significant change"), False), (_("Trend per wave"), True), (_("p-value of the trend"), True),
                 (_("Trend SE from"), False)])
    for s in tr.series:
        cells = [figure_cell(m, p) for p in s.points]
        if s.slope is None:
            trend = [Cell("—", cls="num"), Cell("—", cls="num"), Cell("—")]
        else:
            sl = s.slope
            trend = [Cell(f"{sl.estimate:+.2f}", f"[{sl.low:+.2f}, {sl.high:+.2f}]", "num",
                          tuple("" if v != v else f"{v:.2f}" for v in (sl.estimate, sl.low, sl.high))),
                     Cell(f"{sl.pvalue:.3f}", cls="num"), Cell(slope_basis(sl.scale))]
        t.rows.append([Cell(tier_label(tr.tiers, s.key)), *cells, *change_cells(m, s.change), *trend])
    return t


def wave_heading(wave) -> str:
    """A wave's column heading; a wave still in the field is marked provisional."""
    return _("%(wave)s (provisional)", wave=wave.name) if wave.status == "in_field" else wave.name


def slope_basis(scale: str) -> str:
    return _("sampling variances") if scale == "known" else _("residual scatter (larger)")


def rate_tables(rep: ResponseReport, tiers) -> list[Table]:
    head = {"tier": _("Tier"), "mode": _("Contact mode"), "interviewer": _("Interviewer")}[rep.by]

    def label(key):
        if key == ALL:
            return _("Whole wave")
        if rep.by == "tier":
            return tier_label(tiers, key)
        return mode_label(key) if rep.by == "mode" else key

    counts = Table("response-counts", _("Cases by AAPOR outcome group"),
                   [(head, False), (_("Cases"), True), (_("Still open (as 3.11)"), True)] + [(g, True) for g in GROUPS])
    rates = Table("response-rates", _("AAPOR rates, %"), [(head, False)] + [(r, True) for r in RATES])
    for row in rep.rows:
        counts.rows.append([Cell(label(row.key)), Cell(str(row.cases), cls="num"), Cell(str(row.open), cls="num")]
                           + [Cell(str(row.counts[g]), cls="num") for g in GROUPS])
        rates.rows.append([Cell(label(row.key))] + [Cell(fmt_rate(row.rates[r]), cls="num") for r in RATES])
    return [counts, rates]


def driver_table(rep: DriverReport) -> Table:
    t = Table("drivers", _("Importance and performance of service items"), [
        (_("Item"), False), (_("Performance: mean 1–5 (95% interval)"), True), (_("Respondents who rated the item"), True),
        (_("Importance: share of R², % (bootstrap 95% interval)"), True),
        (_("Correlation with overall satisfaction"), True), (_("Respondents who rated the item and overall"), True),
        (_("Not applicable: share of those who answered the item"), True)])
    for r in rep.rows:
        perf = r.performance
        ci = None if r.low != r.low else f"[{fmt('top2', r.low)}, {fmt('top2', r.high)}]"
        t.rows.append([Cell(localized(r.item, "text")), figure_cell("mean", perf),
                       Cell(str(perf.n) if perf else "0", cls="num"),
                       Cell(fmt("top2", r.importance), ci, "num",
                            (plain("top2", r.importance), plain("top2", r.low), plain("top2", r.high))),
                       Cell(fmt("mean", r.correlation), cls="num"),
                       Cell(str(r.n), cls="num"),
                       Cell("—") if r.na_share != r.na_share else
                       Cell(f"{r.na_share:.0%}", f"n = {r.not_applicable}", "num", (f"{r.na_share:.4f}",))])
    return t


def scorecard_table(rep: ScorecardReport, sort_url) -> Table:
    head = _("Relationship manager") if rep.group == "manager" else _("Branch")
    t = Table(f"scorecard-{rep.group}", _("Overall satisfaction (mean, 1–5) with 95% intervals"), [
        (head, False), (_("Respondents"), True), (_("Shrunken estimate"), True), (_("Lower bound"), True),
        (_("Upper bound"), True), (_("Direct estimate (95% interval)"), True), (_("Shrinkage toward the mean"), True),
        (_("Rank"), True), (_("Compared with the mean"), False)])
    keys = ("label", "n", "estimate", "low", "high", "direct", None, "rank")
    t.sort_links = {i: sort_url(k) for i, k in enumerate(keys) if k}
    t.sorted = (keys.index(rep.sort), "descending" if rep.descending else "ascending")
    bands = {"above": _("Above the mean"), "within": _("Not distinguishable from the mean"),
             "below": _("Below the mean"), "": _("Too few to rank")}
    for r in rep.rows:
        name = f"{r.label} {r.name}".strip()
        t.rows.append([Cell(name), Cell(str(r.n), cls="num"), Cell(fmt("mean", r.estimate), cls="num"),
                       Cell(fmt("mean", r.low), cls="num"), Cell(fmt("mean", r.high), cls="num"),
                       figure_cell("mean", r.direct),
                       Cell(fmt("mean", r.shrinkage), cls="num"), Cell(str(r.rank) if r.rank else "—", cls="num"),
                       Cell(bands[r.band], cls=f"band-{r.band or 'unranked'}")])
    return t


def _csv_values(cell: Cell, width: int) -> list[str]:
    values = list(cell.csv) if cell.csv is not None else ["" if cell.text == "—" else cell.text]
    return (values + [""] * width)[:width]


def to_csv(tables: list[Table]) -> str:
    """Tables as CSV: one block per table (its caption, header, rows), one number per cell.

    Numbers carry no sign, separator or unit; an estimate's 95% interval has a column for
    its low and one for its high end; an undefined figure is an empty cell.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    for k, t in enumerate(tables):
        if k:
            writer.writerow([])
        writer.writerow([neutral(t.caption)])
        width = [3 if any(row[i].sub for row in t.rows) else 1 for i in range(len(t.columns))]
        header = []
        for (label, _num), w in zip(t.columns, width, strict=True):
            header += [label, f"{label} — {_('95% interval, low')}", f"{label} — {_('95% interval, high')}"][:w]
        writer.writerow(neutral_row(header))
        for row in t.rows:
            writer.writerow(neutral_row(v for cell, w in zip(row, width, strict=True) for v in _csv_values(cell, w)))
    return "\ufeff" + out.getvalue()
