"""The Jira Cloud emulator: the site derived from the world, served under `/jira`."""
from __future__ import annotations

import base64
import hmac
from typing import Iterable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from sandbox.emulator import Emulator
from sandbox.jira import ground_truth
from sandbox.jira.api import JiraApi, jira_error
from sandbox.jira.clock import ZoneClock
from sandbox.jira.render import Renderer
from sandbox.jira.schema import SERVICE_USER_TIME_ZONE
from sandbox.jira.search import IssueSearch
from sandbox.jira.site import JiraSite

AUTH_FAILED = b"Client must be authenticated to access this resource."


class JiraEmulator(Emulator):
    name = "jira"

    def __init__(self, sandbox):
        super().__init__(sandbox)
        creds = sandbox.credentials
        self.site = JiraSite(self.world, creds.jira_email)
        self.clock = ZoneClock(SERVICE_USER_TIME_ZONE)
        self.render = Renderer(self.site, self.clock)
        self.search = IssueSearch(self.site, self.clock, self.site.staff.service.account_id)
        self._auth = "Basic " + base64.b64encode(f"{creds.jira_email}:{creds.jira_api_token}".encode()).decode()

    def start(self) -> None:
        self.render.base = f"{self.sandbox.base_url}/{self.name}"

    def env(self) -> dict[str, str]:
        c = self.sandbox.credentials
        return {"JIRA_URL": f"{self.sandbox.base_url}/{self.name}", "JIRA_EMAIL": c.jira_email,
                "JIRA_API_TOKEN": c.jira_api_token}

    def routes(self) -> list[BaseRoute]:
        return JiraApi(self).routes()

    def check_auth(self, request: Request) -> Response | None:
        given = request.headers.get("authorization", "")
        if given[:6].lower() == "basic " and hmac.compare_digest(given[6:].encode(), self._auth[6:].encode()):
            return None
        return self._unauthorized()

    @staticmethod
    def _unauthorized() -> Response:
        """Jira Cloud's answer to a wrong email or API token: plain text, not its JSON error shape."""
        return Response(AUTH_FAILED, 401, media_type="text/plain;charset=UTF-8",
                        headers={"X-Seraph-LoginReason": "AUTHENTICATED_FAILED"})

    def error(self, status: int, message: str) -> Response:
        if status == 401:
            return self._unauthorized()
        response = jira_error(status, message)
        if status == 429:
            response.headers.update({"X-RateLimit-Limit": "350", "X-RateLimit-Remaining": "0",
                                     "X-RateLimit-NearLimit": "true", "RateLimit-Reason": "jira-burst-based"})
        elif status == 503:  # Jira Cloud's transient 503s ("resource limit reached") say when to come back
            response.headers["Retry-After"] = "1"
        return response

    def drift_ms(self) -> int | None:
        t = self.sandbox.drift.get(self.name)
        return t * 1000 if t is not None else None

    def on_advance(self, old_now: int, new_now: int) -> None:
        if self.sandbox.faults.profile == "chaos":
            self.sandbox.start_drift(self.name)
        self.site.on_advance(old_now, new_now)

    def truth(self) -> dict[str, Iterable[dict]]:
        site, now, drift = self.site, self.world.now * 1000, self.drift_ms()
        return {
            "issues": ground_truth.issues(site, now, drift),
            "issue_changelog": ground_truth.issue_changelog(site, now),
            "projects": ground_truth.projects(site),
            "users": ground_truth.users(site, now),
            "sprints": ground_truth.sprints(site, now),
            "versions": ground_truth.versions(site, now),
            "_sla": ground_truth.sla(site, now),
            "_ticket_accounts": ground_truth.ticket_accounts(site, self.world, now),
            **({"_writes": ground_truth.writes(site)} if site.writes else {}),  # once the API created something
        }
