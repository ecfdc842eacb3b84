"""What the reverse ETL owns and writes, and the switch that turns it on."""
from __future__ import annotations

import os
from dataclasses import dataclass

MODE_VARIABLE = "PENGUIN_REVERSE_ETL"
MODES = ("dry-run", "on", "off")  # the first is the default
MART = "customer_health.dim_customer_crm_sync"
SCHEMA = "reverse_etl"
BATCH_SIZE = 100  # HubSpot's batch read/update maximum


@dataclass(frozen=True)
class OwnedProperty:
    """A HubSpot company property the warehouse owns: created by us, written only by us."""

    name: str
    label: str
    column: str  # of the mart
    type: str
    field_type: str
    options: tuple[str, ...] = ()


PROPERTY_GROUP = "penguinmails_health"
PROPERTY_GROUP_LABEL = "PenguinMails health (from the data warehouse)"
OWNED_PROPERTIES = (
    OwnedProperty("penguin_health_score", "Health score", "health_score", "number", "number"),
    OwnedProperty("penguin_risk_tier", "Risk tier", "risk_tier", "enumeration", "select",
                  ("healthy", "watch", "at_risk")),
    OwnedProperty("penguin_risk_reason", "Top risk reason", "top_reason", "string", "text"),
    OwnedProperty("penguin_mrr", "MRR (USD)", "mrr", "number", "number"),
    OwnedProperty("penguin_plan", "Plan", "current_plan", "string", "text"),
    OwnedProperty("penguin_seats", "Seats", "current_seats", "number", "number"),
    OwnedProperty("penguin_last_active_date", "Last active date", "last_active_date", "date", "date"),
    OwnedProperty("penguin_open_high_priority_tickets", "Open high-priority tickets", "open_high_priority_tickets",
                  "number", "number"),
)

JIRA_PROJECT = "CS"
JIRA_ISSUE_TYPE = "Task"
JIRA_LABEL = "penguin-at-risk"  # on every ticket we open
PORTAL_VARIABLE = "HUBSPOT_PORTAL_ID"  # for the link to the company in HubSpot
COMPANY_URL = "https://app.hubspot.com/contacts/{portal_id}/record/0-2/{company_id}"


def mode() -> str:
    """`dry-run`, `on` or `off`, from `PENGUIN_REVERSE_ETL`."""
    value = os.environ.get(MODE_VARIABLE, "").strip().lower() or MODES[0]
    if value not in MODES:
        raise ValueError(f"reverse ETL: {MODE_VARIABLE}={value!r} is not one of {', '.join(MODES)}")
    return value


def company_url(company_id: str | None) -> str | None:
    portal = os.environ.get(PORTAL_VARIABLE)
    return COMPANY_URL.format(portal_id=portal, company_id=company_id) if portal and company_id else None
