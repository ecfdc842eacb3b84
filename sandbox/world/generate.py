"""Builds the world deterministically from (seed, scale).

Every account draws from its own random stream (`Random(f"{seed}:account:{i}")`), so a world is
byte-identical for the same seed and scale, and adding accounts does not reshuffle the others.
"""
from __future__ import annotations

import math
import random

from sandbox.timeutil import DAY, HOUR, add_months, to_dt
from sandbox.world import names
from sandbox.world.catalog import unit_amount
from sandbox.world.model import (
    INITIAL_NOW,
    SCALES,
    WORLD_START,
    Account,
    Campaign,
    Change,
    Deal,
    Failure,
    Owner,
    Person,
    Subscription,
    World,
)

TRIAL_DAYS = 14
# (channel, utm_source, utm_medium, HubSpot analytics source, paid)
CHANNELS = (
    ("paid_search", "google", "cpc", "PAID_SEARCH", True),
    ("paid_social", "linkedin", "paid_social", "PAID_SOCIAL", True),
    ("paid_social", "facebook", "paid_social", "PAID_SOCIAL", True),
    ("email", "newsletter", "email", "EMAIL_MARKETING", False),
    ("referral", "partner", "referral", "REFERRALS", False),
    ("event", "conference", "event", "OFFLINE", True),
    ("content", "g2", "review_site", "OTHER_CAMPAIGNS", True),
)
UNATTRIBUTED_SOURCES = ("ORGANIC_SEARCH", "DIRECT_TRAFFIC", "SOCIAL_MEDIA")
COUNTRIES = (  # (country, currency, weight)
    ("US", "usd", 58), ("GB", "gbp", 10), ("DE", "eur", 8), ("FR", "eur", 5), ("NL", "eur", 3),
    ("CA", "usd", 7), ("AU", "usd", 5), ("SG", "usd", 4),
)
COUNTRY_TZ = {
    "US": ("America/New_York", "America/Chicago", "America/Los_Angeles"), "GB": ("Europe/London",),
    "DE": ("Europe/Berlin",), "FR": ("Europe/Paris",), "NL": ("Europe/Amsterdam",), "CA": ("America/Toronto",),
    "AU": ("Australia/Sydney",), "SG": ("Asia/Singapore",),
}
PHONE_PREFIX = {"US": "+1", "CA": "+1", "GB": "+44", "DE": "+49", "FR": "+33", "NL": "+31", "AU": "+61", "SG": "+65"}
SALES_STAGES = ("appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "decisionmakerboughtin", "contractsent")
# Deliberate inconsistencies between systems and how often each account gets them (docs/sandbox.md).
MESS = (
    ("hubspot_domain_missing", 0.05),
    ("hubspot_subdomain", 0.05),
    ("hubspot_domain_case", 0.05),
    ("hubspot_duplicate_company", 0.02),
    ("stripe_no_hubspot_link", 0.30),
    ("stripe_freemail_billing", 0.06),
    ("crm_lifecycle_stale", 0.05),
)


def build_world(seed: int, scale: str, horizon_days: int | None = None) -> World:
    sc = SCALES[scale]
    horizon = INITIAL_NOW + (horizon_days if horizon_days is not None else sc.horizon_days) * DAY
    campaigns = _campaigns(seed, horizon)
    owners = _owners(seed)
    accounts = []
    person_key = 0
    for i in range(sc.accounts):
        acct = _account(seed, i, sc.accounts, horizon, campaigns, len(owners), person_key)
        person_key += len(acct.people)
        accounts.append(acct)
    return World(seed=seed, scale=sc, start=WORLD_START, now=INITIAL_NOW, horizon=horizon,
                 accounts=accounts, campaigns=campaigns, owners=owners)


def _campaigns(seed: int, horizon: int) -> list[Campaign]:
    rng = random.Random(f"{seed}:campaigns")
    out = []
    quarter = WORLD_START - 3 * 30 * DAY
    while quarter < horizon:
        label = f"{_year_quarter(quarter)}"
        for channel, source, medium, _, paid in CHANNELS:
            for n in range(rng.choice((1, 1, 2))):
                theme = rng.choice(("cold-email", "deliverability", "agency", "warmup", "sdr-teams", "founders"))
                key = f"{label}-{source}-{theme}" + (f"-{n + 1}" if n else "")
                start = quarter + rng.randrange(0, 20) * DAY
                spend = rng.randrange(20, 120) * 10_000 if paid else 0
                out.append(Campaign(key, f"{label.upper()} {source.title()} {theme.replace('-', ' ')}", channel,
                                    source, medium, start, add_months(quarter, 3), spend))
        quarter = add_months(quarter, 3)
    return out


def _year_quarter(t: int) -> str:
    d = to_dt(t)
    return f"{d.year}q{(d.month - 1) // 3 + 1}"


def _owners(seed: int) -> list[Owner]:
    rng = random.Random(f"{seed}:owners")
    out = []
    for i in range(8):
        first, last = rng.choice(names.FIRST_NAMES), rng.choice(names.LAST_NAMES)
        out.append(Owner(i, first, last, f"{first.lower()}.{last.lower().replace(chr(39), '')}@penguinmails.com"))
    return out


def _lead_time(rng: random.Random, horizon: int) -> int:
    """Lead arrival times grow over the years: density proportional to 1 + 2x on [start-90d, horizon]."""
    a = 2.0
    u = rng.random() * (1 + a / 2)
    x = (-1 + math.sqrt(1 + 2 * a * u)) / a
    lo = WORLD_START - 90 * DAY
    return lo + int(x * (horizon - lo)) // 60 * 60 + rng.randrange(0, 60)


def _weighted(rng: random.Random, options):
    total = sum(w for *_, w in options)
    r = rng.random() * total
    for opt in options:
        r -= opt[-1]
        if r < 0:
            return opt
    return options[-1]


def _account(seed, i, n_accounts, horizon, campaigns, n_owners, person_key) -> Account:
    rng = random.Random(f"{seed}:account:{i}")
    word_a, word_b = rng.choice(names.COMPANY_WORDS_A), rng.choice(names.COMPANY_WORDS_B)
    suffix = rng.choice(names.COMPANY_SUFFIXES)
    name = f"{word_a} {word_b}" + (f" {suffix}" if suffix else "")
    # the index keeps domains unique even when two companies draw the same words
    domain = f"{word_a.lower()}{word_b.lower()}{i if i >= 50 else ''}.{rng.choice(names.TLDS)}"
    country, currency, _ = _weighted(rng, COUNTRIES)
    employees = int(math.exp(rng.uniform(math.log(3), math.log(2000))))
    lead_at = _lead_time(rng, horizon)
    mess = frozenset(flag for flag, p in MESS if rng.random() < p)

    # first touch: a campaign running then (60 %), or an unattributed source
    running = [c for c in campaigns if c.start <= lead_at < c.end]
    if running and rng.random() < 0.6:
        camp = rng.choice(running)
        lead_source = next(src for ch, s, m, src, _ in CHANNELS if s == camp.utm_source)
        first_campaign = camp.key
    else:
        lead_source, first_campaign = rng.choice(UNATTRIBUTED_SOURCES), None

    n_people = 1 + min(5, int(rng.expovariate(1.0) * (1 + math.log10(employees))))
    people = []
    used = set()
    for p in range(n_people):
        first, last = rng.choice(names.FIRST_NAMES), rng.choice(names.LAST_NAMES)
        local = rng.choice((f"{first}.{last}", f"{first[0]}{last}", f"{first}"))
        local = local.lower().replace("'", "")
        while local in used:
            local += str(rng.randrange(10))
        used.add(local)
        free = (p == 0 and "stripe_freemail_billing" in mess) or rng.random() < 0.06
        email = f"{first.lower()}.{last.lower().replace(chr(39), '')}{rng.randrange(10, 99)}@{rng.choice(names.FREE_MAIL)}" if free else f"{local}@{domain}"
        created = lead_at if p == 0 else lead_at + rng.randrange(1, 400) * DAY + rng.randrange(DAY)
        role = "champion" if p == 0 else rng.choice(("billing", "user", "user", "exec"))
        touch = [c for c in campaigns if c.start <= created < c.end]
        if p > 0 and touch and rng.random() < 0.4:
            camp = rng.choice(touch)
            src, cmp_key = next(s for ch, us, m, s, _ in CHANNELS if us == camp.utm_source), camp.key
        elif p > 0:
            src, cmp_key = rng.choice(UNATTRIBUTED_SOURCES), None
        else:
            src, cmp_key = lead_source, first_campaign
        phone = f"{PHONE_PREFIX[country]} {rng.randrange(200, 999)} {rng.randrange(100, 999)} {rng.randrange(1000, 9999)}" if rng.random() < 0.7 else None
        people.append(Person(person_key + p, first, last, email, phone, rng.choice(names.TITLES), role, created, src, cmp_key))

    owner = rng.randrange(n_owners)
    health = min(1.0, max(0.05, rng.betavariate(4, 1.8)))
    signup_at = lead_at + rng.randrange(0, 20) * DAY + rng.randrange(DAY) if rng.random() < 0.75 else None
    sales_led = employees >= 80 and rng.random() < 0.7
    subscriptions: list[Subscription] = []
    deals: list[Deal] = []
    contact_keys = [p.key for p in people]
    if signup_at is not None and signup_at < horizon:
        _subscriptions(rng, signup_at, horizon, currency, employees, health, subscriptions, sales_led, mess)
        _deals(rng, lead_at, horizon, subscriptions, deals, sales_led, contact_keys, owner, currency)
    elif rng.random() < 0.35:  # a lead worked by sales that never signed up
        created = lead_at + rng.randrange(1, 10) * DAY
        deals.append(_sales_deal(rng, 0, created, horizon, None, unit_amount("growth", "usd", "year"), contact_keys, owner, won=False))
    return Account(
        idx=i, name=name, domain=domain, industry=rng.choice(names.INDUSTRIES), employees=employees,
        country=country, currency=currency, time_zone=rng.choice(COUNTRY_TZ[country]), lead_at=lead_at,
        signup_at=signup_at if signup_at is not None and signup_at < horizon else None,
        tenant_id=(1000 + i) if signup_at is not None and signup_at < horizon else None,
        owner=owner, people=people, subscriptions=subscriptions, deals=deals, health=health, mess=mess,
    )


def _choose_plan(rng, employees) -> str:
    if employees > 300:
        return rng.choice(("growth", "scale", "scale"))
    if employees > 40:
        return rng.choice(("starter", "growth", "growth", "scale"))
    return rng.choice(("starter", "starter", "growth"))


def _subscriptions(rng, signup_at, horizon, currency, employees, health, out, sales_led, mess):
    """Trials, conversions, plan changes, dunning, churn and reactivations of one account."""
    trial = rng.random() < 0.6 and not sales_led
    start = signup_at + (0 if trial else rng.randrange(1, 30) * DAY + rng.randrange(DAY))
    first = True
    while start < horizon:
        interval = _weighted(rng, (("month", 65), ("quarter", 10), ("year", 25)))[0]
        if sales_led and rng.random() < 0.6:
            interval = "year"
        coupon = None
        r = rng.random()
        if r < 0.06:
            coupon = "LAUNCH20"
        elif r < 0.10 and interval == "year":
            coupon = "ANNUAL10"
        elif r < 0.13 and currency == "usd":
            coupon = "PARTNER50"
        elif r < 0.16:
            coupon = "WELCOME100"
        plan = _choose_plan(rng, employees)
        seats = max(0, min(40, int(rng.expovariate(1 / max(1, employees / 25))))) if plan != "starter" else rng.choice((0, 0, 1, 2))
        sub = Subscription(
            idx=len(out), currency=currency, interval=interval, created=start,
            trial_end=start + TRIAL_DAYS * DAY if trial and first else None,
            changes=[Change(start, plan, seats, plan != "starter" and rng.random() < 0.2)],
            coupon=coupon, onboarding_fee=sales_led and first and rng.random() < 0.5,
            metered=plan != "starter" and rng.random() < 0.3,
        )
        out.append(sub)
        if trial and first and rng.random() < 0.45:  # trial never converts
            sub.ended_at, sub.cancel_reason = sub.trial_end, "trial_expired"
            return
        if not trial and rng.random() < 0.03:  # first payment fails: incomplete, expires 23 h later
            sub.incomplete, sub.ended_at, sub.cancel_reason = True, start + 23 * HOUR, "incomplete_expired"
            start += DAY + rng.randrange(HOUR)
            first = False
            continue
        _life(rng, sub, horizon, health, employees)
        if sub.ended_at is None or sub.ended_at >= horizon:
            return
        if sub.cancel_reason == "payment_failed" and rng.random() < 0.5 or rng.random() < 0.3:
            start = sub.ended_at + rng.randrange(20, 240) * DAY + rng.randrange(DAY)  # reactivation
            first, trial = False, False
            continue
        return


def _life(rng, sub: Subscription, horizon, health, employees):
    """Walks the renewals of a subscription: mid-period changes, failed payments, cancellation."""
    monthly_churn = 0.012 + 0.08 * (1 - health) ** 2
    t = sub.billing_start
    k = 0
    while t < horizon:
        nxt = add_months(sub.billing_start, (k + 1) * sub.months_per_period)
        # a failed renewal payment and its dunning (retries +3, +5, +7 days, Stripe's smart-retry cadence)
        if k > 0 and rng.random() < 0.05:
            retries, recovered = [], None
            for d in (3, 5, 7):
                at = t + d * DAY + rng.randrange(-HOUR, HOUR)
                if rng.random() < 0.55:
                    recovered = at
                    break
                retries.append(at)
            sub.failures.append(Failure(t, retries, recovered))
            if recovered is None:
                sub.ended_at, sub.cancel_reason = retries[-1] + 1, "payment_failed"
                return
        # changes inside this period, at random moments of it (one draw per month of the period)
        draws = sorted((t + rng.randrange(1, max(2, (nxt - t) // 60 - 1)) * 60 + rng.randrange(60), rng.random())
                       for _ in range(sub.months_per_period))
        for at, r in draws:
            cur = sub.changes[-1]
            if at >= nxt or at >= horizon:
                continue
            if r < 0.03 and cur.plan != "scale":
                sub.changes.append(Change(at, {"starter": "growth", "growth": "scale"}[cur.plan], cur.seats, cur.dedicated_ip))
            elif r < 0.08 and cur.plan != "starter":
                sub.changes.append(Change(at, cur.plan, max(0, cur.seats + rng.choice((-2, -1, 1, 1, 2, 3))), cur.dedicated_ip))
            elif r < 0.095 and cur.plan != "starter":
                downgrade = {"scale": "growth", "growth": "starter"}[cur.plan]
                sub.changes.append(Change(at, downgrade, min(cur.seats, 2) if downgrade == "starter" else cur.seats,
                                          cur.dedicated_ip and downgrade != "starter"))
        months = sub.months_per_period
        # cancellation: at period end (most) or immediately
        if rng.random() < 1 - (1 - monthly_churn) ** months:
            asked = t + rng.randrange(1, max(2, (nxt - t) // DAY)) * DAY + rng.randrange(DAY)
            if rng.random() < 0.75:
                sub.cancel_at_period_end_since = min(asked, nxt - 60)
                sub.ended_at = nxt
            else:
                sub.ended_at = min(asked, nxt - 60)
            sub.cancel_reason = "cancellation_requested"
            sub.changes = [c for c in sub.changes if c.at < sub.ended_at]
            return
        t, k = nxt, k + 1


def _deals(rng, lead_at, horizon, subs, deals, sales_led, contact_keys, owner, currency):
    for sub in subs:
        if sub.incomplete or sub.cancel_reason == "trial_expired":
            continue
        c = sub.changes[0]
        acv = _annual_usd(c, sub.currency)
        if sales_led and sub.idx == 0:
            created = max(lead_at, sub.created - rng.randrange(20, 90) * DAY)
            deals.append(_sales_deal(rng, len(deals), created, horizon, sub, acv, contact_keys, owner, won=True))
        else:
            created = (sub.trial_end or sub.created) - rng.randrange(1, 3) * DAY if sub.trial_end else sub.created - HOUR
            stages = [(created, "selfserve_trial"), (sub.billing_start, "selfserve_won")]
            deals.append(Deal(len(deals), "self_serve", "new", created, stages, acv, "won", sub.billing_start,
                              sub.idx, contact_keys[:1], owner))
        # sales-assisted expansions: an upgrade to a bigger plan gets an expansion deal
        for prev, ch in zip(sub.changes, sub.changes[1:]):
            if ch.plan != prev.plan and ch.plan == "scale" and rng.random() < 0.7:
                created = ch.at - rng.randrange(10, 40) * DAY
                delta = max(0, _annual_usd(ch, sub.currency) - _annual_usd(prev, sub.currency))
                stages = [(created, "qualifiedtobuy"), (created + 5 * DAY, "contractsent"), (ch.at, "closedwon")]
                deals.append(Deal(len(deals), "sales", "expansion", created, stages, delta, "won", ch.at, sub.idx,
                                  contact_keys[:2], owner))
    if sales_led and rng.random() < 0.25:  # a lost upsell attempt
        created = lead_at + rng.randrange(60, 500) * DAY
        if created < horizon:
            deals.append(_sales_deal(rng, len(deals), created, horizon, None, unit_amount("scale", "usd", "year"),
                                     contact_keys, owner, won=False))


FX_TO_USD = {"usd": 1.0, "eur": 1.08, "gbp": 1.27}  # only for deal amounts; finance uses dbt's rate table


def _annual_usd(change: Change, currency: str) -> int:
    cents = unit_amount(change.plan, currency, "year") + change.seats * unit_amount("seat", currency, "year")
    if change.dedicated_ip:
        cents += unit_amount("dedicated_ip", currency, "year")
    return round(cents * FX_TO_USD[currency])


def _sales_deal(rng, idx, created, horizon, sub, amount, contact_keys, owner, won: bool) -> Deal:
    stages, t = [], created
    n = len(SALES_STAGES) if won else rng.randrange(1, len(SALES_STAGES))
    for s in SALES_STAGES[:n]:
        stages.append((t, s))
        t += rng.randrange(2, 15) * DAY + rng.randrange(DAY)
    if won:
        close = sub.billing_start
        stages = [(min(at, close - (len(stages) - j) * HOUR), s) for j, (at, s) in enumerate(stages)]
        stages.append((close, "closedwon"))
        return Deal(idx, "sales", "new", created, stages, amount, "won", close, sub.idx, contact_keys[:3], owner)
    if t < horizon and rng.random() < 0.8:
        stages.append((t, "closedlost"))
        return Deal(idx, "sales", "new", created, stages, amount, "lost", t, None, contact_keys[:2], owner)
    return Deal(idx, "sales", "new", created, stages, amount, None, None, None, contact_keys[:2], owner)

