"""The Google emulator: one root (`/google/`) for the OAuth token endpoint, Calendar, Drive, Sheets,
Gmail and the GA4 Data API, as `googleapiclient.discovery.build(..., client_options={"api_endpoint": root})`
addresses them."""
from __future__ import annotations

import random
from typing import Callable, Iterable, Iterator

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sandbox.emulator import Emulator
from sandbox.memory import without_gc
from sandbox.google.analytics import AnalyticsApi
from sandbox.google.auth import Auth
from sandbox.google.calendar import CalendarApi
from sandbox.google.drive import DriveApi
from sandbox.google.gmail import GmailApi
from sandbox.google.ids import ga4_property, service_account_client_id
from sandbox.google.meetings import plan_meetings
from sandbox.google.sheets import SheetsApi
from sandbox.google.team import MAILBOXES, Team
from sandbox.google.web import STATUS, ApiError


class _Table:
    """One ground-truth table, computed when first read (a request reads one table of five)."""

    def __init__(self, compute: Callable[[], list[dict]]):
        self._compute, self._rows = compute, None

    def __iter__(self) -> Iterator[dict]:
        if self._rows is None:
            with without_gc():
                self._rows = self._compute()
        return iter(self._rows)


class GoogleEmulator(Emulator):
    name = "google"

    def __init__(self, sandbox):
        super().__init__(sandbox)
        world = self.world
        team = Team(world)
        meetings = plan_meetings(world, team)
        self.auth = Auth(service_account_client_id(world.seed))
        self.calendar = CalendarApi(self, meetings)
        self.drive = DriveApi(self, team, meetings)
        self.sheets = SheetsApi(self, self.drive.spend_sheet)
        self.gmail = GmailApi(self, team, meetings)
        self.analytics = AnalyticsApi(self, ga4_property(world.seed))
        self._truth: tuple[tuple, dict[str, _Table]] | None = None

    def start(self) -> None:
        self.auth.write_key_file(self.sandbox.state_dir, self.sandbox.base_url)

    def env(self) -> dict[str, str]:
        return {
            "GOOGLE_API_ENDPOINT": f"{self.sandbox.base_url}/google/",
            "GOOGLE_APPLICATION_CREDENTIALS": self.auth.key_file,
            "GA4_PROPERTY_ID": self.analytics.property,
            "MARKETING_SPEND_SHEET_ID": self.sheets.id,
            "GOOGLE_CALENDAR_IDS": ",".join(MAILBOXES),
        }

    async def _token(self, request: Request) -> Response:
        return await self.auth.token_endpoint(request, self.world.now)

    def routes(self) -> list[BaseRoute]:
        return [Route("/token", self._token, methods=["POST"]), *self.calendar.routes(), *self.drive.routes(),
                *self.sheets.routes(), *self.gmail.routes(), *self.analytics.routes()]

    def check_auth(self, request: Request) -> Response | None:
        if request.url.path == "/google/token" or self.auth.lookup(request, self.world.now) is not None:
            return None
        return ApiError(401, reason="authError", location="Authorization").response()

    def error(self, status: int, message: str) -> Response:
        """Google's error body for an injected fault; Google's own wording, not the injector's."""
        known = status in STATUS
        return ApiError(status, None if known else message, "rateLimitExceeded" if status == 429 else None,
                        "usageLimits" if status == 429 else "global",
                        location="Authorization" if status == 401 else None).response()

    def truth(self) -> dict[str, Iterable[dict]]:
        """Tables for the current clock and drift; kept until either changes (only advances mutate records)."""
        now = self.world.now
        key = (now, self.sandbox.drift.get(self.name))
        if self._truth is None or self._truth[0] != key:
            self._truth = (key, {
                "calendar_events": _Table(lambda: self.calendar.truth(now)),
                "drive_files": _Table(lambda: self.drive.truth(now)),
                "marketing_spend": _Table(lambda: self.sheets.truth(now)),
                "gmail_messages": _Table(lambda: self.gmail.truth(now)),
                "ga4_daily": _Table(lambda: self.analytics.truth(now)),
            })
        return self._truth[1]

    def on_advance(self, old_now: int, new_now: int) -> None:
        if self.sandbox.faults.profile == "chaos":
            self.sandbox.start_drift(self.name)
        step = len(self.world.advances)
        for api in (self.calendar, self.drive, self.gmail):
            api.on_advance(old_now, new_now, random.Random(f"{self.world.seed}:google:advance:{step}:{api.__class__.__name__}"))
        self.analytics.reports.clear()
