"""AAPOR outcome rates of a wave by tier, mode or interviewer, from invitations.disposition.

Rule for cases still in the field: an invitation without a final code counts as
3.11 "not attempted" (unknown eligibility, UH), so rates are as of today; the
number of such open cases is reported beside the rates.  ``e`` is estimated
once for the whole wave (proportional: eligible / (eligible + not eligible))
and applied to every row, so rows are comparable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np
from sqlalchemy.orm import Session

import analysis
from survey.models import Wave
from survey.services.quality import cache as quality_cache
from survey.services.quality import data as quality_data
from survey.services.quality.reports import ALL, Filters, quiet

RATES = ("RR1", "RR2", "RR3", "RR4", "RR5", "RR6", "COOP1", "COOP2", "COOP3", "COOP4",
         "REF1", "REF2", "REF3", "CON1", "CON2", "CON3")
GROUPS = ("I", "P", "R", "NC", "O", "UH", "UO", "NE")
BREAKDOWNS = ("tier", "mode", "interviewer")
NONE_LABEL = "—"
_VALID = re.compile(r"^(1\.[12]|2\.[123]\d|[34]\.\d\d)$")


@dataclass(frozen=True)
class RateRow:
    key: str
    cases: int
    open: int
    counts: dict[str, int]
    rates: dict[str, float]  # nan when undefined


@dataclass(frozen=True)
class ResponseReport:
    wave: Wave
    by: str
    rows: list[RateRow]  # the wave's total first
    e: float
    e_basis: str
    invalid_codes: int


def fmt_rate(value: float) -> str:
    """A rate in percent with one decimal; an undefined rate is "—", never 0."""
    return "—" if value is None or not np.isfinite(value) else f"{100 * value:.1f}"


def _row(key: str, codes: np.ndarray, is_open: np.ndarray, e: float | None) -> RateRow:
    counts = analysis.disposition_counts(codes).as_dict()
    with quiet():
        res = analysis.response_rates(**{k: counts[k] for k in GROUPS if k != "NE"}, NE=counts["NE"], e=e)
    return RateRow(key, int(codes.size), int(is_open.sum()), counts, {r: float(getattr(res, r)) for r in RATES})


def response_report(session: Session, wave: Wave, by: str = "tier", filters: Filters = Filters()) -> ResponseReport:
    """Counts per AAPOR group and RR1-6, COOP1-4, REF1-3, CON1-3 for the wave and per ``by`` group.

    Remembered while the wave's data are unchanged (see quality.cache).
    """
    if by not in BREAKDOWNS:
        raise ValueError(f"by must be one of {BREAKDOWNS}, but got {by!r}")
    rep = quality_cache.remembered(session, ("rates", wave.id, by, filters), [wave.id],
                                   lambda: _response_report(session, wave, by, filters))
    return replace(rep, wave=wave)


def _wave_e(codes: np.ndarray) -> float | None:
    """``e`` of the whole wave (proportional), None when undefined."""
    total = analysis.disposition_counts(codes).as_dict()
    with quiet():
        whole = analysis.response_rates(**{k: total[k] for k in GROUPS if k != "NE"}, NE=total["NE"])
    return float(whole.e) if np.isfinite(whole.e) else None


def field_progress(session: Session, wave: Wave) -> RateRow:
    """The wave's total row of :func:`response_report` (no filter), from a count of cases per final code.

    One grouped query on the wave's invitations, not a read of every case: the in-field line of the
    quality pages needs only this row.  Remembered while the wave's data are unchanged.
    """
    return quality_cache.remembered(session, ("field progress", wave.id), [wave.id],
                                    lambda: _field_progress(session, wave))


def _valid(codes: np.ndarray) -> np.ndarray:
    """Which final codes are AAPOR codes the rates count (the others are reported as invalid)."""
    return np.array([bool(_VALID.match(c)) for c in codes], dtype=bool)


def _field_progress(session: Session, wave: Wave) -> RateRow:
    found = quality_data.disposition_counts(session, wave.id)
    stored = np.repeat(np.array(list(found), dtype=object), np.array(list(found.values()), dtype=np.intp))
    codes, is_open = quality_data.final_codes(stored)
    valid = _valid(codes)
    codes, is_open = codes[valid].astype(str), is_open[valid]
    return _row(ALL, codes, is_open, _wave_e(codes))


def _response_report(session: Session, wave: Wave, by: str, filters: Filters) -> ResponseReport:
    cases = quality_data.load_cases(session, wave.id, scores=False)  # dispositions only
    valid = _valid(cases.disposition)
    keep = filters.mask(cases) & valid
    codes, is_open = cases.disposition[keep].astype(str), cases.is_open[keep]
    e = _wave_e(codes)
    rows = [_row(ALL, codes, is_open, e)]
    labels = np.array([NONE_LABEL if v is None else v for v in getattr(cases, by)[keep]], dtype=object)
    order = sorted(set(labels.tolist()), key=lambda v: (v == NONE_LABEL, v))
    if by == "tier":
        rank = {t.code: i for i, t in enumerate(wave.tier_scheme.tiers)}
        order.sort(key=lambda v: rank.get(v, len(rank)))
    for key in order:
        sel = labels == key
        rows.append(_row(key, codes[sel], is_open[sel], e))
    basis = "proportional: e = (I+P+R+NC+O) / (I+P+R+NC+O+NE), whole wave"
    return ResponseReport(wave, by, rows, e if e is not None else float("nan"), basis, int((~valid).sum()))
