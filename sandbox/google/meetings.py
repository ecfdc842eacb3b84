"""The customer meetings of every account: what Calendar shows, and what Drive decks and Gmail
threads refer to. Derived from the world's deals and subscriptions with the account's own stream
`Random(f"{seed}:google:{idx}")`, so each API sees the same meetings."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sandbox.timeutil import DAY, HOUR, add_months, to_dt
from sandbox.world import World
from sandbox.world.model import Account, Subscription
from sandbox.google.team import SALES, SUCCESS, Team

MINUTE = 60
# kind -> (calendar, minutes)
KINDS = {
    "discovery": (SALES, 30), "demo": (SALES, 45), "expansion": (SALES, 30),
    "onboarding": (SUCCESS, 60), "qbr": (SUCCESS, 45), "renewal": (SUCCESS, 30),
}
QBR_MIN_EMPLOYEES = 80


@dataclass(slots=True)
class Meeting:
    key: str  # unique: account, kind, ordinal
    kind: str
    account: int
    host: str  # our person who set it up
    booked: int  # when the invitation went out (the event's `created`)
    start: int
    people: tuple[int, ...]  # world person keys invited
    accepted: int | None  # when the customer accepted
    rescheduled: tuple[int, int] | None  # (when, new start)
    cancelled: int | None

    @property
    def calendar(self) -> str:
        return KINDS[self.kind][0]

    @property
    def minutes(self) -> int:
        return KINDS[self.kind][1]

    def start_at(self, t: int) -> int:
        """The meeting's start as known at `t` (after a reschedule, the new time)."""
        return self.rescheduled[1] if self.rescheduled and self.rescheduled[0] <= t else self.start


def business_slot(after: int, tz: ZoneInfo, rng: random.Random, min_days: int, max_days: int) -> int:
    """A weekday half-hour between 9:00 and 17:00 local time, `min_days`..`max_days` days after `after`."""
    day = datetime.fromtimestamp(after, tz).date() + timedelta(days=rng.randint(min_days, max_days))
    while day.weekday() >= 5:
        day += timedelta(days=1)
    local = datetime(day.year, day.month, day.day, rng.choice((9, 10, 11, 13, 14, 15, 16)), rng.choice((0, 30)), tzinfo=tz)
    start = int(local.timestamp())
    return start if start > after + HOUR else business_slot(after + DAY, tz, rng, 0, 1)


def plan_meetings(world: World, team: Team) -> list[Meeting]:
    out: list[Meeting] = []
    for acct in world.accounts:
        out.extend(_account_meetings(world, team, acct))
    return out


def _paying(sub: Subscription) -> bool:
    return not sub.incomplete and sub.cancel_reason != "trial_expired"


def _account_meetings(world: World, team: Team, acct: Account) -> list[Meeting]:
    rng = random.Random(f"{world.seed}:google:{acct.idx}")
    tz = ZoneInfo(acct.time_zone)
    first_key = acct.people[0].key
    out: list[Meeting] = []

    def people_at(keys, t: int, most: int) -> tuple[int, ...]:
        return tuple(k for k in keys if acct.people[k - first_key].created <= t)[:most] or (first_key,)

    def add(kind: str, host: str, booked: int, start: int, people: tuple[int, ...], ends: int | None) -> None:
        if booked >= world.horizon:
            return
        cancelled = ends if ends is not None and booked < ends < start else None
        rescheduled = None
        if cancelled is None and rng.random() < 0.12 and start - booked > 2 * HOUR:
            at = booked + rng.randrange(HOUR, start - booked - HOUR)
            rescheduled = (at, business_slot(start, tz, rng, 1, 3))
        elif cancelled is None and rng.random() < 0.05:
            cancelled = booked + rng.randrange(10 * MINUTE, max(11 * MINUTE, start - booked))
        accepted = booked + rng.randrange(10 * MINUTE, 20 * HOUR) if rng.random() < 0.75 else None
        if accepted is not None and (accepted >= start or (cancelled is not None and accepted >= cancelled)
                                     or (rescheduled and accepted >= rescheduled[0])):
            accepted = None
        out.append(Meeting(f"{acct.idx}:{kind}:{len(out)}", kind, acct.idx, host, booked, start, people, accepted,
                           rescheduled, cancelled))

    for deal in acct.deals:
        if deal.pipeline != "sales":
            continue
        rep = team.reps[deal.owner].email
        lost = deal.close_at if deal.outcome == "lost" else None
        if deal.kind == "expansion":
            booked = deal.created + rng.randrange(5 * MINUTE, 4 * HOUR)
            add("expansion", rep, booked, business_slot(booked, tz, rng, 2, 5), people_at(deal.contact_keys, booked, 2), None)
            continue
        booked = deal.created + rng.randrange(5 * MINUTE, 4 * HOUR)
        add("discovery", rep, booked, business_slot(booked, tz, rng, 1, 4), people_at(deal.contact_keys, booked, 1), lost)
        for at, stage in deal.stages:
            if stage == "presentationscheduled":
                add("demo", rep, at, business_slot(at, tz, rng, 2, 6), people_at(deal.contact_keys, at, 3), lost)

    csm = team.csm_of(acct.idx).email
    all_keys = [p.key for p in acct.people]
    for sub in acct.subscriptions:
        if not _paying(sub):
            continue
        booked = sub.billing_start + rng.randrange(HOUR, 6 * HOUR)
        add("onboarding", csm, booked, business_slot(booked, tz, rng, 2, 8), people_at(all_keys, booked, 2), sub.ended_at)
        if acct.employees >= QBR_MIN_EMPLOYEES:
            k = 1
            while True:
                due = add_months(sub.billing_start, 3 * k)
                booked = due - 14 * DAY + rng.randrange(8 * HOUR)
                if booked >= world.horizon or (sub.ended_at is not None and booked >= sub.ended_at):
                    break
                add("qbr", csm, booked, business_slot(due - 3 * DAY, tz, rng, 0, 3), people_at(all_keys, booked, 3), sub.ended_at)
                k += 1
        if sub.interval == "year":
            k = 1
            while True:
                renewal = add_months(sub.billing_start, 12 * k)
                booked = renewal - 45 * DAY + rng.randrange(8 * HOUR)
                if booked >= world.horizon or (sub.ended_at is not None and booked >= sub.ended_at):
                    break
                add("renewal", csm, booked, business_slot(renewal - 30 * DAY, tz, rng, 0, 2), people_at(all_keys, booked, 2), sub.ended_at)
                k += 1
    return out


def quarter_label(t: int) -> str:
    d = to_dt(t)
    return f"{d.year} Q{(d.month - 1) // 3 + 1}"
