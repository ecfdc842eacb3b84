"""Activity: logins and the daily usage rollup, recorded since the analytics release of 2026-01-01.

Logins are a thinned Poisson process per user: the rate falls with the account's health
(`account.health_at`), on weekends, and in free workspaces (fading after the trial). Daily usage rows
are computed on demand from counter-based draws (`_mix(tenant key, day)`), so any window of days
can be rendered without replaying the history. The nightly job writes a day's row at 00:10 UTC
(plus a per-tenant offset) and rewrites it on each of the next two nights as late opens, clicks,
replies and unsubscribes arrive: yesterday's row changes on the next advance.
"""
from __future__ import annotations

import bisect
import math
import random
from collections import Counter
from typing import TYPE_CHECKING, Iterator

from sandbox.appdb.tenants import FREE_ACTIVITY, PLAN, SEATS, STATUS, Tenant, activity
from sandbox.timeutil import DAY, HOUR, ts

if TYPE_CHECKING:
    from sandbox.appdb.users import User

ACTIVITY_START = ts(2026, 1, 1)  # older logins and usage were never recorded (the table did not exist)
WEEKEND_ACTIVITY = 0.25
ROLLUP_AT = 10 * 60  # seconds after midnight UTC the nightly job runs, plus `tenant id % 40` minutes
LATE_VERSIONS = 3  # a day's row is written on three consecutive nights
# share of the final opened, clicked, replied, unsubscribed counts known at each write
LATE_SHARES = ((0.7, 0.6, 0.5, 0.8), (0.93, 0.9, 0.85, 0.97), (1.0, 1.0, 1.0, 1.0))
DAILY_CAPACITY = {"starter": 400, "growth": 1500, "scale": 5000, "free": 60}  # emails a day at full use
SEAT_CAPACITY = 250
STATUS_VOLUME = {"trial": 0.5, "active": 1.0, "past_due": 0.8, "free": 1.0}
_M64 = (1 << 64) - 1


def is_weekend(t: int) -> bool:
    return (t // DAY + 3) % 7 >= 5  # 1970-01-01 was a Thursday


def login_times(rng: random.Random, tenant: Tenant, start: int, end: int, rate_per_day: float) -> list[int]:
    """A user's logins in [start, end) while the workspace is in use."""
    out: list[int] = []
    start, rand = max(start, ACTIVITY_START), rng.random
    for span in tenant.spans:
        lo, hi, kind = span
        t, hi = max(lo, start), min(hi, end)
        # thinning: candidates at the span's top rate, which folds in a health that never changes
        fixed_health = tenant.health_at(t) if tenant.steady else None
        top = (1.0 if kind == "paid" else FREE_ACTIVITY) * (fixed_health or 1.0)
        mean_gap = DAY / (rate_per_day * top)
        while True:
            t += 1 + int(-math.log(1.0 - rand()) * mean_gap)
            if t >= hi:
                break
            odds = 1.0 if fixed_health else tenant.health_at(t)
            if kind != "paid":
                odds *= activity(span, t) / FREE_ACTIVITY
            if is_weekend(t):
                odds *= WEEKEND_ACTIVITY
            if rand() < odds:
                out.append(t)
    return out


def usage_rows(tenant: Tenant, users: list["User"], first_day: int, at: int, since: int | None) -> Iterator[tuple]:
    """`daily_usage` rows of `tenant` from `first_day` on, as of `at`; with `since`, only rows written in (since, at].

    A row: tenant, day, sent, delivered, opened, clicked, replied, bounced, complained, unsubscribed,
    active users (who logged in that day), first written, last written. Volume follows plan, seats,
    status and health; bounces and complaints grow as health falls. Days without a send or a login
    have no row. (One loop, no per-day calls: at large scale it renders millions of rows.)
    """
    first_day = max(first_day, ACTIVITY_START // DAY)
    last_day = at // DAY
    active = Counter()  # day -> users who logged in that day
    for u in users:
        lo, hi = bisect.bisect_left(u.logins, first_day * DAY), bisect.bisect_left(u.logins, (last_day + 1) * DAY)
        active.update({t // DAY for t in u.logins[lo:hi]})
    spans, versions = tenant.spans, tenant.record.versions
    tid, key, weekend_sender = tenant.id, tenant.key, tenant.weekend_sender
    offset = ROLLUP_AT + (tid % 40) * 60
    si = vi = 0  # the span and version in force at the day's noon: both only move forward
    for d_lo, d_hi in _days_in_use(spans):
        for day in range(max(d_lo, first_day), min(d_hi, last_day) + 1):
            written = (day + 1) * DAY + offset
            if written > at:
                return
            version = min(LATE_VERSIONS, (at - written) // DAY + 1)
            rewritten = written + (version - 1) * DAY
            if since is not None and rewritten <= since:
                continue
            noon = day * DAY + 12 * HOUR
            while si < len(spans) and spans[si][1] <= noon:
                si += 1
            span = spans[si] if si < len(spans) and spans[si][0] <= noon else None
            users_active = active[day]
            weekend = is_weekend(noon)
            paid = span is not None and span[2] == "paid"
            if not users_active and (span is None or (weekend and not (weekend_sender and paid))):
                continue  # a day that cannot send and saw nobody
            h = _mix(key ^ (day * 0xD1B54A32D192ED03 & _M64))
            u1, u2, u3, u4 = (h & 0xFFFF) / 65536, (h >> 16 & 0xFFFF) / 65536, (h >> 32 & 0xFFFF) / 65536, (h >> 48) / 65536
            health = tenant.health_at(noon)
            if span is None:
                sends = False
            elif paid:
                sends = not weekend or (weekend_sender and u4 < 0.5)
            else:
                sends = not weekend and u4 < activity(span, noon)
            sent = 0
            if sends:
                while vi + 1 < len(versions) and versions[vi + 1][0] <= noon:
                    vi += 1
                state = versions[vi][1]
                capacity = (DAILY_CAPACITY[state[PLAN]] + SEAT_CAPACITY * (state[SEATS] - 1)) * STATUS_VOLUME[state[STATUS]]
                sent = int(capacity * health * (0.55 + 0.6 * u1))
            if not sent and not users_active:
                continue
            bad = 1.0 - health
            bounced = round(sent * (0.008 + 0.07 * bad * bad) * (0.5 + u2))
            delivered = sent - bounced
            opened = delivered * (0.25 + 0.35 * health) * (0.8 + 0.4 * u3)
            shares = LATE_SHARES[version - 1]
            yield (tid, day, sent, delivered, int(opened * shares[0]), int(opened * (0.04 + 0.06 * u4) * shares[1]),
                   int(delivered * (0.004 + 0.03 * health) * (0.6 + 0.8 * u2) * shares[2]), bounced,
                   round(delivered * (0.0003 + 0.004 * bad) * (0.5 + u3)),
                   int(delivered * (0.002 + 0.006 * bad) * (0.5 + u4) * shares[3]), users_active, written, rewritten)


def _days_in_use(spans: list[tuple[int, int, str]]) -> list[tuple[int, int]]:
    """Inclusive ranges of epoch days touched by the spans, merged."""
    out: list[tuple[int, int]] = []
    for lo, hi, _ in spans:
        d_lo, d_hi = lo // DAY, (hi - 1) // DAY
        if out and d_lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], d_hi))
        else:
            out.append((d_lo, d_hi))
    return out


def _mix(x: int) -> int:
    """splitmix64's finaliser: a well-spread 64-bit value for each (tenant, day)."""
    x = (x + 0x9E3779B97F4A7C15) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)
