"""`penguin query | rollback | export | backup | restore`."""
from __future__ import annotations

import argparse
import os
import sys

from pipelines.access import AccessError
from pipelines.settings import Paths


def add_parsers(sub: argparse._SubParsersAction) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", help="the platform's data directory (default: $PENGUIN_DATA_DIR, else ./data)")
    common.add_argument("--env-file", help="a dotenv file to load first (PENGUIN_DATA_DIR, PENGUIN_BACKUP_DIR, …)")
    q = sub.add_parser("query", parents=[common],
                       help="SQL over the published marts (read-only); without SQL, a shell reading statements")
    q.add_argument("sql", nargs="?", help="the statement to run")
    q.add_argument("--saved", metavar="NAME", help="run the saved query queries/NAME.sql")
    q.add_argument("--list", action="store_true", help="list the saved queries")
    q.add_argument("--format", choices=("table", "csv", "json"), default="table",
                   help="table (Markdown), csv or json (default: table)")
    sub.add_parser("rollback", parents=[common], help="put the previous published build of the marts back")
    sub.add_parser("export", parents=[common],
                   help="every published mart to Parquet, month-partitioned where it has a month")
    b = sub.add_parser("backup", parents=[common], help="a consistent copy of the warehouse, with dlt's state")
    b.add_argument("--list", action="store_true", help="list the backups instead")
    r = sub.add_parser("restore", parents=[common],
                       help="put a backup in place of the warehouse; the next run continues from it")
    r.add_argument("--backup", metavar="NAME", help="which backup (default: the newest; `penguin backup --list`)")
    r.add_argument("--yes", action="store_true", help="replace the existing warehouse")
    for name in ("query", "rollback", "export", "backup", "restore"):
        sub.choices[name].set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Runs one of the commands; a problem is one line on stderr and exit code 1."""
    try:
        if args.env_file:
            from pipelines.runner import load_env_file

            try:
                load_env_file(args.env_file)
            except OSError as e:
                raise AccessError(f"cannot read the env file {args.env_file}: {e.strerror}") from None
        if args.data_dir:
            os.environ["PENGUIN_DATA_DIR"] = args.data_dir
        return {"query": _query, "rollback": _rollback, "export": _export, "backup": _backup,
                "restore": _restore}[args.command](args, Paths.from_env())
    except AccessError as e:
        print(f"{args.command}: {e}", file=sys.stderr)
        return 1


def _query(args: argparse.Namespace, paths: Paths) -> int:
    from pipelines.access.query import run_sql
    from pipelines.access.saved import saved_queries, saved_query
    from pipelines.access.shell import shell

    if args.list:
        for q in saved_queries().values():
            print(f"{q.name:<24} {q.title}")
        return 0
    if args.saved and args.sql:
        raise AccessError("give either SQL or --saved NAME, not both")
    sql = saved_query(args.saved).sql if args.saved else args.sql
    if sql is None:
        return shell(paths.marts, args.format)
    print(run_sql(paths.marts, sql, args.format))
    return 0


def _rollback(args: argparse.Namespace, paths: Paths) -> int:
    from pipelines.access.rollback import rollback_marts

    done = rollback_marts(paths.marts)
    print(f"{paths.marts} is now the build written {done.built_at:%Y-%m-%d %H:%M:%S} UTC ({done.tables} tables); "
          f"{done.earlier} earlier build(s) kept")
    return 0


def _export(args: argparse.Namespace, paths: Paths) -> int:
    from pipelines.access import exports
    from pipelines.access.snapshots import keep_from_env, snapshot_dir

    export = exports.export_marts(paths.marts, snapshot_dir(paths, exports.DIR_VARIABLE, exports.DEFAULT_DIR),
                                  keep_from_env(exports.KEEP_VARIABLE, exports.DEFAULT_KEEP))
    for name, table in export.tables.items():
        print(f"{name:<48} {table.rows:>10,} rows{f'  by {table.month_column}' if table.month_column else ''}")
    print(f"exported {len(export.tables)} tables to {export.path} (also {export.path.parent / 'latest'})")
    return 0


def _backup(args: argparse.Namespace, paths: Paths) -> int:
    from pipelines.access import backups
    from pipelines.access.snapshots import keep_from_env, snapshot_dir

    directory = snapshot_dir(paths, backups.DIR_VARIABLE, backups.DEFAULT_DIR)
    if args.list:
        found = backups.backups(directory)
        for path in found:
            print(f"{path.stem:<40} {path.stat().st_size / 1e6:>9.1f} MB")
        print(f"{len(found)} backup(s) in {directory}")
        return 0
    backup = backups.backup_warehouse(paths, directory, keep_from_env(backups.KEEP_VARIABLE, backups.DEFAULT_KEEP))
    print(f"backed up {paths.warehouse} to {backup.path} ({_describe(backup.contents)})")
    return 0


def _restore(args: argparse.Namespace, paths: Paths) -> int:
    from pipelines.access import backups
    from pipelines.access.snapshots import snapshot_dir

    backup = backups.find_backup(snapshot_dir(paths, backups.DIR_VARIABLE, backups.DEFAULT_DIR), args.backup)
    contents = backups.restore_backup(paths, backup, overwrite=args.yes)
    print(f"restored {backup.stem} to {paths.warehouse} ({_describe(contents)}); the next run continues from it; "
          "the published marts stay as they are until the next successful run")
    return 0


def _describe(contents) -> str:
    sources = ", ".join(s.removeprefix("raw_") for s in contents.dlt_state) or "none"
    return f"{contents.tables} tables, {contents.rows:,} rows, dlt state of: {sources}"
