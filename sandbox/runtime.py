"""The running sandbox: the world, its clock, the fault plan, request counts and the emulators."""
from __future__ import annotations

import os
import re
import secrets
import threading
from collections import Counter
from dataclasses import dataclass

from sandbox.emulator import Emulator
from sandbox.faults import FaultPlan
from sandbox.memory import long_lived_allocations
from sandbox.world import build_world


def _emulator_classes() -> list[type[Emulator]]:
    """Every vendor the sandbox serves, in the order their env variables are written."""
    from sandbox.appdb import AppDb
    from sandbox.google import GoogleEmulator
    from sandbox.hubspot import HubSpotEmulator
    from sandbox.jira import JiraEmulator
    from sandbox.stripe import StripeEmulator

    return [HubSpotEmulator, JiraEmulator, StripeEmulator, AppDb, GoogleEmulator]


@dataclass(frozen=True)
class Credentials:
    """The secrets the sandbox accepts. Taken from the serving process's environment when set
    (so a test can run the pipeline with sentinel credentials), else random for this run."""

    stripe_api_key: str
    jira_email: str
    jira_api_token: str
    hubspot_access_token: str

    @classmethod
    def from_env_or_random(cls) -> "Credentials":
        return cls(
            stripe_api_key=os.environ.get("STRIPE_API_KEY") or f"sk_test_{secrets.token_hex(12)}",
            jira_email=os.environ.get("JIRA_EMAIL") or "data-platform@penguinmails.com",
            jira_api_token=os.environ.get("JIRA_API_TOKEN") or f"ATATT{secrets.token_hex(16)}",
            hubspot_access_token=os.environ.get("HUBSPOT_ACCESS_TOKEN") or f"pat-na1-{secrets.token_hex(16)}",
        )


_ID_SEGMENT = re.compile(r"/[^/]*\d[^/]*")


class RequestStats:
    """Requests served per vendor and endpoint (path with id-like segments folded to `{id}`)."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def count(self, vendor: str, method: str, path: str) -> None:
        with self._lock:
            self._counts[(vendor, f"{method} {_ID_SEGMENT.sub('/{id}', path)}")] += 1

    def snapshot(self, reset: bool = False) -> dict[str, dict[str, int]]:
        with self._lock:
            out: dict[str, dict[str, int]] = {}
            for (vendor, endpoint), n in sorted(self._counts.items()):
                out.setdefault(vendor, {})[endpoint] = n
            if reset:
                self._counts.clear()
            return out


class Sandbox:
    def __init__(self, seed: int, scale: str, faults: str = "none", horizon_days: int | None = None,
                 app_db_url: str | None = None, credentials: Credentials | None = None):
        self.faults = FaultPlan(faults, seed)
        self.credentials = credentials or Credentials.from_env_or_random()
        self.app_db_url = app_db_url
        self.stats = RequestStats()
        self.base_url = ""  # set once the server is bound
        self.state_dir = "."  # where the sandbox may write files (service-account key, SQLite app DB)
        self.drift: dict[str, int] = {}  # vendor -> world time from which its objects carry a new field
        with long_lived_allocations():
            self.world = build_world(seed, scale, horizon_days)
            self.emulators = [cls(self) for cls in _emulator_classes()]
        self.by_name = {e.name: e for e in self.emulators}

    def start(self, base_url: str, state_dir: str) -> None:
        """Binds the sandbox to its URL and lets emulators prepare (e.g. fill the app database)."""
        self.base_url, self.state_dir = base_url.rstrip("/"), state_dir
        for e in self.emulators:
            e.start()

    def advance(self, seconds: int) -> tuple[int, int]:
        old, new = self.world.advance(seconds)
        for e in self.emulators:
            e.on_advance(old, new)
        return old, new

    def start_drift(self, vendor: str) -> None:
        """From now on, objects of `vendor` that change carry a field they never had (schema drift)."""
        self.drift.setdefault(vendor, self.world.now)

    def env(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for e in self.emulators:
            out.update(e.env())
        return out

