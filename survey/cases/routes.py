from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from survey.cases.blueprint import bp
from survey.cases.labels import (
    HELPERS,
    feedback_how_label,
    problems_by_field,
    reaction_label,
    step_label,
)
from survey.db import get_session
from survey.errors import Conflict, PermissionDenied, ValidationFailed
from survey.form_values import page_number
from survey.models import utcnow
from survey.security import branch_scope, roles_required
from survey.services import tiers
from survey.services.followup import board as followup_board
from survey.services.followup import cases as followup_cases
from survey.services.followup import steps as followup_steps
from survey.services.followup import winback as followup_winback
from survey.services.followup.cases import (
    COMPLAINT_CHANNELS,
    NEXT_STEP,
    OPEN_STEPS,
    RECORDING_ROLES,
    STEPS,
    TOPICS,
)


@bp.context_processor
def _helpers():
    db = get_session()
    scheme = tiers.active_scheme(db)
    return {**HELPERS, "now": utcnow(), "steps": STEPS, "open_steps": OPEN_STEPS,
            "tier_names": tiers.tiers_by_code(scheme) if scheme else {}}


@bp.before_request
def _own_branch_only():
    """A branch head opens their own branch's cases and those they own (unless the setting widens it)."""
    scope = branch_scope(current_user)
    case_id = (request.view_args or {}).get("case_id")
    if scope is not None and case_id is not None and not followup_cases.in_scope(get_session(), case_id, scope,
                                                                                  current_user.id):
        abort(403)


@bp.get("/", endpoint="mine")
def my_cases():
    sections = followup_board.my_cases(get_session(), current_user, now=utcnow())
    return render_template("cases/mine.html", sections=sections)


@bp.get("/board")
def board():
    db = get_session()
    filters = followup_board.Filters.from_args(request.args, branch=branch_scope(current_user))
    shown = followup_board.board(db, now=utcnow(), filters=filters, page=page_number(request.args.get("page")))
    return render_template("cases/board.html", filters=filters, columns=shown.columns, shown=shown,
                           page_args={k: v for k, v in request.args.items() if k != "page"},
                           choices=followup_board.filter_choices(db))


def _case_page(case_id: int, *, problems=None, form=None, error=None, status=200):
    db = get_session()
    case = followup_cases.get_case(db, case_id)
    detail = followup_board.case_detail(db, case)
    causes = followup_cases.root_causes(db)
    return render_template(
        "cases/case.html", d=detail, next_step=NEXT_STEP.get(case.step), problems=problems or {}, form=form or {},
        error=error, can_act=followup_cases.can_act(db, current_user, case), options=_step_options(db, causes),
        cause_names={c["code"]: c for c in causes},
    ), status


def _step_options(db, causes) -> dict:
    zh = str(get_locale() or "zh_CN").startswith("zh")
    return {
        "owner_id": [(u.id, f"{u.display_name} ({_(u.role)})") for u in followup_cases.owner_candidates(db)],
        "root_cause": [(c["code"], c["zh"] if zh else c["en"]) for c in causes],
        "feedback_how": [(c, feedback_how_label(c)) for c in followup_steps.FEEDBACK_HOW],
        "reaction": [(c, reaction_label(c)) for c in followup_steps.REACTIONS],
    }


@bp.get("/<int:case_id>")
def case_page(case_id: int):
    return _case_page(case_id)


@bp.post("/<int:case_id>/step")
def take_step(case_id: int):
    db = get_session()
    case = followup_cases.get_case(db, case_id, for_update=True)
    at, to_step = case.step, request.form.get("step", "")
    try:
        followup_steps.advance(db, case, to_step, request.form, actor=current_user, now=utcnow())
    except PermissionDenied:
        db.rollback()
        abort(403)
    except Conflict:
        db.rollback()
        expected = NEXT_STEP.get(at)
        message = (_("This case is at step “%(step)s”; the next step is “%(next)s”. Steps cannot be skipped or repeated.",
                     step=step_label(at), next=step_label(expected)) if expected
                   else _("This case is closed; reopen it first."))
        return _case_page(case_id, error=message, status=409)
    except ValidationFailed as exc:
        db.rollback()
        return _case_page(case_id, problems=problems_by_field(exc.problems), form=request.form,
                          error=_("Please complete the fields marked below."), status=422)
    db.commit()
    flash(_("Step “%(step)s” recorded.", step=step_label(to_step)))
    if to_step == "closed" and request.form.get("send_winback"):
        return _send_winback(case_id)
    return redirect(url_for("cases.case_page", case_id=case_id))


def _send_winback(case_id: int):
    db = get_session()
    case = followup_cases.get_case(db, case_id, for_update=True)
    try:
        inv, token = followup_winback.send_winback(db, case, actor=current_user, now=utcnow(),
                                                   ttl_days=current_app.config["TOKEN_TTL_DAYS"])
        link = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for("public.survey_form", token=token)
        emailed = followup_winback.email_link(db, current_app.config, inv, link, now=utcnow())
        db.commit()
    except PermissionDenied:
        db.rollback()
        abort(403)
    except Conflict:
        db.rollback()
        flash(_("The win-back survey was not sent: the case is not closed, there is no wave yet, or the client already answered a win-back survey in this wave."))
        return redirect(url_for("cases.case_page", case_id=case_id))
    flash(_("Win-back survey link (shown once): %(link)s", link=link))
    if emailed:
        flash(_("The link was also e-mailed to the client."))
    return redirect(url_for("cases.case_page", case_id=case_id))


@bp.post("/<int:case_id>/winback")
def winback(case_id: int):
    return _send_winback(case_id)


@bp.post("/<int:case_id>/reopen")
def reopen(case_id: int):
    db = get_session()
    case = followup_cases.get_case(db, case_id, for_update=True)
    was_closed = case.step == "closed"
    try:
        followup_steps.reopen(db, case, request.form.get("reason", ""), actor=current_user, now=utcnow())
    except PermissionDenied:
        db.rollback()
        abort(403)
    except Conflict:
        db.rollback()
        message = (_("The client already has another open case on this topic; work on that one.") if was_closed
                   else _("Only a closed case can be reopened."))
        return _case_page(case_id, error=message, status=409)
    except ValidationFailed as exc:
        db.rollback()
        return _case_page(case_id, problems=problems_by_field(exc.problems), form=request.form, status=422)
    db.commit()
    flash(_("Case reopened."))
    return redirect(url_for("cases.case_page", case_id=case_id))


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*RECORDING_ROLES)
def new_complaint():
    problems, form = {}, request.form
    if request.method == "POST":
        db = get_session()
        try:
            case, opened = followup_cases.record_complaint(
                db, client_no=form.get("client_no", ""), topic=form.get("topic", ""), channel=form.get("channel", ""),
                summary=form.get("summary", ""), actor=current_user, now=utcnow())
            db.commit()
        except ValidationFailed as exc:
            db.rollback()
            problems = problems_by_field(exc.problems)
        else:
            flash(_("Complaint recorded as case %(id)s.", id=case.id) if opened else
                  _("The client already has an open case on this topic; the complaint was added to case %(id)s.", id=case.id))
            return redirect(url_for("cases.case_page", case_id=case.id))
    return render_template("cases/new.html", form=form, problems=problems, topics=TOPICS,
                           channels=COMPLAINT_CHANNELS), (422 if problems else 200)
