"""`penguin sandbox …` subcommands."""
from __future__ import annotations

import argparse
import json
import sys

from sandbox.client import SandboxClient, SandboxUnreachable
from sandbox.faults import PROFILES
from sandbox.world import SCALES


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sandbox", help="the local world of wire-faithful vendor emulators")
    ssub = p.add_subparsers(dest="sandbox_command", required=True)
    s = ssub.add_parser("serve", help="serve the world on localhost until stopped")
    s.add_argument("--seed", type=int, default=7)
    s.add_argument("--scale", choices=list(SCALES), default="small")
    s.add_argument("--faults", choices=list(PROFILES), default="none")
    s.add_argument("--env-file", required=True, help="written once the sandbox is ready")
    s.add_argument("--port", type=int, default=0, help="0 = any free port")
    s.add_argument("--horizon-days", type=int, default=None, help="how far the clock can be advanced")
    s.add_argument("--app-db-url", default=None, help="SQLAlchemy URL of the app DB to fill (default: a SQLite file)")
    a = ssub.add_parser("advance", help="move the clock of a running sandbox")
    a.add_argument("--days", type=float, default=1)
    a.add_argument("--env-file", required=True)
    t = ssub.add_parser("truth", help="write the ground truth of a running sandbox")
    t.add_argument("--env-file", required=True)
    t.add_argument("--out", required=True)
    st = ssub.add_parser("status", help="clock, scale and fault profile of a running sandbox")
    st.add_argument("--env-file", required=True)


def run(args: argparse.Namespace) -> int:
    if args.sandbox_command == "serve":
        from sandbox.serve import serve

        serve(args.seed, args.scale, args.faults, args.env_file, args.port, args.horizon_days, args.app_db_url)
        return 0
    try:
        client = SandboxClient(args.env_file)
        if args.sandbox_command == "advance":
            print(f"sandbox clock now {client.advance(days=args.days)['now']}")
        elif args.sandbox_command == "truth":
            files = client.write_truth(args.out)
            print(f"wrote {len(files)} ground-truth tables to {args.out}")
        else:
            print(json.dumps(client.status(), indent=2))
    except SandboxUnreachable as e:
        print(str(e), file=sys.stderr)
        return 2
    return 0
