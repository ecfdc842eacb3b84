"""HubSpot objects at a world time: what is listed, how a record and its associations render, truth rows."""
from __future__ import annotations

import bisect
import heapq
from dataclasses import dataclass
from typing import Callable, Iterator

from sandbox.store import Collection, Record
from sandbox.timeutil import iso

from sandbox.hubspot.objects import Associations
from sandbox.hubspot.schema import ASSOCIATION_TYPES, ObjectSchema, Prop

Version = tuple[int, dict]


@dataclass(slots=True)
class Snapshot:
    """The records of one type at `now`, in id order, with their ids for cursor bisection."""

    now: int
    active: list[Record]
    active_ids: list[int]
    archived: list[Record]
    archived_ids: list[int]


class CrmType:
    """One object type (contacts, companies or deals)."""

    def __init__(self, schema: ObjectSchema, records: list[Record], drift_value: Callable[[dict, dict], str]):
        self.schema = schema
        self.records = Collection(records, sort_key=lambda r: int(r.id))
        self._drift, self._drift_value = schema.drift.name, drift_value
        self._snapshot: Snapshot | None = None
        self._sources = {p.name: "CALCULATED" if p.calculated else "INTEGRATION" if p.custom else "CRM_UI"
                         for p in schema.by_name.values()}
        self.created: dict[str, tuple[Prop, int]] = {}  # properties created through the API: name -> (prop, when)

    def prop(self, name: str) -> Prop:
        """The definition of a known property (HubSpot's, ours, the drift one or one created through the API)."""
        return self.schema.by_name[name] if name in self.schema.by_name else self.created[name][0]

    def snapshot(self, now: int) -> Snapshot:
        s = self._snapshot
        if s is None or s.now != now:
            active = self.records.visible(now)
            archived = [r for r in self.records if r.deleted is not None and r.deleted <= now]
            s = self._snapshot = Snapshot(now, active, [int(r.id) for r in active], archived,
                                          [int(r.id) for r in archived])
        return s

    def get(self, record_id: str, now: int, archived: bool) -> Record | None:
        r = self.records.by_id.get(record_id)
        if r is None or r.created > now or is_archived(r, now) != archived:
            return None
        return r

    def page(self, now: int, after: int | None, limit: int, archived: bool) -> tuple[list[Record], int | None]:
        """Up to `limit` records with an id from `after` on, and the next cursor (last id + 1, as HubSpot)."""
        snap = self.snapshot(now)
        records, ids = (snap.archived, snap.archived_ids) if archived else (snap.active, snap.active_ids)
        start = bisect.bisect_left(ids, after) if after is not None else 0
        end = start + limit
        return records[start:end], ids[end - 1] + 1 if end < len(ids) else None

    def known(self, drift_at: int | None) -> set[str]:
        names = {p.name for p in self.schema.props} | set(self.created)
        return names | {self.schema.drift.name} if drift_at is not None else names

    def names(self, requested: list[str] | None, drift_at: int | None) -> list[str]:
        """The properties a response carries: the requested known ones (or the defaults) plus the always-returned."""
        if not requested:
            return sorted(self.schema.defaults)
        known = self.known(drift_at)
        return sorted({n for n in requested if n in known} | set(self.schema.always))

    def value(self, r: Record, version: Version, name: str, drift_at: int | None) -> str | None:
        """A property of `r` as of `version` (changing properties live in the version, the others in the base)."""
        t, state = version
        if name in state:
            return state[name]
        if name == self._drift:
            # only records changed since the drift began carry the new property
            return self._drift_value(r.extra["base"], state) if drift_at is not None and t >= drift_at else None
        return r.extra["base"].get(name)

    def updated(self, r: Record, version: Version, at: int) -> str:
        """`updatedAt`: the last change, the archival included."""
        return iso(r.deleted) if is_archived(r, at) else version[1][self.schema.modified[0]]

    def render(self, r: Record, at: int, names: list[str], drift_at: int | None, history: list[str] = ()) -> dict:
        v = r.version_at(at)
        out = {"id": r.id, "properties": {n: self.value(r, v, n, drift_at) for n in names},
               "createdAt": r.extra["base"]["createdate"], "updatedAt": self.updated(r, v, at),
               "archived": is_archived(r, at)}
        if out["archived"]:
            out["archivedAt"] = out["updatedAt"]
        if history:
            out["propertiesWithHistory"] = {n: self.history(r, at, n, drift_at) for n in history}
        return out

    def history(self, r: Record, at: int, name: str, drift_at: int | None) -> list[dict]:
        """The values a property had, newest first (a cleared value shows as an empty string)."""
        out, prev = [], None
        for version in r.versions:
            if version[0] > at:
                break
            val = self.value(r, version, name, drift_at)
            if val != prev:
                out.append({"value": val if val is not None else "", "timestamp": iso(version[0]),
                            "sourceType": self._sources.get(name, "INTEGRATION")})
            prev = val
        return out[::-1]

    def truth(self, now: int, drift_at: int | None) -> Iterator[dict]:
        """Every record created by `now`, archived ones marked `_deleted`, in id order."""
        snap = self.snapshot(now)
        names = [p.name for p in self.schema.props]
        drift = self.schema.drift.name
        for r in heapq.merge(snap.active, snap.archived, key=lambda r: int(r.id)):
            v = r.version_at(now)
            row = {"id": r.id, **{n: self.value(r, v, n, drift_at) for n in names},
                   "createdAt": r.extra["base"]["createdate"], "updatedAt": self.updated(r, v, now)}
            for extra in (drift, *self.created):  # carried only by the records that have a value
                if (carried := self.value(r, v, extra, drift_at)) is not None:
                    row[extra] = carried
            if is_archived(r, now):
                row["_deleted"] = True
            yield row


def is_archived(r: Record, at: int) -> bool:
    return r.deleted is not None and r.deleted <= at


class AssociationIndex:
    """Associations between records; one is visible while both of its records exist."""

    def __init__(self, types: dict[str, CrmType], links: Associations):
        self.types, self.links = types, links

    def targets(self, from_type: str, from_id: str, to_type: str, at: int) -> list[tuple[str, bool]]:
        src = self.types[from_type].records.by_id.get(from_id)
        if src is None or not src.exists_at(at):
            return []
        dst = self.types[to_type].records.by_id
        return [(t, primary) for t, primary in self.links.get((from_type, to_type), {}).get(from_id, ())
                if dst[t].exists_at(at)]

    @staticmethod
    def kinds(from_type: str, to_type: str, primary: bool):
        plain, labelled = ASSOCIATION_TYPES[(from_type, to_type)]
        return (labelled, plain) if primary and labelled else (plain,)

    def v4(self, from_type: str, from_id: str, to_type: str, at: int) -> list[dict]:
        return [{"toObjectId": int(t), "associationTypes": [
                    {"category": "HUBSPOT_DEFINED", "typeId": k.type_id, "label": k.label}
                    for k in self.kinds(from_type, to_type, primary)]}
                for t, primary in self.targets(from_type, from_id, to_type, at)]

    def v3(self, from_type: str, from_id: str, to_type: str, at: int) -> list[dict]:
        return [{"id": t, "type": k.name} for t, primary in self.targets(from_type, from_id, to_type, at)
                for k in self.kinds(from_type, to_type, primary)]

    def truth(self, now: int) -> Iterator[dict]:
        """Every visible association, one row per association type, by (from_type, to_type, from_id, to_id, type_id)."""
        for (ft, tt), by_from in sorted(self.links.items()):
            for f in sorted(by_from, key=int):
                for t, primary in self.targets(ft, f, tt, now):
                    for k in self.kinds(ft, tt, primary):
                        yield {"from_type": ft, "from_id": f, "to_type": tt, "to_id": t, "type_id": k.type_id,
                               "label": k.label, "category": "HUBSPOT_DEFINED"}
