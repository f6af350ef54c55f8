"""Which weights the quality figures use: design weights N_h/r_h, or raked to the client file's margins.

Raking (``analysis.rake``) calibrates each wave's respondents to the client file's counts per
tier × branch, scaled within each tier to the tier's N_h (so the tier totals of the design are
kept and only the branch mix within a tier is corrected).  Cells with fewer than ``MIN_CELL``
respondents are merged into one "other branches" cell of their tier; an "other" cell without
respondents joins the tier's largest cell.  The client file has no age band or product holding,
so tier × branch is the only margin today; ``analysis.rake`` takes more when the file has them.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import analysis
from survey.models import Client

WEIGHTINGS = ("design", "raked")
MIN_CELL = 5
OTHER = "(other)"


def file_counts(session: Session) -> dict[tuple[str, str], int]:
    """Clients in the file per (tier, branch)."""
    rows = session.execute(select(Client.tier_code, Client.branch_code, func.count()).group_by(
        Client.tier_code, Client.branch_code))
    return {(str(t), str(b)): int(n) for t, b, n in rows}


def raking_margin(tier: np.ndarray, branch: np.ndarray, population: dict[str, float],
                  counts: dict[tuple[str, str], int]) -> tuple[np.ndarray, dict[str, float]]:
    """Every respondent's tier × branch cell (small cells merged) and each cell's target."""
    tiers = tier.astype(str)
    branches = np.array(["" if b is None else str(b) for b in branch], dtype=object)
    seen = defaultdict(int)
    for t, b in zip(tiers.tolist(), branches.tolist(), strict=True):
        seen[(t, b)] += 1
    cells = np.empty(tiers.size, dtype=object)
    targets: dict[str, float] = {}
    for t in sorted(set(tiers.tolist())):
        file_t = {b: n for (ft, b), n in counts.items() if ft == t}
        for b in {b for (st, b) in seen if st == t}:
            file_t.setdefault(b, 0)
        total = sum(file_t.values())
        scale = population.get(t, total) / total if total else 0.0
        kept = {b for b in file_t if seen.get((t, b), 0) >= MIN_CELL and file_t[b] > 0}
        raw = defaultdict(float)
        for b, n in file_t.items():
            raw[b if b in kept else OTHER] += n * scale
        other_resp = sum(seen.get((t, b), 0) for b in file_t if b not in kept)
        if other_resp == 0 and OTHER in raw:
            biggest = max(kept, key=lambda b: raw[b]) if kept else None
            if biggest is not None:
                raw[biggest] += raw.pop(OTHER)
        if not kept:  # every respondent of the tier in the one pooled cell
            raw = {OTHER: population.get(t, total)}
        for b, v in raw.items():
            targets[f"{t}|{b}"] = v
        sel = tiers == t
        cells[sel] = [f"{t}|{b if b in kept else OTHER}" for b in branches[sel].tolist()]
    return cells, targets


def raked(data, counts: dict[tuple[str, str], int]) -> analysis.Raking:
    """The wave's design weights raked to the client file's tier × branch margin."""
    cells, targets = raking_margin(data.tier, data.branch, data.population, counts)
    return analysis.rake(data.weights(), [(cells, targets)])
