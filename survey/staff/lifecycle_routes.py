"""A wave's life on the pages: open fieldwork, send its web links, close it (with a confirmation step), settings."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from survey.cases.labels import topic_label
from survey.db import get_session
from survey.errors import Conflict, ValidationFailed
from survey.security import AREA_ROLES, roles_required
from survey.services import waves
from survey.services.fieldwork.mail import Mailer, send_invitations
from survey.services.followup.cases import TOPICS
from survey.services.lifecycle import settings as lifecycle_settings
from survey.services.lifecycle import transitions
from survey.services.questionnaire_editor import drafts as editor_drafts
from survey.staff.blueprint import bp

supervisors_only = roles_required(*AREA_ROLES["supervise"])


def _to_wave(wave_id: int):
    return redirect(url_for("staff.wave_detail", wave_id=wave_id), code=303)


@bp.post("/waves/<int:wave_id>/open-fieldwork")
@supervisors_only
def wave_open_fieldwork(wave_id: int):
    db = get_session()
    wave = waves.get_wave(db, wave_id)
    mailer = Mailer.from_config(current_app.config) if request.form.get("send_now") else None
    try:
        opened = transitions.open_fieldwork(db, wave, current_user, mailer=mailer)
        db.commit()
    except Conflict as exc:
        db.rollback()
        flash(str(exc))
        return _to_wave(wave_id)
    c = opened.cases
    flash(_("Fieldwork is open: %(phone)s phone, %(visit)s visit and %(web)s web case(s).",
            phone=c.get("phone", 0), visit=c.get("in_person", 0), web=c.get("web", 0)))
    if opened.mail is None:
        flash(_("The web links wait to be sent (survey send-invitations)."))
    else:
        _flash_mail(opened.mail)
    return _to_wave(wave_id)


@bp.post("/waves/<int:wave_id>/send-invitations")
@supervisors_only
def wave_send_invitations(wave_id: int):
    db = get_session()
    wave = waves.get_wave(db, wave_id)
    if wave.status != "in_field":
        flash(_("Web links are sent only while the wave is in field."))
        return _to_wave(wave_id)
    sent = send_invitations(db, wave, Mailer.from_config(current_app.config), actor=current_user,
                            reissue=bool(request.form.get("reissue")))
    db.commit()
    _flash_mail(sent)
    return _to_wave(wave_id)


def _flash_mail(sent) -> None:
    flash(_("%(n)s web invitation(s) sent: %(email)s by e-mail, %(sms)s by text message.", n=sent.sent,
            email=sent.sent - sent.sms, sms=sent.sms))
    if sent.failed:
        flash(_("%(n)s text message(s) were not taken by the SMS gateway (%(error)s): the next sending tries them again.",
                n=len(sent.failed), error=sent.sms_error or ""))
    if sent.waiting:
        flash(_("%(n)s text message(s) wait for calling hours: a sending within them sends them.",
                n=len(sent.waiting)))
    if sent.reissued:
        flash(_("%(n)s link(s) reissued: the old links no longer work.", n=len(sent.reissued)))
    if sent.held:
        flash(_("%(n)s case(s) held back: their link was handed out and cannot be written again.",
                n=len(sent.held)))


@bp.route("/waves/<int:wave_id>/close-fieldwork", methods=["GET", "POST"])
@supervisors_only
def wave_close_fieldwork(wave_id: int):
    db = get_session()
    wave = waves.get_wave(db, wave_id)
    if request.method == "POST" and request.form.get("confirm"):
        try:
            closed = transitions.close_fieldwork(db, wave, current_user)
            db.commit()
        except Conflict as exc:
            db.rollback()
            flash(str(exc))
            return _to_wave(wave_id)
        flash(_("Fieldwork closed: %(n)s open case(s) got their final disposition. The results are final.",
                n=closed.finalised))
        return _to_wave(wave_id)
    missing = request.method == "POST"
    return render_template("staff/wave_close.html", wave=wave, open_cases=transitions.open_cases_by_mode(db, wave),
                           allowed=transitions.allowed(wave), missing=missing), (422 if missing else 200)


@bp.route("/waves/<int:wave_id>/settings", methods=["GET", "POST"])
@supervisors_only
def wave_settings_page(wave_id: int):
    db = get_session()
    wave = waves.get_wave(db, wave_id)
    specs = lifecycle_settings.specs(wave)
    problems, form = {}, {}
    if request.method == "POST":
        # a checkbox follows a hidden "false" of the same name, so the last value sent is the one that counts
        form = {s.key: request.form.getlist(s.key)[-1] for s in specs
                if s.key in request.form and lifecycle_settings.editable(wave, s)}
        try:
            changed = lifecycle_settings.change_settings(db, wave, form, current_user)
            db.commit()
            flash(_("Settings saved: %(n)s changed.", n=len(changed)))
            return redirect(url_for("staff.wave_settings_page", wave_id=wave_id), code=303)
        except ValidationFailed as exc:
            db.rollback()
            problems = {key: str(why) for key, why in exc.problems}
    values = {k: lifecycle_settings.show(v) for k, v in lifecycle_settings.current(wave).items()}
    values.update(form)
    return render_template("staff/wave_settings.html", wave=wave, specs=specs, values=values, problems=problems,
                           groups=lifecycle_settings.GROUPS, editable=lambda s: lifecycle_settings.editable(wave, s),
                           tier_names={t.code: t for t in wave.tier_scheme.tiers}, topics=TOPICS,
                           topic_label=topic_label, versions=editor_drafts.versions(db)), (422 if problems else 200)
