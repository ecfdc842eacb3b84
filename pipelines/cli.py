"""The `penguin` command."""
from __future__ import annotations

import argparse
import sys

from sandbox import cli as sandbox_cli


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="penguin", description="PenguinMails data platform")
    sub = parser.add_subparsers(dest="command", required=True)
    sandbox_cli.add_parser(sub)
    args = parser.parse_args(argv)
    if args.command == "sandbox":
        return sandbox_cli.run(args)
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
