"""Waves: list, one wave's status, and plan / draw / open / close through the pages' own services."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select

from survey.api.paging import page
from survey.api.registry import READ_ALL, SUPERVISE, operation
from survey.api.schemas import DrawIn, OpenIn, PageQuery, PlanIn, TransitionOut, WaveOut, page_of
from survey.models import Invitation, Response, Wave
from survey.services import waves
from survey.services.fieldwork.mail import Mailer
from survey.services.lifecycle import transitions
from survey.services.samples import checks as sampling_checks
from survey.services.samples import draw as sampling_draw
from survey.services.samples import plan as sampling_plan


def wave_out(db, wave: Wave) -> WaveOut:
    invited = db.scalar(select(func.count()).where(Invitation.wave_id == wave.id, Invitation.kind == "sample"))
    answered = db.scalar(select(func.count(Response.id)).join(Invitation, Invitation.id == Response.invitation_id)
                         .where(Response.wave_id == wave.id, Invitation.kind == "sample"))
    return WaveOut(id=wave.id, name=wave.name, status=wave.status, period_start=wave.period_start,
                   period_end=wave.period_end, invitations=invited or 0, responses=answered or 0,
                   allowed=transitions.allowed(wave))


@operation("GET", "/waves", summary="List waves", tag="waves", roles=READ_ALL, query=PageQuery,
           response=page_of(WaveOut))
def waves_list(call):
    rows, cursor = page(call.db, select(Wave), Wave.id, call.query)
    return page_of(WaveOut)(items=[wave_out(call.db, w) for w in rows], next_cursor=cursor)


@operation("GET", "/waves/<int:wave_id>", summary="One wave's status", tag="waves", roles=READ_ALL,
           response=WaveOut)
def wave_get(call, wave_id: int):
    return wave_out(call.db, waves.get_wave(call.db, wave_id))


def _done(call, wave, **detail) -> TransitionOut:
    return TransitionOut(wave=wave_out(call.db, wave), detail=detail)


@operation("POST", "/waves/<int:wave_id>/plan", summary="Confirm the sampling plan", tag="waves", roles=SUPERVISE,
           body=PlanIn, response=TransitionOut)
def wave_plan(call, wave_id: int):
    wave = waves.get_wave(call.db, wave_id)
    given = call.body.model_dump(exclude={"confirm"}, exclude_none=True)
    params = sampling_plan.PlanParams.from_mapping(given, [t.code for t in wave.tier_scheme.tiers])
    checks = sampling_checks.store_plan(call.db, wave, params, call.actor, confirm=call.body.confirm)
    return _done(call, wave, confirmed_checks=",".join(c.key for c in checks))


@operation("POST", "/waves/<int:wave_id>/draw", summary="Draw the sample", tag="waves", roles=SUPERVISE,
           body=DrawIn, response=TransitionOut)
def wave_draw(call, wave_id: int):
    wave = waves.get_wave(call.db, wave_id)
    result = sampling_draw.draw_sample(call.db, wave, call.actor, seed=call.body.seed, confirm=call.body.confirm)
    return _done(call, wave, seed=result.draw.seed, invitations=sum(result.released.values()),
                 reserve=sum(result.reserve.values()))


@operation("POST", "/waves/<int:wave_id>/open-fieldwork", summary="Open fieldwork", tag="waves", roles=SUPERVISE,
           body=OpenIn, response=TransitionOut)
def wave_open(call, wave_id: int):
    wave = waves.get_wave(call.db, wave_id)
    mailer = Mailer.from_config(current_app.config) if call.body.send_now else None
    opened = transitions.open_fieldwork(call.db, wave, call.actor, mailer=mailer)
    return _done(call, wave, **{f"cases_{m}": n for m, n in opened.cases.items()},
                 emailed=opened.mail.sent if opened.mail else None)


@operation("POST", "/waves/<int:wave_id>/close-fieldwork", summary="Close fieldwork", tag="waves",
           roles=SUPERVISE, response=TransitionOut)
def wave_close(call, wave_id: int):
    wave = waves.get_wave(call.db, wave_id)
    closed = transitions.close_fieldwork(call.db, wave, call.actor)
    return _done(call, wave, finalised=closed.finalised)
