"""Stripe list semantics: query parsing, cursor paging over newest-first lists, filters and `expand[]`.

Every list is a Python list sorted by `newest_first` (created descending, ties by id descending).
What is visible at `now`, a `created[…]` range and a cursor are all found by bisection, so a page
costs O(log n + page) whatever the list's size; filters without an index skip rows while paging.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from dataclasses import dataclass, field
from typing import Callable

from sandbox.store import Record
from sandbox.stripe.ids import newest_first

MAX_LIMIT = 100


class StripeError(Exception):
    """An API error answered in Stripe's shape: {"error": {"type", "message", "code"?, "param"?}}."""

    def __init__(self, status: int, message: str, code: str | None = None, param: str | None = None,
                 type: str = "invalid_request_error"):
        super().__init__(message)
        self.status, self.message, self.code, self.param, self.type = status, message, code, param, type

    def body(self) -> dict:
        err = {"message": self.message, "type": self.type}
        if self.code:
            err["code"] = self.code
            err["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            err["param"] = self.param
        return {"error": err}


def missing(kind: str, object_id: str, param: str = "id", status: int = 404) -> StripeError:
    return StripeError(status, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


def parse_query(items: list[tuple[str, str]]) -> dict:
    """Stripe's form encoding: `a=1`, `a[]=x` / `a[0]=x` (lists), `a[gte]=1` (hashes)."""
    out: dict = {}
    for key, value in items:
        if "[" in key and key.endswith("]"):
            name, sub = key[:-1].split("[", 1)
            if sub == "" or sub.isdigit():
                out.setdefault(name, []).append(value)
            else:
                out.setdefault(name, {})[sub] = value
        else:
            out[key] = value
    return out


def _int(value, param: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise StripeError(400, f"Invalid integer: {value}", param=param) from None


def created_bounds(created) -> tuple[int | None, int | None]:
    """(gte, lte) from `created=…` or `created[gt|gte|lt|lte]=…`."""
    if created is None:
        return None, None
    if isinstance(created, str):
        t = _int(created, "created")
        return t, t
    if not isinstance(created, dict):
        raise StripeError(400, "Invalid timestamp: must be an integer Unix timestamp or a hash", param="created")
    gte = lte = None
    for op, value in created.items():
        t = _int(value, f"created[{op}]")
        if op == "gte":
            gte = t if gte is None else max(gte, t)
        elif op == "gt":
            gte = t + 1 if gte is None else max(gte, t + 1)
        elif op == "lte":
            lte = t if lte is None else min(lte, t)
        elif op == "lt":
            lte = t - 1 if lte is None else min(lte, t - 1)
        else:
            raise StripeError(400, f"Received unknown parameter: created[{op}]", param=f"created[{op}]")
    return gte, lte


def parse_limit(params: dict) -> int:
    if "limit" not in params:
        return 10
    limit = _int(params["limit"], "limit")
    if limit > MAX_LIMIT:
        raise StripeError(400, f"This value must be less than or equal to {MAX_LIMIT}.", param="limit")
    if limit < 1:
        raise StripeError(400, "This value must be greater than or equal to 1.", param="limit")
    return limit


def page(rows: list, limit: int, gte: int | None, lte: int | None, after: Record | None, before: Record | None,
         keep: Callable[[object], bool] | None) -> tuple[list, bool]:
    """Up to `limit` rows (newest first) created in [gte, lte] after/before a cursor that pass `keep`."""
    lo = 0 if lte is None else bisect_left(rows, (-lte, ""), key=newest_first)
    hi = len(rows) if gte is None else bisect_left(rows, (-gte + 1, ""), key=newest_first)
    out: list = []
    if before is not None:
        i = min(hi, bisect_left(rows, newest_first(before), lo, hi, key=newest_first))
        while i > lo:
            i -= 1
            r = rows[i]
            if keep is None or keep(r):
                if len(out) == limit:
                    return out[::-1], True
                out.append(r)
        return out[::-1], False
    i = lo if after is None else max(lo, bisect_right(rows, newest_first(after), lo, hi, key=newest_first))
    while i < hi:
        r = rows[i]
        i += 1
        if keep is None or keep(r):
            if len(out) == limit:
                return out, True
            out.append(r)
    return out, False


@dataclass
class Resource:
    """One listable/retrievable collection: `/v1/<name>` and `/v1/<name>/{id}`."""

    name: str  # URL segment: customers, invoices…
    kind: str  # object kind the renderer knows
    rows: list  # every record, sorted newest first
    by_id: dict
    # param -> the static field (Record.extra) it filters on, served from a per-value index
    indexes: dict[str, str] = field(default_factory=dict)
    # param -> builds a predicate from the param's value (None when absent) and `now`; None = no filter
    predicates: dict[str, Callable[[object, int], Callable[[object], bool] | None]] = field(default_factory=dict)
    visible: Callable[[Record, int], bool] | None = None  # extra visibility rule (deleted customers)
    retention: int | None = None  # only rows created within this many seconds before now are listed (events)

    def __post_init__(self) -> None:
        self._index: dict[str, dict[str, list]] = {}
        for param, name in self.indexes.items():
            groups: dict[str, list] = {}
            for r in self.rows:  # grouping keeps the newest-first order
                groups.setdefault(r.extra[name], []).append(r)
            self._index[param] = groups

    @property
    def url(self) -> str:
        return f"/v1/{self.name}"

    def index_rows(self, param: str, value: str) -> list:
        return self._index[param].get(value, [])

    def add(self, row) -> None:
        """Inserts a row made after the build (events planted on advance) in list order."""
        insort(self.rows, row, key=newest_first)
        self.by_id[row.id] = row


def split_expand(params: dict, listing: bool) -> list[list[str]]:
    """`expand[]` paths; on lists they address the objects as `data.<field>`."""
    raw = params.get("expand", [])
    paths = [raw] if isinstance(raw, str) else list(raw)
    out = []
    for path in paths:
        parts = path.split(".")
        if listing:
            if parts[0] != "data" or len(parts) < 2:
                raise StripeError(400, f"This property cannot be expanded ({path}).", param="expand")
            parts = parts[1:]
        out.append(parts)
    return out
