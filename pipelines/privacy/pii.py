"""The raw tables that hold personal data, per source: which columns, of whom, and what erasure does
to a row that is about the person. docs/pii.md is this list in prose (a test keeps them in step).

Kinds: `email` an address; `name` a person's name; `phone`; `postal` a postal address; `people` JSON
or header text naming several people (addresses with their names); `text` free text that may mention
a person. `identity` is the email column that says whose row it is: when it is the erased address,
a `delete` table loses the row, a `pseudonymise` table keeps it with the address pseudonymised and
the row's `name`/`phone`/`postal` columns emptied. Any other row that mentions the address anywhere
(any text or JSON column, listed or not, schema drift included) keeps it pseudonymised.
"""
from __future__ import annotations

from dataclasses import dataclass

PERSONAL_KINDS = ("name", "phone", "postal")  # emptied with the identity


@dataclass(frozen=True)
class PiiTable:
    source: str
    table: str
    whose: str
    columns: dict[str, str]  # column -> kind
    identity: str | None = None
    on_erase: str = "pseudonymise"  # or "delete"

    @property
    def personal(self) -> list[str]:
        return [c for c, kind in self.columns.items() if kind in PERSONAL_KINDS]


PII_TABLES: tuple[PiiTable, ...] = (
    PiiTable("app", "users", "app users (customers' staff)", {"email": "email", "full_name": "name"},
             identity="email", on_erase="delete"),
    PiiTable("app", "campaign_events", "leads and contacts PenguinMails' outreach reached", {"recipient_email": "email"},
             identity="recipient_email"),
    PiiTable("app", "mailboxes", "customers' sending mailboxes (often a person's)", {"address": "email"},
             identity="address"),
    PiiTable("hubspot", "contacts", "customer contacts and leads",
             {"email": "email", "firstname": "name", "lastname": "name", "phone": "phone", "jobtitle": "text"},
             identity="email", on_erase="delete"),
    PiiTable("hubspot", "owners", "PenguinMails' sales staff", {"email": "email", "first_name": "name", "last_name": "name"},
             identity="email"),
    PiiTable("jira", "users", "customers who raise tickets and PenguinMails' agents",
             {"email": "email", "display_name": "name"}, identity="email", on_erase="delete"),
    PiiTable("jira", "issues", "ticket reporters (customers) and assignees (staff)",
             {"reporter_email": "email", "reporter_display_name": "name", "assignee_display_name": "text",
              "summary": "text", "description": "text"}, identity="reporter_email"),
    PiiTable("jira", "issue_changelog", "assignees named in status history", {"from_string": "text", "to_string": "text"}),
    PiiTable("stripe", "customers", "billing contacts (a sole trader's name and address are theirs)",
             {"email": "email", "name": "name", "phone": "phone", "address": "postal", "shipping": "postal"},
             identity="email"),
    PiiTable("stripe", "invoices", "billing contacts, as copied onto each invoice",
             {"customer_email": "email", "customer_name": "name", "customer_phone": "phone", "customer_address": "postal",
              "customer_shipping": "postal", "shipping_details": "postal"}, identity="customer_email"),
    PiiTable("stripe", "charges", "payers", {"receipt_email": "email", "billing_details": "people", "shipping": "postal"},
             identity="receipt_email"),
    PiiTable("google", "calendar_events", "meeting attendees (contacts) and organisers (staff)",
             {"calendar_id": "email", "attendees": "people", "organizer": "people", "creator": "people", "organizer_email": "email",
              "summary": "text", "description": "text"}),
    PiiTable("google", "gmail_messages", "correspondents of the team mailboxes (metadata only, no bodies)",
             {"from_header": "people", "to_header": "people", "cc_header": "people", "subject": "text", "mailbox": "email"}),
    PiiTable("google", "drive_files", "PenguinMails' staff owning or editing files",
             {"owners": "people", "owner_email": "email", "last_modifying_user": "people"}),
)


def pii_table(source: str, table: str) -> PiiTable | None:
    return next((t for t in PII_TABLES if t.source == source and t.table == table), None)
