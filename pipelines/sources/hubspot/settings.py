"""HubSpot CRM: API limits, the properties we request per object type, and the `TableSpec` of every table.

A CRM object arrives as `{"id", "properties": {…}, "createdAt", "updatedAt", "archived"}`; its
properties are flattened into columns named as the properties (HubSpot sends every value as a
string: the ones the marts use are typed here, the others stay text). Ids stay text, as HubSpot
sends them, so they join across tables and sources.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import pyarrow as pa

from pipelines.sources.common.arrow import JSON, TIMESTAMP, Column, TableSpec

API_BASE = "https://api.hubapi.com"
OBJECT_TYPES = ("contacts", "companies", "deals")
LIST_PAGE_SIZE = 100  # GET /crm/v3/objects/{type}: HubSpot's maximum `limit`
SEARCH_PAGE_SIZE = 200  # POST …/search: maximum `limit`
SEARCH_MAX_RESULTS = 10_000  # one search query pages through at most this many results
OWNERS_PAGE_SIZE = 500
ASSOCIATION_BATCH_SIZE = 1_000  # v4 associations batch read: inputs per request
ARROW_BATCH_ROWS = 2_000  # objects per Arrow table handed to dlt (list pages hold 100, search pages 200)

# Incremental reads search on the last-modified date HubSpot indexes: contacts keep the classic
# `lastmodifieddate` (a filter on their `hs_lastmodifieddate` matches nothing), the others
# `hs_lastmodifieddate`.
MODIFIED_PROPERTY = {"contacts": "lastmodifieddate", "companies": "hs_lastmodifieddate", "deals": "hs_lastmodifieddate"}
# Each incremental search starts this far before the cursor: HubSpot's search index lags writes by
# seconds (a minute under load), and re-read records merge on their id, so overlap costs nothing.
LOOKBACK_SECONDS = 600

# The properties requested per object type: what the marts need (identity, lifecycle, attribution,
# ownership, the PenguinMails tenant and Stripe ids, deal stage/amount/close date). Besides these,
# every sync requests the properties HubSpot lists with a name starting with one of
# `PROPERTY_FAMILIES` (one per deal stage) and any property created since the first sync (schema
# drift: a new property appears in /crm/v3/properties, and records changed from then on carry it).
PROPERTIES = {
    "contacts": ("email", "firstname", "lastname", "phone", "jobtitle", "company", "associatedcompanyid",
                 "lifecyclestage", "hubspot_owner_id", "hs_analytics_source", "hs_analytics_source_data_1",
                 "hs_analytics_source_data_2", "utm_campaign", "utm_source", "utm_medium", "createdate",
                 "lastmodifieddate", "hs_lastmodifieddate"),
    "companies": ("name", "domain", "industry", "numberofemployees", "country", "lifecyclestage",
                  "hubspot_owner_id", "penguinmails_tenant_id", "stripe_customer_id", "hs_merged_object_ids",
                  "createdate", "hs_lastmodifieddate"),
    "deals": ("dealname", "amount", "dealstage", "pipeline", "closedate", "dealtype", "hubspot_owner_id",
              "hs_is_closed", "hs_is_closed_won", "hs_deal_stage_probability", "createdate", "hs_lastmodifieddate"),
}
PROPERTY_FAMILIES = {"contacts": (), "companies": (), "deals": ("hs_date_entered_",)}

S, I, F, B = pa.string(), pa.int64(), pa.float64(), pa.bool_()
MONEY = pa.decimal128(38, 9)  # HubSpot amounts carry any number of decimals


def _decimal(value: Any) -> Decimal | None:
    """A HubSpot number string as a finite Decimal; None when it is not one."""
    try:
        n = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return None
    return n if n.is_finite() else None


# Converters of property strings to a column's type. A value that does not convert is returned as
# it came, so `to_arrow` keeps it as a text variant (`<column>__v_text`) instead of losing it.

def _money(value: Any) -> Any:
    """An amount, when it fits `MONEY` exactly."""
    if value in (None, ""):
        return None
    n = _decimal(value)
    fits = n is not None and -n.as_tuple().exponent <= MONEY.scale and n.adjusted() < MONEY.precision - MONEY.scale
    return n if fits else value


def _integer(value: Any) -> Any:
    if value in (None, ""):
        return None
    n = _decimal(value)
    return int(n) if n is not None and n == n.to_integral_value() else value


def _float(value: Any) -> Any:
    if value in (None, ""):
        return None
    n = _decimal(value)
    return float(n) if n is not None else value


def _boolean(value: Any) -> Any:
    return {"true": True, "false": False, "": None}.get(value, value) if isinstance(value, str) else value


def _object_spec(name: str, typed: tuple[Column, ...]) -> TableSpec:
    """A CRM object table: the envelope, the typed properties, and the other requested properties as text."""
    typed = (
        Column("id", S),
        Column("created_at", TIMESTAMP, ("createdAt",)),
        Column("updated_at", TIMESTAMP, ("updatedAt",)),
        Column("archived", B),
        Column("archived_at", TIMESTAMP, ("archivedAt",)),
        Column("createdate", TIMESTAMP),
        Column(MODIFIED_PROPERTY[name], TIMESTAMP),
        *typed,
    )
    typed_names = {c.name for c in typed}
    text = tuple(Column(p, S) for p in PROPERTIES[name] if p not in typed_names)
    return TableSpec(name, "id", typed + text, ignore=frozenset({"hs_object_id"}))


CONTACTS = _object_spec("contacts", (Column("hs_lastmodifieddate", TIMESTAMP),))
COMPANIES = _object_spec("companies", (
    Column("numberofemployees", I, convert=_integer),
    Column("penguinmails_tenant_id", I, convert=_integer),
))
DEALS = _object_spec("deals", (
    Column("amount", MONEY, convert=_money),
    Column("closedate", TIMESTAMP),
    Column("hs_is_closed", B, convert=_boolean),
    Column("hs_is_closed_won", B, convert=_boolean),
    Column("hs_deal_stage_probability", F, convert=_float),
))
OBJECT_SPECS = {"contacts": CONTACTS, "companies": COMPANIES, "deals": DEALS}

OWNERS = TableSpec("owners", "id", (
    Column("id", S),
    Column("email", S),
    Column("first_name", S, ("firstName",)),
    Column("last_name", S, ("lastName",)),
    Column("type", S),
    Column("user_id", I, ("userId",)),
    Column("user_id_including_inactive", I, ("userIdIncludingInactive",)),
    Column("teams", JSON),
    Column("created_at", TIMESTAMP, ("createdAt",)),
    Column("updated_at", TIMESTAMP, ("updatedAt",)),
    Column("archived", B),
))

PIPELINES = TableSpec("pipelines", "id", (
    Column("id", S),
    Column("label", S),
    Column("display_order", I, ("displayOrder",)),
    Column("created_at", TIMESTAMP, ("createdAt",)),
    Column("updated_at", TIMESTAMP, ("updatedAt",)),
    Column("archived", B),
    Column("_deleted", B, ("archived",)),
), ignore=frozenset({"stages"}))  # stages are their own table

PIPELINE_STAGES = TableSpec("pipeline_stages", ("pipeline_id", "id"), (
    Column("pipeline_id", S),
    Column("id", S),
    Column("label", S),
    Column("display_order", I, ("displayOrder",)),
    Column("probability", F, ("metadata", "probability"), convert=_float),
    Column("is_closed", B, ("metadata", "isClosed"), convert=_boolean),
    Column("metadata", JSON),
    Column("write_permissions", S, ("writePermissions",)),
    Column("created_at", TIMESTAMP, ("createdAt",)),
    Column("updated_at", TIMESTAMP, ("updatedAt",)),
    Column("archived", B),
    Column("_deleted", B, ("archived",)),
))

# One row per association type between two objects, both directions (HubSpot stores each
# direction with its own type id). An object's set towards one type is replaced as a whole
# (merge key `ASSOCIATION_SET`); a row with `_deleted` (dlt's hard-delete hint) only empties a set.
ASSOCIATIONS = TableSpec("associations", ("from_type", "from_id", "to_type", "to_id", "type_id"), (
    Column("from_type", S),
    Column("from_id", S),
    Column("to_type", S),
    Column("to_id", S),
    Column("type_id", I),
    Column("label", S),
    Column("category", S),
), keep_unknown=False)
ASSOCIATION_SET = ("from_type", "from_id", "to_type")
