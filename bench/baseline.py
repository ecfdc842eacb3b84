"""The baseline: the same sources loaded the way dlt does it out of the box — a `rest_api` source
over the same endpoints (the vendors' own paging: Stripe `starting_after`, HubSpot `after`, Jira
`nextPageToken`, Google `pageToken`), rows as dicts through dlt's default normaliser (nested lists
become child tables) and the destination's default loader file format (`insert_values` for DuckDB),
appended (dlt's default write disposition); the app DB with `sql_database` and its default
SQLAlchemy backend. HubSpot associations come embedded in the object lists (`associations=`), as
dlt's verified HubSpot source reads them; Gmail messages one `messages.get` each (a resolved child
resource), as there is no other way."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Mapping

import dlt
import duckdb
import orjson
import urllib3
from dlt.extract.source import DltSource
from dlt.sources.helpers.rest_client.paginators import (JSONResponseCursorPaginator, OffsetPaginator,
                                                        SinglePagePaginator)
from dlt.sources.rest_api import rest_api_source

from bench import apis
from pipelines.sources.app.settings import TABLES


def _get(url: str, headers: Mapping[str, str]) -> dict | list:
    """One GET the configuration needs before dlt starts (property and field definitions)."""
    response = urllib3.request("GET", url, headers=dict(headers))
    return orjson.loads(response.data)


def stripe(env: Mapping[str, str]) -> DltSource:
    def paged() -> JSONResponseCursorPaginator:
        return JSONResponseCursorPaginator(cursor_path="data[-1].id", cursor_param="starting_after",
                                           has_more_path="has_more")

    return rest_api_source({
        "client": {"base_url": env["STRIPE_API_BASE"].rstrip("/"), "auth": {"type": "bearer", "token": env["STRIPE_API_KEY"]}},
        "resources": [{"name": lst.table, "endpoint": {
            "path": lst.path, "params": {**lst.params, "limit": apis.STRIPE_PAGE_SIZE}, "data_selector": "data",
            "paginator": paged()}} for lst in apis.stripe_lists()],
    }, name="stripe")


def hubspot(env: Mapping[str, str]) -> DltSource:
    root, auth = env["HUBSPOT_API_BASE"].rstrip("/"), {"Authorization": f"Bearer {env['HUBSPOT_ACCESS_TOKEN']}"}

    def paged() -> JSONResponseCursorPaginator:
        return JSONResponseCursorPaginator(cursor_path="paging.next.after", cursor_param="after")

    resources = []
    for object_type in apis.HUBSPOT_OBJECT_TYPES:
        definitions = _get(f"{root}/crm/v3/properties/{object_type}", auth)["results"]
        params = {"limit": apis.HUBSPOT_LIST_PAGE_SIZE, "properties": ",".join(apis.hubspot_properties(object_type, definitions)),
                  "associations": ",".join(t for t in apis.HUBSPOT_OBJECT_TYPES if t != object_type)}
        for archived in ("false", "true"):
            resources.append({"name": f"{object_type}_archived" if archived == "true" else object_type,
                              "table_name": object_type, "endpoint": {
                                  "path": f"/crm/v3/objects/{object_type}", "params": {**params, "archived": archived},
                                  "data_selector": "results", "paginator": paged()}})
    for archived in ("false", "true"):
        resources.append({"name": f"owners_archived" if archived == "true" else "owners", "table_name": "owners",
                          "endpoint": {"path": "/crm/v3/owners/", "data_selector": "results", "paginator": paged(),
                                       "params": {"limit": apis.HUBSPOT_OWNERS_PAGE_SIZE, "archived": archived}}})
    resources.append({"name": "pipelines", "endpoint": {"path": "/crm/v3/pipelines/deals", "data_selector": "results",
                                                        "paginator": SinglePagePaginator()}})
    return rest_api_source({"client": {"base_url": root, "headers": auth}, "resources": resources}, name="hubspot")


def jira(env: Mapping[str, str]) -> DltSource:
    site = env["JIRA_URL"].rstrip("/")
    auth = {"type": "http_basic", "username": env["JIRA_EMAIL"], "password": env["JIRA_API_TOKEN"]}
    fields = apis.jira_issue_fields(_get(f"{site}/rest/api/2/field", urllib3.make_headers(
        basic_auth=f"{env['JIRA_EMAIL']}:{env['JIRA_API_TOKEN']}")))

    def offset(size: int, total: str | None = None) -> OffsetPaginator:
        return OffsetPaginator(limit=size, offset_param="startAt", limit_param="maxResults", total_path=total,
                               stop_after_empty_page=True)

    def parent(resource: str) -> dict:
        return {"type": "resolve", "resource": resource, "field": "id"}

    return rest_api_source({"client": {"base_url": site, "auth": auth}, "resources": [
        {"name": "issues", "endpoint": {
            "path": "/rest/api/2/search/jql", "method": "POST", "data_selector": "issues",
            "json": {"jql": apis.JIRA_SCOPE_JQL, "fields": fields, "maxResults": apis.JIRA_SEARCH_PAGE, "expand": "changelog"},
            "paginator": JSONResponseCursorPaginator(cursor_path="nextPageToken", cursor_body_path="nextPageToken")}},
        {"name": "users", "endpoint": {"path": "/rest/api/2/users/search", "data_selector": "$",
                                       "paginator": offset(apis.JIRA_USER_PAGE)}},
        {"name": "project_list", "selected": False, "endpoint": {
            "path": "/rest/api/2/project/search", "data_selector": "values", "paginator": offset(apis.JIRA_AGILE_PAGE, "total")}},
        {"name": "projects", "endpoint": {"path": "/rest/api/2/project/{id}", "params": {"id": parent("project_list")},
                                          "data_selector": "$", "paginator": SinglePagePaginator()}},
        {"name": "versions", "endpoint": {"path": "/rest/api/2/project/{id}/version", "params": {"id": parent("project_list")},
                                          "data_selector": "values", "paginator": offset(apis.JIRA_AGILE_PAGE, "total")}},
        {"name": "boards", "selected": False, "endpoint": {
            "path": "/rest/agile/1.0/board", "params": {"type": "scrum"}, "data_selector": "values",
            "paginator": offset(apis.JIRA_AGILE_PAGE)}},
        {"name": "sprints", "endpoint": {"path": "/rest/agile/1.0/board/{id}/sprint", "params": {"id": parent("boards")},
                                         "data_selector": "values", "paginator": offset(apis.JIRA_AGILE_PAGE)}},
    ]}, name="jira")


def google(env: Mapping[str, str]) -> DltSource:
    urls = apis.GoogleApis.from_env(env)
    token, mailbox_tokens = apis.google_tokens(env)

    def paged() -> JSONResponseCursorPaginator:
        return JSONResponseCursorPaginator(cursor_path="nextPageToken", cursor_param="pageToken")

    def under_root(request: tuple[str, dict]) -> tuple[str, dict]:
        return request[0].removeprefix(urls.root), request[1]

    resources = []
    for n, calendar in enumerate(urls.calendars):
        url, params = under_root(urls.calendar_events(calendar))
        resources.append({"name": f"calendar_events_{n}", "table_name": "calendar_events", "endpoint": {
            "path": url, "params": params, "data_selector": "items", "paginator": paged()}})
    url, params = under_root(urls.drive_files())
    resources.append({"name": "drive_files", "endpoint": {"path": url, "params": params, "data_selector": "files",
                                                          "paginator": paged()}})
    url, params = under_root(urls.sheet_values())
    resources.append({"name": "marketing_spend", "endpoint": {"path": url, "params": params, "data_selector": "values",
                                                              "paginator": SinglePagePaginator()}})
    url, body = under_root(urls.ga4_report())
    resources.append({"name": "ga4_daily", "endpoint": {
        "path": url, "method": "POST", "json": {k: v for k, v in body.items() if k != "limit"}, "data_selector": "rows",
        "paginator": OffsetPaginator(limit=body["limit"], offset_body_path="offset", limit_body_path="limit",
                                     total_path="rowCount")}})
    for n, address in enumerate(urls.calendars):
        auth = {"type": "bearer", "token": mailbox_tokens[address]}
        url, params = under_root(urls.gmail_list())
        resources.append({"name": f"gmail_list_{n}", "selected": False, "endpoint": {
            "path": url, "params": params, "auth": auth, "data_selector": "messages", "paginator": paged()}})
        url, params = under_root(urls.gmail_message("{id}"))
        resources.append({"name": f"gmail_messages_{n}", "table_name": "gmail_messages", "endpoint": {
            "path": url, "auth": auth, "data_selector": "$", "paginator": SinglePagePaginator(),
            "params": {**params, "id": {"type": "resolve", "resource": f"gmail_list_{n}", "field": "id"}}}})
    return rest_api_source({"client": {"base_url": urls.root, "auth": {"type": "bearer", "token": token}},
                            "resources": resources}, name="google")


def app(env: Mapping[str, str]) -> DltSource:
    from dlt.sources.sql_database import sql_database
    return sql_database(credentials=env["PENGUINMAILS_DB_URL"], table_names=list(TABLES))


def table_rows(database: str, schema: str) -> dict[str, int]:
    """Rows per table of `schema` (dlt's own tables left out)."""
    with duckdb.connect(database, read_only=True) as con:
        tables = [t for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = ? "
            "and table_name not like '\\_dlt%' escape '\\' order by 1", [schema]).fetchall()]
        return {t: con.execute(f'select count(*) from "{schema}"."{t}"').fetchone()[0] for t in tables}


SOURCES = {"app": app, "stripe": stripe, "jira": jira, "hubspot": hubspot, "google": google}


def run(source: str, env: Mapping[str, str], database: Path, pipelines_dir: Path) -> dict:
    """The baseline backfill of one source into `database`: seconds, rows per table (child tables
    included) and rows of the top-level tables."""
    started = time.perf_counter()
    pipeline = dlt.pipeline(pipeline_name=f"baseline_{source}", destination=dlt.destinations.duckdb(str(database)),
                            dataset_name=f"raw_{source}", pipelines_dir=str(pipelines_dir))
    pipeline.run(SOURCES[source](env)).raise_on_failed_jobs()
    seconds = time.perf_counter() - started
    tables = table_rows(str(database), f"raw_{source}")
    return {"seconds": round(seconds, 3), "rows": sum(tables.values()),
            "top_level_rows": sum(n for t, n in tables.items() if "__" not in t), "tables": tables}
