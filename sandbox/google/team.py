"""PenguinMails' own people in Google Workspace: the shared sales and success mailboxes/calendars,
the account owners (the world's sales reps), customer success managers and marketing ops."""
from __future__ import annotations

import random
from dataclasses import dataclass

from sandbox.world import World, names

DOMAIN = "penguinmails.com"
SALES = f"sales@{DOMAIN}"
SUCCESS = f"success@{DOMAIN}"
MAILBOXES = (SALES, SUCCESS)  # shared mailboxes, each with a shared calendar of the same address
CALENDAR_TIME_ZONES = {SALES: "America/New_York", SUCCESS: "Europe/London"}
CALENDAR_NAMES = {SALES: "PenguinMails Sales", SUCCESS: "PenguinMails Customer Success"}


@dataclass(frozen=True, slots=True)
class Member:
    first: str
    last: str
    email: str

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


class Team:
    """Sales reps are the world's owners; the CSMs and marketing ops lead come from our own stream."""

    def __init__(self, world: World):
        rng = random.Random(f"{world.seed}:google:team")
        self.reps = [Member(o.first, o.last, o.email) for o in world.owners]
        self.csms = [self._member(rng) for _ in range(4)]
        self.marketing = self._member(rng)
        self.by_email = {m.email: m for m in (*self.reps, *self.csms, self.marketing)}

    @staticmethod
    def _member(rng: random.Random) -> Member:
        first, last = rng.choice(names.FIRST_NAMES), rng.choice(names.LAST_NAMES)
        return Member(first, last, f"{first.lower()}.{last.lower().replace(chr(39), '')}@{DOMAIN}")

    def csm_of(self, account_idx: int) -> Member:
        return self.csms[account_idx % len(self.csms)]
