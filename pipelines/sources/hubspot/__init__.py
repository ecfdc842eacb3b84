"""HubSpot CRM: contacts, companies, deals, their associations, the sales owners and the deal pipelines.

Unlike dlt's verified HubSpot source, which re-reads every object on every run, this source reads
only what changed:

* **contacts, companies, deals**: the first sync lists every object (`after` paging); later syncs
  search on the modified date (`lastmodifieddate` for contacts, `hs_lastmodifieddate` otherwise)
  from the cursor minus `LOOKBACK_SECONDS`, oldest change first, restarting the window at the last
  time seen whenever a query reaches HubSpot's 10,000-result cap. The cursor is HubSpot's clock at
  the first sync, then the newest modified date seen. Search never returns archived objects: each
  sync reads the `archived=true` lists and loads the ones archived since its previous read with
  `_deleted = true`. Properties: a fixed list per type plus any property created since the first
  sync (schema drift), learnt from `/crm/v3/properties` on every run.
* **associations**: after the objects, the association sets of every object that changed or was
  archived are read with the v4 batch API and replace what was loaded (merge key: the from-side
  object and the target type), together with the sets that point back at them, found in the fresh
  read and in the warehouse (an archived object's associations vanish from both sides).
* **owners, pipelines, pipeline_stages**: small, read in full on every run.

Every table is merged on its primary key; state lives in dlt's resource and source state.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Callable, Iterable, Iterator

import dlt
import pyarrow as pa
from dlt.extract.resource import DltResource

from pipelines.sources.common.arrow import to_arrow
from pipelines.sources.common.progress import SyncProgress
from pipelines.sources.hubspot.helpers import (HubSpotApi, epoch_ms, loaded_association_sources, modified_ms,
                                               vanished)
from pipelines.sources.hubspot.settings import (API_BASE, ARROW_BATCH_ROWS, ASSOCIATION_SET, ASSOCIATIONS,
                                                LOOKBACK_SECONDS, OBJECT_SPECS, OBJECT_TYPES, OWNERS, PIPELINE_STAGES,
                                                PIPELINES, PROPERTIES, PROPERTY_FAMILIES)

MERGE = {"disposition": "merge", "strategy": "delete-insert"}
PENDING = "associations_pending"  # source state: object type -> ids whose association sets to re-read


def wanted_properties(object_type: str, definitions: list[dict], since: int) -> list[str]:
    """The fixed properties, the listed ones of a requested family, and those created at or after `since`."""
    families = PROPERTY_FAMILIES[object_type]
    extra = {d["name"] for d in definitions
             if d["name"].startswith(families) or (d.get("createdAt") and epoch_ms(d["createdAt"]) >= since * 1000)}
    return sorted(set(PROPERTIES[object_type]) | extra)


def _batches(pages: Iterable[list[dict]], table: str, report: Callable[[str, int], None]) -> Iterator[list[dict]]:
    """API pages regrouped into batches of at least `ARROW_BATCH_ROWS` objects (the last one may be
    smaller): dlt's cost is per Arrow table, so 100-object tables would spend more in dlt than in HubSpot."""
    batch: list[dict] = []
    for rows in pages:
        report(table, len(rows))
        batch += rows
        if len(batch) >= ARROW_BATCH_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


def _flatten(record: dict) -> dict:
    """A CRM object with its properties as top-level fields."""
    return {**record["properties"], **{k: v for k, v in record.items() if k != "properties"}}


@dlt.source(name="hubspot", max_table_nesting=0)
def hubspot_source(access_token: str = dlt.secrets.value, api_base: str = API_BASE,
                   progress: SyncProgress | None = None) -> Iterator[DltResource]:
    """HubSpot CRM objects, associations, owners and deal pipelines, incremental where HubSpot allows.

    `access_token` is a private-app token with the `crm.objects.*.read`, `crm.schemas.*.read` and
    owners scopes; `api_base` is HubSpot's API root (the sandbox's `/hubspot` root in tests)."""
    api = HubSpotApi(access_token, api_base)
    finished: set[str] = set()  # object resources that are done in this run

    def report(table: str, rows: int) -> None:
        if progress is not None:
            progress.page(table, rows)

    for object_type in OBJECT_TYPES:
        yield _objects(api, object_type, finished, report)

    @dlt.resource(name="associations", primary_key=list(ASSOCIATIONS.primary_key), merge_key=list(ASSOCIATION_SET),
                  write_disposition=MERGE, columns={**ASSOCIATIONS.dlt_columns(), "_deleted": {"hard_delete": True}})
    def associations() -> Iterator[pa.Table | None]:
        """Associations between contacts, companies and deals: one row per direction and association type."""
        selected = set(OBJECT_TYPES) & set(dlt.current.source().selected_resources)
        while not selected <= finished:
            yield None  # let the object resources of this run finish first: they say what changed
        pending = dlt.current.source_state().setdefault(PENDING, {})
        changed = {t: sorted(set(ids)) for t, ids in pending.items() if ids}
        linked: dict[tuple[str, str], set[str]] = defaultdict(set)  # (from type, to type) -> ids of from-side objects
        for to_type, ids in changed.items():
            for from_type, from_id in loaded_association_sources(to_type, ids):
                linked[(from_type, to_type)].add(from_id)
        for from_type, ids in changed.items():
            for to_type in OBJECT_TYPES:
                if to_type != from_type:
                    for rows, empty in api.associations(from_type, to_type, ids):
                        linked[(to_type, from_type)].update(r["to_id"] for r in rows)
                        yield _association_page(rows, from_type, to_type, empty, report)
        for (from_type, to_type), ids in linked.items():
            rest = sorted(ids - set(changed.get(from_type, ())))  # changed objects' sets were just read
            for rows, empty in api.associations(from_type, to_type, rest):
                yield _association_page(rows, from_type, to_type, empty, report)
        pending.clear()

    @dlt.resource(name="owners", primary_key="id", write_disposition=MERGE, columns=OWNERS.dlt_columns())
    def owners() -> Iterator[pa.Table]:
        """The portal's users who own records; deactivated ones (`archived=true`) with `_deleted = true`."""
        for archived in (False, True):
            for page in api.owners(archived):
                if page.results:
                    report("owners", len(page.results))
                    yield to_arrow(page.results, OWNERS, {"_deleted": archived})

    @dlt.resource(name="pipelines", primary_key="id", write_disposition=MERGE, columns=PIPELINES.dlt_columns())
    def pipelines() -> Iterator[pa.Table]:
        """Deal pipelines; one HubSpot no longer lists is kept with `_deleted = true`."""
        rows = api.pipelines("deals")
        report("pipelines", len(rows))
        yield to_arrow(rows, PIPELINES, {"object_type": "deals"})
        if (gone := vanished("pipelines", ("id",), {(p["id"],) for p in rows})) is not None:
            yield gone

    @dlt.resource(name="pipeline_stages", primary_key=list(PIPELINE_STAGES.primary_key), write_disposition=MERGE,
                  columns=PIPELINE_STAGES.dlt_columns())
    def pipeline_stages() -> Iterator[pa.Table]:
        """The stages of each deal pipeline, with their probability and whether they close the deal."""
        rows = [{**s, "pipeline_id": p["id"]} for p in api.pipelines("deals") for s in p["stages"]]
        report("pipeline_stages", len(rows))
        yield to_arrow(rows, PIPELINE_STAGES)
        listed = {(s["pipeline_id"], s["id"]) for s in rows}
        if (gone := vanished("pipeline_stages", ("pipeline_id", "id"), listed)) is not None:
            yield gone

    yield from (owners, pipelines, pipeline_stages, associations)


def _association_page(rows: list[dict], from_type: str, to_type: str, empty: list[str],
                      report: Callable[[str, int], None]) -> pa.Table:
    """Association rows plus, for each object without any, a marker that empties its loaded set."""
    report("associations", len(rows))
    markers = [{"from_type": from_type, "from_id": i, "to_type": to_type, "to_id": "", "type_id": 0} for i in empty]
    table = to_arrow(rows + markers, ASSOCIATIONS)
    return table.append_column("_deleted", pa.array([False] * len(rows) + [True] * len(markers)))


def _objects(api: HubSpotApi, object_type: str, finished: set[str], report: Callable[[str, int], None]) -> DltResource:
    spec = OBJECT_SPECS[object_type]

    @dlt.resource(name=object_type, primary_key="id", write_disposition=MERGE, columns=spec.dlt_columns())
    def objects() -> Iterator[pa.Table]:
        state = dlt.current.resource_state()
        pending = dlt.current.source_state().setdefault(PENDING, {}).setdefault(object_type, [])
        definitions, started = api.properties(object_type)
        since = state.setdefault("properties_since", started)
        properties = wanted_properties(object_type, definitions, since)
        cursor = state.get("cursor_ms")
        if cursor is None:  # first sync: everything, by list; later changes are found from its start on
            pages, newest = api.objects(object_type, properties), started * 1000
        else:
            pages, newest = api.modified_since(object_type, cursor - LOOKBACK_SECONDS * 1000, properties), cursor
        for rows in _batches((page.results for page in pages), object_type, report):
            if cursor is not None:
                newest = max(newest, max(modified_ms(r, object_type) for r in rows))
            pending.extend(r["id"] for r in rows)
            yield to_arrow([_flatten(r) for r in rows], spec, {"_deleted": False})
        archived_since = state.get("archived_since")
        newly = None if archived_since is None else (archived_since - LOOKBACK_SECONDS) * 1000
        archived = ([r for r in page.results if newly is None or epoch_ms(r.get("archivedAt") or r["updatedAt"]) >= newly]
                    for page in api.objects(object_type, properties, archived=True))
        for rows in _batches(archived, object_type, report):
            pending.extend(r["id"] for r in rows)
            yield to_arrow([_flatten(r) for r in rows], spec, {"_deleted": True})
        state.update(cursor_ms=newest, archived_since=started)
        finished.add(object_type)

    objects.__doc__ = f"HubSpot {object_type}, one column per requested property; archived ones with `_deleted = true`."
    return objects
