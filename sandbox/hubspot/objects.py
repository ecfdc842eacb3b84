"""HubSpot's records derived from the world: companies, contacts, deals, owners and associations.

Each record keeps its static properties in `extra["base"]` and its changing ones (lifecycle stage,
job title, deal stage…) in its versions. Facts the world does not hold (a later job title, which
contacts get archived, the CRM-only marketing contacts, the duplicate companies…) come from the
emulator's own stream per account, `Random(f"{seed}:hubspot:{account idx}")`, so they never disturb
the world's draws.
"""
from __future__ import annotations

import functools
import random
from dataclasses import dataclass

from sandbox.ids import numeric_id
from sandbox.store import Record
from sandbox.timeutil import DAY, iso
from sandbox.world import keys
from sandbox.world.generate import CHANNELS, PHONE_PREFIX, UNATTRIBUTED_SOURCES
from sandbox.world.model import WORLD_START, Account, World
from sandbox.world.names import COMPANY_WORDS_B, FIRST_NAMES, FREE_MAIL, LAST_NAMES, TITLES, TLDS

from sandbox.hubspot.schema import COMPANIES, CONTACTS, DEALS_MODIFIED, STAGES, WON_STAGES, pipelines

COUNTRY_NAMES = {"US": "United States", "GB": "United Kingdom", "DE": "Germany", "FR": "France",
                 "NL": "Netherlands", "CA": "Canada", "AU": "Australia", "SG": "Singapore"}
# deal stages in which sales works an account as an opportunity (HubSpot moves the lifecycle there)
OPPORTUNITY_STAGES = frozenset({"qualifiedtobuy", "presentationscheduled", "decisionmakerboughtin", "contractsent",
                                "selfserve_trial"})
HS_SOURCE = {utm_source: source for _, utm_source, _, source, _ in CHANNELS}
# second-level drill-downs HubSpot records for traffic that came without a campaign
UNATTRIBUTED_DRILLDOWN = {"ORGANIC_SEARCH": "google", "SOCIAL_MEDIA": "LinkedIn", "DIRECT_TRAFFIC": None}

Associations = dict[tuple[str, str], dict[str, list[tuple[str, bool]]]]  # (from, to) -> from id -> [(to id, primary)]


@dataclass
class CrmData:
    companies: list[Record]
    contacts: list[Record]
    deals: list[Record]
    owners: list[dict]
    associations: Associations


def build(world: World) -> CrmData:
    return _Builder(world).run()


@functools.lru_cache(maxsize=None)
def _day(day: int) -> str:
    return iso(day * DAY)[:11]


def iso_seconds(t: int) -> str:
    """`timeutil.iso` of a whole second (world times are), five times faster: the build writes a
    million of them at the large scale."""
    day, rest = divmod(t, DAY)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{_day(day)}{hours:02d}:{minutes:02d}:{seconds:02d}.000Z"


def _money(cents: int) -> str:
    return str(cents // 100) if cents % 100 == 0 else f"{cents / 100:.2f}".rstrip("0")


def _flag(b: bool) -> str:
    return "true" if b else "false"


def record(rid: str, created: int, modified: tuple[str, ...], base: dict, initial: dict,
           events: list[tuple[int, dict]], horizon: int, deleted: int | None = None) -> Record:
    """A record whose state starts as `initial` and changes at each event before the horizon (or its
    archival). Events at or before creation fold into the first version; same-second events merge.
    Each version also carries its time in the `modified` properties, written once here rather than
    on every page that shows it."""
    end = horizon if deleted is None else min(horizon, deleted)
    events = sorted(events, key=lambda e: e[0])
    state = dict(initial)
    i = 0
    while i < len(events) and events[i][0] <= created:
        state.update(events[i][1])
        i += 1
    versions = [(created, state)]
    for at, change in events[i:]:
        if at >= end:
            break
        new = {**state, **change}
        if new == state:
            continue
        if versions[-1][0] == at:
            versions[-1] = (at, new)
        else:
            versions.append((at, new))
        state = new
    for t, s in versions:
        stamp(s, t, modified)
    base["hs_object_id"] = rid
    base["createdate"] = iso_seconds(created)
    return Record(rid, created, versions, deleted if deleted is not None and deleted < horizon else None,
                  extra={"base": base})


def stamp(state: dict, at: int, modified: tuple[str, ...]) -> None:
    """Writes the version's time into its last-modified properties."""
    when = iso_seconds(at)
    for name in modified:
        state[name] = when


def stage_changes(a: Account, horizon: int) -> list[tuple[int, str]]:
    """The account's lifecycle stage over time, as (since, stage) at each change: lead, MQL at the
    app sign-up, SQL at the first sales deal, opportunity once a deal is worked, customer while a
    subscription is paid, then `other` after churn (or still `customer` when the CRM went stale)."""
    spans = [(s.billing_start, s.ended_at if s.ended_at is not None else horizon) for s in a.subscriptions
             if not s.incomplete and (s.ended_at is None or s.billing_start < s.ended_at)]
    stale = "crm_lifecycle_stale" in a.mess
    sql = min((d.created for d in a.deals if d.pipeline == "sales"), default=None)
    opp = min((t for d in a.deals for t, s in d.stages if s in OPPORTUNITY_STAGES), default=None)

    def stage(t: int) -> str:
        if any(s <= t < e for s, e in spans):
            return "customer"
        if any(e <= t for _, e in spans):
            return "customer" if stale else "other"
        for since, name in ((opp, "opportunity"), (sql, "salesqualifiedlead"), (a.signup_at, "marketingqualifiedlead")):
            if since is not None and t >= since:
                return name
        return "lead"

    times = sorted({a.lead_at, *(x for x in (a.signup_at, sql, opp) if x is not None), *(x for sp in spans for x in sp)})
    out: list[tuple[int, str]] = []
    for t in times:
        if a.lead_at <= t < horizon:
            s = stage(t)
            if not out or out[-1][1] != s:
                out.append((t, s))
    return out


class _Builder:
    def __init__(self, world: World):
        self.w, self.seed, self.horizon = world, world.seed, world.horizon
        self.owner_ids = [keys.hubspot_owner_id(world.seed, o.idx) for o in world.owners]
        self.campaigns = {c.key: c for c in world.campaigns}
        self._running: dict[int, list] = {}
        self.self_serve = pipelines(world.seed)[1].id
        self.companies: list[Record] = []
        self.contacts: list[Record] = []
        self.deals: list[Record] = []
        self.contact_company: dict[str, str] = {}
        self.deal_company: dict[str, str] = {}
        self.deal_contacts: dict[str, list[str]] = {}

    def run(self) -> CrmData:
        for a in self.w.accounts:
            if a.lead_at < self.horizon:
                self.account(a)
        return CrmData(self.companies, self.contacts, self.deals, self.owners(), self.associations())

    def account(self, a: Account) -> None:
        rng = random.Random(f"{self.seed}:hubspot:{a.idx}")
        stages = stage_changes(a, self.horizon)
        company_id = keys.hubspot_company_id(self.seed, a.idx)
        duplicate = self.duplicate(a, rng)
        self.company(a, rng, company_id, stages, duplicate)
        for p in a.people:
            if p.created >= self.horizon:
                continue
            # while an unmerged duplicate exists, people added later may land on it
            company = duplicate[0] if (duplicate and duplicate[2] is None and p.created > duplicate[1]
                                       and rng.random() < 0.5) else company_id
            camp = self.campaigns.get(p.campaign)
            events = [(t, {"lifecyclestage": s}) for t, s in stages]
            if rng.random() < 0.15:
                events.append((p.created + rng.randrange(60, 700) * DAY + rng.randrange(DAY), {"jobtitle": rng.choice(TITLES)}))
            if p.phone is None and rng.random() < 0.3:
                events.append((p.created + rng.randrange(5, 300) * DAY + rng.randrange(DAY), {"phone": self.phone(rng, a.country)}))
            deleted = None
            if p.role != "champion" and rng.random() < 0.06:  # left the company; sales archived the contact
                deleted = p.created + rng.randrange(60, 600) * DAY + rng.randrange(DAY)
            elif rng.random() < 0.01:  # deleted on request
                deleted = p.created + rng.randrange(10, 300) * DAY + rng.randrange(DAY)
            cid = keys.hubspot_contact_id(self.seed, p.key)
            base = self.contact_base(p.email, p.first, p.last, a.name, p.lead_source, camp, company)
            initial = {"lifecyclestage": None, "jobtitle": p.title, "phone": p.phone,
                       "hubspot_owner_id": self.owner_ids[a.owner]}
            self.contacts.append(record(cid, p.created, CONTACTS.modified, base, initial, events, self.horizon, deleted))
            self.contact_company[cid] = company
        self.marketing_contacts(a, rng)
        for d in a.deals:
            if d.created < self.horizon:
                self.deal(a, d, rng, company_id)

    def duplicate(self, a: Account, rng: random.Random) -> tuple[str, int, int | None] | None:
        """The second company some accounts get (an import or a form created it): (id, created, merged at)."""
        if "hubspot_duplicate_company" not in a.mess:
            return None
        created = a.lead_at + rng.randrange(20, 300) * DAY + rng.randrange(DAY)
        merged = created + rng.randrange(3, 60) * DAY + rng.randrange(DAY) if rng.random() < 0.5 else None
        owner = self.owner_ids[rng.randrange(len(self.owner_ids))]
        if created >= self.horizon:
            return None
        dup_id = str(numeric_id(self.seed, "hubspot-company-duplicate", a.idx))
        words = a.name.split()
        base = {"name": " ".join(words[:2]) if len(words) > 2 else a.name.upper(), "domain": a.domain,
                "industry": None, "country": None}
        initial = {"lifecyclestage": "lead", "numberofemployees": None, "hubspot_owner_id": owner,
                   "penguinmails_tenant_id": None, "stripe_customer_id": None, "hs_merged_object_ids": None}
        self.companies.append(record(dup_id, created, COMPANIES.modified, base, initial, [], self.horizon, merged))
        return dup_id, created, merged

    def company(self, a: Account, rng: random.Random, company_id: str, stages, duplicate) -> None:
        domain: str | None = a.domain
        if "hubspot_subdomain" in a.mess:
            domain = rng.choice(("www.", "app.")) + domain
        if "hubspot_domain_case" in a.mess:
            domain = rng.choice((domain.upper(), domain.title()))
        if "hubspot_domain_missing" in a.mess:
            domain = None
        events = [(t, {"lifecyclestage": s}) for t, s in stages]
        if a.tenant_id is not None:
            events.append((a.signup_at, {"penguinmails_tenant_id": str(a.tenant_id)}))
        # the sign-up integration writes the Stripe id on the first subscription, but not always
        if a.subscriptions and rng.random() >= 0.1:
            events.append((a.subscriptions[0].created, {"stripe_customer_id": keys.stripe_customer_id(self.seed, a.idx)}))
        if rng.random() < 0.3:  # enrichment refreshes the head count
            events.append((a.lead_at + rng.randrange(30, 600) * DAY + rng.randrange(DAY),
                           {"numberofemployees": str(max(1, round(a.employees * rng.uniform(0.85, 1.3))))}))
        if rng.random() < 0.08:  # territory change
            events.append((a.lead_at + rng.randrange(30, 700) * DAY + rng.randrange(DAY),
                           {"hubspot_owner_id": self.owner_ids[rng.randrange(len(self.owner_ids))]}))
        if duplicate and duplicate[2] is not None:
            events.append((duplicate[2], {"hs_merged_object_ids": duplicate[0]}))
        base = {"name": a.name, "domain": domain, "industry": a.industry, "country": COUNTRY_NAMES[a.country]}
        initial = {"lifecyclestage": "lead", "numberofemployees": str(a.employees),
                   "hubspot_owner_id": self.owner_ids[a.owner], "penguinmails_tenant_id": None,
                   "stripe_customer_id": None, "hs_merged_object_ids": None}
        self.companies.append(record(company_id, a.lead_at, COMPANIES.modified, base, initial, events, self.horizon))

    def marketing_contacts(self, a: Account, rng: random.Random) -> None:
        """Newsletter and content sign-ups around the account's arrival that belong to no account."""
        for j in range(rng.choices((0, 1, 2, 3), weights=(40, 35, 15, 10))[0]):
            created = max(WORLD_START - 90 * DAY, a.lead_at + rng.randrange(-120, 240) * DAY + rng.randrange(DAY))
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            local = f"{first}.{last}".lower().replace("'", "")
            # a hyphenated domain never collides with an account's domain
            email = (f"{local}{rng.randrange(10, 99)}@{rng.choice(FREE_MAIL)}" if rng.random() < 0.5 else
                     f"{local}@{last.lower().replace(chr(39), '')}-{rng.choice(COMPANY_WORDS_B).lower()}.{rng.choice(TLDS)}")
            running = self.running(created)
            if running and rng.random() < 0.6:
                camp = rng.choice(running)
                source = HS_SOURCE[camp.utm_source]
            else:
                camp, source = None, rng.choice(UNATTRIBUTED_SOURCES)
            title = rng.choice(TITLES) if rng.random() < 0.3 else None
            events = []
            if rng.random() < 0.25:  # a later form fill makes the subscriber a lead with an owner
                events.append((created + rng.randrange(3, 200) * DAY + rng.randrange(DAY),
                               {"lifecyclestage": "lead", "hubspot_owner_id": self.owner_ids[rng.randrange(len(self.owner_ids))]}))
            deleted = created + rng.randrange(30, 400) * DAY + rng.randrange(DAY) if rng.random() < 0.08 else None
            if created >= self.horizon:
                continue
            cid = str(numeric_id(self.seed, "hubspot-contact-lead", a.idx, j))
            base = self.contact_base(email, first, last, None, source, camp, None)
            initial = {"lifecyclestage": "subscriber", "jobtitle": title, "phone": None, "hubspot_owner_id": None}
            self.contacts.append(record(cid, created, CONTACTS.modified, base, initial, events, self.horizon, deleted))

    def deal(self, a: Account, d, rng: random.Random, company_id: str) -> None:
        if d.pipeline == "self_serve":
            name, pipeline, expected = f"{a.name} - Self-serve", self.self_serve, d.close_at
        else:
            name = f"{a.name} - {'Upgrade to Scale' if d.kind == 'expansion' else 'New business'}"
            pipeline, expected = "default", d.created + rng.randrange(20, 90) * DAY
        events = []
        for t, s in d.stages:
            stage = STAGES[s]
            change = {"dealstage": s, f"hs_date_entered_{s}": iso_seconds(t), "hs_deal_stage_probability": str(stage.probability),
                      "hs_is_closed": _flag(stage.closed), "hs_is_closed_won": _flag(s in WON_STAGES)}
            if stage.closed:
                change["closedate"] = iso_seconds(t)
            events.append((t, change))
        # lost deals are sometimes deleted in a pipeline clean-up
        deleted = d.close_at + rng.randrange(10, 120) * DAY + rng.randrange(DAY) if d.outcome == "lost" and rng.random() < 0.1 else None
        did = keys.hubspot_deal_id(self.seed, a.idx, d.idx)
        base = {"dealname": name, "amount": _money(d.amount_cents), "pipeline": pipeline,
                "dealtype": "newbusiness" if d.kind == "new" else "existingbusiness"}
        initial = {"hubspot_owner_id": self.owner_ids[d.owner], "closedate": iso_seconds(expected)}
        self.deals.append(record(did, d.created, DEALS_MODIFIED, base, initial, events, self.horizon, deleted))
        self.deal_company[did] = company_id
        self.deal_contacts[did] = [keys.hubspot_contact_id(self.seed, k) for k in d.contact_keys]

    def contact_base(self, email, first, last, company, source, camp, company_id) -> dict:
        drill = (camp.utm_source, camp.key) if camp else (UNATTRIBUTED_DRILLDOWN.get(source), None)
        return {"email": email, "firstname": first, "lastname": last, "company": company,
                "hs_analytics_source": source, "hs_analytics_source_data_1": drill[0],
                "hs_analytics_source_data_2": drill[1], "utm_campaign": camp.key if camp else None,
                "utm_source": camp.utm_source if camp else None, "utm_medium": camp.utm_medium if camp else None,
                "associatedcompanyid": company_id}

    def running(self, t: int) -> list:
        day = t // DAY
        if day not in self._running:
            self._running[day] = [c for c in self.w.campaigns if c.start <= t < c.end]
        return self._running[day]

    @staticmethod
    def phone(rng: random.Random, country: str) -> str:
        return f"{PHONE_PREFIX[country]} {rng.randrange(200, 999)} {rng.randrange(100, 999)} {rng.randrange(1000, 9999)}"

    def owners(self) -> list[dict]:
        out = []
        for o, oid in zip(self.w.owners, self.owner_ids):
            created = iso_seconds(WORLD_START - (120 - 9 * o.idx) * DAY)
            user = numeric_id(self.seed, "hubspot-user", o.idx, digits=8)
            out.append({"id": oid, "email": o.email, "type": "PERSON", "firstName": o.first, "lastName": o.last,
                        "userId": user, "userIdIncludingInactive": user, "createdAt": created, "updatedAt": created,
                        "archived": False, "teams": [{"id": str(numeric_id(self.seed, "hubspot-team", 0, digits=6)),
                                                      "name": "Sales", "primary": True}]})
        return out

    def associations(self) -> Associations:
        """Every association, both directions; contact↔company and deal↔company are primary."""
        known = {r.id for r in self.contacts}
        pairs: list[tuple[str, str, str, str, bool]] = []
        pairs += [("contacts", c, "companies", co, True) for c, co in self.contact_company.items()]
        pairs += [("deals", d, "companies", co, True) for d, co in self.deal_company.items()]
        pairs += [("deals", d, "contacts", c, False) for d, cs in self.deal_contacts.items() for c in cs if c in known]
        out: Associations = {}
        for ft, f, tt, t, primary in pairs:
            out.setdefault((ft, tt), {}).setdefault(f, []).append((t, primary))
            out.setdefault((tt, ft), {}).setdefault(t, []).append((f, primary))
        for by_from in out.values():
            for targets in by_from.values():
                targets.sort(key=lambda x: int(x[0]))
        return out


def _slug(text: str) -> str:
    return "-".join("".join(c for c in word if c.isalnum()) for word in text.lower().split())


# the value a record changed after schema drift carries in the new property, by object type
DRIFT_VALUES = {
    "contacts": lambda base, state: f"https://www.linkedin.com/in/{_slug(base['firstname'] + ' ' + base['lastname'])}",
    "companies": lambda base, state: f"https://www.linkedin.com/company/{_slug(base['name'])}",
    "deals": lambda base, state: ("CLOSED" if state.get("hs_is_closed_won") == "true" else
                                  "OMIT" if state.get("hs_is_closed") == "true" else
                                  "COMMIT" if state.get("dealstage") in ("decisionmakerboughtin", "contractsent") else
                                  "PIPELINE"),
}
