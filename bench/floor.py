"""The floor: the pages a backfill reads, fetched over plain HTTP (keep-alive, every endpoint of a
source in its own thread) and written as JSON lines, then loaded straight into DuckDB with
`read_json`; the app DB fetched into Arrow (SQLite) or `COPY`ed out (PostgreSQL). No paging state,
retries, typing, merging or soft deletes: what a sync costs with no pipeline logic at all.

`ENDPOINTS[source](env)` gives the source's endpoints as generators of pages; the sandbox probe
(`bench/sandbox_speed.py`) pages through the same generators.
"""
from __future__ import annotations

import base64
import sqlite3
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterator, Mapping
from urllib.parse import urlencode

import duckdb
import orjson
import pyarrow as pa
import urllib3

from bench import apis
from pipelines.sources.app.settings import CHUNK_SIZE, TABLES

Page = tuple[str, list]  # (table, records)
Endpoints = dict[str, Callable[[], Iterator[Page]]]  # name -> its pages


class Http:
    """Plain HTTP with keep-alive (one urllib3 pool, a connection per thread), bodies parsed by orjson."""

    def __init__(self, headers: Mapping[str, str]):
        self.headers = dict(headers)
        self.requests = 0
        self.bytes = 0
        self._pool = urllib3.PoolManager(maxsize=32, retries=False, timeout=120)
        self._lock = threading.Lock()

    def call(self, method: str, url: str, params: dict | None = None, body: dict | None = None,
             headers: Mapping[str, str] | None = None) -> dict | list:
        headers = {**self.headers, **(headers or {})}
        if body is not None:
            headers["content-type"] = "application/json"
        if params:
            url += "?" + urlencode(params, doseq=True)
        response = self._pool.request(method, url, headers=headers, body=orjson.dumps(body) if body is not None else None)
        with self._lock:
            self.requests += 1
            self.bytes += len(response.data)
        if response.status >= 300:
            raise RuntimeError(f"{method} {url.split('?')[0]} answered {response.status}")
        return orjson.loads(response.data)

    def get(self, url: str, params: dict | None = None, headers: Mapping[str, str] | None = None):
        return self.call("GET", url, params, headers=headers)

    def post(self, url: str, body: dict, headers: Mapping[str, str] | None = None):
        return self.call("POST", url, body=body, headers=headers)


# --- the endpoints of each source --------------------------------------------------------------------

def stripe(env: Mapping[str, str]) -> tuple[Http, Endpoints]:
    http = Http({"Authorization": f"Bearer {env['STRIPE_API_KEY']}"})
    root = env["STRIPE_API_BASE"].rstrip("/")

    def pages(listing: apis.StripeList) -> Iterator[Page]:
        after = None
        while True:
            body = http.get(root + listing.path, {**listing.params, "limit": apis.STRIPE_PAGE_SIZE,
                                                  **({"starting_after": after} if after else {})})
            yield listing.table, body["data"]
            if not body.get("has_more") or not body["data"]:
                return
            after = body["data"][-1]["id"]

    return http, {f"stripe {lst.table}": (lambda lst=lst: pages(lst)) for lst in apis.stripe_lists()}


def _hubspot_next(body: dict) -> str | None:
    return ((body.get("paging") or {}).get("next") or {}).get("after")


def hubspot(env: Mapping[str, str]) -> tuple[Http, Endpoints]:
    http = Http({"Authorization": f"Bearer {env['HUBSPOT_ACCESS_TOKEN']}"})
    root = env["HUBSPOT_API_BASE"].rstrip("/")

    def listed(path: str, params: dict) -> Iterator[dict]:
        after = None
        while True:
            body = http.get(root + path, {**params, **({"after": after} if after else {})})
            yield body
            if (after := _hubspot_next(body)) is None:
                return

    def objects(object_type: str) -> Iterator[Page]:
        """Active and archived objects, then the association sets of the active ones to the other types."""
        definitions = http.get(f"{root}/crm/v3/properties/{object_type}")["results"]
        params = {"limit": apis.HUBSPOT_LIST_PAGE_SIZE,
                  "properties": ",".join(apis.hubspot_properties(object_type, definitions))}
        ids = []
        for archived in ("false", "true"):
            for body in listed(f"/crm/v3/objects/{object_type}", {**params, "archived": archived}):
                if archived == "false":
                    ids += [r["id"] for r in body["results"]]
                yield object_type, body["results"]
        for to_type in apis.HUBSPOT_OBJECT_TYPES:
            if to_type == object_type:
                continue
            for at in range(0, len(ids), apis.HUBSPOT_ASSOCIATION_BATCH):
                body = http.post(f"{root}/crm/v4/associations/{object_type}/{to_type}/batch/read",
                                 {"inputs": [{"id": i} for i in ids[at:at + apis.HUBSPOT_ASSOCIATION_BATCH]]})
                yield "associations", body["results"]

    def owners() -> Iterator[Page]:
        for archived in ("false", "true"):
            for body in listed("/crm/v3/owners/", {"limit": apis.HUBSPOT_OWNERS_PAGE_SIZE, "archived": archived}):
                yield "owners", body["results"]

    def pipelines() -> Iterator[Page]:
        yield "pipelines", http.get(f"{root}/crm/v3/pipelines/deals")["results"]

    endpoints: Endpoints = {f"hubspot {t}": (lambda t=t: objects(t)) for t in apis.HUBSPOT_OBJECT_TYPES}
    return http, {**endpoints, "hubspot owners": owners, "hubspot pipelines": pipelines}


def jira(env: Mapping[str, str]) -> tuple[Http, Endpoints]:
    basic = base64.b64encode(f"{env['JIRA_EMAIL']}:{env['JIRA_API_TOKEN']}".encode()).decode()
    http = Http({"Authorization": f"Basic {basic}", "Accept": "application/json"})
    api, agile = env["JIRA_URL"].rstrip("/") + "/rest/api/2", env["JIRA_URL"].rstrip("/") + "/rest/agile/1.0"

    def offset(url: str, params: dict | None = None, size: int = apis.JIRA_AGILE_PAGE) -> Iterator[list]:
        start = 0
        while True:
            body = http.get(url, {**(params or {}), "startAt": start, "maxResults": size})
            values = body.get("values") or []
            yield values
            if body.get("isLast", True) or not values:
                return
            start += len(values)

    def issues() -> Iterator[Page]:
        request = {"jql": apis.JIRA_SCOPE_JQL, "fields": apis.jira_issue_fields(http.get(f"{api}/field")),
                   "maxResults": apis.JIRA_SEARCH_PAGE, "expand": "changelog"}
        token = None
        while True:
            body = http.post(f"{api}/search/jql", {**request, **({"nextPageToken": token} if token else {})})
            yield "issues", body.get("issues") or []
            if not (token := body.get("nextPageToken")):
                return

    def users() -> Iterator[Page]:
        start = 0
        while page := http.get(f"{api}/users/search", {"startAt": start, "maxResults": apis.JIRA_USER_PAGE}):
            yield "users", page
            start += len(page)

    def projects() -> Iterator[Page]:
        for page in offset(f"{api}/project/search"):
            yield "projects", [http.get(f"{api}/project/{p['id']}") for p in page]
            for p in page:
                for versions in offset(f"{api}/project/{p['id']}/version"):
                    yield "versions", versions

    def sprints() -> Iterator[Page]:
        for boards in offset(f"{agile}/board", {"type": "scrum"}):
            for board in boards:
                for page in offset(f"{agile}/board/{board['id']}/sprint"):
                    yield "sprints", page

    return http, {"jira issues": issues, "jira users": users, "jira projects": projects, "jira sprints": sprints}


def google(env: Mapping[str, str]) -> tuple[Http, Endpoints]:
    urls = apis.GoogleApis.from_env(env)
    token, mailbox_tokens = apis.google_tokens(env)
    http = Http({"Authorization": f"Bearer {token}"})
    http.requests = 1 + len(mailbox_tokens)  # the token exchanges

    def token_pages(url: str, params: dict, key: str, table: str, headers=None) -> Iterator[Page]:
        page_token = None
        while True:
            body = http.get(url, {**params, **({"pageToken": page_token} if page_token else {})}, headers)
            yield table, body.get(key, [])
            if not (page_token := body.get("nextPageToken")):
                return

    def gmail(address: str) -> Iterator[Page]:
        auth = {"Authorization": f"Bearer {mailbox_tokens[address]}"}
        url, params = urls.gmail_list()

        def get(message_id: str) -> dict:
            return http.get(*urls.gmail_message(message_id), headers=auth)

        with ThreadPoolExecutor(apis.GMAIL_WORKERS) as pool:
            for _, listed in token_pages(url, params, "messages", "gmail_messages", auth):
                yield "gmail_messages", list(pool.map(get, [m["id"] for m in listed]))

    def ga4() -> Iterator[Page]:
        url, body = urls.ga4_report()
        offset = 0
        while True:
            page = http.post(url, {**body, "offset": offset})
            rows = page.get("rows", [])
            yield "ga4_daily", rows
            offset += len(rows)
            if not rows or offset >= int(page.get("rowCount", 0)):
                return

    def sheet() -> Iterator[Page]:
        yield "marketing_spend", [{"row": r} for r in http.get(*urls.sheet_values()).get("values", [])]

    endpoints: Endpoints = {
        f"google calendar {c}": (lambda c=c: token_pages(*urls.calendar_events(c), "items", "calendar_events"))
        for c in urls.calendars}
    endpoints["google drive files"] = lambda: token_pages(*urls.drive_files(), "files", "drive_files")
    endpoints |= {f"google gmail {a}": (lambda a=a: gmail(a)) for a in urls.calendars}
    return http, {**endpoints, "google ga4": ga4, "google sheet": sheet}


ENDPOINTS: dict[str, Callable[[Mapping[str, str]], tuple[Http, Endpoints]]] = {
    "stripe": stripe, "jira": jira, "hubspot": hubspot, "google": google}


# --- fetch and load ------------------------------------------------------------------------------------

class JsonLines:
    """Records appended to `<dir>/<table>.jsonl`, from any thread."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.records: Counter[str] = Counter()
        self._files: dict[str, object] = {}
        self._lock = threading.Lock()
        directory.mkdir(parents=True, exist_ok=True)

    def write(self, table: str, records: list) -> None:
        if not records:
            return
        data = b"\n".join(map(orjson.dumps, records)) + b"\n"
        with self._lock:
            if table not in self._files:
                self._files[table] = (self.directory / f"{table}.jsonl").open("wb")
            self._files[table].write(data)
            self.records[table] += len(records)

    def close(self) -> list[Path]:
        for f in self._files.values():
            f.close()
        return [self.directory / f"{t}.jsonl" for t in self._files]


def fetch(endpoints: Endpoints, out: JsonLines) -> None:
    """Every endpoint in its own thread, each page written as it arrives."""
    def drain(pages: Callable[[], Iterator[Page]]) -> None:
        for table, records in pages():
            out.write(table, records)

    with ThreadPoolExecutor(len(endpoints)) as pool:
        for future in [pool.submit(drain, pages) for pages in endpoints.values()]:
            future.result()


def load_json(files: list[Path], con: duckdb.DuckDBPyConnection, schema: str) -> dict[str, int]:
    """Each file into a table; when a key first appears past `read_json`'s sample (HubSpot's
    `archivedAt` on the archived records listed last), again with the whole file sampled."""
    con.execute(f'create schema if not exists "{schema}"')
    rows = {}
    for path in files:
        create = f'create or replace table "{schema}"."{path.stem}" as select * from read_json(?{{}})'
        try:
            con.execute(create.format(""), [str(path)])
        except duckdb.InvalidInputException:
            con.execute(create.format(", sample_size = -1"), [str(path)])
        rows[path.stem] = con.execute(f'select count(*) from "{schema}"."{path.stem}"').fetchone()[0]
    return rows


def _arrow_chunk(names: list[str], rows: list[tuple]) -> pa.Table:
    """A chunk of DB-API rows as Arrow, column by column; a column Arrow cannot type (all null, or
    SQLite's mixed types) as text."""
    arrays = []
    for column in zip(*rows):
        try:
            array = pa.array(column)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            array = pa.array([None if v is None else str(v) for v in column], pa.string())
        arrays.append(array.cast(pa.string()) if pa.types.is_null(array.type) else array)
    return pa.table(dict(zip(names, arrays)))


def load_app(url: str, con: duckdb.DuckDBPyConnection, schema: str, work: Path) -> dict[str, int]:
    """Every app table: `COPY … TO STDOUT` → `read_csv` on PostgreSQL, fetched into Arrow on SQLite."""
    con.execute(f'create schema if not exists "{schema}"')
    rows = {}
    if url.startswith("sqlite"):
        source = sqlite3.connect(url.split(":///", 1)[1])
        try:
            for table in TABLES:
                cursor = source.execute(f'select * from "{table}"')
                names = [d[0] for d in cursor.description]
                verb = f'create or replace table "{schema}"."{table}" as'
                while chunk := cursor.fetchmany(CHUNK_SIZE):
                    batch = _arrow_chunk(names, chunk)  # noqa: F841 - read by DuckDB below
                    con.execute(f"{verb} select * from batch")
                    verb = f'insert into "{schema}"."{table}"'
                rows[table] = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
        finally:
            source.close()
        return rows
    import psycopg2
    source = psycopg2.connect(url.replace("postgresql+psycopg2://", "postgresql://"))
    try:
        with source.cursor() as cursor:
            for table in TABLES:
                path = work / f"{table}.csv"
                with path.open("wb") as f:
                    cursor.copy_expert(f'copy (select * from "{table}") to stdout with (format csv, header)', f)
                con.execute(f'create or replace table "{schema}"."{table}" as select * from read_csv(?, header = true)',
                            [str(path)])
                rows[table] = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
    finally:
        source.close()
    return rows


def run(source: str, env: Mapping[str, str], database: Path, work: Path) -> dict:
    """The floor of one source into `database`: seconds (fetch + load), requests, rows per table."""
    started = time.perf_counter()
    con = duckdb.connect(str(database))
    try:
        if source == "app":
            tables = load_app(env["PENGUINMAILS_DB_URL"], con, f"raw_{source}", work)
            fetched, requests_made = time.perf_counter(), 0
        else:
            http, endpoints = ENDPOINTS[source](env)
            out = JsonLines(work)
            try:
                fetch(endpoints, out)
            finally:
                files = out.close()
            fetched, requests_made = time.perf_counter(), http.requests
            tables = load_json(files, con, f"raw_{source}")
        con.execute("checkpoint")
    finally:
        con.close()
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 3), "fetch_seconds": round(fetched - started, 3), "requests": requests_made,
            "rows": sum(tables.values()), "tables": tables}
