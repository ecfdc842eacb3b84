"""The official `hubspot-api-client` wrapped for the sync: object lists, modified-date searches that
split their window at HubSpot's 10,000-result cap, v4 association batch reads, owners, pipelines
and property definitions; every call through `with_retries`, with HubSpot's clock taken from each
response's `Date` header. Also the read of what an earlier sync loaded that association sets need.

Calls go through the client's API classes with `_preload_content=False` and the JSON is parsed here:
building the client's typed models costs 15× more per object and the sync only needs the wire data.
The client's own retries are off (`retry=False`): ours honour `Retry-After`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Iterator, Sequence

import dlt
import hubspot
import orjson
import pyarrow as pa
import urllib3
from dlt.destinations.exceptions import DatabaseUndefinedRelation
from hubspot.crm.associations.v4 import ApiException as AssociationsApiException
from hubspot.crm.objects import ApiException as ObjectsApiException
from hubspot.crm.owners import ApiException as OwnersApiException
from hubspot.crm.pipelines import ApiException as PipelinesApiException
from hubspot.crm.properties import ApiException as PropertiesApiException

from pipelines.sources.common.errors import SourceError
from pipelines.sources.common.retry import Outcome, retry_after_seconds, with_retries
from pipelines.sources.hubspot.settings import (ASSOCIATION_BATCH_SIZE, LIST_PAGE_SIZE, MODIFIED_PROPERTY,
                                                OWNERS_PAGE_SIZE, SEARCH_MAX_RESULTS, SEARCH_PAGE_SIZE)

SOURCE = "hubspot"
CREDENTIAL_VARS = "HUBSPOT_ACCESS_TOKEN (and HUBSPOT_API_BASE)"
# each API package of the client raises its own ApiException class
_API_EXCEPTIONS = (ObjectsApiException, AssociationsApiException, OwnersApiException, PipelinesApiException,
                   PropertiesApiException)


@dataclass(frozen=True)
class Page:
    results: list[dict]
    after: str | None  # the next page's cursor; None on the last page
    now: int  # HubSpot's clock (epoch seconds) when it answered


def epoch_ms(value: str) -> int:
    """HubSpot's ISO 8601 time (`2026-11-02T09:30:00.000Z`) as epoch milliseconds."""
    return round(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)


def modified_ms(record: dict, object_type: str) -> int:
    """When a CRM object last changed, as the search index has it."""
    return epoch_ms(record["properties"][MODIFIED_PROPERTY[object_type]])


def _message(body: Any) -> str:
    try:
        return str(orjson.loads(body).get("message") or "")
    except (orjson.JSONDecodeError, TypeError, AttributeError):
        return ""


def classify(e: BaseException) -> Outcome | None:
    """How `with_retries` treats the client's exceptions; None (not HubSpot's failure) re-raises."""
    if isinstance(e, (urllib3.exceptions.HTTPError, OSError, orjson.JSONDecodeError)):
        return Outcome(True, None, None, f"connection failed ({type(e).__name__})")  # resets, truncated bodies
    if isinstance(e, _API_EXCEPTIONS):
        status = e.status or 0
        message = _message(e.body) or str(e.reason or "")
        return Outcome(status in (0, 429) or status >= 500, status, retry_after_seconds(e.headers), message)
    return None


def _decode(response) -> tuple[Any, int]:
    """The JSON body of a `_preload_content=False` response and HubSpot's clock from its `Date`."""
    try:
        body = orjson.loads(response.data)
    finally:
        response.release_conn()
    return body, int(parsedate_to_datetime(response.headers["Date"]).timestamp())


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


class HubSpotApi:
    """HubSpot's CRM APIs through the official client (one connection pool per API class)."""

    def __init__(self, access_token: str, api_base: str):
        client = hubspot.Client.create(access_token=access_token, host=api_base.rstrip("/"), retry=False)
        self._objects = client.crm.objects.basic_api
        self._search = client.crm.objects.search_api
        self._associations = client.crm.associations.v4.batch_api
        self._owners = client.crm.owners.owners_api
        self._pipelines = client.crm.pipelines.pipelines_api
        self._properties = client.crm.properties.core_api
        self._secrets = (access_token,)

    def _call(self, what: str, method: Callable[..., Any], *args, **kwargs) -> tuple[Any, int]:
        def call():
            return _decode(method(*args, _preload_content=False, **kwargs))
        return with_retries(SOURCE, call, classify, credential_vars=CREDENTIAL_VARS, what=what, secrets=self._secrets)

    def properties(self, object_type: str) -> tuple[list[dict], int]:
        """The property definitions of an object type, and HubSpot's clock."""
        body, now = self._call(f"GET /crm/v3/properties/{object_type}", self._properties.get_all, object_type,
                               archived=False)
        return body["results"], now

    def objects(self, object_type: str, properties: Sequence[str], archived: bool = False) -> Iterator[Page]:
        """Every active (or archived) object, in id order, 100 a page."""
        after = None
        while True:
            body, now = self._call(f"GET /crm/v3/objects/{object_type}", self._objects.get_page, object_type,
                                   limit=LIST_PAGE_SIZE, after=after, properties=list(properties), archived=archived)
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            yield Page(body["results"], after, now)
            if after is None:
                return

    def modified_since(self, object_type: str, since_ms: int, properties: Sequence[str]) -> Iterator[Page]:
        """Every active object modified at or after `since_ms`, oldest change first, by search.

        One search query pages through at most 10,000 results, so a longer run restarts the window
        at the last modified time seen (`GTE`, so the records of that millisecond not given yet
        still come) and skips the ones of that millisecond it already gave."""
        prop = MODIFIED_PROPERTY[object_type]
        start, after = since_ms, 0
        boundary, given = None, set()  # the modified time of the last record given, and the ids given at it
        while True:
            request = {"filterGroups": [{"filters": [{"propertyName": prop, "operator": "GTE", "value": str(start)}]}],
                       "sorts": [{"propertyName": prop, "direction": "ASCENDING"}],
                       "properties": list(properties), "limit": SEARCH_PAGE_SIZE, "after": after}
            body, now = self._call(f"POST /crm/v3/objects/{object_type}/search", self._search.do_search,
                                   object_type, request)
            fresh = []
            for record in body["results"]:
                t = modified_ms(record, object_type)
                if t == boundary and record["id"] in given:
                    continue
                if t != boundary:
                    boundary, given = t, set()
                given.add(record["id"])
                fresh.append(record)
            nxt = ((body.get("paging") or {}).get("next") or {}).get("after")
            yield Page(fresh, nxt, now)
            if nxt is None:
                return
            if int(nxt) + SEARCH_PAGE_SIZE <= SEARCH_MAX_RESULTS:
                after = nxt
            elif boundary is not None and boundary > start:
                start, after = boundary, 0
            else:
                raise SourceError(SOURCE, f"more than {SEARCH_MAX_RESULTS:,} {object_type} changed in the same "
                                  "millisecond: the search API cannot page through them")

    def associations(self, from_type: str, to_type: str, ids: Sequence[str]) -> Iterator[tuple[list[dict], list[str]]]:
        """Per batch of ids: the association rows from them to `to_type` (one per association type),
        and the ids that have none."""
        for batch in _chunks(ids, ASSOCIATION_BATCH_SIZE):
            body, _ = self._call(f"POST /crm/v4/associations/{from_type}/{to_type}/batch/read",
                                 self._associations.get_page, from_type, to_type, {"inputs": [{"id": i} for i in batch]})
            rows = [{"from_type": from_type, "from_id": str(result["from"]["id"]), "to_type": to_type,
                     "to_id": str(to["toObjectId"]), "type_id": kind["typeId"], "label": kind.get("label"),
                     "category": kind.get("category")}
                    for result in body["results"] for to in result["to"] for kind in to["associationTypes"]]
            empty = []
            for error in body.get("errors") or ():
                if error.get("subCategory") != "crm.associations.NO_ASSOCIATIONS_FOUND":
                    raise SourceError(SOURCE, f"reading {from_type}→{to_type} associations failed: {error.get('message')}")
                empty += [str(i) for i in (error.get("context") or {}).get("fromObjectId") or ()]
            yield rows, empty

    def owners(self, archived: bool) -> Iterator[Page]:
        after = None
        while True:
            body, now = self._call("GET /crm/v3/owners", self._owners.get_page, limit=OWNERS_PAGE_SIZE, after=after,
                                   archived=archived)
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            yield Page(body["results"], after, now)
            if after is None:
                return

    def pipelines(self, object_type: str) -> list[dict]:
        body, _ = self._call(f"GET /crm/v3/pipelines/{object_type}", self._pipelines.get_all, object_type)
        return body["results"]


def loaded_association_sources(to_type: str, to_ids: Sequence[str]) -> list[tuple[str, str]]:
    """(from_type, from_id) of the objects whose loaded association sets point at these objects."""
    try:
        with dlt.current.pipeline().sql_client() as client:
            table = client.make_qualified_table_name("associations")
            return [tuple(r) for r in client.execute_sql(
                f"select distinct from_type, from_id from {table} where to_type = %s and to_id in (select unnest(%s))",
                to_type, list(to_ids))]
    except DatabaseUndefinedRelation:  # before the table's first load
        return []


def vanished(table: str, key: tuple[str, ...], listed: set[tuple]) -> pa.Table | None:
    """The live rows loaded in `table` whose key HubSpot no longer lists, flagged `_deleted` (None if none)."""
    try:
        with dlt.current.pipeline().sql_client() as client:
            sql = f"select * from {client.make_qualified_table_name(table)} where not coalesce(_deleted, false)"
            with client.execute_query(sql) as cursor:
                loaded = cursor.arrow()
    except DatabaseUndefinedRelation:  # before the table's first load
        return None
    gone = [i for i, k in enumerate(zip(*(loaded[c].to_pylist() for c in key))) if k not in listed]
    if not gone:
        return None
    rows = loaded.take(gone).drop_columns([c for c in loaded.column_names if c.startswith("_dlt") or c == "_deleted"])
    return rows.append_column("_deleted", pa.array([True] * len(gone)))
