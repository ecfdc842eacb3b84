"""Faults on demand: a profile draws transport faults at random; rules force them per endpoint.

Transport faults (applied by the server before an emulator answers):
  rate_limit   429 in the vendor's shape with `Retry-After`
  server_error 5xx in the vendor's shape (`status` 500/502/503/504)
  unauthorized 401 in the vendor's shape, as if the credential were revoked
  reset        the connection is aborted before any byte of the response
  truncate     headers and half of the body, then the connection is aborted
  slow         the answer comes after `seconds`
Data faults are rules that an emulator consumes itself (`take`), e.g. `expire_sync_token` (Calendar)
and `schema_drift` (any vendor): see each emulator.

A profile never draws more than three faults in a row for one vendor, so a client that retries
five times always gets through; explicit rules have no such limit (use them for persistent outages).
"""
from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass

TRANSPORT_KINDS = ("rate_limit", "server_error", "unauthorized", "reset", "truncate", "slow")
PROFILES: dict[str, dict[str, float]] = {
    "none": {},
    "flaky": {"rate_limit": 0.03, "server_error": 0.02, "slow": 0.01},
    "chaos": {"rate_limit": 0.06, "server_error": 0.04, "reset": 0.02, "truncate": 0.02, "slow": 0.02},
}
MAX_CONSECUTIVE = 3


@dataclass
class Rule:
    kind: str
    vendor: str = "*"  # stripe | jira | hubspot | google | appdb | *
    path: str = ""  # prefix of the path under the vendor's root ("" = every endpoint)
    times: int = 1  # how many requests it hits; -1 = until cleared
    status: int | None = None  # for server_error
    seconds: float | None = None  # for slow; Retry-After for rate_limit

    def matches(self, vendor: str, path: str) -> bool:
        return self.vendor in ("*", vendor) and path.startswith(self.path)


class FaultPlan:
    def __init__(self, profile: str, seed: int):
        if profile not in PROFILES:
            raise ValueError(f"unknown fault profile {profile!r}: choose one of {', '.join(PROFILES)}")
        self.profile = profile
        self._rng = random.Random(f"{seed}:faults")
        self._rules: list[Rule] = []
        self._streak: dict[str, int] = {}
        self._lock = threading.Lock()

    def add(self, rule: Rule) -> None:
        with self._lock:
            self._rules.append(rule)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[dict]:
        with self._lock:
            return [asdict(r) for r in self._rules]

    def take(self, vendor: str, kind: str, path: str = "") -> Rule | None:
        """Consumes one hit of the first rule of `kind` matching (vendor, path); None if there is none."""
        with self._lock:
            for rule in self._rules:
                if rule.kind == kind and rule.matches(vendor, path):
                    return self._consume(rule)
        return None

    def draw_transport(self, vendor: str, path: str) -> Rule | None:
        """The transport fault for this request, from the rules first, then from the profile."""
        with self._lock:
            for rule in self._rules:
                if rule.kind in TRANSPORT_KINDS and rule.matches(vendor, path):
                    return self._consume(rule)
            odds = PROFILES[self.profile]
            streak = self._streak.get(vendor, 0)
            if odds and streak < MAX_CONSECUTIVE:
                r = self._rng.random()
                for kind, p in odds.items():
                    if r < p:
                        self._streak[vendor] = streak + 1
                        return Rule(kind, vendor, status=self._rng.choice((500, 502, 503, 504)),
                                    seconds=round(self._rng.uniform(0.2, 1.0), 2) if kind == "slow" else None)
                    r -= p
            self._streak[vendor] = 0
            return None

    def _consume(self, rule: Rule) -> Rule:
        if rule.times > 0:
            rule.times -= 1
            if rule.times == 0:
                self._rules.remove(rule)
        return rule
