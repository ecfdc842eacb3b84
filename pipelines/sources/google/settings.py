"""Google Workspace and GA4: API constants, scopes, page sizes, lookbacks, and the `TableSpec` of every
table.

Timestamps become UTC timestamps, GA4's `YYYYMMDD` a date and its metrics integers; nested objects
(attendees, owners, labels) are JSON columns with the paths the marts need flattened beside them
(an event's start and organizer, a file's owner, a message's headers). Gmail keeps metadata only:
the snippet and the payload are never stored, only the headers named in `GMAIL_HEADERS`.
"""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import pyarrow as pa

from pipelines.sources.common.arrow import JSON, TIMESTAMP, Column, TableSpec

_AUTH = "https://www.googleapis.com/auth/"
# read-only scopes; Gmail's `gmail.metadata` makes Google refuse bodies and `q` to this pipeline
SCOPES = (_AUTH + "calendar.readonly", _AUTH + "drive.metadata.readonly", _AUTH + "spreadsheets.readonly",
          _AUTH + "analytics.readonly")
GMAIL_SCOPES = (_AUTH + "gmail.metadata",)
# (discovery name, version, path under GOOGLE_API_ENDPOINT): `api_endpoint` replaces the discovery
# document's rootUrl and servicePath, and only Calendar's and Drive's method paths lack their version
APIS = {
    "calendar": ("calendar", "v3", "calendar/v3/"),
    "drive": ("drive", "v3", "drive/v3/"),
    "sheets": ("sheets", "v4", ""),
    "gmail": ("gmail", "v1", ""),
    "ga4": ("analyticsdata", "v1beta", ""),
}
CREDENTIALS_VAR = "GOOGLE_APPLICATION_CREDENTIALS"
# what to check when an API refuses us (401/403) or does not know what we asked for (404)
CHECKS = {
    "calendar": f"{CREDENTIALS_VAR} and GOOGLE_CALENDAR_IDS",
    "drive": CREDENTIALS_VAR,
    "sheets": f"{CREDENTIALS_VAR} and MARKETING_SPEND_SHEET_ID",
    "gmail": f"{CREDENTIALS_VAR} (domain-wide delegation) and GOOGLE_CALENDAR_IDS (the mailboxes)",
    "ga4": f"{CREDENTIALS_VAR} and GA4_PROPERTY_ID",
}
HTTP_TIMEOUT = 60  # seconds per request

CALENDAR_PAGE_SIZE = 2500  # events.list maximum
DRIVE_PAGE_SIZE = 1000  # files.list / changes.list maximum
DRIVE_FILE_FIELDS = "*"  # of a file, every field: a field Drive adds later becomes a column (schema drift)
GMAIL_PAGE_SIZE = 500  # messages.list / history.list maximum
GMAIL_HEADERS = ("From", "To", "Cc", "Subject", "Date")
GMAIL_WORKERS = 8  # messages.get in parallel (Gmail has no metadata listing)
SPEND_RANGE = "Spend!A1:G"
GA4_PAGE_SIZE = 100_000  # runReport's limit is 250,000
GA4_FIRST_DATE = "2015-08-14"  # the earliest date GA4 accepts
# A GA4 day keeps growing until 72 h after it ends: re-read the last day loaded and the 3 before it.
GA4_LOOKBACK_DAYS = 3
GA4_DIMENSIONS = ("date", "sessionSource", "sessionMedium", "sessionCampaignName")
GA4_METRICS = ("sessions", "totalUsers", "newUsers", "conversions")

S, I, B = pa.string(), pa.int64(), pa.bool_()


def _when(value: Any) -> Any:
    """An event time (`{"dateTime": …}`, or `{"date": …}` for all-day events) as its instant."""
    return (value.get("dateTime") or value.get("date")) if isinstance(value, dict) else None


def _email(value: Any) -> Any:
    return value.get("email") or value.get("emailAddress") if isinstance(value, dict) else None


def _first_email(values: Any) -> Any:
    return _email(values[0]) if isinstance(values, list) and values else None


def _int(value: Any) -> Any:
    """Google's int64 fields come as strings."""
    return int(value) if isinstance(value, str) and value.lstrip("-").isdigit() else value


def _epoch_ms(value: Any) -> Any:
    return datetime.fromtimestamp(int(value) / 1000, UTC) if isinstance(value, str) and value.isdigit() else value


def _header(name: str):
    wanted = name.lower()

    def pick(headers: Any) -> Any:
        return next((h.get("value") for h in headers or () if h.get("name", "").lower() == wanted), None)
    return pick


def _yyyymmdd(value: Any) -> Any:
    return datetime.strptime(value, "%Y%m%d").date() if isinstance(value, str) and len(value) == 8 else value


_SERIAL_EPOCH = date(1899, 12, 30)  # day 0 of spreadsheet date serials


def parse_month(value: Any) -> str | None:
    """A sheet's month cell as `YYYY-MM`: a date serial, `2025-03`, `2025-03-01`, `2025/3` or `Mar 2025`."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (_SERIAL_EPOCH + timedelta(days=int(value))).strftime("%Y-%m")
    text = str(value or "").strip()
    m = re.fullmatch(r"(\d{4})[-/.](\d{1,2})(?:[-/.]\d{1,2})?", text)
    if m and 1 <= int(m[2]) <= 12:
        return f"{m[1]}-{int(m[2]):02d}"
    for fmt in ("%b %Y", "%B %Y", "%m/%Y"):
        try:
            return datetime.strptime(text, fmt).strftime("%Y-%m")
        except ValueError:
            continue
    return None


def parse_money(value: Any) -> Decimal | None:
    """A currency cell as a 2-decimal amount: a number, `$12,345.67`, `12345.6 USD`, `(1,200.00)`, `-$5`."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(str(value)).quantize(Decimal("0.01"))
    text = str(value or "").strip()
    negative = text.startswith("(") and text.endswith(")") or "-" in text
    digits = re.sub(r"[^0-9.]", "", text)
    if not digits:
        return None
    try:
        amount = Decimal(digits).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None
    return -amount if negative else amount


CALENDAR_EVENTS = TableSpec("calendar_events", ("calendar_id", "id"), (
    Column("calendar_id", S),
    Column("id", S),
    Column("status", S),
    Column("_deleted", B, ("status",), lambda s: s == "cancelled"),
    Column("summary", S),
    Column("start", JSON),
    Column("start_at", TIMESTAMP, ("start",), _when),
    Column("end", JSON),
    Column("end_at", TIMESTAMP, ("end",), _when),
    Column("organizer", JSON),
    Column("organizer_email", S, ("organizer",), _email),
    Column("creator", JSON),
    Column("attendees", JSON),
    Column("hangout_link", S, ("hangoutLink",)),
    Column("conference_data", JSON, ("conferenceData",)),
    Column("sequence", I),
    Column("created", TIMESTAMP),
    Column("updated", TIMESTAMP),
), ignore=frozenset({"kind", "etag"}))

DRIVE_FILES = TableSpec("drive_files", "id", (
    Column("id", S),
    Column("name", S),
    Column("mime_type", S, ("mimeType",)),
    Column("created_time", TIMESTAMP, ("createdTime",)),
    Column("modified_time", TIMESTAMP, ("modifiedTime",)),
    Column("trashed", B),
    Column("owners", JSON),
    Column("owner_email", S, ("owners",), _first_email),
    Column("last_modifying_user", JSON, ("lastModifyingUser",)),
    Column("version", I, convert=_int),
    Column("size", I, convert=_int),
    Column("web_view_link", S, ("webViewLink",)),
    Column("shared", B),
    Column("starred", B),
    Column("parents", JSON),
    Column("permission_ids", JSON, ("permissionIds",)),
    Column("capabilities", JSON),
), ignore=frozenset({"kind", "iconLink", "thumbnailLink", "hasThumbnail", "thumbnailVersion"}))

MARKETING_SPEND = TableSpec("marketing_spend", ("month", "campaign"), (
    Column("month", S),
    Column("campaign", S),
    Column("channel", S),
    Column("source", S),
    Column("medium", S),
    Column("spend_usd", pa.decimal128(14, 2)),
    Column("notes", S),
    Column("sheet_row", I),
), keep_unknown=False)

GMAIL_MESSAGES = TableSpec("gmail_messages", ("mailbox", "id"), (
    Column("mailbox", S),
    Column("id", S),
    Column("thread_id", S, ("threadId",)),
    Column("label_ids", JSON, ("labelIds",)),
    Column("internal_date", TIMESTAMP, ("internalDate",), _epoch_ms),
    Column("history_id", I, ("historyId",), _int),
    Column("size_estimate", I, ("sizeEstimate",)),
    Column("from_header", S, ("payload", "headers"), _header("From")),
    Column("to_header", S, ("payload", "headers"), _header("To")),
    Column("cc_header", S, ("payload", "headers"), _header("Cc")),
    Column("subject", S, ("payload", "headers"), _header("Subject")),
    Column("date_header", S, ("payload", "headers"), _header("Date")),
), ignore=frozenset({"snippet"}))  # never bodies or snippets (`payload` is read for its headers only)

GA4_DAILY = TableSpec("ga4_daily", ("date", "source", "medium", "campaign"), (
    Column("date", pa.date32(), convert=_yyyymmdd),
    Column("source", S),
    Column("medium", S),
    Column("campaign", S),
    Column("sessions", I, convert=_int),
    Column("total_users", I, convert=_int),
    Column("new_users", I, convert=_int),
    Column("conversions", I, convert=_int),
), keep_unknown=False)

DESCRIPTIONS = {
    "calendar_events": "Events of the shared Google calendars (GOOGLE_CALENDAR_IDS); cancelled ones soft-deleted.",
    "drive_files": "Google Drive files shared with the service account (metadata only); deleted ones soft-deleted.",
    "marketing_spend": "The marketing-spend Google Sheet: spend per month and campaign, as marketing ops keeps it.",
    "gmail_messages": "Message metadata (headers, labels, thread) of the shared Gmail mailboxes; never bodies.",
    "ga4_daily": "GA4 sessions, users, new users and conversions per day and session source/medium/campaign.",
}
