"""`penguin erase --email ADDRESS`: erase one person, rebuild the marts that read the changed raw
tables, publish them, and drop the earlier published builds (a rollback would bring the person's
pseudonymised rows back)."""
from __future__ import annotations

import argparse
import getpass
import sys

from pipelines.privacy import PrivacyError


def add_parser(sub) -> None:
    erase = sub.add_parser("erase", help="erase one person (by email) from the warehouse and the marts, for good")
    erase.add_argument("--email", required=True, help="the person's email address (any case)")
    erase.add_argument("--by", default=getpass.getuser(), help="who asked for it / runs it, for the audit record "
                                                               "(default: the current user)")
    erase.add_argument("--env-file", help="a dotenv file to load first (PENGUIN_PII_KEY, PENGUIN_DATA_DIR, …)")
    erase.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from pipelines.access.rollback import previous_builds
    from pipelines.privacy.erasure import erase_address
    from pipelines.runner import load_env_file, run_daily
    from pipelines.settings import Paths

    if args.env_file:
        load_env_file(args.env_file)
    paths = Paths.from_env()
    try:
        erased = erase_address(paths, args.email, args.by)
    except PrivacyError as e:
        print(f"erase: {e}", file=sys.stderr)
        return 2
    print(f"erase: {erased.email_hash[:16]}…: {erased.rows_deleted} rows deleted, {erased.rows_pseudonymised} "
          f"pseudonymised in {len(erased.tables)} tables; {erased.files_removed} dlt load-package files removed; "
          "audit record and tombstone written (audit.erasures, audit.erasure_tombstones)")
    for table, counts in sorted(erased.tables.items()):
        print(f"  {table:<44} deleted {counts['deleted']:>6,}  pseudonymised {counts['pseudonymised']:>6,}")
    if not erased.tables:
        print("erase: no table held the address; the tombstone keeps it out of every later sync")
        return 0
    selection = "(" + " or ".join(f'key:"{key}"+' for key in erased.raw_asset_keys()) + ') and not kind:"dlt"'
    summary = run_daily(selection, paths)
    if not summary.success:
        print(summary.render())
        print("erase: the person is erased from the warehouse, but rebuilding the marts failed (above); "
              "fix it and run `penguin run` to publish marts without them", file=sys.stderr)
        return 1
    removed = previous_builds(paths.marts)
    for build in removed:
        build.unlink()
    print(f"erase: marts rebuilt and published (run {summary.run_id}); {len(removed)} earlier published builds removed")
    return 0
