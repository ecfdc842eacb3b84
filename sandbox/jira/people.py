"""Who is in the Jira site: PenguinMails staff (support agents, engineers, a product manager), the
data team's service user, the Automation for Jira app, and JSM customer accounts of the people
who raised tickets."""
from __future__ import annotations

import bisect
import hashlib
import random
from dataclasses import dataclass

from sandbox.jira.model import User
from sandbox.jira.schema import SERVICE_USER_TIME_ZONE
from sandbox.timeutil import DAY
from sandbox.world import names
from sandbox.world.keys import jira_account_id
from sandbox.world.model import INITIAL_NOW, WORLD_START, Person, World

# Automation for Jira's app account has this id on every Cloud site
AUTOMATION = User("557058:f58131cb-b67d-43c7-b30d-6b58d40bd077", "app", "Automation for Jira", None, "Etc/UTC")
SITE_CREATED_MS = (WORLD_START - 90 * DAY) * 1000


def atlassian_id(seed: int, *parts: object) -> str:
    """`712020:<uuid>`, the shape of Atlassian account ids minted since 2019."""
    h = hashlib.blake2b("|".join(map(str, (seed, "jira-user", *parts))).encode(), digest_size=16).hexdigest()
    return f"712020:{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@dataclass(slots=True)
class Staff:
    agents: list[User]
    agent_joined: list[int]  # ms, ascending, parallel to `agents`
    engineers: list[User]
    manager: User
    service: User

    def agents_at(self, t: int) -> list[User]:
        """The support agents on the team at `t` (ms)."""
        return self.agents[: max(3, bisect.bisect_right(self.agent_joined, t))]

    def members(self) -> list[tuple[int, User]]:
        """Every staff account with the time it was created (ms)."""
        out = [(SITE_CREATED_MS, self.service), (SITE_CREATED_MS, AUTOMATION), (SITE_CREATED_MS, self.manager)]
        out += [(SITE_CREATED_MS, e) for e in self.engineers]
        out += list(zip(self.agent_joined, self.agents))
        return out


def build_staff(world: World, service_email: str) -> Staff:
    """The team grows with the customer base: 3 agents + 1 per 1,500 accounts, 5 engineers + 1 per 10,000."""
    rng = random.Random(f"{world.seed}:jira:staff")
    n_accounts = len(world.accounts)
    used: set[str] = set()

    def person(role: str, i: int) -> User:
        while True:
            first, last = rng.choice(names.FIRST_NAMES), rng.choice(names.LAST_NAMES)
            email = f"{first.lower()}.{last.lower().replace(chr(39), '')}@penguinmails.com"
            if email not in used:
                used.add(email)
                return User(atlassian_id(world.seed, role, i), "atlassian", f"{first} {last}", email,
                            rng.choice(names.TIME_ZONES))

    n_agents = 3 + n_accounts // 1500
    agents = [person("agent", i) for i in range(n_agents)]
    joined = [SITE_CREATED_MS] * 3 + sorted(
        (WORLD_START + rng.randrange(INITIAL_NOW - WORLD_START)) * 1000 for _ in range(n_agents - 3))
    engineers = [person("engineer", i) for i in range(5 + n_accounts // 10_000)]
    manager = person("manager", 0)
    service = User(atlassian_id(world.seed, "service"), "atlassian", "PenguinMails Data Platform", service_email,
                   SERVICE_USER_TIME_ZONE)
    return Staff(agents, joined, engineers, manager, service)


def customer(seed: int, p: Person, time_zone: str) -> User:
    """The JSM customer account of a person who raised a request (created with their first request)."""
    return User(jira_account_id(seed, p.key), "customer", f"{p.first} {p.last}", p.email, time_zone)
