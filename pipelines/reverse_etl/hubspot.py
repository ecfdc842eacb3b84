"""The warehouse-owned properties of HubSpot companies: created when missing, written in batches of
100 where the warehouse's value differs from the one last pushed.

Conflict rule: CRM-owned fields win. We write only the `penguin_*` properties we created in our
property group; a property of that name that someone else created (another group) is CRM-owned and
skipped. Before each batch the companies' current values are read: when the warehouse's value changed,
it replaces whatever the CRM holds, also a value a CRM user edited since our last push (the audit
keeps the CRM's value as `old_value`, noted `crm_edited`); a value the CRM already holds is not sent.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import duckdb
from hubspot.crm.objects import BatchApi
from hubspot.crm.properties import GroupsApi

from pipelines.reverse_etl.settings import (BATCH_SIZE, OWNED_PROPERTIES, PROPERTY_GROUP, PROPERTY_GROUP_LABEL,
                                            OwnedProperty)
from pipelines.reverse_etl.state import Report, Write, mart_rows, pushed_statement, pushed_values, record
from pipelines.sources.hubspot.helpers import HubSpotApi, _chunks

OBJECT_TYPE = "companies"


def as_property(value: Any) -> str:
    """A mart value as a HubSpot property string (`""` clears the property)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class HubSpotWriter(HubSpotApi):
    """The HubSpot client of the sync, plus the batch and property-group APIs (same connection pool)."""

    def __init__(self, access_token: str, api_base: str):
        super().__init__(access_token, api_base)
        self._batch = BatchApi(self._objects.api_client)
        self._groups = GroupsApi(self._properties.api_client)

    def owned(self, report: Report, dry_run: bool) -> tuple[list[OwnedProperty], list[Write]]:
        """The owned properties we may write (the group and those missing created), and the writes made."""
        definitions = {d["name"]: d for d in self.properties(OBJECT_TYPE)[0]}
        writes = []
        if not any(d["groupName"] == PROPERTY_GROUP for d in definitions.values()):
            groups, _ = self._call(f"GET /crm/v3/properties/{OBJECT_TYPE}/groups", self._groups.get_all, OBJECT_TYPE)
            if not any(g["name"] == PROPERTY_GROUP for g in groups["results"]):
                report.add("groups_created", f"create property group {PROPERTY_GROUP}")
                if not dry_run:
                    self._call(f"POST /crm/v3/properties/{OBJECT_TYPE}/groups", self._groups.create, OBJECT_TYPE,
                               {"name": PROPERTY_GROUP, "label": PROPERTY_GROUP_LABEL})
                    writes.append(Write("hubspot", "create_property_group", PROPERTY_GROUP, new=PROPERTY_GROUP_LABEL))
        usable = []
        for p in OWNED_PROPERTIES:
            found = definitions.get(p.name)
            if found is not None and found["groupName"] != PROPERTY_GROUP:
                report.add("crm_owned_skipped", f"skip {p.name}: the CRM owns it (group {found['groupName']})")
                continue
            usable.append(p)
            if found is None:
                report.add("properties_created", f"create property {p.name} ({p.type})")
                if not dry_run:
                    self._call(f"POST /crm/v3/properties/{OBJECT_TYPE}", self._properties.create, OBJECT_TYPE, {
                        "name": p.name, "label": p.label, "type": p.type, "fieldType": p.field_type,
                        "groupName": PROPERTY_GROUP, "description": "Written by the PenguinMails data warehouse.",
                        "options": [{"label": o.replace("_", " ").title(), "value": o, "displayOrder": i}
                                    for i, o in enumerate(p.options)]})
                    writes.append(Write("hubspot", "create_property", p.name, new=p.type))
        return usable, writes

    def current(self, ids: list[str], names: list[str]) -> dict[str, dict[str, str]]:
        """The companies' values of `names` now (`""` for none); companies HubSpot no longer has are absent."""
        body, _ = self._call(f"POST /crm/v3/objects/{OBJECT_TYPE}/batch/read", self._batch.read, OBJECT_TYPE,
                             {"inputs": [{"id": i} for i in ids], "properties": names})
        return {r["id"]: {n: r["properties"].get(n) or "" for n in names} for r in body["results"]}

    def update(self, inputs: list[dict]) -> None:
        self._call(f"POST /crm/v3/objects/{OBJECT_TYPE}/batch/update", self._batch.update, OBJECT_TYPE,
                   {"inputs": inputs})


def push_companies(con: duckdb.DuckDBPyConnection, api: HubSpotWriter, run_id: str, dry_run: bool) -> Report:
    """Writes each matched company's owned properties that changed since the last push (or plans it)."""
    report = Report()
    props, writes = api.owned(report, dry_run)
    record(con, run_id, writes)
    pushed = pushed_values(con)
    changed: dict[str, dict[str, str]] = {}
    for row in mart_rows(con, "hubspot_company_id is not null"):
        values = {p.name: as_property(row[p.column]) for p in props}
        diff = {n: v for n, v in values.items() if pushed.get((row["hubspot_company_id"], n), "") != v}
        if diff:
            changed[row["hubspot_company_id"]] = diff
    if dry_run:
        for company_id, diff in changed.items():
            for name, value in diff.items():
                old = pushed.get((company_id, name), "")
                report.add("planned", f"company {company_id}: {name} {old!r} → {value!r}")
        return report
    names = [p.name for p in props]
    for ids in _chunks(list(changed), BATCH_SIZE):
        now = api.current(ids, names)
        inputs, writes, statements = [], [], []
        for company_id in ids:
            if company_id not in now:
                report.add("companies_missing", f"company {company_id}: not in HubSpot any more (merged or deleted)")
                continue
            send = {}
            for name, value in changed[company_id].items():
                statements.append(pushed_statement(company_id, name, value, run_id))
                crm, last = now[company_id][name], pushed.get((company_id, name))
                if crm == value:
                    continue  # the CRM holds it already: nothing to write
                send[name] = value
                note = "crm_edited" if last is not None and crm != last else None
                writes.append(Write("hubspot", "update", company_id, name, crm, value, note))
                report.add("properties_written", f"company {company_id}: {name} {crm!r} → {value!r}")
            if send:
                inputs.append({"id": company_id, "properties": send})
        if inputs:
            api.update(inputs)
            report.counts["update_requests"] = report.counts.get("update_requests", 0) + 1
        record(con, run_id, writes, statements)
    return report
