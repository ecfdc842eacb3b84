"""Everything the PenguinMails app database holds over the world's timeline, derived once from the world.

One pass over the accounts, each drawing from its own stream `Random(f"{seed}:appdb:{idx}")`
(PenguinMails' own workspace from `…:appdb:penguinmails`), then serial ids in creation order, as the
app's sequences gave them. `rows(table, at, since)` renders a table as of world time `at` in primary
key order: every row that exists then or, with `since`, only the rows changed in (since, at].
Timestamps are epoch seconds, dates epoch days.
"""
from __future__ import annotations

import bisect
import random
from array import array
from operator import attrgetter
from typing import Callable, Iterator

from sandbox.appdb.activity import LATE_VERSIONS, usage_rows
from sandbox.appdb.campaigns import penguinmails_campaigns, tenant_campaigns, touches
from sandbox.appdb.mailboxes import tenant_mailboxes
from sandbox.appdb.records import record_row
from sandbox.appdb.tenants import PENGUINMAILS_TENANT_ID, Tenant, account_tenant, penguinmails_tenant
from sandbox.appdb.users import USER_AGENTS, User, account_users, staff_users
from sandbox.store import Record
from sandbox.timeutil import DAY
from sandbox.world.model import World

_UID_BITS, _AGENT_BITS = 24, 3
_TIME_SHIFT = _UID_BITS + _AGENT_BITS


class AppData:
    def __init__(self, world: World):
        seed, horizon = world.seed, world.horizon
        email = sorted((c for c in world.campaigns if c.channel == "email"), key=lambda c: (c.start, c.key))
        starts = [c.start for c in email]
        rng = random.Random(f"{seed}:appdb:penguinmails")
        own = penguinmails_tenant(rng, horizon)
        self.tenants: list[Tenant] = [own]
        users = staff_users(own, world.owners, rng, horizon)
        mailboxes = tenant_mailboxes(own, rng, horizon)
        campaigns = penguinmails_campaigns(email)
        events = []
        for a in world.accounts:
            rng = random.Random(f"{seed}:appdb:{a.idx}")
            events += touches(rng, a.people, email, starts)
            if a.tenant_id is None:
                continue
            tenant = account_tenant(seed, a, rng, horizon)
            self.tenants.append(tenant)
            users += account_users(tenant, rng, horizon)
            mailboxes += tenant_mailboxes(tenant, rng, horizon)
            campaigns += tenant_campaigns(tenant, rng, horizon)
        self.users: list[User] = _numbered(users, attrgetter("record"))
        self.users_of: dict[int, list[User]] = {}
        for u in self.users:
            self.users_of.setdefault(u.tenant_id, []).append(u)
        self.mailboxes: list[Record] = _numbered(mailboxes)
        self.campaigns: list[Record] = _numbered(campaigns)

        # one sorted int per login: time | user id | agent; its position + 1 is the login's serial id
        packed = [(t << _TIME_SHIFT) | (u.record.id << _AGENT_BITS) | agent
                  for u in self.users for t, agent in zip(u.logins, u.agents)]
        packed.sort()
        self.logins = array("q", packed)
        self.tenant_of_user = [0] + [u.tenant_id for u in self.users]

        campaign_id = {r.versions[0][1][3]: r.id for r in self.campaigns if r.versions[0][1][0] == PENGUINMAILS_TENANT_ID}
        self.events = sorted((at, campaign_id[key], to, kind, step) for at, key, to, kind, step in events)
        self.event_times = [e[0] for e in self.events]

    def rows(self, table: str, at: int, since: int | None = None) -> Iterator[tuple]:
        return getattr(self, f"_{table}")(at, since)

    def _tenants(self, at: int, since: int | None) -> Iterator[tuple]:
        for t in self.tenants:  # ids ascending; creation times are not
            if (row := record_row(t.record, at, since)) is not None:
                yield row

    def _users(self, at: int, since: int | None) -> Iterator[tuple]:
        for u in self.users:
            rec = u.record
            if rec.created > at:
                break
            last = u.last_login(at)
            updated = max(rec.updated_at(at), last or 0)
            if since is not None and updated <= since:
                continue
            deleted = rec.deleted if rec.deleted is not None and rec.deleted <= at else None
            yield (rec.id, *rec.version_at(at)[1], last, rec.created, updated, deleted)

    def _mailboxes(self, at: int, since: int | None) -> Iterator[tuple]:
        return _in_creation_order(self.mailboxes, at, since)

    def _campaigns(self, at: int, since: int | None) -> Iterator[tuple]:
        return _in_creation_order(self.campaigns, at, since)

    def _logins(self, at: int, since: int | None) -> Iterator[tuple]:
        lo = 0 if since is None else bisect.bisect_left(self.logins, since + 1 << _TIME_SHIFT)
        for i in range(lo, bisect.bisect_left(self.logins, at + 1 << _TIME_SHIFT)):
            k = self.logins[i]
            t, uid = k >> _TIME_SHIFT, k >> _AGENT_BITS & (1 << _UID_BITS) - 1
            yield (i + 1, uid, self.tenant_of_user[uid], t, USER_AGENTS[k & (1 << _AGENT_BITS) - 1], t, t)

    def _daily_usage(self, at: int, since: int | None) -> Iterator[tuple]:
        first_day = 0 if since is None else since // DAY - LATE_VERSIONS - 1
        for t in self.tenants:
            yield from usage_rows(t, self.users_of.get(t.id, []), first_day, at, since)

    def _campaign_events(self, at: int, since: int | None) -> Iterator[tuple]:
        lo = 0 if since is None else bisect.bisect_right(self.event_times, since)
        for i in range(lo, bisect.bisect_right(self.event_times, at)):
            occurred, campaign, email, kind, step = self.events[i]
            yield (i + 1, campaign, email, kind, step, occurred, occurred, occurred)


def _numbered(items: list, record: Callable[[object], Record] = lambda r: r) -> list:
    """Sorted by creation (stable: ties keep the derivation order), their records given serial ids from 1."""
    items.sort(key=lambda x: record(x).created)
    for i, x in enumerate(items, 1):
        record(x).id = i
    return items


def _in_creation_order(records: list[Record], at: int, since: int | None) -> Iterator[tuple]:
    for r in records:
        if r.created > at:
            break
        if (row := record_row(r, at, since)) is not None:
            yield row
