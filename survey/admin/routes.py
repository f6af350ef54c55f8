import tempfile
from decimal import Decimal
from pathlib import Path

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.utils import secure_filename

from survey.admin.blueprint import bp
from survey.db import get_session
from survey.errors import ImportRejected, ValidationFailed
from survey.models import Client, StaffUser
from survey.services import client_import, tiers


@bp.get("/")
def index():
    db = get_session()
    counts = dict(db.execute(select(Client.tier_code, func.count()).group_by(Client.tier_code)).all())
    scheme = tiers.ensure_default_scheme(db)
    db.commit()
    return render_template("admin/index.html", counts=counts, scheme=scheme,
                           users=db.scalars(select(StaffUser).order_by(StaffUser.role, StaffUser.username)).all())


@bp.route("/import", methods=["GET", "POST"])
def import_clients():
    result, problems, error = None, [], None
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            error = _("Choose a CSV file to import.")
        else:
            db = get_session()
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / (secure_filename(upload.filename) or "upload.csv")  # never the sent name as a path
                upload.save(path)
                try:
                    result = client_import.import_clients(db, path, actor=current_user)
                    db.commit()
                except ImportRejected as exc:
                    db.rollback()
                    error, problems = str(exc), exc.problems
    return render_template("admin/import.html", result=result, problems=problems, error=error), (422 if error else 200)


@bp.route("/tiers", methods=["GET", "POST"])
def tier_scheme():
    db = get_session()
    scheme = tiers.ensure_default_scheme(db)
    error = None
    if request.method == "POST":
        rows = []
        for i, t in enumerate(scheme.tiers):
            rows.append(dict(
                code=t.code, name_zh=request.form.get(f"name_zh_{i}", t.name_zh), name_en=request.form.get(f"name_en_{i}", t.name_en),
                min_contribution=request.form.get(f"min_{i}", "").strip() or t.min_contribution,
                default_mode=request.form.get(f"mode_{i}", t.default_mode),
                followup_sla_hours=request.form.get(f"sla_{i}", t.followup_sla_hours),
            ))
        try:
            new = tiers.save_scheme(db, scheme.name, rows, actor=current_user)
            if request.form.get("retier"):
                tiers.retier_all(db, new)
            db.commit()
            flash(_("Tier scheme saved as version %(v)s.", v=new.version))
            return redirect(url_for("admin.tier_scheme"))
        except ValidationFailed as exc:
            db.rollback()
            error = str(exc)
            scheme = tiers.ensure_default_scheme(db)
    db.commit()
    return render_template("admin/tiers.html", scheme=scheme, error=error, Decimal=Decimal), (422 if error else 200)
