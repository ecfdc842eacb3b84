"""CRM search: filter groups (OR of ANDs), one sort, offset paging, and HubSpot's limits.

Times in filters are epoch milliseconds (or ISO 8601), as HubSpot takes them. A query can page
through at most 10,000 results (`after + limit` beyond that is a 400), while `total` still
counts every match: a sync that needs more must split its window.
"""
from __future__ import annotations

import bisect
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable

from sandbox.store import Record
from sandbox.timeutil import parse_iso

from sandbox.hubspot.crm import CrmType

MAX_RESULTS = 10_000
MAX_LIMIT = 200
DEFAULT_LIMIT = 10
MAX_GROUPS, MAX_FILTERS_PER_GROUP, MAX_FILTERS = 5, 6, 18
RANGE_OPS = {"EQ", "LT", "LTE", "GT", "GTE", "BETWEEN"}
CACHED_QUERIES = 16  # results and time indexes kept for paging, per object type
OPERATORS = {"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN", "HAS_PROPERTY", "NOT_HAS_PROPERTY",
             "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"}
# what a free-text `query` looks in
TEXT_PROPERTIES = {"contacts": ("firstname", "lastname", "email", "phone", "company"),
                   "companies": ("name", "domain"),
                   "deals": ("dealname", "pipeline", "dealstage", "dealtype")}


class SearchError(Exception):
    """A request HubSpot rejects with 400 VALIDATION_ERROR."""


@dataclass(frozen=True)
class Filter:
    prop: str
    op: str
    value: Any = None
    high: Any = None
    values: frozenset = frozenset()
    pattern: re.Pattern | None = None


@dataclass(frozen=True)
class Query:
    groups: tuple[tuple[Filter, ...], ...]
    sort: tuple[str, bool] | None  # (property, descending)
    text: tuple[str, ...]
    properties: list[str] | None
    limit: int
    after: int


def _ms(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    return int(value) if value.lstrip("-").isdigit() else int(parse_iso(value) * 1000)


def _date_ms(value: str | None) -> int | None:
    """A date property (`2026-11-02`, or midnight UTC in epoch milliseconds) as epoch milliseconds."""
    if value is None or value == "" or value.lstrip("-").isdigit():
        return _ms(value)
    return int(parse_iso(value[:10] + "T00:00:00Z") * 1000)


def _number(value: str | None) -> float | None:
    return None if value is None or value == "" else float(value)


def _lower(value: str | None) -> str | None:
    return value.lower() if value is not None else None


# how a property's values compare, by HubSpot property type
_CONVERT: dict[str, Callable[[str | None], Any]] = {
    "datetime": _ms, "date": _date_ms, "number": _number, "string": _lower, "enumeration": lambda v: v, "bool": lambda v: v}


def parse(body: Any, crm: CrmType, drift_at: int | None) -> Query:
    if not isinstance(body, dict):
        raise SearchError("Invalid input JSON: expected an object")
    known = crm.known(drift_at)
    groups = body.get("filterGroups") or []
    if len(groups) > MAX_GROUPS:
        raise SearchError(f"Too many filter groups ({len(groups)}). The maximum is {MAX_GROUPS}.")
    parsed = []
    for g in groups:
        filters = g.get("filters") or []
        if len(filters) > MAX_FILTERS_PER_GROUP:
            raise SearchError(f"Too many filters in a filter group ({len(filters)}). The maximum is {MAX_FILTERS_PER_GROUP}.")
        parsed.append(tuple(_filter(f, crm, known) for f in filters))
    if sum(len(g) for g in parsed) > MAX_FILTERS:
        raise SearchError(f"Too many filters. The maximum is {MAX_FILTERS} in total.")
    sorts = body.get("sorts") or []
    if len(sorts) > 1:
        raise SearchError("Only one sort can be applied to a search.")
    sort = None
    if sorts:
        s = sorts[0]
        if isinstance(s, str):  # the short form: "createdate" or "-createdate"
            sort = (s.lstrip("-"), s.startswith("-"))
        else:
            sort = (s.get("propertyName", ""), s.get("direction", "ASCENDING") == "DESCENDING")
        if sort[0] not in known:
            raise SearchError(f"Unable to sort by unknown property {sort[0]!r}.")
    try:
        limit = int(body.get("limit") or DEFAULT_LIMIT)
        after = int(body.get("after") or 0)
    except (TypeError, ValueError):
        raise SearchError("limit and after must be integers.") from None
    if not 0 < limit <= MAX_LIMIT or after < 0:
        raise SearchError(f"limit must be between 1 and {MAX_LIMIT}, after at least 0.")
    text = tuple((body.get("query") or "").lower().split())
    return Query(tuple(parsed), sort, text, body.get("properties") or None, limit, after)


def _filter(f: dict, crm: CrmType, known: set[str]) -> Filter:
    name, op = f.get("propertyName"), f.get("operator", "EQ")
    if name not in known:
        raise SearchError(f"Unable to filter by unknown property {name!r}.")
    if op not in OPERATORS:
        raise SearchError(f"Unknown filter operator {op!r}.")
    convert = _CONVERT[crm.prop(name).type]
    try:
        if op in ("IN", "NOT_IN"):
            return Filter(name, op, values=frozenset(convert(str(v)) for v in f.get("values") or ()))
        if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
            glob = re.escape(str(f.get("value", "")).lower()).replace(r"\*", ".*")
            return Filter(name, op, pattern=re.compile(glob))
        if op in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
            return Filter(name, op)
        if f.get("value") is None or (op == "BETWEEN" and f.get("highValue") is None):
            raise SearchError(f"Operator {op} on {name!r} needs a value{' and a highValue' if op == 'BETWEEN' else ''}.")
        return Filter(name, op, convert(str(f["value"])), convert(str(f["highValue"])) if op == "BETWEEN" else None)
    except ValueError:
        raise SearchError(f"Invalid value for {name!r}: {f.get('value')!r}") from None


def _holds(f: Filter, x: Any) -> bool:
    op = f.op
    if op == "HAS_PROPERTY":
        return x is not None and x != ""
    if op == "NOT_HAS_PROPERTY":
        return x is None or x == ""
    if op == "NEQ":
        return x != f.value
    if op == "NOT_IN":
        return x not in f.values
    if op == "NOT_CONTAINS_TOKEN":
        return x is None or not _has_token(f.pattern, x)
    if x is None:
        return False
    if op == "EQ":
        return x == f.value
    if op == "IN":
        return x in f.values
    if op == "CONTAINS_TOKEN":
        return _has_token(f.pattern, x)
    if op == "BETWEEN":
        return f.value <= x <= f.high
    return {"LT": x < f.value, "LTE": x <= f.value, "GT": x > f.value, "GTE": x >= f.value}[op]


def _has_token(pattern: re.Pattern, x: str) -> bool:
    x = str(x).lower()
    return bool(pattern.fullmatch(x)) or any(pattern.fullmatch(t) for t in re.split(r"[\s,;]+", x))


class Searcher:
    """Runs queries on one object type; results are cached per (world time, query) for paging."""

    def __init__(self, crm: CrmType):
        self.crm = crm
        self._cache: OrderedDict[tuple, object] = OrderedDict()

    def forget(self) -> None:
        self._cache.clear()

    def matches(self, q: Query, now: int, at: int, drift_at: int | None) -> list[Record]:
        """Every record matching `q` as the search index saw it at `at` (`now` unless it lags), sorted."""
        key = (at, drift_at, q.groups, q.sort, q.text)
        out = self._cached(key)
        if out is None:
            out = self._time_window(q, now, at)
            if out is None:
                out = self._scan(q, now, at, drift_at)
            self._remember(key, out)
        return out

    def _cached(self, key: tuple):
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        return None

    def _remember(self, key: tuple, value) -> None:
        self._cache[key] = value
        if len(self._cache) > CACHED_QUERIES:
            self._cache.popitem(last=False)

    def _pool(self, now: int, at: int) -> list[Record]:
        """The records the index holds at `at`, in id order."""
        crm = self.crm
        return crm.snapshot(now).active if at == now else [r for r in crm.records if r.exists_at(at)]

    def _time_window(self, q: Query, now: int, at: int) -> list[Record] | None:
        """The matches of a time-window query (the incremental sync's: one group of range filters on
        the last-modified or create date, sorted ascending by it or not at all) by bisecting a sorted
        index; None for any other query."""
        if q.text or len(q.groups) != 1 or len({f.prop for f in q.groups[0]}) != 1:
            return None
        prop = q.groups[0][0].prop
        if (prop not in (self.crm.schema.modified[0], "createdate") or any(f.op not in RANGE_OPS for f in q.groups[0])
                or (q.sort and (q.sort[0] != prop or q.sort[1]))):
            return None
        index = self._cached(("index", prop, at))
        if index is None:
            get = self._getter(prop, None)
            # the pool is in id order and sorting is stable, so ties stay in id order
            pairs = sorted(((get(r, r.version_at(at)), r) for r in self._pool(now, at)), key=lambda p: p[0])
            index = ([p[0] for p in pairs], [p[1] for p in pairs])
            self._remember(("index", prop, at), index)
        times, records = index
        lo, hi = 0, len(times)
        for f in q.groups[0]:
            if f.op in ("GT", "GTE", "EQ", "BETWEEN"):
                lo = max(lo, (bisect.bisect_right if f.op == "GT" else bisect.bisect_left)(times, f.value))
            if f.op in ("LT", "LTE", "EQ", "BETWEEN"):
                bound = f.high if f.op == "BETWEEN" else f.value
                hi = min(hi, (bisect.bisect_left if f.op == "LT" else bisect.bisect_right)(times, bound))
        out = records[lo:hi]
        if not q.sort and prop != "createdate":  # HubSpot's default order: oldest first
            out.sort(key=lambda r: (r.created, int(r.id)))
        return out

    def _scan(self, q: Query, now: int, at: int, drift_at: int | None) -> list[Record]:
        crm = self.crm
        pool = self._pool(now, at)
        groups = [[(f, self._getter(f.prop, drift_at)) for f in g] for g in q.groups]
        text_props = TEXT_PROPERTIES[crm.schema.name]
        sort_get = self._getter(q.sort[0] if q.sort else "createdate", drift_at)
        keyed = []
        for r in pool:
            v = r.version_at(at)
            if groups and not any(all(get is not None and _holds(f, get(r, v)) for f, get in g) for g in groups):
                continue
            if q.text:
                hay = " ".join(crm.value(r, v, n, drift_at) or "" for n in text_props).lower()
                if not all(term in hay for term in q.text):
                    continue
            keyed.append((sort_get(r, v) if sort_get else None, r))
        # the pool is in id order and sorting is stable, so ties stay in id order
        present = [k for k in keyed if k[0] is not None]
        present.sort(key=lambda k: k[0], reverse=bool(q.sort and q.sort[1]))
        return [k[1] for k in present] + [k[1] for k in keyed if k[0] is None]  # records without a value come last

    def _getter(self, name: str, drift_at: int | None) -> Callable[[Record, tuple], Any] | None:
        """How the index reads a property (None: not indexed, so no filter on it matches)."""
        schema, crm = self.crm.schema, self.crm
        if name in schema.modified[1:]:
            return None
        if name == schema.modified[0]:
            return lambda r, v: v[0] * 1000
        if name == "createdate":
            return lambda r, v: r.created * 1000
        if name == "hs_object_id":
            return lambda r, v: int(r.id)
        convert = _CONVERT[crm.prop(name).type]
        return lambda r, v: convert(crm.value(r, v, name, drift_at))


def page(matches: list[Record], q: Query) -> tuple[list[Record], int | None]:
    """The page of `q` and the next offset; paging past 10,000 results of one query is refused."""
    if q.after + q.limit > MAX_RESULTS:
        raise SearchError("There was a problem with the request.")
    end = q.after + q.limit
    return matches[q.after:end], end if end < len(matches) else None
