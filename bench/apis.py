"""What a backfill asks each vendor for, shared by the floor and the baseline so both read the pages
our sources read: the same endpoints, page sizes, properties, fields and expansions."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping
from urllib.parse import quote

from pipelines.sources.google import settings as google
from pipelines.sources.hubspot import settings as hubspot
from pipelines.sources.hubspot import wanted_properties
from pipelines.sources.jira import settings as jira
from pipelines.sources.stripe import settings as stripe


@dataclass(frozen=True)
class StripeList:
    table: str
    path: str  # under the API root, e.g. `/v1/invoices`
    params: dict  # form-encoded as Stripe's clients do (`expand[]`)


def stripe_lists() -> list[StripeList]:
    """Every list a Stripe backfill pages through (children come embedded in their parents)."""
    out = []
    for table, listing in stripe.LISTINGS.items():
        params = {k: v for k, v in listing.params.items() if k != "expand"}
        if listing.params.get("expand"):
            params["expand[]"] = list(listing.params["expand"])
        out.append(StripeList(table, listing.path, params))
    out.append(StripeList("balance_transactions", "/v1/balance_transactions", {}))
    return out


STRIPE_PAGE_SIZE = stripe.PAGE_SIZE
HUBSPOT_OBJECT_TYPES = hubspot.OBJECT_TYPES
HUBSPOT_LIST_PAGE_SIZE = hubspot.LIST_PAGE_SIZE
HUBSPOT_OWNERS_PAGE_SIZE = hubspot.OWNERS_PAGE_SIZE
HUBSPOT_ASSOCIATION_BATCH = hubspot.ASSOCIATION_BATCH_SIZE


def hubspot_properties(object_type: str, definitions: list[dict]) -> list[str]:
    """The properties a first sync requests (no drift yet: `since` is far in the future)."""
    return wanted_properties(object_type, definitions, since=2**40)


JIRA_SCOPE_JQL = f"{jira.SCOPE_JQL} ORDER BY updated ASC"
JIRA_SEARCH_PAGE = jira.SEARCH_PAGE
JIRA_USER_PAGE = jira.USER_PAGE
JIRA_AGILE_PAGE = jira.AGILE_PAGE


def jira_issue_fields(field_definitions: list[dict]) -> list[str]:
    """The system fields the source asks for, and every custom field (as it does)."""
    return [*jira.ISSUE_FIELDS, *(f["id"] for f in field_definitions if f.get("custom"))]


@dataclass(frozen=True)
class GoogleApis:
    """URLs of the Google APIs under the configured root, and the requests a first sync sends."""

    root: str  # GOOGLE_API_ENDPOINT, ending with '/'
    calendars: tuple[str, ...]
    ga4_property: str
    sheet_id: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "GoogleApis":
        return cls(env["GOOGLE_API_ENDPOINT"].rstrip("/") + "/",
                   tuple(a.strip() for a in env["GOOGLE_CALENDAR_IDS"].split(",") if a.strip()),
                   env["GA4_PROPERTY_ID"], env["MARKETING_SPEND_SHEET_ID"])

    def calendar_events(self, calendar: str) -> tuple[str, dict]:
        return (f"{self.root}calendar/v3/calendars/{quote(calendar)}/events",
                {"maxResults": google.CALENDAR_PAGE_SIZE, "showDeleted": "true"})

    def drive_files(self) -> tuple[str, dict]:
        return (f"{self.root}drive/v3/files",
                {"pageSize": google.DRIVE_PAGE_SIZE, "fields": f"nextPageToken,files({google.DRIVE_FILE_FIELDS})"})

    def sheet_values(self) -> tuple[str, dict]:
        return (f"{self.root}v4/spreadsheets/{self.sheet_id}/values/{quote(google.SPEND_RANGE)}",
                {"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "FORMATTED_STRING"})

    def gmail_list(self) -> tuple[str, dict]:
        return f"{self.root}gmail/v1/users/me/messages", {"maxResults": google.GMAIL_PAGE_SIZE}

    def gmail_message(self, message_id: str) -> tuple[str, dict]:
        return (f"{self.root}gmail/v1/users/me/messages/{message_id}",
                {"format": "metadata", "metadataHeaders": list(google.GMAIL_HEADERS)})

    def ga4_report(self) -> tuple[str, dict]:
        body = {"dateRanges": [{"startDate": google.GA4_FIRST_DATE, "endDate": "today"}],
                "dimensions": [{"name": d} for d in google.GA4_DIMENSIONS],
                "metrics": [{"name": m} for m in google.GA4_METRICS],
                "orderBys": [{"dimension": {"dimensionName": d}} for d in google.GA4_DIMENSIONS],
                "limit": google.GA4_PAGE_SIZE}
        return f"{self.root}v1beta/{self.ga4_property}:runReport", body


GMAIL_WORKERS = google.GMAIL_WORKERS


def google_tokens(env: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """Bearer tokens from the service-account key, exchanged at its token endpoint as the client does:
    one for Calendar/Drive/Sheets/GA4, one per mailbox (domain-wide delegation, metadata scope)."""
    from google.auth.transport.requests import Request
    from google.oauth2 import service_account

    def token(subject: str | None) -> str:
        creds = service_account.Credentials.from_service_account_file(
            env["GOOGLE_APPLICATION_CREDENTIALS"], scopes=google.GMAIL_SCOPES if subject else google.SCOPES)
        if subject:
            creds = creds.with_subject(subject)
        creds.refresh(Request())
        return creds.token

    return token(None), {a: token(a) for a in GoogleApis.from_env(env).calendars}
