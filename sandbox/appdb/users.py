"""Users: the account's people who use the app, teammates the CRM never saw, and PenguinMails' staff.

Users who are world people keep the person's email exactly (identity resolution links them by it).
Non-owners may be promoted to admin, leave (soft delete), or ask for erasure (GDPR: soft delete that
also scrubs the email and name). Deleting a tenant soft-deletes its users. Every login updates
`last_login_at` and so `updated_at`.
"""
from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field

from sandbox.appdb.activity import login_times
from sandbox.appdb.records import lifecycle
from sandbox.appdb.tenants import Tenant
from sandbox.store import Record
from sandbox.timeutil import DAY, HOUR
from sandbox.world import names
from sandbox.world.model import Owner

USER_AGENTS = ("Chrome", "Safari", "Edge", "Firefox", "Mobile Safari", "Chrome Mobile")
LOGIN_RATE = {"owner": 0.3, "admin": 0.22, "member": 0.15}  # logins per day at full health and activity
INVITE_ODDS = {"billing": 0.55, "user": 0.9, "exec": 0.35}  # a CRM person of this role gets an app seat


@dataclass(slots=True)
class User:
    record: Record  # state: (tenant_id, email, full_name, role)
    logins: list[int] = field(default_factory=list)  # login times, ascending
    agents: bytearray = field(default_factory=bytearray)  # USER_AGENTS index of each login

    @property
    def tenant_id(self) -> int:
        return self.record.versions[0][1][0]

    def last_login(self, t: int) -> int | None:
        i = bisect.bisect_right(self.logins, t)
        return self.logins[i - 1] if i else None


def account_users(tenant: Tenant, rng: random.Random, horizon: int) -> list[User]:
    """The owner (the account's first person, at signup), invited people and teammates, with their logins."""
    a = tenant.account
    owner = a.people[0]
    out = [_user(tenant, rng, a.signup_at, owner.email, f"{owner.first} {owner.last}", "owner", horizon)]
    for p in a.people[1:]:
        if rng.random() >= INVITE_ODDS[p.role]:
            continue
        at = max(a.signup_at, p.created) + rng.randrange(HOUR, 21 * DAY)
        period = tenant.period_at(at)
        if period is None or period[2] != "paid":  # invitations happen in paying workspaces
            continue
        role = "admin" if p.role in ("billing", "exec") or rng.random() < 0.2 else "member"
        out.append(_user(tenant, rng, at, p.email, f"{p.first} {p.last}", role, horizon))
    paid = [p for p in tenant.live if p[2] == "paid"]
    if paid:  # teammates who never appear in the CRM, roughly as many as the extra seats bought
        used = {p.email for p in a.people}
        seats = max(c.seats for s in a.subscriptions for c in s.changes)
        for _ in range(min(15, int(seats * rng.uniform(0.3, 1.0)) + rng.choice((0, 0, 1, 2)))):
            at = rng.randrange(paid[0][0], paid[-1][1])
            first, last = rng.choice(names.FIRST_NAMES), rng.choice(names.LAST_NAMES)
            email = f"{first}.{last}@{a.domain}".lower().replace("'", "")
            period = tenant.period_at(at)
            if email in used or period is None or period[2] != "paid":
                continue
            used.add(email)
            out.append(_user(tenant, rng, at, email, f"{first} {last}", "admin" if rng.random() < 0.15 else "member", horizon))
    return out


def staff_users(tenant: Tenant, owners: list[Owner], rng: random.Random, horizon: int) -> list[User]:
    """PenguinMails' own workspace: a founder, the sales reps (the CRM's owners) and a marketing team."""
    created = tenant.record.created
    founder = (rng.choice(names.FIRST_NAMES), rng.choice(names.LAST_NAMES))
    out = [_user(tenant, rng, created, _staff_email(*founder), " ".join(founder), "owner", horizon)]
    for o in owners:
        out.append(_user(tenant, rng, created + rng.randrange(DAY, 200 * DAY), o.email, f"{o.first} {o.last}", "member", horizon))
    used = {u.record.versions[0][1][1] for u in out}
    for _ in range(4):
        first, last = rng.choice(names.FIRST_NAMES), rng.choice(names.LAST_NAMES)
        if _staff_email(first, last) not in used:
            used.add(_staff_email(first, last))
            out.append(_user(tenant, rng, created + rng.randrange(DAY, 400 * DAY), _staff_email(first, last),
                             f"{first} {last}", "admin", horizon))
    return out


def _staff_email(first: str, last: str) -> str:
    return f"{first}.{last}@penguinmails.com".lower().replace("'", "")


def _user(tenant: Tenant, rng: random.Random, created: int, email: str, full_name: str, role: str, horizon: int) -> User:
    state = (tenant.id, email, full_name, role)
    versions = [(created, state)]
    if role == "member" and rng.random() < 0.06:
        versions.append((created + rng.randrange(20 * DAY, 300 * DAY), (*state[:3], "admin")))
    deleted, erased = None, False
    r = rng.random()
    if role != "owner" and tenant.account is not None and r < 0.075:
        erased = r < 0.015  # GDPR erasure; the others left the company
        deleted = created + rng.randrange(30 * DAY, 500 * DAY)
    if tenant.record.deleted is not None and (deleted is None or tenant.record.deleted < deleted):
        deleted, erased = tenant.record.deleted, False
    if erased:
        versions.append((deleted, (tenant.id, f"erased-{rng.getrandbits(48):012x}@users.invalid", None, role)))
    user = User(lifecycle(created, versions, deleted))
    preferred = rng.randrange(len(USER_AGENTS))
    for t in login_times(rng, tenant, created, deleted or horizon, LOGIN_RATE[role]):
        user.logins.append(t)
        user.agents.append(preferred if rng.random() < 0.85 else rng.randrange(len(USER_AGENTS)))
    return user
