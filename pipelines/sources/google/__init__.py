"""Google Workspace and GA4: the shared calendars' events, Drive files, the marketing-spend sheet,
the shared mailboxes' message metadata and GA4 traffic per day and source.

Every table is merged on its key, so reading a record again replaces its row. Each follows the
API's own change feed, with its cursor in dlt's resource state (stored in the warehouse with the
data of the same load):

- **calendar_events**: per calendar, a full `events.list` (`showDeleted`) first, then the changes
  since its `nextSyncToken`. Cancelled events are soft-deleted. A 410 (`fullSyncRequired`) drops
  the token for a full listing again.
- **drive_files**: `changes.getStartPageToken`, then every file (`files.list`), then
  `changes.list` from the token. Files removed for good keep their last copy, soft-deleted;
  trashed ones are live rows with `trashed = true`.
- **marketing_spend**: the sheet's range read whole every run (a few hundred cells), merged on
  (month, campaign); rows gone from the sheet are soft-deleted.
- **gmail_messages**: per mailbox, metadata only (`format=metadata`, headers From/To/Cc/Subject/
  Date; never bodies or snippets): the mailbox's `historyId`, then every message; later,
  `history.list` since the stored id (added, relabelled, deleted messages). A 404 (the id is
  older than Gmail keeps) means a full listing again.
- **ga4_daily**: `runReport` by date × session source/medium/campaign from the last day loaded
  minus 3 days (late data settles within 72 h of a day's end) to GA4's today.

A full listing (the first sync, or an expired cursor) also soft-deletes what the warehouse holds
as live but the listing no longer shows, with its last copy.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import dlt
import pyarrow as pa
from dlt.extract.resource import DltResource

from pipelines.sources.common.arrow import TableSpec, to_arrow
from pipelines.sources.common.progress import SyncProgress
from pipelines.sources.google.helpers import (
    Calendar,
    Drive,
    GoogleApis,
    Mailbox,
    NotFound,
    ga4_pages,
    last_copies,
    live_keys,
    sheet_values,
)
from pipelines.sources.google.settings import (
    CALENDAR_EVENTS,
    DESCRIPTIONS,
    DRIVE_FILES,
    GA4_DAILY,
    GA4_FIRST_DATE,
    GA4_LOOKBACK_DAYS,
    GMAIL_MESSAGES,
    GMAIL_PAGE_SIZE,
    GMAIL_WORKERS,
    MARKETING_SPEND,
    parse_money,
    parse_month,
)

MERGE = {"disposition": "merge", "strategy": "delete-insert"}
Pages = Iterator[pa.Table]


@dlt.source(name="google", max_table_nesting=0)
def google_source(credentials_file: str = dlt.secrets.value, ga4_property_id: str = dlt.config.value,
                  spend_sheet_id: str = dlt.config.value, calendar_ids: str = dlt.config.value,
                  api_endpoint: str = "", progress: SyncProgress | None = None):
    """Google Workspace and GA4 tables, each merged on its key (see the module's doc for the feeds).

    `credentials_file` is a service-account key file (domain-wide delegation for Gmail),
    `calendar_ids` the comma-separated shared calendars (the same addresses are the mailboxes),
    `api_endpoint` one root for every API ("" = Google's own roots)."""
    apis = GoogleApis(credentials_file, api_endpoint)
    addresses = [a.strip() for a in calendar_ids.split(",") if a.strip()]
    out = _Output(progress)
    return [
        out.resource(CALENDAR_EVENTS, lambda state: _calendar_events(Calendar(apis), addresses, state, out)),
        out.resource(DRIVE_FILES, lambda state: _drive_files(Drive(apis), state, out)),
        out.resource(MARKETING_SPEND, lambda state: _marketing_spend(sheet_values(apis, spend_sheet_id), out)),
        out.resource(GMAIL_MESSAGES, lambda state: _gmail_messages([Mailbox(apis, a) for a in addresses], state, out)),
        out.resource(GA4_DAILY, lambda state: _ga4_daily(apis, ga4_property_id, state, out)),
    ]


class _Output:
    """Pages → Arrow tables, progress reported per page, merge hints per table."""

    def __init__(self, progress: SyncProgress | None):
        self.progress = progress

    def page(self, spec: TableSpec, rows: list[dict] | pa.Table | None, **extra) -> Pages:
        if rows is None or len(rows) == 0:
            return
        table = rows if isinstance(rows, pa.Table) else to_arrow(rows, spec, extra=extra)
        if self.progress is not None:
            self.progress.page(spec.name, table.num_rows)
        yield table

    def vanished(self, spec: TableSpec, keys: Iterable[tuple]) -> Pages:
        """The warehouse's last copy of these rows, soft-deleted."""
        yield from self.page(spec, last_copies(spec.name, spec.primary_key, keys))

    @staticmethod
    def resource(spec: TableSpec, pages: Callable[[dict], Pages]) -> DltResource:
        def table() -> Pages:
            yield from pages(dlt.current.resource_state())
        res = dlt.resource(table, name=spec.name, write_disposition=MERGE, primary_key=spec.primary_key,
                           columns=spec.dlt_columns())
        res.__doc__ = DESCRIPTIONS[spec.name]
        return res


# --- Calendar ----------------------------------------------------------------------------------------

def _calendar_events(calendar: Calendar, addresses: list[str], state: dict, out: _Output) -> Pages:
    tokens = state.setdefault("sync_tokens", {})
    for address in addresses:
        token = tokens.get(address)
        try:
            tokens[address] = yield from _events(calendar, address, token, out)
        except NotFound as e:
            if e.status != 410 or token is None:
                raise
            tokens[address] = yield from _events(calendar, address, None, out)


def _events(calendar: Calendar, address: str, token: str | None, out: _Output):
    """The changes since `token`, or every event (then soft-deletes what is no longer listed); returns
    the next sync token."""
    listed, next_token = set(), None
    for page in calendar.events(address, token):
        items = page.get("items", [])
        listed.update(e["id"] for e in items)
        yield from out.page(CALENDAR_EVENTS, items, calendar_id=address)
        next_token = page.get("nextSyncToken", next_token)
    if token is None:
        yield from out.vanished(CALENDAR_EVENTS, {k for k in live_keys(CALENDAR_EVENTS.name, CALENDAR_EVENTS.primary_key)
                                                  if k[0] == address and k[1] not in listed})
    return next_token


# --- Drive -------------------------------------------------------------------------------------------

def _drive_files(drive: Drive, state: dict, out: _Output) -> Pages:
    token = state.get("page_token")
    if token is None:
        token = drive.start_page_token()  # first: what changes while we list comes again as a change
        listed = set()
        for page in drive.files():
            files = page.get("files", [])
            listed.update(f["id"] for f in files)
            yield from out.page(DRIVE_FILES, files, _deleted=False)
        yield from out.vanished(DRIVE_FILES, live_keys(DRIVE_FILES.name, DRIVE_FILES.primary_key) - {(i,) for i in listed})
    else:
        for page in drive.changes(token):
            changes = page.get("changes", [])
            yield from out.page(DRIVE_FILES, [c["file"] for c in changes if not c.get("removed") and c.get("file")],
                                _deleted=False)
            yield from out.vanished(DRIVE_FILES, {(c["fileId"],) for c in changes if c.get("removed")})
            token = page.get("newStartPageToken", token)
    state["page_token"] = token


# --- Sheets ------------------------------------------------------------------------------------------

SPEND_HEADERS = {"month": "month", "campaign": "campaign", "channel": "channel", "source": "source",
                 "medium": "medium", "spend": "spend_usd", "notes": "notes"}


def spend_rows(values: list[list]) -> list[dict]:
    """The sheet's data rows by header name (`Spend (USD)` is the spend column); blank rows and rows
    without a month or a campaign are skipped."""
    nonblank = [(n, row) for n, row in enumerate(values, 1) if any(str(v).strip() for v in row)]
    if not nonblank:
        return []
    header = [str(h).strip().lower() for h in nonblank[0][1]]
    where = {column: i for i, h in enumerate(header) for prefix, column in SPEND_HEADERS.items() if h.startswith(prefix)}
    out = []
    for n, row in nonblank[1:]:
        cell = {column: row[i] if i < len(row) else None for column, i in where.items()}
        month, campaign = parse_month(cell.get("month")), str(cell.get("campaign") or "").strip()
        if month and campaign:
            out.append({**{c: (str(v).strip() or None) if v is not None else None for c, v in cell.items()},
                        "month": month, "campaign": campaign, "spend_usd": parse_money(cell.get("spend_usd")),
                        "sheet_row": n})
    return out


def _marketing_spend(values: list[list], out: _Output) -> Pages:
    rows = spend_rows(values)
    yield from out.page(MARKETING_SPEND, rows, _deleted=False)
    keys = MARKETING_SPEND.primary_key
    yield from out.vanished(MARKETING_SPEND, live_keys(MARKETING_SPEND.name, keys) - {(r["month"], r["campaign"]) for r in rows})


# --- Gmail -------------------------------------------------------------------------------------------

def _gmail_messages(mailboxes: list[Mailbox], state: dict, out: _Output) -> Pages:
    history_ids = state.setdefault("history_ids", {})
    with ThreadPoolExecutor(GMAIL_WORKERS, thread_name_prefix="gmail") as pool:
        for box in mailboxes:
            start = history_ids.get(box.address)
            if start is not None:
                try:
                    history_ids[box.address] = yield from _gmail_changes(box, start, pool, out)
                    continue
                except NotFound as e:
                    if e.status != 404:
                        raise
            history_ids[box.address] = yield from _gmail_full(box, pool, out)


def _gmail_full(box: Mailbox, pool: ThreadPoolExecutor, out: _Output):
    """Every message, then soft-deletes what is no longer listed; returns the history id to go on from."""
    history_id = box.history_id()  # first: what changes while we list comes again in the history
    listed = set()
    for ids in box.message_ids():
        listed.update(ids)
        yield from out.page(GMAIL_MESSAGES, box.messages(ids, pool), mailbox=box.address, _deleted=False)
    yield from out.vanished(GMAIL_MESSAGES, {k for k in live_keys(GMAIL_MESSAGES.name, GMAIL_MESSAGES.primary_key)
                                             if k[0] == box.address and k[1] not in listed})
    return history_id


def _gmail_changes(box: Mailbox, start: str, pool: ThreadPoolExecutor, out: _Output):
    """Messages added or relabelled since `start` as they are now; deleted ones as their last copy with
    the labels they had last. Returns the mailbox's history id the history ran to."""
    labels: dict[str, list | None] = {}  # message id -> its labels in its latest record
    deleted: set[str] = set()
    latest = start
    for page in box.history(start):
        for record in page.get("history", []):
            for kind in ("messagesAdded", "labelsAdded", "labelsRemoved"):
                for item in record.get(kind, []):
                    labels[item["message"]["id"]] = item["message"].get("labelIds")
            deleted.update(item["message"]["id"] for item in record.get("messagesDeleted", []))
        latest = page.get("historyId", latest)
    changed = [i for i in labels if i not in deleted]
    for at in range(0, len(changed), GMAIL_PAGE_SIZE):
        ids = changed[at:at + GMAIL_PAGE_SIZE]
        messages = box.messages(ids, pool)
        deleted.update(set(ids) - {m["id"] for m in messages})  # deleted since the history was read
        yield from out.page(GMAIL_MESSAGES, messages, mailbox=box.address, _deleted=False)
    copies = last_copies(GMAIL_MESSAGES.name, GMAIL_MESSAGES.primary_key, {(box.address, i) for i in deleted})
    if copies is not None:
        known = [labels.get(i) for i in copies["id"].to_pylist()]
        merged = [json.dumps(new) if new is not None else old for new, old in zip(known, copies["label_ids"].to_pylist())]
        copies = copies.set_column(copies.schema.get_field_index("label_ids"), "label_ids", pa.array(merged, pa.string()))
    yield from out.page(GMAIL_MESSAGES, copies)
    return latest


# --- GA4 ---------------------------------------------------------------------------------------------

def _ga4_daily(apis: GoogleApis, property_id: str, state: dict, out: _Output) -> Pages:
    last = state.get("last_date")
    start = (date.fromisoformat(last) - timedelta(days=GA4_LOOKBACK_DAYS)).isoformat() if last else GA4_FIRST_DATE
    for rows in ga4_pages(apis, property_id, start):
        table = to_arrow(rows, GA4_DAILY)
        yield from out.page(GA4_DAILY, table)
        if table.num_rows:
            newest = max(table["date"].to_pylist()).isoformat()
            last = max(last or newest, newest)
    if last is not None:
        state["last_date"] = last
