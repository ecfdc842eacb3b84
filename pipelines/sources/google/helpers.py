"""google-api-python-client wrapped for the sync: one authorised client per API from the service-account
key (Gmail through domain-wide delegation, one client per thread), every request through
`with_retries`, list pages followed with the client's own `list_next`; and the two reads of what an
earlier sync loaded that soft-deleting vanished records needs.

The client's retries are off (`execute(num_retries=0)`); google-auth keeps one duty: a 401 refreshes
the token once and repeats the request (tokens expire after an hour, or when Google says so).
"""
from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor
from typing import Any

import dlt
import google_auth_httplib2
import httplib2
import pyarrow as pa
from dlt.destinations.exceptions import DatabaseUndefinedRelation
from google.auth.exceptions import RefreshError, TransportError
from google.oauth2 import service_account
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from pipelines.sources.common.errors import SourceAuthError, SourceError, scrub
from pipelines.sources.common.retry import Outcome, retry_after_seconds, with_retries
from pipelines.sources.google.settings import (
    APIS,
    CALENDAR_PAGE_SIZE,
    CHECKS,
    CREDENTIALS_VAR,
    DRIVE_FILE_FIELDS,
    DRIVE_PAGE_SIZE,
    GA4_DIMENSIONS,
    GA4_METRICS,
    GA4_PAGE_SIZE,
    GMAIL_HEADERS,
    GMAIL_PAGE_SIZE,
    GMAIL_SCOPES,
    HTTP_TIMEOUT,
    SCOPES,
    SPEND_RANGE,
)

SOURCE = "google"
# GA4's names -> our columns
GA4_COLUMNS = {"date": "date", "sessionSource": "source", "sessionMedium": "medium", "sessionCampaignName": "campaign",
               "sessions": "sessions", "totalUsers": "total_users", "newUsers": "new_users", "conversions": "conversions"}


class NotFound(SourceError):
    """Google answered 404 or 410: an object gone, or a sync cursor it no longer honours."""

    def __init__(self, what: str, status: int, message: str, check: str):
        super().__init__(SOURCE, f"{what} failed ({status}: {message})", f"check {check}")
        self.status = status


def classify(e: BaseException) -> Outcome | None:
    """How `with_retries` treats what the client raised; None re-raises it (404/410 for the caller to
    judge, and anything that is not Google's or the network's failure)."""
    if isinstance(e, HttpError):
        status = e.status_code
        if status in (404, 410):
            return None
        message = e.reason if status in (401, 403) else f"{status} {e.reason}"  # with_retries names 401/403 itself
        return Outcome(status in (408, 429) or status >= 500, status, retry_after_seconds(e.resp), message)
    if isinstance(e, RefreshError):
        data = e.args[1] if len(e.args) > 1 else None
        if isinstance(data, dict) and isinstance(data.get("error"), str):  # OAuth's answer: invalid_grant, …
            return Outcome(False, 401, None, f"the token endpoint refused the service account: {e.args[0]}")
        return Outcome(True, None, None, f"token refresh failed: {e.args[0] if e.args else e}")
    if isinstance(e, (TransportError, httplib2.HttpLib2Error, http.client.HTTPException, ConnectionError,
                      TimeoutError, json.JSONDecodeError)):  # resets, timeouts, truncated bodies
        return Outcome(True, None, None, f"{type(e).__name__}: {e}")
    return None


class GoogleApis:
    """The APIs of one service account; `endpoint` is one root for all of them ("" = Google's own)."""

    def __init__(self, key_file: str, endpoint: str = ""):
        self._key_file, self._endpoint = key_file, endpoint
        self._credentials: dict[str | None, service_account.Credentials] = {}
        self._lock = threading.Lock()

    def _creds(self, subject: str | None) -> service_account.Credentials:
        """Scoped credentials, or a mailbox's delegated ones; one object each, shared by threads."""
        with self._lock:
            if subject not in self._credentials:
                try:
                    base = service_account.Credentials.from_service_account_file(self._key_file, scopes=SCOPES)
                except (OSError, ValueError, KeyError) as e:
                    raise SourceAuthError(SOURCE, f"the service-account key file could not be read ({type(e).__name__})",
                                          f"check {CREDENTIALS_VAR}") from None
                self._credentials[subject] = base if subject is None else base.with_subject(subject).with_scopes(GMAIL_SCOPES)
            return self._credentials[subject]

    def service(self, api: str, subject: str | None = None) -> Any:
        """A client of `api` (a key of `APIS`), not safe to share between threads."""
        name, version, path = APIS[api]
        authorised = google_auth_httplib2.AuthorizedHttp(self._creds(subject), http=httplib2.Http(timeout=HTTP_TIMEOUT),
                                                         max_refresh_attempts=1)
        options = {"api_endpoint": self._endpoint + path} if self._endpoint else None
        return build(name, version, http=authorised, static_discovery=True, client_options=options)


def _once(request: Any) -> dict:
    try:
        return request.execute(num_retries=0)
    except (OSError, http.client.HTTPException, httplib2.HttpLib2Error):
        request.http.close()  # httplib2 would send the retry down the connection the server cut
        raise


def execute(request: Any, what: str, check: str) -> dict:
    """One request with retries; 404/410 raise `NotFound`, 401/403 a `SourceAuthError` naming `check`."""
    try:
        return with_retries(SOURCE, lambda: _once(request), classify, credential_vars=check, what=what)
    except HttpError as e:
        raise NotFound(what, e.status_code, scrub(e.reason), check) from None


def pages(collection: Any, request: Any, what: str, check: str) -> Iterator[dict]:
    """Every page of a list request, following `nextPageToken`."""
    while request is not None:
        response = execute(request, what, check)
        yield response
        request = collection.list_next(request, response)


class Calendar:
    def __init__(self, apis: GoogleApis):
        self._events = apis.service("calendar").events()

    def events(self, calendar_id: str, sync_token: str | None) -> Iterator[dict]:
        """Pages of `events.list`: every event (cancelled ones too) without a token, else the changes
        since it; the last page carries `nextSyncToken`. An expired token raises `NotFound` (410)."""
        params = {"syncToken": sync_token} if sync_token else {"showDeleted": True}
        request = self._events.list(calendarId=calendar_id, maxResults=CALENDAR_PAGE_SIZE, **params)
        return pages(self._events, request, f"Calendar events.list of {calendar_id}", CHECKS["calendar"])


class Drive:
    def __init__(self, apis: GoogleApis):
        self._drive = apis.service("drive")

    def start_page_token(self) -> str:
        request = self._drive.changes().getStartPageToken()
        return execute(request, "Drive changes.getStartPageToken", CHECKS["drive"])["startPageToken"]

    def files(self) -> Iterator[dict]:
        files = self._drive.files()
        request = files.list(pageSize=DRIVE_PAGE_SIZE, fields=f"nextPageToken,files({DRIVE_FILE_FIELDS})")
        return pages(files, request, "Drive files.list", CHECKS["drive"])

    def changes(self, page_token: str) -> Iterator[dict]:
        """Pages of `changes.list` from `page_token`; the last one carries `newStartPageToken`."""
        changes = self._drive.changes()
        request = changes.list(pageToken=page_token, pageSize=DRIVE_PAGE_SIZE, includeRemoved=True,
                               fields=f"nextPageToken,newStartPageToken,changes(fileId,removed,file({DRIVE_FILE_FIELDS}))")
        return pages(changes, request, "Drive changes.list", CHECKS["drive"])


def sheet_values(apis: GoogleApis, sheet_id: str) -> list[list]:
    """The cells of the spend range: numbers unformatted (amounts as numbers), dates as their text."""
    request = apis.service("sheets").spreadsheets().values().get(
        spreadsheetId=sheet_id, range=SPEND_RANGE, valueRenderOption="UNFORMATTED_VALUE",
        dateTimeRenderOption="FORMATTED_STRING")
    return execute(request, f"Sheets values.get of {SPEND_RANGE}", CHECKS["sheets"]).get("values", [])


class Mailbox:
    """One Gmail mailbox, impersonated through domain-wide delegation (metadata scope only)."""

    def __init__(self, apis: GoogleApis, address: str):
        self.address, self._apis = address, apis
        self._local = threading.local()

    def _client(self) -> tuple[Any, Any]:
        """This thread's `users()` and `users().messages()`: httplib2 connections are not shared between
        threads, and building a collection costs ~2 ms, so each thread builds them once."""
        client = getattr(self._local, "client", None)
        if client is None:
            users = self._apis.service("gmail", subject=self.address).users()
            client = self._local.client = (users, users.messages())
        return client

    def _execute(self, request: Any, what: str) -> dict:
        return execute(request, f"Gmail {what} of {self.address}", CHECKS["gmail"])

    def history_id(self) -> str:
        return self._execute(self._client()[0].getProfile(userId="me"), "getProfile")["historyId"]

    def message_ids(self) -> Iterator[list[str]]:
        """The ids of every message, a page at a time (newest first)."""
        messages = self._client()[1]
        request = messages.list(userId="me", maxResults=GMAIL_PAGE_SIZE)
        for page in pages(messages, request, f"Gmail messages.list of {self.address}", CHECKS["gmail"]):
            yield [m["id"] for m in page.get("messages", [])]

    def history(self, start: str) -> Iterator[dict]:
        """Pages of `history.list` since `start`; a history id Gmail no longer keeps raises `NotFound` (404)."""
        history = self._client()[0].history()
        request = history.list(userId="me", startHistoryId=start, maxResults=GMAIL_PAGE_SIZE)
        return pages(history, request, f"Gmail history.list of {self.address}", CHECKS["gmail"])

    def _metadata(self, message_id: str) -> dict | None:
        request = self._client()[1].get(userId="me", id=message_id, format="metadata",
                                        metadataHeaders=list(GMAIL_HEADERS))
        try:
            return self._execute(request, "messages.get")
        except NotFound:
            return None  # deleted since it was listed

    def messages(self, ids: list[str], pool: Executor) -> list[dict]:
        """The metadata of these messages (fetched in parallel); those deleted meanwhile are left out."""
        return [m for m in pool.map(self._metadata, ids) if m is not None]


def ga4_pages(apis: GoogleApis, property_id: str, start_date: str) -> Iterator[list[dict]]:
    """runReport rows from `start_date` to GA4's today by day and session source/medium/campaign, as
    dicts named like our columns, a page (`limit`/`offset`) at a time."""
    properties = apis.service("ga4").properties()
    body = {"dateRanges": [{"startDate": start_date, "endDate": "today"}],
            "dimensions": [{"name": d} for d in GA4_DIMENSIONS], "metrics": [{"name": m} for m in GA4_METRICS],
            "orderBys": [{"dimension": {"dimensionName": d}} for d in GA4_DIMENSIONS], "limit": GA4_PAGE_SIZE}
    offset = 0
    while True:
        request = properties.runReport(property=property_id, body={**body, "offset": offset})
        response = execute(request, "GA4 runReport", CHECKS["ga4"])
        names = [GA4_COLUMNS[h["name"]] for h in response.get("dimensionHeaders", []) + response.get("metricHeaders", [])]
        rows = [dict(zip(names, [v.get("value") for v in r["dimensionValues"] + r["metricValues"]]))
                for r in response.get("rows", [])]
        yield rows
        offset += len(rows)
        if not rows or offset >= int(response.get("rowCount", 0)):
            return


# --- what an earlier sync loaded ------------------------------------------------------------------

_SEP = "\x1f"  # joins a compound key into one string (chr(31) in SQL)


def _query(run: Callable[[Any, str], Any], table: str) -> Any:
    try:
        with dlt.current.pipeline().sql_client() as client:
            return run(client, client.make_qualified_table_name(table))
    except DatabaseUndefinedRelation:  # before the table's first load
        return None


def _columns(key: str | tuple[str, ...]) -> str:
    return ", ".join(f'"{c}"' for c in ((key,) if isinstance(key, str) else key))


def live_keys(table: str, key: str | tuple[str, ...]) -> set[tuple]:
    """The keys the warehouse holds as live (not soft-deleted) in `table` of the running pipeline."""
    columns = _columns(key)
    rows = _query(lambda c, t: c.execute_sql(f"select {columns} from {t} where not coalesce(_deleted, false)"), table)
    return {tuple(r) for r in rows or ()}


def last_copies(table: str, key: str | tuple[str, ...], keys: Iterable[tuple]) -> pa.Table | None:
    """The warehouse's copy of these rows of `table`, flagged `_deleted` (None when there are none)."""
    wanted = sorted(_SEP.join(k) for k in keys)
    if not wanted:
        return None

    def read(client, qualified):
        with client.execute_query(f"select * from {qualified} where concat_ws(chr(31), {_columns(key)}) in (select unnest(%s))",
                                  wanted) as cursor:
            return cursor.arrow()

    rows = _query(read, table)
    if rows is None or not rows.num_rows:
        return None
    rows = rows.drop_columns([c for c in rows.column_names if c.startswith("_dlt_")])
    return rows.set_column(rows.schema.get_field_index("_deleted"), "_deleted", pa.array([True] * rows.num_rows))
