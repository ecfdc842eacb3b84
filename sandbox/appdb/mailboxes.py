"""Mailboxes: the sending accounts a tenant connects and warms up.

Cold-email practice shows: most addresses live on look-alike sending domains (`getacme.com`,
`acmehq.io`), not the company's own. A workspace connects one mailbox at signup and more at the
start of each paying period (as many as its plan suggests); they warm up over two to four weeks,
unhealthy tenants' mailboxes get paused, and all of them are disconnected (soft-deleted) days after
the period ends. Deleting a tenant soft-deletes its mailboxes.
"""
from __future__ import annotations

import random

from sandbox.appdb.records import lifecycle
from sandbox.appdb.tenants import PLAN, Tenant
from sandbox.store import Record
from sandbox.timeutil import DAY, HOUR
from sandbox.world import names

PROVIDERS = (("google", 55), ("microsoft", 35), ("smtp", 10))
READY_LIMIT = {"google": 50, "microsoft": 40, "smtp": 100}  # sends a day once warmed up
PER_PLAN = {"starter": 3, "growth": 8, "scale": 20}
LOOKALIKES = ("get{}", "try{}", "use{}", "{}hq", "{}mail", "meet{}")
GENERIC_LOCALS = ("sales", "hello", "team", "outreach", "growth", "partnerships")


def tenant_mailboxes(tenant: Tenant, rng: random.Random, horizon: int) -> list[Record]:
    """Every mailbox the tenant ever connects (ids are assigned later, in creation order)."""
    domain = tenant.record.versions[0][1][1]
    stem, tld = domain.split(".", 1)
    domains = [domain] + [rng.choice(LOOKALIKES).format(stem) + f".{tld}" for _ in range(rng.randrange(1, 4))]
    main = _provider(rng)
    used: set[str] = set()

    def mailbox(created: int, end: int | None) -> Record:
        local = rng.choice(GENERIC_LOCALS) if rng.random() < 0.3 else rng.choice(names.FIRST_NAMES).lower()
        address = f"{local}@{domains[0] if rng.random() < 0.4 else rng.choice(domains[1:])}"
        while address in used:
            address = f"{local}{rng.randrange(2, 99)}@{address.split('@')[1]}"
        used.add(address)
        return _mailbox(tenant, rng, created, end, address, main if rng.random() < 0.8 else _provider(rng))

    out = [mailbox(tenant.record.created + rng.randrange(300, 2 * HOUR), None)]
    for lo, hi, kind in tenant.live:
        if kind != "paid":
            continue
        plan = tenant.record.version_at(lo)[1][PLAN]
        ended = hi + rng.randrange(0, 5 * DAY) if hi < horizon else None  # disconnected after the period
        for _ in range(max(1, round(PER_PLAN[plan] * rng.uniform(0.5, 1.3)))):
            out.append(mailbox(lo + rng.randrange(0, min(45 * DAY, hi - lo)), ended))
    return out


def _provider(rng: random.Random) -> str:
    r = rng.randrange(100)
    for name, weight in PROVIDERS:
        if r < weight:
            return name
        r -= weight
    raise AssertionError("weights sum to 100")


def _mailbox(tenant: Tenant, rng: random.Random, created: int, ended: int | None, address: str, provider: str) -> Record:
    def state(status: str, limit: int) -> tuple:
        return (tenant.id, address, provider, status, limit)

    ready_at = created + rng.randrange(14 * DAY, 28 * DAY)
    limit = round(READY_LIMIT[provider] * rng.uniform(0.6, 1.2) / 5) * 5
    versions = [(created, state("warming", 10)), (created + 7 * DAY, state("warming", 25)), (ready_at, state("ready", limit))]
    if rng.random() < 0.5 * (1 - tenant.health_at(ready_at)):  # deliverability trouble: the app pauses it
        versions.append((ready_at + rng.randrange(3 * DAY, 60 * DAY), state("paused", limit)))
    if rng.random() < 0.08:  # removed by hand
        removed = created + rng.randrange(30 * DAY, 300 * DAY)
        ended = removed if ended is None else min(ended, removed)
    deleted = min(filter(None, (ended, tenant.record.deleted)), default=None)
    return lifecycle(created, versions, deleted)
