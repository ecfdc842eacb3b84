"""The HubSpot CRM emulator: contacts, companies, deals, their associations, deal pipelines and owners."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from sandbox.emulator import Emulator
from sandbox.ids import numeric_id
from sandbox.world.model import WORLD_START
from sandbox.timeutil import DAY, iso

from sandbox.hubspot import api, objects, writes
from sandbox.hubspot.boundary import plant
from sandbox.hubspot.crm import AssociationIndex, CrmType
from sandbox.hubspot.schema import COMPANIES, CONTACTS, deals_schema, pipelines, property_definition
from sandbox.hubspot.search import Searcher

if TYPE_CHECKING:
    from sandbox.runtime import Sandbox

# when the portal's properties were defined: HubSpot's long before our history, ours at its start
HUBSPOT_PROPERTIES_CREATED = WORLD_START - 900 * DAY
CUSTOM_PROPERTIES_CREATED = WORLD_START - 60 * DAY


class HubSpotEmulator(Emulator):
    name = "hubspot"

    def __init__(self, sandbox: "Sandbox"):
        super().__init__(sandbox)
        seed = self.world.seed
        data = objects.build(self.world)
        self.owners = data.owners
        self.pipelines = pipelines(seed)
        self.types = {s.name: CrmType(s, records, objects.DRIFT_VALUES[s.name]) for s, records in (
            (CONTACTS, data.contacts), (COMPANIES, data.companies), (deals_schema(seed), data.deals))}
        self.searchers = {name: Searcher(t) for name, t in self.types.items()}
        self.associations = AssociationIndex(self.types, data.associations)
        self.portal_id = str(numeric_id(seed, "hubspot-portal", 0, digits=8))
        self.created_groups: dict[str, list[dict]] = {}  # object type -> property groups created through the API
        self.writes: list[dict] = []  # every change the write endpoints applied, in order

    @property
    def drift_at(self) -> int | None:
        return self.sandbox.drift.get(self.name)

    @property
    def api_base(self) -> str:
        return f"{self.sandbox.base_url}/{self.name}"

    def routes(self) -> list[BaseRoute]:
        return writes.routes(self) + api.routes(self)

    def log_write(self, action: str, object_type: str, object_id: str | None, name: str, value: str | None) -> None:
        """Records one applied write (a created group or property, or one property's new value)."""
        self.writes.append({"seq": len(self.writes) + 1, "at": iso(self.world.now), "action": action,
                            "object_type": object_type, "id": object_id, "property": name, "value": value})

    def check_auth(self, request: Request) -> Response | None:
        if request.headers.get("authorization") == f"Bearer {self.sandbox.credentials.hubspot_access_token}":
            return None
        return api.error(401, api.AUTH_MESSAGE, "INVALID_AUTHENTICATION")

    def error(self, status: int, message: str) -> Response:
        if status == 429:
            return api.RateLimited()
        if status == 401:
            return api.error(401, api.AUTH_MESSAGE, "INVALID_AUTHENTICATION")
        return api.error(status, message, "INTERNAL_ERROR")

    def property_definitions(self, crm: CrmType) -> list[dict]:
        """What `/crm/v3/properties/{type}` lists; once schema drift began, also the new property."""
        props = [(p, CUSTOM_PROPERTIES_CREATED if p.custom else HUBSPOT_PROPERTIES_CREATED) for p in crm.schema.props]
        if self.drift_at is not None:
            props.append((crm.schema.drift, self.drift_at))
        props += crm.created.values()
        return [property_definition(p, i, created, self.owners) for i, (p, created) in enumerate(props)]

    def truth(self) -> dict[str, Iterable[dict]]:
        now, drift_at = self.world.now, self.drift_at
        owner_fields = ("id", "email", "firstName", "lastName", "type", "userId", "createdAt", "updatedAt", "archived")
        pipes = sorted(self.pipelines, key=lambda p: p.id)
        return {
            **{name: t.truth(now, drift_at) for name, t in self.types.items()},
            "owners": sorted(({k: o[k] for k in owner_fields} for o in self.owners), key=lambda o: int(o["id"])),
            "pipelines": [{"id": p.id, "object_type": "deals", "label": p.label, "displayOrder": p.display_order,
                           "createdAt": iso(p.created), "updatedAt": iso(p.created), "archived": False} for p in pipes],
            "pipeline_stages": [{"pipeline_id": p.id, "id": s.id, "label": s.label, "displayOrder": i,
                                 "probability": str(s.probability), "isClosed": "true" if s.closed else "false",
                                 "createdAt": iso(p.created), "updatedAt": iso(p.created), "archived": False}
                                for p in pipes for i, s in enumerate(p.stages)],
            "associations": self.associations.truth(now),
            **({"_writes": self.writes} if self.writes else {}),  # once the write endpoints changed something
        }

    def on_advance(self, old_now: int, new_now: int) -> None:
        plant(self.types, [o["id"] for o in self.owners], self.world.seed, old_now, new_now)
        for s in self.searchers.values():
            s.forget()
        if self.sandbox.faults.profile == "chaos":
            self.sandbox.start_drift(self.name)

    def env(self) -> dict[str, str]:
        return {"HUBSPOT_ACCESS_TOKEN": self.sandbox.credentials.hubspot_access_token, "HUBSPOT_API_BASE": self.api_base,
                "HUBSPOT_PORTAL_ID": self.portal_id}
