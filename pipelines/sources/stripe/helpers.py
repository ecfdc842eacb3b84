"""The official `stripe` client wrapped for the sync: list pages, retrieves and events, every call
through `with_retries`, with the vendor's clock taken from each response's `Date` header; and the
two reads of what an earlier sync loaded that finding vanished objects needs.

Calls go through the client's raw requests, answered as plain dicts: building the typed
`StripeObject`s costs 7× more per object and the sync only needs the wire data. Successful bodies are
parsed with orjson: the client parses with the standard library into `OrderedDict`s (12.8 ms for a
460 KB page of invoices, against 1.6 ms), which was a quarter of a backfill (docs/benchmark.md).
"""
from __future__ import annotations

from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Iterator, Mapping

import dlt
import orjson
import pyarrow as pa
import stripe
from dlt.destinations.exceptions import DatabaseUndefinedRelation

from pipelines.sources.common.errors import SourceError
from pipelines.sources.common.retry import Outcome, retry_after_seconds, with_retries
from pipelines.sources.stripe.settings import MAX_LIST_RESTARTS, PAGE_SIZE

SOURCE = "stripe"
CREDENTIAL_VARS = "STRIPE_API_KEY (and STRIPE_API_BASE)"


class Missing(SourceError):
    """Stripe answered `resource_missing`: the object (or the listing's cursor object) does not exist."""

    def __init__(self, message: str, param: str | None):
        super().__init__(SOURCE, message)
        self.param = param


@dataclass(frozen=True)
class Page:
    data: list[dict]
    has_more: bool
    now: int  # the vendor's clock (epoch seconds) when it answered


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    return next((v for k, v in (headers or {}).items() if k.lower() == name.lower()), None)


def vendor_now(headers: Mapping[str, str]) -> int:
    """Stripe's clock from the `Date` header (never the local clock)."""
    return int(parsedate_to_datetime(_header(headers, "Date")).timestamp())


def classify(e: BaseException) -> Outcome | None:
    """How `with_retries` treats a `stripe` exception; None (not the vendor's failure) re-raises it."""
    if not isinstance(e, stripe.StripeError):
        return None
    message = e.user_message or type(e).__name__
    if isinstance(e, stripe.APIConnectionError):  # resets, timeouts, truncated bodies
        return Outcome(True, None, None, message)
    status = e.http_status
    if isinstance(e, stripe.InvalidRequestError) and e.code == "resource_missing":
        return None  # the caller decides: a vanished cursor restarts a listing, a retrieve skips the object
    should_retry = _header(e.headers, "Stripe-Should-Retry")
    if should_retry in ("true", "false"):
        retry = should_retry == "true"
    else:
        retry = isinstance(e, (stripe.RateLimitError, stripe.APIError)) or status in (409, 429) or (status or 0) >= 500
    return Outcome(retry, status, retry_after_seconds(e.headers), message)


class StripeApi:
    """Stripe's REST API through the official client; its own retries are off (ours honour `Retry-After`)."""

    def __init__(self, api_key: str, api_base: str):
        self._client = stripe.StripeClient(api_key, base_addresses={"api": api_base.rstrip("/")},
                                           max_network_retries=0)
        self._secrets = (api_key,)
        # Stripe's clock at this sync's first answer: every row the sync loads carries it (`_synced_at`)
        self.synced_at: int | None = None

    def _raw_get(self, path: str, params: Mapping[str, Any]) -> tuple[dict, Mapping[str, str]]:
        """`StripeClient.raw_request("get", …)` with the body parsed by orjson; an error answer, or a
        body that does not parse, goes through the client's own reading, which raises its typed error."""
        requestor = self._client._requestor
        body, code, headers = requestor.request_raw("get", path, params=params, options={}, base_address="api",
                                                    api_mode="V1", usage=["raw_request"])
        if 200 <= code < 300:
            try:
                return orjson.loads(body), headers
            except orjson.JSONDecodeError:
                pass
        response = requestor._interpret_response(body, code, headers, "V1")
        return response.data, response.headers

    def get(self, path: str, params: Mapping[str, Any]) -> Page:
        """One GET; a `resource_missing` answer raises `Missing`."""
        try:
            body, headers = with_retries(SOURCE, lambda: self._raw_get(path, params), classify,
                                         credential_vars=CREDENTIAL_VARS, what=f"GET {path}", secrets=self._secrets)
        except stripe.InvalidRequestError as e:  # only `resource_missing` is left unclassified
            raise Missing(f"GET {path}: {e.user_message}", e.param) from None
        data = body["data"] if body.get("object") == "list" else [body]
        now = vendor_now(headers)
        if self.synced_at is None:
            self.synced_at = now
        return Page(data, bool(body.get("has_more")), now)

    def retrieve(self, path: str, object_id: str, expand: tuple[str, ...] = ()) -> dict | None:
        """The object as it is now, or None when Stripe no longer has it."""
        try:
            return self.get(f"{path}/{object_id}", {"expand": list(expand)} if expand else {}).data[0]
        except Missing:
            return None

    def pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[Page]:
        """Every page of a list (newest first), `limit=100` and `starting_after` paging; the first page
        always comes, even when empty. When the cursor object vanishes mid-listing (400
        `resource_missing`), the listing restarts at the cursor's `created` second (`created[lte]`),
        skipping the objects of that second it already gave (objects without `created`: from the
        start, skipping everything already given)."""
        params = {**(params or {}), "limit": PAGE_SIZE}
        after: str | None = None
        boundary: Any = None  # `created` of the last object given, and the ids given with that value
        given: set[str] = set()
        restarts = 0
        while True:
            try:
                page = self.get(path, {**params, "starting_after": after} if after else params)
            except Missing as e:
                if after is None or e.param != "starting_after" or restarts == MAX_LIST_RESTARTS:
                    raise
                restarts += 1
                created = {k: v for k, v in (params.get("created") or {}).items() if k not in ("lte", "lt")}
                if boundary is not None:
                    created["lte"] = boundary
                params = {k: v for k, v in params.items() if k != "created"} | ({"created": created} if created else {})
                after = None
                continue
            fresh = [o for o in page.data if not (o.get("created") == boundary and o["id"] in given)]
            for o in fresh:
                if o.get("created") != boundary:
                    boundary, given = o.get("created"), set()
                given.add(o["id"])
            yield Page(fresh, page.has_more, page.now)
            if not page.has_more or not page.data:
                return
            after = page.data[-1]["id"]

    def events(self, types: tuple[str, ...], since: int | None = None) -> Iterator[Page]:
        """Pages of events of `types` created at or after `since` (all that Stripe keeps when None)."""
        params: dict[str, Any] = {"types": list(types)}
        if since is not None:
            params["created"] = {"gte": since}
        return self.pages("/v1/events", params)


def loaded_live_ids(table: str) -> set[str]:
    """Ids the warehouse holds as live (not soft-deleted) in `table` of the running pipeline."""
    try:
        with dlt.current.pipeline().sql_client() as client:
            rows = client.execute_sql(f"select id from {client.make_qualified_table_name(table)} "
                                      "where not coalesce(_deleted, false)")
    except DatabaseUndefinedRelation:  # before the table's first load
        return set()
    return {r[0] for r in rows}


def loaded_rows(table: str, ids: set[str]) -> pa.Table | None:
    """The warehouse's copy of these rows of `table`, as loaded (None before the table's first load)."""
    try:
        with dlt.current.pipeline().sql_client() as client:
            sql = f"select * from {client.make_qualified_table_name(table)} where id in (select unnest(%s))"
            with client.execute_query(sql, sorted(ids)) as cursor:
                return cursor.arrow()
    except DatabaseUndefinedRelation:
        return None
