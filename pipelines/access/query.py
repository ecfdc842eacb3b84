"""SQL over the published marts: a read-only connection that cannot reach other files either, and
the result as a Markdown table, CSV or JSON."""
from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import duckdb

from pipelines.access import AccessError, first_line
from pipelines.assets.previews import markdown_table

FORMATS = ("table", "csv", "json")


def connect_marts(marts: Path) -> duckdb.DuckDBPyConnection:
    """The published marts, read-only; with external access off a query cannot attach, read or
    write any other file either (the warehouse, exports, files on disk)."""
    if not marts.exists():
        raise AccessError(f"no published marts at {marts}: run `penguin run` first, or set PENGUIN_DATA_DIR")
    try:
        return duckdb.connect(str(marts), read_only=True, config={"enable_external_access": False})
    except duckdb.Error as e:
        raise AccessError(f"cannot open the published marts {marts}: {first_line(e)}; "
                          "`penguin rollback` restores the previous build") from None


def run_sql(marts: Path, sql: str, fmt: str = "table") -> str:
    """Runs `sql` on a fresh connection (so it sees the newest published build) and formats the result."""
    con = connect_marts(marts)
    try:
        if fmt == "table":
            return markdown_table(con, sql)
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        return (_csv if fmt == "csv" else _json)(names, cur.fetchall())
    except duckdb.Error as e:
        raise AccessError(_explain(e)) from None
    finally:
        con.close()


def _explain(e: duckdb.Error) -> str:
    line = first_line(e)
    if "read-only mode" in line:
        return f"refused, the published marts are read-only: {line}"
    if isinstance(e, duckdb.PermissionException):
        return f"refused, queries read only the published marts (no other files): {line}"
    if isinstance(e, duckdb.CatalogException):
        return f"{line} (`penguin query \"show all tables\"` lists the marts)"
    return line


def _csv(names: list[str], rows: list[tuple]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    writer.writerows(rows)
    return out.getvalue().rstrip("\n")


def _jsonable(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _json(names: list[str], rows: list[tuple]) -> str:
    """A JSON array of one object per row, one row a line."""
    lines = [json.dumps(dict(zip(names, row)), default=_jsonable, ensure_ascii=False) for row in rows]
    return "[\n" + ",\n".join(lines) + "\n]" if lines else "[]"
