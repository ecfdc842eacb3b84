"""Stripe billing: customers, subscriptions and their items, invoices and their lines, charges,
refunds, credit notes, balance transactions and the catalog (products, prices, coupons).

Every table is merged on `id`, so reading an object again replaces its row. Where dlt's verified
Stripe source appends events and replaces mutable objects, this one keeps each table equal to
Stripe with the events as a change feed:

- **Backfill** (no cursor yet, or a cursor older than the 30 days `/v1/events` keeps, judged by
  Stripe's own clock from the `Date` header): the list endpoint (`status=all` for subscriptions,
  `expand[]` for the discounts' coupons and the invoices' payments). The cursor becomes Stripe's
  clock at the first page, so whatever changes while the listing runs comes again as events.
- **Incremental**: `/v1/events` of the object's types created at or after the cursor (the boundary
  second is read again; merges make that free). Events come newest first, so the first one naming
  an object holds its latest version. Objects whose events lack an includable field (a discounted
  subscription's coupon, an invoice's payment intent) are read again with `expand[]`: those created
  since the cursor by one listing, older ones by id.
- **Children** (`subscription_items`, `invoice_lines`) come from the parent's embedded list (and
  `/v1/invoices/{id}/lines` past the first 10 lines) and replace the parent's earlier children
  (`merge_key`), so removed items disappear.
- **Deletions** (`customer.deleted`, `invoice.deleted`, `product.deleted`…) keep the row, with the
  object's last fields and `_deleted = true`. A full listing of customers, products, prices or
  coupons also soft-deletes what the warehouse holds as live but Stripe no longer lists (deleted
  while no sync ran: the warehouse's last copy), and customers that subscriptions name but Stripe
  no longer lists (deleted before any sync: `{id, _deleted}` when nothing else is known).
- **Balance transactions** have no events: they are listed from the older of the cursor and the
  oldest transaction still `pending` (its status flips when the funds become available).
- **Coupons** (a handful) are listed whole on every run: `times_redeemed` changes without an event.

Every row carries `_synced_at`: Stripe's clock (its `Date` header) at the sync's first answer, so
the warehouse knows "now" in Stripe's time (finance measures the current month's MRR at it).

Cursors live in dlt's resource state, stored in the warehouse with the data of the same load.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Generator, Iterable, Iterator

import dlt
import pyarrow as pa
import pyarrow.compute as pc
from dlt.extract.resource import DltResource

from pipelines.sources.common.arrow import TIMESTAMP, TableSpec, to_arrow
from pipelines.sources.common.progress import SyncProgress
from pipelines.sources.stripe.helpers import StripeApi, loaded_live_ids, loaded_rows
from pipelines.sources.stripe.settings import (
    API_BASE,
    BALANCE_TRANSACTIONS,
    DESCRIPTIONS,
    EVENT_RETENTION,
    INVOICE_LINES,
    LISTINGS,
    PAGE_SIZE,
    RETENTION_MARGIN,
    SUBSCRIPTION_ITEMS,
    Listing,
)

MERGE = {"disposition": "merge", "strategy": "delete-insert"}


@dataclass(frozen=True)
class Batch:
    """Objects of one page, or the warehouse's last copy of rows (Arrow), and whether they are deleted."""

    rows: list[dict] | pa.Table
    deleted: bool = False


@dlt.source(name="stripe", max_table_nesting=0)
def stripe_source(api_key: str = dlt.secrets.value, api_base: str = API_BASE, progress: SyncProgress | None = None):
    """Stripe's billing objects, one resource per table, each merged on `id` (see the module's doc
    for how each stays equal to Stripe). `api_base` is the API root (`https://api.stripe.com`)."""
    api = StripeApi(api_key, api_base)
    out = _Output(progress, api)

    def followed(name: str) -> DltResource:
        listing = LISTINGS[name]
        return out.resource(listing.spec, lambda: _followed(api, listing, dlt.current.resource_state()))

    subscriptions = _parent(api, "subscriptions", ("subscriptions", "subscription_items"))
    invoices = _parent(api, "invoices", ("invoices", "invoice_lines"))
    return [
        followed("customers"),
        subscriptions | out.transformer(LISTINGS["subscriptions"].spec, _rows),
        subscriptions | out.transformer(SUBSCRIPTION_ITEMS, _items, merge_key="subscription"),
        invoices | out.transformer(LISTINGS["invoices"].spec, _rows),
        invoices | out.transformer(INVOICE_LINES, lambda batch: _lines(api, batch), merge_key="invoice"),
        followed("charges"),
        followed("refunds"),
        followed("credit_notes"),
        out.resource(BALANCE_TRANSACTIONS, lambda: _balance_transactions(api, dlt.current.resource_state())),
        followed("products"),
        followed("prices"),
        followed("coupons"),
    ]


class _Output:
    """Batches → Arrow pages with `_deleted` and `_synced_at`, progress reported per page, merge hints per table."""

    def __init__(self, progress: SyncProgress | None, api: StripeApi):
        self.progress, self.api = progress, api

    def pages(self, spec: TableSpec, batches: Iterable[Batch], rows: Callable[[Batch], list[dict]]) -> Iterator[pa.Table]:
        for batch in batches:
            # every batch follows at least one answer of Stripe, so the sync's clock is known by now
            synced_at = datetime.fromtimestamp(self.api.synced_at or 0, tz=timezone.utc)
            if isinstance(batch.rows, pa.Table):
                table = _with_synced_at(batch.rows, synced_at)
            else:
                table = to_arrow(rows(batch), spec, extra={"_deleted": batch.deleted, "_synced_at": synced_at})
            if table.num_rows:
                if self.progress is not None:
                    self.progress.page(spec.name, table.num_rows)
                yield table

    def resource(self, spec: TableSpec, batches: Callable[[], Iterator[Batch]]) -> DltResource:
        def pages() -> Iterator[pa.Table]:
            yield from self.pages(spec, batches(), _rows)
        res = dlt.resource(pages, name=spec.name, **_hints(spec))
        res.__doc__ = DESCRIPTIONS[spec.name]
        return res

    def transformer(self, spec: TableSpec, rows: Callable[[Batch], list[dict]], merge_key: str | None = None) -> DltResource:
        def pages(batch: Batch) -> Iterator[pa.Table]:
            yield from self.pages(spec, (batch,), rows)
        res = dlt.transformer(pages, name=spec.name, **_hints(spec), **({"merge_key": merge_key} if merge_key else {}))
        res.__doc__ = DESCRIPTIONS[spec.name]
        return res


def _with_synced_at(table: pa.Table, synced_at: datetime) -> pa.Table:
    """The warehouse's last copy of rows, re-loaded by this sync: `_synced_at` becomes this sync's clock."""
    column = pa.array([synced_at] * table.num_rows, type=TIMESTAMP)
    if "_synced_at" in table.column_names:
        return table.set_column(table.schema.get_field_index("_synced_at"), "_synced_at", column)
    return table.append_column("_synced_at", column)


def _hints(spec: TableSpec) -> dict:
    return {"write_disposition": MERGE, "primary_key": spec.primary_key, "columns": spec.dlt_columns()}


def _rows(batch: Batch) -> list[dict]:
    return batch.rows


def _parent(api: StripeApi, name: str, consumers: tuple[str, ...]) -> DltResource:
    """The objects of a parent table, not loaded themselves: its table and its children's are
    transformers of them. A run that loads only some of them must not move the shared cursor."""
    def objects() -> Iterator[Batch]:
        state = dlt.current.resource_state()
        if not set(consumers) <= set(dlt.current.source().selected_resources):
            state = dict(state)
        yield from _followed(api, LISTINGS[name], state)
    return dlt.resource(objects, name=f"{name}_objects", selected=False)


def _items(batch: Batch) -> list[dict]:
    return [dict(item, subscription=sub["id"]) for sub in batch.rows for item in sub["items"]["data"]]


def _lines(api: StripeApi, batch: Batch) -> list[dict]:
    """Each invoice's lines: the embedded ones, or all of `/v1/invoices/{id}/lines` past the first 10."""
    out = []
    for inv in batch.rows:
        lines = inv.get("lines") or {}
        data = lines.get("data") or []
        if lines.get("has_more"):
            data = [line for page in api.pages(f"/v1/invoices/{inv['id']}/lines") for line in page.data]
        out += [dict(line, invoice=inv["id"]) for line in data]
    return out


# --- what changed ----------------------------------------------------------------------------------

def _followed(api: StripeApi, listing: Listing, state: dict) -> Iterator[Batch]:
    """The changes since the cursor in `state`, or the whole list when there is none (or Stripe no
    longer keeps the events since it); leaves the new cursor in `state`."""
    cursor = state.get("cursor")
    started = None
    if cursor is not None and listing.events:
        started = yield from _changes(api, listing, cursor)
    if started is None:
        started = yield from _backfill(api, listing)
    if listing.events:
        state["cursor"] = started


def _changes(api: StripeApi, listing: Listing, since: int) -> Generator[Batch, None, int | None]:
    """The latest version of each object an event names since `since`; None (and nothing yielded)
    when `since` is too old for the events Stripe keeps."""
    started, seen, stale = None, set(), []
    for page in api.events(listing.events, since):
        if started is None:
            if page.now - since > EVENT_RETENTION - RETENTION_MARGIN:
                return None
            started = page.now
        live, gone = [], []
        for event in page.data:
            obj = event["data"]["object"]
            if obj["id"] in seen:
                continue
            seen.add(obj["id"])
            if event["type"] in listing.deleted:
                gone.append(obj)
            elif listing.stale is not None and listing.stale(obj):
                stale.append(obj["id"])
            else:
                live.append(obj)
        yield Batch(live)
        yield Batch(gone, deleted=True)
    if stale:
        yield from _current(api, listing, stale, since)
    return started


def _current(api: StripeApi, listing: Listing, ids: list[str], since: int) -> Iterator[Batch]:
    """These objects as they are now, with `expand[]`: those created since `since` from one listing,
    the older ones by id."""
    wanted = set(ids)
    for page in api.pages(listing.path, {**listing.params, "created": {"gte": since}}):
        found = [o for o in page.data if o["id"] in wanted]
        wanted.difference_update(o["id"] for o in found)
        yield Batch(found)
    older = sorted(wanted)
    for i in range(0, len(older), PAGE_SIZE):
        objects = (api.retrieve(listing.path, object_id, listing.expand) for object_id in older[i:i + PAGE_SIZE])
        yield Batch([o for o in objects if o is not None])  # gone since: its deletion event comes next run


def _backfill(api: StripeApi, listing: Listing) -> Generator[Batch, None, int]:
    """Every object Stripe lists, then the deleted ones it still knows of; returns Stripe's clock at
    the first page."""
    started, listed = None, set()
    for page in api.pages(listing.path, listing.params):
        started = page.now if started is None else started
        listed.update(o["id"] for o in page.data)
        yield Batch(page.data)
    gone: dict[str, dict] = {}
    if listing.deleted:
        for page in api.events(listing.deleted):
            for event in page.data:
                obj = event["data"]["object"]
                if obj["id"] not in listed:
                    gone.setdefault(obj["id"], obj)
        yield Batch(list(gone.values()), deleted=True)
    if listing.reconcile:
        yield from _unlisted(api, listing, listed | gone.keys(), started)
    return started


def _unlisted(api: StripeApi, listing: Listing, known: set[str], started: int) -> Iterator[Batch]:
    """Soft-deletes what the warehouse holds as live, or other objects name, but Stripe did not list:
    as the warehouse's last copy, else as the id alone."""
    missing = loaded_live_ids(listing.spec.name)
    if listing.referenced_by is not None:
        path, params, field = listing.referenced_by
        # objects made after the listing started may name objects it could not see yet
        for page in api.pages(path, {**params, "created": {"lte": started}}):
            missing.update(o[field] for o in page.data if isinstance(o.get(field), str))
    missing -= known
    if not missing:
        return
    last = loaded_rows(listing.spec.name, missing)
    if last is not None and last.num_rows:
        yield Batch(last.set_column(last.schema.get_field_index("_deleted"), "_deleted",
                                    pa.array([True] * last.num_rows)), deleted=True)
        missing -= set(pc.unique(last["id"]).to_pylist())
    yield Batch([{"id": object_id} for object_id in sorted(missing)], deleted=True)


def _balance_transactions(api: StripeApi, state: dict) -> Iterator[Batch]:
    """Transactions created since the cursor or since the oldest one still pending, whichever is older."""
    since = min((t for t in (state.get("cursor"), state.get("pending_from")) if t is not None), default=None)
    started = pending = None
    for page in api.pages("/v1/balance_transactions", {"created": {"gte": since}} if since is not None else {}):
        started = page.now if started is None else started
        times = [o["created"] for o in page.data if o.get("status") == "pending"]
        pending = min(times if pending is None else [*times, pending], default=None)
        yield Batch(page.data)
    state.update(cursor=started, pending_from=pending)
