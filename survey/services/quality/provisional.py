"""Waves still in the field: their figures are provisional, shown with the response rate so far."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from survey.models import Wave
from survey.services.quality import rates as quality_rates

IN_FIELD = "in_field"


@dataclass(frozen=True)
class FieldStatus:
    """A wave in the field: RR1 so far (open cases count as 3.11, see quality.rates) and its open cases."""

    wave: Wave
    response_rate: float
    open_cases: int

    @property
    def rate_text(self) -> str:
        return quality_rates.fmt_rate(self.response_rate)


def in_field(session: Session, waves: list[Wave]) -> list[FieldStatus]:
    """The waves of ``waves`` still in the field, with their response rate so far."""
    out = []
    for wave in waves:
        if wave.status != IN_FIELD:
            continue
        whole = quality_rates.field_progress(session, wave)
        out.append(FieldStatus(wave, whole.rates["RR1"], whole.open))
    return out
