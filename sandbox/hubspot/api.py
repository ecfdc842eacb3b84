"""HubSpot's REST endpoints (CRM v3 objects and search, v4 associations, pipelines, owners,
properties) and its error bodies."""
from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.emulator import json_response
from sandbox.timeutil import iso

from sandbox.hubspot import search
from sandbox.hubspot.crm import CrmType

if TYPE_CHECKING:
    from sandbox.hubspot.emulator import HubSpotEmulator

TYPE_NAMES = {alias: name for name, aliases in (("contacts", ("contact", "0-1")), ("companies", ("company", "0-2")),
                                                 ("deals", ("deal", "0-3")))
              for alias in (name, *aliases)}
AUTH_MESSAGE = ("Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find "
                "more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview")
LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT, HISTORY_MAX_LIMIT = 10, 100, 50
BATCH_MAX_INPUTS, ASSOCIATION_BATCH_MAX_INPUTS, ASSOCIATION_PAGE_MAX = 100, 1000, 500
OWNERS_MAX_LIMIT = 500


def error(status: int, message: str, category: str, **extra) -> Response:
    return json_response({"status": "error", "message": message, "correlationId": str(uuid.uuid4()),
                          "category": category, **extra}, status)


def validation_error(message: str) -> Response:
    return error(400, message, "VALIDATION_ERROR")


class RateLimited(Response):
    """HubSpot's 429. Search has its own per-second policy, and VendorGate asks for the error before
    routing, so the body is written when the response is sent, from the request's path."""

    def __init__(self) -> None:
        super().__init__(b"", 429, media_type="application/json")

    async def __call__(self, scope, receive, send) -> None:
        name = "SECONDLY" if scope["path"].rstrip("/").endswith("/search") else "TEN_SECONDLY_ROLLING"
        self.body = orjson.dumps({"status": "error", "message": f"You have reached your {name.lower()} limit.",
                                  "errorType": "RATE_LIMIT", "correlationId": str(uuid.uuid4()),
                                  "policyName": name, "groupName": "publicapi-private-app"})
        self.headers["content-length"] = str(len(self.body))
        await super().__call__(scope, receive, send)


def _names(request: Request, key: str) -> list[str] | None:
    """A list parameter, repeated (`?properties=a&properties=b`) or comma-separated, as HubSpot takes both."""
    values = request.query_params.getlist(key)
    if not values:
        return None
    return [n.strip() for v in values for n in v.split(",") if n.strip()]


def _flag(value: str | None) -> bool:
    return (value or "").lower() == "true"


def _int(value, default: int) -> int:
    """An integer parameter; ValueError for anything else."""
    return default if value in (None, "") else int(value)


def _id_inputs(inputs, most: int) -> bool:
    """Whether a batch body's `inputs` is a list of at most `most` objects with an id."""
    return isinstance(inputs, list) and len(inputs) <= most and all(isinstance(i, dict) and "id" in i for i in inputs)


def crm_type(types: dict[str, CrmType], request: Request, key: str = "object_type") -> CrmType | Response:
    """The object type a path parameter names (`companies`, `company`, `0-2`…), or HubSpot's 400."""
    name = TYPE_NAMES.get(request.path_params[key])
    if name is None:
        return validation_error(f"Unable to infer object type from: {request.path_params[key]}")
    return types[name]


async def body_of(request: Request):
    """The JSON body, or HubSpot's 400 for one that does not parse."""
    try:
        return orjson.loads(await request.body())
    except orjson.JSONDecodeError as e:
        return validation_error(f"Invalid input JSON: {e}")


def with_body(types: dict[str, CrmType], handler):
    """An endpoint taking a JSON object: `handler(request, crm, body)` once the object type and the body
    parsed (else HubSpot's 400)."""
    async def endpoint(request: Request) -> Response:
        crm = crm_type(types, request)
        if isinstance(crm, Response):
            return crm
        body = await body_of(request)
        if isinstance(body, Response):
            return body
        if not isinstance(body, dict):
            return validation_error("Invalid input JSON: expected an object")
        return await handler(request, crm, body)
    return endpoint


def routes(emu: "HubSpotEmulator") -> list[Route]:
    types, assoc = emu.types, emu.associations

    def not_found(object_id: str) -> Response:
        return error(404, "Object not found.  objectId are usually numeric.", "OBJECT_NOT_FOUND",
                     context={"id": [object_id]})

    def render(crm: CrmType, records, names, history, associations) -> list[dict]:
        now, drift_at = emu.world.now, emu.drift_at
        out = []
        for r in records:
            obj = crm.render(r, now, names, drift_at, history)
            linked = {to: {"results": rows} for to in associations
                      if (rows := assoc.v3(crm.schema.name, r.id, to, now))}
            if linked:
                obj["associations"] = linked
            out.append(obj)
        return out

    def shape(request: Request, crm: CrmType):
        """(property names, history names, association types) a read asks for."""
        drift_at = emu.drift_at
        known = crm.known(drift_at)
        history = [n for n in _names(request, "propertiesWithHistory") or () if n in known]
        associations = [TYPE_NAMES[a] for a in _names(request, "associations") or () if a in TYPE_NAMES]
        return crm.names(_names(request, "properties"), drift_at), history, associations

    async def list_objects(request: Request) -> Response:
        crm = crm_type(types, request)
        if isinstance(crm, Response):
            return crm
        q = request.query_params
        try:
            limit = _int(q.get("limit"), LIST_DEFAULT_LIMIT)
            after = int(q["after"]) if q.get("after") else None
        except ValueError:
            return validation_error("limit and after must be integers.")
        names, history, associations = shape(request, crm)
        limit = max(1, min(limit, HISTORY_MAX_LIMIT if history else LIST_MAX_LIMIT))
        records, nxt = crm.page(emu.world.now, after, limit, _flag(q.get("archived")))
        body: dict = {"results": render(crm, records, names, history, associations)}
        if nxt is not None:
            body["paging"] = {"next": {"after": str(nxt),
                                       "link": f"{emu.api_base}/crm/v3/objects/{crm.schema.name}?after={nxt}"}}
        return json_response(body)

    def lookup(crm: CrmType, object_id: str, id_property: str | None, archived: bool):
        """The record with this id (or this unique property value); None if there is none now."""
        now = emu.world.now
        if id_property in (None, "", "hs_object_id"):
            return crm.get(object_id, now, archived)
        snap = crm.snapshot(now)
        wanted = object_id.lower()
        return next((r for r in (snap.archived if archived else snap.active)
                     if (crm.value(r, r.version_at(now), id_property, None) or "").lower() == wanted), None)

    def unique_property(crm: CrmType, id_property: str | None) -> Response | None:
        if id_property in (None, "", "hs_object_id") or (id_property == "email" and crm.schema.name == "contacts"):
            return None
        return validation_error(f"{id_property} is not a unique property of {crm.schema.name}.")

    async def get_object(request: Request) -> Response:
        crm = crm_type(types, request)
        if isinstance(crm, Response):
            return crm
        object_id = request.path_params["object_id"]
        id_property = request.query_params.get("idProperty")
        if bad := unique_property(crm, id_property):
            return bad
        r = lookup(crm, object_id, id_property, _flag(request.query_params.get("archived")))
        if r is None:
            return not_found(object_id)
        return json_response(render(crm, [r], *shape(request, crm))[0])

    async def batch_read(request: Request, crm: CrmType, body: dict) -> Response:
        inputs = body.get("inputs")
        if not _id_inputs(inputs, BATCH_MAX_INPUTS):
            return validation_error(f"inputs must be a list of at most {BATCH_MAX_INPUTS} objects with an id.")
        id_property = body.get("idProperty")
        if bad := unique_property(crm, id_property):
            return bad
        drift_at, archived = emu.drift_at, _flag(request.query_params.get("archived"))
        known = crm.known(drift_at)
        names = crm.names(body.get("properties"), drift_at)
        history = [n for n in body.get("propertiesWithHistory") or () if n in known]
        found, missing = [], []
        for item in inputs:
            object_id = str(item["id"])
            r = lookup(crm, object_id, id_property, archived)
            (found if r is not None else missing).append(r if r is not None else object_id)
        now = iso(emu.world.now)
        out = {"status": "COMPLETE", "results": render(crm, found, names, history, ()), "startedAt": now,
               "completedAt": now}
        if not missing:
            return json_response(out)
        out["numErrors"] = 1
        out["errors"] = [{"status": "error", "category": "OBJECT_NOT_FOUND",
                          "message": f"Could not get some {crm.schema.singular.upper()} objects, they may be deleted "
                                     "or not exist. Check that ids are valid.",
                          "context": {"ids": missing}, "links": {}, "errors": []}]
        return json_response(out, 207)

    async def search_objects(request: Request, crm: CrmType, body: dict) -> Response:
        now, drift_at = emu.world.now, emu.drift_at
        try:
            q = search.parse(body, crm, drift_at)
            # data fault: the search index lags behind writes, as HubSpot's does for a few seconds
            lag = emu.sandbox.faults.take(emu.name, "search_lag", request.url.path.removeprefix(f"/{emu.name}"))
            at = now - int(lag.seconds or 60) if lag is not None else now
            matches = emu.searchers[crm.schema.name].matches(q, now, at, drift_at)
            records, nxt = search.page(matches, q)
        except search.SearchError as e:
            return validation_error(str(e))
        names = crm.names(q.properties, drift_at)
        body = {"total": len(matches), "results": [crm.render(r, at, names, drift_at) for r in records]}
        if nxt is not None:
            body["paging"] = {"next": {"after": str(nxt)}}
        return json_response(body)

    async def object_associations(request: Request) -> Response:
        src, dst = crm_type(types, request), crm_type(types, request, "to_type")
        for t in (src, dst):
            if isinstance(t, Response):
                return t
        try:
            limit = min(_int(request.query_params.get("limit"), ASSOCIATION_PAGE_MAX), ASSOCIATION_PAGE_MAX)
            after = _int(request.query_params.get("after"), 0)
        except ValueError:
            return validation_error("limit and after must be integers.")
        rows = assoc.v4(src.schema.name, request.path_params["object_id"], dst.schema.name, emu.world.now)
        body: dict = {"results": rows[after:after + limit]}
        if after + limit < len(rows):
            body["paging"] = {"next": {"after": str(after + limit)}}
        return json_response(body)

    async def association_batch_read(request: Request) -> Response:
        src, dst = crm_type(types, request, "from_type"), crm_type(types, request, "to_type")
        for t in (src, dst):
            if isinstance(t, Response):
                return t
        body = await body_of(request)
        if isinstance(body, Response):
            return body
        inputs = body.get("inputs") if isinstance(body, dict) else None
        if not _id_inputs(inputs, ASSOCIATION_BATCH_MAX_INPUTS):
            return validation_error(f"inputs must be a list of at most {ASSOCIATION_BATCH_MAX_INPUTS} objects with an id.")
        now, results, errors = emu.world.now, [], []
        for item in inputs:
            object_id = str(item["id"])
            rows = assoc.v4(src.schema.name, object_id, dst.schema.name, now)
            if rows:
                results.append({"from": {"id": object_id}, "to": rows})
            else:
                errors.append({"status": "error", "category": "OBJECT_NOT_FOUND",
                               "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                               "message": f"No {dst.schema.singular} is associated with {src.schema.singular} {object_id}.",
                               "context": {"fromObjectId": [object_id]}, "links": {}, "errors": []})
        stamp = iso(now)
        out: dict = {"status": "COMPLETE", "results": results, "startedAt": stamp, "completedAt": stamp}
        if errors:
            out.update(numErrors=len(errors), errors=errors)
        return json_response(out, 207 if errors else 200)

    def pipeline_json(p) -> dict:
        stamp = iso(p.created)
        return {"label": p.label, "displayOrder": p.display_order, "id": p.id, "createdAt": stamp,
                "updatedAt": stamp, "archived": False,
                "stages": [{"label": s.label, "displayOrder": i, "id": s.id, "createdAt": stamp, "updatedAt": stamp,
                            "archived": False, "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
                            "metadata": {"isClosed": "true" if s.closed else "false", "probability": str(s.probability)}}
                           for i, s in enumerate(p.stages)]}

    def deal_pipelines(request: Request) -> Response | None:
        if TYPE_NAMES.get(request.path_params["object_type"]) != "deals":
            return validation_error(f"Unable to infer object type from: {request.path_params['object_type']}")
        return None

    async def list_pipelines(request: Request) -> Response:
        return deal_pipelines(request) or json_response({"results": [pipeline_json(p) for p in emu.pipelines]})

    async def get_pipeline(request: Request) -> Response:
        if bad := deal_pipelines(request):
            return bad
        pid = request.path_params["pipeline_id"]
        p = next((p for p in emu.pipelines if p.id == pid), None)
        if p is None:
            return error(404, f"Unable to find pipeline {pid}", "OBJECT_NOT_FOUND")
        return json_response(pipeline_json(p))

    async def list_owners(request: Request) -> Response:
        q = request.query_params
        try:
            limit = max(1, min(_int(q.get("limit"), 100), OWNERS_MAX_LIMIT))
            after = _int(q.get("after"), 0)
        except ValueError:
            return validation_error("limit and after must be integers.")
        owners = [] if _flag(q.get("archived")) else [
            o for o in emu.owners if not q.get("email") or o["email"].lower() == q["email"].lower()]
        body: dict = {"results": owners[after:after + limit]}
        if after + limit < len(owners):
            body["paging"] = {"next": {"after": str(after + limit),
                                       "link": f"{emu.api_base}/crm/v3/owners/?after={after + limit}"}}
        return json_response(body)

    async def get_owner(request: Request) -> Response:
        oid = request.path_params["owner_id"]
        field = "userId" if request.query_params.get("idProperty") == "userId" else "id"
        owner = next((o for o in emu.owners if str(o[field]) == oid), None)
        if owner is None or _flag(request.query_params.get("archived")):
            return error(404, f"Owner with {field} {oid} not found", "OBJECT_NOT_FOUND")
        return json_response(owner)

    async def list_properties(request: Request) -> Response:
        crm = crm_type(types, request)
        if isinstance(crm, Response):
            return crm
        return json_response({"results": [] if _flag(request.query_params.get("archived")) else emu.property_definitions(crm)})

    async def get_property(request: Request) -> Response:
        crm = crm_type(types, request)
        if isinstance(crm, Response):
            return crm
        name = request.path_params["name"]
        found = next((p for p in emu.property_definitions(crm) if p["name"] == name), None)
        if found is None:
            return error(404, f"Unable to find property {name} of {crm.schema.name}", "OBJECT_NOT_FOUND")
        return json_response(found)

    return [
        Route("/crm/v3/objects/{object_type}", list_objects),
        Route("/crm/v3/objects/{object_type}/search", with_body(types, search_objects), methods=["POST"]),
        Route("/crm/v3/objects/{object_type}/batch/read", with_body(types, batch_read), methods=["POST"]),
        Route("/crm/v3/objects/{object_type}/{object_id}", get_object),
        Route("/crm/v4/objects/{object_type}/{object_id}/associations/{to_type}", object_associations),
        Route("/crm/v4/associations/{from_type}/{to_type}/batch/read", association_batch_read, methods=["POST"]),
        Route("/crm/v3/pipelines/{object_type}", list_pipelines),
        Route("/crm/v3/pipelines/{object_type}/{pipeline_id}", get_pipeline),
        Route("/crm/v3/owners", list_owners),
        Route("/crm/v3/owners/", list_owners),  # the official client calls it with the slash
        Route("/crm/v3/owners/{owner_id}", get_owner),
        Route("/crm/v3/properties/{object_type}", list_properties),
        Route("/crm/v3/properties/{object_type}/{name}", get_property),
    ]
