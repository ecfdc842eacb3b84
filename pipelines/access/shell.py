"""`penguin query` without SQL: statements from the terminal (or a pipe), each ended by `;`, each run
on the newest published build; dot commands list tables and saved queries or change the format."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from pipelines.access import AccessError
from pipelines.access.query import FORMATS, run_sql
from pipelines.access.saved import saved_queries, saved_query

HELP = """statements end with ';' and run on the newest published build (read-only)
.tables                  the published tables
.saved                   the saved queries
.run NAME                run a saved query
.format table|csv|json   the output format
.quit                    (or Ctrl-D)"""
TABLES_SQL = ("select schema_name || '.' || table_name as \"table\", estimated_size as rows "
              "from duckdb_tables() order by 1")


def shell(marts: Path, fmt: str, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout,
          stderr: TextIO = sys.stderr) -> int:
    """Reads and runs until the end of input; returns 1 when a statement failed and the input was
    not a terminal (a script), else 0."""
    interactive = stdin.isatty()
    if interactive:
        import readline  # noqa: F401 (line editing and history for input())

        print(f"penguin query on {marts}; .help for commands", file=stdout)
    failed, buffer = False, []
    while True:
        try:
            line = _read("   ...> " if buffer else "marts> ", stdin, interactive)
        except KeyboardInterrupt:  # Ctrl-C drops the statement being typed
            print(file=stdout)
            buffer = []
            continue
        if line is None:
            break
        stripped = line.strip()
        if not buffer and stripped.startswith("."):
            if stripped in (".quit", ".exit"):
                break
            try:
                sql, fmt = _command(stripped, fmt, stdout)
            except AccessError as e:
                print(f"query: {e}", file=stderr)
                failed = True
                continue
            if sql:
                failed |= not _run(marts, sql, fmt, stdout, stderr)
            continue
        if stripped:
            buffer.append(line.rstrip("\n"))
        if buffer and stripped.endswith(";"):
            failed |= not _run(marts, "\n".join(buffer), fmt, stdout, stderr)
            buffer = []
    if buffer:
        failed |= not _run(marts, "\n".join(buffer), fmt, stdout, stderr)
    return 1 if failed and not interactive else 0


def _read(prompt: str, stdin: TextIO, interactive: bool) -> str | None:
    """The next line, None at the end of input."""
    if not interactive:
        return stdin.readline() or None
    try:
        return input(prompt)
    except EOFError:
        print()
        return None


def _command(line: str, fmt: str, stdout: TextIO) -> tuple[str | None, str]:
    """A dot command: the SQL it runs (if any) and the output format from now on."""
    command, _, arg = line.partition(" ")
    arg = arg.strip()
    if command == ".help":
        print(HELP, file=stdout)
    elif command == ".saved":
        for q in saved_queries().values():
            print(f"{q.name:<24} {q.title}", file=stdout)
    elif command == ".format" and arg in FORMATS:
        return None, arg
    elif command == ".tables":
        return TABLES_SQL, fmt
    elif command == ".run" and arg:
        return saved_query(arg).sql, fmt
    else:
        raise AccessError(f"unknown command {line!r}; .help lists them")
    return None, fmt


def _run(marts: Path, sql: str, fmt: str, stdout: TextIO, stderr: TextIO) -> bool:
    try:
        print(run_sql(marts, sql, fmt), file=stdout, flush=True)
        return True
    except AccessError as e:
        print(f"query: {e}", file=stderr, flush=True)
        return False
