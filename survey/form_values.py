"""Reading numbers and dates typed into forms and URLs: ASCII digits only, within the database's range.

``int("²")`` raises, ``"１２".isdigit()`` is true, ``int("9" * 5000)`` raises, and a 20-digit id
overflows a BIGINT: each of these was a 500.  Here they are simply "not a number" (None).
"""

from __future__ import annotations

import datetime as dt

BIGINT_MAX = 2**63 - 1
FIRST_YEAR, LAST_YEAR = 1900, 2100


def ascii_int(raw: str | None, *, low: int = 0, high: int = BIGINT_MAX) -> int | None:
    """``raw`` as an int when it is ASCII digits (no sign) within [low, high]; else None."""
    raw = (raw or "").strip()
    if not raw or len(raw) > 19 or not raw.isascii() or not raw.isdigit():
        return None
    value = int(raw)
    return value if low <= value <= high else None


def page_number(raw: str | None) -> int:
    """A list's ``?page=`` (1 to 999,999); anything else is the first page."""
    return ascii_int(raw, low=1, high=999_999) or 1


def in_range(moment: dt.date | None) -> bool:
    """Dates (and date-times) from 1900 to 2100: anything else is a typo or an attack."""
    return moment is not None and FIRST_YEAR <= moment.year <= LAST_YEAR


def iso_date(raw: str | None) -> dt.date | None:
    """``YYYY-MM-DD`` within 1900–2100, or None."""
    try:
        value = dt.date.fromisoformat((raw or "").strip()) if (raw or "").isascii() else None
    except ValueError:
        return None
    return value if in_range(value) else None


def iso_datetime(raw: str | None) -> dt.datetime | None:
    """An ISO date-time (as a ``datetime-local`` field sends it) within 1900–2100, or None."""
    try:
        value = dt.datetime.fromisoformat((raw or "").strip()) if (raw or "").isascii() else None
    except ValueError:
        return None
    return value if in_range(value) else None
