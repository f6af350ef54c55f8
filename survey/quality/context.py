"""What every quality page needs: the chosen wave, the filters and the choices offered in the filter form."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.db import distinct_values
from survey.models import MODES, Branch, Client, Response, Wave
from survey.services.quality.provisional import FieldStatus, in_field
from survey.services.quality.reports import Filters, TierInfo, tiers_of
from survey.services.waves import wave_settings


@dataclass(frozen=True)
class PageContext:
    wave: Wave | None
    waves: list[Wave]  # newest first
    filters: Filters
    tiers: list[TierInfo]
    branches: list[tuple[str, str]]  # (code, name)
    modes: tuple[str, ...]
    in_field: list[FieldStatus]  # waves still in the field: their figures are provisional

    def field_status(self, wave: Wave | None) -> FieldStatus | None:
        return next((f for f in self.in_field if wave is not None and f.wave.id == wave.id), None)

    @property
    def args(self) -> dict[str, str]:
        """The wave and filters as query arguments, to carry from page to page."""
        return {**({"wave": str(self.wave.id)} if self.wave else {}), **self.filters.as_args()}


def default_wave(session: Session, waves: list[Wave]) -> Wave | None:
    """The newest wave with respondents (the one in field may have none yet), else the newest."""
    answered = set(distinct_values(session, Response.wave_id))
    return next((w for w in waves if w.id in answered), waves[0] if waves else None)


def page_context(session: Session, args, *, branch: str | None = None) -> PageContext:
    """The page's wave and filters; ``branch`` (a branch head's scope) fixes the branch filter."""
    waves = list(session.scalars(select(Wave).order_by(Wave.period_start.desc(), Wave.id.desc())))
    wanted = (args.get("wave") or "").strip()
    wave = next((w for w in waves if str(w.id) == wanted), None) if wanted else default_wave(session, waves)
    if wave is None and wanted:
        wave = default_wave(session, waves)
    named = dict(session.execute(select(Branch.code, Branch.name)).all())
    codes = set(named) | set(distinct_values(session, Client.branch_code))
    branches = [(c, named.get(c, "")) for c in sorted(codes) if branch is None or c == branch]
    weights = wave_settings(wave).get("weighting", "design") if wave else "design"
    filters = Filters.from_args(args, weights)
    if branch is not None:
        filters = replace(filters, branch=branch)
    return PageContext(wave, waves, filters, tiers_of(wave) if wave else [], branches, MODES,
                       in_field(session, waves))
