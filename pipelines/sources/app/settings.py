"""The PenguinMails app tables we load, their keys, and how late a change may commit."""

# table -> primary key (as in the app schema)
TABLES = {
    "tenants": ("id",),
    "users": ("id",),
    "logins": ("id",),
    "mailboxes": ("id",),
    "campaigns": ("id",),
    "daily_usage": ("tenant_id", "date"),
    "campaign_events": ("id",),
}
CURSOR_COLUMN = "updated_at"
# A transaction that started before our read may commit rows with an older `updated_at`;
# re-reading this much of the past costs little because every table is merged on its key.
LAG_SECONDS = 300
CHUNK_SIZE = 50_000
