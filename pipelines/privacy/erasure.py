"""Erasing one person from the warehouse, and keeping them erased.

`erase_address` finds the address (case-insensitively, by its keyed hash) in every text and JSON
column of every raw table and dlt staging table, deletes the rows that are the person and
pseudonymises it in the rows that must stay (rules in `pii` and `redact`), all in one transaction
that also records a tombstone (`audit.erasure_tombstones`: the keyed hash, never the address) and
an audit record (`audit.erasures`: who, when, which tables, how many rows). The warehouse is then
rewritten into a fresh file, since DuckDB leaves deleted values in freed blocks, and dlt's completed
load packages (Parquet copies of what was loaded) are deleted.

`enforce_erasures` runs after every sync: it applies every tombstone to the source's raw and
staging tables again, so a person the vendor sends again is gone before anything reads them.
"""
from __future__ import annotations

import json
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import dlt
import duckdb
from dlt.common.storages.load_storage import LoadStorage

from pipelines import warehouse
from pipelines.privacy import PrivacyError
from pipelines.privacy.pii import PiiTable, pii_table
from pipelines.privacy.pseudonym import key_fingerprint, pii_key, prepare_connection, pseudonymise
from pipelines.privacy.redact import EMAIL_PATTERN, Mentions, addresses_in, is_address, replacement_address
from pipelines.settings import Paths

AUDIT_DDL = """
create schema if not exists audit;
create table if not exists audit.erasure_tombstones (
    email_hash varchar primary key,     -- pseudonymise(address): the address itself is never stored
    key_fingerprint varchar not null,   -- which PENGUIN_PII_KEY made the hash
    erased_at timestamptz not null
);
create table if not exists audit.erasures (
    erased_at timestamptz not null,
    requested_by varchar not null,
    email_hash varchar not null,
    tables json not null,               -- {"raw_x.table": {"deleted": n, "pseudonymised": m}}
    rows_deleted bigint not null,
    rows_pseudonymised bigint not null
);
"""
STAGING_SUFFIX = "_staging"  # dlt's staging dataset of a dataset (its default layout "%s_staging")
TEXT_TYPES = ("VARCHAR", "JSON")


@dataclass(frozen=True)
class Erased:
    email_hash: str
    tables: dict[str, dict[str, int]]  # "schema.table" -> {"deleted": n, "pseudonymised": m}
    files_removed: int  # dlt load-package files deleted

    @property
    def rows_deleted(self) -> int:
        return _total(self.tables, "deleted")

    @property
    def rows_pseudonymised(self) -> int:
        return _total(self.tables, "pseudonymised")

    def raw_asset_keys(self) -> list[str]:
        """`raw/<source>/<table>` of every raw table that changed (staging datasets map to theirs)."""
        keys = set()
        for name in self.tables:
            schema, table = name.split(".", 1)
            keys.add(f"raw/{schema.removeprefix('raw_').removesuffix(STAGING_SUFFIX)}/{table}")
        return sorted(keys)


def erase_address(paths: Paths, address: str, requested_by: str) -> Erased:
    """Erases the person with `address` from every raw and dlt staging table and dlt's local files."""
    address = address.strip()
    if not is_address(address):
        raise PrivacyError(f"{address!r} is not an email address (letters, digits and . _ % + - before the @)")
    key = pii_key()
    email_hash = pseudonymise(address, key)
    pending = [p.pipeline_name for p in _dlt_pipelines(paths) if p.has_pending_data]
    if pending:
        raise PrivacyError(f"dlt has load packages not loaded yet ({', '.join(pending)}): run `penguin run` "
                           "so they reach the warehouse, then erase again")
    with _warehouse(paths) as con:
        _check_key(con, key)
        con.begin()
        con.execute("insert into audit.erasure_tombstones values (?, ?, now()) on conflict do nothing",
                    [email_hash, key_fingerprint(key)])
        tables = _erase_rows(con, [s for s in _schemas(con) if s.startswith("raw_")], {email_hash}, key)
        con.execute("insert into audit.erasures values (now(), ?, ?, ?, ?, ?)",
                    [requested_by, email_hash, json.dumps(tables, sort_keys=True), _total(tables, "deleted"),
                     _total(tables, "pseudonymised")])
        con.commit()
        _compact(con, paths)
    files = sum(_remove_loaded_packages(p) for p in _dlt_pipelines(paths))
    return Erased(email_hash, tables, files)


def enforce_erasures(paths: Paths, pipeline: dlt.Pipeline, log: Callable[[str], None]) -> None:
    """After a sync of `pipeline`: deletes its completed load packages, and applies every tombstone to
    its raw dataset and staging dataset again."""
    _remove_loaded_packages(pipeline)
    with _warehouse(paths) as con:
        hashes = {h for (h,) in con.execute("select email_hash from audit.erasure_tombstones").fetchall()}
        if not hashes:
            return
        key = pii_key()
        _check_key(con, key)
        con.begin()
        ours = (pipeline.dataset_name, pipeline.dataset_name + STAGING_SUFFIX)
        tables = _erase_rows(con, [s for s in _schemas(con) if s in ours], hashes, key)
        con.commit()
        if tables:
            _compact(con, paths)
            log(f"erasures: {len(hashes)} tombstones applied again after the sync: {_total(tables, 'deleted')} rows "
                f"deleted, {_total(tables, 'pseudonymised')} pseudonymised in {', '.join(sorted(tables))}")


@contextmanager
def _warehouse(paths: Paths) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse attached read-write under its own name (its views refer to it) and made current,
    with `pii_pseudonymise` defined and the audit tables present."""
    if not paths.warehouse.exists():
        raise PrivacyError(f"no warehouse at {paths.warehouse}: run `penguin run` first, or set PENGUIN_DATA_DIR")
    con = warehouse.memory_connection()
    try:
        try:
            warehouse.attach(con, paths.warehouse, read_only=False)
        except duckdb.IOException as e:
            raise PrivacyError(f"the warehouse {paths.warehouse} is in use by another process (a pipeline run?): "
                               f"try again when it has finished ({str(e).splitlines()[0]})") from None
        con.execute(f"use {_q(warehouse.catalog(paths.warehouse))}")
        con.execute(AUDIT_DDL)
        prepare_connection(con)
        yield con
    finally:
        con.close()


def _schemas(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [s for (s,) in con.execute("select schema_name from information_schema.schemata "
                                      "where catalog_name = current_database() order by 1").fetchall()]


def _total(tables: dict[str, dict[str, int]], kind: str) -> int:
    return sum(counts[kind] for counts in tables.values())


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _check_key(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    others = con.execute("select count(*) from audit.erasure_tombstones where key_fingerprint <> ?",
                         [key_fingerprint(key)]).fetchone()[0]
    if others:
        raise PrivacyError(f"{others} erasure tombstones were recorded under another PENGUIN_PII_KEY: set the key "
                           "they were made with (a new key cannot recognise the erased people, who would come back)")


def _erase_rows(con: duckdb.DuckDBPyConnection, schemas: list[str], hashes: set[str], key: bytes) -> dict[str, dict[str, int]]:
    """Deletes or pseudonymises, in `schemas`, every row holding an address whose keyed hash is in `hashes`."""
    out = {}
    for schema in schemas:
        source = schema.removeprefix("raw_").removesuffix(STAGING_SUFFIX)
        columns = con.execute(
            "select table_name, list(column_name order by ordinal_position), "
            "list(column_name order by ordinal_position) filter (where data_type in (select unnest(?))) "
            "from information_schema.columns where table_catalog = current_database() and table_schema = ? "
            "and table_name not like '\\_dlt%' escape '\\' group by 1 order by 1", [list(TEXT_TYPES), schema]).fetchall()
        for table, all_columns, text_columns in columns:
            if not text_columns:
                continue
            counts = _erase_in_table(con, f"{_q(schema)}.{_q(table)}", all_columns, text_columns, pii_table(source, table), hashes, key)
            if counts["deleted"] or counts["pseudonymised"]:
                out[f"{schema}.{table}"] = counts
    return out


def _erase_in_table(con, relation: str, all_columns: list[str], text_columns: list[str], spec: PiiTable | None,
                    hashes: set[str], key: bytes) -> dict[str, int]:
    personal = [c for c in (spec.personal if spec else []) if c in all_columns]
    read = list(dict.fromkeys([*text_columns, *personal]))
    holds = " or ".join(
        f"""(contains({_q(c)}::varchar, '@') and list_has_any(list_transform(
                regexp_extract_all(lower({_q(c)}::varchar), $pattern), a -> pii_pseudonymise(a)), $hashes))"""
        for c in text_columns)
    rows = con.execute(f'select rowid, {", ".join(f"{_q(c)}::varchar" for c in read)} from {relation} where {holds}',
                       {"pattern": EMAIL_PATTERN, "hashes": sorted(hashes)}).fetchall()
    counts = {"deleted": 0, "pseudonymised": 0}
    for rowid, *values in rows:
        row = dict(zip(read, values))
        mentions = Mentions({a: replacement_address(a, digest) for v in row.values() if v for a in addresses_in(v)
                             if (digest := pseudonymise(a, key)) in hashes})
        identity = (row.get(spec.identity) or "").strip().lower() if spec and spec.identity else ""
        is_the_person = identity in mentions.addresses
        if is_the_person and spec.on_erase == "delete":
            con.execute(f"delete from {relation} where rowid = ?", [rowid])
            counts["deleted"] += 1
            continue
        changes = _pseudonymised(row, mentions, spec, personal if is_the_person else [])
        if changes:
            con.execute(f'update {relation} set {", ".join(f"{_q(c)} = ?" for c in changes)} where rowid = ?',
                        [*changes.values(), rowid])
            counts["pseudonymised"] += 1
    return counts


def _pseudonymised(row: dict[str, str | None], mentions: Mentions, spec: PiiTable | None, personal: list[str]) -> dict:
    """The changed columns of a row that keeps existing: the person's own columns emptied, the
    addresses pseudonymised everywhere, the person's names removed from free text."""
    for column in personal:
        if spec.columns[column] == "name":
            mentions.add_name(row[column])
    for value in row.values():
        if value:
            mentions.learn_names(value)
    changes: dict[str, str | None] = {c: None for c in personal if row[c] is not None}
    for column, value in row.items():
        if value is None or column in changes:
            continue
        names_too = spec is not None and spec.columns.get(column) in ("text", "people")
        if mentions.mentioned_in(value, names_too):
            redacted = mentions.redact(value, names_too)
            if redacted != value:
                changes[column] = redacted
    return changes


def _compact(con: duckdb.DuckDBPyConnection, paths: Paths) -> None:
    """Rewrites the warehouse into a fresh file and swaps it in: DuckDB keeps deleted and overwritten
    values in freed blocks of the old file until they happen to be reused."""
    fresh = paths.warehouse.with_name(f".{paths.warehouse.name}.compacting")
    fresh.unlink(missing_ok=True)
    warehouse.attach(con, fresh, "compacted", read_only=False)
    con.execute(f"copy from database {_q(warehouse.catalog(paths.warehouse))} to compacted")
    con.execute("detach compacted")
    con.execute("use memory")
    con.execute(f"detach {_q(warehouse.catalog(paths.warehouse))}")
    os.replace(fresh, paths.warehouse)


def _dlt_pipelines(paths: Paths) -> Iterator[dlt.Pipeline]:
    """The dlt pipelines with a working directory under the data dir."""
    if paths.dlt_dir.exists():
        for directory in sorted(paths.dlt_dir.iterdir()):
            if (directory / "state.json").exists():
                yield dlt.attach(directory.name, pipelines_dir=str(paths.dlt_dir))


def _remove_loaded_packages(pipeline: dlt.Pipeline) -> int:
    """Deletes the pipeline's completed load packages (they are in the warehouse now); the files removed."""
    loaded = Path(pipeline.working_dir) / "load" / LoadStorage.LOADED_FOLDER
    files = [p for p in loaded.rglob("*") if p.is_file()] if loaded.exists() else []
    for package in loaded.iterdir() if loaded.exists() else []:
        shutil.rmtree(package)
    return len(files)
