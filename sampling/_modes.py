"""Contact mode of each sampled client: phone, in-person visit or web.

The bank's playbook: phone for the top tiers, visits for the lower tiers;
web only where a wave offers it.  Rules, in order, for each client:

1. **preference** - a recorded preference wins where allowed and feasible
   (and differs from the tier default, else the reason is ``tier_default``);
2. **tier_default** - the tier's default mode, where feasible;
3. fallbacks when the default is not feasible:
   ``no_phone_fallback`` (phone default, no number) -> in_person;
   ``no_branch_fallback`` (visit default, no branch or address) -> phone;
   ``no_web_fallback`` (web default, no email or web off) -> phone, else in_person;
   ``web_fallback`` (neither phone nor branch) -> web;
   ``unreachable`` -> mode ``"none"``.

Feasible means: phone needs a number, in_person a branch or address, web an
email address *and* a wave with web enabled.  Web is therefore chosen only
when the tier default is web, the client prefers web, or no other mode is
possible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "MODES",
    "NO_MODE",
    "REASONS",
    "ModeAssignment",
    "ModeChoice",
    "assign_contact_modes",
    "contact_mode",
    "default_modes",
]

MODES = ("phone", "in_person", "web")
NO_MODE = "none"
REASONS = (
    "preference",
    "tier_default",
    "no_phone_fallback",
    "no_branch_fallback",
    "no_web_fallback",
    "web_fallback",
    "unreachable",
)


@dataclass(frozen=True, eq=False)
class ModeAssignment:
    """Modes for many clients: ``mode`` and ``reason`` are arrays of str."""

    mode: np.ndarray
    reason: np.ndarray

    def counts(self) -> dict:
        """Number of clients per mode, e.g. ``{"phone": 120, "in_person": 80}``."""
        values, counts = np.unique(self.mode, return_counts=True)
        return dict(zip(values.tolist(), counts.tolist(), strict=True))


@dataclass(frozen=True)
class ModeChoice:
    """Mode for one client and the rule that chose it."""

    mode: str
    reason: str


def _modes(values, name: str, *, allow_blank: bool) -> np.ndarray:
    arr = np.asarray(values, dtype=object)
    arr = np.where(np.equal(arr, None), "", arr).astype(str)
    allowed = MODES + (("",) if allow_blank else ())
    for value in np.unique(arr).tolist():
        if value not in allowed:
            raise ValueError(f"{name} must contain only {MODES!r} but got {value!r}")
    return arr


def default_modes(tiers, mode_by_tier) -> np.ndarray:
    """Map each client's tier to its default mode, vectorised.

    Examples
    --------
    >>> default_modes(["private", "gold"], {"private": "phone", "gold": "in_person"}).tolist()
    ['phone', 'in_person']
    """
    tiers = np.asarray(tiers)
    keys = list(mode_by_tier)
    _modes(list(mode_by_tier.values()), "mode_by_tier", allow_blank=False)
    out = np.full(tiers.shape, "", dtype="<U9")
    for key in keys:
        out[tiers == key] = mode_by_tier[key]
    if (out == "").any():
        missing = tiers[out == ""][0]
        raise ValueError(f"mode_by_tier has no mode for tier {missing.item()!r}")
    return out


def assign_contact_modes(
    tier_default_modes,
    *,
    has_phone,
    has_email,
    has_branch,
    preferred_mode=None,
    web_enabled=False,
    allow_preference=True,
) -> ModeAssignment:
    """Contact mode of each client by the rules in this module's docstring.

    Parameters
    ----------
    tier_default_modes : array_like of str
        Default mode of each client's tier (see :func:`default_modes`).
    has_phone, has_email, has_branch : bool or array_like of bool
        Whether the client has a phone number, an email address, and a branch
        or address to visit; scalars apply to every client.
    preferred_mode : array_like of str or None, optional
        Recorded preference per client; ``None`` or ``""`` for none.
    web_enabled : bool or array_like of bool
        Whether the wave offers the web questionnaire.
    allow_preference : bool or array_like of bool
        Whether a recorded preference may override the tier default.

    Returns
    -------
    ModeAssignment
        ``mode`` in ``MODES`` or ``"none"``; ``reason`` in ``REASONS``.

    Examples
    --------
    >>> res = assign_contact_modes(["phone", "in_person", "phone"],
    ...     has_phone=[True, True, False], has_email=False, has_branch=True)
    >>> res.mode.tolist(), res.reason.tolist()
    (['phone', 'in_person', 'in_person'], ['tier_default', 'tier_default', 'no_phone_fallback'])
    """
    default = _modes(tier_default_modes, "tier_default_modes", allow_blank=False)
    if default.ndim != 1:
        raise ValueError(f"tier_default_modes must be 1-D but got shape {default.shape}")
    n = default.shape[0]
    pref = np.full(n, "") if preferred_mode is None else preferred_mode
    pref = _modes(np.broadcast_to(pref, (n,)), "preferred_mode", allow_blank=True)
    flags = {}
    for name, value in [
        ("has_phone", has_phone),
        ("has_email", has_email),
        ("has_branch", has_branch),
        ("web_enabled", web_enabled),
        ("allow_preference", allow_preference),
    ]:
        arr = np.asarray(value)
        if arr.dtype != bool:
            raise TypeError(f"{name} must be bool or an array of bool but got {value!r}")
        try:
            flags[name] = np.broadcast_to(arr, (n,))
        except ValueError:
            raise ValueError(f"{name} must have length {n} but got shape {arr.shape}") from None
    phone, branch = flags["has_phone"], flags["has_branch"]
    web = flags["has_email"] & flags["web_enabled"]

    def feasible(modes):
        return (
            ((modes == "phone") & phone)
            | ((modes == "in_person") & branch)
            | ((modes == "web") & web)
        )

    mode = np.full(n, NO_MODE, dtype="<U9")
    reason = np.full(n, "unreachable", dtype="<U18")
    rules = [
        (
            flags["allow_preference"] & (pref != "") & (pref != default) & feasible(pref),
            pref,
            "preference",
        ),
        (feasible(default), default, "tier_default"),
        ((default == "phone") & branch, "in_person", "no_phone_fallback"),
        ((default == "in_person") & phone, "phone", "no_branch_fallback"),
        ((default == "web") & phone, "phone", "no_web_fallback"),
        ((default == "web") & branch, "in_person", "no_web_fallback"),
        (web, "web", "web_fallback"),
    ]
    todo = np.ones(n, dtype=bool)
    for cond, choice, why in rules:
        hit = todo & cond
        mode[hit] = choice[hit] if isinstance(choice, np.ndarray) else choice
        reason[hit] = why
        todo &= ~hit
    return ModeAssignment(mode=mode, reason=reason)


def contact_mode(
    default_mode,
    *,
    has_phone=True,
    has_email=False,
    has_branch=True,
    preferred_mode=None,
    web_enabled=False,
    allow_preference=True,
) -> ModeChoice:
    """Contact mode of one client; the same rules as :func:`assign_contact_modes`.

    Examples
    --------
    >>> contact_mode("in_person", has_branch=False)
    ModeChoice(mode='phone', reason='no_branch_fallback')
    >>> contact_mode("phone", preferred_mode="web", has_email=True, web_enabled=True)
    ModeChoice(mode='web', reason='preference')
    """
    res = assign_contact_modes(
        [default_mode],
        has_phone=bool(has_phone),
        has_email=bool(has_email),
        has_branch=bool(has_branch),
        preferred_mode=[preferred_mode],
        web_enabled=bool(web_enabled),
        allow_preference=bool(allow_preference),
    )
    return ModeChoice(mode=str(res.mode[0]), reason=str(res.reason[0]))
