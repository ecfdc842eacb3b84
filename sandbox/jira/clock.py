"""Jira's ways of writing time: `2026-11-02T01:29:47.123-0800` in the requesting user's zone, ISO
UTC for the agile API and the ground truth, and JQL's local `yyyy/MM/dd HH:mm` literals."""
from __future__ import annotations

import bisect
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from sandbox.timeutil import DAY, ts


def iso_utc(ms: int) -> str:
    """`2026-11-02T09:29:47.123Z` (the agile API's and the truth's format)."""
    t = time.gmtime(ms // 1000)
    return (f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
            f".{ms % 1000:03d}Z")


class ZoneClock:
    """Fast formatting in one IANA zone: the UTC offsets are looked up in a precomputed transition table."""

    def __init__(self, name: str, first_year: int = 2022, last_year: int = 2030):
        self.name, self.zone = name, ZoneInfo(name)
        self._days: dict[tuple[int, int], tuple[str, str]] = {}  # (local day, offset) -> (date prefix, offset suffix)
        start, end = ts(first_year, 1, 1), ts(last_year, 1, 1)
        self._starts, self._offsets = [start], [self._offset(start)]
        for day in range(start, end, DAY):
            if self._offset(day + DAY) != self._offsets[-1]:
                lo, hi = day, day + DAY  # the change lies in (lo, hi]: find its second
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    lo, hi = (mid, hi) if self._offset(mid) == self._offsets[-1] else (lo, mid)
                self._starts.append(hi)
                self._offsets.append(self._offset(hi))

    def _offset(self, t: int) -> int:
        return int(datetime.fromtimestamp(t, self.zone).utcoffset().total_seconds())

    def offset(self, ms: int) -> int:
        """The zone's UTC offset in seconds at `ms`."""
        return self._offsets[bisect.bisect_right(self._starts, ms // 1000) - 1]

    def jira(self, ms: int) -> str:
        """`2026-11-02T01:29:47.123-0800`."""
        off = self._offsets[bisect.bisect_right(self._starts, ms // 1000) - 1]
        day, sec = divmod(ms // 1000 + off, 86_400)
        key = (day, off)
        parts = self._days.get(key)
        if parts is None:
            t = time.gmtime(day * 86_400)
            sign, a = ("-", -off) if off < 0 else ("+", off)
            parts = self._days[key] = (f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T",
                                       f"{sign}{a // 3600:02d}{a % 3600 // 60:02d}")
        h, rem = divmod(sec, 3600)
        return f"{parts[0]}{h:02d}:{rem // 60:02d}:{rem % 60:02d}.{ms % 1000:03d}{parts[1]}"

    def local_ms(self, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
        """The instant a local wall-clock minute names (the first one when DST repeats an hour)."""
        return int(datetime(year, month, day, hour, minute, tzinfo=self.zone).timestamp()) * 1000

