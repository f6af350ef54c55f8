"""Fieldwork pages: the interviewer's queue and case screen, interviews, calendar; the supervisor's desk."""

from __future__ import annotations

import datetime as dt

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from survey.db import get_session
from survey.errors import Conflict, PermissionDenied, ValidationFailed
from survey.form_values import ascii_int, iso_datetime, page_number
from survey.localtime import hours_text, local_time, zone
from survey.models import Invitation, StaffUser, utcnow
from survey.security import AREA_ROLES, roles_required
from survey.services import responses, waves
from survey.services.fieldwork import assign, calendar, cases, dashboard, interview, outcomes, queue
from survey.staff.blueprint import bp

supervisors_only = roles_required(*AREA_ROLES["supervise"])


def _case(db, inv_id: int) -> Invitation:
    inv = db.get(Invitation, inv_id)
    if inv is None or inv.mode not in queue.FIELD_MODES:
        abort(404)
    try:
        cases.check_may_view(inv, current_user)
    except PermissionDenied:
        abort(403)
    return inv


def _parse_local(value: str, tz: str) -> dt.datetime | None:
    """A ``datetime-local`` form value read in the client's branch time zone."""
    value = (value or "").strip()
    if not value:
        return None
    moment = iso_datetime(value)
    if moment is None:
        raise ValidationFailed(_("Enter the appointment date and time."), [("appointment_at", "format")])
    return moment.replace(tzinfo=zone(tz)).astimezone(dt.UTC)


@bp.get("/fieldwork/my", endpoint="fieldwork_my")
def my_cases():
    db = get_session()
    rows = queue.my_cases(db, current_user)
    return render_template("staff/fieldwork_my.html", rows=rows, now=utcnow(), mask=queue.holds_lock,
                           zones=queue.branch_zones(db))


@bp.post("/fieldwork/next", endpoint="fieldwork_next")
def take_next():
    db = get_session()
    inv = queue.take_next(db, current_user)
    db.commit()
    if inv is None:
        opening = queue.next_opening(db, current_user)
        if opening is None:
            flash(_("No case can be worked now: come back later or check your appointments."))
        else:
            when, zone, hours = opening
            flash(_("No case can be worked now: it is outside calling hours (%(hours)s). The next window opens at %(when)s.",
                    hours=hours, when=local_time(when, zone)))
        return redirect(url_for("staff.fieldwork_my"))
    return redirect(url_for("staff.fieldwork_case", inv_id=inv.id))


@bp.get("/fieldwork/cases/<int:inv_id>", endpoint="fieldwork_case")
def case_screen(inv_id: int):
    db = get_session()
    inv = _case(db, inv_id)
    branch = cases.branch_of(db, inv)
    tz = branch.timezone if branch else queue.DEFAULT_TZ
    interim, final = outcomes.choices(inv.mode)
    tier = next((t for t in inv.wave.tier_scheme.tiers if t.code == inv.tier_code), None)
    return render_template(
        "staff/fieldwork_case.html", inv=inv, client=inv.client, branch=branch, tz=tz, tier=tier,
        attempts=cases.history(db, inv), interim=interim, final=final, outcomes=outcomes.OUTCOMES,
        mine=queue.holds_lock(inv, current_user), settings=queue.wave_settings(inv.wave),
        hours=hours_text(queue.wave_settings(inv.wave)["calling_hours"]),
        problems={}, form={})


def _back(inv_id: int):
    return redirect(url_for("staff.fieldwork_case", inv_id=inv_id))


@bp.post("/fieldwork/cases/<int:inv_id>/hold", endpoint="fieldwork_hold")
def hold_case(inv_id: int):
    db = get_session()
    inv = _case(db, inv_id)
    try:
        queue.hold(db, inv, current_user)
        db.commit()
    except Conflict as exc:
        db.rollback()
        flash(_("This case cannot be worked now: %(why)s", why=str(exc)))
    return _back(inv_id)


@bp.post("/fieldwork/cases/<int:inv_id>/release", endpoint="fieldwork_release")
def release_case(inv_id: int):
    db = get_session()
    queue.release(db, _case(db, inv_id), current_user)
    db.commit()
    return redirect(url_for("staff.fieldwork_my"))


@bp.post("/fieldwork/cases/<int:inv_id>/attempt", endpoint="fieldwork_attempt")
def record_attempt(inv_id: int):
    db = get_session()
    inv = _case(db, inv_id)
    tz = queue.branch_timezone(db, inv.client.branch_code)
    outcome = request.form.get("outcome", "")
    try:
        when = _parse_local(request.form.get("appointment_at", ""), tz)
        cases.record_attempt(db, inv, current_user, outcome, note=request.form.get("note"), appointment_at=when)
        db.commit()
    except (ValidationFailed, Conflict) as exc:
        db.rollback()
        flash(_("The attempt was not recorded: %(why)s", why=str(exc)))
        return _back(inv_id)
    flash(str(outcomes.attempt_message(outcome, inv.status, inv.disposition, inv.attempts,
                                       int(queue.wave_settings(inv.wave)["max_attempts"]))))
    return redirect(url_for("staff.fieldwork_my"))


@bp.post("/fieldwork/cases/<int:inv_id>/appointment", endpoint="fieldwork_appointment")
def set_appointment(inv_id: int):
    db = get_session()
    inv = _case(db, inv_id)
    tz = queue.branch_timezone(db, inv.client.branch_code)
    try:
        when = None if request.form.get("clear") else _parse_local(request.form.get("appointment_at", ""), tz)
        if when is None and not request.form.get("clear"):
            raise ValidationFailed(_("Enter the appointment date and time."))
        cases.set_appointment(db, inv, current_user, when)
        db.commit()
        flash(_("Appointment saved.") if when else _("Appointment cancelled."))
    except (ValidationFailed, Conflict) as exc:
        db.rollback()
        flash(_("The appointment was not saved: %(why)s", why=str(exc)))
    return _back(inv_id)


@bp.route("/fieldwork/cases/<int:inv_id>/interview", methods=["GET", "POST"], endpoint="fieldwork_interview")
def interview_form(inv_id: int):
    db = get_session()
    inv = _case(db, inv_id)
    if request.method == "POST" and queue.holds_lock(inv, current_user, utcnow() - dt.timedelta(hours=2)):
        try:  # a long interview outlives the lock: keep the case unless someone else took it since
            queue.hold(db, inv, current_user, check_hours=False)
        except Conflict:
            db.rollback()
    if not queue.holds_lock(inv, current_user):
        flash(_("Take the case before starting the interview."))
        return _back(inv_id)
    questions = waves.questions_of(inv.wave)
    values, problems = interview.draft_values(inv), {}
    if request.method == "POST" and "switch_lang" in request.form:  # the language switch keeps the answers
        values = responses.parse_answers(questions, request.form)[0]
    elif request.method == "POST":
        action = request.form.get("action", "save")
        values, problems = responses.parse_answers(questions, request.form)
        try:
            if action == "save":
                interview.save_draft(db, inv, current_user, values)
                db.commit()
                flash(_("Interview saved: you can resume it from the case screen."))
                return _back(inv_id)
            if action == "partial" or not problems:
                interview.finish(db, inv, current_user, questions, values, problems, partial=(action == "partial"),
                                 locale=str(get_locale()), note=request.form.get("note"))
                db.commit()
                flash(_("Interview stored."))
                return redirect(url_for("staff.fieldwork_my"))
        except Conflict as exc:
            db.rollback()
            flash(_("The interview was not stored: %(why)s", why=str(exc)))
            return _back(inv_id)
    return render_template("staff/fieldwork_interview.html", inv=inv, wave=inv.wave, questions=questions,
                           values=values, problems=problems, interview=True,
                           action=url_for("staff.fieldwork_interview", inv_id=inv.id)), (422 if problems else 200)


@bp.route("/fieldwork/calendar", methods=["GET", "POST"], endpoint="fieldwork_calendar")
def calendar_page():
    db = get_session()
    user = db.get(StaffUser, current_user.id)
    feed_url = None
    if request.method == "POST":
        if request.form.get("action") == "revoke":
            calendar.revoke(db, user)
            flash(_("The calendar address was revoked."))
        else:
            token = calendar.create_token(db, user)
            feed_url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for("public.fieldwork_calendar_feed", token=token)
        db.commit()
    return render_template("staff/fieldwork_calendar.html", has_feed=bool(user.calendar_token_hash), feed_url=feed_url)


@bp.get("/fieldwork/", endpoint="fieldwork_waves")
@supervisors_only
def field_waves():
    return render_template("staff/fieldwork_waves.html", rows=dashboard.field_waves(get_session()))


@bp.get("/fieldwork/waves/<int:wave_id>", endpoint="fieldwork_dashboard")
@supervisors_only
def wave_dashboard(wave_id: int):
    db = get_session()
    wave = waves.get_wave(db, wave_id)
    return render_template("staff/fieldwork_dashboard.html", wave=wave, board=dashboard.build(db, wave),
                           zones=queue.branch_zones(db),
                           tier_names={t.code: t for t in wave.tier_scheme.tiers})


@bp.get("/fieldwork/waves/<int:wave_id>/cases", endpoint="fieldwork_cases")
@supervisors_only
def wave_cases(wave_id: int):
    db = get_session()
    wave = waves.get_wave(db, wave_id)
    show = request.args.get("show", "unassigned")
    only = show == "unassigned"
    total = assign.count_open_cases(db, wave, unassigned_only=only)
    pages = max(1, -(-total // CASES_PER_PAGE))
    page = min(page_number(request.args.get("page")), pages)
    rows = assign.open_cases(db, wave, unassigned_only=only, offset=(page - 1) * CASES_PER_PAGE, limit=CASES_PER_PAGE)
    people = assign.interviewers(db)
    return render_template("staff/fieldwork_cases.html", wave=wave, rows=rows, show=show, total=total, page=page,
                           pages=pages, people=people, names={u.id: u.display_name for u in people})


CASES_PER_PAGE = 200


@bp.post("/fieldwork/waves/<int:wave_id>/assign", endpoint="fieldwork_assign")
@supervisors_only
def auto_assign(wave_id: int):
    db = get_session()
    wave = waves.get_wave(db, wave_id)
    try:
        result = assign.auto_assign(db, wave, current_user)
        db.commit()
        flash(_("%(n)s case(s) assigned; %(left)s left unassigned.", n=result.assigned, left=result.unassigned))
    except ValidationFailed as exc:
        db.rollback()
        flash(str(exc))
    return redirect(url_for("staff.fieldwork_cases", wave_id=wave_id))


@bp.post("/fieldwork/waves/<int:wave_id>/reassign", endpoint="fieldwork_reassign")
@supervisors_only
def reassign(wave_id: int):
    db = get_session()
    wave = waves.get_wave(db, wave_id)
    target = request.form.get("to", "")
    to_id = ascii_int(target)
    to_user = db.get(StaffUser, to_id) if to_id is not None else None
    ids = [i for i in map(ascii_int, request.form.getlist("ids")) if i is not None]
    try:
        moved, refused = assign.reassign(db, wave, ids, to_user, current_user)
        db.commit()
        flash(_("%(n)s case(s) moved.", n=moved))
        if refused:
            flash(_("%(n)s case(s) not moved: the interviewer is the client's relationship manager.", n=len(refused)))
    except ValidationFailed as exc:
        db.rollback()
        flash(str(exc))
    return redirect(url_for("staff.fieldwork_cases", wave_id=wave_id, show=request.form.get("show", "unassigned")))
