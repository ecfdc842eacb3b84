"""Campaigns (tenants' outreach sequences) and the recipient events of PenguinMails' own campaigns.

Tenants create campaigns while paying (more on bigger plans, fewer when unhealthy): a draft, started
hours or days later, sometimes paused, completed after one to six weeks; some drafts are abandoned
(soft-deleted). A campaign still running when the paying period ends is paused.

Tenant 1 (PenguinMails) runs the world's `email`-channel marketing campaigns in its own product
(`utm_campaign` = the world campaign's key). Its `campaign_events` are the attribution touchpoints of
the world's people before they became leads: the converting sequence of the people whose first touch
was that campaign (sent, opened, then clicked or replied minutes before the lead was created), and
sends to people who later arrived through another channel.
"""
from __future__ import annotations

import bisect
import random

from sandbox.appdb.records import lifecycle
from sandbox.appdb.tenants import PENGUINMAILS_TENANT_ID, PLAN, Tenant
from sandbox.store import Record
from sandbox.timeutil import DAY, HOUR, to_dt
from sandbox.world.model import Campaign, Person

THEMES = ("Cold intro", "Follow-up", "Webinar invite", "Product launch", "Re-engagement", "Partner intro",
          "Event follow-up", "Case study", "Free audit offer", "Demo request")
AUDIENCES = ("CFOs", "SaaS founders", "agency owners", "HR leaders", "IT managers", "e-commerce brands",
             "recruiters", "RevOps leads", "dental clinics", "real estate brokers", "logistics buyers")
MONTHLY_RATE = {"starter": 0.5, "growth": 1.0, "scale": 2.0}  # new campaigns a month at full health
_MAX_RATE = max(MONTHLY_RATE.values())
EVENT_ORDER = {"sent": 0, "opened": 1, "clicked": 2, "replied": 3}
# (occurred at, world campaign key, recipient email, event type, step)
Touch = tuple[int, str, str, str, int]


def tenant_campaigns(tenant: Tenant, rng: random.Random, horizon: int) -> list[Record]:
    """Every campaign a customer tenant creates while paying (ids are assigned later)."""
    out = []
    for lo, hi, kind in tenant.live:
        if kind != "paid":
            continue
        t = lo
        while True:  # thinning: candidates at the top rate, kept in proportion to plan and health
            t += 1 + int(rng.expovariate(_MAX_RATE) * 30 * DAY)
            if t >= hi:
                break
            if rng.random() < MONTHLY_RATE[tenant.record.version_at(t)[1][PLAN]] / _MAX_RATE * tenant.health_at(t):
                out.append(_campaign(tenant, rng, t, hi, horizon))
    return out


def _campaign(tenant: Tenant, rng: random.Random, created: int, period_end: int, horizon: int) -> Record:
    name = f"{rng.choice(THEMES)} – {rng.choice(AUDIENCES)} ({to_dt(created):%b %Y})"

    def state(status: str, started: int | None = None, completed: int | None = None) -> tuple:
        return (tenant.id, name, status, None, started, completed)

    versions = [(created, state("draft"))]
    deleted = None
    if rng.random() < 0.12:  # an abandoned draft
        deleted = created + rng.randrange(DAY, 30 * DAY)
    else:
        started = created + rng.randrange(HOUR, 4 * DAY)
        end = started + rng.randrange(7 * DAY, 45 * DAY)
        versions.append((started, state("active", started)))
        r = rng.random()
        if r < 0.15:
            paused = started + int((end - started) * rng.uniform(0.2, 0.8))
            versions.append((paused, state("paused", started)))
            if r < 0.075:
                resumed = paused + rng.randrange(DAY, 10 * DAY)
                versions.append((resumed, state("active", started)))
                end += resumed - paused
        if versions[-1][1][2] == "active":
            versions.append((end, state("completed", started, end)))
        if versions[-1][0] >= period_end:  # the workspace stopped paying: sending stops
            versions = [v for v in versions if v[0] < period_end]
            if period_end < horizon and versions[-1][1][2] == "active":
                versions.append((period_end, state("paused", versions[-1][1][4])))
    if tenant.record.deleted is not None:
        deleted = min(deleted or tenant.record.deleted, tenant.record.deleted)
    return lifecycle(created, versions, deleted)


def penguinmails_campaigns(campaigns: list[Campaign]) -> list[Record]:
    """The world's email campaigns as PenguinMails ran them in its own workspace."""
    out = []
    for c in campaigns:
        head = (PENGUINMAILS_TENANT_ID, c.name)
        created = c.start - 3 * DAY
        out.append(lifecycle(created, [(created, (*head, "draft", c.key, None, None)),
                                       (c.start, (*head, "active", c.key, c.start, None)),
                                       (c.end, (*head, "completed", c.key, c.start, c.end))], None))
    return out


def touches(rng: random.Random, people: list[Person], campaigns: list[Campaign], starts: list[int]) -> list[Touch]:
    """campaign_events of the world's `email` campaigns (sorted by start, `starts` their starts) for `people`."""
    by_key = {c.key: c for c in campaigns}
    out: list[Touch] = []
    for p in people:
        first = by_key.get(p.campaign)
        if first is not None:
            out += _converting_sequence(rng, p, first)
        # earlier sends this person got before arriving through another touch
        for c in campaigns[bisect.bisect_left(starts, p.created - 120 * DAY):bisect.bisect_left(starts, p.created - DAY)]:
            if c is not first and rng.random() < 0.08:
                sent = rng.randrange(c.start, min(c.end, p.created - HOUR))
                out.append((sent, c.key, p.email, "sent", 1))
                opened = sent + rng.randrange(300, 2 * DAY)
                if rng.random() < 0.35 and opened < p.created:
                    out.append((opened, c.key, p.email, "opened", 1))
    return out


def _converting_sequence(rng: random.Random, p: Person, c: Campaign) -> list[Touch]:
    converted = p.created - rng.randrange(60, 1200)
    sent = max(c.start, converted - rng.randrange(HOUR, 21 * DAY))
    if sent >= converted - 60:
        sent = converted - 120
    out = [(sent, c.key, p.email, "sent", 1)]
    step = 1
    if converted - sent > 4 * DAY and rng.random() < 0.5:  # the follow-up step did it
        sent, step = sent + 3 * DAY + rng.randrange(HOUR), 2
        out.append((sent, c.key, p.email, "sent", 2))
    opened = sent + int((converted - sent) * rng.uniform(0.1, 0.9))
    out.append((opened, c.key, p.email, "opened", step))
    out.append((converted, c.key, p.email, "replied" if rng.random() < 0.25 else "clicked", step))
    return out
