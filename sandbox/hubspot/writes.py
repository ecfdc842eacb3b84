"""HubSpot's write endpoints: property groups and properties created through the API, and updates of
CRM objects (batch, max 100, or one at a time).

An update becomes a new version of the record at the world clock (its last-modified date moves),
so the next search on that date finds it, as the pipeline's incremental read does. Values that do
not change anything are not written. Validation is all or nothing, as HubSpot's: one bad property
value rejects the whole batch with 400; ids that match no object come back as a 207's errors.
Every applied change is logged in `writes` (the `_writes` truth table).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.emulator import json_response
from sandbox.timeutil import iso, parse_iso

from sandbox.hubspot.api import BATCH_MAX_INPUTS, _id_inputs, crm_type, error, validation_error, with_body
from sandbox.hubspot.boundary import insert_change
from sandbox.hubspot.crm import CrmType
from sandbox.hubspot.schema import Prop

if TYPE_CHECKING:
    from sandbox.hubspot.emulator import HubSpotEmulator

FIELD_TYPES = {"string": {"text", "textarea", "phonenumber", "html", "file"}, "number": {"number"},
               "date": {"date"}, "datetime": {"date"}, "enumeration": {"select", "radio", "checkbox"},
               "bool": {"booleancheckbox"}}
NAME = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _invalid_value(prop: Prop | None, name: str, value: str) -> tuple[str, str] | None:
    """(error code, message) when HubSpot refuses `value` for the property, else None."""
    if prop is None:
        return "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist'
    if prop.calculated:
        return "READ_ONLY_VALUE", f'"{name}" is a read only property; its value cannot be set.'
    if value == "":
        return None  # clears the property
    try:
        if prop.type == "number":
            float(value)
        elif prop.type == "date" and not (DATE.match(value) or value.isdigit() and int(value) % 86_400_000 == 0):
            return "INVALID_DATE", f"{value} is not a valid date: use YYYY-MM-DD or midnight UTC in epoch milliseconds"
        elif prop.type == "datetime" and not value.isdigit():
            parse_iso(value)
    except ValueError:
        return f"INVALID_{prop.type.upper()}", f"{value} was not a valid {prop.type}."
    if prop.options and prop.name != "hubspot_owner_id" and value not in prop.options:
        return "INVALID_OPTION", f"{value} was not one of the allowed options: [{', '.join(prop.options)}]"
    return None


def _group_json(name: str, label: str, order: int) -> dict:
    return {"name": name, "label": label, "displayOrder": order, "archived": False}


def routes(emu: "HubSpotEmulator") -> list[Route]:
    types = emu.types

    def groups(crm: CrmType) -> list[dict]:
        """HubSpot's groups (those its properties are in) and the ones created through the API."""
        names = list(dict.fromkeys(p.group for p in crm.schema.props))
        built = [_group_json(n, n.replace("information", " information").capitalize(), i) for i, n in enumerate(names)]
        return built + emu.created_groups.setdefault(crm.schema.name, [])

    async def list_groups(request: Request) -> Response:
        crm = crm_type(types, request)
        return crm if isinstance(crm, Response) else json_response({"results": groups(crm)})

    async def create_group(request: Request, crm: CrmType, body: dict) -> Response:
        name, label = body.get("name"), body.get("label")
        if not (isinstance(name, str) and NAME.match(name) and label):
            return validation_error("A property group needs a `name` (lowercase letters, digits, _) and a `label`.")
        if any(g["name"] == name for g in groups(crm)):
            return error(409, f"Property group named '{name}' already exists.", "OBJECT_ALREADY_EXISTS")
        group = _group_json(name, label, int(body.get("displayOrder") or -1))
        emu.created_groups[crm.schema.name].append(group)
        emu.log_write("create_property_group", crm.schema.name, None, name, label)
        return json_response(group, 201)

    async def create_property(request: Request, crm: CrmType, body: dict) -> Response:
        name, kind, field_type = body.get("name"), body.get("type"), body.get("fieldType")
        options = tuple(str(o.get("value")) for o in body.get("options") or () if isinstance(o, dict))
        if not (isinstance(name, str) and NAME.match(name) and body.get("label")):
            return validation_error("A property needs a `name` (lowercase letters, digits, _) and a `label`.")
        if name in crm.known(emu.drift_at):
            return error(409, f"Property named '{name}' already exists.", "OBJECT_ALREADY_EXISTS")
        if field_type not in FIELD_TYPES.get(kind, ()):
            return validation_error(f"Property type {kind!r} cannot have field type {field_type!r}.")
        if kind in ("enumeration", "bool") and not options:
            return validation_error(f"An {kind} property needs options.")
        if not any(g["name"] == body.get("groupName") for g in groups(crm)):
            return validation_error(f"Property group {body.get('groupName')!r} does not exist.")
        prop = Prop(name, body["label"], kind, field_type, body["groupName"], options, custom=True)
        crm.created[name] = (prop, emu.world.now)
        emu.log_write("create_property", crm.schema.name, None, name, kind)
        return json_response(next(d for d in emu.property_definitions(crm) if d["name"] == name), 201)

    def validate(crm: CrmType, properties: Any) -> Response | None:
        if not isinstance(properties, dict) or not properties:
            return validation_error("No properties found to update, please provide at least one.")
        known = crm.known(emu.drift_at)
        problems = [(name, bad) for name, value in properties.items()
                    if (bad := _invalid_value(crm.prop(name) if name in known else None, name, _text(value)))]
        if not problems:
            return None
        details = [{"isValid": False, "message": message, "error": code, "name": name}
                   for name, (code, message) in problems]
        return validation_error(f"Property values were not valid: {orjson.dumps(details).decode()}")

    def apply(crm: CrmType, record, properties: dict) -> dict:
        """Writes the values that change something; the record as the response shows it."""
        now = emu.world.now
        state = record.version_at(now)
        changes = {}
        for name, value in properties.items():
            new = _text(value) or None
            if crm.value(record, state, name, emu.drift_at) != new:
                changes[name] = new
        if changes:
            insert_change(crm, record, now, changes)
            emu.searchers[crm.schema.name].forget()
            for name, value in changes.items():
                emu.log_write("update", crm.schema.name, record.id, name, value)
        return crm.render(record, now, crm.names(list(properties), emu.drift_at), emu.drift_at)

    async def batch_update(request: Request, crm: CrmType, body: dict) -> Response:
        inputs = body.get("inputs")
        if not _id_inputs(inputs, BATCH_MAX_INPUTS):
            return validation_error(f"inputs must be a list of at most {BATCH_MAX_INPUTS} objects with an id.")
        ids = [str(i["id"]) for i in inputs]
        if len(set(ids)) < len(ids):
            duplicates = sorted({i for i in ids if ids.count(i) > 1})
            return validation_error(f"Duplicate IDs found in batch input: {duplicates}. IDs must be unique")
        for item in inputs:
            if bad := validate(crm, item.get("properties")):
                return bad
        now = emu.world.now
        found = [(crm.get(i, now, False), item) for i, item in zip(ids, inputs)]
        results = [apply(crm, r, item["properties"]) for r, item in found if r is not None]
        missing = [i for i, (r, _) in zip(ids, found) if r is None]
        stamp = iso(now)
        out: dict = {"status": "COMPLETE", "results": results, "startedAt": stamp, "completedAt": stamp}
        if not missing:
            return json_response(out)
        out.update(numErrors=1, errors=[{
            "status": "error", "category": "OBJECT_NOT_FOUND", "context": {"ids": missing}, "links": {}, "errors": [],
            "message": f"Could not get some {crm.schema.singular.upper()} objects, they may be deleted or not exist. "
                       "Check that ids are valid."}])
        return json_response(out, 207)

    async def update_object(request: Request, crm: CrmType, body: dict) -> Response:
        properties = body.get("properties")
        if bad := validate(crm, properties):
            return bad
        record = crm.get(request.path_params["object_id"], emu.world.now, False)
        if record is None:
            return error(404, "Object not found.  objectId are usually numeric.", "OBJECT_NOT_FOUND",
                         context={"id": [request.path_params["object_id"]]})
        return json_response(apply(crm, record, properties))

    return [
        Route("/crm/v3/objects/{object_type}/batch/update", with_body(types, batch_update), methods=["POST"]),
        Route("/crm/v3/objects/{object_type}/{object_id}", with_body(types, update_object), methods=["PATCH"]),
        Route("/crm/v3/properties/{object_type}", with_body(types, create_property), methods=["POST"]),
        Route("/crm/v3/properties/{object_type}/groups", list_groups),
        Route("/crm/v3/properties/{object_type}/groups", with_body(types, create_group), methods=["POST"]),
    ]


def _text(value: Any) -> str:
    """A property value as HubSpot stores it: a string (`""` for null, `true`/`false` for booleans)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
