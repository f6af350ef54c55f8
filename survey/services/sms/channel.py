"""Which channel a web-mode message goes by: the client's preferred channel, else the default rule.

The default rule (``preferred_channel`` empty): e-mail when the client has an address, else SMS
when they have a mobile number.  A preferred channel the client cannot be reached by (SMS
without a mobile number, e-mail without an address) falls back to the other one.
"""

from __future__ import annotations

import re

from survey.models import Client

CHANNELS = ("email", "sms")
MOBILE = re.compile(r"^(?:\+?86[- ]?)?(1[3-9]\d{9})$")


def mobile_e164(phone: str | None) -> str | None:
    """``+8613800138000`` for a mainland mobile number however the file wrote it; None for a landline or nothing."""
    m = MOBILE.match((phone or "").strip())
    return f"+86{m.group(1)}" if m else None


def phone_spellings(e164: str) -> list[str]:
    """The ways the client file may hold the mobile number ``+86…`` (the import accepts all of them)."""
    national = e164.removeprefix("+86")
    out = [national]
    for prefix in ("86", "+86"):
        out += [f"{prefix}{sep}{national}" for sep in ("", "-", " ")]
    return out


def channel_of(client: Client) -> str | None:
    """``email`` or ``sms`` for ``client``'s next web-mode message; None when neither can reach them."""
    has_email, has_mobile = bool(client.email), mobile_e164(client.phone) is not None
    if client.preferred_channel == "sms" and has_mobile:
        return "sms"
    if has_email:
        return "email"
    return "sms" if has_mobile else None
