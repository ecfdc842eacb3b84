"""API pages to Arrow tables, so dlt loads them without its slow row-by-row normaliser.

A `TableSpec` names the columns a table keeps, where each comes from in the API object and its
Arrow type. Top-level fields the spec does not name are kept too, as JSON text columns, so a
field the vendor adds later (schema drift) becomes a new column instead of being lost. A value
that does not fit its column's type (a type change) goes, as text, into a variant column
`<name>__v_text` beside it, the way dlt names variants: never a crash, never silent loss.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

import orjson
import pyarrow as pa

TIMESTAMP = pa.timestamp("us", tz="UTC")
JSON = "json"  # marker type: nested value kept as JSON text (dlt data_type "json")


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType | str  # an Arrow type, or JSON
    path: tuple[str, ...] = ()  # where in the API object; default (name,)
    convert: Callable[[Any], Any] | None = None  # applied to the raw value before typing

    @property
    def source_path(self) -> tuple[str, ...]:
        return self.path or (self.name,)


@dataclass(frozen=True)
class TableSpec:
    name: str
    primary_key: str | tuple[str, ...]
    columns: tuple[Column, ...]
    keep_unknown: bool = True  # unknown top-level fields become JSON text columns
    ignore: frozenset[str] = field(default_factory=frozenset)  # top-level fields never kept (e.g. bodies)

    def dlt_columns(self) -> dict[str, dict]:
        """Column hints for `@dlt.resource(columns=…)`: JSON columns typed json, the key not null."""
        keys = (self.primary_key,) if isinstance(self.primary_key, str) else self.primary_key
        hints = {c.name: {"data_type": "json"} for c in self.columns if c.type == JSON}
        for k in keys:
            hints.setdefault(k, {})["nullable"] = False
        return hints


def _get(obj: dict, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _timestamp(value: Any) -> Any:
    """Epoch seconds (or milliseconds) and ISO 8601 strings (any offset) to aware datetimes."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000 if abs(value) > 1e11 else value, tz=timezone.utc)
    return value


def _unknown(value: Any) -> str | None:
    """A field the spec does not name: text as is, anything else as JSON text."""
    return value if isinstance(value, str) or value is None else _json(value)


def _typed_array(values: list, typ: pa.DataType) -> tuple[pa.Array, list | None]:
    """An array of `typ`; values that do not fit are nulled and returned as text variants."""
    if pa.types.is_timestamp(typ):
        if all(type(v) is int for v in values if v is not None):  # epoch seconds: vectorised
            return pa.array(values, type=pa.int64()).cast(pa.timestamp("s", tz="UTC")).cast(typ), None
        values = [_timestamp(v) if v is not None else None for v in values]
    try:
        return pa.array(values, type=typ), None
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
        fitted, variants = [], []
        for v in values:
            try:
                pa.array([v], type=typ)
                fitted.append(v)
                variants.append(None)
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
                fitted.append(None)
                variants.append(v if isinstance(v, str) else _json(v))
        return pa.array(fitted, type=typ), variants


def to_arrow(rows: Iterable[dict], spec: TableSpec, extra: dict[str, Any] | None = None) -> pa.Table:
    """One Arrow table for a page of API objects (`extra` adds constant columns, e.g. `_deleted`)."""
    rows = list(rows)
    arrays: dict[str, pa.Array] = {}
    for col in spec.columns:
        path = col.source_path
        raw = [r.get(path[0]) for r in rows] if len(path) == 1 else [_get(r, path) for r in rows]
        if col.convert is not None:
            raw = [col.convert(v) for v in raw]
        if col.type == JSON:
            arrays[col.name] = pa.array([_json(v) for v in raw], type=pa.string())
            continue
        array, variants = _typed_array(raw, col.type)
        arrays[col.name] = array
        if variants is not None:
            arrays[f"{col.name}__v_text"] = pa.array(variants, type=pa.string())
    if spec.keep_unknown:
        known = {c.source_path[0] for c in spec.columns} | spec.ignore
        unknown = sorted({k for r in rows for k in r} - known)
        for key in unknown:
            arrays[key] = pa.array([_unknown(r.get(key)) for r in rows], type=pa.string())
    for name, value in (extra or {}).items():
        arrays[name] = pa.array([value] * len(rows))
    return pa.table(arrays)
