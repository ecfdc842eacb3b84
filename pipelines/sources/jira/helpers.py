"""The official `jira` client wrapped for the sync: search pages by `nextPageToken`, offset-paged
lists, the JQL cursor in the service user's time zone, and the reads of what an earlier sync loaded.

Every call goes through `with_retries`; the client's own `ResilientSession` retries are off
(`max_retries=0`: it retries only 429/503 and resets, with 10–20 s sleeps, and multiplies with
ours). Requests go through the client's session (its auth, headers and `JIRAError`s) and come back as
plain dicts parsed by orjson, like the client's `json_result=True` but 3× faster to parse: building
the client's `Issue` resources would cost more than the sync needs.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

import dlt
import orjson
import pyarrow as pa
import requests
from dlt.destinations.exceptions import DatabaseUndefinedRelation
from jira import JIRA, JIRAError

from pipelines.sources.common.errors import SourceError, scrub
from pipelines.sources.common.retry import Outcome, retry_after_seconds, with_retries
from pipelines.sources.jira.settings import (
    AGILE_PAGE,
    CHANGELOG_PAGE,
    CREDENTIAL_VARS,
    CUSTOM_FIELDS,
    ISSUE_FIELDS,
    PROJECT_PAGE,
    SOURCE,
    TIMEOUT,
    USER_PAGE,
)


class NotFound(SourceError):
    """Jira answered 404: the object is gone (deleted since we listed it)."""


def classify(e: BaseException) -> Outcome | None:
    """How `with_retries` treats the client's exceptions; None re-raises: a 404 (`JiraApi` turns it into
    `NotFound`, for the caller to decide) or a bug of ours."""
    if isinstance(e, JIRAError) and e.status_code != 404:
        status = e.status_code
        headers = e.response.headers if e.response is not None else None
        retry = status is None or status == 429 or status >= 500
        # `e.text` only: `str(e)` dumps the request's headers and the response
        return Outcome(retry, status, retry_after_seconds(headers), str(e.text))
    if isinstance(e, (requests.RequestException, orjson.JSONDecodeError)):  # resets, timeouts, truncated bodies
        return Outcome(True, None, None, type(e).__name__)
    return None


def jql_minute(instant: datetime, zone: str, lookback: timedelta) -> str:
    """The JQL date literal (`yyyy/MM/dd HH:mm`, the user's wall time, floored to the minute) at or before
    `instant - lookback`. When the clock repeats that wall time (DST ends), an hour earlier, so either
    reading of the ambiguous literal lies before the instant."""
    tz = ZoneInfo(zone)
    local = (instant - lookback).astimezone(tz)
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        local = (local.astimezone(UTC) - timedelta(hours=1)).astimezone(tz)
    return local.strftime("%Y/%m/%d %H:%M")


def parse_time(value: str) -> datetime:
    """Jira's `2026-11-02T01:29:47.123-0800` as an aware datetime."""
    return datetime.fromisoformat(value)


class JiraApi:
    """Jira Cloud's REST APIs through the official client. Creating it sends no request
    (`get_server_info=False`), so building the source at definition time stays offline."""

    def __init__(self, url: str, email: str, api_token: str):
        self.client = JIRA(server=url.rstrip("/"), basic_auth=(email, api_token), max_retries=0, get_server_info=False,
                           timeout=TIMEOUT)
        self._secrets = (api_token,)

    def _call(self, what: str, call):
        try:
            return with_retries(SOURCE, call, classify, credential_vars=CREDENTIAL_VARS, what=what,
                                secrets=self._secrets)
        except JIRAError as e:  # 404
            raise NotFound(SOURCE, f"{what}: {scrub(str(e.text), self._secrets)}") from None

    def _json(self, method: str, path: str, agile: bool = False, **kwargs) -> Any:
        url = self.client._get_url(path, JIRA.AGILE_BASE_URL if agile else JIRA.JIRA_BASE_URL)
        response = self.client._session.request(method, url, **kwargs)
        return orjson.loads(response.content) if response.content else {}

    def get(self, path: str, params: dict | None = None, agile: bool = False) -> Any:
        """One GET of the platform REST API (v2) or of the agile API."""
        return self._call(f"GET {path}", lambda: self._json("GET", path, agile, params=params))

    def post(self, path: str, body: dict) -> Any:
        return self._call(f"POST {path}", lambda: self._json("POST", path, data=orjson.dumps(body)))

    @cached_property
    def time_zone(self) -> str:
        """The service user's zone: JQL reads dates in it."""
        return self.get("myself")["timeZone"]

    @cached_property
    def custom_fields(self) -> dict[str, str]:
        """Every custom field id → its name in the issues table (its id when we do not know its type)."""
        fields = self.get("field")
        out = {}
        for f in fields:
            if f.get("custom"):
                name = CUSTOM_FIELDS.get((f.get("schema") or {}).get("custom"), f["id"])
                out[f["id"]] = name if name not in out.values() else f["id"]
        return out

    @cached_property
    def projects(self) -> list[dict]:
        """Every project the service user can see (summaries)."""
        return [p for page in self.offset_pages("project/search", page_size=PROJECT_PAGE) for p in page]

    def search(self, jql: str, fields: list[str], page_size: int, expand: str | None = None) -> Iterator[list[dict]]:
        """Pages of issues matching `jql` (`POST /search/jql`, the endpoint of the client's
        `enhanced_search_issues`, paged by `nextPageToken`)."""
        body = {"jql": jql, "fields": fields, "maxResults": page_size, **({"expand": expand} if expand else {})}
        token = None
        while True:
            page = self.post("search/jql", {**body, "nextPageToken": token} if token else body)
            yield page.get("issues") or []
            token = page.get("nextPageToken")
            if not token:
                return

    def issue_fields(self) -> list[str]:
        return [*ISSUE_FIELDS, *self.custom_fields]

    def changelog(self, issue_id: str) -> list[dict]:
        """An issue's whole changelog (oldest first), for issues whose search result embeds only the newest
        part; none when the issue was deleted since (the next reconciliation soft-deletes it)."""
        try:
            return [h for page in self.offset_pages(f"issue/{issue_id}/changelog", page_size=CHANGELOG_PAGE)
                    for h in page]
        except NotFound:
            return []

    def offset_pages(self, path: str, params: dict | None = None, page_size: int = AGILE_PAGE,
                     agile: bool = False) -> Iterator[list[dict]]:
        """Pages of a `{startAt, maxResults, isLast, values}` list."""
        start = 0
        while True:
            page = self.get(path, {**(params or {}), "startAt": start, "maxResults": page_size}, agile=agile)
            values = page.get("values") or []
            yield values
            if page.get("isLast", True) or not values:
                return
            start += len(values)

    def users(self) -> Iterator[list[dict]]:
        """Pages of every account (`/users/search` answers a bare array; it may return fewer than asked, so
        paging stops at the first empty page)."""
        start = 0
        while True:
            page = self.get("users/search", {"startAt": start, "maxResults": USER_PAGE})
            if not page:
                return
            yield page
            start += len(page)


def issue_row(issue: dict, custom_fields: dict[str, str]) -> dict:
    """A search result flattened to one level: id, key and the fields, custom fields under their names."""
    row = {"id": issue["id"], "key": issue.get("key")}
    for name, value in (issue.get("fields") or {}).items():
        row[custom_fields.get(name, name)] = value
    return row


def changelog_rows(issue_id: str, histories: list[dict]) -> list[dict]:
    """One row per changelog item, keyed by (history id, the item's position)."""
    rows = []
    for h in histories:
        author = (h.get("author") or {}).get("accountId")
        for index, item in enumerate(h.get("items") or []):
            rows.append({**item, "history_id": h["id"], "item_index": index, "issue_id": issue_id,
                         "created": h.get("created"), "author_account_id": author})
    return rows


def _live_rows(table: str, columns: str, where: str = "", *args) -> pa.Table | None:
    """Live (not soft-deleted) rows of `table` in the running pipeline's dataset; None before its first load."""
    try:
        with dlt.current.pipeline().sql_client() as client:
            sql = f"select {columns} from {client.make_qualified_table_name(table)} where not coalesce(_deleted, false){where}"
            with client.execute_query(sql, *args) as cursor:
                return cursor.arrow()
    except DatabaseUndefinedRelation:
        return None


def loaded_live_keys(table: str, key: str) -> set:
    """The keys of the rows of `table` the warehouse holds as live."""
    found = _live_rows(table, key)
    return set() if found is None else set(found.column(0).to_pylist())


def loaded_copies(table: str, column: str, values: set) -> pa.Table | None:
    """The warehouse's live rows of `table` whose `column` is in `values`, as loaded, now flagged `_deleted`."""
    found = _live_rows(table, "*", f" and {column} in (select unnest(%s))", sorted(values)) if values else None
    if found is None or not found.num_rows:
        return None
    found = found.drop_columns([c for c in found.column_names if c.startswith("_dlt_")])
    return found.set_column(found.schema.get_field_index("_deleted"), "_deleted", pa.array([True] * found.num_rows))
