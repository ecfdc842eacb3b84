"""The app database's tables as the PenguinMails app's migrations left them (SQLAlchemy core).

Every table has `created_at`/`updated_at` (UTC) and an index on `updated_at`, the cursor of the
pipeline's incremental loads; mutable tables have `deleted_at` (soft deletes; rows are never hard
deleted). No foreign keys: the app enforces its relations in code, as many Rails-style apps do.
"""
from __future__ import annotations

import pyarrow as pa
import sqlalchemy as sa

metadata = sa.MetaData()
TIMESTAMP = sa.DateTime(timezone=True)


def _id() -> sa.Column:
    return sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False)


def _stamps(soft_delete: bool) -> list[sa.Column]:
    cols = [sa.Column("created_at", TIMESTAMP, nullable=False), sa.Column("updated_at", TIMESTAMP, nullable=False)]
    return cols + [sa.Column("deleted_at", TIMESTAMP)] if soft_delete else cols


tenants = sa.Table(
    "tenants", metadata, _id(),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("domain", sa.Text, nullable=False),
    sa.Column("plan", sa.Text, nullable=False),  # starter | growth | scale | free
    sa.Column("status", sa.Text, nullable=False),  # trial | active | past_due | canceled | free
    sa.Column("seats", sa.Integer, nullable=False),
    sa.Column("country", sa.Text, nullable=False),
    sa.Column("time_zone", sa.Text, nullable=False),
    sa.Column("stripe_customer_id", sa.Text),
    sa.Column("trial_ends_at", TIMESTAMP),
    sa.Column("cancel_at", TIMESTAMP),  # a cancellation scheduled for the period end
    sa.Column("canceled_at", TIMESTAMP),
    *_stamps(soft_delete=True),
)
users = sa.Table(
    "users", metadata, _id(),
    sa.Column("tenant_id", sa.BigInteger, nullable=False),
    sa.Column("email", sa.Text, nullable=False),
    sa.Column("full_name", sa.Text),  # NULL once a GDPR deletion scrubbed it
    sa.Column("role", sa.Text, nullable=False),  # owner | admin | member
    sa.Column("last_login_at", TIMESTAMP),
    *_stamps(soft_delete=True),
)
logins = sa.Table(
    "logins", metadata, _id(),
    sa.Column("user_id", sa.BigInteger, nullable=False),
    sa.Column("tenant_id", sa.BigInteger, nullable=False),
    sa.Column("logged_in_at", TIMESTAMP, nullable=False),
    sa.Column("user_agent_family", sa.Text, nullable=False),
    *_stamps(soft_delete=False),
)
mailboxes = sa.Table(
    "mailboxes", metadata, _id(),
    sa.Column("tenant_id", sa.BigInteger, nullable=False),
    sa.Column("address", sa.Text, nullable=False),
    sa.Column("provider", sa.Text, nullable=False),  # google | microsoft | smtp
    sa.Column("warmup_status", sa.Text, nullable=False),  # warming | ready | paused
    sa.Column("daily_limit", sa.Integer, nullable=False),
    *_stamps(soft_delete=True),
)
campaigns = sa.Table(
    "campaigns", metadata, _id(),
    sa.Column("tenant_id", sa.BigInteger, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),  # draft | active | paused | completed
    sa.Column("utm_campaign", sa.Text),  # PenguinMails' own campaigns (tenant 1) only
    sa.Column("started_at", TIMESTAMP),
    sa.Column("completed_at", TIMESTAMP),
    *_stamps(soft_delete=True),
)
daily_usage = sa.Table(
    "daily_usage", metadata,
    sa.Column("tenant_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("date", sa.Date, primary_key=True),
    *(sa.Column(c, sa.Integer, nullable=False) for c in (
        "emails_sent", "delivered", "opened", "clicked", "replied", "bounced", "complained", "unsubscribed",
        "active_users")),
    *_stamps(soft_delete=False),
)
campaign_events = sa.Table(
    "campaign_events", metadata, _id(),
    sa.Column("campaign_id", sa.BigInteger, nullable=False),
    sa.Column("recipient_email", sa.Text, nullable=False),
    sa.Column("event_type", sa.Text, nullable=False),  # sent | opened | clicked | replied
    sa.Column("step", sa.Integer, nullable=False),  # the sequence step the event belongs to
    sa.Column("occurred_at", TIMESTAMP, nullable=False),
    *_stamps(soft_delete=False),
)
# in load order: a reader that syncs table by table never sees a child before its parent
TABLES = (tenants, users, mailboxes, campaigns, logins, daily_usage, campaign_events)
for _t in TABLES:
    sa.Index(f"ix_{_t.name}_updated_at", _t.c.updated_at)

# schema drift: the column a later app migration adds to `tenants` (filled for rows changed after it)
DRIFT_COLUMN = sa.Column("billing_region", sa.Text)


def arrow_type(column: sa.Column) -> pa.DataType:
    """How the sandbox holds a column's values in memory: epoch seconds and epoch days for time types."""
    if isinstance(column.type, sa.DateTime):
        return pa.timestamp("s", tz="UTC")
    if isinstance(column.type, sa.Date):
        return pa.date32()
    if isinstance(column.type, sa.Integer):
        return pa.int64()
    return pa.string()
