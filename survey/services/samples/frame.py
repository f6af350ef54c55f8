"""The sampling frame: the client file at the draw, minus the clients a wave must not contact.

Rules, in this order (a client removed by several rules is counted under the first):

1. ``opted_out`` - the client asked not to be surveyed;
2. ``cool_off`` - contacted within ``wave.settings["cool_off_days"]`` (default 90): the
   client's ``last_contacted_at``, or any call or visit logged since the cut-off;
3. ``open_followup`` - an open follow-up case (``step != 'closed'``), when
   ``wave.settings["exclude_open_complaints"]`` (default true);
4. ``account_closed`` - the account is closed;
5. ``unreachable`` - no phone, no branch to visit and no usable web link.

A web link reaches a client with an e-mail address or a mobile number (by SMS:
``services.sms.channel``); ``EMAIL`` below means "a web link reaches them".

Clients whose tier code is not in the wave's tier scheme are left out and counted apart.

The frame is read with one Core ``select`` of three integer columns, ordered by
``clients.id`` so that the same seed gives the same draw on SQLite and PostgreSQL:
the client id, the tier's position in the wave's scheme, and a bit mask of flags
computed by the database (no ORM objects, no strings per row).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import and_, case, func, not_, or_, select
from sqlalchemy.orm import Session

import sampling
from survey.models import Branch, Client, ContactAttempt, FollowUpCase, Invitation, Wave, utcnow
from survey.services.waves import wave_settings

RULES = ("opted_out", "cool_off", "open_followup", "account_closed", "unreachable")
OPTED_OUT, CLOSED, PHONE, EMAIL, BRANCH, RECENT = 1, 2, 4, 8, 16, 32
PREF_SHIFT = 6
PREF_CODES = np.array(["", "phone", "in_person", "web"])
CHUNK = 50_000

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, eq=False)
class Frame:
    """Eligible clients in ``clients.id`` order, and what the rules removed.

    ``client_ids``, ``strata`` (tier codes), ``tier_index`` (position in the scheme) and
    ``bits`` are aligned arrays of the eligible clients; ``population`` is N_h per tier in scheme order;
    ``excluded[tier][rule]`` counts removals.
    """

    tier_codes: tuple[str, ...]
    client_ids: np.ndarray
    strata: np.ndarray
    tier_index: np.ndarray
    bits: np.ndarray
    population: dict[str, int]
    excluded: dict[str, dict[str, int]]
    unknown_tier: int
    cutoff: dt.datetime
    web_enabled: bool

    @property
    def size(self) -> int:
        return int(self.client_ids.size)

    def excluded_total(self) -> dict[str, int]:
        return {rule: sum(by_rule[rule] for by_rule in self.excluded.values()) for rule in RULES}

    def mode_mix(self, mode_by_tier: dict[str, str]) -> dict[str, dict[str, float]]:
        """Share of each contact mode per tier, by the contact-mode rules over the whole frame.

        Exact and cheap: the rules depend only on the tier and the flag bits, so they are
        applied once per distinct (tier, bits) combination and weighted by its count.
        """
        n_tiers = len(self.tier_codes)
        counts = np.bincount(self.tier_index * 256 + self.bits, minlength=n_tiers * 256)
        keys = np.flatnonzero(counts)
        out = {code: dict.fromkeys(sampling.MODES, 0.0) for code in self.tier_codes}
        if keys.size == 0:
            return out
        codes = np.array(self.tier_codes)[keys // 256]
        modes = contact_modes(keys % 256, codes, mode_by_tier, self.web_enabled).mode
        for code, mode, n in zip(codes.tolist(), modes.tolist(), counts[keys].tolist(), strict=True):
            if mode in out[code]:
                out[code][mode] += n / self.population[code]
        return out


def contact_modes(bits: np.ndarray, strata: np.ndarray, mode_by_tier: dict[str, str],
                  web_enabled: bool) -> sampling.ModeAssignment:
    """Contact mode and reason for each client from its flag bits (see ``sampling.assign_contact_modes``)."""
    bits = np.asarray(bits, dtype=np.int64)
    return sampling.assign_contact_modes(
        sampling.default_modes(np.asarray(strata), mode_by_tier),
        has_phone=(bits & PHONE) > 0,
        has_email=(bits & EMAIL) > 0,
        has_branch=(bits & BRANCH) > 0,
        preferred_mode=PREF_CODES[(bits >> PREF_SHIFT) & 3],
        web_enabled=bool(web_enabled),
    )


def _flag(condition, bit: int):
    return case((condition, bit), else_=0)


def _mobile(phone):
    """A phone the import accepted that is not a landline (whose national number starts with 0)."""
    landline = or_(*[phone.like(f"{prefix}0%") for prefix in ("", "86", "86-", "86 ", "+86", "+86-", "+86 ")])
    return and_(phone.is_not(None), phone != "", not_(landline))


def flag_columns(session: Session, tier_codes: tuple[str, ...], cutoff: dt.datetime):
    """``(tier position, bit mask)`` SQL expressions over the clients table."""
    c = Client.__table__.c
    no_address = list(session.scalars(select(Branch.code).where(Branch.has_address.is_(False))))
    branch_ok = c.branch_code != ""
    if no_address:
        branch_ok = and_(branch_ok, c.branch_code.not_in(no_address))
    tier = case(*[(c.tier_code == code, i) for i, code in enumerate(tier_codes)], else_=-1)
    bits = (
        _flag(c.opted_out.is_(True), OPTED_OUT)
        + _flag(c.account_closed.is_(True), CLOSED)
        + _flag(and_(c.phone.is_not(None), c.phone != ""), PHONE)
        + _flag(or_(and_(c.email.is_not(None), c.email != ""), _mobile(c.phone)), EMAIL)
        + _flag(branch_ok, BRANCH)
        + _flag(c.last_contacted_at >= cutoff, RECENT)
        + case(*[(c.preferred_mode == m, i << PREF_SHIFT) for i, m in enumerate(PREF_CODES) if m], else_=0)
    )
    return tier, bits


def _members(ids: np.ndarray, wanted) -> np.ndarray:
    """Mask of ``ids`` (sorted ascending) that appear in ``wanted``."""
    wanted = np.fromiter(wanted, dtype=np.int64)
    mask = np.zeros(ids.size, dtype=bool)
    if wanted.size and ids.size:
        pos = np.searchsorted(ids, wanted)
        ok = pos < ids.size
        ok[ok] = ids[pos[ok]] == wanted[ok]
        mask[pos[ok]] = True
    return mask


def read_frame_columns(session: Session, tier_codes: tuple[str, ...], cutoff: dt.datetime,
                       progress: Progress | None = None) -> np.ndarray:
    """Every client as one ``(id, tier position, bits)`` int64 row, ordered by id."""
    c = Client.__table__.c
    tier, bits = flag_columns(session, tier_codes, cutoff)
    conn = session.connection()
    total = conn.execute(select(func.count()).select_from(Client.__table__)).scalar_one()
    out = np.empty((total, 3), dtype=np.int64)
    done = 0
    result = conn.execute(select(c.id, tier, bits).order_by(c.id))
    # The three columns are plain integers with no result processing, so the rows are
    # taken straight from the DBAPI cursor (CursorResult.cursor): Row objects for a million
    # clients would cost more than the query itself.
    cursor = result.cursor
    try:
        while done < total:
            part = cursor.fetchmany(CHUNK)
            if not part:
                break
            n = min(len(part), total - done)
            out[done:done + n] = np.fromiter(itertools.chain.from_iterable(part[:n]), dtype=np.int64,
                                             count=3 * n).reshape(n, 3)
            done += n
            if progress:
                progress("loading", done, total)
    finally:
        result.close()
    return out[:done]


def load_frame(session: Session, wave: Wave, *, now: dt.datetime | None = None,
               progress: Progress | None = None) -> Frame:
    """The wave's frame as of ``now`` (default: the current time)."""
    settings = wave_settings(wave)
    tier_codes = tuple(t.code for t in wave.tier_scheme.tiers)
    cutoff = (now or utcnow()) - dt.timedelta(days=int(settings["cool_off_days"]))
    web_enabled = bool(settings["web_enabled"])
    rows = read_frame_columns(session, tier_codes, cutoff, progress)
    ids, tier, bits = rows[:, 0], rows[:, 1], rows[:, 2]

    recent = (bits & RECENT) > 0
    called = select(Invitation.client_id).join(ContactAttempt, ContactAttempt.invitation_id == Invitation.id)
    recent |= _members(ids, session.scalars(called.where(ContactAttempt.at >= cutoff).distinct()))
    if settings["exclude_open_complaints"]:
        open_cases = select(FollowUpCase.client_id).where(FollowUpCase.step != "closed").distinct()
        open_followup = _members(ids, session.scalars(open_cases))
    else:
        open_followup = np.zeros(ids.size, dtype=bool)
    reachable = (bits & (PHONE | BRANCH)) > 0
    if web_enabled:
        reachable |= (bits & EMAIL) > 0
    rule = np.full(ids.size, -1, dtype=np.int64)
    conditions = [(bits & OPTED_OUT) > 0, recent, open_followup, (bits & CLOSED) > 0, ~reachable]
    for i in reversed(range(len(conditions))):  # the first rule that applies wins
        rule[conditions[i]] = i

    known = tier >= 0
    removed = known & (rule >= 0)
    n_tiers, n_rules = len(tier_codes), len(RULES)
    by_rule = np.bincount(tier[removed] * n_rules + rule[removed], minlength=n_tiers * n_rules)
    by_rule = by_rule.reshape(n_tiers, n_rules)
    eligible = known & (rule < 0)
    tier_eligible = tier[eligible]
    population = np.bincount(tier_eligible, minlength=n_tiers)
    return Frame(
        tier_codes=tier_codes,
        client_ids=ids[eligible],
        strata=np.array(tier_codes)[tier_eligible] if tier_codes else np.empty(0, dtype=str),
        tier_index=tier_eligible,
        bits=bits[eligible],
        population={code: int(population[i]) for i, code in enumerate(tier_codes)},
        excluded={code: {rule_name: int(by_rule[i, j]) for j, rule_name in enumerate(RULES)}
                  for i, code in enumerate(tier_codes)},
        unknown_tier=int((~known).sum()),
        cutoff=cutoff,
        web_enabled=web_enabled,
    )


def client_bits(session: Session, wave: Wave, client_ids: list[int],
                now: dt.datetime | None = None) -> dict[int, int]:
    """Current flag bits of a few clients (for a release after the draw)."""
    tier_codes = tuple(t.code for t in wave.tier_scheme.tiers)
    cutoff = (now or utcnow()) - dt.timedelta(days=int((wave.settings or {}).get("cool_off_days", 90)))
    _tier, bits = flag_columns(session, tier_codes, cutoff)
    c = Client.__table__.c
    out: dict[int, int] = {}
    for start in range(0, len(client_ids), 1000):
        chunk = client_ids[start:start + 1000]
        out.update((int(i), int(b)) for i, b in session.connection().execute(select(c.id, bits).where(c.id.in_(chunk))))
    return out
