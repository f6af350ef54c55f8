"""Quality pages: overview, trends, response rates, drivers, scorecards; each with a CSV download."""

from __future__ import annotations

import io
import re
from urllib.parse import quote

from flask import Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from survey.db import get_session
from survey.quality.blueprint import bp
from survey.quality.context import page_context
from survey.security import branch_scope
from survey.services import charts
from survey.services.quality import export as quality_export
from survey.services.quality import rates as quality_rates
from survey.services.quality import report, tables
from survey.services.quality import reports as quality_reports
from survey.services.quality import scorecards as quality_scorecards
from survey.services.quality import trends as quality_trends
from survey.services.quality.reports import MEASURES


@bp.context_processor
def _helpers():
    return {"mode_label": tables.mode_label}


def _page(template: str, ctx, tbls: list, csv_name: str, **extra):
    if request.args.get("format") == "csv":
        body = tables.to_csv(tbls)
        name = f"{csv_name}-{ctx.wave.name if ctx.wave else 'none'}.csv"
        return Response(body, mimetype="text/csv", headers=attachment(name))
    csv_url = url_for(request.endpoint, **{**request.args.to_dict(), "format": "csv"})
    return render_template(template, ctx=ctx, tables=tbls, csv_url=csv_url, **extra)


@bp.get("/")
def overview():
    db = get_session()
    ctx = page_context(db, request.args, branch=branch_scope(current_user))
    ov = quality_reports.overview(db, ctx.wave, ctx.filters) if ctx.wave else None
    return _page("quality/overview.html", ctx, tables.overview_tables(ov) if ov else [], "overview", ov=ov)


@bp.get("/trends")
def trends():
    db = get_session()
    ctx = page_context(db, request.args, branch=branch_scope(current_user))
    measure = request.args.get("measure", "mean")
    if measure not in MEASURES:
        abort(404)
    tr = quality_trends.trends(db, measure, ctx.filters)
    table = tables.trend_table(tr)
    chart = report.trend_chart(tr, table) if tr.series else ""
    panels = report.trend_chart(tr, table, id_prefix="narrow-", narrow=True) if tr.series else ""
    dropped = [(s.key, row[0].text) for s, row in zip(tr.series, table.rows, strict=True) if s.key in tr.dropped]
    return _page("quality/trends.html", ctx, [table], f"trends-{measure}", tr=tr, chart=chart, panels=panels, measure=measure,
                 dropped=dropped,
                 measures=[(m, tables.measure_title(m)) for m in MEASURES])


@bp.get("/response")
def response_rates():
    db = get_session()
    ctx = page_context(db, request.args, branch=branch_scope(current_user))
    by = request.args.get("by", "tier")
    if by not in quality_rates.BREAKDOWNS:
        abort(404)
    rep = quality_rates.response_report(db, ctx.wave, by, ctx.filters) if ctx.wave else None
    tbls = tables.rate_tables(rep, ctx.tiers) if rep else []
    return _page("quality/response.html", ctx, tbls, f"response-{by}", rep=rep, by=by)


@bp.get("/drivers")
def drivers():
    db = get_session()
    ctx = page_context(db, request.args, branch=branch_scope(current_user))
    rep = quality_scorecards.driver_report(db, ctx.wave, ctx.filters) if ctx.wave else None
    tbls = [tables.driver_table(rep)] if rep else []
    chart = panels = ""
    if rep and rep.rows:
        points = [(r.item.code, row[0].text, r.importance, r.performance.estimate if r.performance else float("nan"),
                   f"{row[2].text}; {row[1].text}") for r, row in zip(rep.rows, tbls[0].rows, strict=True)]
        chart, panels = (charts.driver_chart(
            key, _("Importance–performance grid"),
            _("Each service item placed by its importance (share of R², across) and its performance (mean 1–5, up). Dashed lines mark the averages. The table gives the same figures."),
            points, x_label=_("Importance: share of R², %"), y_label=_("Performance: mean 1–5"), narrow=narrow)
            for key, narrow in (("chart-drivers", False), ("chart-drivers-narrow", True)))
    return _page("quality/drivers.html", ctx, tbls, "drivers", rep=rep, chart=chart, panels=panels)


@bp.get("/scorecards")
def scorecards():
    db = get_session()
    ctx = page_context(db, request.args, branch=branch_scope(current_user))
    group = request.args.get("group", "manager")
    if group not in quality_scorecards.GROUPINGS:
        abort(404)
    sort = request.args.get("sort", "rank")
    descending = request.args.get("order", "desc") != "asc"
    rep = quality_scorecards.scorecard_report(db, ctx.wave, group, ctx.filters, sort, descending) if ctx.wave else None

    def sort_url(key):
        order = "asc" if key == sort and descending else "desc"
        return url_for("quality.scorecards", **{**request.args.to_dict(), "sort": key, "order": order})

    tbls = [tables.scorecard_table(rep, sort_url)] if rep else []
    return _page("quality/scorecards.html", ctx, tbls, f"scorecard-{group}", rep=rep, group=group)


@bp.get("/export/<fmt>")
def export(fmt: str):
    if fmt not in quality_export.FORMATS:
        abort(404)
    db = get_session()
    ctx = page_context(db, request.args, branch=branch_scope(current_user))
    if ctx.wave is None:
        abort(404)
    buf = io.BytesIO()
    # comments and contact requests can name people: only the quality role's exports carry them
    quality_export.export_wave(db, ctx.wave, fmt, buf, open_answers=current_user.role == "quality",
                               branch=ctx.filters.branch if branch_scope(current_user) else None)
    name = f"wave-{ctx.wave.name}.{fmt}"
    return Response(buf.getvalue(), mimetype=quality_export.MEDIA_TYPES[fmt],
                    headers=attachment(name))


def attachment(name: str) -> dict[str, str]:
    """A download header that survives non-ASCII wave names."""
    ascii_name = re.sub(r'[\x00-\x1f\x7f"\\?]', "_", name.encode("ascii", "replace").decode())
    return {"Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"}
