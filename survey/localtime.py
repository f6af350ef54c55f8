"""Times as staff read them: in a branch's time zone, with the zone named.

One helper for every staff page (the Jinja filter ``local``) and every message that
names a time, so no page shows UTC beside another's local time.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TZ = "Asia/Shanghai"
FORMAT = "%Y-%m-%d %H:%M"


def zone(name: str | None) -> ZoneInfo:
    """The zone called ``name``; an unknown or empty name gives the bank's default zone."""
    try:
        return ZoneInfo(name or DEFAULT_TZ)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TZ)


def zone_name(name: str | None) -> str:
    return str(zone(name).key)


def local_time(moment: dt.datetime | None, tz: str | None = None, fmt: str = FORMAT, *, named: bool = True) -> str:
    """``moment`` in zone ``tz`` as ``2026-12-01 09:00 Asia/Shanghai`` ("" when there is no time).

    A naive ``moment`` is taken as UTC (how the database hands back stored times on SQLite).
    """
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    text = moment.astimezone(zone(tz)).strftime(fmt)
    return f"{text} {zone_name(tz)}" if named else text


def hours_text(hours) -> str:
    """Calling hours ``[9, 20]`` as ``09:00–20:00``."""
    start, end = int(hours[0]), int(hours[1])
    return f"{start:02d}:00–{end:02d}:00"
