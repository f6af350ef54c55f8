import datetime as dt

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from survey.db import get_session
from survey.errors import ValidationFailed
from survey.form_values import ascii_int, iso_date
from survey.models import MODES, Questionnaire
from survey.security import AREA_ROLES, roles_required
from survey.services import invitations, waves
from survey.services.lifecycle import transitions as lifecycle_transitions
from survey.services.questionnaire_editor import drafts as editor_drafts
from survey.staff.blueprint import bp

supervisors_only = roles_required(*AREA_ROLES["supervise"])


@bp.get("/", endpoint="waves")
def waves_list():
    return render_template("staff/waves.html", rows=waves.list_waves(get_session()))


def _parse_date(value: str, field: str, problems: dict) -> dt.date | None:
    value = iso_date(value)
    if value is None:
        problems[field] = _("Enter a date from 1900 to 2100 as YYYY-MM-DD.")
    return value


@bp.route("/waves/new", methods=["GET", "POST"])
@supervisors_only
def wave_new():
    """A new draft wave, copied from an earlier one (default: the latest) or from the defaults."""
    db = get_session()
    problems: dict[str, str] = {}
    latest = waves.latest_wave(db)
    form = request.form
    if request.method == "GET":
        start, end = waves.next_period(db, latest)
        form = {"period_start": start.isoformat(), "period_end": end.isoformat(),
                "copy_from": str(latest.id) if latest else ""}
    else:
        start = _parse_date(form.get("period_start", ""), "period_start", problems)
        end = _parse_date(form.get("period_end", ""), "period_end", problems)
        source = form.get("copy_from", "")
        chosen = _chosen_version(db, form.get("questionnaire_id", ""), problems)
        if not form.get("name", "").strip():
            problems["name"] = _("A name is required.")
        if not problems:
            try:
                wave = waves.create_wave(db, name=form["name"], period_start=start, period_end=end,
                                         actor=current_user, questionnaire=chosen,
                                         from_wave=waves.get_wave(db, int(source)) if source.isdigit() else None)
                db.commit()
                flash(_("Wave created."))
                return redirect(url_for("staff.wave_detail", wave_id=wave.id))
            except ValidationFailed as exc:
                db.rollback()
                problems.update({f: str(exc) for f, _why in exc.problems} or {"name": str(exc)})
    return render_template("staff/wave_new.html", form=form, problems=problems,
                           earlier=[w for w, _n, _r in waves.list_waves(db)],
                           versions=editor_drafts.versions(db)), (422 if problems else 200)


def _chosen_version(db, raw: str, problems: dict):
    """The questionnaire version picked in a select ("" = the default), or a problem on ``questionnaire_id``."""
    if not raw:
        return None
    qn = db.get(Questionnaire, ascii_int(raw)) if ascii_int(raw) is not None else None
    if qn is None:
        problems["questionnaire_id"] = _("Choose a published questionnaire version.")
    return qn


@bp.post("/waves/<int:wave_id>/questionnaire")
@supervisors_only
def wave_questionnaire(wave_id: int):
    """Switch a draft wave to another published questionnaire version (refused from the draw on)."""
    db = get_session()
    wave = waves.get_wave(db, wave_id)
    problems: dict = {}
    qn = _chosen_version(db, request.form.get("questionnaire_id", ""), problems)
    if qn is None:
        flash(problems.get("questionnaire_id") or _("Choose a published questionnaire version."))
        return redirect(url_for("staff.wave_settings_page", wave_id=wave_id), code=303)
    waves.set_questionnaire(db, wave, qn, current_user)  # a drawn wave: Conflict, a 409 page saying why
    db.commit()
    flash(_("The wave now uses questionnaire %(code)s version %(v)s.", code=qn.code, v=qn.version))
    return redirect(url_for("staff.wave_settings_page", wave_id=wave_id), code=303)


@bp.get("/waves/<int:wave_id>")
def wave_detail(wave_id: int):
    db = get_session()
    wave = waves.get_wave(db, wave_id)
    return render_template("staff/wave.html", wave=wave, tiers=waves.tier_summary(db, wave),
                           tier_names={t.code: t for t in wave.tier_scheme.tiers},
                           allowed=lifecycle_transitions.allowed(wave))


@bp.route("/waves/<int:wave_id>/invite", methods=["GET", "POST"])
@supervisors_only
def wave_invite(wave_id: int):
    db = get_session()
    wave = waves.get_wave(db, wave_id)
    issued, error = [], None
    if request.method == "POST":
        mode = request.form.get("mode", "web")
        numbers = request.form.get("client_nos", "").replace(",", "\n").splitlines()
        try:
            if mode not in MODES:
                raise ValidationFailed(_("Choose a contact mode."))
            pairs = invitations.invite_clients(db, wave, numbers, mode=mode, actor=current_user,
                                               ttl_days=waves.wave_settings(wave)["token_ttl_days"])
            db.commit()
            base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
            issued = [(inv.client.client_no, f"{base}{url_for('public.survey_form', token=tok)}") for inv, tok in pairs]
        except ValidationFailed as exc:
            db.rollback()
            error = str(exc)
    return render_template("staff/invite.html", wave=wave, issued=issued, error=error,
                           form=request.form), (422 if error else 200)
