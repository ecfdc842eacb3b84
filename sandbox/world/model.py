"""The synthetic company world: accounts, people, campaigns, subscriptions and deals on one timeline.

Every vendor emulator derives its objects from this model, so the same customers appear in every
system. Times are epoch seconds (UTC). The timeline is generated up to `World.horizon`; the world
clock `World.now` decides what the APIs show, and `advance` only moves the clock forward.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sandbox.timeutil import DAY, add_months, ts

WORLD_START = ts(2024, 11, 1)
INITIAL_NOW = ts(2026, 11, 2, 9, 30)


@dataclass(frozen=True, slots=True)
class Scale:
    name: str
    accounts: int
    horizon_days: int = 120


SCALES = {s.name: s for s in (Scale("tiny", 30), Scale("small", 100), Scale("medium", 5_000), Scale("large", 50_000))}


@dataclass(frozen=True, slots=True)
class Campaign:
    key: str  # utm_campaign
    name: str
    channel: str  # paid_search | paid_social | email | referral | event | content
    utm_source: str
    utm_medium: str
    start: int
    end: int
    monthly_spend_cents: int  # USD, 0 for unpaid channels


@dataclass(frozen=True, slots=True)
class Owner:
    idx: int
    first: str
    last: str
    email: str


@dataclass(slots=True)
class Person:
    key: int  # world-wide person index
    first: str
    last: str
    email: str
    phone: str | None
    title: str
    role: str  # champion | billing | user | exec
    created: int
    lead_source: str  # HubSpot hs_analytics_source value
    campaign: str | None  # utm_campaign of the first touch


@dataclass(slots=True)
class Change:
    """The items of a subscription from `at` on (until the next change)."""

    at: int
    plan: str
    seats: int  # extra seats beyond the plan's included one
    dedicated_ip: bool


@dataclass(slots=True)
class Failure:
    """A renewal whose first charge failed: recovered by a dunning retry, or the end of the subscription."""

    invoice_at: int  # the renewal (period start) whose payment failed
    retries: list[int]  # times of failed retry attempts after the first one
    recovered_at: int | None  # the retry that succeeded; None = subscription canceled for non-payment


@dataclass(slots=True)
class Subscription:
    idx: int  # within the account
    currency: str
    interval: str  # month | quarter | year
    created: int
    trial_end: int | None
    changes: list[Change]
    coupon: str | None = None
    ended_at: int | None = None
    cancel_reason: str | None = None  # cancellation_requested | payment_failed | trial_expired | incomplete_expired
    cancel_at_period_end_since: int | None = None  # when the customer asked to cancel at period end
    incomplete: bool = False  # first payment failed: incomplete, then incomplete_expired after 23 h
    failures: list[Failure] = field(default_factory=list)
    onboarding_fee: bool = False  # one-off invoice item on the first invoice
    metered: bool = False  # usage-based extra sends billed in arrears (excluded from MRR)

    @property
    def billing_start(self) -> int:
        return self.trial_end if self.trial_end is not None else self.created

    @property
    def months_per_period(self) -> int:
        return {"month": 1, "quarter": 3, "year": 12}[self.interval]

    def period_starts(self, until: int) -> list[int]:
        """Billing period starts (renewal times) from the billing start up to `until` and before the end."""
        out, k = [], 0
        end = min(until, self.ended_at) if self.ended_at is not None else until
        while True:
            t = add_months(self.billing_start, k * self.months_per_period)
            if t > end or (self.ended_at is not None and t >= self.ended_at):
                return out
            out.append(t)
            k += 1

    def change_at(self, t: int) -> Change:
        current = self.changes[0]
        for c in self.changes:
            if c.at <= t:
                current = c
        return current


@dataclass(slots=True)
class Deal:
    idx: int  # within the account
    pipeline: str  # sales | self_serve
    kind: str  # new | expansion
    created: int
    stages: list[tuple[int, str]]  # (entered at, stage id), in order
    amount_cents: int  # annualised, USD
    outcome: str | None  # won | lost | None (open)
    close_at: int | None
    subscription_idx: int | None
    contact_keys: list[int]
    owner: int


@dataclass(slots=True)
class Account:
    idx: int
    name: str
    domain: str
    industry: str
    employees: int
    country: str
    currency: str
    time_zone: str
    lead_at: int
    signup_at: int | None  # app DB tenant created; None = only ever a CRM lead
    tenant_id: int | None
    owner: int
    people: list[Person]
    subscriptions: list[Subscription]
    deals: list[Deal]
    health: float  # 0 (about to leave) .. 1 (thriving), the baseline
    mess: frozenset[str]  # deliberate inconsistencies, see docs/sandbox.md

    def health_at(self, t: int) -> float:
        """Baseline health, declining over the 75 days before a voluntary cancellation."""
        h = self.health
        for s in self.subscriptions:
            if s.ended_at and s.cancel_reason == "cancellation_requested" and s.ended_at - 75 * DAY <= t < s.ended_at + 30 * DAY:
                h = min(h, max(0.05, (s.ended_at - t) / (75 * DAY) * h))
        return h

    def is_customer_at(self, t: int) -> bool:
        return any(
            s.billing_start <= t and (s.ended_at is None or t < s.ended_at) and not s.incomplete for s in self.subscriptions
        )


@dataclass(slots=True)
class World:
    seed: int
    scale: Scale
    start: int
    now: int
    horizon: int
    accounts: list[Account]
    campaigns: list[Campaign]
    owners: list[Owner]
    # (from, to) of every advance so far, in order: emulators plant boundary cases (same-minute updates)
    advances: list[tuple[int, int]] = field(default_factory=list)

    def advance(self, seconds: int) -> tuple[int, int]:
        if seconds <= 0:
            raise ValueError("advance needs a positive duration")
        if self.now + seconds > self.horizon:
            raise ValueError(
                f"the world is generated until {self.horizon - self.now} s from now; "
                "restart the sandbox with a longer --horizon-days"
            )
        step = (self.now, self.now + seconds)
        self.now = step[1]
        self.advances.append(step)
        return step
