"""Tenants: a workspace per account that signed up (id = `account.tenant_id`), plus PenguinMails' own (id 1).

A tenant row follows the account's Stripe subscriptions: `free` from signup, `trial`/`active` when a
subscription starts, `past_due` during dunning, `free` again after an unconverted trial, `canceled`
when a subscription ends; long-churned tenants are soft-deleted. The same timeline tells when the
workspace is in use (`live`), which drives users, logins, mailboxes, campaigns and usage.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from sandbox.store import Record
from sandbox.timeutil import DAY, ts
from sandbox.world import keys
from sandbox.world.model import Account

PENGUINMAILS_TENANT_ID = 1
# columns of the tenants table between `id` and the timestamps, in order
FIELDS = ("name", "domain", "plan", "status", "seats", "country", "time_zone", "stripe_customer_id",
          "trial_ends_at", "cancel_at", "canceled_at")
PLAN, STATUS, SEATS = FIELDS.index("plan"), FIELDS.index("status"), FIELDS.index("seats")
PAID_STATUSES = ("trial", "active", "past_due")
DELETE_AFTER_CANCEL = 180 * DAY  # the app purges (soft-deletes) workspaces churned this long ago
# free workspaces are used a little after the trial or signup, less and less, and not after FREE_FADE
FREE_ACTIVITY, FREE_DECAY, FREE_FADE = 0.3, 45 * DAY, 180 * DAY
BILLING_REGION = {"US": "us", "CA": "us", "GB": "uk", "DE": "eu", "FR": "eu", "NL": "eu", "AU": "apac", "SG": "apac"}


@dataclass(slots=True)
class Tenant:
    record: Record  # id = tenant id; state = the FIELDS values
    account: Account | None  # None for PenguinMails' own workspace
    live: list[tuple[int, int, str]]  # (from, until, "paid" | "free"): when the workspace exists and is not canceled
    key: int  # seeds the counter-based daily draws of its usage
    weekend_sender: bool
    steady: bool = True  # its health never declines (no voluntary cancellation ahead)
    spans: list[tuple[int, int, str]] = field(init=False)  # the live periods while they see any activity

    def __post_init__(self) -> None:
        self.spans = [(lo, min(hi, lo + FREE_FADE) if kind == "free" else hi, kind) for lo, hi, kind in self.live]

    @property
    def id(self) -> int:
        return self.record.id

    def health_at(self, t: int) -> float:
        if self.account is None:
            return 1.0
        return self.account.health if self.steady else self.account.health_at(t)

    def period_at(self, t: int) -> tuple[int, int, str] | None:
        return next((p for p in self.live if p[0] <= t < p[1]), None)

    def billing_region(self) -> str:
        return BILLING_REGION[self.record.versions[0][1][FIELDS.index("country")]]


def activity(span: tuple[int, int, str], t: int) -> float:
    """How much the workspace is used at `t` within `span` (one of `Tenant.spans`): fully while paying,
    a fading fraction while free."""
    return 1.0 if span[2] == "paid" else FREE_ACTIVITY * math.exp(-(t - span[0]) / FREE_DECAY)


def penguinmails_tenant(rng: random.Random, horizon: int) -> Tenant:
    """The company's own workspace: it dogfoods the product for its outbound marketing."""
    created = ts(2024, 3, 4, 9, 12)
    state = ("PenguinMails", "penguinmails.com", "scale", "active", 15, "US", "America/New_York", None, None, None, None)
    return Tenant(Record(PENGUINMAILS_TENANT_ID, created, [(created, state)]), None, [(created, horizon, "paid")],
                  rng.getrandbits(64), True)


def account_tenant(seed: int, a: Account, rng: random.Random, horizon: int) -> Tenant:
    """The tenant of an account that signed up, its row following the account's subscriptions."""
    name = a.name
    r = rng.random()
    if r < 0.05:  # typed at signup: names differ from the CRM's now and then
        name = name.lower()
    elif r < 0.10 and " " in name:
        name = name.rsplit(" ", 1)[0] if name.split()[-1] in ("Inc", "LLC", "Ltd", "GmbH", "Co") else f"{name} Team"
    fixed = {"name": name, "domain": a.domain, "country": a.country, "time_zone": a.time_zone}
    free = {"plan": "free", "status": "free", "seats": 1}
    events: list[tuple[int, dict]] = [(a.signup_at, {**fixed, **free, "stripe_customer_id": None, "trial_ends_at": None,
                                                     "cancel_at": None, "canceled_at": None})]
    customer = keys.stripe_customer_id(seed, a.idx)
    for s in a.subscriptions:
        if s.incomplete:  # the checkout failed: only the Stripe customer remains
            events.append((s.created, {"stripe_customer_id": customer}))
            continue
        c0 = s.changes[0]
        start = {"stripe_customer_id": customer, "plan": c0.plan, "seats": 1 + c0.seats, "cancel_at": None,
                 "canceled_at": None, "status": "trial" if s.trial_end else "active"}
        events.append((s.created, {**start, "trial_ends_at": s.trial_end} if s.trial_end else start))
        if s.trial_end is not None:
            events.append((s.trial_end, free if s.cancel_reason == "trial_expired" else {"status": "active"}))
        events += [(c.at, {"plan": c.plan, "seats": 1 + c.seats}) for c in s.changes[1:]]
        for f in s.failures:
            events.append((f.invoice_at, {"status": "past_due"}))
            if f.recovered_at is not None:
                events.append((f.recovered_at, {"status": "active"}))
        if s.cancel_at_period_end_since is not None:
            events.append((s.cancel_at_period_end_since, {"cancel_at": s.ended_at}))
        if s.cancel_reason in ("cancellation_requested", "payment_failed"):
            events.append((s.ended_at, {**free, "status": "canceled", "canceled_at": s.ended_at}))
    events.sort(key=lambda e: e[0])  # stable: same-moment changes apply in the order above
    versions: list[tuple[int, tuple]] = []
    state: dict = {}
    for at, change in events:
        state.update(change)
        row = tuple(state[f] for f in FIELDS)
        if versions and versions[-1][0] == at:
            versions[-1] = (at, row)
        else:
            versions.append((at, row))
    last = versions[-1][1]
    deleted = last[FIELDS.index("canceled_at")] + DELETE_AFTER_CANCEL + rng.randrange(DAY) if last[STATUS] == "canceled" else None
    record = Record(a.tenant_id, a.signup_at, versions, deleted)
    steady = all(s.cancel_reason != "cancellation_requested" for s in a.subscriptions)
    return Tenant(record, a, _live_periods(record, horizon), rng.getrandbits(64), rng.random() < 0.15, steady)


def _live_periods(record: Record, horizon: int) -> list[tuple[int, int, str]]:
    end = min(horizon, record.deleted) if record.deleted is not None else horizon
    out: list[tuple[int, int, str]] = []
    bounds = [at for at, _ in record.versions[1:]] + [end]
    for (at, state), until in zip(record.versions, bounds):
        kind = "paid" if state[STATUS] in PAID_STATUSES else "free" if state[STATUS] == "free" else None
        if kind is None or at >= until:
            continue
        if out and out[-1][2] == kind and out[-1][1] == at:
            out[-1] = (out[-1][0], until, kind)
        else:
            out.append((at, until, kind))
    return out

