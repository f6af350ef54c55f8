from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from survey.cases.blueprint import bp
from survey.db import get_session
from survey.errors import ValidationFailed
from survey.models import utcnow
from survey.security import branch_scope, roles_required
from survey.services.followup import cases as followup_cases
from survey.services.followup import reports as followup_reports


@bp.get("/reports")
def reports():
    db = get_session()
    now = utcnow()
    scope = branch_scope(current_user)
    tables = {name: followup_reports.report(db, name, now, scope) for name in followup_reports.REPORTS}
    return render_template("cases/reports.html", t=tables)


@bp.get("/reports/<name>.csv")
def report_csv(name: str):
    if name not in followup_reports.REPORTS:
        abort(404)
    table = followup_reports.report(get_session(), name, utcnow(), branch_scope(current_user))
    return Response("\ufeff" + followup_reports.to_csv(table), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=followup-{name}.csv"})


@bp.route("/settings", methods=["GET", "POST"])
@roles_required("admin")
def settings():
    db = get_session()
    problems = {}
    if request.method == "POST":
        try:
            followup_cases.save_settings(db, root_causes_text=request.form.get("root_causes", ""),
                                         delay_hours=request.form.get("escalation_delay_hours", ""), actor=current_user)
            db.commit()
            flash(_("Follow-up settings saved."))
            return redirect(url_for("cases.settings"))
        except ValidationFailed as exc:
            db.rollback()
            problems = {f: _("Please check this field: %(why)s", why=why) for f, why in exc.problems}
        form = request.form
    else:
        form = {"root_causes": "\n".join(f"{c['code']} | {c['zh']} | {c['en']}" for c in followup_cases.root_causes(db)),
                "escalation_delay_hours": f"{followup_cases.escalation_delay_hours(db):g}"}
    return render_template("cases/settings.html", form=form, problems=problems), (422 if problems else 200)
