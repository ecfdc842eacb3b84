"""Comparing a warehouse table with the sandbox's ground truth, field by field.

Values are normalised before comparison so that the same fact written differently compares equal:
datetimes (and ISO strings, and epoch seconds for fields named as times) become epoch seconds
rounded to the millisecond, JSON text becomes the decoded value, decimals become floats.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable

import duckdb


def normalise(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return round(value.timestamp(), 3)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str):
        s = value.strip()
        if s[:1] in "[{":
            try:
                return normalise(json.loads(s))
            except ValueError:
                return value
        if len(s) >= 19 and s[4] == "-" and s[10] in "T ":
            try:
                return normalise(datetime.fromisoformat(s.replace("Z", "+00:00")))
            except ValueError:
                return value
        return value
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalise(v) for v in value]
    return value


def warehouse_rows(warehouse: Path, schema: str, table: str) -> list[dict]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        cur = con.execute(f'select * from "{schema}"."{table}"')
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]
    finally:
        con.close()


def compare_with_truth(rows: list[dict], truth: Iterable[dict], key: str | tuple[str, ...],
                       fields: dict[str, str | Callable[[dict], Any]] | None = None) -> list[str]:
    """Differences between warehouse `rows` and `truth` (empty = equal): duplicates, missing and
    unexpected keys, soft-delete flags, and each field in `fields` (truth name -> warehouse column
    name or a function of the warehouse row). Truth rows not flagged `_deleted` must be present and
    not flagged; flagged ones must be flagged if present (a record created and deleted between two
    syncs was never seen by any sync, so it may be absent)."""
    keys = (key,) if isinstance(key, str) else key
    problems: list[str] = []
    by_key: dict[tuple, dict] = {}
    for r in rows:
        k = tuple(normalise(r[c]) for c in keys)
        if k in by_key:
            problems.append(f"duplicate key {k}")
        by_key[k] = r
    truth_keys = set()
    for t in truth:
        k = tuple(normalise(t[c]) for c in keys)
        truth_keys.add(k)
        r = by_key.get(k)
        if r is None:
            if not t.get("_deleted"):
                problems.append(f"missing {k}")
            continue
        if bool(t.get("_deleted")) != bool(r.get("_deleted")):
            problems.append(f"{k}: _deleted truth={bool(t.get('_deleted'))} warehouse={r.get('_deleted')}")
        for truth_field, column in (fields or {}).items():
            got = column(r) if callable(column) else r.get(column)
            if normalise(got) != normalise(t.get(truth_field)):
                problems.append(f"{k}.{truth_field}: truth={t.get(truth_field)!r} warehouse={got!r}")
    for k in by_key.keys() - truth_keys:
        problems.append(f"unexpected {k}")
    return problems
