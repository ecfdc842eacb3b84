"""Jira Cloud: issues and their changelog, projects, users, sprints and versions.

Where dlt's verified Jira source re-reads every issue on every run, this one reads only the issues
updated since the last sync, and still keeps each table equal to Jira:

- **Issues** come from `/search/jql` with `updated >= "yyyy/MM/dd HH:mm" ORDER BY updated ASC`
  and `expand=changelog`. JQL dates are minutes of the *service user's* time zone (`myself`'s
  `timeZone`, not the site's): the cursor (the newest `updated` loaded, UTC in the resource state)
  is converted to that zone, floored to the minute and moved back by a lookback, so updates later
  in the same minute as the newest row, and rows the search index showed late, are read again.
  Every table is merged on its key, so re-reading costs nothing but the request. The first run
  (no cursor) reads every issue.
- **Changelog** items come embedded in the same search results (the newest 100 histories of each
  issue); an issue with more is read whole from `/issue/{id}/changelog`. Histories never change,
  so re-reading an issue's merges to the same rows.
- **Deleted issues** vanish from Jira without a trace: each run compares the ids the warehouse
  holds as live with an ids-only search of every issue (5,000 ids a page) and soft-deletes the
  missing ones, and their changelog, as the warehouse's last copy with `_deleted = true`.
- **Projects, users, sprints and versions** are small: read whole every run; rows the warehouse
  holds but Jira no longer lists are soft-deleted the same way.

The issue search feeds two tables (`issues`, `issue_changelog`): it is one resource that is not
loaded itself (`issue_search`), with the two tables as its transformers. Its cursor moves only in
runs that load both.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC

import dlt
import pyarrow as pa
from dlt.extract.resource import DltResource

from pipelines.sources.common.arrow import TableSpec, to_arrow
from pipelines.sources.common.progress import SyncProgress
from pipelines.sources.jira.helpers import (
    JiraApi,
    NotFound,
    changelog_rows,
    issue_row,
    jql_minute,
    loaded_copies,
    loaded_live_keys,
    parse_time,
)
from pipelines.sources.jira.settings import (
    DESCRIPTIONS,
    ID_PAGE,
    ISSUE_CHANGELOG,
    ISSUES,
    LOOKBACK,
    PROJECTS,
    SCOPE_JQL,
    SEARCH_PAGE,
    SPRINTS,
    URL,
    USERS,
    VERSION_PAGE,
    VERSIONS,
)

MERGE = {"disposition": "merge", "strategy": "delete-insert"}
Rows = list[dict] | pa.Table  # a page of API objects, or the warehouse's copy of rows now deleted


@dataclass(frozen=True)
class IssueBatch:
    """A page of search results (with their embedded changelog), or the ids of issues Jira no longer has."""

    issues: list[dict] = field(default_factory=list)
    vanished: frozenset[str] = frozenset()


@dlt.source(name="jira", max_table_nesting=0)
def jira_source(url: str = URL, email: str = dlt.secrets.value, api_token: str = dlt.secrets.value,
                progress: SyncProgress | None = None):
    """Jira Cloud's issues, changelog, projects, users, sprints and versions, one resource per table,
    each merged on its key (see the module's doc for how each stays equal to Jira). `url` is the site
    (`https://<site>.atlassian.net`); `email` and `api_token` are the service user's API token."""
    api = JiraApi(url, email, api_token)
    out = _Output(progress)
    search = _issue_search(api, consumers=(ISSUES.name, ISSUE_CHANGELOG.name))
    return [
        search | out.transformer(ISSUES, lambda b: _issues(api, b)),
        search | out.transformer(ISSUE_CHANGELOG, lambda b: _changelog(api, b)),
        out.resource(PROJECTS, lambda: _full_read(PROJECTS, _projects(api))),
        out.resource(USERS, lambda: _full_read(USERS, api.users())),
        out.resource(SPRINTS, lambda: _full_read(SPRINTS, _sprints(api))),
        out.resource(VERSIONS, lambda: _full_read(VERSIONS, _versions(api))),
    ]


class _Output:
    """Pages → Arrow tables with `_deleted`, progress per page, merge hints per table."""

    def __init__(self, progress: SyncProgress | None):
        self.progress = progress

    def pages(self, spec: TableSpec, pages: Iterable[Rows]) -> Iterator[pa.Table]:
        for page in pages:
            table = page if isinstance(page, pa.Table) else to_arrow(page, spec, extra={"_deleted": False})
            if table.num_rows:
                if self.progress is not None:
                    self.progress.page(spec.name, table.num_rows)
                yield table

    def resource(self, spec: TableSpec, pages: Callable[[], Iterable[Rows]]) -> DltResource:
        res = dlt.resource(lambda: self.pages(spec, pages()), name=spec.name, **_hints(spec))
        res.__doc__ = DESCRIPTIONS[spec.name]
        return res

    def transformer(self, spec: TableSpec, pages: Callable[[IssueBatch], Iterable[Rows]]) -> DltResource:
        def transform(batch: IssueBatch) -> Iterator[pa.Table]:
            yield from self.pages(spec, pages(batch))
        res = dlt.transformer(transform, name=spec.name, **_hints(spec))
        res.__doc__ = DESCRIPTIONS[spec.name]
        return res


def _hints(spec: TableSpec) -> dict:
    columns = spec.dlt_columns()
    if spec is ISSUES:  # an issue read twice in one run (updated while we paged): keep its newest version
        columns.setdefault("updated", {})["dedup_sort"] = "desc"
    return {"write_disposition": MERGE, "primary_key": spec.primary_key, "columns": columns}


# --- issues ---------------------------------------------------------------------------------------

def _issue_search(api: JiraApi, consumers: tuple[str, ...]) -> DltResource:
    def batches() -> Iterator[IssueBatch]:
        state = dlt.current.resource_state()
        if not set(consumers) <= set(dlt.current.source().selected_resources):
            state = dict(state)  # a run loading only one of the tables must not move the shared cursor
        yield from _search(api, state)
    return dlt.resource(batches, name="issue_search", selected=False)


def _search(api: JiraApi, state: dict) -> Iterator[IssueBatch]:
    """Issues updated since the cursor in `state` (all of them when there is none), then the ids of
    issues the warehouse holds as live but Jira no longer has; leaves the new cursor in `state`."""
    cursor = state.get("updated_cursor")
    where = f'updated >= "{jql_minute(parse_time(cursor), api.time_zone, LOOKBACK)}"' if cursor else SCOPE_JQL
    newest = parse_time(cursor) if cursor else None
    for page in api.search(f"{where} ORDER BY updated ASC", api.issue_fields(), SEARCH_PAGE, expand="changelog"):
        times = [parse_time(i["fields"]["updated"]) for i in page if (i.get("fields") or {}).get("updated")]
        newest = max([*times, newest] if newest else times, default=None)
        yield IssueBatch(page)
    known = loaded_live_keys(ISSUES.name, "id")
    if known:
        live = {i["id"] for page in api.search(f"{SCOPE_JQL} ORDER BY id ASC", ["id"], ID_PAGE) for i in page}
        if known - live:
            yield IssueBatch(vanished=frozenset(known - live))
    if newest is not None:
        state["updated_cursor"] = newest.astimezone(UTC).isoformat(timespec="milliseconds")


def _issues(api: JiraApi, batch: IssueBatch) -> Iterator[Rows]:
    if batch.issues:
        yield [issue_row(i, api.custom_fields) for i in batch.issues]
    copies = loaded_copies(ISSUES.name, "id", batch.vanished)
    if copies is not None:
        yield copies


def _changelog(api: JiraApi, batch: IssueBatch) -> Iterator[Rows]:
    rows = []
    for issue in batch.issues:
        log = issue.get("changelog") or {}
        histories = log.get("histories") or []
        if (log.get("total") or 0) > len(histories):  # search embeds only the newest 100
            histories = api.changelog(issue["id"])
        rows += changelog_rows(issue["id"], histories)
    if rows:
        yield rows
    copies = loaded_copies(ISSUE_CHANGELOG.name, "issue_id", batch.vanished)
    if copies is not None:
        yield copies


# --- tables read whole ----------------------------------------------------------------------------

def _full_read(spec: TableSpec, pages: Iterable[list[dict]]) -> Iterator[Rows]:
    """Every page, then the warehouse's live rows Jira no longer lists, flagged `_deleted`."""
    key = next(c for c in spec.columns if c.name == spec.primary_key).source_path[0]
    seen = set()
    for page in pages:
        seen.update(obj[key] for obj in page)
        yield page
    copies = loaded_copies(spec.name, spec.primary_key, loaded_live_keys(spec.name, spec.primary_key) - seen)
    if copies is not None:
        yield copies


def _projects(api: JiraApi) -> Iterator[list[dict]]:
    """Each project in detail (the list lacks the lead); one deleted since the listing is skipped."""
    details = []
    for project in api.projects:
        try:
            details.append(api.get(f"project/{project['id']}"))
        except NotFound:
            continue
    yield details


def _sprints(api: JiraApi) -> Iterator[list[dict]]:
    """The sprints of every scrum board (a sprint shows on every board that shares it: kept once)."""
    seen = set()
    for boards in api.offset_pages("board", {"type": "scrum"}, agile=True):
        for board in boards:
            for page in api.offset_pages(f"board/{board['id']}/sprint", agile=True):
                fresh = [s for s in page if s["id"] not in seen]
                seen.update(s["id"] for s in fresh)
                yield fresh


def _versions(api: JiraApi) -> Iterator[list[dict]]:
    for project in api.projects:
        try:
            yield from api.offset_pages(f"project/{project['id']}/version", page_size=VERSION_PAGE)
        except NotFound:  # the project was deleted since the listing
            continue
