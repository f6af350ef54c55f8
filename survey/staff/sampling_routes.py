"""Sampling pages for supervisors and admins: plan preview, confirm, draw, reset, release (also to target)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from survey.db import get_session
from survey.errors import Conflict, PlanNeedsConfirmation, ValidationFailed
from survey.form_values import ascii_int
from survey.i18n import localized
from survey.security import AREA_ROLES, roles_required
from survey.services import invitations, waves
from survey.services.samples import checks as sampling_checks
from survey.services.samples import draw as sampling_draw
from survey.services.samples import plan as sampling_plan
from survey.services.samples import responsive
from survey.staff.blueprint import bp

supervisors_only = roles_required(*AREA_ROLES["supervise"])
PARAM_FIELDS = ("margin", "total", "confidence", "method", "minimum", "reserve_share")


def _params_source(values) -> dict:
    data = {k: values.get(k) for k in PARAM_FIELDS if values.get(k) is not None}
    data["take_all"] = [t for t in values.getlist("take_all") if t]
    return data


def _back(wave_id: int):
    return redirect(url_for("staff.wave_detail", wave_id=wave_id) + "#sampling", code=303)


@bp.get("/waves/<int:wave_id>/plan")
@supervisors_only
def wave_plan(wave_id: int):
    db = get_session()
    wave = waves.get_wave(db, wave_id)
    codes = [t.code for t in wave.tier_scheme.tiers]
    stored = (wave.settings or {}).get("plan")
    form = _params_source(request.args) if request.args.get("method") else (stored or {})
    problems = {}
    try:
        params = sampling_plan.PlanParams.from_mapping(form, codes)
    except ValidationFailed as exc:
        problems = {f: why for f, why in exc.problems}
        params = sampling_plan.PlanParams()
    plan = sampling_plan.compute_plan(db, wave, params)
    return render_template("staff/plan.html", wave=wave, plan=plan, params=params, problems=problems,
                           tier_names={t.code: t for t in wave.tier_scheme.tiers}, form=form,
                           checks=sampling_checks.plan_checks(plan, wave),
                           draw=sampling_draw.get_draw(db, wave)), (422 if problems else 200)


@bp.post("/waves/<int:wave_id>/plan")
@supervisors_only
def wave_plan_confirm(wave_id: int):
    db = get_session()
    wave = waves.get_wave(db, wave_id)
    try:
        params = sampling_plan.PlanParams.from_mapping(_params_source(request.form),
                                                       [t.code for t in wave.tier_scheme.tiers])
        sampling_checks.store_plan(db, wave, params, current_user, confirm=bool(request.form.get("confirm")))
        db.commit()
        flash(_("Sampling plan confirmed: the draw will use it."))
    except PlanNeedsConfirmation as exc:
        db.rollback()
        flash(str(exc))
        query = {k: v for k, v in _params_source(request.form).items() if v not in (None, "", [])}
        return redirect(url_for("staff.wave_plan", wave_id=wave_id, **query) + "#confirm-plan", code=303)
    except (Conflict, ValidationFailed) as exc:
        db.rollback()
        flash(str(exc))
    return _back(wave_id)


@bp.post("/waves/<int:wave_id>/draw")
@supervisors_only
def wave_draw(wave_id: int):
    db = get_session()
    wave = waves.get_wave(db, wave_id)
    raw_seed = request.form.get("seed", "").strip()
    try:
        seed = ascii_int(raw_seed)
        if raw_seed and seed is None:
            raise ValidationFailed(_("The seed must be a whole number from 0 to 2^63-1, or left empty."))
        result = sampling_draw.draw_sample(db, wave, current_user, seed=seed,
                                           confirm=bool(request.form.get("confirm")))
        db.commit()
        flash(_("Sample drawn with seed %(seed)s: %(inv)s invitations, %(res)s cases in reserve.",
                seed=result.draw.seed, inv=sum(result.released.values()), res=sum(result.reserve.values())))
    except (Conflict, ValidationFailed) as exc:
        db.rollback()
        flash(str(exc))
    return _back(wave_id)


@bp.post("/waves/<int:wave_id>/draw/reset")
@supervisors_only
def wave_draw_reset(wave_id: int):
    db = get_session()
    wave = waves.get_wave(db, wave_id)
    try:
        sampling_draw.reset_draw(db, wave, current_user)
        db.commit()
        flash(_("The draw was reset: invitations and reserve removed."))
    except Conflict as exc:
        db.rollback()
        flash(str(exc))
    return _back(wave_id)


@bp.post("/waves/<int:wave_id>/release")
@supervisors_only
def wave_release(wave_id: int):
    db = get_session()
    wave = waves.get_wave(db, wave_id)
    tier, raw = request.form.get("tier", ""), request.form.get("count", "").strip()
    try:
        count = ascii_int(raw, high=10**9)
        if count is None:
            raise ValidationFailed(_("Enter how many cases to release, a whole number of at least 1."))
        sampling_draw.release_reserve(db, wave, tier, count, current_user)
        db.commit()
        flash(_("%(n)s reserve case(s) released in tier %(tier)s.", n=count, tier=tier))
    except (Conflict, ValidationFailed) as exc:
        db.rollback()
        flash(str(exc))
    return _back(wave_id)


@bp.post("/waves/<int:wave_id>/release-to-target")
@supervisors_only
def wave_release_to_target(wave_id: int):
    db = get_session()
    wave = waves.get_wave(db, wave_id)
    try:
        released = responsive.release_to_target(db, wave, current_user)
        db.commit()
        if released:
            names = {t.code: localized(t, "name") for t in wave.tier_scheme.tiers}
            flash(_("Reserve released to reach the target margins: %(detail)s.",
                    detail=", ".join(f"{names.get(code, code)} {n}" for code, n in released.items())))
        else:
            flash(_("Nothing released: every tier is projected to reach its target margin, or has no reserve left."))
    except (Conflict, ValidationFailed) as exc:
        db.rollback()
        flash(str(exc))
    return _back(wave_id)


def _pending_checks(db, wave):
    """Checks the stored (or default) plan fails and nobody has confirmed yet, for the draw form."""
    plan = sampling_plan.compute_plan(db, wave, sampling_plan.stored_params(wave))
    done = sampling_checks.acknowledged(wave)
    return [c for c in sampling_checks.plan_checks(plan, wave) if c.key not in done]


@bp.app_context_processor
def _sampling_helpers():
    def wave_sampling(wave):
        db = get_session()
        draw = sampling_draw.get_draw(db, wave)
        supervise = current_user.is_authenticated and current_user.role in AREA_ROLES["supervise"]
        return {
            "draw": draw,
            "reserve": sampling_draw.reserve_left(db, wave) if draw else {},
            "fielded": sampling_draw.fieldwork_started(db, wave) if draw else None,
            "plan": draw.allocation.get("params") if draw else (wave.settings or {}).get("plan"),
            "checks": _pending_checks(db, wave) if supervise and not draw and wave.status == "draft" else [],
            "projection": responsive.project_wave(db, wave) if draw and wave.status == "in_field" else None,
            "hand": invitations.hand_summary(db, wave),
        }

    return {"wave_sampling": wave_sampling}
