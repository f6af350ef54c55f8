"""Contact-mode rules (sampling._modes)."""

import numpy as np
import pytest

from sampling import (
    MODES,
    REASONS,
    ModeChoice,
    assign_contact_modes,
    contact_mode,
    default_modes,
)


def test_tier_default_phone_for_top_tiers_visit_for_lower():
    playbook = {
        "private": "phone",
        "diamond": "phone",
        "gold": "in_person",
        "standard": "in_person",
    }
    modes = default_modes(["private", "gold", "standard", "diamond"], playbook)
    assert modes.tolist() == ["phone", "in_person", "in_person", "phone"]
    res = assign_contact_modes(modes, has_phone=True, has_email=True, has_branch=True)
    assert res.mode.tolist() == modes.tolist()
    assert set(res.reason.tolist()) == {"tier_default"}


def test_default_modes_rejects_unknown_tier_and_mode():
    with pytest.raises(ValueError, match="mode_by_tier has no mode for tier 'silver'"):
        default_modes(["gold", "silver"], {"gold": "phone"})
    with pytest.raises(ValueError, match="mode_by_tier must contain only .* but got 'fax'"):
        default_modes(["gold"], {"gold": "fax"})


@pytest.mark.parametrize(
    ("default", "kwargs", "expected"),
    [
        # preference wins where allowed and feasible
        ("phone", {"preferred_mode": "in_person"}, ("in_person", "preference")),
        ("in_person", {"preferred_mode": "phone"}, ("phone", "preference")),
        (
            "phone",
            {"preferred_mode": "web", "has_email": True, "web_enabled": True},
            ("web", "preference"),
        ),
        # ... but not where not allowed
        (
            "phone",
            {"preferred_mode": "in_person", "allow_preference": False},
            ("phone", "tier_default"),
        ),
        # ... nor where not feasible: web preferred but the wave has no web
        ("phone", {"preferred_mode": "web", "has_email": True}, ("phone", "tier_default")),
        # ... or web preferred and web on, but no email
        (
            "in_person",
            {"preferred_mode": "web", "web_enabled": True},
            ("in_person", "tier_default"),
        ),
        # a preference equal to the default is just the default
        ("phone", {"preferred_mode": "phone"}, ("phone", "tier_default")),
        # web as the default, where the wave enables it and the client has email
        ("web", {"has_email": True, "web_enabled": True}, ("web", "tier_default")),
        # web is not chosen merely because it is possible
        ("phone", {"has_email": True, "web_enabled": True}, ("phone", "tier_default")),
        # fallbacks
        ("phone", {"has_phone": False}, ("in_person", "no_phone_fallback")),
        ("in_person", {"has_branch": False}, ("phone", "no_branch_fallback")),
        ("web", {"has_email": False, "web_enabled": True}, ("phone", "no_web_fallback")),
        (
            "web",
            {"has_email": True, "web_enabled": False, "has_phone": False},
            ("in_person", "no_web_fallback"),
        ),
        (
            "phone",
            {"has_phone": False, "has_branch": False, "has_email": True, "web_enabled": True},
            ("web", "web_fallback"),
        ),
        (
            "in_person",
            {"has_phone": False, "has_branch": False, "has_email": True, "web_enabled": True},
            ("web", "web_fallback"),
        ),
        (
            "phone",
            {"has_phone": False, "has_branch": False, "has_email": True},
            ("none", "unreachable"),
        ),
        ("in_person", {"has_phone": False, "has_branch": False}, ("none", "unreachable")),
        ("web", {"has_phone": False, "has_branch": False}, ("none", "unreachable")),
        # an infeasible preference falls through to the default's fallback
        (
            "phone",
            {"has_phone": False, "preferred_mode": "phone"},
            ("in_person", "no_phone_fallback"),
        ),
    ],
)
def test_rules(default, kwargs, expected):
    assert contact_mode(default, **kwargs) == ModeChoice(*expected)


def test_vectorised_matches_single_client():
    rng = np.random.default_rng(3)
    n = 500
    default = rng.choice(list(MODES), n)
    pref = rng.choice(["", "phone", "in_person", "web"], n)
    flags = {k: rng.random(n) < 0.7 for k in ["has_phone", "has_email", "has_branch"]}
    web_enabled = rng.random(n) < 0.5
    allow = rng.random(n) < 0.8
    res = assign_contact_modes(
        default, preferred_mode=pref, web_enabled=web_enabled, allow_preference=allow, **flags
    )
    assert res.mode.shape == res.reason.shape == (n,)
    assert set(res.reason.tolist()) <= set(REASONS)
    assert set(res.mode.tolist()) <= set(MODES) | {"none"}
    for i in range(n):
        one = contact_mode(
            default[i],
            preferred_mode=pref[i] or None,
            web_enabled=web_enabled[i],
            allow_preference=allow[i],
            **{k: v[i] for k, v in flags.items()},
        )
        assert (res.mode[i], res.reason[i]) == (one.mode, one.reason)
    assert sum(res.counts().values()) == n


def test_chosen_mode_is_always_feasible():
    rng = np.random.default_rng(8)
    n = 300
    phone, email, branch = (rng.random(n) < 0.5 for _ in range(3))
    res = assign_contact_modes(
        rng.choice(list(MODES), n),
        has_phone=phone,
        has_email=email,
        has_branch=branch,
        web_enabled=True,
        preferred_mode=rng.choice(["", "web"], n),
    )
    assert np.all(phone[res.mode == "phone"])
    assert np.all(branch[res.mode == "in_person"])
    assert np.all(email[res.mode == "web"])
    assert np.all(~phone[res.mode == "none"] & ~branch[res.mode == "none"])


def test_none_preference_values():
    res = assign_contact_modes(
        ["phone", "phone"],
        has_phone=True,
        has_email=False,
        has_branch=True,
        preferred_mode=[None, "in_person"],
    )
    assert res.mode.tolist() == ["phone", "in_person"]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"preferred_mode": ["fax"]}, ValueError, "preferred_mode must contain only .* 'fax'"),
        ({"has_phone": [1]}, TypeError, "has_phone must be bool"),
        ({"has_phone": [True, False]}, ValueError, "has_phone must have length 1"),
    ],
)
def test_assign_contact_modes_rejects(kwargs, error, message):
    base = {"has_phone": True, "has_email": True, "has_branch": True}
    with pytest.raises(error, match=message):
        assign_contact_modes(["phone"], **{**base, **kwargs})
    with pytest.raises(ValueError, match="tier_default_modes must contain only .* 'visit'"):
        assign_contact_modes(["visit"], **base)
