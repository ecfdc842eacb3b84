"""Opening the warehouse, plain or encrypted at rest.

When `PENGUIN_WAREHOUSE_KEY` is set the warehouse is an encrypted DuckDB database (AES-GCM): it is
attached with the key into an in-memory connection under its file's stem (`warehouse`) — the catalog
name a plain file gets, which dbt's views refer to — so every SQL statement reads the same either way.
DuckDB writes encrypted files only with its httpfs extension (OpenSSL); it is loaded from the
`duckdb-ext-httpfs` package installed beside DuckDB 1.4.4, never downloaded (docs/decisions.md).
Every component opens the warehouse through here: dlt (`dlt_destination`), dbt (`dbt_env`), publish,
checks, the CLI and the tests.
"""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import duckdb

KEY_VARIABLE = "PENGUIN_WAREHOUSE_KEY"


class WarehouseError(RuntimeError):
    """The warehouse cannot be opened: one line saying why and what to do."""


def _extension_directory() -> str:
    spec = importlib.util.find_spec("duckdb_ext")
    if spec is None or not spec.submodule_search_locations:
        raise WarehouseError(f"warehouse: {KEY_VARIABLE} is set but the duckdb-ext-httpfs package is missing; "
                             "reinstall the project (make install)")
    return str(Path(next(iter(spec.submodule_search_locations))) / "extensions")


def encryption_key() -> str | None:
    return os.environ.get(KEY_VARIABLE) or None


def catalog(path: Path) -> str:
    """The warehouse's catalog name, its file's stem: the name dbt's views refer to its tables by."""
    return path.stem


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def memory_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory connection able to attach the warehouse (with the extension an encrypted one needs)."""
    if encryption_key() is None:
        return duckdb.connect()
    return duckdb.connect(config={"extension_directory": _extension_directory(), "autoload_known_extensions": True,
                                  "autoinstall_known_extensions": False})


def attach(con: duckdb.DuckDBPyConnection, path: Path, alias: str | None = None, read_only: bool = True) -> None:
    """Attaches the warehouse (or a copy of it: a backup, a compacted file) into `con` (from
    `memory_connection`) under `alias` (default: the file's stem), with the key if there is one."""
    alias = alias or catalog(path)
    key = encryption_key()
    options = ([f"ENCRYPTION_KEY {_literal(key)}"] if key else []) + (["READ_ONLY"] if read_only else [])
    sql = f'ATTACH {_literal(str(path))} AS "{alias}"' + (f" ({', '.join(options)})" if options else "")
    _explained(lambda: con.execute(sql), path)


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection whose current database is the warehouse (catalog: the file's stem)."""
    if encryption_key() is None:
        return _explained(lambda: duckdb.connect(str(path), read_only=read_only), path)
    con = memory_connection()
    try:
        attach(con, path, read_only=read_only)
        con.execute(f'USE "{catalog(path)}"')
    except Exception:
        con.close()
        raise
    return con


def _explained(call, path: Path):
    try:
        return call()
    except duckdb.Error as e:
        message = str(e)
        if "encrypted" in message.lower() or "encryption" in message.lower():
            hint = f"set {KEY_VARIABLE} to the warehouse's key" if encryption_key() is None else \
                f"{KEY_VARIABLE} does not open this warehouse (wrong key, or a plain file: unset it)"
            raise WarehouseError(f"warehouse: cannot open {path}: {hint}") from None
        raise


def dlt_destination(con: duckdb.DuckDBPyConnection):
    """dlt's DuckDB destination loading through `con` (from `connect`, closed by the caller): one
    connection for a whole load, where reopening the file for each step and job would read the
    catalog and checkpoint each time (≈1 s a sync)."""
    import dlt
    from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

    credentials = DuckDbCredentials(con)
    # dlt gives each thread a cursor of `con`, which starts in the default catalog (the in-memory one
    # when encrypted): setting the schema first makes dlt's `search_path` resolve inside the warehouse
    catalog = con.execute("select current_database()").fetchone()[0]
    credentials.local_config = {"schema": f"{catalog}.main"}
    return dlt.destinations.duckdb(credentials)


def dbt_env(path: Path) -> dict[str, str]:
    """Environment for the dbt subprocess: the warehouse path, and for an encrypted one the
    `encrypted` target, the key (as a dbt secret, scrubbed from dbt's logs) and the extensions."""
    env = {"PENGUIN_WAREHOUSE": str(path), "PENGUIN_WAREHOUSE_CATALOG": catalog(path), "PENGUIN_DBT_TARGET": "warehouse"}
    key = encryption_key()
    if key is not None:
        env.update(PENGUIN_DBT_TARGET="encrypted", DBT_ENV_SECRET_WAREHOUSE_KEY=key,
                   PENGUIN_DUCKDB_EXTENSIONS=_extension_directory())
    return env
