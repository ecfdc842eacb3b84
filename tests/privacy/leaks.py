"""Searching everything the platform wrote for text that must not be there: every column of every
table of DuckDB files (and dlt's compressed pipeline state), Parquet files column by column, gzip
files decompressed, and every other file (SQLite, pickles, JSON, logs) byte for byte."""
from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
from dlt.pipeline.state_sync import decompress_state


def search_text(text: str, pattern: str, where: str) -> list[str]:
    return [f"{where}: …{text[max(0, m.start() - 40):m.end() + 40]!r}…" for m in re.finditer(pattern, text, re.IGNORECASE)][:3]


def search_duckdb(path: Path, pattern: str) -> list[str]:
    """`pattern` (a regex RE2 understands too) in any column of any table, in view SQL, and in dlt's
    pipeline state (stored compressed)."""
    con = duckdb.connect()
    hits = []
    try:
        con.execute(f"attach '{path}' as db (read_only)")
        columns = con.execute("select c.schema_name, c.table_name, c.column_name from duckdb_columns() c "
                              "join duckdb_tables() t using (database_name, schema_name, table_name) "
                              "where database_name = 'db'").fetchall()
        for schema, table, column in columns:
            found = con.execute(f'select "{column}"::varchar from db."{schema}"."{table}" '
                                f'where regexp_matches("{column}"::varchar, ?, \'i\') limit 1', [pattern]).fetchall()
            hits += [f"{path.name} {schema}.{table}.{column}: {str(v)[:120]!r}" for (v,) in found]
            if table == "_dlt_pipeline_state" and column == "state":
                for (state,) in con.execute(f'select state from db."{schema}"."{table}"').fetchall():
                    hits += search_text(json.dumps(decompress_state(state), default=str), pattern, f"{path.name} {schema} dlt state")
        for (name, sql) in con.execute("select view_name, sql from duckdb_views() where database_name = 'db'").fetchall():
            hits += search_text(sql or "", pattern, f"{path.name} view {name}")
    finally:
        con.close()
    return hits


def search_file(path: Path, pattern: str) -> list[str]:
    data = path.read_bytes()
    if data[8:12] == b"DUCK":
        return search_duckdb(path, pattern)
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        return [hit for name in table.column_names
                for hit in search_text("\n".join(map(str, table.column(name).to_pylist())), pattern, f"{path} {name}")]
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return search_text(data.decode("latin-1"), pattern, str(path))


def search_tree(root: Path, pattern: str) -> list[str]:
    """Every regular file under `root` (symlinks are not followed: they point inside anyway)."""
    return [hit for path in sorted(root.rglob("*")) if path.is_file() and not path.is_symlink()
            for hit in search_file(path, pattern)]
