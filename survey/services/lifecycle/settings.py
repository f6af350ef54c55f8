"""A wave's settings as people change them: known keys, typed values, and when each may change.

Keys are the names of ``waves.DEFAULT_SETTINGS``, ``triggers.*`` (the follow-up triggers of
``followup.triggers``) and ``modes.<tier>`` (contact mode per tier).  When they may change:

- **before the draw** (draft only): ``cool_off_days``, ``exclude_open_complaints``, ``web_enabled``,
  ``expected_response_rate`` and ``modes.<tier>``: they shape the frame, the plan and each case's
  contact mode, which the draw fixes;
- **until the wave closes**: calling hours, attempts and retry wait, reminders, link lifetime (new
  links only) and follow-up triggers: they steer fieldwork as it runs;
- **never once closed**: a closed wave is final.

Setting a key to the value it has already changes nothing and is always accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from survey.errors import ValidationFailed, joined
from survey.models import MODES, StaffUser, Wave
from survey.services import audit
from survey.services.followup.cases import TOPICS
from survey.services.followup.triggers import triggers_for
from survey.services.waves import modes_by_tier, wave_settings

BEFORE_DRAW, UNTIL_CLOSED = "draft", "open"
TRUE, FALSE = ("true", "yes", "on", "1", "y"), ("false", "no", "off", "0", "n")
OFF = ("off", "none", "null", "")


@dataclass(frozen=True)
class Spec:
    key: str
    kind: str  # int, rate, bool, hours, mode, cap, topic, amount, choice
    stage: str
    label: Any
    low: float = 0
    high: float = 0
    group: str = "fieldwork"
    choices: tuple[str, ...] = ()


SPECS = (
    Spec("calling_hours", "hours", UNTIL_CLOSED, _l("Calling hours (local time, from–to)"), 0, 24, "calls"),
    Spec("max_attempts", "int", UNTIL_CLOSED, _l("Maximum attempts per case"), 1, 30, "calls"),
    Spec("retry_wait_minutes", "int", UNTIL_CLOSED, _l("Wait between attempts (minutes)"), 0, 10080, "calls"),
    Spec("reminder_after_days", "int", UNTIL_CLOSED, _l("Remind after (days without an answer)"), 1, 60, "web"),
    Spec("max_reminders", "int", UNTIL_CLOSED, _l("Maximum reminders"), 0, 10, "web"),
    Spec("token_ttl_days", "int", UNTIL_CLOSED, _l("Link lifetime (days; applies to new links)"), 1, 365, "web"),
    Spec("triggers.enabled", "bool", UNTIL_CLOSED, _l("Open follow-up cases from answers"), group="followup"),
    Spec("triggers.overall_max", "cap", UNTIL_CLOSED, _l("Overall satisfaction at or below (1–5; off)"), 1, 5,
         "followup"),
    Spec("triggers.recommend_max", "cap", UNTIL_CLOSED, _l("Likelihood to recommend at or below (0–10; off)"), 0, 10,
         "followup"),
    Spec("triggers.contact_request", "bool", UNTIL_CLOSED, _l("A request to be contacted opens a case"),
         group="followup"),
    Spec("triggers.topic", "topic", UNTIL_CLOSED, _l("Topic of the cases opened"), group="followup"),
    Spec("web_enabled", "bool", BEFORE_DRAW, _l("Web links for clients with an e-mail address or a mobile number"), group="sample"),
    Spec("cool_off_days", "int", BEFORE_DRAW, _l("Cool-off: skip clients contacted within (days)"), 0, 3650, "sample"),
    Spec("exclude_open_complaints", "bool", BEFORE_DRAW, _l("Skip clients with an open follow-up case"),
         group="sample"),
    Spec("expected_response_rate", "rate", BEFORE_DRAW, _l("Expected response rate (0–1)"), 0.01, 1, "sample"),
    Spec("budget", "amount", BEFORE_DRAW, _l("Fieldwork budget (cost units; off for no limit)"), 0, 1e12, "sample"),
    Spec("weighting", "choice", UNTIL_CLOSED, _l("Weights of the quality figures"), group="results",
         choices=("design", "raked")),
    Spec("scorecard_min_respondents", "int", UNTIL_CLOSED, _l("Fewest respondents to rank a group on scorecards"),
         1, 1000, "results"),
)
GROUPS = {"calls": _l("Calls and visits"), "web": _l("Web links and reminders"),
          "followup": _l("Follow-up triggers"), "modes": _l("Contact mode per tier"), "sample": _l("Sample"),
          "results": _l("Results")}


def specs(wave: Wave) -> list[Spec]:
    """Every key the wave knows, the per-tier contact modes included."""
    tier_modes = [Spec(f"modes.{t.code}", "mode", BEFORE_DRAW, _l("Contact mode: %(tier)s", tier=t.code), group="modes")
                  for t in wave.tier_scheme.tiers]
    return [*SPECS, *tier_modes]


def editable(wave: Wave, spec: Spec) -> bool:
    if wave.status == "closed":
        return False
    return spec.stage == UNTIL_CLOSED or wave.status == "draft"


def current(wave: Wave) -> dict[str, Any]:
    """The wave's effective value of every key (defaults filled in)."""
    s, trig, modes = wave_settings(wave), triggers_for(wave), modes_by_tier(wave)
    nested = {"triggers": trig, "modes": modes}
    out = {}
    for spec in specs(wave):
        head, _, tail = spec.key.partition(".")
        out[spec.key] = nested[head].get(tail) if tail else s.get(spec.key)
    return out


def show(value: Any) -> str:
    """A value as it is typed on the command line or in the form."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "off"
    if isinstance(value, (list, tuple)):
        return "-".join(str(v) for v in value)
    return str(value)


def _int(spec: Spec, raw: str) -> int:
    text = raw.strip()
    if not text.lstrip("-").isdigit() or not spec.low <= int(text) <= spec.high:
        raise ValueError(_l("%(key)s must be a whole number from %(low)s to %(high)s but got %(value)r",
                            key=spec.key, low=int(spec.low), high=int(spec.high), value=raw))
    return int(text)


def parse(spec: Spec, raw: str) -> Any:
    """The typed value of ``raw`` for ``spec``; ValueError (with a message for people) when it is not one."""
    text = (raw or "").strip().lower()
    if spec.kind == "int":
        return _int(spec, text)
    if spec.kind == "bool":
        if text in TRUE or text in FALSE:
            return text in TRUE
        raise ValueError(_l("%(key)s must be true or false but got %(value)r", key=spec.key, value=raw))
    if spec.kind == "cap":
        return None if text in OFF else _int(spec, text)
    if spec.kind == "amount":
        if text in OFF:
            return None
        try:
            amount = float(text.replace(",", "")) if text.isascii() else -1.0
        except ValueError:
            amount = -1.0
        if not spec.low <= amount <= spec.high:  # also refuses nan and inf
            raise ValueError(_l("%(key)s must be an amount of 0 or more, or off, but got %(value)r",
                                key=spec.key, value=raw))
        return int(amount) if amount.is_integer() else amount
    if spec.kind == "choice":
        if text in spec.choices:
            return text
        raise ValueError(_l("%(key)s must be one of %(choices)s but got %(value)r",
                            key=spec.key, choices=", ".join(spec.choices), value=raw))
    if spec.kind == "rate":
        try:
            value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            value = -1.0
        if not spec.low <= value <= spec.high:
            raise ValueError(_l("%(key)s must be a share from 0.01 to 1 (or a percentage) but got %(value)r",
                                key=spec.key, value=raw))
        return value
    if spec.kind == "hours":
        parts = [p for p in text.replace("–", "-").replace(",", "-").replace(" ", "").split("-") if p]
        if len(parts) != 2 or not all(p.isdigit() for p in parts) or not 0 <= int(parts[0]) < int(parts[1]) <= 24:
            raise ValueError(_l("%(key)s must be two hours from 0 to 24, start before end (e.g. 9-20), but got %(value)r",
                                key=spec.key, value=raw))
        return [int(parts[0]), int(parts[1])]
    if spec.kind == "mode":
        if text == "default" or text in MODES:
            return text
        raise ValueError(_l("%(key)s must be one of %(modes)s or default but got %(value)r",
                            key=spec.key, modes=", ".join(MODES), value=raw))
    if text not in TOPICS:
        raise ValueError(_l("%(key)s must be one of %(topics)s but got %(value)r",
                            key=spec.key, topics=", ".join(TOPICS), value=raw))
    return text


def _store(settings: dict, key: str, value: Any) -> None:
    head, _, tail = key.partition(".")
    if tail:
        settings[head] = {**(settings.get(head) or {}), tail: value}
    else:
        settings[key] = value


def change_settings(session: Session, wave: Wave, changes: dict[str, str], actor: StaffUser | str | None
                    ) -> dict[str, tuple[Any, Any]]:
    """Apply ``changes`` (key → text) all together or not at all; returns key → (before, after) of the
    keys that changed.  Unknown keys, bad values and keys the wave's stage no longer allows are refused
    (ValidationFailed, with a problem per key)."""
    by_key = {s.key: s for s in specs(wave)}
    before = current(wave)
    problems, typed = [], {}
    for key, raw in changes.items():
        spec = by_key.get(key)
        if spec is None:
            problems.append((key, _l("unknown setting %(key)r; known settings: %(keys)s", key=key,
                                     keys=", ".join(by_key))))
            continue
        try:
            value = parse(spec, raw)
        except ValueError as exc:
            problems.append((key, exc.args[0]))
            continue
        if spec.kind == "mode" and value == "default":
            value = next(t.default_mode for t in wave.tier_scheme.tiers if f"modes.{t.code}" == key)
        if value == before[key]:
            continue
        if not editable(wave, spec):
            why = (_l("wave %(wave)s is closed: its settings are final", wave=wave.name) if wave.status == "closed"
                   else _l("%(key)s can only change before the draw", key=key))
            problems.append((key, why))
            continue
        typed[key] = value
    if problems:
        raise ValidationFailed(joined(why for _key, why in problems), problems)
    if typed:
        settings = dict(wave.settings or {})
        for key, value in typed.items():
            _store(settings, key, value)
        wave.settings = settings
        session.flush()
        audit.record(session, actor, "wave.settings_changed", "wave", wave.id,
                     changes={k: [before[k], v] for k, v in typed.items()})
    return {k: (before[k], v) for k, v in typed.items()}
