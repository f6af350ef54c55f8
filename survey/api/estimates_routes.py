"""Estimates (the quality overview's figures) and AAPOR dispositions of a wave, by the quality services."""

from __future__ import annotations

import math
from dataclasses import replace

from survey.api.registry import QUALITY, operation
from survey.api.schemas import (
    DispositionsOut,
    DispositionsQuery,
    EstimateRowOut,
    EstimatesOut,
    EstimatesQuery,
    FigureOut,
    RateRowOut,
)
from survey.security import branch_scope
from survey.services import waves
from survey.services.quality import rates as quality_rates
from survey.services.quality import reports as quality_reports
from survey.services.quality.reports import Filters


def _finite(value) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def _filters(call, wave) -> Filters:
    args = {k: v for k, v in call.query.model_dump().items() if v is not None}
    filters = Filters.from_args(args, waves.wave_settings(wave).get("weighting", "design"))
    scope = branch_scope(call.actor)
    return replace(filters, branch=scope) if scope is not None else filters


@operation("GET", "/waves/<int:wave_id>/estimates", summary="Estimates with 95% intervals", tag="estimates",
           roles=QUALITY, query=EstimatesQuery, response=EstimatesOut)
def estimates(call, wave_id: int):
    wave = waves.get_wave(call.db, wave_id)
    filters = _filters(call, wave)
    ov = quality_reports.overview(call.db, wave, filters)
    rows = [EstimateRowOut(key=r.key, respondents=r.respondents, population=_finite(r.population), figures={
        m: None if f is None else FigureOut(estimate=_finite(f.estimate), se=_finite(f.se), low=_finite(f.low),
                                            high=_finite(f.high), n=int(f.n))
        for m, f in r.figures.items()}) for r in ov.rows]
    return EstimatesOut(wave_id=wave.id, previous_wave_id=ov.previous.id if ov.previous else None,
                        provisional=ov.provisional, weights=ov.weights, filters=filters.as_args(), confidence=0.95,
                        rows=rows)


@operation("GET", "/waves/<int:wave_id>/dispositions", summary="AAPOR disposition counts and rates",
           tag="dispositions", roles=QUALITY, query=DispositionsQuery, response=DispositionsOut)
def dispositions(call, wave_id: int):
    wave = waves.get_wave(call.db, wave_id)
    rep = quality_rates.response_report(call.db, wave, call.query.by, _filters(call, wave))
    return DispositionsOut(wave_id=wave.id, by=rep.by, e=_finite(rep.e), e_basis=rep.e_basis,
                           invalid_codes=rep.invalid_codes,
                           rows=[RateRowOut(key=r.key, cases=r.cases, open=r.open, counts=r.counts,
                                            rates={k: _finite(v) for k, v in r.rates.items()}) for r in rep.rows])
