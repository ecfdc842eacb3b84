"""The `penguin` command."""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from pipelines.access import cli as access_cli
from pipelines.privacy import cli as privacy_cli
from sandbox import cli as sandbox_cli
from sandbox.faults import PROFILES
from sandbox.world import SCALES

DEMO_PII_KEY = "penguin-demo-pii-key"  # only for `penguin demo`; production sets its own (docs/pii.md)
DEMO_MARKER = ".penguin-demo"


def _run(args: argparse.Namespace) -> int:
    from pipelines.runner import load_env_file, run_daily

    if args.env_file:
        load_env_file(args.env_file)
    summary = run_daily(args.select)
    print(summary.render())
    return 0 if summary.success else 1


def _demo(args: argparse.Namespace) -> int:
    """Sandbox up → `penguin run` → summary → sandbox down, in a data dir of its own."""
    from pipelines.runner import load_env_file, run_daily

    data = Path(args.data_dir).resolve()
    if data.exists() and any(data.iterdir()) and not (data / DEMO_MARKER).exists():
        print(f"demo: {data} holds data not made by a demo; pass --data-dir to use another directory", file=sys.stderr)
        return 2
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    (data / DEMO_MARKER).write_text("made by `penguin demo`; deleted by the next demo\n")
    env_file = data / "sandbox.env"
    log = (data / "sandbox.log").open("wb")
    print(f"demo: starting the sandbox (seed {args.seed}, scale {args.scale}, faults {args.faults})", flush=True)
    proc = subprocess.Popen([sys.executable, "-m", "sandbox", "serve", "--seed", str(args.seed), "--scale", args.scale,
                             "--faults", args.faults, "--env-file", str(env_file)], stdout=log, stderr=subprocess.STDOUT)
    try:
        while not env_file.exists():
            if proc.poll() is not None:
                print(f"demo: the sandbox did not start; see {data / 'sandbox.log'}", file=sys.stderr)
                return 2
            time.sleep(0.1)
        load_env_file(env_file)
        os.environ["PENGUIN_DATA_DIR"] = str(data)
        os.environ.setdefault("PENGUIN_PII_KEY", DEMO_PII_KEY)  # the sandbox's people are made up
        started = time.monotonic()
        summary = run_daily()
        print(summary.render())
        print(f"demo: finished in {time.monotonic() - started:.0f}s; data in {data}")
        return 0 if summary.success else 1
    finally:
        proc.terminate()
        proc.wait(30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="penguin", description="PenguinMails data platform")
    sub = parser.add_subparsers(dest="command", required=True)
    sandbox_cli.add_parser(sub)
    access_cli.add_parsers(sub)  # query, rollback, export, backup, restore
    privacy_cli.add_parser(sub)  # erase
    run = sub.add_parser("run", help="run the whole pipeline: every source, dbt build, publish")
    run.add_argument("--env-file", help="a dotenv file to load first (e.g. the sandbox's)")
    run.add_argument("--select", help="only these assets, in Dagster's selection syntax (e.g. 'group:raw_stripe')")
    demo = sub.add_parser("demo", help="start a sandbox, run the pipeline against it, print a summary, stop it")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--scale", choices=list(SCALES), default="small")
    demo.add_argument("--faults", choices=list(PROFILES), default="none")
    demo.add_argument("--data-dir", default=str(Path("data") / "demo"))
    args = parser.parse_args(argv)
    if args.command == "sandbox":
        return sandbox_cli.run(args)
    if hasattr(args, "handler"):
        return args.handler(args)
    return {"run": _run, "demo": _demo}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
