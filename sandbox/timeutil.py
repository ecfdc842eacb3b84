"""Epoch-second time helpers shared by the world and the emulators (everything is UTC)."""
from __future__ import annotations

import calendar
from datetime import datetime, timezone

DAY = 86_400
HOUR = 3_600


def ts(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    return calendar.timegm((year, month, day, hour, minute, second))


def to_dt(t: int | float) -> datetime:
    return datetime.fromtimestamp(t, tz=timezone.utc)


def iso(t: int | float) -> str:
    """RFC 3339 with a Z, as Google and HubSpot write it (millisecond precision)."""
    return to_dt(t).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(round((t % 1) * 1000)):03d}Z"


def parse_iso(s: str) -> float:
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def add_months(t: int, months: int) -> int:
    """Same day-of-month and time `months` later, clamped to the month's last day (Stripe's rule)."""
    d = to_dt(t)
    m0 = d.month - 1 + months
    year, month = d.year + m0 // 12, m0 % 12 + 1
    day = min(d.day, calendar.monthrange(year, month)[1])
    return ts(year, month, day, d.hour, d.minute, d.second)


def month_start(t: int) -> int:
    d = to_dt(t)
    return ts(d.year, d.month, 1)


def day_start(t: int) -> int:
    return t - t % DAY
