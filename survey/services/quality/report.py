"""The wave report: the overview, every trend and the service items as one self-contained HTML file (``survey report``)."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, render_template
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from survey.models import Wave
from survey.services import charts
from survey.services.quality import provisional as quality_provisional
from survey.services.quality import reports as quality_reports
from survey.services.quality import scorecards as quality_scorecards
from survey.services.quality import tables
from survey.services.quality import trends as quality_trends
from survey.services.quality.reports import MEASURES, Filters


def trend_chart(tr: quality_trends.Trends, table: tables.Table, id_prefix: str = "", narrow: bool = False) -> str:
    """The trend chart with the same figures (same rounding) as its table (``narrow``: small multiples)."""
    lines = []
    for s, row in zip(tr.series, table.rows, strict=True):
        pts = s.points
        lines.append(charts.Line(s.key, row[0].text, [p.estimate if p else None for p in pts],
                                 [p.low if p else None for p in pts], [p.high if p else None for p in pts],
                                 [c.text for c in row[1:1 + len(pts)]]))
    title = tables.measure_title(tr.measure)
    desc = _("Estimate per wave with its 95% interval band, for the bank and each tier. The table beside the chart gives the same figures.")
    hollow = [k for k, w in enumerate(tr.waves) if w in tr.provisional]
    return charts.trend_chart(f"chart-{id_prefix}{tr.measure}", title, desc, [tables.wave_heading(w) for w in tr.waves],
                              lines, y_label=title, id_prefix=id_prefix, hollow=hollow, narrow=narrow)


def render_report(session: Session, wave: Wave) -> str:
    """Overview tables of ``wave`` and a chart plus table per measure over the waves up to it (needs a request context)."""
    ov = quality_reports.overview(session, wave, Filters())
    shown = [w for w in quality_reports.waves_in_order(session) if (w.period_start, w.id) <= (wave.period_start, wave.id)]
    upto = [w.id for w in shown]
    sections = []
    for m in MEASURES:
        tr = quality_trends.trends(session, m, Filters(), wave_ids=upto)
        table = tables.trend_table(tr)
        sections.append((table, trend_chart(tr, table, id_prefix=f"{m}-") if tr.series else ""))
    drivers = quality_scorecards.driver_report(session, wave, Filters())
    css = (Path(current_app.static_folder) / "app.css").read_text(encoding="utf-8")
    return render_template("quality/report.html", wave=wave, ov=ov, overview=tables.overview_tables(ov),
                           sections=sections, css=css, mode_label=tables.mode_label,
                           items=tables.driver_table(drivers) if drivers.rows else None,
                           field=quality_provisional.in_field(session, shown))
