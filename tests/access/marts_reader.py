"""An analyst's process for test_publish.py: reads the published marts in a loop (a read, a pause of
`PAUSE` seconds) until a stop file appears, printing one JSON line per read (the time, and the
build's fingerprint or the error).

`--hold` opens the marts once and keeps that connection for every read; otherwise each read opens
a fresh connection (separate processes: DuckDB shares one open database per path within a process).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import duckdb

PAUSE = 0.2


def fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """A digest of every table's name, row count and row hashes: equal only for the same build."""
    tables = con.execute("select schema_name, table_name from duckdb_tables() order by 1, 2").fetchall()
    parts = [(s, t, *map(str, con.execute(f'select count(*), coalesce(sum(hash(x)), 0) from "{s}"."{t}" as x').fetchone()))
             for s, t in tables]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("marts")
    parser.add_argument("stop")
    parser.add_argument("--hold", action="store_true")
    args = parser.parse_args()
    held = duckdb.connect(args.marts, read_only=True) if args.hold else None
    while not Path(args.stop).exists():
        line = {"at": time.time()}
        try:
            con = held or duckdb.connect(args.marts, read_only=True)
            try:
                line["build"] = fingerprint(con)
            finally:
                if con is not held:
                    con.close()
        except Exception as e:  # noqa: BLE001 (every failure is a finding: the test asserts there are none)
            line["error"] = f"{type(e).__name__}: {e}"
        print(json.dumps(line), flush=True)
        time.sleep(PAUSE)


if __name__ == "__main__":
    main()
